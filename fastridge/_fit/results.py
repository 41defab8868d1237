"""Result objects returned by the public functions, and the shape of a set-up's ``Xv``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FitResult:
    """A certified fit.

    Attributes
    ----------
    coef : ndarray
        ``(p,)`` for a single target, ``(k, p)`` for ``k`` targets (the
        scikit-learn layout of ``coef_``).  float64.
    intercept : float or ndarray
        Unpenalised intercept ``b`` (0 when ``fit_intercept=False``); ``(k,)``
        for several targets.
    lam : float or ndarray
        The penalty ``lam`` of each target.
    certificate : float or ndarray
        Upper bound on ``P(w, b) - P*`` for the returned ``(w, b)`` (the
        objective of docs/architecture.md, "1. The problems (exact
        objectives)"), computed from the final iterate.
    p_null : float or ndarray
        ``P`` of the best intercept-only model (``w = 0``): the scale the
        stopping rule ``certificate <= tol * p_null`` is relative to.
    tol : float
        The requested relative tolerance.
    converged : bool
        Whether every target reached ``certificate <= tol * p_null``.
    n_iter : int
        Iterations of the solver (CG iterations, CD epochs, or refinement
        steps of the direct solver); the largest over targets.
    n_passes : int
        Passes over ``X`` (the unit of cost), including setup and the final
        certificate.
    solver : str
        The solver that ran: ``"cg-primal"``, ``"cg-dual"``, ``"cd"``,
        ``"direct-primal"`` or ``"direct-dual"`` for ridge; ``"newton-cg"``,
        ``"newton-cholesky"``, ``"cd"`` or ``"dual-cd"`` for logistic regression.
    seconds : float
        Wall-clock time of the solve, validation included.
    n_threads : int
        Threads used.
    classes : ndarray or None
        For :func:`fastridge.logistic`: the sorted distinct labels (the order of
        the rows of ``coef`` for several classes; ``classes[1]`` is the
        positive class of a binary fit).  None for :func:`fastridge.ridge`.
    """

    coef: np.ndarray
    intercept: float | np.ndarray
    lam: float | np.ndarray
    certificate: float | np.ndarray
    p_null: float | np.ndarray
    tol: float
    converged: bool
    n_iter: int
    n_passes: int
    solver: str
    seconds: float
    n_threads: int
    classes: np.ndarray | None = None

    @property
    def relative_certificate(self) -> float | np.ndarray:
        """``certificate / p_null`` (0 where ``p_null`` is 0 and the certificate too)."""
        cert = np.asarray(self.certificate, dtype=float)
        pn = np.asarray(self.p_null, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(cert == 0, 0.0, cert / pn)
        return float(rel) if rel.ndim == 0 else rel


class XvShape:
    """``n`` and ``p`` (rows and columns) of the validated design ``self.Xv``.

    Mixed into the set-up dataclasses (:class:`fastridge._fit.ridge.RidgeSetup`,
    :class:`fastridge._fit.logistic_setup.LogisticProblem`).
    """

    @property
    def n(self) -> int:
        return self.Xv.shape[0]

    @property
    def p(self) -> int:
        return self.Xv.shape[1]
