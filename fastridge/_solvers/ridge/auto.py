"""``solver="auto"`` when it picked CG: CG first, a direct solve if CG cannot finish.

:func:`resolve_solver` sends ``min(n, p) > DIRECT_MAX_DIM`` to CG because CG
is usually far cheaper.  But CG's iteration count grows with the condition
number, and on heavy-tailed data (issue 10: a 529 x 1000 count matrix) it
crawls for thousands of iterations while a dense factorisation of the
529 x 529 Gram matrix takes a second.  So, while the smaller Gram matrix fits
(``min(n, p) <= AUTO_DIRECT_FALLBACK_MAX_DIM``), CG runs under a budget and a
progress monitor, and the direct solver (primal or dual by shape) finishes
the job when CG would not:

* budget: ``max(AUTO_MIN_CG_BUDGET, 2 * min(n, p))`` iterations (dense ``X``:
  ``max(AUTO_DENSE_MIN_CG_BUDGET, min(n, p) // AUTO_DENSE_CG_PER_DIM)``, since
  its BLAS-3 Gram costs only that many CG passes; see ``auto_rules``).  In exact
  arithmetic CG ends within ``min(n, p)`` iterations (the rank of the
  system); needing twice that means rounding is undoing its progress.  A
  dense solve costs a Gram matrix plus ``m^3 / 3`` flops (``m = min(n, p)``),
  in our measurements at most a few hundred passes' worth for ``m <= 4096``,
  so CG gets the larger share: for problems CG does finish, nothing changes.
* progress: every iteration, the worst running target's
  ``||g||^2 / threshold`` (its recursive estimate; <= 1 means at tol).  Over
  the last ``AUTO_PROGRESS_WINDOW`` iterations the best value so far must
  have fallen fast enough that, continued at that rate, it reaches 1 within
  the budget; otherwise (stagnation included: no decrease at all) CG stops.
  The best-so-far is used because CG's residual is not monotone.

A user's ``max_iter`` caps the CG phase; reaching it is honoured as a stop
(no fallback), as with any explicit solver.  The direct solve ignores the CG
iterate (it needs no warm start); its certificate is the one reported, and
``n_iter`` is CG's iterations plus the direct solve's (one solve and its
refinement rounds).  Passes over ``X`` are counted by the operator as usual.
"""

from __future__ import annotations

import math

import numpy as np

from ..auto_rules import (
    AUTO_DENSE_CG_PER_DIM,
    AUTO_DENSE_MIN_CG_BUDGET,
    AUTO_DIRECT_FALLBACK_MAX_DIM,
    AUTO_MIN_CG_BUDGET,
    AUTO_PROGRESS_WINDOW,
)
from ..stopping import is_certified
from .cg import cg_dual, cg_primal
from .direct import direct_dual, direct_primal
from .problem import RidgeProblem, SolverOutput

# AUTO_DIRECT_FALLBACK_MAX_DIM, AUTO_MIN_CG_BUDGET, AUTO_PROGRESS_WINDOW: see
# fastridge._solvers.auto_rules (bound here; tests patch them on this module).

# Refinement rounds for the direct fallback (as DEFAULT_MAX_ITER["direct-*"]).
_DIRECT_MAX_ITER = 4


def solve_auto(
    problem: RidgeProblem,
    W0: np.ndarray,
    max_iter: int,
    name: str,
    user_max_iter: int | None,
) -> SolverOutput:
    """Run the CG solver ``name`` with the fallback described in the module docstring.

    ``max_iter`` is the effective cap (the user's or the default);
    ``user_max_iter`` is what the user passed (None for the default).
    """
    cg = {"cg-primal": cg_primal, "cg-dual": cg_dual}[name]
    n, p = problem.op.n, problem.op.p
    m = min(n, p)
    if m > AUTO_DIRECT_FALLBACK_MAX_DIM:
        return cg(problem, W0, max_iter)
    budget = max(AUTO_MIN_CG_BUDGET, 2 * m)
    if getattr(problem.op, "kind", None) == "dense":
        # the direct solve of a dense X is cheap next to CG's passes (auto_rules)
        budget = min(budget, max(AUTO_DENSE_MIN_CG_BUDGET, m // AUTO_DENSE_CG_PER_DIM))
    cap = min(max_iter, budget)
    monitor = _ProgressMonitor(budget)
    out = cg(problem, W0, cap, monitor=monitor)
    converged = is_certified(out.certificate, problem.tol, problem.p_null)
    if converged.all():
        return out
    stopped_by_user = user_max_iter is not None and out.n_iter >= user_max_iter
    if stopped_by_user and not monitor.fired:
        return out
    direct = direct_primal if n >= p else direct_dual
    dout = direct(problem, W0, _DIRECT_MAX_ITER)
    # Both are certified; keep, per target, the smaller certificate.
    use = dout.certificate < out.certificate
    if not use.any():
        return out
    W = out.W.copy()
    W[:, use] = dout.W[:, use]
    certificate = np.where(use, dout.certificate, out.certificate)
    return SolverOutput(
        W=W,
        certificate=certificate,
        n_iter=out.n_iter + dout.n_iter,
        solver=dout.solver,
        # the dual point belongs to the direct fit; valid only if it won everywhere
        alpha=dout.alpha if use.all() else None,
    )


class _ProgressMonitor:
    """Stops CG when, at its recent rate, it would not reach tol within ``budget``."""

    def __init__(self, budget: int):
        self.budget = budget
        self.best: list[float] = []  # best-so-far log10(worst ratio) per iteration
        self.fired = False

    def __call__(self, ratios: np.ndarray) -> bool:
        with np.errstate(divide="ignore", invalid="ignore"):
            worst = float(np.max(ratios)) if len(ratios) else 0.0
        level = math.log10(worst) if worst > 0.0 else -math.inf
        if math.isnan(level):
            level = math.inf
        best = min(level, self.best[-1]) if self.best else level
        self.best.append(best)
        i = len(self.best)
        if best <= 0.0 or i <= AUTO_PROGRESS_WINDOW:
            return False  # at tol (a true check follows) or too early to judge
        rate = (self.best[-1 - AUTO_PROGRESS_WINDOW] - best) / AUTO_PROGRESS_WINDOW
        # Decades still to go at the recent rate (inf when it did not move).
        remaining = best / rate if rate > 0.0 else math.inf
        if i + remaining > self.budget:
            self.fired = True
            return True
        return False
