"""``fastridge info`` (versions, Numba's thread count and cache location, the CPU count)
and the version string of ``fastridge --version``.
"""

from __future__ import annotations

import os


def fastridge_version():
    """The installed fastridge version (\"unknown\" if it cannot be found)."""
    try:
        import fastridge

        return str(fastridge.__version__)
    except Exception:
        pass
    try:
        from importlib.metadata import version

        return version("fastridge")
    except Exception:
        return "unknown"


def _numba_cache_description(package_dir):
    """Where Numba writes the on-disk cache of fastridge's kernels.

    Mirrors Numba's own order: ``NUMBA_CACHE_DIR`` if set; otherwise a
    ``__pycache__`` folder beside each source file when that is writable; otherwise
    a per-user cache folder.
    """
    import numba

    cache_dir = getattr(numba.config, "CACHE_DIR", "") or ""
    if cache_dir:
        return f"{cache_dir} (NUMBA_CACHE_DIR)"
    if package_dir is None:
        return "__pycache__ beside each source file (default)"
    in_tree = os.path.join(package_dir, "_kernels", "__pycache__")
    probe = in_tree
    while not os.path.isdir(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    if os.access(probe, os.W_OK):
        return f"{in_tree} (default: __pycache__ beside the sources)"
    try:
        from numba.misc.appdirs import AppDirs

        user_dir = AppDirs(appname="numba", appauthor=False).user_cache_dir
    except Exception:
        user_dir = "the per-user cache folder"
    return f"{user_dir} (sources not writable: Numba's per-user cache)"


def _count_cache_index_files(package_dir):
    import numba

    roots = []
    cache_dir = getattr(numba.config, "CACHE_DIR", "") or ""
    if cache_dir:
        roots.append(cache_dir)
    if package_dir is not None:
        roots.append(package_dir)
    count = 0
    for root in roots:
        for dirpath, _dirnames, filenames in os.walk(root):
            if cache_dir and dirpath.startswith(cache_dir) and "fastridge" not in dirpath:
                continue
            count += sum(1 for f in filenames if f.endswith(".nbi"))
    return count


def _info_rows():
    import importlib.util
    import platform

    import numba
    import numpy as np
    import scipy
    import sklearn

    spec = importlib.util.find_spec("fastridge")
    locations = list(spec.submodule_search_locations or []) if spec else []
    package_dir = locations[0] if locations else None

    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = None
    cpus = os.cpu_count()
    cpu_text = f"{cpus}" if usable in (None, cpus) else f"{cpus} ({usable} usable by this process)"

    rows = [
        ("fastridge", f"{fastridge_version()} ({package_dir})"),
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("numpy", np.__version__),
        ("scipy", scipy.__version__),
        ("scikit-learn", sklearn.__version__),
        ("numba", numba.__version__),
        (
            "numba threads",
            f"{numba.get_num_threads()} (NUMBA_NUM_THREADS={numba.config.NUMBA_NUM_THREADS})",
        ),
        ("threading layer", str(numba.config.THREADING_LAYER)),
        ("numba cache dir", _numba_cache_description(package_dir)),
        ("cached kernels", f"{_count_cache_index_files(package_dir)} index files (*.nbi)"),
        ("cpu count", cpu_text),
        ("platform", platform.platform()),
    ]
    return rows


def cmd_info(args, console):
    """``fastridge info``: versions, threads, Numba cache, CPUs (a JSON object with --json)."""
    rows = _info_rows()
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        console.info(f"{key:<{width}} : {value}")
    console.emit_json({"command": "info", **dict(rows)})
    return 0
