"""The operator contract: DesignOperator / SoftmaxOperator against the scipy references.

Both implement the Protocols of :mod:`fastridge._operators.contract`; every
product agrees to 1e-12 (relative, in norm) with the same pass count, and
every solver that needs no column access gives the same iterates (1e-10),
iteration counts and pass counts through either operator: the proof that
another operator can be dropped in.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fastridge._fit.logistic import prepare_logistic, solve_logistic
from fastridge._fit.validation import check_X
from fastridge._operators import DesignProducts, OperatorBase, SoftmaxProducts
from fastridge._operators.design import DesignOperator
from fastridge._operators.softmax import SoftmaxOperator
from fastridge._solvers.ridge import SOLVERS, RidgeProblem
from tests._reference_operator import ReferenceOperator, ReferenceSoftmaxOperator

FORMATS = ["dense", "csr", "csc"]


def _raw_data(fmt, dtype, n=60, p=12, k=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.uniform(-2, 2, p)
    X[rng.random((n, p)) < 0.3] = 0.0
    X = X.astype(dtype)
    Y = X.astype(np.float64) @ rng.standard_normal((p, k)) + rng.standard_normal((n, k))
    Xv = X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)
    return Xv, Y, rng


def _data(fmt, dtype, n=60, p=12, k=2, seed=0):
    Xv, Y, rng = _raw_data(fmt, dtype, n, p, k, seed)
    return check_X(Xv), Y, rng


def _close(a, b, rtol=1e-12):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    assert np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1e-300), (a, b)


def _pair(fmt, dtype, weighted, fit_intercept, seed=0):
    Xv, Y, rng = _data(fmt, dtype, seed=seed)
    n = Y.shape[0]
    s = rng.uniform(0.2, 2.0, n) if weighted else None
    sw = np.ones(n) if s is None else s
    Yc = Y - (sw @ Y) / sw.sum() if fit_intercept else Y
    ops = [cls(Xv, s, fit_intercept, 1, targets=Yc) for cls in (DesignOperator, ReferenceOperator)]
    return ops, Yc, rng


def test_operators_satisfy_the_protocols():
    Xv, Y, _ = _data("csr", np.float64)
    for cls in (DesignOperator, ReferenceOperator):
        op = cls(Xv, None, True, 1, targets=Y)
        assert isinstance(op, DesignProducts) and isinstance(op, OperatorBase)
        assert not isinstance(op, SoftmaxProducts)
    for cls in (SoftmaxOperator, ReferenceSoftmaxOperator):
        op = cls(Xv, 3, 1)
        assert isinstance(op, SoftmaxProducts) and isinstance(op, OperatorBase)
    assert DesignOperator.supports_column_access and DesignOperator.supports_dense_gram


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_products_agree(fmt, dtype, weighted, fit_intercept):
    (op, ref), Yc, rng = _pair(fmt, dtype, weighted, fit_intercept)
    n, p = op.n, op.p
    assert (op.n, op.p, op.shape, op.kind, op.dtype) == (
        ref.n,
        ref.p,
        ref.shape,
        ref.kind,
        ref.dtype,
    )
    _close(op.mu, ref.mu)
    _close(op.xt_s_targets, ref.xt_s_targets)
    assert op.careful == ref.careful and op.n_passes == ref.n_passes
    v, V = rng.standard_normal(p), rng.standard_normal((p, 3))
    u, U = rng.standard_normal(n), rng.standard_normal((n, 3))
    d = rng.uniform(0.0, 1.0, n)
    calls = [
        ("matvec", (v,)),
        ("matvec", (V,)),
        ("matvec", (V[:, :1],)),
        ("rmatvec", (u,)),
        ("rmatvec", (U,)),
        ("gram_matvec", (v,)),
        ("gram_matvec", (V,)),
        ("dual_gram_matvec", (u,)),
        ("dual_gram_matvec", (U,)),
        ("gram_dense", ()),
        ("dual_gram_dense", ()),
        ("raw_col_sq_norms", ()),
        ("col_sq_norms", ()),
        ("row_sq_norms", ()),
        ("mean_spread_ratio", ()),
        ("moments", (d, U)),
        ("pair_gradient", (Yc, V[:, : Yc.shape[1]], np.array([0.5, 2.0]))),
    ]
    for name, args in calls:
        a, b = getattr(op, name)(*args), getattr(ref, name)(*args)
        for x, y in zip(a, b) if isinstance(a, tuple) else [(a, b)]:
            _close(x, y)
        assert op.n_passes == ref.n_passes, name
    g, xv = op.gram_matvec_xv(v)
    g_ref, xv_ref = ref.gram_matvec_xv(v)
    _close(g, g_ref)
    _close(xv, xv_ref)
    assert op.n_passes == ref.n_passes
    op.record_passes(3)
    ref.record_passes(3)
    assert op.n_passes == ref.n_passes


@pytest.mark.parametrize("fmt", FORMATS)
def test_softmax_products_agree(fmt):
    Xv, _, rng = _data(fmt, np.float64)
    n, p, k = Xv.shape[0], Xv.shape[1], 3
    op, ref = SoftmaxOperator(Xv, k, 1), ReferenceSoftmaxOperator(Xv, k, 1)
    V, A, B = rng.standard_normal((p, k)), rng.standard_normal((n, k)), rng.random((n, k))
    P = rng.random((n, k))
    P /= P.sum(axis=1, keepdims=True)
    s, c = rng.uniform(0.5, 2.0, n), rng.standard_normal(k)
    _close(op.dot(V), ref.dot(V))
    _close(op.rmatvec(A), ref.rmatvec(A))
    for a, b in zip(op.hessp(P, s, V, c), ref.hessp(P, s, V, c)):
        _close(a, b)
    for a, b in zip(op.grad_diag(A, B), ref.grad_diag(A, B)):
        _close(a, b)
    assert op.n_passes == ref.n_passes


def _ridge_run(cls, Xv, s, fit_intercept, Yc, lam, solver):
    op = cls(Xv, s, fit_intercept, 1, targets=Yc)
    problem = RidgeProblem(op, Yc, lam, 1e-10)
    out = SOLVERS[solver](problem, np.zeros((op.p, Yc.shape[1])), 500)
    return out, op.n_passes


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("solver", ["cg-primal", "cg-dual", "direct-primal", "direct-dual"])
@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_solvers_through_both_operators(fmt, solver, k, weighted):
    # The dual solvers on a wide X, the primal ones on a tall one (well conditioned).
    n, p = (24, 50) if solver.endswith("dual") else (60, 12)
    Xv, Y, rng = _data(fmt, np.float64, n=n, p=p, k=k, seed=3)
    s = rng.uniform(0.2, 2.0, n) if weighted else None
    sw = np.ones(n) if s is None else s
    Yc = Y - (sw @ Y) / sw.sum()
    lam = np.array([20.0, 80.0])[:k]  # few iterations: rounding stays small
    out, passes = _ridge_run(DesignOperator, Xv, s, True, Yc, lam, solver)
    ref, ref_passes = _ridge_run(ReferenceOperator, Xv, s, True, Yc, lam, solver)
    _close(out.W, ref.W, 1e-10)
    assert out.n_iter == ref.n_iter and out.solver == ref.solver
    assert passes == ref_passes
    assert np.all(out.certificate <= 1e-10 * 0.5 * (sw @ Yc**2))


def _logistic_run(Xv, y, s, operators, lam):
    prob = prepare_logistic(
        Xv,
        y,
        sample_weight=s,
        solver="newton-cg",
        tol=1e-10,
        n_threads=1,
        operator_type=operators[0],
        softmax_operator_type=operators[1],
    )
    return solve_logistic(prob, lam, np.zeros((prob.p, prob.n_models)))


@pytest.mark.parametrize("fmt", FORMATS)
# (classes, p): binary Newton with the dense Hessian (p = 12) and with CG
# (dense p = 60), multinomial Newton-CG; lam = 5 keeps the inner CG short, so
# that rounding differences between the two operators stay at 1e-15.
@pytest.mark.parametrize(("n_classes", "p"), [(2, 12), (2, 60), (3, 12)])
@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_newton_through_both_operators(fmt, n_classes, p, weighted):
    Xv, Y, rng = _raw_data(fmt, np.float64, n=80, p=p, seed=5)
    y = np.digitize(Y[:, 0], np.quantile(Y[:, 0], np.linspace(0, 1, n_classes + 1)[1:-1]))
    s = rng.uniform(0.2, 2.0, len(y)) if weighted else None
    res = _logistic_run(Xv, y, s, (DesignOperator, SoftmaxOperator), 5.0)
    ref = _logistic_run(Xv, y, s, (ReferenceOperator, ReferenceSoftmaxOperator), 5.0)
    _close(res.coef, ref.coef, 1e-10)
    _close(res.intercept, ref.intercept, 1e-10)
    assert res.converged and ref.converged
    assert (res.n_iter, res.n_passes, res.solver) == (ref.n_iter, ref.n_passes, ref.solver)
    if n_classes == 3 or (p == 60 and fmt == "dense"):
        assert res.solver == "newton-cg"
