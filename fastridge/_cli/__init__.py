"""Implementation of the ``fastridge`` command line (entry point: :func:`fastridge.cli.main`).

One module per concern:

``parser``
    The argparse parser: subcommands, the options every subcommand shares, and a
    parser whose usage errors are one line.
``console``
    Where human text and machine-readable JSON go, and the one-line error format.
``settings``
    The settings of one fit: keys, defaults, the keys of each mode, input paths.
``inputs``
    Reading a fit's data and targets (errors name the file and the row), checksums.
``engine``
    One fit (``fit``, ``path`` or ``cv`` mode) from settings to arrays and metadata;
    shared by the single-fit commands and ``batch``.
``results``
    Result files: atomic writes, the ``.npz`` layout with its embedded JSON metadata,
    reading it back and predicting.
``commands``
    ``fit``, ``path``, ``cv``, ``predict`` and ``convert``.
``jobs`` / ``batch``
    The job file (parsing, defaults, expansion, validation) and the batch runner
    (progress, resume, interruption).
``cluster`` / ``batch_cluster`` / ``shards``
    ``--scheduler ADDRESS`` / ``--dask-workers N`` (a ``distributed.Client``, closing
    what it started); ``batch`` with each fit a Dask task and the results written by
    the client; ``fit`` / ``path`` / ``cv`` / ``predict`` on a list or folder of shards
    (:func:`fastridge.distributed.from_shards`).
``demo`` / ``info``
    ``demo`` (a9a); ``info`` (versions, threads, Numba cache) and the version string.

Heavy imports (numpy, numba, fastridge's solvers) happen inside the functions that
need them, so that ``fastridge --help`` stays fast.
"""
