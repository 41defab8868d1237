"""Checks and weights shared by :class:`LogisticRegression` and :class:`LogisticRegressionCV`.

scikit-learn's parameter spellings mapped to fastridge's L2 problem (solver
names, ``penalty``, ``dual``, ``multi_class``, ``C``, ``Cs``, ``l1_ratios``),
the labels and the sample weights with ``class_weight`` applied.
"""

from __future__ import annotations

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

_MULTI_CLASS = ("auto", "multinomial", "ovr")

#: scikit-learn's LogisticRegression solvers that minimise the same L2 problem
#: (unpenalised intercept): fastridge runs its own certified solver for them.
_SKLEARN_SAME_MINIMISER = ("sag", "saga")

# Recent scikit-learn weights the class counts of class_weight="balanced" by
# sample_weight (as its LogisticRegression does); older versions count samples,
# and so do we with them (whatever the installed LogisticRegression does).
_CLASS_WEIGHT_TAKES_SW = "sample_weight" in inspect.signature(compute_class_weight).parameters


def full_weights(sample_weight, n: int) -> np.ndarray:
    """``sample_weight`` as a new float64 array of shape (n,) (None: ones; a scalar: constant).

    Only the shape is checked here; the values are validated by the solver.
    """
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim == 0:
        return np.full(n, float(sw))
    if sw.shape != (n,):
        raise ValueError(f"sample_weight has shape {sw.shape}; expected ({n},)")
    return sw.copy()


def encode_labels(y) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, codes)`` of classification labels ``y``; at least two classes."""
    check_classification_targets(y)
    classes, codes = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"y has only one class ({classes.tolist()[0]!r}): at least two classes are needed"
        )
    return classes, codes


def class_weighted(sample_weight, class_weight, classes, y, codes):
    """``sample_weight`` times the weights of ``class_weight`` (unchanged when None).

    ``"balanced"`` counts are weighted by ``sample_weight`` when the installed
    scikit-learn does so.
    """
    if class_weight is None:
        return sample_weight
    sw = full_weights(sample_weight, len(codes))
    kw = {"sample_weight": sw} if _CLASS_WEIGHT_TAKES_SW else {}
    cw = compute_class_weight(class_weight, classes=classes, y=y, **kw)
    return sw * np.asarray(cw, dtype=np.float64)[codes]


def check_multi_class(multi_class) -> str:
    """``multi_class``, one of ``"auto"``, ``"multinomial"``, ``"ovr"``."""
    if not isinstance(multi_class, str) or multi_class not in _MULTI_CLASS:
        raise ValueError(
            f"multi_class must be one of {', '.join(map(repr, _MULTI_CLASS))}; got {multi_class!r}"
        )
    return multi_class


def logistic_solver(solver, n_classes: int = 2, multi_class: str = "auto"):
    """The fastridge solver for a fastridge or scikit-learn logistic ``solver``.

    ``"lbfgs"`` runs fastridge's certified L-BFGS for binary and one-vs-rest
    fits (``n_classes == 2`` or ``multi_class="ovr"``) and ``"auto"`` for a
    multinomial one (same minimiser; fastridge's L-BFGS is binary only, and
    ``"lbfgs"`` is scikit-learn's default for every problem);
    ``"sag"``, ``"saga"`` -> ``"auto"`` (same minimiser; fastridge has no
    stochastic solver); ``"newton-cholesky"`` -> ``"newton-cg"`` (fastridge's
    Newton method, which takes its steps from a Cholesky factorisation of the
    dense Hessian when that is cheap, and from truncated CG otherwise);
    ``"liblinear"`` is refused: it penalises the intercept, so it has another
    minimiser.  Other names go to :func:`fastridge.logistic`, which refuses
    unknown ones.
    """
    if solver == "liblinear":
        raise ValueError(
            "solver='liblinear' is scikit-learn only: it penalises the intercept "
            "(intercept_scaling), a different problem; use solver='auto'"
        )
    if solver in _SKLEARN_SAME_MINIMISER:
        return "auto"
    if solver == "lbfgs" and n_classes > 2 and multi_class != "ovr":
        return "auto"
    if solver == "newton-cholesky":
        return "newton-cg"
    return solver


def reported_solver(asked: str, ran: str) -> str:
    """``solver_``: the fastridge solver that ran, named as asked when it is the same method.

    fastridge's Newton solver reports ``"newton-cholesky"`` when its steps came
    from the dense Hessian; that is still the ``"newton-cg"`` solver the user
    asked for, so ``solver_`` says ``"newton-cg"`` then (``result_.solver``
    keeps the detail).  ``"auto"`` and scikit-learn aliases report what ran.
    """
    if asked == "newton-cg" and ran == "newton-cholesky":
        return "newton-cg"
    return ran


def check_penalty(penalty, l1_ratio=None) -> None:
    """Accept only the plain L2 penalty (scikit-learn's spellings of it).

    ``penalty``: ``"l2"`` or ``"deprecated"`` (scikit-learn 1.9's default,
    meaning L2 unless ``l1_ratio`` says otherwise).  ``penalty=None`` (no
    penalty) is refused: the certificate needs ``lam = 1/C > 0``; use a large
    ``C``.  ``l1_ratio`` must be 0 or None.
    """
    if penalty is None:
        raise ValueError(
            "penalty=None (no penalty) is not supported: fastridge's certificate needs "
            "lam = 1/C > 0; use a large finite C instead"
        )
    if penalty not in ("l2", "deprecated"):
        raise ValueError(
            f"penalty={penalty!r} is not supported: fastridge fits the L2 penalty only "
            "(penalty='l2')"
        )
    if l1_ratio is not None and not (
        isinstance(l1_ratio, Real) and not isinstance(l1_ratio, bool) and l1_ratio == 0
    ):
        raise ValueError(
            f"l1_ratio={l1_ratio!r} is not supported: fastridge fits the L2 penalty only "
            "(l1_ratio=0)"
        )


def check_dual(dual) -> None:
    """Refuse ``dual=True`` (liblinear's dual formulation, scikit-learn only)."""
    if dual:
        raise ValueError(
            "dual=True (liblinear's dual formulation) is not supported: fastridge solves "
            "the primal problem; use dual=False"
        )


def lam_from_C(C) -> float:
    """``lam = 1 / C`` for a positive finite real ``C``."""
    if isinstance(C, (bool, np.bool_)) or not isinstance(C, Real):
        raise TypeError(f"C must be a positive real number, got {C!r}")
    if not (np.isfinite(C) and C > 0):
        raise ValueError(f"C must be positive and finite (lam = 1 / C), got {C!r}")
    return 1.0 / float(C)


def check_Cs(Cs) -> np.ndarray:
    """``Cs`` as a float array: an int gives ``np.logspace(-4, 4, Cs)`` (scikit-learn's grid)."""
    if isinstance(Cs, Integral) and not isinstance(Cs, bool):
        if Cs < 1:
            raise ValueError(f"Cs must be a positive int or a list of positive floats, got {Cs}")
        return np.logspace(-4, 4, int(Cs))
    try:
        arr = np.asarray(Cs, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Cs must be an int or a list of positive floats, got {Cs!r}") from exc
    if arr.size == 0:
        raise ValueError("Cs is empty")
    if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
        raise ValueError(f"every C must be positive and finite (lam = 1 / C), got {Cs!r}")
    return arr


def check_l1_ratios(l1_ratios):
    """``(l1_ratios_ attribute, keep the l1_ratio axis)`` for an L2-only ``l1_ratios``.

    None or ``"warn"`` (scikit-learn 1.9's default, meaning None): plain L2,
    ``l1_ratios_ = [None]`` and no l1_ratio axis in ``scores_`` etc.  A
    sequence of zeros (``(0,)``, the value scikit-learn recommends for L2): the
    same fit, ``l1_ratios_ = [0.0, ...]`` and an l1_ratio axis, as
    scikit-learn.  Any non-zero ratio is refused (L1 is not supported).
    """
    if l1_ratios is None or (isinstance(l1_ratios, str) and l1_ratios == "warn"):
        return np.array([None], dtype=object), False
    try:
        arr = np.asarray(l1_ratios, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"l1_ratios must be a sequence of zeros, got {l1_ratios!r}") from exc
    if arr.size != 1 or arr[0] != 0:
        raise ValueError(
            f"l1_ratios={l1_ratios!r} is not supported: fastridge fits the L2 penalty only "
            "(l1_ratios=(0,))"
        )
    return arr, True
