"""Example data: fetchers for real recordings (with checksums) and simulators with
analytic ground truth.

Real recordings are cached in the folder named by ``NEUROWAVE_DATA`` (default: the
user cache directory); with ``NEUROWAVE_OFFLINE=1`` nothing is downloaded.
"""

from ._fetch import *  # noqa: F401,F403
from .sim import *  # noqa: F401,F403
