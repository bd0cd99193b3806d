"""chaingrad.func.vmap, functional_call and stack_module_state equal torch.func's: values and gradients in float64,
per-sample gradients of a small MLP, nested vmap, in_dims/out_dims variants, randomness modes and torch's errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch as T

import chaingrad as C
import chaingrad.func as cf

rng = np.random.default_rng(3)
X = rng.standard_normal((5, 4))
Y = rng.standard_normal((5, 3))
W = rng.standard_normal((4, 3))


def both(a):
    return C.tensor(a, dtype=C.float64), T.tensor(a, dtype=T.float64)


def close(c, t, tol=1e-12):
    if isinstance(t, (tuple, list)):
        assert type(c) is type(t) and len(c) == len(t)
        for a, b in zip(c, t):
            close(a, b, tol)
        return
    if isinstance(t, dict):
        assert list(c) == list(t)
        for k in t:
            close(c[k], t[k], tol)
        return
    assert isinstance(c, C.Tensor), type(c)
    assert tuple(c.shape) == tuple(t.shape)
    np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def run(lib, fn, *arrays, **vmap_kw):
    args = [lib.tensor(a, dtype=lib.float64) if isinstance(a, np.ndarray) else a for a in arrays]
    return lib.func.vmap(fn(lib), **vmap_kw)(*args)


# -- values ---------------------------------------------------------------------------------------------------------
CASES = {
    "sin": (lambda lib: lib.sin, (X,), {}),
    "matvec_in_dims_none": (lambda lib: lambda x, w: x @ w, (X, W), {"in_dims": (0, None)}),
    "in_dim_1": (lambda lib: lambda x: x.sum(0) * x[0], (X,), {"in_dims": 1}),
    "in_dim_negative": (lambda lib: lambda x: lib.tanh(x) * 2, (X,), {"in_dims": -1}),
    "out_dim_1": (lambda lib: lambda x: lib.outer(x, x), (X,), {"out_dims": 1}),
    "out_dim_negative": (lambda lib: lambda x: lib.outer(x, x[:2]), (X,), {"out_dims": -1}),
    "tuple_out_dims": (lambda lib: lambda x: (x * 2, x.sum()), (X,), {"out_dims": (1, 0)}),
    "one_out_dim_for_tuple": (lambda lib: lambda x: (x * 2, x.exp()), (X,), {"out_dims": 1}),
    "out_dims_tuple_of_one": (lambda lib: lambda x: x.exp(), (X,), {"out_dims": (1,)}),
    "mixed_in_dims": (lambda lib: lambda x, y: x[:3] * y, (X, Y.T.copy()), {"in_dims": (0, 1)}),
    "python_number_arg": (lambda lib: lambda x, s: x * s, (X, 2.5), {"in_dims": (0, None)}),
    "list_output": (lambda lib: lambda x: [x, x + 1], (X,), {}),
    "dict_output": (lambda lib: lambda x: {"a": x.sum(), "b": x * x}, (X,), {}),
    "out_dims_none": (lambda lib: lambda x, w: (x * 2, w), (X, W), {"in_dims": (0, None), "out_dims": (0, None)}),
}


@pytest.mark.parametrize("case", CASES)
def test_vmap_values_match_torch(case):
    fn, arrays, kw = CASES[case]
    close(run(C, fn, *arrays, **kw), run(T, fn, *arrays, **kw))


def test_nested_pytree_in_dims_match_torch():
    def fn(lib):
        return lambda d, pair: d["a"] * pair[0] + d["b"] - pair[1].sum()

    def go(lib):
        a, b, c = (lib.tensor(v, dtype=lib.float64) for v in (X, X[:, :1].copy(), W[:, 0].copy()))
        return lib.func.vmap(fn(lib), in_dims=({"a": 0, "b": 0}, [1, None]))({"a": a, "b": b}, [a.T, c])

    close(go(C), go(T))


def test_nested_vmap_matches_torch():
    def go(lib):
        x, w = lib.tensor(X, dtype=lib.float64), lib.tensor(W, dtype=lib.float64)
        inner = lib.func.vmap(lambda xi, wj: (xi * wj).sum(), in_dims=(None, 1))
        return lib.func.vmap(inner, in_dims=(0, None))(x, w)  # (5, 3): every row against every column

    close(go(C), go(T))
    close(go(C), T.tensor(X @ W))


def test_top_level_vmap_is_func_vmap():
    assert C.vmap is cf.vmap
    close(C.vmap(C.exp)(both(X)[0]), T.vmap(T.exp)(both(X)[1]))


def test_vmap_keeps_function_name():
    def loss_of(x):
        return x

    assert cf.vmap(loss_of).__name__ == T.func.vmap(loss_of).__name__ == "loss_of"


# -- gradients ------------------------------------------------------------------------------------------------------
def test_backward_through_vmap_matches_torch():
    def go(lib):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(W, dtype=lib.float64, requires_grad=True)
        out = lib.func.vmap(lambda xi, wi: lib.tanh(xi @ wi).sum(), in_dims=(0, None))(x, w)
        (out * lib.arange(5, dtype=lib.float64)).sum().backward()
        return out, x.grad, w.grad

    close(go(C), go(T))


def test_grad_of_vmap_matches_torch():
    def go(lib):
        x = lib.tensor(X, dtype=lib.float64)
        return lib.func.grad(lambda x: lib.func.vmap(lambda r: (r.sin() * r).sum())(x).pow(2).sum())(x)

    close(go(C), go(T))


def test_vmap_of_jacrev_and_vjp_match_torch():
    def go(lib):
        x, w = lib.tensor(X, dtype=lib.float64), lib.tensor(W, dtype=lib.float64)
        jac = lib.func.vmap(lib.func.jacrev(lambda r: lib.tanh(r @ w)))(x)  # (5, 3, 4)

        def vjp_row(r, ct):
            return lib.func.vjp(lambda v: lib.exp(v) * v, r)[1](ct)[0]

        return jac, lib.func.vmap(vjp_row)(x, x * 0.5)

    close(go(C), go(T))


def test_vmap_grad_with_argnums_and_has_aux_match_torch():
    res = []
    for lib in (C, T):
        x, y = lib.tensor(X, dtype=lib.float64), lib.tensor(Y[:, 0].copy(), dtype=lib.float64)
        w = lib.tensor(W[:, 0].copy(), dtype=lib.float64)

        def loss(w, xi, yi):
            err = xi @ w - yi
            return err ** 2, err

        res.append(lib.func.vmap(lib.func.grad(loss, argnums=(0, 1), has_aux=True), in_dims=(None, 0, 0))(w, x, y))
    close(*res)


class TwoLayer:
    """The same small MLP in both libraries, from the same numbers."""

    @staticmethod
    def make(lib):
        g = np.random.default_rng(11)
        model = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.Tanh(), lib.nn.Linear(6, 3)).double()
        with lib.no_grad():
            for p in model.parameters():
                p.copy_(lib.tensor(g.standard_normal(tuple(p.shape)) * 0.5, dtype=lib.float64))
        return model


def test_per_sample_gradients_equal_a_loop_of_torch():
    """torch's per-sample-gradients tutorial: vmap(grad(compute_loss), in_dims=(None, None, 0, 0))."""
    target = np.array([0, 2, 1, 1, 0])
    results = {}
    for lib in (C, T):
        model = TwoLayer.make(lib)
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target, lib=lib, model=model):
            predictions = lib.func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
            return lib.nn.functional.cross_entropy(predictions, target.unsqueeze(0))

        per_sample = lib.func.vmap(lib.func.grad(compute_loss), in_dims=(None, None, 0, 0))(
            params, buffers, lib.tensor(X, dtype=lib.float64), lib.tensor(target))
        results[lib] = per_sample
    model = TwoLayer.make(T)
    loop = {k: [] for k, _ in model.named_parameters()}
    for i in range(5):
        model.zero_grad()
        T.nn.functional.cross_entropy(model(T.tensor(X[i:i + 1])), T.tensor(target[i:i + 1])).backward()
        for k, p in model.named_parameters():
            loop[k].append(p.grad.clone())
    close(results[C], {k: T.stack(v) for k, v in loop.items()})
    close(results[C], results[T])


def test_model_ensemble_with_stack_module_state_matches_torch():
    """torch's model-ensembling tutorial: stack_module_state, then vmap over functional_call."""
    outs = []
    for lib in (C, T):
        models = []
        for k in range(3):
            m = TwoLayer.make(lib)
            with lib.no_grad():
                for p in m.parameters():
                    p.mul_(k + 1)
            models.append(m)
        params, buffers = lib.func.stack_module_state(models)
        base = copy.deepcopy(models[0])

        def fmodel(params, buffers, x, lib=lib, base=base):
            return lib.func.functional_call(base, (params, buffers), (x,))

        x = lib.tensor(X, dtype=lib.float64)
        outs.append((lib.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x), params["0.weight"].requires_grad,
                     params["0.weight"].is_leaf, [m(x) for m in models]))
    close(outs[0][0], outs[1][0])
    assert outs[0][1:3] == outs[1][1:3] == (True, True)
    close(outs[0][3], outs[1][3])


# -- functional_call ------------------------------------------------------------------------------------------------
def test_functional_call_leaves_the_module_unchanged_and_matches_torch():
    res = []
    for lib in (C, T):
        model = TwoLayer.make(lib)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        new = {"0.weight": lib.ones(6, 4, dtype=lib.float64), "2.bias": lib.zeros(3, dtype=lib.float64)}
        x = lib.tensor(X, dtype=lib.float64)
        out = lib.func.functional_call(model, new, x)
        out_kw = lib.func.functional_call(model, new, (), {"input": x})
        assert all(lib.equal(v, before[k]) for k, v in model.state_dict().items())
        assert isinstance(model[0].weight, lib.nn.Parameter)
        res.append((out, out_kw))
    close(*res)


class Tied:
    @staticmethod
    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = lib.nn.Linear(2, 2, bias=False).double()
                self.b = lib.nn.Linear(2, 2, bias=False).double()
                self.b.weight = self.a.weight
                with lib.no_grad():
                    self.a.weight.copy_(lib.tensor([[0.5, -1.0], [2.0, 0.25]]))
                self.register_buffer("count", lib.zeros((), dtype=lib.float64))

            def forward(self, x):
                self.count = self.count + 1  # (assigns a new tensor: the given dict receives it)
                return self.b(self.a(x))

        return M()


def test_functional_call_tie_weights_strict_and_errors_match_torch():
    x = np.array([[1.0, 2.0]])
    for tie in (True, False):
        res = []
        for lib in (C, T):
            m = Tied.make(lib)
            given = {"a.weight": lib.eye(2, dtype=lib.float64) * 2, "count": lib.zeros((), dtype=lib.float64)}
            res.append(lib.func.functional_call(m, given, lib.tensor(x), tie_weights=tie))
            res.append(given["count"])
        close(res[:2], res[2:])
    msgs = []
    for lib in (C, T):
        m = Tied.make(lib)
        two = {"a.weight": lib.eye(2, dtype=lib.float64), "b.weight": lib.eye(2, dtype=lib.float64)}
        with pytest.raises(ValueError) as e1:
            lib.func.functional_call(m, two, lib.tensor(x))
        with pytest.raises(RuntimeError) as e2:
            lib.func.functional_call(m, {"a.weight": two["a.weight"], "zz": two["a.weight"]}, lib.tensor(x),
                                     strict=True)
        with pytest.raises(ValueError) as e3:
            lib.func.functional_call(m, ({"count": two["a.weight"]}, {"count": two["a.weight"]}), lib.tensor(x))
        with pytest.raises(ValueError) as e4:
            lib.func.functional_call(m, ({"count": two["a.weight"]}, 3), lib.tensor(x))
        msgs.append([str(e.value) for e in (e1, e2, e3, e4)])
    assert msgs[0] == msgs[1]


def test_stack_module_state_errors_match_torch():
    msgs = []
    for lib in (C, T):
        got = []
        for models in ([], [lib.nn.Linear(2, 2), lib.nn.Linear(2, 2).eval()], [lib.nn.Linear(2, 2), lib.nn.Tanh()]):
            with pytest.raises(RuntimeError) as e:
                lib.func.stack_module_state(models)
            got.append(str(e.value))
        a, b = lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)
        b.bias.requires_grad_(False)
        with pytest.raises(RuntimeError) as e:
            lib.func.stack_module_state([a, b])
        got.append(str(e.value))
        msgs.append(got)
    assert msgs[0] == msgs[1]


# -- randomness -----------------------------------------------------------------------------------------------------
RANDOM = {
    "rand": lambda lib: lambda a: a + lib.rand(4),
    "randn": lambda lib: lambda a: a + lib.randn(4),
    "randn_scalar_pairs": lambda lib: lambda a: a + lib.randn(1) + lib.randn(3).sum(),
    "rand_like": lambda lib: lambda a: lib.rand_like(a),
    "dropout": lambda lib: lambda a: lib.nn.functional.dropout(a + 1, 0.5),
    "randint": lambda lib: lambda a: a + lib.randint(0, 10, (4,)),
    "randperm": lambda lib: lambda a: a + lib.randperm(4),
    "uniform_": lambda lib: lambda a: lib.empty(4, dtype=lib.float64).uniform_() + a,
}


@pytest.mark.parametrize("case", RANDOM)
def test_randomness_same_matches_torch(case):
    got = []
    for lib in (C, T):
        lib.manual_seed(7)
        out = lib.func.vmap(RANDOM[case](lib), randomness="same")(lib.zeros(3, 4, dtype=lib.float64))
        got.append((out, lib.rand(2, dtype=lib.float64)))  # (the generator is where one draw leaves it)
    close(*got, tol=0)


def test_randomness_same_nested_and_with_a_generator_match_torch():
    got = []
    for lib in (C, T):
        gen = lib.Generator().manual_seed(5)
        lib.manual_seed(1)

        def f(a, lib=lib, gen=gen):
            return a + lib.rand(2, dtype=lib.float64, generator=gen) + lib.randn(2, dtype=lib.float64)

        inner = lib.func.vmap(f, randomness="same")
        out = lib.func.vmap(inner, randomness="same")(lib.zeros(3, 4, 2, dtype=lib.float64))
        got.append((out, lib.rand(2, generator=gen), lib.rand(2)))
    close(*got, tol=0)


@pytest.mark.parametrize("lib", [C, T], ids=["chaingrad", "torch"])
def test_randomness_error_raises_torchs_error(lib):
    lib.manual_seed(0)
    for fn in (lambda a: a + lib.rand(4), lambda a: lib.nn.functional.dropout(a, 0.5)):
        with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness error mode. "
                                               "Please either use the 'same' or 'different' randomness flags"):
            lib.func.vmap(fn)(lib.zeros(3, 4))
    # an inner 'same' inside an outer 'error' still raises
    with pytest.raises(RuntimeError, match="randomness error mode"):
        lib.func.vmap(lib.func.vmap(lambda a: a + lib.rand(()), randomness="same"))(lib.zeros(3, 4))


def test_a_refused_draw_leaves_the_generator_and_no_check_behind():
    C.manual_seed(0)
    state = C.get_rng_state()
    with pytest.raises(RuntimeError):
        C.vmap(lambda a: a + C.rand(4))(C.zeros(3, 4))
    assert C.equal(C.get_rng_state(), state)  # (refused before drawing)
    C.vmap(lambda a: a * 2)(C.zeros(3, 4))
    assert C.rand(1).shape == (1,)  # (no check left behind)


def test_randomness_different_is_not_implemented():
    with pytest.raises(NotImplementedError, match="randomness='different'.*bit for bit"):
        C.vmap(lambda a: a + C.rand(4), randomness="different")(C.zeros(3, 4))
    close(C.vmap(lambda a: a * 2, randomness="different")(both(X)[0]), both(X)[1] * 2)  # (no draw: fine)


# -- errors ---------------------------------------------------------------------------------------------------------
def _message(lib, call):
    try:
        call(lib)
    except Exception as e:  # noqa: BLE001 - the class is compared too
        return type(e).__name__, str(e).replace("chaingrad", "torch")
    return None


ERRORS = {
    "in_dims_too_long": lambda lib: lib.func.vmap(lib.sin, in_dims=(0, 0))(lib.zeros(3, 4)),
    "in_dims_list": lambda lib: lib.func.vmap(lib.sin, in_dims=[0])(lib.zeros(3, 4)),
    "in_dims_none": lambda lib: lib.func.vmap(lib.sin, in_dims=None)(lib.zeros(3, 4)),
    "in_dims_str": lambda lib: lib.func.vmap(lib.sin, in_dims="a")(lib.zeros(3, 4)),
    "in_dim_out_of_range": lambda lib: lib.func.vmap(lib.sin, in_dims=2)(lib.zeros(3, 4)),
    "in_dim_negative_out_of_range": lambda lib: lib.func.vmap(lib.sin, in_dims=-3)(lib.zeros(3, 4)),
    "in_dim_of_a_scalar_tensor": lambda lib: lib.func.vmap(lambda a: a)(lib.tensor(1.0)),
    "in_dim_float": lambda lib: lib.func.vmap(lib.sin, in_dims=(0.5,))(lib.zeros(3, 4)),
    "batch_sizes_differ": lambda lib: lib.func.vmap(lib.add)(lib.zeros(3, 4), lib.zeros(4, 4)),
    "batch_sizes_differ_in_a_list": lambda lib: lib.func.vmap(lambda a: a[0])([lib.zeros(3), lib.zeros(4)]),
    "nothing_mapped": lambda lib: lib.func.vmap(lib.sin, in_dims=(None,))(lib.zeros(3, 4)),
    "map_a_number": lambda lib: lib.func.vmap(lib.sin)(3.0),
    "no_inputs": lambda lib: lib.func.vmap(lib.sin)(),
    "dict_keys_differ": lambda lib: lib.func.vmap(lambda d: d["a"], in_dims=({"b": 0},))({"a": lib.zeros(3)}),
    "nested_structure_differs": lambda lib: lib.func.vmap(lambda d, p: p[0], in_dims=({"a": 0}, (1, None)))(
        {"a": lib.zeros(3)}, [lib.zeros(2, 3), lib.zeros(2)]),
    "out_dims_structure": lambda lib: lib.func.vmap(lib.sin, out_dims=(0, 1))(lib.zeros(3, 4)),
    "out_dims_tuple_structure": lambda lib: lib.func.vmap(lambda a: (a, a, a), out_dims=(0, 1))(lib.zeros(3, 4)),
    "out_dims_str": lambda lib: lib.func.vmap(lib.sin, out_dims="x")(lib.zeros(3, 4)),
    "out_dim_out_of_range": lambda lib: lib.func.vmap(lib.sin, out_dims=2)(lib.zeros(3, 4)),
    "returns_a_number": lambda lib: lib.func.vmap(lambda a: 3.0)(lib.zeros(3, 4)),
    "returns_none": lambda lib: lib.func.vmap(lambda a: None)(lib.zeros(3, 4)),
    "batched_output_with_out_dim_none": lambda lib: lib.func.vmap(lambda a: a, out_dims=None)(lib.zeros(3, 4) +
                                                                                             lib.arange(3.0)[:, None]),
    "bad_randomness": lambda lib: lib.func.vmap(lib.sin, randomness="bad"),
    "chunk_size_zero": lambda lib: lib.func.vmap(lib.sin, chunk_size=0),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_match_torch(case):
    ours, theirs = _message(C, ERRORS[case]), _message(T, ERRORS[case])
    assert theirs is not None
    assert ours == theirs


@pytest.mark.parametrize("lib", [C, T], ids=["chaingrad", "torch"])
def test_out_dims_none_keeps_an_unbatched_output(lib):
    out = lib.func.vmap(lambda a: (a * 2, lib.ones(2)), out_dims=(0, None))(lib.zeros(3, 4))
    assert tuple(out[0].shape) == (3, 4) and tuple(out[1].shape) == (2,)
    assert lib.func.vmap(lambda a: (a, 7), out_dims=(0, None))(lib.zeros(3))[1] == 7


def test_chunk_size_gives_the_same_result():
    close(C.vmap(C.sin, chunk_size=2)(both(X)[0]), T.vmap(T.sin, chunk_size=2)(both(X)[1]))


def test_jacrev_and_vjp_of_parameter_dicts_match_torch():
    """torch's neural-tangent-kernel tutorial: vmap(jacrev(fnet_single), (None, 0))(params, x) with a dict."""
    res = []
    for lib in (C, T):
        model = TwoLayer.make(lib)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def fnet_single(params, x, lib=lib, model=model):
            return lib.func.functional_call(model, params, (x.unsqueeze(0),)).squeeze(0)

        x = lib.tensor(X, dtype=lib.float64)
        jac = lib.func.vmap(lib.func.jacrev(fnet_single), (None, 0))(params, x)
        out, vjp_fn = lib.func.vjp(lambda p, x=x: {"y": fnet_single(p, x[0]), "z": p["2.bias"] * 2}, params)
        grads = vjp_fn({"y": lib.ones(3, dtype=lib.float64), "z": lib.arange(3, dtype=lib.float64)})
        res.append((jac, out, grads))
    close(*res)
