"""Shared machinery of the procedural tasks: seeded splits and an on-disk cache."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..._outputs import atomic_file
from ..._validate import NeurowaveError

__all__ = ["Task", "cache_dir", "SPLITS"]

SPLITS = ("train", "val", "test")


def cache_dir():
    """Folder of cached task data: ``$NEUROWAVE_CACHE/tasks`` or ``~/.cache/neurowave/tasks``."""
    root = os.environ.get("NEUROWAVE_CACHE")
    root = Path(root) if root else Path.home() / ".cache" / "neurowave"
    return root / "tasks"


class Task:
    """A procedurally generated segmentation task.

    Subclasses set ``name``, ``in_channels``, ``class_names`` and implement
    ``_generate(n, rng) -> (images uint8 (n, C, H, W), labels int64 (n, H, W))``.
    Every split is a deterministic function of the task's parameters and ``seed``,
    so a test set generated afresh equals the one a model was scored on.
    """

    name = "task"
    in_channels = 1
    class_names = ("background",)

    def __init__(self, *, n_train, n_val, n_test, seed=0, **params):
        for k, v in (("n_train", n_train), ("n_val", n_val), ("n_test", n_test)):
            if isinstance(v, bool) or int(v) != v or v < 0:
                raise NeurowaveError(f"`{k}` must be a non-negative integer, got {v!r}.")
        if isinstance(seed, bool) or int(seed) != seed or seed < 0:
            raise NeurowaveError(f"`seed` must be a non-negative integer, got {seed!r}.")
        self.sizes = {"train": int(n_train), "val": int(n_val), "test": int(n_test)}
        self.seed = int(seed)
        self.params = dict(params)

    @property
    def n_classes(self):
        return len(self.class_names)

    def spec(self):
        """A JSON-able dict that rebuilds this task with :func:`~neurowave.models.get_task`."""
        return {
            "name": self.name,
            "n_train": self.sizes["train"],
            "n_val": self.sizes["val"],
            "n_test": self.sizes["test"],
            "seed": self.seed,
            **self.params,
        }

    def __repr__(self):
        opts = ", ".join(f"{k}={v!r}" for k, v in self.spec().items() if k != "name")
        return f"<Task {self.name}: {opts}>"

    def _key(self, split, n):
        spec = {**self.spec(), "split": split, "n": n}
        spec.pop("n_train"), spec.pop("n_val"), spec.pop("n_test")
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]

    def generate(self, n, *, seed):
        """Generate ``n`` fresh examples from integer ``seed`` (float32 images in [0, 1])."""
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7919]))
        images, labels = self._generate(int(n), rng)
        return images.astype(np.float32) / 255.0, labels.astype(np.int64)

    def split(self, split, *, n=None, cache=True):
        """Images and labels of split ``"train"``, ``"val"`` or ``"test"``.

        Parameters
        ----------
        split : {"train", "val", "test"}
        n : int | None
            Number of examples (default: the split's size); the first ``n`` of a longer
            split are the same examples.
        cache : bool
            Read from and write to the on-disk cache (:func:`cache_dir`); ``False``
            generates afresh.

        Returns
        -------
        images : ndarray, float32, (n, C, H, W) in [0, 1]
        labels : ndarray, int64, (n, H, W) class indices (0 = background)
        """
        if split not in SPLITS:
            raise NeurowaveError(f"`split` must be one of {', '.join(SPLITS)}, got {split!r}.")
        n = self.sizes[split] if n is None else int(n)
        sub_seed = [self.seed, SPLITS.index(split)]
        path = cache_dir() / f"{self.name}-{self._key(split, n)}.npz"
        if cache and path.exists():
            try:
                with np.load(path) as f:
                    return f["images"].astype(np.float32) / 255.0, f["labels"].astype(np.int64)
            except Exception:  # a damaged cache file is regenerated
                pass
        rng = np.random.default_rng(np.random.SeedSequence(sub_seed))
        images, labels = self._generate(n, rng)
        if cache:
            try:
                with atomic_file(path) as tmp, open(tmp, "wb") as f:
                    np.savez_compressed(f, images=images, labels=labels.astype(np.uint8))
            except OSError:  # a cache that cannot be written is only a cache
                pass
        return images.astype(np.float32) / 255.0, labels.astype(np.int64)

    def _generate(self, n, rng):  # pragma: no cover - abstract
        raise NotImplementedError


def place(occupied, shape, rng, *, margin=1, tries=100):
    """Top-left corner where a ``shape`` mask fits without touching ``occupied``; None if none."""
    H, W = occupied.shape
    h, w = shape.shape
    if h > H or w > W:
        return None
    for _ in range(tries):
        r = int(rng.integers(0, H - h + 1))
        c = int(rng.integers(0, W - w + 1))
        r0, c0 = max(r - margin, 0), max(c - margin, 0)
        region = occupied[r0 : r + h + margin, c0 : c + w + margin]
        # dilate the shape by `margin` within the region
        grown = np.zeros_like(region)
        for dr in range(-margin, margin + 1):
            for dc in range(-margin, margin + 1):
                rr, cc = r - r0 + dr, c - c0 + dc
                ys = slice(max(rr, 0), min(rr + h, region.shape[0]))
                xs = slice(max(cc, 0), min(cc + w, region.shape[1]))
                sub = shape[ys.start - rr : ys.stop - rr, xs.start - cc : xs.stop - cc]
                grown[ys, xs] |= sub
        if not (grown & region).any():
            return r, c
    return None
