"""One fit from files: read the inputs, run ``fit`` / ``path`` / ``cv``, collect the result.

A fit is described by its *settings*, a flat JSON-able dict (the keys of
:data:`SETTING_KEYS`); the single-fit commands build it from their options, ``batch``
from a job.  :func:`run_settings` returns the arrays of the result file and the
metadata that goes with them.
"""

from __future__ import annotations

import importlib
import time
import warnings
from dataclasses import dataclass, field
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


@dataclass
class Outcome:
    """What one fit produced.

    Attributes
    ----------
    arrays : dict of str to ndarray
        The arrays of the result file (``coef``, ``intercept``, ``lam`` or ``lams``,
        ``certificate``, ``p_null``, ``n_iter``, ``classes`` for logistic, and the
        cross-validation scores in mode ``cv``).
    info : dict
        JSON-able facts: ``solver``, ``converged``, ``n_passes``, ``certificate``
        and ``relative_certificate`` (the largest over targets / lams), ``p_null``,
        the shape of ``X``, library ``warnings``, ``timings`` (seconds: ``read``,
        ``fit``).
    """

    arrays: dict
    info: dict = field(default_factory=dict)


def io_module():
    """:mod:`fastridge.io` (the readers), imported on first use."""
    return importlib.import_module("fastridge.io")


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


def read_data(path, *, dtype=None, zero_based="auto", verify=True, n_features=None):
    """Read a data file for the command line; returns ``(X, labels, reading, warnings)``.

    ``reading`` is :func:`fastridge.io.read_matrix_reading`'s (stored with the model);
    ``warnings`` the one-line texts of the reader's warnings (``--zero-based auto``
    reading zero-based because of a lone index 0).  A CSR folder's checksums are
    verified unless ``verify`` is False; its structure always is.
    """
    fio = io_module()
    kwargs = {"dtype": dtype or None, "verify": verify}
    if fio.detect_format(str(path)) == "svmlight":
        kwargs.update(zero_based=zero_based or "auto", n_features=n_features)
    elif zero_based not in (None, "auto"):
        raise fio.InputError(f"{path}: --zero-based applies to svmlight files only")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fio.ZeroBasedWarning)
        X, labels, reading = fio.read_matrix_reading(str(path), **kwargs)
    texts = [str(w.message) for w in caught if issubclass(w.category, fio.ZeroBasedWarning)]
    for w in caught:  # anything else goes on as it came
        if not issubclass(w.category, fio.ZeroBasedWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return X, labels, reading, texts


def check_class_labels(y, task, source):
    """InputError naming ``source`` when ``task`` is logistic and ``y`` is real-valued.

    scikit-learn's ``type_of_target`` says ``"continuous"`` when some value is not an
    integer: a logistic fit would make each distinct value a class (a 200-class
    multinomial on 200 real targets).  Checked here, whatever the library does.
    """
    if task != "logistic":
        return
    import numpy as np
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    if kind.startswith("continuous"):
        flat = np.asarray(y).reshape(-1)
        bad = int(np.argmax(flat != np.round(flat)))
        raise io_module().InputError(
            f"{source}: the targets are continuous (e.g. {float(flat[bad]):.17g} at position "
            f"{bad}, {np.unique(flat).size} distinct values); --task logistic needs class labels"
        )


def load_inputs(settings, base_dir=None, *, verify=True):
    """Read ``X`` and ``y`` of a fit; returns ``(X, y, seconds, reading, warnings)``.

    ``reading`` describes how the data file was read (see :func:`read_data`),
    ``warnings`` the reader's one-line warnings.

    Raises ``fastridge.io.InputError`` (or ``ValueError``) naming the file and the
    row, field or value when the inputs are malformed, the lengths differ, a value
    is NaN or infinite, a CSR folder fails its checks, or logistic targets are
    real-valued.
    """
    import numpy as np

    fio = io_module()
    t0 = time.perf_counter()
    data = resolve_path(settings["data"], base_dir)
    X, labels, reading, texts = read_data(
        data,
        dtype=settings.get("dtype"),
        zero_based=settings.get("zero_based", "auto"),
        verify=verify,
    )
    spec, target_file = resolve_targets(settings.get("targets"), base_dir)
    y = fio.read_targets(spec, X.shape[0], labels=labels)
    y = np.asarray(y)
    source = str(target_file) if target_file is not None else f"{data} (labels)"
    if y.shape[0] != X.shape[0]:
        raise fio.InputError(f"{source}: {y.shape[0]} targets for the {X.shape[0]} rows of {data}")
    _check_finite_matrix(X, str(data))
    if y.dtype.kind in "fc":
        bad = np.flatnonzero(~np.isfinite(y.reshape(y.shape[0], -1)).all(axis=1))
        if bad.size:
            raise fio.InputError(f"{source}: target of row {int(bad[0])} is {y[bad[0]]!r}")
    check_class_labels(y, settings.get("task"), source)
    return X, y, time.perf_counter() - t0, reading, texts


def _check_finite_matrix(X, source):
    """Raise ``InputError`` naming the row and column of the first NaN / inf of ``X``."""
    import numpy as np
    import scipy.sparse as sp

    if sp.issparse(X) and X.format in ("csr", "csc"):
        values = np.asarray(X.data)
    elif isinstance(X, np.ndarray):
        values = X.reshape(-1)
    else:  # other formats are validated (and converted) by the library
        return
    if values.size == 0 or values.dtype.kind != "f":
        return
    pos = _first_non_finite(values)
    if pos < 0:
        return
    if sp.issparse(X):
        major = int(np.searchsorted(X.indptr, pos, side="right") - 1)
        minor = int(X.indices[pos])
        row, col = (major, minor) if X.format == "csr" else (minor, major)
    else:
        row, col = divmod(pos, X.shape[1])
    raise io_module().InputError(
        f"{source}: value {values[pos]} at row {row}, column {col} (0-based) is not finite"
    )


# Values scanned at a time for NaN / inf (a bounded temporary, not one boolean per value).
_SCAN_BLOCK = 1 << 20


def _first_non_finite(values):
    """Flat position of the first NaN / inf of the 1-d ``values`` (-1 if none)."""
    import numpy as np

    for start in range(0, values.shape[0], _SCAN_BLOCK):
        ok = np.isfinite(values[start : start + _SCAN_BLOCK])
        if not ok.all():
            return start + int(np.argmin(ok))
    return -1


def run_settings(settings, *, base_dir=None, n_threads=None, verify=True):
    """Read the inputs of ``settings`` and run the fit; returns an :class:`Outcome`.

    ``outcome.info["data_reading"]`` records how the data file was read (format;
    for svmlight ``zero_based`` and ``n_features``), so that ``predict`` reads
    another file the same way.
    """
    X, y, read_s, reading, texts = load_inputs(settings, base_dir, verify=verify)
    outcome = fit_arrays(X, y, settings, n_threads=n_threads)
    outcome.info["warnings"] = [*texts, *outcome.info["warnings"]]
    outcome.info["data_reading"] = reading
    outcome.info["timings"] = {"read": read_s, **outcome.info["timings"]}
    outcome.info.update(
        n_samples=int(X.shape[0]), n_features=int(X.shape[1]), nnz=int(getattr(X, "nnz", X.size))
    )
    return outcome


def fit_arrays(X, y, settings, *, n_threads=None):
    """Run the fit of ``settings`` on ``(X, y)``; returns an :class:`Outcome`."""
    s = mode_settings(settings)
    runner = {"fit": _single, "path": _path, "cv": _cv}[s["mode"]]
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        arrays, info = runner(X, y, s, n_threads)
    fit_s = time.perf_counter() - t0
    info["warnings"] = sorted({str(w.message) for w in caught})
    info["timings"] = {"fit": fit_s}
    return Outcome(arrays, info)


def _common_kwargs(s, n_threads):
    return {
        "fit_intercept": bool(s["fit_intercept"]),
        "solver": s["solver"],
        "tol": float(s["tol"]),
        "max_iter": s["max_iter"],
        "n_threads": n_threads,
    }


def _summary(res, arrays):
    """The JSON-able facts of a FitResult / PathResult (largest over targets / lams)."""
    import numpy as np

    cert = np.asarray(res.certificate, dtype=np.float64)
    rel = np.asarray(res.relative_certificate, dtype=np.float64)
    return arrays, {
        "solver": str(res.solver),
        "converged": bool(res.converged),
        "n_passes": int(res.n_passes),
        "n_iter": int(np.max(res.n_iter)),
        "certificate": float(cert.max()) if cert.size else 0.0,
        "relative_certificate": float(rel.max()) if rel.size else 0.0,
        "p_null": np.asarray(res.p_null, dtype=np.float64).tolist(),
    }


def _result_arrays(res, *, lam_key):
    import numpy as np

    arrays = {
        "coef": np.asarray(res.coef),
        "intercept": np.asarray(res.intercept),
        lam_key: np.asarray(getattr(res, "lam" if lam_key == "lam" else "lams")),
        "certificate": np.asarray(res.certificate),
        "p_null": np.asarray(res.p_null),
        "n_iter": np.asarray(res.n_iter),
    }
    if res.classes is not None:
        arrays["classes"] = np.asarray(res.classes)
    return arrays


def _single(X, y, s, n_threads):
    import fastridge

    if s["lam"] is None:  # the callers fill in DEFAULT_LAM; guard against a bare call
        raise ValueError("mode 'fit' needs lam")
    fn = fastridge.ridge if s["task"] == "ridge" else fastridge.logistic
    res = fn(X, y, float(s["lam"]), **_common_kwargs(s, n_threads))
    return _summary(res, _result_arrays(res, lam_key="lam"))


def _path(X, y, s, n_threads):
    import fastridge

    fn = fastridge.ridge_path if s["task"] == "ridge" else fastridge.logistic_path
    res = fn(
        X,
        y,
        s["lam"],
        n_lams=int(s["n_lams"]),
        lam_min_ratio=s["lam_min_ratio"],
        **_common_kwargs(s, n_threads),
    )
    return _summary(res, _result_arrays(res, lam_key="lams"))


def _cv(X, y, s, n_threads):
    """Cross-validate, then one certified fit on all the data at the chosen lam."""
    import numpy as np

    import fastridge

    folds = int(s["folds"])
    kw = _common_kwargs(s, n_threads)
    if s["task"] == "ridge":
        if folds == 1 or folds < 0:
            raise ValueError(f"folds must be >= 2 (or 0: leave-one-out / GCV), got {folds}")
        alphas = s["lam"]
        if alphas is None and (int(s["n_lams"]) != 50 or s["lam_min_ratio"] is not None):
            alphas = fastridge.ridge_lams(
                X,
                y,
                n_lams=int(s["n_lams"]),
                lam_min_ratio=s["lam_min_ratio"],
                fit_intercept=kw["fit_intercept"],
                n_threads=n_threads,
            )
        est = fastridge.RidgeCV(
            alphas="auto" if alphas is None else alphas,  # None: ridge_path's default grid
            cv=folds or None,
            scoring=s["scoring"],
            fit_intercept=kw["fit_intercept"],
            tol=kw["tol"],
            n_threads=n_threads,
        ).fit(X, y)
        lam = np.asarray(est.alpha_, dtype=np.float64)
        res = fastridge.ridge(X, y, lam, **kw)
    else:
        if folds < 2:
            raise ValueError(f"folds must be >= 2 for logistic cv, got {folds}")
        Cs = int(s["n_lams"]) if s["lam"] is None else [1.0 / float(v) for v in s["lam"]]
        est = fastridge.LogisticRegressionCV(Cs=Cs, cv=folds, scoring=s["scoring"], **kw).fit(X, y)
        res = est.result_
    cv = est.cv_result_
    arrays = _result_arrays(res, lam_key="lam")
    arrays.update(
        lams=np.asarray(cv.lams),
        mean_score=np.asarray(cv.mean_score),
        std_error=np.asarray(cv.std_error),
        best_index=np.asarray(cv.best_index),
    )
    if cv.fold_scores is not None:
        arrays["fold_scores"] = np.asarray(cv.fold_scores)
    arrays, info = _summary(res, arrays)
    info.update(
        cv_method=cv.method,
        scoring=cv.scoring,
        best_lam=np.asarray(cv.best_lam, dtype=np.float64).tolist(),
        cv_seconds=float(cv.seconds),
    )
    return arrays, info


def checksum_inputs(files, cache=None):
    """``{role: {"path": str, "sha256": str} or None}`` of the input files.

    ``cache`` (a dict) memoises the checksum per absolute path within one run.
    """
    fio = io_module()
    out = {}
    for role, path in files.items():
        if path is None:
            out[role] = None
            continue
        key = str(Path(path).resolve())
        if cache is None or key not in cache:
            digest = fio.file_checksum(key)
            if cache is not None:
                cache[key] = digest
        else:
            digest = cache[key]
        out[role] = {"path": key, "sha256": digest}
    return out


def fastridge_version():
    """The version of the running fastridge."""
    import fastridge

    return str(fastridge.__version__)


def result_meta(settings, outcome, inputs, *, n_threads=None):
    """The metadata of a result: what was fitted, from what, by what, how it went."""
    import numba

    info = dict(outcome.info)
    return {
        "fastridge_version": fastridge_version(),
        "task": settings["task"],
        "mode": settings["mode"],
        "settings": mode_settings(settings),
        "inputs": inputs,
        "threads": int(
            numba.config.NUMBA_NUM_THREADS
            if n_threads in (None, -1)
            else min(int(n_threads), numba.config.NUMBA_NUM_THREADS)
        ),
        **info,
        "timings": dict(info.get("timings", {})),
    }
