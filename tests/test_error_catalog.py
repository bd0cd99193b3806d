"""A catalog of learners' mistakes: each raises torch's exception class with a message that teaches.

Every case runs the same program on chaingrad and on torch. Both must raise the same exception class;
chaingrad's message must contain the key words listed (the op, the shapes/dtypes, what to do).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import chaingrad


def _t(M, data, **kw):
    return M.tensor(data, **kw)


def _rg(M, *shape):
    return M.ones(*shape, requires_grad=True)


def _unused_input(M):
    a, b = _rg(M, 2), _rg(M, 2)
    M.autograd.grad((a * 2).sum(), [a, b])


def _backward_twice(M):
    x = _rg(M, 3)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _grad_of_no_grad_output(M):
    x = M.ones(3)
    (x * 2).sum().backward()


def _backward_under_no_grad(M):
    x = _rg(M, 3)
    with M.no_grad():
        y = (x * 2).sum()
    y.backward()


def _inplace_leaf(M):
    w = _rg(M, 3)
    w += 1


def _saved_modified(M):
    x = _rg(M, 3)
    a = x * 1
    y = (a * a).sum()
    a.add_(1)
    y.backward()


def _linear_in_features(M):
    M.nn.Linear(4, 2)(M.ones(3, 5))


def _linear_int_input(M):
    M.nn.Linear(4, 2)(M.ones(3, 4, dtype=M.int64))


def _linear_double_input(M):
    M.nn.Linear(4, 2)(M.ones(3, 4, dtype=M.float64))


def _conv_channels(M):
    M.nn.Conv2d(3, 8, 3)(M.ones(1, 1, 8, 8))


def _conv_3d_input(M):
    M.nn.Conv2d(3, 8, 3)(M.ones(2, 3, 8, 8, 8))


def _conv_kernel_too_big(M):
    M.nn.Conv2d(1, 1, 5)(M.ones(1, 1, 3, 3))


def _state_dict_missing(M):
    m = M.nn.Linear(2, 2)
    sd = m.state_dict()
    del sd["bias"]
    m.load_state_dict(sd)


def _state_dict_unexpected(M):
    m = M.nn.Linear(2, 2)
    sd = dict(m.state_dict())
    sd["extra"] = M.ones(1)
    m.load_state_dict(sd)


def _state_dict_shape(M):
    M.nn.Linear(2, 3).load_state_dict(M.nn.Linear(2, 4).state_dict())


def _optimizer_lr(M):
    M.optim.SGD([_rg(M, 2)], lr=-0.1)


def _optimizer_momentum(M):
    M.optim.SGD([_rg(M, 2)], lr=0.1, momentum=-1)


def _adam_betas(M):
    M.optim.Adam([_rg(M, 2)], lr=0.1, betas=(1.5, 0.999))


def _adam_eps(M):
    M.optim.Adam([_rg(M, 2)], lr=0.1, eps=-1e-8)


def _optimizer_empty(M):
    M.optim.SGD([], lr=0.1)


def _optimizer_tensor_not_list(M):
    M.optim.SGD(_rg(M, 2), lr=0.1)


def _optimizer_weight_decay(M):
    M.optim.Adam([_rg(M, 2)], lr=0.1, weight_decay=-1)


def _dropout_p(M):
    M.nn.Dropout(p=1.5)


def _ce_float_target(M):
    M.nn.functional.cross_entropy(M.ones(3, 4), M.tensor([0.0, 1.0, 2.0]))


def _ce_target_out_of_range(M):
    M.nn.functional.cross_entropy(M.ones(3, 4), M.tensor([0, 1, 4]))


def _ce_batch_mismatch(M):
    M.nn.functional.cross_entropy(M.ones(3, 4), M.tensor([0, 1]))


def _nll_float_target(M):
    M.nn.functional.nll_loss(M.ones(3, 4), M.tensor([0.0, 1.0, 2.0]))


def _bad_reduction(M):
    M.nn.functional.mse_loss(M.ones(3), M.ones(3), reduction="average")


CASES = [
    # (id, program, exception class, key words in chaingrad's message)
    ("matmul_shapes", lambda M: M.ones(2, 3) @ M.ones(4, 5), RuntimeError, ["2x3", "4x5", "cannot be multiplied"]),
    ("mm_shapes", lambda M: M.mm(M.ones(2, 3), M.ones(2, 3)), RuntimeError, ["2x3", "cannot be multiplied"]),
    ("matmul_vectors", lambda M: M.ones(3) @ M.ones(4), RuntimeError, ["3", "4", "same number of elements"]),
    ("matmul_scalar", lambda M: M.matmul(M.tensor(2.0), M.ones(3)), RuntimeError, ["1D", "0D"]),
    ("matmul_dtypes", lambda M: M.ones(2, 2) @ M.ones(2, 2, dtype=M.float64), RuntimeError,
     ["float32", "float64", "same dtype"]),
    ("bmm_batch", lambda M: M.bmm(M.ones(2, 3, 4), M.ones(3, 4, 5)), RuntimeError, ["[2, 4]", "[3, 4]"]),
    ("broadcast_add", lambda M: M.ones(2, 3) + M.ones(4), RuntimeError, ["size of tensor a (3)", "tensor b (4)",
                                                                         "dimension 1"]),
    ("broadcast_mul", lambda M: M.ones(5, 2) * M.ones(3, 1, 3), RuntimeError, ["(2)", "(3)", "non-singleton"]),
    ("cat_shapes", lambda M: M.cat([M.ones(2, 3), M.ones(2, 4)], 0), RuntimeError, ["Sizes of tensors must match",
                                                                                   "[2, 3]", "[2, 4]"]),
    ("cat_ndim", lambda M: M.cat([M.ones(2, 3), M.ones(3)]), RuntimeError, ["same number of dimensions"]),
    ("cat_empty_list", lambda M: M.cat([]), ValueError, ["non-empty"]),
    ("stack_shapes", lambda M: M.stack([M.ones(2), M.ones(3)]), RuntimeError, ["equal size", "[2]", "[3]"]),
    ("reshape_numel", lambda M: M.ones(2, 3).reshape(4, 2), RuntimeError, ["[4, 2]", "size 6"]),
    ("view_non_contiguous", lambda M: M.ones(2, 3).t().view(6), RuntimeError, ["view", ".reshape"]),
    ("expand_bad", lambda M: M.ones(2, 3).expand(4, 3), RuntimeError, ["expanded size", "(4)", "(2)"]),
    ("permute_count", lambda M: M.ones(2, 3).permute(0), RuntimeError, ["number of dimensions"]),
    ("sum_dim_range", lambda M: M.ones(2, 3).sum(2), IndexError, ["Dimension out of range", "[-2, 1]", "2"]),
    ("softmax_dim_range", lambda M: M.softmax(M.ones(2, 3), dim=5), IndexError, ["Dimension out of range"]),
    ("transpose_dim_range", lambda M: M.ones(2, 3).transpose(0, 3), IndexError, ["Dimension out of range"]),
    ("unsqueeze_dim_range", lambda M: M.ones(2).unsqueeze(3), IndexError, ["Dimension out of range"]),
    ("cat_dim_range", lambda M: M.cat([M.ones(2), M.ones(2)], 1), IndexError, ["Dimension out of range"]),
    ("index_out_of_range", lambda M: M.ones(3)[5], IndexError, ["5", "3"]),
    ("too_many_indices", lambda M: M.ones(3)[0, 1], IndexError, ["too many indices"]),
    ("float_index", lambda M: M.ones(3)[M.tensor([0.0, 1.0])], IndexError, ["long", "bool"]),
    ("requires_grad_int", lambda M: M.tensor([1, 2], requires_grad=True), RuntimeError,
     ["floating point", "gradients", "int64"]),
    ("requires_grad_int_method", lambda M: M.tensor([1, 2]).requires_grad_(), RuntimeError, ["floating point"]),
    ("item_many", lambda M: M.ones(3).item(), RuntimeError, ["3 elements", "one element"]),
    ("bool_many", lambda M: bool(M.ones(3) > 0), RuntimeError, ["ambiguous", ".any()", ".all()"]),
    ("float_many", lambda M: float(M.ones(3)), ValueError, ["one-element", "3 elements"]),
    ("numpy_requires_grad", lambda M: _rg(M, 3).numpy(), RuntimeError, ["requires grad", "detach()"]),
    ("backward_twice", _backward_twice, RuntimeError, ["second time", "retain_graph=True"]),
    ("backward_non_scalar", lambda M: (_rg(M, 3) * 2).backward(), RuntimeError, ["scalar outputs", "[3]", ".sum()"]),
    ("backward_no_grad", _grad_of_no_grad_output, RuntimeError, ["does not require grad", "requires_grad=True"]),
    ("backward_made_under_no_grad", _backward_under_no_grad, RuntimeError, ["does not require grad", "no_grad"]),
    ("grad_unused_input", _unused_input, RuntimeError, ["not have been used", "allow_unused=True"]),
    ("grad_shape_mismatch", lambda M: (_rg(M, 3) * 2).backward(M.ones(2)), RuntimeError, ["shape", "[2]", "[3]"]),
    ("inplace_leaf", _inplace_leaf, RuntimeError, ["leaf", "requires grad", "no_grad"]),
    ("saved_tensor_modified", _saved_modified, RuntimeError, ["inplace operation", "version 1", "MulBackward0"]),
    ("ce_float_class_targets", _ce_float_target, RuntimeError, ["Long", "Float32", "class indices", "target.long()"]),
    ("ce_target_out_of_range", _ce_target_out_of_range, IndexError, ["Target 4 is out of bounds", "[0, 3]"]),
    ("ce_batch_mismatch", _ce_batch_mismatch, ValueError, ["batch_size (3)", "(2)"]),
    ("nll_float_targets", _nll_float_target, RuntimeError, ["Long", "Float"]),
    ("bad_reduction", _bad_reduction, ValueError, ["average", "reduction"]),
    ("label_smoothing_range", lambda M: M.nn.functional.cross_entropy(M.ones(2, 3), M.tensor([0, 1]),
                                                                      label_smoothing=2.0),
     RuntimeError, ["label_smoothing", "2.0"]),
    ("where_non_bool", lambda M: M.where(M.ones(2), M.ones(2), M.zeros(2)), RuntimeError, ["bool", "condition"]),
    ("neg_bool", lambda M: -M.tensor([True, False]), RuntimeError, ["bool", "logical_not"]),
    ("int_pow_negative", lambda M: M.tensor([2, 3]) ** -1, RuntimeError, ["negative integer powers"]),
    ("mean_of_ints", lambda M: M.tensor([1, 2, 3]).mean(), RuntimeError, ["floating point", "Int64", ".float()"]),
    ("device_cuda", lambda M: M.ones(2).to("cuda:7"),
     (RuntimeError, AssertionError), ["cuda"]),
    ("tensor_ragged", lambda M: M.tensor([[1.0, 2.0], [3.0]]), ValueError, ["equal lengths"]),
    ("tensor_strings", lambda M: M.tensor(["a", "b"]), (TypeError, ValueError), ["convert"]),
    ("linear_in_features", _linear_in_features, RuntimeError, ["3x5", "cannot be multiplied"]),
    ("linear_int_input", _linear_int_input, RuntimeError, ["int64", "float32", "dtype"]),
    ("linear_double_input", _linear_double_input, RuntimeError, ["float64", "float32", "dtype"]),
    ("conv_channels", _conv_channels, RuntimeError, ["3", "channels"]),
    ("conv_5d_input", _conv_3d_input, RuntimeError, ["4-D", "[2, 3, 8, 8, 8]"]),
    ("conv_kernel_too_big", _conv_kernel_too_big, RuntimeError, ["kernel size", "5"]),
    ("state_dict_missing", _state_dict_missing, RuntimeError, ["Missing key", "bias"]),
    ("state_dict_unexpected", _state_dict_unexpected, RuntimeError, ["Unexpected key", "extra"]),
    ("state_dict_shape", _state_dict_shape, RuntimeError, ["size mismatch", "weight", "[4, 2]", "[3, 2]"]),
    ("sgd_negative_lr", _optimizer_lr, ValueError, ["Invalid learning rate", "-0.1"]),
    ("sgd_negative_momentum", _optimizer_momentum, ValueError, ["momentum", "-1"]),
    ("adam_betas", _adam_betas, ValueError, ["beta", "1.5"]),
    ("adam_eps", _adam_eps, ValueError, ["epsilon", "-1e-08"]),
    ("adam_weight_decay", _optimizer_weight_decay, ValueError, ["weight_decay", "-1"]),
    ("optimizer_empty", _optimizer_empty, ValueError, ["empty parameter list"]),
    ("optimizer_given_tensor", _optimizer_tensor_not_list, TypeError, ["iterable", "Tensor"]),
    ("dropout_p", _dropout_p, ValueError, ["dropout probability", "1.5"]),
]


def _run(M, program):
    try:
        program(M)
    except Exception as e:  # noqa: BLE001 - the exception is what we examine
        return e
    return None


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_mistake_raises_a_clear_error_like_torch(case):
    name, program, cls, words = case
    err_torch = _run(torch, program)
    assert err_torch is not None, f"{name}: torch does not raise for this program (fix the catalog)"
    assert isinstance(err_torch, cls), f"{name}: torch raises {type(err_torch).__name__}: {err_torch}"
    err = _run(chaingrad, program)
    assert err is not None, f"{name}: chaingrad does not raise (torch raises {type(err_torch).__name__})"
    assert type(err) is type(err_torch) or (isinstance(cls, tuple) and isinstance(err, cls)), \
        f"{name}: chaingrad raises {type(err).__name__}: {err}, torch raises {type(err_torch).__name__}"
    msg = str(err)
    for w in words:
        assert w.lower() in msg.lower(), f"{name}: message lacks {w!r}: {msg}"


def test_catalog_is_big_enough():
    assert len(CASES) >= 40


def test_messages_name_shapes_not_internal_reprs():
    # no NumPy jargon leaks into a learner-facing message
    for name, program, _, _ in CASES:
        err = _run(chaingrad, program)
        assert not re.search(r"operands could not be broadcast|numpy\.|ndarray", str(err)), (name, str(err))
    _ = np
