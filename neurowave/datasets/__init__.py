"""Example data: fetchers for real recordings (with checksums) and simulators with
analytic ground truth.

The simulators of model exports (:func:`simulate_model_export`,
:func:`simulate_object_export`) and of a Utah recording (:func:`simulate_utah_recording`)
feed :mod:`neurowave.compare`, its tests and ``neurowave demo``.

Real recordings are cached in the folder named by ``NEUROWAVE_DATA`` (default: the
user cache directory); with ``NEUROWAVE_OFFLINE=1`` nothing is downloaded.
"""

from ._fetch import *  # noqa: F403
from .sim import *  # noqa: F403
from .sim_models import *  # noqa: F403
