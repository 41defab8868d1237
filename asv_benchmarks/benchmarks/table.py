"""The rows of the performance table (docs/benchmarks.md, issue 13): fastridge's side.

The comparison harnesses (``compare_ridge.py``, ``compare_logistic.py``, ...) time
fastridge against its peers on these data sets; this module tracks fastridge's
own time and passes on the same data, so that ``asv continuous`` shows a
regression of any row.  The data come from the harnesses' loaders (cached in
``$FASTRIDGE_BENCH_CACHE``; built on first use, which takes minutes for case A
and the IMDB matrices); ``lam`` is the harness's (``rho ||X||_2^2`` for ridge,
the case's ``lam`` for logistic regression) and ``tol = 1e-8``.  Under
``FASTRIDGE_ASV_SMOKE=1`` the harnesses' ``--quick`` data sets stand in.  A row
whose data file is absent is skipped (``NotImplementedError``).
"""

from __future__ import annotations

import fastridge

from .common import SMOKE

try:  # asv and asv_benchmarks/smoke.py put asv_benchmarks/ on sys.path
    from harness import data as rdata
    from harness import logistic_data as ldata
except ImportError:  # pragma: no cover - run from elsewhere
    rdata = ldata = None

TOL = 1e-8  # the table's accuracy target (relative suboptimality 1e-8)

# ridge rows of the table: case A at rho 1, 1e-2, 1e-4; B; C1 / C2; dense D1 / D2
RIDGE_CASES = [
    "A-1-int",
    "A-1e-2-int",
    "A-1e-4-int",
    "B-1-int",
    "B-1e-2-int",
    "B-1e-4-int",
    "C1-1e-2-int",
    "C2-1e-2-int",
    "D1-1e-2-int",
    "D2-1e-2-int",
]
# logistic rows: a9a / w8a (also at lam 0.01, where the intercept search once
# took 87% of the fit, and without intercept), IMDB unigrams without intercept
# (auto's dual CD), 1-2-grams, the synthetic case at lam/n 1e-3, news20
# multinomial (20 classes), dense separable Gaussian data G at lam 1 and 0.01
LOGISTIC_CASES = [
    "a9a-1",
    "w8a-1",
    "w8a-1e-2",
    "w8a-1-noint",
    "imdb1-1-noint",
    "imdb2-1",
    "S-1e-3n",
    "news20-1e-1",
    "G-1",
    "G-1e-2",
]


def _load(module, key: str):
    """The harness data set ``key`` (quick under smoke); a missing data file skips the row."""
    if module is None:
        raise NotImplementedError("the harness is not importable")
    try:
        return module.load_dataset(key, quick=SMOKE, verbose=False)
    except (FileNotFoundError, OSError) as exc:
        raise NotImplementedError(str(exc)) from exc


class _Row:
    """A table row: ``setup`` sets ``self.fit``, a call without arguments, timed here."""

    timeout = 900  # building case A or C2 the first time takes minutes

    def time_fit(self, *case):
        self.fit()


class _CountedRow(_Row):
    """A row whose result has ``n_passes``: ``bind`` fits once to read it."""

    def bind(self, fit):
        self.fit = fit
        self.result = fit()

    def track_n_passes(self, *case):
        return int(self.result.n_passes)

    track_n_passes.unit = "passes"


class RidgeTableRow(_CountedRow):
    """``fastridge.ridge(..., solver="auto")`` on a ridge row of the table."""

    params = RIDGE_CASES
    param_names = ["case"]

    def setup(self, case):
        ds = _load(rdata, case.split("-")[0])
        c = {c.name: c for c in rdata.all_cases()}[case]
        lam = c.rho * ds.sigma_max_sq
        self.bind(lambda: fastridge.ridge(ds.X, ds.y, lam, fit_intercept=c.fit_intercept, tol=TOL))


class LogisticTableRow(_CountedRow):
    """``fastridge.logistic(..., solver="auto")`` on a logistic row of the table."""

    params = LOGISTIC_CASES
    param_names = ["case"]

    def setup(self, case):
        ds = _load(ldata, case.split("-")[0])
        c = {c.name: c for c in ldata.all_cases()}[case]
        lam = c.lam_for(ds.X.shape[0])
        self.bind(
            lambda: fastridge.logistic(ds.X, ds.y, lam, fit_intercept=c.fit_intercept, tol=TOL)
        )


class RidgePathTableRow(_CountedRow):
    """``fastridge.ridge_path`` over the harness's 50-lam grid on C2 (IMDB 1-2-grams)."""

    def setup(self):
        ds = _load(rdata, "C2")
        lams = rdata.grid_for(ds)
        self.bind(lambda: fastridge.ridge_path(ds.X, ds.y, lams=lams, tol=TOL))


class RidgeCVTableRow(_Row):
    """``RidgeCV(cv=5)`` over the 50-lam grid on C2: its time per one fit is the table's row."""

    def setup(self):
        ds = _load(rdata, "C2")
        alphas = rdata.grid_for(ds)
        self.fit = lambda: fastridge.RidgeCV(alphas=alphas, cv=5, tol=TOL).fit(ds.X, ds.y)


class LogisticCVTableRow(_Row):
    """``LogisticRegressionCV(Cs=20, cv=5)`` on IMDB unigrams (the harness's setting)."""

    def setup(self):
        ds = _load(ldata, "imdb1")
        self.fit = lambda: fastridge.LogisticRegressionCV(Cs=20, cv=5, tol=TOL).fit(ds.X, ds.y)
