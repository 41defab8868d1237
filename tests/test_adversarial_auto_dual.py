"""Adversarial cases for ``solver="auto"`` running dual CD on wide binary problems.

``auto`` (no intercept, rows stored, ``p >= 2.5 n``) runs dual CD for
``AUTO_DUAL_MAX_EPOCHS`` epochs and hands over to Newton-CG without a
certificate (:func:`fastridge._solvers.logistic.run_binary`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge


def _badly_scaled(seed=5, n=10, p=136, top=25):
    """Wide data with column scales 1e-3..1e``top``: dual CD cannot represent
    ``w = X^T (alpha y) / lam`` there and stops uncertified."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-3, top, p)
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    y[0], y[1] = 1.0, -1.0
    return X, y


def _fit(X, y, lam, **kw):
    kw.setdefault("n_threads", 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fastridge.logistic(X, y, lam, fit_intercept=False, **kw)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("max_iter", [1, 3])
def test_warm_start_at_optimum_is_kept(fmt, max_iter):
    # A warm start that Newton-CG certifies with 0 iterations must not be
    # thrown away by auto's dual CD: before the fix, dual CD returned w = 0
    # (its own w had a certificate above P_null), Newton-CG restarted from 0
    # and, within max_iter, ended 1e11 P_null away from the optimum.
    X, y = _badly_scaled()
    lam = 0.06
    Xf = sp.csr_matrix(X) if fmt == "csr" else X
    ref = _fit(Xf, y, lam, solver="newton-cg", tol=1e-10)
    assert ref.converged
    newton = _fit(Xf, y, lam, solver="newton-cg", coef_init=ref.coef, max_iter=max_iter)
    assert newton.converged and newton.n_iter == 0
    auto = _fit(Xf, y, lam, coef_init=ref.coef, max_iter=max_iter)
    assert auto.converged, (auto.solver, auto.relative_certificate)
    assert auto.relative_certificate <= 1e-8


def test_ovr_mixed_solvers_reports_the_unconverged_class():
    # One-vs-rest under auto: class 0 is certified by dual CD (31 epochs),
    # class 1 falls back to Newton-CG and stops at max_iter=1.  Before the
    # fix the result named class 0's solver ("dual-cd", n_iter 31) and the
    # ConvergenceWarning blamed dual CD ("stopped after 31 iterations
    # (max_iter=1) ... dual coordinate descent converges slowly").
    rng = np.random.default_rng(2)
    n = int(rng.integers(6, 25))
    p = int(n * rng.uniform(3, 10))
    X = rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-2, rng.uniform(0, 8), p)
    Y = rng.integers(0, 3, n)
    Y[:3] = [0, 1, 2]
    lam = 10.0 ** rng.uniform(-4, 1)
    per_class = [_fit(X, np.where(Y == k, 1, 0), lam, max_iter=1) for k in range(3)]
    assert per_class[0].solver == "dual-cd" and per_class[0].converged
    assert not per_class[1].converged and per_class[1].solver != "dual-cd"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fastridge.logistic(
            X, Y, lam, fit_intercept=False, multi_class="ovr", n_threads=1, max_iter=1
        )
    assert not res.converged
    assert res.solver == per_class[1].solver
    assert res.n_iter <= 1
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert "dual coordinate descent" not in messages[0]
    assert "stopped after 1 iterations" in messages[0]
