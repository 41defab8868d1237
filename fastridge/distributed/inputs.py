"""Building a :class:`~.handle.DistributedX`: from a client matrix, a dask array, or shards.

The blocks are validated where they are built, with the single-machine rules
(:func:`fastridge._fit.validation.check_X`: finite values, a sound structure,
duplicates summed exactly), so the operators can trust them as they trust a
validated ``X``.
"""

from __future__ import annotations

import numpy as np

from .._fit.compressed import Compressed
from .._fit.validation import check_X
from .handle import BlockSource, DistributedX, ShardError

# Default blocks per worker thread when the caller does not choose: one.  A
# block's tasks run where the block is held, so more blocks per thread balance
# nothing, and each costs a task and a tree node per pass: case A on a
# LocalCluster of 2 single-threaded workers, a Gram pass took 89 ms with 4
# blocks and 60 ms with 2 (one process, 2 threads: 48 ms).
BLOCKS_PER_THREAD = 1


def _n_threads(client) -> int:
    info = client.scheduler_info(**_all_workers(client))
    return max(1, sum(int(w.get("nthreads", 1)) for w in info["workers"].values()))


def _takes_n_workers(client) -> bool:
    import inspect

    return "n_workers" in inspect.signature(client.scheduler_info).parameters


def _as_rows(Xv):
    """A validated ``X`` in row layout: dense as is, CSR as is, CSC converted (a copy)."""
    if isinstance(Xv, np.ndarray) or Xv.format == "csr":
        return Xv
    import scipy.sparse as sp

    M = sp.csc_matrix((Xv.data, Xv.indices, Xv.indptr), shape=Xv.shape).tocsr()
    return Compressed("csr", Xv.shape, M.data, M.indices, M.indptr, Xv.rounded)


def _contiguous(client, n_blocks: int) -> dict:
    """``{worker address: block indices}``: consecutive blocks on the same worker.

    The reduction tree adds blocks ``2i`` and ``2i + 1`` first: with
    neighbours on one worker its lower levels move nothing over the network.
    """
    workers = sorted(client.scheduler_info(**_all_workers(client))["workers"])
    if not workers:
        raise RuntimeError("the Dask cluster has no workers")
    out: dict = {}
    for b in range(n_blocks):
        out.setdefault(workers[b * len(workers) // max(n_blocks, 1)], []).append(b)
    return out


def _all_workers(client) -> dict:
    return {"n_workers": -1} if _takes_n_workers(client) else {}


def row_block(Xv, a: int, b: int):
    """Rows ``a:b`` of a validated dense or CSR ``X`` (views of its values and indices)."""
    if isinstance(Xv, np.ndarray):
        return Xv[a:b]
    lo, hi = int(Xv.indptr[a]), int(Xv.indptr[b])
    indptr = np.asarray(Xv.indptr[a : b + 1]) - Xv.indptr[a]
    return Compressed(
        "csr", (b - a, Xv.shape[1]), Xv.data[lo:hi], Xv.indices[lo:hi], indptr, Xv.rounded
    )


def even_offsets(n: int, n_blocks: int) -> np.ndarray:
    """Row offsets of ``n_blocks`` blocks of (nearly) equal size."""
    return np.linspace(0, n, n_blocks + 1).round().astype(np.int64)


def scatter(X, client, n_blocks: int | None = None, *, row_offsets=None) -> DistributedX:
    """``X`` from the client, validated there and scattered to the workers in row blocks.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix (n, p)
    client : distributed.Client
    n_blocks : int, optional
        Default: one per worker thread of the cluster (``BLOCKS_PER_THREAD``).
    row_offsets : array of int, optional
        The partition itself (``0 = o_0 <= o_1 <= ... = n``); empty blocks are
        allowed.  Overrides ``n_blocks``.

    The client keeps views of the blocks (no copy of the values) to scatter a
    block again when the worker holding it dies.  A CSC ``X`` is converted to
    CSR first (one copy on the client: the blocks are rows).
    """
    Xv = _as_rows(check_X(X))
    n = Xv.shape[0]
    if row_offsets is None:
        if n_blocks is None:
            n_blocks = BLOCKS_PER_THREAD * _n_threads(client)
        if isinstance(n_blocks, bool) or int(n_blocks) != n_blocks or n_blocks < 1:
            raise ValueError(f"n_blocks must be a positive integer, got {n_blocks!r}")
        row_offsets = even_offsets(n, int(n_blocks))
    raw = np.asarray(row_offsets)
    offsets = raw.astype(np.int64)
    if (
        raw.ndim != 1
        or len(offsets) < 2
        or not np.array_equal(offsets, raw)
        or offsets[0] != 0
        or offsets[-1] != n
        or np.any(np.diff(offsets) < 0)
    ):
        raise ValueError(f"row_offsets must be integers rising from 0 to n = {n}")
    parts = [row_block(Xv, int(offsets[b]), int(offsets[b + 1])) for b in range(len(offsets) - 1)]
    futures = [None] * len(parts)
    for worker, blocks in _contiguous(client, len(parts)).items():
        scattered = client.scatter([parts[b] for b in blocks], workers=[worker], hash=False)
        for b, fut in zip(blocks, scattered, strict=True):
            futures[b] = fut
    sources = [
        BlockSource(f"rows {offsets[b]}:{offsets[b + 1]}", data=part)
        for b, part in enumerate(parts)
    ]
    nnz = Xv.size if isinstance(Xv, np.ndarray) else Xv.nnz
    return DistributedX(
        client,
        list(futures),
        sources,
        offsets,
        Xv.shape[1],
        Xv.dtype,
        int(nnz),
        bool(getattr(Xv, "rounded", False)),
    )


def _validated_block(chunk):
    """A dask array chunk validated as a row block (runs on a worker)."""
    return _as_rows(check_X(chunk))


def from_dask_array(A, client=None) -> DistributedX:
    """A dask array whose chunks are scipy.sparse CSR (or numpy) row blocks, one column chunk.

    The chunks are computed and validated on the workers; nothing passes
    through the client.  A block lost with its worker is recomputed from the
    array's graph.
    """
    from dask import delayed
    from distributed import default_client

    if client is None:
        try:
            client = default_client()
        except ValueError:
            raise ValueError(
                "X is a dask array but no Dask client is running: start one first, "
                "e.g. distributed.Client() (a local cluster) or Client('tcp://scheduler:8786')"
            ) from None
    if A.ndim != 2 or len(A.chunks[1]) != 1:
        raise ValueError(
            f"X must be a 2-D dask array chunked along rows only (one column chunk); "
            f"got chunks {A.chunks[1] if A.ndim == 2 else A.shape}"
        )
    pieces = [delayed(_validated_block)(d) for d in A.to_delayed().ravel()]
    futures = client.compute(pieces)
    offsets = np.concatenate([[0], np.cumsum(A.chunks[0])]).astype(np.int64)
    sources = [
        BlockSource(f"chunk {b} (rows {offsets[b]}:{offsets[b + 1]})", delayed=d)
        for b, d in enumerate(pieces)
    ]
    dX = DistributedX(
        client, list(futures), sources, offsets, int(A.shape[1]), np.dtype(A.dtype), 0
    )
    info = dX.run(_block_meta, reduce="list")
    _check_rows(dX, [i[0] for i in info])
    dX.nnz = sum(i[1] for i in info)
    dX.rounded = any(i[2] for i in info)
    dX.dtype = np.dtype(info[0][3]) if info else dX.dtype
    return dX


def _block_meta(block):
    """``(rows, stored entries, rounded, dtype name)`` of a validated block."""
    nnz = block.size if isinstance(block, np.ndarray) else block.nnz
    return block.shape[0], int(nnz), bool(getattr(block, "rounded", False)), block.dtype.name


def _check_rows(dX, rows) -> None:
    expect = np.diff(dX.row_offsets)
    for b, (got, want) in enumerate(zip(rows, expect, strict=True)):
        if got != want:
            raise ShardError(f"{dX.sources[b].name}: {got} rows where {want} were expected")


def _load_shard(path, dtype, zero_based, n_features, verify):
    """``(block, y, reading)`` of one shard file or CSR folder (runs on a worker)."""
    from .._io._formats import detect_format, read_matrix_reading

    kwargs = {}
    if detect_format(path) == "svmlight":  # other formats are widened to n_features below
        kwargs = {"n_features": n_features, "zero_based": zero_based}
    X, y, reading = read_matrix_reading(path, dtype=dtype, verify=verify, **kwargs)
    if n_features is not None and X.shape[1] > n_features:
        raise ShardError(f"{path}: {X.shape[1]} columns, more than n_features = {n_features}")
    try:
        block = _as_rows(check_X(X))
    except (ValueError, TypeError) as exc:
        raise ShardError(f"{path}: {exc}") from None
    return block, y, reading


def _load_block(path, dtype, zero_based, n_features, verify, p):
    """The block of a shard, at width ``p`` (rebuilding a lost block; runs on a worker)."""
    block, _, _ = _load_shard(path, dtype, zero_based, n_features, verify)
    return _widen(block, p)


def _widen(block, p: int):
    """The block with ``p`` columns (its entries unchanged: a wider CSR shape is free)."""
    if block.shape[1] == p:
        return block
    if block.shape[1] > p:
        raise ShardError(f"a shard has {block.shape[1]} columns, more than n_features = {p}")
    if isinstance(block, np.ndarray):
        raise ShardError(f"a dense shard has {block.shape[1]} columns where {p} are expected")
    return Compressed(
        "csr", (block.shape[0], p), block.data, block.indices, block.indptr, block.rounded
    )


def _shard_meta(loaded):
    block, y, reading = loaded
    return (*_block_meta(block), y is not None, reading, block.shape[1])


def from_shards(
    paths,
    client,
    *,
    dtype=None,
    zero_based="auto",
    n_features: int | None = None,
    verify: bool = True,
):
    """Shards on storage every worker can read, each opened by a task on a worker.

    Parameters
    ----------
    paths : list of str
        CSR folders written by :func:`fastridge.io.convert` /
        :func:`fastridge.io.write_csr_folder` (memory-mapped on the worker),
        svmlight files, or any other format :func:`fastridge.io.read_matrix`
        reads; one block per shard, in this order.
    client : distributed.Client
    dtype, zero_based, n_features, verify
        As :func:`fastridge.io.read_matrix`.  svmlight shards read with
        ``zero_based="auto"`` must all resolve to the same base (a shard read
        otherwise would shift its columns): an error names them if not.
        ``n_features`` defaults to the widest shard.

    Returns
    -------
    X : DistributedX
    y : ndarray (n,) or None
        The shards' labels (svmlight) or ``y`` (CSR folders), gathered to the
        client; None when no shard has them.
    """
    paths = [str(p) for p in paths]
    if not paths:
        raise ValueError("from_shards needs at least one shard")
    # Consecutive shards on one worker (see _contiguous); any worker may
    # open a shard if its first choice is busy or gone.
    where = {b: w for w, blocks in _contiguous(client, len(paths)).items() for b in blocks}
    loaded = [
        client.submit(
            _load_shard,
            path,
            dtype,
            zero_based,
            n_features,
            verify,
            workers=[where[b]],
            allow_other_workers=True,
            pure=False,
        )
        for b, path in enumerate(paths)
    ]
    meta = []
    for path, fut in zip(paths, loaded, strict=True):
        try:
            meta.append(client.submit(_shard_meta, fut, pure=False).result())
        except ShardError:
            raise
        except Exception as exc:
            msg = str(exc) if path in str(exc) else f"{path}: {type(exc).__name__}: {exc}"
            raise ShardError(msg) from None
    bases = {m[5].get("zero_based") for m in meta if "zero_based" in m[5]}
    if len(bases) > 1:
        which = ", ".join(f"{paths[i]}: {m[5].get('zero_based')}" for i, m in enumerate(meta))
        raise ShardError(
            f"svmlight shards were read with different index bases ({which}); "
            "pass zero_based=True or False"
        )
    dtypes = {m[3] for m in meta}
    if len(dtypes) > 1:
        raise ShardError(f"shards have different value types {sorted(dtypes)}; pass dtype=")
    p = n_features or max(m[6] for m in meta)
    base = bases.pop() if bases else zero_based
    blocks = [client.submit(_widen_first, fut, p, pure=False) for fut in loaded]
    sources = [
        BlockSource(path, load=(_load_block, (path, dtype, base, n_features, verify, p)))
        for path in paths
    ]
    offsets = np.concatenate([[0], np.cumsum([m[0] for m in meta])]).astype(np.int64)
    dX = DistributedX(
        client,
        blocks,
        sources,
        offsets,
        int(p),
        np.dtype(meta[0][3]),
        sum(m[1] for m in meta),
        any(m[2] for m in meta),
    )
    dX.reading = {"zero_based": base, "n_features": int(p)}
    has_y = [m[4] for m in meta]
    y = None
    if any(has_y):
        if not all(has_y):
            missing = [paths[i] for i, h in enumerate(has_y) if not h]
            raise ShardError(f"{missing[0]}: no targets, while other shards have them")
        y = np.concatenate(client.gather([client.submit(_targets, f, pure=False) for f in loaded]))
    del loaded  # the blocks keep what they need; the loaders' results can go
    return dX, y


def _widen_first(loaded, p):
    return _widen(loaded[0], p)


def _targets(loaded):
    return np.asarray(loaded[1], dtype=np.float64)
