"""Side-by-side distributed comparison: fastridge on Dask vs fastridge in one process,
dask-ml (dask-glm) and Spark MLlib, time to relative suboptimality 1e-8.

Usage (from the repository root)::

    python asv_benchmarks/compare_distributed.py [--cases a9a-*,M-*,A-*] [--repeats 3]
                                                 [--out docs/benchmarks] [--quick]

The method, the objective mappings and the outputs are in the docstring of
:mod:`harness.distributed`; this script parses the command line.
"""

from __future__ import annotations

import sys

from harness import distributed


def main(argv=None) -> int:
    return distributed.main(argv)


if __name__ == "__main__":
    sys.exit(main())
