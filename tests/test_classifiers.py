"""The classifiers :class:`fastridge.LogisticRegression` and :class:`fastridge.RidgeClassifier`.

scikit-learn compliance, and agreement with scikit-learn's estimators (the
objective value at the fits, probabilities, predictions, coefficients).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.linear_model import RidgeClassifier as SkRidgeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastridge
import fastridge._estimators.classifiers as clf_module
from fastridge import LogisticRegression, RidgeClassifier
from tests._reference import as_format, rel_err

# ---------------------------------------------------------------------------
# scikit-learn's estimator checks
# ---------------------------------------------------------------------------


@parametrize_with_checks([LogisticRegression(), RidgeClassifier()])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

C = 0.7  # lam = 1 / C


def _problem(n_classes, n=150, p=8, seed=0):
    """Sparse-ish Gaussian design and labels 0..K-1 from a noisy linear model."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.5)
    W = rng.standard_normal((n_classes, p))
    scores = X @ W.T + rng.gumbel(size=(n, n_classes))
    y = scores.argmax(axis=1)
    sw = rng.uniform(0.2, 2.0, n)
    sw[[3, 17]] = 0.0
    return X, y, sw


def _weights(weighting, y, sw, n_classes):
    """``(sample_weight, class_weight, s_eff)``: the estimator's inputs and the
    per-sample weights they stand for (computed here, independently of fastridge)."""
    n = len(sw)
    if weighting == "none":
        return None, None, np.ones(n)
    if weighting == "sample":
        return sw, None, sw
    if weighting == "balanced":
        counts = np.bincount(y, weights=sw, minlength=n_classes)
        return sw, "balanced", sw * (sw.sum() / (n_classes * counts))[y]
    cw = {k: 0.5 + k for k in range(n_classes)}  # dict
    return sw, cw, sw * np.array([cw[k] for k in range(n_classes)])[y]


def _binary_objective(X, y_pm, s, w, b):
    m = X @ w + b
    return float(s @ np.logaddexp(0.0, -y_pm * m) + 0.5 / C * w @ w)


def _multinomial_objective(X, y, s, W, b):
    M = X @ W.T + b
    nll = logsumexp(M, axis=1) - M[np.arange(len(y)), y]
    return float(s @ nll + 0.5 / C * np.sum(W * W))


def _sk_logistic(X, y, s=None, *, fit_intercept=True, class_weight=None, sample_weight=None):
    """scikit-learn's exact Newton solver at a tight tolerance (dense float64)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it may not reach tol 1e-14 to the letter
        return SkLogisticRegression(
            C=C,
            tol=1e-14,
            max_iter=1000,
            fit_intercept=fit_intercept,
            solver="newton-cholesky",
            class_weight=class_weight,
        ).fit(X, y, sample_weight=sample_weight)


def _ovr_proba(D):
    P = 1.0 / (1.0 + np.exp(-D))
    return P / P.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------
# LogisticRegression against scikit-learn
# ---------------------------------------------------------------------------

KINDS = ["binary", "multinomial", "ovr"]
WEIGHTINGS = ["none", "sample", "balanced", "dict"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    ("fmt", "dtype"),
    [("dense", np.float64), ("csr", np.float64), ("csc", np.float64), ("csr", np.float32)],
)
def test_logistic_matches_sklearn(kind, weighting, fit_intercept, fmt, dtype):
    K = 2 if kind == "binary" else 3
    X, y, sw = _problem(K, seed=K + 10 * WEIGHTINGS.index(weighting))
    Xf = as_format(X, fmt, dtype)
    X64 = np.asarray(X.astype(dtype), dtype=np.float64)  # the numbers the fit sees
    sample_weight, class_weight, s = _weights(weighting, y, sw, K)
    est = LogisticRegression(
        C=C,
        fit_intercept=fit_intercept,
        tol=1e-13,
        class_weight=class_weight,
        multi_class="ovr" if kind == "ovr" else "auto",
    ).fit(Xf, y, sample_weight=sample_weight)
    assert est.result_.converged

    # Shapes and dtypes as scikit-learn's.
    n_rows = 1 if K == 2 else K
    assert est.coef_.shape == (n_rows, X.shape[1]) and est.coef_.dtype == dtype
    assert est.intercept_.shape == (n_rows,) and est.intercept_.dtype == dtype
    assert est.n_iter_.shape == (1,) and est.n_iter_[0] >= 1
    np.testing.assert_array_equal(est.classes_, np.arange(K))
    if not fit_intercept:
        np.testing.assert_array_equal(est.intercept_, 0.0)
    W = est.coef_.astype(np.float64)
    b = est.intercept_.astype(np.float64)

    if kind == "ovr":
        # The reference: one binary scikit-learn fit per class, with the weights
        # of the original classes (what one-vs-rest with class_weight means).
        refs = [
            _sk_logistic(X64, (y == k).astype(int), fit_intercept=fit_intercept, sample_weight=s)
            for k in range(K)
        ]
        assert np.shape(est.certificate_) == (K,)
        for k, ref in enumerate(refs):
            y_pm = np.where(y == k, 1.0, -1.0)
            P_fr = _binary_objective(X64, y_pm, s, W[k], b[k])
            P_sk = _binary_objective(X64, y_pm, s, ref.coef_[0], ref.intercept_[0])
            assert abs(P_fr - P_sk) <= 1e-9 * P_sk
            assert P_fr - P_sk <= est.certificate_[k] + 1e-13 * P_sk
        D_sk = np.column_stack([ref.decision_function(X64) for ref in refs])
        proba_sk = _ovr_proba(D_sk)
        pred_sk = D_sk.argmax(axis=1)
    else:
        ref = _sk_logistic(
            X64,
            y,
            fit_intercept=fit_intercept,
            class_weight=class_weight,
            sample_weight=sample_weight,
        )
        if K == 2:
            y_pm = np.where(y == 1, 1.0, -1.0)
            P_fr = _binary_objective(X64, y_pm, s, W[0], b[0])
            P_sk = _binary_objective(X64, y_pm, s, ref.coef_[0], ref.intercept_[0])
        else:
            P_fr = _multinomial_objective(X64, y, s, W, b)
            P_sk = _multinomial_objective(X64, y, s, ref.coef_, ref.intercept_)
        assert np.ndim(est.certificate_) == 0
        assert abs(P_fr - P_sk) <= 1e-9 * P_sk
        # The certificate bounds the suboptimality (scikit-learn's P >= P*).
        assert P_fr - P_sk <= est.certificate_ + 1e-13 * P_sk
        proba_sk = ref.predict_proba(X64)
        pred_sk = ref.predict(X64)

    proba = est.predict_proba(Xf)
    assert proba.shape == (X.shape[0], K)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(proba, proba_sk, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(est.predict(Xf), pred_sk)
    d = est.decision_function(Xf)
    assert d.shape == ((X.shape[0],) if K == 2 else (X.shape[0], K))
    np.testing.assert_array_equal(est.predict(Xf), (d > 0) if K == 2 else d.argmax(axis=1))
    np.testing.assert_allclose(est.predict_log_proba(Xf), np.log(proba), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("K", [2, 3])
def test_logistic_truncated_cg_path_matches_sklearn(K):
    """p > 128 (truncated Newton-CG rather than dense Newton steps) on CSR input."""
    X, y, sw = _problem(K, n=120, p=150, seed=40 + K)
    est = LogisticRegression(C=C, tol=1e-13).fit(sp.csr_matrix(X), y, sample_weight=sw)
    assert est.result_.converged
    ref = _sk_logistic(X, y, sample_weight=sw)
    if K == 2:
        y_pm = np.where(y == 1, 1.0, -1.0)
        P_fr = _binary_objective(X, y_pm, sw, est.coef_[0], est.intercept_[0])
        P_sk = _binary_objective(X, y_pm, sw, ref.coef_[0], ref.intercept_[0])
    else:
        P_fr = _multinomial_objective(X, y, sw, est.coef_, est.intercept_)
        P_sk = _multinomial_objective(X, y, sw, ref.coef_, ref.intercept_)
    assert abs(P_fr - P_sk) <= 1e-9 * P_sk
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6)


def test_logistic_multi_class_options():
    X, y, _ = _problem(3, seed=5)
    auto = LogisticRegression(C=C, tol=1e-13).fit(X, y)
    multi = LogisticRegression(C=C, tol=1e-13, multi_class="multinomial").fit(X, y)
    ovr = LogisticRegression(C=C, tol=1e-13, multi_class="ovr").fit(X, y)
    np.testing.assert_array_equal(auto.coef_, multi.coef_)
    assert rel_err(ovr.coef_, multi.coef_) > 1e-3  # a different model
    # Two classes: every option is the binary model.
    Xb, yb, _ = _problem(2, seed=6)
    fits = [
        LogisticRegression(C=C, tol=1e-13, multi_class=mc).fit(Xb, yb)
        for mc in ("auto", "multinomial", "ovr")
    ]
    for f in fits[1:]:
        np.testing.assert_array_equal(f.coef_, fits[0].coef_)
        np.testing.assert_array_equal(f.predict_proba(Xb), fits[0].predict_proba(Xb))
    with pytest.raises(ValueError, match="multi_class"):
        LogisticRegression(multi_class="crammer_singer").fit(X, y)


@pytest.mark.parametrize("bad_C", [0.0, -1.0, np.inf, np.nan])
def test_logistic_rejects_bad_C(bad_C):
    X, y, _ = _problem(2)
    with pytest.raises(ValueError, match="C must be positive"):
        LogisticRegression(C=bad_C).fit(X, y)


def test_logistic_single_class_raises():
    X, _, _ = _problem(2)
    with pytest.raises(ValueError, match="one class"):
        LogisticRegression().fit(X, np.full(X.shape[0], "a"))


@pytest.mark.parametrize("which", ["logistic", "ridge"])
def test_class_weight_with_scalar_or_bad_sample_weight(which):
    X, y, _ = _problem(3, seed=8)
    make = (
        (lambda: LogisticRegression(C=C, tol=1e-13, class_weight="balanced"))
        if which == "logistic"
        else (lambda: RidgeClassifier(tol=1e-14, class_weight="balanced"))
    )
    # A scalar sample_weight is that weight for every sample.
    a = make().fit(X, y, sample_weight=2.0)
    b = make().fit(X, y, sample_weight=np.full(len(y), 2.0))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="sample_weight"):
        make().fit(X, y, sample_weight=np.ones(len(y) + 1))
    with pytest.raises(ValueError, match="sample_weight"):
        make().fit(X, y, sample_weight=np.ones((len(y), 2)))


def test_logistic_attributes():
    X, y, _ = _problem(3, seed=7)
    est = LogisticRegression(C=C, n_threads=1).fit(sp.csc_matrix(X), y)
    assert isinstance(est.result_, fastridge.FitResult)
    assert est.solver_ == est.result_.solver
    assert est.n_features_in_ == X.shape[1]
    assert est.n_iter_.dtype == np.int32 and est.n_iter_[0] == est.result_.n_iter
    assert est.certificate_ <= est.tol * est.result_.p_null
    np.testing.assert_array_equal(est.result_.classes, est.classes_)


# ---------------------------------------------------------------------------
# labels of any type, for both classifiers
# ---------------------------------------------------------------------------


def _relabel(codes, kind):
    if kind == "str":
        return np.array(["zeta", "alpha", "mid"])[codes]  # sorted order != code order
    if kind == "object":
        return np.array(["zeta", "alpha", "mid"], dtype=object)[codes]
    if kind == "int":
        return np.array([7, -3, 100])[codes]
    return codes == 1  # bool (binary only)


@pytest.mark.parametrize(
    ("K", "label_kind"),
    [(2, "str"), (3, "str"), (3, "object"), (2, "int"), (3, "int"), (2, "bool")],
)
@pytest.mark.parametrize("which", ["logistic", "ridge"])
def test_labels_of_any_type(K, label_kind, which):
    X, codes, _ = _problem(K, seed=20 + K)
    y = _relabel(codes, label_kind)
    # A class_weight dict keyed by these labels.
    cw = {label: 1.0 + i for i, label in enumerate(np.unique(y))}
    if which == "logistic":
        est = LogisticRegression(C=C, tol=1e-13, class_weight=cw).fit(X, y)
        ref = _sk_logistic(X, y, class_weight=cw)
        np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    else:
        est = RidgeClassifier(alpha=2.0, tol=1e-14, class_weight=cw).fit(X, y)
        ref = SkRidgeClassifier(alpha=2.0, solver="cholesky", class_weight=cw).fit(X, y)
        assert rel_err(est.coef_.ravel(), ref.coef_.ravel()) <= 1e-7
    np.testing.assert_array_equal(est.classes_, ref.classes_)
    pred = est.predict(X)
    assert pred.dtype == ref.classes_.dtype
    np.testing.assert_array_equal(pred, ref.predict(X))
    assert set(pred) <= set(y)
    assert est.score(X, y) == ref.score(X, y)


# ---------------------------------------------------------------------------
# predict_log_proba: stable where predict_proba underflows
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_predict_log_proba_is_stable(kind):
    K = 2 if kind == "binary" else 3
    X, y, _ = _problem(K, seed=30 + K)
    est = LogisticRegression(C=C, multi_class="ovr" if kind == "ovr" else "auto").fit(X, y)
    # Normal inputs: log_proba == log(proba).
    np.testing.assert_allclose(
        est.predict_log_proba(X), np.log(est.predict_proba(X)), rtol=1e-12, atol=1e-13
    )
    # Inputs scaled so that the scores are in the thousands: some probabilities
    # underflow to 0, their logs must stay finite (and exact).
    Xbig = 1e4 * X / np.abs(est.decision_function(X)).max()
    proba = est.predict_proba(Xbig)
    logp = est.predict_log_proba(Xbig)
    d = est.decision_function(Xbig)
    assert (proba == 0).any()
    assert np.isfinite(logp).all()
    assert logp.max() <= 0.0
    assert np.all(logp[proba == 0] < -700)
    normal = proba > 1e-300
    # (rtol 1e-12: scores ~1e4 carry absolute rounding errors ~1e-12.)
    np.testing.assert_allclose(logp[normal], np.log(proba[normal]), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(logsumexp(logp, axis=1), 0.0, atol=1e-12)
    # The differences of the log-probabilities are exact functions of the scores.
    if kind == "binary":
        np.testing.assert_allclose(logp[:, 1] - logp[:, 0], d, rtol=1e-12)
    elif kind == "multinomial":
        np.testing.assert_allclose(logp - logp[:, :1], d - d[:, :1], rtol=1e-12, atol=1e-9)
    else:
        log_sig = -np.logaddexp(0.0, -d)
        np.testing.assert_allclose(
            logp - logp[:, :1], log_sig - log_sig[:, :1], rtol=1e-12, atol=1e-9
        )
    if kind != "ovr":  # (one-vs-rest: several saturated sigmoids tie at 1 in proba)
        pred_index = np.searchsorted(est.classes_, est.predict(Xbig))
        np.testing.assert_array_equal(proba.argmax(axis=1), pred_index)


# ---------------------------------------------------------------------------
# RidgeClassifier against scikit-learn
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "weighting"),
    [(kind, w) for kind in ("binary", "multiclass") for w in WEIGHTINGS]
    # (a dict class_weight does not apply to multilabel y: one dict per output)
    + [("multilabel", w) for w in ("none", "sample", "balanced")],
)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    ("fmt", "dtype"),
    [("dense", np.float64), ("csr", np.float64), ("csc", np.float64), ("csr", np.float32)],
)
def test_ridge_classifier_matches_sklearn(kind, weighting, fit_intercept, fmt, dtype):
    K = 2 if kind == "binary" else 3
    X, y, sw = _problem(K, seed=50 + K)
    if kind == "multilabel":
        rng = np.random.default_rng(1)
        y = (X[:, :3] + 0.5 * rng.standard_normal((X.shape[0], 3)) > 0).astype(int)
    # Both estimators get the same class_weight ("balanced" counts samples,
    # unweighted, in scikit-learn's RidgeClassifier) and sample_weight.
    sample_weight = None if weighting == "none" else sw
    class_weight = {"balanced": "balanced", "dict": {0: 0.5, 1: 1.5, 2: 2.5}}.get(weighting)
    Xf = as_format(X, fmt, dtype)
    X64 = np.asarray(X.astype(dtype), dtype=np.float64)
    est = RidgeClassifier(
        alpha=2.0, fit_intercept=fit_intercept, tol=1e-14, class_weight=class_weight
    ).fit(Xf, y, sample_weight=sample_weight)
    ref = SkRidgeClassifier(
        alpha=2.0, fit_intercept=fit_intercept, solver="cholesky", class_weight=class_weight
    ).fit(X64, y, sample_weight=sample_weight)
    n_rows = 1 if K == 2 else 3
    # Two classes: coef_ (1, p) and intercept_ (1,), as scikit-learn's other linear
    # classifiers (its RidgeClassifier has coef_ (p,) there, intercept_ (1,) or ()).
    assert est.coef_.shape == (n_rows, X.shape[1])
    assert est.coef_.dtype == dtype and est.intercept_.dtype == dtype
    assert np.shape(est.intercept_) == (n_rows,)
    assert np.shape(est.certificate_) == (n_rows,)
    # float32 coefficients are the float64 solution rounded (6e-8 relative).
    coef_rtol = 1e-7 if dtype == np.float64 else 1e-6
    assert rel_err(est.coef_, ref.coef_.reshape(n_rows, -1)) <= coef_rtol
    np.testing.assert_allclose(
        est.intercept_,
        np.broadcast_to(ref.intercept_, (n_rows,)),
        rtol=coef_rtol,
        atol=coef_rtol * np.abs(ref.coef_).max(),
    )
    np.testing.assert_allclose(
        est.decision_function(Xf), ref.decision_function(X64), rtol=1e-6, atol=1e-6
    )
    np.testing.assert_array_equal(est.predict(Xf), ref.predict(X64))
    np.testing.assert_array_equal(est.classes_, ref.classes_)


# ---------------------------------------------------------------------------
# sparse input is used in place
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("which", ["logistic", "ridge"])
def test_sparse_input_not_copied(monkeypatch, fmt, dtype, which):
    X, y, _ = _problem(3, seed=60)
    Xs = as_format(X, fmt, dtype)
    seen = []
    name = "logistic" if which == "logistic" else "ridge"
    inner = getattr(clf_module, name)

    def spy(X_, *args, **kwargs):
        seen.append(X_)
        return inner(X_, *args, **kwargs)

    monkeypatch.setattr(clf_module, name, spy)
    est = LogisticRegression() if which == "logistic" else RidgeClassifier()
    est.fit(Xs, y)
    (X_seen,) = seen
    assert X_seen.format == fmt
    assert np.shares_memory(X_seen.data, Xs.data)
    assert np.shares_memory(X_seen.indices, Xs.indices)
    assert est.coef_.dtype == dtype


# ---------------------------------------------------------------------------
# scikit-learn drop-in (issue 10, section 4)
# ---------------------------------------------------------------------------


def _binary(seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(60, 4)
    return X, (X[:, 0] + 0.5 * rng.randn(60) > 0).astype(int)


def test_logistic_sklearn_parameters():
    X, y = _binary()
    # solver="lbfgs" runs fastridge's own L-BFGS (issue 13), another certified solver
    # than the default's: the two agree to the accuracy tol certifies
    ref = LogisticRegression(tol=1e-12).fit(X, y).coef_
    est = LogisticRegression(
        tol=1e-12,
        penalty="l2",
        l1_ratio=0,
        dual=False,
        intercept_scaling=3,
        random_state=0,
        solver="lbfgs",
        verbose=0,
        n_jobs=-1,
    ).fit(X, y)
    assert est.solver_ == "lbfgs"
    np.testing.assert_allclose(est.coef_, ref, rtol=1e-5)
    sk = SkLogisticRegression(tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(est.coef_, sk.coef_, rtol=1e-4)
    for kw, word in [
        ({"penalty": None}, "penalty=None"),
        ({"penalty": "l1"}, "penalty='l1'"),
        ({"penalty": "elasticnet"}, "elasticnet"),
        ({"l1_ratio": 0.5}, "l1_ratio"),
        ({"dual": True}, "dual"),
        ({"solver": "liblinear"}, "liblinear"),
    ]:
        with pytest.raises(ValueError, match=word):
            LogisticRegression(**kw).fit(X, y)


def test_newton_cg_reported_as_asked():
    X, y = _binary(1)
    est = LogisticRegression(solver="newton-cg").fit(X, y)
    assert est.solver_ == "newton-cg"
    assert est.result_.solver in ("newton-cg", "newton-cholesky")  # the detail stays
    assert LogisticRegression(solver="newton-cholesky").fit(X, y).solver_ in (
        "newton-cg",
        "newton-cholesky",
    )


def test_sparsify_densify():
    X, y = _binary(2)
    est = LogisticRegression().fit(X, y)
    dense_pred = est.decision_function(X)
    est.sparsify()
    assert sp.issparse(est.coef_)
    np.testing.assert_allclose(est.decision_function(X), dense_pred, rtol=1e-12)
    np.testing.assert_allclose(est.decision_function(sp.csr_matrix(X)), dense_pred, rtol=1e-12)
    est.densify()
    assert isinstance(est.coef_, np.ndarray)


def test_warm_start_reaches_the_same_optimum():
    X, y = _binary(3)
    cold = LogisticRegression(tol=1e-12).fit(X, y)
    warm = LogisticRegression(tol=1e-12, warm_start=True).fit(X, y)
    warm.set_params(C=2.0).fit(X, y)
    again = LogisticRegression(C=2.0, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(warm.coef_, again.coef_, rtol=1e-7)
    assert not np.allclose(cold.coef_, again.coef_)


def test_ridge_classifier_n_iter_per_column():
    X, y = _binary(4)
    est = RidgeClassifier(solver="sparse_cg", random_state=0, copy_X=True).fit(X, y)
    assert est.n_iter_.shape == (1,) and est.n_iter_[0] >= 1


def test_newton_cg_warning_names_the_solver_asked():
    X, y = _binary(5)
    with pytest.warns(Warning, match="'newton-cg'") as record:
        est = LogisticRegression(solver="newton-cg", max_iter=1, tol=1e-14).fit(X, y)
    assert est.solver_ == "newton-cg"
    assert not any("solver 'newton-cholesky'" in str(w.message) for w in record)


@pytest.mark.parametrize("multi_class", ["multinomial", "ovr"])
def test_class_weight_zero_is_the_limit(multi_class):
    # scikit-learn fits a class of weight 0; with an intercept there is no minimiser and
    # the limit is: that class w = 0, b = -inf; the others fitted on their own rows.
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3) + np.repeat(np.arange(4), 15)[:, None] * 0.5
    y = np.repeat(np.arange(4), 15)
    cw = {0: 0.0, 1: 1.0, 2: 1.0, 3: 1.0}
    est = LogisticRegression(class_weight=cw, multi_class=multi_class, tol=1e-13).fit(X, y)
    ref = LogisticRegression(multi_class=multi_class, tol=1e-13).fit(X[y > 0], y[y > 0])
    assert np.all(est.coef_[0] == 0) and est.intercept_[0] == -np.inf
    # Both certified to 1e-13 * P_null (< 50): within sqrt(2 * gap / lam) < 1e-5 (lam = 1).
    np.testing.assert_allclose(est.coef_[1:], ref.coef_, rtol=0, atol=1e-5)
    assert 0 not in est.predict(X)
    np.testing.assert_allclose(est.predict_proba(X)[:, 0], 0.0)
