"""The profiled binary intercept ``b* = argmin_b f(b)`` (``_solvers/logistic/intercept.py``).

``f(b) = sum_i s_i log(1 + exp(-y_i (z_i + b)))``.  The search must reach
``f(b*)`` to the level its stopping rule promises on adversarial margins
(spreads from 1e-3 to 1e8, weights over 16 decades, starts 1e9 away, no
curvature at the start), and must not spend sweeps fighting the rounding of
``f`` next to ``b*`` (w8a at ``lam = 0.01``: 3,400 sweeps a fit before).
References: the root of ``f'`` by scipy's ``brentq`` to 1e-15 relative, and
``f`` itself evaluated in 40-digit arithmetic at both points.  (The w8a
case itself, which no synthetic margins here reproduced, is
``tests/test_logistic_data.py::test_real_w8a_small_lam_intercept_search_is_cheap``.)
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import expit

from fastridge._solvers.logistic import intercept
from fastridge._solvers.logistic.intercept import B_STEP_RTOL, profile_intercept_and_loss


def _slope(z, y, s, b):
    return float(-(s * y * expit(-y * (z + b))).sum())


def _loss_hp(z, y, s, b):
    """``f(b)`` with every float converted exactly and summed in 40 digits."""
    with mpmath.workdps(40):
        bb = mpmath.mpf(float(b))
        total = mpmath.mpf(0)
        for zi, yi, si in zip(z, y, s):
            t = -mpmath.mpf(float(yi)) * (mpmath.mpf(float(zi)) + bb)
            total += mpmath.mpf(float(si)) * mpmath.log1p(mpmath.exp(t))
        return total


def _root(z, y, s):
    def slope(b):
        return _slope(z, y, s, b)

    return brentq(slope, -1e12, 1e12, xtol=1e-300, rtol=8.9e-16, maxiter=3000)


class _Counter:
    """Counts the loss sweeps of one search (one ``binary_loss_db`` call each)."""

    def __init__(self, monkeypatch):
        self.calls = 0
        original = intercept.binary_loss_db

        def counted(*args):
            self.calls += 1
            return original(*args)

        monkeypatch.setattr(intercept, "binary_loss_db", counted)


def _adversarial(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 120))
    scale = 10.0 ** rng.uniform(-3, 6)
    z = rng.normal(size=n) * scale + rng.normal() * 10.0 ** rng.uniform(-2, 8)
    y = np.where(rng.random(n) < rng.uniform(0.05, 0.95), 1.0, -1.0)
    y[0], y[1] = 1.0, -1.0  # both classes present
    s = 10.0 ** rng.uniform(-8, 8, size=n) if seed % 2 else np.ones(n)
    b0 = rng.normal() * 10.0 ** rng.uniform(-2, 9)
    return z, y, s, b0


@pytest.mark.parametrize("seed", range(60))
def test_reaches_the_minimum_from_anywhere(seed, monkeypatch):
    """``f(b) - f(b*) <= S * B_STEP_RTOL * max(1, |b*|)`` plus the rounding of ``f``.

    ``|f'| <= S = sum s``, so the promised step level bounds the excess; the
    old value-based search stopped at its start (no curvature: saturated
    margins) or walked to 1e178 on some of these.
    """
    z, y, s, b0 = _adversarial(seed)
    counter = _Counter(monkeypatch)
    b, f = profile_intercept_and_loss(z, y, s, b0)
    b_ref = _root(z, y, s)
    f_b, f_ref = _loss_hp(z, y, s, b), _loss_hp(z, y, s, b_ref)
    allowed = float(s.sum()) * B_STEP_RTOL * max(1.0, abs(b_ref)) + 1e-13 * float(f_ref)
    assert float(f_b - f_ref) <= allowed, (b, b_ref, float(f_b), float(f_ref))
    # the returned loss is f at the returned b (to rounding, or the last evaluated point)
    assert abs(f - float(f_b)) <= 1e-12 * float(f_b) + allowed
    assert counter.calls <= intercept._MAX_B_NEWTON + 1


@pytest.mark.parametrize("seed", range(8))
def test_next_to_the_root_costs_two_or_three_sweeps(seed, monkeypatch):
    """From 1e-8..1e-4 off ``b*`` on 50,000 rows: Newton's first step lands at
    the rounding level of ``f'``; the search must then stop, not bisect down
    a bracket whose end is that step (a step below ``ulp(b)`` leaves
    ``b_new == b``, on the bracket's end: a first version of the bracketed
    search did that and took up to 16 sweeps here)."""
    rng = np.random.default_rng(seed)
    n = 50_000
    z = rng.normal(size=n) * 3.0
    y = np.where(rng.random(n) < expit(z - 2.0), 1.0, -1.0)
    s = np.ones(n)
    b_ref = _root(z, y, s)
    counter = _Counter(monkeypatch)
    b, _ = profile_intercept_and_loss(z, y, s, b_ref + 10.0 ** rng.uniform(-8, -4))
    assert counter.calls <= 3
    assert abs(b - b_ref) <= 1e-12 * max(1.0, abs(b_ref))


@pytest.mark.parametrize("missing", [1.0, -1.0])
def test_a_class_without_weight_stops(missing, monkeypatch):
    """One class of zero total weight: ``b* = -+inf``; the search stops after
    a few Newton steps (empty margin bracket) instead of walking outwards by
    ~1 unit a step for all 100 iterations."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=50)
    y = np.where(rng.random(50) < 0.5, 1.0, -1.0)
    s = np.where(y == missing, 0.0, 1.0)
    counter = _Counter(monkeypatch)
    b, f = profile_intercept_and_loss(z, y, s, 0.0)
    assert np.isfinite(b) and np.isfinite(f)
    assert counter.calls <= intercept._SLOW_B_STEPS + 2
    # it moved the right way: f decreased from f(0)
    assert f <= float(_loss_hp(z, y, s, 0.0)) * (1 + 1e-15)


@pytest.mark.parametrize("n", [0, 1, 4095, 4096, 4097, 3 * 4096 + 17, 50_000])
def test_loss_sweep_same_bits_threaded_or_not(n):
    """The chunked sums of ``binary_loss_db``: threaded (any thread count) and
    serial give the same bits, and agree with a 40-digit reference."""
    import numba

    from fastridge._fit.threads import numba_threads
    from fastridge._kernels import _binary_loss as BL

    rng = np.random.default_rng(n)
    z = rng.normal(size=n) * 30.0
    y = np.where(rng.random(n) < 0.4, 1.0, -1.0)
    s = 10.0 ** rng.uniform(-3, 3, size=n)
    serial = BL._binary_loss_db_serial(z, y, s, 0.25)
    for nt in sorted({1, 2, numba.config.NUMBA_NUM_THREADS}):
        with numba_threads(nt):
            assert BL._binary_loss_db_threaded(z, y, s, 0.25) == serial
            assert BL.binary_loss_db(z, y, s, 0.25) == serial
    if n <= 5000:
        f_ref = float(_loss_hp(z, y, s, 0.25))
        assert abs(serial[0] - f_ref) <= 1e-13 * abs(f_ref) + 1e-300
        assert abs(serial[1] - _slope(z, y, s, 0.25)) <= 1e-12 * float(s.sum())
