"""The solvers compared: each one's runner and the mapping of its objective to ours.

* :mod:`harness.peers.base`: the interface (:class:`~harness.peers.base.Solver`,
  :class:`~harness.peers.base.FitOut`) and the one access point to fastridge's API;
* :mod:`harness.peers.ridge`: single-lam ridge (fastridge, scikit-learn, glmnet, Snap ML,
  sklearnex, LIBLINEAR);
* :mod:`harness.peers.logistic`: L2-logistic (fastridge, scikit-learn, glmnet, skglm,
  Snap ML, sklearnex, LIBLINEAR);
* :mod:`harness.peers.path`: whole ridge paths (fastridge, glmnet, scikit-learn loops).

A peer whose package is not installed reports it from ``available()`` and its rows
say "skipped".
"""
