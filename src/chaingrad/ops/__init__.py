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
