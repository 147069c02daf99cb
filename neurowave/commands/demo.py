"""``neurowave demo``: the whole path on built-in data, offline.

The pretrained wave RNN (when shipped) against the human Utah-array seizure recording
(when the example-data cache has it; else a simulated Utah array with a fixed seed),
through ``neurowave compare``, into a report folder.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager

HELP = "run the whole path offline on built-in data and write a report"

#: the demo runs exactly the README's headline, `neurowave export pretrained:NAME
#: --out model.nc` then `neurowave compare model.nc RECORDING`, with their defaults:
#: 16 images, twice the trained horizon, each object on its own, the controls
N_IMAGES = 16
RECORDING_SECONDS = None  # the whole recording
#: file that marks a folder as the demo's own output: a rerun replaces such a folder
MARKER = ".neurowave-demo"


def add_parser(subparsers):
    p = subparsers.add_parser(
        "demo",
        help=HELP,
        description=(
            "Offline demonstration: export the hidden states of the pretrained wave RNN on a "
            "few Tetrominoes images, compare their waves with the human Utah-array seizure "
            "recording (from the example-data cache NEUROWAVE_DATA; a simulated Utah array "
            "when the cache lacks it) and write the HTML report."
        ),
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        default="neurowave-demo",
        help="report folder; a folder the demo wrote before (and holding "
        "nothing else) is replaced, any other non-empty folder is refused",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="accepted for symmetry with the other commands: the demo replaces "
        "only its own earlier folder, with or without it",
    )
    return p


@contextmanager
def _offline():
    old = os.environ.get("NEUROWAVE_OFFLINE")
    os.environ["NEUROWAVE_OFFLINE"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("NEUROWAVE_OFFLINE", None)
        else:
            os.environ["NEUROWAVE_OFFLINE"] = old


def demo_model(*, n=None, seed=0):
    """The demo's model export and a one-line description.

    The pretrained Tetrominoes model when shipped, exported as `neurowave export`
    does by default; else a simulated model export (measured over its whole grid).
    """
    n = N_IMAGES if n is None else n
    from .._validate import NeurowaveFileNotFoundError
    from ..models import default_pretrained

    try:
        name = default_pretrained()
    except NeurowaveFileNotFoundError:  # no pretrained CoRNN in this installation
        name = None
    if name is not None:
        from ..models import export_hidden, load_model, task_from_spec

        model, ckpt = load_model(f"pretrained:{name}")
        task = task_from_spec(ckpt["task"])
        ds = export_hidden(model, task, n=n, seed=seed, source=f"pretrained:{name}")
        return ds, (
            f"pretrained:{name} on {n} Tetrominoes images, "
            f"{ds.sizes['time']} steps (trained horizon "
            f"{ds.attrs['n_steps_trained']}), with its controls"
        )
    from ..datasets import simulate_model_export

    ds = simulate_model_export(
        patterns=["planar", "rotating", "planar", "radial_out"],
        speed=0.3,
        frequency=0.05,
        shape=(24, 24),
        n_steps=160,
        n_samples=2,
        n_units=4,
        snr_db=10.0,
        seed=seed,
    )
    return ds, "simulated model export (no pretrained model is shipped)"


def demo_recording(*, seconds=RECORDING_SECONDS):
    """The demo's recording, its band (None: from the data, as `compare` chooses it by
    default) and a one-line description:
    the real Utah seizure recording when the example-data cache has it (never
    downloaded), else a simulated Utah array."""
    from ..datasets import data_dir

    path = data_dir() / "seizure-utah" / "example_seizure_waves.mat"
    if path.is_file():
        from ..datasets import load_seizure_utah

        with _offline():
            grid = load_seizure_utah()
        what = "human Utah-array seizure recording"
        if seconds is not None:
            grid = grid.isel(
                time=slice(0, int(round(seconds * float(grid.attrs["sampling_rate"]))))
            )
            what += f", first {seconds:g} s"
        return grid, None, f"{what} ({path})"
    from ..datasets import simulate_utah_recording

    return (
        simulate_utah_recording(seed=0, duration=seconds or 4.0),
        None,
        f"simulated Utah array (seed 0): the real recording is not in the example-data "
        f"cache {data_dir()}; set NEUROWAVE_DATA to the folder that has "
        "seizure-utah/example_seizure_waves.mat",
    )


def run(args):
    from ..compare import compare
    from .compare import check_outputs, print_summary, write_outputs

    # the demo's documented behaviour: its own earlier folder (and nothing else) is
    # replaced; a folder holding anything the demo did not write is refused
    check_outputs(None, args.out, args.overwrite, kind="demo", replace_own=True, option="--out")
    t0 = time.perf_counter()

    def say(m):
        return print(m, file=sys.stderr)

    say("neurowave demo: preparing the model export ...")
    model, model_what = demo_model()
    say(f"  model:     {model_what}")
    recording, band, rec_what = demo_recording()
    say(f"  recording: {rec_what}")
    say("neurowave demo: comparing (same measures on both sides, compare's defaults) ...")
    result = compare(model, recording, band=band, progress=sys.stderr.isatty())
    result.model.setdefault("input", {})["description"] = model_what
    result.recording.setdefault("input", {})["description"] = rec_what
    print_summary(result)
    index = write_outputs(
        result,
        report_dir=args.out,
        overwrite=True,
        kind="demo",
        extra={
            MARKER: "Written by `neurowave demo`, which replaces this folder when it runs again.\n"
        },
    )
    print(f"\nreport: {index.resolve()}")
    print(f"({time.perf_counter() - t0:.0f} s) Open it in a browser; the JSON is beside it.")
    return 0
