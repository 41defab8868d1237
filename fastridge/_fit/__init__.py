"""The fit layer: validated entry points that set a problem up and dispatch a solver.

:func:`fastridge.ridge` (:mod:`.ridge`) and :func:`fastridge.logistic`
(:mod:`.logistic`), with what they share: input validation, thread settings,
exact power-of-two rescaling and the result dataclasses.  See
``docs/architecture.md``.
"""
