"""Logistic solvers (one registry per problem family) and their contract.

Every solver has the signature ``solver(problem, w0, max_iter) ->
LogisticSolverOutput`` (:mod:`.problem`) and stops on
:func:`fastridge._solvers.stopping.is_certified`.  ``auto`` is resolved by
:func:`fastridge._solvers.auto_rules.logistic_solver`.
"""

from __future__ import annotations

from ..auto_rules import logistic_solver
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
    """Run the binary solver named ``solver`` (``auto`` resolved) on ``problem``."""
    return BINARY_SOLVERS[logistic_solver(solver)](problem, w0, max_iter)


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
