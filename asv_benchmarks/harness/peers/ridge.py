"""Single-lam ridge peers: fastridge, scikit-learn's Ridge, glmnet's ``spelnet``.

Job: run each solver on a case and return its ``(coef, intercept)`` in the objective
``P = 1/2 ||y - X w - b||^2 + lam/2 ||w||^2`` (see ``compare_ridge.py`` for the method):

* scikit-learn ``Ridge(alpha=lam)``; its sag branch with an intercept is run through
  ``ridge_regression(..., solver="sag", return_intercept=True)`` (``Ridge`` would
  silently run sparse_cg), and every other run checks ``Ridge.solver_``; ``cholesky``
  (a direct solve: not calibrated) on dense X only;
* glmnet: the Fortran ``spelnet`` with ``ka=2`` (naive), ``alpha=0``, ``isd=0``, unit
  weights and ``lam_g = lam * ys / n`` (:func:`glmnet_prepare`, shared with the path
  comparison); on dense X the dense ``elnet``, same settings;
* fastridge: ``fastridge.ridge`` certified (``tol = target * P*/P_null``), calibrated,
  plain ``tol = target``, solver "cd" on a CSC copy (Fortran-ordered for dense X)
  made outside the timing, or solver "direct" certified;
* IBM Snap ML ``snapml.LinearRegression(regularizer=lam, fit_intercept=False)``, dual
  (row-wise SDCA on CSR) and primal (coordinate descent on a CSC copy made outside the
  timing), ``n_jobs`` = the harness's threads: its objective is
  ``1/2 ||y - X w||^2 + regularizer/2 ||w||^2``, so ``regularizer = lam`` exactly.  Its
  bias is an appended constant feature inside the L2 penalty (and its ``intercept_``
  is 0 for the primal solver, unscaled for the dual one): no-intercept cases only;
* scikit-learn-intelex ``sklearnex.linear_model.Ridge(alpha=lam, n_jobs=threads)``
  (oneDAL's direct solve, no tolerance): dense X only, it falls back to stock
  scikit-learn on sparse input (:func:`sklearnex_fallback`), reported as a skip;
* LIBLINEAR's own binding (``liblinear-official``), L2-regularised L2-loss SVR with
  ``-p 0`` (no epsilon tube): ``1/2 ||w||^2 + C sum_i (y_i - x_i.w)^2`` is our
  objective divided by ``2 lam``, so ``C = 1/(2 lam)`` exactly; ``-s 11`` (primal
  trust-region Newton) with ``-B 1 -R`` (unpenalised bias) for the intercept, ``-s 12``
  (dual CD; LIBLINEAR refuses ``-R`` there) on the no-intercept cases.  ``-s 13`` is
  the L1-loss (absolute) SVR: not ridge, not run.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import re
import time
import warnings

import numpy as np
import scipy.sparse as sp

from .base import FastridgeRunner, FitOut, Solver, build, fastridge_api, quiet_fit


class SklearnRidge(Solver):
    def __init__(self, solver: str, start_tol: float):
        self.solver = solver
        self.name = f"sklearn-{solver}"
        self.start_tol = start_tol
        self.probe_iters = (2, 6) if solver == "sag" else (5, 25)

    def fit(self, ctx, state, tol, max_iter):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import Ridge, ridge_regression

        X, y = ctx.ds.X, ctx.ds.y
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            if self.solver == "sag" and ctx.case.fit_intercept:
                # Ridge(solver="sag") on sparse X with an intercept silently runs sparse_cg
                # unless max_iter is None and tol > 1e-4; run Ridge's own sag branch
                # (centre y, then sag fits the intercept) through the public function.
                y_mean = float(y.mean())
                coef, n_iter, intercept = ridge_regression(
                    X,
                    y - y_mean,
                    ctx.lam,
                    solver="sag",
                    max_iter=max_iter,
                    tol=tol,
                    random_state=0,
                    return_n_iter=True,
                    return_intercept=True,
                )
                intercept = float(intercept) + y_mean
                used = "sag"
            else:
                est = Ridge(
                    alpha=ctx.lam,
                    fit_intercept=ctx.case.fit_intercept,
                    solver=self.solver,
                    tol=tol,
                    max_iter=max_iter,
                    random_state=0,
                )
                est.fit(X, y)
                coef, n_iter, intercept = est.coef_, est.n_iter_, float(est.intercept_)
                used = getattr(est, "solver_", self.solver)
        if used != self.solver:
            raise RuntimeError(f"scikit-learn ran solver {used!r} instead of {self.solver!r}")
        n_iter = None if n_iter is None else int(np.max(n_iter))
        hit = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        if max_iter is not None and n_iter is not None and n_iter >= max_iter:
            hit = True
        return FitOut(coef, intercept, n_iter, hit)

    def no_cap(self, ctx):
        n, p = ctx.ds.X.shape
        if self.solver == "sparse_cg" and p > n:
            return "sparse_cg ignores max_iter when p > n: no cap"
        return None


class SklearnCholesky(SklearnRidge):
    """``Ridge(solver="cholesky")``: a direct solve of the smaller normal matrix (no
    tolerance: run once, not calibrated); dense X only (on sparse X with an intercept
    scikit-learn runs another solver, and without one it densifies the p x p Gram)."""

    calibrate = False

    def __init__(self):
        super().__init__("cholesky", 1e-6)
        self.probe_iters = None

    def skip_reason(self, ctx):
        if sp.issparse(ctx.ds.X):
            return "dense X only (sparse X: another solver or a dense p x p Gram)"
        return None

    def fixed(self, ctx):
        return 1e-6  # unused by a direct solve

    def setting(self, tol):
        return "direct (Cholesky)"


def glmnet_available(*names: str) -> tuple[bool, str]:
    """``Solver.available`` of a glmnet runner using ``glmnet._glmnet.<names>``."""
    try:
        mod = importlib.import_module("glmnet._glmnet")
        for name in names:
            if not hasattr(mod, name):  # as ``from glmnet._glmnet import <name>`` says
                raise ImportError(
                    f"cannot import name {name!r} from {mod.__name__!r} ({mod.__file__})"
                )
    except Exception as e:  # pragma: no cover
        return False, f"python-glmnet not importable: {e!r}"
    return True, ""


def glmnet_csc(X) -> dict:
    """``X`` as glmnet's sparse input: a CSC copy's values (``data``) and its 1-based
    int32 column pointers (``ip``) and row indices (``ix``)."""
    Xc = X.tocsc()
    return {
        "data": np.ascontiguousarray(Xc.data, dtype=np.float64),
        "ip": (Xc.indptr + 1).astype(np.int32),
        "ix": (Xc.indices + 1).astype(np.int32),
    }


def glmnet_prepare(X, y, lams) -> dict:
    """glmnet's inputs, built once outside the timings: a CSC copy of ``X`` with
    1-based int32 indices, and ``ulam`` = the ``lams`` in glmnet's scaling.

    glmnet divides ``y`` and lambda by ``ys = sqrt(mean((y - ybar)^2))`` and uses
    weights summing to 1, so ``lam`` of ``1/2 ||y - Xw - b||^2 + lam/2 ||w||^2`` is
    ``lam * ys / n`` for it.
    """
    t0 = time.perf_counter()
    st = glmnet_csc(X)
    ys = float(np.sqrt(np.mean((y - y.mean()) ** 2)))
    st["ulam"] = np.ascontiguousarray(np.asarray(lams, dtype=np.float64) * ys / X.shape[0])
    st["prep_seconds"] = time.perf_counter() - t0
    return st


def _glmnet_options(ulam, fit_intercept: bool, max_iter) -> dict:
    """The keyword arguments ``spelnet`` and ``elnet`` share: no standardisation, the
    lambdas, the intercept, the iteration cap (100,000 when None)."""
    cap = max_iter if max_iter is not None else 100_000
    return dict(nlam=len(ulam), isd=0, intr=int(fit_intercept), maxit=int(min(cap, 2**31 - 1)))


def _glmnet_checked(out):
    """``out`` of a glmnet Fortran call; a fatal error (``jerr > 0``) raises."""
    if out[-1] > 0:
        raise RuntimeError(f"glmnet fatal error jerr={out[-1]}")
    return out


def glmnet_ridge(shape, y, st, tol, max_iter, fit_intercept: bool):
    """One ``spelnet`` call (naive algorithm, ``alpha = 0``, ``isd = 0``, unit weights)
    over the lambdas ``st["ulam"]``; returns its raw outputs (raises on ``jerr > 0``)."""
    from glmnet._glmnet import spelnet

    n, p = shape
    out = spelnet(
        2,  # ka = 2: naive algorithm (ka = 1, covariance, needs p x nx memory)
        0.0,  # parm = alpha = 0: ridge
        n,
        p,
        st["data"],
        st["ip"],
        st["ix"],
        np.array(y, dtype=np.float64, order="F", copy=True),  # glmnet may overwrite y
        np.ones(n),
        np.zeros(1, dtype=np.int32),  # jd: exclude no variable
        np.ones(p),  # vp: penalty factors
        np.array([np.full(p, -np.inf), np.full(p, np.inf)], order="F"),  # cl: no box
        p,  # ne
        p + 1,  # nx
        1.0,  # flmin >= 1: use ulam
        st["ulam"],
        tol,  # thr
        **_glmnet_options(st["ulam"], fit_intercept, max_iter),
    )
    return _glmnet_checked(out)


def glmnet_dense_ridge(X, y, ulam, tol, max_iter, fit_intercept: bool):
    """One dense ``elnet`` call, arguments as :func:`glmnet_ridge`'s.  ``elnet``
    centres its ``x`` in place, so it gets a fresh Fortran-ordered copy of ``X`` (made
    here, in the timed fit, as python-glmnet's estimator does)."""
    from glmnet._glmnet import elnet

    n, p = X.shape
    out = elnet(
        2,  # ka = 2: naive algorithm
        0.0,  # alpha = 0: ridge
        np.array(X, dtype=np.float64, order="F", copy=True),
        np.array(y, dtype=np.float64, order="F", copy=True),
        np.ones(n),
        np.zeros(1, dtype=np.int32),
        np.ones(p),
        np.array([np.full(p, -np.inf), np.full(p, np.inf)], order="F"),
        p + 1,  # nx
        1.0,  # flmin >= 1: use ulam
        ulam,
        tol,
        ne=p,
        **_glmnet_options(ulam, fit_intercept, max_iter),
    )
    return _glmnet_checked(out)


class Glmnet(Solver):
    """glmnet's naive algorithm: ``spelnet`` on sparse X (its CSC copy made in
    :meth:`prepare`), ``elnet`` on dense X (which copies X in the timed fit)."""

    name = "glmnet-naive"
    start_tol = 1e-9

    def available(self):
        return glmnet_available("solns", "spelnet", "elnet")

    def prepare(self, ctx):
        X, y, lams = ctx.ds.X, ctx.ds.y, np.array([ctx.lam])
        if sp.issparse(X):
            return glmnet_prepare(X, y, lams)
        ys = float(np.sqrt(np.mean((y - y.mean()) ** 2)))
        return {"ulam": np.ascontiguousarray(lams * ys / X.shape[0]), "dense": True}

    def fit(self, ctx, st, tol, max_iter):
        from glmnet._glmnet import solns

        X, y = ctx.ds.X, ctx.ds.y
        p = X.shape[1]
        if st.get("dense"):
            out = glmnet_dense_ridge(X, y, st["ulam"], tol, max_iter, ctx.case.fit_intercept)
        else:
            out = glmnet_ridge(X.shape, y, st, tol, max_iter, ctx.case.fit_intercept)
        lmu, a0, ca, ia, nin, _rsq, _alm, nlp, jerr = out
        if lmu < 1:
            return FitOut(None, 0.0, int(nlp), True, {"jerr": int(jerr)})
        coef = solns(p, ca, ia, nin)[:, 0]
        return FitOut(
            np.ascontiguousarray(coef), float(a0[0]), int(nlp), jerr < 0, {"jerr": int(jerr)}
        )

    def setting(self, tol):
        return f"thr={tol:.3g}"


def module_available(module: str, package: str) -> tuple[bool, str]:
    """``Solver.available`` of a peer that imports ``module`` (PyPI ``package``)."""
    try:
        importlib.import_module(module)
    except Exception as e:
        return False, f"{package} not importable ({type(e).__name__}: {e}); pip install {package}"
    return True, ""


def sample_rows(ds, m: int = 300):
    """Up to ``m`` evenly spaced rows of ``ds`` as ``(X, y)`` (trial fits)."""
    rows = np.unique(np.linspace(0, ds.shape[0] - 1, min(ds.shape[0], m)).astype(int))
    return ds.X[rows], ds.y[rows]


# ----------------------------------------------------------------------------
# IBM Snap ML

SNAPML_BIAS = (
    "snapml penalises its bias (a constant feature inside the L2 penalty) and its "
    "intercept_ is wrong (0 for the primal solver, unscaled for the dual): "
    "no-intercept cases only"
)


class SnapmlRidge(Solver):
    """``snapml.LinearRegression``: ``1/2 ||y - X w||^2 + regularizer/2 ||w||^2``, so
    ``regularizer = lam`` (checked on a tiny problem against fastridge at tol 1e-14:
    relative objective gap ~1e-14, dual and primal).  snapml converts X to float32 (and
    its indices to 32/64-bit unsigned) inside ``fit``: that copy is timed; the primal
    solver's CSC copy of X is made in :meth:`prepare`, outside the timing."""

    estimator = "LinearRegression"
    start_tol = 1e-6
    probe_iters = (5, 25)

    def __init__(self, dual: bool, threads: int):
        self.dual = dual
        self.threads = threads
        self.name = f"snapml-{'dual' if dual else 'primal'}"

    def available(self):
        return module_available("snapml", "snapml")

    def skip_reason(self, ctx):
        return SNAPML_BIAS if ctx.case.fit_intercept else None

    def prepare(self, ctx):
        if self.dual:
            return None  # the dual solver takes the CSR matrix as it is
        t0 = time.perf_counter()
        X = ctx.ds.X  # the primal solver wants columns: snapml converts CSR / C order in fit
        Xc = X.tocsc() if sp.issparse(X) else np.asfortranarray(X)
        return {"X": Xc, "prep_seconds": time.perf_counter() - t0}

    def _fit(self, ctx, state, tol, max_iter):
        import snapml

        cap = int(min(max_iter if max_iter is not None else 10**6, 2**31 - 1))
        est = getattr(snapml, self.estimator)(
            regularizer=ctx.lam,
            dual=self.dual,
            tol=tol,
            max_iter=cap,
            n_jobs=self.threads,
            penalty="l2",
            fit_intercept=False,
            random_state=0,
        )
        X = ctx.ds.X if state is None else state["X"]
        with contextlib.redirect_stdout(io.StringIO()):  # "[Warning] ..." prints
            est.fit(X, ctx.ds.y)
        n_iter = int(np.max(est.n_iter_))
        return np.asarray(est.coef_, dtype=np.float64).reshape(-1), n_iter, n_iter >= cap

    def fit(self, ctx, state, tol, max_iter):
        coef, n_iter, hit = self._fit(ctx, state, tol, max_iter)
        return FitOut(coef, 0.0, n_iter, hit)

    def setting(self, tol):
        return f"tol={tol:.3g}, n_jobs={self.threads}"


# ----------------------------------------------------------------------------
# scikit-learn-intelex

SKLEARNEX_FALLBACK = "fallback to original Scikit-learn"


def numba_layer_first() -> None:
    """Start Numba's threading layer (as fastridge's first parallel kernel would) before
    sklearnex is imported: its import loads oneDAL's libtbb, and a Numba layer started
    after that picks ``tbb`` instead of the ``omp`` it picks otherwise, which would change
    fastridge's threading in every row of the run.  ``NUMBA_THREADING_LAYER`` still rules
    when set."""
    try:
        import numba

        numba.get_num_threads()
    except Exception:
        pass


SKLEARNEX_CAUSE = "patching failed with cause - "


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def sklearnex_log(level=logging.INFO):
    """The messages of the ``sklearnex`` logger (which says whether oneDAL or stock
    scikit-learn ran, and at DEBUG why) while the block runs; its handlers (a stderr
    stream) are detached meanwhile."""
    numba_layer_first()
    import sklearnex  # noqa: F401  (its import adds a stderr handler: keep it out of the block)

    logger = logging.getLogger("sklearnex")
    saved = (logger.level, logger.handlers[:], logger.propagate)
    rec = _Records()
    logger.handlers = [rec]
    logger.setLevel(level)
    logger.propagate = False
    try:
        yield rec.messages
    finally:
        logger.setLevel(saved[0])
        logger.handlers = saved[1]
        logger.propagate = saved[2]


def sklearnex_fallback(messages: list[str]) -> str | None:
    """Why sklearnex ran stock scikit-learn (its causes, DEBUG level), or None when it
    ran oneDAL throughout."""
    if not any(SKLEARNEX_FALLBACK in m for m in messages):
        return None
    causes = [m.split(SKLEARNEX_CAUSE, 1)[1] for m in messages if SKLEARNEX_CAUSE in m]
    return " ".join(dict.fromkeys(causes)) or "no cause given"


class SklearnexPeer(Solver):
    """The common part of the sklearnex peers: a trial fit on a few rows in
    :meth:`skip_reason` finds out whether sklearnex would run oneDAL on this input (it
    runs stock scikit-learn on sparse X, already in the table), and every timed fit
    checks it again (a fallback raises instead of timing stock scikit-learn)."""

    threads = 1

    def available(self):
        numba_layer_first()
        return module_available("sklearnex.linear_model", "scikit-learn-intelex")

    def estimator(self, ctx, tol, max_iter):
        raise NotImplementedError

    def skip_reason(self, ctx):
        X, y = sample_rows(ctx.ds)
        with sklearnex_log(logging.DEBUG) as messages:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self.estimator(ctx, 1e-2, 5).fit(X, y)
            except Exception as e:
                return f"trial fit failed: {type(e).__name__}: {e}"
        why = sklearnex_fallback(messages)
        if why is None:
            return None
        where = "sparse input" if sp.issparse(X) else "this input"
        return f"falls back to scikit-learn on {where} (sklearnex: {why})"

    def checked_fit(self, ctx, tol, max_iter):
        """The fitted estimator and whether it warned about convergence; raises when
        sklearnex fell back to scikit-learn."""
        est = self.estimator(ctx, tol, max_iter)
        with sklearnex_log() as messages:
            est, hit = quiet_fit(lambda: est.fit(ctx.ds.X, ctx.ds.y))
        why = sklearnex_fallback(messages)
        if why is not None:
            raise RuntimeError(f"sklearnex fell back to scikit-learn ({why})")
        return est, hit


class SklearnexRidge(SklearnexPeer):
    """``sklearnex.linear_model.Ridge(alpha=lam)``: scikit-learn's objective, so
    ``alpha = lam`` (checked: relative gap ~1e-16 on a tiny dense problem); oneDAL solves
    the normal equations directly (no tolerance: run once, not calibrated)."""

    name = "sklearnex"
    calibrate = False
    probe_iters = None

    def __init__(self, threads: int):
        self.threads = threads

    def estimator(self, ctx, tol, max_iter):
        from sklearnex.linear_model import Ridge

        return Ridge(alpha=ctx.lam, fit_intercept=ctx.case.fit_intercept, n_jobs=self.threads)

    def fixed(self, ctx):
        return 0.0  # unused: a direct solve

    def fit(self, ctx, state, tol, max_iter):
        est, _ = self.checked_fit(ctx, tol, max_iter)
        return FitOut(np.asarray(est.coef_, dtype=np.float64).reshape(-1), float(est.intercept_))

    def setting(self, tol):
        return f"direct (oneDAL), n_jobs={self.threads}"


# ----------------------------------------------------------------------------
# LIBLINEAR (liblinear-official)

LIBLINEAR_SWITCH = re.compile(r"Switching to use -s (\d+)")


def liblinear_problem(X, y) -> dict:
    """LIBLINEAR's copy of ``(X, y)`` (its feature nodes, with a slot for the bias),
    made once per case outside the timings, as glmnet's CSC copy is."""
    from liblinear.liblinear import problem

    t0 = time.perf_counter()
    prob = problem(np.ascontiguousarray(y, dtype=np.float64), sp.csr_matrix(X))
    return {"prob": prob, "prep_seconds": time.perf_counter() - t0}


def liblinear_options(s: int, C: float, tol: float, fit_intercept: bool, svr: bool) -> str:
    """The option string: ``-B 1 -R`` (a bias feature of value 1, unpenalised) for an
    intercept, ``-p 0`` (no epsilon tube) for the SVR solvers."""
    opts = f"-s {s} -c {C!r} -e {tol!r}"
    if svr:
        opts += " -p 0"
    if fit_intercept:
        opts += " -B 1 -R"
    return opts


def liblinear_check(ds, options: str) -> str | None:
    """LIBLINEAR's own refusal of ``options`` (``check_parameter``) on a few rows of
    ``ds``, or None."""
    from liblinear.liblinear import liblinear, parameter

    X, y = sample_rows(ds, 20)
    st = liblinear_problem(X, y)
    param = parameter(options + " -q")
    st["prob"].set_bias(param.bias)
    err = liblinear.check_parameter(st["prob"], param)
    return err.decode() if err else None


def liblinear_train(prob, options: str):
    """One ``train``: ``(w, b, labels, n_iter, hit_cap)``; ``w`` the p weights, ``b``
    the bias (0 without ``-B``), ``labels`` LIBLINEAR's label order (its decision
    function is positive for ``labels[0]``).  LIBLINEAR has no iteration cap to set:
    ``hit_cap`` is its own "reaching max number of iterations" warning; a dual solver
    that switches to the primal one after its iteration limit raises."""
    from liblinear.liblinear import (
        PRINT_STRING_FUN,
        ctypes_print_null,
        liblinear,
        parameter,
        toPyModel,
    )

    out: list[bytes] = []
    printer = PRINT_STRING_FUN(out.append)  # its output, read below (no -q)
    param = parameter(options)
    param.print_func = printer
    prob.set_bias(param.bias)
    liblinear.set_print_string_function(printer)
    try:
        err = liblinear.check_parameter(prob, param)
        if err:
            raise ValueError(f"LIBLINEAR: {err.decode()}")
        model = toPyModel(liblinear.train(prob, param))
    finally:
        liblinear.set_print_string_function(ctypes_print_null)  # printer dies here
    p = model.nr_feature
    w = np.ctypeslib.as_array(model.w, (p + (1 if model.bias >= 0 else 0),))
    w = w.astype(np.float64)  # a copy: the model's memory is freed with it
    b = float(w[p] * model.bias) if model.bias >= 0 else 0.0
    labels = [] if model.is_regression_model() else model.get_labels()
    del model
    text = b"".join(out).decode(errors="replace")
    switched = LIBLINEAR_SWITCH.search(text)
    if switched:
        raise RuntimeError(
            f"LIBLINEAR reached its iteration limit and switched to -s {switched.group(1)}"
        )
    its = re.findall(r"#iter = (\d+)", text) or re.findall(r"^iter\s+(\d+)", text, re.M)
    n_iter = int(its[-1]) if its else None
    return w[:p], b, labels, n_iter, "reaching max number of" in text


class LiblinearRidge(Solver):
    """LIBLINEAR ``-s 11`` / ``-s 12`` with ``-p 0``, ``C = 1/(2 lam)`` (module
    docstring); ``-e`` calibrated on the ladder like every peer's tolerance."""

    start_tol = 1e-6
    probe_iters = None  # LIBLINEAR has no iteration cap to set

    def __init__(self, s: int):
        self.s = s
        self.name = f"liblinear-s{s}"
        self._fit_intercept = False

    def available(self):
        return module_available("liblinear.liblinear", "liblinear-official")

    def options(self, ctx, tol):
        return liblinear_options(self.s, 0.5 / ctx.lam, tol, ctx.case.fit_intercept, True)

    def skip_reason(self, ctx):
        opts = self.options(ctx, 1e-2)
        err = liblinear_check(ctx.ds, opts)
        if err is None:
            return None
        flags = " -B 1 -R" if ctx.case.fit_intercept else ""
        return f"LIBLINEAR refuses -s {self.s}{flags} ({opts}): {err}"

    def prepare(self, ctx):
        self._fit_intercept = ctx.case.fit_intercept  # for setting()
        return liblinear_problem(ctx.ds.X, ctx.ds.y)

    def fit(self, ctx, state, tol, max_iter):
        w, b, _, n_iter, hit = liblinear_train(state["prob"], self.options(ctx, tol))
        return FitOut(w, b, n_iter, hit)

    def setting(self, tol):
        return f"-e {tol:.3g}" + (" -B 1 -R" if self._fit_intercept else "")


class Fastridge(FastridgeRunner):
    api = "ridge"
    names = {
        "cert": "fastridge",
        "cal": "fastridge-cal",
        "tol": "fastridge-tol",
        "csc-cd": "fastridge-csc-cd",
        "direct": "fastridge-direct",
    }
    labels = {
        "cert": "certified",
        "cal": "calibrated",
        "tol": "plain",
        "csc-cd": "certified, CSC input",
        "direct": "certified, solver='direct'",
    }
    csc_variant = "csc-cd"
    probe_iters = None

    def prepare(self, ctx):
        """The csc-cd row's column-major copy of X (outside the timing): CSC for sparse
        X, a Fortran-ordered copy for dense X."""
        X = ctx.ds.X
        if self.variant == self.csc_variant and not sp.issparse(X):
            return np.asfortranarray(X)
        return super().prepare(ctx)

    def fixed(self, ctx):
        if self.variant == "direct":
            return ctx.target * ctx.ref.p_star / ctx.ref.p_null
        return super().fixed(ctx)

    def fit(self, ctx, state, tol, max_iter):
        fn, params = fastridge_api("ridge")
        solver = {"csc-cd": "cd", "direct": "direct"}.get(self.variant, "auto")
        kw = {"fit_intercept": ctx.case.fit_intercept, "tol": tol, "solver": solver}
        if "n_threads" in params:
            kw["n_threads"] = self.threads
        if max_iter is not None and "max_iter" in params:
            kw["max_iter"] = max_iter
        res = fn(ctx.ds.X if state is None else state, ctx.ds.y, ctx.lam, **kw)
        extra = {}
        for a in ("solver", "certificate", "seconds", "converged"):
            v = getattr(res, a, None)
            if v is not None:
                extra[a] = v if isinstance(v, str | bool) else float(v)
        conv = getattr(res, "converged", True)
        intercept = np.asarray(getattr(res, "intercept", 0.0), dtype=float).reshape(-1)
        return FitOut(
            np.asarray(res.coef, dtype=np.float64).reshape(-1),
            float(intercept[0]) if intercept.size else 0.0,
            getattr(res, "n_iter", None),
            not bool(conv),
            extra,
        )


def make_solvers(names: list[str], threads: int) -> list[Solver]:
    table = {
        "fastridge": lambda: Fastridge("cert", threads),
        "fastridge-cal": lambda: Fastridge("cal", threads),
        "fastridge-tol": lambda: Fastridge("tol", threads),
        "fastridge-csc-cd": lambda: Fastridge("csc-cd", threads),
        "fastridge-direct": lambda: Fastridge("direct", threads),
        "sklearn-cholesky": SklearnCholesky,
        "sklearn-sparse_cg": lambda: SklearnRidge("sparse_cg", 1e-6),
        "sklearn-lsqr": lambda: SklearnRidge("lsqr", 1e-6),
        "sklearn-sag": lambda: SklearnRidge("sag", 1e-6),
        "glmnet-naive": Glmnet,
        "snapml-dual": lambda: SnapmlRidge(True, threads),
        "snapml-primal": lambda: SnapmlRidge(False, threads),
        "sklearnex": lambda: SklearnexRidge(threads),
        "liblinear-s11": lambda: LiblinearRidge(11),
        "liblinear-s12": lambda: LiblinearRidge(12),
    }
    return build(names, table)


DEFAULT_SOLVERS = [
    "fastridge",
    "fastridge-cal",
    "fastridge-csc-cd",
    "fastridge-direct",
    "sklearn-cholesky",
    "sklearn-sparse_cg",
    "sklearn-lsqr",
    "sklearn-sag",
    "glmnet-naive",
    "snapml-dual",
    "snapml-primal",
    "sklearnex",
    "liblinear-s11",
    "liblinear-s12",
]
