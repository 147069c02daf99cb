"""Fetchers: registry, cache folder, offline behaviour. Nothing is downloaded here."""

import hashlib
import re
from pathlib import Path

import pytest

from neurowave import datasets
from neurowave.datasets import _fetch


@pytest.fixture
def no_download(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a test tried to download")

    monkeypatch.setattr(_fetch, "_download", refuse)


def test_registry_covers_every_example_file():
    reg = datasets.registry()
    assert len(reg) == 1016
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in reg.values())
    assert reg["seizure-utah/example_seizure_waves.mat"].startswith("312bbd513a57")
    assert sum(n.startswith("widefield-mouse/provevideo3_") for n in reg) == 1000
    for n in reg:
        url = datasets.upstream_url(n)
        assert url.startswith("https://"), url
        if not n.startswith("ecog-strip-bids/"):
            assert re.search(r"/[0-9a-f]{40}/", url), "GitHub URLs are pinned to a commit"
    assert "py_neuromodulation-0.1.3-py3-none-any.whl" in datasets.upstream_url(
        "ecog-strip-bids/README"
    )


def test_offline_missing_file_says_where_to_put_it(tmp_path, monkeypatch, no_download):
    monkeypatch.setenv("NEUROWAVE_DATA", str(tmp_path))
    monkeypatch.setenv("NEUROWAVE_OFFLINE", "1")
    with pytest.raises(FileNotFoundError) as e:
        datasets.fetch_ecog_mne()
    msg = str(e.value)
    assert str(tmp_path / "ecog-mne") in msg and "mne-misc-data" in msg
    assert msg.count(". ") == 0  # one sentence


def test_present_file_with_right_hash_is_used_as_is(tmp_path, monkeypatch, no_download):
    payload = b"neurowave test payload\n"
    name = "seizure-utah/example_seizure_waves.mat"
    monkeypatch.setattr(_fetch, "registry", lambda: {name: hashlib.sha256(payload).hexdigest()})
    monkeypatch.setenv("NEUROWAVE_DATA", str(tmp_path))
    monkeypatch.setenv("NEUROWAVE_OFFLINE", "0")
    f = tmp_path / name
    f.parent.mkdir(parents=True)
    f.write_bytes(payload)
    assert datasets.fetch_seizure_utah() == f  # not downloaded (no_download would raise)
    f.write_bytes(b"damaged")
    monkeypatch.setenv("NEUROWAVE_OFFLINE", "1")
    with pytest.raises(ValueError, match="sha256"):
        datasets.fetch_seizure_utah()


def test_default_cache_is_pooch_os_cache(monkeypatch):
    import pooch

    monkeypatch.delenv("NEUROWAVE_DATA", raising=False)
    assert datasets.data_dir() == pooch.os_cache("neurowave")


def test_relative_cache_is_resolved_once_against_the_start_directory(tmp_path, monkeypatch):
    """``NEUROWAVE_DATA=../shared/data`` means the same folder after a change of directory
    (sphinx-gallery runs every tutorial from its own folder)."""
    monkeypatch.setenv("NEUROWAVE_DATA", "../shared/data")
    expected = _fetch._START_DIR / "../shared/data"
    monkeypatch.chdir(tmp_path)
    assert datasets.data_dir() == expected
    assert datasets.data_dir().is_absolute()
    monkeypatch.setenv("NEUROWAVE_DATA", "~/nw-data")
    assert datasets.data_dir() == Path.home() / "nw-data"


@pytest.mark.realdata
def test_fetchers_find_the_shared_data(data_dir, no_download):
    assert datasets.fetch_seizure_utah() == data_dir / "seizure-utah" / "example_seizure_waves.mat"
    assert datasets.fetch_widefield_mouse() == data_dir / "widefield-mouse"
    assert datasets.fetch_ecog_mne().name == "sample_ecog_ieeg.fif"
    assert datasets.fetch_ecog_persyst().suffix == ".lay"
    assert datasets.fetch_ecog_strip_bids().name.endswith("_ieeg.vhdr")
    g = datasets.load_seizure_utah()
    assert g.shape == (5000, 10, 10)
    s = datasets.load_ecog_strip_bids()
    assert s.sizes["channel"] == 6
