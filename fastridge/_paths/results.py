"""Result objects of the path and cross-validation functions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PathResult:
    """A regularisation path: one certified fit per ``lam``.

    Attributes
    ----------
    lams : ndarray, shape (L,)
        The penalties, in decreasing order.
    coef : ndarray
        ``(L, p)`` for one target / a binary problem; ``(L, k, p)`` for ``k``
        targets or ``k`` classes (multinomial).  float64.
    intercept : ndarray
        ``(L,)`` or ``(L, k)``; zeros without an intercept.
    certificate : ndarray
        ``(L,)`` or ``(L, k)``: upper bound on ``P(w, b) - P*`` at each ``lam``
        (for a multinomial fit, one number per ``lam``: shape ``(L,)``).
    p_null : float or ndarray
        Objective of the intercept-only model (the same at every ``lam``);
        ``(k,)`` for several ridge targets.
    n_iter : ndarray of int, shape (L,)
        Iterations spent on each ``lam`` (for a multi-shift solve, the shared
        Krylov iterations are counted at every ``lam`` they served, plus each
        ``lam``'s own polishing iterations).
    n_passes : int
        Passes over ``X`` for the whole path (the unit of cost).
    tol : float
        Requested relative tolerance: each point has
        ``certificate <= tol * p_null`` when ``converged``.
    converged : bool
        Whether every point reached its tolerance.
    solver : str
        The path algorithm that ran (e.g. ``"multishift-cg"``, ``"eigen"``,
        ``"cd"``, ``"newton-cg"``); for a logistic path whose points ran
        different solvers, their names in order of first use joined by ``+``
        (``"dual-cd+newton-cg"``: ``auto``'s dual CD handed over to Newton-CG
        at the smaller lams).
    seconds : float
        Wall-clock time of the whole path, validation included.
    n_threads : int
        Threads used.
    classes : ndarray or None
        The labels (logistic paths), as in :class:`FitResult`.
    """

    lams: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    certificate: np.ndarray
    p_null: float | np.ndarray
    n_iter: np.ndarray
    n_passes: int
    tol: float
    converged: bool
    solver: str
    seconds: float
    n_threads: int
    classes: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lams)

    @property
    def relative_certificate(self) -> np.ndarray:
        """``certificate / p_null`` per point (0 where both are 0)."""
        cert = np.asarray(self.certificate, dtype=float)
        pn = np.asarray(self.p_null, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(cert == 0, 0.0, cert / pn)

    def plot(self, ax=None, **kwargs):
        """Coefficient paths against ``lam`` (log axis); needs matplotlib.

        See :func:`fastridge._paths.plotting.plot_path` for the options.
        Returns the matplotlib ``Axes``.
        """
        from .plotting import plot_path

        return plot_path(self, ax=ax, **kwargs)


@dataclass(frozen=True)
class CVResult:
    """Cross-validation (or GCV / leave-one-out) scores over a grid of ``lam``.

    Scores are "greater is better" (scikit-learn's convention: an error is
    reported negated), so the chosen ``lam`` maximises ``mean_score``.

    Attributes
    ----------
    lams : ndarray, shape (L,)
        The penalties scored (for :class:`LogisticRegressionCV`, ``1 / C``).
    mean_score : ndarray
        ``(L,)``, or ``(L, k)`` when each of ``k`` targets is scored separately.
    std_error : ndarray
        Standard error of ``mean_score``, same shape: the standard deviation
        over folds divided by ``sqrt(n_folds)`` for K-fold; for the stochastic
        GCV estimate, the Monte-Carlo standard error of the trace estimate
        propagated to the score; 0 for exact leave-one-out / GCV.
    fold_scores : ndarray or None
        ``(n_folds, L)`` or ``(n_folds, L, k)``; None for leave-one-out / GCV.
    best_index : int or ndarray
        Index into ``lams`` of the chosen penalty (``(k,)`` per target).
    scoring : str
        What was scored (e.g. ``"neg_mean_squared_error"``, ``"accuracy"``).
    method : str
        ``"kfold"``, ``"loo"`` (exact leave-one-out), ``"gcv"`` (exact
        generalised CV) or ``"gcv-stochastic"`` (Hutchinson trace estimate).
    seconds : float
        Wall-clock time of the cross-validation.
    param_name : str
        The axis label of :meth:`plot`: ``"lam"``, or ``"C"`` when the scores
        are indexed by ``C = 1 / lam``.
    """

    lams: np.ndarray
    mean_score: np.ndarray
    std_error: np.ndarray
    fold_scores: np.ndarray | None
    best_index: int | np.ndarray
    scoring: str
    method: str
    seconds: float
    param_name: str = "lam"

    @property
    def best_lam(self) -> float | np.ndarray:
        """The chosen ``lam`` (``(k,)`` per target)."""
        out = self.lams[np.asarray(self.best_index)]
        return float(out) if np.ndim(out) == 0 else out

    def plot(self, ax=None, **kwargs):
        """Mean score against ``lam`` (log axis) with a +-1 standard-error band and
        the chosen value marked; needs matplotlib.

        See :func:`fastridge._paths.plotting.plot_cv` for the options.  Returns the
        matplotlib ``Axes``.
        """
        from .plotting import plot_cv

        return plot_cv(self, ax=ax, **kwargs)
