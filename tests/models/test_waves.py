"""neurowave's own wave measures on the hidden states of the shipped CoRNN, with an
untrained CoRNN of the same architecture as the control.

Per piece of each image (all other pixels NaN), 200 steps of each hidden unit go
through :func:`neurowave.waves.analyze`. The untrained network is a damped wave
equation whose coupling, the discrete Laplacian, carries waves at one cell per unit
time, i.e. ``dt`` = 0.3 cells/step: neurowave must find traveling-wave frames at about
that speed. The trained network instead rings in standing modes of each piece (the
"shape of a drum" mechanism): far fewer traveling-wave frames.
"""

import warnings

import numpy as np
import pytest
import torch
from scipy import ndimage

from neurowave.models import export_hidden, get_model, hidden_grid, load_model, task_from_spec

analyze = pytest.importorskip("neurowave.waves").analyze


def _piece_measures(ds):
    frac, speeds = [], []
    for s in range(ds.sizes["sample"]):
        comp, n = ndimage.label(ds["label"].values[s] > 0)
        for c in range(1, n + 1):
            for u in range(ds.sizes["unit"]):
                g = hidden_grid(ds, sample=s, unit=u).astype(float).where(comp == c)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = analyze(g, n_surrogates=19, seed=0, classify=False)
                fr = res.frames
                frac.append(res.summary["summary"]["wave_fraction"])
                speeds += list(fr["speed"].values[fr["is_wave"].values.astype(bool)])
    return np.array(frac), np.array(speeds)


def test_trained_cornn_rings_in_modes_untrained_carries_waves_at_dt_cells_per_step():
    torch.set_num_threads(1)
    model, ckpt = load_model("pretrained:cornn-tetrominoes-small")
    task = task_from_spec(ckpt["task"])
    torch.manual_seed(0)
    control = get_model(ckpt["model"], **ckpt["config"]).eval()
    dt = ckpt["config"]["dt"]
    trained = _piece_measures(export_hidden(model, task, n=3, seed=0, n_steps=200))
    untrained = _piece_measures(export_hidden(control, task, n=3, seed=0, n_steps=200))
    # the control carries traveling waves at the speed its coupling sets (0.3 cells/step,
    # a little faster with the dispersion that omega adds)
    assert untrained[0].mean() > 0.05
    assert 0.5 * dt < np.median(untrained[1]) < 2.5 * dt
    # the trained model's pieces ring in standing modes: far fewer traveling-wave frames
    assert trained[0].mean() < 0.5 * untrained[0].mean()
