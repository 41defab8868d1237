"""``fastridge fit``, ``path``, ``cv``, ``predict`` and ``convert``."""

from __future__ import annotations

import time

from . import engine
from .results import atomic_write, load_result, predict, save_result


def settings_from_args(args):
    """The settings of ``fit`` / ``path`` / ``cv`` from their options."""
    settings = {
        "task": args.task,
        "mode": args.command,
        "data": args.data,
        "targets": args.targets,
        "fit_intercept": args.fit_intercept,
        "solver": args.solver,
        "tol": args.tol,
        "max_iter": args.max_iter,
        "dtype": args.dtype,
    }
    if args.command == "fit":
        settings["lam"] = args.lam
    else:
        settings.update(lam=args.lams, n_lams=args.n_lams, lam_min_ratio=args.lam_min_ratio)
    if args.command == "cv":
        settings.update(folds=args.folds, scoring=args.scoring)
    return engine.mode_settings(settings)


def cmd_fit(args, console):
    """``fit``, ``path`` and ``cv``: one fit from files, an optional result file."""
    t0 = time.perf_counter()
    settings = settings_from_args(args)
    files = engine.input_files(settings)
    engine.check_inputs_exist(files)
    outcome = engine.run_settings(settings, n_threads=args.threads)
    inputs = engine.checksum_inputs(files)
    meta = engine.result_meta(settings, outcome, inputs, n_threads=args.threads)
    meta["timings"]["total"] = time.perf_counter() - t0
    if args.out:
        meta["result_sha256"] = save_result(args.out, outcome.arrays, meta)
    for text in outcome.info["warnings"]:
        console.warn(text)
    _print_fit(console, settings, meta, outcome.arrays, args.out)
    console.emit_json({"command": args.command, "out": args.out, **meta})
    return 0


def _print_fit(console, s, meta, arrays, out):
    import numpy as np

    if s["mode"] == "fit":
        what = f"lam = {s['lam']:g}"
    elif s["mode"] == "path":
        what = f"{len(arrays['lams'])} lams"
    else:
        what = f"{s['folds']}-fold cross-validation" if s["folds"] else "leave-one-out / GCV"
    console.info(
        f"{s['mode']} {s['task']} on {s['data']} ({meta['n_samples']:,} x "
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
    fio = engine.io_module()
    # svmlight text has no trailing all-zero columns: read it at the model's width.
    width = {"n_features": p} if fio.detect_format(args.data) == "svmlight" else {}
    X, _ = fio.read_matrix(str(args.data), dtype=args.dtype, **width)
    if X.shape[1] != p:
        raise fio.InputError(
            f"{args.data}: {X.shape[1]} features, but {args.result} was fitted on {p}"
        )
    pred = predict(arrays, meta, X, proba=args.proba, lam_index=args.lam_index)
    if args.out:
        atomic_write(args.out, lambda fh: np.save(fh, pred))
        console.info(f"wrote {args.out}: predictions of shape {pred.shape}")
    elif not console.json_mode and not console.quiet:
        for row in pred.reshape(pred.shape[0], -1):
            print(" ".join(_fmt(v) for v in row))
    report = {"command": "predict", "result": args.result, "data": args.data, "out": args.out}
    report["shape"] = list(pred.shape)
    if not args.out:
        report["predictions"] = pred
    console.emit_json(report)
    return 0


def _fmt(value):
    import numpy as np

    if isinstance(value, (float, np.floating)):
        return f"{value:.17g}"
    return str(value)


def cmd_convert(args, console):
    """``convert SRC DST``: the memory-mapped CSR folder of :mod:`fastridge.io`."""
    fio = engine.io_module()
    t0 = time.perf_counter()
    info = fio.convert(
        args.src,
        args.dst,
        targets=args.targets,
        dtype=args.dtype or None,
        overwrite=args.overwrite,
    )
    seconds = time.perf_counter() - t0
    console.info(f"wrote {args.dst} from {args.src} in {seconds:.3f} s")
    for key, value in (info or {}).items():
        console.detail(f"  {key}: {value}")
    console.emit_json({"command": "convert", "src": args.src, "dst": args.dst, **(info or {})})
    return 0
