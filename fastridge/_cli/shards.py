"""``fit`` / ``path`` / ``cv`` / ``predict`` on shards, with ``--scheduler`` / ``--dask-workers``.

DATA is then a list of shards: CSR folders (``fastridge convert``) or svmlight
files, or a folder holding them (its CSR folders and svmlight files in name
order; names starting with ``.`` are left out).  Each shard is opened by a task on
a worker (:func:`fastridge.distributed.from_shards`), one row block per shard in
the order given; the targets (the shards' labels or stored ``y``, or
``--targets``) come to the client.  The fit is the same call as on one machine,
with the :class:`~fastridge.distributed.DistributedX` as ``X``.  The shards'
sha256 (recorded in the result's ``inputs``) are computed on the workers too, so
the data does not pass through the client.
"""

from __future__ import annotations

import time
from pathlib import Path

from . import engine
from .inputs import io_module, read_fit_targets
from .settings import resolve_targets

_HEADER = "header.json"  # a CSR folder's header (fastridge._io._folder_layout.HEADER)


def _is_csr_folder(path):
    return path.is_dir() and (path / _HEADER).is_file()


def _is_shard(entry):
    """Whether a folder entry is a shard: a CSR folder or an svmlight file."""
    if entry.name.startswith("."):
        return False
    if entry.is_dir():
        return _is_csr_folder(entry)
    fio = io_module()
    try:
        return fio.detect_format(str(entry)) == "svmlight"
    except fio.InputError:
        return False


def expand_shards(data):
    """The shard paths of DATA (a list of paths; a folder of shards is expanded).

    Raises
    ------
    FileNotFoundError
        A path does not exist.
    fastridge.io.InputError
        A folder is neither a CSR folder nor holds any shard.
    """
    out = []
    for text in data:
        path = Path(text).expanduser()
        if not path.exists():
            raise FileNotFoundError(2, "No such file or directory", str(path))
        if path.is_dir() and not _is_csr_folder(path):
            found = [e for e in sorted(path.iterdir()) if _is_shard(e)]
            if not found:
                raise io_module().InputError(
                    f"{path}: neither a CSR folder (no {_HEADER}) nor a folder of shards "
                    "(CSR folders or svmlight files)"
                )
            out.extend(found)
        else:
            out.append(path)
    return out


def _from_shards(paths, client, *, dtype, zero_based, verify, n_features=None):
    from fastridge.distributed import from_shards

    return from_shards(
        [str(p) for p in paths],
        client,
        dtype=dtype or None,
        zero_based=zero_based or "auto",
        n_features=n_features,
        verify=verify,
    )


def describe(paths):
    """``3 shards (a.svm, ..., c.svm)`` for messages."""
    names = [str(p) for p in paths]
    shown = names if len(names) <= 2 else [names[0], "...", names[-1]]
    return f"{len(names)} shard{'s' if len(names) != 1 else ''} ({', '.join(shown)})"


def run_shard_settings(settings, client, *, n_threads=None, verify=True):
    """:func:`fastridge._cli.engine.run_settings` on the shards ``settings["data"]``."""
    t0 = time.perf_counter()
    paths = list(settings["data"])
    X, labels = _from_shards(
        paths,
        client,
        dtype=settings.get("dtype"),
        zero_based=settings.get("zero_based"),
        verify=verify,
    )
    y = read_fit_targets(settings, None, X.shape[0], labels, describe(paths))
    reading = {"format": "shards", "n_shards": len(paths)}
    if settings.get("zero_based") in ("yes", "no"):
        reading["zero_based"] = settings["zero_based"] == "yes"
    return engine.fit_loaded(
        X, y, settings, time.perf_counter() - t0, reading, [], n_threads=n_threads
    )


def checksum_shards(paths, targets, client):
    """The ``inputs`` of a result on shards: each shard's sha256, computed on a worker.

    ``{"data": [{"path", "sha256"}, ...], "targets": {"path", "sha256"} or None}``.
    """
    fio = io_module()
    keys = [str(Path(p).resolve()) for p in paths]
    digests = client.gather(client.map(fio.file_checksum, keys, pure=False))
    target_file = resolve_targets(targets)[1]
    target = None
    if target_file is not None:
        key = str(Path(target_file).resolve())
        target = {"path": key, "sha256": fio.file_checksum(key)}
    return {
        "data": [{"path": k, "sha256": d} for k, d in zip(keys, digests)],
        "targets": target,
    }


def _block_scores(block, flat):
    """``X_b @ flat.T`` in float64 (runs on a worker; a CSR or dense row block)."""
    import numpy as np
    import scipy.sparse as sp

    if not isinstance(block, np.ndarray) and not sp.issparse(block):
        block = sp.csr_matrix((block.data, block.indices, block.indptr), shape=block.shape)
    return np.asarray(block @ flat.T, dtype=np.float64)


def distributed_decision(dX, coef, intercept):
    """``X @ coef.T + intercept`` on the blocks of ``dX``, gathered in row order.

    The same product as :func:`fastridge._cli.results.decision_values`, block by block.
    """
    import numpy as np

    client = dX.client
    coef = np.asarray(coef, dtype=np.float64)
    lead = coef.shape[:-1]
    flat = np.ascontiguousarray(coef.reshape(-1, coef.shape[-1]))
    [remote] = client.scatter([flat], broadcast=True)
    parts = client.gather([client.submit(_block_scores, b, remote, pure=False) for b in dX.blocks])
    scores = np.concatenate(parts, axis=0) if parts else np.empty((0, flat.shape[0]))
    n = dX.shape[0]
    return scores.reshape(n, *lead) + np.asarray(intercept, dtype=np.float64)


def load_predict_shards(data, client, *, dtype, zero_based, stored_zero_based, verify, p):
    """The DistributedX of ``predict``'s shards; svmlight shards are read at the model's width.

    ``zero_based`` is ``--zero-based`` (svmlight only, as for one file);
    ``stored_zero_based`` the model's reading, used for svmlight shards when it is None.
    Shards of other formats keep their stored width (checked by the caller).
    """
    fio = io_module()
    paths = expand_shards(data)
    svmlight = all(fio.detect_format(str(path)) == "svmlight" for path in paths)
    if not svmlight and zero_based not in (None, "auto"):
        raise fio.InputError(f"{describe(paths)}: --zero-based applies to svmlight files only")
    if zero_based is None and svmlight:
        zero_based = stored_zero_based
    X, _ = _from_shards(
        paths,
        client,
        dtype=dtype,
        zero_based=zero_based if svmlight else "auto",
        verify=verify,
        n_features=p if svmlight else None,
    )
    return X, paths
