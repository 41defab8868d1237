"""Job files of ``fastridge batch``: reading, defaults, expansion, validation.

Format (TOML; JSON with the same structure, ``{"defaults": {...}, "job": [...]}``):

.. code-block:: toml

    [defaults]              # optional: settings every job starts from
    task = "ridge"          # "ridge" or "logistic"
    tol = 1e-8

    [[job]]
    name = "a9a"            # required; letters, digits, ". _ - + =": DIR/<name>.npz/.json
    data = "a9a.svm.gz"     # a file, or a list of files (see expansion)
    mode = "fit"            # "fit" (default), "path" or "cv"
    lam = [0.1, 1.0, 10.0]  # fit: one lam, or a list (see expansion)

Keys (job or defaults; defaults may not set ``name``): ``data``, ``targets``
(``"f.npy"``, ``"f.csv:col"``, ``"f.csv:c1,c2"``; absent: the svmlight labels),
``task``, ``mode``, ``lam``, ``n_lams``, ``lam_min_ratio``, ``folds``, ``scoring``,
``fit_intercept``, ``solver``, ``tol``, ``max_iter``, ``dtype``, ``zero_based``
(svmlight data: ``"auto"``, ``"yes"`` or ``"no"``, as ``--zero-based``).  In mode
``fit`` ``lam`` defaults to 1 (as ``fastridge fit``).  Relative paths are
relative to the job file's folder.  ``dtype`` comes from the job, else
``[defaults]``, else ``--dtype``, else the file's own type (float64 for svmlight).
A key set in a job must apply to its mode (``folds`` in a ``fit`` job is an error);
``[defaults]`` may hold keys of every mode (each job takes those of its mode).

Expansion: a list-valued ``data`` gives one fit per file, named
``<name>-<file name without .gz/.bz2>`` (``a9a.svm.gz``: ``<name>-a9a.svm``); in
mode ``fit`` a list-valued ``lam`` gives one fit per value, named
``<name>-lam<value>`` (``%g``: ``-lam0.1``, ``-lam1e-05``); both lists give every
combination (data outer, lam inner), e.g. ``<name>-a9a.svm-lam0.1``.  In modes
``path`` and ``cv`` a list ``lam`` is the grid (one fit).  Names must be unique after expansion.

A job that fails validation is reported as a failed fit (naming the file, the line
of its ``[[job]]`` header for TOML, the job and the key); the other jobs still run.
A file that cannot be parsed, or an unknown key of ``[defaults]`` or at the top
level, is an error of the whole file.
"""

from __future__ import annotations

import json
import numbers
import re
from dataclasses import dataclass
from pathlib import Path

from .settings import (
    DEFAULT_LAM,
    DTYPES,
    MODE_KEYS,
    MODES,
    SETTING_DEFAULTS,
    SETTING_KEYS,
    TASKS,
    ZERO_BASED,
    mode_settings,
)

# Allowed job names: they become file names in the output folder.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+=-]*$")
# The header of a job table in TOML, to give each job's line number.
_JOB_HEADER = re.compile(r"^\s*\[\[\s*job\s*\]\]")
_TOP_LEVEL_KEYS = ("defaults", "job")


class JobFileError(ValueError):
    """The job file as a whole cannot be used (one-line message naming the file)."""


@dataclass(frozen=True)
class Fit:
    """One fit of a batch: its output name, settings, and where relative paths start."""

    name: str
    settings: dict
    base_dir: Path
    where: str  # "jobs.toml:12 job 'a9a'" for messages


@dataclass(frozen=True)
class BadJob:
    """A job that cannot run; ``message`` names the file, line / job and field."""

    name: str
    message: str


def _load(path):
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise JobFileError(f"{path}: {exc.strerror or exc}") from None
    if suffix == ".toml":
        try:
            import tomllib
        except ImportError:  # Python 3.10
            import tomli as tomllib
        try:
            return tomllib.loads(raw.decode("utf-8")), raw.decode("utf-8")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise JobFileError(f"{path}: invalid TOML: {exc}") from None
    if suffix == ".json":
        try:
            return json.loads(raw.decode("utf-8")), None
        except json.JSONDecodeError as exc:
            raise JobFileError(
                f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})"
            ) from None
        except UnicodeDecodeError as exc:
            raise JobFileError(f"{path}: invalid JSON: {exc}") from None
    raise JobFileError(f"{path}: a job file must end in .toml or .json")


def _is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _positive(v):
    return _is_number(v) and v > 0 and v != float("inf")


def _check_value(key, value):
    """None if ``value`` is valid for ``key``, else the reason."""
    checks = {
        "data": (
            lambda v: (
                (isinstance(v, str) and v != "")
                or (isinstance(v, list) and v and all(isinstance(x, str) and x for x in v))
            ),
            "a file name or a non-empty list of file names",
        ),
        "targets": (lambda v: v is None or isinstance(v, str), "a targets spec (string)"),
        "task": (lambda v: v in TASKS, f"one of {', '.join(TASKS)}"),
        "mode": (lambda v: v in MODES, f"one of {', '.join(MODES)}"),
        "lam": (
            lambda v: _positive(v) or (isinstance(v, list) and v and all(map(_positive, v))),
            "a positive number or a non-empty list of them",
        ),
        "n_lams": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
        "lam_min_ratio": (lambda v: _is_number(v) and 0 < v < 1, "a number in (0, 1)"),
        "folds": (lambda v: _is_int(v) and v >= 0, "an integer >= 0"),
        "scoring": (lambda v: v is None or isinstance(v, str), "a scorer name"),
        "fit_intercept": (lambda v: isinstance(v, bool), "true or false"),
        "solver": (lambda v: isinstance(v, str), "a solver name"),
        "tol": (_positive, "a positive number"),
        "max_iter": (lambda v: v is None or (_is_int(v) and v >= 1), "an integer >= 1"),
        "dtype": (lambda v: v is None or v in DTYPES, f"one of {', '.join(DTYPES)}"),
        "zero_based": (
            lambda v: v in ZERO_BASED,
            f"one of {', '.join(ZERO_BASED)} (svmlight data only)",
        ),
    }
    ok, expected = checks[key]
    return None if ok(value) else f"{key} must be {expected}, got {value!r}"


def _stem(text):
    """The file name without a ``.gz`` / ``.bz2`` suffix (``a9a.svm.gz`` -> ``a9a.svm``)."""
    name = Path(text).name
    for suffix in (".gz", ".bz2"):
        name = name.removesuffix(suffix)
    return name


def read_job_file(path, *, dtype=None):
    """The fits of a job file, in order: :class:`Fit` or :class:`BadJob` entries.

    Parameters
    ----------
    path : path-like
        A ``.toml`` or ``.json`` job file.
    dtype : str, optional
        ``--dtype`` of the command line (used where neither job nor defaults set it).

    Raises
    ------
    JobFileError
        The file cannot be read or parsed, or its top level or ``[defaults]`` is invalid.
    """
    path = Path(path)
    doc, text = _load(path)
    if not isinstance(doc, dict):
        raise JobFileError(f"{path}: the top level must be a table / object")
    unknown = sorted(set(doc) - set(_TOP_LEVEL_KEYS))
    if unknown:
        raise JobFileError(
            f"{path}: unknown top-level key {unknown[0]!r} (expected [defaults] and [[job]])"
        )
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        raise JobFileError(f"{path}: [defaults] must be a table")
    for key, value in defaults.items():
        if key not in SETTING_KEYS:
            raise JobFileError(f"{path}: [defaults]: unknown key {key!r}")
        problem = _check_value(key, value)
        if problem:
            raise JobFileError(f"{path}: [defaults]: {problem}")
    jobs = doc.get("job", [])
    if not isinstance(jobs, list) or not all(isinstance(j, dict) for j in jobs):
        raise JobFileError(f"{path}: 'job' must be an array of tables ([[job]])")
    if not jobs:
        raise JobFileError(f"{path}: no [[job]] entries")
    lines = []
    if text is not None:
        lines = [i + 1 for i, ln in enumerate(text.splitlines()) if _JOB_HEADER.match(ln)]
    base = {**SETTING_DEFAULTS, "dtype": dtype, **defaults}

    entries, seen = [], set()
    for index, job in enumerate(jobs):
        line = f":{lines[index]}" if index < len(lines) else ""
        label = job.get("name") if isinstance(job.get("name"), str) else f"#{index + 1}"
        where = f"{path}{line}: job {label!r}"
        try:
            fits = _expand(job, base, path.parent.resolve(), where)
        except ValueError as exc:
            entries.append(BadJob(label, f"{where}: {exc}"))
            continue
        for fit in fits:
            if fit.name in seen:
                entries.append(BadJob(fit.name, f"{where}: duplicate fit name {fit.name!r}"))
                continue
            seen.add(fit.name)
            entries.append(fit)
    return entries


def _expand(job, base, base_dir, where):
    """The fits of one job (ValueError naming the key when it is invalid)."""
    name = job.get("name")
    if name is None:
        raise ValueError("missing key 'name'")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ValueError(
            f"name must start with a letter or digit and use only letters, digits and "
            f"'._+=-', got {name!r}"
        )
    for key, value in job.items():
        if key == "name":
            continue
        if key not in SETTING_KEYS:
            raise ValueError(f"unknown key {key!r}")
        problem = _check_value(key, value)
        if problem:
            raise ValueError(problem)
    merged = {**base, **job}
    mode = merged["mode"]
    for key in job:
        if key != "name" and key not in MODE_KEYS[mode]:
            raise ValueError(f"key {key!r} does not apply to mode {mode!r}")
    if merged["data"] is None:
        raise ValueError("missing key 'data'")
    lam = merged["lam"]
    if mode == "fit" and lam is None:
        # as `fastridge fit` without --lam (recorded in the settings)
        lam = merged["lam"] = DEFAULT_LAM
    if mode != "fit" and lam is not None and not isinstance(lam, list):
        merged["lam"] = [lam]
    if mode == "cv" and merged["task"] == "logistic" and merged["folds"] < 2:
        raise ValueError(f"folds must be >= 2 for logistic cv, got {merged['folds']}")
    if mode == "cv" and merged["folds"] == 1:
        raise ValueError("folds must be >= 2 (or 0 for ridge: leave-one-out / GCV)")

    datas = merged["data"] if isinstance(merged["data"], list) else [merged["data"]]
    data_names = [f"-{_stem(d)}" if isinstance(merged["data"], list) else "" for d in datas]
    expand_lam = mode == "fit" and isinstance(lam, list)
    lams = lam if expand_lam else [merged["lam"]]
    fits = []
    for data, data_suffix in zip(datas, data_names):
        for value in lams:
            lam_suffix = f"-lam{value:g}" if expand_lam else ""
            settings = mode_settings({**merged, "data": data, "lam": value})
            if mode == "fit":
                settings["lam"] = float(settings["lam"])
            elif settings["lam"] is not None:
                settings["lam"] = [float(v) for v in settings["lam"]]
            fits.append(Fit(f"{name}{data_suffix}{lam_suffix}", settings, base_dir, where))
    return fits
