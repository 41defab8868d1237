"""The warning every layer above the solvers issues: scikit-learn's ``ConvergenceWarning``.

Shared by the fits, the paths, the cross-validation engines and the estimators,
so that none of them imports a private helper from another.
"""

from __future__ import annotations


def convergence_warning() -> type[Warning]:
    """scikit-learn's ``ConvergenceWarning`` (imported only when needed: ~1 s import)."""
    from sklearn.exceptions import ConvergenceWarning

    return ConvergenceWarning
