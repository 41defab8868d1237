"""Dual coordinate descent (``solver="dual-cd"``) for binary L2-logistic regression."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge
from fastridge._kernels._logistic_dual_cd import dual_subproblem
from tests._reference import binary_logistic_objective as _objective
from tests._reference import binary_logistic_problem

FORMATS = ["dense", "csr", "csc"]


def _problem(n=150, p=20, seed=0, dtype=np.float64):
    return binary_logistic_problem(n, p, seed, dtype)


def _as(X, fmt):
    return X if fmt == "dense" else sp.csr_matrix(X).asformat(fmt)


def _fit(X, y, lam, solver="dual-cd", **kw):
    kw.setdefault("tol", 1e-12)
    kw.setdefault("n_threads", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fastridge.logistic(X, y, lam, fit_intercept=False, solver=solver, **kw)


def _close(a, b, lam):
    """``||w_a - w_b|| <= sqrt(2 cert_a / lam) + sqrt(2 cert_b / lam)`` (lam-strong convexity)."""
    ca, cb = np.atleast_1d(a.certificate), np.atleast_1d(b.certificate)
    wa, wb = np.atleast_2d(a.coef), np.atleast_2d(b.coef)
    for k in range(wa.shape[0]):
        bound = np.sqrt(2.0 * ca[k] / lam) + np.sqrt(2.0 * cb[k] / lam)
        assert np.linalg.norm(wa[k] - wb[k]) <= bound * (1.0 + 1e-6) + 1e-14


def _dense64(X):
    return np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)


def _check_against_newton(X, y, s, lam, tol=1e-12, rel=1e-10, max_iter=None):
    """dual-cd converges, its certificate holds and its objective is Newton-CG's to ``rel``."""
    res = _fit(X, y, lam, sample_weight=s, tol=tol, max_iter=max_iter)
    ref = _fit(X, y, lam, solver="newton-cg", sample_weight=s, tol=tol)
    assert res.solver == "dual-cd"
    assert res.converged, res.certificate / res.p_null
    assert res.certificate <= tol * res.p_null
    assert ref.converged
    X64 = _dense64(X)
    y_pm = np.where(y > 0, 1.0, -1.0)
    sw = np.ones(len(y)) if s is None else s
    p_dual = _objective(X64, y_pm, sw, lam, res.coef, 0.0)
    p_ref = _objective(X64, y_pm, sw, lam, ref.coef, 0.0)
    assert abs(p_dual - p_ref) <= rel * p_ref
    # The certificate never under-estimates the suboptimality (P* <= both).
    assert res.certificate >= (p_dual - min(p_dual, p_ref)) - 1e-13 * p_ref
    return res


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [True, False])
def test_agrees_with_newton_cg(fmt, dtype, weighted):
    X, y, s = _problem(dtype=dtype)
    res = _check_against_newton(_as(X, fmt), y, s if weighted else None, 0.7)
    assert res.intercept == 0.0
    assert res.n_iter >= 1 and res.n_passes > res.n_iter


@pytest.mark.parametrize("fmt", FORMATS)
def test_deterministic_and_formats_agree(fmt):
    X, y, s = _problem(seed=3)
    a = _fit(_as(X, fmt), y, 0.3, sample_weight=s)
    b = _fit(_as(X, fmt), y, 0.3, sample_weight=s)
    assert np.array_equal(a.coef, b.coef)  # same bits
    assert a.certificate == b.certificate and a.n_iter == b.n_iter
    dense = _fit(X, y, 0.3, sample_weight=s)
    # Same row order, same arithmetic per row (sorted CSR indices): dense and sparse agree.
    np.testing.assert_allclose(a.coef, dense.coef, rtol=1e-9, atol=1e-12)


def test_nearly_separable_tiny_lam():
    """lam = 1e-6 n on nearly separable data: slow for dual CD, but certified or honest."""
    rng = np.random.default_rng(5)
    n, p = 80, 10
    X = rng.standard_normal((n, p))
    y = np.where(X @ rng.standard_normal(p) + 0.01 * rng.standard_normal(n) > 0, 1.0, -1.0)
    lam = 1e-6 * n
    res = _fit(X, y, lam, tol=1e-10, max_iter=20000)
    ref = _fit(X, y, lam, solver="newton-cg", tol=1e-12, max_iter=500)
    p_dual = _objective(X, y, np.ones(n), lam, res.coef, 0.0)
    p_ref = _objective(X, y, np.ones(n), lam, ref.coef, 0.0)
    assert res.certificate >= p_dual - min(p_dual, p_ref) - 1e-13 * p_ref
    if res.converged:
        assert abs(p_dual - p_ref) <= 1e-9 * p_ref
    else:
        assert res.n_iter == 20000


def test_huge_lam():
    X, y, s = _problem(seed=2)
    res = _check_against_newton(X, y, s, 1e6 * len(y))
    assert np.abs(res.coef).max() < 1e-5


def test_duplicate_rows_equal_weights():
    X, y, _ = _problem(seed=4)
    Xd = sp.csr_matrix(np.vstack([X, X[:40]]))
    yd = np.concatenate([y, y[:40]])
    s = np.ones(len(y))
    s[:40] = 2.0
    dup = _check_against_newton(Xd, yd, None, 0.5)
    wtd = _check_against_newton(sp.csr_matrix(X), y, s, 0.5)
    _close(dup, wtd, 0.5)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_empty_rows(fmt):
    X, y, s = _problem(seed=6)
    X[::7] = 0.0
    _check_against_newton(_as(X, fmt), y, s, 0.5)


def test_column_scales_1e_minus150_to_1e29():
    """Columns scaled over 180 decades (logistic refuses entries above 1e30)."""
    X, y, s = _problem(n=120, p=13, seed=7)
    scales = np.logspace(-150, 29, X.shape[1]) / np.abs(X).max()
    Xs = X * scales
    res = _fit(sp.csr_matrix(Xs), y, 0.5, sample_weight=s, tol=1e-8, max_iter=5000)
    ref = _fit(sp.csr_matrix(Xs), y, 0.5, solver="newton-cg", sample_weight=s, tol=1e-8)
    p_dual = _objective(Xs, y, s, 0.5, res.coef, 0.0)
    p_ref = _objective(Xs, y, s, 0.5, ref.coef, 0.0)
    assert np.all(np.isfinite(res.coef))
    assert res.certificate >= p_dual - min(p_dual, p_ref) - 1e-13 * p_ref
    # Never worse than the null model: dual CD cannot represent w = X^T (alpha y) / lam
    # for columns of norm ~1e29, and then returns w = 0 rather than its garbage.
    assert p_dual <= res.p_null * (1.0 + 1e-12)
    if res.converged:
        assert abs(p_dual - p_ref) <= 1e-7 * p_ref


def test_p_much_larger_than_n():
    rng = np.random.default_rng(8)
    n, p = 40, 3000
    X = sp.random(n, p, density=0.02, random_state=8, format="csr")
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    _check_against_newton(X, y, None, 0.1)


def test_zero_weights_drop_rows():
    X, y, s = _problem(seed=9)
    s[::3] = 0.0
    res = _check_against_newton(sp.csr_matrix(X), y, s, 0.4)
    keep = s > 0
    sub = _fit(sp.csr_matrix(X[keep]), y[keep], 0.4, sample_weight=s[keep])
    _close(res, sub, 0.4)


def test_subnormal_weights():
    """Weights of 1e-300 and 1e-320 (subnormal): those rows keep alpha_i = 0, no error."""
    X, y, s = _problem(seed=15)
    s[::5] = 1e-320
    s[1::5] = 1e-300
    _check_against_newton(X, y, s, 0.7, tol=1e-10, rel=1e-9)


def test_warm_start_and_cap():
    X, y, s = _problem(seed=10)
    cold = _fit(X, y, 0.05, sample_weight=s)
    warm = _fit(X, y, 0.05, sample_weight=s, coef_init=cold.coef)
    assert warm.converged and warm.n_iter <= cold.n_iter
    capped = _fit(X, y, 0.05, sample_weight=s, max_iter=1)
    assert not capped.converged and capped.n_iter == 1
    p_cap = _objective(X, y, s, 0.05, capped.coef, 0.0)
    p_ref = _objective(X, y, s, 0.05, cold.coef, 0.0)
    assert capped.certificate >= p_cap - p_ref


def test_one_vs_rest():
    X, _, _ = _problem(n=120, seed=11)
    y = np.arange(120) % 3
    res = _fit(X, y, 0.5, multi_class="ovr", tol=1e-10)
    ref = _fit(X, y, 0.5, solver="newton-cg", multi_class="ovr", tol=1e-10)
    assert res.converged and res.solver == "dual-cd"
    _close(res, ref, 0.5)


def test_cap_warning_names_the_cause():
    """Badly scaled columns (1e-4..1e4): dual CD is slow; the warning says so."""
    X, y, _ = _problem(n=60, p=4, seed=12)
    X = X * np.logspace(-4, 4, 4)
    with pytest.warns(Warning, match="dual coordinate descent converges slowly"):
        res = fastridge.logistic(X, y, 1.0, fit_intercept=False, solver="dual-cd", max_iter=50)
    assert not res.converged


def test_refusals():
    X, y, _ = _problem()
    with pytest.raises(ValueError, match=r"fits no intercept.*newton-cg"):
        fastridge.logistic(X, y, 1.0, solver="dual-cd")
    y3 = np.arange(len(y)) % 3
    with pytest.raises(ValueError, match="binary problems only"):
        fastridge.logistic(X, y3, 1.0, solver="dual-cd", fit_intercept=False)


@pytest.mark.parametrize("b", [-800.0, -30.0, -1.0, 0.0, 2.0, 40.0, 800.0])
@pytest.mark.parametrize("a", [0.0, 1e-3, 1.0, 1e4])
def test_subproblem_solves_the_1d_problem(a, b):
    """The 1-D Newton zeroes g'(alpha) = a (alpha - alpha_0) + b + log(alpha / (C - alpha))."""
    for C in [2.0, 1e-20, 1e100]:
        for a1 in [1e-8 * C, 0.25 * C, C - 1e-8 * C]:
            a2 = C - a1
            n1, n2, delta, _, it = dual_subproblem(a / C, b, C, a1, a2, 1e-13, 1e-14, 100)
            assert 0.0 < n1 <= C and 0.0 < n2 <= C
            assert abs(n1 + n2 - C) <= 4e-16 * C
            assert abs(delta - (n1 - a1)) <= 1e-15 * C
            if min(n1, n2) > 1e-300:  # not stopped by underflow
                gp = a / C * (n1 - a1) + b + np.log(n1) - np.log(n2)
                assert abs(gp) <= 1e-9 * max(1.0, abs(b)), (C, n1, n2, gp, it)


@pytest.mark.parametrize(
    "case", ["mean 1e4", "coef_init 1e300", "coef_init nan", "scales", "wide weights"]
)
def test_soundness_against_high_precision(case):
    """The soundness checks of tests/test_soundness.py (mpmath optimum), without intercept:
    a converged fit's certificate covers the true gap; an unconverged one warns."""
    from tests.test_soundness import _logistic_data, check_logistic_fit

    kw = {}
    if case == "mean 1e4":
        X, y = _logistic_data(mean=1e4)
        lam = 1e-2
    elif case.startswith("coef_init"):
        X, y = _logistic_data()
        kw["coef_init"] = np.full(X.shape[1], float(case.split()[1]))
        lam = 1.0
    else:
        X, y = _logistic_data(p=4, scale=np.logspace(-6, 6, 4))
        rng = np.random.default_rng(1)
        if case == "wide weights":
            kw["sample_weight"] = 10.0 ** rng.uniform(-8, 8, len(y))
        lam = 1.0
    check_logistic_fit(f"dual-cd {case}", X, y, lam, fit_intercept=False, solver="dual-cd", **kw)


def test_path_warm_starts():
    """logistic_path runs dual-cd down the grid (each lam warm-started from the last)."""
    X, y, _ = _problem(seed=13)
    lams = np.logspace(1, -1, 5)
    path = fastridge.logistic_path(
        sp.csr_matrix(X), y, lams, fit_intercept=False, solver="dual-cd", tol=1e-10
    )
    assert path.converged and path.solver == "dual-cd"
    for k, lam in enumerate(lams):
        ref = _fit(X, y, lam, solver="newton-cg", tol=1e-10)
        point = type("P", (), {"coef": path.coef[k], "certificate": path.certificate[k]})
        _close(point, ref, lam)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_through_the_reference_operator(fmt):
    """The operator parts (start, checks, certificate) through tests/_reference_operator.py:
    the same epochs and passes, iterates equal to rounding."""
    from fastridge._fit.logistic_setup import prepare_logistic
    from fastridge._fit.logistic_solve import solve_logistic
    from tests._reference_operator import ReferenceOperator

    X, y, s = _problem(seed=14)
    runs = []
    for cls in (None, ReferenceOperator):
        kw = {} if cls is None else {"operator_type": cls}
        prob = prepare_logistic(
            _as(X, fmt), y, sample_weight=s, solver="dual-cd", fit_intercept=False,
            tol=1e-10, n_threads=1, **kw,
        )  # fmt: skip
        runs.append(solve_logistic(prob, 0.5, np.zeros((prob.p, 1))))
    a, b = runs
    assert a.converged and b.converged and b.solver == "dual-cd"
    assert (a.n_iter, a.n_passes) == (b.n_iter, b.n_passes)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10, atol=1e-12)
