"""Solvers (layer 3): iterations on top of a design operator.

:mod:`.ridge` holds the ridge solvers and their registry, :mod:`.logistic` the
L2-logistic ones.  See ``docs/architecture.md``.
"""
