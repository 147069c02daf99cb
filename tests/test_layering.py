"""Layering (as in MNE-Python): readers are the only door to file formats."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "neurowave"


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            yield "." * node.level + mod


@pytest.mark.parametrize("sub", ["waves", "models", "compare", "datasets"])
def test_measures_models_and_compare_never_import_neo_or_mne(sub):
    for path in (PKG / sub).rglob("*.py"):
        for name in _imports(path):
            root = name.lstrip(".").split(".")[0]
            assert root not in ("neo", "mne", "nixio"), f"{path} imports {name}"


def test_models_use_no_reader():
    for path in (PKG / "models").rglob("*.py"):
        for name in _imports(path):
            if name.lstrip(".").startswith("io") or name.startswith("neurowave.io"):
                assert name.endswith("io.netcdf"), f"{path} imports the readers ({name})"


def test_importing_the_measures_loads_neither_neo_nor_mne_nor_torch():
    code = ("import sys, neurowave, neurowave.waves, neurowave.compare; "
            "print(sorted(m for m in ('neo', 'mne', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
