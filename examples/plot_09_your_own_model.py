"""
Your own model against a brain recording
========================================

neurowave ships its own wave RNNs, but the measures do not care where a wave comes
from. This tutorial defines a small wave-producing network here, in the tutorial
(not a neurowave class), records its hidden states with
:func:`neurowave.models.record_states`, turns them into a model export with
:func:`neurowave.models.export_states`, checks that the measured speed is the one
the network was built to have, and compares the network with the human Utah seizure
recording of :doc:`plot_01_utah_seizure`: its waves, then its dynamics. The three
lines that matter::

    states = record_states(net, inputs, layer="cell")           # any torch.nn.Module
    export = export_states(states, dt=1e-3, dx=0.4)              # or NumPy / xarray / JAX arrays
    result = compare(export, fetch_seizure_utah(), model_dt="1ms", model_dx="0.4mm")

Hidden states saved from another framework (JAX, a simulator) skip the first line:
:func:`~neurowave.models.export_states` takes any array of dims
``(sample, time, unit, y, x)``.
"""

# %%
# A network of leaky relays
# -------------------------
# Each cell of a 16 x 24 sheet passes a fraction ``a`` of its state to its right-hand
# neighbour at every step and keeps the rest; the left edge is driven by an
# oscillation whose phase is the network's input, and every cell adds a little
# noise. The drive travels along the sheet
# as a plane wave at ``a`` cells per step (this upwind relay has no phase error at
# ``a = 1/2``). The per-step state passes through a named submodule, ``cell``, which
# is what the recorder listens to. With one step = 1 ms and one cell = 0.4 mm (the
# pitch of a Utah array), ``a = 0.5`` is 0.2 m/s.

import numpy as np
import torch

from neurowave.compare import StatsOptions, compare
from neurowave.compare.dynamics import describe
from neurowave.datasets import fetch_seizure_utah
from neurowave.models import export_states, record_states

torch.set_num_threads(1)
torch.manual_seed(0)


class RelaySheet(torch.nn.Module):
    def __init__(self, a=0.5, freq=0.02, shape=(16, 24), noise=0.05):
        super().__init__()
        self.relay = torch.nn.Conv2d(1, 1, (1, 3), padding=(0, 1), bias=False)
        with torch.no_grad():  # out[x] = a in[x - 1] + (1 - a) in[x]
            self.relay.weight[:] = torch.tensor([a, 1 - a, 0.0]).view(1, 1, 1, 3)
        self.cell = torch.nn.Tanh()
        self.freq, self.shape, self.noise = freq, shape, noise

    def forward(self, phase, n_steps=300):
        h = torch.zeros(len(phase), 1, *self.shape)
        for t in range(n_steps):
            h = self.relay(h) + self.noise * torch.randn_like(h)  # every cell a little noisy
            drive = torch.sin(2 * np.pi * self.freq * t + phase)[:, None]
            h[:, 0, :, 0] = drive + self.noise * torch.randn(len(phase), self.shape[0])
            h = self.cell(h)
        return h


net = RelaySheet()
inputs = torch.linspace(0, 2 * np.pi, 5)[:4]  # four samples: four phases of the drive

# %%
# Record and export
# -----------------
# ``record_states`` hooks ``cell`` and stacks its output over the steps, under
# ``torch.no_grad()``, batch by batch, into an array ``(sample, time, unit, y, x)``.
# The first 100 steps, while the wave front crosses the sheet, are left out. The
# control is the same network with its relays cut (``a = 0``: each cell keeps its
# own state), recorded on the same inputs, as ``neurowave export`` records a CoRNN
# with its coupling cut.

states = record_states(net, inputs, layer="cell")[:, 100:]
cut = record_states(RelaySheet(a=0.0), inputs, layer="cell")[:, 100:]
export = export_states(
    states,
    dt=1e-3,
    dx=0.4,
    controls={"cut_coupling": cut},
    source="plot_09: leaky relay sheet, a = 0.5",
)
print(dict(export.hidden.sizes), {k: export.attrs[k] for k in ("model_dt", "model_dx")})

# %%
# Is the speed right?
# -------------------
# The export is measured as ``neurowave analyze`` measures it (the whole sheet: the
# export has no object map). Its step and cell sizes give the speed in m/s.

from neurowave.compare import analyze_model
from neurowave.models.states import physical_summary

res = analyze_model(export)
phys = physical_summary(res.summary, export.attrs)
speed = phys["speed"]["median"]
print(
    f"speed {res.summary['summary']['speed']['median']:.3f} cells/step = {speed:.3f} m/s "
    f"(built: 0.200 m/s, error {100 * abs(speed / 0.2 - 1):.1f} %), "
    f"frequency {phys['frequency']['median']:.1f} Hz (built: 20 Hz)"
)

# %%
# Against the seizure
# -------------------
# ``compare`` puts the export and the recording through the same measures. With the
# step and cell sizes given, speeds, wavelengths and frequencies are compared in
# physical units; the row of the cut control shows what the relays carry.

result = compare(
    export,
    fetch_seizure_utah(),
    model_dt="1ms",
    model_dx="0.4mm",
    stats=StatsOptions(n_boot=200),
    dynamics=True,
)
for row in result.table_rows():
    print(" | ".join(str(c) for c in row))

# %%
# The overview figure: each metric's distribution on every side, the directions and the
# pattern fractions.

fig = result.plot()

# %%
# Their dynamics
# --------------
# Dynamical Similarity Analysis (:mod:`neurowave.compare.dynamics`, Ostrow et al. 2023)
# asks whether the two systems evolve alike up to a change of coordinates, beside
# how far each is from itself (the baselines). The relay sheet is a 20 Hz oscillator
# driven from its edge; the seizure rings at about 4 Hz: in physical time the two
# differ, and the distance is several times both baselines. The cut sheet is mostly
# noise, which differs from itself about as much as from anything: its baseline is
# large, its ratio below 1, and DSA cannot call it close or far. The baseline is what
# says whether a distance is large.

dyn = result.distances["dynamics"]  # compare(..., dynamics=True): compare_dynamics
for side in ("model", "cut_coupling"):
    d = dyn[side]
    print(
        f"{side}: DSA distance {d['distance']:.3g}, baselines model {d['baseline']:.3g} "
        f"and recording {d['baseline_recording']:.3g} (ratio {d['ratio']:.1f})"
    )
print(describe(dyn))
