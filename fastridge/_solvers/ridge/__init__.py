"""Ridge solvers (layer 3 of DESIGN.md section 3) and the rule that picks one.

Every solver has the signature ``solver(problem, W0, max_iter) -> SolverOutput``
and stops on the certificate ``||g(w)||^2 / (2 lam) <= tol * P_null``.
"""

from __future__ import annotations

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

# ``auto`` factorises a dense Gram matrix when min(n, p) is at most this.
# Building it costs sum_i nnz_i^2 (outer products of CSR rows) plus p^3/3 for
# Cholesky, whatever the conditioning; CG costs one pass per iteration and the
# iteration count grows with the condition number.  Measured (docs/solvers.md,
# asv_benchmarks/auto_rule.py): on well-conditioned 100,000-row problems CG
# needs 4-7 iterations and beats direct 2-4x already at p = 128, and by 10-50x
# at p >= 1024; on a9a (p = 123, 55 CG iterations at lam = 1) direct wins
# (22 ms against 29 ms) and certifies to 1e-26.  So direct only for very small
# dimensions, where its cost is small and bounded.
DIRECT_MAX_DIM = 128

# Default iteration caps (max_iter=None).  CG in exact arithmetic ends within
# min(n, p) iterations; 2000 leaves room for rounding on ill-conditioned
# problems while bounding a run that cannot reach tol.  CD epochs are cheaper
# per epoch but converge more slowly on correlated columns.
DEFAULT_MAX_ITER = {"cg-primal": 2000, "cg-dual": 2000, "cd": 5000}
DEFAULT_MAX_ITER.update({"direct-primal": 4, "direct-dual": 4})  # 1 solve + 3 refinements


def resolve_solver(solver: str, n: int, p: int, sparse: bool = True) -> str:
    """Map a public solver name to a concrete one.

    ``cg`` and ``direct``: the primal form when ``n >= p``, the dual otherwise
    (the smaller of the two normal matrices).

    ``auto``: ``direct`` when ``min(n, p) <= DIRECT_MAX_DIM``; otherwise
    ``cg-primal`` for sparse ``X`` whatever its shape, and ``cg`` (primal or
    dual by shape) for dense ``X`` (run through :func:`run_solver`, which
    falls back to ``direct`` where CG cannot finish; see ``_auto.py``).
    Why primal also when p > n: the Jacobi preconditioner ``diag(Xc^T S Xc)``
    equalises the column norms, which vary by orders of magnitude in sparse
    data (word counts, one-hot, Zipf-like frequencies), and the dual has no
    such preconditioner.  Measured on the 20,000 x 500,000 benchmark (case B,
    rho = 1e-2): 8 primal iterations against 61 dual ones, 0.17 s against
    0.59 s (docs/solvers.md).
    """
    if solver not in SOLVER_NAMES:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVER_NAMES)}")
    if solver == "auto":
        if min(n, p) <= DIRECT_MAX_DIM:
            solver = "direct"
        else:
            solver = "cg-primal" if sparse else "cg"
    if solver in ("cg", "direct"):
        solver = f"{solver}-primal" if n >= p else f"{solver}-dual"
    return solver


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
    "SOLVERS",
    "RidgeProblem",
    "SolverOutput",
    "resolve_solver",
    "run_solver",
]
