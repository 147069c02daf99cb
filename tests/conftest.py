"""Shared fixtures.

Real-data tests read the example recordings through ``neurowave.datasets`` from the
cache named by ``NEUROWAVE_DATA`` (the README's test command sets it to ``../shared/data``). Without it they
are skipped; with it, a missing or corrupted file fails the test rather than skip.
"""

import os
import re

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
    from neurowave.datasets import data_dir as cache

    path = cache()  # a relative path is taken from the directory pytest started in
    if not path.is_dir():
        pytest.fail(f"NEUROWAVE_DATA={path} is not a directory")
    return path


#: What a user's error sentence must never show: Python internals.
PYTHON_INTERNALS = re.compile(
    r"Traceback|unexpected keyword argument|has no attribute|object is not|"
    r"\b[A-Z][A-Za-z]*(Error|Exception)\b|internal error|<[a-z_.]+ object at 0x"
)


@pytest.fixture
def assert_user_error():
    """``check(stderr)``: exactly one ``neurowave: error: <sentence>`` line (warnings
    aside) whose sentence shows no Python internal (a traceback, an exception class
    name, "unexpected keyword argument", "has no attribute", a bare key)."""

    def check(err):
        lines = [
            ln
            for ln in err.splitlines()
            if ln.strip() and not ln.startswith("neurowave: warning: ")
        ]
        assert len(lines) == 1, err
        assert lines[0].startswith("neurowave: error: "), lines[0]
        sentence = lines[0][len("neurowave: error: ") :]
        assert len(sentence.split()) >= 4, f"not a sentence: {lines[0]!r}"
        assert not PYTHON_INTERNALS.search(sentence), f"a Python internal in {lines[0]!r}"
        return sentence

    return check


def pytest_configure(config):
    """Under pytest-xdist each worker gets one BLAS/torch thread: two workers on two
    cores with several threads each oversubscribe the machine."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        try:
            import torch

            torch.set_num_threads(1)
        except ImportError:  # pragma: no cover
            pass
