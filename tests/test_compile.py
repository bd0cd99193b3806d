"""chaingrad.compile: a replay is eager's result bit for bit (np.array_equal over 20+ steps), guards re-trace
when what the trace depends on changes, graph breaks fall back to eager with a warning (or raise with
fullgraph=True), and ``.code`` is valid Python that gives the same results on its own."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chaingrad as torch
import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.compiler import CompileError
from chaingrad.compiler.inline import TABLE
from chaingrad.compiler.runtime import grads, grads_of_tensors

STEPS = 20


def _train(make, compiled: bool, steps: int = STEPS, **kw):
    torch.manual_seed(0)
    model, step, data, after = make()
    fn = torch.compile(step, **kw) if compiled else step
    outs = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to eager would warn: the replay itself must run
        for i in range(steps):
            out = fn(*data(i))
            outs.append(out._data.copy())
            if after is not None:
                after()
    state = [t._data.copy() for t in list(model.parameters()) + list(model.buffers())]
    return outs, state, fn


def _assert_same_as_eager(make, **kw):
    eager_outs, eager_state, _ = _train(make, False)
    outs, state, fn = _train(make, True, **kw)
    assert fn._last is not None and fn._eager_reason is None  # it was replayed, not run eagerly
    assert len(outs) == len(eager_outs) and len(state) == len(eager_state)
    for a, b in zip(outs + state, eager_outs + eager_state):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    return fn


# -- the seed's step ------------------------------------------------------------------------------------------
class _Seed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor([[0.5]]))
        self.b = nn.Parameter(torch.tensor([0.0]))


def _seed():
    params = _Seed()
    w, b = params.w, params.b
    x = torch.tensor([[1.0], [2.0], [3.0]])
    y_true = torch.tensor([[2.0], [4.0], [6.0]])
    lr = 0.01

    def step(x, y_true):
        y_pred = torch.matmul(x, w) + b
        loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
        loss.backward()
        with torch.no_grad():
            w.sub_(lr * w.grad)
            b.sub_(lr * b.grad)
        w.grad = None
        b.grad = None
        return loss

    return params, step, lambda i: (x, y_true), None


def test_seed_step_is_eager_bit_for_bit():
    fn = _assert_same_as_eager(_seed, fullgraph=True)
    code = fn.code
    assert "dL_dw = x.T @ " in code and "y_pred - y_true" in code and "= np.add.reduce(dL_dsub, axis=(0,))  " in code
    assert "# un-broadcast: sum over axes (0,) to shape (1,)" in code
    assert "# dL/dw = x^T @ dL/d" in code  # the backward line carries its formula, in the program's names


def test_a_step_compiled_under_cprofile_is_eager_and_leaves_the_profiler_running():
    import cProfile
    import sys

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        _assert_same_as_eager(_seed, fullgraph=True)
        still = sys.getprofile()
    finally:
        profiler.disable()
    assert still is profiler


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_scalar_arithmetic_without_asarray_is_eager_bit_for_bit(dtype):
    """0-d results used only by + - * / stay NumPy scalars in the replay (optimize.drop_asarray); one used by **
    is still a 0-d array, as eager's."""
    class P(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.tensor([0.37, -1.21, 2.03], dtype=dtype))

    def make():
        p = P()
        x = torch.tensor([1.13, 0.71, -0.29], dtype=dtype)

        def step():
            s = (p.w * x).sum()
            u = s * 0.3 - 1.7
            loss = (u / 1.3 + (-s) * s) / 7 + u ** 3
            loss.backward()
            with torch.no_grad():
                p.w -= 0.01 * p.w.grad
            p.w.grad = None
            return loss

        return p, step, lambda i: (), None

    code = _assert_same_as_eager(make, fullgraph=True).code
    assert "u = np.asarray(" in code  # (the operand of ** 3)
    assert "= s * 0.3  # Mul" in code and "s = np.add.reduce(" in code


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tanh_exp_graph_is_eager_bit_for_bit(dtype):
    """Exp and Tanh written inline (np.exp, np.tanh; their backward on the saved output), a leaf reached twice
    (its two gradients accumulated), a full sum's gradient filled in, and an update."""
    class P(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Parameter(torch.tensor([[0.1], [0.2], [0.3]], dtype=dtype))
            self.c = nn.Parameter(torch.tensor([[0.5], [-0.4], [0.3]], dtype=dtype))
            self.e = nn.Parameter(torch.tensor([[0.2], [0.7], [-0.6]], dtype=dtype))

    def make():
        p = P()

        def step():
            p.a.grad = None
            p.c.grad = None
            p.e.grad = None
            loss = ((p.a * p.c + p.a).tanh() ** 2 - p.c).exp().sum()
            loss = loss + ((p.a * p.c + p.e).tanh() * 0.25).sum() + (p.c * p.c).sum()
            loss.backward()
            with torch.no_grad():
                p.a -= 0.1 * p.a.grad
                p.c -= 0.1 * p.c.grad
                p.e -= 0.1 * p.e.grad
            return loss

        return p, step, lambda i: (), None

    code = _assert_same_as_eager(make, fullgraph=True).code
    assert "np.tanh(" in code and "np.exp(" in code and "(1 - tanh * tanh)" in code
    # accumulate written out (optimize.inline_accumulate): a first gradient copied (e's, which another line
    # reads), the first two of a leaf summed directly, then out-of-place sums into .grad (c's third and fourth)
    assert "p_e_t._grad = wrap(dL_dadd_2.copy())" in code and "p_a_t._grad = wrap(dL_dp_a + dL_dadd)" in code
    assert "p_c_t._grad = wrap(p_c_t._grad._data + " in code and "accumulate(" not in code


def test_constants_are_folded_and_never_shared():
    """The lines that depend on no input are computed once (optimize.fold_constants); what becomes a .grad is
    still an array of its own, changed in place from call to call as eager's."""
    class P(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.tensor([[0.25, -1.5], [2.0, 0.125]]))
            self.v = nn.Parameter(torch.tensor([0.5, 3.0]))

    def make():
        p = P()

        def step():
            loss = (p.w * 3.0).sum() * 0.7 + p.v.sum() + (p.v * p.v).mean() / 3
            loss.backward()
            with torch.no_grad():
                p.w.grad.mul_(0.5)  # (in place on the .grad: it must not be a shared constant)
                p.w -= 0.1 * p.w.grad
                p.v -= 0.1 * p.v.grad
            return loss

        return p, step, lambda i: (), None

    fn = _assert_same_as_eager(make, fullgraph=True)
    assert "# -- constants" in fn.code
    seed = _assert_same_as_eager(_seed, fullgraph=True).code
    assert "= np.ones((), np.float32)" in fn.code.split("def replay")[0]  # (at module level)
    # the seed's 0.5 * 2 is 1: its gradient of sub is sub itself (optimize.drop_unit_factors)
    assert "dL_dsub = sub " in seed and "const" not in seed
    # the seed's .grad is only read, then set to None: never made (optimize.drop_dead_grads); the .grad above
    # is changed in place, so it is made
    assert "accumulate(" not in seed and "w_grad = dL_dw  " in seed and "w_t.grad = None" not in seed
    assert fn.code.count("accumulate(") == 4 and "_grad._data" in fn.code


def test_unbroadcast_sums_are_eager_bit_for_bit():
    """Un-broadcast sums written out: over a leading axis broadcasting added (one sum) and over a stretched
    size-1 axis (a sum keeping it, reshaped), as unbroadcast() does."""
    class P(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.b = nn.Parameter(torch.tensor([0.3, -0.2, 0.9]))             # (3,) against (4, 3)
            self.s = nn.Parameter(torch.tensor([[1.1], [0.4], [-0.7], [2.0]]))  # (4, 1) against (4, 3)

    def make():
        p = P()
        x = torch.tensor([[0.13, -1.7, 2.2], [0.5, 0.25, -0.125], [3.0, -2.5, 1.75], [0.1, 0.2, 0.3]])

        def step():
            loss = ((x * p.s + p.b) ** 2).sum() * 0.01
            loss.backward()
            with torch.no_grad():
                p.b -= 0.1 * p.b.grad
                p.s -= 0.1 * p.s.grad
            p.b.grad = None
            p.s.grad = None
            return loss

        return p, step, lambda i: (), None

    code = _assert_same_as_eager(make, fullgraph=True).code
    assert "= np.add.reduce(dL_dadd, axis=(0,)) " in code and "axis=(1,), keepdims=True).reshape((4, 1))" in code


def test_code_runs_on_its_own():
    params, step, data, _ = _seed()
    fn = torch.compile(step)
    x, y = data(0)
    fn(x, y)
    fn(x, y)  # (a second variant: .grad is None on the first call only)
    w0, b0 = params.w._data.copy(), params.b._data.copy()
    namespace = {"w_t": params.w, "b_t": params.b}
    exec(fn.code, namespace)
    loss = namespace["replay"](x, y)
    w1, b1 = params.w._data.copy(), params.b._data.copy()
    params.w._data[...], params.b._data[...] = w0, b0
    expected = step(x, y)
    assert np.array_equal(loss._data, expected._data)
    assert np.array_equal(w1, params.w._data) and np.array_equal(b1, params.b._data)


# -- training steps ----------------------------------------------------------------------------------------------
def _mlp_adam():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = torch.randn(10, 8), torch.randint(0, 3, (10,))

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, step, lambda i: (x, y), None


def _lenet():
    model = nn.Sequential(nn.Conv2d(1, 4, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5), nn.ReLU(),
                          nn.AvgPool2d(2), nn.Flatten(), nn.Linear(6 * 5 * 5, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = torch.randn(4, 1, 28, 28), torch.randint(0, 10, (4,))
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, step, lambda i: (x, y), None


def _batchnorm_dropout_clip():
    model = nn.Sequential(nn.Linear(6, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Dropout(0.3), nn.Linear(12, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = torch.randn(8, 6), torch.randn(8, 1)

    def step(x, y):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        return loss

    return model, step, lambda i: (x, y), None


def _rnn_scheduler():
    rnn, head = nn.RNN(4, 8, batch_first=True), nn.Linear(8, 1)
    model = nn.ModuleList([rnn, head])
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    sched = torch.optim.lr_scheduler.StepLR(opt, 3, gamma=0.5)
    x, y = torch.randn(3, 5, 4), torch.randn(3, 1)

    def step(x, y):
        opt.zero_grad()
        out, h = rnn(x)
        loss = F.mse_loss(head(out[:, -1]), y)
        loss.backward()
        opt.step()
        return loss

    return model, step, lambda i: (x, y), sched.step  # the learning rate changes between calls


def _changing_batches():
    model = nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = [(torch.randn(5, 3), torch.randn(5, 2)) for _ in range(4)]

    def step(x, y):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    return model, step, lambda i: batches[i % 4], None


@pytest.mark.parametrize("make", [_mlp_adam, _lenet, _batchnorm_dropout_clip, _rnn_scheduler, _changing_batches],
                         ids=["mlp-adam", "lenet", "batchnorm-dropout-clip", "rnn-steplr", "new-data-each-step"])
def test_training_step_is_eager_bit_for_bit(make):
    _assert_same_as_eager(make)


def test_inline_ops_are_their_ops():
    """Each op written inline is the op's own forward and backward, bit for bit (each layout a product's
    gradient is chosen by, both ways)."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    c = rng.standard_normal((3, 4)).astype(np.float32) + 3
    g = rng.standard_normal((3, 4)).astype(np.float32)
    bias = rng.standard_normal(2).astype(np.float32)
    bt = np.asfortranarray(b)  # laid out column by column: eager takes the other product for its gradient
    from chaingrad.compiler.runtime import ctx
    from chaingrad.ops import arithmetic, linalg, matrix, reduce, shape, unary

    cases = [("Add", arithmetic.Add, (a, c)), ("Sub", arithmetic.Sub, (a, c)), ("Mul", arithmetic.Mul, (a, c)),
             ("Div", arithmetic.Div, (a, c)), ("Neg", getattr(arithmetic, "Neg", None) or unary.Neg, (a,)),
             ("MatMul", linalg.MatMul, (a, b)), ("MatMul", linalg.MatMul, (a, bt)), ("Pow", arithmetic.Pow, (c, 2)),
             ("Sum", reduce.Sum, (a,)), ("Exp", unary.Exp, (a,)), ("Tanh", unary.Tanh, (c - 3,)),
             ("AddMatmul", matrix.AddMatmul, (bias, a, b)), ("AddMatmul", matrix.AddMatmul, (bias, a, bt)),
             ("Permute", shape.Permute, (a,)), ("Relu", unary.Relu, (c - 3,))]
    params = {"Permute": {"dims": (1, 0)}}
    assert {name for name, _, _ in cases} == set(TABLE)
    for name, op, args in cases:
        env = {"np": np}
        codes = []
        for k, v in enumerate(args):
            if isinstance(v, np.ndarray):
                env[f"v{k}"] = v
                codes.append(f"v{k}")
            else:
                codes.append(repr(v))
        meta = tuple((v.shape, v.dtype) if isinstance(v, np.ndarray) else v for v in args)
        needs = tuple(isinstance(v, np.ndarray) for v in args)
        flags = tuple(isinstance(v, np.ndarray) and linalg.transposed(v) for v in args)
        c_ = ctx(op, needs, meta, bool(op.backward_on_arrays))
        p = params.get(name, {})
        out = op.forward(c_, *args, **p)
        fwd = TABLE[name].forward(codes, {k: repr(v) for k, v in p.items()})
        if "{out}" in fwd:
            exec(fwd.replace("{out}", "got"), env)
            assert np.array_equal(env["got"], out), name
        else:
            assert np.array_equal(eval(fwd, env), out), name
        env["y"] = out  # (what {y} stands for: the op's output)
        gout = g if out.shape == g.shape else rng.standard_normal(out.shape).astype(np.float32)
        env["g"] = gout
        expected = grads(op.backward(c_, gout), len(args)) if op.backward_on_arrays else \
            grads_of_tensors(c_, (gout,), len(args))
        for i, e in enumerate(expected):
            if e is None or not needs[i]:
                continue
            expr = TABLE[name].backward(codes, {k: repr(v) for k, v in p.items()}, i, "g",
                                        tuple(np.shape(v) for v in args), flags).replace("{y}", "y")
            if "{out}" in expr:  # a statement that makes the gradient
                exec(expr.replace("{out}", "got"), env)
                got = env["got"]
            else:
                got = gout if expr == "=g" else eval(expr, env)
            assert np.array_equal(got, e) and got.strides == e.strides, (name, i)


def _sgd_mlp(width: int = 256):
    """Linear layers big enough for the replay's in-place forms (optimize.write_in_place), SGD, .grad kept."""
    model = nn.Sequential(nn.Linear(64, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 5))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x, y = torch.randn(96, 64), torch.randint(0, 5, (96,))
    grads_seen = []

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    def after():  # every .grad as eager leaves it: its values, and an array of its own
        gs = [p.grad._data for p in model.parameters()]
        assert all(g.base is None or g.base.base is None for g in gs)
        assert not any(np.shares_memory(u, v) for i, u in enumerate(gs) for v in gs[i + 1:])
        grads_seen.append([g.copy() for g in gs])

    return model, step, lambda i: (x, y), after, grads_seen


def test_linear_relu_replay_works_in_place_and_is_eager_bit_for_bit():
    """Linear, ReLU and the weight's gradient are written as NumPy (inline.py), ReLU's forward and backward into
    the arrays they read last (optimize.write_in_place), the weight gradient as one product with no copy
    (optimize.fuse_transposes): every loss, parameter and .grad equals eager's over 20 steps."""
    runs = {}
    for compiled in (False, True):
        torch.manual_seed(0)
        model, step, data, after, seen = _sgd_mlp()
        fn = torch.compile(step, fullgraph=True) if compiled else step
        losses = []
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for i in range(STEPS):
                losses.append(fn(*data(i))._data.copy())
                after()
        runs[compiled] = (losses, [p._data.copy() for p in model.parameters()], seen, fn)
    (l0, p0, g0, _), (l1, p1, g1, fn) = runs[False], runs[True]
    for a, b in zip(l0 + p0 + [g for gs in g0 for g in gs], l1 + p1 + [g for gs in g1 for g in gs]):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    code = fn.code
    assert "= np.maximum(addmatmul, 0, out=addmatmul)" in code and ", out=dL_drelu)" in code
    assert "_weight = dL_daddmatmul.T @ x" in code and "_weight_t._grad = wrap(dL_d" in code
    assert "_weight.copy()" not in code and "accumulate(" not in code  # (after zero_grad every .grad is None)


def test_layout_guard_retraces_when_a_weight_is_laid_out_column_by_column():
    """The weight gradient's product is chosen by the weight's layout, as eager chooses it: a weight whose array
    becomes column-major traces again (a guard), and the replay still equals eager."""
    def make():
        torch.manual_seed(0)
        model = nn.Linear(6, 4)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x, y = torch.randn(5, 6), torch.randn(5, 4)

        def step():
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        return model, step

    results = {}
    for compiled in (False, True):
        model, step = make()
        fn = torch.compile(step, fullgraph=True) if compiled else step
        out = []
        for i in range(6):
            if i == 3:
                model.weight._data = np.asfortranarray(model.weight._data)  # (same values, other layout)
            out.append(fn()._data.copy())
            out.append(model.weight.grad._data.copy())
        results[compiled] = out, model.weight._data.copy(), fn
    (a, wa, _), (b, wb, fn) = results[False], results[True]
    assert all(np.array_equal(u, v) for u, v in zip(a, b)) and np.array_equal(wa, wb)
    # (a variant for the first call, .grad None, one for the next ones, and one for the new layout)
    assert fn.variants == 3 and all("transposed(" in check.source for check, _ in fn._cache)


def test_in_place_only_where_nothing_else_reads_the_array():
    """An activation read by two later lines is never overwritten (optimize.write_in_place); the results equal
    eager's."""
    def make():
        model = nn.Sequential(nn.Linear(32, 128), nn.ReLU())
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        x = torch.randn(160, 32)

        def step(x):
            opt.zero_grad()
            h = model(x)
            z = h * 0.5 - h
            loss = (z * h).sum() + h.sum()
            loss.backward()
            opt.step()
            return loss

        return model, step, lambda i: (x,), None

    fn = _assert_same_as_eager(make, fullgraph=True)
    assert "out=relu" not in fn.code.split("loss = ")[0]  # (relu is read again after z)


# -- the API -------------------------------------------------------------------------------------------------------
def test_decorator_with_and_without_arguments():
    @torch.compile
    def f(x):
        return (x * 2 + 1).sum()

    @torch.compile(fullgraph=True)
    def g(x):
        return (x * 2 + 1).sum()

    x = torch.randn(4)
    for _ in range(3):
        assert np.array_equal(f(x)._data, (x * 2 + 1).sum()._data)
        assert np.array_equal(g(x)._data, (x * 2 + 1).sum()._data)
    assert "def replay(x_t)" in f.code


def test_unsupported_arguments_raise():
    with pytest.raises(NotImplementedError, match="dynamic=True"):
        torch.compile(lambda x: x, dynamic=True)
    with pytest.raises(NotImplementedError, match="backend"):
        torch.compile(lambda x: x, backend="cudagraphs")
    with pytest.raises(NotImplementedError, match="mode"):
        torch.compile(lambda x: x, mode="max-autotune")
    with pytest.raises(NotImplementedError, match="options"):
        torch.compile(lambda x: x, options={"trace.enabled": True})


def test_module_wrapper_and_state_dict_round_trip():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
    compiled = torch.compile(model)
    assert compiled._orig_mod is model and isinstance(compiled, torch.compiler.OptimizedModule)
    x = torch.randn(3, 4)
    with torch.no_grad():
        for _ in range(3):
            assert np.array_equal(compiled(x)._data, model(x)._data)
    sd = compiled.state_dict()
    assert sorted(sd) == sorted("_orig_mod." + k for k in model.state_dict())
    other = torch.compile(nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)))
    other.load_state_dict(sd)
    with torch.no_grad():
        assert np.array_equal(other(x)._data, model(x)._data)
    model.note = "kept"
    assert isinstance(compiled, nn.Module) and compiled.training and compiled.note == "kept"
    assert [id(p) for p in compiled.parameters()] == [id(p) for p in model.parameters()]
    compiled.eval()
    assert not model.training


def test_compiled_forward_gets_a_compiled_backward():
    """A compiled module whose outputs require grad: loss.backward() outside runs the generated backward, and
    20 steps of training equal eager's bit for bit."""
    results = []
    for compiled in (False, True):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
        run = torch.compile(model) if compiled else model
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        x, y = torch.randn(6, 3), torch.randn(6, 2)
        outs = []
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for _ in range(STEPS):
                opt.zero_grad()
                out = run(x)
                loss = F.mse_loss(out, y) + out.sum() * 0.1  # the output used twice
                loss.backward()
                opt.step()
                outs.append(loss._data.copy())
        if compiled:
            assert "def backward(" in run.code and type(out.grad_fn).__name__ == "CompiledBackward"
        results.append(outs + [p._data.copy() for p in model.parameters()])
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_compiled_backward_errors_are_eagers():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    run = torch.compile(model)
    x = torch.randn(4, 3)
    for _ in range(2):
        out = run(x)
    out.sum().backward(retain_graph=True)
    out.sum().backward()  # retain_graph: a second backward accumulates
    assert np.array_equal(model.bias.grad._data, np.array([8.0], np.float32))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.sum().backward()
    for _ in range(2):  # (.grad is set now: a new variant, traced on the first of these calls)
        out = run(x)
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        out.sum().backward(create_graph=True)


def test_backward_through_a_replayed_output_raises():
    params, step, data, _ = _seed()
    fn = torch.compile(step)
    for _ in range(3):
        loss = fn(*data(0))
    assert loss.requires_grad
    with pytest.raises(NotImplementedError, match="inside the compiled function"):
        loss.backward()


def test_disable_and_environment_variable(monkeypatch):
    class Counter:
        n = 0

    counter = Counter()

    def f(x):
        counter.n += 1  # a Python side effect: with compile on, it runs while tracing only
        return x + 1

    x = torch.randn(2)
    on = torch.compile(f)
    for _ in range(3):
        assert np.array_equal(on(x)._data, x._data + 1)
    assert counter.n == 1
    off = torch.compile(f, disable=True)
    for _ in range(3):
        off(x)
    assert counter.n == 4
    monkeypatch.setenv("CHAINGRAD_COMPILE", "0")
    for _ in range(3):
        on(x)
    assert counter.n == 7


# -- guards ----------------------------------------------------------------------------------------------------
def _check_guard(change, steps: int = 4):
    """Compiled and eager runs of the same program, with ``change(i, env)`` applied before each call."""
    results = []
    for compiled in (False, True):
        torch.manual_seed(0)
        env = {"model": nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 1)), "lr": 0.1,
               "x": torch.randn(6, 3)}
        model, env_lr = env["model"], [env["lr"]]

        def step(x, model=model, env_lr=env_lr):
            out = model(x)
            loss = (out * out).mean()
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    if p.grad is not None:
                        p.sub_(env_lr[0] * p.grad)
                        p.grad = None
            return loss

        fn = torch.compile(step) if compiled else step
        outs = []
        for i in range(steps):
            change(i, env)
            env_lr[0] = env["lr"]
            outs.append(fn(env["x"])._data.copy())
        if compiled:
            assert fn._eager_reason is None and fn._last is not None
        outs += [p._data.copy() for p in model.parameters()]
        results.append(outs)
    for a, b in zip(*results):
        assert np.array_equal(a, b)


def test_guard_input_shape_and_dtype():
    def change(i, env):
        if i == 2:
            env["x"] = torch.randn(4, 3)
        if i == 3:
            env["x"] = torch.randn(4, 3, dtype=torch.float64)
            env["model"].double()

    _check_guard(change)


def test_guard_python_number_in_a_closure():
    def change(i, env):
        env["lr"] = 0.1 * (i + 1)  # a Python number the trace read changes

    _check_guard(change)


def test_guard_training_flag():
    def change(i, env):
        env["model"].train(i % 2 == 0)  # dropout on, off

    _check_guard(change)


def test_guard_parameter_set_and_requires_grad():
    def change(i, env):
        if i == 2:
            env["model"][0].weight = nn.Parameter(torch.randn(4, 3))
        if i == 3:
            env["model"][2].bias.requires_grad_(False)

    _check_guard(change, steps=5)


def test_guard_global_number_and_grad_mode():
    state = {"scale": 2.0}

    def f(x):
        return (x * state["scale"] + SCALE).sum()

    fn = torch.compile(f)
    x = torch.randn(3, requires_grad=True)
    with torch.no_grad():
        for k in range(4):
            globals()["SCALE"] = float(k)
            assert np.array_equal(fn(x)._data, f(x)._data)
    for _ in range(2):  # grad mode on: a new variant, whose output requires grad (a compiled backward)
        out = fn(x)
    out.backward()
    assert out.grad_fn is not None and np.array_equal(x.grad._data, np.full(3, 2.0, np.float32))


SCALE = 0.0


def test_guard_adam_hyper_parameters_change():
    torch.manual_seed(0)

    def run(compiled):
        torch.manual_seed(0)
        model = nn.Linear(3, 2)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        x = torch.randn(4, 3)

        def step(x):
            opt.zero_grad()
            loss = model(x).pow(2).mean()
            loss.backward()
            opt.step()
            return loss

        fn = torch.compile(step) if compiled else step
        outs = []
        for i in range(6):
            opt.param_groups[0]["lr"] = 0.01 * (i + 1)
            opt.param_groups[0]["betas"] = (0.9 - 0.01 * i, 0.999)
            outs.append(fn(x)._data.copy())
        return outs + [p._data.copy() for p in model.parameters()]

    for a, b in zip(run(False), run(True)):
        assert np.array_equal(a, b)


def test_cache_limit_then_eager_with_one_warning():
    fn = torch.compile(lambda x: (x * 3).sum())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(1, 12):
            x = torch.randn(n)
            assert np.array_equal(fn(x)._data, (x * 3).sum()._data)
    messages = [str(w.message) for w in caught if "chaingrad.compile" in str(w.message)]
    assert len(messages) == 1 and "8 variants" in messages[0]
    assert fn.variants == 8


# -- graph breaks -------------------------------------------------------------------------------------------------
def _reads(how):
    def f(x):
        y = x * 2
        if how == "item":
            v = y.sum().item()
        elif how == "float":
            v = float(y.sum())
        elif how == "bool":
            v = 1.0 if y.sum() > 0 else -1.0
        elif how == "tolist":
            v = y.tolist()[0]
        elif how == "numpy":
            v = float(y.numpy()[0])
        elif how == "nonzero":
            v = y[y.nonzero()[:, 0]].sum()
        elif how == "mask":
            v = y[y > 0].sum()
        elif how == "unique":
            v = torch.unique(y).sum()
        return y * v

    return f


@pytest.mark.parametrize("how", ["item", "float", "bool", "tolist", "numpy", "nonzero", "mask", "unique"])
def test_graph_break_falls_back_to_eager_with_one_warning(how):
    f = _reads(how)
    fn = torch.compile(f)
    xs = [torch.randn(5) for _ in range(4)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for x in xs:
            assert np.array_equal(fn(x)._data, f(x)._data)
    messages = [str(w.message) for w in caught if "chaingrad.compile" in str(w.message)]
    assert len(messages) == 1 and "runs eagerly" in messages[0] and "test_compile.py:" in messages[0]


@pytest.mark.parametrize("how", ["item", "bool", "tolist", "numpy", "nonzero", "mask"])
def test_graph_break_with_fullgraph_raises_naming_the_line(how):
    fn = torch.compile(_reads(how), fullgraph=True)
    with pytest.raises(CompileError, match=r"test_compile\.py:\d+"):
        fn(torch.randn(5))


def test_untraced_change_of_an_outside_tensor_falls_back():
    w = torch.randn(3)

    def f(x):
        w._data += 1  # NumPy on a tensor's array: not followed
        w._version[0] += 1
        return (x * w).sum()

    fn = torch.compile(f)
    with pytest.warns(UserWarning, match="changed by code that chaingrad.compile does not follow"):
        fn(torch.randn(3))
    x = torch.randn(3)
    before = w._data.copy()
    fn(x)
    assert np.array_equal(w._data, before + 1)


def test_freeing_arrays_after_their_last_use_changes_no_bit(monkeypatch):
    """The replay frees big arrays after their last use (codegen.FREE_BYTES); freeing every one of them gives
    eager's results too."""
    from chaingrad.compiler import codegen, tracer

    monkeypatch.setattr(codegen, "FREE_BYTES", 0)
    monkeypatch.setattr(tracer, "FREE_BYTES", 0)
    fn = _assert_same_as_eager(_mlp_adam)
    assert "    del " in fn.code
    fn = _assert_same_as_eager(_lenet)
    assert "    del " in fn.code


@pytest.mark.filterwarnings("ignore:Detected call of .lr_scheduler.step... before .optimizer.step...:UserWarning")
def test_guard_learning_rate_read_from_param_groups():
    """A step that reads lr from the optimizer itself (not through optimizer.step) traces again when it changes."""
    def run(compiled):
        torch.manual_seed(0)
        w = torch.randn(3, requires_grad=True)
        opt = torch.optim.SGD([w], lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)
        x = torch.randn(3)

        def step(x):
            loss = (w * x).sum() ** 2
            loss.backward()
            with torch.no_grad():
                w.sub_(opt.param_groups[0]["lr"] * w.grad)
            w.grad = None
            return loss

        fn = torch.compile(step) if compiled else step
        outs = []
        for _ in range(6):
            outs.append(fn(x)._data.copy())
            sched.step()
        return outs + [w._data.copy()]

    for a, b in zip(run(False), run(True)):
        assert np.array_equal(a, b)


def test_guard_optimizer_parameters_change():
    """A parameter dropped from a group, a parameter swapped in, and a group added between calls: each traces
    again (the replay knows which .grad zero_grad() cleared), and every step equals eager's."""
    def run(compiled):
        torch.manual_seed(0)
        a, b, c = (torch.randn(3, requires_grad=True) for _ in range(3))
        opt = torch.optim.SGD([a, b], lr=0.1)
        x = torch.randn(3)

        def step(x):
            opt.zero_grad()
            loss = ((a * x).sum() + (b * c * x).sum()) ** 2
            loss.backward()
            opt.step()
            return loss

        fn = torch.compile(step) if compiled else step
        outs = []
        for i in range(9):
            if i == 3:
                opt.param_groups[0]["params"].pop()  # b's .grad now accumulates
            if i == 5:
                opt.param_groups[0]["params"].append(c)
            if i == 7:
                opt.add_param_group({"params": [b], "lr": 0.05})
            outs.append(fn(x)._data.copy())
            outs += [t.grad._data.copy() for t in (a, b, c)]
        if compiled:
            assert fn._eager_reason is None
        return outs + [t._data.copy() for t in (a, b, c)]

    for u, v in zip(run(False), run(True)):
        assert np.array_equal(u, v)


class _Config:
    def __init__(self) -> None:
        self.scale = 2.0


CONFIG = _Config()


def test_guard_number_held_by_a_config_object():
    def f(x):
        return (x * CONFIG.scale).sum()

    fn = torch.compile(f)
    x = torch.randn(3)
    for k in range(4):
        CONFIG.scale = 1.0 + k
        assert np.array_equal(fn(x)._data, f(x)._data)
    assert fn.variants == 4


TABLE_OF_WEIGHTS = np.array([1.0, 2.0, 3.0], np.float32)


def test_numpy_arrays_reached_by_name_are_read_as_they_are_and_made_ones_break():
    def f(x):
        return (x * torch.from_numpy(TABLE_OF_WEIGHTS)).sum()

    fn = torch.compile(f, fullgraph=True)
    x = torch.randn(3)
    for k in range(3):
        TABLE_OF_WEIGHTS[0] = k  # changed in place: the replay reads the array itself
        assert np.array_equal(fn(x)._data, f(x)._data)

    def g(x):
        return (x * torch.from_numpy(x._data * 2)).sum()  # NumPy on a tensor's array

    with pytest.raises(CompileError, match="did not see being made"):
        torch.compile(g, fullgraph=True)(x)


def test_guard_reads_a_replaced_array_by_its_shape_and_dtype():
    """The guards take a tensor's array being the traced one as proof of its shape and dtype (the replay writes
    into it in place); a new array of the same shape and dtype needs no new trace, another dtype does."""
    w = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    x = torch.tensor([[1.0, 2.0], [3.0, -4.0]])

    def step():
        loss = (x @ w).sum()
        loss.backward()
        with torch.no_grad():
            w.sub_(0.1 * w.grad)
        w.grad = None
        return loss

    fn = torch.compile(step, fullgraph=True)
    expected = []
    w0 = w._data.copy()
    for i in range(4):
        if i == 2:
            w._data = w._data.copy()  # (a new array, the same shape and dtype)
        expected.append(step()._data.copy())
    w._data = w0.copy()
    for i in range(4):
        if i == 2:
            w._data = w._data.copy()
        assert np.array_equal(fn()._data, expected[i])
    assert fn.variants == 1
    w._data, x._data = w._data.astype(np.float64), x._data.astype(np.float64)  # (another dtype: traced again)
    w1 = w._data.copy()
    e, we = step()._data.copy(), w._data.copy()
    w._data = w1
    out = fn()
    assert out._data.dtype == np.float64 and np.array_equal(out._data, e) and np.array_equal(w._data, we)
    assert fn.variants == 2


def test_an_arguments_layout_is_looked_at_on_every_call():
    """A product's gradient chosen by an argument's layout is not guarded (another call may pass another
    array): the replay calls the op's own backward, which looks at the layout each time."""
    x = torch.randn(5, 4)
    w0 = torch.randn(3, 4)

    def step(x, w):
        loss = (x @ w.t()).sum()
        loss.backward()
        return loss

    fn = torch.compile(step, fullgraph=True)
    for arr in (w0._data, np.asfortranarray(w0._data), w0._data.copy(), np.asfortranarray(w0._data)):
        w_eager, w_comp = torch.tensor(arr, requires_grad=True), torch.tensor(arr, requires_grad=True)
        w_eager._data, w_comp._data = arr.copy(order="K"), arr.copy(order="K")
        assert np.array_equal(step(x, w_eager)._data, fn(x, w_comp)._data)
        assert np.array_equal(w_eager.grad._data, w_comp.grad._data)
        assert w_eager.grad._data.strides == w_comp.grad._data.strides
    assert fn.variants == 1 and "MatMul.backward" in fn.code


def test_compiled_forward_keeps_what_its_backward_reads():
    """A compiled forward's arrays read by its compiled backward (ReLU's output, the activations of the weight
    gradients) are never written in place, however big: loss.backward() outside equals eager's."""
    def run(compiled: bool):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 4))
        fwd = torch.compile(model) if compiled else model
        x = torch.randn(96, 64)
        out = []
        for _ in range(4):
            for p in model.parameters():
                p.grad = None
            loss = (fwd(x) ** 2).mean()
            loss.backward()
            out += [loss._data.copy()] + [p.grad._data.copy() for p in model.parameters()]
            with torch.no_grad():
                for p in model.parameters():
                    p -= 0.01 * p.grad
        return out, fwd

    eager, _ = run(False)
    comp, fwd = run(True)
    assert all(np.array_equal(a, b) for a, b in zip(eager, comp)) and len(eager) == len(comp)
    assert "def backward(" in fwd.code and "np.maximum(" in fwd.code


def test_unit_factor_keeps_every_bit_of_infinities_and_nans():
    """dL_dsub = sub (optimize.drop_unit_factors): the same bits as eager's 1 * sub, infinities and NaNs too."""
    def make():
        w = torch.tensor([[0.5]], requires_grad=True)
        b = torch.tensor([0.0], requires_grad=True)
        x = torch.tensor([[1.0], [0.0], [float("inf")], [-2.0]])
        y = torch.tensor([[0.5], [0.0], [1.0], [float("nan")]])

        def step():
            loss = 0.5 * torch.sum((torch.matmul(x, w) + b - y) ** 2)
            loss.backward()
            with torch.no_grad():
                w.sub_(0.01 * w.grad)
                b.sub_(0.01 * b.grad)
            w.grad = None
            b.grad = None
            return loss

        return w, b, step

    def bits(*arrays):
        return [a.view(np.uint32).copy() for a in arrays]

    w, b, step = make()
    eager = [bits(step()._data, w._data, b._data) for _ in range(4)]
    w, b, step = make()
    fn = torch.compile(step, fullgraph=True)
    comp = [bits(fn()._data, w._data, b._data) for _ in range(4)]
    assert all(np.array_equal(e, c) for es, cs in zip(eager, comp) for e, c in zip(es, cs))
    assert "dL_dsub = sub " in fn.code


def test_tracing_code_with_objects_that_do_things_when_asked_for_attributes():
    # ctypes' library loaders open a library by any attribute name asked for; the naming of traced arrays
    # and the guards ask objects in the user's frames for attributes
    import ctypes

    class Touchy:
        def __getattr__(self, name):
            raise OSError(f"{name}: asked")

    touchy = Touchy()

    def step(x, loader=ctypes.cdll):
        local_loader, local_touchy = loader, touchy
        y = (x * 2).sum()
        return y, local_loader is not None and local_touchy is not None

    x = torch.ones(3, requires_grad=True)
    compiled = torch.compile(step)
    for _ in range(2):
        out, flag = compiled(x)
        assert out.item() == 6.0 and flag


def _cross_entropy_run(compiled: bool, loss_of, classes: int, dtype, targets, steps: int = STEPS):
    """A Linear + loss step with SGD, eager or compiled: its losses, .grad and parameters, step by step."""
    torch.manual_seed(0)
    model = nn.Linear(6, classes).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(len(targets), 6).to(dtype)
    y = torch.tensor(targets)

    def step(x, y):
        opt.zero_grad()
        loss = loss_of(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = torch.compile(step, fullgraph=True) if compiled else step
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (all rows ignored: 0/0 in the backward warns, in eager as in the replay)
        for _ in range(steps):
            seen.append(fn(x, y)._data.copy())
            seen += [p.grad._data.copy() for p in model.parameters()] + [p._data.copy() for p in model.parameters()]
    return seen, fn


_SOME_IGNORED = [0, 3, -100, 2, 1, -100, 4, 0]


@pytest.mark.parametrize("loss_of, classes, dtype, targets", [
    (F.cross_entropy, 5, torch.float32, [0, 3, 1, 2, 1, 4, 4, 0]),
    (nn.CrossEntropyLoss(), 5, torch.float32, _SOME_IGNORED),
    (lambda z, y: F.nll_loss(F.log_softmax(z, dim=-1), y, ignore_index=3), 5, torch.float64, [0, 3, 1, 2, 3, 4]),
    (F.cross_entropy, 5, torch.float32, [-100] * 4),  # every row ignored: a nan loss, nan gradients
    (F.cross_entropy, 2100, torch.float32, _SOME_IGNORED),  # 64 KiB arrays: the replay writes them in place
], ids=["plain", "ignored-rows", "log_softmax-nll-float64", "all-ignored", "wide"])
def test_cross_entropy_written_out_is_eager_bit_for_bit(loss_of, classes, dtype, targets):
    """log_softmax + nll_loss written as NumPy lines (compiler/cross_entropy.py): the loss, every .grad and
    parameter equal eager's bit for bit over 20 steps (nan where eager gives nan), and the ops are not called."""
    eager, _ = _cross_entropy_run(False, loss_of, classes, dtype, targets)
    comp, fn = _cross_entropy_run(True, loss_of, classes, dtype, targets)
    assert fn._last is not None and fn._eager_reason is None
    assert len(eager) == len(comp)
    for a, b in zip(eager, comp):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    assert "np.amax(" in fn.code and "NllLoss." not in fn.code and "LogSoftmax." not in fn.code


def test_cross_entropy_cases_not_written_out_call_the_ops():
    """Class weights (or another reduction) keep the ops' own forward and backward, and still equal eager."""
    weight = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0])
    for loss_of in (nn.CrossEntropyLoss(weight=weight), nn.CrossEntropyLoss(reduction="sum")):
        eager, _ = _cross_entropy_run(False, loss_of, 5, torch.float32, _SOME_IGNORED, steps=5)
        comp, fn = _cross_entropy_run(True, loss_of, 5, torch.float32, _SOME_IGNORED, steps=5)
        assert all(np.array_equal(a, b) for a, b in zip(eager, comp)) and len(eager) == len(comp)
        assert "NllLoss.forward(" in fn.code


@pytest.mark.parametrize("loss_of", ["cross_entropy", "log_softmax_nll", "weighted"])
def test_compiled_losses_check_their_targets_on_every_call(loss_of):
    # the target check runs in the replay too: a negative class would otherwise pick a class from the end
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    weight = torch.tensor([1.0, 2.0, 0.5])

    def step(x, t):
        z = model(x)
        if loss_of == "cross_entropy":
            loss = nn.functional.cross_entropy(z, t)
        elif loss_of == "weighted":
            loss = nn.functional.cross_entropy(z, t, weight=weight)
        else:
            loss = nn.functional.nll_loss(nn.functional.log_softmax(z, dim=1), t)
        loss.backward()
        return loss

    compiled = torch.compile(step)
    x = torch.randn(5, 4)
    good = torch.tensor([0, 2, 1, -100, 2])
    assert compiled(x, good).item() == step(x, good).item()
    for bad in (torch.tensor([0, 2, -1, 1, 2]), torch.tensor([0, 3, 1, 1, 2])):
        with pytest.raises(IndexError, match="out of bounds"):
            compiled(x, bad)


def test_module_compile_in_place():
    # torch 2's model.compile(): the module itself now runs its forward's replay; a deep copy compiles its own
    import copy

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x = torch.randn(5, 3)
    eager = model(x)
    assert model.compile() is None
    assert np.array_equal(model(x).detach().numpy(), eager.detach().numpy())
    assert "_compiled_forward" in model.__dict__ and list(model.state_dict()) == ["0.weight", "0.bias", "2.weight",
                                                                                  "2.bias"]
    twin = copy.deepcopy(model)
    with torch.no_grad():
        twin[2].bias.fill_(10.0)
    assert np.array_equal(model(x).detach().numpy(), eager.detach().numpy())
    np.testing.assert_allclose(twin(x).detach().numpy(), (eager - model[2].bias + 10.0).detach().numpy(), rtol=1e-6)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model(x).sum().backward()
    opt.step()
    assert not np.array_equal(model(x).detach().numpy(), eager.detach().numpy())
