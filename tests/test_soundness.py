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
from hypothesis import HealthCheck, Phase, given, settings
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
# Only to *label* failures in messages (never to excuse them): a true gap below
# 1e-20 * (P_null + 1/2 sum s y^2) is at the level of the rounding of the returned float64
# coefficients themselves ("rounding-floor"); above it the certificate misses a
# real error ("material").
_FLOOR = mpmath.mpf("1e-20")

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
    assert not _crash(exc), f"[crash] {label}: crash {type(exc).__name__}: {exc}"


def _fmt(v) -> str:
    return mpmath.nstr(mpmath.mpf(v), 6) if not isinstance(v, str) else v


def _assert_sound(label, cert, gap, pnull_true, pnull_rep, tol, scale=None, ipart=None):
    """The soundness rule for one converged target / path point.

    ``scale`` (default ``P_null``) only labels a failure as "rounding-floor"
    (gap below ``_FLOOR * scale``) or "material"; ``ipart`` is the share of the
    gap due to the intercept alone, reported to locate the cause.
    """
    scale = pnull_true if scale is None else scale
    cert = float(cert)
    assert np.isfinite(cert), f"[non-finite] {label}: converged=True with certificate {cert}"
    assert gap != mpmath.inf, f"[non-finite] {label}: converged=True with non-finite coefficients"
    kind = "material" if gap > _FLOOR * scale else "rounding-floor"
    where = f", intercept part {_fmt(ipart / gap) if gap > 0 else 0} of it" if ipart else ""
    # The reference's own error: relative to the gap for the ridge quadratic form,
    # and ~1e-58 * P absolute for the logistic subtraction P(z) - P* (60 digits).
    hp_err = _HP_RTOL * gap + mpmath.mpf("1e-45") * (scale + abs(gap))
    assert mpmath.mpf(cert) >= gap - hp_err, (
        f"[{kind}] {label}: certificate {cert:.3e} < true gap {_fmt(gap)} "
        f"(ratio {_fmt(gap / cert) if cert > 0 else 'inf'}; P_null {_fmt(pnull_true)}, "
        f"gap / P_null {_fmt(gap / pnull_true) if pnull_true > 0 else 'inf'}, tol {tol:g}{where})"
    )
    assert mpmath.mpf(cert) <= tol * pnull_true * (1 + _PNULL_RTOL), (
        f"[above-tol] {label}: converged=True but certificate {cert:.3e} > tol * true P_null "
        f"= {_fmt(tol * pnull_true)}"
    )
    if pnull_rep is None:  # the API does not report P_null
        return
    pr = float(pnull_rep)
    err = abs(mpmath.mpf(pr) - pnull_true) if np.isfinite(pr) else mpmath.inf
    assert err <= _PNULL_RTOL * pnull_true, (
        f"[p_null] {label}: reported P_null {pr:.6e} vs true {_fmt(pnull_true)}"
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
        assert rec, f"[silent] {label}: converged=False without a warning"
        return res
    ref = hp.ridge_reference(X, y, lam, sample_weight, fit_intercept)
    coef = np.asarray(res.coef)
    assert np.isfinite(coef).all() and np.isfinite(res.intercept).all(), (
        f"[non-finite] {label}: converged=True with non-finite coefficients / intercept"
    )
    gaps = hp.ridge_gaps(ref, coef, res.intercept, parts=True)
    certs = np.atleast_1d(res.certificate)
    pnr = np.atleast_1d(res.p_null)
    for t, (g, ip) in enumerate(gaps):
        _assert_sound(
            f"{label} [target {t}, solver {res.solver}]",
            certs[t],
            g,
            ref.pnull[t],
            pnr[t],
            tol,
            scale=ref.scale(t),
            ipart=ip,
        )
    return res


def as_format(X, fmt, dtype=np.float64):
    X = np.asarray(X, dtype=dtype)
    if fmt == "csr":
        return sp.csr_matrix(X)
    if fmt == "csc":
        return sp.csc_matrix(X)
    return X


def _path_point_label(label, i, lam):
    return f"{label} [lam #{i} = {lam:.4g}]"


def check_ridge_path(label, X, y, lams, *, fit_intercept=True, sample_weight=None, **kw):
    """:func:`fastridge.ridge_path`: when converged, every (lam, target) point obeys the rule."""
    tol = kw.get("tol", 1e-8)
    res, exc, rec = _call(
        fastridge.ridge_path,
        X,
        y,
        lams,
        fit_intercept=fit_intercept,
        sample_weight=sample_weight,
        **kw,
    )
    if exc is not None:
        _refusal_ok(exc, label)
        return None
    if not res.converged:
        assert rec, f"[silent] {label}: converged=False without a warning"
        return res
    p = X.shape[1]
    k = 1 if np.ndim(y) == 1 else np.shape(y)[1]
    L = len(res.lams)
    coef = np.asarray(res.coef).reshape(L, k, p)
    icpt = np.asarray(res.intercept).reshape(L, k)
    cert = np.asarray(res.certificate).reshape(L, k)
    pnr = np.broadcast_to(np.asarray(res.p_null, dtype=float).reshape(-1), (k,))
    assert np.isfinite(coef).all() and np.isfinite(icpt).all(), (
        f"[non-finite] {label}: path converged=True with non-finite coefficients"
    )
    for i, lam in enumerate(res.lams):
        ref = hp.ridge_reference(X, y, float(lam), sample_weight, fit_intercept)
        gaps = hp.ridge_gaps(ref, coef[i], icpt[i], parts=True)
        for t, (g, ip) in enumerate(gaps):
            _assert_sound(
                f"{_path_point_label(label, i, lam)} [target {t}, path solver {res.solver}]",
                cert[i, t],
                g,
                ref.pnull[t],
                pnr[t],
                tol,
                scale=ref.scale(t),
                ipart=ip,
            )
    return res


def _converged_silently(rec) -> bool:
    """No ConvergenceWarning (or other fastridge warning) among the recorded warnings."""
    return not any(
        "converge" in str(w.message).lower() or "max_iter" in str(w.message) for w in rec
    )


def check_ridge_cv(label, X, y, alphas, *, sample_weight=None, **params):
    """:class:`fastridge.RidgeCV`: the refit at ``alpha_`` obeys the rule for ``certificate_``.

    RidgeCV exposes no ``converged`` flag: a fit that issued no convergence
    warning is taken as a claim that ``certificate_`` bounds the gap of the
    returned ``coef_`` / ``intercept_`` (at ``lam = alpha_``) and is within
    ``tol * P_null``.
    """
    est = fastridge.RidgeCV(alphas=alphas, **params)
    tol = est.tol
    _, exc, rec = _call(est.fit, X, y, sample_weight=sample_weight)
    if exc is not None:
        _refusal_ok(exc, label)
        return None
    if not _converged_silently(rec):
        return est
    fi = est.fit_intercept
    alpha = np.atleast_1d(est.alpha_)
    k = 1 if np.ndim(y) == 1 else np.shape(y)[1]
    lam = np.broadcast_to(alpha, (k,))
    coef = np.asarray(est.coef_, dtype=np.float64)
    icpt = np.asarray(est.intercept_, dtype=np.float64)
    assert np.isfinite(coef).all() and np.isfinite(icpt).all(), (
        f"[non-finite] {label}: RidgeCV without warning but non-finite coef_"
    )
    ref = hp.ridge_reference(X, y, lam, sample_weight, fi)
    gaps = hp.ridge_gaps(ref, coef, icpt if fi else 0.0, parts=True)
    cert = np.atleast_1d(est.certificate_)
    for t, (g, ip) in enumerate(gaps):
        _assert_sound(
            f"{label} [target {t}, alpha_ {lam[t]:.4g}, method {est.cv_result_.method}]",
            cert[t],
            g,
            ref.pnull[t],
            None,  # RidgeCV does not report P_null
            tol,
            scale=ref.scale(t),
            ipart=ip,
        )
    return est


def _binary_pm(y):
    """+-1 labels as the library encodes them: +1 for the larger label (classes[1])."""
    classes = np.unique(y)
    return np.where(y == classes[1], 1.0, -1.0)


def _check_logistic_models(label, X, y, lam, fi, sw, tol, coef, icpt, cert, pnull, multi):
    """Soundness of one logistic fit (binary, multinomial or one-vs-rest)."""
    classes = np.unique(y)
    K = len(classes)
    coef = np.asarray(coef, dtype=np.float64)
    icpt = np.asarray(icpt, dtype=np.float64)
    assert np.isfinite(coef).all() and np.isfinite(icpt).all(), (
        f"[non-finite] {label}: converged=True with non-finite coefficients"
    )
    if K == 2:
        ref = hp.logistic_reference(X, _binary_pm(y), lam, sw, fi)
        g = hp.logistic_gap(ref, coef.ravel(), float(np.ravel(icpt)[0]) if fi else 0.0)
        _assert_sound(
            label, float(np.ravel(cert)[0]), g, ref.pnull, float(np.ravel(pnull)[0]), tol
        )
    elif multi == "ovr":
        for c in range(K):
            y_pm = np.where(y == classes[c], 1.0, -1.0)
            ref = hp.logistic_reference(X, y_pm, lam, sw, fi)
            g = hp.logistic_gap(ref, coef[c], icpt[c] if fi else 0.0)
            _assert_sound(
                f"{label} [ovr class {c}]",
                np.ravel(cert)[c],
                g,
                ref.pnull,
                np.ravel(pnull)[c],
                tol,
            )
    else:
        lab = np.searchsorted(classes, y)
        ref = hp.multinomial_reference(X, lab, K, lam, sw, fi)
        g = hp.multinomial_gap(ref, coef, icpt)
        _assert_sound(
            label, float(np.ravel(cert)[0]), g, ref.pnull, float(np.ravel(pnull)[0]), tol
        )


def check_logistic_fit(label, X, y, lam, *, fit_intercept=True, sample_weight=None, **kw):
    """:func:`fastridge.logistic` (binary, multinomial, one-vs-rest) against the reference."""
    tol = kw.get("tol", 1e-8)
    res, exc, rec = _call(
        fastridge.logistic,
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
        assert rec, f"[silent] {label}: converged=False without a warning"
        return res
    _check_logistic_models(
        f"{label} [solver {res.solver}]",
        X,
        y,
        lam,
        fit_intercept,
        sample_weight,
        tol,
        res.coef,
        res.intercept,
        res.certificate,
        res.p_null,
        kw.get("multi_class", "auto"),
    )
    return res


def check_logistic_path(label, X, y, lams, *, fit_intercept=True, sample_weight=None, **kw):
    """:func:`fastridge.logistic_path`: when converged, every point obeys the rule."""
    tol = kw.get("tol", 1e-8)
    res, exc, rec = _call(
        fastridge.logistic_path,
        X,
        y,
        lams,
        fit_intercept=fit_intercept,
        sample_weight=sample_weight,
        **kw,
    )
    if exc is not None:
        _refusal_ok(exc, label)
        return None
    if not res.converged:
        assert rec, f"[silent] {label}: converged=False without a warning"
        return res
    pnull = np.atleast_1d(res.p_null)
    for i, lam in enumerate(res.lams):
        icpt = res.intercept[i] if fit_intercept else np.zeros_like(res.intercept[i])
        _check_logistic_models(
            f"{_path_point_label(label, i, lam)} [path solver {res.solver}]",
            X,
            y,
            float(lam),
            fit_intercept,
            sample_weight,
            tol,
            res.coef[i],
            icpt,
            np.atleast_1d(res.certificate[i]),
            pnull,
            kw.get("multi_class", "auto"),
        )
    return res


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


@pytest.mark.parametrize("mean", [1e6, 1e8])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("solver", PATH_SOLVERS)
def test_issue_large_mean_path(mean, fmt, solver):
    """Issue 1.1: large column means in ridge_path (auto, eigen, cg under-estimate)."""
    X, y = _large_mean(mean)
    check_ridge_path(
        f"path mean {mean:g}, {fmt}, {solver}",
        as_format(X, fmt),
        y,
        np.logspace(2, 5, 4),
        solver=solver,
    )


@pytest.mark.parametrize("scale", [1e160, 1e-300])
@pytest.mark.parametrize("solver", PATH_SOLVERS)
def test_issue_extreme_y_path(scale, solver):
    """Issue 1.2 along a path: P_null overflow / underflow must not certify."""
    X, y = _small()
    check_ridge_path(
        f"path y * {scale:g}, {solver}", X, y * scale, np.logspace(-1, 2, 3), solver=solver
    )


@pytest.mark.parametrize("engine", ["eigen", "gcv", "stochastic", "kfold"])
@pytest.mark.parametrize("case", ["mean 1e6", "mean 1e8", "y * 1e160", "y * 1e-300"])
def test_issue_ridge_cv(engine, case):
    """Issue 1.1 / 1.2 through RidgeCV's engines: the refit's certificate_ must hold."""
    if case.startswith("mean"):
        X, y = _large_mean(float(case.split()[1]))
        alphas = np.logspace(2, 5, 4)
    else:
        X, y = _small()
        y = y * float(case.split("* ")[1])
        alphas = np.logspace(-1, 2, 4)
    params = {"cv": 3} if engine == "kfold" else {"gcv_mode": engine}
    check_ridge_cv(f"RidgeCV {engine}, {case}", X, y, alphas, **params)


def _logistic_data(seed=0, n=30, p=5, K=2, mean=0.0, scale=None):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if scale is not None:
        X = X * scale
    beta = rng.standard_normal((p, K))
    labels = np.argmax(
        (X - X.mean(0)) / (X.std(0) + 1e-300) @ beta + rng.gumbel(size=(n, K)), axis=1
    )
    labels[:K] = np.arange(K)  # every class present
    return X + mean, labels


LOGISTIC_SOLVERS = ("auto", "newton-cg", "cd")


@pytest.mark.parametrize("solver", LOGISTIC_SOLVERS)
@pytest.mark.parametrize("lam", [1e-2, 1e-4])
def test_issue_logistic_large_mean(solver, lam):
    """Issue 3 (logistic, column mean 1e4, lam <= 1e-2): judged for soundness."""
    X, y = _logistic_data(mean=1e4)
    check_logistic_fit(f"logistic mean 1e4 lam {lam:g} {solver}", X, y, lam, solver=solver)


@pytest.mark.parametrize("init", ["1e300", "nan"])
@pytest.mark.parametrize("solver", LOGISTIC_SOLVERS)
def test_issue_logistic_coef_init(init, solver):
    """Issue 1.3: coef_init = 1e300 stops newton after one iteration with cert inf."""
    X, y = _logistic_data()
    check_logistic_fit(
        f"logistic coef_init {init} {solver}",
        X,
        y,
        1.0,
        solver=solver,
        coef_init=np.full(X.shape[1], float(init)),
    )


@pytest.mark.parametrize("lam", [1e-16, 1e-20, 1e-30])
def test_issue_logistic_tiny_lam(lam):
    """Issue 2.3 (C = 1e16..1e30 on make_classification(10, 20)): no raw LinAlgError,
    and a converged answer must be sound."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=10, n_features=20, random_state=42)
    res, exc, _ = _call(fastridge.logistic, X, y, lam)
    if exc is not None:
        _refusal_ok(exc, f"logistic make_classification lam {lam:g}")
        return
    if res.converged:
        # The data are separable: P* -> 0 as lam -> 0, and the reference Newton
        # would need ~log(1/lam) steps in 60 digits; bound it by P >= 0 instead.
        assert float(res.certificate) >= 0.0 and np.isfinite(res.coef).all()


@pytest.mark.parametrize("multi", ["multinomial", "ovr"])
@pytest.mark.parametrize("mean", [0.0, 1e4])
def test_issue_logistic_multiclass(multi, mean):
    """Multinomial / one-vs-rest certificate against the high-precision optimum."""
    X, y = _logistic_data(n=24, p=3, K=3, mean=mean)
    check_logistic_fit(f"logistic {multi} mean {mean:g}", X, y, 0.1, multi_class=multi)


@pytest.mark.parametrize("wide", [False, True])
def test_issue_logistic_weights(wide):
    """Weights spanning 1e-8..1e8 and column scales 1e-6..1e6 (binary)."""
    X, y = _logistic_data(p=4, scale=np.logspace(-6, 6, 4))
    rng = np.random.default_rng(1)
    sw = 10.0 ** rng.uniform(-8, 8, len(y)) if wide else None
    check_logistic_fit(f"logistic scales, wide weights={wide}", X, y, 1.0, sample_weight=sw)


@pytest.mark.parametrize("mean", [0.0, 1e4])
@pytest.mark.parametrize("K", [2, 3])
def test_issue_logistic_path(mean, K):
    """logistic_path: every point of a converged path obeys the rule."""
    X, y = _logistic_data(n=24, p=3, K=K, mean=mean)
    check_logistic_path(f"logistic_path K={K} mean {mean:g}", X, y, np.logspace(1, -2, 3))


@pytest.mark.parametrize("solver", RIDGE_SOLVERS)
def test_ridge_multi_target_per_target_lam(solver):
    """Two targets of very different scales, one lam each, large column means."""
    X, y = _large_mean(1e6, n=30, p=4)
    Y = np.column_stack([y, 1e-6 * y[::-1]])
    check_ridge_fit(f"two targets, mean 1e6, {solver}", X, Y, np.array([1e4, 1e-2]), solver=solver)


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
    k = draw(st.sampled_from([1, 1, 2]))
    if k == 2:  # a second target: pure noise at the same scale, its own lam below
        y = np.column_stack([y, rng.standard_normal(n) * 10.0**y_exp])
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
    if k == 2:
        lam = np.array([lam, 10.0 * lam])
    fmt = draw(st.sampled_from(["dense", "csr", "csc"]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    fit_intercept = draw(st.booleans())
    Xf = as_format(X, fmt, dtype)
    recipe = (
        f"n={n} p={p} k={k} seed={seed} rank={rank} mean=1e{mean_exp} y=1e{y_exp} "
        f"weights={weights} lam={np.atleast_1d(lam)[0]:.3g} fmt={fmt} "
        f"dtype={np.dtype(dtype).name} intercept={fit_intercept}"
    )
    return recipe, Xf, y, lam, sw, fit_intercept


def run_sweep(strategy, check, max_examples):
    """Run ``check`` on ``max_examples`` derandomised draws; fail once with every failure.

    Failures are collected rather than raised so that one run catalogues all of
    them (no shrinking: the recipe in each message rebuilds the input).  Only
    assertion failures of the soundness rule are collected; anything else
    (an error in the test itself) propagates.
    """
    failures = []

    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        try:
            check(*case)
        except AssertionError as exc:
            failures.append(str(exc).split("\n")[0])

    run()
    floor = [f for f in failures if f.startswith("[rounding-floor]")]
    assert not failures, (
        f"{len(failures)} of {max_examples} examples broke the rule "
        f"({len(failures) - len(floor)} material, {len(floor)} rounding-floor):\n"
        + "\n".join(sorted(failures))
    )


# Example budgets: sized so that the whole file runs in < 3 minutes after the
# Numba cache is warm (2 cores; the mpmath reference dominates).
N_RIDGE = 300


def _check_ridge_case(problem, solver):
    recipe, X, y, lam, sw, fi = problem
    check_ridge_fit(
        f"{recipe} solver={solver}", X, y, lam, fit_intercept=fi, sample_weight=sw, solver=solver
    )


def test_sweep_ridge():
    run_sweep(
        st.tuples(ridge_problems(), st.sampled_from(RIDGE_SOLVERS)), _check_ridge_case, N_RIDGE
    )


N_PATH = 120
N_CV = 100
N_LOGISTIC = 100


def _check_path_case(problem, solver):
    recipe, X, y, lam, sw, fi = problem
    lam0 = float(np.atleast_1d(lam)[0])
    check_ridge_path(
        f"{recipe} path solver={solver}",
        X,
        y,
        lam0 * np.array([100.0, 1.0, 0.01]),
        fit_intercept=fi,
        sample_weight=sw,
        solver=solver,
    )


def test_sweep_ridge_path():
    run_sweep(
        st.tuples(ridge_problems(max_n=20, max_p=16), st.sampled_from(PATH_SOLVERS)),
        _check_path_case,
        N_PATH,
    )


CV_ENGINES = ("eigen", "gcv", "stochastic", "kfold")


def _check_cv_case(problem, engine):
    recipe, X, y, lam, sw, fi = problem
    lam0 = float(np.atleast_1d(lam)[0])
    params = {"cv": 3} if engine == "kfold" else {"gcv_mode": engine}
    if engine == "kfold" and X.shape[0] < 3:
        return
    check_ridge_cv(
        f"{recipe} RidgeCV engine={engine}",
        X,
        y,
        lam0 * np.array([100.0, 1.0, 0.01]),
        sample_weight=sw,
        fit_intercept=fi,
        **params,
    )


def test_sweep_ridge_cv():
    run_sweep(
        st.tuples(ridge_problems(max_n=20, max_p=16), st.sampled_from(CV_ENGINES)),
        _check_cv_case,
        N_CV,
    )


@st.composite
def logistic_problems(draw):
    """An adversarial but legal logistic problem (binary, or 3 classes when small)."""
    K = draw(st.sampled_from([2, 2, 3]))
    n = draw(st.integers(4, 24 if K == 2 else 15))
    p = draw(st.integers(1, 8 if K == 2 else 3))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    scales = draw(st.booleans())
    if scales:  # column scales 1e-6 .. 1e6
        X = X * 10.0 ** rng.uniform(-6, 6, p)
    labels = rng.integers(0, K, n)
    labels[:K] = np.arange(K)
    if draw(st.booleans()):  # informative labels (possibly separable)
        z = (X - X.mean(0)) / (X.std(0) + 1e-300)
        labels = np.argmax(z @ rng.standard_normal((p, K)) + rng.gumbel(size=(n, K)), axis=1)
        labels[:K] = np.arange(K)
    # Multinomial fits with column means 1e6, wide weights and float32 took
    # 118 s and 391 s in newton-cg on today's code (a library slowness, reported
    # separately); the sweep keeps K = 3 at means <= 1e4 so its time stays bounded.
    mean_exp = draw(st.sampled_from([None, 2, 4, 6] if K == 2 else [None, 2, 4]))
    if mean_exp is not None:
        X = X + (10.0**mean_exp) * np.abs(X).max(axis=0)
    if p >= 3 and draw(st.booleans()):
        X[:, 1] = X[:, 0]
    if p >= 3 and draw(st.booleans()):
        X[:, 2] = 0.0
    weights = draw(st.sampled_from([None, "mild", "wide"]))
    sw = {
        None: None,
        "mild": rng.uniform(0.5, 2.0, n),
        "wide": 10.0 ** rng.uniform(-8, 8, n),
    }[weights]
    lam = 10.0 ** draw(st.sampled_from([-3, -2, -1, 0, 1, 2]))
    fmt = draw(st.sampled_from(["dense", "csr", "csc"]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    fi = draw(st.booleans())
    multi = draw(st.sampled_from(["auto", "ovr"])) if K > 2 else "auto"
    recipe = (
        f"logistic K={K} n={n} p={p} seed={seed} scales={scales} mean=1e{mean_exp} "
        f"weights={weights} lam={lam:g} fmt={fmt} dtype={np.dtype(dtype).name} "
        f"intercept={fi} multi_class={multi}"
    )
    return recipe, as_format(X, fmt, dtype), labels, lam, sw, fi, multi


def _check_logistic_case(problem, solver):
    recipe, X, y, lam, sw, fi, multi = problem
    check_logistic_fit(
        f"{recipe} solver={solver}",
        X,
        y,
        lam,
        fit_intercept=fi,
        sample_weight=sw,
        solver=solver,
        multi_class=multi,
    )


def test_sweep_logistic():
    run_sweep(
        st.tuples(logistic_problems(), st.sampled_from(LOGISTIC_SOLVERS)),
        _check_logistic_case,
        N_LOGISTIC,
    )


def _check_logistic_path_case(problem):
    recipe, X, y, lam, sw, fi, multi = problem
    check_logistic_path(
        f"{recipe} logistic_path",
        X,
        y,
        lam * np.array([10.0, 1.0, 0.1]),
        fit_intercept=fi,
        sample_weight=sw,
        multi_class=multi,
    )


def test_sweep_logistic_path():
    run_sweep(st.tuples(logistic_problems()), _check_logistic_path_case, N_LOGISTIC // 2)
