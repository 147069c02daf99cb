"""The README's commands are what CI runs and what the command line accepts."""

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

from neurowave.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _setup_commands():
    spec = importlib.util.spec_from_file_location(
        "readme_commands", ROOT / ".ci" / "readme_commands.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.setup_commands(ROOT / "README.md")


def test_ci_runs_the_two_readme_setup_commands_as_written():
    demo, tests = _setup_commands()
    assert demo.endswith("&& NEUROWAVE_DATA=../shared/data neurowave demo")
    assert tests.endswith("&& NEUROWAVE_DATA=../shared/data python -m pytest -n 2")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "readme_commands.py" in ci and 'bash -c "$tests"' in ci and 'bash -c "$demo"' in ci
    # CI sets nothing the README does not: the README's command must pass on its own
    for var in ("NEUROWAVE_DATA", "NEUROWAVE_OFFLINE", "MPLBACKEND"):
        assert not re.search(rf"^\s*export {var}", ci, flags=re.M), var


def _cli_lines():
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                while words and "=" in words[0]:  # VAR=value prefixes
                    words = words[1:]
                if words and words[0] == "neurowave":
                    yield words[1:]


@pytest.mark.parametrize("argv", list(_cli_lines()), ids=lambda a: " ".join(a[:2]))
def test_every_readme_command_line_parses(argv):
    args = build_parser().parse_args(argv)
    assert args._run is not None
    if argv[0] == "train" and args.like:
        from neurowave.commands.train import recipe

        r = recipe(args.like)
        assert r["model"] == "cornn" and r["task"]["size"] == 24


def test_readme_lists_the_commands_it_promises():
    names = [a[0] for a in _cli_lines()]
    for cmd in ("demo", "list", "info", "analyze", "train", "export", "compare"):
        assert cmd in names, cmd
