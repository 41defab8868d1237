"""The engine of ``RidgeCV``: scores of every penalty by leave-one-out, GCV or K-fold.

``cv=None`` scores every ``alpha`` without refitting (:mod:`fastridge._cv.gcv`):
exact leave-one-out from one eigendecomposition of the smaller Gram matrix
when ``min(n, p)`` is small, otherwise GCV with a Hutchinson estimate of the
trace of the hat matrix (no ``n x n`` or ``p x p`` matrix) and the residuals
of one certified :func:`fastridge.ridge_path` on all the data.  ``cv=k`` or a
splitter: one certified :func:`fastridge.ridge_path` per fold over all
``alphas``; the test-fold predictions of all ``alphas`` come from one
multi-vector product ``X_test @ coef^T``.

The estimator class is :class:`fastridge._estimators.ridge_cv.RidgeCV`; this
module knows no estimator class (a scorer callable gets whatever
``estimator_for(coef, intercept)`` the caller passes).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import get_scorer

from .._fit.distributed import split_view
from .._fit.threads import blas_limit, numba_threads, pool_workers, resolve_n_threads, thread_map
from .._fit.warnings import convergence_warning
from .._operators.design import DesignOperator
from .._paths.ridge import path_with_predictions
from .._paths.ridge_grid import default_alphas, grid_setup
from .._solvers.stopping import exceeds
from . import gcv as _gcv
from .scoring import call_scorer, weighted_scores

#: Accepted ``gcv_mode`` values.
GCV_MODES = ("auto", "eigen", "svd", "gcv", "stochastic")

# ``gcv_mode="auto"`` uses exact leave-one-out when m = min(n, p) is at most
# this.  Its cost is one dense m x m Gram, eigh (~9 m^3 flops: 0.15 s at
# m = 1000, 1 s at m = 2000 on one core of this machine), A V for primal form
# (m products with X) and 2 n m L flops for L alphas -- paid once, and exact.
# The stochastic estimate costs n_probes (30) vectors times the CG iterations
# of the smallest alpha (tens to hundreds) in passes over X; below ~1000 the
# exact route is cheaper or comparable, above it the m^3 and the n x m
# eigenvector block grow faster than the Krylov cost.
EXACT_MAX_DIM = 1024
# ... and when the n x m eigenvector block fits this budget (bytes).
EXACT_MAX_BYTES = 2 * 2**30

# Scorers computed for all alphas at once from the test-fold predictions.
_FAST_SCORERS = ("neg_mean_squared_error", "r2")


def resolve_gcv_mode(gcv_mode: str, n: int, p: int) -> str:
    """The ``cv=None`` method: ``"loo"``, ``"gcv"`` or ``"gcv-stochastic"``."""
    mode = gcv_mode
    if mode == "auto":
        m = min(n, p)
        exact = m <= EXACT_MAX_DIM and 8 * n * m <= EXACT_MAX_BYTES
        mode = "eigen" if exact else "stochastic"
    return {"eigen": "loo", "svd": "loo", "gcv": "gcv", "stochastic": "gcv-stochastic"}[mode]


def kfold_scores(
    X,
    Y: np.ndarray,
    one_d: bool,
    sw: np.ndarray | None,
    lams: np.ndarray,
    folds,
    *,
    fit_intercept: bool,
    scoring,
    per_target: bool,
    tol: float,
    n_threads: int | None,
    estimator_for=None,
    path=path_with_predictions,
    operator_type=DesignOperator,
) -> np.ndarray:
    """Test scores of every fold and ``lam``: ``(F, L)``, or ``(F, L, k)`` per target.

    One :func:`fastridge.ridge_path` per fold over all ``lams`` (in the order
    given).  A fold is ``X`` itself with zero weights on its test rows (no copy
    of ``X``); the test predictions for every ``lam`` come with the path (see
    :func:`fastridge._paths.ridge.path_with_predictions`).  ``scoring`` is
    ``"neg_mean_squared_error"`` or ``"r2"`` (vectorised, weighted by the test
    rows' ``sw``; uniform average over targets unless ``per_target``), or a
    scorer callable applied to ``estimator_for(coef, intercept)`` (a fitted
    estimator holding one fold's coefficients).  ``path`` is the path function
    (:func:`fastridge._paths.ridge.path_with_predictions`).

    Folds run in ``min(n_threads, n_folds)`` Python threads, the kernel
    threads divided among them (the kernels release the GIL; Numba's thread
    count is per thread).  Measured on the 200,000 x 100,000 benchmark, four
    fold paths: 2.41-2.58 s one after another with 2 kernel threads each,
    2.09-2.17 s two at a time with one each (the vector work between passes
    then overlaps).  BLAS is held at one thread for the whole pool.
    """
    L, k = len(lams), Y.shape[1]
    order = np.argsort(-lams, kind="stable")  # ridge_path returns decreasing lams
    n, p = X.shape
    out = np.empty((len(folds), L, k) if per_target else (len(folds), L))
    base = np.ones(n) if sw is None else sw
    nt = resolve_n_threads(n_threads)
    workers = pool_workers(nt, len(folds))
    per_worker = max(1, nt // workers)

    def fold_path(fold):
        train, test = fold
        train_mask = np.zeros(n, dtype=bool)
        train_mask[train] = True
        return path(
            X,
            Y,
            lams,
            operator_type=operator_type,
            rows=test if isinstance(scoring, str) else None,
            fit_intercept=fit_intercept,
            sample_weight=np.where(train_mask, base, 0.0),
            tol=tol,
            n_threads=per_worker,
        )

    with blas_limit(1):
        paths = thread_map(fold_path, folds, workers)
    for f, ((_train, test), (path, pred_sorted)) in enumerate(zip(folds, paths)):
        st = None if sw is None else sw[test]
        coef = np.empty((L, k, p))
        intercept = np.empty((L, k))
        coef[order] = path.coef.reshape(L, k, p)
        intercept[order] = path.intercept.reshape(L, k)
        Yt = Y[test]
        if isinstance(scoring, str):
            pred = np.empty_like(pred_sorted)
            pred[:, order] = pred_sorted
            s = weighted_scores(Yt, pred, st, scoring)
            out[f] = s if per_target else s.mean(axis=1)
            continue
        Xt = X[test]
        y_t = Yt[:, 0] if one_d else Yt
        for j in range(L):
            if per_target:
                for t in range(k):
                    est = estimator_for(coef[j, t], intercept[j, t])
                    out[f, j, t] = call_scorer(scoring, est, Xt, Yt[:, t], st)
            else:
                c = coef[j, 0] if one_d else coef[j]
                b = intercept[j, 0] if one_d else intercept[j]
                est = estimator_for(c, b)
                out[f, j] = call_scorer(scoring, est, Xt, y_t, st)
    return out


@dataclass(frozen=True)
class StochasticPath:
    """The certified path on all the data behind stochastic GCV (``alphas`` in the given order)."""

    coef: np.ndarray  # (L, k, p)
    intercept: np.ndarray  # (L, k)
    certificate: np.ndarray  # (L, k)
    p_null: np.ndarray  # (k,)
    converged: bool


def loo_gcv(
    X,
    y,
    sample_weight,
    alphas,
    *,
    method: str,
    store: bool,
    fit_intercept: bool,
    tol: float,
    n_threads: int,
    n_probes: int,
    random_state,
    operator_type=DesignOperator,
):
    """``cv=None``: ``(alphas, GCVScores, StochasticPath or None)``.

    ``alphas`` None means the default grid (:func:`default_alphas`).  Exact
    leave-one-out and GCV (``method`` ``"loo"`` / ``"gcv"``) come from one
    eigendecomposition; ``"gcv-stochastic"`` from one certified path on all the
    data plus Hutchinson probes (:mod:`fastridge._cv.gcv`).
    """
    blas = None if method != "gcv-stochastic" else 1
    setup = grid_setup(
        X,
        y,
        sample_weight,
        fit_intercept=fit_intercept,
        n_threads=n_threads,
        blas_threads=blas,
        tol=tol,
        operator_type=operator_type,
    )
    with numba_threads(setup.n_threads), blas_limit(blas):
        if alphas is None:
            alphas = default_alphas(setup.op, setup.Yc)
        if method != "gcv-stochastic":
            g = _gcv.exact_scores(setup.op, setup.Yc, alphas, method=method, store=store)
            return alphas, g, None
        path, g = _stochastic(X, setup, alphas, n_probes, random_state, operator_type)
    return alphas, g, path


def _stochastic(X, setup, alphas, n_probes, random_state, operator_type):
    """Stochastic GCV: the path on all the data, its residuals, the trace estimate."""
    Y, n, k, p, L = setup.Y, setup.n, setup.k, setup.p, len(alphas)
    # Fitted values on every row come from the path's X Z (no pass).
    path, fitted = path_with_predictions(
        X,
        Y,
        alphas,
        rows=np.arange(n),
        fit_intercept=setup.fit_intercept,
        sample_weight=setup.sw,
        tol=setup.tol,
        n_threads=setup.n_threads,
        operator_type=operator_type,
    )
    order = np.argsort(-alphas, kind="stable")

    def given_order(a, shape):
        out = np.empty(shape)
        out[order] = a.reshape(shape)
        return out

    coef_all = given_order(path.coef, (L, k, p))
    icpt_all = given_order(path.intercept, (L, k))
    cert_all = given_order(path.certificate, (L, k))
    resid = Y[:, None, :] - fitted  # (n, L sorted, k)
    rss = np.empty((L, k))
    rss[order] = np.einsum("i,ilk->lk", setup.op.s, resid * resid)
    del resid, fitted
    g = _gcv.stochastic_gcv(
        setup.op,
        setup.Yc,
        alphas,
        coef_all,
        n_probes=n_probes,
        random_state=random_state,
        rss=rss,
    )
    paths = StochasticPath(
        coef_all, icpt_all, cert_all, np.atleast_1d(path.p_null), path.converged
    )
    return paths, g


def path_point(path: StochasticPath, alphas, best, per_target: bool, one_d: bool, tol: float):
    """``(coef, intercept, certificate, p_null, lam)`` of the path at the chosen alpha(s).

    Warns (``ConvergenceWarning``) when that point did not reach ``tol``.
    """
    k = path.coef.shape[1]
    bi = best if per_target else np.full(k, best)
    coef = path.coef[bi, np.arange(k)]
    icpt = path.intercept[bi, np.arange(k)]
    cert = path.certificate[bi, np.arange(k)]
    p_null = path.p_null
    if not path.converged:
        bad = exceeds(cert, tol, p_null)
        if bad.any():
            warnings.warn(
                f"RidgeCV: the path point at the chosen alpha did not converge to "
                f"a certified fit for {int(bad.sum())} of {k} target(s)",
                convergence_warning(),
                stacklevel=3,
            )
    lam = alphas[bi]
    if one_d:
        return coef[0], float(icpt[0]), float(cert[0]), float(p_null[0]), float(lam[0])
    return coef, icpt, cert, p_null, lam


def kfold_cv(X, y, Y, one_d, sw, alphas, cv, scoring, *, per_target, estimator_for, **kw):
    """K-fold: ``(fold scores, mean scores, standard errors, scoring name)``.

    ``cv`` as scikit-learn's ``check_cv`` takes it (``KFold`` for an int);
    ``scoring`` None means R^2.  ``kw``: ``fit_intercept``, ``tol``,
    ``n_threads`` (and ``operator_type``) of :func:`kfold_scores`.
    """
    from sklearn.model_selection import check_cv

    folds = list(check_cv(cv, y, classifier=False).split(split_view(X), y))
    scoring_name = "r2" if scoring is None else scoring
    if isinstance(scoring_name, str):
        fast = scoring_name in _FAST_SCORERS
        scorer = scoring_name if fast else get_scorer(scoring_name)
    else:
        scorer, scoring_name = scoring_name, repr(scoring_name)
    fold_scores = kfold_scores(
        X,
        Y,
        one_d,
        sw,
        alphas,
        folds,
        scoring=scorer,
        per_target=per_target,
        estimator_for=estimator_for,
        **kw,
    )
    F = len(folds)
    scores = fold_scores.mean(axis=0)
    std = fold_scores.std(axis=0, ddof=1) if F > 1 else np.zeros_like(scores)
    return fold_scores, scores, std / np.sqrt(F), scoring_name
