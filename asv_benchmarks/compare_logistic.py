"""Side-by-side L2-logistic comparison: fastridge vs scikit-learn, glmnet, skglm, Snap ML,
sklearnex, LIBLINEAR.

Usage (from the repository root)::

    python asv_benchmarks/compare_logistic.py [--cases a9a,news20-1e-1] [--repeats 3]
                                              [--out bench_results/] [--quick]

Measures, for every case and solver, the wall time to reach a relative suboptimality
``(P - P*) / P* <= 1e-8`` of the objective of docs/architecture.md section 1 (unit weights)::

    binary       P(w, b) = sum_i log(1 + exp(-y_i (x_i.w + b))) + lam/2 ||w||^2
    multinomial  P(W, b) = sum_i -log softmax(W x_i + b)[y_i] + lam/2 ||W||_F^2

(scikit-learn's ``C = 1/lam``).  The suboptimality of every solver is computed on this
objective from the coefficients it returns.

Method (shared with ``compare_ridge.py``: the calibration, timing and report code of
the package ``asv_benchmarks/harness``): decade-ladder calibration of each
competitor's tolerance against the reference (its best case), ``fastridge`` run
*uncalibrated* at
``tol = target * P*/P_null`` (its certificate then proves the target), iteration caps
worth ``--time-cap`` seconds from two probe runs, ``--repeats`` interleaved rounds
(medians, min-max), stream bandwidth measured in the same run.

Reference P*: ``fastridge.logistic(tol=1e-14)``, re-certified independently by
``harness.logistic_reference.gradient_certificate`` (profiled-intercept gradient bound);
scikit-learn newton-cg at tol=1e-13 (same independent certificate) where fastridge
cannot fit the case.  After a case, P* is lowered to the best objective any run
reached; a run below ``P(reference) - certificate`` (beyond rounding) would prove the
reference certificate wrong and is reported as an anomaly.

Competitor notes
----------------
* scikit-learn ``LogisticRegression`` (l2, ``C = 1/lam``): lbfgs, newton-cg,
  newton-cholesky, saga, liblinear primal (trust-region Newton) and dual (CD).
  newton-cholesky forms a dense ``d x d`` Hessian, ``d = (p + 1) * (K or 1)``: it is
  skipped when ``8 d^2`` bytes exceed ``--max-dense-gb`` (default 8 GB; p = 100,000
  needs 80 GB) or one Cholesky (``d^3/3`` flops at 20 GFlop/s) exceeds the time cap
  (d > ~15,000 at 60 s), and a MemoryError is reported as an error.  liblinear is one-vs-rest
  for K > 2 (a different objective): skipped on the multinomial cases.
* liblinear penalises the intercept: it fits ``w_b`` of a constant column of value
  ``s = intercept_scaling`` with penalty ``lam/2 w_b^2`` (i.e. ``lam/2 (b/s)^2``).
  With an intercept the harness uses ``s = 1000`` (primal) and ``s = 100`` (dual):
  the minimiser then differs from ours by a relative ~1e-12 in objective (a9a), but a
  large s slows the dual CD a lot (a9a, C=1: s = 10 misses 1e-8, s = 100 needs > 10,000
  epochs).  The ``-noint`` cases compare liblinear without this handicap.
* glmnet: the Fortran ``splognet`` of python-glmnet, ``alpha = 0``, ``isd = 0`` (no
  standardisation), unit weights.  It minimises ``-1/n sum_i loglik_i + lam_g/2 ||w||^2``,
  so ``lam_g = lam / n`` (checked: its solutions converge to P* on our objective).
  Binary: ``nc = 1`` with the positive class in the first column of y (as python-glmnet
  does); multinomial: ``nc = K``.  Its ``thr`` must be ~1e-12 for 1e-8: the ladder
  finds it.  ``glmnet`` fits the one lambda; ``glmnet-path`` a 3-lambda path from
  ``100 lam`` down to ``lam`` (warm starts; the whole path is timed): the multinomial
  fit at one small lambda silently (``jerr = 0``) returns a wrong model (news20,
  lam = 0.1: objective ~2,500 times P*), the path does not.  The CSC (1-based) copy is
  built outside the timings (``prep_seconds``).
* skglm: ``GeneralizedLinearEstimator(Logistic(), L1_plus_L2(alpha=lam/n, l1_ratio=0),
  solver)`` with ProxNewton and AndersonCD (skglm's ``L2`` penalty has no ``prox_1d``
  and both solvers reject it); its Logistic datafit is the mean loss, hence ``lam/n``.
  Binary only (no multinomial datafit).  Its Numba code is compiled by a warm-up fit on
  50 rows in ``prepare`` (``prep_seconds``), outside the probes and timings.
* Snap ML (``snapml``): ``LogisticRegression(regularizer=lam, penalty="l2",
  fit_intercept=False, n_jobs=--threads)``, dual and primal (CSC copy outside the
  timing): ``sum_i log(1 + exp(-y_i x_i.w)) + regularizer/2 ||w||^2``, so
  ``regularizer = lam``.  Binary (one-vs-rest for K > 2) ``-noint`` cases only: its bias
  is penalised and its ``intercept_`` wrong.  It copies X to float32 inside ``fit``.
* scikit-learn-intelex: ``LogisticRegression(C=1/lam, solver="lbfgs",
  n_jobs=--threads)`` (lbfgs: the only solver it runs on oneDAL on CPU); stock
  scikit-learn on sparse X, so "skipped: falls back to scikit-learn on sparse input" on
  every case here.
* LIBLINEAR's own binding (``liblinear-official``), ``C = 1/lam``: ``liblinear-s0``
  (primal trust-region Newton, ``-B 1 -R``: unpenalised bias) and ``liblinear-s7``
  (dual CD; LIBLINEAR refuses ``-R`` there: ``-noint`` cases only); binary only;
  ``-e`` calibrated, no iteration cap to set; its copy of X is made outside the timing.
* fastridge rows: ``fastridge`` (solver "auto", certified tol), ``fastridge-cal``
  (calibrated like the competitors), ``fastridge-cd`` (solver "cd", certified tol,
  CSC copy made outside the timing as for glmnet).  A solver / mode fastridge does not
  implement yet (ValueError on a tiny fit) is reported as "unavailable".

The code is :mod:`harness.logistic` (peers in :mod:`harness.peers.logistic`); this
script parses the command line.

``--quick``: tiny versions (about 1,000 rows) of one case per data set (``--cases all``:
of every case), 0.5 s time cap, 2 s of calibration per solver and case: a smoke test,
not a measurement.  Outputs
``OUT/logistic_comparison.{md,json}`` (``logistic_comparison_quick.*`` with
``--quick``), rewritten after every case.
"""

from __future__ import annotations

import sys

from harness import cli, logistic


def main(argv=None) -> int:
    parser = cli.logistic_parser(__doc__.split("\n\n")[0], logistic.DEFAULT_SOLVERS)
    return logistic.main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
