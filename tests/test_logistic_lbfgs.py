"""Issue 13: the certified L-BFGS solver for binary L2-logistic regression (``solver="lbfgs"``).

Soundness: whenever a fit reports ``converged``, ``P(returned) - P*`` (against a
60-digit reference optimum, ``tests/_hp_reference.py``) is at most its
certificate; otherwise the certificate is above the limit.  Plus agreement
with Newton-CG, the pass count (one per evaluation), one-vs-rest, refusals and
the edges (max_iter, warm starts, no fused kernel).  Seeded randomness only.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge
from fastridge._fit.logistic_setup import prepare_logistic
from fastridge._fit.logistic_solve import solve_logistic
from tests import _hp_reference as hp
from tests._reference import binary_logistic_objective

TOL = 1e-10


def _data(kind: str, n: int = 30, p: int = 3, seed: int = 0):
    """``(X, y01, s)``: ``separable`` (sign(X w* - 0.1)), ``noisy`` or ``imbalanced`` labels,
    weights with zeros."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    w = rng.standard_normal(p)
    m = X @ w + (0.0 if kind == "separable" else 1.5 * rng.standard_normal(n))
    # "imbalanced": one positive in ten (and the weights below on top)
    y = (m > (np.quantile(m, 0.9) if kind == "imbalanced" else 0.1)).astype(int)
    if kind != "separable":
        y[:2] = (0, 1)  # both classes present
    assert 0 < y.sum() < n
    s = rng.uniform(0.2, 3.0, n)
    s[rng.random(n) < 0.2] = 0.0
    s[:2] = 1.0  # both classes keep weight
    return X, y, s


def _as(X, fmt, dtype=np.float64):
    Xd = np.asarray(X, dtype=dtype)
    return Xd if fmt == "dense" else sp.csr_matrix(Xd).asformat(fmt)


def _fit(X, y, lam, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # honest non-convergence is allowed
        return fastridge.logistic(X, y, lam, solver="lbfgs", **kw)


@functools.cache
def _reference(kind, dtype_name, fit_intercept, weighted, lam, mean, scale):
    X, y, s = _data(kind)
    Xd = (np.asarray(X * scale + mean, dtype=np.dtype(dtype_name))).astype(np.float64)
    y_pm = np.where(y == 1, 1.0, -1.0)
    ref = hp.logistic_reference(Xd, y_pm, lam, s if weighted else None, fit_intercept)
    return Xd, y, (s if weighted else None), ref


def _check_sound(res, ref):
    assert np.all(np.isfinite(res.coef)) and np.isfinite(res.intercept)
    assert res.solver == "lbfgs"
    if not res.converged:
        assert not res.certificate <= TOL * res.p_null
        return
    gap = float(hp.logistic_gap(ref, res.coef, res.intercept))
    assert np.isfinite(res.certificate)
    assert gap <= res.certificate, (gap, res.certificate)


@pytest.mark.parametrize("kind", ["separable", "noisy", "imbalanced"])
@pytest.mark.parametrize("lam", [1e-8, 1e-2, 1.0, 1e4])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_certificate_is_sound_high_precision(fmt, dtype, fit_intercept, weighted, lam, kind):
    Xd, y, s, ref = _reference(kind, np.dtype(dtype).name, fit_intercept, weighted, lam, 0.0, 1.0)
    res = _fit(_as(Xd, fmt, dtype), y, lam, fit_intercept=fit_intercept, sample_weight=s, tol=TOL)
    _check_sound(res, ref)
    if lam >= 1e-2:  # well-conditioned: it must also certify
        assert res.converged


@pytest.mark.parametrize("mean", [1e6, -1e6])
@pytest.mark.parametrize("lam", [1e-2, 1.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_large_column_means_are_sound(fmt, fit_intercept, lam, mean):
    Xd, y, s, ref = _reference("noisy", "float64", fit_intercept, True, lam, mean, 1.0)
    res = _fit(_as(Xd, fmt), y, lam, fit_intercept=fit_intercept, sample_weight=s, tol=TOL)
    _check_sound(res, ref)
    if fit_intercept:  # the centred coordinates keep it well conditioned
        assert res.converged


@pytest.mark.parametrize("scale", [1e-150, 1e-30, 1e20])
@pytest.mark.parametrize("lam", [1e-8, 1.0])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_extreme_scales_are_sound(fit_intercept, lam, scale):
    Xd, y, _, ref = _reference("noisy", "float64", fit_intercept, False, lam, 0.0, scale)
    res = _fit(Xd, y, lam, fit_intercept=fit_intercept, tol=TOL)
    _check_sound(res, ref)


def test_scale_1e150_is_refused_like_every_solver():
    X, y, _ = _data("noisy")
    with pytest.raises(ValueError, match="rescale X"):
        fastridge.logistic(X * 1e150, y, 1.0, solver="lbfgs")


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("lam", [1e-3, 1e-1, 10.0])
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_agrees_with_newton_cg(fmt, lam, fit_intercept, weighted):
    rng = np.random.default_rng(5)
    n, p = 600, 40
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.5) + 0.3
    y = (X @ rng.standard_normal(p) + rng.standard_normal(n) > 0).astype(int)
    s = rng.uniform(0.0, 2.0, n) if weighted else None
    Xf = _as(X, fmt)
    kw = dict(fit_intercept=fit_intercept, sample_weight=s, tol=1e-10)
    a = fastridge.logistic(Xf, y, lam, solver="newton-cg", **kw)
    b = fastridge.logistic(Xf, y, lam, solver="lbfgs", **kw)
    assert a.converged and b.converged and b.solver == "lbfgs"
    y_pm = np.where(y == 1, 1.0, -1.0)
    sw = np.ones(n) if s is None else s
    pa = binary_logistic_objective(X, y_pm, sw, lam, a.coef, a.intercept)
    pb = binary_logistic_objective(X, y_pm, sw, lam, b.coef, b.intercept)
    assert abs(pb - pa) <= 1e-8 * pa
    assert b.certificate <= 1e-10 * b.p_null


def test_one_pass_per_evaluation_dense_and_csr_two_on_csc():
    """Passes: the set-up (1), one per evaluation, the certification (2: X^T u and, once,
    the row norms; its margins X w come from the evaluation); CSC reads X twice per
    evaluation."""
    X, y, s = _data("noisy", n=400, p=10, seed=2)
    counts = {}
    for fmt in ("dense", "csr", "csc"):
        res = _fit(_as(X, fmt), y, 0.1, sample_weight=s, tol=1e-8)
        assert res.converged
        counts[fmt] = (res.n_iter, res.n_passes)
    assert counts["dense"] == counts["csr"]
    n_iter, passes = counts["csr"]
    # every iteration has at least one evaluation; set-up 2 (weighted: mu_s), start 1,
    # each certification 1 (X^T u; X w from the evaluation) + 1 (row norms, once)
    assert n_iter + 5 <= passes <= 2 * n_iter + 12
    it_csc, passes_csc = counts["csc"]
    assert it_csc == n_iter
    assert passes_csc > passes + n_iter - 2  # two reads of X per evaluation


def test_deterministic():
    X, y, s = _data("noisy", n=300, p=8, seed=3)
    a = _fit(X, y, 0.05, sample_weight=s)
    b = _fit(X, y, 0.05, sample_weight=s)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert a.intercept == b.intercept and a.certificate == b.certificate


def test_max_iter_is_respected_and_reported_honestly():
    X, y, _ = _data("separable", n=200, p=10, seed=4)
    with pytest.warns(Warning):
        res = fastridge.logistic(X, y, 1e-4, solver="lbfgs", max_iter=3, tol=1e-12)
    assert res.n_iter == 3 and not res.converged
    assert res.certificate > 1e-12 * res.p_null and np.isfinite(res.certificate)


def test_unreachable_tolerance_stops_honestly():
    """tol below what rounding allows: the search finds no decrease, the solver stops
    before max_iter, reports its certificate and converged False."""
    Xd, y, s, ref = _reference("noisy", "float64", True, True, 1.0, 1e6, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fastridge.logistic(Xd, y, 1.0, solver="lbfgs", sample_weight=s, tol=1e-30)
    assert not res.converged and res.n_iter < 1000
    gap = float(hp.logistic_gap(ref, res.coef, res.intercept))
    assert gap <= res.certificate


@pytest.mark.parametrize("value", [1e300, 1e150, np.inf, np.nan])
def test_huge_warm_start_is_safe(value):
    X, y, _ = _data("noisy", n=80, p=6, seed=6)
    cold = _fit(X, y, 0.1, tol=1e-10)
    try:
        res = _fit(X, y, 0.1, tol=1e-10, coef_init=np.full(6, value))
    except ValueError as exc:  # refusing a non-finite warm start is fine
        assert not np.isfinite(value), exc
        return
    assert res.converged
    np.testing.assert_allclose(res.coef, cold.coef, rtol=1e-5, atol=1e-7)


def test_warm_start_at_the_solution_is_cheap():
    X, y, _ = _data("noisy", n=300, p=6, seed=7)
    cold = _fit(X, y, 0.1, tol=1e-9)
    warm = _fit(X, y, 0.1, tol=1e-9, coef_init=cold.coef)
    assert warm.converged and warm.n_iter <= 2


def test_saturated_separable_tiny_lam():
    """Separable data, lam 1e-8: margins saturate; the fit is finite and never unsound."""
    Xd, y, _, ref = _reference("separable", "float64", True, False, 1e-8, 0.0, 1.0)
    res = _fit(Xd, y, 1e-8, tol=TOL)
    _check_sound(res, ref)
    assert res.n_iter > 0
    assert np.all(np.sign(Xd @ res.coef + res.intercept) == np.where(y == 1, 1, -1))


def test_one_vs_rest_and_multinomial_refusal():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((300, 5))
    y = np.argmax(X[:, :3] + 0.5 * rng.standard_normal((300, 3)), axis=1)
    ovr_n = fastridge.logistic(X, y, 0.1, solver="newton-cg", multi_class="ovr", tol=1e-10)
    ovr_l = fastridge.logistic(X, y, 0.1, solver="lbfgs", multi_class="ovr", tol=1e-10)
    assert np.all(ovr_l.converged) and ovr_l.solver == "lbfgs"
    np.testing.assert_allclose(ovr_l.coef, ovr_n.coef, rtol=1e-3, atol=1e-5)
    with pytest.raises(ValueError, match='solver="lbfgs" fits binary problems only'):
        fastridge.logistic(X, y, 0.1, solver="lbfgs")


def test_estimators_run_it():
    X, y, _ = _data("noisy", n=200, p=5, seed=9)
    est = fastridge.LogisticRegression(solver="lbfgs", C=2.0).fit(X, y)
    assert est.solver_ == "lbfgs"
    ref = fastridge.LogisticRegression(solver="newton-cg", C=2.0).fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-4, atol=1e-6)
    # three classes, multinomial: scikit-learn's default name runs auto (same minimiser)
    X3 = np.vstack([X, X[:20] + 3.0])
    y3 = np.concatenate([y, np.full(20, 2)])
    est3 = fastridge.LogisticRegression(solver="lbfgs").fit(X3, y3)
    assert est3.solver_ != "lbfgs"


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_without_the_fused_kernel(fmt):
    """An operator without ``logistic_loss_grad`` (tests/_reference_operator.py, like the
    distributed one): matvec + rmatvec per evaluation, the same iterations, twice the passes."""
    from tests._reference_operator import ReferenceOperator

    X, y, s = _data("noisy", n=200, p=6, seed=10)
    runs = []
    for cls in (None, ReferenceOperator):
        kw = {} if cls is None else {"operator_type": cls}
        prob = prepare_logistic(
            _as(X, fmt), y, sample_weight=s, solver="lbfgs", tol=1e-10, n_threads=1, **kw
        )
        runs.append(solve_logistic(prob, 0.5, np.zeros((prob.p, 1))))
    a, b = runs
    assert a.converged and b.converged and b.solver == "lbfgs"
    assert a.n_iter == b.n_iter
    assert b.n_passes > a.n_passes
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------------
# the auto rule (fastridge._solvers.auto_rules.binary_logistic_solver)
# ---------------------------------------------------------------------------
def _dense_cg_problem(n=400, p=80, seed=11):
    """Dense, p above what the dense-Hessian rule takes (p + p^2 / 3n > 64)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = (X @ rng.standard_normal(p) + 2.0 * rng.standard_normal(n) > 0).astype(int)
    return X, y


def test_auto_rule_names():
    from fastridge._solvers.auto_rules import binary_logistic_solver, use_dense_hessian

    X, _ = _dense_cg_problem()
    assert not use_dense_hessian(X)
    assert binary_logistic_solver("auto", X, True) == "lbfgs"
    assert binary_logistic_solver("auto", X, False) == "lbfgs"
    small = X[:, :20].copy()  # the dense Hessian: Newton
    assert binary_logistic_solver("auto", small, True) == "newton-cg"
    wide = np.ascontiguousarray(np.hstack([X, X, X]))[:40]  # p >= 2.5 n, no intercept
    assert binary_logistic_solver("auto", wide, False) == "dual-cd"
    assert binary_logistic_solver("auto", wide, True) == "lbfgs"
    for fmt in ("csr", "csc"):  # sparse X stays with Newton
        assert binary_logistic_solver("auto", _as(X, fmt), True) == "newton-cg"
    assert binary_logistic_solver("newton-cg", X, True) == "newton-cg"


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_auto_runs_lbfgs_on_dense_cg_problems(fit_intercept):
    X, y = _dense_cg_problem()
    res = fastridge.logistic(X, y, 0.1, fit_intercept=fit_intercept, tol=1e-10)
    ref = fastridge.logistic(X, y, 0.1, fit_intercept=fit_intercept, tol=1e-10, solver="newton-cg")
    assert res.solver == "lbfgs" and res.converged
    y_pm = np.where(y == 1, 1.0, -1.0)
    s = np.ones(len(y))
    pa = binary_logistic_objective(X, y_pm, s, 0.1, res.coef, res.intercept)
    pb = binary_logistic_objective(X, y_pm, s, 0.1, ref.coef, ref.intercept)
    assert abs(pa - pb) <= res.certificate + ref.certificate + 1e-13 * pa
    est = fastridge.LogisticRegression(C=10.0, fit_intercept=fit_intercept).fit(X, y)
    assert est.solver_ == "lbfgs"


def test_auto_hands_over_to_newton_without_a_certificate(monkeypatch):
    """Two L-BFGS iterations do not certify 1e-12: Newton-CG finishes from their w, and
    the passes of both are reported."""
    import fastridge._solvers.logistic as solvers

    X, y = _dense_cg_problem()
    two = _fit(X, y, 0.1, tol=1e-12, max_iter=2)
    assert not two.converged
    monkeypatch.setattr(solvers, "AUTO_LBFGS_MAX_ITER", 2)
    res = fastridge.logistic(X, y, 0.1, tol=1e-12)
    assert res.solver == "newton-cg" and res.converged
    assert res.n_passes > two.n_passes
    ref = fastridge.logistic(X, y, 0.1, tol=1e-12, solver="newton-cg")
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-5, atol=1e-7)


def test_auto_one_vs_rest_on_dense_runs_lbfgs():
    X, _ = _dense_cg_problem()
    y = np.arange(X.shape[0]) % 3
    res = fastridge.logistic(X, y, 1.0, multi_class="ovr", tol=1e-10)
    assert res.solver == "lbfgs" and np.all(res.converged)
    multi = fastridge.logistic(X, y, 1.0, tol=1e-10)  # multinomial: Newton
    assert multi.solver == "newton-cg"


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_fused_margins_are_the_matvec_bit_for_bit(fmt, dtype, n_threads):
    """L-BFGS hands the fused pass's ``X w`` to ``certify_binary`` instead of its own
    ``matvec``: the two must be the same product, bit for bit (the certificate's bound
    on the margins' rounding is that of ``matvec``)."""
    from fastridge._fit.validation import check_X
    from fastridge._operators.design import DesignOperator

    rng = np.random.default_rng(11)
    X = rng.standard_normal((300, 37)) * 10.0 ** rng.uniform(-3, 3, 37)
    X[rng.random(X.shape) < 0.5] = 0.0
    Xv = check_X(_as(X, fmt, dtype))
    w = rng.standard_normal(37)
    y = np.where(rng.random(300) < 0.5, -1.0, 1.0)
    op = DesignOperator(Xv, None, False, n_threads)
    z_fused = op.logistic_loss_grad(w, 0.3, y, np.ones(300))[4]
    np.testing.assert_array_equal(z_fused, op.matvec(w))
