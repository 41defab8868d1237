"""Zipf-like column sampling shared by the synthetic matrices of the harness
(:func:`harness.data.make_synthetic`) and of the asv benchmarks
(``benchmarks.common.synthetic_csr``).

Job: :func:`draws_per_row` (how many draws a row needs for a given expected number
of distinct columns) and :func:`row_columns` (the sorted distinct columns of a block
of rows).  Only numpy.  It lives in the asv package because asv imports
nothing but ``benchmarks`` itself; the harness imports it from here.
"""

from __future__ import annotations

import numpy as np


def draws_per_row(q: np.ndarray, nnz_per_row: int, distinct: float) -> int:
    """The number k >= ``nnz_per_row`` (at most ``10 * nnz_per_row``) of draws with
    column probabilities ``q`` whose expected count of distinct columns reaches
    ``distinct``."""
    k = nnz_per_row
    while k < 10 * nnz_per_row and np.sum(-np.expm1(k * np.log1p(-q))) < distinct:
        k += 1
    return k


def row_columns(rng, cdf: np.ndarray, perm: np.ndarray, m: int, k: int):
    """``(columns, counts)`` of ``m`` rows of ``k`` draws each: a draw is the column
    ``perm[rank]``, rank drawn from ``cdf`` with ``rng``; each row's columns sorted,
    duplicates dropped; ``columns`` the rows' columns one after another, ``counts``
    how many each row has."""
    ranks = np.searchsorted(cdf, rng.random((m, k)), side="right")
    np.minimum(ranks, len(perm) - 1, out=ranks)
    cols = np.sort(perm[ranks], axis=1)
    keep = np.ones((m, k), dtype=bool)
    keep[:, 1:] = cols[:, 1:] != cols[:, :-1]
    return cols[keep], keep.sum(axis=1)
