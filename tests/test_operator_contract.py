"""The operator contract: DesignOperator / SoftmaxOperator against the scipy references.

Both implement the Protocols of :mod:`fastridge._operators.contract`; every
product agrees to 1e-12 (relative, in norm) with the same pass count, and
every solver that needs no column access gives the same iterates (1e-10),
iteration counts and pass counts through either operator, and so do the
ridge and logistic paths and the RidgeCV engines (K-fold, leave-one-out,
exact and stochastic GCV) built on them: the proof that another operator can
be dropped in (docs/architecture.md, "7. The operator contract").
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fastridge._cv.ridge import kfold_scores, loo_gcv
from fastridge._fit.logistic import prepare_logistic, solve_logistic
from fastridge._fit.validation import check_X
from fastridge._operators import DesignProducts, OperatorBase, SoftmaxProducts
from fastridge._operators.design import DesignOperator
from fastridge._operators.softmax import SoftmaxOperator
from fastridge._paths.logistic import logistic_path
from fastridge._paths.ridge import path_with_predictions, ridge_path
from fastridge._solvers.ridge import SOLVERS, RidgeProblem
from tests._reference_operator import ReferenceOperator, ReferenceSoftmaxOperator

FORMATS = ["dense", "csr", "csc"]


def _raw_data(fmt, dtype, n=60, p=12, k=2, seed=0, shift=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + shift * rng.uniform(-2, 2, p)
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


# ---------------------------------------------------------------------------
# paths and cross-validation engines through both operators
# ---------------------------------------------------------------------------

BOTH = [(DesignOperator, SoftmaxOperator), (ReferenceOperator, ReferenceSoftmaxOperator)]


class _Recorder:
    """Builds operators of class ``cls`` and keeps them, to sum their passes."""

    def __init__(self, cls):
        self.cls, self.ops = cls, []

    def __call__(self, *args, **kwargs):
        op = self.cls(*args, **kwargs)
        self.ops.append(op)
        return op

    @property
    def n_passes(self) -> int:
        return sum(op.n_passes for op in self.ops)


def _recording_path(paths: list):
    """``path_with_predictions`` that appends each ``PathResult`` to ``paths``."""

    def path(*args, **kwargs):
        out = path_with_predictions(*args, **kwargs)
        paths.append(out[0])
        return out

    return path


def _weights(rng, n, weighted):
    return rng.uniform(0.2, 2.0, n) if weighted else None


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["subspace-cg", "multishift-cg", "eigen", "cg"])
@pytest.mark.parametrize(("n", "p"), [(60, 12), (24, 40)], ids=["tall", "wide"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_path_through_both_operators(fmt, dtype, solver, n, p, fit_intercept, weighted):
    # Small column means and lam >= 50: every iteration is well conditioned (the
    # unpreconditioned multi-shift CG included), so rounding differences between
    # the operators stay far below 1e-10 and no stopping decision flips.
    Xv, Y, rng = _raw_data(fmt, dtype, n=n, p=p, k=2, seed=7, shift=0.1)
    kw = dict(fit_intercept=fit_intercept, sample_weight=_weights(rng, n, weighted), tol=1e-10)
    lams = np.geomspace(5000.0, 50.0, 5)
    a, b = (
        ridge_path(Xv, Y, lams, solver=solver, n_threads=1, operator_type=cls, **kw)
        for cls, _ in BOTH
    )
    _close(a.coef, b.coef, 1e-10)
    _close(a.intercept, b.intercept, 1e-10)
    assert np.array_equal(a.n_iter, b.n_iter) and a.n_passes == b.n_passes
    assert a.solver == b.solver and a.converged and b.converged


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("n_classes", "p", "multi_class"),
    [(2, 12, "auto"), (2, 60, "auto"), (3, 12, "multinomial"), (3, 12, "ovr")],
)
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_path_through_both_operators(
    fmt, n_classes, p, multi_class, fit_intercept, weighted
):
    # The default grid (its lam_max gradient goes through the operator too),
    # kept at large lam so that the inner CG stays short (see above).
    Xv, Y, rng = _raw_data(fmt, np.float64, n=80, p=p, seed=5)
    y = np.digitize(Y[:, 0], np.quantile(Y[:, 0], np.linspace(0, 1, n_classes + 1)[1:-1]))
    kw = dict(
        n_lams=4,
        lam_min_ratio=0.1,
        fit_intercept=fit_intercept,
        sample_weight=_weights(rng, len(y), weighted),
        solver="newton-cg",
        tol=1e-10,
        n_threads=1,
        multi_class=multi_class,
    )
    a, b = (
        logistic_path(Xv, y, operator_type=op, softmax_operator_type=sm, **kw) for op, sm in BOTH
    )
    _close(a.lams, b.lams, 1e-10)
    _close(a.coef, b.coef, 1e-10)
    _close(a.intercept, b.intercept, 1e-10)
    assert np.array_equal(a.n_iter, b.n_iter) and a.n_passes == b.n_passes
    assert a.solver == b.solver and a.converged and b.converged


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scoring", ["r2", "neg_mean_squared_error"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_cv_kfold_through_both_operators(fmt, scoring, fit_intercept, weighted):
    Xv, Y, rng = _raw_data(fmt, np.float64, n=60, p=12, k=2, seed=9)
    sw = _weights(rng, 60, weighted)
    folds = [(np.setdiff1d(np.arange(60), t), t) for t in np.array_split(rng.permutation(60), 3)]
    lams = np.array([3.0, 300.0, 30.0])  # any order: the engine restores it
    runs = []
    for cls, _ in BOTH:
        paths = []
        scores = kfold_scores(
            Xv,
            Y,
            False,
            sw,
            lams,
            folds,
            fit_intercept=fit_intercept,
            scoring=scoring,
            per_target=True,
            tol=1e-10,
            n_threads=1,
            path=_recording_path(paths),
            operator_type=cls,
        )
        runs.append((scores, paths))
    (a, paths_a), (b, paths_b) = runs
    _close(a, b, 1e-10)
    for pa, pb in zip(paths_a, paths_b, strict=True):
        _close(pa.coef, pb.coef, 1e-10)
        assert np.array_equal(pa.n_iter, pb.n_iter) and pa.n_passes == pb.n_passes


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("method", ["loo", "gcv", "gcv-stochastic"])
@pytest.mark.parametrize(("n", "p"), [(60, 12), (24, 40)], ids=["tall", "wide"])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_cv_gcv_through_both_operators(fmt, method, n, p, fit_intercept, weighted):
    Xv, Y, rng = _raw_data(fmt, np.float64, n=n, p=p, k=2, seed=11)
    sw = _weights(rng, n, weighted)
    # The exact methods on the default grid; the stochastic one where its probes converge fast.
    alphas = np.geomspace(300.0, 3.0, 4) if method == "gcv-stochastic" else None
    runs = []
    for cls, _ in BOTH:
        rec = _Recorder(cls)
        out = loo_gcv(
            Xv,
            Y,
            sw,
            alphas,
            method=method,
            store=method == "loo",
            fit_intercept=fit_intercept,
            tol=1e-10,
            n_threads=1,
            n_probes=4,
            random_state=0,
            operator_type=rec,
        )
        runs.append((*out, rec.n_passes))
    (al_a, g_a, path_a, passes_a), (al_b, g_b, path_b, passes_b) = runs
    _close(al_a, al_b, 1e-10)
    for name in ("error", "error_se", "df", "df_se", "rss"):
        _close(getattr(g_a, name), getattr(g_b, name), 1e-10)
    if method == "loo":
        _close(g_a.loo_errors, g_b.loo_errors, 1e-10)
    else:
        assert g_a.loo_errors is None and g_b.loo_errors is None
    if path_a is not None:
        _close(path_a.coef, path_b.coef, 1e-10)
        assert path_a.converged and path_b.converged
    assert passes_a == passes_b


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("shift", [1.0, 1e6])
def test_setup_from_the_callers_moments(fmt, dtype, fit_intercept, shift):
    """``setup=(X^T s, (X*X)^T s)`` from a ``moments`` pass gives the operator its own
    set-up pass would (means, column norms, the careful decision and products), with no
    pass of its own; ``shift = 1e6``: means that dwarf the spreads (the careful path)."""
    Xv, _, rng = _raw_data(fmt, dtype, shift=shift)
    X = check_X(Xv)
    n = X.shape[0]
    d = rng.uniform(0.0, 0.25, n)
    d[::7] = 0.0  # zero Newton weights (saturated margins)
    for cls in (DesignOperator, ReferenceOperator):
        own = cls(X, d, fit_intercept, 1, targets=np.empty((n, 0)))
        plain = cls(X, None, False, 1)
        M = plain.moments(d, np.empty((n, 0)))
        given = cls(X, d, fit_intercept, 1, setup=(M[:, 0], M[:, 1]))
        assert given.n_passes == own.n_passes - 1  # the set-up pass is the caller's
        assert given.careful == own.careful
        _close(given.mu, own.mu, rtol=1e-13)
        _close(given.col_sq_norms(), own.col_sq_norms(), rtol=1e-10)
        v = rng.standard_normal(X.shape[1])
        _close(given.gram_matvec(v), own.gram_matvec(v), rtol=1e-10)
    with pytest.raises(ValueError, match="setup= replaces"):
        DesignOperator(X, d, fit_intercept, 1, targets=np.ones((n, 1)), setup=(M[:, 0], M[:, 1]))
    with pytest.raises(ValueError, match="setup must be"):
        DesignOperator(X, d, fit_intercept, 1, setup=(M[:, 0],))
