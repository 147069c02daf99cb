"""What a lab vets before adopting the package: licence, citation, changelog, and a CI
whose local commands are the ones it runs."""

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

import neurowave

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements(entries):
    """Requirement strings of a dependency group, its included groups resolved."""
    groups = PYPROJECT["dependency-groups"]
    out = []
    for e in entries:
        if isinstance(e, dict):
            out += _requirements(groups[e["include-group"]])
        else:
            out.append(e)
    return out


def test_the_licence_is_the_one_pyproject_declares():
    assert PYPROJECT["project"]["license"] == "BSD-3-Clause"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("BSD 3-Clause License")
    assert "The neurowave developers" in text
    assert "Neither the name of the copyright holder" in text  # the third clause


def test_citation_cites_this_version_and_the_paper():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    # the version a user must cite is the one the JSON summaries and reports record
    assert cff["version"] == neurowave.__version__
    assert cff["license"] == PYPROJECT["project"]["license"]
    (paper,) = cff["references"]
    assert paper["title"] == "Traveling Waves Integrate Spatial Information Through Time"
    assert paper["url"].endswith("2502.06034")
    assert paper["authors"][0]["family-names"] == "Jacobs"


def test_readme_links_licence_citation_changelog_and_contributing():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## How to cite" in readme
    for target in ("LICENSE", "CITATION.cff", "docs/changes.rst", "CONTRIBUTING.md"):
        assert f"]({target})" in readme, target
        assert (ROOT / target).is_file(), target


def test_changelog_has_an_unreleased_section_in_the_docs_toctree():
    changes = (ROOT / "docs" / "changes.rst").read_text(encoding="utf-8")
    assert re.search(r"^Unreleased\n-+\n", changes, flags=re.M)
    index = (ROOT / "docs" / "index.rst").read_text(encoding="utf-8")
    toctree = index[index.index(".. toctree::") :]
    assert re.search(r"^   changes$", toctree, flags=re.M)
    assert re.search(r"^   development$", toctree, flags=re.M)


def test_dev_group_holds_the_test_and_doc_extras_and_the_ci_tools():
    dev = _requirements(PYPROJECT["dependency-groups"]["dev"])
    extras = PYPROJECT["project"]["optional-dependencies"]
    for req in extras["test"] + extras["doc"]:
        assert req in dev, f"{req} is in an extra but not in the dev group"
    names = {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in dev}
    for tool in ("ruff", "mypy", "build", "twine", "nox", "pre-commit"):
        assert tool in names, tool


def _nox_sessions():
    """Session names and the commands they run, read from noxfile.py's source."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    sessions = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
            "session" in ast.unparse(d) for d in node.decorator_list
        ):
            sessions[node.name] = ast.unparse(node)
    return sessions


def test_ci_runs_the_nox_sessions_and_nox_runs_the_readme_tests():
    sessions = _nox_sessions()
    assert {"tests", "docs", "lint", "typecheck", "build"} <= set(sessions)
    assert "'ruff', 'check', '.'" in sessions["lint"]
    assert "'ruff', 'format', '--check', '.'" in sessions["lint"]
    assert "'twine', 'check', '--strict'" in sessions["build"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"nox .*-s lint typecheck build", ci)
    # the tests session is the README's pytest run
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    src = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    pytest_argv = ast.literal_eval(re.search(r"^PYTEST = (\(.*?\))$", src, flags=re.M)[1])
    assert f"NEUROWAVE_DATA=../shared/data {' '.join(pytest_argv)}\n" in readme


@pytest.mark.parametrize("hook", ["ruff check", "ruff format --check", "mypy"])
def test_pre_commit_hooks_are_local_and_run_the_ci_tools(hook):
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert all(r["repo"] == "local" for r in config["repos"])
    hooks = [h for r in config["repos"] for h in r["hooks"]]
    assert all(h["language"] == "system" for h in hooks)
    assert any(h["entry"].startswith(hook) for h in hooks), hook


def test_the_package_is_marked_typed():
    assert (ROOT / "neurowave" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["neurowave"]
