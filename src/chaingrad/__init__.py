"""chaingrad: backpropagation you can read, run and see, with PyTorch's API on NumPy.

``import chaingrad as torch`` runs textbook PyTorch programs; ``chaingrad.explain(loss)`` shows how each
gradient came out of the chain rule.
"""

from __future__ import annotations

import builtins as _builtins

from . import ops as _ops  # noqa: F401  (attaches the Tensor methods)
from ._arguments import checked_namespace as _checked_namespace
from ._dtype import (
    bool_ as bool,  # noqa: A004
)
from ._dtype import (
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from ._device import device, get_default_device, set_default_device
from ._finfo import finfo, iinfo
from ._printing import set_printoptions
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled
from .autograd.anomaly import set_detect_anomaly as set_anomaly_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from ._autocast import autocast, is_autocast_enabled
from ._queries import (
    broadcast_shapes,
    can_cast,
    get_float32_matmul_precision,
    get_num_interop_threads,
    is_complex,
    is_conj,
    is_inference,
    is_neg,
    is_nonzero,
    is_same_size,
    is_signed,
    is_warn_always_enabled,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_warn_always,
    typename,
)
from .ops.convert import clone
from .ops.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from .ops.elementwise import (
    abs,  # noqa: A004
    absolute,
    add,
    allclose,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    ceil,
    clamp,
    clip,
    cos,
    cosh,
    div,
    divide,
    eq,
    equal,
    exp,
    expm1,
    floor,
    floor_divide,
    ge,
    greater,
    greater_equal,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    mul,
    multiply,
    ne,
    neg,
    negative,
    not_equal,
    pow,  # noqa: A004
    reciprocal,
    relu,
    remainder,
    round,  # noqa: A004
    rsqrt,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    sub,
    subtract,
    tan,
    tanh,
    true_divide,
    trunc,
    where,
)
from ._memory_format import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format
from ._layout import _mkldnn, jagged, layout, sparse_bsc, sparse_bsr, sparse_coo, sparse_csc, sparse_csr, strided
from .ops.addc import addcdiv, addcmul
from .ops.nan_reduce import nanmean, nansum
from .ops.shape import fliplr, flipud, moveaxis, ravel
from .ops.trig_inverse import acos, acosh, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, asin, asinh, atan, atanh
from .ops.index import gather, index_add, index_select, masked_fill, masked_select, nonzero, scatter_add, take_along_dim
from .ops.legacy import set_default_tensor_type
from .ops.legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from .ops.linalg import bmm, dot, einsum, ger, inner, matmul, mm, mv, outer
from .ops.nn_ops import log_softmax, softmax
from .ops._out import with_out as _with_out
from .ops.random import (
    Generator,
    bernoulli,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
    set_rng_state,
)
from .ops.reduce import (
    all,  # noqa: A004
    amax,
    amin,
    any,  # noqa: A004
    argmax,
    argmin,
    count_nonzero,
    cumsum,
    logsumexp,
    max,  # noqa: A004
    mean,
    min,  # noqa: A004
    norm,
    prod,
    std,
    std_mean,
    sum,  # noqa: A004
    var,
    var_mean,
)
from .ops.shape import (
    broadcast_tensors,
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    flatten,
    flip,
    hstack,
    movedim,
    narrow,
    permute,
    reshape,
    select,
    split,
    squeeze,
    stack,
    swapaxes,
    swapdims,
    t,
    tensor_split,
    tile,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)
from .ops.histogram import bincount, histc, histogram
from .ops.linalg_decomp import det, logdet
from .ops.linalg_decomp import inv as inverse
from .ops.linalg_decomp import qr_legacy as qr
from .ops.linalg_decomp import slogdet_legacy as slogdet
from .ops.linalg_decomp import svd_legacy as svd
from .ops.linalg_eigh import cholesky_inverse, cholesky_solve, symeig
from .ops.linalg_eigh import cholesky_legacy as cholesky
from .ops.linalg_eigh import eig_removed as eig
from .ops.linalg_extra import householder_product as orgqr
from .ops.linalg_lstsq import lstsq_removed as lstsq
from .ops.linalg_lstsq import matrix_rank_removed as matrix_rank
from .ops.linalg_triangular import lu_legacy as lu
from .ops.linalg_triangular import lu_solve_legacy as lu_solve
from .ops.linalg_triangular import lu_unpack, triangular_solve
from .ops.matrix import (
    addbmm,
    addmm,
    addmv,
    baddbmm,
    cdist,
    cross,
    diag,
    diag_embed,
    diagflat,
    diagonal,
    trace,
    tril,
    tril_indices,
    triu,
    triu_indices,
)
from .ops.gamma import digamma, lgamma, polygamma
from .ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from .ops.pointwise import fmod, frac, logaddexp, logaddexp2, sgn
from .ops.products import kron, tensordot
from .ops.scatter import index_copy, index_fill, scatter
from .ops.statistics import corrcoef, cov
from .ops.rearrange import meshgrid, repeat_interleave, roll, rot90
from .ops.scan import cummax, cummin, cumprod, diff, logcumsumexp
from .ops.special import (
    arctan2,
    atan2,
    clamp_max,
    clamp_min,
    erf,
    erfc,
    erfinv,
    hypot,
    lerp,
    logit,
    nan_to_num,
    xlogy,
)
from .ops.sorting import (
    argsort,
    bucketize,
    kthvalue,
    median,
    mode,
    msort,
    nanmedian,
    searchsorted,
    sort,
    topk,
    unique,
    unique_consecutive,
)
from .ops.creation_extra import asarray, empty_strided, frombuffer
from .ops.creation_extra import range  # noqa: A004 - torch's (deprecated) name
from .ops.embed import block_diag, diagonal_scatter, select_scatter, slice_scatter, take
from .ops.integrals import cumulative_trapezoid, dist, trapezoid, trapz, vdot
from .ops.matrix_functions import chain_matmul, matrix_exp, matrix_power, pinverse
from .ops.quantile import nanquantile, quantile
from .ops.lookup import aminmax, argwhere, isin, unravel_index, vander
from .ops.pointwise_more import (
    copysign,
    deg2rad,
    exp2,
    fix,
    float_power,
    fmax,
    fmin,
    frexp,
    gcd,
    heaviside,
    lcm,
    ldexp,
    nextafter,
    positive,
    rad2deg,
    rsub,
    signbit,
    sinc,
)
from .ops.stacking import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    cartesian_prod,
    column_stack,
    combinations,
    dsplit,
    dstack,
    hsplit,
    row_stack,
    split_with_sizes,
    unsafe_chunk,
    unsafe_split,
    vsplit,
)
from .tensor import Size, Tensor, is_tensor
from . import return_types
from ._constants import e, inf, nan, newaxis, pi
from .ops.gradient import gradient
from .ops.small_math import addr, i0, isneginf, isposinf, isreal, renorm
from .ops.scatter_reduce import index_reduce, scatter_reduce
from .ops.windows import bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window


from . import _torch_level  # (torch.exp_, torch.conv2d ...)

globals().update(_torch_level.inplace_functions())
for _name in _torch_level.FUNCTIONS:
    globals()[_name] = getattr(_torch_level, _name)
del _name


# the functions torch gives an out= argument (ops/_out.py; tests/test_out.py finds them from torch's kernels); the
# random ones take it themselves, and these below compute in out's dtype
_OUT_FUNCTIONS = (
    "abs", "absolute", "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "pow", "square", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos",
    "tan", "sinh", "cosh", "tanh", "sigmoid", "sign", "neg", "negative", "reciprocal", "ceil", "floor", "round",
    "trunc", "clamp", "clip", "maximum", "minimum", "where", "eq", "ne", "not_equal", "lt", "less", "le",
    "less_equal", "gt", "greater", "ge", "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "erf", "erfc", "erfinv", "atan2", "arctan2", "hypot",
    "lerp", "logit", "xlogy", "nan_to_num", "matmul", "mm", "bmm", "mv", "dot", "inner", "outer", "ger", "addmm",
    "addbmm", "addmv", "baddbmm", "cross", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "gather",
    "index_select", "masked_select", "take_along_dim", "tril", "triu", "diag", "mean", "amax", "amin", "argmax",
    "argmin", "std", "var", "logsumexp", "logcumsumexp", "all", "any", "norm", "searchsorted", "bucketize", "histc",
    "msort", "argsort", "clamp_max", "clamp_min", "diff", "index_add", "scatter_add", "nonzero", "inverse", "softmax",
    "log_softmax", "asin", "acos", "atan", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh",
    "arccosh", "arctanh", "addcmul", "addcdiv", "fmod", "frac", "lgamma", "digamma", "polygamma", "logaddexp",
    "logaddexp2", "sgn", "kron", "scatter", "index_copy",
    "chain_matmul", "column_stack", "copysign", "deg2rad", "dstack", "exp2", "fix", "float_power", "fmax", "fmin",
    "gcd", "hardshrink", "heaviside", "isin", "lcm", "ldexp", "matrix_power", "nanquantile", "nextafter", "quantile",
    "rad2deg", "row_stack", "signbit", "sinc", "slice_scatter", "take", "threshold", "vdot", "range",
    "addr", "i0", "isneginf", "isposinf", "renorm", "scatter_reduce", "index_reduce",
    # several results: out=(values, indices) and the like
    "max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax", "cummin", "histogram", "qr",
    "slogdet", "svd", "aminmax", "frexp", "cholesky", "cholesky_solve", "cholesky_inverse", "lu_unpack",
    "triangular_solve", "lu_solve", "orgqr",
)
for _name in _OUT_FUNCTIONS:
    globals()[_name] = _with_out(globals()[_name], _name)
for _name in ("zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye", "sum", "prod", "cumsum",
              "cumprod", "nansum", "nanmean"):  # (these compute in out's dtype)
    globals()[_name] = _with_out(globals()[_name], _name, in_out_dtype=True)
del _name

float = float32  # noqa: A001 - torch.float is float32
double = float64
half = float16
long = int64
int = int32  # noqa: A001 - torch.int is int32
short = int16

__version__ = "0.1.0"


def is_floating_point(input: Tensor) -> _builtins.bool:  # (this module's `bool` is the dtype)
    return input.is_floating_point()


def numel(input: Tensor) -> _builtins.int:
    return input.numel()


def set_num_threads(n: _builtins.int) -> None:
    """The number of threads NumPy's BLAS (matrix products, the convolutions' im2col products) may use."""
    if not isinstance(n, _builtins.int) or isinstance(n, _builtins.bool):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n, user_api="blas")  # (kept until changed again)


def get_num_threads() -> _builtins.int:
    """The threads NumPy's BLAS uses (torch: its intra-op threads)."""
    from threadpoolctl import threadpool_info

    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    if counts:
        return _builtins.max(counts)
    import os

    return os.cpu_count() or 1


_deterministic = [False]


def use_deterministic_algorithms(mode: _builtins.bool, *, warn_only: _builtins.bool = False) -> None:  # noqa: F811 - torch's name
    """Recorded for ``are_deterministic_algorithms_enabled``; chaingrad's CPU algorithms are deterministic."""
    _deterministic[0] = mode is True or mode == 1  # `bool` is chaingrad.bool in this module


def are_deterministic_algorithms_enabled() -> _builtins.bool:
    return _deterministic[0]


def get_device(input: Tensor) -> _builtins.int:
    """-1: every chaingrad tensor is on the CPU (torch's answer for a CPU tensor)."""
    return input.get_device()


from .ops._aliases import give_numpy_names  # noqa: E402

_checked_namespace(globals())  # chaingrad.sum([1, 2]) is torch's TypeError, not an AttributeError from inside
give_numpy_names(globals(), Tensor)  # torch.cat(xs, axis=1), x.unsqueeze(axis=0): NumPy's argument names


def __getattr__(name: str):
    # heavier parts load on first use, so `import chaingrad` stays fast
    import importlib

    if name in ("nn", "optim", "utils", "datasets", "func", "autograd", "cuda", "backends", "accelerator", "special",
                "linalg", "amp", "distributions", "jit"):
        return importlib.import_module(f".{name}", __name__)
    if name in ("explain", "draw"):
        module = importlib.import_module(".explain", __name__)
        return getattr(module, name)
    if name in ("save", "load"):
        module = importlib.import_module(".serialization", __name__)
        return getattr(module, name)
    if name in ("testing", "jit"):
        return importlib.import_module(f".{name}", __name__)
    if name == "vmap":
        return importlib.import_module("._vmap", __name__).vmap
    if name in ("compile", "compiler"):
        module = importlib.import_module(".compiler", __name__)
        return module if name == "compiler" else module.compile
    if name == "bfloat16":
        raise AttributeError("module 'chaingrad' has no attribute 'bfloat16': NumPy has no bfloat16 type, so chaingrad "
                             "computes in float16, float32 or float64 (use chaingrad.float32, or chaingrad.float16 "
                             "for half precision)")
    raise AttributeError(f"module 'chaingrad' has no attribute '{name}'")
