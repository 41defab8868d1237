"""L2-logistic solvers: time to the certificate ``certificate <= 1e-8 * P_null``.

Each benchmark calls :func:`fastridge.logistic` with ``tol=1e-8``, the intercept on and
all Numba threads.  ``setup`` fits once (this also loads or compiles the kernels) and
fails if that fit does not reach the certificate, so a time here is always a time to a
certified answer.  ``track_n_iter`` and ``track_n_passes`` report the work of that fit
(iterations, passes over X).  A solver or mode fastridge does not implement (it raises
``ValueError``, e.g. ``solver="cd"`` before it exists) is skipped, as asv skips a
``NotImplementedError`` from ``setup``.

Synthetic cases (deterministic, Zipf-like columns, see ``common.synthetic_csr``; labels
``+1`` with probability ``sigmoid(2 x.w* + 0.5)``, ``x.w*`` of about unit variance),
``lam = lam_n * n`` with ``lam_n`` in {1e-3, 1e-5}:

===========  =====================  ========
case         shape                  nnz/row
===========  =====================  ========
tall         100,000 x 10,000       50
wide         10,000 x 100,000       50
narrow       100,000 x 100          20
===========  =====================  ========

``solver="cd"`` is given CSC input (converted once in ``setup``), "auto" CSR.

Real cases, from ``../shared/data`` (or ``$FASTRIDGE_DATA``; skipped when absent):
a9a (32,561 x 123) and w8a (49,749 x 300) binary at ``lam = 1`` (C = 1) and
``lam = 0.01``; 20 Newsgroups "bydate" train (11,269 x 61,188, TF-IDF of the counts,
20 classes, multinomial) at ``lam = 0.1`` (C = 10).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

import fastridge

from .common import SMOKE, data_file, size, synthetic_csr

TOL = 1e-8

# case -> (n, p, nnz per row)
SYNTHETIC = {
    "tall": (size(100_000, 2_000), size(10_000, 200), size(50, 10)),
    "wide": (size(10_000, 200), size(100_000, 2_000), size(50, 10)),
    "narrow": (size(100_000, 2_000), 100, size(20, 10)),
}

# name -> (file, n_features, tf-idf)
REAL = {
    "a9a": ("a9a.svm.gz", 123, False),
    "w8a": ("w8a.svm.gz", 300, False),
    "news20": ("news20_bydate_bow.train.svm.gz", 61188, True),
}
REAL_LAMS = {"a9a": [1.0, 1e-2], "w8a": [1.0, 1e-2], "news20": [0.1]}
SMOKE_ROWS = 500  # evenly spaced rows kept from a real data set under FASTRIDGE_ASV_SMOKE=1


def planted_labels(X, seed: int = 3, scale: float = 2.0, offset: float = 0.5) -> np.ndarray:
    """``+1`` with probability ``sigmoid(scale * x.w* + offset)``, else ``-1``."""
    rng = np.random.default_rng(seed)
    nnz_per_row = max(1.0, X.nnz / X.shape[0])
    w = rng.standard_normal(X.shape[1]) / np.sqrt(nnz_per_row)
    prob = 1.0 / (1.0 + np.exp(-(scale * (X @ w) + offset)))
    return np.where(rng.random(X.shape[0]) < prob, 1.0, -1.0)


@functools.lru_cache(maxsize=2)
def _synthetic_problem(case):
    n, p, nnz_per_row = SYNTHETIC[case]
    X = synthetic_csr(n, p, nnz_per_row, seed=17)
    return X, planted_labels(X)


@functools.lru_cache(maxsize=2)
def _real_problem(name):
    from sklearn.datasets import load_svmlight_file

    fname, n_features, tfidf = REAL[name]
    X, y = load_svmlight_file(str(data_file(fname)), n_features=n_features)
    X = X.tocsr()
    if SMOKE:  # evenly spaced rows: news20 is sorted by class
        rows = np.linspace(0, X.shape[0] - 1, SMOKE_ROWS).astype(np.int64)
        X, y = X[rows], y[rows]
    if tfidf:
        from sklearn.feature_extraction.text import TfidfTransformer

        X = TfidfTransformer().fit_transform(X).tocsr()
    X.sort_indices()
    return X, np.asarray(y, dtype=np.float64)


class _LogisticCase:
    timeout = 600

    def _prepare(self, X, y, lam, solver):
        if solver == "cd":
            X = X.tocsc()  # cd works on CSC: convert once here, not in every timed fit
        self.X, self.y, self.lam, self.solver = X, y, lam, solver
        self.kwargs = {}
        if len(np.unique(y)) > 2:
            self.kwargs["multi_class"] = "multinomial"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.result = self._fit()
        except (ValueError, TypeError) as e:
            # a solver / mode this version of fastridge does not have
            raise NotImplementedError(f"fastridge.logistic: {type(e).__name__}: {e}") from e
        if not self.result.converged:
            raise RuntimeError(
                f"{solver} did not reach the certificate: "
                f"{self.result.relative_certificate} > {TOL:g} (relative)"
            )

    def _fit(self):
        return fastridge.logistic(
            self.X, self.y, self.lam, solver=self.solver, tol=TOL, **self.kwargs
        )


class SyntheticLogistic(_LogisticCase):
    """Time to ``certificate <= 1e-8 * P_null`` on synthetic sparse binary problems."""

    params = (list(SYNTHETIC), ["auto", "cd"], [1e-3, 1e-5])
    param_names = ["case", "solver", "lam_n"]

    def setup(self, case, solver, lam_n):
        X, y = _synthetic_problem(case)
        self._prepare(X, y, lam_n * X.shape[0], solver)

    def time_logistic(self, case, solver, lam_n):
        self._fit()

    def track_n_iter(self, case, solver, lam_n):
        return self.result.n_iter

    track_n_iter.unit = "iterations"

    def track_n_passes(self, case, solver, lam_n):
        return self.result.n_passes

    track_n_passes.unit = "passes over X"


class RealLogistic(_LogisticCase):
    """Time to ``certificate <= 1e-8 * P_null`` on LIBSVM / text data (news20: 20 classes)."""

    params = ([f"{d}@{lam:g}" for d, lams in REAL_LAMS.items() for lam in lams], ["auto", "cd"])
    param_names = ["dataset@lam", "solver"]

    def setup(self, dataset_lam, solver):
        name, lam = dataset_lam.split("@")
        X, y = _real_problem(name)
        self._prepare(X, y, float(lam), solver)

    def time_logistic(self, dataset_lam, solver):
        self._fit()

    def track_n_iter(self, dataset_lam, solver):
        return self.result.n_iter

    track_n_iter.unit = "iterations"

    def track_n_passes(self, dataset_lam, solver):
        return self.result.n_passes

    track_n_passes.unit = "passes over X"
