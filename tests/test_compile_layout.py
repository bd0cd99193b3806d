"""chaingrad.compile's layout pass (compiler/layout.py): convolutions, pooling and the elementwise ops between them
hand arrays on in batch-last memory, and the replay is still eager's result bit for bit (every loss,
parameter and ``.grad``, np.array_equal, over 20+ steps); the batch-last kernels against the plain ones."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chaingrad as torch
import chaingrad.nn as nn
from chaingrad.compiler import batch_last
from chaingrad.ops import conv_kernels as ck

STEPS = 20


def _lenet(act=nn.Sigmoid, pool=nn.AvgPool2d, bias=True, padding=2, stride=1, n=8, dtype=None):
    def make():
        model = nn.Sequential(nn.Conv2d(1, 4, 5, padding=padding, stride=stride, bias=bias), act(), pool(2),
                              nn.Conv2d(4, 6, 3, bias=bias), act(), pool(2), nn.Flatten())
        size = ((28 + 2 * padding - 5) // stride + 1) // 2
        size = (size - 2) // 2
        head = nn.Linear(6 * size * size, 10)
        net = nn.Sequential(model, head)
        if dtype is not None:
            net = net.to(dtype)
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        x = torch.randn(n, 1, 28, 28, dtype=dtype or torch.float32)
        y = torch.randint(0, 10, (n,))
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            return loss

        return net, step
    return make


def _run(make, compiled: bool, steps: int = STEPS):
    torch.manual_seed(0)
    model, step = make()
    fn = torch.compile(step, fullgraph=True) if compiled else step
    record = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (a fallback to eager would warn)
        for _ in range(steps):
            out = fn()
            outs = out if isinstance(out, tuple) else (out,)
            params = list(model.parameters())
            record.append([o._data.copy() for o in outs] + [p._data.copy() for p in params] +
                          [p.grad._data.copy() for p in params if p.grad is not None] +
                          [p.grad._data.flags.c_contiguous for p in params if p.grad is not None])
    return record, fn


def _assert_same_as_eager(make, steps: int = STEPS, batch_last_used: bool = True):
    eager, _ = _run(make, False, steps)
    replay, fn = _run(make, True, steps)
    assert fn._last is not None and fn._eager_reason is None  # (replayed, not run eagerly)
    for a, b in zip(replay, eager):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            if isinstance(u, np.ndarray):
                assert u.dtype == v.dtype and u.shape == v.shape and np.array_equal(u, v)
            else:
                assert u == v  # (every .grad in C order, as eager's)
    assert ("batch_last.conv2d(" in fn.code) is batch_last_used
    return fn


@pytest.mark.parametrize("act, pool", [(nn.Sigmoid, nn.AvgPool2d), (nn.ReLU, nn.MaxPool2d), (nn.ReLU, nn.AvgPool2d),
                                       (nn.Sigmoid, nn.MaxPool2d), (nn.Tanh, nn.AvgPool2d)],
                         ids=["sigmoid-avg", "relu-max", "relu-avg", "sigmoid-max", "tanh-avg"])
def test_lenet_replay_in_batch_last_memory_is_eager_bit_for_bit(act, pool):
    fn = _assert_same_as_eager(_lenet(act, pool))
    code = fn.code
    assert "batch_last.conv2d_backward(" in code
    if pool is nn.AvgPool2d:  # (the whole chain conv -> act -> pool -> conv in batch-last memory)
        assert "batch_last.avg_pool(" in code
        assert ("batch_last.unpool_sigmoid_backward(" in code) is (act is nn.Sigmoid)  # (no unpooled copy)
        assert ("batch_last.avg_unpool(" in code) is (act is not nn.Sigmoid)
        assert code.count("batch_last.nchw(") == 1  # (only before the flatten)
        # a sigmoid of a convolution's output that nothing else reads is computed in that output's memory
        assert code.count("in_place=True)") == (2 if act is nn.Sigmoid else 0)


@pytest.mark.parametrize("kw", [dict(bias=False), dict(padding=0), dict(stride=2),
                                dict(padding=1, stride=2, bias=False), dict(dtype=torch.float64)],
                         ids=["no-bias", "no-padding", "stride-2", "pad1-stride2-no-bias", "float64"])
def test_conv_variants_in_batch_last_memory_are_eager_bit_for_bit(kw):
    _assert_same_as_eager(_lenet(**kw))


def test_a_cnn_with_a_relu_head_and_adam():
    """Fully connected ReLU layers after the flatten (written in place by the replay) and Adam."""
    def make():
        net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Conv2d(4, 4, 3),
                            nn.Sigmoid(), nn.Flatten(), nn.Linear(4 * 4 * 4, 300), nn.ReLU(), nn.Linear(300, 5))
        opt = torch.optim.Adam(net.parameters(), lr=0.01)
        x, y = torch.randn(64, 2, 12, 12), torch.randint(0, 5, (64,))
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            return loss
        return net, step
    fn = _assert_same_as_eager(make)
    assert "out=" in fn.code and "batch_last.sigmoid(" in fn.code


class _Pieces(nn.Module):
    def __init__(self, in_shape, requires_grad: bool) -> None:
        super().__init__()
        self.a, self.b = nn.Conv2d(in_shape[1], 4, 3, padding=1), nn.Conv2d(4, 4, 3)
        self.bn, self.g = nn.BatchNorm2d(4), nn.Conv2d(4, 4, 3, groups=2, dilation=2)
        self.x = nn.Parameter(torch.randn(*in_shape), requires_grad=requires_grad)  # (its .grad is compared)


def _custom(forward, in_shape=(6, 3, 12, 12), requires_grad=False):
    """A step whose loss is a mean of squares of ``forward(model)`` (its pieces exercise where copies are
    needed)."""
    def make():
        model = _Pieces(in_shape, requires_grad)
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05)

        def step():
            opt.zero_grad()
            out = forward(model, model.x)
            loss = (out * out).mean()
            loss.backward()
            opt.step()
            return loss

        return model, step
    return make


def test_reductions_and_products_read_c_order_copies():
    """BatchNorm's sums (eval: no running statistics), a sum, an input's gradient: each reads eager's layout
    (a copy)."""
    def fwd(m, x):
        m.bn.eval()
        h = m.bn(torch.relu(m.a(x)))  # (its backward sums over (0, 2, 3): a C-order copy first)
        return torch.sigmoid(m.b(h)).sum((2, 3))
    fn = _assert_same_as_eager(_custom(fwd, requires_grad=True))
    assert "batch_last.nchw(" in fn.code


def test_a_kernel_that_may_keep_the_array_leaves_the_trace_as_it_is():
    """BatchNorm's running statistics are an opaque call on the activation: no batch-last memory at all."""
    def fwd(m, x):
        return torch.sigmoid(m.b(m.bn(torch.relu(m.a(x))))).sum((2, 3))
    _assert_same_as_eager(_custom(fwd, requires_grad=True), batch_last_used=False)


def test_input_gradient_with_and_without_padding():
    def fwd(m, x):
        return torch.tanh(m.b(torch.sigmoid(m.a(x)) * 2 - 1)).exp()
    _assert_same_as_eager(_custom(fwd, requires_grad=True))
    _assert_same_as_eager(_custom(lambda m, x: m.b(x), in_shape=(5, 4, 9, 9), requires_grad=True))


def test_grouped_and_dilated_conv_and_uneven_pooling():
    """Full columns (groups, dilation) and average pooling with rows and columns left over."""
    def fwd(m, x):
        h = torch.relu(m.a(x))
        h = nn.functional.avg_pool2d(h, 5)  # (12 -> 2 blocks, 2 rows and columns left over)
        return m.g(torch.relu(m.a(x)) + 1)[:, :, :2, :2] * h
    _assert_same_as_eager(_custom(fwd))


def test_activation_returned_and_read_twice():
    """What the step returns is in eager's layout and never in memory the next call reuses."""
    def make():
        conv = nn.Conv2d(2, 3, 3)
        opt = torch.optim.SGD(conv.parameters(), lr=0.1)
        x = torch.randn(4, 2, 7, 7)

        def step():
            opt.zero_grad()
            z = conv(x)
            h = torch.sigmoid(z)
            loss = (h * h).sum() + h.mean()
            loss.backward()
            opt.step()
            return loss, h.detach(), z.detach()
        return conv, step
    fn = _assert_same_as_eager(make)
    _, h, z = fn()
    _, h2, z2 = fn()
    assert h._data.flags.c_contiguous and z._data.flags.c_contiguous  # (returned in eager's layout)
    assert not np.shares_memory(z._data, z2._data) and not np.shares_memory(h._data, h2._data)
    assert fn._last.namespace["c1_buffers"].roles == ("rows",)  # (z is returned: not in a buffer)
    assert "in_place=True" not in fn.code  # (z is read again: the sigmoid does not write into it)


def test_inference_on_new_batches_without_grad():
    """Unrecorded convolutions (no_grad, eval) on a new argument each call, the logits returned."""
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.Sigmoid(), nn.AvgPool2d(2), nn.Conv2d(3, 2, 3),
                        nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3)).eval()

    def infer(x):
        with torch.no_grad():
            return net(x)
    fn = torch.compile(infer, fullgraph=True)
    for _ in range(4):
        x = torch.randn(5, 1, 12, 12)
        got, want = fn(x), infer(x)
        assert got._data.flags.c_contiguous and np.array_equal(got._data, want._data)
    assert "batch_last.conv2d(" in fn.code and "batch_last.sigmoid(" in fn.code


def test_a_compiled_forward_is_left_as_it_is():
    """A forward whose backward runs later (through a compiled node) keeps eager's forms: the row columns
    would have to outlive the call."""
    conv = nn.Conv2d(1, 2, 3)
    f = torch.compile(lambda x: torch.sigmoid(conv(x)).sum())
    x = torch.randn(2, 1, 6, 6)
    f(x)
    assert "batch_last" not in f.code


# -- the kernels: batch-last against the plain path --------------------------------------------------------
@pytest.mark.parametrize("stride, padding, groups, dilation", [((1, 1), (2, 2, 2, 2), 1, (1, 1)),
                                                               ((2, 1), (0, 1, 1, 0), 1, (1, 1)),
                                                               ((1, 1), (1, 1, 1, 1), 2, (1, 1)),
                                                               ((1, 1), (0, 0, 0, 0), 1, (2, 1))])
def test_batch_last_kernels_are_the_plain_kernels(stride, padding, groups, dilation):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4, 9, 8)).astype(np.float32)
    w = rng.standard_normal((6, 4 // groups, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    params = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    plain = ck.conv_forward(x, w, b, **params)
    for xin in (x, np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)):  # (either memory)
        out, saved = batch_last.conv2d(xin, w, b, (True, True, True), batch_last.Buffers("rows", "out", "gx"), **params)
        assert ck.in_batch_last_memory(out) and np.array_equal(out, plain)
        g = rng.standard_normal(plain.shape).astype(np.float32)
        want = ck.conv_backward(g, x, w, need=(True, True, True), **params)
        for gin in (g, np.ascontiguousarray(g.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)):
            got = batch_last.conv2d_backward(saved, gin)
            for u, v in zip(got, want):
                assert u.shape == v.shape and np.array_equal(u, v)
            if not any(padding):
                assert ck.in_batch_last_memory(got[0])
    a = rng.standard_normal((3, 4, 10, 7)).astype(np.float32)
    view = np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    for k, size in (((2, 2), (5, 3)), ((3, 2), (3, 3))):
        pooled = batch_last.avg_pool(view, k, size, 1 / (k[0] * k[1]))
        assert ck.in_batch_last_memory(pooled) and np.array_equal(pooled, ck.avg_blocks(a, k, size, 1 / (k[0] * k[1])))
        for buffers in (batch_last.Buffers(), batch_last.Buffers("out")):  # (a new array, a buffer)
            back = batch_last.avg_unpool(pooled, k, (10, 7), 0.25, buffers)
            assert ck.in_batch_last_memory(back) and np.array_equal(back, ck.unpool_blocks(pooled, k, (10, 7), 0.25))
    assert batch_last.nchw(view).flags.c_contiguous and np.array_equal(batch_last.nchw(view), a)


def test_batch_last_sigmoid_is_sigmoid():
    from chaingrad.ops.unary import Sigmoid

    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        a = (rng.standard_normal((3, 4, 5, 6)) * 40).astype(dtype)  # (beyond exp's limit too)
        g = rng.standard_normal(a.shape).astype(dtype)
        want = Sigmoid.forward(ck_ctx := _Ctx(), a)
        want_g = Sigmoid.backward(ck_ctx, g)
        view = np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        gv = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        for buffers in (batch_last.Buffers(), batch_last.Buffers("out", "1-y", "g*y")):
            out = batch_last.sigmoid(view, buffers)
            assert ck.in_batch_last_memory(out) and np.array_equal(out, want)
            into = view.copy()  # (in place: into the input's own memory, the same bits)
            assert batch_last.sigmoid(into, buffers, in_place=True) is into and np.array_equal(into, want)
            for grad in (g, gv):
                got = batch_last.sigmoid_backward(grad, out, buffers)
                assert got.dtype == want_g.dtype and np.array_equal(got, want_g)
        # the unpooled gradient read from its blocks: as unpooling and then sigmoid's backward
        for size in ((5, 6), (4, 6)):  # (blocks side by side; a row left over: the two steps)
            pooled = rng.standard_normal((3, 4, 2, 3)).astype(dtype)
            s = np.ascontiguousarray(Sigmoid.forward(_Ctx(), a[:, :, :size[0]]).transpose(1, 2, 3, 0))
            s = s.transpose(3, 0, 1, 2)
            want_u = Sigmoid.backward(_with(s), ck.unpool_blocks(pooled, (2, 2), size, 0.25))
            for buffers in (batch_last.Buffers(), batch_last.Buffers("out", "1-y", "g*y")):
                got = batch_last.unpool_sigmoid_backward(pooled, s, (2, 2), size, 0.25, buffers)
                assert ck.in_batch_last_memory(got) and np.array_equal(got, want_u)


def _with(*saved):
    ctx = _Ctx()
    ctx.save_for_backward(*saved)
    return ctx


class _Ctx:
    """The ctx an op's forward saves into, for calling it directly."""

    def save_for_backward(self, *values) -> None:
        self._values = values

    @property
    def saved_tensors(self):
        return self._values
