"""Leave-one-out and GCV (:mod:`fastridge._cv.gcv`): exact values and the stochastic estimate."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import RidgeCV as SkRidgeCV

import fastridge
from fastridge._cv import gcv as _gcv
from fastridge._fit.ridge import centred_targets
from fastridge._fit.validation import check_X
from fastridge._operators.design import DesignOperator
from tests._reference import as_format, to_dense64

ALPHAS = np.array([30.0, 0.03, 3.0, 300.0, 0.3])  # unsorted on purpose


def _problem(n, p, k=1, seed=0, density=0.4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < density)
    X[:, 0] += 1.0  # a non-centred column, so that centring matters
    W = rng.standard_normal((p, k))
    Y = X @ W + 0.7 * rng.standard_normal((n, k)) + 2.0
    sw = rng.uniform(0.2, 3.0, n)
    return X, (Y[:, 0] if k == 1 else Y), sw


def _operator(X, y, sw, fit_intercept):
    Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    _, Yc = centred_targets(Y, sw, fit_intercept)
    return DesignOperator(check_X(X), sw, fit_intercept, 1, targets=Yc), Yc


def _dense_hat(X, sw, fit_intercept, lam):
    """Hat matrix of the scaled problem, by a dense solve (module docstring of _gcv)."""
    Xd = to_dense64(X)
    n, p = Xd.shape
    s = np.ones(n) if sw is None else sw
    mu = s @ Xd / s.sum() if fit_intercept else np.zeros(p)
    A = np.sqrt(s)[:, None] * (Xd - mu)
    Hat = A @ np.linalg.solve(A.T @ A + lam * np.eye(p), A.T)
    if fit_intercept:
        q = np.sqrt(s)
        Hat += np.outer(q, q) / s.sum()
    return Hat


# ---------------------------------------------------------------------------
# exact leave-one-out against scikit-learn
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(50, 12), (14, 40)], ids=["tall", "wide"])
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_loo_matches_sklearn(shape, fmt, fit_intercept, weighted):
    X, y, sw = _problem(*shape, seed=1)
    sw = sw if weighted else None
    Xf = as_format(X, fmt)
    ours = fastridge.RidgeCV(ALPHAS, fit_intercept=fit_intercept, store_cv_results=True).fit(
        Xf, y, sample_weight=sw
    )
    sk = SkRidgeCV(ALPHAS, fit_intercept=fit_intercept, store_cv_results=True).fit(
        Xf, y, sample_weight=sw
    )
    assert ours.cv_result_.method == "loo"
    assert ours.cv_results_.shape == sk.cv_results_.shape == (shape[0], len(ALPHAS))
    np.testing.assert_allclose(ours.cv_results_, sk.cv_results_, rtol=1e-8, atol=0)
    assert ours.alpha_ == sk.alpha_
    assert ours.best_score_ == pytest.approx(sk.best_score_, rel=1e-8)
    # The user's order of alphas is kept (scikit-learn's layout).
    np.testing.assert_array_equal(ours.cv_result_.lams, ALPHAS)
    np.testing.assert_allclose(ours.cv_result_.mean_score, -sk.cv_results_.mean(axis=0), rtol=1e-8)
    assert np.all(ours.cv_result_.std_error == 0)
    # The model at alpha_ is the certified fit.
    np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-5, atol=1e-6 * np.abs(sk.coef_).max())


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_loo_float32_matches_sklearn(fmt):
    X, y, sw = _problem(40, 10, seed=2)
    X32 = as_format(X, fmt, np.float32)
    ours = fastridge.RidgeCV(ALPHAS, store_cv_results=True).fit(X32, y, sample_weight=sw)
    sk = SkRidgeCV(ALPHAS, store_cv_results=True).fit(X32, y, sample_weight=sw)
    assert ours.coef_.dtype == np.float32
    assert ours.cv_results_.dtype == np.float32
    # Both work on the same (exactly representable) values in float64.
    np.testing.assert_allclose(ours.cv_results_, sk.cv_results_, rtol=1e-6)
    assert ours.alpha_ == sk.alpha_


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_loo_multi_target_and_alpha_per_target(fmt):
    X, Y, sw = _problem(45, 15, k=3, seed=3)
    Y[:, 1] *= 10.0
    Y[:, 2] = X[:, 0] + 0.01 * Y[:, 2]  # a target that wants little penalty
    Xf = as_format(X, fmt)
    for per_target in (False, True):
        ours = fastridge.RidgeCV(ALPHAS, alpha_per_target=per_target, store_cv_results=True).fit(
            Xf, Y, sample_weight=sw
        )
        sk = SkRidgeCV(ALPHAS, alpha_per_target=per_target, store_cv_results=True).fit(
            Xf, Y, sample_weight=sw
        )
        assert ours.cv_results_.shape == sk.cv_results_.shape == (45, 3, len(ALPHAS))
        np.testing.assert_allclose(ours.cv_results_, sk.cv_results_, rtol=1e-8)
        np.testing.assert_array_equal(ours.alpha_, sk.alpha_)
        np.testing.assert_allclose(ours.best_score_, sk.best_score_, rtol=1e-8)
        assert ours.coef_.shape == (3, 15)
    assert len(np.unique(ours.alpha_)) > 1  # the targets really chose differently
    assert ours.cv_result_.mean_score.shape == (len(ALPHAS), 3)


@pytest.mark.parametrize("weighted", [False, True])
def test_loo_with_scorer_matches_sklearn(weighted):
    X, y, sw = _problem(40, 12, seed=4)
    sw = sw if weighted else None
    for scoring in ("r2", "neg_mean_absolute_error"):
        ours = fastridge.RidgeCV(ALPHAS, scoring=scoring, store_cv_results=True).fit(
            X, y, sample_weight=sw
        )
        sk = SkRidgeCV(ALPHAS, scoring=scoring, store_cv_results=True).fit(X, y, sample_weight=sw)
        # cv_results_ holds the leave-one-out predictions here.
        np.testing.assert_allclose(ours.cv_results_, sk.cv_results_, rtol=1e-8)
        assert ours.alpha_ == sk.alpha_
        assert ours.best_score_ == pytest.approx(sk.best_score_, rel=1e-8)


def test_loo_is_leave_one_out():
    """The shortcut equals refitting without each sample (weighted, with intercept)."""
    X, y, sw = _problem(20, 6, seed=5)
    lam = 0.7
    op, Yc = _operator(X, y, sw, True)
    g = _gcv.exact_scores(op, Yc, np.array([lam]), store=True)
    for i in range(20):
        keep = np.arange(20) != i
        res = fastridge.ridge(X[keep], y[keep], lam, sample_weight=sw[keep], tol=1e-20)
        err = y[i] - (X[i] @ res.coef + res.intercept)
        assert g.loo_errors[i, 0, 0] == pytest.approx(np.sqrt(sw[i]) * err, rel=1e-9)


# ---------------------------------------------------------------------------
# exact GCV against the dense hat matrix
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(40, 10), (12, 30)], ids=["primal", "dual"])
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_gcv_matches_dense_hat(shape, fmt, fit_intercept, weighted):
    X, Y, sw = _problem(*shape, k=2, seed=6)
    sw = sw if weighted else None
    op, Yc = _operator(as_format(X, fmt), Y, sw, fit_intercept)
    g = _gcv.exact_scores(op, Yc, ALPHAS, method="gcv")
    n = shape[0]
    s = np.ones(n) if sw is None else sw
    ys = np.sqrt(s)[:, None] * Yc
    for j, lam in enumerate(ALPHAS):
        Hat = _dense_hat(X, sw, fit_intercept, lam)
        r = ys - Hat @ ys
        df = np.trace(Hat)
        gcv = (r**2).sum(axis=0) / n / (1 - df / n) ** 2
        assert g.df[j] == pytest.approx(df, rel=1e-10)
        np.testing.assert_allclose(g.error[j], gcv, rtol=1e-10)
        np.testing.assert_allclose(g.rss[j], (r**2).sum(axis=0), rtol=1e-10)
        # ... and the leave-one-out formula on the same hat matrix
        loo = r / (1 - np.diag(Hat))[:, None]
        g_loo = _gcv.exact_scores(op, Yc, np.array([lam]), method="loo", store=True)
        np.testing.assert_allclose(g_loo.loo_errors[:, :, 0], loo, rtol=1e-9, atol=1e-12)


def test_gcv_mode_gcv_estimator():
    X, y, _ = _problem(60, 15, seed=7)
    est = fastridge.RidgeCV(ALPHAS, gcv_mode="gcv").fit(X, y)
    assert est.cv_result_.method == "gcv"
    op, Yc = _operator(X, y, None, True)
    g = _gcv.exact_scores(op, Yc, ALPHAS, method="gcv")
    np.testing.assert_allclose(est.cv_result_.mean_score, -g.error[:, 0], rtol=1e-12)
    assert est.alpha_ == ALPHAS[np.argmin(g.error[:, 0])]


# ---------------------------------------------------------------------------
# stochastic GCV
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def medium():
    """A 600 x 150 sparse problem (primal) and its 150 x 600 transpose (dual)."""
    rng = np.random.default_rng(8)
    n, p = 600, 150
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.1)
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("form", ["primal", "dual"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_stochastic_gcv_within_reported_error(medium, form, fit_intercept):
    X, y = medium
    if form == "dual":
        X = X[:100].copy()  # 100 x 150: p > n, the dual form
        y = y[:100]
    Xs = as_format(X, "csr")
    lams = np.geomspace(100.0, 0.01, 12)
    est = fastridge.RidgeCV(
        lams, gcv_mode="stochastic", fit_intercept=fit_intercept, n_probes=30, random_state=3
    ).fit(Xs, y)
    g = est.gcv_
    assert g.method == "gcv-stochastic" and est.cv_result_.method == "gcv-stochastic"
    op, Yc = _operator(Xs, y, None, fit_intercept)
    exact = _gcv.exact_scores(op, Yc, lams, method="gcv")
    assert np.all(g.df_se > 0)
    # Solve bias bounded as documented, and far below the Monte-Carlo error.
    assert np.all(g.df_solve_bound <= _gcv.SOLVE_DF_TOL)
    assert np.all(np.abs(g.df - exact.df) <= 3 * g.df_se + g.df_solve_bound)
    se = est.cv_result_.std_error
    assert np.all(se > 0)
    assert np.all(np.abs(est.cv_result_.mean_score + exact.error[:, 0]) <= 3 * se + 1e-9)
    # The residual part comes from certified path points: it matches the exact one.
    np.testing.assert_allclose(g.rss, exact.rss, rtol=1e-4)


def test_stochastic_standard_error_shrinks(medium):
    X, y = medium
    op, _ = _operator(as_format(X, "csc"), y, None, True)
    lams = np.geomspace(30.0, 0.1, 5)
    se = {}
    for m in (16, 256):
        _, se[m], _, _ = _gcv.hutchinson_trace(op, lams, n_probes=m, random_state=11)
    ratio = se[16] / se[256]  # sqrt(256 / 16) = 4 expected
    assert np.all((ratio > 2.5) & (ratio < 6.5)), ratio


def test_stochastic_is_seeded_and_depends_on_seed(medium):
    X, y = medium
    lams = np.array([10.0, 1.0])
    a = fastridge.RidgeCV(lams, gcv_mode="stochastic", random_state=5).fit(X, y)
    b = fastridge.RidgeCV(lams, gcv_mode="stochastic", random_state=5).fit(X, y)
    c = fastridge.RidgeCV(lams, gcv_mode="stochastic", random_state=6).fit(X, y)
    np.testing.assert_array_equal(a.gcv_.df, b.gcv_.df)
    assert not np.array_equal(a.gcv_.df, c.gcv_.df)


def test_stochastic_coef_is_certified_path_point(medium):
    X, y = medium
    lams = np.geomspace(100.0, 0.1, 6)
    est = fastridge.RidgeCV(lams, gcv_mode="stochastic").fit(as_format(X, "csr"), y)
    ref = fastridge.ridge(X, y, est.alpha_, tol=1e-14)
    assert est.certificate_ <= 1e-8 * fastridge.ridge(X, y, est.alpha_).p_null
    np.testing.assert_allclose(est.coef_, ref.coef, rtol=1e-3, atol=1e-4 * np.abs(ref.coef).max())


def test_stochastic_rejects_scoring_and_store(medium):
    X, y = medium
    with pytest.raises(ValueError, match="scoring"):
        fastridge.RidgeCV([1.0], gcv_mode="stochastic", scoring="r2").fit(X, y)
    with pytest.raises(ValueError, match="store_cv_results"):
        fastridge.RidgeCV([1.0], gcv_mode="gcv", store_cv_results=True).fit(X, y)


@pytest.mark.parametrize("form", ["primal", "dual"])
def test_subspace_and_multishift_probes_agree_within_bound(medium, form):
    """Both probe solvers give Galerkin values above the exact t(z) by at most ||rho||^2.

    (No intercept: with one, dual probes are projected and control-variated.)
    """
    X, y = medium
    if form == "dual":
        X = X[:100].copy()  # 100 x 150: p > n, the dual form
        y = y[:100]
    op, _ = _operator(as_format(X, "csr"), y, None, False)
    lams = np.geomspace(50.0, 0.05, 7)
    m = min(X.shape)
    assert (op.p <= op.n) == (form == "primal")
    matvec = op.gram_matvec if form == "primal" else op.dual_gram_matvec
    Md = np.column_stack([matvec(np.eye(m)[:, i].copy()) for i in range(m)])
    out = {}
    for solver in ("subspace",):
        mean, _, bound, samples = _gcv.hutchinson_trace(op, lams, n_probes=5, random_state=2)
        out[solver] = samples
        np.testing.assert_allclose(mean, samples.mean(axis=0))
        assert np.all(bound <= _gcv.SOLVE_DF_TOL)
    Z = np.random.default_rng(2).integers(0, 2, size=(m, 5)).astype(float) * 2 - 1
    exact = np.array(
        [[m - lam * (z @ np.linalg.solve(Md + lam * np.eye(m), z)) for lam in lams] for z in Z.T]
    )
    for samples in out.values():
        assert np.all(samples >= exact - 1e-9 * m)
        assert np.all(samples - exact <= _gcv.SOLVE_DF_TOL + 1e-9 * m)


def _kkt_loo(X, Y, lam, s, fit_intercept):
    """Scaled leave-one-out errors ``sqrt(s_i) (y_i - yhat_{-i})`` (n, k) by explicit refits.

    Each refit solves the dual KKT system on the uncentred kernel
    ``K = X_t X_t^T`` of the training rows (float64, no centring, so nothing
    cancels; ``K + lam S^{-1}`` has eigenvalues >= lam and here those of
    ``K`` are O(10)):

        [K + lam S^{-1}  1] [a]   [y_t]
        [1^T             0] [b] = [0  ],    w = X_t^T a,

    the stationarity conditions of ``1/2 sum s_i (y_i - x_i w - b)^2 +
    lam/2 ||w||^2`` (without intercept: drop ``b`` and its row).
    """
    n = X.shape[0]
    out = np.empty(Y.shape)
    for i in range(n):
        t = np.arange(n) != i
        m = int(t.sum())
        K = X[t] @ X[t].T + np.diag(lam / s[t])
        if fit_intercept:
            M = np.zeros((m + 1, m + 1))
            M[:m, :m] = K
            M[:m, m] = M[m, :m] = 1.0
            rhs = np.vstack([Y[t], np.zeros((1, Y.shape[1]))])
        else:
            M, rhs = K, Y[t]
        sol = np.linalg.solve(M, rhs)
        pred = (X[t] @ X[i]) @ sol[:m] + (sol[m] if fit_intercept else 0.0)
        out[i] = np.sqrt(s[i]) * (Y[i] - pred)
    return out


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(10, 50), (30, 8)])
def test_loo_matches_explicit_refits_small_alpha(k, fit_intercept, weighted, shape):
    """Issue 10: at alpha = 1e-5 with p > n the LOO values were 1e-3 relative off
    (the dual eigenbasis kept the intercept's null vector with a rounding-size
    eigenvalue); now they match explicit refits to 1e-8 at every alpha."""
    from sklearn.datasets import make_regression

    n, p = shape
    X, y = make_regression(n, p, n_targets=k, random_state=0)
    Y = y.reshape(n, -1)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, n) if weighted else None
    s = np.ones(n) if sw is None else sw
    alphas = np.logspace(-5, 7, 5)
    cv = fastridge.RidgeCV(alphas=alphas, fit_intercept=fit_intercept, store_cv_results=True)
    cv.fit(X, y, sample_weight=sw)
    got = cv.gcv_.loo_errors  # (n, k, L)
    mean_sq = np.empty(len(alphas))
    for j, a in enumerate(alphas):
        ref = _kkt_loo(X, Y, a, s, fit_intercept)
        scale = np.abs(ref).max()
        np.testing.assert_allclose(got[:, :, j], ref, rtol=1e-8, atol=1e-8 * scale)
        mean_sq[j] = np.mean(ref**2)
    assert cv.alpha_ == alphas[np.argmin(mean_sq)]


def test_stochastic_gcv_seeded_by_random_state():
    """``random_state`` seeds the Hutchinson probes: same seed, same scores; another, not."""
    X, y, _ = _problem(60, 80, seed=2)

    def df(seed):
        cv = fastridge.RidgeCV(ALPHAS, gcv_mode="stochastic", n_probes=4, random_state=seed)
        return cv.fit(X, y).gcv_.df

    a, b, c = df(3), df(3), df(4)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c, rtol=1e-6)
