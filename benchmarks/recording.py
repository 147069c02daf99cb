"""Synthetic Utah-array recordings for the benchmarks, written chunk by chunk.

A 15 Hz plane wave (0.2 m/s towards 30 deg) in pink noise at 10 dB on a 96-site
Utah array (10 x 10 at 0.4 mm, corners dead), 1 kHz, float32, as netCDF (the format
``neurowave.io.write_netcdf`` writes). The recording is generated and written one
minute at a time, so an hour never sits in memory. Usage::

    python benchmarks/recording.py OUT.nc --duration 600
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
    g0, _ = simulate_wave("planar", duration=0.01, sampling_rate=fs, seed=0,
                          speed=TRUTH["speed"], direction=TRUTH["direction"],
                          frequency=TRUTH["frequency"])

    def block(block_info=None):
        i = block_info[None]["chunk-location"][0]
        m = sizes[i]
        g, _ = simulate_wave("planar", duration=m / fs, sampling_rate=fs, seed=seed + i,
                             speed=TRUTH["speed"], direction=TRUTH["direction"],
                             frequency=TRUTH["frequency"], snr_db=TRUTH["snr_db"])
        # continue the wave: shift by the chunk's start (phase of the cosine)
        t0 = starts[i] / fs
        shift = int(round((t0 * TRUTH["frequency"] % 1.0) * fs / TRUTH["frequency"]))
        assert shift == 0, "chunks must hold whole cycles"
        return g.values.astype(np.float32)

    arr = da.map_blocks(block, chunks=(tuple(sizes), (10,), (10,)), dtype=np.float32,
                        meta=np.empty((0, 0, 0), np.float32))
    attrs = {k: v for k, v in g0.attrs.items() if k not in ("sampling_rate",)}
    attrs["truth"] = dict(g0.attrs["truth"], snr_db=TRUTH["snr_db"])
    return nw.make_grid(arr, sampling_rate=fs, x=g0.x.values, y=g0.y.values,
                        source="benchmarks/recording.py", attrs=attrs)


def write_recording(path, duration, *, chunk=60.0, seed=0):
    """Write :func:`utah_recording` to ``path`` (netCDF) one chunk at a time."""
    import dask

    from neurowave.io import write_netcdf

    grid = utah_recording(duration, chunk=chunk, seed=seed)
    with dask.config.set(scheduler="synchronous"):
        write_netcdf(grid, path)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    write_recording(a.out, a.duration, seed=a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
