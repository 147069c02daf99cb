"""Subcommands of the ``neurowave`` command line (one module each)."""
