"""Segmentation metrics: pixel accuracy, foreground accuracy and two foreground IoUs.

``fg_iou`` (:func:`foreground_iou`) is computed per class on one-hot masks (a pixel
belongs to class ``k`` in the prediction when its predicted label is ``k``),
accumulated over all images, and averaged over the foreground classes present in the
labels or predictions -- never a bitwise operation on label integers. Background
pixels predicted as a piece count against the piece's class.

``fg_iou_paper`` (:func:`foreground_iou_paper`) is the metric behind the published
tables of Jacobs et al. (2025): per image, over the pixels whose *true* label is
foreground only, the one-hot masks of all classes pooled, then averaged over images.
Background pixels never count, so a prediction that is perfect on the pieces scores
1 however much background it paints as a piece.
"""

from __future__ import annotations

import numpy as np

from .._validate import NeurowaveError

__all__ = [
    "confusion_matrix",
    "segmentation_scores",
    "pixel_accuracy",
    "foreground_accuracy",
    "foreground_iou",
    "foreground_iou_paper",
]


def confusion_matrix(pred, label, n_classes):
    """``(n_classes, n_classes)`` counts, rows = true class, columns = predicted class."""
    pred = np.asarray(pred).ravel().astype(np.int64)
    label = np.asarray(label).ravel().astype(np.int64)
    if pred.shape != label.shape:
        raise NeurowaveError(
            f"`pred` and `label` must have the same shape, got {pred.shape} and {label.shape}."
        )
    if pred.size and (
        min(pred.min(), label.min()) < 0 or max(pred.max(), label.max()) >= n_classes
    ):
        raise NeurowaveError(f"Labels must lie in 0..{n_classes - 1}; check `n_classes`.")
    return np.bincount(label * n_classes + pred, minlength=n_classes**2).reshape(
        n_classes, n_classes
    )


def pixel_accuracy(cm):
    """Fraction of all pixels labelled correctly."""
    cm = np.asarray(cm)
    return float(np.trace(cm) / max(cm.sum(), 1))


def foreground_accuracy(cm):
    """Fraction of foreground pixels (true class > 0) labelled with their class."""
    cm = np.asarray(cm)
    fg = cm[1:].sum()
    return float(np.trace(cm[1:, 1:]) / fg) if fg else float("nan")


def _class_iou(cm):
    cm = np.asarray(cm, dtype=float)
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def foreground_iou(cm):
    """Mean IoU over foreground classes present in labels or predictions (one-hot masks).

    Examples
    --------
    >>> import numpy as np
    >>> label = np.array([[0, 1, 1], [0, 2, 2]])
    >>> pred = np.array([[0, 1, 2], [0, 2, 2]])
    >>> round(foreground_iou(confusion_matrix(pred, label, 3)), 4)  # (1/2 + 2/3) / 2
    0.5833
    """
    iou = _class_iou(cm)[1:]
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")


def foreground_iou_paper(pred, label):
    """The published fg-IoU: per image over true-foreground pixels, classes pooled.

    For image ``i`` let ``M`` be its pixels whose true label is not 0. Within ``M`` the
    one-hot masks of the prediction and the label (all classes, background included)
    are intersected and united, and the counts summed over classes: a correct pixel adds
    1 to both, a wrong one 0 to the intersection and 2 to the union, so the image scores
    ``n_correct / (2 |M| - n_correct)``. The result is the mean over images; images
    without foreground (where the published code divides 0 by 0) are left out.

    This is ``loss_metrics.calc_iou(pred, label, ignore_class=0)`` of the published code
    divided by the number of images (its ``produce_scores.py``).

    Parameters
    ----------
    pred, label : array-like of int, ``(n_images, ...)``
        Predicted and true labels, 0 = background; one image is ``(H, W)``.

    Returns
    -------
    float
        NaN when no image has foreground.

    Examples
    --------
    >>> import numpy as np
    >>> label = np.array([[0, 1, 1], [0, 2, 2]])
    >>> pred = np.array([[1, 1, 1], [0, 2, 0]])  # one background pixel painted: not counted
    >>> round(foreground_iou_paper(pred, label), 4)  # 3 of 4 right: 3 / (2 * 4 - 3)
    0.6
    """
    pred = np.asarray(pred)
    label = np.asarray(label)
    if pred.shape != label.shape:
        raise NeurowaveError(
            f"`pred` and `label` must have the same shape, got {pred.shape} and {label.shape}."
        )
    if pred.ndim < 2:
        raise NeurowaveError(
            f"`pred` and `label` must be images (n_images, ...) or one image (H, W), got shape {pred.shape}."
        )
    if pred.ndim == 2:
        pred, label = pred[None], label[None]
    fg = (label != 0).reshape(len(label), -1)
    correct = ((pred == label).reshape(len(label), -1) & fg).sum(1)
    n_fg = fg.sum(1)
    keep = n_fg > 0
    if not keep.any():
        return float("nan")
    return float(np.mean(correct[keep] / (2 * n_fg[keep] - correct[keep])))


def segmentation_scores(pred, label, n_classes, *, class_names=None):
    """All scores of a segmentation as a JSON-able dict.

    Parameters
    ----------
    pred, label : array-like of int, same shape
    n_classes : int
    class_names : sequence of str | None

    Returns
    -------
    dict with ``pixel_accuracy``, ``foreground_accuracy``, ``fg_iou``,
    ``fg_iou_paper`` (the published metric, :func:`foreground_iou_paper`; for arrays of
    images, first axis) and ``iou_per_class`` (class name -> IoU, NaN when the class is
    absent from both).
    """
    cm = confusion_matrix(pred, label, n_classes)
    names = list(class_names) if class_names is not None else [str(k) for k in range(n_classes)]
    iou = _class_iou(cm)
    return {
        "pixel_accuracy": pixel_accuracy(cm),
        "foreground_accuracy": foreground_accuracy(cm),
        "fg_iou": foreground_iou(cm),
        "fg_iou_paper": (foreground_iou_paper(pred, label) if np.ndim(pred) >= 2 else float("nan")),
        "iou_per_class": {names[k]: float(iou[k]) for k in range(n_classes)},
        "n_pixels": int(cm.sum()),
    }
