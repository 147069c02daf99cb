"""Tetrominoes segmentation: tell the I, O, T, S/Z and J/L pieces apart pixel by pixel.

Each image holds 1 to ``max_pieces`` non-overlapping (and non-touching) tetrominoes
made of ``block`` x ``block`` pixel squares, randomly rotated and flipped, each in a
random colour, with every block drawn with a darker outline. Locally every block
looks alike; which piece a pixel belongs to is a property of the whole piece, so a
pixel's class needs information from far away (the point of the task).

``style="published"`` draws images with the statistics of the published data set
(``data_scripts/create_tetronimoes.py`` of Jacobs et al. 2025): distinct classes per
image (drawn from a shuffled list of the five pieces, doubled when five pieces are
drawn, so a class may then repeat), pieces that may touch (only a new piece's bounding
box must be free of earlier pieces), top-left corners in ``[0, size - extent)`` (so the
last row and column stay background), colours uniform in 0-255 and an outline of
``colour + colour // 2`` computed in uint8, i.e. modulo 256 (bright colours get a dark
outline), as the published images have it.
"""

from __future__ import annotations

import numpy as np

from ..._validate import NeurowaveError
from .base import Task, place

__all__ = ["Tetrominoes", "PIECES", "STYLES"]

#: Generator styles of :class:`Tetrominoes`.
STYLES = ("neurowave", "published")

#: Block coordinates (row, col) of one representative per class; flips give S<->Z, J<->L.
PIECES = {
    "I": [(0, 0), (0, 1), (0, 2), (0, 3)],
    "O": [(0, 0), (0, 1), (1, 0), (1, 1)],
    "T": [(0, 0), (0, 1), (0, 2), (1, 1)],
    "S/Z": [(0, 1), (0, 2), (1, 0), (1, 1)],
    "J/L": [(0, 0), (1, 0), (2, 0), (2, 1)],
}


def _piece_mask(kind, rot, flip):
    blocks = np.array(PIECES[kind])
    m = np.zeros(blocks.max(0) + 1, bool)
    m[blocks[:, 0], blocks[:, 1]] = True
    if flip:
        m = m[:, ::-1]
    return np.rot90(m, rot)


class Tetrominoes(Task):
    """Tetrominoes segmentation task (6 classes: background, I, O, T, S/Z, J/L).

    Parameters
    ----------
    size : int
        Image height and width in pixels (64 in the paper).
    block : int
        Side of one block in pixels (7 in the paper).
    max_pieces : int
        Up to this many pieces per image (at least one).
    n_train, n_val, n_test : int
        Split sizes (10000/1000/1000 in the paper).
    seed : int
        Dataset seed.
    style : {"neurowave", "published"}
        ``"neurowave"``: pieces never touch, colours 0.35-1 of full scale, outlines at 55 %
        of the colour. ``"published"``: the statistics of the published data set (see
        the module docstring; preset ``tetrominoes-paper``).

    Examples
    --------
    >>> t = Tetrominoes(size=32, block=4, n_train=4, n_val=2, n_test=2)
    >>> x, y = t.split("train", cache=False)
    >>> x.shape, y.shape, t.n_classes
    ((4, 3, 32, 32), (4, 32, 32), 6)
    """

    name = "tetrominoes"
    in_channels = 3
    class_names = ("background",) + tuple(PIECES)

    def __init__(
        self,
        *,
        size=64,
        block=7,
        max_pieces=5,
        n_train=10000,
        n_val=1000,
        n_test=1000,
        seed=0,
        style="neurowave",
    ):
        size, block, max_pieces = int(size), int(block), int(max_pieces)
        if block < 2 or 4 * block > size:
            raise NeurowaveError(
                f"`block` must be at least 2 pixels and fit four times into `size` ({size}), "
                f"got {block}. Pass a smaller block or a larger size."
            )
        if max_pieces < 1:
            raise NeurowaveError(f"`max_pieces` must be at least 1, got {max_pieces}.")
        if style not in STYLES:
            raise NeurowaveError(f"`style` must be one of {', '.join(STYLES)}, got {style!r}.")
        # the default style is left out of the spec, so that specs, cache keys and
        # checkpoints written before the option existed stay the same
        extra = {} if style == "neurowave" else {"style": style}
        super().__init__(
            n_train=n_train,
            n_val=n_val,
            n_test=n_test,
            seed=seed,
            size=size,
            block=block,
            max_pieces=max_pieces,
            **extra,
        )

    def _generate(self, n, rng):
        if self.params.get("style") == "published":
            return self._generate_published(n, rng)
        S, b, kmax = self.params["size"], self.params["block"], self.params["max_pieces"]
        images = np.zeros((n, 3, S, S), np.uint8)
        labels = np.zeros((n, S, S), np.int64)
        # block texture: outline at 55% of the piece's colour, interior at 100%
        tex = np.full((b, b), 1.0)
        tex[0, :] = tex[-1, :] = tex[:, 0] = tex[:, -1] = 0.55
        kinds = list(PIECES)
        for i in range(n):
            occupied = np.zeros((S, S), bool)
            for _ in range(int(rng.integers(1, kmax + 1))):
                k = int(rng.integers(len(kinds)))
                m = _piece_mask(kinds[k], int(rng.integers(4)), bool(rng.integers(2)))
                pix = np.kron(m, np.ones((b, b), bool))
                pos = place(occupied, pix, rng)
                if pos is None:
                    continue
                r, c = pos
                h, w = pix.shape
                occupied[r : r + h, c : c + w] |= pix
                labels[i, r : r + h, c : c + w][pix] = k + 1
                colour = rng.uniform(0.35, 1.0, size=3)
                shade = np.kron(m, tex)
                for ch in range(3):
                    region = images[i, ch, r : r + h, c : c + w]
                    region[pix] = np.round(255 * colour[ch] * shade[pix]).astype(np.uint8)
        return images, labels

    def _generate_published(self, n, rng):
        """Images with the published data set's statistics (see the module docstring)."""
        S, b, kmax = self.params["size"], self.params["block"], self.params["max_pieces"]
        images = np.zeros((n, 3, S, S), np.uint8)
        labels = np.zeros((n, S, S), np.int64)
        outline = np.zeros((b, b), bool)
        outline[0, :] = outline[-1, :] = outline[:, 0] = outline[:, -1] = True
        kinds = list(PIECES)
        for i in range(n):
            n_pieces = int(rng.integers(1, kmax + 1))
            pool = np.tile(np.arange(len(kinds)), n_pieces // len(kinds) + 1)
            rng.shuffle(pool)
            for k in pool[:n_pieces]:
                m = _piece_mask(kinds[k], int(rng.integers(4)), bool(rng.integers(2)))
                pix = np.kron(m, np.ones((b, b), bool))
                h, w = pix.shape
                if h >= S or w >= S:
                    continue
                for _ in range(1000):  # the published loop retries without bound
                    r, c = int(rng.integers(0, S - h)), int(rng.integers(0, S - w))
                    if not labels[i, r : r + h, c : c + w].any():
                        break
                else:
                    continue
                labels[i, r : r + h, c : c + w][pix] = k + 1
                colour = rng.integers(0, 256, size=3).astype(np.uint8)
                edge = np.kron(m, outline)
                for ch in range(3):
                    region = images[i, ch, r : r + h, c : c + w]
                    region[pix] = colour[ch]
                    # the published uint8 sum wraps modulo 256
                    region[edge] = (int(colour[ch]) + int(colour[ch]) // 2) % 256
        return images, labels
