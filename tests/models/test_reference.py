"""neurowave's CoRNN against the published implementation (Jacobs et al. 2025).

The published code is read from ``shared/peer/traveling-waves-integrate`` beside the
repository (or in a folder above it, or ``$NEUROWAVE_PEER``); it is built with its own
``utils.make_model`` and its weights mapped with
:func:`neurowave.models.convert.cornn_state_dict_from_published`. For every readout
the two models must give the same logits, hidden states and gradients.
"""

import contextlib
import importlib.util
import math
import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from neurowave.models import READOUTS, count_parameters, foreground_iou_paper, get_model
from neurowave.models.convert import PUBLISHED_READOUTS, cornn_state_dict_from_published

REPO = Path(__file__).resolve().parents[2]


def peer_dir():
    env = os.environ.get("NEUROWAVE_PEER")
    if env:
        return Path(env) / "traveling-waves-integrate"
    for parent in REPO.parents:
        path = parent / "shared" / "peer" / "traveling-waves-integrate"
        if path.is_dir():
            return path
    return None


@contextlib.contextmanager
def published_modules():
    """Import the published code's top-level modules without leaving them in sys.modules."""
    path = peer_dir()
    if path is None or not (path / "cornn_model2.py").exists():
        pytest.skip("the published implementation (shared/peer/traveling-waves-integrate) is "
                    f"not beside the repository {REPO} nor in a folder above it; set "
                    "NEUROWAVE_PEER to its parent folder")
    names = ("utils", "readouts", "cornn_model2", "loss_metrics", "imageio")
    saved = {n: sys.modules.pop(n) for n in names if n in sys.modules}
    if importlib.util.find_spec("imageio") is None:  # utils.py imports it only for GIFs
        sys.modules["imageio"] = types.ModuleType("imageio")
    sys.path.insert(0, str(path))
    try:
        import utils

        yield utils
    finally:
        sys.path.remove(str(path))
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)


def build_pair(readout, *, size, n_steps, dt=0.1, seed=0):
    with published_modules() as utils:
        torch.manual_seed(seed)
        ref = utils.make_model("cpu", "cornn_model2", 6, size, dt, 0, n_steps, 3, 16, 2, 3,
                               size, "op", cell_type="lstm", num_layers=16,
                               readout_type=PUBLISHED_READOUTS[readout])
    ours = get_model("cornn", readout=readout, n_steps=n_steps, dt=dt)
    ours.load_state_dict(cornn_state_dict_from_published(ref.state_dict(), readout=readout,
                                                         n_steps=n_steps))
    return ref, ours


def batch(n, size, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 3, size, size, generator=g),
            torch.randint(0, 6, (n, size, size), generator=g))


def test_published_setting_same_parameters_logits_and_hidden_states():
    ref, ours = build_pair("linear", size=64, n_steps=100)
    assert count_parameters(ours) == count_parameters(ref) == 176124
    x, _ = batch(2, 64)
    with torch.no_grad():
        ref_logits, ref_hidden = ref(x)
        logits, hidden = ours(x, return_hidden=True)
    assert hidden.shape == ref_hidden.shape == (2, 100, 2, 64, 64)
    # same update, same operations in the same order: the states agree to float32 rounding
    assert torch.allclose(hidden, ref_hidden, rtol=0, atol=1e-6)
    scale = ref_logits.abs().max()
    assert (logits - ref_logits).abs().max() <= 1e-5 * scale
    assert torch.equal(logits.argmax(1), ref_logits.argmax(1))


def _grads(model):
    return {k: (p.grad.clone() if p.grad is not None else torch.zeros_like(p))
            for k, p in model.named_parameters()}


@pytest.mark.parametrize("readout", READOUTS)
def test_every_readout_same_logits_hidden_states_and_gradients(readout):
    n_steps, size = 12, 16
    ref, ours = build_pair(readout, size=size, n_steps=n_steps, seed=3)
    # untrained encoders leave alpha and omega mostly at zero; perturb so every term counts
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(0.05 * torch.randn_like(p))
    ours.load_state_dict(cornn_state_dict_from_published(ref.state_dict(), readout=readout,
                                                         n_steps=n_steps))
    x, y = batch(3, size)
    ref_logits, ref_hidden = ref(x)
    logits, hidden = ours(x, return_hidden=True)
    assert torch.allclose(hidden, ref_hidden, rtol=0, atol=1e-6)
    assert torch.allclose(logits, ref_logits, rtol=1e-5, atol=1e-6)
    F.cross_entropy(ref_logits, y).backward()
    F.cross_entropy(logits, y).backward()
    # gradients transform like the weights, except for the scale of the fft readout's
    # first layer: W_ours = sqrt(T) W_published, so dL/dW_ours = dL/dW_published / sqrt(T)
    mapped = cornn_state_dict_from_published(_grads(ref), readout=readout, n_steps=n_steps)
    if readout == "fft":
        mapped["mlp.net.0.weight"] /= n_steps
    got = _grads(ours)
    assert set(mapped) == set(got)
    for key, g in got.items():
        ref_g = mapped[key]
        assert g.abs().max() > 0, key  # every parameter takes part
        assert torch.allclose(g, ref_g, rtol=1e-4, atol=1e-6 * ref_g.abs().max()), key


def test_feature_order_and_fft_normalisation_are_as_documented():
    """Published features are time-bin-major (k * C + c) and from an unnormalised rfft;
    neurowave's are channel-major (c * F + k) and orthonormal."""
    n_steps, c = 10, 2
    h = torch.randn(1, n_steps, c, 3, 3)
    ours = get_model("cornn", readout="fft", n_steps=n_steps).readout(h)
    published = torch.fft.rfft(h, dim=1).abs().reshape(1, -1, 3, 3)  # (B, K * C, H, W)
    k = n_steps // 2 + 1
    for ch in range(c):
        for b in range(k):
            np.testing.assert_allclose(published[0, b * c + ch] / math.sqrt(n_steps),
                                       ours[0, ch * k + b], rtol=1e-5, atol=1e-6)


def test_published_fg_iou_is_the_published_function():
    """``fg_iou_paper`` = the published ``calc_iou(ignore_class=0)`` summed over images / n."""
    with published_modules():
        import loss_metrics

        calc_iou = loss_metrics.calc_iou
    g = np.random.default_rng(0)
    label = np.zeros((40, 16, 16), np.int64)
    for i in range(len(label)):  # 1-3 rectangles of random classes per image
        for _ in range(g.integers(1, 4)):
            r, c = g.integers(0, 12, 2)
            label[i, r:r + g.integers(2, 5), c:c + g.integers(2, 5)] = g.integers(1, 6)
    for p_wrong in (0.0, 0.1, 0.5, 0.9):
        pred = np.where(g.random(label.shape) < p_wrong, g.integers(0, 6, label.shape), label)
        published = calc_iou(torch.from_numpy(pred), torch.from_numpy(label), ignore_class=0,
                             num_classes=6) / len(label)
        # (the published code divides in float32)
        assert foreground_iou_paper(pred, label) == pytest.approx(float(published), rel=1e-6)
    # the published metric ignores background painted as a piece; ours counts it
    pred = label.copy()
    pred[(label == 0) & (g.random(label.shape) < 0.3)] = 1
    published = calc_iou(torch.from_numpy(pred), torch.from_numpy(label), ignore_class=0,
                         num_classes=6) / len(label)
    assert float(published) == foreground_iou_paper(pred, label) == 1.0
