"""The ``fastridge`` command line (console entry point :func:`main`).

Subcommands
-----------
``fastridge fit DATA --lam L``, ``path DATA``, ``cv DATA``
    One certified fit, a regularisation path, or a cross-validated choice of lam
    (ridge or ``--task logistic``) from a file; ``--out RESULT.npz`` writes the
    result with its metadata.
``fastridge predict RESULT.npz DATA``
    Predictions of a result file (ridge values; logistic labels or ``--proba``).
``fastridge convert SRC DST``
    Write a memory-mapped CSR folder from svmlight, ``.npz``, ``.mtx`` or ``.npy``.
``fastridge batch JOBS.toml --out DIR``
    Every fit of a job file, resumable after a kill (see :mod:`fastridge._cli.batch`).
``fastridge demo``, ``fastridge info``
    The a9a demonstration; versions, threads and the Numba cache.

Every subcommand takes ``--threads N``, ``--dtype {float64,float32}``, ``--json``
(one JSON object on stdout), ``--quiet`` / ``--verbose`` and ``--debug``.  An error
is one line, ``fastridge <command>: error: <message>``, on stderr, with exit status
1 (2 for a usage error, 130 after Ctrl-C) and no traceback unless ``--debug``; with
``--json`` stdout then holds a JSON error object ``{"error", "type", "file", "command",
"exit_status"}``.

The implementation is in :mod:`fastridge._cli`; heavy imports (numpy, numba,
fastridge's solvers) happen inside the subcommands so that ``--help`` stays fast.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def _commands():
    from fastridge._cli import batch, commands, demo

    return {
        "fit": commands.cmd_fit,
        "path": commands.cmd_fit,
        "cv": commands.cmd_fit,
        "predict": commands.cmd_predict,
        "convert": commands.cmd_convert,
        "batch": batch.cmd_batch,
        "demo": demo.cmd_demo,
        "info": demo.cmd_info,
    }


def main(argv=None):
    """Run the ``fastridge`` command line; returns the exit status."""
    from fastridge._cli.console import EXIT_FAILURE, EXIT_SIGINT, EXIT_USAGE, Console
    from fastridge._cli.parser import Parser, build_parser

    parser = build_parser(_commands())
    # --json anywhere: a usage error is also a JSON error object on stdout
    Parser.json_errors = "--json" in (sys.argv[1:] if argv is None else list(map(str, argv)))
    args, extra = parser.parse_known_args(argv)
    if extra:
        owner = parser.subparsers.get(args.command, parser)
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.version:
        from fastridge._cli.demo import fastridge_version

        print(f"fastridge {fastridge_version()}")
        return 0
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    console = Console.from_args(args)
    try:
        return args.func(args, console)
    except KeyboardInterrupt:
        console.error("interrupted")
        return EXIT_SIGINT
    except BrokenPipeError:  # e.g. `fastridge predict ... | head`: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except Exception as exc:
        console.report_exception(exc)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
