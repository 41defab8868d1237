"""The per-shift vector update of multi-shift CG (one sweep per active shift).

For every active shift ``s`` (rows of ``Xs`` / ``Ps``), with the base
residual ``r`` of its target ``target[s]``:

    Xs[s] += alpha[s] * Ps[s]
    Ps[s]  = zeta[s] * r + beta[s] * Ps[s]

Both updates read ``Ps[s]`` once (the old direction feeds the solution update
before it is overwritten).  Modifies ``Xs`` and ``Ps`` in place.  Shifts are
independent, so they run in parallel; each row is summed in index order.
"""

from __future__ import annotations

from numba import njit, prange

from ._compressed import serial_clone


@njit(parallel=True, cache=True, nogil=True)
def multishift_update(Xs, Ps, R, target, active, alpha, zeta, beta):
    """Apply the update above to rows ``active`` of ``Xs``/``Ps``; ``R`` is (k, m)."""
    m = Xs.shape[1]
    for a in prange(active.shape[0]):
        s = active[a]
        t = target[s]
        a_s = alpha[s]
        z_s = zeta[s]
        b_s = beta[s]
        for i in range(m):
            p = Ps[s, i]
            Xs[s, i] += a_s * p
            Ps[s, i] = z_s * R[t, i] + b_s * p


#: Serial twin of :func:`multishift_update` (small problems: no thread start-up).
multishift_update_serial = serial_clone(multishift_update)
