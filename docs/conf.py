"""Sphinx configuration of the fastridge documentation.

Build (CI runs both with warnings as errors, see ``.ci/run``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html
    sphinx-build -W -b doctest docs docs/_build/doctest

The Markdown pages are the sources (rendered by myst-parser); ``api.rst`` is the
numpydoc API reference; ``plots.py`` draws the benchmark figures from
``benchmarks/*.json`` when the HTML is built.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import fastridge

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # for ``plots`` below

project = "fastridge"
author = "the fastridge developers"
copyright = "the fastridge developers"
release = fastridge.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "matplotlib.sphinxext.plot_directive",  # performance.md's figures, from plots.py
    "sphinxcontrib.mermaid",  # architecture.md's picture of the layers
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
]

# --- MyST: the Markdown pages use $...$ / $$...$$ maths and GitHub-style anchors.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# --- autodoc / numpydoc
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the numpydoc "Parameters" sections carry the types
# Listing every inherited scikit-learn method (get_params, set_output, ...) would pull
# their non-numpydoc docstrings into the page; the estimators' own sections suffice.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
# Type names in "Parameters" sections ("ndarray of shape (n,)", "{'auto', 'cg'}") are
# free text: do not turn them into cross-references that nitpicky mode would chase.
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()
nitpicky = False

# --- doctest: every ``{doctest}`` block runs against the installed fastridge.
doctest_global_setup = """
import matplotlib
matplotlib.use("Agg")  # the examples' .plot() calls draw off screen
import numpy as np
np.set_printoptions(precision=4, suppress=True)
"""
doctest_default_flags = (
    __import__("doctest").ELLIPSIS
    | __import__("doctest").NORMALIZE_WHITESPACE
    | __import__("doctest").DONT_ACCEPT_TRUE_FOR_1
)

# --- plot directive: the figures are drawn from benchmarks/*.json at build time.
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]

# --- HTML
html_theme = "alabaster"
html_title = f"fastridge {release}"
html_theme_options = {"description": "Certified ridge and L2-logistic regression"}


# --- fastridge.io (the file readers of issue 5) joins the API page once it is importable:
# an ``automodule`` of a missing module would be a warning, hence a build error.
_IO_SECTION = """

File input and output
---------------------

.. automodule:: fastridge.io
   :members:
"""


def _executed(text: str) -> str:
    """Turn the Markdown pages' python code fences into ``testcode`` blocks.

    The doctest builder then runs them in order, one namespace per page; the HTML shows
    them as ordinary highlighted code. The sources stay plain GitHub Markdown.
    """
    return re.sub(r"^```python[ \t]*$", "```{testcode}", text, flags=re.MULTILINE)


def _edit_sources(app, docname, source):
    source[0] = _executed(source[0])
    if docname == "api" and importlib.util.find_spec("fastridge.io") is not None:
        source[0] += _IO_SECTION
    if docname == "performance":  # its figures are drawn from these: rebuild on change
        for name in (
            "plots.py",
            "benchmarks/ridge_comparison.json",
            "benchmarks/logistic_comparison.json",
        ):
            app.env.note_dependency(os.path.join(HERE, name))
    # index.md links the README as ../README.md, right on GitHub; the site renders it as
    # readme.md (an include of ../README.md), and a link out of the source folder would
    # be an unresolved reference.
    if docname == "index":
        source[0] = source[0].replace("](../README.md)", "](readme.md)")


def _edit_readme(app, relative_path, parent_docname, content):
    # README.md links its LICENSE next to it; in the site that file is a download.
    if Path(relative_path).as_posix() == "../README.md":
        content[0] = content[0].replace("](LICENSE)", "](path:../LICENSE)")
    content[0] = _executed(content[0])


def setup(app):
    app.connect("source-read", _edit_sources)
    app.connect("include-read", _edit_readme)
