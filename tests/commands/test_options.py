"""One command line: shared options, defaults in every help, messages that name real
options, a fast ``--help``."""

import argparse
import ast
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from neurowave.cli import COMMANDS, build_parser
from neurowave.commands._options import MEASURE, READER, option_names

PKG = Path(__file__).resolve().parents[2] / "neurowave"


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, action.choices


def _flags(p):
    return {f for a in p._actions for f in a.option_strings}


def test_reader_and_measure_options_are_shared():
    _, subs = _subparsers()
    for name in ("info", "analyze", "compare"):
        assert set(option_names(READER)) <= _flags(subs[name]), name
    for name in ("analyze", "compare"):
        assert set(option_names(MEASURE)) <= _flags(subs[name]), name
    # one definition each: same default and help on every command
    for flag in option_names(READER) + option_names(MEASURE):
        seen = {
            (repr(a.default), a.help)
            for n in ("analyze", "compare", "info")
            for a in subs[n]._actions
            if flag in a.option_strings
        }
        assert len(seen) == 1, flag


def test_every_option_states_its_default():
    _parser, subs = _subparsers()
    for name, p in subs.items():
        for a in p._actions:
            if not a.option_strings or a.required or a.default is argparse.SUPPRESS:
                continue
            if isinstance(a, (argparse._HelpAction, argparse._VersionAction)):
                continue
            text = p.formatter_class("x")._get_help_string(a) or ""
            assert "default" in text.lower(), f"neurowave {name} {a.option_strings[0]}: {text!r}"
    help_text = subs["train"].format_help()
    help_text = help_text[help_text.index("options:") :]
    for flag in ("--batch-size", "--lr", "--readout", "--device"):
        line = help_text[help_text.index(flag + " ") :]
        assert "default" in line[:300], flag


# Which commands can print a message written in a module: a flag a message suggests
# must exist on every one of them (unless the message names the command itself, as
# in "`neurowave export ... --steps N`", in backticks).
_READING = ("info", "analyze", "compare")
_SOURCES = {
    "io": _READING,
    "grid.py": _READING,
    "waves": ("analyze", "compare"),
    "compare": ("compare",),
    "models/_cli.py": ("evaluate", "export"),
    "models/train.py": ("train",),
    "_outputs.py": ("analyze", "compare", "demo", "info", "evaluate", "export"),
    "_proc.py": ("analyze",),
}


def _printers(rel):
    if rel.parts[0] == "commands":
        stem = rel.stem
        return () if stem.startswith("_") else (stem,)
    key = rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in _SOURCES else str(rel)
    return _SOURCES.get(key, _SOURCES.get(rel.parts[0], ()))


def _suggested_flags():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.name == "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                spans = [
                    (c.start(), c.end(), c.group(1))
                    for c in re.finditer(r"`neurowave (\w+)[^`]*`", node.value)
                ]
                for m in re.finditer(r"(?<![\w-])--[a-z][a-z0-9-]*", node.value):
                    named = [cmd for a, b, cmd in spans if a < m.start() < b]
                    yield rel, m.group(0), tuple(named) or _printers(rel)


def test_every_option_a_message_suggests_exists_on_the_command_that_prints_it():
    _, subs = _subparsers()
    checked = 0
    for rel, flag, commands in _suggested_flags():
        for cmd in commands:
            assert cmd in subs, f"{rel} names command {cmd}"
            assert flag in _flags(subs[cmd]), f"{rel} suggests {flag}, which neurowave {cmd} lacks"
            checked += 1
    assert checked > 50  # the scan sees the messages


def test_help_is_fast_and_imports_nothing_heavy():
    code = (
        "import sys\nfrom neurowave.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'mne', 'neo', 'matplotlib', 'xarray', "
        "'numpy', 'scipy') if m in sys.modules), file=sys.stderr)"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.stderr.strip() == "[]"
    assert "analyze" in proc.stdout and "list" in proc.stdout
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert cpu < 0.5, f"neurowave --help used {cpu:.2f} s of CPU"


@pytest.mark.parametrize("name", COMMANDS)
def test_subcommand_help_is_fast(name):
    code = (
        f"from neurowave.cli import main\ntry:\n    main([{name!r}, '--help'])\n"
        "except SystemExit:\n    pass\nimport sys\n"
        "print(sorted(m for m in ('torch', 'mne', 'neo', 'matplotlib') "
        "if m in sys.modules), file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr.strip() == "[]"
    assert "usage: neurowave " + name in proc.stdout
