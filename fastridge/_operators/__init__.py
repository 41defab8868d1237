"""Design operators (layer 2): every pass over X that a solver may ask for.

:mod:`.design` holds :class:`DesignOperator` (X with implicit centring and
sample weights), :mod:`.softmax` the multinomial operator built on it.
"""
