"""Segmentation metrics: pixel accuracy, foreground accuracy, foreground IoU.

IoU is computed per class on one-hot masks (a pixel belongs to class ``k`` in the
prediction when its predicted label is ``k``), accumulated over all images, and
averaged over the foreground classes present in the labels or predictions -- never a
bitwise operation on label integers.
"""

from __future__ import annotations

import numpy as np

from .._validate import NeurowaveError

__all__ = ["confusion_matrix", "segmentation_scores", "pixel_accuracy",
           "foreground_accuracy", "foreground_iou"]


def confusion_matrix(pred, label, n_classes):
    """``(n_classes, n_classes)`` counts, rows = true class, columns = predicted class."""
    pred = np.asarray(pred).ravel().astype(np.int64)
    label = np.asarray(label).ravel().astype(np.int64)
    if pred.shape != label.shape:
        raise NeurowaveError(f"`pred` and `label` must have the same shape, got {pred.shape} and {label.shape}.")
    if pred.size and (min(pred.min(), label.min()) < 0 or max(pred.max(), label.max()) >= n_classes):
        raise NeurowaveError(f"Labels must lie in 0..{n_classes - 1}; check `n_classes`.")
    return np.bincount(label * n_classes + pred, minlength=n_classes**2).reshape(n_classes, n_classes)


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


def segmentation_scores(pred, label, n_classes, *, class_names=None):
    """All scores of a segmentation as a JSON-able dict.

    Parameters
    ----------
    pred, label : array-like of int, same shape
    n_classes : int
    class_names : sequence of str | None

    Returns
    -------
    dict with ``pixel_accuracy``, ``foreground_accuracy``, ``fg_iou`` and
    ``iou_per_class`` (class name -> IoU, NaN when the class is absent from both).
    """
    cm = confusion_matrix(pred, label, n_classes)
    names = list(class_names) if class_names is not None else [str(k) for k in range(n_classes)]
    iou = _class_iou(cm)
    return {
        "pixel_accuracy": pixel_accuracy(cm),
        "foreground_accuracy": foreground_accuracy(cm),
        "fg_iou": foreground_iou(cm),
        "iou_per_class": {names[k]: float(iou[k]) for k in range(n_classes)},
        "n_pixels": int(cm.sum()),
    }
