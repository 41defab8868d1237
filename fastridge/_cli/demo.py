"""``fastridge demo``: a9a, a single fit, a path, cross-validation and plots.

``demo`` fits ridge regression on the bundled a9a data and prints the certificate,
the solver, the time and the accuracies; then a certified ridge path over the
default grid (a table of a few lams), a cross-validated choice by ``RidgeCV(cv=5)``
and ``LogisticRegressionCV(Cs=10, cv=5)``, and the pictures ``path.png`` and
``cv.png`` (skipped with a one-line note when matplotlib is not installed).
``fastridge info`` is in :mod:`.info` (``cmd_info`` and ``fastridge_version`` are
also reachable here, where :mod:`fastridge.cli` looks them up).
"""

from __future__ import annotations

import os
import sys

from .info import cmd_info, fastridge_version

__all__ = ["cmd_demo", "cmd_info", "fastridge_version"]


def _as_scalar(value):
    import numpy as np

    arr = np.asarray(value, dtype=np.float64)
    return float(arr.max()) if arr.size else float("nan")


def _run_demo(args, summary):
    import fastridge
    from fastridge.datasets import load_a9a

    ridge = getattr(fastridge, "ridge", None)
    if ridge is None:
        print("fastridge demo: error: fastridge.ridge is not available", file=sys.stderr)
        return 2

    dtype = args.dtype or "float64"
    X, y = load_a9a("train", dtype=dtype)
    X_test, y_test = load_a9a("test", dtype=dtype)
    data = (X, y, X_test, y_test)
    status = _demo_fit(ridge, data, args, summary)
    if status == 2:
        return status
    path = _demo_path(fastridge, data, args)
    cv_results = _demo_cv(fastridge, data, args)
    if path is None or any(r is None for r in cv_results.values()):
        status = 1
    elif not path.converged:
        print("fastridge demo: the path did not reach the tolerance", file=sys.stderr)
        status = 1
    if not args.no_plots:
        _demo_plots(path, cv_results, args.plots_dir)
    return status


def _demo_fit(ridge, data, args, summary):
    """The single ridge fit (``--repeat`` times); prints its table, fills ``summary``.

    Returns the exit status so far: 0, 1 (not converged) or 2 (refused).
    """
    import time

    X, y, X_test, _ = data
    n_threads = "default" if args.threads is None else str(args.threads)
    print(f"fastridge {fastridge_version()}: ridge with intercept on a9a (labels +-1)")
    print(f"  train: {X.shape[0]:,} x {X.shape[1]:,}, nnz {X.nnz:,}")
    print(f"  test : {X_test.shape[0]:,} x {X_test.shape[1]:,}, nnz {X_test.nnz:,}")
    print(
        f"  lam = {args.lam:g}, tol = {args.tol:g}, solver = {args.solver}, "
        f"n_threads = {n_threads}"
    )

    res = None
    for rep in range(args.repeat):
        t0 = time.perf_counter()
        try:
            res = ridge(
                X,
                y,
                args.lam,
                fit_intercept=True,
                solver=args.solver,
                tol=args.tol,
                n_threads=args.threads,
            )
        except ValueError as exc:
            print(f"fastridge demo: error: {exc}", file=sys.stderr)
            return 2
        wall = time.perf_counter() - t0
        note = "  (includes loading/compiling the Numba kernels)" if rep == 0 else ""
        print(f"fit {rep + 1}: solver {res.seconds:.4f} s, wall {wall:.4f} s{note}")
    return _report_fit(res, data, args, summary)


def _report_fit(res, data, args, summary):
    """Print the table of the single fit ``res`` and fill ``summary``; 1 if not converged."""
    import numpy as np

    X, y, X_test, y_test = data
    cert = _as_scalar(res.certificate)
    p_null = _as_scalar(res.p_null)
    rel = cert / p_null if p_null > 0 else 0.0
    coef = np.asarray(res.coef, dtype=np.float64)
    intercept = float(np.asarray(res.intercept, dtype=np.float64))

    def accuracy(A, labels):
        return float(_sign_accuracy(A, labels, coef, intercept))

    rows = [
        ("solver used", f"{res.solver}"),
        ("converged", f"{bool(res.converged)}"),
        ("iterations", f"{int(res.n_iter)}"),
        ("certificate", f"{cert:.3e}   (upper bound on P(w, b) - P*)"),
        ("P_null", f"{p_null:.6e}   (objective of the intercept-only model)"),
        ("certificate/P_null", f"{rel:.3e}   (target: <= tol = {args.tol:g})"),
        ("seconds", f"{res.seconds:.4f}"),
        ("train accuracy", f"{accuracy(X, y):.4f}"),
        ("test accuracy", f"{accuracy(X_test, y_test):.4f}   (sign of X_test @ coef + b)"),
    ]
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}} : {value}")
    summary.update(
        solver=str(res.solver),
        converged=bool(res.converged),
        certificate=cert,
        p_null=p_null,
        relative_certificate=rel,
        seconds=float(res.seconds),
        train_accuracy=accuracy(X, y),
        test_accuracy=accuracy(X_test, y_test),
    )
    if not res.converged:
        print("fastridge demo: the solver did not reach the tolerance", file=sys.stderr)
        return 1
    return 0


def _public(module, name):
    """``module.name``, or None (with a message) when this version does not have it."""
    try:
        return getattr(module, name)
    except (AttributeError, ImportError) as exc:
        print(f"fastridge demo: error: fastridge.{name} is not available ({exc})", file=sys.stderr)
        return None


def _sign_accuracy(A, labels, coef, intercept):
    """Accuracy of ``sign(A @ coef + intercept)`` (coef (p,) or (L, p): one per row)."""
    import numpy as np

    scores = A @ np.asarray(coef, dtype=np.float64).T + np.asarray(intercept, dtype=np.float64)
    pred = np.where(scores >= 0.0, 1.0, -1.0)
    return np.mean(pred == np.asarray(labels).reshape(-1, *([1] * (pred.ndim - 1))), axis=0)


# Rows of the path table: this many lams, evenly spaced along the grid (first and
# last included), enough to see the fit go from near-null to the least penalised.
_PATH_TABLE_ROWS = 6


def _demo_path(fastridge, data, args):
    """Ridge path on a9a over the default grid; prints a table; returns the PathResult."""
    import time

    import numpy as np

    ridge_path = _public(fastridge, "ridge_path")
    if ridge_path is None:
        return None
    X, y, X_test, y_test = data
    print()
    print(f"ridge path: {args.n_lams} lams on the default grid, tol = {args.tol:g}")
    t0 = time.perf_counter()
    try:
        path = ridge_path(X, y, n_lams=args.n_lams, tol=args.tol, n_threads=args.threads)
    except ValueError as exc:
        print(f"fastridge demo: error: {exc}", file=sys.stderr)
        return None
    wall = time.perf_counter() - t0
    acc = _sign_accuracy(X_test, y_test, path.coef, path.intercept)
    rel = np.asarray(path.relative_certificate, dtype=np.float64).reshape(len(path), -1)
    n_iter = np.asarray(path.n_iter).reshape(len(path), -1)
    rows = np.unique(np.linspace(0, len(path) - 1, _PATH_TABLE_ROWS).round().astype(int))
    print(f"  {'lam':>10}  {'cert/P_null':>11}  {'iters':>5}  {'test acc':>8}")
    for i in rows:
        print(
            f"  {path.lams[i]:>10.4g}  {rel[i].max():>11.2e}  {int(n_iter[i].max()):>5d}"
            f"  {acc[i]:>8.4f}"
        )
    best = int(np.argmax(acc))
    print(
        f"  solver {path.solver}, converged {bool(path.converged)}, {path.n_passes} passes "
        f"over X, {path.seconds:.4f} s (wall {wall:.4f} s) for {len(path)} lams"
    )
    print(
        f"  highest test accuracy on the path: {acc[best]:.4f} at lam = {path.lams[best]:.4g}"
        "  (hindsight: the cross-validated choices below do not see the test set)"
    )
    return path


def _demo_cv(fastridge, data, args):
    """RidgeCV(cv=5) and LogisticRegressionCV(Cs=10, cv=5) on a9a; prints the choices.

    Returns ``{"ridge": est or None, "logistic": est or None}``.
    """
    import time
    import warnings

    import numpy as np

    X, y, X_test, y_test = data
    out = {}
    specs = [
        ("ridge", "RidgeCV", {"cv": 5, "alphas": "auto"}, "RidgeCV(cv=5)"),
        (
            "logistic",
            "LogisticRegressionCV",
            {"Cs": 10, "cv": 5},
            "LogisticRegressionCV(Cs=10, cv=5)",
        ),
    ]
    print()
    print("cross-validated choice (5 folds, fitted on train, scored on test)")
    for key, name, kwargs, text in specs:
        cls = _public(fastridge, name)
        if cls is None:
            out[key] = None
            continue
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. a scikit-learn FutureWarning
                est = cls(**kwargs).fit(X, y)
        except ValueError as exc:
            print(f"fastridge demo: error: {name}: {exc}", file=sys.stderr)
            out[key] = None
            continue
        wall = time.perf_counter() - t0
        cv = est.cv_result_
        best = int(np.ravel(cv.best_index)[0])
        mean = float(np.ravel(cv.mean_score[best])[0])
        se = float(np.ravel(cv.std_error[best])[0])
        lam = float(cv.lams[best])
        chosen = (
            f"C = {1.0 / lam:.4g} (lam = {lam:.4g})"
            if cv.param_name == "C"
            else f"lam = {lam:.4g}"
        )
        test_acc = float(np.mean(np.where(est.predict(X_test) >= 0.0, 1.0, -1.0) == y_test))
        print(f"  {text}: {wall:.3f} s, {len(cv.lams)} values, {cv.method}")
        print(f"    chosen {chosen}: mean {cv.scoring} = {mean:.6g} +- {se:.2g} (1 s.e.)")
        print(f"    test accuracy at the chosen value: {test_acc:.4f}")
        out[key] = est
    return out


def _demo_plots(path, cv_results, plots_dir):
    """Write ``path.png`` and ``cv.png`` into ``plots_dir`` (skipped without matplotlib)."""
    from pathlib import Path

    try:
        from matplotlib.figure import Figure  # no pyplot: no backend, no window
    except ImportError:
        print(
            "plots: skipped (matplotlib is not installed; "
            'pip install "fastridge[plot]" to get path.png and cv.png)'
        )
        return
    folder = Path(plots_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if path is not None:
        fig = Figure(figsize=(7.0, 4.5), layout="constrained")
        path.plot(ax=fig.add_subplot())
        fig.savefig(folder / "path.png", dpi=100)
        written.append(folder / "path.png")
    panels = [est.cv_result_ for est in cv_results.values() if est is not None]
    if panels:
        fig = Figure(figsize=(6.0 * len(panels), 4.5), layout="constrained")
        for i, cv in enumerate(panels):
            cv.plot(ax=fig.add_subplot(1, len(panels), i + 1))
        fig.savefig(folder / "cv.png", dpi=100)
        written.append(folder / "cv.png")
    for f in written:
        print(f"wrote {f}")


def cmd_demo(args, console):
    """``fastridge demo``: its text goes to stdout (stderr with --json, nowhere with --quiet)."""
    import contextlib

    summary = {}
    target = open(os.devnull, "w") if console.quiet else console.human_stream
    try:
        with contextlib.redirect_stdout(target):
            status = _run_demo(args, summary)
    finally:
        if console.quiet:
            target.close()
    console.emit_json({"command": "demo", "status": status, **summary})
    return status
