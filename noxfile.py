#!/usr/bin/env python3
# /// script
# dependencies = ["nox>=2025.2.9"]
# ///
"""Run CI's checks locally: ``nox -s lint typecheck build`` is what ``.ci/run`` runs
after the README's test command; ``nox -s tests`` is that test command's pytest run.

Every session runs in the environment nox is started from (``venv_backend="none"``):
nox creates no virtual environment and installs nothing, so it works offline. Set the
environment up once with ``pip install -c constraints.txt -e . --group dev``
(docs/development.rst).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "none"

ROOT = Path(__file__).resolve().parent

#: the pytest run of the README's test command (tests/test_packaging.py checks it)
PYTEST = ("python", "-m", "pytest", "-n", "2")

#: a line of a build's output that reports a warning ("warning: ...", "WARNING ...",
#: "SetuptoolsDeprecationWarning: ...")
_WARNING = re.compile(r"warning\b", flags=re.IGNORECASE)


@nox.session(default=True)
def tests(session: nox.Session) -> None:
    """The test suite, with the docs build and the tutorials, as the README runs it."""
    env = {"NEUROWAVE_DATA": os.environ.get("NEUROWAVE_DATA", "../shared/data")}
    session.run(*PYTEST, *session.posargs, env=env)


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Only the documentation build (warnings as errors, every tutorial executed)."""
    env = {"NEUROWAVE_DATA": os.environ.get("NEUROWAVE_DATA", "../shared/data")}
    session.run(
        "python", "-m", "pytest", "-n", "0", "tests/test_docs.py", *session.posargs, env=env
    )


@nox.session(default=True)
def lint(session: nox.Session) -> None:
    """Ruff's lint rules and its formatter, checked (nothing is rewritten)."""
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(default=True)
def typecheck(session: nox.Session) -> None:
    """mypy on the files and with the settings of ``[tool.mypy]`` in pyproject.toml."""
    session.run("mypy", *session.posargs)


@nox.session(default=True)
def build(session: nox.Session) -> None:
    """Build the sdist and the wheel into a temporary folder, fail on any warning of
    the build, and check both with ``twine check --strict``."""
    outdir = Path(tempfile.mkdtemp(prefix="neurowave-dist-"))
    try:
        # PYTHONDONTWRITEBYTECODE makes setuptools warn that it skips byte-compiling,
        # which says nothing about the package: build without it
        log = session.run(
            "python",
            "-m",
            "build",
            "--outdir",
            str(outdir),
            str(ROOT),
            silent=True,
            env={"PYTHONDONTWRITEBYTECODE": None},
        )
        warnings = [ln for ln in str(log).splitlines() if _WARNING.search(ln)]
        if warnings:
            session.error("the build warned:\n" + "\n".join(warnings))
        dists = sorted(str(p) for p in outdir.iterdir())
        kinds = {Path(p).suffix for p in dists}
        if kinds != {".gz", ".whl"}:
            session.error(f"the build should give an sdist and a wheel, gave {dists}")
        session.run("twine", "check", "--strict", *dists)
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


if __name__ == "__main__":
    nox.main()
