"""Bring your own model: export_states and record_states on a model neurowave does not know."""

import json

import numpy as np
import pytest
import xarray as xr

from neurowave._validate import NeurowaveError
from neurowave.cli import main
from neurowave.datasets import simulate_wave
from neurowave.io import read_netcdf
from neurowave.models import (
    export_hidden,
    export_states,
    get_model,
    get_task,
    record_states,
    write_export,
)

SPEED, FREQ = 0.3, 0.05  # cells/step, cycles/step
DT, DX = 1e-3, 0.4  # s, mm: the wave travels SPEED * DX / DT / 1000 = 0.12 m/s


def _plane_waves(n=2, n_steps=120):
    hs = []
    for s in range(n):
        g, _ = simulate_wave(
            "planar",
            layout="grid",
            shape=(16, 16),
            spacing=1.0,
            speed=SPEED,
            frequency=FREQ,
            direction=30 + 90 * s,
            duration=n_steps,
            sampling_rate=1.0,
            snr_db=10,
            seed=s,
            time_units="step",
            space_units="cell",
        )
        hs.append(g.values)
    return np.stack(hs)[:, :, None]


def test_export_matches_the_contract_of_neurowave_export(tmp_path):
    import torch

    ref = export_hidden(
        get_model("cornn", n_steps=6, mlp_hidden=(4,)), get_task("tetrominoes-tiny"), n=2
    )
    h = torch.as_tensor(ref["hidden"].values)  # a torch tensor in
    ds = export_states(
        h,
        label=ref["label"].values,
        image=ref["image"].values,
        controls={"untrained": ref["hidden_untrained"].values},
        horizon=6,
        source="test",
    )
    assert ds["hidden"].dims == ref["hidden"].dims and ds["hidden"].dtype == np.float32
    for v in ("hidden", "label", "image", "hidden_untrained"):
        assert ds[v].dims == ref[v].dims and ds[v].dtype == ref[v].dtype
        np.testing.assert_array_equal(ds[v].values, ref[v].values)
    for c in ("time", "x", "y"):
        np.testing.assert_array_equal(ds[c].values, ref[c].values)
        assert ds[c].attrs["units"] == ref[c].attrs["units"]
    # every attr neurowave export writes is there (values of the foreign model's own)
    # (the oscillator diagnostics are a CoRNN's natural frequencies: none for a foreign model)
    assert set(ref.attrs) - {"oscillator_diagnostics"} <= set(ds.attrs)
    assert set(ds.attrs["states_bounded"]) == {"hidden", "hidden_untrained"}
    assert ds.attrs["n_steps_trained"] == 6 and ds.attrs["controls"] == ["untrained"]
    assert "model_sites" not in ds.attrs  # a label map: objects, as for neurowave export
    p = tmp_path / "m.nc"
    write_export(ds, p)
    back = read_netcdf(p)
    assert back.attrs["n_steps_trained"] == 6 and back.attrs["controls"] == ["untrained"]
    np.testing.assert_array_equal(back["hidden"].values, ds["hidden"].values)


def test_xarray_input_is_matched_by_dim_names():
    h = _plane_waves(1, 20)
    da = xr.DataArray(h[:, :, 0], dims=("sample", "time", "y", "x")).expand_dims("unit", axis=3)
    ds = export_states(da)  # unit after x: reordered by name
    assert ds["hidden"].shape == (1, 20, 1, 16, 16)
    np.testing.assert_array_equal(ds["hidden"].values, h.astype(np.float32))
    assert ds.attrs["model_sites"] == "all" and "model_dt" not in ds.attrs


@pytest.mark.parametrize(
    "bad, kw, match",
    [
        (np.zeros((2, 10, 4, 4)), {}, "5, .*states\\[:, :, None\\]"),
        (np.full((1, 10, 1, 4, 4), np.nan), {}, "only NaN"),
        (
            np.r_[np.ones(5), np.inf * np.ones(5)].reshape(1, 10, 1, 1, 1)
            * np.ones((1, 1, 1, 2, 2)),
            {},
            "infinite",
        ),
        (np.ones((1, 10, 1, 4, 4)), {"dt": float("nan")}, "dt.*positive finite"),
        (np.ones((1, 10, 1, 4, 4)), {"dx": -1.0}, "dx.*positive finite"),
        (np.ones((1, 10, 1, 4, 4)), {"label": np.ones((1, 5, 5), int)}, "label.*\\(1, 4, 4\\)"),
        (
            np.ones((1, 10, 1, 4, 4)),
            {"controls": {"untrained": np.ones((1, 9, 1, 4, 4))}},
            "same inputs, steps",
        ),
        (
            np.ones((1, 10, 1, 4, 4)),
            {"controls": {"Cut coupling": np.ones((1, 10, 1, 4, 4))}},
            "lower-case",
        ),
        (np.ones((1, 10, 1, 4, 4)), {"image": np.ones((2, 1, 4, 4))}, "image.*resize"),
        (np.ones((1, 10, 1, 4, 4)), {"horizon": 0}, "horizon"),
    ],
)
def test_every_wrong_input_is_one_sentence_naming_the_fix(bad, kw, match):
    with pytest.raises(NeurowaveError, match=match) as err:
        export_states(bad, **kw)
    assert "\n" not in str(err.value)


def test_nan_only_at_some_steps_is_refused_but_a_missing_cell_is_kept():
    h = _plane_waves(1, 20)
    h[0, :, 0, 3, 3] = np.nan  # a missing cell: NaN throughout
    assert np.isnan(export_states(h)["hidden"].values[0, :, 0, 3, 3]).all()
    h[0, 5, 0, 4, 4] = np.nan
    with pytest.raises(NeurowaveError, match="NaN at some steps"):
        export_states(h)


def test_user_export_with_dt_dx_gives_the_known_speed_in_m_per_s(tmp_path, capsys):
    ds = export_states(_plane_waves(), dt=DT, dx=DX, source="a plane-wave model")
    p, out = tmp_path / "user.nc", tmp_path / "user.json"
    write_export(ds, p)
    assert main(["analyze", str(p), "--json", str(out)]) == 0
    table = capsys.readouterr().out
    s = json.loads(out.read_text())["summary"]
    assert s["speed"]["units"] == "cells/step"
    assert s["speed"]["median"] == pytest.approx(SPEED, rel=0.1)
    phys = s["physical"]
    truth = SPEED * DX / DT / 1e3  # 0.12 m/s
    assert phys["speed"]["units"] == "m/s"
    assert phys["speed"]["median"] == pytest.approx(truth, rel=0.1)
    assert phys["frequency"]["median"] == pytest.approx(FREQ / DT, rel=0.1)
    assert phys["wavelength"]["median"] == pytest.approx(SPEED / FREQ * DX, rel=0.1)
    assert "speed (physical)" in table and "m/s" in table
    # no label map: the whole grid is measured, and no note sends the author to
    # `neurowave export`, which cannot export their model
    assert "neurowave export" not in table


class WaveNet:
    """Built lazily: a user's own module (not a neurowave class) whose hidden state is
    a wave travelling +x at one cell per step on a ring, written by a named cell."""

    @staticmethod
    def make():
        import torch

        class Shift(torch.nn.Module):
            def forward(self, h):
                return torch.roll(h, 1, dims=-1)

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.cell = Shift()
                self.gain = torch.nn.Parameter(torch.ones(()))

            def forward(self, x, n_steps=10):
                h, seq = x, []
                for _ in range(n_steps):
                    h = self.cell(h) * self.gain
                    seq.append(h)
                return torch.stack(seq, 1), h

        return Net()


def test_record_states_by_hook_and_by_returned_sequence_agree():
    import torch

    net = WaveNet.make()
    net.train()
    x = torch.zeros(5, 2, 4, 8)
    x[..., 0] = torch.arange(1.0, 6.0)[:, None, None]  # sample i: bump of height i+1
    hook = record_states(net, x, layer="cell", batch_size=2, forward_kwargs={"n_steps": 10})
    seq = record_states(net, x, output=0, batch_size=3, forward_kwargs={"n_steps": 10}, n_steps=8)
    assert hook.shape == (5, 10, 2, 4, 8) and seq.shape == (5, 8, 2, 4, 8)
    np.testing.assert_array_equal(hook[:, :8], seq)
    # the bump travels one cell per step along x, in the right sample order
    assert [int(np.argmax(hook[0, t, 0, 0])) for t in range(4)] == [1, 2, 3, 4]
    np.testing.assert_array_equal(hook[:, 0, 0, 0, 1], np.arange(1.0, 6.0))
    assert net.training  # the mode is restored
    with pytest.raises(NeurowaveError, match=r"not a submodule.*'cell'"):
        record_states(net, x, layer="cel")
    with pytest.raises(NeurowaveError, match="output=INDEX"):
        record_states(net, x)  # a (sequence, last state) tuple: say which
    with pytest.raises(NeurowaveError, match="fewer than n_steps=20"):
        record_states(net, x, layer="cell", n_steps=20)


def test_record_states_on_cuda_when_there_is_one():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    x = torch.zeros(3, 1, 4, 8)
    x[..., 0] = 1.0
    cpu = record_states(WaveNet.make(), x, layer="cell")
    gpu = record_states(WaveNet.make(), x, layer="cell", device="cuda")
    np.testing.assert_allclose(gpu, cpu)
