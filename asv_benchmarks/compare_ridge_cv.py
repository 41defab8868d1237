"""RidgeCV at scale: 5-fold CV and stochastic GCV against one fit, and what scikit-learn does.

Usage (from the repository root)::

    python asv_benchmarks/compare_ridge_cv.py [--dataset A] [--repeats 3] [--threads 2]
                                              [--with-sklearn-kfold] [--quick]
                                              [--out docs/benchmarks/ridge_cv]

On the synthetic case ``A`` (200,000 x 100,000, 20M nonzeros; ``harness.data``,
cached under ``$FASTRIDGE_BENCH_CACHE``) with the grid ``lam = rho ||X||_2^2``, rho
geometric from 10 to 0.01 (50 values):

* ``one fit``: ``fastridge.ridge`` at the middle lam (``tol=1e-8``), the unit;
* ``RidgeCV(cv=5)``: one certified ``ridge_path`` per fold over the 50 lams, scored
  from one product per fold (target: <= 10x one fit);
* ``RidgeCV(cv=None, gcv_mode="stochastic")``: the certified path on all the data plus
  Hutchinson probes (``n_probes=30``) solved by multi-shift CG for all lams; the table
  also gives the trace's standard error and the probe-solve bound;
* scikit-learn's ``RidgeCV(alphas=grid)``: ``cv=None`` forms a dense ``min(n, p)^2``
  matrix -- its size is computed and it is run only below ``--sklearn-memory-gb``
  (default 8) and 80% of the available memory; ``cv=5`` is a grid search of
  ``Ridge(solver="sparse_cg")`` (250 fits), timed only with ``--with-sklearn-kfold``,
  else extrapolated from a few timed fold-0 fits.

The fold-CV and scikit-learn parts are ``harness.cv.run_cv`` (shared with
``compare_path.py``); :func:`harness.cv.run_ridge_cv` adds the stochastic GCV and its
own report; this script parses the command line.
Medians of ``--repeats`` runs after a warm-up.  ``--quick``: the tiny version of the
data set (< 1 minute), a smoke test, not a measurement.
"""

from __future__ import annotations

from harness import cli, cv


def main(argv=None) -> int:
    parser = cli.ridge_cv_parser(__doc__.split("\n\n")[0])
    return cv.run_ridge_cv(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
