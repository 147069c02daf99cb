"""Sphinx configuration of the neurowave documentation.

Build (warnings are errors, tutorials executed)::

    NEUROWAVE_DATA=../shared/data python -m sphinx -W --keep-going -b html docs docs/_build/html

The API reference (``docs/generated/``) and the tutorial gallery
(``docs/auto_examples/``) are generated at build time and not kept in git.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import neurowave  # noqa: E402

# -- project -----------------------------------------------------------------
project = "neurowave"
author = "The neurowave developers"
copyright = "2026, The neurowave developers"
release = neurowave.__version__
version = ".".join(release.split(".")[:2])

# -- extensions --------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax 3 served from the built site's _static/mathjax, not a CDN: the maths
    # renders offline (package sphinx-mathjax-offline, MathJax 3.2.2, Apache-2.0)
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "neurowave_docs",  # docs/_ext/neurowave_docs.py: CLI help, API tables, model metadata
]

templates_path = ["_templates"]
# _api_body.rst and _datasets_body.rst are written by neurowave_docs at configuration
# time and included by api.rst and datasets.rst.
exclude_patterns = [
    "_build",
    "_api_body.rst",
    "_datasets_body.rst",
    "Thumbs.db",
    ".DS_Store",
    "**.ipynb_checkpoints",
]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "py:obj"

# Internal cross-references that cannot be resolved are warnings (and the build runs
# with -W). Types named in docstrings of third-party objects are not ours to resolve.
nitpicky = False

# -- autodoc / autosummary / numpydoc ------------------------------------------
autosummary_generate = ["api", "_api_body"]
autosummary_imported_members = True
autodoc_default_options = {"inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

# -- sphinx-gallery -------------------------------------------------------------
# Each tutorial is executed at build time; a failing tutorial fails the build.
os.environ.setdefault("MPLBACKEND", "Agg")
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|/_",
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "plot_gallery": "True",
    "download_all_examples": False,
    "remove_config_comments": True,
    "capture_repr": ("_repr_html_",),  # rich reprs (xarray) only, no "<Figure ...>" lines
    "min_reported_time": 0,
    "show_memory": False,
    "write_computation_times": True,
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"neurowave {release}"
html_static_path = []  # no custom static files
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
