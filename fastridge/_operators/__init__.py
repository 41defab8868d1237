"""Design operators (layer 2): every pass over X that a solver may ask for.

:mod:`.contract` states the contract (:class:`~.contract.DesignProducts`,
:class:`~.contract.SoftmaxProducts`); :mod:`.design` holds
:class:`~.design.DesignOperator` (X with implicit centring and sample weights)
on the raw kernel calls of :mod:`.stored`, with the compensated set-up of
:mod:`.careful` and the storage helpers of :mod:`.layout`; :mod:`.softmax` the
multinomial operator built on it.
"""

from .contract import DesignProducts, OperatorBase, SoftmaxProducts

__all__ = ["DesignProducts", "OperatorBase", "SoftmaxProducts"]
