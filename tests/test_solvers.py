"""Every ridge solver against a dense float64 reference (docs/architecture.md sections 1, 2, 6).

The main grid runs each concrete solver over
{dense, CSR, CSC} x {float32, float64} x {intercept on, off} x {weights on, off}
x {n > p, p > n} x {one target, three targets, three targets with one lam each}
on problems with a known answer (``tests._reference``) and checks

* coefficients and intercepts against the reference (1e-7 relative in float64,
  1e-4 in float32), where the problem is built so that the certificate itself
  implies the 1e-7 (``||w - w*||^2 <= 2 cert / lam``);
* the certificate against the true suboptimality ``P(w, b) - P*``: it must never
  under-estimate, checked both at a tight tol and at loose tols where the gap is
  far above rounding;
* ``converged``, ``solver`` and the shapes of the result.
"""

from __future__ import annotations

import functools
import warnings

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

import fastridge
import fastridge._operators.design
from fastridge._solvers.ridge import DIRECT_MAX_DIM, resolve_solver
from tests._reference import (
    as_format,
    make_problem,
    p_null,
    reference_ridge,
    rel_err,
    rel_err_rows,
    suboptimality,
    to_dense64,
)

SOLVERS = ["cg-primal", "cg-dual", "cd", "direct-primal", "direct-dual"]
ITERATIVE = ["cg-primal", "cg-dual", "cd"]
FORMATS = ["dense", "csr", "csc"]
DTYPES = [np.float64, np.float32]
SHAPES = {"n>p": (80, 30), "p>n": (30, 80)}
TARGETS = ["one", "three", "three-lams"]

TIGHT_TOL = 1e-16
# lam relative to ||X||_2^2: large enough that cyclic CD converges in a few
# hundred epochs when p > n, small enough that the fit is far from w = 0.
LAM_SCALE = 0.1
LAM_FACTORS = np.array([0.3, 1.0, 3.0])  # the per-target lams of "three-lams"
RTOL64 = 1e-7
RTOL32 = 1e-4
MAX_ITER = 20000


def _lam(prob, targets):
    base = LAM_SCALE * prob.spectral_sq
    return base * LAM_FACTORS if targets == "three-lams" else base


@functools.cache
def problem_case(shape, intercept, weights, targets, dtype):
    """Problem, lam, and the references for the float64 X and for X rounded to ``dtype``."""
    n, p = SHAPES[shape]
    seed = 1000 + 100 * (shape == "p>n") + 10 * weights + TARGETS.index(targets)
    prob = make_problem(n, p, k=None if targets == "one" else 3, weights=weights, seed=seed)
    lam = _lam(prob, targets)
    kw = dict(fit_intercept=intercept, sample_weight=prob.sample_weight)
    ref64 = reference_ridge(prob.X, prob.y, lam, **kw)
    X_rounded = prob.X.astype(dtype).astype(np.float64)  # the values fastridge actually sees
    ref = reference_ridge(X_rounded, prob.y, lam, **kw)
    pnull = p_null(prob.y, **kw)
    return prob, lam, X_rounded, ref, ref64, pnull


def test_problem_design_implies_the_tolerance():
    """At TIGHT_TOL the certificate alone guarantees 1e-7 relative coefficients.

    ``P`` is lam-strongly convex in ``w`` (intercept profiled out), so
    ``||w - w*||^2 <= 2 (P - P*) / lam <= 2 tol P_null / lam``.
    """
    for shape in SHAPES:
        for intercept in (True, False):
            for weights in (True, False):
                for targets in TARGETS:
                    prob, lam, _, (W, _b), _, pnull = problem_case(
                        shape, intercept, weights, targets, np.float64
                    )
                    W = np.atleast_2d(W)
                    bound = np.sqrt(2 * TIGHT_TOL * np.atleast_1d(pnull) / lam)
                    assert np.all(bound / np.linalg.norm(W, axis=1) <= RTOL64)
                    # ... and the fit is far from the null model: the test has teeth.
                    assert np.all(
                        np.linalg.norm(W, axis=1)
                        > 0.2 * np.linalg.norm(np.atleast_2d(prob.w_true), axis=1)
                    )


@pytest.mark.parametrize("targets", TARGETS)
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("weights", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_solver_matches_reference(solver, fmt, dtype, intercept, weights, shape, targets):
    prob, lam, X_rounded, (W_ref, b_ref), (W_64, b_64), pnull = problem_case(
        shape, intercept, weights, targets, dtype
    )
    p = prob.X.shape[1]
    X = as_format(prob.X, fmt, dtype)
    kw = dict(fit_intercept=intercept, sample_weight=prob.sample_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = fastridge.ridge(
            X, prob.y, lam, solver=solver, tol=TIGHT_TOL, max_iter=MAX_ITER, **kw
        )

    # The result object.
    assert isinstance(res, fastridge.FitResult)
    assert res.solver == solver
    assert res.converged
    assert res.tol == TIGHT_TOL
    if targets == "one":
        assert res.coef.shape == (p,)
        assert isinstance(res.intercept, float)
        assert np.ndim(res.certificate) == 0 and np.ndim(res.p_null) == 0
    else:
        assert res.coef.shape == (3, p)
        assert isinstance(res.intercept, np.ndarray) and res.intercept.shape == (3,)
        assert np.shape(res.certificate) == (3,) and np.shape(res.p_null) == (3,)
        np.testing.assert_allclose(res.lam, np.broadcast_to(lam, (3,)), rtol=0)
    assert res.coef.dtype == np.float64
    assert np.all(np.isfinite(res.coef))
    assert np.all(np.asarray(res.certificate) <= TIGHT_TOL * np.asarray(res.p_null))
    np.testing.assert_allclose(res.p_null, pnull, rtol=1e-12)
    if not intercept:
        assert np.all(np.asarray(res.intercept) == 0.0)

    # Accuracy against the reference of the problem actually solved (X as stored).
    rtol = RTOL64 if dtype == np.float64 else RTOL32
    assert np.all(rel_err_rows(res.coef, W_ref) <= rtol), rel_err_rows(res.coef, W_ref)
    scale_b = np.abs(b_ref) + np.linalg.norm(np.atleast_2d(W_ref), axis=1)
    assert np.all(np.abs(res.intercept - b_ref) <= rtol * scale_b)
    if dtype == np.float32:
        # ... and against the float64 problem: float32 storage loses ~1e-7.
        assert np.all(rel_err_rows(res.coef, W_64) <= RTOL32)
        scale_b = np.abs(b_64) + np.linalg.norm(np.atleast_2d(W_64), axis=1)
        assert np.all(np.abs(res.intercept - b_64) <= RTOL32 * scale_b)

    # The certificate is an upper bound on the true suboptimality.
    gap = suboptimality(
        X_rounded, res.coef, res.intercept, W_ref, b_ref, lam, sample_weight=prob.sample_weight
    )
    # ``gap`` is a quadratic form in (w - w*, b - b*), free of cancellation: accurate
    # far below tol * P_null, so a rounding slack of 1e-20 P_null keeps the check sharp.
    slack = 1e-20 * np.asarray(pnull)
    assert np.all(np.asarray(res.certificate) + slack >= gap), (res.certificate, gap)


@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-6])
@pytest.mark.parametrize("targets", ["one", "three-lams"])
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("weights", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_certificate_bounds_suboptimality_at_loose_tol(
    solver, fmt, intercept, weights, shape, targets, tol
):
    """Where the gap is far above rounding, the certificate still never under-estimates it."""
    prob, lam, X_rounded, (W_ref, b_ref), _, pnull = problem_case(
        shape, intercept, weights, targets, np.float64
    )
    kw = dict(fit_intercept=intercept, sample_weight=prob.sample_weight)
    res = fastridge.ridge(as_format(prob.X, fmt), prob.y, lam, solver=solver, tol=tol, **kw)
    assert res.converged
    cert = np.asarray(res.certificate)
    assert np.all(cert <= tol * np.asarray(pnull) * (1 + 1e-12))
    gap = np.asarray(
        suboptimality(
            X_rounded, res.coef, res.intercept, W_ref, b_ref, lam, sample_weight=prob.sample_weight
        )
    )
    assert np.all(gap >= 0)
    assert np.all(cert + 1e-20 * np.asarray(pnull) >= gap), (cert, gap)
    # The coefficient error implied by the certificate holds too.
    dist = rel_err_rows(res.coef, W_ref) * np.linalg.norm(np.atleast_2d(W_ref), axis=1)
    assert np.all(dist**2 <= 2 * (cert + 1e-20 * np.asarray(pnull)) / lam)


# ---------------------------------------------------------------------------
# warm starts, iteration caps, solver choice, threads
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("solver", ITERATIVE)
def test_warm_start_at_solution_needs_at_most_one_iteration(solver, shape, fmt):
    prob, lam, _, _, _, _ = problem_case(shape, True, True, "three-lams", np.float64)
    X = as_format(prob.X, fmt)
    kw = dict(sample_weight=prob.sample_weight, solver=solver, max_iter=MAX_ITER)
    cold = fastridge.ridge(X, prob.y, lam, tol=1e-12, **kw)
    assert cold.n_iter > 1
    warm = fastridge.ridge(X, prob.y, lam, tol=1e-10, coef_init=cold.coef, **kw)
    assert warm.converged
    assert warm.n_iter <= 1
    assert rel_err(warm.coef, cold.coef) <= 1e-5
    # One target, coef_init of shape (p,).
    cold1 = fastridge.ridge(X, prob.y[:, 1], lam[1], tol=1e-12, **kw)
    warm1 = fastridge.ridge(X, prob.y[:, 1], lam[1], tol=1e-10, coef_init=cold1.coef, **kw)
    assert warm1.converged and warm1.n_iter <= 1


@pytest.mark.parametrize("solver", ITERATIVE)
def test_warm_start_from_elsewhere_converges_to_same_answer(solver):
    prob, lam, _, (W_ref, _), _, _ = problem_case("n>p", True, False, "three", np.float64)
    rng = np.random.default_rng(7)
    W0 = rng.standard_normal(W_ref.shape) * 10
    res = fastridge.ridge(
        sp.csc_matrix(prob.X),
        prob.y,
        lam,
        solver=solver,
        tol=TIGHT_TOL,
        coef_init=W0,
        max_iter=MAX_ITER,
    )
    assert res.converged
    assert np.all(rel_err_rows(res.coef, W_ref) <= RTOL64)


def _hard_problem():
    """Ill-conditioned: strongly correlated columns, tiny lam."""
    rng = np.random.default_rng(3)
    n, p = 200, 60
    base = rng.standard_normal((n, 5))
    X = base @ rng.standard_normal((5, p)) + 1e-3 * rng.standard_normal((n, p))
    X[rng.random((n, p)) < 0.5] = 0.0
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    return X, y, 1e-6 * np.linalg.norm(X, 2) ** 2


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("solver", ITERATIVE)
def test_max_iter_one_warns_and_reports_a_finite_certificate(solver, fmt):
    X, y, lam = _hard_problem()
    Xf = as_format(X, fmt)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        res = fastridge.ridge(Xf, y, lam, solver=solver, tol=1e-12, max_iter=1)
    assert not res.converged
    assert res.n_iter <= 1
    assert np.isfinite(res.certificate) and res.certificate > 1e-12 * res.p_null
    # The certificate is still valid for the returned point.
    W_ref, b_ref = reference_ridge(X, y, lam)
    gap = suboptimality(X, res.coef, res.intercept, W_ref, b_ref, lam)
    assert res.certificate * (1 + 1e-9) >= gap


@pytest.mark.parametrize("solver", ["cg-primal", "cg-dual"])
def test_max_iter_partial_convergence_multi_target(solver):
    """With several targets, ``converged`` is False if any one of them did not converge."""
    X, y, lam = _hard_problem()
    prob = make_problem(*X.shape, seed=1)
    Y = np.column_stack([y, prob.X @ prob.w_true])
    Y[:, 1] = 1.0  # a constant target: P_null = 0, solved by w = 0 at once
    with warnings.catch_warnings():
        # The warning's message must not divide 0 by 0 for the solved target.
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(ConvergenceWarning, match="1 of 2 target") as record:
            res = fastridge.ridge(X, Y, lam, solver=solver, tol=1e-12, max_iter=2)
    assert "nan" not in str(record[0].message)
    assert not res.converged
    assert np.all(np.isfinite(res.certificate))
    assert res.certificate[1] == 0.0 and np.all(res.coef[1] == 0.0)


@pytest.mark.parametrize(
    ("n", "p", "sparse", "expected"),
    [
        (80, 30, True, "direct-primal"),
        (30, 80, True, "direct-dual"),
        (80, 30, False, "direct-primal"),
        (30, 80, False, "direct-dual"),
        (DIRECT_MAX_DIM, 10**6, True, "direct-dual"),
        (10**6, DIRECT_MAX_DIM, True, "direct-primal"),
        (1, 1, True, "direct-primal"),
        # Above the threshold: CG; primal for sparse X whatever the shape (the
        # Jacobi preconditioner), primal or dual by shape for dense X.
        (DIRECT_MAX_DIM + 1, 10**6, True, "cg-primal"),
        (10**6, DIRECT_MAX_DIM + 1, True, "cg-primal"),
        (DIRECT_MAX_DIM + 1, 10**6, False, "cg-dual"),
        (10**6, DIRECT_MAX_DIM + 1, False, "cg-primal"),
        (10**5, 10**5, False, "cg-primal"),
    ],
)
def test_auto_rule(n, p, sparse, expected):
    assert resolve_solver("auto", n, p, sparse=sparse) == expected


@pytest.mark.parametrize(
    ("solver", "n", "p", "expected"),
    [
        ("cg", 100, 10, "cg-primal"),
        ("cg", 10, 100, "cg-dual"),
        ("cg", 50, 50, "cg-primal"),
        ("direct", 100, 10, "direct-primal"),
        ("direct", 10, 100, "direct-dual"),
        *[(s, 10, 100, s) for s in SOLVERS],
        *[(s, 100, 10, s) for s in SOLVERS],
    ],
)
def test_solver_aliases(solver, n, p, expected):
    assert resolve_solver(solver, n, p) == expected


def test_unknown_solver_rejected():
    with pytest.raises(ValueError, match="unknown solver 'lbfgs'"):
        resolve_solver("lbfgs", 10, 10)
    prob = make_problem(20, 5, seed=0)
    with pytest.raises(ValueError, match="unknown solver"):
        fastridge.ridge(prob.X, prob.y, 1.0, solver="lbfgs")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", [(80, 30), (30, 80), (400, 300), (300, 400)])
def test_auto_and_aliases_through_the_api(shape, fmt):
    n, p = shape
    prob = make_problem(n, p, density=0.05, seed=11)
    lam = LAM_SCALE * prob.spectral_sq
    X = as_format(prob.X, fmt)
    res = fastridge.ridge(X, prob.y, lam, solver="auto", tol=TIGHT_TOL)
    side = "primal" if n >= p else "dual"
    if min(n, p) <= DIRECT_MAX_DIM:
        assert res.solver == resolve_solver("auto", n, p, sparse=fmt != "dense")
        assert res.solver.startswith("direct-")
    elif fmt == "dense":  # CG, or the direct solve after the dense CG budget
        assert res.solver in (f"cg-{side}", f"direct-{side}")
    else:
        assert res.solver == resolve_solver("auto", n, p, sparse=True)
        assert res.solver.startswith("cg-")
    assert res.converged
    W_ref, _ = reference_ridge(prob.X, prob.y, lam)
    assert rel_err(res.coef, W_ref) <= RTOL64
    for family in ("cg", "direct"):
        assert fastridge.ridge(X, prob.y, lam, solver=family).solver == f"{family}-{side}"


def _thread_problem(n, p, density, seed=21):
    prob = make_problem(n, p, k=2, density=density, weights=True, seed=seed)
    return prob.X, prob.y, prob.sample_weight, 0.05 * prob.spectral_sq


def _certified_distance(res):
    """``sqrt(2 cert / lam)`` per target: the certified bound on ``||w - w*||``."""
    return np.sqrt(2 * np.atleast_1d(res.certificate) / np.atleast_1d(res.lam))


def _check_thread_counts(X, y, sw, lam, solver):
    """2 threads twice agree bitwise; 1 vs 2 threads agree to rounding (direct solvers,
    1e-12) or within what the two certificates allow (iterative solvers: a different
    reduction order changes the rounding, which CG and CD amplify along their path)."""

    def fit(nt):
        return fastridge.ridge(
            X,
            y,
            lam,
            sample_weight=sw,
            solver=solver,
            tol=1e-20,
            n_threads=nt,
            max_iter=MAX_ITER,
        )

    one, two, two_again = fit(1), fit(2), fit(2)
    assert one.converged and two.converged
    assert one.n_threads == 1
    # Bitwise identical for the same thread count (static partition, fixed reduction order).
    assert np.array_equal(two.coef, two_again.coef)
    assert np.array_equal(two.intercept, two_again.intercept)
    assert np.array_equal(two.certificate, two_again.certificate)
    assert two.n_iter == two_again.n_iter
    dist = np.linalg.norm(np.atleast_2d(two.coef - one.coef), axis=1)
    assert np.all(dist <= _certified_distance(one) + _certified_distance(two))
    if solver.startswith("direct"):
        assert rel_err(two.coef, one.coef) <= 1e-12
        np.testing.assert_allclose(two.intercept, one.intercept, rtol=1e-12, atol=1e-12)
    else:
        assert rel_err(two.coef, one.coef) <= 1e-9


THREAD_CASES = [
    ((600, 100), solver) for solver in ("cg-primal", "cg-dual", "cd", "direct-primal")
] + [((100, 600), solver) for solver in ("cg-primal", "cg-dual", "cd", "direct-dual")]


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("shape", "solver"),
    THREAD_CASES,
    ids=[f"{s}-{'n>p' if n > p else 'p>n'}" for (n, p), s in THREAD_CASES],
)
def test_threads_deterministic_and_consistent(monkeypatch, solver, fmt, shape):
    """Small matrices run serial kernels; lower the threshold so the parallel ones run."""
    monkeypatch.setattr(fastridge._operators.design, "PARALLEL_MIN_NNZ", 0)
    monkeypatch.setattr(fastridge._operators.design, "PARALLEL_NNZ_PER_ACCUMULATOR", 0)
    X, y, sw, lam = _thread_problem(*shape, density=0.1)
    _check_thread_counts(as_format(X, fmt), y, sw, lam, solver)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["cg-primal", "cd", "direct-primal"])
def test_threads_on_a_matrix_above_the_parallel_threshold(solver, fmt):
    """The same without patching anything: enough nonzeros for the parallel kernels."""
    X, y, sw, lam = _thread_problem(4000, 300, density=0.25, seed=22)
    X = as_format(X, fmt)
    assert X.nnz >= fastridge._operators.design.PARALLEL_MIN_NNZ
    _check_thread_counts(X, y, sw, lam, solver)


def test_n_threads_does_not_leak():
    before = numba.get_num_threads()
    prob = make_problem(50, 20, seed=1)
    fastridge.ridge(sp.csr_matrix(prob.X), prob.y, 1.0, n_threads=1)
    assert numba.get_num_threads() == before


# ---------------------------------------------------------------------------
# a few regimes beyond the main grid
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_multi_target_equals_separate_fits(solver, fmt):
    prob, lam, _, _, _, _ = problem_case("p>n", True, True, "three-lams", np.float64)
    X = as_format(prob.X, fmt)
    # tol=1e-20: the certificates then guarantee ~3e-10 each, so 1e-9 is implied.
    kw = dict(sample_weight=prob.sample_weight, solver=solver, tol=1e-20, max_iter=MAX_ITER)
    joint = fastridge.ridge(X, prob.y, lam, **kw)
    for t in range(3):
        single = fastridge.ridge(X, prob.y[:, t], lam[t], **kw)
        assert rel_err(joint.coef[t], single.coef) <= 1e-9
        assert abs(joint.intercept[t] - single.intercept) <= 1e-9 * (
            abs(single.intercept) + np.linalg.norm(single.coef)
        )


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("lam_scale", [1e-4, 1e3])
def test_extreme_lam(solver, lam_scale):
    """Small lam (ill-conditioned) and very large lam (w ~ 0) still agree with the reference."""
    prob = make_problem(60, 20, weights=True, seed=5)
    lam = lam_scale * prob.spectral_sq
    kw = dict(sample_weight=prob.sample_weight)
    res = fastridge.ridge(
        sp.csc_matrix(prob.X), prob.y, lam, solver=solver, tol=1e-14, max_iter=50000, **kw
    )
    assert res.converged
    W_ref, b_ref = reference_ridge(prob.X, prob.y, lam, **kw)
    bound = np.sqrt(2 * res.certificate / lam) / np.linalg.norm(W_ref)
    assert rel_err(res.coef, W_ref) <= max(bound, 1e-12) * (1 + 1e-6)
    gap = suboptimality(prob.X, res.coef, res.intercept, W_ref, b_ref, lam, **kw)
    assert res.certificate + 1e-12 * res.p_null >= gap


@pytest.mark.parametrize("solver", SOLVERS)
def test_known_answer_recovered_with_tiny_lam(solver):
    """Noise-free data, n > p, tiny lam: the fit recovers the generating model."""
    prob = make_problem(120, 15, noise=0.0, density=0.5, seed=9)
    res = fastridge.ridge(
        sp.csr_matrix(prob.X), prob.y, 1e-8, solver=solver, tol=1e-16, max_iter=MAX_ITER
    )
    assert rel_err(res.coef, prob.w_true) <= 1e-6
    assert abs(res.intercept - prob.b_true) <= 1e-6 * abs(prob.b_true)


def test_reference_matches_sklearn():
    """The reference solve agrees with scikit-learn's Cholesky Ridge (weights, intercept)."""
    from sklearn.linear_model import Ridge as SkRidge

    prob = make_problem(80, 30, k=2, weights=True, seed=4)
    for intercept in (True, False):
        W, b = reference_ridge(
            prob.X, prob.y, 3.0, fit_intercept=intercept, sample_weight=prob.sample_weight
        )
        sk = SkRidge(alpha=3.0, fit_intercept=intercept, solver="cholesky").fit(
            prob.X, prob.y, sample_weight=prob.sample_weight
        )
        assert rel_err(W, sk.coef_) <= 1e-10
        np.testing.assert_allclose(b, sk.intercept_, rtol=1e-10, atol=1e-10)


def test_reference_suboptimality_matches_objective_difference():
    from tests._reference import objective

    prob = make_problem(40, 10, weights=True, seed=2)
    kw = dict(sample_weight=prob.sample_weight)
    W, b = reference_ridge(prob.X, prob.y, 2.0, **kw)
    rng = np.random.default_rng(0)
    w = W + 0.1 * rng.standard_normal(W.shape)
    direct = objective(prob.X, prob.y, w, b + 0.3, 2.0, **kw) - objective(
        prob.X, prob.y, W, b, 2.0, **kw
    )
    quad = suboptimality(prob.X, w, b + 0.3, W, b, 2.0, **kw)
    assert quad > 0
    np.testing.assert_allclose(quad, direct, rtol=1e-9)
    assert to_dense64(sp.csr_matrix(prob.X)).dtype == np.float64


@pytest.mark.parametrize("shape", [(600, 256), (256, 600)])
def test_auto_hands_slow_dense_cg_to_direct_after_its_budget(shape):
    """Dense X whose CG needs many iterations: auto stops CG after the dense budget.

    ``max(AUTO_DENSE_MIN_CG_BUDGET, m // AUTO_DENSE_CG_PER_DIM)`` CG iterations cost
    about one direct solve of a dense X; past them the direct solver (primal or
    dual by shape) finishes, certified, and agrees with the reference.  A
    well-conditioned dense problem stays with CG.
    """
    from fastridge._solvers.auto_rules import AUTO_DENSE_CG_PER_DIM, AUTO_DENSE_MIN_CG_BUDGET

    n, p = shape
    m = min(n, p)
    rng = np.random.default_rng(5)
    # a decaying spectrum: CG needs far more than the budget at this lam
    X = rng.standard_normal((n, p)) @ (rng.standard_normal((p, p)) * np.arange(1, p + 1) ** -1.0)
    y = X @ rng.standard_normal(p) + 0.1 * rng.standard_normal(n)
    lam = 1e-7 * float(np.linalg.norm(X, 2) ** 2)
    budget = max(AUTO_DENSE_MIN_CG_BUDGET, m // AUTO_DENSE_CG_PER_DIM)
    cg = fastridge.ridge(X, y, lam, solver="cg", tol=1e-12, max_iter=5000)
    assert cg.n_iter > budget  # the premise: CG alone needs more
    res = fastridge.ridge(X, y, lam, solver="auto", tol=1e-12)
    side = "primal" if n >= p else "dual"
    assert res.solver == f"direct-{side}" and res.converged
    assert budget < res.n_iter <= budget + 4  # the CG budget, then the solve and refinement
    W_ref, _ = reference_ridge(X, y, lam)
    assert rel_err(res.coef, W_ref) <= 1e-6
    easy = rng.standard_normal((n, p))
    lam_easy = 0.5 * float(np.linalg.norm(easy, 2) ** 2)  # condition number <= 3
    res = fastridge.ridge(easy, easy @ rng.standard_normal(p), lam_easy, solver="auto")
    assert res.solver == f"cg-{side}" and res.converged
