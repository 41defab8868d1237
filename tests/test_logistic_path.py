"""``fastridge.logistic_path``: every point against an independent certified fit, the
default grid (formula, 1% bound, scale equivariance), warm starts, shapes, bad inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning

import fastridge
from fastridge._paths.grid import NULL_FRACTION
from tests._reference import as_format
from tests._reference import binary_logistic_objective as binary_objective

FORMATS = ["dense", "csr", "csc"]
TOL = 1e-13  # tight: the objective comparisons below are at ~1e-10 relative


def _problem(n=120, p=15, n_classes=2, seed=0):
    """Sparse-ish Gaussian design, labels from a noisy linear model, weights in [0.2, 2]."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.4)
    W = rng.standard_normal((n_classes, p))
    y = (X @ W.T + 0.3 + rng.gumbel(size=(n, n_classes))).argmax(axis=1)
    s = rng.uniform(0.2, 2.0, n)
    return X, y, s


def multinomial_objective(X, codes, s, lam, W, b) -> float:
    """``sum_i s_i (logsumexp(m_i) - m_{i, y_i}) + lam/2 ||W||_F^2`` in float64."""
    M = X @ W.T + b
    return float(s @ (logsumexp(M, axis=1) - M[np.arange(len(codes)), codes])) + 0.5 * lam * float(
        np.sum(W * W)
    )


def _objectives(kind, X, y, s, lam, coef, intercept) -> np.ndarray:
    """P per problem (one for binary / multinomial, K for one-vs-rest)."""
    if kind == "binary":
        return np.array(
            [binary_objective(X, np.where(y == 1, 1.0, -1.0), s, lam, coef, intercept)]
        )
    if kind == "multinomial":
        return np.array([multinomial_objective(X, y, s, lam, coef, intercept)])
    return np.array(
        [
            binary_objective(X, np.where(y == k, 1.0, -1.0), s, lam, coef[k], intercept[k])
            for k in range(coef.shape[0])
        ]
    )


def _check_path_against_fits(path, X, y, s_eff, fit_kwargs, kind):
    """Each point: certified; its objective within the two certificates of an
    independent cold-started :func:`fastridge.logistic` fit at the same lam; its
    coefficients within the distance the certificates allow.

    ``F`` (intercepts profiled out) is lam-strongly convex, so a certificate
    ``c >= F(w) - F*`` gives ``||w - w*|| <= sqrt(2 c / lam)``: two certified
    points are at most the sum of those radii apart (per class for ovr).
    """
    assert path.converged
    X64 = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)
    for j, lam in enumerate(path.lams):
        cert = np.atleast_1d(path.certificate[j])
        assert np.all(cert <= path.tol * np.atleast_1d(path.p_null))
        ind = fastridge.logistic(X, y, lam, **fit_kwargs)
        assert ind.converged
        cert_ind = np.atleast_1d(ind.certificate)
        p_path = _objectives(kind, X64, y, s_eff, lam, path.coef[j], path.intercept[j])
        p_ind = _objectives(kind, X64, y, s_eff, lam, ind.coef, ind.intercept)
        rounding = 1e-12 * p_ind  # the objectives are sums of n terms
        assert np.all(np.abs(p_path - p_ind) <= cert + cert_ind + rounding)
        radius = np.sqrt(2 * cert / lam) + np.sqrt(2 * cert_ind / lam)
        dist = np.linalg.norm(np.atleast_2d(path.coef[j] - ind.coef), axis=1)
        if kind == "multinomial":
            dist = np.linalg.norm(path.coef[j] - ind.coef)
        scale = np.linalg.norm(ind.coef)
        assert np.all(dist <= radius + 1e-12 * scale)
        # ... which at tol=1e-13 is also a small relative distance
        assert np.all(dist <= 1e-5 * scale)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_binary_path_points_match_independent_fits(fmt, dtype, fit_intercept, weighted):
    X, y, s = _problem(seed=1)
    sw = s if weighted else None
    s_eff = s if weighted else np.ones(len(y))
    Xf = as_format(X, fmt, dtype)
    kw = dict(fit_intercept=fit_intercept, sample_weight=sw, tol=TOL)
    path = fastridge.logistic_path(Xf, y, n_lams=6, lam_min_ratio=1e-3, **kw)
    assert path.coef.shape == (6, 15) and path.intercept.shape == (6,)
    assert path.certificate.shape == (6,) and path.n_iter.shape == (6,)
    assert np.all(np.diff(path.lams) < 0)
    # The float32 data are the same numbers as X in float64.
    X_exact = np.asarray(Xf.toarray() if fmt != "dense" else Xf, dtype=np.float64)
    _check_path_against_fits(path, Xf, y, s_eff, kw, "binary")
    # The objective check above used X in the input dtype; the same data in float64:
    for j in (0, 5):
        lam = path.lams[j]
        ref = fastridge.logistic(X_exact, y, lam, **kw)
        p_ref = binary_objective(
            X_exact, np.where(y == 1, 1.0, -1.0), s_eff, lam, ref.coef, ref.intercept
        )
        p_path = binary_objective(
            X_exact, np.where(y == 1, 1.0, -1.0), s_eff, lam, path.coef[j], path.intercept[j]
        )
        assert abs(p_path - p_ref) <= path.certificate[j] + ref.certificate + 1e-9 * p_ref


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("multi_class", ["multinomial", "ovr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_multiclass_path_points_match_independent_fits(fmt, multi_class, fit_intercept):
    X, y, s = _problem(n=150, p=10, n_classes=3, seed=2)
    kw = dict(fit_intercept=fit_intercept, sample_weight=s, tol=TOL, multi_class=multi_class)
    path = fastridge.logistic_path(as_format(X, fmt), y, n_lams=5, lam_min_ratio=1e-3, **kw)
    assert path.coef.shape == (5, 3, 10) and path.intercept.shape == (5, 3)
    if multi_class == "ovr":
        assert path.certificate.shape == (5, 3) and np.shape(path.p_null) == (3,)
    else:
        assert path.certificate.shape == (5,) and np.ndim(path.p_null) == 0
    np.testing.assert_array_equal(path.classes, [0, 1, 2])
    _check_path_against_fits(path, as_format(X, fmt), y, s, kw, multi_class)


def test_user_grid_is_sorted_decreasing_and_labels_kept():
    X, y, _ = _problem(seed=3)
    labels = np.where(y == 1, "spam", "ham")
    path = fastridge.logistic_path(X, labels, [0.1, 10.0, 1.0], tol=1e-12)
    np.testing.assert_array_equal(path.lams, [10.0, 1.0, 0.1])
    np.testing.assert_array_equal(path.classes, ["ham", "spam"])
    one = fastridge.logistic(X, labels, 1.0, tol=1e-12)
    radius = np.sqrt(2 * path.certificate[1]) + np.sqrt(2 * one.certificate)  # lam = 1
    assert np.linalg.norm(path.coef[1] - one.coef) <= radius
    assert path.p_null == pytest.approx(one.p_null, rel=1e-14)


def test_warm_starts_save_iterations():
    """The path's Newton iterations are fewer than cold fits at the same lams."""
    X, y, s = _problem(n=400, p=30, seed=4)
    path = fastridge.logistic_path(X, y, n_lams=10, lam_min_ratio=1e-3, sample_weight=s)
    cold = [fastridge.logistic(X, y, lam, sample_weight=s).n_iter for lam in path.lams]
    assert path.n_iter.sum() < sum(cold)


# ---------------------------------------------------------------------------
# the default grid
# ---------------------------------------------------------------------------


def _expected_lam_max(X, y, s, fit_intercept, kind):
    """``||grad F(0)||^2 / (2 * 0.01 * P_null)``, computed here with dense numpy."""
    k = int(y.max()) + 1
    Y = np.eye(k)[y]
    if fit_intercept:
        freq = (s @ Y) / s.sum()
    else:
        freq = np.full(k, 1.0 / k if kind == "multinomial" else 0.5)
    if kind == "binary":
        g = X.T @ (s * (freq[1] - Y[:, 1]))
        p_null = -(s @ np.log(np.where(y == 1, freq[1], 1 - freq[1])))
        return g @ g / (2 * NULL_FRACTION * p_null)
    if kind == "multinomial":
        G = X.T @ (s[:, None] * (freq - Y))
        p_null = -(s @ np.log(freq[y]))
        return np.sum(G * G) / (2 * NULL_FRACTION * p_null)
    out = []
    for c in range(k):
        q = freq[c]
        g = X.T @ (s * (q - Y[:, c]))
        p_null = -(s @ np.log(np.where(y == c, q, 1 - q)))
        out.append(g @ g / (2 * NULL_FRACTION * p_null))
    return max(out)


@pytest.mark.parametrize(("n_classes", "kind"), [(2, "binary"), (3, "multinomial"), (3, "ovr")])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_default_grid_formula_and_one_percent_bound(n_classes, kind, fit_intercept, fmt):
    X, y, s = _problem(n=200, p=12, n_classes=n_classes, seed=5)
    extra = {} if kind == "binary" else {"multi_class": kind}
    kw = dict(fit_intercept=fit_intercept, sample_weight=s, tol=1e-12, **extra)
    path = fastridge.logistic_path(as_format(X, fmt), y, n_lams=7, **kw)
    lam_max = _expected_lam_max(X, y, s, fit_intercept, kind)
    assert path.lams[0] == pytest.approx(lam_max, rel=1e-12)
    np.testing.assert_allclose(path.lams, np.geomspace(lam_max, lam_max * 1e-4, 7), rtol=1e-12)
    assert np.all(np.diff(path.lams) < 0)
    # At lam_max the fit recovers at most 1% of P_null (per class for ovr).
    p_lam_max = _objectives(kind, X, y, s, path.lams[0], path.coef[0], path.intercept[0])
    p_null = np.atleast_1d(path.p_null)
    gain = (p_null - p_lam_max) / p_null
    assert np.all(gain <= NULL_FRACTION) and np.all(gain > 0)


@pytest.mark.parametrize("multi_class", ["multinomial", "ovr"])
def test_default_grid_scale_equivariance(multi_class):
    X, y, s = _problem(n=150, p=10, n_classes=3, seed=6)
    c = 3.7
    kw = dict(sample_weight=s, tol=1e-13, n_lams=5, multi_class=multi_class)
    a = fastridge.logistic_path(X, y, **kw)
    b = fastridge.logistic_path(c * X, y, **kw)
    np.testing.assert_allclose(b.lams, a.lams * c**2, rtol=1e-12)
    # w(cX, c^2 lam) = w(X, lam) / c, up to the certified radii sqrt(2 cert / lam)
    # (b's coefficients are scaled by c, so is its radius)
    for j in range(5):
        ra = np.sqrt(2 * np.atleast_1d(a.certificate[j]) / a.lams[j])
        rb = np.sqrt(2 * np.atleast_1d(b.certificate[j]) / b.lams[j])
        dist = np.linalg.norm(np.atleast_2d(b.coef[j] * c - a.coef[j]), axis=-1)
        if multi_class == "multinomial":
            dist = np.linalg.norm(b.coef[j] * c - a.coef[j])
        assert np.all(dist <= ra + c * rb + 1e-12)


def test_default_grid_scale_equivariance_binary_sparse():
    X, y, _ = _problem(seed=7)
    a = fastridge.logistic_path(as_format(X, "csr"), y, n_lams=4)
    b = fastridge.logistic_path(as_format(0.01 * X, "csr"), y, n_lams=4)
    np.testing.assert_allclose(b.lams, a.lams * 1e-4, rtol=1e-12)


def test_default_lam_min_ratio_follows_shape():
    X, y, _ = _problem(n=60, p=10, seed=8)
    tall = fastridge.logistic_path(X, y, n_lams=3)
    assert tall.lams[-1] / tall.lams[0] == pytest.approx(1e-4, rel=1e-12)
    wide = fastridge.logistic_path(np.hstack([X] * 7), y, n_lams=3)  # p = 70 > n = 60
    assert wide.lams[-1] / wide.lams[0] == pytest.approx(1e-2, rel=1e-12)


def test_null_model_optimal_falls_back_to_a_positive_grid():
    """grad F(0) = 0 (X orthogonal to the labels): lam_max is still positive and finite."""
    X = np.array([[1.0], [1.0], [1.0], [1.0]])
    y = np.array([0, 1, 0, 1])
    path = fastridge.logistic_path(X, y, n_lams=3, fit_intercept=True)
    assert np.all(np.isfinite(path.lams)) and np.all(path.lams > 0)
    assert np.allclose(path.coef, 0.0, atol=1e-12)


# ---------------------------------------------------------------------------
# inputs and warnings
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(lams=[]), "empty"),
        (dict(lams=[1.0, -1.0]), "positive"),
        (dict(lams=[0.0]), "positive"),
        (dict(lams=[np.nan]), "positive"),
        (dict(n_lams=0), "n_lams"),
        (dict(n_lams=2.5), "n_lams"),
        (dict(n_lams=True), "n_lams"),
        (dict(lam_min_ratio=0.0), "lam_min_ratio"),
        (dict(lam_min_ratio=1.0), "lam_min_ratio"),
        (dict(solver="sag"), "unknown solver"),
        (dict(multi_class="x"), "unknown multi_class"),
    ],
)
def test_bad_inputs(kwargs, match):
    X, y, _ = _problem(n=30, p=4, seed=9)
    with pytest.raises(ValueError, match=match):
        fastridge.logistic_path(X, y, **kwargs)


def test_non_convergence_warns_once_and_reports():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])  # separable: tiny lam needs huge coefficients
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        path = fastridge.logistic_path(X, y, [1.0, 1e-12], tol=1e-10, max_iter=20)
    conv = [w for w in rec if issubclass(w.category, ConvergenceWarning)]
    assert len(conv) == 1 and "1 of 2 lams" in str(conv[0].message)
    assert not path.converged and np.isfinite(path.coef).all()
    assert path.seconds > 0 and path.n_passes > 0


def test_non_convergence_warning_tells_max_iter_from_rounding():
    """The warning says "within max_iter" (and blames separability) only when the
    lams that missed tol used all their iterations; lams stopped earlier by rounding
    (tol below what float64 certifies) are told so, with the advice to raise tol."""
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])
    with pytest.warns(ConvergenceWarning) as rec:
        path = fastridge.logistic_path(X, y, [1.0, 1e-12], tol=1e-10, max_iter=20)
    msg = str(rec[-1].message)
    assert path.n_iter[-1] == 20
    assert "within max_iter=20" in msg and "separable" in msg

    X, y, _ = _problem(n=200, p=5, seed=3)
    with pytest.warns(ConvergenceWarning) as rec:
        path = fastridge.logistic_path(X, y, [1.0, 0.1], tol=1e-30, max_iter=50)
    msg = str(rec[-1].message)
    assert (np.asarray(path.n_iter) < 50).all()  # stopped by rounding, not the cap
    assert "2 of 2 lams" in msg and "(0 of them at max_iter=50)" in msg
    assert "raise tol" in msg and "separable" not in msg
