"""Logistic solvers (one registry per problem family) and their contract.

Every solver has the signature ``solver(problem, w0, max_iter) ->
LogisticSolverOutput`` (:mod:`.problem`) and stops on
:func:`fastridge._solvers.stopping.is_certified`.  ``auto`` is resolved by
:func:`fastridge._solvers.auto_rules.logistic_solver` (multinomial) and
:func:`~fastridge._solvers.auto_rules.binary_logistic_solver` (binary).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..auto_rules import (
    AUTO_DUAL_MAX_EPOCHS,
    AUTO_LBFGS_MAX_ITER,
    binary_logistic_solver,
    logistic_solver,
)
from ..stopping import is_certified
from .cd import cd_binary
from .dual_cd import dual_cd_binary
from .intercept import binary_loss
from .lbfgs import lbfgs_binary
from .multinomial import newton_cg_multinomial
from .newton import newton_cg_binary
from .problem import BinaryProblem, LogisticSolverOutput, MultinomialProblem

#: Binary solvers by name (also run per class for one-vs-rest).
BINARY_SOLVERS = {
    "newton-cg": newton_cg_binary,
    "cd": cd_binary,
    "dual-cd": dual_cd_binary,
    "lbfgs": lbfgs_binary,
}
#: Multinomial (softmax) solvers by name.
MULTINOMIAL_SOLVERS = {"newton-cg": newton_cg_multinomial}


def run_binary(solver: str, problem: BinaryProblem, w0, max_iter: int) -> LogisticSolverOutput:
    """Run the binary solver named ``solver`` (``auto`` resolved) on ``problem``.

    When ``auto`` chose ``dual-cd`` or ``lbfgs``
    (:func:`~..auto_rules.binary_logistic_solver`) it gets
    ``AUTO_DUAL_MAX_EPOCHS`` epochs or ``AUTO_LBFGS_MAX_ITER`` iterations;
    without a certificate by then, Newton-CG continues (with ``max_iter``
    iterations) from its ``w`` (after dual CD: or from the warm start ``w0``
    when that has the smaller objective: dual CD does not keep ``w0``, its
    ``w = X^T (alpha y) / lam`` is rebuilt from ``alpha``, which badly scaled
    columns ruin; a ``w0`` at the optimum was lost.  L-BFGS starts at ``w0``
    and only descends), and the output is Newton-CG's with the passes of all.
    """
    name = binary_logistic_solver(solver, problem.X, problem.fit_intercept)
    if solver != "auto" or name not in ("dual-cd", "lbfgs"):
        return BINARY_SOLVERS[name](problem, w0, max_iter)
    if name == "dual-cd":
        first = dual_cd_binary(problem, w0, AUTO_DUAL_MAX_EPOCHS)
    else:
        first = lbfgs_binary(problem, w0, AUTO_LBFGS_MAX_ITER)
    if is_certified(first.certificate, problem.tol, first.p_null):
        return first
    if name == "dual-cd":
        start, passes = _better_start(problem, w0, first.coef)
    else:
        start, passes = first.coef, 0
    newton = newton_cg_binary(problem, start, max_iter)
    return dataclasses.replace(newton, n_passes=first.n_passes + passes + newton.n_passes)


def _better_start(problem: BinaryProblem, w0, w_dual):
    """``(start, passes)``: ``w0`` if its objective ``P`` is at most ``w_dual``'s, else
    ``w_dual`` (no intercept); one pass per point, none without a warm start."""
    w0 = np.asarray(w0, dtype=np.float64)
    if not (np.all(np.isfinite(w0)) and np.any(w0)):
        return w_dual, 0
    plain = problem.operator_type(problem.X, problem.s, False, problem.n_threads)
    y, s, lam = problem.y, problem.s, problem.lam

    def objective(w):
        with np.errstate(over="ignore", invalid="ignore"):
            value = binary_loss(y * plain.matvec(w), s) + 0.5 * lam * float(w @ w)
        return value if np.isfinite(value) else np.inf

    better = objective(w0) <= objective(w_dual)
    return (w0 if better else w_dual), plain.n_passes


def run_multinomial(
    solver: str, problem: MultinomialProblem, W0, max_iter: int
) -> LogisticSolverOutput:
    """Run the multinomial solver named ``solver`` (``auto`` resolved) on ``problem``."""
    return MULTINOMIAL_SOLVERS[logistic_solver(solver)](problem, W0, max_iter)


__all__ = [
    "BINARY_SOLVERS",
    "MULTINOMIAL_SOLVERS",
    "BinaryProblem",
    "LogisticSolverOutput",
    "MultinomialProblem",
    "run_binary",
    "run_multinomial",
]
