"""The dataset cards (datasets/*.toml): one per example recording, the single source of
provenance, licence, citation and checksums for the fetchers and the docs."""

import re
from pathlib import Path

import pytest

from neurowave import datasets

ROOT = Path(__file__).resolve().parents[2]
FIELDS = (
    "name",
    "title",
    "recording",
    "sites",
    "sampling_rate",
    "duration",
    "licence",
    "fetcher",
    "what",
    "stored",
    "watch_out",
    "how_made",
    "licence_text",
    "cite",
    "upstream",
    "files",
)


def test_one_card_per_example_recording_with_every_field():
    cards = datasets.cards()
    assert list(cards) == [
        "seizure-utah",
        "widefield-mouse",
        "ecog-mne",
        "ecog-strip-bids",
        "ecog-persyst",
    ]
    for name, card in cards.items():
        for key in FIELDS:
            assert card.get(key), f"card {name} lacks {key}"
        assert callable(getattr(datasets, card["fetcher"]))
        assert all(n.startswith(name + "/") for n in card["files"])
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in card["files"].values())
        assert "http" in card["cite"] or "doi" in card["cite"].lower()
        up = card["upstream"]
        if up["kind"] == "github":  # pinned to a commit
            assert re.search(r"/[0-9a-f]{40}/", up["base"]), name
        else:
            assert re.fullmatch(r"[0-9a-f]{64}", up["wheel_sha256"])


def test_the_cards_are_the_top_level_datasets_folder_installed_with_the_package():
    """``neurowave/datasets/cards`` is the top-level ``datasets/`` folder (a link), and
    the package data names it, so an installed neurowave has its checksums."""
    import tomllib

    assert datasets._fetch.CARDS_DIR.resolve() == (ROOT / "datasets").resolve()
    tops = sorted(p.stem for p in (ROOT / "datasets").glob("*.toml"))
    assert tops == sorted(datasets.cards())
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "datasets/cards/*.toml" in pyproject["tool"]["setuptools"]["package-data"]["neurowave"]


def test_registry_and_urls_come_from_the_cards():
    reg = datasets.registry()
    assert len(reg) == sum(len(c["files"]) for c in datasets.cards().values()) == 1016
    assert datasets.upstream_url("ecog-strip-bids/README").startswith(
        datasets.cards()["ecog-strip-bids"]["upstream"]["base"] + "#"
    )


@pytest.mark.realdata
def test_card_checksums_match_the_shared_data_manifest(data_dir):
    """The cards agree with the SHA256SUMS shipped beside the example recordings."""
    sums = data_dir / "SHA256SUMS"
    if not sums.is_file():
        pytest.skip(f"{sums} not present")
    manifest = dict(reversed(line.split()) for line in sums.read_text().splitlines() if line)
    assert manifest == datasets.registry()


def test_docs_page_is_built_from_the_cards():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "neurowave_docs", ROOT / "docs" / "_ext" / "neurowave_docs.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    body = mod.datasets_body()
    for card in datasets.cards().values():
        assert card["title"] in body
        assert " ".join(card["cite"].split()) in body
        first = next(iter(card["files"].values()))
        assert first in body
    assert ".. include:: _datasets_body.rst" in (ROOT / "docs" / "datasets.rst").read_text()
