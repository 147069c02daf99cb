"""Model-vs-recording comparison and its report.

:func:`compare` (``neurowave.compare.compare``) puts a model export and a recording
through the same wave measures (:func:`neurowave.waves.analyze`) and returns a
:class:`CompareResult` with, per metric, an effect size with its bootstrap interval and
a verdict (equivalent / different / undecided) from an equivalence test against a
stated margin, and a distance between the two distributions with the test behind it
(:mod:`neurowave.compare.stats`), in common units (:mod:`neurowave.compare.scale`);
:mod:`neurowave.compare.report` draws the figures and writes one self-contained HTML
page. :func:`analyze_model` measures a model export the way that sees its waves (each
object on its own, within the trained horizon).

The modules, each importing only those above it in this list:

- ``stats``, ``scale``: distances, bootstrap and tests; units (import nothing of the
  package);
- ``_metrics``: the metric registry, margins, effect kinds and side labels;
- ``_format``: numbers as text;
- ``_pool``: one side pooled over its trials;
- ``_view``: what of a model export is measured (:class:`ModelView`);
- ``_model`` (:func:`analyze_model`), ``_komega`` (k-omega peaks), ``_verdicts``
  (:class:`StatsOptions`, effects and verdicts), ``_controls`` (the controls),
  ``dynamics`` (DSA distances of hidden-state and recorded dynamics);
- ``_result``: :class:`CompareResult`; ``report``: its figures and HTML page;
- ``_compare``: :func:`compare`.

``neurowave.compare`` is this subpackage (``import neurowave.compare as nc;
nc.METRICS``); calling it, ``neurowave.compare(model, recording)``, still runs
:func:`compare` for now, with a FutureWarning, as ``scipy.fft`` did when it became a
module.
"""

import sys as _sys
import types as _types
import warnings as _warnings

from ..io.model_export import read_model_export
from ._compare import compare, load_model_export, load_recording
from ._controls import coupling_reading
from ._metrics import (
    EXTRA_METRICS,
    FREQUENCY_SHAPE_MARGIN,
    MARGINS,
    METRICS,
    MIN_EFFECTIVE,
    SIDE_LABELS,
)
from ._model import ModelAnalysis, analyze_model
from ._result import CompareResult
from ._verdicts import StatsOptions
from ._view import MODEL_SITES, ModelView, object_masks, resolve_view
from .dynamics import DynamicsSettings, compare_dynamics
from .scale import array_extent, parse_quantity, region_extent

__all__ = [
    "compare",
    "CompareResult",
    "StatsOptions",
    "compare_dynamics",
    "DynamicsSettings",
    "analyze_model",
    "coupling_reading",
    "ModelAnalysis",
    "ModelView",
    "resolve_view",
    "object_masks",
    "MODEL_SITES",
    "METRICS",
    "EXTRA_METRICS",
    "MARGINS",
    "FREQUENCY_SHAPE_MARGIN",
    "MIN_EFFECTIVE",
    "SIDE_LABELS",
    "load_model_export",
    "read_model_export",
    "load_recording",
    "parse_quantity",
    "array_extent",
    "region_extent",
]


class _CallableModule(_types.ModuleType):
    """Deprecated: ``neurowave.compare`` was the function :func:`compare` until 0.x;
    calling the module runs it, with a FutureWarning (the way ``scipy.fft`` kept
    ``scipy.fft(x)`` working for a release when it became a module)."""

    def __call__(self, *args, **kwargs):
        _warnings.warn(
            "Calling neurowave.compare(...) is deprecated; call "
            "neurowave.compare.compare(...) (or `from neurowave.compare import "
            "compare`).",
            FutureWarning,
            stacklevel=2,
        )
        return compare(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
