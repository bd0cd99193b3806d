"""The elementwise operations, gathered under one name (``chaingrad.ops.elementwise.relu``).

They live in three files, one concern each: ``arithmetic.py`` (``+ - * / **``, maximum, where), ``unary.py``
(math functions and activations) and ``compare.py`` (comparisons and logic, which have no gradient).
"""

from .arithmetic import *  # noqa: F403
from .compare import *  # noqa: F403
from .unary import *  # noqa: F403
