"""Smoke check of the asv benchmark suite, fast enough for CI (no asv needed).

Imports every module of ``asv_benchmarks/benchmarks``, and for every benchmark class
and every parameter combination: runs ``setup_cache`` (once per class), ``setup``,
each ``time_``/``track_``/``mem_``/``peakmem_`` method once, then ``teardown``.
Problem sizes are tiny because ``FASTRIDGE_ASV_SMOKE=1`` is set (unless the caller
set the variable already).  A ``NotImplementedError`` raised by ``setup`` skips that
combination, as in asv; any other exception propagates and fails the script.

Usage, from the repository root::

    python asv_benchmarks/smoke.py
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import math
import os
import pkgutil
import sys
import tempfile
import time

os.environ.setdefault("FASTRIDGE_ASV_SMOKE", "1")

PREFIXES = ("time_", "track_", "mem_", "peakmem_", "timeraw_")


def _benchmark_modules():
    # ``python asv_benchmarks/smoke.py`` puts asv_benchmarks/ first on sys.path
    package = importlib.import_module("benchmarks")
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
    return [importlib.import_module(f"benchmarks.{name}") for name in names]


def _benchmark_classes(module):
    for name, cls in inspect.getmembers(module, inspect.isclass):
        if cls.__module__ != module.__name__ or name.startswith("_"):
            continue
        methods = sorted(m for m in dir(cls) if m.startswith(PREFIXES))
        if methods:
            yield cls, methods


def _param_combinations(cls):
    params = getattr(cls, "params", [])
    if not params:
        return [()]
    if not all(isinstance(p, list | tuple) for p in params):
        params = [params]  # a single parameter given as a flat list
    names = getattr(cls, "param_names", None)
    if names is not None and len(names) != len(params):
        raise ValueError(f"{cls.__name__}: {len(names)} param_names for {len(params)} params")
    return list(itertools.product(*params))


def _check_result(label, method, value):
    if method.startswith("track_") and not (
        isinstance(value, int | float) and math.isfinite(value)
    ):
        raise TypeError(f"{label}: track_ benchmark returned {value!r}, not a finite number")


def main() -> int:
    t_start = time.perf_counter()
    n_ran = n_skipped = 0
    with tempfile.TemporaryDirectory(prefix="fastridge-asv-smoke-") as workdir:
        for module in _benchmark_modules():
            for cls, methods in _benchmark_classes(module):
                t0 = time.perf_counter()
                cached = ()
                if hasattr(cls, "setup_cache"):
                    cwd = os.getcwd()
                    os.chdir(workdir)  # asv runs setup_cache in a scratch folder
                    try:
                        cached = (cls().setup_cache(),)
                    finally:
                        os.chdir(cwd)
                ran = skipped = 0
                for combo in _param_combinations(cls):
                    bench = cls()
                    args = (*cached, *combo)
                    try:
                        if hasattr(bench, "setup"):
                            bench.setup(*args)
                    except NotImplementedError:
                        skipped += len(methods)
                        continue
                    try:
                        for name in methods:
                            label = f"{module.__name__}.{cls.__name__}.{name}{combo}"
                            _check_result(label, name, getattr(bench, name)(*args))
                            ran += 1
                    finally:
                        if hasattr(bench, "teardown"):
                            bench.teardown(*args)
                n_ran += ran
                n_skipped += skipped
                print(
                    f"  {module.__name__}.{cls.__name__}: {ran} ran, {skipped} skipped "
                    f"({time.perf_counter() - t0:.1f} s)",
                    flush=True,
                )
    seconds = time.perf_counter() - t_start
    print(f"asv smoke: {n_ran} benchmarks ran, {n_skipped} skipped in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
