"""The ``da.wave`` accessor: the wave measures as methods of a wave grid.

Importing :mod:`neurowave` registers it::

    grid.wave.phase(band=(8, 12))          # compute_phase(grid, band=(8, 12))
    grid.wave.analyze()                    # analyze(grid)
"""

from __future__ import annotations

import xarray as xr

__all__ = ["WaveAccessor"]


@xr.register_dataarray_accessor("wave")
class WaveAccessor:
    """Wave measures of a wave grid (or of its phase) as methods.

    Examples
    --------
    >>> import neurowave.accessor  # registered by ``import neurowave``
    >>> from neurowave.datasets import simulate_wave
    >>> grid, _ = simulate_wave("planar", direction=30, frequency=10, duration=1.0, seed=0)
    >>> phase = grid.wave.phase(band=(8, 12))
    >>> round(float(phase.wave.direction().isel(time=500)))
    30
    """

    def __init__(self, obj):
        self._obj = obj

    # signal -> phase
    def bandpass(self, **kwargs):
        """:func:`neurowave.waves.bandpass` of this grid."""
        from .waves import bandpass

        return bandpass(self._obj, **kwargs)

    def choose_band(self, **kwargs):
        """:func:`neurowave.waves.choose_band` of this grid."""
        from .waves import choose_band

        return choose_band(self._obj, **kwargs)

    def analytic_signal(self, **kwargs):
        """:func:`neurowave.waves.compute_analytic_signal` of this grid."""
        from .waves import compute_analytic_signal

        return compute_analytic_signal(self._obj, **kwargs)

    def phase(self, **kwargs):
        """:func:`neurowave.waves.compute_phase` of this grid."""
        from .waves import compute_phase

        return compute_phase(self._obj, **kwargs)

    # phase -> measures (the DataArray is a phase)
    def frequency(self):
        """:func:`neurowave.waves.compute_frequency` of this phase."""
        from .waves import compute_frequency

        return compute_frequency(self._obj)

    def gradient(self, **kwargs):
        """:func:`neurowave.waves.compute_phase_gradient` of this phase."""
        from .waves import compute_phase_gradient

        return compute_phase_gradient(self._obj, **kwargs)

    def coherent_phase(self, **kwargs):
        """:func:`neurowave.waves.compute_coherent_phase` of this phase."""
        from .waves import compute_coherent_phase

        return compute_coherent_phase(self._obj, **kwargs)

    def pgd(self, **kwargs):
        """:func:`neurowave.waves.compute_pgd` of this phase's gradient."""
        from .waves import compute_pgd

        return compute_pgd(self.gradient(), **kwargs)

    def direction(self, **kwargs):
        """:func:`neurowave.waves.compute_direction` of this phase's gradient."""
        from .waves import compute_direction

        return compute_direction(self.gradient(), **kwargs)

    def speed(self, **kwargs):
        """:func:`neurowave.waves.compute_speed` of this phase."""
        from .waves import compute_speed

        return compute_speed(self._obj, self.gradient(), **kwargs)

    def wavelength(self, **kwargs):
        """:func:`neurowave.waves.compute_wavelength` of this phase's gradient."""
        from .waves import compute_wavelength

        return compute_wavelength(self.gradient(), **kwargs)

    def wave_frames(self, **kwargs):
        """:func:`neurowave.waves.detect_wave_frames` of this phase."""
        from .waves import detect_wave_frames

        return detect_wave_frames(self._obj, **kwargs)

    # the whole pipeline (the DataArray is a grid)
    def analyze(self, **kwargs):
        """:func:`neurowave.waves.analyze` of this grid."""
        from .waves import analyze

        return analyze(self._obj, **kwargs)
