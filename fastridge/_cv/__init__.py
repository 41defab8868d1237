"""Cross-validation engines: K-fold paths, leave-one-out and GCV scores.

The engines take data, folds and a fit function; they know no estimator class.
"""
