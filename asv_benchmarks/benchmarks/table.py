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
# logistic rows: a9a / w8a, IMDB unigrams without intercept, 1-2-grams,
# the synthetic case at lam/n 1e-3, news20 multinomial (20 classes)
LOGISTIC_CASES = ["a9a-1", "w8a-1", "imdb1-1-noint", "imdb2-1", "S-1e-3n", "news20-1e-1"]


def _load(module, key: str):
    """The harness data set ``key`` (quick under smoke); a missing data file skips the row."""
    if module is None:
        raise NotImplementedError("the harness is not importable")
    try:
        return module.load_dataset(key, quick=SMOKE, verbose=False)
    except (FileNotFoundError, OSError) as exc:
        raise NotImplementedError(str(exc)) from exc


class RidgeTableRow:
    """``fastridge.ridge(..., solver="auto")`` on a ridge row of the table."""

    params = RIDGE_CASES
    param_names = ["case"]
    timeout = 900  # building case A or C2 the first time takes minutes

    def setup(self, case):
        ds = _load(rdata, case.split("-")[0])
        c = {c.name: c for c in rdata.all_cases()}[case]
        self.args = (ds.X, ds.y, c.rho * ds.sigma_max_sq)
        self.kw = dict(fit_intercept=c.fit_intercept, tol=TOL)
        self.result = fastridge.ridge(*self.args, **self.kw)

    def time_fit(self, case):
        fastridge.ridge(*self.args, **self.kw)

    def track_n_passes(self, case):
        return int(self.result.n_passes)

    track_n_passes.unit = "passes"


class LogisticTableRow:
    """``fastridge.logistic(..., solver="auto")`` on a logistic row of the table."""

    params = LOGISTIC_CASES
    param_names = ["case"]
    timeout = 900

    def setup(self, case):
        ds = _load(ldata, case.split("-")[0])
        c = {c.name: c for c in ldata.all_cases()}[case]
        self.args = (ds.X, ds.y, c.lam_for(ds.X.shape[0]))
        self.kw = dict(fit_intercept=c.fit_intercept, tol=TOL)
        self.result = fastridge.logistic(*self.args, **self.kw)

    def time_fit(self, case):
        fastridge.logistic(*self.args, **self.kw)

    def track_n_passes(self, case):
        return int(self.result.n_passes)

    track_n_passes.unit = "passes"


class RidgePathTableRow:
    """``fastridge.ridge_path`` over the harness's 50-lam grid on C2 (IMDB 1-2-grams)."""

    timeout = 900

    def setup(self):
        ds = _load(rdata, "C2")
        self.args = (ds.X, ds.y)
        self.lams = rdata.grid_for(ds)
        self.result = fastridge.ridge_path(*self.args, lams=self.lams, tol=TOL)

    def time_path(self):
        fastridge.ridge_path(*self.args, lams=self.lams, tol=TOL)

    def track_n_passes(self):
        return int(self.result.n_passes)

    track_n_passes.unit = "passes"


class RidgeCVTableRow:
    """``RidgeCV(cv=5)`` over the 50-lam grid on C2: its time per one fit is the table's row."""

    timeout = 900

    def setup(self):
        ds = _load(rdata, "C2")
        self.args = (ds.X, ds.y)
        self.alphas = rdata.grid_for(ds)

    def time_ridge_cv(self):
        fastridge.RidgeCV(alphas=self.alphas, cv=5, tol=TOL).fit(*self.args)


class LogisticCVTableRow:
    """``LogisticRegressionCV(Cs=20, cv=5)`` on IMDB unigrams (the harness's setting)."""

    timeout = 900

    def setup(self):
        ds = _load(ldata, "imdb1")
        self.args = (ds.X, ds.y)

    def time_logistic_cv(self):
        fastridge.LogisticRegressionCV(Cs=20, cv=5, tol=TOL).fit(*self.args)
