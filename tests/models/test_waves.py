"""neurowave's own wave measures on the hidden states of the shipped CoRNN, with an
untrained CoRNN of the same architecture as the control (benchmarks/model_waves.py
gives the full table).

The measure: per piece of each image (all other pixels NaN) and hidden unit, the first
60 steps (the model integrates T = 30; 60 steps hold two cycles of the band's lower
edge) go through :func:`neurowave.waves.analyze` with the band 0.035-0.09 cycles/step
and pattern classification. Wave fraction = fraction of frames classified planar,
radial_out, radial_in or rotating; speed = the pattern fit's speed (cells/step).
On the same piece masks the measure calls a synchronous oscillation no wave and
piece-confined plane/radial waves waves at the right speed. Whole-piece PGD cannot do
this: a wave that enters a piece from all its edges has PGD near zero.

The causal control: the same model with its coupling ``W_y`` cut to the same-pixel
taps. Waves the coupling carries vanish or change when it is cut; phase patterns
set by the encoders' spatial maps (phase precession of oscillators whose frequency
varies across a piece) survive it unchanged.
"""

import copy
import warnings

import numpy as np
import pytest
import torch
import xarray as xr
from scipy import ndimage

from neurowave.models import export_hidden, get_model, hidden_grid, load_model, task_from_spec

waves = pytest.importorskip("neurowave.waves")

HORIZON, BAND = 60, (0.035, 0.09)
WAVE_PATTERNS = ("planar", "radial_out", "radial_in", "rotating")
N_IMAGES = 3


def _measure(grid):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = waves.analyze(grid, band=BAND, n_surrogates=19, seed=0, classify=True)
    fr = res.frames
    pats = np.asarray(fr["pattern"].values).astype(str)
    wave = np.isin(pats, WAVE_PATTERNS)
    sp = np.asarray(fr["fit_speed"].values, float)[wave]
    z = np.exp(1j * res.phase.sel(time=fr["time"]).values.reshape(fr.sizes["time"], -1))
    z = z[:, np.isfinite(z).all(0)]
    spread = np.abs(np.angle(z * np.conj(z.mean(1, keepdims=True)))).mean()
    return wave.mean(), sp[np.isfinite(sp)], spread, res.summary["summary"]["frequency"]["median"]


def _masks(labels):
    out = []
    for lab in labels:
        comp, n = ndimage.label(np.asarray(lab) > 0)
        out += [comp == c for c in range(1, n + 1)]
    return out


def _per_unit(ds):
    """unit -> (mean wave fraction, pooled speeds, mean phase spread, median frequency)."""
    out = {}
    for u in range(ds.sizes["unit"]):
        rows = []
        for s in range(ds.sizes["sample"]):
            for m in _masks(ds["label"].values[s:s + 1]):
                rows.append(_measure(hidden_grid(ds, sample=s, unit=u).astype(float).where(m)))
        out[u] = (np.mean([r[0] for r in rows]), np.concatenate([r[1] for r in rows]),
                  np.mean([r[2] for r in rows]), np.median([r[3] for r in rows]))
    return out


def _cut(model):
    """Each 3x3 coupling kernel summed onto its centre tap: uniform states evolve as
    before, but no pixel feels how it differs from its neighbours."""
    m = copy.deepcopy(model)
    with torch.no_grad():
        total = m.W_y.weight.sum(dim=(-2, -1))
        m.W_y.weight.zero_()
        m.W_y.weight[:, :, 1, 1] = total
    return m


@pytest.fixture(scope="module")
def measured():
    torch.set_num_threads(1)
    model, ckpt = load_model("pretrained:cornn-tetrominoes-small")
    task = task_from_spec(ckpt["task"])
    torch.manual_seed(0)
    control = get_model(ckpt["model"], **ckpt["config"]).eval()
    out = {"dt": ckpt["config"]["dt"], "model": model, "task": task}
    for name, m in (("trained", model), ("untrained", control)):
        out[name] = _per_unit(export_hidden(m, task, n=N_IMAGES, seed=0, n_steps=HORIZON))
        out[name + " cut"] = _per_unit(export_hidden(_cut(m), task, n=N_IMAGES, seed=0,
                                                     n_steps=HORIZON))
    return out


def test_pattern_measure_rejects_synchronous_and_finds_piece_confined_waves(measured):
    from neurowave.datasets import simulate_wave

    dt = measured["dt"]
    _, labels = measured["task"].generate(N_IMAGES, seed=0)
    masks = _masks(labels)
    assert len(masks) >= 5

    def sim(pattern, m, **kw):
        ys, xs = np.nonzero(m)
        g, _ = simulate_wave(pattern, layout="grid", shape=m.shape, spacing=1.0,
                             time_units="step", space_units="cell", sampling_rate=1.0,
                             duration=HORIZON, frequency=0.06, speed=dt,
                             center=(xs.mean(), ys.mean()), snr_db=10, noise="white", seed=0,
                             **kw)
        return _measure(g.where(xr.DataArray(m, dims=("y", "x"))))

    sync = [sim("synchronous", m) for m in masks]
    assert np.mean([r[0] for r in sync]) < 0.05
    for pattern, kw in (("radial_in", {}), ("radial_out", {}), ("planar", {"direction": 90.0})):
        res = [sim(pattern, m, **kw) for m in masks]
        assert np.mean([r[0] for r in res]) > 0.9, pattern
        assert np.median(np.concatenate([r[1] for r in res])) == pytest.approx(dt, rel=0.1)


def test_untrained_control_carries_waves_at_the_coupling_speed(measured):
    dt = measured["dt"]
    for u, (frac, speeds, spread, _) in measured["untrained"].items():
        assert frac > 0.2, u
        # the discrete Laplacian carries waves at 1 cell per unit time = dt cells/step
        assert 0.8 * dt < np.median(speeds) < 1.5 * dt, u
        # without the coupling most of the phase structure goes, and what patterns are
        # left move far faster than any wave the coupling carries
        c_frac, c_speeds, c_spread, _ = measured["untrained cut"][u]
        assert c_spread < 0.5 * spread, u
        assert np.median(c_speeds) > 3 * dt, u


def test_trained_cornn_shows_waves_in_its_horizon(measured):
    dt = measured["dt"]
    tr, cut = measured["trained"], measured["trained cut"]
    # unit 1: waves carried by the coupling, a little faster than the bare Laplacian's
    frac, speeds, spread, _ = tr[1]
    assert frac > 0.4
    assert 1.0 * dt < np.median(speeds) < 4.0 * dt
    # ... and nothing else: without the coupling unit 1 is synchronous
    assert cut[1][0] < 0.1 and cut[1][2] < 0.2 * spread
    # unit 0: radial phase patterns at 1-3 dt cells/step that the coupling does not
    # carry: they survive cutting it unchanged (phase precession, module docstring)
    frac, speeds, spread, freq = tr[0]
    assert frac > 0.3
    assert 1.0 * dt < np.median(speeds) < 3.0 * dt
    assert cut[0][0] > 0.3 and cut[0][2] > 0.8 * spread
    assert np.median(cut[0][1]) == pytest.approx(np.median(speeds), rel=0.25)
    # ... at the frequency of the learned natural frequency omega of the pieces (omega
    # dominates the coupling: near-local oscillators, Klein-Gordon-like dispersion)
    model, task = measured["model"], measured["task"]
    images, labels = task.generate(N_IMAGES, seed=0)
    with torch.no_grad():
        omega = model.encode(torch.as_tensor(np.asarray(images)).float())[0][:, 0].numpy()
    w = omega[np.asarray(labels) > 0].mean()
    assert freq == pytest.approx(np.sqrt(w) * dt / (2 * np.pi), rel=0.15)
