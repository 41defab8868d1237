"""``fastridge.logistic`` against scikit-learn on real data (``../shared/data``).

Each test fits fastridge at ``tol=1e-12`` and scikit-learn's
``LogisticRegression(C=1/lam)`` at ``tol=1e-12`` (``newton-cholesky`` for narrow
data, ``newton-cg`` for wide TF-IDF data: its exact-gradient stopping rule reaches
the tolerance in a few iterations where ``lbfgs`` crawls), then evaluates both
objectives here, in float64, from the returned coefficients (docs/architecture.md section 1):

* binary: ``sum_i s_i log(1 + exp(-y_i (x_i . w + b))) + lam/2 ||w||^2``;
* multinomial: ``sum_i s_i (logsumexp(W x_i + b) - (W x_i + b)_{y_i}) + lam/2 ||W||_F^2``;
* one-vs-rest: the binary objective of each class against the rest.

and checks

1. agreement: ``|P_fr - P_sk| <= 1e-9 P_sk``;
2. fastridge is not worse: ``P_fr <= (1 + 1e-9) P_sk``;
3. the certificate is honest: ``cert >= P_fr - min(P_fr, P_sk)`` (``min`` is an
   upper bound of ``P*``), up to the rounding of the objective evaluation itself
   (``_ROUNDING`` relative, far below the 1e-9 of check 1);
4. the coefficients are as close as the two objective values allow: ``F`` (the
   objective with the intercepts profiled out) is ``lam``-strongly convex, so
   ``||w - w*|| <= sqrt(2 (P(w, b) - P*) / lam)`` for both fits, with
   ``P_fr - P* <= cert`` and ``P_sk - P* <= P_sk - P_fr + cert``.

Budget: the file must run in well under a minute on a 2-core CI machine, so the
wide multiclass problem (news20, 61,188 TF-IDF columns) is subsampled: 2,000 of
the 11,269 training documents (seeded), all 20 classes, ``C = 1`` for the
multinomial fit and for one-vs-rest (all 20 classes, each against the rest, one
scikit-learn fit per class).  Columns that are empty in the subsample
are kept (fastridge must give them zero weight).  The tests over 1 s are marked
``slow`` (a few seconds each; the whole file takes about 20 s): they are meant to
run in CI too, ``-m "not slow"`` is only for quick local runs.  A test skips only
when the data folder is absent.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression

import fastridge
from fastridge._solvers.logistic import newton as _logistic_newton

# Relative size of the rounding error of one float64 objective evaluation here
# (sums of ~1e4-1e5 terms): below it the comparison of two objective values is noise.
_ROUNDING = 1e-13
# Agreement required between fastridge's and scikit-learn's objectives.
_AGREE = 1e-9
TOL = 1e-12


def _data_dir() -> Path:
    env = os.environ.get("FASTRIDGE_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def _require(*names: str) -> list[Path]:
    paths = [_data_dir() / name for name in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        pytest.skip(
            f"real data not found: {', '.join(missing)} absent (set FASTRIDGE_DATA to the "
            "folder holding the shared data sets, see ../shared/data/README.md)"
        )
    return paths


def _svmlight(name: str, n_features: int):
    from sklearn.datasets import load_svmlight_file

    (path,) = _require(name)
    X, y = load_svmlight_file(str(path), n_features=n_features)
    return X.tocsr(), y


# ---------------------------------------------------------------------------
# objectives (float64, from the returned coefficients) and the four checks
# ---------------------------------------------------------------------------


def binary_objective(X, y_pm, s, lam, w, b) -> float:
    m = X @ np.asarray(w, dtype=np.float64) + b
    return float(s @ np.logaddexp(0.0, -y_pm * m) + 0.5 * lam * (w @ w))


def multinomial_objective(X, codes, s, lam, W, b) -> float:
    M = np.asarray(X @ np.asarray(W, dtype=np.float64).T) + b
    loss = logsumexp(M, axis=1) - M[np.arange(M.shape[0]), codes]
    return float(s @ loss + 0.5 * lam * np.vdot(W, W))


def check_agreement(p_fr, p_sk, cert, lam, coef_fr, coef_sk):
    """The four checks of the module docstring for one problem."""
    scale = max(p_fr, p_sk)
    assert abs(p_fr - p_sk) <= _AGREE * p_sk, (p_fr, p_sk, (p_fr - p_sk) / p_sk)
    assert p_fr <= (1 + _AGREE) * p_sk, (p_fr, p_sk)
    assert cert >= 0.0
    assert cert >= p_fr - min(p_fr, p_sk) - _ROUNDING * scale, (cert, p_fr, p_sk)
    slack = _ROUNDING * scale
    gap_fr = cert + slack
    gap_sk = max(p_sk - p_fr, 0.0) + cert + slack
    bound = np.sqrt(2 * gap_fr / lam) + np.sqrt(2 * gap_sk / lam)
    assert np.linalg.norm(np.asarray(coef_fr) - coef_sk) <= bound


def sklearn_fit(X, y, lam, solver, *, sample_weight=None, fit_intercept=True):
    sk = LogisticRegression(
        C=1.0 / lam, tol=TOL, max_iter=1000, solver=solver, fit_intercept=fit_intercept
    )
    return sk.fit(X, y, sample_weight=sample_weight)


def compare_binary(X, y, lam, solver, *, sample_weight=None, fit_intercept=True, X_fr=None):
    """Fit both on a binary problem and run the checks; returns the fastridge result."""
    res = fastridge.logistic(
        X if X_fr is None else X_fr,
        y,
        lam,
        tol=TOL,
        sample_weight=sample_weight,
        fit_intercept=fit_intercept,
    )
    assert res.converged
    sk = sklearn_fit(X, y, lam, solver, sample_weight=sample_weight, fit_intercept=fit_intercept)
    np.testing.assert_array_equal(res.classes, sk.classes_)
    y_pm = np.where(y == sk.classes_[1], 1.0, -1.0)
    s = np.ones(len(y)) if sample_weight is None else sample_weight
    b_sk = float(sk.intercept_[0]) if fit_intercept else 0.0
    if not fit_intercept:
        assert res.intercept == 0.0
    p_fr = binary_objective(X, y_pm, s, lam, res.coef, res.intercept)
    p_sk = binary_objective(X, y_pm, s, lam, sk.coef_.ravel(), b_sk)
    check_agreement(p_fr, p_sk, res.certificate, lam, res.coef, sk.coef_.ravel())
    assert res.certificate <= TOL * res.p_null
    return res


# ---------------------------------------------------------------------------
# a9a (n = 32,561, p = 123): the dense-Hessian Newton path
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def a9a():
    return _svmlight("a9a.svm.gz", 123)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_real_a9a_matches_sklearn(a9a, fit_intercept, weighted):
    """C = 10 (lam = 0.1), seeded weights in [0.5, 2] (tests/test_logistic.py has C = 1)."""
    X, y = a9a
    sw = np.random.default_rng(0).uniform(0.5, 2.0, len(y)) if weighted else None
    res = compare_binary(
        X, y, 0.1, "newton-cholesky", sample_weight=sw, fit_intercept=fit_intercept
    )
    assert res.solver == "newton-cholesky"


def test_real_a9a_float32_csc_matches_sklearn(a9a):
    """The 0/1 features are exact in float32: the same problem, stored as float32 CSC."""
    X, y = a9a
    X32 = sp.csc_matrix(X, dtype=np.float32)
    compare_binary(X, y, 1.0, "newton-cholesky", X_fr=X32)


# ---------------------------------------------------------------------------
# w8a (n = 49,749, p = 300, 3% positives): imbalanced; both Newton step kinds
# ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("lam", [1.0, 0.1])
def test_real_w8a_matches_sklearn(lam):
    X, y = _svmlight("w8a.svm.gz", 300)
    res = compare_binary(X, y, lam, "newton-cholesky")
    # 12 entries per row: the dense 300 x 300 Hessian costs ~7 passes, so exact steps.
    assert res.solver == "newton-cholesky"
    with mock.patch.object(_logistic_newton, "_DENSE_MAX_P", 0):
        res = compare_binary(X, y, lam, "newton-cholesky")
    assert res.solver == "newton-cg"  # the truncated-CG steps on the same data


def test_real_w8a_small_lam_intercept_search_is_cheap(monkeypatch):
    """w8a at lam = 0.01 with the intercept: next to b* the loss is flat to its
    rounding over a Newton step, and the old value-based intercept search
    (backtracking on f) spent 34 halvings per step there, 3,443 loss sweeps
    (87% of the fit).  Decided on f', the searches of the whole fit take 264
    sweeps; 600 leaves room for other paths of the same fit."""
    from fastridge._solvers.logistic import intercept

    X, y = _svmlight("w8a.svm.gz", 300)
    sweeps = [0]
    original = intercept.binary_loss_db

    def counted(*args):
        sweeps[0] += 1
        return original(*args)

    monkeypatch.setattr(intercept, "binary_loss_db", counted)
    res = compare_binary(X, y, 0.01, "newton-cholesky")
    assert res.converged
    assert sweeps[0] <= 600, sweeps[0]


# ---------------------------------------------------------------------------
# rt-polarity sentences, TF-IDF (n = 10,662, p ~ 18,000): wide and sparse
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rt_polarity():
    from sklearn.feature_extraction.text import TfidfVectorizer

    pos, neg = _require("rt-polarity.pos.gz", "rt-polarity.neg.gz")
    texts = []
    for path in (pos, neg):
        with gzip.open(path, "rt", encoding="latin-1") as fh:
            texts.append(fh.read().splitlines())
    X = TfidfVectorizer().fit_transform(texts[0] + texts[1]).tocsr()
    y = np.array(["pos"] * len(texts[0]) + ["neg"] * len(texts[1]))
    return X, y


def test_real_rt_polarity_tfidf_matches_sklearn(rt_polarity):
    """String labels ("neg" < "pos"), C = 1."""
    X, y = rt_polarity
    res = compare_binary(X, y, 1.0, "newton-cg")
    assert list(res.classes) == ["neg", "pos"]
    assert res.solver == "newton-cg"


def test_real_rt_polarity_tfidf_weighted_no_intercept(rt_polarity):
    """C = 1/3, integer weights 1..3 (seeded), no intercept."""
    X, y = rt_polarity
    sw = np.random.default_rng(1).integers(1, 4, len(y)).astype(np.float64)
    compare_binary(X, y, 3.0, "newton-cg", sample_weight=sw, fit_intercept=False)


def test_real_rt_polarity_float32_csc(rt_polarity):
    """float32 CSC storage: compared with scikit-learn on the float64 copy of the same
    (rounded) values, so both solve exactly the same problem."""
    X, y = rt_polarity
    X32 = sp.csc_matrix(X, dtype=np.float32)
    res = compare_binary(X32.astype(np.float64).tocsr(), y, 1.0, "newton-cg", X_fr=X32)
    assert res.solver == "newton-cg"


# ---------------------------------------------------------------------------
# news20 (TF-IDF of the bydate training counts, 61,188 columns): multiclass
# ---------------------------------------------------------------------------

N20_ROWS = 2000


@pytest.fixture(scope="module")
def news20():
    """TF-IDF (fitted on all 11,269 training documents), then 2,000 rows (seeded)."""
    from sklearn.feature_extraction.text import TfidfTransformer

    X, y = _svmlight("news20_bydate_bow.train.svm.gz", 61188)
    X = TfidfTransformer().fit_transform(X).tocsr()
    rows = np.sort(np.random.default_rng(0).choice(X.shape[0], N20_ROWS, replace=False))
    X, y = X[rows], y[rows].astype(np.int64)
    assert len(np.unique(y)) == 20
    return X, y


@pytest.mark.slow
@pytest.mark.parametrize(
    ("weighted", "fit_intercept"),
    [(False, True), (True, False)],
    ids=["unweighted-intercept", "weighted-no-intercept"],
)
def test_real_news20_multinomial_matches_sklearn(news20, weighted, fit_intercept):
    """20 classes, softmax model, C = 1; seeded weights in [0.5, 2] for the weighted case."""
    X, y = news20
    lam = 1.0
    s = np.random.default_rng(2).uniform(0.5, 2.0, len(y)) if weighted else np.ones(len(y))
    sw = s if weighted else None
    res = fastridge.logistic(X, y, lam, tol=TOL, sample_weight=sw, fit_intercept=fit_intercept)
    assert res.converged and res.coef.shape == (20, X.shape[1])
    assert res.certificate <= TOL * res.p_null
    sk = sklearn_fit(X, y, lam, "newton-cg", sample_weight=sw, fit_intercept=fit_intercept)
    np.testing.assert_array_equal(res.classes, sk.classes_)
    codes = np.searchsorted(sk.classes_, y)
    b_sk = sk.intercept_ if fit_intercept else np.zeros(20)
    p_fr = multinomial_objective(X, codes, s, lam, res.coef, res.intercept)
    p_sk = multinomial_objective(X, codes, s, lam, sk.coef_, b_sk)
    check_agreement(p_fr, p_sk, res.certificate, lam, res.coef, sk.coef_)
    # Columns empty in the subsample get exactly zero weight.
    empty = X.getnnz(axis=0) == 0
    assert empty.any() and not np.any(res.coef[:, empty])
    if not fit_intercept:
        assert np.all(res.intercept == 0.0)
        return
    # Intercepts sum to zero; scikit-learn's are defined up to a common shift.  Not
    # certified (a sanity check): the coefficients agree to ~1e-6, so must these.
    assert abs(res.intercept.sum()) <= 1e-12 * np.abs(res.intercept).sum()
    b_sk = b_sk - b_sk.mean()
    assert np.abs(res.intercept - b_sk).max() <= 1e-4 * (1 + np.abs(b_sk).max())


@pytest.mark.slow
def test_real_news20_one_vs_rest_matches_sklearn(news20):
    """One binary problem per class (C = 1), each checked against its own scikit-learn fit."""
    X, y = news20
    lam = 1.0
    res = fastridge.logistic(X, y, lam, tol=TOL, multi_class="ovr")
    assert res.converged
    assert res.coef.shape == (20, X.shape[1])
    assert res.intercept.shape == res.certificate.shape == res.p_null.shape == (20,)
    assert np.all(res.certificate <= TOL * res.p_null)
    s = np.ones(len(y))
    for k in range(len(res.classes)):
        y01 = (y == res.classes[k]).astype(np.int64)
        sk = sklearn_fit(X, y01, lam, "newton-cg")
        y_pm = 2.0 * y01 - 1.0
        p_fr = binary_objective(X, y_pm, s, lam, res.coef[k], res.intercept[k])
        p_sk = binary_objective(X, y_pm, s, lam, sk.coef_.ravel(), sk.intercept_[0])
        check_agreement(p_fr, p_sk, res.certificate[k], lam, res.coef[k], sk.coef_.ravel())
    # Each class of the one-vs-rest fit is the binary fit of that class.
    k = 7
    one = fastridge.logistic(X, y == res.classes[k], lam, tol=TOL)
    bound = np.sqrt(2 * res.certificate[k] / lam) + np.sqrt(2 * one.certificate / lam)
    assert np.linalg.norm(res.coef[k] - one.coef) <= bound + 1e-12
