"""Calibration of the verdicts of ``neurowave compare`` on simulated pairs.

A *matched pair* is the same wave (plane or target wave, the same direction and the
same region widths per cycle) in a simulated model export (16 x 16 cells, 0.05
cycles/step, two units) and a simulated Utah recording (10 x 10 at 0.4 mm, 10 Hz at
200 Hz), each with its own noise; a quarter of the pairs have a noiseless model, as
in a model export against a noisy recording. A *threefold pair* has the recording's
waves three times faster (or slower). Settings are drawn at random (fixed by
``--seed``): 0.5 to 1.5 region widths per cycle, -3 to 6 dB.

Prints, per metric, how many verdicts were equivalent / different / undecided, the
rate of "different" over the matched pairs (must stay at or below 5 %) and the rate
at which a threefold speed is "different" for speed and wavelength (should be 1).

    python benchmarks/compare_calibration.py                 # 20 pairs, a few minutes
    python benchmarks/compare_calibration.py --pairs 5 --n-boot 100   # a quick look
"""

from __future__ import annotations

import argparse
import collections
import time
import warnings

import numpy as np

from neurowave.compare import StatsOptions, compare
from neurowave.datasets import simulate_model_export, simulate_wave

MODEL_FREQ, REC_FREQ = 0.05, 10.0


def pair(seed, *, widths, model_snr, rec_snr, factor=1.0, pattern="planar"):
    direction = float(np.random.default_rng(seed).uniform(0, 360))
    model = simulate_model_export(
        pattern,
        speed=widths * 16 * MODEL_FREQ,
        frequency=MODEL_FREQ,
        shape=(16, 16),
        n_steps=200,
        n_samples=1,
        n_units=2,
        snr_db=model_snr,
        seed=seed,
        direction=direction,
    )
    rec, _ = simulate_wave(
        pattern,
        layout="utah",
        speed=factor * widths * 4.0 * REC_FREQ / 1e3,
        frequency=REC_FREQ,
        direction=direction,
        duration=2.0,
        sampling_rate=200.0,
        snr_db=rec_snr,
        seed=1000 + seed,
    )
    return model, rec


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--seed", type=int, default=123)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(args.seed)
    matched = collections.defaultdict(collections.Counter)
    threefold = collections.defaultdict(collections.Counter)
    t0 = time.perf_counter()
    for k in range(args.pairs):
        seed = 200 + k
        widths = float(rng.choice([0.5, 0.75, 1.0, 1.5]))
        snr = float(rng.choice([-3.0, 0.0, 3.0, 6.0]))
        model_snr = None if k % 4 == 0 else snr
        pattern = "radial_out" if k % 5 == 4 else "planar"
        res = compare(
            *pair(seed, widths=widths, model_snr=model_snr, rec_snr=snr, pattern=pattern),
            stats=StatsOptions(n_boot=args.n_boot),
            seed=seed,
        )
        for m, d in res.distances.items():
            matched[m][d["verdict"]] += 1
        line = f"pair {k:2d}: {pattern:10s} {widths:4.2f} widths/cycle, {snr:+.0f} dB"
        if pattern == "planar":
            factor = 3.0 if widths <= 0.75 else 1 / 3
            res = compare(
                *pair(seed, widths=widths, model_snr=model_snr, rec_snr=snr, factor=factor),
                stats=StatsOptions(n_boot=args.n_boot),
                seed=seed,
            )
            for m in ("speed", "wavelength"):
                threefold[m][res.distances[m]["verdict"]] += 1
            line += f"; x{factor:.3g}: speed {res.distances['speed']['verdict']}"
        print(line, flush=True)
    print(f"\n{'metric':14s} {'equivalent':>10s} {'different':>10s} {'undecided':>10s}")
    for m, c in matched.items():
        print(f"{m:14s} {c['equivalent']:10d} {c['different']:10d} {c['undecided']:10d}")
    total = sum(sum(c.values()) for c in matched.values())
    diff = sum(c["different"] for c in matched.values())
    print(
        f"\nmatched pairs: {diff} of {total} metric verdicts 'different' "
        f"({100 * diff / max(1, total):.1f} %; must be <= 5 %)"
    )
    for m, c in threefold.items():
        n = sum(c.values())
        print(f"threefold speed: {m} 'different' in {c['different']} of {n}")
    print(f"wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
