"""Logistic solvers (one registry per problem family) and their contract.

Every solver has the signature ``solver(problem, w0, max_iter) ->
LogisticSolverOutput`` (:mod:`.problem`) and stops on
:func:`fastridge._solvers.stopping.is_certified`.  ``auto`` is resolved by
:func:`fastridge._solvers.auto_rules.logistic_solver` (multinomial) and
:func:`~fastridge._solvers.auto_rules.binary_logistic_solver` (binary).
"""

from __future__ import annotations

import dataclasses

from ..auto_rules import AUTO_DUAL_MAX_EPOCHS, binary_logistic_solver, logistic_solver
from ..stopping import is_certified
from .cd import cd_binary
from .dual_cd import dual_cd_binary
from .multinomial import newton_cg_multinomial
from .newton import newton_cg_binary
from .problem import BinaryProblem, LogisticSolverOutput, MultinomialProblem

#: Binary solvers by name (also run per class for one-vs-rest).
BINARY_SOLVERS = {
    "newton-cg": newton_cg_binary,
    "cd": cd_binary,
    "dual-cd": dual_cd_binary,
}
#: Multinomial (softmax) solvers by name.
MULTINOMIAL_SOLVERS = {"newton-cg": newton_cg_multinomial}


def run_binary(solver: str, problem: BinaryProblem, w0, max_iter: int) -> LogisticSolverOutput:
    """Run the binary solver named ``solver`` (``auto`` resolved) on ``problem``.

    When ``auto`` chose ``dual-cd`` (:func:`~..auto_rules.binary_logistic_solver`)
    it gets ``AUTO_DUAL_MAX_EPOCHS`` epochs; without a certificate by then,
    Newton-CG continues from its ``w`` (with ``max_iter`` iterations), and
    the output is Newton-CG's with the passes of both.
    """
    name = binary_logistic_solver(solver, problem.X, problem.fit_intercept)
    if solver != "auto" or name != "dual-cd":
        return BINARY_SOLVERS[name](problem, w0, max_iter)
    dual = dual_cd_binary(problem, w0, AUTO_DUAL_MAX_EPOCHS)
    if is_certified(dual.certificate, problem.tol, dual.p_null):
        return dual
    newton = newton_cg_binary(problem, dual.coef, max_iter)
    return dataclasses.replace(newton, n_passes=dual.n_passes + newton.n_passes)


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
