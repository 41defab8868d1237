"""The float64 rounding machinery behind sound ridge certificates (issue 10, point 1).

End-to-end soundness against high-precision references is in test_soundness.py;
these tests pin the pieces: compensated kernels, the careful setup pass, the
exact power-of-two rescaling and the X magnitude limits.
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

import fastridge
from fastridge._kernels import _dd
from fastridge._operators.design import DesignOperator


def _exact_dot(a, b) -> Fraction:
    return sum((Fraction(float(x)) * Fraction(float(y)) for x, y in zip(a, b)), Fraction(0))


def test_dd_dot_is_twice_precise_on_a_cancelling_sum():
    rng = np.random.default_rng(0)
    a = np.concatenate([1e8 + rng.standard_normal(500), -(1e8 + rng.standard_normal(500))])
    b = np.ones(1000)
    hi, lo = _dd.dd_dot(a, b)
    exact = _exact_dot(a, b)
    assert abs(Fraction(hi) + Fraction(lo) - exact) <= 1e-20 * sum(abs(Fraction(x)) for x in a)
    # plain float64 summation is far off on the same data
    assert abs(Fraction(float(np.sum(a))) - exact) > 1e-12


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_careful_setup_centres_exactly_when_means_dwarf_spread(fmt):
    rng = np.random.default_rng(1)
    X = 1e8 + rng.standard_normal((50, 4))
    y = rng.standard_normal(50)
    s = rng.uniform(0.5, 2.0, 50)
    Xv = X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)
    from fastridge._fit.validation import check_X

    yc = y - s @ y / s.sum()
    op = DesignOperator(check_X(Xv), s, True, 1, targets=yc[:, None])
    assert op.careful
    mu = [sum(Fraction(float(si)) * Fraction(float(x)) for si, x in zip(s, col)) for col in X.T]
    S = sum(Fraction(float(si)) for si in s)
    for j in range(4):
        m = mu[j] / S
        exact = sum(
            Fraction(float(si)) * (Fraction(float(x)) - m) ** 2 for si, x in zip(s, X[:, j])
        )
        assert abs(Fraction(op.col_sq_norms()[j]) - exact) <= 1e-12 * exact
    B_exact = X.T @ (s * yc) - op.mu * (s @ yc)  # float64, for scale only
    assert np.all(np.isfinite(op.xt_s_targets)) and B_exact.shape == (4,)


def test_ordinary_data_does_not_take_the_careful_path():
    rng = np.random.default_rng(2)
    X = 3.0 + rng.standard_normal((40, 5))
    y = rng.standard_normal(40)
    from fastridge._fit.validation import check_X

    op = DesignOperator(check_X(X), None, True, 1, targets=(y - y.mean())[:, None])
    assert not op.careful


@pytest.mark.parametrize("solver", ["cg", "direct", "auto"])
def test_power_of_two_rescaling_is_exact(solver):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 4))
    y = rng.standard_normal(30)
    ref = fastridge.ridge(X, y, 1.0, solver=solver)
    big = fastridge.ridge(X, np.ldexp(y, 400), 1.0, solver=solver)
    # same fit, exponents shifted (the rescaling is by powers of two)
    np.testing.assert_array_equal(big.coef, np.ldexp(ref.coef, 400))
    assert big.converged and big.certificate <= big.tol * big.p_null


@pytest.mark.parametrize("scale", [1e160, 1e-300])
def test_unrepresentable_objective_is_reported_not_certified(scale):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 4))
    y = rng.standard_normal(30)
    with pytest.warns(ConvergenceWarning, match="flows float64"):
        res = fastridge.ridge(X, y * scale, 1.0)
    assert not res.converged
    ref = fastridge.ridge(X, y, 1.0)
    np.testing.assert_allclose(res.coef, ref.coef * scale, rtol=1e-12)


@pytest.mark.parametrize("factor", [1e160, 1e300, 1e-160])
def test_extreme_X_is_refused_with_a_clear_message(factor):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((20, 3)) * factor
    with pytest.raises(ValueError, match="rescale X"):
        fastridge.ridge(X, rng.standard_normal(20), 1.0)


def test_huge_weights_are_certified():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((40, 6))
    y = rng.standard_normal(40)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = fastridge.ridge(X, y, 1.0, sample_weight=np.full(40, 1e300))
    assert res.converged
    # lam is negligible: the least-squares solution
    Xc, yc = X - X.mean(0), y - y.mean()
    np.testing.assert_allclose(res.coef, np.linalg.lstsq(Xc, yc, rcond=None)[0], rtol=1e-10)


def test_float32_storage_widens_the_certificate():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((50, 5)).astype(np.float32)
    y = rng.standard_normal(50)
    est = fastridge.Ridge(alpha=1.0).fit(X, y)
    assert est.coef_.dtype == np.float32
    assert est.certificate_ >= est.result_.certificate


def test_each_target_gets_its_own_scale():
    """A tiny target beside a huge one is certified (a shared scale underflowed it)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 3))
    tiny = 1e-140 * (X @ [1.0, 2.0, 3.0] + rng.standard_normal(10))
    y = np.c_[1e40 * rng.standard_normal(10), tiny]
    res = fastridge.ridge(X, y, 1.0)
    alone = fastridge.ridge(X, tiny, 1.0)
    assert res.converged and res.p_null[1] > 0
    np.testing.assert_allclose(res.coef[1], alone.coef, rtol=1e-12)
