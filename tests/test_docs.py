"""The documentation builds with warnings as errors, runs every tutorial, and has no
broken internal link.

The build runs on a copy of ``docs/`` and ``examples/`` in a temporary folder, so
that outputs left in the source tree by an earlier build (sphinx-gallery skips
tutorials whose source is unchanged) can neither hide a failing tutorial nor be
touched by the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
GENERATED = (
    "_build",
    "generated",
    "auto_examples",
    "sg_execution_times.rst",
    "_api_body.rst",
    "_datasets_body.rst",
)


class _Links(HTMLParser):
    """Collect element ids (anchors) and the targets of href/src attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)
            elif (name == "href" and tag in ("a", "link", "area")) or (
                name == "src" and tag in ("img", "script", "source", "iframe")
            ):
                self.links.append(value)


def _parse(path):
    p = _Links()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    return p


def broken_internal_links(html_dir):
    """Every internal href/src of the built site whose file or anchor does not exist.

    Returns a list of ``(page, link)``; external links (with a scheme or ``//``) are
    not checked.
    """
    html_dir = Path(html_dir).resolve()
    # _static/ holds theme templates and assets, not pages
    pages = {
        p.resolve(): _parse(p)
        for p in html_dir.rglob("*.html")
        if "_static" not in p.relative_to(html_dir).parts
    }
    broken = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue
            if parts.path:
                target = (page.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
            else:
                target = page
            if not target.exists():
                broken.append((str(page.relative_to(html_dir)), link))
                continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if frag not in ids:
                    broken.append((str(page.relative_to(html_dir)), link))
    return broken


def test_link_checker_finds_broken_links(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="sub/page.html#here">ok</a><a href="#top">ok</a><h1 id="top">t</h1>'
        '<a href="sub/page.html#gone">bad anchor</a><a href="missing.html">bad file</a>'
        '<img src="_images/none.png"><a href="https://example.org/x.html">external</a>'
        '<a href="sub/">dir</a>'
    )
    (tmp_path / "sub" / "page.html").write_text('<p id="here">x</p>')
    (tmp_path / "sub" / "index.html").write_text("<p>x</p>")
    assert sorted(broken_internal_links(tmp_path)) == [
        ("index.html", "_images/none.png"),
        ("index.html", "missing.html"),
        ("index.html", "sub/page.html#gone"),
    ]


def _copy_sources(dest):
    ignore = shutil.ignore_patterns(*GENERATED, "__pycache__")
    shutil.copytree(DOCS, dest / "docs", ignore=ignore)
    shutil.copytree(EXAMPLES, dest / "examples", ignore=ignore)


def test_docs_build(data_dir, tmp_path):
    """Full HTML build: exit 0 with -W, every tutorial executed with figures, no broken link."""
    _copy_sources(tmp_path)
    out = tmp_path / "html"
    env = dict(os.environ)
    env.update(
        # as the user set it (the README's ``../shared/data`` is relative): the tutorials
        # run from another folder and must still find the cache
        NEUROWAVE_DATA=os.environ.get("NEUROWAVE_DATA", str(data_dir)),
        NEUROWAVE_OFFLINE="1",
        MPLBACKEND="Agg",
        PYTHONWARNINGS=env.get("PYTHONWARNINGS", ""),
    )
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-d",
        str(tmp_path / "doctrees"),
        str(tmp_path / "docs"),
        str(out),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"sphinx failed after {elapsed:.0f} s:\n{log[-6000:]}"
    print(f"docs build: {elapsed:.0f} s")

    tutorials = sorted(p.stem for p in EXAMPLES.glob("plot_*.py"))
    assert tutorials, "examples/ holds no tutorial (plot_*.py)"
    times = (tmp_path / "docs" / "sg_execution_times.rst").read_text()
    for stem in tutorials:
        page = out / "auto_examples" / f"{stem}.html"
        assert page.exists(), f"tutorial {stem} has no page"
        html = page.read_text(encoding="utf-8")
        assert "Total running time of the script" in html, f"tutorial {stem} was not executed"
        images = re.findall(rf'src="(\.\./_images/sphx_glr_{stem}_\d+\.png)"', html)
        assert images, f"tutorial {stem} produced no figure"
        for img in images:
            assert (page.parent / img).resolve().stat().st_size > 1000, img
        assert stem in times, f"tutorial {stem} missing from sg_execution_times"

    for page in ("index", "install", "methods", "datasets", "reproduction", "cli", "api"):
        assert (out / f"{page}.html").exists(), f"page {page} was not built"

    # maths renders offline: MathJax is served from the site itself, never a CDN
    methods = (out / "methods.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', methods, flags=re.I)
    assert scripts and all(not re.match(r"(https?:)?//", s) for s in scripts), scripts
    assert (out / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 100_000
    assert (out / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    remote = re.compile(r'src="(https?:)?//[^"]*mathjax', flags=re.I)
    assert not [p.name for p in out.rglob("*.html") if remote.search(p.read_text(errors="replace"))]

    broken = broken_internal_links(out)
    assert not broken, f"{len(broken)} broken internal link(s), e.g. {broken[:10]}"
