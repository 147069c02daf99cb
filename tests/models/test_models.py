import numpy as np
import pytest
import torch

from neurowave.models import (
    READOUTS,
    CoRNNConfig,
    count_parameters,
    get_model,
    laplacian_kernel,
    list_models,
)


def test_registry_builds_every_model_with_the_right_output_shape():
    x = torch.rand(2, 3, 24, 24)
    small = {
        "cornn": dict(n_steps=6),
        "convlstm": dict(n_steps=3, hidden_channels=4),
        "cnn": dict(n_layers=2, channels=4),
        "unet": dict(width=2),
    }
    for name in list_models():
        m = get_model(name, mlp_hidden=(8,), **small[name])
        assert m(x).shape == (2, 6, 24, 24)
        assert count_parameters(m) > 0
    assert get_model("unet", width=2)(torch.rand(1, 3, 28, 20)).shape == (1, 6, 28, 20)


@pytest.mark.parametrize("readout", READOUTS)
def test_readouts_give_the_documented_feature_counts(readout):
    m = get_model("cornn", n_steps=10, readout=readout, mlp_hidden=(8,))
    n_feat = 6 if readout in ("fft", "linear") else 1
    assert m.mlp.net[0].in_features == 2 * n_feat
    _logits, h = m(torch.rand(1, 3, 8, 8), return_hidden=True)
    assert h.shape == (1, 10, 2, 8, 8)
    f = m.readout(h)
    if readout == "fft":
        ref = torch.fft.rfft(h, dim=1, norm="ortho").abs()
        assert torch.allclose(f[:, :6], ref[:, :, 0])  # channel 0's 6 bins come first
    elif readout == "last":
        assert torch.allclose(f, h[:, -1])
    elif readout == "max":
        assert torch.allclose(f, h.amax(1))


def test_paper_parameter_counts():
    # Tetrominoes-linear, paper setting: 2 hidden channels, c_mid 16, T = 100, MLP 3 x 256.
    # Encoders: omega and alpha 3 convolutions (3->16->16->2), y0 4 (3->16->16->16->2):
    # 2 * (448 + 2320 + 290) + (448 + 2 * 2320 + 290) = 11494; W_y 2*2*9 = 36 (no bias);
    # linear readout 100 -> 51 without bias = 5100; MLP 102*256+256 + 2*(256*256+256)
    # + 256*6+6 = 159494. Total 176124, the published count.
    m = get_model("cornn", readout="linear")
    assert count_parameters(m) == 11494 + 36 + 5100 + 159494 == 176124
    assert count_parameters(get_model("cornn", readout="fft")) == 11494 + 36 + 159494
    # the CPU configuration (two convolutions per encoder, biased readout) as shipped
    small = get_model(
        "cornn",
        hidden_channels=2,
        c_mid=16,
        n_steps=30,
        dt=0.3,
        mlp_hidden=(32, 32, 32),
        encoder_layers=(2, 2, 2),
        readout_bias=True,
    )
    assert count_parameters(small) == 6112
    cnn = get_model("cnn", n_layers=8, channels=16, mlp_hidden=(256, 256, 256))
    assert cnn.receptive_field == 17


@pytest.mark.parametrize("bad", [(3, 3), (0, 3, 4), "deep", (2.5, 3, 4)])
def test_encoder_layers_are_validated(bad):
    with pytest.raises(ValueError, match="encoder_layers"):
        get_model("cornn", encoder_layers=bad)


def test_w_y_starts_as_the_laplacian_and_is_circular():
    m = get_model("cornn", hidden_channels=3)
    w = m.W_y.weight.detach()
    assert torch.equal(w, laplacian_kernel(3))
    assert w[0, 1].abs().sum() == 0 and w[1, 1, 1, 1] == -4
    assert m.W_y.padding_mode == "circular"
    # circular: a bump at the left edge leaks into the right edge in one step
    y = torch.zeros(1, 3, 5, 5)
    y[0, 0, 2, 0] = 1.0
    assert m.W_y(y)[0, 0, 2, 4] == 1.0


def test_untrained_cornn_carries_a_wave_at_one_cell_per_time_unit():
    """omega = alpha = 0 and small amplitude: y'' = Laplacian(y), a wave of speed 1 cell per
    unit time, i.e. 1 / dt = 10 steps per cell. The front (10 % of the peak) must arrive
    at distance d after ~10 d steps."""
    m = get_model("cornn", hidden_channels=1, n_steps=260, mlp_hidden=(4,))
    y0 = torch.zeros(1, 1, 81, 81)
    y0[0, 0, 40, 40] = 0.1
    zero = torch.zeros_like(y0)
    with torch.no_grad():
        ys = m.integrate(zero, zero, y0)[0, :, 0].numpy()
    d = np.array([5, 10, 15, 20, 25])
    arrival = []
    for di in d:
        tr = np.abs(ys[:, 40, 40 + di])
        arrival.append(np.argmax(tr > 0.1 * tr.max()) + 1)
    slope = np.polyfit(d, arrival, 1)[0]  # steps per cell
    speed = 1.0 / slope  # cells per step
    assert speed == pytest.approx(m.config.dt, rel=0.15)
    # a strong damping alpha stops the wave before it travels far
    with torch.no_grad():
        damped = m.integrate(zero, torch.full_like(y0, 5.0), y0)[0, :, 0].numpy()
    assert np.abs(damped[:, 40, 60]).max() < 0.05 * np.abs(ys[:, 40, 60]).max()


def test_config_errors_name_the_fix():
    with pytest.raises(ValueError, match="`readout` must be one of"):
        get_model("cornn", readout="fourier")
    with pytest.raises(ValueError, match="no option"):
        get_model("cornn", n_layers=3)
    with pytest.raises(ValueError, match="`model` must be one of"):
        get_model("transformer")
    with pytest.raises(ValueError, match="hidden"):
        get_model("cnn", n_layers=2)(torch.rand(1, 3, 8, 8), return_hidden=True)
    assert CoRNNConfig().dt == 0.1 and CoRNNConfig().n_steps == 100


def _naive_recurrence(omega, alpha, y0, weight, dt, n_steps):
    """The update written out with autograd storing every intermediate."""
    import torch.nn.functional as F

    y, z, ys = y0, torch.zeros_like(y0), []
    for _ in range(n_steps):
        force = torch.tanh(F.conv2d(F.pad(y, (1, 1, 1, 1), mode="circular"), weight))
        z = z + dt * (force - omega * y - alpha * z)
        y = y + dt * z
        ys.append(y)
    return torch.stack(ys, 1)


@pytest.mark.parametrize("chunk", [3, 10])
def test_recomputing_recurrence_has_the_exact_gradient(monkeypatch, chunk):
    from neurowave.models.cornn import _Recurrence, oscillator_recurrence

    monkeypatch.setattr(_Recurrence, "chunk", chunk)
    g = torch.Generator().manual_seed(0)
    b, c, h, w, n = 1, 2, 4, 3, 7
    args = [
        torch.rand(b, c, h, w, generator=g, dtype=torch.float64).requires_grad_() for _ in range(3)
    ]
    weight = (
        laplacian_kernel(c).double()
        + 0.2 * torch.randn(c, c, 3, 3, generator=g, dtype=torch.float64)
    ).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda *a: oscillator_recurrence(*a, dt=0.3, n_steps=n), (*args, weight)
    )
    out = oscillator_recurrence(*args, weight, dt=0.3, n_steps=n)
    ref = _naive_recurrence(*args, weight, 0.3, n)
    assert torch.equal(out, ref)  # same operations in the same order
    go = torch.randn(out.shape, generator=g, dtype=torch.float64)
    for a, r in zip(
        torch.autograd.grad(out, [*args, weight], go),
        torch.autograd.grad(ref, [*args, weight], go),
        strict=True,
    ):
        assert torch.allclose(a, r, rtol=1e-10, atol=1e-12)


def test_recurrence_stores_its_output_only():
    """Under autograd the recurrence keeps y_1..y_T and its inputs, not ~5 tensors a step."""
    from neurowave.models.cornn import oscillator_recurrence

    b, c, h, w, n = 1, 2, 16, 16, 50
    state = b * c * h * w * 4  # bytes of one float32 state
    saved = []

    def pack(t):
        saved.append(t.untyped_storage().nbytes())
        return t

    args = [torch.rand(b, c, h, w, requires_grad=True) for _ in range(3)]
    weight = laplacian_kernel(c).requires_grad_()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        oscillator_recurrence(*args, weight, dt=0.1, n_steps=n)
    assert sum(saved) <= (n + 3) * state + weight.numel() * 4
    saved.clear()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        _naive_recurrence(*args, weight, 0.1, n)
    assert sum(saved) >= 4 * n * state  # what plain autograd would keep
