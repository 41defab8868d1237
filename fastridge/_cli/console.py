"""Output routing of the command line: human text, JSON, one-line errors."""

from __future__ import annotations

import json
import math
import sys
import traceback

# Exit statuses (the shell's conventions): a failed job or bad input, a usage error
# (argparse's own status), and "terminated by SIGINT / SIGTERM" (128 + signal number).
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class Console:
    """Where the output of one command goes.

    Human text goes to stdout, or to stderr with ``--json`` (stdout then carries
    one JSON object and nothing else); ``--quiet`` drops it (errors and warnings
    excepted); ``--verbose`` adds detail lines.

    Parameters
    ----------
    command : str
        The subcommand, for the ``fastridge <command>: ...`` prefix of errors.
    json_mode, quiet, verbose, debug : bool
        The global options.
    """

    def __init__(self, command, *, json_mode=False, quiet=False, verbose=False, debug=False):
        self.command = command
        self.json_mode = json_mode
        self.quiet = quiet
        self.verbose = verbose
        self.debug = debug

    @classmethod
    def from_args(cls, args):
        """The console of a parsed command line."""
        return cls(
            args.command,
            json_mode=bool(getattr(args, "json", False)),
            quiet=bool(getattr(args, "quiet", False)),
            verbose=bool(getattr(args, "verbose", False)),
            debug=bool(getattr(args, "debug", False)),
        )

    @property
    def human_stream(self):
        """The stream of human text (stdout, or stderr in JSON mode)."""
        return sys.stderr if self.json_mode else sys.stdout

    def info(self, text=""):
        """A line of human output (dropped with ``--quiet``)."""
        if not self.quiet:
            print(text, file=self.human_stream, flush=True)

    def detail(self, text):
        """A line shown only with ``--verbose``."""
        if self.verbose and not self.quiet:
            print(text, file=self.human_stream, flush=True)

    def warn(self, text):
        """``fastridge <cmd>: warning: <text>`` on stderr (dropped with ``--quiet``)."""
        if not self.quiet:
            print(f"fastridge {self.command}: warning: {one_line(text)}", file=sys.stderr)

    def note(self, text):
        """``fastridge <cmd>: note: <text>`` on stderr (dropped with ``--quiet``)."""
        if not self.quiet:
            print(f"fastridge {self.command}: note: {one_line(text)}", file=sys.stderr)

    def error(self, text):
        """``fastridge <cmd>: error: <text>`` on stderr, always."""
        print(f"fastridge {self.command}: error: {one_line(text)}", file=sys.stderr, flush=True)

    def emit_json(self, obj):
        """Print ``obj`` as the one JSON document of stdout (JSON mode only)."""
        if self.json_mode:
            print(json.dumps(jsonable(obj)), flush=True)

    def report_exception(self, exc, status=EXIT_FAILURE):
        """Report an exception as one line (with the traceback first under ``--debug``).

        With ``--json``, stdout also gets the JSON error object of :func:`error_object`.
        """
        if self.debug:
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        message = describe_exception(exc)
        self.error(message)
        self.emit_json(
            error_object(self.command, message, type(exc).__name__, error_file(exc), status)
        )


def error_object(command, message, kind, file, status):
    """The JSON object ``--json`` prints on stdout when a command fails.

    ``{"error": <the one-line message>, "type": <exception name, or "usage">,
    "file": <the file the error is about, or null>, "command": ..., "exit_status": ...}``.
    """
    return {
        "error": message,
        "type": kind,
        "file": file,
        "command": command,
        "exit_status": status,
    }


def error_file(exc):
    """The file an error is about: ``OSError.filename``, else the message's leading path."""
    import os

    filename = getattr(exc, "filename", None)
    if isinstance(exc, OSError) and filename is not None:
        return str(filename)
    head = str(exc).split(": ", 1)[0]
    for candidate in (head, head.rsplit(":", 1)[0]):  # "file.svm:12" names a line
        if candidate and os.path.lexists(candidate):
            return candidate
    return None


def one_line(text):
    """``text`` with its lines joined (an error message is one line)."""
    return " ".join(str(text).split("\n")).strip()


def describe_exception(exc):
    """A one-line description of ``exc`` that names the file when there is one."""
    if isinstance(exc, OSError) and getattr(exc, "filename", None) is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, (ValueError, OSError, RuntimeError)):
        return one_line(exc) or type(exc).__name__
    if isinstance(exc, KeyError):
        return f"missing key {exc}"
    return f"{type(exc).__name__}: {one_line(exc)}"


def jsonable(obj):
    """``obj`` with numpy scalars and arrays turned into plain Python for ``json``."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency
        np = None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if np is not None:
        if isinstance(obj, np.ndarray):
            return jsonable(obj.tolist())
        if isinstance(obj, np.generic):
            return jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):  # NaN and inf are not JSON
        return None
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)
