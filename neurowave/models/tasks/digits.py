"""Digit segmentation tasks: one digit (``digits``) or several (``multidigit``).

Digits come from scikit-learn's bundled handwritten digits (8x8, offline), scaled up
smoothly, or from MNIST when ``mnist_path`` points to a local copy (Keras-style
``mnist.npz`` or a folder with the four IDX files, gzipped or not). Every pixel of a
digit's stroke is labelled with the digit's class (``digit + 1``); background is 0.
Training, validation and test images come from three disjoint sets of source digits:
the test split from the test sources, and the training sources divided into the
first six sevenths (training) and the last seventh (validation), so that no
validation image repeats a training digit.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..._validate import NeurowaveError, NeurowaveFileNotFoundError
from .base import Task, place

__all__ = ["Digits", "MultiDigits", "load_source_digits"]

_CLASS_NAMES = ("background",) + tuple(str(d) for d in range(10))

#: Fraction of the training source digits held out for the validation split.
VAL_SOURCE_FRACTION = 1 / 7


def _read_idx(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_source_digits(mnist_path=None):
    """Source digits as ``(train_images, train_labels, test_images, test_labels)``.

    Images are float arrays in [0, 1]; without ``mnist_path``, scikit-learn's 8x8
    digits split 1400/397 (first/last), so no source digit is shared across splits.
    """
    if mnist_path is None:
        from sklearn.datasets import load_digits

        d = load_digits()
        x = d.images.astype(float) / 16.0
        y = d.target.astype(np.int64)
        return x[:1400], y[:1400], x[1400:], y[1400:]
    p = Path(mnist_path)
    if not p.exists():
        raise NeurowaveFileNotFoundError(
            f"{p}: no such MNIST copy. Pass the path of mnist.npz or the folder of IDX files."
        )
    if p.is_file():
        try:
            with np.load(p) as f:
                return (
                    f["x_train"] / 255.0,
                    f["y_train"].astype(np.int64),
                    f["x_test"] / 255.0,
                    f["y_test"].astype(np.int64),
                )
        except (KeyError, ValueError, OSError):
            raise NeurowaveError(
                f"{p} is not a Keras-style mnist.npz (arrays x_train, y_train, x_test, y_test). "
                "Pass that file or the folder of MNIST IDX files."
            ) from None
    out = []
    for stem in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        hits = [
            q for q in (p / stem, p / f"{stem}.gz", p / stem.replace("-idx", ".idx")) if q.exists()
        ]
        if not hits:
            raise NeurowaveFileNotFoundError(
                f"{p} has no {stem}[.gz]. Pass a folder with the four MNIST IDX files."
            )
        out.append(_read_idx(hits[0]))
    return out[0] / 255.0, out[1].astype(np.int64), out[2] / 255.0, out[3].astype(np.int64)


def _resize(img, size):
    from scipy.ndimage import zoom

    z = zoom(img, size / img.shape[0], order=1, grid_mode=True, mode="grid-constant")
    return np.clip(z[:size, :size], 0.0, 1.0)


class _DigitTask(Task):
    in_channels = 1
    class_names = _CLASS_NAMES
    _max_default = 1

    def __init__(
        self,
        *,
        size,
        digit_size,
        max_digits,
        n_train,
        n_val,
        n_test,
        seed,
        threshold=0.35,
        mnist_path=None,
    ):
        size, digit_size, max_digits = int(size), int(digit_size), int(max_digits)
        if digit_size < 4 or digit_size > size:
            raise NeurowaveError(
                f"`digit_size` must be between 4 and `size` ({size}) pixels, got {digit_size}."
            )
        if max_digits < 1:
            raise NeurowaveError(f"`max_digits` must be at least 1, got {max_digits}.")
        params = dict(
            size=size, digit_size=digit_size, max_digits=max_digits, threshold=float(threshold)
        )
        if mnist_path is not None:
            params["mnist_path"] = str(mnist_path)
        super().__init__(n_train=n_train, n_val=n_val, n_test=n_test, seed=seed, **params)
        self._source = None

    def _sources(self, split):
        if self._source is None:
            self._source = load_source_digits(self.params.get("mnist_path"))
        xtr, ytr, xte, yte = self._source
        if split == "test":
            return xte, yte
        cut = len(xtr) - max(1, int(round(len(xtr) * VAL_SOURCE_FRACTION)))
        return (xtr[cut:], ytr[cut:]) if split == "val" else (xtr[:cut], ytr[:cut])

    def _key(self, split, n):
        # "disjoint-val": the validation split draws on its own source digits (cached
        # splits from before, which shared them with training, are not reused)
        return super()._key(split, n) + "-dv"

    def split(self, split, *, n=None, cache=True):
        self._current = split
        return super().split(split, n=n, cache=cache)

    def generate(self, n, *, seed):
        self._current = "test"
        return super().generate(n, seed=seed)

    def _generate(self, n, rng):
        S, D = self.params["size"], self.params["digit_size"]
        kmax, thr = self.params["max_digits"], self.params["threshold"]
        xs, ys = self._sources(getattr(self, "_current", "train"))
        images = np.zeros((n, 1, S, S), np.uint8)
        labels = np.zeros((n, S, S), np.int64)
        cache = {}
        for i in range(n):
            occupied = np.zeros((S, S), bool)
            for _ in range(int(rng.integers(1, kmax + 1))):
                j = int(rng.integers(len(xs)))
                if j not in cache:
                    cache[j] = _resize(xs[j], D)
                img = cache[j]
                stroke = img > thr
                box = np.ones((D, D), bool)
                pos = place(occupied, box, rng, margin=0) if kmax > 1 else place(occupied, box, rng)
                if pos is None:
                    continue
                r, c = pos
                occupied[r : r + D, c : c + D] = True
                images[i, 0, r : r + D, c : c + D] = np.maximum(
                    images[i, 0, r : r + D, c : c + D], np.round(255 * img).astype(np.uint8)
                )
                labels[i, r : r + D, c : c + D][stroke] = ys[j] + 1
        return images, labels


class Digits(_DigitTask):
    """Single-digit segmentation (56x56 in the paper; 11 classes).

    Examples
    --------
    >>> t = Digits(size=28, digit_size=16, n_train=3, n_val=1, n_test=1)
    >>> x, y = t.split("train", cache=False)
    >>> x.shape, t.n_classes
    ((3, 1, 28, 28), 11)
    """

    name = "digits"

    def __init__(
        self,
        *,
        size=56,
        digit_size=28,
        n_train=10000,
        n_val=1000,
        n_test=1000,
        seed=0,
        threshold=0.35,
        mnist_path=None,
    ):
        super().__init__(
            size=size,
            digit_size=digit_size,
            max_digits=1,
            n_train=n_train,
            n_val=n_val,
            n_test=n_test,
            seed=seed,
            threshold=threshold,
            mnist_path=mnist_path,
        )


class MultiDigits(_DigitTask):
    """Multi-digit segmentation: 1 to ``max_digits`` digits in a 128x128 image (11 classes)."""

    name = "multidigit"

    def __init__(
        self,
        *,
        size=128,
        digit_size=28,
        max_digits=4,
        n_train=10000,
        n_val=1000,
        n_test=1000,
        seed=0,
        threshold=0.35,
        mnist_path=None,
    ):
        super().__init__(
            size=size,
            digit_size=digit_size,
            max_digits=max_digits,
            n_train=n_train,
            n_val=n_val,
            n_test=n_test,
            seed=seed,
            threshold=threshold,
            mnist_path=mnist_path,
        )
