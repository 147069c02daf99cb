import numpy as np
import pytest
from scipy import ndimage

from neurowave.models import get_task, list_tasks
from neurowave.models.tasks import PIECES, cache_dir


def _canonical(mask):
    """All 8 rotations/flips of a boolean mask, as a set of byte strings with shapes."""
    out = set()
    for flip in (False, True):
        m = mask[:, ::-1] if flip else mask
        for k in range(4):
            r = np.ascontiguousarray(np.rot90(m, k))
            out.add((r.shape, r.tobytes()))
    return out


@pytest.mark.parametrize("block", [2, 4, 7])
def test_tetromino_pieces_have_the_shape_of_their_class(block):
    size = 16 if block == 2 else 32 if block == 4 else 64
    task = get_task("tetrominoes", size=size, block=block, n_train=40, n_val=1, n_test=1)
    x, y = task.split("train", cache=False)
    assert x.shape == (40, 3, size, size) and x.dtype == np.float32
    assert x.min() >= 0.0 and x.max() <= 1.0
    n_pieces = []
    for img, lab in zip(x, y, strict=True):
        comp, n = ndimage.label(lab > 0)  # pieces never touch, so components are pieces
        n_pieces.append(n)
        for c in range(1, n + 1):
            m = comp == c
            classes = np.unique(lab[m])
            assert len(classes) == 1  # one class per piece
            assert m.sum() == 4 * block * block
            rows, cols = np.where(m)
            crop = m[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
            blocks = crop[::block, ::block]
            assert np.array_equal(np.kron(blocks, np.ones((block, block), bool)), crop)
            name = task.class_names[classes[0]]
            ref = np.zeros(np.array(PIECES[name]).max(0) + 1, bool)
            ref[tuple(np.array(PIECES[name]).T)] = True
            assert (blocks.shape, np.ascontiguousarray(blocks).tobytes()) in _canonical(ref)
            # texture: every piece has darker outlines than block centres
            if block >= 4:
                assert img[:, m].max() > 0
        assert ((img.sum(0) > 0) == (lab > 0)).all()  # colour exactly on the pieces
    assert min(n_pieces) >= 1 and max(n_pieces) >= 3


def test_splits_are_deterministic_distinct_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROWAVE_CACHE", str(tmp_path))
    task = get_task("tetrominoes-small", n_train=20, n_val=5, n_test=5)
    a = task.split("train")
    assert len(list(cache_dir().glob("*.npz"))) == 1
    b = task.split("train")  # from cache
    c = task.split("train", cache=False)  # fresh
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    for u, v in zip(a, c, strict=True):
        np.testing.assert_array_equal(u, v)
    d = get_task("tetrominoes-small", n_train=20, n_val=5, n_test=5, seed=1).split(
        "train", cache=False
    )
    assert not np.array_equal(a[1], d[1])
    assert not np.array_equal(task.split("test", cache=False)[1], a[1][:5])


def test_digit_tasks_label_strokes_with_their_digit():
    from sklearn.datasets import load_digits

    task = get_task("digits", size=28, digit_size=16, n_train=30, n_val=1, n_test=1)
    x, y = task.split("train", cache=False)
    assert x.shape == (30, 1, 28, 28) and task.n_classes == 11
    for img, lab in zip(x, y, strict=True):
        classes = np.unique(lab[lab > 0])
        assert len(classes) == 1  # one digit
        assert (img[0][lab > 0] > task.params["threshold"]).all()
    assert len(np.unique(y)) >= 6
    # train and test digits come from disjoint source images of sklearn's set
    assert load_digits().images.shape[0] == 1797
    multi = get_task("multidigit-small", n_train=30, n_val=1, n_test=1)
    xm, ym = multi.split("train", cache=False)
    assert xm.shape[-1] == 48
    assert max(len(np.unique(lab[lab > 0])) for lab in ym) >= 2


def test_digit_validation_and_training_images_share_no_source_digit():
    """Training, validation and test draw on disjoint source digits: no validation image
    repeats a training image (digits-small had 5 byte-identical pairs before)."""
    from neurowave.models.tasks.digits import VAL_SOURCE_FRACTION

    task = get_task("digits-small")
    sources = {s: task._sources(s)[0] for s in ("train", "val", "test")}
    assert len(sources["val"]) == round(1400 * VAL_SOURCE_FRACTION) == 200
    assert len(sources["train"]) == 1200 and len(sources["test"]) == 397
    keys = {s: {a.tobytes() for a in x} for s, x in sources.items()}
    assert not keys["train"] & keys["val"] and not keys["train"] & keys["test"]
    assert not keys["val"] & keys["test"]
    xtr, _ = task.split("train", cache=False)
    xva, _ = task.split("val", cache=False)
    seen = {a.tobytes() for a in xtr}
    assert not any(a.tobytes() in seen for a in xva)


def test_mnist_from_a_local_npz(tmp_path):
    rng = np.random.default_rng(0)
    xs = (rng.random((20, 28, 28)) > 0.7).astype(np.uint8) * 255
    ys = np.arange(20) % 10
    np.savez(tmp_path / "mnist.npz", x_train=xs, y_train=ys, x_test=xs[:5], y_test=ys[:5])
    task = get_task(
        "digits",
        size=40,
        digit_size=28,
        n_train=10,
        n_val=1,
        n_test=1,
        mnist_path=tmp_path / "mnist.npz",
    )
    x, y = task.split("train", cache=False)
    assert x.shape == (10, 1, 40, 40) and y.max() <= 10 and (y > 0).any()
    with pytest.raises(FileNotFoundError, match="MNIST"):
        get_task("digits", mnist_path=tmp_path / "missing.npz").split("train", n=1, cache=False)


def test_drum_squares_report_their_area():
    task = get_task("drum-small", n_train=30)
    _x, y = task.split("train", cache=False)
    sides = task.params["sides"]
    for lab in y:
        comp, n = ndimage.label(lab > 0)
        assert n >= 1
        for c in range(1, n + 1):
            m = comp == c
            k = np.unique(lab[m])
            assert len(k) == 1
            assert m.sum() == sides[k[0] - 1] ** 2 == task.areas[k[0] - 1]


def test_bad_task_options_are_one_sentence():
    with pytest.raises(ValueError, match="`task` must be one of"):
        get_task("tetris")
    with pytest.raises(ValueError, match="block"):
        get_task("tetrominoes", size=16, block=7)
    with pytest.raises(ValueError, match="does not accept"):
        get_task("drum", block=3)
    assert "tetrominoes-small" in list_tasks()


def test_paper_preset_spec_and_style():
    from neurowave.models import get_task, task_from_spec

    t = get_task("tetrominoes-paper", n_train=3, n_val=1, n_test=1)
    assert t.spec()["style"] == "published" and t.params["size"] == 64
    assert task_from_spec(t.spec()).spec() == t.spec()
    # the default style stays out of the spec: specs and cache keys of older runs hold
    assert "style" not in get_task("tetrominoes-small").spec()
    x, y = t.split("train", cache=False)
    assert x.shape == (3, 3, 64, 64) and (y[:, -1] == 0).all() and (y[:, :, -1] == 0).all()
    with pytest.raises(ValueError, match="style"):
        get_task("tetrominoes", style="paper")
