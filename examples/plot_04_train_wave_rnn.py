"""
Train a wave RNN on Tetrominoes and look at its waves
=====================================================

The coupled-oscillator recurrent network (CoRNN) of Jacobs, Budzinski, Muller, Ba &
Keller (2025) segments images with travelling waves: every pixel is an oscillator,
neighbouring oscillators are coupled by a convolution that starts as a discrete
Laplacian (a wave equation), and the readout looks at each pixel's time series. This
tutorial trains a small CoRNN on a CPU in under a minute, then puts its hidden
states through the same wave measures as a recording, next to an untrained network
of the same architecture as the control.

Training here is deliberately tiny (small images, few epochs); the shipped
pretrained model (:doc:`/reproduction`) was trained the same way for longer.
"""

# %%
# The task
# --------
# Tetrominoes segmentation: images with up to three coloured pieces, and a label
# per pixel (background or one of five piece shapes). The ``tetrominoes-tiny``
# preset uses 16 x 16 images with 2-pixel blocks; we generate 1000 training images.

# sphinx_gallery_thumbnail_number = 4
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

import neurowave.models as nm
import neurowave.waves as nw

torch.set_num_threads(1)  # a fair CPU budget, and reproducible
task = nm.get_task("tetrominoes-tiny", n_train=1000, n_val=100, n_test=100)
images, labels = task.split("test")
print(task.name, task.params, "classes:", task.class_names)

fig, axes = plt.subplots(2, 4, figsize=(8, 4.2), layout="constrained")
for j in range(4):
    axes[0, j].imshow(np.moveaxis(np.asarray(images[j]), 0, -1).clip(0, 1))
    axes[1, j].imshow(labels[j], cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("image")
axes[1, 0].set_ylabel("label")

# %%
# Train
# -----
# The configuration is that of the shipped model: 2 hidden channels, 30 steps of
# size ``dt = 0.3``, a linear readout over time followed by a small per-pixel MLP.
# :func:`neurowave.models.train` keeps the checkpoint with the best validation
# foreground IoU (``neurowave train`` on the command line does the same and writes
# a run directory).

config = dict(
    hidden_channels=2, c_mid=16, n_steps=30, dt=0.3, readout="linear", mlp_hidden=[32, 32, 32]
)
start = time.perf_counter()
run = nm.train(
    "cornn", task, model_config=config, epochs=20, batch_size=32, lr=3e-3, seed=0, progress=False
)
print(
    f"trained {run['n_parameters']} parameters in {time.perf_counter() - start:.0f} s, "
    f"best epoch {run['best_epoch']}"
)
print("test:", {k: round(v, 3) for k, v in run["test"].items() if isinstance(v, float)})

history = run["history"]
print("history keys:", sorted(history[0]))
epochs = [h["epoch"] for h in history]
fig, ax0 = plt.subplots(figsize=(6, 3.2), layout="constrained")
ax0.plot(epochs, [h["train_loss"] for h in history], "k.-", label="training loss")
ax0.set(xlabel="epoch", ylabel="cross-entropy")
ax1 = ax0.twinx()
ax1.plot(
    epochs, [h["val_fg_iou"] for h in history], "o-", color="tab:orange", label="validation fg-IoU"
)
ax1.set(ylabel="foreground IoU", ylim=(0, 1))
fig.legend(loc="upper center", ncols=2, fontsize=8)

# %%
# The loss falls and the validation foreground IoU rises above the 0 of a model
# that calls every pixel background. A few epochs on 1000 images are far from
# convergence; the predictions below show how far.

model = run["model"].eval()
pred = nm.predict(model, images[:4])
fig, axes = plt.subplots(2, 4, figsize=(8, 4.2), layout="constrained")
for j in range(4):
    axes[0, j].imshow(labels[j], cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
    axes[1, j].imshow(pred[j], cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("label")
axes[1, 0].set_ylabel("prediction")

# %%
# The hidden states as wave grids
# -------------------------------
# :func:`neurowave.models.export_hidden` runs the network on test images and records
# its hidden state at every step: an :class:`xarray.Dataset` with ``hidden`` of dims
# ``(sample, time, unit, y, x)``, time in steps and positions in cells. We record
# 200 steps, longer than the 30 the network was trained with, so that the spectral
# measures have enough cycles. :func:`neurowave.models.hidden_grid` selects one
# sample and hidden unit as an ordinary wave grid. The control is an untrained CoRNN
# of the same configuration; its coupling is still the discrete Laplacian it was
# initialised with.

torch.manual_seed(0)
control = nm.get_model(
    "cornn", in_channels=task.in_channels, n_classes=task.n_classes, **config
).eval()
exports = {
    "trained": nm.export_hidden(model, task, n=4, seed=0, n_steps=200),
    "untrained": nm.export_hidden(control, task, n=4, seed=0, n_steps=200),
}
print(exports["trained"].hidden.sizes)
grid = nm.hidden_grid(exports["trained"], sample=0, unit=0)
print(grid.dims, grid.attrs["time_units"], grid.attrs["space_units"], grid.attrs["kind"])

# %%
# Space-time plots
# ----------------
# A row of pixels through the first test image, over time: a wave travelling at a
# constant speed draws straight slanted stripes, whose slope is its speed in cells
# per step.

lab = exports["trained"].label.values[0]
row = int(np.argmax((lab > 0).sum(axis=1)))  # the row crossing most piece pixels
fig, axes = plt.subplots(2, 2, figsize=(10, 5.5), sharex=True, sharey=True, layout="constrained")
for i, (name, ds) in enumerate(exports.items()):
    for u in range(2):
        k = ds.hidden.values[0, :, u, row, :]  # (time, x)
        k = k - k.mean(axis=0)
        v = np.percentile(np.abs(k), 99)
        axes[i, u].imshow(
            k.T,
            aspect="auto",
            origin="lower",
            cmap="RdBu_r",
            vmin=-v,
            vmax=v,
            extent=(0.5, k.shape[0] + 0.5, -0.5, k.shape[1] - 0.5),
        )
        axes[i, u].set_title(f"{name}, hidden unit {u}", fontsize=10)
    axes[i, 0].set_ylabel(f"x (cell), row y = {row}")
for ax in axes[1]:
    ax.set_xlabel("step")
inside = np.flatnonzero(lab[row] > 0)
for ax in axes.ravel():
    ax.hlines(inside, 0.5, 5.0, color="k", lw=4)

# %%
# The short black bars on the left edge mark the cells of this row that belong to
# a piece. Slanted stripes are travelling waves; stripes that cross, in an X, are
# waves travelling both ways at once.
#
# Measured like a recording
# -------------------------
# We analyse each piece of each test image on its own (cells outside the piece are
# NaN, i.e. absent sites), for both hidden units, with
# :func:`neurowave.waves.analyze`: the band is chosen from the data, and speeds come
# out in cells per step.

import warnings

from scipy import ndimage


def measure_pieces(ds):
    rows = []
    for s in range(ds.sizes["sample"]):
        pieces, n = ndimage.label(ds.label.values[s] > 0)
        for u in range(ds.sizes["unit"]):
            for c in range(1, n + 1):
                g = nm.hidden_grid(ds, sample=s, unit=u).astype(float).where(pieces == c)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    try:
                        r = nw.analyze(g, n_surrogates=19, seed=0, classify=False)
                    except ValueError as err:  # e.g. a piece too small for the measures
                        print(f"sample {s}, unit {u}, piece {c}: {err}")
                        continue
                summ = r.summary["summary"]
                rows.append(
                    (
                        summ["wave_fraction"],
                        summ["speed"]["median"],
                        summ["frequency"]["median"],
                        summ["pgd"]["median"],
                    )
                )
    return np.array(rows, dtype=float)  # None becomes NaN


for name, ds in exports.items():
    m = measure_pieces(ds)
    print(
        f"{name:9s} {len(m)} piece x unit grids | median wave fraction "
        f"{np.nanmedian(m[:, 0]):.2f} | median PGD {np.nanmedian(m[:, 3]):.2f} | "
        f"frequency {np.nanmedian(m[:, 2]):.3f} cycles/step | "
        f"speed {np.nanmedian(m[:, 1]):.3f} cells/step "
        f"({np.isfinite(m[:, 1]).sum()} with wave frames)"
    )

# %%
# Read these numbers with the space-time plots. PGD and the wave fraction count a
# frame only when the phase field of the whole piece moves one way, so waves that
# cross or reflect inside a small piece lower them even when stripes are plain to
# see. Speed is :math:`|\partial\varphi/\partial t| / |\nabla\varphi|`: a very
# large value means that the phase hardly changes across the piece, i.e. the piece
# oscillates almost in synchrony rather than carrying a wave. For reference, waves
# of the untrained coupling (the discrete Laplacian) travel at one cell per unit of
# time, that is ``dt`` = 0.3 cells per step.
#
# The shipped model
# -----------------
# The default pretrained model, ``pretrained:cornn-tetrominoes-paper``, was trained
# with the same code at the paper's geometry: 64 x 64 images with 7-pixel blocks
# (28-pixel pieces), T = 100 steps of dt = 0.1, for 16 epochs of 10,000 images on
# two CPU cores (:doc:`/reproduction`). Evaluated on a freshly generated test set of
# 1,000 images, it reproduces the scores stored in its metadata, by neurowave's
# fg-IoU and by the published one (``neurowave evaluate pretrained:NAME`` does the
# same):

import json

from neurowave.models.train import pretrained_dir

name = nm.default_pretrained()
pretrained, ckpt = nm.load_model(f"pretrained:{name}")
meta = json.loads((pretrained_dir() / f"{name}.json").read_text())
scores = nm.evaluate(pretrained, nm.task_from_spec(ckpt["task"]), cache=False)
print(
    f"{name}: {ckpt['task']['size']} x {ckpt['task']['size']} images, "
    f"T = {ckpt['config']['n_steps']}, {meta['n_parameters']} parameters, trained "
    f"{meta['train_seconds'] / 60:.0f} min on {meta['machine']['cpu_count']} CPU cores"
)
for key in ("fg_iou", "fg_iou_paper"):
    print(
        f"{key:13s} now {scores[key]:.4f} on {scores['n_images']} images; "
        f"shipped {meta['scores']['test'][key]:.4f}"
    )
