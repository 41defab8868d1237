"""The logistic solver contract: a frozen problem in, a :class:`LogisticSolverOutput` out.

Every logistic solver has the signature ``solver(problem, w0, max_iter)``
(the ridge solvers': ``solver(problem, W0, max_iter) -> SolverOutput``) and
stops on ``certificate <= tol * P_null``
(:func:`fastridge._solvers.stopping.is_certified`).  ``w0`` is the warm start
(not modified); ``max_iter`` caps the outer (Newton) iterations.

The problem holds one penalty: the validated, penalty-free
:class:`fastridge._fit.logistic.LogisticProblem` builds one per ``lam``
(and per class for one-vs-rest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._operators.design import DesignOperator
from ..._operators.softmax import SoftmaxOperator


@dataclass(frozen=True)
class BinaryProblem:
    """A binary L2-logistic problem at one penalty.

    ``X`` is a validated dense ndarray or ``Compressed`` (n, p) (see
    :func:`fastridge._fit.validation.check_X`); ``y`` (n,) labels in
    ``{-1, +1}``; ``s`` (n,) sample weights; ``lam > 0``.  ``operator_type``
    is the design operator class the solver builds on ``X``
    (:class:`fastridge._operators.contract.DesignProducts`).
    """

    X: object
    y: np.ndarray
    s: np.ndarray
    lam: float
    fit_intercept: bool
    tol: float
    n_threads: int
    operator_type: type = DesignOperator


@dataclass(frozen=True)
class MultinomialProblem:
    """A multinomial (softmax) L2-logistic problem at one penalty.

    ``codes`` (n,) class index of each sample in ``0..n_classes-1``; the rest
    as :class:`BinaryProblem`; ``softmax_type`` is the softmax operator class
    built on ``X`` (:mod:`fastridge._operators.contract`).
    """

    X: object
    codes: np.ndarray
    n_classes: int
    s: np.ndarray
    lam: float
    fit_intercept: bool
    tol: float
    n_threads: int
    operator_type: type = DesignOperator
    softmax_type: type = SoftmaxOperator


@dataclass(frozen=True)
class LogisticSolverOutput:
    """What a logistic solver hands back to the fit layer.

    Binary: ``coef`` (p,), ``intercept`` float.  Multinomial: ``coef``
    (K, p) and ``intercept`` (K,) summing to zero.  ``certificate`` bounds
    ``P(w, b) - P*`` (with its own rounding error) at the returned point;
    ``p_null`` is the objective of the best intercept-only model;
    ``n_iter`` counts outer iterations and ``n_passes`` passes over ``X``;
    ``solver`` names the method that ran (``"newton-cg"``,
    ``"newton-cholesky"``, ``"cd"``, ``"dual-cd"``).
    """

    coef: np.ndarray
    intercept: float | np.ndarray
    certificate: float
    p_null: float
    n_iter: int
    n_passes: int
    solver: str
