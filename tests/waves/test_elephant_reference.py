"""neurowave's band-pass and Hilbert phase against Elephant's, the field's reference.

The same ``neo.AnalogSignal`` (a noisy plane wave from a Neo pipeline, read in memory)
goes through ``elephant.signal_processing.butter`` (Butterworth, ``sosfiltfilt``) then
``elephant.signal_processing.hilbert``, and through :func:`neurowave.waves.bandpass`
and :func:`neurowave.waves.compute_phase`. Both design the same Butterworth band-pass
(``scipy.signal.butter`` of the same order) and apply it forward and backward; they
differ at the ends only (Elephant: scipy's odd padding of a few samples and Hilbert
zero-padded to the next power of two; neurowave: edge-value padding of one period of
the band width, and band-pass and Hilbert in one FFT). So they must agree away from the
edges: from five periods of the band width and two of its lower edge
(5 / (hi - lo) + 2 / lo) on, by when the forward-backward Butterworth band-pass has
forgotten how its ends were padded (docs/methods.rst, "Elephant").
"""

import numpy as np
import pytest

import neurowave as nw
from neurowave.datasets import simulate_wave
from neurowave.waves import bandpass, compute_analytic_signal, compute_phase

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")
esp = pytest.importorskip("elephant.signal_processing")

FS = 1000.0
#: largest difference of the band-passed signals, relative to their peak amplitude
FILTER_RTOL = 0.01
#: largest difference of the analytic signals, relative to the median envelope
ANALYTIC_RTOL = 0.03
#: largest phase difference (rad) where the envelope is at least a quarter of its
#: median (where it is near zero the phase is undefined and any two methods differ)
PHASE_ATOL = 0.05


@pytest.fixture(scope="module")
def signal():
    grid, _ = simulate_wave(
        "planar",
        speed=0.3,
        direction=30,
        frequency=10,
        duration=6.0,
        sampling_rate=FS,
        snr_db=0,
        seed=1,
    )
    vals = grid.values.reshape(grid.shape[0], -1)
    ok = np.isfinite(vals).all(0)
    iy, ix = np.divmod(np.arange(vals.shape[1]), grid.sizes["x"])
    return neo.AnalogSignal(
        vals[:, ok] * 100,
        units="uV",
        sampling_rate=FS * pq.Hz,
        array_annotations={"x_coords": ix[ok], "y_coords": iy[ok]},
        spatial_scale=0.4 * pq.mm,
    )


def _sites(da):
    v = np.asarray(da.values).reshape(da.shape[0], -1)
    return v[:, np.isfinite(v).all(0)]  # valid sites, in row-major order as in `signal`


@pytest.mark.parametrize("band, order", [((8.0, 12.0), 4), ((8.0, 12.0), 2), ((5.0, 20.0), 4)])
def test_bandpass_and_hilbert_phase_match_elephant(signal, band, order):
    grid = nw.read(signal)
    lo, hi = band
    ef = esp.butter(
        signal,
        highpass_frequency=lo * pq.Hz,
        lowpass_frequency=hi * pq.Hz,
        order=order,
        filter_function="sosfiltfilt",
    )
    ez = np.asarray(esp.hilbert(ef, padding="nextpow").magnitude)
    ef = np.asarray(ef.magnitude)
    nf = _sites(bandpass(grid, band=band, order=order)).astype(float)
    nz = _sites(compute_analytic_signal(grid, band=band, order=order)).astype(complex)
    nphase = _sites(compute_phase(grid, band=band, order=order)).astype(float)
    edge = int(np.ceil((5 / (hi - lo) + 2 / lo) * FS))
    inner = slice(edge, len(ef) - edge)
    assert np.abs(nf - ef)[inner].max() <= FILTER_RTOL * np.abs(ef[inner]).max()
    env = np.abs(ez[inner])
    assert np.abs(nz - ez)[inner].max() <= ANALYTIC_RTOL * np.median(env)
    dphi = np.abs(np.angle(np.exp(1j * (nphase - np.angle(ez)))))
    defined = env >= 0.25 * np.median(env)
    assert defined.mean() > 0.99
    assert dphi[inner][defined].max() <= PHASE_ATOL
    assert np.abs(np.angle(np.exp(1j * (nphase - np.angle(nz))))).max() < 1e-5  # its angle
    # the comparison can fail: at the very ends the two paddings do differ
    assert np.abs(dphi[:20]).max() > 10 * PHASE_ATOL
