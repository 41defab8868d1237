"""The settings of one fit: the keys, their defaults, the keys of each mode, the input paths.

A fit is described by its *settings*, a flat JSON-able dict (the keys of
:data:`SETTING_KEYS`); the single-fit commands build it from their options, ``batch``
from a job.
"""

from __future__ import annotations

from pathlib import Path

TASKS = ("ridge", "logistic")
MODES = ("fit", "path", "cv")
DTYPES = ("float64", "float32")  # dtype None: the file's own floating type

# Every setting a fit can have, with its default (None: the library's default, or
# "not given").  ``lam`` is a number in mode ``fit``, an optional list (the grid) in
# ``path`` and ``cv``.  ``folds = 0`` in ridge ``cv`` is RidgeCV(cv=None): exact
# leave-one-out or GCV instead of K-fold.
SETTING_DEFAULTS = {
    "task": "ridge",
    "mode": "fit",
    "data": None,
    "targets": None,
    "lam": None,
    "n_lams": 50,
    "lam_min_ratio": None,
    "folds": 5,
    "scoring": None,
    "fit_intercept": True,
    "solver": "auto",
    "tol": 1e-8,
    "max_iter": None,
    "dtype": None,  # None: as stored (float64 for svmlight text)
    "zero_based": "auto",  # svmlight only: "auto", "yes" or "no"
}
# lam of mode "fit" when none is given: LIBLINEAR's ``train`` defaults to C = 1 and
# scikit-learn's Ridge / LogisticRegression to alpha = 1 / C = 1.  With fastridge's
# objectives (docs: P = 1/2 sum s_i r_i^2 + lam/2 ||w||^2 for ridge, and the sum of
# logistic losses + lam/2 ||w||^2) alpha = lam and C = 1/lam, so both defaults are lam = 1.
DEFAULT_LAM = 1.0
ZERO_BASED = ("auto", "yes", "no")
SETTING_KEYS = tuple(SETTING_DEFAULTS)

# The settings that mean something in each mode (the others are dropped from a fit's
# settings, so that they do not affect resume decisions).
_COMMON = (
    "task",
    "mode",
    "data",
    "targets",
    "fit_intercept",
    "solver",
    "tol",
    "max_iter",
    "dtype",
    "zero_based",
)
MODE_KEYS = {
    "fit": (*_COMMON, "lam"),
    "path": (*_COMMON, "lam", "n_lams", "lam_min_ratio"),
    "cv": (*_COMMON, "lam", "n_lams", "lam_min_ratio", "folds", "scoring"),
}


def mode_settings(settings):
    """``settings`` restricted to the keys that matter in its mode, defaults filled in."""
    mode = settings.get("mode", SETTING_DEFAULTS["mode"])
    return {k: settings.get(k, SETTING_DEFAULTS[k]) for k in MODE_KEYS[mode]}


def resolve_path(text, base_dir=None):
    """``text`` as a path, relative to ``base_dir`` when it is relative (``~`` expanded)."""
    path = Path(text).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    return path


def resolve_targets(spec, base_dir=None):
    """A targets spec with its file part resolved (``f.csv:col`` keeps ``:col``).

    Returns ``(spec, file)``: the spec to pass to :func:`fastridge.io.read_targets`
    and the file it reads (None when the targets are the svmlight labels).
    """
    if spec is None:
        return None, None
    spec = str(spec)
    head, sep, tail = spec.rpartition(":")
    if sep and head and "/" not in tail and not Path(spec).exists():
        path = resolve_path(head, base_dir)
        return f"{path}{sep}{tail}", path
    path = resolve_path(spec, base_dir)
    return str(path), path


def input_files(settings, base_dir=None):
    """The files a fit reads: ``{"data": Path, "targets": Path or None}``."""
    return {
        "data": resolve_path(settings["data"], base_dir),
        "targets": resolve_targets(settings.get("targets"), base_dir)[1],
    }


def check_inputs_exist(files):
    """Raise :class:`FileNotFoundError` naming the first input that is not there."""
    for path in files.values():
        if path is not None and not path.exists():
            raise FileNotFoundError(2, "No such file or directory", str(path))
