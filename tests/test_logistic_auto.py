"""``solver="auto"`` for binary L2-logistic regression: dual CD on wide data without intercept.

The rule (``fastridge._solvers.auto_rules.binary_logistic_solver``): dual CD
when there is no intercept, ``X`` is CSR or a C-contiguous array (read by rows
without a copy) and ``p >= AUTO_DUAL_MIN_ASPECT * n``; Newton-CG otherwise.
After ``AUTO_DUAL_MAX_EPOCHS`` epochs without a certificate, Newton-CG goes on
from dual CD's ``w``.  Whatever ran, the fit is certified: checked here against
a Newton-CG fit of the same problem to tight tolerances.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

import fastridge
import fastridge._solvers.logistic as solvers
from fastridge._solvers.auto_rules import AUTO_DUAL_MIN_ASPECT

TOL = 1e-12


def _wide(fmt, dtype, seed=0, n=120, aspect=4.0):
    rng = np.random.default_rng(seed)
    p = int(aspect * n)
    X = sp.random(n, p, density=0.05, random_state=seed, format="csr", dtype=np.float64)
    X.data = rng.standard_normal(X.nnz)
    y = np.where(rng.random(n) < expit(X @ rng.standard_normal(p)), 1, 0)
    if fmt == "dense":
        X = np.ascontiguousarray(X.toarray())
    elif fmt == "csc":
        X = X.tocsc()
    return X.astype(dtype), y


def _objective(X, y, lam, w, s):
    m = np.asarray(X.astype(np.float64) @ w).ravel()
    t = np.where(y == 1, 1.0, -1.0) * m
    return float(s @ np.logaddexp(0.0, -t) + 0.5 * lam * (w @ w))


def _agree(X, y, lam, a, b, s):
    """Both certified: their objectives differ by at most the sum of certificates."""
    pa, pb = _objective(X, y, lam, a.coef, s), _objective(X, y, lam, b.coef, s)
    assert abs(pa - pb) <= a.certificate + b.certificate + 1e-13 * max(pa, pb)


@pytest.mark.parametrize("fmt", ["csr", "dense"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_wide_without_intercept_runs_dual_cd(fmt, dtype, weighted):
    X, y = _wide(fmt, dtype)
    s = np.random.default_rng(1).uniform(0.0, 3.0, len(y)) if weighted else None
    res = fastridge.logistic(X, y, 0.5, fit_intercept=False, tol=TOL, sample_weight=s)
    assert res.solver == "dual-cd"
    assert res.converged
    ref = fastridge.logistic(
        X, y, 0.5, fit_intercept=False, tol=TOL, sample_weight=s, solver="newton-cg"
    )
    _agree(X, y, 0.5, res, ref, np.ones(len(y)) if s is None else s)


@pytest.mark.parametrize(
    "case",
    ["intercept", "csc", "narrow"],
)
def test_newton_cg_otherwise(case):
    fmt = "csc" if case == "csc" else "csr"  # CSC: dual CD would need a CSR copy
    aspect = 0.9 * AUTO_DUAL_MIN_ASPECT if case == "narrow" else 4.0
    X, y = _wide(fmt, np.float64, aspect=aspect)
    res = fastridge.logistic(X, y, 0.5, fit_intercept=case == "intercept", tol=TOL)
    assert res.solver in ("newton-cg", "newton-cholesky")
    assert res.converged


def test_multinomial_stays_newton():
    X, _ = _wide("csr", np.float64)
    y = np.arange(X.shape[0]) % 3
    res = fastridge.logistic(X, y, 0.5, fit_intercept=False, tol=1e-10)
    assert res.solver == "newton-cg" and res.converged


def test_one_vs_rest_classes_run_dual_cd():
    X, _ = _wide("csr", np.float64)
    y = np.arange(X.shape[0]) % 3
    res = fastridge.logistic(X, y, 0.5, fit_intercept=False, tol=1e-10, multi_class="ovr")
    assert res.solver == "dual-cd" and res.converged


def test_no_certificate_in_the_epoch_budget_hands_over_to_newton(monkeypatch):
    """One epoch of dual CD does not certify 1e-12: Newton-CG finishes from its w,
    and the passes of both are reported."""
    X, y = _wide("csr", np.float64)
    ref = fastridge.logistic(X, y, 0.5, fit_intercept=False, tol=TOL, solver="newton-cg")
    with pytest.warns(ConvergenceWarning):
        dual1 = fastridge.logistic(
            X, y, 0.5, fit_intercept=False, tol=TOL, solver="dual-cd", max_iter=1
        )
    assert not dual1.converged  # so that the budget below is really too small
    monkeypatch.setattr(solvers, "AUTO_DUAL_MAX_EPOCHS", 1)
    res = fastridge.logistic(X, y, 0.5, fit_intercept=False, tol=TOL)
    assert res.solver == "newton-cg" and res.converged
    assert res.n_passes > dual1.n_passes
    _agree(X, y, 0.5, res, ref, np.ones(len(y)))


def test_estimator_reports_dual_cd():
    from fastridge import LogisticRegression

    X, y = _wide("csr", np.float64)
    est = LogisticRegression(C=2.0, fit_intercept=False).fit(X, y)
    assert est.solver_ == "dual-cd"
    assert est.result_.converged


def test_path_names_every_solver_that_ran(monkeypatch):
    """A path under auto whose large lam is certified by dual CD and whose smaller
    lams hand over to Newton-CG says so ("dual-cd+newton-cg"), not "dual-cd"."""
    X, y = _wide("csr", np.float64)
    monkeypatch.setattr(solvers, "AUTO_DUAL_MAX_EPOCHS", 4)
    lams = [100.0, 10.0, 1.0, 0.1, 0.01]
    ran = [fastridge.logistic(X, y, lam, fit_intercept=False, tol=1e-10).solver for lam in lams]
    assert ran[0] == "dual-cd" and "newton-cg" in ran  # the setting this test needs
    path = fastridge.logistic_path(X, y, lams, fit_intercept=False, tol=1e-10)
    assert path.converged
    assert path.solver == "dual-cd+newton-cg"
    single = fastridge.logistic_path(X, y, [100.0], fit_intercept=False, tol=1e-10)
    assert single.solver == "dual-cd"
