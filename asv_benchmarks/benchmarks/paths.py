"""Regularisation paths and cross-validation: a whole certified grid per call.

``RidgePath`` / ``LogisticPath`` time :func:`fastridge.ridge_path` /
:func:`fastridge.logistic_path` over their default grid of ``N_LAMS`` = 20 penalties
(from ``lam_max``, near the null model, down to ``1e-4 lam_max`` when n >= p) with
``tol=1e-8`` and the intercept on: every point certified
(``certificate <= 1e-8 * P_null``).  ``setup`` runs the path once (this also loads or
compiles the kernels) and fails if a point misses its certificate, so a time here is
always the time of a certified path.  ``track_n_passes`` reports its passes over X.

``RidgeCVFit`` / ``LogisticCVFit`` time ``fastridge.RidgeCV(alphas=grid, cv=5)``, with
``grid = rho * ||X||_2^2`` for 20 values of ``rho`` geometric from 10 down to 1e-3, and
``fastridge.LogisticRegressionCV(Cs=20, cv=5)`` (its default grid of 20 Cs): 5 folds x
20 values, then the refit, default scoring.

Problems:

==========  ====================================  =================================
case        data                                  target / labels
==========  ====================================  =================================
synthetic   50,000 x 5,000 CSR, 20 nnz/row        ``common.synthetic_target`` /
            (``common.synthetic_csr``)            ``logistic.planted_labels``
a9a         bundled a9a (32,561 x 123)            labels +-1 (regression target
                                                  for ridge)
==========  ====================================  =================================

A function or class this version of fastridge does not have is skipped
(``NotImplementedError`` from ``setup``, asv's way).  Under ``FASTRIDGE_ASV_SMOKE=1``
the synthetic case is 2,000 x 200 and a9a keeps 500 evenly spaced rows.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

import fastridge

from .common import SMOKE, size, spectral_norm_sq, synthetic_csr, synthetic_target
from .logistic import planted_labels

TOL = 1e-8
N_LAMS = 20  # grid size: a typical path / CV grid, short enough to repeat in asv
RHO_MAX, RHO_MIN = 10.0, 1e-3  # RidgeCV alphas = rho ||X||_2^2: near-null to weak penalty
CV_FOLDS = 5
SYNTHETIC = (size(50_000, 2_000), size(5_000, 200), size(20, 10))  # (n, p, nnz per row)
SMOKE_ROWS = 500  # evenly spaced a9a rows kept under FASTRIDGE_ASV_SMOKE=1
CASES = ["synthetic", "a9a"]


def _public(name):
    """``fastridge.<name>``; ``NotImplementedError`` (asv: skip) when absent."""
    try:
        return getattr(fastridge, name)
    except (AttributeError, ImportError) as e:
        raise NotImplementedError(f"fastridge.{name} is not available: {e}") from e


@functools.lru_cache(maxsize=2)
def _problem(case):
    """``(X, y_regression, y_labels, grid)`` of a case (cached per process)."""
    if case == "synthetic":
        X = synthetic_csr(*SYNTHETIC, seed=23)
        y_reg, labels = synthetic_target(X, seed=5), planted_labels(X, seed=7)
    else:
        from fastridge.datasets import load_a9a

        X, labels = load_a9a("train")
        if SMOKE:
            rows = np.linspace(0, X.shape[0] - 1, SMOKE_ROWS).astype(np.int64)
            X, labels = X[rows], labels[rows]
        y_reg = labels
    grid = np.geomspace(RHO_MAX, RHO_MIN, N_LAMS) * spectral_norm_sq(X)
    return X, y_reg, labels, grid


class _PathCase:
    timeout = 600
    params = CASES
    param_names = ["case"]
    function = "?"

    def setup(self, case):
        self.fn = _public(self.function)
        X, y_reg, labels, _grid = _problem(case)
        self.X = X
        self.y = y_reg if self.function == "ridge_path" else labels
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.result = self._run()
        if not self.result.converged:
            raise RuntimeError(
                f"{self.function} on {case}: a point missed its certificate "
                f"(max relative certificate {np.max(self.result.relative_certificate):.2e})"
            )

    def _run(self):
        return self.fn(self.X, self.y, n_lams=N_LAMS, tol=TOL)

    def track_n_passes(self, case):
        return self.result.n_passes

    track_n_passes.unit = "passes over X"


class RidgePath(_PathCase):
    """``ridge_path`` over its default 20-lam grid, every point certified."""

    function = "ridge_path"

    def time_ridge_path(self, case):
        self._run()


class LogisticPath(_PathCase):
    """``logistic_path`` over its default 20-lam grid, every point certified."""

    function = "logistic_path"

    def time_logistic_path(self, case):
        self._run()


class RidgeCVFit:
    """``RidgeCV(alphas=grid, cv=5).fit``: 5 folds x 20 alphas, then the refit."""

    timeout = 600
    params = CASES
    param_names = ["case"]

    def setup(self, case):
        cls = _public("RidgeCV")
        X, y_reg, _labels, grid = _problem(case)
        self.fit = lambda: cls(alphas=grid, cv=CV_FOLDS).fit(X, y_reg)
        self.fit()  # warm-up: kernels loaded / compiled

    def time_ridge_cv(self, case):
        self.fit()


class LogisticCVFit:
    """``LogisticRegressionCV(Cs=20, cv=5).fit``: 5 folds x 20 Cs, then the refit."""

    timeout = 600
    params = CASES
    param_names = ["case"]

    def setup(self, case):
        cls = _public("LogisticRegressionCV")
        X, _y_reg, labels, _grid = _problem(case)

        def fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return cls(Cs=N_LAMS, cv=CV_FOLDS).fit(X, labels)

        self.fit = fit
        self.fit()  # warm-up: kernels loaded / compiled

    def time_logistic_cv(self, case):
        self.fit()
