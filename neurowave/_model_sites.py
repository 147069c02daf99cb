"""Which cells of a model export are measured: the choices of ``--model-sites``.

A light module (no numpy, no xarray): the command line reads it to build ``--help``
without importing the measures; :func:`neurowave.compare.resolve_view` validates
against the same names.
"""

#: which cells of a model export are measured
MODEL_SITES = ("objects", "foreground", "all")
#: the default: each object of each sample on its own
DEFAULT_SITES = "objects"
