"""The argparse parser of the ``fastridge`` command line."""

from __future__ import annotations

import argparse
import json

from .console import EXIT_USAGE, error_object, one_line

# Kept in step with fastridge._cli.settings (not imported: that module is not needed
# for ``--help``).
_TASKS = ("ridge", "logistic")
_DTYPES = ("float64", "float32")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, ``<prog>: error: <message>``.

    With ``json_errors`` set (``--json`` on the command line, see
    :func:`fastridge.cli.main`), stdout also gets the JSON error object of
    :func:`fastridge._cli.console.error_object` (type ``"usage"``).
    """

    json_errors = False  # set on the class by main(): subparsers share it

    def error(self, message):
        if Parser.json_errors:
            command = self.prog.split(" ", 1)[1] if " " in self.prog else None
            obj = error_object(command, one_line(message), "usage", None, EXIT_USAGE)
            print(json.dumps(obj), flush=True)
        self.exit(
            EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n"
        )

    def parse_known_args(self, args=None, namespace=None):
        namespace, extra = super().parse_known_args(args, namespace)
        subparsers = getattr(self, "subparsers", None)  # the top-level parser only
        command = getattr(namespace, "command", None)
        if subparsers and command in subparsers:
            _check_shards(subparsers[command], namespace)
        return namespace, extra


def _check_shards(parser, args):
    """Several DATA paths are shards: they need a cluster (a usage error otherwise)."""
    data = getattr(args, "data", None)
    if not isinstance(data, list) or len(data) < 2:
        return
    if getattr(args, "scheduler", None) or getattr(args, "dask_workers", None):
        return
    parser.error(
        f"{len(data)} DATA paths given: several shards need --scheduler ADDRESS or "
        "--dask-workers N (one DATA path otherwise)"
    )


def positive_float(text):
    """argparse type: a float > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _int_at_least(text, low):
    """An int >= ``low`` from ``text`` (argparse's error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, got {text}")
    return value


def positive_int(text):
    """argparse type: an int >= 1."""
    return _int_at_least(text, 1)


def nonnegative_int(text):
    """argparse type: an int >= 0."""
    return _int_at_least(text, 0)


def ratio(text):
    """argparse type: a float in (0, 1)."""
    value = positive_float(text)
    if not value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


def lam_list(text):
    """argparse type: comma-separated positive floats."""
    return [positive_float(v) for v in text.split(",") if v.strip()]


def _global_options():
    """The options every subcommand takes (a parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    g = common.add_argument_group("global options")
    g.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        metavar="N",
        help="number of Numba threads (default: Numba's default)",
    )
    g.add_argument(
        "--dtype",
        choices=_DTYPES,
        default=None,
        help="floating type of X (default: float64; float32 halves the memory)",
    )
    g.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object on stdout (human text goes to stderr)",
    )
    talk = g.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    talk.add_argument("-v", "--verbose", action="store_true", help="print more detail")
    g.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return common


def _cluster_options(p, *, shards):
    """``--scheduler ADDRESS`` / ``--dask-workers N`` (see :mod:`fastridge._cli.cluster`)."""
    g = p.add_argument_group("Dask cluster (needs fastridge[dask])")
    what = (
        "fit on the DATA shards (each opened by a worker)" if shards else "run the fits as tasks"
    )
    one = g.add_mutually_exclusive_group()
    one.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help=f"{what} on the Dask cluster of this scheduler (tcp://host:8786, or a "
        "scheduler file .json); the files must be readable at the same paths on the workers",
    )
    one.add_argument(
        "--dask-workers",
        type=positive_int,
        default=None,
        metavar="N",
        help=f"{what} on a local Dask cluster of N single-threaded worker processes",
    )


_DATA_HELP = (
    "svmlight (.gz/.bz2), .npz, .mtx, .npy or CSR folder; with --scheduler / --dask-workers "
    "also several shards (CSR folders or svmlight files) or a folder of them"
)


def _fit_options(p, *, lam_required):
    """DATA and the options of a fit (``fit``, ``path``, ``cv``)."""
    p.add_argument("data", metavar="DATA", nargs="+", help=_DATA_HELP)
    p.add_argument(
        "--targets",
        metavar="SPEC",
        default=None,
        help="targets: a .npy, or CSV columns 'f.csv:col' / 'f.csv:c1,c2' "
        "(default: the svmlight labels)",
    )
    p.add_argument("--task", choices=_TASKS, default="ridge", help="default: ridge")
    if lam_required:
        p.add_argument(
            "--lam",
            type=positive_float,
            default=None,
            help="the L2 penalty (default: 1, as LIBLINEAR's C = 1 and scikit-learn's "
            "alpha = 1; a note says so)",
        )
    p.add_argument(
        "--no-intercept", dest="fit_intercept", action="store_false", help="fit without b"
    )
    p.add_argument("--solver", default="auto", help="solver name (default: auto)")
    p.add_argument(
        "--tol",
        type=positive_float,
        default=1e-8,
        help="stop when certificate <= tol * P_null (default: 1e-8)",
    )
    p.add_argument("--max-iter", type=positive_int, default=None, metavar="N")
    p.add_argument("--out", metavar="RESULT.npz", default=None, help="write the result file")
    _reading_options(p)
    _cluster_options(p, shards=True)


def _reading_options(p, *, stored=False):
    """``--zero-based`` (svmlight) and ``--no-verify`` (CSR folders)."""
    default = "the model's reading" if stored else "auto"
    p.add_argument(
        "--zero-based",
        choices=("auto", "yes", "no"),
        default=None if stored else "auto",
        help=f"svmlight: whether index j is column j (yes) or j-1 (no); auto reads "
        f"zero-based when an index 0 occurs, and warns when that looks like a stray entry "
        f"(default: {default})",
    )
    _verify_option(p)


def _verify_option(p):
    p.add_argument(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="CSR folder: skip the sha256 check of its files against header.json (the "
        "structure checks always run)",
    )


def _grid_options(p):
    p.add_argument(
        "--lams", type=lam_list, default=None, metavar="L1,L2,...", help="explicit grid"
    )
    p.add_argument(
        "--n-lams", type=positive_int, default=50, metavar="N", help="grid size (default: 50)"
    )
    p.add_argument(
        "--lam-min-ratio",
        type=ratio,
        default=None,
        metavar="R",
        help="lam_min / lam_max of the default grid (default: 1e-4 if n >= p else 1e-2)",
    )


def build_parser(commands):
    """The parser; ``commands`` maps each subcommand to its function ``f(args, console)``.

    The subparsers are kept in ``parser.subparsers`` (name to parser).
    """
    parser = Parser(
        prog="fastridge",
        description="Certified ridge / logistic regression on sparse matrices.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _global_options()
    subs = {}

    def add(name, help_text, description=None):
        p = sub.add_parser(
            name, help=help_text, description=description or help_text, parents=[common]
        )
        p.set_defaults(func=commands[name])
        subs[name] = p
        return p

    for add_command in _SUBCOMMANDS:
        add_command(add)
    parser.subparsers = subs
    return parser


def _add_fit(add):
    """``fastridge fit``."""
    p = add("fit", "one certified fit at one lam")
    _fit_options(p, lam_required=True)


def _add_path(add):
    """``fastridge path``."""
    p = add("path", "a certified regularisation path over a grid of lams")
    _fit_options(p, lam_required=False)
    _grid_options(p)


def _add_cv(add):
    """``fastridge cv``."""
    p = add(
        "cv",
        "choose lam by K-fold cross-validation, then fit at it",
        "Cross-validate over a grid (ridge: RidgeCV(cv=K) over ridge_path's default grid; "
        "logistic: LogisticRegressionCV(Cs=N, cv=K), C = 1/lam) and fit on all the data "
        "at the chosen lam.",
    )
    _fit_options(p, lam_required=False)
    _grid_options(p)
    p.add_argument(
        "--folds",
        type=nonnegative_int,
        default=5,
        metavar="K",
        help="number of folds (default: 5; ridge: 0 = exact leave-one-out / GCV)",
    )
    p.add_argument(
        "--scoring",
        default=None,
        help="scikit-learn scorer name (default: r2 for ridge, accuracy for logistic)",
    )


def _add_predict(add):
    """``fastridge predict``."""
    p = add("predict", "predict with a result file")
    p.add_argument("result", metavar="RESULT.npz")
    p.add_argument("data", metavar="DATA", nargs="+", help=_DATA_HELP)
    p.add_argument("--out", metavar="PRED.npy", default=None, help="write the predictions here")
    p.add_argument(
        "--proba", action="store_true", help="logistic: class probabilities, not labels"
    )
    p.add_argument(
        "--lam-index", type=int, default=None, metavar="I", help="path result: use lams[I]"
    )
    _reading_options(p, stored=True)
    _cluster_options(p, shards=True)


def _add_convert(add):
    """``fastridge convert``."""
    p = add(
        "convert",
        "write a memory-mapped CSR folder from another format",
        "Convert SRC (svmlight, .npz, .mtx, .npy) to a memory-mapped CSR folder DST.",
    )
    p.add_argument("src", metavar="SRC")
    p.add_argument("dst", metavar="DST")
    p.add_argument("--targets", metavar="SPEC", default=None, help="targets to store with X")
    p.add_argument("--overwrite", action="store_true", help="replace DST if it exists")
    _reading_options(p)


def _add_batch(add):
    """``fastridge batch``."""
    p = add(
        "batch",
        "run the fits of a job file (resumable)",
        "Run every fit of a TOML or JSON job file, writing DIR/<name>.npz and "
        "DIR/<name>.json per fit. Rerunning skips the fits whose results are complete "
        "and match the inputs' checksums and the settings.",
    )
    p.add_argument("jobs", metavar="JOBS", help="job file (.toml or .json)")
    p.add_argument("--out", metavar="DIR", required=True, help="output folder")
    p.add_argument("--fail-fast", action="store_true", help="stop at the first failed fit")
    _verify_option(p)
    _cluster_options(p, shards=False)


def _add_demo(add):
    """``fastridge demo``."""
    p = add(
        "demo",
        "fit ridge on the bundled a9a data set and report the certificate",
        "Fit ridge regression with intercept on a9a (UCI Adult, 32,561 x 123) with "
        "labels +-1, and score it as a least-squares classifier on a9a.t; then a "
        "certified ridge path, a cross-validated choice of lam (RidgeCV) and of C "
        "(LogisticRegressionCV), and the pictures path.png and cv.png.",
    )
    p.add_argument("--lam", type=positive_float, default=1.0, help="L2 penalty lam (default: 1.0)")
    p.add_argument(
        "--solver",
        default="auto",
        help="solver: auto, cg-primal, cg-dual, cd or direct (default: auto)",
    )
    p.add_argument(
        "--tol",
        type=positive_float,
        default=1e-8,
        help="stop when certificate <= tol * P_null (default: 1e-8)",
    )
    p.add_argument(
        "--repeat",
        type=positive_int,
        default=1,
        metavar="R",
        help="fit R times; the first fit includes loading or compiling kernels (default: 1)",
    )
    p.add_argument(
        "--n-lams",
        type=positive_int,
        default=50,
        metavar="L",
        help="number of lams of the ridge path (default grid; default: 50)",
    )
    p.add_argument(
        "--plots-dir",
        default=".",
        metavar="DIR",
        help="folder for path.png and cv.png (created if absent; default: current folder)",
    )
    p.add_argument("--no-plots", action="store_true", help="do not write path.png and cv.png")


def _add_info(add):
    """``fastridge info``."""
    add(
        "info",
        "print versions, Numba threads and cache location, CPU count",
        "Print versions, Numba threads and cache location, and the CPU count.",
    )


# In the order of ``fastridge --help``.
_SUBCOMMANDS = (
    _add_fit,
    _add_path,
    _add_cv,
    _add_predict,
    _add_convert,
    _add_batch,
    _add_demo,
    _add_info,
)
