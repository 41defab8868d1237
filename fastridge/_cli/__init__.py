"""Implementation of the ``fastridge`` command line (entry point: :func:`fastridge.cli.main`).

One module per concern:

``parser``
    The argparse parser: subcommands, the options every subcommand shares, and a
    parser whose usage errors are one line.
``console``
    Where human text and machine-readable JSON go, and the one-line error format.
``engine``
    One fit (``fit``, ``path`` or ``cv`` mode) from files to arrays and metadata; shared
    by the single-fit commands and ``batch``.
``results``
    Result files: atomic writes, the ``.npz`` layout with its embedded JSON metadata,
    reading it back and predicting.
``commands``
    ``fit``, ``path``, ``cv``, ``predict`` and ``convert``.
``jobs`` / ``batch``
    The job file (parsing, defaults, expansion, validation) and the batch runner
    (progress, resume, interruption).
``demo``
    ``demo`` and ``info``.

Heavy imports (numpy, numba, fastridge's solvers) happen inside the functions that
need them, so that ``fastridge --help`` stays fast.
"""
