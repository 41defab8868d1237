"""One fit from files: read the inputs, run ``fit`` / ``path`` / ``cv``, collect the result.

:func:`run_settings` reads the inputs of a fit's settings (:mod:`.settings`,
:mod:`.inputs`) and returns the arrays of the result file and the metadata
that goes with them (an :class:`Outcome`); :func:`result_meta` the metadata
stored with them.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

from .inputs import load_inputs
from .settings import mode_settings


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


def run_settings(settings, *, base_dir=None, n_threads=None, verify=True):
    """Read the inputs of ``settings`` and run the fit; returns an :class:`Outcome`.

    ``outcome.info["data_reading"]`` records how the data file was read (format;
    for svmlight ``zero_based`` and ``n_features``), so that ``predict`` reads
    another file the same way.
    """
    X, y, read_s, reading, texts = load_inputs(settings, base_dir, verify=verify)
    return fit_loaded(X, y, settings, read_s, reading, texts, n_threads=n_threads)


def fit_loaded(X, y, settings, read_s, reading, texts, *, n_threads=None):
    """:func:`fit_arrays` on inputs read in ``read_s`` seconds, with their reading facts.

    ``X`` may be a ``fastridge.distributed.DistributedX`` (the shards of
    :mod:`fastridge._cli.shards`).
    """
    outcome = fit_arrays(X, y, settings, n_threads=n_threads)
    outcome.info["warnings"] = [*texts, *outcome.info["warnings"]]
    outcome.info["data_reading"] = reading
    outcome.info["timings"] = {"read": read_s, **outcome.info["timings"]}
    outcome.info.update(
        n_samples=int(X.shape[0]),
        n_features=int(X.shape[1]),
        nnz=int(X.nnz if hasattr(X, "nnz") else X.size),
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
