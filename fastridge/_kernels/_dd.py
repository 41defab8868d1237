"""Compensated ("double-double") kernels for the careful passes of a ridge fit.

Used only where float64 products cancel: columns whose mean dwarfs their
spread (the setup moments, :func:`dd_moments_major_scatter` /
:func:`dd_moments_major_dot`) and the final certification of a fit whose
float64 gradient cannot be trusted to the accuracy ``tol`` asks for
(:func:`dd_gradient_rows` / :func:`dd_gradient_cols`).

Every sum is accumulated as an unevaluated pair ``hi + lo`` with error-free
transformations (Ogita, Rump and Oishi, "Accurate sum and dot product",
SIAM J. Sci. Comput. 26, 2005, algorithm Dot2):

* ``two_sum(a, b) = (s, e)`` with ``s = fl(a + b)`` and ``s + e = a + b`` exactly;
* ``two_prod(a, b) = (p, e)`` with ``p = fl(a b)`` and ``p + e = a b`` exactly
  (Dekker's split, valid while ``|a|, |b| < 2^996``; fastridge refuses ``X``
  outside ``1e-100 .. 1e100`` and rescales ``y`` and the weights, so the
  operands stay far inside);

so a dot product of length ``m`` is as accurate as if computed in twice the
working precision and then rounded: error at most ``u |result| + gamma_m^2
sum |terms|`` with ``u = 2^-53``.  No ``fastmath``: reassociating or
contracting these expressions would destroy the compensation.

The kernels are serial (they run once per fit, and only when needed); the
layout conventions are those of :mod:`fastridge._kernels._compressed`
(``M[i, indices[k]] = data[k]`` over slice ``i``).  A dense C-contiguous ``X``
is passed as ``data = X.ravel()`` with ``indptr = p * arange(n + 1)`` and
``dense = True`` (then the minor index of entry ``k`` is ``k - indptr[i]``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Dekker's splitting constant 2^27 + 1 for float64 (53-bit significand).
_SPLITTER = 134217729.0


@njit(cache=True, nogil=True, inline="always")
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@njit(cache=True, nogil=True, inline="always")
def _split(a):
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


@njit(cache=True, nogil=True, inline="always")
def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


@njit(cache=True, nogil=True, inline="always")
def _add_prod(hi, lo, a, b):
    """``(hi, lo) + a * b`` (Dot2 step: the product's and the sum's errors go to ``lo``)."""
    p, e = _two_prod(a, b)
    s, e2 = _two_sum(hi, p)
    return s, lo + (e + e2)


@njit(cache=True, nogil=True, inline="always")
def _add_prod_dd(hi, lo, a_hi, a_lo, b):
    """``(hi, lo) + (a_hi + a_lo) * b`` with ``a`` itself a pair."""
    hi, lo = _add_prod(hi, lo, a_hi, b)
    return hi, lo + a_lo * b


@njit(cache=True, nogil=True)
def dd_dot(a, b):
    """``sum_j a_j b_j`` as a pair ``(hi, lo)`` (twice-the-precision accuracy)."""
    hi = 0.0
    lo = 0.0
    for j in range(a.shape[0]):
        hi, lo = _add_prod(hi, lo, np.float64(a[j]), np.float64(b[j]))
    return hi, lo


@njit(cache=True, nogil=True, inline="always")
def _minor(indices, k, lo, dense):
    # np.int64: an unsigned (uint64) index view would unify with k - lo to float64.
    return k - lo if dense else np.int64(indices[k])


@njit(cache=True, nogil=True)
def _finish_moments(a1h, a1l, a2h, a2l, aBh, aBl, Sh, Sl, syh, syl, center, out):
    """Column ``j`` of :func:`dd_moments_major_scatter` from its pair sums.

    ``mean = (s . x) / S``; ``centred = sum s x^2 - 2 mean (s . x) + S mean^2``
    and ``B_r = sum SY_r x - mean sum SY_r``, every product and sum as a pair.
    """
    m = out.shape[0]
    k = aBh.shape[1]
    for j in range(m):
        mean = (a1h[j] + a1l[j]) / (Sh + Sl) if center else 0.0
        h, lo = a2h[j], a2l[j]
        out[j, 2] = h + lo
        h, lo = _add_prod_dd(h, lo, a1h[j], a1l[j], -2.0 * mean)
        # S mean^2 with S = sum s as a pair too: its float64 rounding times
        # mean^2 would be as large as the centred norm itself.
        sm_h, sm_l = _two_prod(Sh, mean)
        sm_l += Sl * mean
        h, lo = _add_prod_dd(h, lo, sm_h, sm_l, mean)
        out[j, 0] = mean
        out[j, 1] = max(h + lo, 0.0)
        for r in range(k):
            bh, bl = _add_prod_dd(aBh[j, r], aBl[j, r], syh[r], syl[r], -mean)
            out[j, 3 + r] = bh + bl


@njit(cache=True, nogil=True)
def _sum_rows(s, SY):
    """``(S_hi, S_lo, sum_i SY[i, :] hi, lo)``: the sums as pairs."""
    n, k = SY.shape
    Sh = 0.0
    Sl = 0.0
    syh = np.zeros(k)
    syl = np.zeros(k)
    for i in range(n):
        Sh, e = _two_sum(Sh, s[i])
        Sl += e
        for r in range(k):
            h, e = _two_sum(syh[r], SY[i, r])
            syh[r] = h
            syl[r] += e
    return Sh, Sl, syh, syl


@njit(cache=True, nogil=True, inline="always")
def _moment_entry(a1h, a1l, a2h, a2l, aBh, aBl, j, si, x, SY, i):
    """Add entry ``X_ij = x`` (row weight ``si``) to column ``j``'s pair sums."""
    th, tl = _two_prod(si, x)
    h, e = _two_sum(a1h[j], th)
    a1h[j] = h
    a1l[j] += e + tl
    h, lo = _add_prod_dd(a2h[j], a2l[j], th, tl, x)
    a2h[j] = h
    a2l[j] = lo
    for r in range(SY.shape[1]):
        h, lo = _add_prod(aBh[j, r], aBl[j, r], SY[i, r], x)
        aBh[j, r] = h
        aBl[j, r] = lo


@njit(cache=True, nogil=True)
def _zero_moments(p, k):
    """The pair accumulators of the moment kernels, zeroed: ``a1``, ``a2`` (p,), ``aB`` (p, k)."""
    return np.zeros(p), np.zeros(p), np.zeros(p), np.zeros(p), np.zeros((p, k)), np.zeros((p, k))


@njit(cache=True, nogil=True)
def _zero_sums(k, rsq):
    """Zero ``rsq`` (k,); return the pair accumulator ``(rs_h, rs_l)`` of ``1^T S e``, zeroed."""
    for r in range(k):
        rsq[r] = 0.0
    return np.zeros(k), np.zeros(k)


@njit(cache=True, nogil=True)
def dd_moments_major_scatter(indptr, indices, data, dense, s, SY, center, out):
    """Accurate centred column moments of a CSR (or dense) ``X``, one serial pass.

    ``out`` (p, 3 + k): ``[:, 0]`` the weighted means ``mu_j = sum_i s_i X_ij / S``
    (0 when not ``center``), ``[:, 1]`` the centred squared norms
    ``sum_i s_i (X_ij - mu_j)^2``, ``[:, 2]`` the raw ones ``sum_i s_i X_ij^2``,
    ``[:, 3 + r]`` the centred products ``sum_i SY_ir (X_ij - mu_j)``.  Each is
    the rounding of a pair sum: right to a few units of roundoff however much
    the raw sums cancel.
    """
    a1h, a1l, a2h, a2l, aBh, aBl, Sh, Sl, syh, syl = dd_moment_sums_rows(
        indptr, indices, data, dense, s, SY, out.shape[0]
    )
    _finish_moments(a1h, a1l, a2h, a2l, aBh, aBl, Sh, Sl, syh, syl, center, out)


@njit(cache=True, nogil=True)
def dd_moment_sums_rows(indptr, indices, data, dense, s, SY, p):
    """The pair sums behind :func:`dd_moments_major_scatter`, unfinished (CSR or dense rows).

    Returns ``(a1h, a1l, a2h, a2l, aBh, aBl, Sh, Sl, syh, syl)``: the pairs of
    ``sum_i s_i X_ij``, ``sum_i s_i X_ij^2``, ``sum_i SY_ir X_ij`` (p,), (p,),
    (p, k), of ``S = sum_i s_i`` and of ``sum_i SY_ir`` (k,).  Row blocks of one
    ``X`` add their pairs (hi by two-sum, lo plainly) and finish once with the
    global sums (:func:`_finish_moments`): a distributed ``X`` gets the same
    moments to a few units of roundoff.
    """
    a1h, a1l, a2h, a2l, aBh, aBl = _zero_moments(p, SY.shape[1])
    n = indptr.shape[0] - 1
    for i in range(n):
        si = s[i]
        lo_k = indptr[i]
        for kk in range(lo_k, indptr[i + 1]):
            j = _minor(indices, kk, lo_k, dense)
            _moment_entry(a1h, a1l, a2h, a2l, aBh, aBl, j, si, np.float64(data[kk]), SY, i)
    Sh, Sl, syh, syl = _sum_rows(s, SY)
    return a1h, a1l, a2h, a2l, aBh, aBl, Sh, Sl, syh, syl


@njit(cache=True, nogil=True)
def dd_moments_major_dot(indptr, indices, data, s, SY, center, out):
    """:func:`dd_moments_major_scatter` for a CSC ``X`` (slices are columns)."""
    p = out.shape[0]
    a1h, a1l, a2h, a2l, aBh, aBl = _zero_moments(p, SY.shape[1])
    for j in range(p):
        for kk in range(indptr[j], indptr[j + 1]):
            i = indices[kk]
            _moment_entry(a1h, a1l, a2h, a2l, aBh, aBl, j, s[i], np.float64(data[kk]), SY, i)
    Sh, Sl, syh, syl = _sum_rows(s, SY)
    _finish_moments(a1h, a1l, a2h, a2l, aBh, aBl, Sh, Sl, syh, syl, center, out)


@njit(cache=True, nogil=True, inline="always")
def _residual(yc, zh, zl, ch, cl):
    """``yc - z + c`` from pairs, rounded once."""
    h, e = _two_sum(-zh, yc)
    lo = e - zl
    h, e = _two_sum(h, ch)
    return h + (lo + e + cl)


@njit(cache=True, nogil=True)
def _finish_gradient(acc_h, acc_l, rs_h, rs_l, mu, W, lam, G):
    """``G_jr = lam_r W_jr - (acc_jr - mu_j rs_r)``, every step on pairs."""
    p, k = G.shape
    for j in range(p):
        for r in range(k):
            h, lo = _add_prod_dd(acc_h[j, r], acc_l[j, r], rs_h[r], rs_l[r], -mu[j])
            h, lo = _add_prod(-h, -lo, lam[r], W[j, r])
            G[j, r] = h + lo


@njit(cache=True, nogil=True)
def dd_gradient_rows(indptr, indices, data, dense, s, Yc, W, mu, c_hi, c_lo, lam, G, rsq):
    """Ridge gradient ``g = lam w - Xc^T S (yc - Xc w)`` per target, in pairs (CSR/dense).

    For each row ``i`` and target ``r``: ``z = x_i . w_r`` as a pair, the
    residual ``e_i = yc_i - z + c_r`` (``c_r = mu . w_r`` given as a pair)
    rounded once, then ``acc_j += (s_i e_i) x_ij`` and ``rs += s_i e_i`` as
    pairs; finally ``g = lam w - (acc - mu rs)``, i.e. ``Xc^T S e = X^T S e -
    mu (1^T S e)`` without the cancellation of the float64 formula.  Writes
    ``G`` (p, k) and ``rsq[r] = sum_i s_i e_i^2``.  One serial pass.
    """
    acc_h, acc_l, rs_h, rs_l = dd_gradient_sums_rows(
        indptr, indices, data, dense, s, Yc, W, c_hi, c_lo, rsq
    )
    _finish_gradient(acc_h, acc_l, rs_h, rs_l, mu, W, lam, G)


@njit(cache=True, nogil=True)
def dd_gradient_sums_rows(indptr, indices, data, dense, s, Yc, W, c_hi, c_lo, rsq):
    """The pair sums behind :func:`dd_gradient_rows`, unfinished.

    Returns ``(acc_h, acc_l, rs_h, rs_l)``, the pairs of ``X^T S e`` (p, k) and
    ``1^T S e`` (k,) with ``e_i = yc_i - x_i . w + c`` (``c = mu . w``, given
    as a pair), and writes ``rsq[r] = sum_i s_i e_i^2``.  Row blocks add
    their pairs and finish once (:func:`_finish_gradient`).
    """
    p, k = W.shape
    n = indptr.shape[0] - 1
    acc_h = np.zeros((p, k))
    acc_l = np.zeros((p, k))
    rs_h, rs_l = _zero_sums(k, rsq)
    for i in range(n):
        lo_k = indptr[i]
        hi_k = indptr[i + 1]
        si = s[i]
        for r in range(k):
            zh = 0.0
            zl = 0.0
            for kk in range(lo_k, hi_k):
                j = _minor(indices, kk, lo_k, dense)
                zh, zl = _add_prod(zh, zl, np.float64(data[kk]), W[j, r])
            e = _residual(Yc[i, r], zh, zl, c_hi[r], c_lo[r])
            th, tl = _two_prod(si, e)
            h, er = _two_sum(rs_h[r], th)
            rs_h[r] = h
            rs_l[r] += er + tl
            rsq[r] += si * e * e
            if th != 0.0:
                for kk in range(lo_k, hi_k):
                    j = _minor(indices, kk, lo_k, dense)
                    h, lo = _add_prod_dd(acc_h[j, r], acc_l[j, r], th, tl, np.float64(data[kk]))
                    acc_h[j, r] = h
                    acc_l[j, r] = lo
    return acc_h, acc_l, rs_h, rs_l


@njit(cache=True, nogil=True)
def dd_gradient_cols(indptr, indices, data, s, Yc, W, mu, c_hi, c_lo, lam, G, rsq):
    """:func:`dd_gradient_rows` for a CSC ``X``: ``X w`` by a scatter, then column dots."""
    p, k = W.shape
    n = Yc.shape[0]
    zh = np.zeros((n, k))
    zl = np.zeros((n, k))
    for j in range(p):
        for kk in range(indptr[j], indptr[j + 1]):
            i = indices[kk]
            x = np.float64(data[kk])
            for r in range(k):
                h, lo = _add_prod(zh[i, r], zl[i, r], x, W[j, r])
                zh[i, r] = h
                zl[i, r] = lo
    th = np.empty((n, k))
    tl = np.empty((n, k))
    rs_h, rs_l = _zero_sums(k, rsq)
    for i in range(n):
        for r in range(k):
            e = _residual(Yc[i, r], zh[i, r], zl[i, r], c_hi[r], c_lo[r])
            a, b = _two_prod(s[i], e)
            th[i, r] = a
            tl[i, r] = b
            h, er = _two_sum(rs_h[r], a)
            rs_h[r] = h
            rs_l[r] += er + b
            rsq[r] += s[i] * e * e
    acc_h = np.zeros((p, k))
    acc_l = np.zeros((p, k))
    for j in range(p):
        for kk in range(indptr[j], indptr[j + 1]):
            i = indices[kk]
            x = np.float64(data[kk])
            for r in range(k):
                h, lo = _add_prod_dd(acc_h[j, r], acc_l[j, r], th[i, r], tl[i, r], x)
                acc_h[j, r] = h
                acc_l[j, r] = lo
    _finish_gradient(acc_h, acc_l, rs_h, rs_l, mu, W, lam, G)
