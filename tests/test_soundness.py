"""Certificate soundness (issue 10, "What must hold" point 1), checked in high precision.

The rule, for every solver, path and CV engine, on every input the library accepts:

- ``converged=True`` implies ``certificate >= P(w, b) - P*``, where ``P`` of the
  *returned* ``(w, b)`` (their exact float values) and ``P*`` are computed in
  high precision (``tests/_hp_reference.py``).  The only slack allowed is the
  reference's own rounding (``_HP_RTOL``, far below anything float64 can show).
- ``converged=True`` implies finite coefficients, intercept and certificate, and
  ``certificate <= tol * P_null`` with ``P_null`` the true (high-precision)
  objective of the best intercept-only model (so an overflowed ``P_null = inf``
  cannot make an infinite certificate look converged).
- Where the library cannot certify it may say so: ``converged=False`` together
  with a warning, or a clear exception (``ValueError`` / ``FloatingPointError`` /
  ``OverflowError`` raised on purpose).  A raw ``LinAlgError``,
  ``ZeroDivisionError`` or numpy broadcasting error is a crash, not an answer.

Part (a) reproduces every item of section 1 of the issue; part (b) is a
hypothesis sweep with a fixed, derandomised example budget.  Nothing here is
marked xfail: a failure is a bug in the library.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastridge

from . import _hp_reference as hp

# Relative slack of the high-precision evaluation itself: the reference gaps
# are right to ~1e-40 relative (80 / 60 digits, see _hp_reference), so 1e-30
# can never hide a float64 error (eps = 2.2e-16).
_HP_RTOL = mpmath.mpf("1e-30")
# Reported P_null against the high-precision one: float64 sums of n squared
# residuals are right to ~n * eps; 1e-6 only flags a P_null that is wrong
# (overflowed, underflowed, cancelled), which would make "converged" meaningless.
_PNULL_RTOL = 1e-6

RIDGE_SOLVERS = ("cg-primal", "cg-dual", "cd", "direct-primal", "direct-dual", "auto")
PATH_SOLVERS = ("auto", "eigen", "cg", "cd", "subspace-cg", "multishift-cg")


# ------------------------------------------------------------------ helpers


def _crash(exc: BaseException) -> bool:
    """True for exceptions that are crashes rather than a clear refusal."""
    if isinstance(exc, (np.linalg.LinAlgError, ZeroDivisionError)):
        return True
    msg = str(exc)
    if "broadcast" in msg or "could not convert" in msg:
        return True
    return not isinstance(exc, (ValueError, FloatingPointError, OverflowError))


def _call(fn, *args, **kwargs):
    """Run ``fn``; return ``(result or None, exception or None, warnings)``."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            res = fn(*args, **kwargs)
        except Exception as exc:  # judged by the caller
            return None, exc, list(rec)
    return res, None, list(rec)


def _refusal_ok(exc, label):
    assert not _crash(exc), f"{label}: crash {type(exc).__name__}: {exc}"


def _fmt(v) -> str:
    return mpmath.nstr(mpmath.mpf(v), 6) if not isinstance(v, str) else v


def _assert_sound(label, cert, gap, pnull_true, pnull_rep, tol):
    """The soundness rule for one converged target / path point."""
    cert = float(cert)
    assert np.isfinite(cert), f"{label}: converged=True with certificate {cert}"
    assert gap != mpmath.inf, f"{label}: converged=True with non-finite coefficients"
    assert mpmath.mpf(cert) >= gap * (1 - _HP_RTOL), (
        f"{label}: certificate {cert:.3e} < true gap {_fmt(gap)} "
        f"(ratio {_fmt(gap / cert) if cert > 0 else 'inf'}; P_null {_fmt(pnull_true)}, "
        f"gap / P_null {_fmt(gap / pnull_true) if pnull_true > 0 else 'inf'}, tol {tol:g})"
    )
    assert mpmath.mpf(cert) <= tol * pnull_true * (1 + _PNULL_RTOL), (
        f"{label}: converged=True but certificate {cert:.3e} > tol * true P_null "
        f"= {_fmt(tol * pnull_true)}"
    )
    pr = float(pnull_rep)
    err = abs(mpmath.mpf(pr) - pnull_true) if np.isfinite(pr) else mpmath.inf
    assert err <= _PNULL_RTOL * pnull_true, (
        f"{label}: reported P_null {pr:.6e} vs true {_fmt(pnull_true)}"
    )


def check_ridge_fit(label, X, y, lam, *, fit_intercept=True, sample_weight=None, **kw):
    """Fit with :func:`fastridge.ridge` and apply the soundness rule to every target."""
    tol = kw.get("tol", 1e-8)
    res, exc, rec = _call(
        fastridge.ridge,
        X,
        y,
        lam,
        fit_intercept=fit_intercept,
        sample_weight=sample_weight,
        **kw,
    )
    if exc is not None:
        _refusal_ok(exc, label)
        return None
    if not res.converged:
        assert rec, f"{label}: converged=False without a warning"
        return res
    ref = hp.ridge_reference(X, y, lam, sample_weight, fit_intercept)
    coef = np.asarray(res.coef)
    assert np.isfinite(coef).all() and np.isfinite(res.intercept).all(), (
        f"{label}: converged=True with non-finite coefficients / intercept"
    )
    gaps = hp.ridge_gaps(ref, coef, res.intercept)
    certs = np.atleast_1d(res.certificate)
    pnr = np.atleast_1d(res.p_null)
    for t, g in enumerate(gaps):
        _assert_sound(
            f"{label} [target {t}, solver {res.solver}]",
            certs[t],
            g,
            ref.pnull[t],
            pnr[t],
            tol,
        )
    return res


def as_format(X, fmt, dtype=np.float64):
    X = np.asarray(X, dtype=dtype)
    if fmt == "csr":
        return sp.csr_matrix(X)
    if fmt == "csc":
        return sp.csc_matrix(X)
    return X


# ================================================== part (a): section-1 items


def _large_mean(mean, n=60, p=5, seed=4):
    rng = np.random.default_rng(seed)
    X = mean + rng.standard_normal((n, p))
    y = rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("solver", RIDGE_SOLVERS)
def test_issue_large_mean_1e8(solver):
    """Issue 1.1: X = 1e8 + N(0,1), lam = 1e4; cg-primal certified a 236x too small gap."""
    X, y = _large_mean(1e8)
    check_ridge_fit(f"mean 1e8, lam 1e4, {solver}", X, y, 1e4, solver=solver)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("solver", RIDGE_SOLVERS)
def test_issue_large_mean_1e6(fmt, solver):
    """Issue 1.1: already at column means 1e6 the certificate under-estimates 1.3-1.9x."""
    X, y = _large_mean(1e6)
    check_ridge_fit(
        f"mean 1e6, lam 1e4, {fmt}, {solver}", as_format(X, fmt), y, 1e4, solver=solver
    )


@pytest.mark.parametrize("solver", RIDGE_SOLVERS)
def test_issue_large_mean_lam1(solver):
    """Issue 2.1's data (X = 1e8 + N(0,1), lam = 1): crash in direct; here judged for soundness."""
    X, y = _large_mean(1e8)
    check_ridge_fit(f"mean 1e8, lam 1, {solver}", X, y, 1.0, solver=solver)


def _small(seed=0, n=30, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + 0.3 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("scale", [1e154, 1e160, 1e200, 1e300, 1e-154, 1e-200, 1e-300])
@pytest.mark.parametrize("solver", RIDGE_SOLVERS)
def test_issue_extreme_y(scale, solver):
    """Issue 1.2: y * 1e160 overflows P_null (certified coef = 0, cert inf), y * 1e-300
    underflows it to 0 (certified coef = 0); direct with y >= 1e154 certifies with cert inf."""
    X, y = _small()
    check_ridge_fit(f"y * {scale:g}, {solver}", X, y * scale, 1.0, solver=solver)


@pytest.mark.parametrize("case", ["entry 1e200", "X * 1e160", "X * 1e300", "X * 1e-160"])
@pytest.mark.parametrize("solver", RIDGE_SOLVERS)
def test_issue_extreme_X(case, solver):
    """Issue 1.2: an X entry of 1e200 or X scaled by 1e160 / 1e300 gives NaN coefficients."""
    X, y = _small()
    if case == "entry 1e200":
        X = X.copy()
        X[3, 2] = 1e200
    else:
        X = X * float(case.split("* ")[1])
    check_ridge_fit(f"{case}, {solver}", X, y, 1.0, solver=solver)


@pytest.mark.parametrize("init", ["1e300", "-1e300", "nan", "inf"])
@pytest.mark.parametrize("solver", RIDGE_SOLVERS)
def test_issue_coef_init(init, solver):
    """Issue 1.3: coef_init = 1e300 gives NaN coefficients (cg); NaN coef_init must not pass."""
    X, y = _small()
    check_ridge_fit(
        f"coef_init {init}, {solver}",
        X,
        y,
        1.0,
        solver=solver,
        coef_init=np.full(X.shape[1], float(init)),
    )


@pytest.mark.parametrize("solver", RIDGE_SOLVERS)
def test_issue_column_scales(solver):
    """Issue 3 (false alarm, 20 x 60, column scales 1e-6..1e6): must at least be sound."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 60)) * np.logspace(-6, 6, 60)
    y = rng.standard_normal(20)
    check_ridge_fit(f"scales 1e-6..1e6, {solver}", X, y, 1.0, solver=solver)


@pytest.mark.parametrize("solver", RIDGE_SOLVERS)
def test_issue_huge_weights(solver):
    """Issue 3: sample_weight = 1e300 (answer right, certificate inf): judged for soundness."""
    X, y = _small()
    check_ridge_fit(
        f"sample_weight 1e300, {solver}", X, y, 1.0, solver=solver, sample_weight=1e300
    )


# ===================================================== part (b): property sweep


@st.composite
def ridge_problems(draw, max_n=30, max_p=24):
    """An adversarial but legal ridge problem, built from a seed and a few knobs."""
    n = draw(st.integers(2, max_n))
    p = draw(st.sampled_from([1, 2, 5, max(1, n // 2), n, min(max_p, 2 * n), max_p]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    rank = draw(st.sampled_from(["full", "deficient"]))
    if rank == "deficient" and min(n, p) > 1:
        r = max(1, min(n, p) // 3)
        X = rng.standard_normal((n, r)) @ rng.standard_normal((r, p))
    else:
        X = rng.standard_normal((n, p))
    if draw(st.booleans()):  # column scales 1e-6 .. 1e6
        X = X * 10.0 ** rng.uniform(-6, 6, p)
    mean_exp = draw(st.sampled_from([None, 2, 4, 6, 7, 8]))
    if mean_exp is not None:  # column means up to 1e8 times the spread
        X = X + (10.0**mean_exp) * np.abs(X).max(axis=0) * rng.uniform(0.5, 1.0, p)
    if p >= 3 and draw(st.booleans()):
        X[:, 1] = X[:, 0]  # duplicated column
    if p >= 3 and draw(st.booleans()):
        X[:, 2] = 0.0  # all-zero column
    y = X @ rng.standard_normal(p) / np.sqrt(p) + rng.standard_normal(n) * np.std(X)
    if not np.all(np.isfinite(y)) or np.std(y) == 0:
        y = rng.standard_normal(n)
    y = y / (np.max(np.abs(y)) or 1.0)
    y_exp = draw(st.sampled_from([0, 0, 0, -300, -200, -100, 100, 200, 300]))
    y = y * 10.0**y_exp
    weights = draw(st.sampled_from([None, "mild", "wide", "zeros"]))
    if weights == "mild":
        sw = rng.uniform(0.5, 2.0, n)
    elif weights == "wide":
        sw = 10.0 ** rng.uniform(-8, 8, n)
    elif weights == "zeros":
        sw = rng.uniform(0.5, 2.0, n)
        sw[rng.random(n) < 0.3] = 0.0
        sw[0] = 1.0
    else:
        sw = None
    # lam relative to the scale of the Gram so that both regimes occur.
    gram_scale = float(np.sum(X * X)) / p if np.any(X) else 1.0
    lam = gram_scale * 10.0 ** draw(st.sampled_from([-10, -6, -3, -1, 0, 2]))
    if not np.isfinite(lam) or lam <= 0:
        lam = 1.0
    fmt = draw(st.sampled_from(["dense", "csr", "csc"]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    fit_intercept = draw(st.booleans())
    Xf = as_format(X, fmt, dtype)
    recipe = (
        f"n={n} p={p} seed={seed} rank={rank} mean=1e{mean_exp} y=1e{y_exp} "
        f"weights={weights} lam={lam:.3g} fmt={fmt} dtype={np.dtype(dtype).name} "
        f"intercept={fit_intercept}"
    )
    return recipe, Xf, y, lam, sw, fit_intercept


_SWEEP = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@_SWEEP
@given(problem=ridge_problems(), solver=st.sampled_from(RIDGE_SOLVERS))
def test_sweep_ridge(problem, solver):
    recipe, X, y, lam, sw, fi = problem
    check_ridge_fit(
        f"{recipe} solver={solver}", X, y, lam, fit_intercept=fi, sample_weight=sw, solver=solver
    )
