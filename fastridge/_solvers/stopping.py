"""The stopping rule shared by every solver, path and CV engine.

A fit at penalty ``lam`` is *certified* when its certificate, an upper bound
on ``P(w, b) - P*``, is at most ``tol * P_null`` (``P_null`` = the objective
of the best intercept-only model).  For the ridge and logistic certificates
``||g||^2 / (2 lam)`` this is ``||g||^2 <= 2 lam tol P_null``
(:func:`grad_sq_threshold`).

The functions only name the expressions every caller used to spell out; the
arithmetic (and so every iterate and pass count) is the same.  A NaN
certificate is neither certified nor :func:`exceeds` the limit (the two
comparisons keep the semantics of ``<=`` and ``>``).
"""

from __future__ import annotations


def certified_limit(tol, p_null):
    """``tol * P_null``: the largest certificate that certifies."""
    return tol * p_null


def is_certified(certificate, tol, p_null):
    """``certificate <= tol * P_null`` (element-wise for arrays)."""
    return certificate <= tol * p_null


def exceeds(certificate, tol, p_null):
    """``certificate > tol * P_null``: a solver must continue (False for NaN)."""
    return certificate > tol * p_null


def grad_sq_threshold(lam, tol, p_null):
    """``2 lam tol P_null``: the ``||g||^2`` that certifies ``||g||^2 / (2 lam) <= tol P_null``."""
    return 2.0 * lam * tol * p_null
