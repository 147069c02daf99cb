"""What of a model export is measured: names shared by the measures and the command
line (a light module: ``neurowave --help`` reads it without importing the measures)."""

#: which cells of a model export are measured
MODEL_SITES = ("objects", "foreground", "all")
#: the default: each object of each sample on its own
DEFAULT_SITES = "objects"
