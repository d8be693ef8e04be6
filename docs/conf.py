"""Sphinx configuration: the API reference from the docstrings (numpydoc)
and the Markdown pages of docs/ (myst-parser).

Build (the ``docs`` extra pins the tools)::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

CI builds it the same way (.ci/jobs/docs.sh) and runs the pages' ``>>>``
examples with pytest.
"""
import poincare_q64

project = "poincare_q64"
release = poincare_q64.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# Every public function's docstring is numpydoc (Parameters / Returns /
# Raises / Examples).  Class members are listed by autodoc, not numpydoc's
# summary tables (which would need autosummary stub pages).
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}

# Markdown pages: $...$ maths as in the pages, heading anchors for the
# pages' "#section" links, and links between pages as written (vectors.md).
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# A code block that Pygments cannot lex fully (docs/hardware.md's DPI-C
# imports in SystemVerilog) is still shown, highlighted in relaxed mode: not
# a fault of the page, so not a warning that fails the -W build.
suppress_warnings = ["misc.highlighting_failure"]

html_theme = "pydata_sphinx_theme"
html_title = f"poincare_q64 {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
