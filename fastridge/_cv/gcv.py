"""Leave-one-out and generalised cross-validation of ridge over a grid of ``lam``.

Notation (:mod:`fastridge._operators.design`): weights ``s`` (ones when none are
given), ``S = sum_i s_i``, the centred design ``Xc`` (``Xc = X`` without
intercept), ``A = S^{1/2} Xc`` and the scaled centred targets
``ys = S^{1/2} yc``.  For one ``lam`` the ridge fit of
:func:`fastridge.ridge` has, in this scaled space, the fitted values
``Hat ys`` with the hat matrix

    Hat(lam) = P_1 + A (A^T A + lam I)^{-1} A^T = P_1 + U diag(f) U^T,
    f_k = s_k^2 / (s_k^2 + lam),

where ``A = U diag(s_k) V^T`` is the thin SVD and ``P_1 = q q^T / S`` with
``q = sqrt(s)`` is the (unpenalised) intercept's projection, present only when
an intercept is fitted (``A^T q = Xc^T s = 0``, so the two parts are
orthogonal).  Scaled residuals are ``r = ys - Hat ys`` (``P_1 ys = 0``), i.e.
``r_i = sqrt(s_i) (y_i - yhat_i)``.

Exact leave-one-out (``method="loo"``)
    ``e_i = r_i / (1 - Hat_ii)``: the scaled error of the fit without sample
    ``i`` (the Sherman-Morrison identity; scikit-learn's ``_RidgeGCV``, whose
    ``cv_results_`` are ``e_i^2``).  The score is ``-(1/n) sum_i e_i^2`` per
    target (scikit-learn's convention: an unweighted mean of the scaled squared
    errors, ``= -(1/n) sum_i s_i (y_i - yhat_{-i})^2``).
Exact GCV (``method="gcv"``)
    ``GCV = (1/n) ||r||^2 / (1 - tr(Hat)/n)^2``: the same mean with every
    ``Hat_ii`` replaced by their average ``tr(Hat)/n`` (Golub, Heath & Wahba
    1979); with weights ``||r||^2 = sum_i s_i (y_i - yhat_i)^2`` and ``n`` is
    the number of rows (zero-weight rows included: they have ``Hat_ii = 0``
    and ``r_i = 0``, exactly as in the leave-one-out mean).
    ``tr(Hat) = [1 if intercept] + sum_k f_k``.
Stochastic GCV (``method="gcv-stochastic"``)
    For large sparse ``X`` no ``n x n`` or ``p x p`` matrix is formed.  With
    ``M = A^T A = H`` (``p <= n``) or ``A A^T`` (``p > n``), of dimension
    ``m``, ``sum_k f_k = tr(M (M + lam)^{-1}) = m - lam tr((M + lam)^{-1})``,
    and with Rademacher probes ``z`` (``z^T z = m`` exactly)

        t(z) = m - lam z^T (M + lam)^{-1} z,    E[t(z)] = tr(M (M + lam)^{-1})

    (Hutchinson 1990).  The trace is the mean of ``n_probes`` values ``t(z)``,
    its standard error the sample standard deviation over ``sqrt(n_probes)``.
    Each probe is solved for all ``lam`` at once in one Jacobi-preconditioned
    Galerkin subspace (the ridge path's solver,
    :func:`fastridge._solvers.ridge.path_subspace.subspace_path`).  In the
    dual form with an intercept, probes are projected off the known null
    vector ``sqrt(s)`` of ``A A^T`` and their squared norm serves as a control
    variate (see :func:`hutchinson_trace`).  The residual part ``||r||^2``
    comes from the certified :func:`fastridge.ridge_path` coefficients at the
    same ``lam``.

    *Solve accuracy.*  The subspace returns a Galerkin iterate ``x = Z y``
    of ``(M + lam) x = z``: its residual ``rho = z - (M + lam) x`` is
    orthogonal to the basis ``Z``, so with
    ``z = rho + (M + lam) x`` and ``x^T rho = 0``,
    ``z^T x* - z^T x = rho^T (M + lam)^{-1} rho`` and

        0 <= t_computed(z) - t(z) <= ||rho||^2.

    Every probe is solved until ``||rho||^2 <= SOLVE_DF_TOL`` (a thousandth of
    one degree of freedom), and the realised bound (mean over probes) is
    reported as ``df_solve_bound``: negligible against the Monte-Carlo error,
    which is ``sqrt(2 (||B||_F^2 - sum_i B_ii^2) / n_probes)`` for
    ``B = M (M + lam)^{-1}``, i.e. of order ``sqrt(df / n_probes)`` degrees
    of freedom whenever the fit is not within a fraction of a degree of
    freedom of the null or the interpolating model.

    *Error of the score (delta method).*  ``GCV = R / (1 - df/n)^2`` with
    ``R = ||r||^2 / n``; ``dGCV / d df = 2 GCV / (n - df)``, so the standard
    error of the score is ``2 GCV se(df) / (n - df)``.  The residual part is
    exact up to the path's certificate ``gap <= tol * P_null``:
    ``| ||r|| - ||r*|| | <= ||A (w - w*)|| <= sqrt(2 gap)``; it is not part of
    the standard error.

Modules: :mod:`.gcv_scores` (the result type), :mod:`.gcv_exact` (leave-one-out
and exact GCV from one eigendecomposition), :mod:`.gcv_stochastic` (Hutchinson
trace and stochastic GCV); their names are re-exported here.
"""

from __future__ import annotations

from .gcv_exact import HatDecomposition, exact_scores, hat_decomposition
from .gcv_scores import GCVScores
from .gcv_stochastic import SOLVE_DF_TOL, hutchinson_trace, stochastic_gcv

__all__ = [
    "METHODS",
    "SOLVE_DF_TOL",
    "GCVScores",
    "HatDecomposition",
    "exact_scores",
    "hat_decomposition",
    "hutchinson_trace",
    "stochastic_gcv",
]

#: Methods computed here (the ``method`` of :class:`fastridge.CVResult`).
METHODS = ("loo", "gcv", "gcv-stochastic")
