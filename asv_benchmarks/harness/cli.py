"""Command-line arguments of the comparison scripts, case selection, thread limits.

Job: one parser per script (:func:`ridge_parser`, :func:`logistic_parser`,
:func:`path_arguments`, :func:`ridge_cv_parser`, :func:`logistic_cv_parser`), the
options the single-lam harnesses share (:func:`harness_arguments`) and their
``--quick``-dependent defaults, :func:`select_cases` (``--cases``), and
:func:`limit_threads` (BLAS through threadpoolctl), :func:`set_numba_threads`.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
from pathlib import Path

from .data import N_LAMS

# asv_benchmarks/harness/cli.py -> the repository root
REPO = Path(__file__).resolve().parents[2]


def harness_arguments(description, *, cases_default, cases_help, quick_time_cap, quick_calib):
    """The command-line options both comparison harnesses share (an ``ArgumentParser``)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--cases", default=cases_default, help=cases_help)
    ap.add_argument("--solvers", help="comma list of solvers")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="bench_results")
    ap.add_argument(
        "--quick", action="store_true", help="tiny versions of every case (smoke test)"
    )
    ap.add_argument("--target", type=float, default=1e-8, help="relative suboptimality to reach")
    ap.add_argument(
        "--time-cap",
        type=float,
        default=None,
        help=f"seconds per run (default 120, quick {quick_time_cap:g})",
    )
    ap.add_argument(
        "--calib-budget",
        type=float,
        default=None,
        help=f"seconds of calibration per solver and case (default 900, quick {quick_calib:g})",
    )
    ap.add_argument("--threads", type=int, default=2, help="fastridge n_threads and BLAS threads")
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="BLAS threads (default: --threads); 1 avoids BLAS thread stalls on a loaded machine",
    )
    ap.add_argument("--bandwidth-gib", type=float, default=None, help="default 1 (quick 0.25)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.set_defaults(_quick_time_cap=quick_time_cap, _quick_calib=quick_calib)
    return ap


def fill_harness_defaults(args) -> None:
    """Defaults of the shared options that depend on ``--quick``."""
    if args.time_cap is None:
        args.time_cap = args._quick_time_cap if args.quick else 120.0
    if args.calib_budget is None:
        args.calib_budget = args._quick_calib if args.quick else 900.0
    if args.bandwidth_gib is None:
        args.bandwidth_gib = 0.25 if args.quick else 1.0


def select_cases(cases: list, spec: str | None) -> list:
    """The cases matching ``spec``: a comma list of names, glob patterns or data sets
    (``None``, ``""`` or ``"all"``: every case)."""
    if not spec or spec == "all":
        return cases
    out = []
    for pat in spec.split(","):
        pat = pat.strip()
        hits = [c for c in cases if fnmatch.fnmatch(c.name, pat) or c.dataset == pat]
        if not hits:
            raise SystemExit(f"no case matches {pat!r}; cases: {', '.join(c.name for c in cases)}")
        out += [c for c in hits if c not in out]
    return out


def solver_names(args) -> list[str]:
    """The ``--solvers`` comma list as names."""
    return [s.strip() for s in args.solvers.split(",") if s.strip()]


def limit_threads(args) -> None:
    """BLAS threads to ``--blas-threads`` (default ``--threads``) for the whole run, and
    ``NUMBA_NUM_THREADS`` to ``--threads`` unless set (before Numba is imported)."""
    from threadpoolctl import threadpool_limits

    if args.blas_threads is None:
        args.blas_threads = args.threads
    threadpool_limits(args.blas_threads)
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))


def set_numba_threads(threads: int, only_if_imported: bool = False) -> None:
    """Numba's thread count to ``threads`` (capped by its pool), importing Numba unless
    ``only_if_imported``; silently nothing if that fails."""
    if only_if_imported and "numba" not in sys.modules:
        return
    try:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    except Exception:
        pass


def ridge_parser(description: str, default_solvers: list[str]) -> argparse.ArgumentParser:
    """``compare_ridge.py``'s options."""
    ap = harness_arguments(
        description,
        cases_default="all",
        cases_help="comma list of case names, glob patterns or data sets (A, B, C1, C2)",
        quick_time_cap=1.0,
        quick_calib=4.0,
    )
    ap.set_defaults(solvers=",".join(default_solvers))
    return ap


def logistic_parser(description: str, default_solvers: list[str]) -> argparse.ArgumentParser:
    """``compare_logistic.py``'s options."""
    ap = harness_arguments(
        description,
        cases_default=None,
        cases_help="comma list of case names, glob patterns or data sets "
        "(S, a9a, w8a, imdb1, imdb2, news20), or 'all' (the default, except with --quick: "
        "one case per data set)",
        quick_time_cap=0.5,
        quick_calib=2.0,
    )
    ap.set_defaults(solvers=",".join(default_solvers))
    ap.add_argument(
        "--max-dense-gb",
        type=float,
        default=8.0,
        help="skip sklearn newton-cholesky when its dense Hessian needs more (GB)",
    )
    ap.add_argument("--liblinear-scaling-primal", type=float, default=1000.0)
    ap.add_argument("--liblinear-scaling-dual", type=float, default=100.0)
    return ap


def path_arguments(argv, description: str, default_solvers: list[str]):
    """``compare_path.py``'s options, parsed, with the ``--quick``-dependent defaults."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--datasets", default="A,C2", help="comma list of data sets (A, C2, ...)")
    ap.add_argument("--solvers", default=",".join(default_solvers), help="comma list")
    ap.add_argument("--cv-datasets", default="A", help="data sets of the CV timings ('' none)")
    ap.add_argument("--n-lams", type=int, default=N_LAMS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None, help="output stem: writes OUT.json and OUT.md")
    ap.add_argument("--quick", action="store_true", help="tiny data sets (smoke test)")
    ap.add_argument("--target", type=float, default=1e-8)
    ap.add_argument("--time-cap", type=float, default=None, help="seconds (600; quick 5)")
    ap.add_argument("--calib-budget", type=float, default=None, help="seconds (1800; quick 10)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--blas-threads", type=int, default=None)
    ap.add_argument("--bandwidth-gib", type=float, default=None, help="1 (quick 0.25)")
    ap.add_argument("--sklearn-memory-gb", type=float, default=8.0)
    ap.add_argument(
        "--sklearn-cv-budget", type=float, default=None, help="seconds (1800; quick 30)"
    )
    args = ap.parse_args(argv)
    q = args.quick
    if args.time_cap is None:
        args.time_cap = 5.0 if q else 600.0
    if args.calib_budget is None:
        args.calib_budget = 10.0 if q else 1800.0
    if args.bandwidth_gib is None:
        args.bandwidth_gib = 0.25 if q else 1.0
    if args.sklearn_cv_budget is None:
        args.sklearn_cv_budget = 30.0 if q else 1800.0
    if args.out is None:
        args.out = str(REPO / "docs" / "benchmarks" / f"path_comparison{'_quick' if q else ''}")
    if args.blas_threads is None:
        args.blas_threads = args.threads
    return args


def ridge_cv_parser(description: str) -> argparse.ArgumentParser:
    """``compare_ridge_cv.py``'s options."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--dataset", default="A")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-lams", type=int, default=N_LAMS)
    ap.add_argument("--n-probes", type=int, default=30)
    ap.add_argument("--with-sklearn-kfold", action="store_true")
    ap.add_argument("--sklearn-memory-gb", type=float, default=8.0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None)
    return ap


def logistic_cv_parser(description: str) -> argparse.ArgumentParser:
    """``compare_logistic_cv.py``'s options."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="600-review subsample (smoke test)")
    ap.add_argument("--cs", type=int, default=20, help="number of Cs in logspace(-4, 4)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--scoring", default="neg_log_loss")
    ap.add_argument("--fr-tol", type=float, default=1e-12)
    ap.add_argument("--sk-tol", type=float, default=1e-10)
    ap.add_argument(
        "--sk-solvers", default=None, help="default newton-cg,lbfgs (--quick: newton-cg)"
    )
    ap.add_argument("--n-threads", type=int, default=None)
    ap.add_argument("--out", default="bench_results")
    return ap
