"""scikit-learn compatible estimators built on the functional API (layer 6 of
docs/architecture.md, "3. Layers"); import them from :mod:`fastridge`.

* ``ridge``: :class:`Ridge` and the mapping of scikit-learn's Ridge options;
* ``ridge_cv``: :class:`RidgeCV` (the engine is :mod:`fastridge._cv.ridge`);
* ``classifiers``: :class:`LogisticRegression` and :class:`RidgeClassifier`;
* ``logistic_cv``: :class:`LogisticRegressionCV` (the engine is
  :mod:`fastridge._cv.logistic`);
* ``_base``: accepted input, sparse tags and the linear prediction shared by all;
* ``_logistic_common``: the logistic options, labels and class weights;
* ``_logistic_model``: class probabilities and the limit fit of an empty class;
* ``_logistic_cv_setup``: the validated inputs of ``LogisticRegressionCV.fit``;
* ``_logistic_cv_attributes``: ``LogisticRegressionCV``'s scikit-learn layouts;
* ``cast``: a certified float64 fit stored in float32, with its certificate.
"""
