"""``fastridge.ridge_path``: every point certified and equal to an independent fit.

The grid runs every path algorithm over {dense, CSR, CSC} x {float32, float64}
x {intercept on, off} x {weights on, off} x {n > p, p > n} and checks, at every
lam of the path,

* the certificate bounds the true suboptimality ``P(w, b) - P*`` (the optimum
  from a dense float64 solve), and is below ``tol * P_null``;
* the coefficients agree with the optimum as strong convexity demands,
  ``||w - w*||^2 <= 2 certificate / lam``, and (float64, tight tol) to 1e-7;
* the objective agrees with an independent certified ``fastridge.ridge`` fit
  at the same lam within the two certificates.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge
from fastridge._paths.grid import NULL_FRACTION
from fastridge._solvers.ridge.multishift import multishift_cg
from fastridge._solvers.ridge.path_subspace import subspace_path
from tests._reference import (
    as_format,
    make_problem,
    objective,
    p_null,
    reference_ridge,
    to_dense64,
)

PATH_SOLVERS = ["subspace-cg", "multishift-cg", "eigen", "cg", "cd"]
FORMATS = ["dense", "csr", "csc"]
DTYPES = [np.float64, np.float32]
SHAPES = {"n>p": (90, 40), "p>n": (40, 90)}
N_LAMS = 8
# The grid relative to ||X||_2^2: from "nearly null" to well inside the fit.
RHO = np.geomspace(3.0, 3e-3, N_LAMS)


def _problem(shape, weights, seed=0):
    n, p = SHAPES[shape]
    return make_problem(n, p, weights=weights, density=0.3, noise=0.1, seed=seed)


def _check_point(Xd, y, sw, fit_intercept, lam, coef, intercept, cert, tol_rel, pn):
    w_ref, b_ref = reference_ridge(Xd, y, lam, fit_intercept=fit_intercept, sample_weight=sw)
    p_star = objective(Xd, y, w_ref, b_ref, lam, sample_weight=sw)
    p_val = objective(Xd, y, coef, intercept, lam, sample_weight=sw)
    gap = p_val - p_star
    # The certificate bounds the gap (allowing float64 rounding of P itself).
    assert gap <= cert + 1e-12 * abs(p_star)
    assert cert <= tol_rel * pn
    # Strong convexity: ||w - w*||^2 <= 2 (P - P*) / lam <= 2 cert / lam.
    err_sq = float(np.sum((coef - w_ref) ** 2))
    assert err_sq <= 2 * cert / lam + 1e-20 * float(w_ref @ w_ref) + 1e-300
    return w_ref, b_ref


@pytest.mark.parametrize("solver", PATH_SOLVERS)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_point_certified(solver, fmt, dtype, fit_intercept, weights, shape):
    prob = _problem(shape, weights)
    X = as_format(prob.X, fmt, dtype)
    Xd = to_dense64(X)
    lams = RHO * prob.spectral_sq
    tol = 1e-16  # tight enough that the certificate implies 1e-7 on coef
    res = fastridge.ridge_path(
        X,
        prob.y,
        lams,
        fit_intercept=fit_intercept,
        sample_weight=prob.sample_weight,
        solver=solver,
        tol=tol,
        max_iter=5000,
    )
    assert res.converged
    assert res.coef.shape == (N_LAMS, X.shape[1])
    assert res.intercept.shape == res.certificate.shape == res.n_iter.shape == (N_LAMS,)
    np.testing.assert_array_equal(res.lams, np.sort(lams)[::-1])
    pn = p_null(prob.y, fit_intercept=fit_intercept, sample_weight=prob.sample_weight)
    np.testing.assert_allclose(res.p_null, pn, rtol=1e-10)
    for j, lam in enumerate(res.lams):
        w_ref, b_ref = _check_point(
            Xd,
            prob.y,
            prob.sample_weight,
            fit_intercept,
            lam,
            res.coef[j],
            res.intercept[j],
            res.certificate[j],
            tol,
            pn,
        )
        if dtype == np.float64:
            np.testing.assert_allclose(
                res.coef[j], w_ref, rtol=1e-7, atol=1e-7 * np.abs(w_ref).max()
            )
            np.testing.assert_allclose(res.intercept[j], b_ref, rtol=1e-7, atol=1e-9)
        if not fit_intercept:
            assert res.intercept[j] == 0.0


@pytest.mark.parametrize("solver", ["subspace-cg", "multishift-cg", "eigen"])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_points_match_independent_fits(solver, fmt):
    """Path point vs ``fastridge.ridge`` at the same lam: objectives within both certificates."""
    prob = _problem("n>p", weights=True, seed=3)
    X = as_format(prob.X, fmt)
    Xd = to_dense64(X)
    res = fastridge.ridge_path(
        X, prob.y, n_lams=12, sample_weight=prob.sample_weight, solver=solver
    )
    assert res.converged
    for j, lam in enumerate(res.lams):
        fit = fastridge.ridge(X, prob.y, lam, sample_weight=prob.sample_weight, tol=1e-8)
        p_path = objective(
            Xd, prob.y, res.coef[j], res.intercept[j], lam, sample_weight=prob.sample_weight
        )
        p_fit = objective(
            Xd, prob.y, fit.coef, fit.intercept, lam, sample_weight=prob.sample_weight
        )
        slack = res.certificate[j] + fit.certificate + 1e-12 * p_fit
        assert abs(p_path - p_fit) <= slack


@pytest.mark.parametrize("solver", PATH_SOLVERS)
def test_multi_target(solver):
    prob = make_problem(70, 30, k=3, density=0.3, noise=0.1, seed=5)
    X = sp.csr_matrix(prob.X) if solver != "cd" else sp.csc_matrix(prob.X)
    lams = RHO[:5] * prob.spectral_sq
    res = fastridge.ridge_path(X, prob.y, lams, solver=solver, tol=1e-12)
    assert res.converged
    assert res.coef.shape == (5, 3, 30)
    assert res.intercept.shape == res.certificate.shape == (5, 3)
    assert res.p_null.shape == (3,)
    for j, lam in enumerate(res.lams):
        w_ref, b_ref = reference_ridge(prob.X, prob.y, lam)
        np.testing.assert_allclose(res.coef[j], w_ref, rtol=1e-5, atol=1e-5 * np.abs(w_ref).max())
        np.testing.assert_allclose(res.intercept[j], b_ref, rtol=1e-5, atol=1e-6)


def test_default_grid_scale_equivariant_and_nearly_null():
    prob = _problem("n>p", weights=False, seed=1)
    X = sp.csr_matrix(prob.X)
    res = fastridge.ridge_path(X, prob.y, n_lams=7, lam_min_ratio=1e-3)
    assert len(res) == 7
    assert np.all(np.diff(res.lams) < 0)
    np.testing.assert_allclose(res.lams[-1] / res.lams[0], 1e-3, rtol=1e-12)
    # X -> c X scales the grid by c^2 and the coefficients by 1/c; y -> a y leaves it.
    c = 7.5
    res_c = fastridge.ridge_path(c * X, 3.0 * prob.y, n_lams=7, lam_min_ratio=1e-3)
    np.testing.assert_allclose(res_c.lams, c**2 * res.lams, rtol=1e-10)
    np.testing.assert_allclose(res_c.coef, 3.0 * res.coef / c, rtol=1e-6, atol=1e-9)
    # At lam_max the fit recovers at most NULL_FRACTION of P_null.
    pn = p_null(prob.y)
    p_first = objective(prob.X, prob.y, res.coef[0], res.intercept[0], res.lams[0])
    assert 0 <= (pn - p_first) / pn <= NULL_FRACTION
    # ... and not absurdly less (the bound is tight in the nearly-null region).
    assert (pn - p_first) / pn >= 0.1 * NULL_FRACTION


def test_default_ratio_follows_shape():
    tall = _problem("n>p", weights=False)
    wide = _problem("p>n", weights=False)
    r_tall = fastridge.ridge_path(tall.X, tall.y, n_lams=3)
    r_wide = fastridge.ridge_path(wide.X, wide.y, n_lams=3)
    np.testing.assert_allclose(r_tall.lams[-1] / r_tall.lams[0], 1e-4, rtol=1e-12)
    np.testing.assert_allclose(r_wide.lams[-1] / r_wide.lams[0], 1e-2, rtol=1e-12)


def test_constant_target_gives_zero_path():
    X = sp.random(40, 10, density=0.3, random_state=0, format="csr")
    res = fastridge.ridge_path(X, np.full(40, 2.5), n_lams=4)
    assert res.converged
    assert np.all(res.coef == 0)
    np.testing.assert_allclose(res.intercept, 2.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lams": []}, "empty"),
        ({"lams": [1.0, -1.0]}, "positive"),
        ({"lams": [1.0, np.nan]}, "finite"),
        ({"n_lams": 0}, "n_lams"),
        ({"n_lams": 2.5}, "n_lams"),
        ({"lam_min_ratio": 1.0}, "lam_min_ratio"),
        ({"solver": "lbfgs"}, "unknown solver"),
        ({"tol": -1.0}, "tol"),
    ],
)
def test_bad_arguments(kwargs, match):
    prob = _problem("n>p", weights=False)
    with pytest.raises(ValueError, match=match):
        fastridge.ridge_path(prob.X, prob.y, **kwargs)


def test_max_iter_warns_and_reports():
    prob = _problem("n>p", weights=False)
    with pytest.warns(Warning, match="ridge_path"):
        res = fastridge.ridge_path(
            sp.csr_matrix(prob.X), prob.y, n_lams=5, solver="cg", tol=1e-14, max_iter=1
        )
    assert not res.converged
    # The certificate still bounds the true gap at every point.
    for j, lam in enumerate(res.lams):
        w_ref, b_ref = reference_ridge(prob.X, prob.y, lam)
        gap = objective(prob.X, prob.y, res.coef[j], res.intercept[j], lam) - objective(
            prob.X, prob.y, w_ref, b_ref, lam
        )
        assert gap <= res.certificate[j] * (1 + 1e-9) + 1e-12


# --------------------------------------------------------------------------- kernels


def _spd_problem(m=50, k=2, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((3 * m, m)) * rng.uniform(0.05, 3.0, m)
    return A.T @ A, rng.standard_normal((m, k))


def test_multishift_matches_independent_solves():
    """Multi-shift CG against a dense solve and against plain CG per shift."""
    H, B = _spd_problem()
    shifts = np.geomspace(50.0, 0.05, 9)
    B_in = B.copy()
    out = multishift_cg(lambda V: H @ V, B, shifts, np.full((2, 9), 1e-26), 10_000)
    np.testing.assert_array_equal(B, B_in)  # the right-hand sides are not modified
    assert out.n_products <= 200
    for t in range(2):
        for j, s in enumerate(shifts):
            x = np.linalg.solve(H + s * np.eye(len(H)), B[:, t])
            np.testing.assert_allclose(out.X[t, j], x, rtol=1e-9, atol=1e-12 * np.abs(x).max())
            # The recursive residual is the true one (up to drift far below it).
            r_true = B[:, t] - (H + s * np.eye(len(H))) @ out.X[t, j]
            assert r_true @ r_true <= 1e-20 * (B[:, t] @ B[:, t])
    # Larger shifts converge first.
    assert np.all(np.diff(out.n_iter[0][np.argsort(-shifts)]) >= 0)


def test_multishift_iterates_equal_plain_cg():
    """After k iterations, each shifted system holds plain CG's k-th iterate."""
    H, B = _spd_problem(m=30, k=1, seed=2)
    shifts = np.array([0.3, 2.0, 9.0])
    for k in (1, 3, 6):
        out = multishift_cg(lambda V: H @ V, B, shifts, np.zeros((1, 3)), k)
        for j, s in enumerate(shifts):
            A = H + s * np.eye(len(H))
            x = np.zeros(len(H))
            r = B[:, 0].copy()
            d = r.copy()
            for _ in range(k):
                a = (r @ r) / (d @ A @ d)
                x += a * d
                r_new = r - a * (A @ d)
                d = r_new + (r_new @ r_new) / (r @ r) * d
                r = r_new
            np.testing.assert_allclose(out.X[0, j], x, rtol=1e-10, atol=1e-12)


class _DenseOp:
    def __init__(self, H):
        self.H = H

    def gram_matvec(self, v):
        return self.H @ v


def test_subspace_path_certifies_every_lam():
    H, B = _spd_problem(m=60, k=1, seed=4)
    b = B[:, 0]
    lams = np.geomspace(100.0, 0.01, 15)
    thresh = 1e-20 * (b @ b) * np.ones(15)
    out = subspace_path(_DenseOp(H), b, lams, thresh, np.diag(H).copy(), 500)
    Wt, rsq, n_iter = out.coef, out.residual_sq, out.n_iter
    W = Wt.T
    for j, lam in enumerate(lams):
        x = np.linalg.solve(H + lam * np.eye(60), b)
        r = b - (H + lam * np.eye(60)) @ W[:, j]
        # Equal up to rounding (far below the threshold).
        np.testing.assert_allclose(r @ r, rsq[j], rtol=1e-6, atol=1e-3 * thresh[j])
        assert rsq[j] <= thresh[j]
        np.testing.assert_allclose(W[:, j], x, rtol=1e-8, atol=1e-10 * np.abs(x).max())
    assert np.all(n_iter >= 1) and n_iter.max() <= 60


def test_eigen_path_matches_direct_solves():
    prob = _problem("p>n", weights=True, seed=6)
    lams = RHO * prob.spectral_sq
    res = fastridge.ridge_path(
        prob.X, prob.y, lams, solver="eigen", sample_weight=prob.sample_weight
    )
    for j, lam in enumerate(res.lams):
        w_ref, b_ref = reference_ridge(prob.X, prob.y, lam, sample_weight=prob.sample_weight)
        np.testing.assert_allclose(res.coef[j], w_ref, rtol=1e-9, atol=1e-11 * np.abs(w_ref).max())
        np.testing.assert_allclose(res.intercept[j], b_ref, rtol=1e-9, atol=1e-12)


def test_inputs_unchanged_and_threads_agree():
    prob = _problem("n>p", weights=True, seed=2)
    X = sp.csr_matrix(prob.X)
    X_copy, y_copy, sw_copy = X.copy(), prob.y.copy(), prob.sample_weight.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r1 = fastridge.ridge_path(
            X, prob.y, n_lams=6, sample_weight=prob.sample_weight, n_threads=1
        )
        r2 = fastridge.ridge_path(
            X, prob.y, n_lams=6, sample_weight=prob.sample_weight, n_threads=2
        )
    assert (X != X_copy).nnz == 0
    np.testing.assert_array_equal(prob.y, y_copy)
    np.testing.assert_array_equal(prob.sample_weight, sw_copy)
    np.testing.assert_allclose(r1.coef, r2.coef, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- predictions


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("parallel", [False, True])
def test_gram_matvec_xv(fmt, parallel, monkeypatch):
    """``gram_matvec_xv`` = (``gram_matvec``, raw ``X v``), serial and parallel kernels."""
    from fastridge._operators import design as _operators

    if parallel:
        monkeypatch.setattr(_operators, "PARALLEL_MIN_NNZ", 0)
        monkeypatch.setattr(_operators, "PARALLEL_NNZ_PER_ACCUMULATOR", 0)
    prob = _problem("n>p", weights=True, seed=8)
    X = as_format(prob.X, fmt)
    op = _operators.DesignOperator(X, prob.sample_weight, True, 2)
    assert (op.n_threads == 2) == parallel
    v = np.random.default_rng(0).standard_normal(X.shape[1])
    h, z = op.gram_matvec_xv(v)
    np.testing.assert_allclose(h, op.gram_matvec(v), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(z, prob.X @ v, rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("solver", ["subspace-cg", "eigen", "cg", "multishift-cg"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_path_predictions_on_zero_weight_rows(solver, fmt):
    """A fold as zero weights: the path's predictions on the test rows equal X_test w + b."""
    from fastridge._paths.ridge import path_with_predictions

    prob = make_problem(150, 60, k=2, density=0.2, noise=0.1, seed=9)
    X = as_format(prob.X, fmt)
    rows = np.arange(0, 150, 5)
    s = np.ones(150)
    s[rows] = 0.0
    res, pred = path_with_predictions(
        X, prob.y, n_lams=6, rows=rows, sample_weight=s, solver=solver, tol=1e-12
    )
    expected = np.einsum("rp,jtp->rjt", prob.X[rows], res.coef) + res.intercept[None]
    np.testing.assert_allclose(pred, expected, rtol=1e-11, atol=1e-11 * np.abs(expected).max())
    # ... and the fit ignores the zero-weight rows: the same path as on the others.
    keep = np.setdiff1d(np.arange(150), rows)
    sub = fastridge.ridge_path(prob.X[keep], prob.y[keep], res.lams, solver=solver, tol=1e-12)
    np.testing.assert_allclose(res.coef, sub.coef, rtol=1e-4, atol=1e-6)
