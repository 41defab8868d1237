"""The estimator :class:`fastridge.RidgeCV`: K-fold, defaults, compliance and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge as SkRidge
from sklearn.linear_model import RidgeCV as SkRidgeCV
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import GridSearchCV, KFold, ShuffleSplit
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastridge
from fastridge import RidgeCV
from fastridge._cv import ridge as rcv
from tests._reference import as_format

ALPHAS = np.array([0.05, 50.0, 0.5, 5.0, 500.0])


def _problem(n, p, k=1, seed=0, density=0.5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < density)
    X[:, 0] += 2.0
    Y = X @ rng.standard_normal((p, k)) + 1.5 * rng.standard_normal((n, k)) - 1.0
    sw = rng.uniform(0.3, 3.0, n)
    return X, (Y[:, 0] if k == 1 else Y), sw


@parametrize_with_checks(
    [RidgeCV(alphas=[0.1, 1.0, 10.0]), RidgeCV(alphas=[0.1, 1.0, 10.0], cv=3)]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------
# K-fold
# ---------------------------------------------------------------------------


def _manual_fold_scores(X, Y, sw, alphas, folds, fit_intercept, score):
    """One ``fastridge.ridge`` fit per fold and alpha, scored by ``score(y, pred, w)``."""
    out = np.empty((len(folds), len(alphas)))
    for f, (tr, te) in enumerate(folds):
        for j, a in enumerate(alphas):
            res = fastridge.ridge(
                X[tr],
                Y[tr],
                a,
                fit_intercept=fit_intercept,
                sample_weight=None if sw is None else sw[tr],
                tol=1e-14,
            )
            pred = np.asarray(X[te] @ np.asarray(res.coef).T) + res.intercept
            out[f, j] = score(Y[te], pred, None if sw is None else sw[te])
    return out


def _r2(y, pred, w):
    w = np.ones(len(y)) if w is None else w
    y, pred = y.reshape(len(y), -1), pred.reshape(len(y), -1)
    ybar = w @ y / w.sum()
    return float(np.mean(1 - (w @ (y - pred) ** 2) / (w @ (y - ybar) ** 2)))


def _neg_mse(y, pred, w):
    w = np.ones(len(y)) if w is None else w
    y, pred = y.reshape(len(y), -1), pred.reshape(len(y), -1)
    return float(-np.mean(w @ (y - pred) ** 2 / w.sum()))


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("scoring", [None, "neg_mean_squared_error"])
def test_kfold_matches_manual_loop(fmt, fit_intercept, weighted, scoring):
    X, y, sw = _problem(80, 15, seed=1)
    sw = sw if weighted else None
    Xf = as_format(X, fmt)
    folds = list(KFold(4).split(X))
    est = RidgeCV(ALPHAS, cv=4, scoring=scoring, fit_intercept=fit_intercept, tol=1e-14).fit(
        Xf, y, sample_weight=sw
    )
    score = _r2 if scoring is None else _neg_mse
    manual = _manual_fold_scores(Xf, y, sw, ALPHAS, folds, fit_intercept, score)
    res = est.cv_result_
    assert res.method == "kfold"
    assert res.scoring == ("r2" if scoring is None else scoring)
    np.testing.assert_allclose(res.fold_scores, manual, rtol=1e-8)
    np.testing.assert_allclose(res.mean_score, manual.mean(axis=0), rtol=1e-8)
    np.testing.assert_allclose(
        res.std_error, manual.std(axis=0, ddof=1) / 2.0, rtol=1e-6, atol=1e-12
    )
    best = int(np.argmax(manual.mean(axis=0)))
    assert res.best_index == best and est.alpha_ == ALPHAS[best]
    assert est.best_score_ == pytest.approx(manual.mean(axis=0)[best], rel=1e-8)
    ref = fastridge.ridge(Xf, y, est.alpha_, fit_intercept=fit_intercept, sample_weight=sw)
    np.testing.assert_allclose(est.coef_, ref.coef, rtol=1e-6, atol=1e-8)
    assert est.certificate_ <= 1e-14 * ref.p_null * 1.0001 + 0.0


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_kfold_matches_sklearn(fmt):
    X, y, _ = _problem(120, 20, seed=2)
    Xf = as_format(X, fmt)
    alphas = np.geomspace(1e3, 1e-2, 11)
    ours = RidgeCV(alphas, cv=KFold(5), tol=1e-12).fit(Xf, y)
    # scikit-learn's RidgeCV(cv=...) is a grid search; the cholesky solver is exact.
    # (on the dense copy: cholesky does not fit an intercept on sparse X)
    gs = GridSearchCV(SkRidge(solver="cholesky"), {"alpha": alphas}, cv=KFold(5)).fit(X, y)
    assert ours.alpha_ == gs.best_params_["alpha"]
    np.testing.assert_allclose(
        ours.cv_result_.mean_score, gs.cv_results_["mean_test_score"], rtol=1e-8
    )
    folds = np.array([gs.cv_results_[f"split{i}_test_score"] for i in range(5)])
    np.testing.assert_allclose(ours.cv_result_.fold_scores, folds, rtol=1e-8)
    # scikit-learn's RidgeCV itself (sparse_cg on sparse X: its tolerance limits the match).
    sk = SkRidgeCV(alphas, cv=KFold(5)).fit(Xf, y)
    assert ours.alpha_ == sk.alpha_
    assert ours.best_score_ == pytest.approx(sk.best_score_, rel=1e-4)


def test_kfold_custom_scorer_and_splitter():
    X, y, sw = _problem(70, 10, seed=3)
    folds = list(ShuffleSplit(3, test_size=0.3, random_state=0).split(X))
    est = RidgeCV(ALPHAS, cv=folds, scoring="neg_mean_absolute_error", tol=1e-14).fit(
        X, y, sample_weight=sw
    )

    def nmae(yt, pred, w):
        return -mean_absolute_error(yt, pred, sample_weight=w)

    manual = _manual_fold_scores(X, y, sw, ALPHAS, folds, True, nmae)
    np.testing.assert_allclose(est.cv_result_.fold_scores, manual, rtol=1e-8)
    # A callable scorer without sample_weight.
    est2 = RidgeCV(
        ALPHAS, cv=folds, scoring=lambda e, Xt, yt: -np.mean((e.predict(Xt) - yt) ** 2), tol=1e-14
    ).fit(X, y)
    manual2 = _manual_fold_scores(X, y, None, ALPHAS, folds, True, _neg_mse)
    np.testing.assert_allclose(est2.cv_result_.fold_scores, manual2, rtol=1e-8)


def test_kfold_alpha_per_target_refused_as_sklearn():
    # scikit-learn refuses per-target alphas with K-fold (issue 10, section 4): so do we,
    # with the same exception type and message.
    X, Y, _ = _problem(90, 12, k=3, seed=4)
    for est in (
        RidgeCV(ALPHAS, cv=3, alpha_per_target=True),
        SkRidgeCV(cv=3, alpha_per_target=True),
    ):
        with pytest.raises(
            ValueError, match="cv!=None and alpha_per_target=True are incompatible"
        ):
            est.fit(X, Y)


# ---------------------------------------------------------------------------
# defaults and modes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("cv", [None, 3])
def test_auto_alphas_is_the_path_grid(cv):
    X, y, sw = _problem(60, 8, seed=5)
    est = RidgeCV(alphas="auto", cv=cv).fit(X, y, sample_weight=sw)
    grid = fastridge.ridge_path(X, y, sample_weight=sw).lams
    assert len(est.alphas_) == 50
    np.testing.assert_allclose(est.alphas_, grid, rtol=1e-12)
    assert est.cv_result_.lams.shape == (50,)


@pytest.mark.parametrize("cv", [None, 3])
def test_default_alphas_are_sklearns(cv):
    # scikit-learn's default grid (0.1, 1, 10); the data-derived grid is opt-in.
    X, y, _ = _problem(60, 8, seed=5)
    est = RidgeCV(cv=cv).fit(X, y)
    np.testing.assert_array_equal(est.alphas_, [0.1, 1.0, 10.0])
    assert est.alpha_ == SkRidgeCV(cv=cv).fit(X, y).alpha_


def test_random_state_seeds_the_probes():
    # Stochastic GCV: the same seed (int or RandomState) gives the same scores; None is accepted.
    X, y, _ = _problem(60, 8, seed=6)
    kw = dict(alphas=ALPHAS, gcv_mode="stochastic")
    a = RidgeCV(random_state=3, **kw).fit(X, y).cv_result_.mean_score
    b = RidgeCV(random_state=3, **kw).fit(X, y).cv_result_.mean_score
    c = RidgeCV(random_state=4, **kw).fit(X, y).cv_result_.mean_score
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    r1 = RidgeCV(random_state=np.random.RandomState(0), **kw).fit(X, y).cv_result_.mean_score
    r2 = RidgeCV(random_state=np.random.RandomState(0), **kw).fit(X, y).cv_result_.mean_score
    np.testing.assert_array_equal(r1, r2)
    assert np.all(np.isfinite(RidgeCV(random_state=None, **kw).fit(X, y).cv_result_.mean_score))


def test_y_column_gives_sklearn_shapes():
    X, y, _ = _problem(60, 8, seed=5)
    est = RidgeCV(ALPHAS).fit(X, y[:, None])
    sk = SkRidgeCV(ALPHAS).fit(X, y[:, None])
    assert est.coef_.shape == sk.coef_.shape == (8,)
    assert np.shape(est.intercept_) == np.shape(sk.intercept_) == (1,)


def test_auto_mode_switches_to_stochastic(monkeypatch):
    X, y, _ = _problem(60, 8, seed=6)
    assert RidgeCV(ALPHAS).fit(X, y).cv_result_.method == "loo"
    monkeypatch.setattr(rcv, "EXACT_MAX_DIM", 4)
    assert RidgeCV(ALPHAS).fit(X, y).cv_result_.method == "gcv-stochastic"
    for mode, method in [("eigen", "loo"), ("svd", "loo"), ("gcv", "gcv")]:
        assert RidgeCV(ALPHAS, gcv_mode=mode).fit(X, y).cv_result_.method == method


def test_cv_result_and_plot_inputs():
    X, y, _ = _problem(60, 8, seed=7)
    est = RidgeCV(ALPHAS, cv=5).fit(X, y)
    res = est.cv_result_
    assert isinstance(res, fastridge.CVResult)
    assert res.fold_scores.shape == (5, len(ALPHAS))
    assert res.best_lam == est.alpha_
    assert res.seconds > 0 and res.param_name == "lam"
    assert est.predict(X).shape == (60,)
    assert est.score(X, y) > 0.5


# ---------------------------------------------------------------------------
# bad inputs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"alphas": [1.0, 0.0]}, ValueError, "positive"),
        ({"alphas": [1.0, -2.0]}, ValueError, "positive"),
        ({"alphas": [np.nan]}, ValueError, "positive"),
        ({"alphas": []}, ValueError, "empty"),
        ({"alphas": ["a"]}, TypeError, "alphas"),
        ({"gcv_mode": "bogus"}, ValueError, "gcv_mode"),
        ({"n_probes": 1}, ValueError, "n_probes"),
        ({"random_state": "x"}, ValueError, "random_state"),
        ({"alphas": None}, ValueError, "auto"),
        ({"alphas": "bogus"}, ValueError, "auto"),
        ({"cv": 3, "store_cv_results": True}, ValueError, "incompatible"),
        ({"alphas": [0.0], "cv": 3}, ValueError, "positive"),
    ],
)
def test_bad_inputs(kwargs, exc, match):
    X, y, _ = _problem(20, 4, seed=8)
    with pytest.raises(exc, match=match):
        RidgeCV(**kwargs).fit(X, y)


@pytest.mark.parametrize(
    ("alphas", "err", "match"),
    [
        ((1, -1, -100), ValueError, r"alphas\[1\] == -1, must be > 0.0"),
        ((-0.1, -1.0, -10.0), ValueError, r"alphas\[0\] == -0.1, must be > 0.0"),
        ((0.0, 1.0, 10.0), ValueError, r"alphas\[0\] == 0.0, must be > 0.0"),
        ((1.0, np.inf), ValueError, r"alphas\[1\] == inf, must be > 0.0"),
        ((1, 1.0, "1"), TypeError, r"alphas\[2\] must be an instance of float, not str"),
    ],
)
def test_alphas_errors_name_the_entry_like_sklearn(alphas, err, match):
    """Bad ``alphas`` are refused with scikit-learn's wording (which entry, why)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    with pytest.raises(err, match=match):
        fastridge.RidgeCV(alphas=alphas).fit(X, y)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize(
    ("n", "p", "scale", "weight"),
    [(8, 3, 1e50, 1e250), (5, 9, 1e50, 1e250), (9, 21, 3e150, 1e8), (21, 9, 3e150, 1e8)],
)
@pytest.mark.parametrize("gcv_mode", ["auto", "eigen"])
def test_gram_overflow_from_huge_weights_is_a_clear_refusal(fmt, n, p, scale, weight, gcv_mode):
    """Weights whose products with ``X^2`` overflow float64 (``1e250 * 1e100``,
    ``1e8 * 1e301``): the exact LOO/GCV scores must refuse with a ``ValueError``
    naming the cause, not ``LinAlgError: Eigenvalues did not converge`` from
    ``eigh`` (``ridge()`` rescales the weights, and refuses ``|X| > 1e100``
    before any Gram; the scores' set-up does neither).  A finite Gram whose
    deflation or eigensolver overflows gets the same refusal (``_eigh``).
    """
    rng = np.random.default_rng(0)
    X = as_format(rng.standard_normal((n, p)) * scale, fmt)
    y = rng.standard_normal(n)
    with pytest.raises(ValueError, match="overflow") as info:
        RidgeCV(alphas=[1.0, 10.0], gcv_mode=gcv_mode).fit(X, y, sample_weight=np.full(n, weight))
    assert not isinstance(info.value, np.linalg.LinAlgError)  # a subclass of ValueError
