"""The Triton CoRNN recurrence against the plain PyTorch path, in Triton's CPU interpreter.

``TRITON_INTERPRET=1`` is set per test (monkeypatch), so the kernels are compiled for
the interpreter and the dispatch in ``oscillator_recurrence`` takes them for CPU
tensors; other tests in the same process keep the plain path. Sizes are small: the
interpreter runs every Triton operation as a NumPy call.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from neurowave.models import cornn, get_model, get_task

pytest.importorskip("triton", reason="Triton is in the `test` extra: pip install -e '.[test]'")


@pytest.fixture
def interpret(monkeypatch):
    """The Triton kernels compiled for the interpreter, and the dispatch choosing them."""
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    monkeypatch.delenv("NEUROWAVE_RECURRENCE", raising=False)
    mod = cornn._triton_module()
    assert mod.INTERPRETED
    calls = []
    real = mod.recurrence

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(mod, "recurrence", counting)
    return calls


def _inputs(b, c, h, w, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    omega = torch.rand(b, c, h, w, generator=g) * 2.0
    alpha = torch.rand(b, c, h, w, generator=g) * 0.5
    y0 = torch.tanh(torch.randn(b, c, h, w, generator=g))
    weight = torch.randn(c, c, k, k, generator=g) * 0.3
    if k == 3:
        weight += cornn.laplacian_kernel(c)
    return omega, alpha, y0, weight


@pytest.mark.parametrize("shape", [(2, 2, 6, 6, 3), (1, 3, 5, 7, 3), (1, 1, 6, 5, 5)])
def test_forward_hidden_states_equal_the_plain_path(interpret, shape):
    b, c, h, w, k = shape
    omega, alpha, y0, weight = _inputs(b, c, h, w, k)
    ref = cornn._run_forward(omega, alpha, y0, weight, 0.3, 5)
    assert cornn.recurrence_backend(omega, alpha, y0, weight) == "triton"
    out = cornn.oscillator_recurrence(omega, alpha, y0, weight, dt=0.3, n_steps=5)
    assert interpret == [1]
    assert out.shape == (b, 5, c, h, w)
    # the waves moved: later steps differ from y0 well beyond the tolerance
    assert (out[:, -1] - y0).abs().max() > 0.1
    torch.testing.assert_close(out, ref, atol=2e-6, rtol=1e-5)


@pytest.mark.parametrize("shape", [(2, 2, 6, 6, 3), (1, 3, 5, 4, 3)])
def test_gradients_equal_the_plain_path(interpret, shape):
    b, c, h, w, k = shape
    leaves = [t.requires_grad_() for t in _inputs(b, c, h, w, k, seed=1)]
    g = torch.randn(b, 4, c, h, w, generator=torch.Generator().manual_seed(2))
    out = cornn.oscillator_recurrence(*leaves, dt=0.2, n_steps=4)
    got = torch.autograd.grad(out, leaves, g)
    assert interpret == [1]
    # reference: autograd through the plain explicit update (not the recomputing adjoint)
    omega, alpha, y0, weight = leaves
    y, z, ys = y0, torch.zeros_like(y0), []
    for _ in range(4):
        force = torch.tanh(cornn._circular_conv(y, weight)) - omega * y - alpha * z
        z = z + 0.2 * force
        y = y + 0.2 * z
        ys.append(y)
    want = torch.autograd.grad(torch.stack(ys, 1), leaves, g)
    for name, a, e in zip(("omega", "alpha", "y0", "W_y"), got, want, strict=True):
        assert e.abs().max() > 1e-2, name  # a gradient that is there to be got right
        torch.testing.assert_close(a, e, atol=1e-5, rtol=1e-4, msg=name)


def test_a_short_training_run_equals_the_plain_path(interpret, monkeypatch):
    task = get_task("tetrominoes-tiny", n_train=2)
    x, y = task.split("train", cache=False)
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    cfg = dict(
        hidden_channels=2, c_mid=4, n_steps=3, dt=0.3, mlp_hidden=(8,), encoder_layers=(1, 1, 1)
    )

    def run():
        torch.manual_seed(0)
        model = get_model("cornn", **cfg)
        opt = torch.optim.Adam(model.parameters(), lr=3e-2)
        losses = []
        for _ in range(2):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, model.state_dict()

    losses, state = run()
    assert len(interpret) == 2
    monkeypatch.setenv("NEUROWAVE_RECURRENCE", "plain")
    ref_losses, ref_state = run()
    assert len(interpret) == 2  # the reference did not go through Triton
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    assert ref_losses[-1] < ref_losses[0]  # it trained
    moved = (ref_state["W_y.weight"] - cornn.laplacian_kernel(2)).abs().max()
    assert moved > 1e-2
    for key in ref_state:
        torch.testing.assert_close(state[key], ref_state[key], atol=1e-5, rtol=1e-4, msg=key)


def test_without_the_interpreter_the_cpu_takes_the_plain_path(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    monkeypatch.delenv("NEUROWAVE_RECURRENCE", raising=False)
    t = torch.zeros(1, 2, 4, 4)
    assert cornn.recurrence_backend(t, t, t) == "plain"
    monkeypatch.setenv("NEUROWAVE_RECURRENCE", "triton")
    with pytest.raises(ValueError, match="CUDA device"):
        cornn.recurrence_backend(t, t, t)
    monkeypatch.setenv("NEUROWAVE_RECURRENCE", "fast")
    with pytest.raises(ValueError, match="NEUROWAVE_RECURRENCE must be one of"):
        cornn.recurrence_backend(t, t, t)
    monkeypatch.setenv("NEUROWAVE_RECURRENCE", "plain")
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    assert cornn.recurrence_backend(t, t, t) == "plain"


def test_the_kernels_compile_for_a_hopper_gpu(monkeypatch):
    """No GPU needed: Triton lowers the kernels to sm_90 machine code (its bundled ptxas),
    which catches what the interpreter does not run (typing, control flow, layouts)."""
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource, compile

    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    mod = cornn._triton_module()
    assert not mod.INTERPRETED
    c_pad, block = mod._tiles(2, 64 * 64)
    ints = {n: "i32" for n in ("C", "H", "W", "T")}
    kernels = {
        mod._fwd: (
            {n: "*fp32" for n in ("omega_ptr", "alpha_ptr", "y0_ptr", "w_ptr", "out_ptr", "z_ptr")}
            | ints
            | {"dt": "fp32"},
            dict(C_PAD=c_pad, BLOCK=block, K=3, WIDE=False),
            8,
        ),
        mod._bwd: (
            {
                n: "*fp32"
                for n in (
                    "grad_ptr",
                    "out_ptr",
                    "y0_ptr",
                    "omega_ptr",
                    "alpha_ptr",
                    "w_ptr",
                    "gs_ptr",
                    "gy_ptr",
                    "gz_ptr",
                    "gom_ptr",
                    "gal_ptr",
                )
            }
            | ints
            | {"dt": "fp32"},
            dict(C_PAD=c_pad, BLOCK=block, K=3, WIDE=False),
            8,
        ),
        mod._dw: (
            {n: "*fp32" for n in ("gs_ptr", "out_ptr", "y0_ptr", "part_ptr")}
            | ints
            | {"n_maps": "i32", "per_prog": "i32"},
            dict(KK_PAD=16, BLOCK=256, K=3, WIDE=False),
            4,
        ),
    }
    for fn, (sig, consts, warps) in kernels.items():
        src = ASTSource(fn=fn, signature=sig | {k: "constexpr" for k in consts}, constexprs=consts)
        binary = compile(src, target=GPUTarget("cuda", 90, 32), options={"num_warps": warps})
        assert binary.asm["cubin"][:4] == b"\x7fELF"
        assert "bar.sync" in binary.asm["ptx"]  # the block-wide barrier between steps
