"""The LogisticRegressionCV fold engine through the reference operator.

:func:`fastridge._cv.logistic.logistic_cv_folds` takes its path solver as
``path_fn``; with :func:`fastridge.logistic_path` built on the scipy reference
operators (``tests/_reference_operator.py``) it must give the same scores and
coefficients (1e-10 relative) and the same iteration and pass counts as with
the default operators: the proof that the CV engine sees X only through the
operator contract.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.model_selection import StratifiedKFold

from fastridge._cv.logistic import logistic_cv_folds, make_scoring
from fastridge._paths.logistic import logistic_path
from tests._reference_operator import ReferenceOperator, ReferenceSoftmaxOperator

_PATH_KEYWORDS = inspect.signature(logistic_path).parameters
_CS = np.array([0.05, 0.2, 0.1])  # lam = 20, 5, 10: short inner CG, rounding stays tiny


def _close(a, b, rtol=1e-10):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    assert np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1e-300), (a, b)


def _problem(fmt, n_classes, seed=3, n=90, p=10):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p) + rng.uniform(-1, 1, p)
    X[rng.random((n, p)) < 0.3] = 0.0
    score = X @ rng.standard_normal(p) + rng.standard_normal(n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    Xv = sp.csr_matrix(X) if fmt == "csr" else X
    return Xv, y


def _run(Xv, y, fit_intercept, path_fn=logistic_path, scoring="neg_log_loss"):
    classes, codes = np.unique(y, return_inverse=True)
    folds = list(StratifiedKFold(3).split(np.zeros(len(y)), y))
    _, score_fn = make_scoring(scoring, classes)
    return logistic_cv_folds(
        Xv,
        y,
        codes,
        classes,
        _CS,
        folds,
        score_fn,
        fit_intercept=fit_intercept,
        solver="newton-cg",
        tol=1e-10,
        n_threads=1,
        path_fn=path_fn,
    )


def _reference_path_fn():
    if "operator_type" not in _PATH_KEYWORDS:
        pytest.skip("fastridge.logistic_path takes no operator_type yet")
    kw = {"operator_type": ReferenceOperator}
    if "softmax_operator_type" in _PATH_KEYWORDS:
        kw["softmax_operator_type"] = ReferenceSoftmaxOperator
    return functools.partial(logistic_path, **kw)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_fold_engine_through_the_reference_operator(fmt, n_classes, fit_intercept):
    path_fn = _reference_path_fn()
    Xv, y = _problem(fmt, n_classes)
    res = _run(Xv, y, fit_intercept)
    ref = _run(Xv, y, fit_intercept, path_fn=path_fn)
    _close(res.scores, ref.scores)
    _close(res.coefs, ref.coefs)
    _close(res.intercepts, ref.intercepts)
    np.testing.assert_array_equal(res.n_iter, ref.n_iter)
    assert [pa.n_passes for pa in res.paths] == [pa.n_passes for pa in ref.paths]
    assert [pa.solver for pa in res.paths] == [pa.solver for pa in ref.paths]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_fold_engine_uses_the_given_path_fn(n_classes):
    Xv, y = _problem("dense", n_classes)
    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return logistic_path(*args, **kwargs)

    res = _run(Xv, y, True, scoring="accuracy")
    spied = _run(Xv, y, True, path_fn=spy, scoring="accuracy")
    assert len(calls) == 3  # one path per fold
    assert all(kw["n_threads"] == 1 and kw["tol"] == 1e-10 for kw in calls)
    np.testing.assert_array_equal(res.scores, spied.scores)
    np.testing.assert_array_equal(res.coefs, spied.coefs)
    np.testing.assert_array_equal(res.n_iter, spied.n_iter)
