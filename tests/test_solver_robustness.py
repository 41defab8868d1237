"""Crash and robustness fixes of the ridge solvers (issue 10, sections 1-3).

* ``direct``: the eigendecomposition fallback of ``_Factor.solve`` with a 1-D
  right-hand side (it broadcast to (p, p) and raised).
* ``cd``: no ``ZeroDivisionError`` when an epoch sees a zero gradient twice,
  and never non-finite coefficients (a diverging run is reported unconverged).
* Absurd warm starts (``coef_init = 1e300``) are replaced by zeros in the
  iterative ridge solvers; non-finite ones are refused.
* ``auto`` falls back from a stagnating CG to a direct solve where the dense
  Gram matrix fits.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

import fastridge
from fastridge._solvers.ridge import direct as _direct
from fastridge._solvers.ridge.auto import AUTO_DIRECT_FALLBACK_MAX_DIM
from tests.conftest import dense_ridge_solution

FORMATS = ["dense", "csr", "csc"]
RTOL = 1e-7


def _as(X, fmt):
    if fmt == "dense":
        return np.asarray(X.toarray() if sp.issparse(X) else X)
    return sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), np.finfo(float).tiny)


def _spy_eigen_fallback(monkeypatch):
    """Record whether a ``_Factor`` took the eigendecomposition path."""
    used = []

    class Spy(_direct._Factor):
        def __init__(self, G, lam):
            super().__init__(G, lam)
            used.append(self._eig is not None)

    monkeypatch.setattr(_direct, "_Factor", Spy)
    return used


# ---------------------------------------------------------------- item 1: direct


def test_factor_eigen_fallback_solves_1d_and_2d_rhs():
    # An indefinite G (as rounding can make a Gram matrix) fails Cholesky.
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    vals = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
    G = (Q * vals) @ Q.T
    f = _direct._Factor(G, 0.25)
    assert f._eig is not None
    # Eigenvalues at or below rounding level are dropped (pseudo-inverse).
    inv = np.where(vals > 1e-12, 1.0 / (np.maximum(vals, 0.0) + 0.25), 0.0)
    expected_op = (Q * inv) @ Q.T
    b = rng.standard_normal(6)
    B = rng.standard_normal((6, 3))
    x = f.solve(b)
    assert x.shape == (6,)
    assert _rel(x, expected_op @ b) <= 1e-12
    X2 = f.solve(B)
    assert X2.shape == (6, 3)
    assert _rel(X2, expected_op @ B) <= 1e-12
    assert _rel(f.solve(B[:, 1]), X2[:, 1]) <= 1e-14


def _duplicated_columns(seed=3, n=40):
    """Well-scaled X whose centred Gram matrix is exactly singular (two equal columns)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    X = np.column_stack([X, X[:, 0]])
    y = X @ rng.standard_normal(6) + 0.1 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("solver", ["direct", "auto", "direct-dual"])
def test_direct_eigen_fallback_singular_gram(fmt, solver, monkeypatch):
    X, y = _duplicated_columns()
    used = _spy_eigen_fallback(monkeypatch)
    lam = 1e-30  # far below eps * ||H||: H + lam I is numerically singular
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = fastridge.ridge(_as(X, fmt), y, lam, solver=solver)
    assert any(used), "the test must exercise the eigendecomposition fallback"
    assert np.all(np.isfinite(res.coef))
    # The coefficients along the null direction e_0 - e_5 are not determined
    # in float64 at this lam; the fitted values (and coef_0 + coef_5) are.
    fit_ref = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]
    pred_ref = np.column_stack([X, np.ones(len(y))]) @ fit_ref
    assert _rel(X @ res.coef + res.intercept, pred_ref) <= RTOL


@pytest.mark.parametrize("fmt", FORMATS)
def test_direct_eigen_fallback_agrees_with_reference(fmt, monkeypatch):
    # A lam where Cholesky fails but the answer is well defined: H has a large
    # eigenvalue and the rhs is orthogonal to the near-null space up to rounding.
    X, y = _duplicated_columns()
    used = _spy_eigen_fallback(monkeypatch)
    with warnings.catch_warnings():
        # Honest but pessimistic: at lam = 1e-30, ||g||^2 / (2 lam) of the
        # rounding-level gradient exceeds tol * P_null.
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = fastridge.ridge(_as(X, fmt), y, 1e-30, solver="direct-primal")
    assert any(used)
    # Ridge treats duplicated columns symmetrically: the exact minimiser has
    # coef_0 == coef_5; compare the identified combination with the reference
    # of the reduced (one copy, doubled) problem.
    Xr = X[:, :5].copy()
    Xr[:, 0] *= 2.0
    w_red, b_red = dense_ridge_solution(Xr, y, 1e-30)
    got = np.r_[res.coef[0] + res.coef[5], res.coef[1:5]]
    ref = np.r_[2.0 * w_red[0], w_red[1:]]
    assert _rel(got, ref) <= RTOL
    assert abs(res.intercept - b_red) <= RTOL * (1.0 + abs(b_red))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("lam", [1e-30, 1e-20])
def test_direct_dual_eigen_fallback_p_gt_n(fmt, lam, monkeypatch):
    # With an intercept the dual Gram K = A A^T always has the null vector
    # sqrt(s); at a lam below rounding Cholesky fails.  The answer is the
    # minimum-norm interpolant (up to O(lam)).
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 40))
    y = rng.standard_normal(20)
    used = _spy_eigen_fallback(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = fastridge.ridge(_as(X, fmt), y, lam, solver="direct-dual")
    # Dense K is projected off sqrt(s) exactly (DesignOperator._dense_dual_gram_blas),
    # so its Cholesky at lam = 1e-30 may succeed; the answer must be the same.
    assert any(used) or fmt == "dense"
    Xc, yc = X - X.mean(0), y - y.mean()
    w_ref = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    assert _rel(res.coef, w_ref) <= RTOL
    assert _rel(X @ res.coef + res.intercept, y) <= RTOL


@pytest.mark.parametrize("fmt", FORMATS)
def test_direct_large_mean_no_broadcast_error(fmt):
    # Issue 10 example: raised "could not broadcast".  Its accuracy depends on
    # the operator's centring (owned elsewhere); here: no crash, finite answer.
    rng = np.random.default_rng(4)
    X = 1e8 + rng.standard_normal((60, 5))
    y = rng.standard_normal(60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = fastridge.ridge(_as(X, fmt), y, 1.0)
    assert np.all(np.isfinite(res.coef))
    assert np.isfinite(res.intercept)


def test_ridge_estimator_tiny_alpha_square_no_broadcast_error():
    rng = np.random.RandomState(0)
    X, y = rng.randn(5, 5), rng.randn(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = fastridge.Ridge(alpha=1e-16).fit(X, y)
    assert np.all(np.isfinite(model.coef_))
    # 5 points, 4 centred directions and 5 features: the fit interpolates.
    assert _rel(model.predict(X), y) <= 1e-6


# ------------------------------------------------------------------- item 2: cd


@pytest.mark.parametrize("fmt", FORMATS)
def test_cd_zero_epoch_gradient_no_zero_division(fmt):
    # One column: an epoch solves exactly, later epochs see a zero gradient
    # while the recomputed certificate stays above a tol of 1e-300.
    rng = np.random.default_rng(8)
    n = int(rng.integers(3, 30))
    p = int(rng.integers(1, 4))
    assert p == 1
    X = rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = fastridge.ridge(_as(X, fmt), y, 1.0, solver="cd", tol=1e-300)
    w_ref, b_ref = dense_ridge_solution(X, y, 1.0)
    assert _rel(res.coef, w_ref) <= RTOL
    assert abs(res.intercept - b_ref) <= RTOL * (1.0 + abs(b_ref))
    assert res.n_iter < 5000  # stops once an epoch makes no progress


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", [0, 1])
def test_cd_never_returns_non_finite(fmt, seed):
    # Column means of 1e10: the centred curvature cancels, CD diverged to NaN.
    rng = np.random.default_rng(seed)
    X = 1e10 + rng.standard_normal((60, 5))
    y = rng.standard_normal(60)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fastridge.ridge(_as(X, fmt), y, 1.0, solver="cd", max_iter=300)
    assert np.all(np.isfinite(res.coef))
    assert np.isfinite(res.intercept)
    if not res.converged:
        assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
    else:  # a converged claim must be right
        w_ref, _ = dense_ridge_solution(X, y, 1.0)
        assert _rel(res.coef, w_ref) <= 1e-3


def test_cd_divergence_reports_infinite_certificate(monkeypatch):
    # Force divergence with an underestimated curvature (as cancellation can
    # produce): the result is finite, unconverged, certificate inf.
    from fastridge._operators import design as _operators

    real = _operators.DesignOperator.col_sq_norms
    monkeypatch.setattr(_operators.DesignOperator, "col_sq_norms", lambda self: 1e-3 * real(self))
    rng = np.random.default_rng(5)
    X = rng.standard_normal((50, 8))
    y = rng.standard_normal(50)
    with pytest.warns(ConvergenceWarning):
        res = fastridge.ridge(X, y, 1e-3, solver="cd")
    assert np.all(np.isfinite(res.coef))
    assert not res.converged
    assert res.certificate == np.inf


@pytest.mark.parametrize("fmt", ["dense", "csc"])
def test_cd_all_zero_column(fmt):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 4))
    X[:, 2] = 0.0
    y = rng.standard_normal(30)
    res = fastridge.ridge(_as(X, fmt), y, 0.5, solver="cd", tol=1e-14)
    w_ref, _ = dense_ridge_solution(X, y, 0.5)
    assert res.converged
    assert res.coef[2] == 0.0
    assert _rel(res.coef, w_ref) <= RTOL


# ---------------------------------------------------------- item 3: warm starts


def _warm_problem(seed=7, n=50, p=10, k=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    Y = X @ rng.standard_normal((p, k)) + 0.3 * rng.standard_normal((n, k))
    return X, (Y[:, 0] if k == 1 else Y)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("solver", ["cg-primal", "cg-dual", "cd", "auto", "direct"])
@pytest.mark.parametrize("value", [1e300, -1e150, 1e10])
def test_absurd_warm_start_is_ignored(fmt, solver, value):
    X, y = _warm_problem()
    p = X.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings, no convergence warning
        res = fastridge.ridge(
            _as(X, fmt), y, 1.0, solver=solver, tol=1e-14, coef_init=np.full(p, value)
        )
    assert res.converged
    w_ref, b_ref = dense_ridge_solution(X, y, 1.0)
    assert _rel(res.coef, w_ref) <= RTOL
    assert abs(res.intercept - b_ref) <= RTOL * (1.0 + abs(b_ref))


@pytest.mark.parametrize("solver", ["cg-primal", "cg-dual", "cd"])
def test_absurd_warm_start_only_replaced_for_its_target(solver):
    X, Y = _warm_problem(k=3)
    lam = np.array([0.5, 1.0, 2.0])
    W_ref, _ = dense_ridge_solution(X, Y, lam)
    W0 = W_ref * (1.0 + 1e-6)  # a good warm start for targets 0 and 2
    W0[1] = 1e300
    res = fastridge.ridge(X, Y, lam, solver=solver, tol=1e-14, coef_init=W0)
    assert res.converged
    assert _rel(res.coef, W_ref) <= RTOL


def test_good_warm_start_is_kept():
    X, y = _warm_problem(p=40, n=200)
    w_ref, _ = dense_ridge_solution(X, y, 1.0)
    cold = fastridge.ridge(X, y, 1.0, solver="cg-primal", tol=1e-12)
    warm = fastridge.ridge(X, y, 1.0, solver="cg-primal", tol=1e-12, coef_init=w_ref)
    assert warm.n_iter < cold.n_iter
    assert _rel(warm.coef, w_ref) <= RTOL


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_warm_start_refused(bad):
    X, y = _warm_problem()
    c = np.zeros(X.shape[1])
    c[3] = bad
    with pytest.raises(ValueError, match="coef_init"):
        fastridge.ridge(X, y, 1.0, solver="cg-primal", coef_init=c)


# ---------------------------------------------------- item 4: auto falls back


def _stagnating_cg_problem():
    """Issue 10: a 529 x 1000 heavy-tailed count matrix plus a low-rank part."""
    rng = np.random.default_rng(0)
    A = sp.random(
        529,
        1000,
        density=0.09,
        random_state=1,
        data_rvs=lambda k: np.round(np.exp(2 * rng.standard_normal(k))) + 1,
    )
    U = sp.random(529, 20, density=0.5, random_state=2)
    V = sp.random(20, 1000, density=0.5, random_state=3)
    X = (A + 50 * (U @ V)).tocsr()
    y = 0.5 + 0.1 * rng.standard_normal(529)
    return X, y


@pytest.mark.parametrize("fmt", FORMATS)
def test_auto_falls_back_to_direct_when_cg_stagnates(fmt):
    X, y = _stagnating_cg_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = fastridge.ridge(_as(X, fmt), y, 1.0, tol=1e-10)
    assert res.converged
    assert res.solver == "direct-dual"  # n = 529 < p = 1000
    assert res.n_iter > 1  # the CG iterations are counted
    assert res.n_passes > res.n_iter
    w_ref, b_ref = dense_ridge_solution(X, y, 1.0)
    assert _rel(res.coef, w_ref) <= RTOL
    assert abs(res.intercept - b_ref) <= RTOL * (1.0 + abs(b_ref))


def test_explicit_cg_does_not_fall_back():
    X, y = _stagnating_cg_problem()
    with pytest.warns(ConvergenceWarning):
        res = fastridge.ridge(X, y, 1.0, tol=1e-10, solver="cg-primal", max_iter=300)
    assert res.solver == "cg-primal"
    assert not res.converged


def test_auto_respects_explicit_max_iter():
    # A user's max_iter is an upper bound on the CG phase; reaching it is not
    # stagnation, so no fallback happens.
    X, y = _stagnating_cg_problem()
    with pytest.warns(ConvergenceWarning):
        res = fastridge.ridge(X, y, 1.0, tol=1e-10, max_iter=5)
    assert res.solver == "cg-primal"
    assert res.n_iter == 5


def test_auto_no_fallback_above_the_dense_limit(monkeypatch):
    from fastridge._solvers.ridge import auto as _auto

    monkeypatch.setattr(_auto, "AUTO_DIRECT_FALLBACK_MAX_DIM", 100)
    X, y = _stagnating_cg_problem()
    with pytest.warns(ConvergenceWarning):
        res = fastridge.ridge(X, y, 1.0, tol=1e-10, max_iter=400)
    assert res.solver == "cg-primal"
    assert res.n_iter == 400


def test_auto_fallback_limit_is_documented_size():
    # A dense Gram matrix of that size is 128 MiB of float64.
    assert AUTO_DIRECT_FALLBACK_MAX_DIM**2 * 8 <= 128 * 2**20


@pytest.mark.parametrize("fmt", FORMATS)
def test_auto_easy_problem_stays_cg(fmt):
    """The progress monitor lets CG finish an easy problem (sparse X).  A dense X
    has a cost budget instead (``AUTO_DENSE_CG_PER_DIM``, tested in test_solvers):
    at tol 1e-16 this one outlasts it and ends in the direct solver, certified."""
    rng = np.random.default_rng(1)
    X = sp.random(600, 300, density=0.05, random_state=4, format="csr")
    y = rng.standard_normal(600)
    res = fastridge.ridge(_as(X, fmt), y, 1.0, tol=1e-16)
    assert res.converged
    assert res.solver.startswith("direct-" if fmt == "dense" else "cg-")
    w_ref, _ = dense_ridge_solution(X, y, 1.0)
    assert _rel(res.coef, w_ref) <= RTOL


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 3])
def test_direct_dual_at_huge_means_and_tiny_lam(seed, weighted):
    """Dense ``dual_gram_dense`` centred by the rounded means must keep ``A A^T``'s
    null vector ``sqrt(s / S)``: ``mu + dmu`` couples ``K`` to it in first order
    (``|dmu| ~ u |mu|``: a relative 1e-9 of ``K`` at means of 1e8), and with ``lam``
    1e-15 of the data the solve amplifies that into certificates of 1e3-1e5 ``P_null``
    (0 of 12 such fits converged after the BLAS Gram, all 12 before and after the fix).
    """
    rng = np.random.default_rng(seed)
    n, p = 9, 25
    X = 1e8 * (1 + 0.1 * rng.random(p)) + rng.standard_normal((n, p))
    Xc = X - X.mean(0)
    y = Xc @ rng.standard_normal(p) + rng.standard_normal(n)
    sw = rng.uniform(0.5, 2.0, n) if weighted else None
    lam = 1e-15 * np.sum(Xc**2) / p
    res = fastridge.ridge(X, y, lam, solver="direct-dual", tol=1e-4, sample_weight=sw)
    assert res.converged, f"certificate / P_null = {res.certificate / res.p_null:.3g}"


def test_cg_dual_subnormal_residual_raises_no_overflow_warning():
    """cg-dual's ratio estimate divides by ``||rho||^2``; once the dual residual has
    vanished to a subnormal (here within 400 iterations, stuck at the float64 floor of its
    own certificate: large column means, no intercept, zero weights) the quotient
    overflowed and leaked ``RuntimeWarning: overflow encountered in divide``."""
    X = np.array(
        [
            [0.0, 999.8357],
            [1000.5544, 2004.0397],
            [0.0, 999.8767],
            [3001.6711, 998.5995],
            [1997.584, 1000.37646],
        ],
        dtype=np.float32,  # these float32 values exactly (the run is that sensitive)
    ).astype(np.float64)
    y = np.array([-5.46278854, 0.99262686, 2.20785804, 0.76081962, -1.67286096])
    sw = np.array([0.7935735, 1.57152268, 0.01715444, 0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = fastridge.ridge(
            X,
            y,
            0.010601964307014383,
            fit_intercept=False,
            sample_weight=sw,
            solver="cg-dual",
            tol=1e-12,
            max_iter=400,
        )
    assert res.n_iter == 400 and np.isfinite(res.certificate)
