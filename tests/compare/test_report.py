"""The comparison report: figures, a GIF, and one self-contained HTML page that renders
in headless Chromium with every image loaded and no console errors.

CI needs Debian's ``chromium`` package (``apt-get install -y chromium``); without a
chromium binary the browser test is skipped.
"""

import html
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--hide-scrollbars",
]

_PROBE = """<script>
window.__nwErrors = [];
window.addEventListener('error', function (e) {
  var t = e.target;
  window.__nwErrors.push(t && t.tagName ? 'resource failed: ' + t.tagName : String(e.message));
}, true);
(function () { var oe = console.error; console.error = function () {
  window.__nwErrors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
  oe.apply(console, arguments); }; })();
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var res = imgs.map(function (i) {
    return {ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, h: i.naturalHeight}; });
  var pre = document.createElement('pre'); pre.id = 'nw-check';
  pre.textContent = JSON.stringify({images: res, errors: window.__nwErrors});
  document.body.appendChild(pre);
});
</script>"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def report_dir(result_matched, tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "report"
    index = result_matched.write_report(out)
    assert index == out / "index.html"
    return out


def test_report_files_and_self_contained_html(report_dir, result_matched):
    from PIL import Image

    names = {p.name for p in report_dir.iterdir()}
    assert names == {
        "index.html",
        "compare.json",
        "phase_maps.png",
        "distributions.png",
        "directions.png",
        "patterns.png",
        "waves.gif",
    }
    text = (report_dir / "index.html").read_text()
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]+)"', text)
    assert len(srcs) == 5 and all(s.startswith("data:image/") for s in srcs)
    assert not re.search(r'(src|href)="(https?:|//|file:)', text)  # nothing external
    with Image.open(report_dir / "waves.gif") as gif:
        assert gif.n_frames >= 20  # an animation, not a still
    d = json.loads((report_dir / "compare.json").read_text())
    assert d["distances"]["speed"]["distance"] == pytest.approx(
        result_matched.distances["speed"]["distance"]
    )
    # the distances table shows the numbers of the result
    assert f"{result_matched.distances['speed']['distance']:.3g}" in text


def test_report_refuses_a_non_empty_folder(result_matched, tmp_path):
    target = tmp_path / "rep"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="--overwrite"):
        result_matched.write_report(target)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]  # no temporary left behind


def test_report_renders_in_headless_chromium(report_dir, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("no chromium binary (CI: apt-get install -y chromium)")
    page = report_dir / "index.html"
    # 1) the page as written: no console message at all (it has no scripts)
    shot = tmp_path / "report.png"
    proc = subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            "--window-size=1400,3000",
            "--virtual-time-budget=5000",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 10_000, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines() if "CONSOLE" in ln]
    assert not console, console
    # 2) a copy with a probe script: every image decoded, no error event
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("<head>", "<head>" + _PROBE, 1))
    proc = subprocess.run(
        [exe, *CHROMIUM_FLAGS, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    m = re.search(r'<pre id="nw-check">(.*?)</pre>', proc.stdout, re.S)
    assert m, proc.stderr[-2000:]
    check = json.loads(html.unescape(m.group(1)))
    assert len(check["images"]) == 5
    assert all(i["ok"] and i["w"] > 100 and i["h"] > 100 for i in check["images"]), check
    assert check["errors"] == []


def test_report_of_a_side_without_wave_frames(model_planar, rec_rotating, tmp_path):
    # with PGD wave frames (both sides) a rotating wave has low PGD: no wave frames, so
    # no speeds or directions to compare
    from neurowave.compare import StatsOptions, compare

    res = compare(
        model_planar, rec_rotating, stats=StatsOptions(n_boot=20), view={"wave_frames": "pgd"}
    )
    assert res.distances["speed"]["distance"] is None
    index = res.write_report(tmp_path / "r")
    text = index.read_text()
    assert text.count("data:image/") == 5
    assert res.distances["patterns"]["fractions_recording"]["rotating"] > 0.5


def _texts(fig):
    out = []
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts] + [ax.get_title()]
    return out


def test_example_frames_are_wave_frames_or_the_figure_says_none(
    result_matched, model_planar, rec_rotating
):
    import matplotlib.pyplot as plt

    from neurowave.compare import StatsOptions, compare
    from neurowave.compare.report import plot_phase_maps

    fig = plot_phase_maps(result_matched)
    shown = 0
    for side in ("model", "recording"):
        fr = result_matched.examples[side].frames
        t = fr["time"].values
        for title in _texts(fig):
            m = re.match(r"t = ([-\d.e+]+) (s|step), PGD", title)
            if m and (m.group(2) == "s") == (side == "recording"):
                i = int(np.argmin(np.abs(t - float(m.group(1)))))
                assert bool(fr["is_wave"].values[i]), (side, title)
                shown += 1
    assert shown == 8
    plt.close(fig)
    # with PGD wave frames a rotating recording has none: its row says so instead of
    # showing others
    res = compare(
        model_planar, rec_rotating, stats=StatsOptions(n_boot=0), view={"wave_frames": "pgd"}
    )
    assert not res.examples["recording"].frames["is_wave"].values.any()
    fig = plot_phase_maps(res)
    texts = _texts(fig)
    assert any("no wave frames" in t for t in texts)
    assert sum(t.startswith("t = ") and " s, PGD" in t for t in texts) == 0
    plt.close(fig)


def test_distributions_show_each_side_whole(result_matched):
    # sides three orders of magnitude apart, one with six values: a log axis, and each
    # side's median and bulk inside the axis
    import dataclasses

    import matplotlib.pyplot as plt

    from neurowave.compare.report import plot_distributions

    rng = np.random.default_rng(0)
    values = {
        "model": dict(result_matched.values["model"]),
        "recording": dict(result_matched.values["recording"]),
    }
    values["model"]["speed"] = rng.lognormal(np.log(0.002), 0.2, 6)
    values["recording"]["speed"] = rng.lognormal(np.log(2.0), 0.3, 3000)
    res = dataclasses.replace(result_matched, values=values)
    fig = plot_distributions(res)
    ax = next(a for a in fig.axes if a.get_xlabel().startswith("speed"))
    assert ax.get_xscale() == "log"
    lo, hi = ax.get_xlim()
    for side in ("model", "recording"):
        v = values[side]["speed"]
        assert lo < np.quantile(v, 0.01) and np.quantile(v, 0.99) < hi
    # the median of each side is drawn inside its own row, with its label
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(lbl.startswith("model") and "n = 6" in lbl for lbl in labels)
    # verdicts in the titles; fonts no smaller than 9 pt on a page-wide figure
    assert fig.get_figwidth() <= 12.0
    assert result_matched.distances["pgd"]["verdict"] in " ".join(a.get_title() for a in fig.axes)
    assert min(t.get_fontsize() for t in ax.get_yticklabels() + ax.get_xticklabels()) >= 9
    plt.close(fig)


def test_inputs_table_has_units_and_verdicts(report_dir, result_matched):
    text = (report_dir / "index.html").read_text()
    inputs = text.split("<h2>Inputs</h2>")[1].split("</table>")[0]
    for needle in (
        "200 Hz",
        "samples/step",
        "0.4 mm",
        "1 cell",
        "4 mm",
        "16 cells",
        "cycles/step",
        "1.5 s",
        "120 steps",
    ):
        assert needle in inputs, needle
    verdicts = text.split("<h2>Verdicts</h2>")[1].split("</table>")[0]
    for m, d in result_matched.distances.items():
        assert d["verdict"] in verdicts, m
    assert "margin" in verdicts and "effect [90% CI]" in verdicts


def test_a_further_side_joins_table_and_figures(result_matched, tmp_path):
    # controls of the model (e.g. its coupling cut) are further sides: the table, the
    # inputs and every figure take them from `sides` without other changes
    import dataclasses

    import matplotlib.pyplot as plt

    from neurowave.compare import report

    values = dict(result_matched.values)
    values["cut_coupling"] = {m: v[: max(1, len(v) // 3)] for m, v in values["model"].items()}
    # a further key of `values` is a further side, between the model and the recording
    res = dataclasses.replace(
        result_matched,
        values=values,
        sides=None,
        examples={**result_matched.examples, "cut_coupling": result_matched.examples["model"]},
    )
    assert res.sides == ("model", "cut_coupling", "recording")
    rows = res.table_rows()
    assert rows[0][:4] == ("metric [wave frames: patterns]", "trained", "cut coupling", "recording")
    assert all(len(r) == len(rows[0]) for r in rows)
    fig = report.plot_distributions(res)
    ax = next(a for a in fig.axes if a.get_xlabel().startswith("PGD"))
    assert [t.get_text().split("\n")[0] for t in ax.get_yticklabels()] == [
        "trained",
        "cut coupling",
        "recording",
    ]
    plt.close(fig)
    index = report.write_report(res, tmp_path / "r", animation=False)
    text = index.read_text()
    assert text.count(">cut coupling</th>") == 2  # inputs and verdicts tables
