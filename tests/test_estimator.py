"""The estimator :class:`fastridge.Ridge`: scikit-learn compliance and agreement with sklearn."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Ridge as SkRidge
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastridge
from fastridge import Ridge
from tests._reference import as_format, make_problem, objective, reference_ridge, rel_err

# ---------------------------------------------------------------------------
# scikit-learn's estimator checks
# ---------------------------------------------------------------------------


@parametrize_with_checks([Ridge()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------
# dtypes, shapes, attributes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("solver", ["auto", "cg", "cd", "direct"])
def test_float32_in_float32_out(fmt, solver):
    prob = make_problem(60, 20, seed=1)
    X32 = as_format(prob.X, fmt, np.float32)
    est = Ridge(alpha=2.0, solver=solver, tol=1e-12).fit(X32, prob.y.astype(np.float32))
    assert est.coef_.dtype == np.float32
    assert np.asarray(est.intercept_).dtype == np.float32
    pred = est.predict(X32)
    assert pred.dtype == np.float32
    assert pred.shape == (60,)
    # float64 input keeps float64.
    est64 = Ridge(alpha=2.0, solver=solver, tol=1e-12).fit(as_format(prob.X, fmt), prob.y)
    assert est64.coef_.dtype == np.float64
    assert est64.predict(as_format(prob.X, fmt)).dtype == np.float64
    assert rel_err(est.coef_, est64.coef_) <= 1e-4


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("solver", ["auto", "cg", "cd", "direct"])
def test_multi_target(solver, fit_intercept):
    prob = make_problem(50, 12, k=3, weights=True, seed=2)
    X = sp.csr_matrix(prob.X)
    alpha = np.array([0.5, 2.0, 8.0])
    est = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver=solver, tol=1e-20).fit(
        X, prob.y, sample_weight=prob.sample_weight
    )
    assert est.coef_.shape == (3, 12)
    assert np.shape(est.intercept_) == (3,)
    assert np.shape(est.certificate_) == (3,)
    W, b = reference_ridge(
        prob.X, prob.y, alpha, fit_intercept=fit_intercept, sample_weight=prob.sample_weight
    )
    assert rel_err(est.coef_, W) <= 1e-8
    np.testing.assert_allclose(est.intercept_, b, rtol=1e-8, atol=1e-8 * np.abs(b).max())
    pred = est.predict(X)
    assert pred.shape == (50, 3)
    np.testing.assert_allclose(pred, prob.X @ W.T + b, rtol=1e-7, atol=1e-7)
    # A (n, 1) target: the same model as scikit-learn's (whose shape conventions
    # for this case differ between its own estimators, so only values are compared).
    est1 = Ridge(alpha=1.0, solver=solver, tol=1e-20).fit(X, prob.y[:, :1])
    sk1 = SkRidge(alpha=1.0, solver="cholesky").fit(prob.X, prob.y[:, :1])
    assert rel_err(np.ravel(est1.coef_), np.ravel(sk1.coef_)) <= 1e-8
    sk_pred = sk1.predict(prob.X).ravel()
    np.testing.assert_allclose(
        np.ravel(est1.predict(X)), sk_pred, rtol=1e-8, atol=1e-8 * np.abs(sk_pred).max()
    )
    assert np.size(est1.intercept_) == 1


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_predict_score_and_attributes(fmt):
    prob = make_problem(70, 25, seed=3)
    X = as_format(prob.X, fmt)
    est = Ridge(alpha=1.0, tol=1e-12).fit(X, prob.y)
    assert est.n_features_in_ == 25
    # One entry per target, as scikit-learn's n_iter_ (issue 10, section 4).
    assert est.n_iter_.shape == (1,) and est.n_iter_[0] >= 1
    assert est.solver_ in ("cg-primal", "cg-dual", "cd", "direct-primal", "direct-dual")
    assert np.isfinite(est.certificate_) and est.certificate_ >= 0
    assert est.certificate_ <= 1e-12 * est.result_.p_null
    assert isinstance(est.result_, fastridge.FitResult)
    W, b = reference_ridge(prob.X, prob.y, 1.0)
    for fmt2 in ("dense", "csr", "csc"):  # predict on any format, whatever fit saw
        X2 = as_format(prob.X, fmt2)
        np.testing.assert_allclose(est.predict(X2), prob.X @ W + b, rtol=1e-8, atol=1e-8)
        r2 = est.score(X2, prob.y)
        assert 0.99 < r2 <= 1.0
        np.testing.assert_allclose(r2, SkRidge(alpha=1.0).fit(prob.X, prob.y).score(X2, prob.y))
    with pytest.raises(ValueError, match="features"):
        est.predict(as_format(prob.X[:, :-1], fmt))


def test_solver_parameter_is_honoured():
    prob = make_problem(70, 25, seed=4)
    for solver, expected in [
        ("cg", "cg-primal"),
        ("cd", "cd"),
        ("direct", "direct-primal"),
        ("cg-dual", "cg-dual"),
        ("direct-dual", "direct-dual"),
    ]:
        est = Ridge(solver=solver).fit(sp.csc_matrix(prob.X), prob.y)
        assert est.solver_ == expected


def test_unfitted_predict_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Ridge().predict(np.ones((3, 2)))


def test_sample_weight_matches_sklearn():
    prob = make_problem(80, 30, weights=True, seed=5)
    est = Ridge(alpha=3.0, tol=1e-20).fit(prob.X, prob.y, sample_weight=prob.sample_weight)
    sk = SkRidge(alpha=3.0, solver="cholesky").fit(
        prob.X, prob.y, sample_weight=prob.sample_weight
    )
    assert rel_err(est.coef_, sk.coef_) <= 1e-9
    assert abs(est.intercept_ - sk.intercept_) <= 1e-9 * (1 + abs(sk.intercept_))


# ---------------------------------------------------------------------------
# agreement with scikit-learn on real data (we8there)
# ---------------------------------------------------------------------------


def _data_dir() -> Path:
    env = os.environ.get("FASTRIDGE_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def we8there():
    path = _data_dir() / "we8there.overall.svm.gz"
    if not path.is_file():
        pytest.skip(
            f"real data not found: {path} is absent (set FASTRIDGE_DATA to the folder "
            "holding we8there.overall.svm.gz)"
        )
    from sklearn.datasets import load_svmlight_file

    X, y = load_svmlight_file(str(path), n_features=2640)
    return X.tocsr(), y


@pytest.fixture(scope="module")
def sklearn_we8there(we8there):
    """scikit-learn's Ridge at tol 1e-12, and its objective, per (alpha, fit_intercept)."""
    X, y = we8there
    out = {}
    for alpha in (1.0, 100.0):
        for fit_intercept in (True, False):
            sk = SkRidge(
                alpha=alpha,
                fit_intercept=fit_intercept,
                solver="lsqr",
                tol=1e-12,
                max_iter=100000,
            ).fit(X, y)
            P = objective(X, y, sk.coef_, sk.intercept_, alpha)
            out[alpha, fit_intercept] = (sk, P)
    return out


@pytest.mark.parametrize(
    "solver",
    ["auto", "cg", "cd", pytest.param("direct", marks=pytest.mark.slow)],
)
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("alpha", [1.0, 100.0])
def test_we8there_objective_matches_sklearn(
    we8there, sklearn_we8there, alpha, fit_intercept, solver
):
    X, y = we8there
    sk, P_sk = sklearn_we8there[alpha, fit_intercept]
    est = Ridge(
        alpha=alpha, fit_intercept=fit_intercept, solver=solver, tol=1e-12, max_iter=100000
    ).fit(X, y)
    res = est.result_
    assert res.converged
    P_fr = objective(X, y, est.coef_, est.intercept_, alpha)
    assert abs(P_fr - P_sk) / P_sk <= 1e-8
    # Neither solution is better than the other by more than the certificate allows:
    # P_sk >= P*, so P_fr - P_sk <= P_fr - P* <= certificate (up to rounding of P).
    assert P_fr - P_sk <= res.certificate + 1e-13 * P_sk
    # The predictions agree too (same model).
    pred_fr = est.predict(X)
    pred_sk = sk.predict(X)
    assert np.linalg.norm(pred_fr - pred_sk) <= 1e-5 * np.linalg.norm(pred_sk)
    # And the function API gives the same fit as the estimator.
    res2 = fastridge.ridge(
        X, y, alpha, fit_intercept=fit_intercept, solver=solver, tol=1e-12, max_iter=100000
    )
    np.testing.assert_array_equal(res2.coef, res.coef)


def test_we8there_float32(we8there, sklearn_we8there):
    X, y = we8there
    _, P_sk = sklearn_we8there[1.0, True]
    X32 = X.astype(np.float32)  # counts: exact in float32
    est = Ridge(alpha=1.0, tol=1e-12).fit(X32, y)
    assert est.coef_.dtype == np.float32
    P_fr = objective(X, y, est.coef_.astype(np.float64), float(est.intercept_), 1.0)
    # The float64 fit rounded to float32: the objective is 1e-7-accurate at best.
    assert abs(P_fr - P_sk) / P_sk <= 1e-6
    assert est.predict(X32).dtype == np.float32


# ---------------------------------------------------------------------------
# scikit-learn drop-in (issue 10, section 4)
# ---------------------------------------------------------------------------


def test_y_column_shapes_as_sklearn():
    rng = np.random.RandomState(0)
    X, y = rng.randn(40, 3), rng.randn(40, 1)
    est, sk = Ridge().fit(X, y), SkRidge().fit(X, y)
    assert est.coef_.shape == sk.coef_.shape == (3,)
    assert est.intercept_.shape == sk.intercept_.shape == (1,)
    assert est.predict(X).shape == sk.predict(X).shape
    np.testing.assert_allclose(est.coef_, sk.coef_, rtol=1e-7)
    two = Ridge(solver="cg").fit(X, np.c_[y, 2 * y])
    assert two.n_iter_.shape == (2,) and np.all(two.n_iter_ >= 1)


def test_sklearn_parameters_accepted():
    rng = np.random.RandomState(1)
    X, y = rng.randn(40, 3), rng.randn(40)
    ref = Ridge().fit(X, y).coef_
    for solver in ("cholesky", "svd", "sparse_cg", "lsqr", "sag", "saga"):
        est = Ridge(solver=solver, copy_X=False, random_state=0, n_jobs=-1, tol=1e-12).fit(X, y)
        np.testing.assert_allclose(est.coef_, ref, rtol=1e-6)
    with pytest.raises(ValueError, match="positive"):
        Ridge(positive=True).fit(X, y)
    with pytest.raises(ValueError, match="lbfgs"):
        Ridge(solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="n_jobs"):
        Ridge(n_jobs=0).fit(X, y)
