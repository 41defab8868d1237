"""The solver interface of the harnesses, and their one access point to fastridge.

Job: :class:`Solver` is what calibration and timing drive (``prepare`` once per case,
``fit`` at a tolerance and iteration cap, ``setting`` for the table), :class:`FitOut`
what a fit returns, :class:`FastridgeRunner` the common part of the single-lam
fastridge runners.  :func:`fastridge_api` is the only place the harness looks up a
fastridge function (public API only), with the set of its parameters so that runners
pass only the keywords the installed version accepts.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field

import numpy as np


@dataclass
class FitOut:
    coef: np.ndarray | None
    intercept: float
    n_iter: int | None = None
    hit_cap: bool = False
    extra: dict = field(default_factory=dict)


class Solver:
    name = "?"
    start_tol = 1e-6
    calibrate = True  # search the tol ladder
    probe_iters = (2, 6)  # runs used to estimate seconds per iteration (None: no cap)

    def available(self) -> tuple[bool, str]:
        return True, ""

    def prepare(self, ctx) -> object:
        return None

    def fit(self, ctx, state, tol: float, max_iter: int | None) -> FitOut:
        raise NotImplementedError

    def setting(self, tol: float) -> str:
        return f"tol={tol:.3g}"

    def no_cap(self, ctx) -> str | None:
        """Why this solver cannot be given an iteration cap on ctx (None: it can)."""
        return None

    def skip_reason(self, ctx) -> str | None:
        """Why this solver does not run on ctx's case at all (None: it runs)."""
        return None


class FastridgeRunner(Solver):
    """A fastridge runner of the single-lam comparisons, calling ``fastridge.<api>``.

    ``variant`` is a key of ``names`` (the row name) and ``labels`` (the setting's
    label): "cert" runs at the certified tol, "cal" is calibrated like a peer, and
    ``csc_variant`` fits a CSC copy of X, made in :meth:`prepare` (outside the timing,
    like glmnet's column-major copy) and also run at the certified tol."""

    start_tol = 1e-8
    api = "?"
    names: dict = {}
    labels: dict = {}
    csc_variant = "?"

    def __init__(self, variant: str, threads: int):
        self.variant = variant
        self.threads = threads
        self.name = self.names[variant]
        self.calibrate = variant == "cal"

    def available(self):
        return fastridge_available(self.api)

    def prepare(self, ctx):
        return ctx.ds.X.tocsc() if self.variant == self.csc_variant else None

    def fixed(self, ctx):
        if self.variant in ("cert", self.csc_variant):
            return ctx.target * ctx.ref.p_star / ctx.ref.p_null
        return ctx.target

    def setting(self, tol):
        return f"tol={tol:.3g} ({self.labels[self.variant]})"


def fastridge_api(name: str):
    """``(fastridge.<name>, names of its parameters)``; raises if fastridge lacks it."""
    import fastridge

    fn = getattr(fastridge, name)
    try:
        params = set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # a class without an inspectable signature
        params = set()
    return fn, params


def fastridge_available(name: str) -> tuple[bool, str]:
    """``Solver.available`` of a fastridge runner that calls ``fastridge.<name>``."""
    try:
        fastridge_api(name)
    except Exception as e:
        return False, f"fastridge.{name} not available ({type(e).__name__}: {e})"
    return True, ""


def quiet_fit(fn):
    """Run fn() recording ConvergenceWarnings; returns (result, hit_cap_warning)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        out = fn()
    hit = any(
        issubclass(w.category, ConvergenceWarning) or "converge" in str(w.message).lower()
        for w in caught
    )
    return out, hit


def build(names: list[str], table: dict) -> list:
    """The solvers ``table[name]()`` for ``names``; exits on an unknown name."""
    out = []
    for n in names:
        if n not in table:
            raise SystemExit(f"unknown solver {n!r}; choose from {', '.join(table)}")
        out.append(table[n]())
    return out
