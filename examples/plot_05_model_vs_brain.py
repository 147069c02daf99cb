"""
Model versus brain: compare a wave RNN with a human recording
=============================================================

:func:`neurowave.compare.compare` (``neurowave compare MODEL.nc RECORDING`` on the
command line) puts a model's hidden states and a recording through the same wave
measures and says, metric by metric, how far apart the two distributions are, with
a bootstrap confidence interval and a test. Here the model is the shipped CoRNN
trained on Tetrominoes (:doc:`/reproduction`) and the recording is the human Utah
seizure recording of :doc:`plot_01_utah_seizure`. This is also what ``neurowave
demo`` runs.
"""

# %%
# The two sides
# -------------
# The model side is an export of the pretrained network's hidden states on 8 test
# images, recorded for 200 steps (enough cycles for the spectral measures). The
# network's waves travel within the objects of the image, so we measure only the
# cells of the pieces (``model_sites="foreground"``). The recording side is the
# Utah array in the 1-13 Hz band.

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch

import neurowave.models as nm
from neurowave.compare import compare
from neurowave.datasets import load_seizure_utah

torch.set_num_threads(1)
model, ckpt = nm.load_model("pretrained:cornn-tetrominoes-small")
export = nm.export_hidden(model, nm.task_from_spec(ckpt["task"]), n=8, seed=0, n_steps=200,
                          source="pretrained:cornn-tetrominoes-small")
utah = load_seizure_utah()
print(export.hidden.sizes)
print(utah.sizes)

# %%
# The model's rhythm
# ------------------
# ``compare`` needs a frequency band for each side. The recording's is 1-13 Hz. For
# the model we look at the power spectrum of the hidden states over the cells of the
# pieces, averaged over images and hidden units (Welch, linear trend removed).

import numpy as np
from scipy import signal

hidden = export.hidden.values  # (sample, time, unit, y, x)
foreground = export.label.values > 0  # (sample, y, x)
spectra = []
for s in range(hidden.shape[0]):
    for u in range(hidden.shape[2]):
        x = hidden[s, :, u][:, foreground[s]]  # (time, cells)
        freqs, pxx = signal.welch(x, fs=1.0, nperseg=x.shape[0], detrend="linear", axis=0)
        spectra.append(pxx.mean(axis=1))
spectrum = np.mean(spectra, axis=0)
# the highest local peak among frequencies with at least four cycles in the export
peaks, _ = signal.find_peaks(np.log(spectrum))
peaks = peaks[freqs[peaks] >= 4 / hidden.shape[1]]
f_peak = freqs[peaks[np.argmax(spectrum[peaks])]]
model_band = (0.75 * f_peak, 1.25 * f_peak)
print(f"strongest component: {freqs[np.argmax(spectrum)]:.4f} cycles/step; "
      f"highest peak above it: {f_peak:.4f} cycles/step; model band "
      f"{model_band[0]:.4f}-{model_band[1]:.4f} cycles/step")

fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
ax.semilogy(freqs, spectrum, "k.-")
ax.axvspan(*model_band, color="tab:orange", alpha=0.3, label="model band")
ax.set(xlabel="frequency (cycles/step)", ylabel="power", xlim=(0, 0.2),
       title="hidden states, cells of the pieces")
ax.legend()

# %%
# The strongest component is a slow drift, with a period as long as the export
# itself: too slow to measure as a wave in 200 steps. Above it the spectrum has an
# oscillatory peak, and we pass a band around that peak to ``compare`` as
# ``model_band``.
#
# Compare
# -------
# Each (image, hidden unit) of the model is analysed as one trial and the trials
# are pooled; the recording's frames are taken as they come. Both sides go through
# :func:`neurowave.waves.analyze` with the same settings, each in its own band.

result = compare(export, utah, band=(1.0, 13.0), model_band=model_band,
                 model_sites="foreground",
                 max_trials=16, n_boot=200, seed=0)
for row in result.table_rows():
    print("  ".join(f"{str(c):>20s}" for c in row))
for note in result.footnotes():
    print(note)

# %%
# Units: comparing steps and cells with seconds and millimetres
# -------------------------------------------------------------
# A model step and a model cell have no physical size. Without one, ``compare``
# works in *scale-free* units of each side's own geometry and rhythm: speed in array
# widths per oscillation cycle (speed x median period / array extent) and
# wavelength in array widths. Frequencies are then only comparable relative to each
# side's median. These are the numbers behind the conversion:

scale = result.to_dict()["scale"]
for key in ("mode", "speed_units", "wavelength_units", "model_extent", "model_extent_units",
            "recording_extent", "recording_extent_units", "model_period", "recording_period",
            "model_band"):
    print(f"{key:24s} {scale[key]}")

# %%
# The table as a :class:`pandas.DataFrame`, with the distance, its confidence
# interval and the test behind each metric:

frame = result.to_frame()
print(frame[["model", "recording", "units", "distance", "ci_low", "ci_high", "test",
             "p_value"]].to_string(float_format=lambda v: f"{v:.3g}"))

# %%
# Figures
# -------
# :meth:`~neurowave.compare.CompareResult.plot` draws both sides' distributions of
# every metric, their directions and their pattern fractions.

fig = result.plot()

# %%
# The report
# ----------
# :meth:`~neurowave.compare.CompareResult.write_report` (``--report DIR`` on the
# command line) writes the same figures, example phase maps of both sides, an
# animation and ``compare.json`` into a folder with one self-contained
# ``index.html``.

with tempfile.TemporaryDirectory() as tmp:
    index = result.write_report(Path(tmp) / "report")
    for f in sorted(index.parent.iterdir()):
        print(f"{f.name:32s} {f.stat().st_size / 1024:8.1f} kB")
    maps = plt.imread(index.parent / "phase_maps.png")

fig, ax = plt.subplots(figsize=(10, 10 * maps.shape[0] / maps.shape[1]), layout="constrained")
ax.imshow(maps)
ax.set_axis_off()

# %%
# Above, ``phase_maps.png`` from the report: the phase maps of the frames with the
# highest PGD on each side, next to each other (their PGD is in each title; on the
# model side, compare them with the PGD threshold of 0.5).

# %%
# What the numbers mean, and what they do not
# -------------------------------------------
# * Each distance says how different the two *distributions* are, in the units
#   printed with it, with a confidence interval from a block bootstrap (blocks,
#   because neighbouring frames are not independent). A distance near 0 means the
#   two sides are alike on that measure; it does not mean the same mechanism makes
#   the waves.
# * The footnotes (printed under the table above) flag metrics that rest on too few
#   independent frames on one side; their intervals and tests say little. More
#   images or longer recordings are the cure.
# * Scale-free units compare shapes of dynamics (how many array widths a wave
#   crosses per cycle), not absolute speeds. To compare in m/s, give the model a
#   physical scale, e.g. ``compare(..., model_dt="1ms", model_dx="0.4mm")`` or
#   ``--model-dt 1ms --model-dx 0.4mm``: the result is then only as meaningful as
#   that choice.
# * A network trained to segment tetrominoes and a human brain during a seizure are
#   very different systems; this comparison shows how to put them side by side with
#   the same measures, not that one models the other.
