"""The comparison harnesses of ``asv_benchmarks/``, as a package.

The scripts ``asv_benchmarks/compare_*.py`` are thin entry points (parse the command
line, call a function here); Python puts ``asv_benchmarks/`` on ``sys.path`` when one
of them runs, so ``import harness`` needs no path edits.  One job per module:

* :mod:`harness.data`, :mod:`harness.logistic_data`: data sets, quick versions, cache;
* :mod:`harness.sampling`: the Zipf-like column draws of the synthetic matrices (also
  used by the asv benchmarks' ``benchmarks.common``);
* :mod:`harness.reference`, :mod:`harness.logistic_reference`: objectives and
  certified reference optima;
* :mod:`harness.peers`: each solver's runner and the mapping of its objective to ours;
* :mod:`harness.calibration`: iteration caps and the tolerance ladder;
* :mod:`harness.timing`: timed runs, interleaved rounds, medians;
* :mod:`harness.machine`: machine description and stream bandwidth;
* :mod:`harness.tables`, :mod:`harness.path_tables`: markdown and json output;
* :mod:`harness.cli`: command-line arguments, case selection, thread limits;
* :mod:`harness.session`: installed peers, run metadata, the per-case loop;
* :mod:`harness.ridge`, :mod:`harness.logistic`, :mod:`harness.path`,
  :mod:`harness.cv`, :mod:`harness.logistic_cv`: one comparison each
  (``compare_ridge.py``, ``compare_logistic.py``, ``compare_path.py``,
  ``compare_ridge_cv.py``, ``compare_logistic_cv.py``);
* :mod:`harness.distributed`: fastridge on Dask against one process, dask-ml and Spark
  MLlib (``compare_distributed.py``), with its own peers and tables.

The harness uses fastridge's public API only.
"""

import sys


def log(msg: str) -> None:
    """Progress message on stderr (the tables go to stdout)."""
    print(msg, file=sys.stderr, flush=True)
