"""chaingrad.compile(backend="numba"): the step's array arithmetic fused into numba functions.

Where it is exact, and where not: sums, products and elementwise arithmetic give eager's bits (sums add in
NumPy's pairwise order, numbers keep the arrays' dtype); exp, log and tanh come from another implementation than
NumPy's and may differ in the last bit, so steps that use them agree with eager within a stated tolerance.
numba is in the test extra: these tests need it and fail (they are not skipped) without it.
"""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import pytest

import chaingrad as torch
import chaingrad.nn as nn
import chaingrad.nn.functional as F
from chaingrad.compiler import CompileError

try:
    import numba  # noqa: F401
except ImportError as e:  # (not a skip: the test extra installs numba)
    raise ImportError("tests/test_compile_numba.py needs numba, which the test extra installs: "
                      "pip install -e '.[test]'") from e

#: how far a float32 / float64 step that calls exp, log or tanh may drift from eager's over 20 steps
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}


def _run(make, backend, steps=20, **kw):
    """``make()`` -> (tensors, step): the step's outputs over ``steps`` calls, then the tensors and their .grad."""
    tensors, step = make()
    fn = torch.compile(step, backend=backend, **kw) if backend != "eager" else step
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to the default backend would warn: the fused code must run
        outs = [fn()._data.copy() for _ in range(steps)]
    return outs + [t._data.copy() for t in tensors] + [t.grad._data.copy() for t in tensors if t.grad is not None], fn


def _compare(make, exact: bool, dtype=np.float32, steps=20, **kw):
    eager, _ = _run(make, "eager", steps)
    fused, fn = _run(make, "numba", steps, **kw)
    assert fn._last is not None and "@njit" in fn.code  # (replayed by the fused code)
    assert len(fused) == len(eager)
    for a, b in zip(fused, eager):
        assert a.dtype == b.dtype and a.shape == b.shape
        if exact:
            assert np.array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, **TOLERANCE[dtype])
    return fn


def _seed(dtype, n):
    def make():
        rng = np.random.default_rng(0)
        x_np = rng.standard_normal((n, 1)).astype(dtype)
        x, y_true = torch.tensor(x_np), torch.tensor(2 * x_np + 1)
        w = torch.tensor(np.array([[0.5]], dtype), requires_grad=True)
        b = torch.tensor(np.array([0.0], dtype), requires_grad=True)

        def step():
            y_pred = torch.matmul(x, w) + b
            loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
            loss.backward()
            with torch.no_grad():
                w.sub_(0.01 * w.grad)
                b.sub_(0.01 * b.grad)
            w.grad = None
            b.grad = None
            return loss

        return [w, b], step

    return make


@pytest.mark.parametrize("dtype, n", [(np.float32, 3), (np.float64, 100)])
def test_seed_step_is_eager_bit_for_bit(dtype, n):
    """The seed's step fused into one kernel: 20 steps give eager's losses and parameters, bit for bit (its full
    sum adds 100 squares in NumPy's pairwise order; the leading-axis sum and the products are NumPy's)."""
    fn = _compare(_seed(dtype, n), exact=True, fullgraph=True)
    code = fn.code
    assert '@njit(cache=False, error_model="numpy")\ndef fused(' in code and code.count("@njit") == 1
    assert "dL_dw = x.T @ dL_dsub" in code and "sum_ = total(pow_)" in code and "np.sum(dL_dsub, axis=0)" in code
    if dtype == np.float32:  # (Python numbers in the array's dtype, as NumPy computes them)
        assert "w_grad * np.float32(0.01)" in code and "loss = np.asarray(loss, np.float32)" in code
    assert "w -= mul" in code and "w_t._version[0] += 1" in code  # (the update in the kernel, the version outside)


def _mlp(dtype, act: str, loss: str):
    def make():
        torch.manual_seed(0)
        layers = [nn.Linear(12, 16), nn.ReLU() if act == "relu" else nn.Tanh(), nn.Linear(16, 4)]
        model = nn.Sequential(*layers)
        model = model.to(torch.float64 if dtype == np.float64 else torch.float32)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        rng = np.random.default_rng(1)
        x = torch.tensor(rng.standard_normal((8, 12)).astype(dtype))
        if loss == "mse":
            y, loss_fn = torch.tensor(rng.standard_normal((8, 4)).astype(dtype)), nn.MSELoss()
        else:
            y, loss_fn = torch.tensor(rng.integers(0, 4, 8)), nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            out = loss_fn(model(x), y)
            out.backward()
            opt.step()
            return out

        return list(model.parameters()), step

    return make


def test_relu_mlp_step_with_mse_is_eager_bit_for_bit():
    """Linear, ReLU, MSELoss and SGD's step: no exp or log, so 20 fused steps are eager's bit for bit (the
    optimizer's step runs in Python, after the kernel)."""
    fn = _compare(_mlp(np.float32, "relu", "mse"), exact=True)
    code = fn.code
    assert "np.maximum(addmatmul, np.float32(0.0))" in code and "opt.step()" in code
    assert re.search(r"accumulate\(model_0_weight_t, dL_dmodel_0_weight, True\)|model_0_weight_t\._grad = wrap\("
                     r"dL_dmodel_0_weight\)", code)  # (.grad set after the kernel, by accumulate or written out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_step_with_tanh_and_cross_entropy_is_close(dtype):
    """exp, log and tanh (in Tanh and log-softmax) are numba's, not NumPy's SIMD functions: 20 steps agree with
    eager within TOLERANCE."""
    fn = _compare(_mlp(dtype, "tanh", "ce"), exact=False, dtype=dtype, fullgraph=True)
    assert "log_softmax(" in fn.code and "nll_loss_backward(" in fn.code and "np.tanh(" in fn.code


def test_small_graph_is_close_and_sums_gradients_in_the_kernel():
    def make():
        a = torch.tensor([[0.1], [0.2], [0.3]], requires_grad=True)
        c = torch.tensor([[0.5], [-0.4], [0.3]], requires_grad=True)

        def step():
            a.grad = None
            c.grad = None
            loss = ((a * c + a).tanh() ** 2 - c).exp().sum()
            loss.backward()
            return loss

        return [a, c], step

    fn = _compare(make, exact=False, steps=3, fullgraph=True)
    # each .grad: its two gradients summed in the kernel, wrapped after it
    assert "a_grad = dL_dadd + dL_da" in fn.code and "a_t._grad = wrap(a_grad)" in fn.code


def test_every_op_entry_against_the_op():
    """Each entry of numba_ops.TABLE in one fused step (two kernels: a tensor factory runs between them): the
    loss and the gradients against eager's."""
    from chaingrad.compiler.numba_ops import TABLE

    def make():
        torch.manual_seed(0)
        p = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
        q = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
        r = torch.randn(6, dtype=torch.float64, requires_grad=True)
        c = torch.randn(3, dtype=torch.float64, requires_grad=True)
        target = torch.tensor([0, 2, -100, 1])

        def step():
            p.grad = q.grad = r.grad = c.grad = None
            h = torch.relu(p) + torch.log(p.abs() + 1) + torch.sqrt(p * p + 1) + torch.sigmoid(p)
            h = torch.maximum(h, r) - torch.minimum(p, r * 0.5)
            m = h.mean() + h.mean(dim=0).sum() + h.mean(dim=1, keepdim=True).sum()
            t = torch.addmm(c, h, q).reshape(3, 4).permute(1, 0)
            nll = F.nll_loss(F.log_softmax(t, dim=1), target, reduction="sum")
            loss = m + nll + F.mse_loss(t, torch.ones(4, 3, dtype=torch.float64) * 0.25, reduction="sum")
            loss.backward()
            return loss

        return [p, q, r, c], step

    fn = _compare(make, exact=False, dtype=np.float64, steps=2, fullgraph=True)
    used = {name for name in TABLE if f"# {name}" in fn.code}
    assert used == set(TABLE), f"not covered here: {set(TABLE) - used}"
    assert "def fused_2(" in fn.code and "ones(4, 3, dtype=" in fn.code


def test_untranslatable_op_falls_back_to_the_default_backend_with_one_warning():
    """An op without a numba translation: one warning naming it, then the default replay (eager's bits);
    with fullgraph=True a CompileError."""
    def make():
        w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)

        def step():
            loss = torch.cumsum(w * w, 0).sum()
            loss.backward()
            with torch.no_grad():
                w.sub_(0.1 * w.grad)
            w.grad = None
            return loss

        return [w], step

    eager, _ = _run(make, "eager", steps=4)
    tensors, step = make()
    fn = torch.compile(step, backend="numba")
    with pytest.warns(UserWarning, match=r"backend='numba' cannot fuse .*CumSum.*default NumPy backend") as seen:
        outs = [fn()._data.copy() for _ in range(4)]
    assert len([w for w in seen if "numba" in str(w.message)]) == 1
    for a, b in zip(outs + [tensors[0]._data], eager):
        assert np.array_equal(a, b)
    assert "@njit" not in fn.code and "np.add.reduce" in fn.code  # (the default backend's code)
    _, step = make()
    with pytest.raises(CompileError, match="CumSum"):
        torch.compile(step, backend="numba", fullgraph=True)()


def test_compiled_forward_is_not_fused_and_says_so():
    """A module compiled alone (its backward runs from loss.backward() outside): the default backend replays it."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    twin = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    twin.load_state_dict(model.state_dict())
    compiled = torch.compile(model, backend="numba")
    x = torch.randn(4, 3)
    with pytest.warns(UserWarning, match="compiled forward"):
        compiled(x)
    compiled(x).sum().backward()
    twin(x)
    twin(x).sum().backward()
    for a, b in zip(model.parameters(), twin.parameters()):
        assert np.array_equal(a.grad._data, b.grad._data)
    assert "@njit" not in compiled.code


def test_missing_numba_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # (import numba now raises ImportError)
    with pytest.raises(ImportError, match=r"pip install 'chaingrad\[numba\]'"):
        torch.compile(lambda: None, backend="numba")


def test_zero_dim_parameters_new_shapes_and_layouts():
    """Scalar parameters updated in place (the kernel writes through a 1-element view), a new input shape (a new
    trace and kernel), and an input in another memory layout (numba compiles another version): eager's bits."""
    def make():
        w = torch.tensor(0.5, requires_grad=True)
        b = torch.tensor(0.0, requires_grad=True)

        def step(x, y):
            loss = ((w * x + b - y) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                w.sub_(0.1 * w.grad)
                b.sub_(0.1 * b.grad)
            w.grad = None
            b.grad = None
            return loss

        return [w, b], step

    base = np.random.default_rng(0).standard_normal((6, 2)).astype(np.float32)
    inputs = [base[:, :1].copy(), base[:, :1].copy(), base[:4, :1].copy(), base[:, :1]]  # (the last: strided)
    assert not inputs[-1].flags.c_contiguous
    results = []
    for backend in ("eager", "numba"):
        tensors, step = make()
        fn = torch.compile(step, backend=backend) if backend != "eager" else step
        outs = []
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for x in inputs:
                outs.append(fn(torch.from_numpy(x), torch.from_numpy(2 * x + 1))._data.copy())
        results.append(outs + [t._data.copy() for t in tensors])
        if backend == "numba":
            assert fn.variants == 2 and "w[0] -= mul" in fn.code and "w.reshape(1)" in fn.code
    for a, b in zip(*results):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_code_runs_on_its_own():
    """``.code`` executed on its own, with the same tensors, does what the compiled step does."""
    x, y_true = torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([[2.0], [4.0], [6.0]])
    w, b = torch.tensor([[0.5]], requires_grad=True), torch.tensor([0.0], requires_grad=True)

    def step():
        loss = 0.5 * torch.sum((torch.matmul(x, w) + b - y_true) ** 2)
        loss.backward()
        with torch.no_grad():
            w.sub_(0.01 * w.grad)
            b.sub_(0.01 * b.grad)
        w.grad = None
        b.grad = None
        return loss

    fn = torch.compile(step, backend="numba")
    fn()
    fn()
    w0, b0 = w._data.copy(), b._data.copy()
    namespace = {"w_t": w, "b_t": b, "x_t": x, "y_true_t": y_true}
    exec(fn.code, namespace)
    loss = namespace["replay"]()
    w1, b1 = w._data.copy(), b._data.copy()
    w._data[...], b._data[...] = w0, b0
    expected = step()
    assert np.array_equal(loss._data, expected._data)
    assert np.array_equal(w1, w._data) and np.array_equal(b1, b._data)


def test_sums_add_in_numpys_order():
    """total and row_sums: NumPy's pairwise sum, bit for bit, for lengths around its block sizes."""
    from chaingrad.compiler.numba_kernels import row_sums, total

    rng = np.random.default_rng(0)
    for n in [0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 255, 256, 1000, 4099, 100003]:
        a = (rng.standard_normal(n) * 10).astype(np.float32)
        assert total(a) == np.add.reduce(a, axis=None), n
    for shape in [(3, 1), (256, 10), (17, 129), (2, 5000)]:
        a = rng.standard_normal(shape)
        assert total(a) == np.add.reduce(a, axis=None)
        assert np.array_equal(row_sums(a), np.add.reduce(a, axis=1))


def test_line_forms_against_numpy():
    """The forms of the default replay's lines (written by inline.py and optimize.py), each translated by
    numba_lines and run in one kernel, give NumPy's bits: products, in-place ufuncs, masks, sums in their
    three orders, fills, NumPy's fast paths of ``**``, casts, and a division by zero (inf, as in NumPy)."""
    from numba import njit

    from chaingrad.compiler import numba_kernels
    from chaingrad.compiler.numba_lines import Lines

    rng = np.random.default_rng(0)
    inputs = {1: rng.standard_normal((4, 3)).astype(np.float32), 2: rng.standard_normal((3, 5)).astype(np.float32),
              3: rng.standard_normal(5).astype(np.float32), 4: rng.standard_normal((4, 5)).astype(np.float32),
              5: rng.standard_normal((300, 2))}
    lines = ["@10@ = @1@ @ @2@; @10@ += @3@", "@11@ = np.maximum(@10@, 0)", "@12@ = @4@ * (@11@ > 0)",
             "@13@ = (@4@.T @ @1@).T", "@14@ = np.multiply(@12@, @4@, out=@12@)", "@15@ = @1@.T @ @4@",
             "@16@ = np.add.reduce(@4@, axis=(0,))",
             "@17@ = np.add.reduce(@4@, axis=(1,), keepdims=True).reshape((4, 1))",
             "@18@ = np.add.reduce(@5@, axis=None, keepdims=False)", "@19@ = np.empty((4, 5), @18@.dtype); "
             "@19@[...] = @18@", "@20@ = np.asarray(@18@ * 0.5)", "@21@ = @4@ ** 2 - 1 / @11@ + @11@ ** 0.5",
             "@22@ = @4@.astype(np.float64) * 0.1 + @19@", "@23@ = @20@ / (@20@ - @20@)", "@24@ = -@4@ * 2 * @3@",
             "@25@ = np.add.reduce(@5@, axis=(1,), keepdims=False)", "@26@ = np.tanh(@4@) * 0 + @16@"]
    env = {f"_a{n}": a.copy() for n, a in inputs.items()} | {"np": np}
    with np.errstate(divide="ignore", invalid="ignore"):
        for text in lines:
            exec(re.sub(r"@(\d+)@", r"_a\1", text), env)
    arrays = {int(k[2:]): v for k, v in env.items() if k.startswith("_a")}
    tr = Lines({n: f"v{n}" for n in arrays}, arrays, lambda *a: None)
    body = [code for text in lines for _, code in tr.translate(text)]
    outs = sorted(set(arrays) - set(inputs))
    source = (f"def kernel({', '.join(f'v{n}' for n in inputs)}):\n" + "".join(f"    {c}\n" for c in body)
              + f"    return {', '.join(f'v{n}' for n in outs)}\n")
    scope: dict = {"np": np}
    scope.update({name: getattr(numba_kernels, name) for name in numba_kernels.__all__})
    exec(source, scope)
    got = njit(error_model="numpy")(scope["kernel"])(*[a.copy() for a in inputs.values()])
    for n, value in zip(outs, got):
        expected = arrays[n]
        value = np.asarray(value, dtype=np.asarray(expected).dtype)
        assert value.shape == np.shape(expected) and np.array_equal(value, expected), (n, source)
