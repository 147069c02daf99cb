"""Drum task: "hear the shape of a drum" -- report the area of squares.

Each image holds 1 to ``max_squares`` non-touching filled squares of the same grey
level, with side lengths drawn from ``sides``. Every pixel of a square is labelled
with the index (1-based) of its side length, so the class tells the square's area
(``side**2``); background is 0. A pixel cannot know the size of its square from its
neighbourhood alone once the square is wider than the receptive field; a wave that
rings in the square can (its frequencies are set by the square's size).
"""

from __future__ import annotations

import numpy as np

from ..._validate import NeurowaveError
from .base import Task, place

__all__ = ["Drum"]


class Drum(Task):
    """Square-area task.

    Parameters
    ----------
    size : int
        Image height and width.
    sides : sequence of int
        Allowed side lengths; class ``k`` (1-based) is ``sides[k - 1]`` (area ``side**2``).
    max_squares : int

    Examples
    --------
    >>> t = Drum(size=24, sides=(3, 5, 7), n_train=2, n_val=1, n_test=1)
    >>> x, y = t.split("train", cache=False)
    >>> t.class_names, t.areas
    (('background', 'area 9', 'area 25', 'area 49'), (9, 25, 49))
    """

    name = "drum"
    in_channels = 1

    def __init__(
        self,
        *,
        size=32,
        sides=(4, 6, 8, 10, 12),
        max_squares=3,
        n_train=4000,
        n_val=500,
        n_test=500,
        seed=0,
    ):
        size = int(size)
        sides = tuple(sorted(int(s) for s in sides))
        if len(sides) < 2 or sides[0] < 1 or sides[-1] > size or len(set(sides)) != len(sides):
            raise NeurowaveError(
                f"`sides` must be at least two distinct side lengths between 1 and `size` "
                f"({size}), got {sides}."
            )
        super().__init__(
            n_train=n_train,
            n_val=n_val,
            n_test=n_test,
            seed=seed,
            size=size,
            sides=list(sides),
            max_squares=int(max_squares),
        )

    @property
    def areas(self):
        return tuple(s * s for s in self.params["sides"])

    @property
    def class_names(self):
        return ("background",) + tuple(f"area {a}" for a in self.areas)

    def _generate(self, n, rng):
        S, sides, kmax = self.params["size"], self.params["sides"], self.params["max_squares"]
        images = np.zeros((n, 1, S, S), np.uint8)
        labels = np.zeros((n, S, S), np.int64)
        for i in range(n):
            occupied = np.zeros((S, S), bool)
            for _ in range(int(rng.integers(1, kmax + 1))):
                k = int(rng.integers(len(sides)))
                sq = np.ones((sides[k], sides[k]), bool)
                pos = place(occupied, sq, rng)
                if pos is None:
                    continue
                r, c = pos
                s = sides[k]
                occupied[r : r + s, c : c + s] = True
                images[i, 0, r : r + s, c : c + s] = 200
                labels[i, r : r + s, c : c + s] = k + 1
        return images, labels
