"""Side-by-side benchmark of a certified 50-lam ridge path: fastridge vs glmnet vs scikit-learn.

Usage (from the repository root)::

    python asv_benchmarks/compare_path.py [--datasets A,C2] [--repeats 3]
                                          [--out docs/benchmarks/path_comparison] [--quick]

Measures the wall time of a whole regularisation path (``--n-lams`` = 50 values) of the
ridge objective ``P = 1/2 ||y - X w - b||^2 + lam/2 ||w||^2`` (intercept on) with every
point within a relative suboptimality ``(P_j - P*_j) / P*_j <= 1e-8`` of its own optimum.

Method
------
* Grid: ``lam_j = rho_j * ||X||_2^2`` (raw X, as ``compare_ridge.py``), ``rho`` geometric
  from 10 down to 0.01 (the issue's reference measurement), decreasing, so that every
  warm-started method runs it in its natural order.
* References: an independent certified optimum per lam (``harness.reference.reference``:
  Jacobi-PCG on the profiled normal equations, certificate/P* <= 1e-13), cached on disk
  (``$FASTRIDGE_BENCH_CACHE``), so the 50 references per data set are computed once.
* Accuracy of a run: ``P_j`` of every returned point is evaluated with the same objective
  (scipy products) and the table reports the *worst* ``(P_j - P*_j) / P*_j`` over the path.
* Competitors (their stopping knob is not the suboptimality): one tolerance for the whole
  path, calibrated on a decade ladder (1e-2 ... 1e-16, starting near a typical value,
  looser while the worst point still reaches the target, tighter until it does, then one
  half-decade refinement): the loosest setting whose worst point reaches the target.  This
  uses the reference optima, an oracle no user has: the competitors' best case.

  - ``glmnet``: the Fortran ``spelnet`` called directly as in ``harness.peers.ridge.Glmnet``
    (``ka=2`` naive algorithm, ``alpha=0``, ``isd=0``, unit weights) with ``nlam=50`` and
    ``ulam`` = the grid in glmnet's scaling, ``lam_g = lam * ys / n`` with
    ``ys = sqrt(mean((y - mean y)^2))`` (glmnet divides y and lambda by ys and uses
    weights summing to 1); glmnet warm-starts each lambda from the previous one.  ``thr``
    is calibrated; its CSC copy with 1-based indices is made once, outside the timing.
  - ``sklearn-sparse_cg`` / ``sklearn-lsqr``: a Python loop of ``Ridge(alpha=lam)`` over
    the grid (scikit-learn's Ridge has no path and no warm start); ``tol`` calibrated, one
    value for the whole loop.
* fastridge, certified, not calibrated: ``fastridge.ridge_path(X, y, lams=grid,
  tol=1e-8 * min_j(P*_j / P_null))``, so every point's own certificate
  (``certificate_j <= tol * P_null``) proves ``(P_j - P*_j)/P*_j <= 1e-8``.  Each point's
  certificate is also checked against the measured suboptimality.  ``fastridge-loop``
  (50 independent certified ``fastridge.ridge`` fits at the same tol) shows what the
  path machinery buys over single fits.
* Time cap: every run gets about ``--time-cap`` seconds: an iteration cap from two short
  probe runs (glmnet: passes for the whole path; scikit-learn: iterations per fit), and the
  scikit-learn loop stops between lams once the cap is spent.  A run that misses the
  target within it is reported as "did not reach", with the best worst-point seen.
* Timing: after calibration (which also warms caches and Numba), ``--repeats`` interleaved
  rounds (every solver once per round, order rotated); medians, min-max, and ratios
  ``median / median of fastridge``.
* Cross-validation (``--cv-datasets``, default the synthetic case A): 5-fold
  ``fastridge.RidgeCV(alphas=grid, cv=5)`` against one ``fastridge.ridge`` fit at the
  middle lam of the grid (``tol=1e-8``); and what scikit-learn's ``RidgeCV(alphas=grid)``
  does on the same data.  With ``cv=None`` (efficient leave-one-out) it forms a dense
  p x p covariance (n > p) or n x n Gram (n <= p) and its eigendecomposition; the harness
  computes the memory that needs (from scikit-learn 1.9's code: at least 3 such float64
  arrays at once - in the covariance mode the eigenvectors, their column-scaled copy and
  ``Hinv`` per alpha; in the Gram mode the eigenvectors, their square and its scaled
  copy), and
  runs it only if that is below ``--sklearn-memory-gb`` (default 8) and the machine's
  available memory; otherwise it reports "would need X GB".  With ``cv=5`` it runs a
  grid search of ``Ridge(solver="sparse_cg", tol=1e-4)`` (250 fits); the harness first
  times a sample of fold-0 fits and runs the full search only if the extrapolated time is
  below ``--sklearn-cv-budget`` seconds, else reports the extrapolation.
* Threads: BLAS limited to ``--threads`` with threadpoolctl; fastridge ``n_threads =
  --threads``; scikit-learn's sparse solvers and glmnet are single-threaded.
* ``--quick``: tiny versions of the data sets (``harness.data.QUICK_DATASETS``), 5 s
  time cap, 10 s of calibration per solver: a smoke test (< 1 minute), not a measurement.

The code is :mod:`harness.path` (peers in :mod:`harness.peers.path`, CV timings in
:mod:`harness.cv`); this script parses the command line.

Outputs ``OUT.json`` (every run, calibration ladders, machine, bandwidth) and ``OUT.md``
(tables), rewritten after every data set; ``OUT`` defaults to
``docs/benchmarks/path_comparison`` (``path_comparison_quick`` with ``--quick``).
"""

from __future__ import annotations

import sys

from harness import cli, path


def main(argv=None) -> int:
    args = cli.path_arguments(argv, __doc__.split("\n\n")[0], path.DEFAULT_SOLVERS)
    return path.main(args, argv)


if __name__ == "__main__":
    sys.exit(main())
