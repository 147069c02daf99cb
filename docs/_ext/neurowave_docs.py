"""Local Sphinx helpers for the neurowave docs.

* ``_api_body.rst`` (git-ignored, included by ``api.rst``): written at configuration time from the ``__all__`` of
  every public module that exists, so the API reference follows the package as it
  grows (each object listed once, under the first module that exports it).
* ``.. neurowave-cli::``: the ``--help`` of every registered ``neurowave`` command,
  taken from the parser itself, so the CLI page cannot drift from the code.
* ``:nwdefault:`module.function.parameter```: the default value of a parameter, read
  from the signature, so defaults quoted in prose stay true.
* Docstrings write absolute values and norms as ``|x|`` in plain text; reST would
  read those as substitution references. ``escape_pipes`` escapes such bars outside
  inline literals and roles before numpydoc and autodoc see the docstring; and
  ``protect_literal_periods`` keeps autosummary from cutting a summary inside a
  literal such as ````a... b````.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList
from sphinx.util.nodes import nested_parse_with_titles

#: Public namespaces, in the order the API page shows them. A module that does not
#: exist yet is left out; one that exists but fails to import fails the build.
PUBLIC_MODULES = [
    ("neurowave", "Wave grids (the data model)"),
    ("neurowave.grid", "Wave-grid helpers"),
    ("neurowave.io", "Reading and writing files"),
    ("neurowave.datasets", "Example recordings and simulators"),
    ("neurowave.waves", "Wave measures"),
    ("neurowave.waves.circular", "Circular statistics"),
    ("neurowave.models", "Wave RNN models, tasks and export"),
    ("neurowave.compare", "Model versus recording"),
]


API_BODY = "_api_body.rst"


def _import_optional(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name == name:
            return None
        raise


def public_names(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in vars(mod) if not n.startswith("_")]
    out = []
    for n in names:
        obj = getattr(mod, n, None)
        if obj is None or inspect.ismodule(obj):
            continue
        if n.startswith("__"):
            continue
        out.append((n, obj))
    return out


def api_body():
    """reST of the API reference body."""
    seen = set()
    lines = []
    for modname, title in PUBLIC_MODULES:
        mod = _import_optional(modname)
        if mod is None:
            continue
        entries = []
        for n, obj in public_names(mod):
            if not callable(obj):  # constants (tuples, dicts) show the builtin's docstring
                continue
            key = id(obj)
            if key in seen:
                continue
            seen.add(key)
            entries.append(n)
        if not entries:
            continue
        lines += [f"``{modname}``: {title}", "-" * (len(modname) + 6 + len(title)), ""]
        lines += [f".. automodule:: {modname}", "   :no-members:"]
        parent, _, last = modname.rpartition(".")
        if parent and getattr(importlib.import_module(parent), last, mod) is not mod:
            # the parent exports an object under the module's name (e.g. the function
            # neurowave.compare): index only that object, not the module too
            lines.append("   :no-index:")
        lines.append("")
        lines += [f".. currentmodule:: {modname}", ""]
        lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {n}" for n in entries]
        lines.append("")
    return "\n".join(lines) + "\n"


def write_api_body(srcdir):
    out = Path(srcdir) / API_BODY
    text = api_body()
    if not out.exists() or out.read_text() != text:
        out.write_text(text)
    return out


DATASETS_BODY = "_datasets_body.rst"


def datasets_body():
    """The example-datasets page body, from the dataset cards (``datasets/*.toml``)."""
    from neurowave.datasets import cards

    cs = list(cards().values())
    lines = [
        "Overview",
        "--------",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "   :widths: 18 30 14 14 12 12",
        "",
        "   * - folder",
        "     - recording",
        "     - sites",
        "     - sampling rate",
        "     - duration",
        "     - licence",
    ]
    for c in cs:
        lines += [
            f"   * - ``{c['name']}/``",
            f"     - {c['recording']}",
            f"     - {c['sites']}",
            f"     - {c['sampling_rate']}",
            f"     - {c['duration']}",
            f"     - {c['licence']}",
        ]
    lines.append("")
    for c in cs:
        title = c["title"]
        lines += [f".. _data-{c['name']}:", "", title, "-" * len(title), ""]
        for label, key in (
            ("What it is", "what"),
            ("How it is stored", "stored"),
            ("What to watch out for", "watch_out"),
        ):
            lines += [f"*{label}.* " + " ".join(c[key].split()), ""]
        lines += ["*Upstream.* " + " ".join(c["upstream"]["text"].split()), ""]
        lines += ["*How the files were made.* " + " ".join(c["how_made"].split()), ""]
        lines += ["*Licence.* " + " ".join(c["licence_text"].split()), ""]
        lines += ["*Cite.* " + " ".join(c["cite"].split()), ""]
        n = len(c["files"])
        reader = f":func:`neurowave.datasets.{c['fetcher']}`"
        if c.get("loader"):
            reader += f", :func:`neurowave.datasets.{c['loader']}`"
        lines += [
            f"*In neurowave.* {reader}; card ``datasets/{c['name']}.toml`` with the "
            f"SHA-256 of {'its file' if n == 1 else f'its {n} files'}"
            + (":" if n <= 12 else " (first three shown):"),
            "",
        ]
        shown = list(c["files"].items())[: (n if n <= 12 else 3)]
        lines += [".. code-block:: text", ""]
        lines += [f"   {digest}  {name}" for name, digest in shown]
        if n > 12:
            lines.append(f"   ... ({n - 3} more in the card)")
        lines.append("")
    return "\n".join(lines) + "\n"


def write_datasets_body(srcdir):
    out = Path(srcdir) / DATASETS_BODY
    text = datasets_body()
    if not out.exists() or out.read_text() != text:
        out.write_text(text)
    return out


class CLIHelp(Directive):
    """Sections with the ``--help`` text of each ``neurowave`` command."""

    has_content = False
    option_spec: ClassVar[dict] = {"level": directives.unchanged}

    def run(self):
        from neurowave.cli import build_parser

        parser = build_parser()
        underline = self.options.get("level", "-")
        rst = []
        sub = None
        for action in parser._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                sub = action
        top = parser.format_help()
        rst += ["``neurowave``", underline * 13, "", ".. code-block:: text", ""]
        rst += ["   " + ln for ln in top.splitlines()] + [""]
        if sub is not None:
            for name, p in sub.choices.items():
                title = f"``neurowave {name}``"
                rst += [title, underline * len(title), "", ".. code-block:: text", ""]
                rst += ["   " + ln for ln in p.format_help().splitlines()] + [""]
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(rst, source="neurowave-cli"), node)
        return node.children


def _fmt(v, nd=3):
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


class PretrainedTable(Directive):
    """One table per shipped pretrained model, from its committed metadata JSON."""

    has_content = False

    def run(self):
        import json

        from neurowave.models.train import default_pretrained, pretrained_dir

        files = sorted(Path(pretrained_dir()).glob("*.json"))
        if files:  # the default model first
            default = default_pretrained()
            files.sort(key=lambda f: f.stem != default)
        rst = []
        if not files:
            rst += [
                "No pretrained model is shipped in this version (no metadata file in",
                "``neurowave/models/pretrained/``).",
                "",
            ]
        for f in files:
            m = json.loads(f.read_text())
            self.state.document.settings.record_dependencies.add(str(f))
            task = m.get("task", {})
            cfg = m.get("config", {})
            mach = m.get("machine", {})
            title = f"``pretrained:{m['name']}``" + (" (default)" if m["name"] == default else "")
            rst += [title, "~" * len(title), "", m.get("description", ""), ""]
            rst += [".. list-table::", "   :widths: 35 65", ""]
            rows = [
                ("model", f"{m['model']} ({m.get('n_parameters', '?')} parameters)"),
                ("configuration", ", ".join(f"{k}={v}" for k, v in cfg.items())),
                ("task", ", ".join(f"{k}={v}" for k, v in task.items())),
                (
                    "training",
                    f"{m.get('epochs')} epochs (best {m.get('best_epoch')}), batch "
                    f"{m.get('batch_size')}, lr {m.get('lr')}"
                    + (f" ({m['lr_schedule']} schedule)" if m.get("lr_schedule") else "")
                    + f", seed {m.get('seed')}, "
                    f"{m.get('train_seconds', 0) / 60:.1f} min on {m.get('device')} "
                    f"({mach.get('cpu_count', '?')} cores, torch {mach.get('torch', '?')}, "
                    f"{mach.get('torch_threads', '?')} thread(s))",
                ),
                ("weights", f"``{m['file']}``, sha256 ``{m['sha256']}``"),
            ]
            if mach.get("note"):
                rows.append(("machine", mach["note"]))
            if m.get("history"):
                rows.append(
                    (
                        "validation fg-IoU by epoch (published metric)",
                        ", ".join(
                            f"{e['epoch']}: {_fmt(e['val_fg_iou'])}"
                            + (
                                f" ({_fmt(e['val_fg_iou_paper'])})"
                                if "val_fg_iou_paper" in e
                                else ""
                            )
                            for e in m["history"]
                        ),
                    )
                )
            for split in ("val", "test"):
                sc = m.get("scores", {}).get(split)
                if sc:
                    rows.append(
                        (
                            f"{split} scores ({sc.get('n_images')} images)",
                            f"fg-IoU {_fmt(sc['fg_iou'])}"
                            + (
                                f", published fg-IoU {_fmt(sc['fg_iou_paper'])}"
                                if "fg_iou_paper" in sc
                                else ""
                            )
                            + ", pixel accuracy "
                            f"{_fmt(sc['pixel_accuracy'])}, foreground accuracy "
                            f"{_fmt(sc['foreground_accuracy'])}",
                        )
                    )
                    per = sc.get("iou_per_class")
                    if per:
                        rows.append(
                            (
                                f"{split} IoU per class",
                                ", ".join(f"{k} {_fmt(v)}" for k, v in per.items()),
                            )
                        )
            if "all_background_fg_iou" in m:
                rows.append(("all-background baseline fg-IoU", _fmt(m["all_background_fg_iou"])))
            for k, v in rows:
                rst += [f"   * - {k}", f"     - {v}"]
            rst += ["", f"Source: ``neurowave/models/pretrained/{f.name}``.", ""]
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(rst, source="neurowave-pretrained"), node)
        return node.children


def nwdefault_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:nwdefault:`neurowave.waves.analyze.pgd_threshold``` -> ``0.5``."""
    target, _, param = text.strip().rpartition(".")
    modname, _, funcname = target.rpartition(".")
    try:
        mod = importlib.import_module(modname)
        func = getattr(mod, funcname)
        default = inspect.signature(func).parameters[param].default
        if default is inspect.Parameter.empty:
            raise KeyError(param)
    except Exception as err:  # report as a build error (the build runs with -W)
        msg = inliner.reporter.error(
            f"nwdefault: cannot read the default of {text!r}: {err!r}", line=lineno
        )
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [nodes.literal(rawtext, repr(default))], []


def nwconst_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:nwconst:`neurowave.compare.MARGINS[speed]``` -> ``1.25`` (a module constant,
    or one entry of a dict constant, as the installed version has it)."""
    ref = text.strip()
    key = None
    if ref.endswith("]") and "[" in ref:
        ref, _, key = ref[:-1].partition("[")
    modname, _, attr = ref.rpartition(".")
    try:
        value = getattr(importlib.import_module(modname), attr)
        if key is not None:
            value = value[key]
    except Exception as err:  # report as a build error (the build runs with -W)
        msg = inliner.reporter.error(f"nwconst: cannot read {text!r}: {err!r}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [nodes.literal(rawtext, repr(value))], []


# inline literals, roles with their content, and interpreted text: left alone
_CODE = re.compile(r"(``.+?``|:[\w:+-]+:`[^`]*`|`[^`]+`_{0,2})")


def escape_pipes(line):
    """Escape ``|`` outside code in one docstring line (not in tables or line blocks)."""
    stripped = line.lstrip()
    if (
        "|" not in line
        or stripped.startswith(("|", "+"))
        or stripped.startswith(">>>")
        or stripped.startswith("...")
    ):
        return line
    parts = _CODE.split(line)
    for i in range(0, len(parts), 2):  # even indices: outside code
        parts[i] = re.sub(r"(?<!\\)\|", r"\\|", parts[i])
    return "".join(parts)


def protect_literal_periods(line):
    """Keep autosummary from ending a summary sentence inside an inline literal.

    autosummary cuts the first sentence at a period followed by whitespace, even
    inside ````...````; a word joiner (U+2060, invisible) after such a period stops it.
    """
    if "``" not in line:
        return line
    return re.sub(r"``.+?``", lambda m: re.sub(r"\.(?=\s)", ".\u2060", m.group(0)), line)


def _on_process_docstring(app, what, name, obj, options, lines):
    in_literal_block = False
    for i, line in enumerate(lines):
        if line.rstrip().endswith("::"):
            in_literal_block = True
            continue
        if in_literal_block:
            if line.strip() and not line.startswith((" ", "\t")):
                in_literal_block = False
            else:
                continue
        lines[i] = protect_literal_periods(escape_pipes(line))


def _on_config_inited(app, config):
    write_api_body(app.srcdir)
    write_datasets_body(app.srcdir)


def setup(app):
    app.connect("config-inited", _on_config_inited)
    app.connect("autodoc-process-docstring", _on_process_docstring, priority=400)
    app.add_directive("neurowave-cli", CLIHelp)
    app.add_directive("neurowave-pretrained", PretrainedTable)
    app.add_role("nwdefault", nwdefault_role)
    app.add_role("nwconst", nwconst_role)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
