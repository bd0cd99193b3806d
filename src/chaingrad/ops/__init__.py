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
    compare_inplace,
    creation_extra,
    embed,
    gamma,
    histogram,
    inplace_shape,
    linalg_decomp,
    lookup,
    matrix,
    norms,
    pixel_shuffle,
    pointwise,
    pointwise_more,
    products,
    rearrange,
    scan,
    scatter,
    sorting,
    special,
    stacking,
    statistics,
    trig_inverse,
)
