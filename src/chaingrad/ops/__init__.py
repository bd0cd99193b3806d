"""All operations, one file per family; importing them attaches the Tensor methods and operators."""

from . import (  # noqa: F401
    arithmetic,
    compare,
    convert,
    creation,
    elementwise,
    index,
    inplace,
    linalg,
    nn_ops,
    random,
    reduce,
    shape,
    unary,
)

# isort: split
from . import (  # noqa: F401  # noqa: F401
    addc,
    histogram,
    inplace_shape,
    linalg_decomp,
    matrix,
    norms,
    rearrange,
    scan,
    sorting,
    special,
    trig_inverse,
)
