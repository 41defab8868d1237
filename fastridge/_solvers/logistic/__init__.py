"""L2-logistic solvers: Newton-CG (binary, multinomial) and coordinate descent."""
