"""Adversarial cases for the bracketed Newton intercept search (``intercept.py``).

``f(b) = sum_i s_i log(1 + exp(-y_i (z_i + b)))``; the search must return a
``b`` with ``f(b)`` at the rounding level of ``f(b*)``, within the sweep
budget it documents, from any finite start.  References: the root of ``f'``
by bisection in 50-digit arithmetic, ``f`` evaluated in 50 digits.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from fastridge._solvers.logistic import intercept
from fastridge._solvers.logistic.intercept import profile_intercept_and_loss


def _loss_hp(z, y, s, b):
    with mpmath.workdps(50):
        bb = mpmath.mpf(float(b))
        total = mpmath.mpf(0)
        for zi, yi, si in zip(z, y, s):
            if si == 0.0:
                continue
            t = -mpmath.mpf(float(yi)) * (mpmath.mpf(float(zi)) + bb)
            total += mpmath.mpf(float(si)) * mpmath.log1p(mpmath.exp(t))
        return total


def _root_hp(z, y, s):
    """``b*`` by bisection on the exact ``f'`` (50 digits), as an mpf."""
    with mpmath.workdps(50):
        zz = [mpmath.mpf(float(v)) for v in z]

        def slope(b):
            total = mpmath.mpf(0)
            for zi, yi, si in zip(zz, y, s):
                if si:
                    total -= mpmath.mpf(float(si)) * yi / (1 + mpmath.exp(yi * (zi + b)))
            return total

        lo = -max(zz) - 1000
        hi = -min(zz) + 1000
        for _ in range(200):
            mid = (lo + hi) / 2
            if slope(mid) > 0:
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2


def _best_float_loss(z, y, s, b_star):
    """``min f`` over the float64 neighbours of ``b*`` (what a search can reach)."""
    b0 = float(b_star)
    return min(
        _loss_hp(z, y, s, v) for v in (np.nextafter(b0, -np.inf), b0, np.nextafter(b0, np.inf))
    )


class _Counter:
    def __init__(self, monkeypatch):
        self.calls = 0
        original = intercept.binary_loss_db

        def counted(*args):
            self.calls += 1
            return original(*args)

        monkeypatch.setattr(intercept, "binary_loss_db", counted)


def _far_root(case):
    """Margins whose ``b*`` lies 100-700 units from the start 0, in the
    exponential tail of ``f'``: Newton advances ~1 unit a step there while
    ``|f'|`` shrinks by ``e`` a step (so the ``|f'|``-halving safeguard never
    bisects) and stopped at its 100-sweep cap 30-600 units short of ``b*``."""
    rng = np.random.default_rng(case)
    if case == 0:  # intercept-only null model, class weights 1e-30 vs 1e30
        n = 40
        z = np.zeros(n)
        y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
        s = np.where(y > 0, 1e-30, 1e30)
    elif case == 1:  # separable margins +-5, weights over 300 decades
        n = 13
        y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        y[0], y[1] = 1.0, -1.0
        z = 5.0 * y
        s = 10.0 ** rng.uniform(-150, 150, n)
    else:  # nearly separable, two outliers of up to 1e3 flipped, weights over 16 decades
        rng = np.random.default_rng(case)
        n = int(rng.integers(2, 60))
        y = np.where(rng.random(n) < rng.uniform(0.02, 0.98), 1.0, -1.0)
        y[0], y[1] = 1.0, -1.0
        z = y * 10.0 ** rng.uniform(0, 3, n)
        k = rng.integers(0, n, 2)
        z[k] = -z[k]
        s = (
            10.0 ** rng.uniform(-150, 150, n)
            if rng.random() < 0.3
            else 10.0 ** rng.uniform(-8, 8, n)
        )
    return z, y, s


@pytest.mark.parametrize("case", [0, 1, 90, 114, 294])
def test_root_far_in_the_saturated_tail_is_reached(case, monkeypatch):
    z, y, s = _far_root(case)
    b_star = _root_hp(z, y, s)
    assert abs(b_star) > 100  # the premise: far from the start 0
    counter = _Counter(monkeypatch)
    b, f = profile_intercept_and_loss(z, y, s, 0.0)
    f_best = _best_float_loss(z, y, s, b_star)
    excess = float((_loss_hp(z, y, s, b) - f_best) / f_best)
    assert excess <= 1e-13, (b, float(b_star), excess, counter.calls)
    assert abs(f - float(_loss_hp(z, y, s, b))) <= 1e-12 * float(f_best)
    assert counter.calls < intercept._MAX_B_NEWTON, counter.calls


@pytest.mark.parametrize(
    ("b0", "weight"), [(1e15, 1.0), (-1e15, 1.0), (1e40, 1e8), (3e200, 1e150), (-3e200, 1e150)]
)
def test_start_far_outside_the_margin_bracket_moves_into_it(b0, weight, monkeypatch):
    """Saturated start (no curvature): the margin bracket is ~10 wide, far
    below the stopping level ``1e-12 |b0|`` taken at the start, so the
    bracket-width test returned the start itself (``f`` there ~``n |b0|``,
    or inf when ``s |b0|`` overflows) instead of searching inside it."""
    rng = np.random.default_rng(7)
    n = 50
    z = rng.normal(size=n)
    y = np.where(rng.random(n) < 0.4, 1.0, -1.0)
    s = np.full(n, weight)
    b_star = _root_hp(z, y, s)
    counter = _Counter(monkeypatch)
    b, f = profile_intercept_and_loss(z, y, s, b0)
    assert np.isfinite(b) and np.isfinite(f), (b, f)
    f_best = _best_float_loss(z, y, s, b_star)
    excess = float((_loss_hp(z, y, s, b) - f_best) / f_best)
    assert excess <= 1e-13, (b, float(b_star), excess)
    assert abs(f - float(_loss_hp(z, y, s, b))) <= 1e-12 * float(f_best)
    assert counter.calls < intercept._MAX_B_NEWTON, counter.calls
