"""Throughput of the sparse kernels on a synthetic CSR matrix (docs/architecture.md section 5).

One *pass* over ``X`` reads ``nnz * (itemsize(data) + itemsize(indices))`` bytes;
``track_*_gbps`` report those bytes divided by the median time of several calls, and
``track_gram_fraction_of_stream`` compares the fused ``X^T (d * (X v))`` kernel with the
read bandwidth of the same threads, both measured in the same call, interleaved.

Matrix: 200,000 x 20,000, about 50 nonzeros per row (10M), Zipf-like column
frequencies, int32 indices, data float32 or float64.  The kernels are called directly
on the raw arrays (no validation, no operator): ``partition`` gives the static
per-thread row bounds and ``acc`` is the per-thread float64 scratch.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from fastridge import _kernels as K

from .common import median_seconds, size, synthetic_csr

N_ROWS = size(200_000, 2_000)
N_COLS = size(20_000, 500)
NNZ_PER_ROW = size(50, 10)
K_RHS = 8
# calls per track_ measurement (median taken)
N_REPEAT = size(15, 2)
# stream array: 256 MiB of float64, well beyond the 32 MiB L3
STREAM_LEN = size(32 * 2**20, 2**16)


def _check_threads(n_threads: int) -> None:
    if n_threads > numba.config.NUMBA_NUM_THREADS:
        raise NotImplementedError(
            f"{n_threads} threads requested, Numba has {numba.config.NUMBA_NUM_THREADS}"
        )


class _Threads:
    """``numba.set_num_threads(n)`` for a block, restored in ``finally``."""

    def __init__(self, n_threads: int):
        self.n_threads = n_threads

    def __enter__(self):
        self.previous = numba.get_num_threads()
        numba.set_num_threads(self.n_threads)

    def __exit__(self, *exc):
        numba.set_num_threads(self.previous)
        return False


@njit(parallel=True, nogil=True)
def _stream_read(a, bounds, parts):
    """Sum of ``a`` with one static slice per thread: a pure read of ``a``.

    Eight independent partial sums per thread let the loads run at memory speed
    (a single running sum would be bound by the latency of the additions).
    """
    nt = bounds.shape[0] - 1
    for t in prange(nt):
        lo = bounds[t]
        hi = bounds[t + 1]
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
        i = lo
        while i + 8 <= hi:
            s0 += a[i]
            s1 += a[i + 1]
            s2 += a[i + 2]
            s3 += a[i + 3]
            s4 += a[i + 4]
            s5 += a[i + 5]
            s6 += a[i + 6]
            s7 += a[i + 7]
            i += 8
        while i < hi:
            s0 += a[i]
            i += 1
        parts[t] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


class _KernelCase:
    """The matrix, vectors and scratch for one (dtype, n_threads) pair."""

    params = (["float32", "float64"], [1, 2])
    param_names = ["dtype", "n_threads"]
    timeout = 300

    def setup(self, dtype, n_threads):
        _check_threads(n_threads)
        X = synthetic_csr(N_ROWS, N_COLS, NNZ_PER_ROW)
        self.nt = n_threads
        self.indptr, self.indices = X.indptr, X.indices
        self.data = X.data.astype(dtype)
        n, p = X.shape
        rng = np.random.default_rng(42)
        self.v = rng.standard_normal(p)
        self.u = rng.standard_normal(n)
        self.d = rng.random(n) + 0.5
        self.V = rng.standard_normal((p, K_RHS))
        self.bounds = K.partition(self.indptr, n_threads)
        self.acc = np.empty((n_threads, p))
        self.acc_multi = np.empty((n_threads, p, K_RHS))
        self.out_n = np.empty(n)
        self.out_p = np.empty(p)
        self.out_pk = np.empty((p, K_RHS))
        self.dz = np.empty(n_threads)
        self.dz_multi = np.empty((n_threads, K_RHS))
        self.bytes_per_pass = X.nnz * (self.data.itemsize + self.indices.itemsize)
        # warm-up: load (or compile) every kernel for these types before timing
        with _Threads(self.nt):
            self._matvec()
            self._rmatvec()
            self._gram()
            self._gram_multi()

    def _matvec(self):
        K.cs_major_dot(self.indptr, self.indices, self.data, self.v, self.out_n)

    def _rmatvec(self):
        K.cs_major_scatter(
            self.indptr, self.indices, self.data, self.u, self.bounds, self.acc, self.out_p
        )

    def _gram(self):
        K.cs_gram(
            self.indptr,
            self.indices,
            self.data,
            self.d,
            self.v,
            self.bounds,
            self.acc,
            self.out_p,
            self.dz,
        )

    def _gram_multi(self):
        K.cs_gram_multi(
            self.indptr,
            self.indices,
            self.data,
            self.d,
            self.V,
            self.bounds,
            self.acc_multi,
            self.out_pk,
            self.dz_multi,
        )

    def _gbps(self, fn) -> float:
        with _Threads(self.nt):
            seconds = median_seconds(fn, N_REPEAT)
        return self.bytes_per_pass / seconds / 1e9


class KernelTime(_KernelCase):
    """Wall time of one call of each kernel (one pass over X each)."""

    def time_matvec(self, dtype, n_threads):
        """``X v`` (cs_major_dot on CSR)."""
        with _Threads(self.nt):
            self._matvec()

    def time_rmatvec(self, dtype, n_threads):
        """``X^T u`` (cs_major_scatter on CSR)."""
        with _Threads(self.nt):
            self._rmatvec()

    def time_gram(self, dtype, n_threads):
        """Fused ``X^T (d * (X v))`` in one pass (cs_gram)."""
        with _Threads(self.nt):
            self._gram()

    def time_gram_multi8(self, dtype, n_threads):
        """Fused gram for 8 right-hand sides, reading X once (cs_gram_multi)."""
        with _Threads(self.nt):
            self._gram_multi()


class KernelBandwidth(_KernelCase):
    """Bytes of X read per second (GB/s, 1e9 bytes), median of several calls."""

    def track_matvec_gbps(self, dtype, n_threads):
        return self._gbps(self._matvec)

    track_matvec_gbps.unit = "GB/s"

    def track_rmatvec_gbps(self, dtype, n_threads):
        return self._gbps(self._rmatvec)

    track_rmatvec_gbps.unit = "GB/s"

    def track_gram_gbps(self, dtype, n_threads):
        return self._gbps(self._gram)

    track_gram_gbps.unit = "GB/s"

    def track_gram_multi8_gbps(self, dtype, n_threads):
        return self._gbps(self._gram_multi)

    track_gram_multi8_gbps.unit = "GB/s"

    def track_gram_fraction_of_stream(self, dtype, n_threads):
        """Fused-gram GB/s over the read bandwidth of as many threads, same call.

        The two are timed alternately (one gram call, one stream read, ...) so that
        both see the same machine state; the ratio of the medians is returned.
        """
        stream = Stream()
        stream.setup(n_threads)
        t_gram, t_stream = [], []
        with _Threads(self.nt):
            for _ in range(N_REPEAT):
                t_gram.append(median_seconds(self._gram, 1))
                t_stream.append(median_seconds(stream._read, 1))
        gram_gbps = self.bytes_per_pass / np.median(t_gram) / 1e9
        stream_gbps = stream.nbytes / np.median(t_stream) / 1e9
        return gram_gbps / stream_gbps

    track_gram_fraction_of_stream.unit = "ratio"


class Stream:
    """Read bandwidth of the machine: a parallel Numba sum over a 256 MiB array."""

    params = [1, 2]
    param_names = ["n_threads"]
    timeout = 300

    def setup(self, n_threads):
        _check_threads(n_threads)
        self.nt = n_threads
        self.a = np.ones(STREAM_LEN)
        self.nbytes = self.a.nbytes
        self.bounds = np.linspace(0, STREAM_LEN, n_threads + 1).astype(np.int64)
        self.parts = np.empty(n_threads)
        with _Threads(self.nt):
            self._read()

    def _read(self):
        _stream_read(self.a, self.bounds, self.parts)

    def track_stream_bandwidth(self, n_threads):
        """Bytes read per second (GB/s), median of several passes."""
        with _Threads(self.nt):
            seconds = median_seconds(self._read, N_REPEAT)
        return self.nbytes / seconds / 1e9

    track_stream_bandwidth.unit = "GB/s"

    def track_numpy_sum_bandwidth(self, n_threads):
        """Single-threaded ``numpy.sum`` read bandwidth (GB/s), for reference."""
        seconds = median_seconds(self.a.sum, N_REPEAT)
        return self.nbytes / seconds / 1e9

    track_numpy_sum_bandwidth.unit = "GB/s"
