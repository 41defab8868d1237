"""The path and cross-validation pictures (``fastridge._paths.plotting``): checked, not timed.

Results come from real certified fits: :func:`fastridge.ridge_path` /
:func:`fastridge.logistic_path` / :class:`fastridge.RidgeCV` /
:class:`fastridge.LogisticRegressionCV` when this version has them, and otherwise
(and in addition) a :class:`PathResult` assembled from independent
:func:`fastridge.ridge` / :func:`fastridge.logistic` fits over a grid and a
:class:`CVResult` from a K-fold loop of such fits.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.sparse as sp

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # tests only: the library never chooses a backend

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import fastridge  # noqa: E402
from fastridge import CVResult, PathResult  # noqa: E402
from fastridge._paths.plotting import DEFAULT_MAX_LINES, plot_cv, plot_path  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TOL = 1e-10


# ----------------------------------------------------------------------------- data


def _problem(n=120, p=30, density=0.3, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=rng)
    w = rng.standard_normal(p)
    y = X @ w + 0.3 + 0.1 * rng.standard_normal(n)
    return X, y


def _path_from_fits(X, y, lams, fit=None, **kw):
    """A PathResult from independent certified fits at each lam (decreasing)."""
    fit = fastridge.ridge if fit is None else fit
    lams = np.sort(np.asarray(lams, dtype=np.float64))[::-1]
    fits = [fit(X, y, lam, tol=TOL, **kw) for lam in lams]
    assert all(f.converged for f in fits)
    coef = np.stack([np.asarray(f.coef, dtype=np.float64) for f in fits])
    return PathResult(
        lams=lams,
        coef=coef,
        intercept=np.stack([np.asarray(f.intercept, dtype=np.float64) for f in fits]),
        certificate=np.stack([np.asarray(f.certificate, dtype=np.float64) for f in fits]),
        p_null=fits[0].p_null,
        n_iter=np.array([f.n_iter for f in fits]),
        n_passes=int(sum(f.n_passes for f in fits)),
        tol=TOL,
        converged=True,
        solver=f"independent {fits[0].solver} fits",
        seconds=float(sum(f.seconds for f in fits)),
        n_threads=fits[0].n_threads,
        classes=fits[0].classes,
    )


def _kfold_cv(X, y, lams, n_folds=5):
    """K-fold CV of ridge by a loop of certified fits: negated mean squared error."""
    n = X.shape[0]
    folds = np.array_split(np.random.default_rng(1).permutation(n), n_folds)
    scores = np.empty((n_folds, len(lams)))
    for f, test in enumerate(folds):
        train = np.setdiff1d(np.arange(n), test)
        for j, lam in enumerate(lams):
            res = fastridge.ridge(X[train], y[train], lam, tol=TOL)
            pred = X[test] @ res.coef + res.intercept
            scores[f, j] = -np.mean((y[test] - pred) ** 2)
    mean = scores.mean(axis=0)
    return CVResult(
        lams=np.asarray(lams, dtype=np.float64),
        mean_score=mean,
        std_error=scores.std(axis=0, ddof=1) / np.sqrt(n_folds),
        fold_scores=scores,
        best_index=int(np.argmax(mean)),
        scoring="neg_mean_squared_error",
        method="kfold",
        seconds=0.0,
    )


@pytest.fixture(scope="module")
def small_path():
    X, y = _problem()
    return _path_from_fits(X, y, np.geomspace(100.0, 1e-3, 12))


@pytest.fixture(scope="module")
def small_cv():
    X, y = _problem(seed=2)
    return _kfold_cv(X, y, np.geomspace(30.0, 1e-3, 8))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _save(ax, path):
    ax.figure.savefig(path)
    data = path.read_bytes()
    assert len(data) > len(PNG_MAGIC) and data.startswith(PNG_MAGIC)
    img = matplotlib.image.imread(path)
    assert img.ndim == 3 and img.shape[0] > 50 and img.shape[1] > 50
    assert np.ptp(img[..., :3]) > 0  # not a blank image
    return img


def _path_lines(ax):
    """The coefficient lines (the horizontal zero line excluded)."""
    return [ln for ln in ax.get_lines() if ln.get_label().startswith("feature ")]


def _bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


# ----------------------------------------------------------------------------- plot_path


def test_plot_path_writes_png_with_labels(small_path, tmp_path):
    ax = plot_path(small_path)
    _save(ax, tmp_path / "path.png")
    assert ax.get_xlabel() == "lam (log scale)"
    assert ax.get_ylabel() == "coefficient"
    assert ax.get_xscale() == "log"
    assert ax.xaxis_inverted()  # lam decreases from left to right
    assert small_path.solver in ax.get_title()
    lines = _path_lines(ax)
    assert len(lines) == min(DEFAULT_MAX_LINES, small_path.coef.shape[1])
    # every line is one coefficient's path, drawn in decreasing lam order
    for ln in lines:
        j = int(ln.get_label().split()[1])
        np.testing.assert_array_equal(ln.get_xdata(), small_path.lams)
        np.testing.assert_array_equal(ln.get_ydata(), small_path.coef[:, j])


def test_plot_path_keeps_the_largest_lines(small_path):
    m = 5
    ax = plot_path(small_path, max_lines=m)
    drawn = {int(ln.get_label().split()[1]) for ln in _path_lines(ax)}
    size = np.max(np.abs(small_path.coef), axis=0)
    assert drawn == set(np.argsort(-size)[:m].tolist())
    assert f"{m} of {small_path.coef.shape[1]}" in ax.get_title()


def test_plot_path_coef_index_and_linear_axis(small_path):
    ax = plot_path(small_path, coef_index=[3, 0, -1], log=False)
    drawn = [int(ln.get_label().split()[1]) for ln in _path_lines(ax)]
    assert drawn == [3, 0, small_path.coef.shape[1] - 1]
    assert ax.get_xscale() == "linear"
    assert ax.get_xlabel() == "lam"
    with pytest.raises(ValueError, match="coef_index"):
        plot_path(small_path, coef_index=[small_path.coef.shape[1]])
    with pytest.raises(ValueError, match="max_lines"):
        plot_path(small_path, max_lines=0)
    with pytest.raises(ValueError, match="single target"):
        plot_path(small_path, target=1)


def test_plot_path_on_given_axes_without_pyplot(small_path, tmp_path):
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_path(small_path, ax=ax) is ax
    fig.savefig(tmp_path / "figure.png")
    assert (tmp_path / "figure.png").read_bytes().startswith(PNG_MAGIC)


def test_plot_path_many_features_draws_max_lines(tmp_path):
    # wide sparse problem: 200,000 features, only the largest few are drawn
    n, p = 60, 200_000
    rng = np.random.default_rng(3)
    X = sp.random(n, p, density=5e-4, format="csr", random_state=rng)
    y = rng.standard_normal(n)
    path = _path_from_fits(X, y, np.geomspace(10.0, 0.1, 4))
    ax = path.plot(max_lines=7)  # PathResult.plot delegates to plot_path
    assert len(_path_lines(ax)) == 7
    assert "7 of 200,000 features" in ax.get_title()
    _save(ax, tmp_path / "wide.png")


def test_plot_path_multitarget_selects_target(tmp_path):
    X, y = _problem(n=80, p=12)
    Y = np.column_stack([y, -2.0 * y + 1.0])
    path = _path_from_fits(X, Y, np.geomspace(10.0, 0.01, 6))
    assert path.coef.ndim == 3 and path.coef.shape[1] == 2
    ax = plot_path(path, target=1, max_lines=12)
    for ln in _path_lines(ax):
        j = int(ln.get_label().split()[1])
        np.testing.assert_array_equal(ln.get_ydata(), path.coef[:, 1, j])
    assert "target 1" in ax.get_title()
    with pytest.raises(ValueError, match="out of range"):
        plot_path(path, target=2)
    _save(ax, tmp_path / "multi.png")


def test_plot_path_multiclass_names_the_class(tmp_path):
    rng = np.random.default_rng(4)
    X = sp.random(150, 10, density=0.5, format="csr", random_state=rng)
    y = np.array(["a", "b", "c"])[rng.integers(0, 3, 150)]
    path = _path_from_fits(
        X, y, np.geomspace(10.0, 0.1, 5), fit=fastridge.logistic, multi_class="multinomial"
    )
    ax = plot_path(path, target=2)
    assert "class c," in ax.get_title()
    _save(ax, tmp_path / "multiclass.png")


# ----------------------------------------------------------------------------- plot_cv


def test_plot_cv_band_and_chosen_line(small_cv, tmp_path):
    ax = plot_cv(small_cv)
    _save(ax, tmp_path / "cv.png")
    assert ax.get_xlabel() == "lam (log scale)"
    assert "neg_mean_squared_error" in ax.get_ylabel()
    assert "5-fold" in ax.get_ylabel()
    assert ax.xaxis_inverted()
    bands = _bands(ax)
    assert len(bands) == 1
    verts = np.concatenate([path.vertices for path in bands[0].get_paths()])
    lo = small_cv.mean_score - small_cv.std_error
    hi = small_cv.mean_score + small_cv.std_error
    np.testing.assert_allclose([verts[:, 1].min(), verts[:, 1].max()], [lo.min(), hi.max()])
    assert np.all(small_cv.std_error > 0)
    chosen = small_cv.best_lam
    vlines = [ln for ln in ax.get_lines() if ln.get_label().startswith("chosen lam")]
    assert len(vlines) == 1
    np.testing.assert_allclose(vlines[0].get_xdata(), [chosen, chosen])
    legend = ax.get_legend()
    assert legend is not None and len(legend.get_texts()) == 3
    mean_lines = [ln for ln in ax.get_lines() if ln.get_label() == "mean score"]
    assert len(mean_lines) == 1
    assert len(mean_lines[0].get_xdata()) == len(small_cv.lams)


def test_plot_cv_in_C(small_cv, tmp_path):
    res = CVResult(
        lams=small_cv.lams,
        mean_score=small_cv.mean_score,
        std_error=small_cv.std_error,
        fold_scores=small_cv.fold_scores,
        best_index=small_cv.best_index,
        scoring="accuracy",
        method="kfold",
        seconds=0.0,
        param_name="C",
    )
    ax = res.plot()  # CVResult.plot delegates to plot_cv
    assert ax.get_xlabel() == "C (log scale)"
    assert not ax.xaxis_inverted()  # C increases from left to right
    mean_line = next(ln for ln in ax.get_lines() if ln.get_label() == "mean score")
    np.testing.assert_allclose(mean_line.get_xdata(), np.sort(1.0 / res.lams))
    c_best = 1.0 / res.best_lam
    vline = next(ln for ln in ax.get_lines() if ln.get_label().startswith("chosen C"))
    np.testing.assert_allclose(vline.get_xdata(), [c_best, c_best])
    assert "accuracy" in ax.get_ylabel()
    _save(ax, tmp_path / "cv_C.png")


def test_plot_cv_per_target_and_exact(tmp_path):
    lams = np.geomspace(1.0, 1e-3, 5)
    mean = -np.column_stack([np.linspace(2, 1, 5), np.linspace(1, 3, 5)])
    res = CVResult(
        lams=lams,
        mean_score=mean,
        std_error=np.zeros_like(mean),
        fold_scores=None,
        best_index=np.argmax(mean, axis=0),
        scoring="neg_mean_squared_error",
        method="gcv",
        seconds=0.0,
    )
    ax = plot_cv(res, target=1)
    vline = next(ln for ln in ax.get_lines() if ln.get_label().startswith("chosen lam"))
    np.testing.assert_allclose(vline.get_xdata(), [lams[0], lams[0]])
    assert "(gcv)" in ax.get_ylabel()
    assert any("exact" in t.get_text() for t in ax.get_legend().get_texts())
    with pytest.raises(ValueError, match="out of range"):
        plot_cv(res, target=2)
    _save(ax, tmp_path / "gcv.png")


# ----------------------------------------------------------------------------- optional


def test_missing_matplotlib_names_the_extra(small_path, small_cv, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ImportError, match=r'pip install "\.\[plot\]"'):
        plot_path(small_path)
    with pytest.raises(ImportError, match=r"fastridge\[plot\]"):
        small_cv.plot()


# ----------------------------------------------------------------------------- real API


def _api(name):
    try:
        return getattr(fastridge, name)
    except (AttributeError, ImportError) as exc:
        pytest.skip(f"fastridge.{name} is not available in this version ({exc})")


def test_ridge_path_plot(tmp_path):
    ridge_path = _api("ridge_path")
    X, y = _problem(n=300, p=40, seed=5)
    path = ridge_path(X, y, n_lams=15)
    ax = path.plot(max_lines=10)
    assert len(_path_lines(ax)) == 10
    assert ax.get_xlabel() == "lam (log scale)" and ax.get_ylabel() == "coefficient"
    _save(ax, tmp_path / "ridge_path.png")


def test_logistic_path_plot(tmp_path):
    logistic_path = _api("logistic_path")
    X, y = _problem(n=300, p=40, seed=6)
    labels = np.where(y > np.median(y), 1, -1)
    path = logistic_path(X, labels, n_lams=10)
    ax = path.plot()
    assert len(_path_lines(ax)) == min(DEFAULT_MAX_LINES, 40)
    _save(ax, tmp_path / "logistic_path.png")


def test_ridge_cv_plot(tmp_path):
    RidgeCV = _api("RidgeCV")
    X, y = _problem(n=300, p=40, seed=7)
    est = RidgeCV(alphas=np.geomspace(100.0, 1e-3, 10), cv=5).fit(X, y)
    res = est.cv_result_
    ax = res.plot()
    assert len(_bands(ax)) == 1
    assert res.scoring in ax.get_ylabel()
    _save(ax, tmp_path / "ridge_cv.png")


def test_logistic_cv_plot(tmp_path):
    LogisticRegressionCV = _api("LogisticRegressionCV")
    X, y = _problem(n=300, p=40, seed=8)
    labels = np.where(y > np.median(y), 1, -1)
    est = LogisticRegressionCV(Cs=6, cv=4).fit(X, labels)
    res = est.cv_result_
    assert res.param_name == "C"
    ax = res.plot()
    assert ax.get_xlabel() == "C (log scale)"
    assert len(_bands(ax)) == 1
    _save(ax, tmp_path / "logistic_cv.png")
