"""Numba kernel for the binary logistic loss in the intercept direction.

For margins ``m_i = z_i + b``, labels ``y_i in {-1, +1}`` and weights ``s_i``:

    f(b)   = sum_i s_i log(1 + exp(-y_i m_i))
    f'(b)  = -sum_i s_i y_i sigma(-y_i m_i)
    f''(b) = sum_i s_i sigma(y_i m_i) sigma(-y_i m_i)

computed together in one sweep with one ``exp`` and one ``log1p`` per sample,
overflow-free for any ``m`` (the exponent is always ``-|t|``).  This replaces
four NumPy sweeps with transcendental functions per Newton step of the 1-D
intercept problem, which dominated small fits (a9a: 65% of the time).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def binary_loss_db(z, y, s, b):
    """``(f(b), f'(b), f''(b))`` above; ``z``, ``y``, ``s`` are float64 (n,), not modified."""
    f = 0.0
    g = 0.0
    h = 0.0
    for i in range(z.shape[0]):
        t = y[i] * (z[i] + b)
        e = np.exp(-abs(t))  # in (0, 1]
        if t > 0.0:
            loss = np.log1p(e)  # log(1 + exp(-t))
            sig_neg = e / (1.0 + e)  # sigma(-t)
        else:
            loss = -t + np.log1p(e)
            sig_neg = 1.0 / (1.0 + e)
        si = s[i]
        f += si * loss
        g -= si * y[i] * sig_neg
        h += si * sig_neg * (1.0 - sig_neg)
    return f, g, h
