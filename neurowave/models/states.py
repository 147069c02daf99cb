"""Bring your own model: hidden states of any network as a neurowave model export.

:func:`export_states` turns hidden states held as NumPy, torch or xarray arrays
``(sample, time, unit, y, x)`` into the :class:`xarray.Dataset` that ``neurowave
export`` writes (see :mod:`neurowave.models.export`): the same variables, coords in
steps and cells, and attrs, ready for :func:`~neurowave.models.write_export`,
``neurowave analyze`` and ``neurowave compare``. :func:`record_states` collects those
states from any :class:`torch.nn.Module`: a named submodule's output at every call (a
forward hook), or a sequence the module returns.

Where the model's step and cell have a physical size (``dt`` in seconds, ``dx`` in
millimetres), the export records them as ``attrs["model_dt"]`` and
``attrs["model_dx"]``; ``neurowave analyze`` then reports speeds in m/s, frequencies
in Hz and wavelengths in mm beside the model's own cells/step
(:func:`physical_summary`), and they are the ``--model-dt``/``--model-dx`` of a
comparison.

Examples
--------
>>> import numpy as np
>>> t, x = np.arange(40)[:, None], np.arange(12)[None, :]
>>> wave = np.cos(2 * np.pi * (0.1 * t - x / 8))            # 0.8 cells/step along x
>>> states = np.broadcast_to(wave[None, :, None, None, :], (2, 40, 1, 6, 12))
>>> ds = export_states(states, dt=1e-3, dx=0.4, source="my wave RNN")
>>> ds["hidden"].dims, ds.attrs["model_dt"], ds.attrs["model_sites"]
(('sample', 'time', 'unit', 'y', 'x'), 0.001, 'all')
"""

from __future__ import annotations

import math
import re

import numpy as np
import xarray as xr

from .._validate import NeurowaveError, NeurowaveTypeError, validate_type
from .._version import __version__

__all__ = ["export_states", "record_states", "physical_summary", "physical_rows", "STATE_DIMS"]

#: Dims of the hidden states of a model export, in order.
STATE_DIMS = ("sample", "time", "unit", "y", "x")
_EXAMPLE = "e.g. states[:, :, None] for a single unit, or states.transpose(...) to reorder"


# ---------------------------------------------------------------------------
# arrays in
# ---------------------------------------------------------------------------


def _as_numpy(a, name):
    """NumPy copy of a NumPy/torch/xarray/array-like input (torch: detached, on CPU)."""
    if isinstance(a, xr.DataArray):
        return np.asarray(a.values)
    if hasattr(a, "detach") and hasattr(a, "cpu"):  # a torch tensor, without importing torch
        return a.detach().cpu().numpy()
    try:
        out = np.asarray(a)
    except (TypeError, ValueError) as err:
        raise NeurowaveTypeError(
            f"`{name}` must be an array (NumPy, torch or xarray), got {type(a).__name__} "
            f"({err}); pass the hidden states as one array {STATE_DIMS}."
        ) from None
    if out.dtype == object:
        raise NeurowaveTypeError(
            f"`{name}` must be a numeric array, got {type(a).__name__} of objects (ragged "
            "lists?); stack the steps into one array of dims (sample, time, unit, y, x)."
        )
    return out


def _states_array(a, name):
    """The states as float32 ``(sample, time, unit, y, x)`` from NumPy/torch/xarray."""
    if isinstance(a, xr.DataArray):
        if set(a.dims) != set(STATE_DIMS) or a.ndim != 5:
            raise NeurowaveError(
                f"`{name}` has dims {tuple(map(str, a.dims))}; a DataArray must have the "
                f"dims {STATE_DIMS}. Rename its dims (DataArray.rename) or add a unit axis "
                "(DataArray.expand_dims('unit', axis=2))."
            )
        a = a.transpose(*STATE_DIMS)
    arr = _as_numpy(a, name)
    if arr.ndim != 5:
        raise NeurowaveError(
            f"`{name}` has {arr.ndim} dimensions (shape {arr.shape}); hidden states need 5, "
            f"{STATE_DIMS} ({_EXAMPLE})."
        )
    if arr.dtype.kind not in "biuf":
        raise NeurowaveTypeError(
            f"`{name}` must hold real numbers, got dtype {arr.dtype}; pass the real part "
            "(or the amplitude) of complex states."
        )
    arr = arr.astype(np.float32)
    if min(arr.shape) < 1:
        raise NeurowaveError(
            f"`{name}` is empty (shape {arr.shape}); pass at least one "
            "sample, two steps, one unit and a grid of cells."
        )
    if arr.shape[1] < 2:
        raise NeurowaveError(
            f"`{name}` holds {arr.shape[1]} time step (shape {arr.shape}); waves need many "
            f"steps along axis 1, {STATE_DIMS} ({_EXAMPLE})."
        )
    if np.isinf(arr).any():
        raise NeurowaveError(
            f"`{name}` holds infinite values (the model diverged?); clip or drop those "
            "samples, or mark a missing cell as NaN at every step."
        )
    finite = np.isfinite(arr)
    if not finite.any():
        raise NeurowaveError(
            f"`{name}` holds only NaN; pass the hidden states themselves "
            "(NaN marks a missing cell, not a whole export)."
        )
    if not (finite.all(axis=1) | ~finite.any(axis=1)).all():
        raise NeurowaveError(
            f"`{name}` has cells that are NaN at some steps only; NaN marks a missing cell "
            "(NaN at every step): fill the gaps or set those cells NaN throughout."
        )
    return arr


def _positive(v, name, unit):
    if v is None:
        return None
    validate_type(v, "numeric", name)
    v = float(v)
    if not (math.isfinite(v) and v > 0):
        raise NeurowaveError(
            f"`{name}` must be a positive finite number of {unit}, got {v!r}; "
            f"pass the size of one model {'step' if name == 'dt' else 'cell'} "
            f"in {unit}, or leave it out."
        )
    return v


def _label_array(label, shape, name="label"):
    ns, ny, nx = shape
    lab = _as_numpy(label, name)
    if lab.ndim == 2:
        lab = np.broadcast_to(lab, (ns, ny, nx))
    if lab.shape != (ns, ny, nx):
        raise NeurowaveError(
            f"`{name}` has shape {lab.shape}; it must be (sample, y, x) = {(ns, ny, nx)} "
            "like the states (or (y, x) for one map shared by every sample)."
        )
    if lab.dtype.kind == "b":
        lab = lab.astype(np.int16)
    if lab.dtype.kind == "f":
        if not np.isfinite(lab).all() or not np.array_equal(lab, np.round(lab)):
            raise NeurowaveError(
                f"`{name}` must hold whole numbers (object class per cell, "
                "0 = background); round it or pass an integer array."
            )
    elif lab.dtype.kind not in "iu":
        raise NeurowaveTypeError(
            f"`{name}` must be an integer array (class per cell, 0 = "
            f"background), got dtype {lab.dtype}."
        )
    if (lab < 0).any() or lab.max() > np.iinfo(np.int16).max:
        raise NeurowaveError(
            f"`{name}` must hold classes 0 (background) to 32767, got "
            f"{int(lab.min())} to {int(lab.max())}; relabel the objects."
        )
    return lab.astype(np.int16)


def _image_array(image, shape):
    ns, ny, nx = shape
    img = _as_numpy(image, "image")
    if img.ndim == 3:
        img = img[:, None]
    if img.ndim != 4 or img.shape[0] != ns or img.shape[2:] != (ny, nx):
        raise NeurowaveError(
            f"`image` has shape {img.shape}; it must be (sample, image_channel, y, x) with "
            f"{ns} samples on the states' {ny} x {nx} grid (or (sample, y, x) for one "
            "channel); resize it to the hidden grid or leave it out."
        )
    if img.dtype.kind not in "biuf":
        raise NeurowaveTypeError(f"`image` must hold numbers, got dtype {img.dtype}.")
    return img.astype(np.float32)


def _control_arrays(controls, shape):
    if controls is None:
        return {}
    if not hasattr(controls, "items"):
        raise NeurowaveTypeError(
            f"`controls` must be a mapping of name -> states, got {type(controls).__name__}; "
            "pass e.g. {'cut_coupling': states_cut, 'untrained': states_untrained}."
        )
    out = {}
    for cname, arr in controls.items():
        if not isinstance(cname, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", cname):
            raise NeurowaveError(
                f"control name {cname!r} must be lower-case letters, digits and '_' "
                "(e.g. 'cut_coupling', 'untrained'); it becomes the variable hidden_<name>."
            )
        a = _states_array(arr, f"controls[{cname!r}]")
        if a.shape != shape:
            raise NeurowaveError(
                f"`controls[{cname!r}]` has shape {a.shape}, the states {shape}; record the "
                "control on the same inputs, steps, units and grid as the model."
            )
        out[cname] = a
    return out


def export_states(
    states,
    *,
    label=None,
    image=None,
    controls=None,
    dt=None,
    dx=None,
    horizon=None,
    source="",
    model="user",
):
    """Hidden states of any model as the export ``neurowave export`` writes.

    Parameters
    ----------
    states : numpy.ndarray | torch.Tensor | xarray.DataArray
        Hidden states ``(sample, time, unit, y, x)``: per input (sample) and step, one
        spatial map (y, x) per hidden unit (channel). A DataArray is matched by dim
        names. A missing cell is NaN at every step.
    label : array (sample, y, x) or (y, x) of int | None
        Object map: the class of each cell, 0 = background (as ``neurowave export``
        writes for the task's images). With it, analysis measures each object on its
        own; without it, the export's default view is the whole grid
        (``attrs["model_sites"] = "all"``).
    image : array (sample, image_channel, y, x) or (sample, y, x) | None
        The inputs, for figures.
    controls : mapping of str to array | None
        Controls recorded on the same inputs, same shape as ``states`` (e.g.
        ``{"cut_coupling": ..., "untrained": ...}``), written as ``hidden_<name>``;
        ``neurowave compare`` measures ``cut_coupling`` and ``untrained`` beside the model.
    dt : float | None
        Duration of one model step in seconds, when the model has one
        (``attrs["model_dt"]``).
    dx : float | None
        Size of one model cell in millimetres (``attrs["model_dx"]``). With both,
        ``neurowave analyze`` reports speeds in m/s.
    horizon : int | None
        Steps the model was trained for (``attrs["n_steps_trained"]``). The analysis
        measures the first ``horizon`` steps by default, or every recorded step where
        the states stay bounded in them (``attrs["states_bounded"]``: ``max |y|`` within
        twice its maximum over the first ``horizon / 2`` steps). None: all recorded steps.
    source : str
        Free text: where the states came from (a paper, a repository, a checkpoint).
    model : str
        Short name of the model (``attrs["model"]``).

    Returns
    -------
    xarray.Dataset
        ``hidden`` (float32), ``label``, ``image`` and ``hidden_<control>`` where
        given; coords ``time`` 1..T (steps), ``y``/``x`` (cells); attrs as
        :func:`~neurowave.models.export_hidden` writes them, with ``model_dt``,
        ``model_dx`` where given and ``exporter = "neurowave.models.export_states"``.

    Raises
    ------
    NeurowaveError
        One sentence naming the fix: wrong dims, only NaN, infinite values, labels,
        images or controls of another shape, a non-positive or non-finite ``dt``/``dx``.

    See Also
    --------
    record_states : Collect the states from a torch module.
    neurowave.models.write_export : Write the export to netCDF.
    """
    h = _states_array(states, "states")
    dt = _positive(dt, "dt", "seconds")
    dx = _positive(dx, "dx", "millimetres")
    if horizon is not None:
        validate_type(horizon, "int", "horizon")
        if horizon < 1:
            raise NeurowaveError(
                f"`horizon` must be at least 1 step (the steps the model was "
                f"trained for), got {horizon}; or leave it out."
            )
    validate_type(source, str, "source")
    validate_type(model, str, "model")
    ns, nt, nu, ny, nx = h.shape
    ctl = _control_arrays(controls, h.shape)
    data_vars = {"hidden": (STATE_DIMS, h, {"long_name": "hidden state"})}
    if image is not None:
        data_vars["image"] = (
            ("sample", "image_channel", "y", "x"),
            _image_array(image, (ns, ny, nx)),
        )
    if label is not None:
        data_vars["label"] = (("sample", "y", "x"), _label_array(label, (ns, ny, nx)))
    from .controls import CONTROLS

    for cname, a in ctl.items():
        data_vars[f"hidden_{cname}"] = (
            STATE_DIMS,
            a,
            {"long_name": f"control: {CONTROLS.get(cname, cname.replace('_', ' '))}"},
        )
    coords = {
        "sample": np.arange(ns),
        "time": xr.Variable(
            "time",
            np.arange(1, nt + 1, dtype=float),
            attrs={"units": "step", "long_name": "model step"},
        ),
        "unit": np.arange(nu),
        "y": xr.Variable("y", np.arange(ny, dtype=float), attrs={"units": "cell"}),
        "x": xr.Variable("x", np.arange(nx, dtype=float), attrs={"units": "cell"}),
    }
    attrs = {
        "kind": "model",
        "model": model,
        "model_class": "",
        "config": {},
        "n_parameters": None,
        "task": "",
        "task_spec": {},
        # the integrator's own step is unknown for a foreign model: one model step
        "dt": 1.0,
        "n_steps_trained": None if horizon is None else int(horizon),
        "controls": list(ctl),
        "sampling_rate": 1.0,
        "time_units": "step",
        "space_units": "cell",
        "seed": None,
        "n_steps_recorded": int(nt),
        "source": str(source),
        "neurowave_version": __version__,
        "exporter": "neurowave.models.export_states",
    }
    if horizon is not None and nt >= max(1, horizon // 2):  # as neurowave export says it
        from .diagnostics import BOUND_FACTOR, bounded_ratio

        ratios = {"hidden": bounded_ratio(h, horizon)}
        ratios.update({f"hidden_{k}": bounded_ratio(a, horizon) for k, a in ctl.items()})
        attrs["bound_ratio"] = {k: [float(x) for x in r] for k, r in ratios.items()}
        attrs["states_bounded"] = {k: bool((r <= BOUND_FACTOR).all()) for k, r in ratios.items()}
    if label is None:  # no object map: the whole grid is the model's medium
        attrs["model_sites"] = "all"
    if dt is not None:
        attrs["model_dt"] = dt
    if dx is not None:
        attrs["model_dx"] = dx
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


# ---------------------------------------------------------------------------
# a torch module in
# ---------------------------------------------------------------------------


def _pick(out, output, what):
    """The selected element of a module's (or layer's) output."""
    if output is not None:
        try:
            return out[output]
        except (KeyError, IndexError, TypeError):
            raise NeurowaveError(
                f"`output={output!r}` does not select anything from the {what}'s output "
                f"({type(out).__name__}); pass an index or key it has."
            ) from None
    if isinstance(out, dict):
        raise NeurowaveError(
            f"The {what} returns a dict ({sorted(map(str, out))}); pass "
            "output=KEY to say which entry holds the hidden states."
        )
    return out


def _to_steps(out, what):
    """A recorded output as a tensor (batch, time, unit, y, x)."""
    import torch

    if isinstance(out, (list, tuple)):
        if (
            out
            and all(isinstance(o, torch.Tensor) for o in out)
            and len({tuple(o.shape) for o in out}) == 1
            and out[0].ndim in (3, 4)
        ):
            out = torch.stack(list(out), dim=1)  # per-step maps -> (B, T, ...)
        else:
            raise NeurowaveError(
                f"The {what} returns a {type(out).__name__} that is not a sequence of "
                "equal-shaped maps (batch, [unit,] y, x); pass output=INDEX to pick the "
                "hidden states, or layer=NAME to record a submodule per step."
            )
    if not isinstance(out, torch.Tensor):
        raise NeurowaveTypeError(
            f"The {what} returns {type(out).__name__}, not a tensor; "
            "pass output=INDEX/KEY or layer=NAME."
        )
    if out.ndim == 4:
        out = out[:, :, None]  # (B, T, y, x): one unit
    if out.ndim != 5:
        raise NeurowaveError(
            f"The {what} returns shape {tuple(out.shape)}; a sequence of hidden states must "
            "be (batch, time, [unit,] y, x). Pass layer=NAME to record a submodule whose "
            "output is one spatial map (batch, [unit,] y, x) per step."
        )
    return out


def record_states(
    module,
    inputs,
    *,
    layer=None,
    output=None,
    n_steps=None,
    batch_size=16,
    device=None,
    forward_kwargs=None,
):
    """Collect a spatial hidden state per step from any :class:`torch.nn.Module`.

    Two ways: with ``layer``, a forward hook on that submodule records its output at
    every call (a recurrent cell called once per step, output ``(batch, [unit,] y, x)``);
    without it, the module's return value is the sequence, ``(batch, time, [unit,] y,
    x)`` or a list/tuple of per-step maps. Runs under :func:`torch.no_grad` in eval
    mode (restored after), batch by batch.

    Parameters
    ----------
    module : torch.nn.Module
    inputs : array | torch.Tensor
        Inputs batched along the first axis (one sample each).
    layer : str | None
        Name of the submodule to record (as in ``module.named_modules()``).
    output : int | str | None
        Which element of a tuple/dict output holds the states (the layer's output with
        ``layer``, else the module's).
    n_steps : int | None
        Keep the first ``n_steps`` steps (an error if fewer were recorded).
    batch_size : int
        Samples per forward call.
    device : str | torch.device | None
        Where to run (``"cpu"``, ``"cuda"``); the module is moved there. None: where
        its parameters are (CPU for a module without any).
    forward_kwargs : dict | None
        Keywords of every forward call (e.g. ``{"n_steps": 100}``).

    Returns
    -------
    numpy.ndarray
        float32 ``(sample, time, unit, y, x)``, the input of :func:`export_states`.

    Examples
    --------
    >>> import torch
    >>> class Ring(torch.nn.Module):  # a travelling bump on a ring of 8 cells
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.cell = torch.nn.Identity()
    ...     def forward(self, x):
    ...         for _ in range(5):
    ...             x = self.cell(torch.roll(x, 1, dims=-1))
    ...         return x
    >>> h = record_states(Ring(), torch.eye(8)[:2, None, None, :], layer="cell")
    >>> h.shape
    (2, 5, 1, 1, 8)
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise NeurowaveTypeError(
            f"`module` must be a torch.nn.Module, got "
            f"{type(module).__name__}; wrap a function in a Module."
        )
    validate_type(batch_size, "int", "batch_size")
    if batch_size < 1:
        raise NeurowaveError(f"`batch_size` must be at least 1, got {batch_size}.")
    if n_steps is not None:
        validate_type(n_steps, "int", "n_steps")
        if n_steps < 2:
            raise NeurowaveError(f"`n_steps` must be at least 2, got {n_steps}.")
    target = None
    if layer is not None:
        names = dict(module.named_modules())
        if layer not in names:
            some = [n for n in names if n][:8]
            raise NeurowaveError(
                f"`layer={layer!r}` is not a submodule of "
                f"{type(module).__name__}; pass one of {some}."
            )
        target = names[layer]
    if device is None:
        p = next(iter(module.parameters()), None)
        dev = p.device if p is not None else torch.device("cpu")
    else:
        from .train import resolve_device

        dev = resolve_device(device)
        module.to(dev)
    x_all = (
        inputs if isinstance(inputs, torch.Tensor) else torch.as_tensor(_as_numpy(inputs, "inputs"))
    )
    if x_all.ndim < 1 or len(x_all) < 1:
        raise NeurowaveError("`inputs` is empty; pass at least one input along the first axis.")
    if x_all.is_floating_point():
        p = next(iter(module.parameters()), None)
        x_all = x_all.to(p.dtype if p is not None else torch.float32)
    kw = dict(forward_kwargs or {})
    steps, hook = [], None
    if target is not None:
        hook = target.register_forward_hook(
            lambda _m, _i, out: steps.append(_pick(out, output, f"layer {layer!r}").detach())
        )
    was_training = module.training
    module.eval()
    chunks = []
    try:
        with torch.no_grad():
            for i in range(0, len(x_all), batch_size):
                steps.clear()
                res = module(x_all[i : i + batch_size].to(dev), **kw)
                if target is not None:
                    if not steps:
                        raise NeurowaveError(
                            f"The layer {layer!r} was never called in a "
                            "forward pass; pass the submodule the recurrence "
                            "calls at each step."
                        )
                    h = (
                        _to_steps(steps[0], f"layer {layer!r}")
                        if len(steps) == 1 and steps[0].ndim == 5
                        else _to_steps(list(steps), f"layer {layer!r}")
                    )
                else:
                    h = _to_steps(_pick(res, output, "module"), "module")
                chunks.append(h.float().cpu().numpy())
    finally:
        if hook is not None:
            hook.remove()
        module.train(was_training)
    h = np.concatenate(chunks)
    if n_steps is not None:
        if h.shape[1] < n_steps:
            raise NeurowaveError(
                f"The module produced {h.shape[1]} steps, fewer than "
                f"n_steps={n_steps}; run it for more steps "
                "(forward_kwargs) or lower n_steps."
            )
        h = h[:, :n_steps]
    return h


# ---------------------------------------------------------------------------
# physical units of an export that knows its step and cell
# ---------------------------------------------------------------------------


def _export_scale(attrs):
    dt, dx = attrs.get("model_dt"), attrs.get("model_dx")
    try:
        dt = None if dt is None else float(dt)
        dx = None if dx is None else float(dx)
    except (TypeError, ValueError):
        return None, None

    def ok(v):
        return v is not None and math.isfinite(v) and v > 0

    return (dt if ok(dt) else None), (dx if ok(dx) else None)


def physical_summary(summary, attrs):
    """The model measures of an analysis summary in physical units, where the export
    records its step (``attrs["model_dt"]``, s) and cell (``attrs["model_dx"]``, mm).

    Speed cells/step -> m/s (``v dx / dt / 1000``), frequency and band cycles/step ->
    Hz (``f / dt``), wavelength cells -> mm (``lambda dx``); with only one of the two,
    the measures that need only it.

    Parameters
    ----------
    summary : dict
        The analyze JSON of a model export (:func:`neurowave.compare.analyze_model`).
    attrs : dict
        The export's attrs.

    Returns
    -------
    dict | None
        ``{"model_dt", "model_dx", "speed", "frequency", "wavelength", "band"}`` (None
        when the export records neither).

    Examples
    --------
    >>> s = {"summary": {"speed": {"median": 0.5, "q25": 0.4, "q75": 0.6},
    ...                  "frequency": {"median": 0.02}, "wavelength": {"median": 25.0}},
    ...      "params": {"band": [0.015, 0.025]}}
    >>> p = physical_summary(s, {"model_dt": 1e-3, "model_dx": 0.4})
    >>> round(p["speed"]["median"], 3), p["speed"]["units"], round(p["frequency"]["median"], 1)
    (0.2, 'm/s', 20.0)
    """
    dt, dx = _export_scale(attrs)
    if dt is None and dx is None:
        return None
    s = summary.get("summary", {})

    def conv(v, factor):
        return None if v is None or factor is None else float(v) * factor

    out = {"model_dt": dt, "model_dx": dx, "source": "the export's model_dt (s) and model_dx (mm)"}
    if dt is not None and dx is not None:
        sp = s.get("speed", {})
        f = dx / dt / 1e3
        out["speed"] = {k: conv(sp.get(k), f) for k in ("median", "q25", "q75")}
        out["speed"]["units"] = "m/s"
    if dt is not None:
        out["frequency"] = {
            "median": conv(s.get("frequency", {}).get("median"), 1 / dt),
            "units": "Hz",
        }
        band = summary.get("params", {}).get("band")
        out["band"] = None if band is None else [float(b) / dt for b in band]
    if dx is not None:
        out["wavelength"] = {
            "median": conv(s.get("wavelength", {}).get("median"), dx),
            "units": "mm",
        }
    return out


def physical_rows(phys):
    """Table rows ``(measure, value)`` of :func:`physical_summary` (none for None)."""
    if not phys:
        return []

    def f(v):
        return "n/a" if v is None or not np.isfinite(v) else f"{v:.3g}"

    scale = ", ".join(
        p
        for p in (
            f"step = {phys['model_dt'] * 1e3:g} ms" if phys["model_dt"] else "",
            f"cell = {phys['model_dx']:g} mm" if phys["model_dx"] else "",
        )
        if p
    )
    rows = []
    if "speed" in phys:
        sp = phys["speed"]
        rows.append(
            (
                "speed (physical)",
                f"{f(sp['median'])} m/s [{f(sp['q25'])}, "
                f"{f(sp['q75'])}] ({scale}, from the export)",
            )
        )
    if "frequency" in phys:
        rows.append(("frequency (physical)", f"{f(phys['frequency']['median'])} Hz"))
    if "wavelength" in phys:
        rows.append(("wavelength (physical)", f"{f(phys['wavelength']['median'])} mm"))
    return rows
