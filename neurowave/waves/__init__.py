"""Wave measures: one set for models and recordings (one set of conventions).

signal -> band-pass -> phase -> gradient -> PGD, speed, direction, wavelength ->
wave frames, patterns, events, surrogate statistics.

:func:`analyze` (module :mod:`.analysis`) runs the whole pipeline on a grid;
:mod:`.kw` holds the wavenumber-frequency spectra and :mod:`.circular` the circular
statistics (mean direction, resultant length, angle wrapping).
"""

from .analysis import *  # noqa: F403
from .critical import *  # noqa: F403
from .delays import *  # noqa: F403
from .events import *  # noqa: F403
from .filter import *  # noqa: F403
from .fits import *  # noqa: F403
from .flow import *  # noqa: F403
from .frames import *  # noqa: F403
from .gradient import *  # noqa: F403
from .kw import *  # noqa: F403
from .measures import *  # noqa: F403
from .modes import *  # noqa: F403
from .patterns import *  # noqa: F403
from .phase import *  # noqa: F403
