"""scikit-learn compatible estimators built on the functional API."""
