"""Unit parsing and scale-free / physical units of neurowave.compare.scale."""

import numpy as np
import pytest

from neurowave.compare.scale import array_extent, convert, make_scale, parse_quantity, region_extent


@pytest.mark.parametrize(
    "text, kind, expected",
    [
        ("1ms", "time", 1e-3),
        ("0.5 s", "time", 0.5),
        ("250us", "time", 2.5e-4),
        ("2 µs", "time", 2e-6),
        ("1e-3s", "time", 1e-3),
        ("0.4mm", "length", 0.4),
        ("400um", "length", 0.4),
        ("400 µm", "length", 0.4),
        ("0.1 cm", "length", 1.0),
        ("1e-3 m", "length", 1.0),
        (0.4, "length", 0.4),
    ],
)
def test_parse_quantity(text, kind, expected):
    assert parse_quantity(text, kind=kind) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text, kind, match",
    [
        ("1", "time", "no unit"),
        ("1 parsec", "length", "unknown length unit"),
        ("fast", "time", "number with a unit"),
        ("-1ms", "time", "positive"),
        ("1mm", "time", "unknown time unit"),
    ],
)
def test_parse_quantity_errors_name_the_fix(text, kind, match):
    with pytest.raises(ValueError, match=match):
        parse_quantity(text, kind=kind)


def test_array_extent_of_utah_and_model_grids():
    yy, xx = np.mgrid[0:10, 0:10] * 0.4
    pos = np.column_stack([xx.ravel(), yy.ravel()])
    corners = (pos[:, 0] % 3.6 == 0) & (pos[:, 1] % 3.6 == 0)
    assert array_extent(pos[~corners]) == pytest.approx(4.0)
    yy, xx = np.mgrid[0:16, 0:32] * 1.0
    assert array_extent(np.column_stack([xx.ravel(), yy.ravel()])) == pytest.approx(
        np.sqrt(16 * 32)
    )


def test_region_extent_is_that_of_the_valid_sites():
    # a model grid cut to one tetromino-sized piece (NaN outside): the extent of the
    # region analysed is the piece's, not the whole grid's
    from neurowave.grid import make_grid

    data = np.full((4, 32, 32), np.nan)
    data[:, 10:13, 5:17] = 1.0  # 3 x 12 cells
    g = make_grid(data, sampling_rate=1.0)
    assert region_extent(g) == pytest.approx(np.sqrt(3 * 12))
    assert region_extent(make_grid(np.zeros((4, 32, 32)), sampling_rate=1.0)) == pytest.approx(32)
    # per-value extents: the same wavelength is half of a 12-cell piece, a quarter of 24
    sc = _scale()
    v = convert([6.0, 6.0], metric="wavelength", side="model", scale=sc, extent=[12.0, 24.0])
    assert v.tolist() == pytest.approx([0.5, 0.25])
    with pytest.raises(ValueError, match="two valid sites"):
        region_extent(make_grid(np.full((4, 3, 3), np.nan), sampling_rate=1.0))


def _scale(**kw):
    base = dict(
        model_dt=None,
        model_dx=None,
        model_extent=32.0,
        recording_extent=4.0,
        model_period=20.0,
        recording_period=0.1,
    )
    base.update(kw)
    return make_scale(**base)


def test_scale_free_speed_is_region_widths_per_cycle():
    sc = _scale()
    assert sc.mode == "scale-free"
    # model: 0.8 cells/step * 20 steps/cycle / 32 cells = 0.5 widths per cycle
    assert convert([0.8], metric="speed", side="model", scale=sc)[0] == pytest.approx(0.5)
    # recording: 0.02 m/s = 20 mm/s (native) * 0.1 s / 4 mm = 0.5 widths per cycle
    assert convert([20.0], metric="speed", side="recording", scale=sc)[0] == pytest.approx(0.5)
    # a threefold faster recording stays threefold (never normalised by its own median)
    v = convert([20.0, 60.0], metric="speed", side="recording", scale=sc)
    assert v[1] / v[0] == pytest.approx(3.0)
    assert convert([16.0], metric="wavelength", side="model", scale=sc)[0] == pytest.approx(0.5)
    f = convert([0.04, 0.05, 0.06], metric="frequency", side="model", scale=sc)
    assert f.tolist() == pytest.approx([0.8, 1.0, 1.2])


def test_physical_units_from_model_dt_and_dx():
    sc = _scale(model_dt="1ms", model_dx="0.4mm")
    assert sc.mode == "physical" and sc.speed_units == "m/s"
    # 0.5 cells/step * 0.4 mm / 1 ms = 0.2 mm/ms = 0.2 m/s
    assert convert([0.5], metric="speed", side="model", scale=sc)[0] == pytest.approx(0.2)
    assert convert([200.0], metric="speed", side="recording", scale=sc)[0] == pytest.approx(0.2)
    assert convert([10.0], metric="wavelength", side="model", scale=sc)[0] == pytest.approx(4.0)
    assert convert([0.01], metric="frequency", side="model", scale=sc)[0] == pytest.approx(10.0)
    partial = _scale(model_dt="2ms")
    assert partial.mode == "partial" and partial.frequency_units == "Hz"
    assert partial.speed_units == "region widths/cycle"
