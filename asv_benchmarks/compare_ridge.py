"""Side-by-side ridge comparison: fastridge vs scikit-learn, glmnet, Snap ML, sklearnex, LIBLINEAR.

Usage (from the repository root)::

    python asv_benchmarks/compare_ridge.py [--cases A-1e-2-int,B,D1-*] [--repeats 3]
                                           [--out bench_results/] [--quick]

Measures, for every case and solver, the wall time to reach a relative suboptimality
``(P(w, b) - P*) / P* <= 1e-8`` of the ridge objective of docs/architecture.md section 1
(``P = 1/2 ||y - X w - b||^2 + lam/2 ||w||^2``), where P* comes from an independent,
certified reference solve (see ``harness/reference.py``).

Method
------
* Threads: BLAS is limited to ``--threads`` (default 2; ``--blas-threads`` overrides)
  with threadpoolctl for the whole run; fastridge gets ``n_threads=--threads``.
  scikit-learn's sparse solvers (scipy sparse products) and glmnet are single-threaded
  apart from BLAS-1 calls.  On a loaded machine, 2-thread BLAS-1 calls on short vectors
  can stall (a worker waits for a descheduled thread): lsqr/sparse_cg then show a large
  min-max spread.
* scikit-learn's ``Ridge(solver="sag")`` with sparse X and an intercept silently runs
  ``sparse_cg`` unless ``max_iter is None and tol > 1e-4``; the harness therefore runs
  Ridge's own sag branch (centre y, sag fits the intercept) through the public
  ``sklearn.linear_model.ridge_regression(..., solver="sag", return_intercept=True)``,
  and every other sklearn run checks ``Ridge.solver_``.
* Calibration: a competitor's stopping knob (``tol`` / ``thr``) is not the
  suboptimality, so for each (case, solver) the harness searches a decade ladder of
  tolerances (starting near a typical value, moving looser while the target is still
  reached, tighter until it is, then one half-decade refinement) for the *loosest* tol
  that reaches the target, and times that setting.  This uses the reference P*, an
  oracle advantage no user has: it is the competitors' best case.
* fastridge rows: ``fastridge`` uses ``tol = target * P*/P_null``, so its own
  certificate (``certificate <= tol * P_null``) proves ``(P - P*)/P* <= target``
  without calibration (the honest, certified setting); ``fastridge-cal`` is
  calibrated like the competitors; ``fastridge-tol`` is the plain ``tol=target``
  (certificate <= target * P_null, i.e. relative to P_null, not P*).
* Time cap: every run gets an iteration cap worth about ``--time-cap`` seconds
  (per-iteration cost probed with two short runs); a solver that cannot reach the
  target within it is reported as "did not reach" with the best suboptimality seen.
  scikit-learn's ``sparse_cg`` ignores ``max_iter`` when p > n (its dual branch), so
  it has no cap there.
* Timing: after calibration (which also warms up caches and Numba), ``--repeats``
  rounds; in each round every solver runs once (order rotated between rounds). The
  table gives the median, min and max, and the worst suboptimality over the rounds.
* glmnet: python-glmnet's estimator picks the covariance algorithm (``ka=1``) when
  n > p, which allocates p x nx doubles (80 GB on case A), so the harness calls the
  Fortran ``spelnet`` directly with ``ka=2`` (naive algorithm), ``alpha=0`` (ridge),
  ``isd=0`` (no standardisation), unit weights.  glmnet minimises
  ``1/2 sum_i w_i (y_i - ...)^2 + lam_g/2 ||w||^2`` with weights normalised to sum 1,
  *after* dividing y by ``ys = sqrt(mean((y - mean(y))^2))`` and lam_g by ys, so the
  harness passes ``lam_g = lam * ys / n`` (checked against the reference: the table's
  suboptimality column is computed on the objective above for every solver).  The CSC
  copy with 1-based indices it needs is built once per case outside the timings
  (reported as ``prep_seconds``), which favours glmnet.
* Snap ML (``snapml``): ``LinearRegression(regularizer=lam, penalty="l2",
  fit_intercept=False, n_jobs=--threads)``, ``dual=True`` (rows, CSR) and ``dual=False``
  (columns: its CSC copy is made outside the timing).  Its objective is
  ``1/2 ||y - X w||^2 + regularizer/2 ||w||^2``, so ``regularizer = lam`` (checked: a
  tight fit is within 1e-14 of fastridge's optimum).  Its bias is a constant feature
  inside the L2 penalty (and its ``intercept_`` is 0 for the primal solver, unscaled for
  the dual one), so it runs on the ``-noint`` cases only.  It copies X to float32
  inside ``fit`` (timed).
* scikit-learn-intelex (``sklearnex``): ``Ridge(alpha=lam, n_jobs=--threads)``, oneDAL's
  direct solve (no tolerance: not calibrated).  It runs stock scikit-learn on sparse X,
  which is already in the table: on the sparse cases its rows say "skipped: falls back
  to scikit-learn on sparse input" (found by a trial fit on a few rows, and checked
  again in every timed fit); it runs on the dense cases D1, D2.
* Dense cases (``D1`` 20,000 x 1,000, ``D2`` 2,000 x 200; X ~ N(0, 1) as a C-ordered
  ndarray, y = X w* + 0.5 + N(0, 0.25) noise, seeded): ``fastridge-direct`` is
  ``solver="direct"`` at the certified tol (``fastridge`` is ``auto``);
  ``sklearn-cholesky`` (a direct solve, not calibrated) runs on dense X only;
  glmnet runs its dense ``elnet`` (naive, same settings), which centres its input
  in place, so its Fortran copy of X is made inside the timed fit;
  ``fastridge-csc-cd`` gets a Fortran-ordered copy made outside the timing.
* LIBLINEAR's own binding (``liblinear-official``): L2-regularised L2-loss SVR with
  ``-p 0``, ``1/2 ||w||^2 + C sum_i (y_i - x_i.w)^2``, our objective divided by
  ``2 lam``: ``C = 1/(2 lam)``.  ``liblinear-s11`` (primal trust-region Newton) with
  ``-B 1 -R`` (a bias feature, not regularised) for the intercept; ``liblinear-s12``
  (dual CD) has no ``-R``: ``-noint`` cases only, and a run that reaches LIBLINEAR's
  iteration limit and switches to ``-s 11`` by itself counts as an error.  ``-e`` is
  calibrated; LIBLINEAR has no iteration cap to set (single-threaded).  Its copy of X
  (feature nodes) is made outside the timing.  ``-s 13`` (L1-loss SVR) is not ridge.
* Stream bandwidth: best of 5 ``numpy.sum`` over a 1 GiB float64 array (0.25 GiB with
  ``--quick``), with one thread and with ``--threads`` threads (parts summed
  concurrently), in the same run.
* ``--quick``: tiny versions of every case (``harness.data.QUICK_DATASETS``), a 1 s
  time cap and 4 s of calibration per solver and case: a smoke test (under a minute on
  an idle 2-core machine), not a measurement.

The code is the package ``asv_benchmarks/harness`` (:mod:`harness.ridge`); this script
parses the command line.

Outputs ``OUT/ridge_comparison.md`` (table) and ``OUT/ridge_comparison.json`` (every run,
calibration ladder, probes, machine, bandwidth); ``--quick`` writes
``ridge_comparison_quick.*``.  Both files are rewritten after every case.
"""

from __future__ import annotations

import sys

from harness import cli, ridge


def main(argv=None) -> int:
    parser = cli.ridge_parser(__doc__.split("\n\n")[0], ridge.DEFAULT_SOLVERS)
    return ridge.main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
