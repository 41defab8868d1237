"""Pictures of regularisation paths and cross-validation curves (optional matplotlib).

matplotlib is an optional dependency (the ``plot`` extra); it is imported inside
the functions, so ``import fastridge`` never needs it.  No backend is chosen
here: with ``ax=None`` a new figure is made with ``matplotlib.pyplot`` and the
user's (or matplotlib's default) backend; to draw without pyplot, pass an
``Axes`` of a ``matplotlib.figure.Figure``.

Direction of the x axis
-----------------------
Both plots put the strongest penalty on the left and the weakest on the right,
so that model complexity grows from left to right and the picture reads in the
order a warm-started path is computed (from the near-null model at the largest
``lam`` down to the smallest):

* against ``lam`` the axis is inverted (``lam`` decreases from left to right,
  as in glmnet's path plots against ``-log(lambda)`` and scikit-learn's ridge-path
  example);
* against ``C = 1 / lam`` (a :class:`CVResult` with ``param_name == "C"``) the
  axis is the usual increasing one.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_cv", "plot_path"]

# Lines drawn by default in a coefficient-path plot.  Matplotlib's default colour
# cycle has 10 colours, so beyond ~20 lines individual paths can no longer be told
# apart; and with p up to 1e6 features, drawing every line would take minutes and
# produce an unreadable picture.  The lines kept are the largest by max |coef|.
DEFAULT_MAX_LINES = 20

_INSTALL_HINT = (
    "plotting needs matplotlib, an optional dependency of fastridge: install the "
    '\'plot\' extra with  pip install "fastridge[plot]"  (or  pip install ".[plot]"  '
    "from a source checkout), or  pip install matplotlib"
)


def _require_matplotlib():
    """Import matplotlib (not pyplot) or raise an ImportError naming the extra."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc


def _new_axes():
    """A fresh ``Axes`` from pyplot (the user's backend), for ``ax=None``."""
    _require_matplotlib()
    import matplotlib.pyplot as plt

    _fig, ax = plt.subplots()
    return ax


def _target_label(target, classes, kind):
    if classes is not None and 0 <= target < len(classes):
        return f"class {classes[target]}"
    return f"{kind} {target}"


def _check_target(target, k, kind):
    if target is None:
        return 0
    if isinstance(target, bool) or int(target) != target:
        raise ValueError(f"target must be an integer index, got {target!r}")
    target = int(target)
    if not -k <= target < k:
        raise ValueError(f"target={target} out of range for {k} {kind}s")
    return target % k


def plot_path(
    result,
    ax=None,
    *,
    coef_index=None,
    max_lines=DEFAULT_MAX_LINES,
    target=None,
    log=True,
):
    """Plot coefficient paths against ``lam``.

    One line per feature: ``coef[j]`` at every ``lam`` of the path.  The x axis
    is inverted, so ``lam`` decreases from left to right (strongest penalty,
    near-null model, on the left).

    Parameters
    ----------
    result : PathResult
        A path from :func:`fastridge.ridge_path` or :func:`fastridge.logistic_path`.
    ax : matplotlib Axes, optional
        Where to draw; by default a new figure from ``matplotlib.pyplot``.
    coef_index : array-like of int, optional
        The features to draw (all of them, ``max_lines`` is then ignored).  By
        default the ``max_lines`` features with the largest ``max |coef|`` along
        the path are drawn.
    max_lines : int, default=20
        How many features to draw when ``coef_index`` is not given (when there
        are more features than this, the title says how many are shown).
    target : int, optional
        For a path with several targets (ridge) or a multinomial path, the
        index of the target / class to draw (default 0, the first; for a
        multinomial path ``result.classes[target]`` is named in the title).
        Must be None or 0 for a single target / a binary problem.
    log : bool, default=True
        Logarithmic ``lam`` axis (a geometric grid is then evenly spaced).

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Raises
    ------
    ImportError
        If matplotlib is not installed (install the ``plot`` extra:
        ``pip install "fastridge[plot]"``).
    ValueError
        For an invalid ``target``, ``coef_index`` or ``max_lines``.
    """
    _require_matplotlib()
    lams = np.asarray(result.lams, dtype=np.float64).ravel()
    L = lams.size
    coef = np.asarray(result.coef, dtype=np.float64)
    if coef.ndim == 1:  # one feature
        coef = coef[:, None]
    if coef.shape[0] != L:
        raise ValueError(f"coef has {coef.shape[0]} rows for {L} lams")
    label = ""
    if coef.ndim == 3:
        k = coef.shape[1]
        t = _check_target(target, k, "target")
        coef = coef[:, t, :]
        classes = getattr(result, "classes", None)
        kind = "target" if classes is None else "class"
        label = _target_label(t, classes if kind == "class" else None, kind)
    elif coef.ndim == 2:
        if target not in (None, 0):
            raise ValueError(f"target={target!r} given for a path with a single target")
    else:
        raise ValueError(f"coef must have 2 or 3 dimensions, got shape {coef.shape}")
    p = coef.shape[1]

    if coef_index is not None:
        idx = np.asarray(coef_index, dtype=np.int64).ravel()
        if idx.size and (idx.min() < -p or idx.max() >= p):
            raise ValueError(f"coef_index out of range for {p} features")
        idx = idx % p if idx.size else idx
    else:
        if isinstance(max_lines, bool) or int(max_lines) != max_lines or max_lines < 1:
            raise ValueError(f"max_lines must be a positive integer, got {max_lines!r}")
        m = min(int(max_lines), p)
        size = np.max(np.abs(coef), axis=0) if L else np.zeros(p)
        if m < p:
            # O(L p) to rank, then only m lines are handed to matplotlib
            idx = np.argpartition(-size, m - 1)[:m]
        else:
            idx = np.arange(p)
        idx = idx[np.argsort(-size[idx], kind="stable")]

    if ax is None:
        ax = _new_axes()
    order = np.argsort(-lams, kind="stable")  # decreasing lam: draw in path order
    x = lams[order]
    for j in idx:
        ax.plot(x, coef[order, j], linewidth=1.2, label=f"feature {int(j)}")
    if log:
        ax.set_xscale("log")
    if L and not ax.xaxis_inverted():
        ax.invert_xaxis()  # decreasing lam from left to right
    ax.axhline(0.0, color="0.6", linewidth=0.8, zorder=0)
    ax.set_xlabel("lam (log scale)" if log else "lam")
    ax.set_ylabel("coefficient")
    shown = f"{idx.size} of {p:,} features" if idx.size < p else f"{p:,} features"
    if coef_index is None and idx.size < p:
        shown += " (largest max |coef|)"
    parts = [f"Coefficient paths ({result.solver}, {L} lams)", shown]
    if label:
        parts.insert(1, label)
    ax.set_title("\n".join([parts[0], ", ".join(parts[1:])]), fontsize="medium")
    return ax


def plot_cv(result, ax=None, *, target=None, log=True):
    """Plot the mean cross-validation score against the penalty.

    Draws ``mean_score`` with a band of +-1 ``std_error`` (``fill_between``) and
    a vertical line at the chosen value.  When ``result.param_name == "C"`` the
    x axis is ``C = 1 / lam`` (increasing from left to right); otherwise it is
    ``lam``, inverted (decreasing from left to right), so in both cases the
    penalty weakens from left to right.

    Parameters
    ----------
    result : CVResult
        Scores from :class:`fastridge.RidgeCV` (``cv_result_``) or
        :class:`fastridge.LogisticRegressionCV`.
    ax : matplotlib Axes, optional
        Where to draw; by default a new figure from ``matplotlib.pyplot``.
    target : int, optional
        When each of ``k`` targets was scored separately (``mean_score`` of
        shape ``(L, k)``), the target to draw (default 0).
    log : bool, default=True
        Logarithmic x axis.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Raises
    ------
    ImportError
        If matplotlib is not installed (install the ``plot`` extra:
        ``pip install "fastridge[plot]"``).
    ValueError
        For an invalid ``target`` or inconsistent shapes.
    """
    _require_matplotlib()
    lams = np.asarray(result.lams, dtype=np.float64).ravel()
    L = lams.size
    mean = np.asarray(result.mean_score, dtype=np.float64)
    se = np.asarray(result.std_error, dtype=np.float64)
    best = np.asarray(result.best_index)
    if mean.shape[:1] != (L,):
        raise ValueError(f"mean_score has shape {mean.shape} for {L} lams")
    if se.shape != mean.shape:
        se = np.broadcast_to(se, mean.shape)
    label = ""
    if mean.ndim == 2:
        k = mean.shape[1]
        t = _check_target(target, k, "target")
        mean, se = mean[:, t], se[:, t]
        best = best[t] if best.ndim else best
        if k > 1:
            label = f"target {t}"
    elif mean.ndim != 1:
        raise ValueError(f"mean_score must be (L,) or (L, k), got shape {mean.shape}")
    elif target not in (None, 0):
        raise ValueError(f"target={target!r} given for a single score per lam")
    best = int(best)

    use_c = getattr(result, "param_name", "lam") == "C"
    name = "C" if use_c else "lam"
    x = 1.0 / lams if use_c else lams
    order = np.argsort(x, kind="stable")
    x, mean, se = x[order], mean[order], se[order]
    x_best = (1.0 / lams[best]) if use_c else lams[best]
    i_best = int(np.flatnonzero(order == best)[0])

    if ax is None:
        ax = _new_axes()
    scoring = str(result.scoring)
    method = str(result.method)
    n_folds = None if result.fold_scores is None else np.asarray(result.fold_scores).shape[0]
    (line,) = ax.plot(x, mean, marker="o", markersize=3, linewidth=1.5, label="mean score")
    band_label = "±1 standard error"
    if not np.any(se > 0):
        band_label += " (0: exact)"
    ax.fill_between(
        x, mean - se, mean + se, color=line.get_color(), alpha=0.25, linewidth=0, label=band_label
    )
    ax.axvline(
        x_best,
        color="k",
        linestyle="--",
        linewidth=1,
        label=f"chosen {name} = {x_best:.3g} (score {mean[i_best]:.4g})",
    )
    if log:
        ax.set_xscale("log")
    if not use_c and L and not ax.xaxis_inverted():
        ax.invert_xaxis()  # decreasing lam: weaker penalty to the right, like C
    ax.set_xlabel(f"{name} (log scale)" if log else name)
    how = f"{n_folds}-fold CV" if n_folds else method
    ax.set_ylabel(f"{scoring} ({how})")
    title = f"Cross-validation ({method}, {L} values of {name})"
    if label:
        title += f", {label}"
    ax.set_title(title, fontsize="medium")
    ax.legend(loc="best", fontsize="small")
    return ax
