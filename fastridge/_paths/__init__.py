"""Regularisation paths: warm-started fits over a grid of penalties.

:func:`fastridge.ridge_path` (:mod:`.ridge`), :func:`fastridge.logistic_path`
(:mod:`.logistic`), the default grid (:mod:`.grid`) and the path results.
"""
