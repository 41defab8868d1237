"""The validated logistic problem (without its penalty): labels, weights, ``X`` and options.

:func:`prepare_logistic` does all validation and any conversion of ``X`` once;
the :class:`LogisticProblem` it returns is shared by every ``lam`` of a path
(:func:`fastridge._fit.logistic_solve.solve_logistic` fits one).  Labels are
encoded as scikit-learn orders ``classes_``: ``classes`` sorted, ``codes[i]``
the index of ``y_i``; a binary problem takes ``y_i = +1`` for ``classes[1]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .. import _kernels as K
from .._operators.design import DesignOperator
from .._operators.softmax import SoftmaxOperator
from .columns import ColumnMap, drop_empty_columns
from .compressed import Compressed
from .distributed import is_distributed, operator_types, refuse_column_solver
from .duplicates import canonical_csc
from .results import XvShape
from .threads import resolve_n_threads
from .validation import (
    check_flag,
    check_max_iter,
    check_sample_weight,
    check_tol,
    check_X,
)

#: Solver names accepted by :func:`fastridge.logistic`.
LOGISTIC_SOLVERS = ("auto", "newton-cg", "cd", "dual-cd", "lbfgs")
#: ``multi_class`` values accepted by :func:`fastridge.logistic`.
MULTI_CLASS = ("auto", "multinomial", "ovr")
# Newton iterations allowed by default; Newton-CG typically needs 5-20.
_DEFAULT_MAX_ITER = 100
# Epochs allowed by default for solver="dual-cd" (LIBLINEAR's default
# max_iter for -s 7): an epoch is one pass, and linear convergence needs
# tens to hundreds of them at tol 1e-8 on ill-conditioned data.
_DEFAULT_MAX_EPOCHS = 1000
# L-BFGS iterations allowed by default for solver="lbfgs": an iteration is one
# pass or a few, and the harness's hardest case (dense separable, lam 0.01)
# needs ~100 to certify at tol 1e-8; 1000 leaves room for worse conditioning.
_DEFAULT_MAX_LBFGS_ITER = 1000
# Largest |X_ij| accepted.  Beyond it a margin x.w overflows exp() (at
# |x.w| > 709) for any coefficient above 1e-27 and the loss saturates, so
# the Hessian underflows to 0 and Newton cannot move: reject with a message
# instead of returning a silent non-answer.
_MAX_ABS_X = 1e30


@dataclass(frozen=True)
class LogisticProblem(XvShape):
    """A validated logistic problem without its penalty: what every ``lam`` of a path shares.

    Built by :func:`prepare_logistic` (all validation and any conversion of
    ``X`` happen there, once);
    :func:`fastridge._fit.logistic_solve.solve_logistic` fits one ``lam``.
    """

    Xv: object  # validated dense ndarray or Compressed (CSC for "cd", CSR for "dual-cd")
    classes: np.ndarray  # sorted distinct labels
    codes: np.ndarray  # (n,) class index of each sample
    s: np.ndarray  # (n,) float64 sample weights (ones when none were given)
    fit_intercept: bool
    solver: str
    multi_class: str
    tol: float
    max_iter: int
    n_threads: int
    # The operators the solvers build on Xv (fastridge._operators.contract).
    operator_type: type = DesignOperator
    softmax_operator_type: type = SoftmaxOperator
    # Xv without its empty columns, which the solvers get instead (and their
    # map back): fastridge._fit.columns; None when no column was dropped.
    fit_Xv: object = None
    columns: ColumnMap | None = None

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def kind(self) -> str:
        """``"binary"``, ``"multinomial"`` or ``"ovr"``: the model that is fitted."""
        if self.n_classes == 2:
            return "binary"
        return "ovr" if self.multi_class == "ovr" else "multinomial"

    @property
    def n_models(self) -> int:
        """Coefficient vectors: 1 for a binary problem, ``K`` otherwise."""
        return 1 if self.n_classes == 2 else self.n_classes


def prepare_logistic(
    X,
    y,
    *,
    fit_intercept: bool = True,
    sample_weight=None,
    solver: str = "auto",
    tol: float = 1e-8,
    max_iter: int | None = None,
    n_threads: int | None = None,
    multi_class: str = "auto",
    operator_type: type = DesignOperator,
    softmax_operator_type: type = SoftmaxOperator,
) -> LogisticProblem:
    """Validate the arguments of :func:`fastridge.logistic` (all but ``lam`` and ``coef_init``).

    ``operator_type`` / ``softmax_operator_type`` build the operators the
    solvers use (the contract of :mod:`fastridge._operators.contract`).
    """
    if solver not in LOGISTIC_SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(LOGISTIC_SOLVERS)}")
    if multi_class not in MULTI_CLASS:
        raise ValueError(
            f"unknown multi_class {multi_class!r}; choose one of {', '.join(MULTI_CLASS)}"
        )
    tol = check_tol(tol)
    fit_intercept = check_flag(fit_intercept, "fit_intercept")
    Xv = check_X(X)
    refuse_column_solver(Xv, solver)
    operator_type, softmax_operator_type = operator_types(Xv, operator_type, softmax_operator_type)
    n = Xv.shape[0]
    _check_magnitude(Xv)
    classes, codes = _encode_labels(y, n)
    n_classes = len(classes)
    sw = check_sample_weight(sample_weight, n)
    default_iter = {"dual-cd": _DEFAULT_MAX_EPOCHS, "lbfgs": _DEFAULT_MAX_LBFGS_ITER}.get(
        solver, _DEFAULT_MAX_ITER
    )
    max_iter = check_max_iter(max_iter, default_iter)
    if solver in ("cd", "dual-cd", "lbfgs") and n_classes > 2 and multi_class != "ovr":
        raise ValueError(
            f'solver="{solver}" fits binary problems only: use multi_class="ovr" or '
            'solver="newton-cg" for more than two classes'
        )
    if solver == "cd" and not isinstance(Xv, np.ndarray):
        Xv = canonical_csc(Xv)  # once here, not once per class (a copy for CSR)
    if solver == "dual-cd":
        _refuse_dual_cd_intercept(fit_intercept)
        if not isinstance(Xv, np.ndarray) and Xv.format == "csc":
            Xv = csr_copy(Xv)  # dual CD reads rows: one documented copy of a CSC X
    if fit_intercept and sw is not None:
        class_weight = np.bincount(codes, weights=sw, minlength=n_classes)
        if not (class_weight > 0).all():
            empty = classes[int(np.flatnonzero(class_weight <= 0)[0])]
            raise ValueError(
                f"class {empty!r} has zero total sample weight: with an intercept the "
                "problem has no minimiser (that class's intercept runs to -inf); drop "
                "its rows or give them weight"
            )
    fit_Xv, columns = drop_empty_columns(Xv)
    return LogisticProblem(
        Xv=Xv,
        classes=classes,
        codes=codes,
        s=np.ones(n) if sw is None else sw,
        fit_intercept=bool(fit_intercept),
        solver=solver,
        multi_class=multi_class,
        tol=tol,
        max_iter=max_iter,
        n_threads=resolve_n_threads(n_threads),
        operator_type=operator_type,
        softmax_operator_type=softmax_operator_type,
        fit_Xv=fit_Xv if columns is not None else None,
        columns=columns,
    )


def _refuse_dual_cd_intercept(fit_intercept: bool) -> None:
    """Dual CD has no exact unpenalised intercept (a dual equality constraint): refuse one."""
    if fit_intercept:
        raise ValueError(
            'solver="dual-cd" fits no intercept: pass fit_intercept=False, or use '
            'solver="newton-cg" or "cd" to fit one'
        )


def csr_copy(Xv: Compressed) -> Compressed:
    """A CSR copy of the CSC ``Xv`` (values unchanged: duplicates were summed by ``check_X``)."""
    M = sp.csc_matrix((Xv.data, Xv.indices, Xv.indptr), shape=Xv.shape).tocsr()  # copy of X
    return Compressed("csr", Xv.shape, M.data, M.indices, M.indptr, Xv.rounded)


def _check_magnitude(Xv) -> None:
    """Reject entries whose size makes ``exp`` of any non-tiny margin overflow."""
    if is_distributed(Xv):
        big = Xv.max_abs()
    else:
        big = K.max_abs(Xv if isinstance(Xv, np.ndarray) else Xv.data)
    if big > _MAX_ABS_X:
        raise ValueError(
            f"X has an entry of absolute value {big:.3g} > {_MAX_ABS_X:g}: exp(x . w) "
            "overflows for such features and the logistic loss saturates; rescale X "
            "(for example with sklearn.preprocessing.MaxAbsScaler)"
        )


def _two_labels(ya: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_encode_labels` in O(n) for numeric or boolean labels with exactly two values.

    ``np.unique(return_inverse=True)`` sorts the ``n`` labels (w8a: 6 ms of a
    150 ms fit); a binary target needs only two comparisons per label.  None
    when the labels are not numeric or take one or more than two values.
    """
    if ya.dtype.kind not in "biuf" or ya.shape[0] == 0:
        return None
    first = ya[0]
    other = ya != first
    rest = ya[other]
    if rest.size == 0 or np.any(rest != rest[0]):
        return None
    classes = np.sort(np.array([first, rest[0]], dtype=ya.dtype))
    codes = (ya == classes[1]).astype(np.intp)
    return classes, codes


def _encode_labels(y, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, codes)``: sorted distinct labels (scikit-learn's ``classes_``) and indices."""
    ya = np.asarray(y)
    if ya.ndim == 2 and ya.shape[1] == 1:
        ya = ya[:, 0]
    if ya.ndim != 1 or ya.shape[0] != n:
        raise ValueError(f"y must be one-dimensional with {n} entries, got shape {ya.shape}")
    if ya.dtype.kind == "c":
        raise TypeError("y is complex")
    if ya.dtype.kind == "f" and not np.isfinite(ya).all():
        raise ValueError("y contains NaN or infinity")
    if ya.dtype.kind == "O":
        # Missing labels (None, or NaN from pandas) are not a class; np.unique
        # would count every NaN of an object array as a class of its own.
        missing = np.equal(ya, None) | (ya != ya)
        if missing.any():
            pos = int(np.flatnonzero(missing)[0])
            raise ValueError(f"y contains NaN or None (a missing label) at position {pos}")
    if ya.dtype.kind == "f" and np.any(ya != np.round(ya)):
        # scikit-learn's type_of_target calls such a target "continuous" and
        # its classifiers refuse it; fitting one class per distinct value
        # would be meaningless.
        raise ValueError(
            "Unknown label type: continuous. y has non-integer float values (for example "
            f"{float(ya[np.flatnonzero(ya != np.round(ya))[0]])!r}): logistic regression needs "
            "class labels; use fastridge.ridge for a real-valued target"
        )
    two = _two_labels(ya)
    if two is not None:
        return two
    classes, codes = np.unique(ya, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"y has a single class ({classes[0]!r}): at least two are needed")
    return classes, codes.reshape(-1).astype(np.intp)
