"""Hidden-state export: a model's activity as wave grids.

:func:`export_hidden` runs a recurrent model on images of a task and returns an
:class:`xarray.Dataset` with

* ``hidden`` ``(sample, time, unit, y, x)``: the oscillator positions ``y`` of a
  CoRNN (or ``h`` of a ConvLSTM) after each step; ``time`` in steps (1..T),
  ``y``/``x`` in cells;
* ``image`` ``(sample, image_channel, y, x)``, ``label`` and ``prediction``
  ``(sample, y, x)``;
* ``hidden_cut_coupling`` and ``hidden_untrained`` (same dims; with
  ``controls=True``): the same images through the same model with its coupling cut
  (:func:`~neurowave.models.cut_coupling`, CoRNN only) and through the untrained model
  of the same architecture (:func:`~neurowave.models.untrained_like`), the controls
  that ``neurowave compare`` measures beside the model;
* attrs ``kind="model"``, ``model``, ``config``, ``task`` (name), ``task_spec``,
  ``dt``, ``n_steps_trained`` (the horizon ``T`` the model was trained for),
  ``n_steps_recorded``, ``controls``, ``sampling_rate=1.0`` (one sample per step),
  ``time_units="step"``, ``space_units="cell"``, ``neurowave_version``, ``seed``,
  ``source``; ``states_bounded`` and ``bound_ratio`` (per recorded variable: whether,
  and by how much per unit, ``max |y|`` over the recorded window stays within ``2x``
  its maximum over the first ``T/2`` steps, :func:`~neurowave.models.bounded_ratio`)
  and, for a CoRNN, ``oscillator_diagnostics``
  (:func:`~neurowave.models.summarize_diagnostics` of
  :func:`~neurowave.models.compute_oscillator_diagnostics` on the exported images:
  live natural frequencies per unit, growth of the states, warnings).

``label`` doubles as the object map: each connected object (piece, digit) of a
sample is a region that model analysis takes on its own
(:func:`neurowave.compare.analyze_model`).

By default :func:`export_hidden` records the trained horizon ``T``
(:func:`default_steps`): past ``T`` the dynamics were never trained, and the shipped
CoRNNs' states grow there (up to 20x by ``2 T``). A longer window (``n_steps``) is
recorded as asked, and ``states_bounded`` says whether the states stay bounded in it.

:func:`hidden_grid` selects one sample and unit as an ordinary wave grid.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, NeurowaveTypeError, validate_type
from .._version import __version__
from ..grid import make_grid
from .config import config_to_dict
from .registry import count_parameters, model_name
from .train import check_compatible, predict

__all__ = ["export_hidden", "write_export", "hidden_grid", "default_steps", "trained_steps"]


def trained_steps(config):
    """The horizon ``T`` (steps) a model of this config (object or dict) was trained for."""
    n = config.get("n_steps") if isinstance(config, dict) else getattr(config, "n_steps", None)
    return None if n is None else int(n)


def default_steps(config):
    """Steps of hidden states an export records by default: the trained horizon ``T``.

    Within ``T`` the model's dynamics are what training shaped; past it they simply run
    on, and a model whose oscillators are off can drift and grow there (the shipped
    paper-geometry CoRNN: ``max |y|`` 37 within ``T``, 172 by ``2 T``). A longer window
    is for models whose states are shown bounded in it (:func:`bounded_ratio`, the
    export's ``states_bounded``).

    Examples
    --------
    >>> from neurowave.models import CoRNNConfig
    >>> default_steps(CoRNNConfig(n_steps=30))
    30
    """
    return trained_steps(config)


def export_hidden(
    model,
    task,
    *,
    n=16,
    seed=0,
    n_steps=None,
    device="cpu",
    source="",
    batch_size=16,
    controls=True,
    control_seed=None,
):
    """Run ``model`` on ``n`` fresh images of ``task`` and collect its hidden states.

    Parameters
    ----------
    model : CoRNN | ConvLSTM
        A recurrent model (the CNN and U-Net have no time axis).
    task : Task
    n : int
        Number of images (samples).
    seed : int
        Seed of the images: the same seed gives the same export.
    n_steps : int | None
        Record the hidden states for this many steps instead of the model's own ``T``
        (the default; the dynamics simply run on past ``T``, and the attrs
        ``states_bounded`` say whether they stay bounded; predictions always use the
        model's ``T``).
    device : {"cpu", "cuda"}
    source : str
        Where the weights came from (run directory, ``pretrained:NAME``), stored in attrs.
    controls : bool
        Also record the controls ``hidden_cut_coupling`` (CoRNN) and
        ``hidden_untrained`` on the same images.
    control_seed : int | None
        Seed of the untrained control's weights (default ``seed``).

    Returns
    -------
    ds : xarray.Dataset

    Examples
    --------
    >>> from neurowave.models import get_model, get_task, hidden_grid
    >>> task = get_task("tetrominoes-tiny")
    >>> m = get_model("cornn", n_steps=8, mlp_hidden=(4,))
    >>> ds = export_hidden(m, task, n=2)
    >>> ds["hidden"].dims, ds.sizes["time"], ds.attrs["n_steps_trained"]
    (('sample', 'time', 'unit', 'y', 'x'), 8, 8)
    >>> sorted(v for v in ds.data_vars if v.startswith("hidden_"))
    ['hidden_cut_coupling', 'hidden_untrained']
    >>> hidden_grid(ds, sample=1).dims
    ('time', 'y', 'x')
    """
    validate_type(n, "int", "n")
    if n < 1:
        raise NeurowaveError(f"`n` must be at least 1 image, got {n}.")
    if not getattr(model, "recurrent", False):
        raise NeurowaveError(
            f"A {type(model).__name__} has no hidden-state time series to export; "
            "export a recurrent model (cornn or convlstm)."
        )
    check_compatible(model, task)
    images, labels = task.generate(int(n), seed=int(seed))
    pred, hidden = predict(model, images, batch_size=batch_size, device=device, return_hidden=True)
    if n_steps is None:
        n_steps = default_steps(model.config)
    if n_steps is not None:
        validate_type(n_steps, "int", "n_steps")
        if n_steps < 2:
            raise NeurowaveError(f"`n_steps` must be at least 2, got {n_steps}.")
        if n_steps != hidden.shape[1]:
            hidden = _long_hidden(model, images, int(n_steps), batch_size, device)
    control_vars = {}
    if controls:
        from .controls import CONTROLS, cut_coupling, untrained_like

        makers = {
            "untrained": lambda: untrained_like(
                model, seed=seed if control_seed is None else control_seed
            )
        }
        if hasattr(model, "W_y"):
            makers = {"cut_coupling": lambda: cut_coupling(model), **makers}
        for cname, make in makers.items():
            h = _long_hidden(make(), images, hidden.shape[1], batch_size, device)
            control_vars[f"hidden_{cname}"] = (
                ("sample", "time", "unit", "y", "x"),
                h.astype(np.float32),
                {"long_name": f"control: {CONTROLS[cname]}"},
            )
    ns, nt, nu, ny, nx = hidden.shape
    name = model_name(model)
    checks = _window_checks(model, images, labels, hidden, control_vars, batch_size, device)
    dt = float(getattr(model.config, "dt", 1.0))
    coords = {
        "sample": np.arange(ns),
        "time": xr.Variable(
            "time",
            np.arange(1, nt + 1, dtype=float),
            attrs={"units": "step", "long_name": "integration step"},
        ),
        "unit": np.arange(nu),
        "y": xr.Variable("y", np.arange(ny, dtype=float), attrs={"units": "cell"}),
        "x": xr.Variable("x", np.arange(nx, dtype=float), attrs={"units": "cell"}),
    }
    ds = xr.Dataset(
        {
            "hidden": (
                ("sample", "time", "unit", "y", "x"),
                hidden.astype(np.float32),
                {"long_name": "oscillator position y" if name == "cornn" else "hidden state h"},
            ),
            "image": (("sample", "image_channel", "y", "x"), images.astype(np.float32)),
            "label": (
                ("sample", "y", "x"),
                labels.astype(np.int16),
                {"class_names": list(task.class_names)},
            ),
            "prediction": (
                ("sample", "y", "x"),
                pred.astype(np.int16),
                {"class_names": list(task.class_names)},
            ),
            **control_vars,
        },
        coords=coords,
        attrs={
            "kind": "model",
            "model": name,
            "model_class": type(model).__name__,
            "config": config_to_dict(model.config),
            "n_parameters": count_parameters(model),
            "task": task.name,
            "task_spec": task.spec(),
            "dt": dt,
            "n_steps_trained": trained_steps(model.config) or int(nt),
            "controls": [k[len("hidden_") :] for k in control_vars],
            "sampling_rate": 1.0,
            "time_units": "step",
            "space_units": "cell",
            "seed": int(seed),
            "n_steps_recorded": int(nt),
            "source": str(source),
            "neurowave_version": __version__,
            **checks,
        },
    )
    return ds


def _window_checks(model, images, labels, hidden, control_vars, batch_size, device):
    """Attrs ``states_bounded``/``bound_ratio`` of the recorded window (model and
    controls) and, for a CoRNN, its summarized oscillator diagnostics."""
    from .diagnostics import (
        BOUND_FACTOR,
        bounded_ratio,
        compute_oscillator_diagnostics,
        has_oscillators,
        summarize_diagnostics,
    )

    t = trained_steps(model.config)
    out = {}
    if t is not None and hidden.shape[1] >= max(1, t // 2):
        ratios = {"hidden": bounded_ratio(hidden, t)}
        ratios.update({k: bounded_ratio(v[1], t) for k, v in control_vars.items()})
        out["bound_ratio"] = {k: [float(x) for x in r] for k, r in ratios.items()}
        out["states_bounded"] = {k: bool((r <= BOUND_FACTOR).all()) for k, r in ratios.items()}
    if has_oscillators(model):
        d = compute_oscillator_diagnostics(
            model, images, labels, batch_size=batch_size, device=device
        )
        out["oscillator_diagnostics"] = summarize_diagnostics(d)
    return out


def _long_hidden(model, images, n_steps, batch_size, device):
    import torch

    from .train import resolve_device

    dev = resolve_device(device)
    out = []
    with torch.no_grad():
        for i in range(0, len(images), batch_size):
            x = torch.as_tensor(images[i : i + batch_size], device=dev)
            out.append(model.dynamics(x, n_steps=n_steps).cpu().numpy())
    return np.concatenate(out)


def write_export(ds, path):
    """Write an export to netCDF atomically (via :func:`neurowave.io.write_netcdf`)."""
    from ..io.netcdf import write_netcdf

    write_netcdf(ds, path)


def hidden_grid(ds, *, sample=0, unit=0, variable="hidden"):
    """One sample and hidden unit of a model export as a wave grid ``("time", "y", "x")``.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`export_hidden`, :func:`neurowave.io.read_netcdf` or plain
        :func:`xarray.open_dataset` of an export file.
    sample, unit : int
    variable : str
        ``"hidden"`` (the model) or a control, ``"hidden_cut_coupling"`` or
        ``"hidden_untrained"``.

    Returns
    -------
    grid : xarray.DataArray
        ``time_units="step"``, ``space_units="cell"``, ``kind="model"``,
        ``sampling_rate=1.0``; lazy when ``ds`` is.

    Examples
    --------
    >>> from neurowave.models import get_model, get_task, export_hidden
    >>> ds = export_hidden(get_model("cornn", n_steps=6, mlp_hidden=(4,)),
    ...                    get_task("tetrominoes-tiny"), n=1)
    >>> g = hidden_grid(ds, unit=1)
    >>> g.attrs["time_units"], g.attrs["space_units"], g.sizes["time"]
    ('step', 'cell', 6)
    >>> hidden_grid(ds, unit=1, variable="hidden_cut_coupling").attrs["source"]
    'cornn (cut coupling) sample 0 unit 1'
    """
    if not isinstance(ds, xr.Dataset) or "hidden" not in ds:
        raise NeurowaveTypeError(
            "`ds` must be a model export (an xarray.Dataset with a `hidden` variable); "
            "make one with neurowave.models.export_hidden or `neurowave export`."
        )
    if variable not in ds:
        have = sorted(v for v in map(str, ds.data_vars) if v.startswith("hidden"))
        raise NeurowaveError(
            f"The export has no `{variable}` variable (it holds {have}); re-export the "
            "model with `neurowave export` to record the controls."
        )
    h = ds[variable]
    want = ("sample", "time", "unit", "y", "x")
    if set(h.dims) != set(want) or not {"x", "y", "time"} <= set(ds.coords):
        src = ds.attrs.get("source") or "the dataset"
        raise NeurowaveError(
            f"{src} is not a model export: `{variable}` has dims {tuple(h.dims)} and coords "
            f"{tuple(sorted(map(str, ds.coords)))}, expected dims {want} with time, y and "
            "x coords. Write one with `neurowave export RUN_DIR --out model.nc`, or save a "
            "single grid (time, y, x) with neurowave.io.write_netcdf."
        )
    for dim, idx in (("sample", sample), ("unit", unit)):
        validate_type(idx, "int", dim)
        if not -h.sizes[dim] <= idx < h.sizes[dim]:
            raise NeurowaveError(
                f"`{dim}` must be an index below {h.sizes[dim]} (the export holds "
                f"{h.sizes[dim]} {dim}s), got {idx}."
            )
    h = h.isel(sample=sample, unit=unit).transpose("time", "y", "x")
    what = "" if variable == "hidden" else f" ({variable[len('hidden_') :].replace('_', ' ')})"
    attrs = ds.attrs
    src = attrs.get("source") or attrs.get("model", "model")
    return make_grid(
        h.data,
        sampling_rate=float(attrs.get("sampling_rate", 1.0)),
        x=np.asarray(ds["x"].values, float),
        y=np.asarray(ds["y"].values, float),
        t0=float(ds["time"].values[0]),
        time_units="step",
        space_units="cell",
        kind="model",
        source=f"{src}{what} sample {sample} unit {unit}",
        name="hidden",
        attrs={
            "model": attrs.get("model", ""),
            "task": attrs.get("task", ""),
            "dt": float(attrs.get("dt", 1.0)),
            "sample": int(sample),
            "unit": int(unit),
        },
    )
