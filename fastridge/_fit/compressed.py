"""The validated sparse matrix: CSR or CSC as its three arrays (no scipy object)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Compressed:
    """A validated CSR or CSC matrix as its three arrays (shared with the caller's).

    ``rounded`` marks a :func:`canonical_copy` some of whose values are the
    float64 nearest to the exact sum of duplicates rather than that sum: the
    caller's matrix is then ``X + E`` with ``|E_ij| <= u |X_ij|``
    (``u = 2^-53``), which the certificates include.
    """

    format: str  # "csr" or "csc"
    shape: tuple[int, int]
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    rounded: bool = False

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])
