"""Oscillator diagnostics: live natural frequencies, bounded states, controls that stay controls."""

import numpy as np
import pytest
import torch

from neurowave._validate import NeurowaveError
from neurowave.models import (
    bounded_ratio,
    compute_oscillator_diagnostics,
    cut_coupling,
    get_model,
    get_task,
    load_model,
    states_bounded,
    task_from_spec,
    untrained_like,
)
from neurowave.models.diagnostics import BOUND_FACTOR

N_IMAGES = 16


def _shipped(name):
    torch.set_num_threads(1)
    model, ckpt = load_model(f"pretrained:{name}")
    x, y = task_from_spec(ckpt["task"]).split("test", n=N_IMAGES, cache=False)
    return model, x, y


@pytest.fixture(scope="module")
def paper():
    return _shipped("cornn-tetrominoes-paper")


def test_bounded_ratio_is_one_for_an_oscillation_and_grows_with_a_ramp():
    t = np.arange(1, 201, dtype=float)
    osc = np.sin(2 * np.pi * t / 37.0)
    ramp = 0.01 * t
    h = np.stack([osc, ramp], axis=1)[None, :, :, None, None]  # (sample, time, unit, y, x)
    r = bounded_ratio(h, 100)
    assert r[0] == pytest.approx(1.0, abs=1e-3)
    assert r[1] == pytest.approx(200 / 50)  # max over 2T / max over T/2
    assert not states_bounded(h, 100) and states_bounded(h[:, :, :1], 100)
    assert states_bounded(h[:, :100, 1:], 100, factor=2.0)  # exactly 2x within T
    with pytest.raises(NeurowaveError, match="T/2"):
        bounded_ratio(h[:, :10], 100)


def test_shipped_paper_model_has_its_oscillators_off_and_growing_states(paper):
    """Issue 33: the default model's natural frequency is 0 at every pixel in both units
    (the largest value before the final ReLU is below 0), and its states grow."""
    d = compute_oscillator_diagnostics(*paper)
    assert d["n_steps_trained"] == 100 and len(d["units"]) == 2
    for u in d["units"]:
        assert u["live_omega_fraction"] == {"foreground": 0.0, "background": 0.0, "all": 0.0}
        assert -0.05 < u["omega_preactivation_max"] < 0
        assert u["omega"]["foreground"]["q100"] == 0.0
        assert not u["live"]
        # max |y| over T is several times its max over T/2, and more again by 2T
        assert u["growth_ratio"]["T"] > 3 and u["growth_ratio"]["2T"] > 3 * u["growth_ratio"]["T"]
    assert not d["all_live"] and not d["bounded_within_T"]
    assert sum("omega = 0 at every foreground pixel" in w for w in d["warnings"]) == 2
    assert sum("grow" in w for w in d["warnings"]) == 2


def test_shipped_small_model_has_unit_0_live_and_unit_1_dead():
    d = compute_oscillator_diagnostics(*_shipped("cornn-tetrominoes-small"))
    u0, u1 = d["units"]
    assert u0["live_omega_fraction"]["foreground"] == 1.0
    assert 0.85 < u0["live_omega_fraction"]["all"] < 0.95  # "live at ~90 %"
    assert u0["live"] and u0["omega"]["foreground"]["q50"] > 0.5
    assert u1["live_omega_fraction"]["all"] == 0.0 and not u1["live"]
    assert [w.split(":")[0] for w in d["warnings"] if "omega" in w] == ["unit 1"]


def test_cut_control_keeps_the_self_term_and_stays_bounded(paper):
    """The coupling cut removes the neighbour taps and nothing else: the centre taps are
    the intact model's, so no self-feedback is created, and the cut model of the shipped
    default model is bounded by the criterion of the analysis window (max |y| within 2x
    its max over the first T/2), over T and over 2T."""
    model, x, y = paper
    cut = cut_coupling(model)
    w, w0 = cut.W_y.weight.detach(), model.W_y.weight.detach()
    assert torch.equal(w[..., 1, 1], w0[..., 1, 1])
    mask = torch.ones(3, 3, dtype=bool)
    mask[1, 1] = False
    assert float(w[..., mask].abs().max()) == 0.0 and float(w0[..., mask].abs().max()) > 0.5
    d = compute_oscillator_diagnostics(cut, x, y)
    assert d["bounded_within_T"] and d["bounded_within_2T"]
    for u in d["units"]:
        assert u["growth_ratio"]["2T"] <= BOUND_FACTOR
    with torch.no_grad():
        h = cut.dynamics(torch.as_tensor(x[:4]), n_steps=200).numpy()
    assert states_bounded(h, 100)
    # the intact model is not (its oscillators are off; see above)
    with torch.no_grad():
        assert not states_bounded(model.dynamics(torch.as_tensor(x[:4]), n_steps=200).numpy(), 100)


def test_untrained_control_stays_bounded(paper):
    model, x, y = paper
    d = compute_oscillator_diagnostics(untrained_like(model), x, y)
    assert d["bounded_within_T"] and d["bounded_within_2T"]


@pytest.mark.parametrize("how", ["bias", "dirac"])
def test_omega_init_keeps_the_oscillators_live_at_init(how):
    """With ``omega_init="bias"`` (or the published, never-called dirac init) omega is
    live at >= 50 % of the foreground pixels in every unit of the untrained model."""
    torch.manual_seed(0)
    task = get_task("tetrominoes-paper", n_train=1, n_val=1, n_test=1)
    x, y = task.generate(8, seed=0)
    m = get_model("cornn", omega_init=how, mlp_hidden=(8,))
    d = compute_oscillator_diagnostics(m, x, y, n_steps=20)
    for u in d["units"]:
        assert u["live_omega_fraction"]["foreground"] >= 0.5, (how, u["unit"])
    if how == "bias":
        enc = m.enc_omega[-1]
        assert torch.all(enc.bias == m.config.omega_bias)
        assert all(u["omega"]["foreground"]["q50"] > 0.5 for u in d["units"])


def test_diagnostics_reject_a_model_without_oscillators():
    with pytest.raises(NeurowaveError, match="CoRNN only"):
        compute_oscillator_diagnostics(
            get_model("cnn", n_layers=1, mlp_hidden=(4,)), np.zeros((1, 3, 8, 8), np.float32)
        )


def test_new_cornns_start_live_and_shipped_ones_load_as_trained():
    """``omega_init="bias"`` is the default of every new CoRNN; a checkpoint from before
    the option loads with the initialisation it was trained from (its untrained control
    too)."""
    from neurowave.models import CoRNNConfig

    assert CoRNNConfig().omega_init == "bias"
    model, ckpt = load_model("pretrained:cornn-tetrominoes-paper")
    assert ckpt["config"]["omega_init"] == "default" and model.config.omega_init == "default"
    fresh = untrained_like(model)
    assert fresh.config.omega_init == "default"
    assert float(fresh.enc_omega[-1].bias.detach().abs().max()) < 0.1


def test_omega_stays_live_through_a_short_run_from_the_bias_init():
    """The small geometry, 40 Adam steps at the small recipe's rate (3e-3, clip 1.0):
    from ``omega_init="bias"`` every unit keeps omega live over >= 50 % of the object
    pixels. From PyTorch's initialisation alone (``omega_init="default"``) the same 40
    steps close a unit's omega over most object pixels, and this test fails
    (docs/reproduction.rst, issue 33)."""
    import torch.nn.functional as F

    torch.set_num_threads(1)
    task = get_task("tetrominoes-small", n_train=320, n_val=16, n_test=1)
    x, y = task.split("train", cache=False)
    xv, yv = task.split("val", cache=False)
    torch.manual_seed(1)
    m = get_model(
        "cornn",
        hidden_channels=2,
        c_mid=16,
        n_steps=30,
        dt=0.3,
        encoder_layers=(2, 2, 2),
        readout_bias=True,
        mlp_hidden=(32, 32, 32),
    )
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    rng = np.random.default_rng(1)
    for _ in range(40):
        idx = rng.integers(0, len(x), 16)
        loss = F.cross_entropy(m(torch.as_tensor(x[idx])), torch.as_tensor(y[idx]))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
    d = compute_oscillator_diagnostics(m, xv, yv)
    assert all(u["live_omega_fraction"]["foreground"] >= 0.5 for u in d["units"])


def test_shipping_a_run_records_its_recipe_and_diagnostics(tmp_path, monkeypatch):
    """The shipping tool keeps clip, weight decay, the selection criterion and the
    omega initialisation, and stores the oscillator diagnostics that `list` shows."""
    from neurowave.models import _pretrained, train

    torch.set_num_threads(1)
    task = get_task("tetrominoes-tiny", n_train=8, n_val=4, n_test=4)
    train(
        "cornn",
        task,
        model_config=dict(n_steps=6, mlp_hidden=(4,)),
        epochs=1,
        batch_size=4,
        clip=0.5,
        out=tmp_path / "run",
        progress=False,
    )
    monkeypatch.setattr(_pretrained, "pretrained_dir", lambda: tmp_path)
    meta = _pretrained.ship_pretrained(tmp_path / "run", "tiny", description="t")
    assert meta["clip"] == 0.5 and meta["weight_decay"] == 0.0
    assert meta["selection"].startswith("best validation fg-IoU")
    assert meta["config"]["omega_init"] == "bias"
    d = meta["oscillator_diagnostics"]
    assert d["n_images"] == 4 and len(d["live_omega_foreground"]) == 2
