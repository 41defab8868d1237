"""Every ``auto`` rule of the solvers, in one place, with the measurements behind it.

* **Ridge, one lam** (:func:`ridge_solver`): ``direct`` when
  ``min(n, p) <= DIRECT_MAX_DIM``; otherwise ``cg-primal`` for sparse ``X``
  whatever its shape, and ``cg`` (primal or dual by shape) for dense ``X``.
  ``cg`` and ``direct`` mean the primal form when ``n >= p``, the dual
  otherwise (the smaller of the two normal matrices).  When ``auto`` chose
  CG, :func:`fastridge._solvers.ridge.auto.solve_auto` runs it under a budget
  and falls back to a direct solve (``AUTO_*`` constants below).
* **Ridge path** (:func:`ridge_path_solver`): ``eigen`` when
  ``min(n, p) <= EIGEN_MAX_DIM``, otherwise ``subspace-cg``.
* **Logistic** (:func:`logistic_solver`): ``auto`` is ``newton-cg``, except for
  binary problems (:func:`binary_logistic_solver`) without intercept on wide
  row-stored ``X``: ``dual-cd`` there, handing over to ``newton-cg`` after
  ``AUTO_DUAL_MAX_EPOCHS`` epochs without a certificate; and on dense ``X``
  whose Newton steps would come from CG: ``lbfgs``, handing over to
  ``newton-cg`` after ``AUTO_LBFGS_MAX_ITER`` iterations.
* **Binary Newton steps** (:func:`use_dense_hessian`): exact steps from the
  dense Hessian (reported as ``newton-cholesky``) when ``p <= DENSE_MAX_P``
  and building it costs at most ``DENSE_MAX_PASSES`` passes' worth of
  multiply-adds; truncated Jacobi-PCG steps otherwise.

The constants are read by the modules that apply them (``from
..auto_rules import ...``); tests that patch them patch those modules.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- ridge, one lam

# ``auto`` factorises a dense Gram matrix when min(n, p) is at most this.
# Building it costs sum_i nnz_i^2 (outer products of CSR rows) plus p^3/3 for
# Cholesky, whatever the conditioning; CG costs one pass per iteration and the
# iteration count grows with the condition number.  Measured (docs/solvers.md,
# asv_benchmarks/auto_rule.py): on well-conditioned 100,000-row problems CG
# needs 4-7 iterations and beats direct 2-4x already at p = 128, and by 10-50x
# at p >= 1024; on a9a (p = 123, 55 CG iterations at lam = 1) direct wins
# (22 ms against 29 ms) and certifies to 1e-26.  So direct only for very small
# dimensions, where its cost is small and bounded.
DIRECT_MAX_DIM = 128

# Largest min(n, p) for which auto falls back to a dense factorisation: the
# Gram matrix is m x m float64, 4096^2 * 8 B = 128 MiB (plus the same again
# for the factor), and its Cholesky ~2.3e10 flops, about a second on one core.
# Beyond that the memory (1 GiB at m = 11,585) is not ours to take silently:
# CG continues until max_iter and the certificate says how far it got.
AUTO_DIRECT_FALLBACK_MAX_DIM = 4096

# Dense X: CG iterations that cost about as much as the direct solve, per unit
# of m = min(n, p).  A CG iteration reads X once (2 n p flops, memory-bound); the
# direct solve is a BLAS-3 Gram (n p m) and an m^3 factorisation.  Measured on
# the 2-core machine, dense correlated and Gaussian X, n = 5,000-20,000, m =
# 256-1,000 (helper sweep, 2026-12-06; /tmp script, not kept): the direct solve
# cost m/15 to m/27 CG iterations.  After m / AUTO_DENSE_CG_PER_DIM iterations
# without the certificate, auto hands a dense problem to the direct solver, so
# it costs at most about twice the better of the two.
AUTO_DENSE_CG_PER_DIM = 16

# Floor of that dense budget: well-conditioned dense problems need 6-15 CG
# iterations (the same sweep), which the budget must not cut short.
AUTO_DENSE_MIN_CG_BUDGET = 20

# Floor of the CG budget, for small m: CG restarts after a failed true check
# and may need a few dozen iterations even on tiny, benign problems.
AUTO_MIN_CG_BUDGET = 50

# Iterations over which the progress rate is measured.  CG's residual
# oscillates over tens of iterations on ill-conditioned problems; 50 smooths
# that out yet decides within a few percent of a 2000-iteration default.
AUTO_PROGRESS_WINDOW = 50


# Largest Gram dimension m = min(n, p) factorised with ONE BLAS thread.  After
# each call OpenBLAS's threads spin for a while, fighting the Numba threads of
# the next pass for the cores; below this the BLAS-3 work is too small to pay
# for it.  Measured on the 2-core machine, idle, dense Gaussian X, solver
# "direct", medians of 9 (asv_benchmarks/direct_blas_threads.py --raw,
# 2026-12-06): 2 BLAS threads were 1.0-2.2x slower than 1 for m = 96-512 at
# n = 20,000, and up to 15x slower (m = 128, n = 3,000); 1.27x faster at
# m = 1,000 and 1.44x at m = 2,000.
DIRECT_ONE_BLAS_THREAD_MAX_DIM = 512


def direct_blas_threads(n: int, p: int) -> int | None:
    """BLAS threads for a solve through a dense ``min(n, p)`` Gram: 1 when small, else as is."""
    return 1 if min(n, p) <= DIRECT_ONE_BLAS_THREAD_MAX_DIM else None


def ridge_solver(solver: str, n: int, p: int, sparse: bool = True) -> str:
    """The concrete ridge solver for a (validated) public name; see the module docstring.

    Why primal also when p > n for sparse ``X``: the Jacobi preconditioner
    ``diag(Xc^T S Xc)`` equalises the column norms, which vary by orders of
    magnitude in sparse data (word counts, one-hot, Zipf-like frequencies),
    and the dual has no such preconditioner.  Measured on the
    20,000 x 500,000 benchmark (case B, rho = 1e-2): 8 primal iterations
    against 61 dual ones, 0.17 s against 0.59 s (docs/solvers.md).
    """
    if solver == "auto":
        if min(n, p) <= DIRECT_MAX_DIM:
            solver = "direct"
        else:
            solver = "cg-primal" if sparse else "cg"
    if solver in ("cg", "direct"):
        solver = f"{solver}-primal" if n >= p else f"{solver}-dual"
    return solver


# ---------------------------------------------------------------- ridge path

# ``auto`` takes the eigendecomposition path when min(n, p) is at most this.
# Its cost, a dense Gram (sum_i nnz_i^2 for CSR rows, n p^2 dense) plus eigh
# (~9 m^3 flops for m = min(n, p)), is paid once for any number of lams; at
# m = 256 eigh takes ~20 ms, less than a multi-shift path of ~100 passes over
# a 32,000 x 123 a9a-sized matrix.  Beyond a few hundred the m^3 grows faster
# than the Krylov path's cost.
EIGEN_MAX_DIM = 256


def ridge_path_solver(solver: str, n: int, p: int) -> str:
    """``auto``: ``eigen`` when ``min(n, p) <= EIGEN_MAX_DIM``, else ``subspace-cg``."""
    if solver == "auto":
        return "eigen" if min(n, p) <= EIGEN_MAX_DIM else "subspace-cg"
    return solver


# ---------------------------------------------------------------- logistic


def logistic_solver(solver: str) -> str:
    """``auto`` is ``newton-cg`` (binary problems: see :func:`binary_logistic_solver`).

    In our measurements ``cd`` was faster only on sparse text-like data with
    an intercept and a large penalty, and then by at most 1.6x, while it lost
    by 1.3-100x elsewhere (docs/solvers.md, and the measurements in
    :mod:`fastridge._solvers.logistic.cd`).
    """
    return "newton-cg" if solver == "auto" else solver


# Binary problems without intercept: ``auto`` runs dual CD when X has at least
# this many columns per row.  Dual CD has one variable per row, and its epochs
# cost one pass; Newton-CG's passes grow with the conditioning of X^T D X,
# which worsens as p grows past n.  Measured (fastridge auto, i.e. Newton-CG,
# against solver="dual-cd", tol 1e-9, medians of 3, 2 threads, 2026-12-07;
# /tmp/prof/dual_rule*.py, not kept), time of dual CD / time of Newton-CG at
# p / n:
#   IMDB 1-2-grams TF-IDF (17.5): 0.22 at lam 1, 0.13 at lam 0.1;
#   sparse Gaussian, 5,000 x 50,000 (10): 0.54 at lam 1, 0.24 at lam 0.01;
#   dense Gaussian, 1,000 x 4,000 (4): 0.38 at lam 1, 0.57 at lam 100;
#   IMDB unigrams TF-IDF (2.99): 0.47 at lam 1, 0.49 at lam 0.1;
#   rt-polarity TF-IDF (1.7): 1.12 / 1.49 / 3.31 at lam 1 / 0.1 / 0.01;
#   sparse uniform x10, 20,000 x 30,000 (1.5): 0.94 at lam 1, 1.40 at lam 10;
#   synthetic S, 200,000 x 100,000 (0.5): 1.67 at lam 200;
#   a9a, w8a (dense Hessian Newton, p / n < 0.01): 8.1 and 6.8.
# Dual CD won every case at p / n >= 2.99 and lost all but one at 1.7 and
# below; the threshold sits between the two (no case measured in between).
AUTO_DUAL_MIN_ASPECT = 2.5
# Epochs auto gives dual CD before it hands over to Newton-CG, warm-started at
# dual CD's w: the wide cases above needed 8-18 epochs; badly scaled columns
# (dual CD is not scale invariant: docs of fastridge._solvers.logistic.dual_cd)
# or a tiny lam can need thousands, and then Newton-CG is the safer bet.  40
# epochs cost about as many passes as a 3-4 iteration Newton-CG fit there.
AUTO_DUAL_MAX_EPOCHS = 40


# Binary problems on dense X whose Newton steps would come from truncated CG
# (not from the dense Hessian, :func:`use_dense_hessian`): ``auto`` runs L-BFGS
# (one fused pass per evaluation).  Measured (solver="lbfgs" against
# "newton-cg", tol 1e-8, intercept, medians of 5 interleaved runs, 2 threads,
# 2026-12-07; /tmp/lbfgs_bench/*.py, not kept), time ratio lbfgs / newton-cg
# (pass ratio):
#   G, dense separable 20,000 x 400: 0.47 (0.42) at lam 1, 0.49 (0.46) at 0.01,
#     without intercept 0.42 (0.42) and 0.44 (0.42);
#   dense Gaussian 20,000 x 400, noisy labels: 0.57 (0.62), 0.80 (0.64);
#     correlated columns: 0.91 (0.85), 0.82 (0.90); column scales 0.1-10:
#     0.67 (0.62), 0.61 (0.55);
#   dense Gaussian 20,000 x 100: noisy 0.69 / 0.77, separable 0.55 / 0.41;
#     4,000 x 2,000: noisy 0.79 / 0.49, separable 0.82 / 0.56.
# Sparse X is left to Newton: synthetic S (200,000 x 100,000) 0.70-0.87, but
# IMDB unigrams 0.91 / 1.30 / 1.44 (lam 1, 0.1, 1 without intercept), and where
# Newton uses the dense Hessian (a9a, w8a) L-BFGS lost 3-22x.
# Iterations auto gives L-BFGS before Newton-CG continues from its w (as after
# dual CD): the dense cases above needed 7-251 (the correlated one 251), so
# 300 covers them; a worse-conditioned problem then costs at most ~300 passes
# more than Newton-CG alone.
AUTO_LBFGS_MAX_ITER = 300


def binary_logistic_solver(solver: str, X, fit_intercept: bool) -> str:
    """The binary solver ``auto`` runs on ``X``: ``dual-cd``, ``lbfgs`` or ``newton-cg``.

    ``dual-cd`` when there is no intercept (dual CD has no exact unpenalised
    one), ``X`` is stored by rows as it is (CSR, or a C-contiguous array, as
    validation makes every dense ``X``: no copy for dual CD) on this machine
    (not distributed), and ``p >= AUTO_DUAL_MIN_ASPECT * n``.  Otherwise
    ``lbfgs`` for a dense ``X`` (on this machine) whose Newton steps would not
    come from the dense Hessian (:func:`use_dense_hessian`; see
    ``AUTO_LBFGS_MAX_ITER``), and ``newton-cg`` for the rest.
    Other names are returned as they are.
    """
    if solver != "auto":
        return solver
    if getattr(X, "is_distributed", False):
        return "newton-cg"
    dense = isinstance(X, np.ndarray)
    n, p = X.shape
    if not fit_intercept:
        if dense:
            by_rows = X.ndim == 2 and X.flags.c_contiguous
        else:
            by_rows = getattr(X, "format", None) == "csr"
        if by_rows and p >= AUTO_DUAL_MIN_ASPECT * max(n, 1):
            return "dual-cd"
    if dense and not use_dense_hessian(X):
        return "lbfgs"
    return "newton-cg"


# Dense (exact) Newton steps: allowed up to this p (the p x p Hessian and its
# Cholesky factor, 32 MiB at p = 2048, and a factorisation of ~3 GFlop)...
DENSE_MAX_P = 2048
# ... when building it, sum_i nnz_i^2 + p^3 / 3 multiply-adds, costs at most
# this many passes' worth of multiply-adds (2 nnz per fused CG pass):
# a truncated-CG Newton step takes 10-40 passes, so the exact step is cheaper
# below ~32.  w8a (p = 300, 12 entries per row): 7 passes' worth; CG steps
# took 0.56 s against 0.23 s for scikit-learn's dense Newton.
DENSE_MAX_PASSES = 32


def use_dense_hessian(X, max_p: int = DENSE_MAX_P, max_passes: int = DENSE_MAX_PASSES) -> bool:
    """Whether exact Newton steps from the dense ``p x p`` Hessian are cheaper than CG steps."""
    n, p = X.shape
    if p > max_p:
        return False
    if isinstance(X, np.ndarray):
        build = float(n) * p * p
        nnz = float(n) * p
    elif getattr(X, "is_distributed", False):
        build = X.row_nnz_sq_sum()
        nnz = float(X.nnz)
    else:
        counts = np.diff(X.indptr) if X.format == "csr" else np.bincount(X.indices, minlength=n)
        build = float(np.dot(counts.astype(np.float64), counts))
        nnz = float(X.indptr[-1])
    return build + p**3 / 3.0 <= max_passes * 2.0 * max(nnz, 1.0)
