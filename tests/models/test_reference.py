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
        pytest.skip(
            "the published implementation (shared/peer/traveling-waves-integrate) is "
            f"not beside the repository {REPO} nor in a folder above it; set "
            "NEUROWAVE_PEER to its parent folder"
        )
    names = ("utils", "readouts", "cornn_model2", "baseline1_flexible", "loss_metrics", "imageio")
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
        ref = utils.make_model(
            "cpu",
            "cornn_model2",
            6,
            size,
            dt,
            0,
            n_steps,
            3,
            16,
            2,
            3,
            size,
            "op",
            cell_type="lstm",
            num_layers=16,
            readout_type=PUBLISHED_READOUTS[readout],
        )
    ours = get_model("cornn", readout=readout, n_steps=n_steps, dt=dt)
    ours.load_state_dict(
        cornn_state_dict_from_published(ref.state_dict(), readout=readout, n_steps=n_steps)
    )
    return ref, ours


def batch(n, size, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.rand(n, 3, size, size, generator=g),
        torch.randint(0, 6, (n, size, size), generator=g),
    )


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


def test_published_cnn_architecture_has_the_published_parameter_count():
    """The CNN baseline with ``bottleneck=2, expansion=98`` is the published
    ``baseline1_flexible`` at L = 8 (Tetrominoes, T = 100): 3x3 layers 3 -> 16 -> ... -> 2,
    a 1x1 expansion 2 -> 98 (K = 49 per channel) and the 3 x 256 MLP."""
    with published_modules() as utils:
        ref = utils.make_model(
            "cpu",
            "baseline1_flexible",
            6,
            64,
            0.1,
            0,
            100,
            3,
            16,
            2,
            3,
            64,
            "op",
            cell_type="lstm",
            num_layers=8,
            readout_type="linear",
        )
    ours = get_model("cnn", n_layers=8, channels=16, bottleneck=2, expansion=98)
    assert count_parameters(ours) == count_parameters(ref) == 173422
    # layer by layer the same shapes, in the same order
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in ref.parameters()]
    # and it is the same function: copy the weights in order, same logits
    with torch.no_grad():
        for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
            p.copy_(q)
        x, _ = batch(2, 64)
        assert torch.allclose(ours(x), ref(x)[0], atol=1e-5)


def _grads(model):
    return {
        k: (p.grad.clone() if p.grad is not None else torch.zeros_like(p))
        for k, p in model.named_parameters()
    }


@pytest.mark.parametrize("readout", READOUTS)
def test_every_readout_same_logits_hidden_states_and_gradients(readout):
    n_steps, size = 12, 16
    ref, ours = build_pair(readout, size=size, n_steps=n_steps, seed=3)
    # untrained encoders leave alpha and omega mostly at zero; perturb so every term counts
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(0.05 * torch.randn_like(p))
    ours.load_state_dict(
        cornn_state_dict_from_published(ref.state_dict(), readout=readout, n_steps=n_steps)
    )
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
            np.testing.assert_allclose(
                published[0, b * c + ch] / math.sqrt(n_steps),
                ours[0, ch * k + b],
                rtol=1e-5,
                atol=1e-6,
            )


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
            label[i, r : r + g.integers(2, 5), c : c + g.integers(2, 5)] = g.integers(1, 6)
    for p_wrong in (0.0, 0.1, 0.5, 0.9):
        pred = np.where(g.random(label.shape) < p_wrong, g.integers(0, 6, label.shape), label)
        published = calc_iou(
            torch.from_numpy(pred), torch.from_numpy(label), ignore_class=0, num_classes=6
        ) / len(label)
        # (the published code divides in float32)
        assert foreground_iou_paper(pred, label) == pytest.approx(float(published), rel=1e-6)
    # the published metric ignores background painted as a piece; ours counts it
    pred = label.copy()
    pred[(label == 0) & (g.random(label.shape) < 0.3)] = 1
    published = calc_iou(
        torch.from_numpy(pred), torch.from_numpy(label), ignore_class=0, num_classes=6
    ) / len(label)
    assert float(published) == foreground_iou_paper(pred, label) == 1.0


def _published_generator():
    """``generate_tetromino_image_and_mask`` of the published data script, without running
    the script's top level (which writes the whole data set to disk)."""
    import ast

    path = peer_dir()
    if path is None or not (path / "data_scripts" / "create_tetronimoes.py").exists():
        pytest.skip("the published data script is not beside the repository; set NEUROWAVE_PEER")
    tree = ast.parse((path / "data_scripts" / "create_tetronimoes.py").read_text())
    tree.body = [
        node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.Assign))
        or (
            isinstance(node, (ast.Import, ast.ImportFrom))
            and all(a.name.split(".")[0] == "numpy" for a in node.names)
        )
    ]
    namespace = {}
    exec(compile(tree, str(path / "data_scripts" / "create_tetronimoes.py"), "exec"), namespace)
    return namespace["generate_tetromino_image_and_mask"]


def _statistics(images, labels):
    """Statistics of (n, H, W, 3) uint8 images and (n, H, W) labels."""
    fg = labels > 0
    classes = [np.unique(lab[lab > 0]) for lab in labels]
    # different classes side by side (4-neighbours): pieces touching
    touch = [
        ((a[:, 1:] != a[:, :-1]) & (a[:, 1:] > 0) & (a[:, :-1] > 0)).any()
        or ((a[1:] != a[:-1]) & (a[1:] > 0) & (a[:-1] > 0)).any()
        for a in labels
    ]
    values = images[fg].astype(float)
    return {
        "fg_fraction": fg.mean(),
        "n_classes": np.mean([len(c) for c in classes]),
        "class_share": np.bincount(labels[fg], minlength=6)[1:] / fg.sum(),
        "touching": np.mean(touch),
        "edge_fg": fg[:, -1].mean() + fg[:, :, -1].mean(),
        "colour_mean": values.mean() / 255,
        "dark": (values < 32).mean(),
    }


def test_paper_preset_matches_the_published_generator_statistics():
    from neurowave.models import get_task

    generate = _published_generator()
    # the published generator draws from NumPy's global RNG: seed it, then restore it
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(0)  # noqa: NPY002
    try:
        pairs = [generate(grid_size=64, max_tetrominoes=5) for _ in range(400)]
    finally:
        np.random.set_state(state)  # noqa: NPY002
    ref = _statistics(np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs]))
    images, labels = get_task("tetrominoes-paper").generate(400, seed=0)
    ours = _statistics(np.round(images.transpose(0, 2, 3, 1) * 255).astype(np.uint8), labels)
    assert ref["edge_fg"] == ours["edge_fg"] == 0  # last row and column stay background
    assert ours["fg_fraction"] == pytest.approx(ref["fg_fraction"], rel=0.1)
    assert ours["n_classes"] == pytest.approx(ref["n_classes"], abs=0.2)
    np.testing.assert_allclose(ours["class_share"], ref["class_share"], atol=0.04)
    assert ours["touching"] == pytest.approx(ref["touching"], abs=0.07)
    assert ref["touching"] > 0.05  # pieces do touch in the published data
    assert ours["colour_mean"] == pytest.approx(ref["colour_mean"], abs=0.04)
    assert ours["dark"] == pytest.approx(ref["dark"], abs=0.03)
    # the wrapped outline: a bright interior (>= 171) has a darker outline in both
    for imgs, labs in (
        (np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])),
        (np.round(images.transpose(0, 2, 3, 1) * 255).astype(np.uint8), labels),
    ):
        values = imgs[labs > 0][:, 0].astype(int)
        interior = np.unique(values)
        assert ((interior + interior // 2) % 256 < interior).any()
