"""Fixed-order tree reductions of per-block partial results, on the workers.

A pass over a :class:`~fastridge.distributed.DistributedX` runs one task per
row block; their partial results are added pairwise in a binary tree whose
shape depends only on the number of blocks (block ``2i`` with ``2i + 1`` at
the first level, and so on), so the result is the same bits on every run for
a given partition, whichever worker finishes first.  The workers add the
lower levels; the client adds the top :data:`CLIENT_FANIN` parts with the
same pairing (:func:`finish_tree`), so at most that many p-vectors reach it.

Partial results are nested tuples of ``float``, ``ndarray`` and :class:`Pair`
(a double-double accumulator ``hi + lo``, added with an error-free two-sum on
``hi``): sums computed in pairs on the blocks stay in pairs across them.
"""

from __future__ import annotations

import numpy as np


class Pair:
    """A double-double value ``hi + lo`` (float or ndarray), as the ``_dd`` kernels keep them."""

    __slots__ = ("hi", "lo")

    def __init__(self, hi, lo):
        self.hi = hi
        self.lo = lo

    def value(self):
        """``hi + lo`` rounded to float64."""
        return self.hi + self.lo

    def __reduce__(self):
        return (Pair, (self.hi, self.lo))


def two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``a + b = s + e`` exactly (Knuth; elementwise)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def combine(a, b):
    """``a + b`` for two partial results of the same structure (see the module docstring)."""
    if isinstance(a, Pair):
        hi, err = two_sum(a.hi, b.hi)
        return Pair(hi, a.lo + b.lo + err)
    if isinstance(a, tuple):
        return tuple(combine(x, y) for x, y in zip(a, b, strict=True))
    if a is None:
        return None
    return a + b


# Partial results the client adds itself at the top of the tree: the last
# level (two parts) costs the client one more p-vector to receive but saves a
# task and a scheduler hop per pass, 4 ms of a 60 ms pass with two blocks and
# 16 ms with four (case A, LocalCluster of 2 workers; docs/distributed.md).
CLIENT_FANIN = 2


def _pairs(level, add):
    """One level of the tree: ``add(level[2i], level[2i + 1])``, an odd last one carried up."""
    nxt = [add(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        nxt.append(level[-1])
    return nxt


def tree_reduce(client, futures, keep: int = 1):
    """The top ``<= keep`` futures of the fixed-order pairwise tree of ``combine``.

    Level by level, ``futures[2i]`` is added to ``futures[2i + 1]`` by a task
    on the workers, until at most ``keep`` remain; :func:`finish_tree` adds
    those on the client with the same pairing, so the result is the same bits
    as a tree run wholly on the workers.  Nothing is waited for here (the tree
    is submitted with its leaves, so a pass costs one scheduler round trip).
    """
    level = list(futures)
    if not level:
        raise ValueError("nothing to reduce (no blocks)")
    while len(level) > max(int(keep), 1):
        level = _pairs(level, lambda a, b: client.submit(combine, a, b, pure=False))
    return level


def finish_tree(parts):
    """The rest of the fixed-order tree over ``parts`` (the tops of :func:`tree_reduce`)."""
    level = list(parts)
    if not level:
        raise ValueError("nothing to reduce (no blocks)")
    while len(level) > 1:
        level = _pairs(level, combine)
    return level[0]


def concat_rows(parts, ncols=None):
    """Row blocks of an n-vector or (n, k) array, concatenated (an empty list: empty)."""
    parts = [np.asarray(x) for x in parts]
    return np.concatenate(parts, axis=0)
