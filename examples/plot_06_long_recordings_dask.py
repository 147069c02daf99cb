"""
Long recordings with dask: chunks, a local cluster, memory and speed
====================================================================

An hour of a 96-electrode Utah array at 1 kHz is 346 million samples, 1.4 GB in
float32, and every intermediate (filtered signal, phase, two gradient components)
is as large again. neurowave's measures are written over :mod:`xarray` with
``dask="parallelized"``: give them a dask-backed grid and they build a lazy
computation that runs chunk by chunk, so memory is set by the chunk size, not by
the length of the recording. This tutorial shows it on a synthetic recording made
chunk by chunk, so that even the input never exists in memory at once.
"""

# %%
# A recording that is never loaded
# --------------------------------
# Each chunk of ten seconds is generated on demand: a plane wave at 0.3 m/s towards
# 60 degrees at 10 Hz on a 10 x 10 Utah layout (corners NaN), plus noise. A real
# long recording would come from :func:`neurowave.io.read` with lazy loading or
# :func:`neurowave.io.read_netcdf` with ``chunks=``; the computation below is the
# same.

import time
import tracemalloc

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np

import neurowave
import neurowave.waves as nw

FS = 1000.0  # Hz
X = Y = 0.2 + 0.4 * np.arange(10)  # mm
SPEED, DIRECTION, FREQ = 0.3, 60.0, 10.0  # m/s, deg, Hz
KX, KY = (
    2
    * np.pi
    * FREQ
    / (SPEED * 1000.0)
    * np.array([np.cos(np.deg2rad(DIRECTION)), np.sin(np.deg2rad(DIRECTION))])
)


def make_chunk(block_info=None):
    """Samples t0..t1 of the synthetic recording (deterministic per chunk)."""
    (t0, t1), _, _ = block_info[None]["array-location"]
    t = np.arange(t0, t1) / FS
    phase = 2 * np.pi * FREQ * t[:, None, None] - KX * X[None, None, :] - KY * Y[None, :, None]
    rng = np.random.default_rng(t0)
    out = np.cos(phase) + 0.3 * rng.standard_normal((t1 - t0, 10, 10))
    out[:, [0, 0, 9, 9], [0, 9, 0, 9]] = np.nan  # no electrodes in the corners
    return out.astype(np.float32)


def lazy_recording(seconds, chunk_seconds=10.0):
    n, c = int(seconds * FS), int(chunk_seconds * FS)
    chunks = (c,) * (n // c) + ((n % c,) if n % c else ())
    data = da.map_blocks(make_chunk, dtype=np.float32, chunks=(chunks, (10,), (10,)))
    return neurowave.make_grid(data, sampling_rate=FS, x=X, y=Y, source="synthetic, lazy")


grid = lazy_recording(600)  # ten minutes
print(grid)

# %%
# Lazy measures
# -------------
# The measures return dask-backed results at once: nothing has been computed yet.
# The band-pass filter needs a few samples from the neighbouring chunks; the
# measures take care of that overlap.

phase = nw.compute_phase(grid, band=(6.0, 14.0))
gradient = nw.compute_phase_gradient(phase)
pgd = nw.compute_pgd(gradient)
speed = nw.compute_speed(phase, gradient, per="frame")
for name, obj in [("phase", phase), ("gradient.dx", gradient.dx), ("pgd", pgd), ("speed", speed)]:
    print(
        f"{name:12s} {type(obj.data).__module__}.{type(obj.data).__name__}, "
        f"{obj.data.npartitions} chunks"
    )

# %%
# Compute on a local cluster
# --------------------------
# A :class:`dask.distributed.LocalCluster` runs the chunks in parallel. Here it uses
# threads only (one worker, two threads), which suits NumPy code that releases the
# GIL and a small machine; on a larger one, add workers. We ask only for small
# results: the fraction of frames with PGD above 0.5 and the per-frame speeds.

from dask.distributed import Client, LocalCluster

with (
    LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster,
    Client(cluster) as client,
):
    start = time.perf_counter()
    high_pgd, frame_speed = dask.compute((pgd > 0.5).mean().data, speed.data)
    elapsed = time.perf_counter() - start
n_site_samples = 96 * grid.sizes["time"]  # 96 electrodes
print(
    f"10 min x 96 sites in {elapsed:.1f} s "
    f"({n_site_samples / elapsed / 1e6:.1f} million site-samples per second on the "
    "machine that built this page)"
)
print(
    f"PGD > 0.5 in {100 * float(high_pgd):.1f} % of frames; median speed "
    f"{np.nanmedian(frame_speed):.3f} m/s (true {SPEED})"
)

# %%
# Memory: chunked against loaded
# ------------------------------
# We measure the peak memory that Python allocates (:mod:`tracemalloc`, which
# sees NumPy's arrays) while computing the same results for recordings of growing
# length, once loaded into memory (NumPy) and once chunked (dask, ten-second
# chunks, the threaded scheduler with two threads).


def measure(seconds, *, chunked, chunk_seconds=10.0):
    grid = lazy_recording(seconds, chunk_seconds)
    tracemalloc.start()
    start = time.perf_counter()
    if not chunked:
        grid = grid.compute()
    phase = nw.compute_phase(grid, band=(6.0, 14.0))
    gradient = nw.compute_phase_gradient(phase)
    result = (
        (nw.compute_pgd(gradient) > 0.5).mean(),
        nw.compute_speed(phase, gradient, per="frame"),
    )
    if chunked:
        with dask.config.set(scheduler="threads", num_workers=2):
            result = dask.compute(*result)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6, elapsed


lengths = [60, 120, 240]
rows = {
    label: [measure(s, chunked=c) for s in lengths]
    for label, c in [("loaded (NumPy)", False), ("chunked (dask, 10 s)", True)]
}
for label, res in rows.items():
    for s, (mb, sec) in zip(lengths, res, strict=True):
        print(f"{label:22s} {s:4d} s: peak {mb:7.0f} MB, {sec:5.1f} s")

chunk_sizes = [5.0, 10.0, 30.0]
by_chunk = [measure(240, chunked=True, chunk_seconds=c) for c in chunk_sizes]
for c, (mb, sec) in zip(chunk_sizes, by_chunk, strict=True):
    print(f"240 s in {c:4.0f}-s chunks: peak {mb:5.0f} MB, {sec:5.1f} s")

input_mb = [s * FS * 100 * 4 / 1e6 for s in lengths]
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for label, res in rows.items():
    ax0.plot(lengths, [r[0] for r in res], "o-", label=label)
ax0.plot(lengths, input_mb, "k--", lw=1, label="size of the input (float32)")
ax0.set(
    xlabel="recording length (s)",
    ylabel="peak memory (MB)",
    title="peak memory against length",
    ylim=(0, None),
)
ax0.legend(fontsize=8)
ax1.plot(chunk_sizes, [r[0] for r in by_chunk], "o-", color="tab:orange")
ax1.set(
    xlabel="chunk length (s)",
    ylabel="peak memory (MB)",
    title="240 s recording, chunked",
    ylim=(0, None),
)

# %%
# Loaded into memory, the peak grows in proportion to the recording, several times
# the size of the input because of the intermediates. Chunked, it grows far more
# slowly with the length, and the chunk length sets it (right): shorter chunks,
# less memory, more overhead. Times are printed above; chunking is what makes
# recordings longer than memory possible at all.
#
# Choosing chunks
# ---------------
# * Chunk along ``time`` only; every chunk needs all sites for the spatial
#   measures.
# * Make chunks long compared with the filter's transient (a few periods of the
#   lowest frequency of the band), so the overlap between chunks stays small.
# * Peak memory is roughly (number of threads) x (chunk size) x (a handful of
#   intermediates); pick the chunk length from the memory you can spare.
