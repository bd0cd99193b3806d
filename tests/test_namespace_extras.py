"""Constants and small functions of torch's namespace equal torch's: pi/e/inf/nan/newaxis, the window functions,
isposinf/isneginf/isreal, i0, addr, renorm, gradient (values, and gradients in float64 against torch and finite
differences), detach/fill/masked_scatter/index_put, set_default_tensor_type, and chaingrad.jit."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch as T

import chaingrad as C

rng = np.random.default_rng(5)


def close(c, t, rtol=1e-12, atol=1e-12):
    if isinstance(t, (tuple, list)):
        assert len(c) == len(t)
        for a, b in zip(c, t):
            close(a, b, rtol, atol)
        return
    assert tuple(c.shape) == tuple(t.shape)
    assert str(c.dtype).replace("chaingrad", "torch") == str(t.dtype)
    np.testing.assert_allclose(c.detach().numpy().astype(np.float64), t.detach().numpy().astype(np.float64),
                               rtol=rtol, atol=atol, equal_nan=True)


def test_constants_are_torchs():
    for name in ("pi", "e", "inf"):
        assert getattr(C, name) == getattr(T, name)
        assert type(getattr(C, name)) is type(getattr(T, name)) is float
    assert math.isnan(C.nan) and math.isnan(T.nan)
    assert C.newaxis is T.newaxis is None
    x = C.arange(3.0)
    assert tuple(x[C.newaxis].shape) == tuple(T.arange(3.0)[T.newaxis].shape) == (1, 3)


# -- windows --------------------------------------------------------------------------------------------------------
WINDOWS = ("hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window")
TOLERANCE = {"float64": (1e-14, 1e-15), "float32": (1e-5, 2e-7), "float16": (2e-3, 1e-3)}  # (float16: one ulp)


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_windows_match_torch(name, dtype):
    for periodic in (True, False):
        for n in (0, 1, 2, 3, 8, 33):
            c = getattr(C, name)(n, periodic=periodic, dtype=getattr(C, dtype))
            t = getattr(T, name)(n, periodic=periodic, dtype=getattr(T, dtype))
            close(c, t, *TOLERANCE[dtype])


def test_window_parameters_defaults_and_requires_grad_match_torch():
    close(C.hamming_window(12, True, 0.6, 0.3, dtype=C.float64), T.hamming_window(12, True, 0.6, 0.3, dtype=T.float64))
    close(C.kaiser_window(12, False, 3.0, dtype=C.float64), T.kaiser_window(12, False, 3.0, dtype=T.float64))
    close(C.hann_window(6), T.hann_window(6), 1e-6, 1e-7)  # (the default dtype)
    assert C.hann_window(4, requires_grad=True).requires_grad
    C.set_default_dtype(C.float64)
    assert C.blackman_window(4).dtype == C.float64


@pytest.mark.parametrize("name", WINDOWS)
def test_window_errors_match_torch(name):
    for lib in (C, T):
        with pytest.raises(RuntimeError, match=f"{name} requires non-negative window_length, got window_length=-1"):
            getattr(lib, name)(-1)
        with pytest.raises(RuntimeError, match=f"{name} expects floating point dtypes, got: "):
            getattr(lib, name)(3, dtype=lib.int64)


# -- small functions ------------------------------------------------------------------------------------------------
def test_isposinf_isneginf_isreal_match_torch():
    data = [1.0, math.inf, -math.inf, math.nan, -0.0]
    for fn in ("isposinf", "isneginf", "isreal"):
        for values, dtype in ((data, "float32"), ([1, -2, 3], "int64"), ([True, False], "bool")):
            c, t = getattr(C, fn)(C.tensor(values, dtype=getattr(C, dtype))), getattr(T, fn)(
                T.tensor(values, dtype=getattr(T, dtype)))
            assert c.tolist() == t.tolist() and c.dtype == C.bool
            assert getattr(C.tensor(values, dtype=getattr(C, dtype)), fn)().tolist() == t.tolist()


def _both(a, requires_grad=False, dtype="float64"):
    return (C.tensor(a, dtype=getattr(C, dtype), requires_grad=requires_grad),
            T.tensor(a, dtype=getattr(T, dtype), requires_grad=requires_grad))


def _value_and_grad(fn, *arrays):
    res = []
    for k, lib in enumerate((C, T)):
        xs = [_both(a, True)[k] for a in arrays]
        out = fn(lib, *xs)
        weights = lib.tensor(np.linspace(-1, 2, out.numel()).reshape(tuple(out.shape)), dtype=lib.float64)
        (out * weights).sum().backward()
        res.append((out, *[x.grad for x in xs]))
    return res


def test_i0_values_and_gradient_match_torch():
    x = np.array([-30.0, -2.5, -0.1, 0.0, 0.3, 1.0, 7.5, 40.0])
    c, t = _value_and_grad(lambda lib, x: lib.i0(x), x)
    close(c, t, rtol=1e-14, atol=0)
    close(C.i0(C.tensor([1, 2, 3])), T.i0(T.tensor([1, 2, 3])), 1e-6)  # (integers: the default float dtype)
    close(C.special.i0(C.tensor(x)), T.special.i0(T.tensor(x)), 1e-6)
    close(C.tensor(x).i0(), T.tensor(x).i0(), 1e-6)
    y, z = C.tensor(x), T.tensor(x)
    y.i0_(), C.i0_(y), z.i0_(), T.i0_(z)
    close(y, z, 1e-5)


def test_i0_gradient_matches_finite_differences():
    x = C.tensor([-1.5, 0.2, 3.0], dtype=C.float64, requires_grad=True)
    assert C.autograd.gradcheck(C.i0, (x,))


def test_addr_values_and_gradients_match_torch():
    a, v1, v2 = rng.standard_normal((3, 4)), rng.standard_normal(3), rng.standard_normal(4)
    for kw in ({}, {"beta": 0.5, "alpha": -2.0}, {"beta": 0}):
        c, t = _value_and_grad(lambda lib, a, v1, v2, kw=kw: lib.addr(a, v1, v2, **kw), a, v1, v2)
        close(c[:3], t[:3])
        if kw.get("beta") == 0:
            assert c[1] is None or float(c[1].abs().sum()) == 0
        else:
            close(c[1], t[1])
    c, t = _value_and_grad(lambda lib, a, v1, v2: lib.addr(a, v1, v2), a[0], v1, v2)  # (input broadcast)
    close(c, t)
    close(C.tensor(a).addr(C.tensor(v1), C.tensor(v2), alpha=3), T.tensor(a).addr(T.tensor(v1), T.tensor(v2), alpha=3))
    y, z = C.tensor(a), T.tensor(a)
    y.addr_(C.tensor(v1), C.tensor(v2)), z.addr_(T.tensor(v1), T.tensor(v2))
    close(y, z)


def test_addr_special_cases_match_torch():
    nan_input = np.full((2, 3), np.nan)
    close(C.addr(C.tensor(nan_input), C.ones(2), C.ones(3), beta=0), T.addr(T.tensor(nan_input), T.ones(2),
                                                                            T.ones(3), beta=0))
    ints = [lib.addr(lib.ones(2, 3, dtype=lib.int64), lib.ones(2, dtype=lib.int64), lib.ones(3, dtype=lib.int64),
                     alpha=2) for lib in (C, T)]
    assert ints[0].tolist() == ints[1].tolist() and ints[0].dtype == C.int64
    close(C.addr(C.ones(2, 3), C.ones(2, dtype=C.int64), C.ones(3)), T.addr(T.ones(2, 3), T.ones(2, dtype=T.int64),
                                                                           T.ones(3)))


@pytest.mark.parametrize("case", ["vec1_2d", "bad_input_shape", "float_alpha_ints"])
def test_addr_errors_match_torch(case):
    def call(lib):
        if case == "vec1_2d":
            return lib.addr(lib.ones(2, 3), lib.ones(2, 1), lib.ones(3))
        if case == "bad_input_shape":
            return lib.addr(lib.ones(4), lib.ones(2), lib.ones(3))
        i = lib.int64
        return lib.addr(lib.ones(2, 3, dtype=i), lib.ones(2, dtype=i), lib.ones(3, dtype=i), alpha=0.5)

    msgs = []
    for lib in (C, T):
        with pytest.raises(RuntimeError) as e:
            call(lib)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("p,dim,maxnorm", [(2, 0, 1.0), (1, 1, 2.0), (3, -1, 0.5), (2, 0, 100.0), (0.5, 2, 1.0)])
def test_renorm_values_and_gradients_match_torch(p, dim, maxnorm):
    x = rng.standard_normal((3, 4, 2))
    c, t = _value_and_grad(lambda lib, x: lib.renorm(x, p, dim, maxnorm), x)
    close(c, t, 1e-12, 1e-12)
    close(C.tensor(x, dtype=C.float32).renorm(p, dim, maxnorm), T.tensor(x, dtype=T.float32).renorm(p, dim, maxnorm),
          1e-6, 1e-7)


def test_renorm_gradient_matches_finite_differences_and_inplace():
    x = C.tensor(rng.standard_normal((3, 4)), dtype=C.float64, requires_grad=True)
    assert C.autograd.gradcheck(lambda x: C.renorm(x, 2, 1, 0.8), (x,))
    y, z = C.tensor([[3.0, 4.0], [0.1, 0.1]]), T.tensor([[3.0, 4.0], [0.1, 0.1]])
    y.renorm_(2, 0, 1.0), z.renorm_(2, 0, 1.0)
    close(y, z, 0, 0)


def test_renorm_errors_match_torch():
    for lib in (C, T):
        with pytest.raises(RuntimeError, match="renorm: non-positive-norm not supported"):
            lib.renorm(lib.ones(2, 3), 0, 0, 1.0)
        with pytest.raises(RuntimeError, match="renorm: expected maxnorm to be >= 0 but got -1"):
            lib.renorm(lib.ones(2, 3), 2, 0, -1.0)
        with pytest.raises(RuntimeError, match="renorm: input needs at least 2 dimensions, got 1 dimensions"):
            lib.renorm(lib.ones(3), 2, 0, 1.0)
        with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
            lib.renorm(lib.ones(2, 3, dtype=lib.int64), 2, 0, 1.0)


# -- gradient -------------------------------------------------------------------------------------------------------
X2 = rng.standard_normal((4, 5))
COORDS = (np.array([0.0, 0.5, 1.7, 2.0]), np.array([-1.0, 0.0, 0.3, 1.5, 3.0]))
GRADIENT_CASES = {
    "default": {},
    "scalar_spacing": {"spacing": 2.0},
    "int_spacing": {"spacing": 3},
    "spacing_per_dim": {"spacing": [0.5, 2.0]},
    "dim_int": {"dim": 1},
    "dim_list_reversed": {"dim": [1, 0], "spacing": [1.0, 2.0]},
    "dim_negative": {"dim": -1, "spacing": 0.25},
    "edge_order_2": {"edge_order": 2},
    "edge_order_2_spacing": {"edge_order": 2, "spacing": [0.5, 3.0]},
    "coordinates": {"spacing": "coords"},
    "coordinates_edge_order_2": {"spacing": "coords", "edge_order": 2},
    "coordinates_one_dim": {"spacing": "coords1", "dim": 1},
}


@pytest.mark.parametrize("case", GRADIENT_CASES)
def test_gradient_values_and_gradients_match_torch(case):
    def fn(lib, x):
        kw = dict(GRADIENT_CASES[case])
        if kw.get("spacing") == "coords":
            kw["spacing"] = [lib.tensor(c, dtype=lib.float64) for c in COORDS]
        elif kw.get("spacing") == "coords1":
            kw["spacing"] = [lib.tensor(COORDS[1], dtype=lib.float64)]
        return lib.stack(lib.gradient(x, **kw))

    c, t = _value_and_grad(fn, X2)
    close(c, t, 1e-12, 1e-12)


def test_gradient_of_integers_and_of_a_vector_match_torch():
    close(C.gradient(C.tensor([1, 4, 9, 16])), T.gradient(T.tensor([1, 4, 9, 16])))
    close(C.gradient(C.tensor([1, 4, 9]), spacing=2.5), T.gradient(T.tensor([1, 4, 9]), spacing=2.5))
    close(C.gradient(C.tensor([1.0, 4.0, 9.0]), spacing=(C.tensor([0.0, 1.0, 3.0]),)),
          T.gradient(T.tensor([1.0, 4.0, 9.0]), spacing=(T.tensor([0.0, 1.0, 3.0]),)), 1e-6)
    assert C.gradient(C.tensor(3.0)) == T.gradient(T.tensor(3.0)) == ()
    close(C.gradient(C.ones(1, 4), dim=1), T.gradient(T.ones(1, 4), dim=1))


GRADIENT_ERRORS = {
    "too_short": lambda lib: lib.gradient(lib.tensor([1.0, 4.0]), edge_order=2),
    "edge_order_3": lambda lib: lib.gradient(lib.tensor([1.0, 4.0, 5.0]), edge_order=3),
    "spacing_length": lambda lib: lib.gradient(lib.tensor([1.0, 4.0, 9.0]), spacing=[2.0, 3.0]),
    "spacing_length_with_dim": lambda lib: lib.gradient(lib.ones(3, 4), spacing=[1.0], dim=(0, 1)),
    "repeated_dim": lambda lib: lib.gradient(lib.ones(3, 4), dim=(0, 0)),
    "dim_out_of_range": lambda lib: lib.gradient(lib.ones(3, 4), dim=5),
    "spacing_2d": lambda lib: lib.gradient(lib.ones(3, 4), spacing=[lib.ones(3, 1)], dim=0),
    "a_size_one_dim": lambda lib: lib.gradient(lib.ones(1, 4)),
}


@pytest.mark.parametrize("case", GRADIENT_ERRORS)
def test_gradient_errors_match_torch(case):
    msgs = []
    for lib in (C, T):
        with pytest.raises((RuntimeError, IndexError)) as e:
            GRADIENT_ERRORS[case](lib)
        msgs.append((type(e.value), str(e.value).replace("chaingrad", "torch")))
    assert msgs[0] == msgs[1]


# -- top-level spellings --------------------------------------------------------------------------------------------
def test_detach_fill_masked_scatter_index_put_match_torch():
    res = []
    for lib in (C, T):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        d = lib.detach(x)
        f = lib.fill(x, 7.5)
        mask = lib.tensor([[True, False], [False, True]])
        m = lib.masked_scatter(x, mask, lib.tensor([10.0, 20.0, 30.0]))
        idx = (lib.tensor([0, 1]), lib.tensor([1, 1]))
        p = lib.index_put(x, idx, lib.tensor([5.0, 6.0]), accumulate=True)
        (f.sum() + m.sum() + (p * p).sum()).backward()
        y = lib.zeros(2, 2)
        lib.index_put_(y, idx, lib.tensor([1.0, 2.0]))
        res.append(([d.requires_grad, f.requires_grad], d, f, m, p, x.grad, y))
    assert res[0][0] == res[1][0]
    for a, b in zip(res[0][1:], res[1][1:]):
        close(a, b)


# -- set_default_tensor_type ----------------------------------------------------------------------------------------
# (torch's warning, which torch shows once a process)
TORCH_WARNING = ("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                 "torch.set_default_dtype() and torch.set_default_device() as alternatives.")


def test_set_default_tensor_type_sets_the_default_dtype_and_warns_as_torch():
    try:
        for lib in (C, T):
            for spec, dtype in ((lib.DoubleTensor, lib.float64), ("torch.FloatTensor", lib.float32),
                                (lib.HalfTensor, lib.float16), ("torch.DoubleTensor", lib.float64)):
                with warnings.catch_warnings(record=True) as seen:
                    warnings.simplefilter("always")
                    lib.set_default_tensor_type(spec)
                if lib is C:
                    assert [str(w.message).replace("chaingrad", "torch") for w in seen] == [TORCH_WARNING]
                    assert seen[0].category is UserWarning
                assert lib.get_default_dtype() == dtype
                assert lib.tensor([1.5]).dtype == dtype
            lib.set_default_dtype(lib.float32)
    finally:
        T.set_default_dtype(T.float32)
    C.set_default_tensor_type  # noqa: B018 - (the attribute exists)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        C.set_default_tensor_type("chaingrad.DoubleTensor")
        assert C.get_default_dtype() == C.float64


@pytest.mark.parametrize("spec", ["LongTensor", "float64", "torch.cuda.FloatTensor", "torch.Nope"])
def test_set_default_tensor_type_errors_match_torch(spec):
    got = []
    for lib in (C, T):
        arg = {"LongTensor": lib.LongTensor, "float64": lib.float64}.get(spec, spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            with pytest.raises((TypeError, AttributeError)) as e:
                lib.set_default_tensor_type(arg)
        got.append((type(e.value), str(e.value).split(".")[0] if spec == "torch.cuda.FloatTensor" else str(e.value)))
        assert lib.get_default_dtype() == lib.float32
    assert got[0] == got[1]


# -- jit --------------------------------------------------------------------------------------------------------------
def _d2l_net(lib):
    lib.manual_seed(0)
    nn = lib.nn
    return nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 2))


def test_jit_script_and_trace_compute_torchs_numbers():
    """d2l's hybridization section: script a Sequential, call it; the values (and their print) are torch's."""
    printed = []
    for lib in (C, T):
        net = _d2l_net(lib)
        x = lib.randn(size=(1, 512))
        before = net(x)
        scripted = lib.jit.script(net)
        traced = lib.jit.trace(_d2l_net(lib), x)
        printed.append((str(before), str(scripted(x)), str(traced(x))))
    assert printed[0] == printed[1]
    assert not C.jit.is_scripting() and not C.jit.is_tracing()
    assert C.jit.annotate(list, [1]) == [1]

    @C.jit.ignore
    def helper(x):
        return x + 1

    assert helper(1) == 2 and C.jit.script(helper) is helper


def test_jit_torchscript_only_parts_raise_not_implemented():
    for name in ("save", "load", "freeze", "fork"):
        with pytest.raises(NotImplementedError, match="chaingrad has no TorchScript.*chaingrad.compile"):
            getattr(C.jit, name)(C.nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="example_inputs"):
        C.jit.trace(C.nn.Linear(2, 2))


class _Settings:
    """An object a compiled function reads (its attributes are guarded), holding inf and nan."""

    def __init__(self) -> None:
        self.scale, self.inf, self.nan = 2.0, C.inf, C.nan


SETTINGS = _Settings()


def test_compiled_code_reading_an_object_with_inf_and_nan_keeps_its_guards():
    """chaingrad.compile guards the attributes of objects a function reads: inf and nan have no Python repr."""

    def step(x):
        return x * SETTINGS.scale

    compiled = C.compile(step)
    x = C.tensor([1.0, 2.0])
    for _ in range(3):
        assert compiled(x).tolist() == [2.0, 4.0]
