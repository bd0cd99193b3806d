"""A function that takes a tensor rejects anything else with torch's TypeError (chaingrad/_arguments.py)."""

import inspect
import warnings

import pytest
import torch

import chaingrad as cg
import chaingrad.nn.functional as F

CHECKED = [name for name in sorted(dir(cg)) if getattr(getattr(cg, name), "checks_arguments", False)]
OURS = ("must be Tensor", "must be Number", "expected Tensor as element")


def test_the_namespace_is_checked():
    assert len(CHECKED) > 150  # every function with a tensor first
    for name in ("sum", "zeros_like", "add", "cat", "stack", "where", "einsum", "exp", "matmul"):
        assert name in CHECKED


def _outcome(f, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            f(*args)
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            return type(e), str(e)
    return None, ""


@pytest.mark.parametrize("name", CHECKED)
def test_non_tensors_are_refused_as_torch_refuses_them(name):
    ours, theirs = getattr(cg, name), getattr(torch, name)
    for make in (lambda lib: ([1.0, 2.0],), lambda lib: ([1.0, 2.0], lib.ones(2)), lambda lib: (2.0, lib.ones(2)),
                 lambda lib: ("i,i->", [1.0], lib.ones(1)) if name == "einsum" else ([[1.0]],)):
        (t_cls, t_msg), (c_cls, c_msg) = _outcome(theirs, make(torch)), _outcome(ours, make(cg))
        if t_cls is TypeError:
            assert c_cls is TypeError, (name, make(torch), t_msg, c_cls, c_msg)
        if c_cls is TypeError and any(s in c_msg for s in OURS):  # never refused where torch computes
            assert t_cls is not None, (name, make(torch), c_msg)


@pytest.mark.parametrize("call, message", [
    (lambda: cg.sum([1.0, 2.0]), "sum(): argument 'input' (position 1) must be Tensor, not list"),
    (lambda: cg.zeros_like(input=[1, 2]), "zeros_like(): argument 'input' must be Tensor, not list"),
    (lambda: cg.add([1.0], [2.0]), "add(): argument 'input' (position 1) must be Tensor, not list"),
    (lambda: cg.cat([cg.ones(1), [1.0]]), "expected Tensor as element 1 in argument 0, but got list"),
    (lambda: cg.exp(2.0), "exp(): argument 'input' (position 1) must be Tensor, not float"),
])
def test_messages_are_torchs(call, message):
    with pytest.raises(TypeError) as ours:
        call()
    assert str(ours.value) == message


def test_numbers_where_torch_takes_them():
    t = cg.tensor([1.0, 2.0])
    assert cg.add(2, t).tolist() == [3.0, 4.0]
    assert cg.pow(2, t).tolist() == [2.0, 4.0]
    assert cg.where(t > 1, 0.0, t).tolist() == [1.0, 0.0]
    assert cg.sum(input=t).item() == 3.0  # by name too


def test_the_wrapped_function_keeps_its_name_doc_and_signature():
    assert cg.sum.__name__ == "sum" and cg.sum.__doc__ == cg.sum.__wrapped__.__doc__
    assert inspect.signature(cg.sum) == inspect.signature(cg.sum.__wrapped__)


FUNCTIONAL = [name for name in sorted(dir(F)) if getattr(getattr(F, name), "checks_arguments", False)
              and hasattr(torch.nn.functional, name)]


def test_the_functional_namespace_is_checked():
    assert len(FUNCTIONAL) > 40
    for name in ("relu", "linear", "conv2d", "cross_entropy", "dropout", "batch_norm", "embedding"):
        assert name in FUNCTIONAL


FUNCTIONAL_CALLS = (lambda lib: ([1.0, 2.0],), lambda lib: ([1.0, 2.0], lib.ones(2)), lambda lib: (2.0, lib.ones(2)),
                    lambda lib: (lib.ones(2), [1.0, 2.0]), lambda lib: ([1.0, 2.0], [1.0, 2.0]))


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_non_tensors_are_refused_as_torch_refuses_them(name):
    ours, theirs = getattr(F, name), getattr(torch.nn.functional, name)
    for make in FUNCTIONAL_CALLS:
        (t_cls, t_msg), (c_cls, c_msg) = _outcome(theirs, make(torch)), _outcome(ours, make(cg))
        if t_cls is TypeError:
            assert c_cls is TypeError, (name, make(torch), t_msg, c_cls, c_msg)
        if c_cls is TypeError and any(s in c_msg for s in OURS):  # never refused where torch computes
            assert t_cls is not None, (name, make(torch), c_msg)


PUBLIC_FUNCTIONAL = [name for name in sorted(dir(F))
                     if not name.startswith("_") and inspect.isfunction(getattr(F, name))]


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONAL)
def test_functions_torch_writes_in_python_fail_with_its_attribute_error(name):
    """torch's Python-level functions (interpolate, normalize, the losses ...) meet a list with an AttributeError
    naming the tensor method they call first; ours raise the same (and the built-in ones a TypeError, above)."""
    if not hasattr(torch.nn.functional, name):
        return
    for make in FUNCTIONAL_CALLS:
        (t_cls, t_msg), (c_cls, c_msg) = (_outcome(getattr(torch.nn.functional, name), make(torch)),
                                          _outcome(getattr(F, name), make(cg)))
        if t_cls is AttributeError and make(torch)[0] is not None and not isinstance(make(torch)[0], torch.Tensor):
            assert (c_cls, c_msg) == (t_cls, t_msg), (name, make(torch))
        if AttributeError in (t_cls, c_cls):
            assert c_cls is t_cls, (name, make(torch), t_msg, c_msg)


def test_torch_norm_written_in_python_fails_as_torchs():
    for lib in (torch, cg):
        with pytest.raises(AttributeError, match="^'list' object has no attribute 'layout'$"):
            lib.norm([1.0, 2.0])


def test_the_functional_namespace_holds_only_torchs_names():
    ours_only = [name for name in PUBLIC_FUNCTIONAL if not hasattr(torch.nn.functional, name)]
    assert ours_only == ["apply"]  # (autograd's, by the name chaingrad.compile replaces while tracing)
    assert not hasattr(F, "where") and not hasattr(F, "flatten")


@pytest.mark.parametrize("call, message", [
    (lambda F: F.linear(F_ONES, [1.0]), "linear(): argument 'weight' (position 2) must be Tensor, not list"),
    (lambda F: F.elu(F_ONES, [1.0]), "elu(): argument 'alpha' (position 2) must be Number, not list"),
    (lambda F: F.avg_pool1d(F_ONES, [1.5]), "avg_pool1d(): argument 'kernel_size' (position 2) must be tuple of ints, "
                                            "but found element of type float at pos 0"),
    (lambda F: F.one_hot(F_ONES, [2]), "one_hot(): argument 'num_classes' (position 2) must be int, not list"),
])
def test_functional_further_arguments_have_torchs_messages(call, message):
    with pytest.raises(TypeError) as ours:
        call(F)
    assert str(ours.value) == message


F_ONES = cg.ones(1, 1, 4)


def test_relu_in_place_and_gelus_approximate_by_name_as_torch():
    for lib, functional in ((torch, torch.nn.functional), (cg, F)):
        x = lib.tensor([-1.0, 2.0])
        assert functional.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
        assert functional.relu(lib.tensor([-1.0, 2.0]), False).tolist() == [0.0, 2.0]
        with pytest.raises(TypeError):
            functional.gelu(x, "tanh")
        assert abs(functional.gelu(x, approximate="tanh")[1].item() - 1.9545977) < 1e-6


def test_a_call_without_out_skips_the_out_wrapper_and_gives_the_same():
    """The argument check calls the op itself unless out= is given (one wrapper a call, not two)."""
    import sys

    a, b = cg.tensor([1.0, 2.0, 3.0]), cg.tensor([4.0, 5.0, 6.0])
    entered: list[str] = []
    for call in (lambda **out: cg.add(a, b, **out), lambda **out: cg.cat([a, b], **out)):
        entered.clear()
        out = cg.empty(0)
        sys.setprofile(lambda frame, event, arg: entered.append(frame.f_code.co_name) if event == "call" else None)
        try:
            plain = call()
            given = call(out=out)
        finally:
            sys.setprofile(None)
        assert entered.count("fn_with_out") == 1  # the call with out= only
        assert given is out and plain.tolist() == out.tolist()
