import numpy as np
import pytest

from neurowave.models import (
    confusion_matrix,
    foreground_iou,
    foreground_iou_paper,
    segmentation_scores,
)


def test_iou_per_class_on_one_hot_masks():
    label = np.array([[0, 1, 1, 3], [0, 2, 2, 3]])
    pred = np.array([[0, 1, 3, 3], [1, 2, 2, 0]])
    s = segmentation_scores(pred, label, 4)
    # class 1: tp 1, union 3 (two labelled, one extra predicted) -> 1/3
    # class 2: tp 2, union 2 -> 1 ; class 3: tp 1, union 3 -> 1/3
    assert s["iou_per_class"]["1"] == pytest.approx(1 / 3)
    assert s["iou_per_class"]["2"] == pytest.approx(1.0)
    assert s["iou_per_class"]["3"] == pytest.approx(1 / 3)
    assert s["fg_iou"] == pytest.approx((1 / 3 + 1 + 1 / 3) / 3)
    assert s["pixel_accuracy"] == pytest.approx(5 / 8)
    assert s["foreground_accuracy"] == pytest.approx(4 / 6)
    # a bitwise IoU on label integers (3 & 1 != 0) would credit the 1->3 error; ours does not
    bitwise = ((pred & label) > 0).sum() / ((pred | label) > 0).sum()
    assert s["fg_iou"] != pytest.approx(bitwise)


def test_perfect_and_all_background_predictions():
    rng = np.random.default_rng(0)
    label = rng.integers(0, 6, size=(5, 8, 8))
    assert segmentation_scores(label, label, 6)["fg_iou"] == 1.0
    s = segmentation_scores(np.zeros_like(label), label, 6)
    assert s["fg_iou"] == 0.0 and s["foreground_accuracy"] == 0.0
    assert s["pixel_accuracy"] == pytest.approx((label == 0).mean())


def test_absent_classes_are_ignored_and_bad_labels_rejected():
    label = np.array([0, 1, 1, 0])
    cm = confusion_matrix(label, label, 6)
    assert foreground_iou(cm) == 1.0  # classes 2..5 absent from both: not counted as 0
    with pytest.raises(ValueError, match=r"0\.\.5"):
        confusion_matrix(np.array([7]), np.array([0]), 6)


def test_published_fg_iou_ignores_background_false_positives():
    """Perfect pieces plus 10 % of the background painted as a piece: the published
    metric (true-foreground pixels only) gives 1, the per-class IoU over the set less."""
    g = np.random.default_rng(1)
    label = np.zeros((20, 24, 24), np.int64)
    label[:, 4:10, 4:16] = 1
    label[:, 14:20, 6:12] = 3
    pred = label.copy()
    bg = label == 0
    paint = bg & (g.random(label.shape) < 0.1)
    pred[paint] = np.where(g.random(label.shape) < 0.5, 1, 3)[paint]
    s = segmentation_scores(pred, label, 6)
    assert s["fg_iou_paper"] == foreground_iou_paper(pred, label) == 1.0
    # per class: |class| / (|class| + painted as that class)
    n1, n3 = (label == 1).sum(), (label == 3).sum()
    p1, p3 = (paint & (pred == 1)).sum(), (paint & (pred == 3)).sum()
    assert s["fg_iou"] == pytest.approx((n1 / (n1 + p1) + n3 / (n3 + p3)) / 2)
    assert s["fg_iou"] < 0.8


def test_published_fg_iou_per_image_counts():
    label = np.array([[[0, 1], [1, 1]], [[2, 2], [0, 0]], [[0, 0], [0, 0]]])
    pred = np.array([[[0, 1], [0, 2]], [[2, 2], [1, 1]], [[3, 3], [3, 3]]])
    # image 0: 1 of 3 right -> 1 / (6 - 1); image 1: 2 of 2 -> 1; image 2: no foreground, left out
    assert foreground_iou_paper(pred, label) == pytest.approx((1 / 5 + 1) / 2)
    assert np.isnan(foreground_iou_paper(pred[2:], label[2:]))
