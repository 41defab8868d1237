"""One preconditioned subspace for a whole lam grid (flexible Galerkin CG).

For a right-hand side ``b`` and penalties ``lam_1 > ... > lam_L``, builds an
orthonormal basis ``Z`` (p x m) one vector per pass over ``X`` and takes, for
*every* lam, the Galerkin solution in ``span(Z)``:

    w_j = Z y_j,   (G + lam_j I) y_j = Z^T b,   G = Z^T H Z,

which minimises the ``(H + lam_j I)``-norm of the error over ``span(Z)``.  The
next basis vector is the Jacobi-preconditioned residual of the lam that is
furthest from its tolerance,

    v = (diag(H) + lam_j)^{-1} (b - (H + lam_j) w_j),

orthogonalised against ``Z`` (classical Gram-Schmidt, twice) and normalised;
its product ``H z`` is then computed by one pass and stored, so ``H Z`` holds
true products of the basis (never updated by recurrences).

Why: multi-shift CG shares one Krylov space across the grid but cannot be
preconditioned (a preconditioner that is not a multiple of the identity
breaks the shift invariance), and sparse data with Zipf-like column norms
need Jacobi preconditioning: on the 200,000 x 100,000 benchmark, 57
unpreconditioned iterations against 6 preconditioned ones at the smallest
lam.  With a fixed preconditioner and always the same lam this method *is*
PCG for that lam (the basis spans the preconditioned Krylov space); choosing
the worst lam each time makes one basis serve the grid.  Every point's
Galerkin residual ``r_j = H Z y_j + lam_j Z y_j - b`` is computed explicitly
from the stored products at the end: the certificate
``||r_j||^2 / (2 lam_j)`` therefore rests on true products ``H Z``, combined
linearly (``H w_j = (H Z) y_j``).  While iterating, the residual norms of all
lams come from ``(2m+1)``-square Gram matrices at O(m^2 L) (they lose
accuracy below about ``1e-15 ||b||^2``, far below any threshold used here;
the explicit check decides).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Aim while iterating: estimated ||r||^2 at this fraction of the threshold, so
# the explicit check (which ends the iteration) passes at the first try.
_TARGET_FRACTION = 0.25

# Memory cap of the basis: Z and H Z hold 2 * m * p doubles.  Past this many
# bytes (or _MAX_BASIS vectors) the caller polishes the points still above
# tolerance with warm-started PCG instead.
_MAX_BASIS_BYTES = 1.5e9
# A basis this large means the grid is far harder than the Jacobi-PCG
# iteration counts seen in practice (< 100 per lam); stop growing it.
_MAX_BASIS = 400

# Reorthogonalise when Gram-Schmidt left less than this fraction of the norm
# (Kahan-Parlett's 1/sqrt(2) criterion).
_REORTH_RATIO = 0.7071

# A new direction whose norm after orthogonalisation is below this fraction
# of its norm before lies (numerically) in span(Z): the basis cannot grow.
_DEPENDENT_RTOL = 1e-12


def subspace_path(
    op,
    b: np.ndarray,
    lams: np.ndarray,
    thresh: np.ndarray,
    diag_h,
    max_iter,
    keep: dict | None = None,
):
    """Galerkin solutions for every lam; see the module docstring.

    Parameters
    ----------
    op : DesignOperator
        Supplies ``gram_matvec`` (``H v``, one pass).
    b : ndarray, shape (p,)
        Right-hand side ``Xc^T S yc``.
    lams : ndarray, shape (L,)
    thresh : ndarray, shape (L,)
        ``||r_j||^2`` that certifies point ``j``.
    diag_h : ndarray, shape (p,)
        ``diag(H)`` (Jacobi preconditioner ``diag(H) + lam``).
    max_iter : int
        Cap on basis vectors (passes).
    keep : dict, optional
        If given, filled with ``Zt`` (m, p) the basis rows, ``Y`` (m, L) the
        Galerkin coefficients (``W = Zt^T Y``) and ``XZ`` (m, n) the raw
        products ``X z`` of the basis vectors, from the same passes
        (``op.gram_matvec_xv``): predictions ``X W`` on any rows cost
        O(m L) per row instead of a pass.

    Returns
    -------
    SubspacePathOutput
        ``coef`` (L, p): ``coef[j]`` is the point at ``lams[j]``
        (C-contiguous: the layout of a path's ``coef``, so the caller needs
        no transposed copy); ``residual_sq`` (L,): explicit ``||r_j||^2`` of
        the returned points; ``n_iter`` (L,): basis size at which each point
        first met its estimated tolerance (the final size for points that
        never did).
    """
    p, L = len(b), len(lams)
    m_max = int(min(_MAX_BASIS, max_iter, max(1, _MAX_BASIS_BYTES // (16 * p))))
    basis = _Basis(m_max, p, b, lams)
    bb = basis.bb
    n_iter = np.zeros(L, dtype=np.int64)
    met = np.zeros(L, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(thresh > 0, bb / thresh, np.inf)
    if bb == 0 or not np.any(ratio > 1):
        _keep(keep, basis.Zt[:0], np.zeros((0, L)), [], op)
        return SubspacePathOutput(np.zeros((L, p)), np.full(L, bb), n_iter)
    xz: list[np.ndarray] = []  # X z of each basis vector, when keep is given
    j = int(np.argmax(ratio))
    j_min = int(np.argmin(lams))
    chooser = _DirectionChooser(bb)
    v = chooser.direction(b, diag_h, lams[j])
    m = 0
    Y = np.zeros((0, L))
    while True:
        q = basis.orthonormal(v, m)
        if q is None:
            break
        if keep is None:
            hq = op.gram_matvec(q)
        else:
            hq, xq = op.gram_matvec_xv(q)
            xz.append(xq)
        basis.add(m, q, hq)
        m += 1
        Y, est = basis.solve(m)
        ratio = est / thresh
        if chooser.record(float(est[j_min])):
            # Plain won the trial: drop the Jacobi trial vectors so that the
            # basis is again the Krylov space K(H, b), shared by every lam.
            m = chooser.plain_trial_size
            del xz[m:]
            Y, est = basis.solve(m)
            ratio = est / thresh
            met &= n_iter <= m
            n_iter[~met] = 0
        newly = ~met & (ratio <= _TARGET_FRACTION)
        n_iter[newly] = m
        met |= newly
        if met.all():
            rsq = basis.residual_norms_sq(m, Y)
            if np.all(rsq <= thresh):
                _keep(keep, basis.Zt[:m], Y, xz, op)
                coef = Y.T @ basis.Zt[:m]
                return SubspacePathOutput(coef, rsq, np.where(n_iter > 0, n_iter, m))
            ratio = rsq / thresh  # the estimate was optimistic: follow the explicit one
            met &= rsq <= thresh
        j = int(np.argmax(ratio))
        r = Y[:, j] @ basis.HZt[:m] + lams[j] * (Y[:, j] @ basis.Zt[:m]) - b
        if m == m_max:
            break
        v = chooser.direction(r, diag_h, lams[j])
    rsq = basis.residual_norms_sq(m, Y) if m else np.full(L, bb)
    n_iter[~met] = m
    _keep(keep, basis.Zt[:m], Y, xz, op)
    return SubspacePathOutput(Y.T @ basis.Zt[:m], rsq, n_iter)


@dataclass(frozen=True)
class SubspacePathOutput:
    """Result of :func:`subspace_path`."""

    coef: np.ndarray  # (L, p): coef[j] is the point at lams[j] (C-contiguous)
    residual_sq: np.ndarray  # (L,) explicit ||r_j||^2 of the returned points
    n_iter: np.ndarray  # (L,) basis size at which each point first met its estimate


class _Basis:
    """The orthonormal basis ``Z`` (as rows), its true products ``H Z`` and their Gram matrices."""

    def __init__(self, m_max: int, p: int, b: np.ndarray, lams: np.ndarray):
        # Basis vectors as rows (each contiguous): Zt = Z^T, HZt = (H Z)^T.
        self.Zt = np.empty((m_max, p))
        self.HZt = np.empty((m_max, p))
        self.G = np.empty((m_max, m_max))  # Z^T H Z
        self.HH = np.empty((m_max, m_max))  # (HZ)^T (HZ)
        self.c = np.empty(m_max)  # Z^T b
        self.hb = np.empty(m_max)  # (HZ)^T b
        self.b, self.lams = b, lams
        self.bb = float(b @ b)

    def orthonormal(self, v: np.ndarray, m: int):
        """``v`` orthogonalised against the first ``m`` vectors, normalised (None: dependent)."""
        Zt = self.Zt
        v0 = nrm = float(np.sqrt(v @ v))
        for _ in range(2):
            if not m:
                break
            v = v - (Zt[:m] @ v) @ Zt[:m]
            before, nrm = nrm, float(np.sqrt(v @ v))
            # Kahan-Parlett: a second pass is needed only if this one removed
            # most of v (cancellation); "twice is enough".
            if nrm > _REORTH_RATIO * before:
                break
        if not (nrm > _DEPENDENT_RTOL * v0):
            return None
        return v / nrm

    def add(self, m: int, q: np.ndarray, hq: np.ndarray) -> None:
        """Store ``q`` and ``H q`` as vector ``m`` and extend the Gram matrices."""
        Zt, HZt, G, HH = self.Zt, self.HZt, self.G, self.HH
        Zt[m], HZt[m] = q, hq
        G[: m + 1, m] = Zt[: m + 1] @ hq
        G[m, : m + 1] = G[: m + 1, m]
        HH[: m + 1, m] = HZt[: m + 1] @ hq
        HH[m, : m + 1] = HH[: m + 1, m]
        self.c[m], self.hb[m] = q @ self.b, hq @ self.b

    def solve(self, m: int):
        """Galerkin coefficients ``Y`` (m, L) in ``m`` vectors and their ``||r||^2`` estimates."""
        G, HH, c, hb = self.G[:m, :m], self.HH[:m, :m], self.c[:m], self.hb[:m]
        Y = _galerkin(G, c, self.lams)
        return Y, _residual_sq_estimate(Y, self.lams, G, HH, c, hb, self.bb)

    def residual_norms_sq(self, m: int, Y: np.ndarray) -> np.ndarray:
        """Explicit ``||r_j||^2`` of the points ``Z Y`` (see :func:`_residual_norms_sq`)."""
        return _residual_norms_sq(self.Zt[:m], self.HZt[:m], Y, self.lams, self.b)


def _keep(keep, Zt, Y, xz, op) -> None:
    """Fill ``keep`` (when given) with the basis, coefficients and ``X Z``."""
    if keep is not None:
        keep.update(Zt=Zt, Y=Y, XZ=np.array(xz) if xz else np.zeros((0, op.n)))


class _DirectionChooser:
    """Picks the next direction: the Jacobi-preconditioned residual or the plain one.

    Plain residuals span the Krylov space of ``H`` and ``b``, which is the
    same for every lam (it reproduces multi-shift CG: each vector serves the
    whole grid).  Jacobi-preconditioned ones converge faster for the lam they
    are built for but serve the others less.  Which wins depends on the data;
    measured passes to certify a 50-lam grid: Zipf-scaled synthetic columns
    29 (Jacobi) vs 56 (plain), 41 vs 51; IMDB TF-IDF unigrams and 1-2-grams
    25 vs 14 and 29 vs 14.  The per-step residual reduction at the smallest
    lam tells them apart: Jacobi reduced it 8-70x faster per step than plain
    on the synthetic matrices but only 1.2-1.5x on TF-IDF.  So the first
    ``_TRIAL`` steps are plain, the next ``_TRIAL`` Jacobi, and then the kind
    whose steps are predicted to certify the hardest lam in fewer passes, once
    Jacobi's count is multiplied by ``_SHARING_PENALTY``, is kept.  If Jacobi
    wins every trial vector stays in the basis; if plain wins the Jacobi
    trial vectors are dropped (``_TRIAL`` passes lost) to restore the Krylov
    basis.
    """

    # Steps of each kind in the trial.  Three gives a stable rate (single steps
    # jump) and is below the pass count of any non-trivial path.
    _TRIAL = 3
    # Jacobi vectors serve the other lams less well: on the benchmark grids a
    # Jacobi path needed 2-5x the passes of one Jacobi PCG solve at the
    # smallest lam, a plain path about 1x that of plain CG.  The predicted
    # ratios (plain/Jacobi passes at the smallest lam) were 4.6-6.4 where
    # Jacobi won the path and 1.4-1.5 where plain won: 3 separates them.
    _SHARING_PENALTY = 3.0

    def __init__(self, residual_sq: float):
        self.history = [residual_sq]  # ||r||^2 at the smallest lam after each step
        self.step = 0
        self.kind = 1  # 0: Jacobi, 1: plain
        self.choice = None

    def direction(self, r, diag_h, lam):
        """The next raw direction for the residual ``r`` of the chosen ``lam``."""
        self.step += 1
        if self.choice is not None:
            self.kind = self.choice
        else:
            self.kind = 1 if self.step <= self._TRIAL else 0
        return r / (diag_h + lam) if self.kind == 0 else r.copy()

    @property
    def plain_trial_size(self) -> int:
        """Basis vectors of the plain part of the trial (they come first)."""
        return self._TRIAL

    def record(self, residual_sq: float) -> bool:
        """``||r||^2`` at the smallest lam after the last direction was added.

        Returns True when the trial has just chosen plain residuals: the
        caller then drops the trial's Jacobi vectors (they would break the
        shift invariance of the Krylov basis, which is what makes plain
        residuals serve every lam).
        """
        self.history.append(max(residual_sq, 1e-300))
        t = self._TRIAL
        if self.choice is None and len(self.history) == 2 * t + 1:
            h = np.log(np.array(self.history))
            rate_plain = (h[t] - h[0]) / t  # log ||r||^2 change per step (negative)
            rate_jacobi = (h[2 * t] - h[t]) / t
            if rate_jacobi >= 0 or rate_plain >= 0:
                self.choice = 0 if rate_jacobi < rate_plain else 1
            else:
                # Passes to the same reduction scale like 1 / |rate|.
                plain_passes = 1.0 / -rate_plain
                jacobi_passes = self._SHARING_PENALTY / -rate_jacobi
                self.choice = 1 if plain_passes <= jacobi_passes else 0
            return self.choice == 1
        return False


def _galerkin(G, c, lams):
    """``y_j = (G + lam_j I)^{-1} c`` for every lam, from one eigendecomposition of ``G``."""
    e, U = np.linalg.eigh(G)
    e = np.maximum(e, 0.0)  # G = Z^T H Z is PSD; rounding may leave -eps
    return U @ ((U.T @ c)[:, None] / (e[:, None] + lams[None, :]))


def _residual_sq_estimate(Y, lams, G, HH, c, hb, bb):
    """``||H Z y + lam Z y - b||^2`` per lam from Gram matrices (``Z^T Z = I``)."""
    quad_hh = np.einsum("ij,ij->j", Y, HH @ Y)
    quad_g = np.einsum("ij,ij->j", Y, G @ Y)
    yy = np.einsum("ij,ij->j", Y, Y)
    est = quad_hh + 2 * lams * quad_g + lams**2 * yy - 2 * (hb @ Y) - 2 * lams * (c @ Y) + bb
    return np.maximum(est, 0.0)


# Coordinates per block of the explicit residuals: the (block, L) block stays in
# cache and the (p, L) residual matrix (175 MB for p = 438,654, L = 50) is never
# allocated; freshly allocated pages of that size cost page faults on every call.
_RESIDUAL_BLOCK = 2**14


def _residual_norms_sq(Zt, HZt, Y, lams, b):
    """``||r_j||^2`` of the explicit ``r_j = H Z y_j + lam_j Z y_j - b``, every lam.

    Computed block by block over the ``p`` coordinates (same products, same
    rounding as forming ``R = (H Z) Y + Z Y diag(lam) - b 1^T`` whole).
    """
    YL = Y * lams[None, :]
    out = np.zeros(Y.shape[1])
    for lo in range(0, len(b), _RESIDUAL_BLOCK):
        hi = min(len(b), lo + _RESIDUAL_BLOCK)
        R = HZt[:, lo:hi].T @ Y
        R += Zt[:, lo:hi].T @ YL
        R -= b[lo:hi, None]
        out += np.einsum("ij,ij->j", R, R)
    return out
