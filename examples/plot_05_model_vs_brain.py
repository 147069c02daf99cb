"""
Model versus brain: compare a wave RNN with a human recording
=============================================================

:func:`neurowave.compare.compare` (``neurowave compare MODEL.nc RECORDING`` on the
command line) puts a model's hidden states and a recording through the same wave
measures and says, metric by metric, how far apart the two distributions are, with
a bootstrap confidence interval and a test. Beside the model it measures two
controls: the same model with its coupling cut, and the untrained model of the same
architecture. Here the model is the default pretrained CoRNN, trained on
Tetrominoes at the paper's geometry (64 x 64 images, 28-pixel pieces, T = 100;
:doc:`/reproduction`), and the recording is the human Utah seizure recording of
:doc:`plot_01_utah_seizure`. Every call below uses the defaults, as the README's
headline and ``neurowave demo`` do::

    neurowave export pretrained:cornn-tetrominoes-paper --out model.nc
    neurowave compare model.nc example_seizure_waves.mat
"""

# %%
# The model export
# ----------------
# :func:`~neurowave.models.export_hidden` (``neurowave export``) runs the network on
# 16 test images and records what the analysis needs: the hidden states for twice
# the trained horizon (the network integrates ``T`` = 100 steps; its units ring at
# about 0.015 cycles/step, so 200 steps hold the two cycles a phase needs), the label
# map (each piece is an object), ``dt``, the config, and the two controls on the same
# images.

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import neurowave.models as nm
from neurowave.compare import compare, object_masks
from neurowave.datasets import load_seizure_utah

torch.set_num_threads(1)
name = nm.default_pretrained()  # "cornn-tetrominoes-paper"
model, ckpt = nm.load_model(f"pretrained:{name}")
export = nm.export_hidden(
    model, nm.task_from_spec(ckpt["task"]), seed=0, source=f"pretrained:{name}"
)
print(dict(export.hidden.sizes))
print({k: export.attrs[k] for k in ("n_steps_trained", "n_steps_recorded", "dt", "controls")})
utah = load_seizure_utah()
print(dict(utah.sizes))

# %%
# Where the model's waves live
# ----------------------------
# The network segments the image by letting waves run *inside* each piece; the
# background is a damped medium between them. Over the whole grid these waves cancel,
# and over a whole piece a wave that enters from all of its edges has a phase
# gradient directionality (PGD) near zero. So a model export is measured object by
# object: each piece of each image is a region of its own, every other cell absent
# (NaN). Here are the pieces of the first image and one phase snapshot of unit 1 on
# them.

from neurowave.compare import analyze_model

lab = export.label.values[0]
masks = object_masks(lab)
one = analyze_model(export, view={"samples": 0, "units": 1})
an = one.example  # the piece of image 0 with the most wave frames
ti = int(np.argmax(an.frames["is_wave"].values))
fig, axes = plt.subplots(1, 2, figsize=(7, 3.4), layout="constrained")
axes[0].imshow(sum((k + 1) * m for k, m in enumerate(masks)), cmap="tab10", interpolation="nearest")
axes[0].set_title(f"{len(masks)} objects of image 0")
im = axes[1].imshow(
    an.phase.sel(time=an.frames["time"][ti]).values,
    cmap="twilight",
    vmin=-np.pi,
    vmax=np.pi,
    interpolation="nearest",
)
axes[1].set_title(
    f"unit 1, step {float(an.frames['time'][ti]):.0f}: {an.frames['pattern'].values[ti]}"
)
fig.colorbar(im, ax=axes[1], label="phase (rad)")
for ax in axes:
    ax.set_axis_off()

# %%
# A frame counts as a wave frame when the pattern classifier calls it a moving
# pattern (planar, radial out or in, rotating), and its speed is that pattern's fit
# (cells/step). ``params["model_view"]`` of the result records this choice, and the
# band comes from the pooled spectrum of all pieces, units and images.
#
# Compare, with the controls
# --------------------------

result = compare(export, utah, seed=0)
print(result.model["params"]["model_view"]["description"])
print(
    "model band (cycles/step):",
    np.round(result.model["params"]["band"], 3),
    "| recording band (Hz):",
    np.round(result.recording["params"]["band"], 2),
)
for row in result.table_rows():
    print("  ".join(f"{c!s:>14s}" for c in row[:6]))
print(result.controls["coupling"]["sentence"])

# %%
# The table has one column per side: the trained model, the same model with its
# coupling cut (each 3x3 kernel of ``W_y`` summed onto its centre tap, so that no
# pixel feels its neighbours while a uniform state evolves as before), the untrained
# model, and the recording. The effect size (e.g. the ratio of the medians), its
# interval, the equivalence margin and the verdict (equivalent / different /
# undecided) compare the trained model with the recording. Per hidden unit, in the
# model's own units:

rows = [("trained", result.model)] + [
    (n, result.controls[n]) for n in ("cut_coupling", "untrained")
]
print(
    f"{'':14s} {'unit':>4s} {'wave fraction':>14s} {'speed (cells/step)':>19s} "
    f"{'frequency (cycles/step)':>24s}"
)
for name, summary in rows:
    for u, r in summary["summary"]["units"].items():
        sp = r["speed"]["median"]
        print(
            f"{name:14s} {u:>4s} {r['wave_fraction']:14.2f} "
            f"{'-' if sp is None else f'{sp:.2f}':>19s} {r['frequency']:24.3f}"
        )

# %%
# Units: comparing steps and cells with seconds and millimetres
# -------------------------------------------------------------
# A model step and a model cell have no physical size. Without one, ``compare``
# works in *scale-free* units of each side's own geometry and rhythm: wavelength in
# widths of the region analysed (each piece for the model, the 4 mm array for the
# recording) and speed in those widths per oscillation cycle (speed x median period
# / region extent), which without a time scale is the same evidence as the
# wavelength. Frequencies are then only comparable relative to each side's median.
# These are the numbers behind the conversion (``model_extent`` is the median
# extent of the pieces analysed):

scale = result.to_dict()["scale"]
for key in (
    "mode",
    "speed_units",
    "wavelength_units",
    "model_extent",
    "model_extent_units",
    "recording_extent",
    "recording_extent_units",
    "model_period",
    "recording_period",
    "model_band",
):
    print(f"{key:24s} {scale[key]}")

# %%
# Figures and the report
# ----------------------
# :meth:`~neurowave.compare.CompareResult.plot` draws both sides' distributions of
# every metric, their directions and their pattern fractions;
# :meth:`~neurowave.compare.CompareResult.write_report` (``--report DIR``) writes
# them with the controls table, example phase maps and ``compare.json`` into one
# self-contained ``index.html``.

fig = result.plot()
with tempfile.TemporaryDirectory() as tmp:
    index = result.write_report(Path(tmp) / "report")
    print(sorted(f.name for f in index.parent.iterdir()))

# %%
# What this shows
# ---------------
# * **The trained network carries waves inside its objects.** Over the trained
#   horizon and as much again, unit 1 is a moving pattern in about half of the
#   frames of each piece (0.53 here): mostly radial waves between a piece's edges and
#   its interior, the rest of the frames near synchrony. Unit 0 is held nearly in
#   step (0.12).
# * **The coupling carries unit 1's waves.** Cut it and unit 1's wave fraction falls
#   to 0.23, about the level of the untrained network, and its remaining patterns
#   are slow (about 0.1 cells/step) and mostly unclassified: without the coupling the
#   piece's oscillators drift apart. Unit 0 goes the other way (0.12 to 0.42 when
#   cut): the coupling keeps it in step, and without it the encoder's maps of natural
#   frequency set a phase pattern (phase precession), which a phase measure reads as
#   a wave. The control separates the two; a phase measure alone cannot.
# * **Speeds.** The untrained network's unit 1 carries waves at the coupling's speed
#   (about 0.1 cells/step, ``dt`` = 0.1). The trained unit 1's waves are much faster
#   (about 2 cells/step here): phase waves of oscillators the coupling keeps nearly
#   in step, whose shallow phase gradient makes speed the least certain measure
#   (:doc:`/reproduction` gives the full table and its ground-truth checks).
# * **Against the seizure recording** the waves differ in kind and in scale: the
#   recording's are plane waves whose wavelength spans the 4 mm array several
#   times; the model's waves are measured against the pieces they live in. Each
#   verdict says whether the effect size lies inside its stated margin
#   ("equivalent"), wholly beyond it ("different") or neither ("undecided"); an
#   equivalent metric means alike on that measure, not the same mechanism. A
#   network trained to segment tetrominoes and a
#   human brain during a seizure are very different systems: this shows how to put
#   them side by side with the same measures, and what the controls add, not that
#   one models the other.
