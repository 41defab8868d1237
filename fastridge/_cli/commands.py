"""``fastridge fit``, ``path``, ``cv``, ``predict`` and ``convert``."""

from __future__ import annotations

import time
import warnings

from . import engine
from . import inputs as fit_inputs
from . import settings as fit_settings
from .cluster import client_from_args, wants_cluster
from .results import atomic_write, load_result, predict, save_result
from .settings import DEFAULT_LAM


def _one_data(args):
    """The one DATA path of a command run without a cluster (the parser checked it)."""
    return args.data[0] if isinstance(args.data, list) else args.data


def settings_from_args(args, data=None):
    """The settings of ``fit`` / ``path`` / ``cv`` from their options.

    ``data``: the shard paths of a run on a cluster (default: the one DATA path).
    """
    settings = {
        "task": args.task,
        "mode": args.command,
        "data": _one_data(args) if data is None else data,
        "targets": args.targets,
        "fit_intercept": args.fit_intercept,
        "solver": args.solver,
        "tol": args.tol,
        "max_iter": args.max_iter,
        "dtype": args.dtype,
        "zero_based": args.zero_based,
    }
    if args.command == "fit":
        settings["lam"] = DEFAULT_LAM if args.lam is None else args.lam
    else:
        settings.update(lam=args.lams, n_lams=args.n_lams, lam_min_ratio=args.lam_min_ratio)
    if args.command == "cv":
        settings.update(folds=args.folds, scoring=args.scoring)
    return fit_settings.mode_settings(settings)


def cmd_fit(args, console):
    """``fit``, ``path`` and ``cv``: one fit from files, an optional result file."""
    t0 = time.perf_counter()
    if wants_cluster(args):
        settings, outcome, inputs = _fit_on_cluster(args, console)
    else:
        settings = settings_from_args(args)
        files = fit_settings.input_files(settings)
        fit_settings.check_inputs_exist(files)
        outcome = engine.run_settings(settings, n_threads=args.threads, verify=args.verify)
        inputs = None
    if args.command == "fit" and args.lam is None:  # after the fit: an error stays one line
        console.note(
            f"no --lam given: using lam = {DEFAULT_LAM:g} (the default, as LIBLINEAR's "
            "C = 1 and scikit-learn's alpha = 1)"
        )
    if inputs is None:
        inputs = fit_inputs.checksum_inputs(files)
    meta = engine.result_meta(settings, outcome, inputs, n_threads=args.threads)
    meta["timings"]["total"] = time.perf_counter() - t0
    if args.out:
        meta["result_sha256"] = save_result(args.out, outcome.arrays, meta)
    for text in outcome.info["warnings"]:
        console.warn(text)
    _print_fit(console, settings, meta, outcome.arrays, args.out)
    report = {"command": args.command, "out": args.out, **meta}
    if args.command == "fit":
        report["lam"] = settings["lam"]  # the lam used (the default 1 when none was given)
    console.emit_json(report)
    return 0


def _fit_on_cluster(args, console):
    """``fit`` / ``path`` / ``cv`` on shards: ``(settings, outcome, inputs)``."""
    from . import shards

    paths = shards.expand_shards(args.data)
    settings = settings_from_args(args, data=[str(p) for p in paths])
    target_file = fit_settings.input_files({"data": ".", "targets": args.targets})["targets"]
    fit_settings.check_inputs_exist({"targets": target_file})
    with client_from_args(args, console) as client:
        outcome = shards.run_shard_settings(
            settings, client, n_threads=args.threads, verify=args.verify
        )
        inputs = shards.checksum_shards(paths, args.targets, client)
    return settings, outcome, inputs


def _data_name(data):
    if isinstance(data, list):
        from .shards import describe

        return describe(data)
    return data


def _print_fit(console, s, meta, arrays, out):
    import numpy as np

    if s["mode"] == "fit":
        what = f"lam = {s['lam']:g}"
    elif s["mode"] == "path":
        what = f"{len(arrays['lams'])} lams"
    else:
        what = f"{s['folds']}-fold cross-validation" if s["folds"] else "leave-one-out / GCV"
    console.info(
        f"{s['mode']} {s['task']} on {_data_name(s['data'])} ({meta['n_samples']:,} x "
        f"{meta['n_features']:,}, nnz {meta['nnz']:,}): {what}"
    )
    if s["mode"] == "cv":
        console.info(
            f"  chosen lam = {np.ravel(meta['best_lam'])[0]:.6g} of {len(arrays['lams'])} "
            f"({meta['cv_method']}, {meta['scoring']})"
        )
    console.info(
        f"  solver {meta['solver']}, converged {meta['converged']}, {meta['n_iter']} iterations"
        f", {meta['n_passes']} passes over X"
    )
    console.info(
        f"  certificate {meta['certificate']:.3e}, certificate/P_null "
        f"{meta['relative_certificate']:.3e} (tol {s['tol']:g})"
    )
    t = meta["timings"]
    console.info(f"  seconds: read {t['read']:.3f}, fit {t['fit']:.3f}")
    if out:
        console.info(f"wrote {out}")
    console.detail(f"  inputs: {meta['inputs']}")


def cmd_predict(args, console):
    """``predict RESULT DATA``: ridge values or logistic labels / probabilities."""
    import numpy as np

    arrays, meta = load_result(args.result)
    p = int(np.shape(arrays["coef"])[-1])
    fio = fit_inputs.io_module()
    if wants_cluster(args):
        pred = _predict_on_cluster(args, console, arrays, meta, p)
    else:
        pred = _predict_local(args, console, arrays, meta, p, fio)
    data = _one_data(args) if not wants_cluster(args) else args.data
    if args.out:
        atomic_write(args.out, lambda fh: np.save(fh, pred))
        console.info(f"wrote {args.out}: predictions of shape {pred.shape}")
    elif not console.json_mode and not console.quiet:
        for row in pred.reshape(pred.shape[0], -1):
            print(" ".join(_fmt(v) for v in row))
    report = {"command": "predict", "result": args.result, "data": data, "out": args.out}
    report["shape"] = list(pred.shape)
    if not args.out:
        report["predictions"] = pred
    console.emit_json(report)
    return 0


def _predict_on_cluster(args, console, arrays, meta, p):
    """``predict`` on shards: one task per block computes its rows' scores."""
    from . import shards

    stored = (meta.get("data_reading") or {}).get("zero_based")
    with client_from_args(args, console) as client:
        X, paths = shards.load_predict_shards(
            args.data,
            client,
            dtype=args.dtype,
            zero_based=args.zero_based,
            stored_zero_based=None if stored is None else ("yes" if stored else "no"),
            verify=args.verify,
            p=p,
        )
        if X.shape[1] != p:
            raise fit_inputs.io_module().InputError(
                f"{shards.describe(paths)}: {X.shape[1]} features, but {args.result} was "
                f"fitted on {p}"
            )
        return predict(
            arrays,
            meta,
            X,
            proba=args.proba,
            lam_index=args.lam_index,
            decision=shards.distributed_decision,
        )


def _predict_local(args, console, arrays, meta, p, fio):
    """``predict`` on one data file read by this process."""
    args.data = _one_data(args)
    zero_based = _predict_zero_based(args, meta, console)
    # svmlight text has no trailing all-zero columns: read it at the model's width.
    X, _, _, texts = fit_inputs.read_data(
        args.data,
        dtype=args.dtype,
        zero_based=zero_based,
        verify=args.verify,
        n_features=p,
    )
    for text in texts:
        console.warn(text)
    if X.shape[1] != p:
        raise fio.InputError(
            f"{args.data}: {X.shape[1]} features, but {args.result} was fitted on {p}"
        )
    return predict(arrays, meta, X, proba=args.proba, lam_index=args.lam_index)


def _predict_zero_based(args, meta, console):
    """``--zero-based`` of ``predict``: as given, else the model's stored reading.

    A model fitted on svmlight records whether its file was read zero-based
    (``data_reading`` of the result metadata); reading the new file the same way keeps
    its columns aligned with the coefficients.  Result files without the record
    (older ones, or fitted on other formats) fall back to "auto".
    """
    stored = (meta.get("data_reading") or {}).get("zero_based")
    if args.zero_based is not None:
        if (
            stored is not None
            and args.zero_based != "auto"
            and ((args.zero_based == "yes") != bool(stored))
        ):
            console.warn(
                f"{args.result} was fitted on data read with zero-based "
                f"{'yes' if stored else 'no'}; --zero-based {args.zero_based} reads "
                f"{args.data} differently"
            )
        return args.zero_based
    if fio_format(args.data) != "svmlight" or stored is None:
        return None
    return "yes" if stored else "no"


def fio_format(path):
    """The format name of ``path`` (see :func:`fastridge.io.detect_format`)."""
    return fit_inputs.io_module().detect_format(str(path))


def _fmt(value):
    import numpy as np

    if isinstance(value, (float, np.floating)):
        return f"{value:.17g}"
    return str(value)


def _convert_reading(args, fio):
    """``zero_based`` (svmlight sources) and ``verify`` (CSR folder sources) of convert."""
    kind = fio.detect_format(str(args.src))
    kwargs = {"verify": args.verify} if kind == "csr-folder" else {}
    if kind == "svmlight":
        kwargs["zero_based"] = args.zero_based
    elif args.zero_based != "auto":
        raise fio.InputError(f"{args.src}: --zero-based applies to svmlight files only")
    return kwargs


def cmd_convert(args, console):
    """``convert SRC DST``: the memory-mapped CSR folder of :mod:`fastridge.io`."""
    fio = fit_inputs.io_module()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fio.ZeroBasedWarning)
        info = fio.convert(
            args.src,
            args.dst,
            targets=args.targets,
            dtype=args.dtype or None,
            overwrite=args.overwrite,
            **_convert_reading(args, fio),
        )
    for w in caught:
        if issubclass(w.category, fio.ZeroBasedWarning):
            console.warn(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    seconds = time.perf_counter() - t0
    console.info(f"wrote {args.dst} from {args.src} in {seconds:.3f} s")
    for key, value in (info or {}).items():
        console.detail(f"  {key}: {value}")
    console.emit_json({"command": "convert", "src": args.src, "dst": args.dst, **(info or {})})
    return 0
