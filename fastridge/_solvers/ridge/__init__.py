"""Ridge solvers (layer 3 of docs/architecture.md, "3. Layers") and the rule that picks one.

Every solver has the signature ``solver(problem, W0, max_iter) -> SolverOutput``
and stops on the certificate ``||g(w)||^2 / (2 lam) <= tol * P_null``.
"""

from __future__ import annotations

from ..auto_rules import DIRECT_MAX_DIM, ridge_solver
from .auto import solve_auto
from .cd import cd
from .cg import cg_dual, cg_primal
from .direct import direct_dual, direct_primal
from .problem import RidgeProblem, SolverOutput

SOLVERS = {
    "cg-primal": cg_primal,
    "cg-dual": cg_dual,
    "cd": cd,
    "direct-primal": direct_primal,
    "direct-dual": direct_dual,
}

#: Public solver names accepted by :func:`fastridge.ridge`.
SOLVER_NAMES = ("auto", "cg", "cd", "direct", *SOLVERS)

# Default iteration caps (max_iter=None).  CG in exact arithmetic ends within
# min(n, p) iterations; 2000 leaves room for rounding on ill-conditioned
# problems while bounding a run that cannot reach tol.  CD epochs are cheaper
# per epoch but converge more slowly on correlated columns.
DEFAULT_MAX_ITER = {"cg-primal": 2000, "cg-dual": 2000, "cd": 5000}
DEFAULT_MAX_ITER.update({"direct-primal": 4, "direct-dual": 4})  # 1 solve + 3 refinements


def resolve_solver(solver: str, n: int, p: int, sparse: bool = True) -> str:
    """Map a public solver name to a concrete one (the rule: :mod:`..auto_rules`).

    Validates the name; the mapping (``auto``, primal or dual by shape) is
    :func:`fastridge._solvers.auto_rules.ridge_solver`.
    """
    if solver not in SOLVER_NAMES:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVER_NAMES)}")
    return ridge_solver(solver, n, p, sparse)


def run_solver(
    solver: str,
    name: str,
    problem: RidgeProblem,
    W0,
    max_iter: int,
    user_max_iter: int | None = None,
) -> SolverOutput:
    """Run the concrete solver ``name`` that ``resolve_solver(solver, ...)`` chose.

    When ``auto`` chose CG, :func:`._auto.solve_auto` watches it and falls
    back to a direct solve where CG cannot finish and the Gram matrix fits.
    ``user_max_iter`` is the caller's ``max_iter`` (None when defaulted).
    """
    if solver == "auto" and name in ("cg-primal", "cg-dual"):
        return solve_auto(problem, W0, max_iter, name, user_max_iter)
    return SOLVERS[name](problem, W0, max_iter)


__all__ = [
    "DEFAULT_MAX_ITER",
    "DIRECT_MAX_DIM",
    "SOLVERS",
    "RidgeProblem",
    "SolverOutput",
    "resolve_solver",
    "run_solver",
]
