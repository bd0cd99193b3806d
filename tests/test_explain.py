"""explain(): the backward pass step by step. Its numbers are the engine's (equal to .backward()), it shows
the seed's hand derivation, it never changes .grad, and every op carries derivative formulas for it."""

from __future__ import annotations

import numpy as np
import pytest

import chaingrad as torch
from chaingrad.autograd.function import Node


def seed():
    x = torch.tensor([[1.0], [2.0], [3.0]])
    y_true = torch.tensor([[2.0], [4.0], [6.0]])
    w = torch.tensor([[0.5]], requires_grad=True)
    b = torch.tensor([0.0], requires_grad=True)
    y_pred = torch.matmul(x, w) + b
    loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
    return x, y_true, w, b, y_pred, loss


def test_seed_report_shows_the_hand_derived_numbers():
    x, y_true, w, b, y_pred, loss = seed()
    report = torch.explain(loss)
    np.testing.assert_allclose(report.sent_to("y_pred").reshape(-1), [-1.5, -3.0, -4.5])
    np.testing.assert_allclose(report.grad("w"), [[-21.0]])
    np.testing.assert_allclose(report.grad("b"), [-9.0])
    np.testing.assert_allclose(report.grad(w), [[-21.0]])
    assert w.grad is None and b.grad is None  # explain does not accumulate


def test_seed_report_names_variables_and_formulas():
    x, y_true, w, b, y_pred, loss = seed()
    report = torch.explain(loss)
    ops = [s.op for s in report.steps if s.kind == "op"]
    assert ops[-1] == "MatMul" and "Add" in ops and "Sub" in ops
    matmul = next(s for s in report.steps if s.op == "MatMul")
    assert matmul.inputs == ["x", "w"]
    assert matmul.formulas[1] == "dL/dB = A^T @ dL/dout"
    assert matmul.formulas_named[1].startswith("dL/dw = x^T @ dL/d")
    sub = next(s for s in report.steps if s.op == "Sub")
    assert sub.inputs == ["y_pred", "y_true"] and sub.input_is_const == [False, True]
    text = str(report)
    for piece in ("y_pred", "dL/dB = A^T @ dL/dout", "x^T @ dL/d(x @ w)", "sum over", "[[-21]]", "[-9]"):
        assert piece in text
    assert "<table" in report._repr_html_()


def test_broadcast_is_its_own_step():
    x, y_true, w, b, y_pred, loss = seed()
    report = torch.explain(loss)
    i = next(k for k, s in enumerate(report.steps) if s.kind == "unbroadcast")
    step = report.steps[i]
    assert report.steps[i - 1].op == "Add"
    assert step.output == "b" and step.output_shape == (3, 1) and step.input_shapes == [(1,)]
    assert step.summed_dims == (0,)
    np.testing.assert_allclose(step.grad_out.reshape(-1), [-1.5, -3.0, -4.5])
    np.testing.assert_allclose(step.grads_in[0], [-9.0])


def test_steps_follow_the_engine_order_and_leave_grads_alone():
    x, y_true, w, b, y_pred, loss = seed()
    y_pred.retain_grad()
    loss.backward(retain_graph=True)
    before = (w.grad.numpy().copy(), b.grad.numpy().copy(), y_pred.grad.numpy().copy())
    report = torch.explain(loss)
    seqs = [s.node._seq for s in report.steps if s.kind == "op"]
    assert seqs == sorted(seqs, reverse=True)
    for t, old in zip((w, b, y_pred), before):
        np.testing.assert_array_equal(t.grad.numpy(), old)
    np.testing.assert_allclose(report.grad("w"), w.grad.numpy())


def test_tensor_name_overrides_variable_name():
    x, y_true, w, b, y_pred, loss = seed()
    w.name = "slope"
    y_pred.name = "prediction"
    report = torch.explain(loss)
    names = {lg.name for lg in report.leaf_grads}
    assert names == {"slope", "b"}
    assert any(s.output == "prediction" for s in report.steps)


def test_unnamed_tensors_get_expression_or_op_names():
    def inner():
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        return (a.exp() * 3).sum() + a.tanh().pow(3).mean().sin().cos().exp()

    report = torch.explain(inner())
    assert report.steps[0].output  # some name for every output
    assert all(s.output for s in report.steps)


def test_big_tensors_are_summarized():
    torch.manual_seed(0)
    w = torch.randn(20, 30, requires_grad=True)
    loss = (w.tanh() ** 2).sum()
    text = str(torch.explain(loss))
    assert "[20, 30] min" in text and "mean" in text


def test_explain_after_backward_freed_the_graph_says_what_to_do():
    x, y_true, w, b, y_pred, loss = seed()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        torch.explain(loss)


def _random_graph(rng):
    leaves = [torch.tensor(rng.standard_normal(shape), requires_grad=True) for shape in ((3, 4), (4,), (1, 4))]
    pool = list(leaves)
    for _ in range(8):
        a, b = pool[rng.integers(len(pool))], pool[rng.integers(len(pool))]
        op = rng.integers(6)
        if op == 0:
            t = a + b
        elif op == 1:
            t = a * b
        elif op == 2:
            t = torch.tanh(a) - b
        elif op == 3:
            t = torch.exp(a * 0.1) / (1.5 + torch.sigmoid(b))
        elif op == 4:
            t = a.sum(dim=-1, keepdim=True) * b
        else:
            t = torch.softmax(a, dim=-1) * b
        pool.append(t)
    loss = sum(t.sum() for t in pool[3:])
    return leaves, loss


@pytest.mark.parametrize("seed_", range(6))
def test_random_graphs_match_backward(seed_):
    rng = np.random.default_rng(seed_)
    leaves, loss = _random_graph(rng)
    report = torch.explain(loss)
    loss.backward()
    for t in leaves:
        lg = next(g for g in report.leaf_grads if g.tensor is t)
        np.testing.assert_allclose(lg.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)
    # the gradient arriving at each step equals what the consumers sent it
    assert all(s.grad_out is not None for s in report.steps)


def _all_nodes():
    import importlib

    for mod in ("chaingrad.nn", "chaingrad.nn.functional"):
        try:
            importlib.import_module(mod)
        except ImportError:
            pass
    found, stack = [], list(Node.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def test_every_op_has_formula_text_for_each_input():
    from chaingrad.autograd.function import FunctionCtx

    checked = 0
    for cls in _all_nodes():
        if issubclass(cls, FunctionCtx):  # user Functions: formula text comes from the Function class
            continue
        formulas = cls.formulas
        assert isinstance(formulas, tuple) and formulas, f"{cls.__module__}.{cls.__name__} has no formulas"
        assert all(isinstance(f, str) and f.strip() for f in formulas), f"{cls.__name__} has an empty formula"
        assert len(formulas) == len(cls.input_names), (
            f"{cls.__name__}: {len(formulas)} formulas for inputs {cls.input_names}")
        checked += 1
    assert checked >= 40


def test_user_function_steps_show_its_formula():
    class Cube(torch.autograd.Function):
        formula = "dL/dx = dL/dout * 3 x^2"

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = Cube.apply(x).sum()
    report = torch.explain(loss)
    step = next(s for s in report.steps if s.op == "Cube")
    assert step.formulas == ["dL/dx = dL/dout * 3 x^2"]
    np.testing.assert_allclose(report.grad("x"), [3.0, 12.0])


def test_seed_number_steps_show_the_number_in_the_chain_rule():
    x, y_true, w, b, y_pred, loss = seed()
    report = torch.explain(loss)
    mul = report.steps[0]  # loss = 0.5 * sum(...): the last op, the first backward step
    assert mul.op == "Mul" and mul.node_name == "MulBackward0"
    i = mul.inputs.index("sum((y_pred - y_true)^2)")
    assert mul.formulas_named[i] == "dL/d(sum((y_pred - y_true)^2)) = dL/dloss * 0.5"
    assert mul.input_is_const[mul.inputs.index("0.5")] and mul.grads_in[mul.inputs.index("0.5")] is None
    np.testing.assert_allclose(mul.grads_in[i], 0.5)
    square = next(s for s in report.steps if s.op == "Pow")
    assert square.node_name == "PowBackward0" and "2" in square.inputs
    assert square.formulas_named[0] == "dL/d(y_pred - y_true) = dL/d((y_pred - y_true)^2) * 2 * (y_pred - y_true)^(2-1)"
    np.testing.assert_allclose(square.grads_in[0].reshape(-1), [-1.5, -3.0, -4.5])
    text = str(report)
    assert "= dL/dloss * 0.5" in text and "dL/dloss * n" not in text and "MulScalar" not in text


def test_draw_folds_numbers_into_the_op_label():
    x, y_true, w, b, y_pred, loss = seed()
    pic = torch.draw(loss)
    ops = [n.lines for n in pic.nodes if n.shape == "oval"]
    assert ["\u00d7 0.5", "Mul"] in ops and ["x^2", "Pow"] in ops
    boxes = [n.lines[0] for n in pic.nodes if n.shape == "box"]
    assert "0.5" not in boxes and "2" not in boxes  # the numbers are not tensor boxes
    assert "(y_pred - y_true)^2" in boxes
