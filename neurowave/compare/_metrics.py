"""The metric registry of a comparison: which metrics, over which frames, with which
effect size and margin, and the labels of the sides.

The bottom layer of :mod:`neurowave.compare`: it imports nothing of the package, and
every other module reads its names from here.
"""

from __future__ import annotations

#: Patterns that move: a frame classified as one of them is a wave frame of the objects
#: view, and its fit gives a ``pattern_speed`` (one tuple, that of the wave events).
from ..waves.events import WAVE_PATTERNS

__all__ = [
    "METRICS",
    "WAVE_FRAME_METRICS",
    "EXTRA_METRICS",
    "WAVE_PATTERNS",
    "MIN_EFFECTIVE",
    "EFFECT_KINDS",
    "MARGINS",
    "FREQUENCY_SHAPE_MARGIN",
    "SIDE_LABELS",
    "CONTROL_TITLES",
    "pattern_names",
]

#: The metrics compared, in report order.
METRICS = ("speed", "pgd", "direction", "wavelength", "frequency", "patterns")
#: Metrics measured over wave frames only (the rest over all analysed frames).
WAVE_FRAME_METRICS = ("speed", "direction", "wavelength")
#: Further metrics, compared when the analysis provides them: ``pattern_speed`` is the
#: speed of the pattern-specific fits (plane, target and rotating waves:
#: radial and rotating waves have low PGD, so their speeds come from these fits) over
#: the frames classified as one of those patterns.
EXTRA_METRICS = ("pattern_speed",)
#: below this many effective (independent) frames on a side, a distance is flagged
#: and its verdict is "undecided"
MIN_EFFECTIVE = 5.0
#: The effect size behind each metric's verdict (see :mod:`neurowave.compare.stats`):
#: ratio of the medians for positive scale quantities, difference of the medians for
#: PGD, the aligned circular W1 for directions and the total variation for patterns.
EFFECT_KINDS = {
    "speed": "ratio",
    "wavelength": "ratio",
    "pattern_speed": "ratio",
    "frequency": "ratio",
    "pgd": "difference",
    "direction": "distance",
    "patterns": "distance",
}
#: Default equivalence margins (the methods page gives the reasons): a factor for
#: ratios, PGD units for PGD, degrees for directions, a fraction for patterns.
MARGINS = {
    "speed": 1.25,
    "wavelength": 1.25,
    "pattern_speed": 1.25,
    "frequency": 1.25,
    "pgd": 0.1,
    "direction": 20.0,
    "patterns": 0.15,
}
#: Margin of the scale-free frequency row: W1 distance of frequency / median frequency.
FREQUENCY_SHAPE_MARGIN = 0.1
#: Column labels of the sides of a comparison.
SIDE_LABELS = {
    "model": "model",
    "cut_coupling": "cut coupling",
    "untrained": "untrained",
    "recording": "recording",
}
#: Control name -> column title.
CONTROL_TITLES = {"cut_coupling": "cut coupling", "untrained": "untrained"}


def pattern_names():
    """The pattern labels of :func:`neurowave.waves.classify_patterns`, in its order."""
    from ..waves.patterns import PATTERNS

    return tuple(PATTERNS)
