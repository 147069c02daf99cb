"""Synthetic Utah-array recordings for the benchmarks, written chunk by chunk.

A 15 Hz plane wave (0.2 m/s towards 30 deg) in pink noise at 10 dB on a 96-site
Utah array (10 x 10 at 0.4 mm, corners dead), 1 kHz, float32, as netCDF (the format
``neurowave.io.write_netcdf`` writes) or as NIX (the layout ``neo.NixIO`` writes: one
HDF5 DataArray per channel, Cobrawap ``x_coords``/``y_coords`` array annotations and a
``spatial_scale``). The recording is generated and written one minute at a time, so
an hour never sits in memory. Usage::

    python benchmarks/recording.py OUT.nc --duration 600
    python benchmarks/recording.py OUT.nix --duration 3600
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

TRUTH = {"frequency": 15.0, "speed": 0.2, "direction": 30.0, "snr_db": 10.0}
BAND = (10.0, 20.0)


def utah_recording(duration, *, chunk=60.0, fs=1000.0, seed=0):
    """A dask-backed grid, each ``chunk`` seconds simulated on demand (an integer number
    of cycles per chunk keeps the wave continuous across chunk joins)."""
    import dask.array as da

    import neurowave as nw
    from neurowave.datasets import simulate_wave

    n = int(round(duration * fs))
    step = int(round(chunk * fs))
    sizes = [step] * (n // step) + ([n % step] if n % step else [])
    starts = np.cumsum([0] + sizes[:-1])
    g0, _ = simulate_wave(
        "planar",
        duration=0.01,
        sampling_rate=fs,
        seed=0,
        speed=TRUTH["speed"],
        direction=TRUTH["direction"],
        frequency=TRUTH["frequency"],
    )

    def block(block_info=None):
        i = block_info[None]["chunk-location"][0]
        m = sizes[i]
        g, _ = simulate_wave(
            "planar",
            duration=m / fs,
            sampling_rate=fs,
            seed=seed + i,
            speed=TRUTH["speed"],
            direction=TRUTH["direction"],
            frequency=TRUTH["frequency"],
            snr_db=TRUTH["snr_db"],
        )
        # continue the wave: shift by the chunk's start (phase of the cosine)
        t0 = starts[i] / fs
        shift = int(round((t0 * TRUTH["frequency"] % 1.0) * fs / TRUTH["frequency"]))
        assert shift == 0, "chunks must hold whole cycles"
        return g.values.astype(np.float32)

    arr = da.map_blocks(
        block,
        chunks=(tuple(sizes), (10,), (10,)),
        dtype=np.float32,
        meta=np.empty((0, 0, 0), np.float32),
    )
    attrs = {k: v for k, v in g0.attrs.items() if k not in ("sampling_rate",)}
    attrs["truth"] = dict(g0.attrs["truth"], snr_db=TRUTH["snr_db"])
    return nw.make_grid(
        arr,
        sampling_rate=fs,
        x=g0.x.values,
        y=g0.y.values,
        source="benchmarks/recording.py",
        attrs=attrs,
    )


def write_recording(path, duration, *, chunk=60.0, seed=0):
    """Write :func:`utah_recording` to ``path`` (netCDF) one chunk at a time."""
    import dask

    from neurowave.io import write_netcdf

    grid = utah_recording(duration, chunk=chunk, seed=seed)
    with dask.config.set(scheduler="synchronous"):
        write_netcdf(grid, path)
    return path


def write_nix_recording(path, duration, *, chunk=60.0, seed=0):
    """Write :func:`utah_recording` to ``path`` as NIX, one chunk at a time.

    ``neo.NixIO`` writes a whole AnalogSignal at once (an hour would sit in memory,
    transposed once more), so the first chunk is written with ``neo.NixIO`` (the
    block, segment, signal metadata and annotations exactly as neo writes them) and
    every further chunk is appended to each channel's DataArray with ``nixio``.
    """
    import neo
    import nixio
    import quantities as pq

    grid = utah_recording(duration, chunk=chunk, seed=seed)
    xs, ys = grid.x.values, grid.y.values
    sites = [(iy, ix) for iy in range(len(ys)) for ix in range(len(xs))]
    first = grid.data.blocks[0].compute()
    live = [(iy, ix) for iy, ix in sites if np.isfinite(first[:, iy, ix]).all()]
    iy, ix = np.array(live).T
    dx = float(xs[1] - xs[0])

    def columns(block):
        return np.ascontiguousarray(block[:, iy, ix])

    sig = neo.AnalogSignal(
        columns(first),
        units="uV",
        sampling_rate=grid.attrs["sampling_rate"] * pq.Hz,
        name="LFP",
        spatial_scale=dx * pq.mm,
        array_annotations={
            "x_coords": np.round((xs[ix] - xs[0]) / dx).astype(int),
            "y_coords": np.round((ys[iy] - ys[0]) / dx).astype(int),
            "channel_names": np.array([f"elec{k + 1}" for k in range(len(live))]),
        },
    )
    seg = neo.Segment(name="recording")
    seg.analogsignals.append(sig)
    blk = neo.Block(name="utah")
    blk.segments.append(seg)
    with neo.NixIO(str(path), mode="ow") as w:
        w.write_block(blk)
    del sig, blk, seg
    nf = nixio.File.open(str(path), nixio.FileMode.ReadWrite)
    try:
        das = [da for da in nf.blocks[0].groups[0].data_arrays if da.type == "neo.analogsignal"]
        das.sort(key=lambda da: int(da.name.rsplit(".", 1)[1]))
        for i in range(1, grid.data.numblocks[0]):
            cols = columns(grid.data.blocks[i].compute())
            for k, da in enumerate(das):
                da.append(cols[:, k])
    finally:
        nf.close()
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if a.out.lower().endswith(".nix"):
        write_nix_recording(a.out, a.duration, seed=a.seed)
    else:
        write_recording(a.out, a.duration, seed=a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
