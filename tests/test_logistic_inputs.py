"""``fastridge.logistic`` on awkward inputs, and its invariances (binary, multinomial, ovr).

Three kinds of fit are exercised everywhere: ``binary`` (two labels),
``multinomial`` (three labels, softmax) and ``ovr`` (three labels, one-vs-rest).

* Bad input gets a clear ``ValueError``/``TypeError`` before any work, or a
  warning, and never a hang or a silent NaN: a single class, NaN/inf in ``X``
  (dense and sparse), ``y`` or ``sample_weight``, negative or all-zero weights,
  entries beyond 1e30 (``exp`` overflows: the message asks to rescale), while
  1e29 still gives finite results.
* Labels of any sortable type map as in scikit-learn (``classes`` sorted, the
  last one the positive class of a binary fit).
* Separable data with a tiny ``lam`` stops at ``max_iter`` with finite
  coefficients and a ``ConvergenceWarning``; a huge ``lam`` gives the null model
  (intercepts at the log-odds of the weighted class balance).
* Invariances, as the ridge tests of ``tests/test_invariances.py``: integer
  weights and replicated rows, zero weights and removed rows, row order, dense /
  CSR / CSC, float32 / float64, weight scale and ``lam`` scale.  Fits run at
  ``tol=1e-16``, where the certificate alone guarantees
  ``||w - w*|| <= sqrt(2 cert / lam) ~ 3e-8 ||w*||`` on these small problems;
  :func:`assert_same_fit` checks that guarantee before comparing to ``RTOL``.
* The certificate never under-estimates the true suboptimality (reference
  optimum: the better of scikit-learn at ``tol=1e-14`` and fastridge at
  ``tol=1e-16``), for ``tol`` from 1e-2 to 1e-12 and after 0-3 iterations.
* A warm start (``coef_init``) gives the same answer in fewer iterations.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import LabelEncoder

import fastridge

KINDS = ["binary", "multinomial", "ovr"]
FORMATS = ["dense", "csr", "csc"]
# Fits for the invariance tests run at TOL; the certificate then allows a relative
# coefficient error of ~1e-8 on these small problems (checked before comparing to
# RTOL).  Relative tolerances below ~1e-17 are not reliably reachable: the Armijo
# test cannot see decreases below the rounding of the objective (~1e-16 relative).
TOL = 1e-16
RTOL = 1e-7


# ---------------------------------------------------------------------------
# problems, fits, objectives
# ---------------------------------------------------------------------------


def make_problem(kind, n=90, p=6, seed=0):
    """``(X, y, s)``: Gaussian X with 40% zeros, labels 0..K-1 drawn from a softmax model."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.6)
    k = 2 if kind == "binary" else 3
    W = rng.standard_normal((k, p))
    y = np.argmax(X @ W.T + 0.5 * rng.gumbel(size=(n, k)), axis=1)
    assert len(np.unique(y)) == k
    return X, y, rng.uniform(0.2, 2.0, n)


def as_format(X, fmt, dtype=np.float64):
    X = np.asarray(X, dtype=dtype)
    return X if fmt == "dense" else sp.csr_matrix(X).asformat(fmt)


def multi_class(kind):
    return "ovr" if kind == "ovr" else "auto"


def fit(X, y, lam, kind, *, tol=TOL, **kw):
    return fastridge.logistic(X, y, lam, tol=tol, multi_class=multi_class(kind), **kw)


def binary_objective(X, y_pm, s, lam, w, b):
    m = X @ np.asarray(w, dtype=np.float64) + b
    return float(s @ np.logaddexp(0.0, -y_pm * m) + 0.5 * lam * (w @ w))


def multinomial_objective(X, codes, s, lam, W, b):
    M = X @ np.asarray(W, dtype=np.float64).T + b
    loss = logsumexp(M, axis=1) - M[np.arange(M.shape[0]), codes]
    return float(s @ loss + 0.5 * lam * np.vdot(W, W))


def objectives(kind, X, codes, s, lam, coef, intercept):
    """The objective of each model in the fit: (1,) binary / multinomial, (K,) ovr."""
    X = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
    if kind == "binary":
        y_pm = np.where(codes == 1, 1.0, -1.0)
        return np.array([binary_objective(X, y_pm, s, lam, coef, intercept)])
    if kind == "multinomial":
        return np.array([multinomial_objective(X, codes, s, lam, coef, intercept)])
    return np.array(
        [
            binary_objective(X, np.where(codes == k, 1.0, -1.0), s, lam, coef[k], intercept[k])
            for k in range(coef.shape[0])
        ]
    )


def sklearn_optimum(kind, X, codes, s, lam, fit_intercept):
    """scikit-learn's objective values at ``tol=1e-14`` (newton-cholesky), per model."""
    X = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)

    def sk(y):
        est = LogisticRegression(
            C=1.0 / lam,
            tol=1e-14,
            max_iter=1000,
            solver="newton-cholesky",
            fit_intercept=fit_intercept,
        ).fit(X, y, sample_weight=s)
        b = est.intercept_ if fit_intercept else np.zeros(est.coef_.shape[0])
        return est.coef_, b

    if kind == "binary":
        W, b = sk(codes)
        return objectives(kind, X, codes, s, lam, W[0], b[0])
    if kind == "multinomial":
        W, b = sk(codes)
        return objectives(kind, X, codes, s, lam, W, b)
    fits = [sk((codes == k).astype(int)) for k in range(codes.max() + 1)]
    W = np.vstack([f[0] for f in fits])
    b = np.concatenate([f[1] for f in fits])
    return objectives(kind, X, codes, s, lam, W, b)


def rel_err(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), np.finfo(float).tiny))


def certified_distance(res):
    """``||W - W*||_F / ||W||_F`` allowed by the certificate(s): ``sqrt(2 sum(cert) / lam)``.

    ``F`` is ``lam``-strongly convex in the coefficients of each model, and the
    one-vs-rest certificates bound the K problems separately, so their sum
    bounds ``lam/2 ||W - W*||_F^2`` for every kind of fit.
    """
    cert = float(np.sum(res.certificate))
    return np.sqrt(2 * cert / res.lam) / np.linalg.norm(res.coef)


def assert_same_fit(a, b, rtol=RTOL, *, certified=True):
    """Coefficients to ``rtol`` relative; intercepts to ``rtol`` of the model's scale.

    With ``certified``, first check that the two certificates alone imply the
    agreement (both fits solve the same problem), so the comparison is not luck.
    """
    np.testing.assert_array_equal(a.classes, b.classes)
    if certified:
        assert a.converged and b.converged
        assert certified_distance(a) + certified_distance(b) <= rtol
    assert rel_err(a.coef, b.coef) <= rtol, rel_err(a.coef, b.coef)
    coef = np.atleast_2d(b.coef)
    scale = np.abs(b.intercept) + np.linalg.norm(coef, axis=1).max()
    diff = np.abs(np.asarray(a.intercept) - np.asarray(b.intercept))
    assert np.all(diff <= rtol * scale), (diff, scale)


def assert_finite(res):
    for name in ("coef", "intercept", "certificate", "p_null"):
        assert np.all(np.isfinite(getattr(res, name))), name


# ---------------------------------------------------------------------------
# bad input: a clear error before any work
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
# Floats must be integral (issue 10: non-integral floats are a continuous
# target and refused, as scikit-learn does; tests/test_logistic_soundness.py).
@pytest.mark.parametrize("label", [0, 3.0, "spam", True], ids=["int", "float", "str", "bool"])
def test_single_class_raises(kind, label):
    X, _, _ = make_problem("binary", n=20)
    y = np.array([label] * 20)
    with pytest.raises(ValueError, match="single class"):
        fit(X, y, 1.0, kind)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["binary", "multinomial"])
def test_non_finite_X_raises(kind, fmt, dtype, bad):
    X, y, _ = make_problem(kind, n=30)
    X[7, 2] = bad  # a stored entry in every format
    with pytest.raises(ValueError, match="NaN or infinity"):
        fit(as_format(X, fmt, dtype), y, 1.0, kind)


@pytest.mark.parametrize(
    "make_y",
    [
        lambda y: np.where(y == 0, np.nan, y.astype(float)),
        lambda y: np.where(y == 0, np.inf, y.astype(float)),
        lambda y: np.where(y == 0, -np.inf, y.astype(float)),
        lambda y: np.where(y == 0, np.nan, y.astype(float)).astype(object),
        lambda y: np.where(y == 0, None, y).astype(object),
        lambda y: pd.Series(np.where(y == 0, None, y.astype(str))),
        lambda y: pd.Series(np.where(y == 0, np.nan, y.astype(float))),
        lambda y: np.where(y == 0, np.float32(np.nan), y.astype(np.float32)),
    ],
    ids=[
        "nan",
        "inf",
        "-inf",
        "object-nan",
        "object-none",
        "series-none",
        "series-nan",
        "f32-nan",
    ],
)
@pytest.mark.parametrize("kind", ["binary", "multinomial"])
def test_non_finite_or_missing_labels_raise(kind, make_y):
    """NaN is not a class (``np.unique`` would count every NaN of an object array apart)."""
    X, y, _ = make_problem(kind, n=30)
    y = make_y(y)
    with pytest.raises(ValueError, match=r"NaN|None|infinity"):
        fit(X, y, 1.0, kind)


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (lambda s: np.where(np.arange(len(s)) == 4, np.nan, s), "NaN or infinity"),
        (lambda s: np.where(np.arange(len(s)) == 4, np.inf, s), "NaN or infinity"),
        (lambda s: np.where(np.arange(len(s)) == 4, -0.5, s), "negative"),
        (lambda s: np.zeros_like(s), "zero everywhere"),
        (lambda s: s[:-1], "shape"),
        (lambda s: np.float64(np.nan), "NaN or infinity"),
        (lambda s: -1.0, "negative"),
        (lambda s: 0.0, "zero everywhere"),
    ],
    ids=["nan", "inf", "negative", "all-zero", "short", "scalar-nan", "scalar-neg", "scalar-0"],
)
@pytest.mark.parametrize("kind", KINDS)
def test_bad_sample_weight_raises(kind, weights, match):
    X, y, s = make_problem(kind, n=30)
    with pytest.raises(ValueError, match=match):
        fit(X, y, 1.0, kind, sample_weight=weights(s))


@pytest.mark.parametrize("kind", KINDS)
def test_bad_shapes_and_options_raise(kind):
    X, y, _ = make_problem(kind, n=30)
    k = 1 if kind == "binary" else 3
    with pytest.raises(ValueError, match="one-dimensional"):
        fit(X, y[:-1], 1.0, kind)
    with pytest.raises(ValueError, match="one-dimensional"):
        fit(X, np.c_[y, y], 1.0, kind)
    with pytest.raises(ValueError, match="coef_init"):
        fit(X, y, 1.0, kind, coef_init=np.zeros((k + 1, X.shape[1])))
    with pytest.raises(ValueError, match="coef_init"):
        fit(X, y, 1.0, kind, coef_init=np.full((k, X.shape[1]), np.nan))
    for lam in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="lam"):
            fit(X, y, lam, kind)
    with pytest.raises(ValueError, match="multi_class"):
        fastridge.logistic(X, y, 1.0, multi_class="crammer-singer")


@pytest.mark.parametrize("kind", KINDS)
def test_mixed_type_labels_raise(kind):
    """A mix of strings and numbers has no order: scikit-learn rejects it too."""
    X, y, _ = make_problem(kind, n=30)
    mixed = y.astype(object)
    mixed[y == 1] = "one"
    with pytest.raises((TypeError, ValueError)):
        fit(X, mixed, 1.0, kind)


@pytest.mark.parametrize("big", [2e30, -1e31, 1e35, 1e300])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_entries_beyond_1e30_ask_to_rescale(kind, fmt, dtype, big):
    if dtype == np.float32 and abs(big) > float(np.finfo(np.float32).max):
        pytest.skip("not representable in float32 (it would be inf: the NaN/inf test)")
    X, y, _ = make_problem(kind, n=30)
    X[3, 1] = big
    with pytest.raises(ValueError, match="rescale"):
        fit(as_format(X, fmt, dtype), y, 1.0, kind)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_entries_of_1e29_are_fine(kind, fmt):
    """``X * 1e29`` with ``lam * 1e58`` is the same problem, solved by ``w / 1e29``."""
    X, y, s = make_problem(kind, n=60)
    base = fit(as_format(X, fmt), y, 0.5, kind, sample_weight=s, tol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        big = fit(as_format(X * 1e29, fmt), y, 0.5e58, kind, sample_weight=s, tol=1e-14)
    assert_finite(big)
    assert big.converged
    assert rel_err(big.coef * 1e29, base.coef) <= 1e-6
    np.testing.assert_allclose(big.intercept, base.intercept, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("kind", KINDS)
def test_one_huge_entry_gives_finite_results(kind, dtype):
    """An outlier of 1e29 (accepted) makes the problem very ill-conditioned: the fit must
    still end with finite numbers, converged or with a ConvergenceWarning."""
    X, y, s = make_problem(kind, n=60)
    X[0, 0] = 1e29
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit(sp.csr_matrix(X.astype(dtype)), y, 1.0, kind, sample_weight=s, tol=1e-8)
    assert_finite(res)
    if not res.converged:
        assert any(issubclass(w.category, ConvergenceWarning) for w in caught)


@pytest.mark.parametrize("kind", KINDS)
def test_class_with_zero_total_weight_is_flagged(kind):
    """A label whose rows all have weight 0: with an intercept the problem has no minimiser
    (that class's intercept runs to -inf).  Expected: a ValueError, or a warning and finite
    numbers; never a LinAlgError from deep inside the solver."""
    X, y, s = make_problem(kind, n=60)
    s = np.where(y == 1, 0.0, s)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = fit(X, y, 1.0, kind, sample_weight=s, tol=1e-8)
        except ValueError as exc:
            assert "weight" in str(exc)
            return
    assert_finite(res)
    flagged = [w for w in caught if issubclass(w.category, (UserWarning, ConvergenceWarning))]
    assert flagged, "a class with zero total weight was fitted silently"


@pytest.mark.parametrize("kind", KINDS)
def test_class_with_zero_total_weight_without_intercept(kind):
    """Without intercept the problem stays well posed (lam > 0): a normal, finite fit."""
    X, y, s = make_problem(kind, n=60)
    s = np.where(y == 1, 0.0, s)
    res = fit(X, y, 1.0, kind, sample_weight=s, tol=1e-10, fit_intercept=False)
    assert_finite(res)
    assert res.converged
    assert len(res.classes) == (2 if kind == "binary" else 3)


# ---------------------------------------------------------------------------
# labels of any type
# ---------------------------------------------------------------------------


BINARY_LABELS = {
    "int": [-1, 1],
    "big-int": [7, 1_000_000_007],
    "uint8": np.array([3, 250], dtype=np.uint8),
    "float": [1.0, -3.0],  # integral: non-integral floats are refused (issue 10)
    "bool": [True, False],
    "str": ["spam", "ham"],
    "mixed-width-str": ["b", "aaaa"],
    "object-str": np.array(["yes", "no"], dtype=object),
    "object-int": np.array([10, 2], dtype=object),
}
MULTI_LABELS = {
    "int": [10, -5, 3],
    "float": [2.0, 0.0, 1.0],
    "str": ["cat", "dog", "ant"],
    "mixed-width-str": ["bb", "a", "ccc"],
    "object-str": np.array(["z", "x", "yy"], dtype=object),
    "object-int": np.array([7, 1, 3], dtype=object),
}


def _labelled(kind, name):
    """The problem's codes 0..K-1 mapped to the named labels (not in sorted order)."""
    X, codes, s = make_problem(kind, n=60, seed=3)
    table = (BINARY_LABELS if kind == "binary" else MULTI_LABELS)[name]
    return X, np.asarray(table)[codes], codes, s


@pytest.mark.parametrize(
    ("kind", "name"),
    [("binary", n) for n in BINARY_LABELS]
    + [(k, n) for k in ("multinomial", "ovr") for n in MULTI_LABELS],
)
def test_labels_map_as_in_sklearn(kind, name):
    X, y, _, s = _labelled(kind, name)
    res = fit(X, y, 1.0, kind, sample_weight=s, tol=1e-12)
    classes = LabelEncoder().fit(y).classes_  # scikit-learn's label mapping
    assert list(res.classes) == list(classes)
    if name not in ("float", "object-int"):  # LogisticRegression rejects these label types
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # only classes_ is used
            sk = LogisticRegression(C=1.0, max_iter=5).fit(X, y)
        assert list(res.classes) == list(sk.classes_)
    # The same fit as with the integer codes of the sorted classes.
    codes = np.array([list(classes).index(v) for v in y])
    ref = fit(X, codes, 1.0, kind, sample_weight=s, tol=1e-12)
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(res.intercept, ref.intercept, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("container", ["list", "series", "categorical", "column"])
def test_label_containers(kind, container):
    """Lists, pandas Series / Categorical and (n, 1) columns of string labels."""
    X, y, _, s = _labelled(kind, "str")
    if container == "list":
        y_in = list(y)
    elif container == "series":
        y_in = pd.Series(y, index=np.arange(len(y))[::-1])  # the index is irrelevant
    elif container == "categorical":
        y_in = pd.Categorical(y)
    else:
        y_in = y[:, None]
    res = fit(X, y_in, 1.0, kind, sample_weight=s, tol=1e-12)
    ref = fit(X, y, 1.0, kind, sample_weight=s, tol=1e-12)
    np.testing.assert_array_equal(res.classes, ref.classes)
    np.testing.assert_array_equal(res.coef, ref.coef)


def test_binary_positive_class_is_the_larger_label():
    """``y = +1`` for ``classes[1]``: relabelling the classes flips the sign of the fit."""
    X, y, _, s = _labelled("binary", "str")  # "ham" < "spam"
    a = fit(X, y, 1.0, "binary", sample_weight=s)
    swapped = np.where(y == "spam", "ham", "spam")
    b = fit(X, swapped, 1.0, "binary", sample_weight=s)
    assert a.converged and b.converged
    assert rel_err(a.coef, -b.coef) <= RTOL
    assert a.intercept == pytest.approx(-b.intercept, rel=RTOL)
    sk = LogisticRegression(C=1.0, tol=1e-14, solver="newton-cholesky").fit(X, y, sample_weight=s)
    np.testing.assert_allclose(a.coef, sk.coef_[0], rtol=1e-6)


def test_multi_class_is_ignored_for_two_classes():
    X, y, s = make_problem("binary", seed=4)
    fits = [
        fastridge.logistic(X, y, 1.0, sample_weight=s, tol=1e-12, multi_class=mc)
        for mc in ("auto", "multinomial", "ovr")
    ]
    for other in fits[1:]:
        assert other.coef.shape == (X.shape[1],)
        np.testing.assert_array_equal(other.coef, fits[0].coef)
        assert other.intercept == fits[0].intercept


# ---------------------------------------------------------------------------
# separable data and extreme lam
# ---------------------------------------------------------------------------


def _separable(kind, n=40, p=3, seed=0):
    """Labels given by the sign / argmax of a noiseless linear model: separable."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    k = 2 if kind == "binary" else 3
    W = rng.standard_normal((k, p)) * 3
    return X, np.argmax(X @ W.T, axis=1)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_separable_tiny_lam_stops_at_max_iter_with_warning(kind, fmt):
    X, y = _separable(kind)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        res = fit(as_format(X, fmt), y, 1e-12, kind, tol=1e-12, max_iter=8)
    assert not res.converged
    assert res.n_iter == 8
    assert_finite(res)
    # The coefficients did grow: the fit is not stuck at the start.
    assert np.linalg.norm(res.coef) > 1.0


@pytest.mark.parametrize(
    "kind", ["binary", pytest.param("multinomial", marks=pytest.mark.slow), "ovr"]
)
def test_separable_default_max_iter_ends(kind):
    """``lam = 1e-30`` on separable data, default ``max_iter``: the fit ends with finite
    numbers, and unless the certificate really is below ``tol`` (the loss can underflow
    to 0, which makes the binary fit legitimately converge), with a ConvergenceWarning
    after at most the default 100 iterations.  (The multinomial case takes a few seconds:
    every line-search trial re-profiles the intercepts, and most steps backtrack far.)"""
    X, y = _separable(kind, seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit(sp.csr_matrix(X), y, 1e-30, kind, tol=1e-14)
    assert_finite(res)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert warned != res.converged
    if res.converged:
        assert np.all(np.asarray(res.certificate) <= 1e-14 * np.asarray(res.p_null))
    else:
        # At the default max_iter, or earlier when no descent direction is left
        # at rounding level (the warning then gives the iteration count).
        assert 1 <= res.n_iter <= 100


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_huge_lam_gives_the_null_model(kind, fmt, weighted):
    X, y, s = make_problem(kind, n=80, seed=2)
    s = s if weighted else np.ones(len(y))
    res = fit(as_format(X, fmt), y, 1e12, kind, sample_weight=s if weighted else None, tol=1e-10)
    assert res.converged
    assert np.abs(res.coef).max() < 1e-9
    S = np.array([s[y == k].sum() for k in range(len(res.classes))])
    if kind == "binary":
        expected = np.log(S[1] / S[0])
        p_null = -(S @ np.log(S / S.sum()))
    elif kind == "multinomial":
        expected = np.log(S) - np.log(S).mean()
        p_null = -(S @ np.log(S / S.sum()))
    else:
        rest = S.sum() - S
        expected = np.log(S / rest)
        p_null = -(S * np.log(S / S.sum()) + rest * np.log(rest / S.sum()))
    np.testing.assert_allclose(res.intercept, expected, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.p_null, p_null, rtol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_huge_lam_without_intercept_gives_zero(kind):
    X, y, s = make_problem(kind, n=80, seed=2)
    res = fit(X, y, 1e12, kind, sample_weight=s, tol=1e-10, fit_intercept=False)
    assert res.converged
    assert np.abs(res.coef).max() < 1e-9
    assert np.all(np.asarray(res.intercept) == 0.0)
    # p_null is the objective at w = 0, b = 0: sum_i s_i log 2 (binary, ovr), log K (softmax).
    k = len(res.classes)
    expected = s.sum() * np.log(2.0 if kind != "multinomial" else k)
    np.testing.assert_allclose(res.p_null, expected, rtol=1e-12)


# ---------------------------------------------------------------------------
# invariances
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_integer_weights_equal_replicated_rows(kind, fmt, fit_intercept):
    X, y, _ = make_problem(kind, seed=5)
    counts = np.random.default_rng(5).integers(0, 4, size=len(y))  # 0..3 copies
    idx = np.repeat(np.arange(len(y)), counts)
    kw = dict(fit_intercept=fit_intercept)
    a = fit(as_format(X, fmt), y, 0.5, kind, sample_weight=counts.astype(float), **kw)
    b = fit(as_format(X[idx], fmt), y[idx], 0.5, kind, **kw)
    assert_same_fit(a, b)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_zero_weight_rows_are_ignored(kind, fmt):
    """Rows of weight 0 carrying wild values change nothing: same as removing them."""
    X, y, s = make_problem(kind, seed=6)
    n = len(y)
    drop = np.array([0, 11, 40, n - 1])
    s = s.copy()
    s[drop] = 0.0
    X = X.copy()
    X[drop] = 1e3 * np.sign(np.random.default_rng(0).standard_normal((len(drop), X.shape[1])))
    y = y.copy()
    y[drop] = y[drop][::-1]
    keep = np.setdiff1d(np.arange(n), drop)
    a = fit(as_format(X, fmt), y, 0.5, kind, sample_weight=s)
    b = fit(as_format(X[keep], fmt), y[keep], 0.5, kind, sample_weight=s[keep])
    assert_same_fit(a, b)
    np.testing.assert_allclose(a.p_null, b.p_null, rtol=1e-12)


@pytest.mark.parametrize("weighted", [True, False], ids=["weighted", "unweighted"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_row_order(kind, fmt, fit_intercept, weighted):
    X, y, s = make_problem(kind, seed=8)
    perm = np.random.default_rng(8).permutation(len(y))
    sw = s if weighted else None
    kw = dict(fit_intercept=fit_intercept)
    a = fit(as_format(X, fmt), y, 0.5, kind, sample_weight=sw, **kw)
    b = fit(
        as_format(X[perm], fmt),
        y[perm],
        0.5,
        kind,
        sample_weight=None if sw is None else sw[perm],
        **kw,
    )
    assert_same_fit(a, b)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("kind", KINDS)
def test_dense_equals_csr_equals_csc(kind, fit_intercept, dtype):
    X, y, s = make_problem(kind, seed=9)
    kw = dict(sample_weight=s, fit_intercept=fit_intercept)
    fits = {fmt: fit(as_format(X, fmt, dtype), y, 0.5, kind, **kw) for fmt in FORMATS}
    assert_same_fit(fits["csr"], fits["dense"])
    assert_same_fit(fits["csc"], fits["dense"])


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_float32_close_to_float64(kind, fmt, fit_intercept):
    X, y, s = make_problem(kind, seed=10)
    kw = dict(sample_weight=s, fit_intercept=fit_intercept)
    a = fit(as_format(X, fmt, np.float32), y, 0.5, kind, **kw)
    b = fit(as_format(X, fmt), y, 0.5, kind, **kw)
    assert a.converged and b.converged
    assert_same_fit(a, b, rtol=1e-5, certified=False)  # two different problems
    assert rel_err(a.coef, b.coef) > 0  # the float32 data really was used
    # The float32 fit is the float64 fit of the rounded data (accumulation in float64).
    c = fit(as_format(X.astype(np.float32).astype(np.float64), fmt), y, 0.5, kind, **kw)
    assert_same_fit(a, c, rtol=1e-7)


@pytest.mark.parametrize("kind", KINDS)
def test_scaling_weights_equals_scaling_lam(kind):
    """``P(w, b; c s, c lam) = c P(w, b; s, lam)``; a scalar weight ``c`` equals ``lam / c``."""
    X, y, s = make_problem(kind, seed=11)
    Xs = sp.csr_matrix(X)
    a = fit(Xs, y, 0.5, kind, sample_weight=s)
    b = fit(Xs, y, 4.0, kind, sample_weight=8.0 * s)
    assert_same_fit(a, b)
    np.testing.assert_allclose(b.p_null, 8.0 * np.asarray(a.p_null), rtol=1e-12)
    c = fit(Xs, y, 0.5, kind, sample_weight=2.5)
    d = fit(Xs, y, 0.2, kind)
    assert_same_fit(c, d)


@pytest.mark.parametrize("kind", ["multinomial", "ovr"])
def test_class_order_of_the_labels_is_irrelevant(kind):
    """Renaming the classes permutes the models (rows of coef, intercepts)."""
    X, y, s = make_problem(kind, seed=12)
    perm = np.array([2, 0, 1])  # class k is renamed perm[k]
    a = fit(X, y, 0.5, kind, sample_weight=s)
    b = fit(X, perm[y], 0.5, kind, sample_weight=s)
    assert rel_err(b.coef[perm], a.coef) <= RTOL
    np.testing.assert_allclose(b.intercept[perm], a.intercept, rtol=RTOL, atol=RTOL)


def test_multinomial_intercepts_sum_to_zero():
    X, y, s = make_problem("multinomial", seed=13)
    y = np.where(y == 0, 1, y)  # unbalanced, one class rare
    y[:3] = 0
    for fmt in FORMATS:
        res = fit(as_format(X, fmt), y, 0.5, "multinomial", sample_weight=s)
        assert abs(res.intercept.sum()) <= 1e-12 * np.abs(res.intercept).sum()


# ---------------------------------------------------------------------------
# the certificate never under-estimates the suboptimality
# ---------------------------------------------------------------------------

CERT_CASES = {
    # name: (kind, n, p, lam)
    "binary-narrow": ("binary", 150, 10, 0.1),
    "binary-wide": ("binary", 100, 150, 0.5),  # p > 128: truncated Newton-CG steps
    "multinomial-narrow": ("multinomial", 150, 10, 0.1),
    "multinomial-wide": ("multinomial", 100, 150, 0.5),
    "ovr-narrow": ("ovr", 150, 10, 0.1),
}


@pytest.fixture(scope="module", params=list(CERT_CASES))
def cert_case(request):
    """A small problem and its optimum (the lower of two tight references).

    ``X`` holds float32-representable values, so float32 and float64 storage pose
    exactly the same problem and share the reference.
    """
    kind, n, p, lam = CERT_CASES[request.param]
    X, y, s = make_problem(kind, n=n, p=p, seed=14)
    X = X.astype(np.float32).astype(np.float64)
    out = {}
    for fit_intercept in (True, False):
        ref = fit(sp.csr_matrix(X), y, lam, kind, sample_weight=s, fit_intercept=fit_intercept)
        p_fr = objectives(kind, X, y, s, lam, ref.coef, ref.intercept)
        p_sk = sklearn_optimum(kind, X, y, s, lam, fit_intercept)
        np.testing.assert_allclose(p_fr, p_sk, rtol=1e-12)
        out[fit_intercept] = np.minimum(p_fr, p_sk)
    return kind, X, y, s, lam, out


def _assert_certificate_bounds(res, kind, X, y, s, lam, p_star):
    subopt = objectives(kind, X, y, s, lam, res.coef, res.intercept) - p_star
    cert = np.atleast_1d(res.certificate)
    assert np.all(cert >= subopt - 1e-13 * p_star), (cert, subopt)
    return cert, subopt


STORAGE = [("csr", np.float64), ("csc", np.float64), ("csc", np.float32), ("dense", np.float32)]


@pytest.mark.parametrize(("fmt", "dtype"), STORAGE, ids=[f"{f}-{d.__name__}" for f, d in STORAGE])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12])
def test_certificate_never_below_suboptimality(cert_case, tol, fit_intercept, fmt, dtype):
    kind, X, y, s, lam, p_star = cert_case
    Xf = as_format(X, fmt, dtype)
    res = fit(Xf, y, lam, kind, tol=tol, sample_weight=s, fit_intercept=fit_intercept)
    assert res.converged
    assert np.all(np.atleast_1d(res.certificate) <= tol * np.atleast_1d(res.p_null))
    _assert_certificate_bounds(res, kind, X, y, s, lam, p_star[fit_intercept])


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("max_iter", [0, 1, 2, 3])
def test_certificate_honest_after_few_iterations(cert_case, max_iter, fit_intercept):
    """Stopped early (a ConvergenceWarning), the reported certificate still bounds the gap."""
    kind, X, y, s, lam, p_star = cert_case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = fit(
            sp.csr_matrix(X),
            y,
            lam,
            kind,
            tol=1e-16,
            max_iter=max_iter,
            sample_weight=s,
            fit_intercept=fit_intercept,
        )
    assert res.n_iter <= max_iter
    _, subopt = _assert_certificate_bounds(res, kind, X, y, s, lam, p_star[fit_intercept])
    if max_iter == 0:
        assert np.all(res.coef == 0.0)
        assert np.all(subopt > 0)  # w = 0 is not optimal here: the check is not vacuous


# ---------------------------------------------------------------------------
# warm starts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_warm_start_same_answer_fewer_iterations(kind, fmt):
    X, y, s = make_problem(kind, n=120, p=8, seed=15)
    Xf = as_format(X, fmt)
    cold = fit(Xf, y, 0.5, kind, sample_weight=s)
    near = fit(Xf, y, 0.6, kind, sample_weight=s, tol=1e-10)  # a neighbouring lam
    init = np.array(near.coef)
    init.setflags(write=False)  # inputs are read-only: the solver must copy
    warm = fit(Xf, y, 0.5, kind, sample_weight=s, coef_init=init)
    assert_same_fit(warm, cold)
    assert warm.n_iter < cold.n_iter
    np.testing.assert_array_equal(init, near.coef)
    # Started at the answer: nothing left to do.
    again = fit(Xf, y, 0.5, kind, sample_weight=s, coef_init=cold.coef, tol=1e-12)
    assert again.n_iter == 0 and again.converged
    np.testing.assert_array_equal(again.coef, cold.coef)


@pytest.mark.parametrize("kind", ["multinomial", "ovr"])
def test_warm_start_shape_for_multiclass(kind):
    X, y, _ = make_problem(kind, seed=16)
    with pytest.raises(ValueError, match="coef_init"):
        fit(X, y, 0.5, kind, coef_init=np.zeros(X.shape[1]))
    with pytest.raises(ValueError, match="coef_init"):
        fit(X, y, 0.5, kind, coef_init=np.zeros((X.shape[1], 3)))


@pytest.mark.parametrize(
    "y",
    [
        np.array([1, 0, 0, 1, 1]),
        np.array([True, False, True]),
        np.array([1.0, -1.0, -1.0]),
        np.array([7, 7, 3, 7], dtype=np.uint8),
        np.array([5, 2, 9, 2]),  # three values: the sorting path
        np.array(["b", "a", "b"]),  # not numeric: the sorting path
        np.array([2.0, 2.0, 2.0]),  # one value: refused below
    ],
)
def test_label_encoding_matches_numpy_unique(y):
    """The O(n) path for two numeric labels gives np.unique's classes and codes."""
    from fastridge._fit.logistic_setup import _encode_labels

    classes_np, codes_np = np.unique(y, return_inverse=True)
    if len(classes_np) < 2:
        with pytest.raises(ValueError, match="single class"):
            _encode_labels(y, len(y))
        return
    classes, codes = _encode_labels(y, len(y))
    assert classes.dtype == classes_np.dtype
    np.testing.assert_array_equal(classes, classes_np)
    np.testing.assert_array_equal(codes, codes_np.reshape(-1))
    assert codes.dtype == np.intp
