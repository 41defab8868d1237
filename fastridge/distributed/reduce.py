"""Fixed-order tree reductions of per-block partial results, on the workers.

A pass over a :class:`~fastridge.distributed.DistributedX` runs one task per
row block; their partial results are added pairwise in a binary tree whose
shape depends only on the number of blocks (block ``2i`` with ``2i + 1`` at
the first level, and so on), so the result is the same bits on every run for
a given partition, whichever worker finishes first.  Only the root reaches
the client.

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


def tree_reduce(client, futures):
    """The root future of the fixed-order pairwise tree of ``combine`` over ``futures``.

    Depth ``ceil(log2 len(futures))``; nothing is waited for here (the tree is
    submitted with its leaves, so a pass costs one scheduler round trip).
    """
    level = list(futures)
    if not level:
        raise ValueError("nothing to reduce (no blocks)")
    while len(level) > 1:
        nxt = [
            client.submit(combine, level[i], level[i + 1], pure=False)
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def concat_rows(parts, ncols=None):
    """Row blocks of an n-vector or (n, k) array, concatenated (an empty list: empty)."""
    parts = [np.asarray(x) for x in parts]
    return np.concatenate(parts, axis=0)
