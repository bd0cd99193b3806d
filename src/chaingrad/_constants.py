"""torch's numeric constants: ``pi``, ``e``, ``inf``, ``nan`` (Python floats, as torch's) and ``newaxis`` (None)."""

from __future__ import annotations

import math

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None
