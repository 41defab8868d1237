"""Timing: fastridge ``LogisticRegressionCV`` against scikit-learn's, same folds, IMDB binary.

Usage (from the repository root)::

    python asv_benchmarks/compare_logistic_cv.py [--repeats 3] [--quick] [--cs 20]
        [--folds 5] [--scoring neg_log_loss] [--fr-tol 1e-8] [--sk-tol 1e-8]
        [--sk-solvers newton-cg,lbfgs] [--n-threads N] [--out bench_results/]

Data: IMDB train (25,000 reviews), TF-IDF of unigrams, sentiment label (rating >= 7),
data set ``imdb1`` of ``harness/logistic_data.py`` (cached under
``~/.cache/fastridge-bench``).  ``--quick``: the 600-review subsample (a smoke test,
not a measurement, < 1 min).

Both estimators get the same ``Cs`` (``np.logspace(-4, 4, --cs)``, scikit-learn's
grid), the same explicit list of ``StratifiedKFold(--folds)`` splits and the same
scoring (default ``neg_log_loss``: continuous, so fold scores can be compared to
1e-6; ``accuracy`` moves in steps of 1/n_test).  scikit-learn runs with
``n_jobs=1`` (its folds in sequence, each solver single-threaded but BLAS);
fastridge with ``--n-threads`` (default all Numba threads: folds in parallel).

Tolerances (calibrated on the quick subsample against fastridge at tol=1e-14,
scoring neg_log_loss, 5 folds x 20 Cs; largest |fold score error| over all
(fold, C)): fastridge tol 1e-8 -> 1.9e-4, 1e-10 -> 1.6e-5, 1e-12 -> 5.7e-7;
scikit-learn newton-cg tol 1e-4 (its default) -> 0.14, 1e-6 -> 1.5e-2, 1e-8 ->
2.7e-5, 1e-10 -> 1.7e-7; lbfgs tol 1e-6 -> 1.3e-3 (42 s).  The worst errors are
at the largest C (tiny lam, nearly separable TF-IDF data), where the test
log-loss is most sensitive to the coefficients.  For fold scores that agree to
~1e-6 everywhere the defaults are therefore ``--fr-tol 1e-12`` (fastridge
certifies ``P - P* <= tol * P_null`` at every point) and ``--sk-tol 1e-10``
(scikit-learn's tol is a gradient threshold on its mean-loss objective, not a
bound on ``P - P*``); ``max_iter`` is 10,000 so that the tolerance, not the cap,
stops it.  The report prints, per estimator, the largest fold-score difference
to the timed fastridge run and the largest error against an untimed fastridge
run at tol=1e-14, so a run shows whether the calibration held on the full data.

Reported per estimator: median wall time over ``--repeats`` interleaved rounds
(min-max), the chosen C, the largest |fold score - fastridge's fold score| over
all (fold, C) and at the chosen C, and the time ratio against fastridge.
Output: a table on stdout and ``OUT/logistic_cv_comparison[_quick].json``.
The code is :mod:`harness.logistic_cv`; this script parses the command line.
"""

from __future__ import annotations

from harness import cli, logistic_cv


def main(argv=None) -> int:
    parser = cli.logistic_cv_parser(__doc__.split("\n")[0])
    return logistic_cv.main(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
