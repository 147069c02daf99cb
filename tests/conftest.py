"""Shared fixtures.

Real-data tests read the example recordings through ``neurowave.datasets`` from the
cache named by ``NEUROWAVE_DATA`` (CI sets it to ``../shared/data``). Without it they
are skipped; with it, a missing or corrupted file fails the test rather than skip.
"""

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

os.environ.setdefault("NEUROWAVE_OFFLINE", "1")


@pytest.fixture(scope="session")
def data_dir():
    """The example-data cache (``NEUROWAVE_DATA``); skips real-data tests without it."""
    path = os.environ.get("NEUROWAVE_DATA")
    if not path:
        if os.environ.get("CI"):
            pytest.fail("CI must set NEUROWAVE_DATA so that real-data tests run.")
        pytest.skip("set NEUROWAVE_DATA to the example-data folder (e.g. ../shared/data)")
    path = Path(path)
    if not path.is_dir():
        pytest.fail(f"NEUROWAVE_DATA={path} is not a directory")
    return path
