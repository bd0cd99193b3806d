"""nn.Module behaves as torch's: registration, traversal order, state_dict keys and loading (with torch's
errors), repr, train/eval, zero_grad, hooks, containers, Parameter and init."""

from __future__ import annotations

import copy
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chaingrad as cg
from chaingrad import nn


def lenet(lib_nn):
    return lib_nn.Sequential(
        lib_nn.Conv2d(1, 6, kernel_size=5, padding=2), lib_nn.Sigmoid(), lib_nn.AvgPool2d(kernel_size=2, stride=2),
        lib_nn.Conv2d(6, 16, kernel_size=5), lib_nn.Sigmoid(), lib_nn.MaxPool2d(kernel_size=2, stride=2),
        lib_nn.Flatten(), lib_nn.Linear(16 * 5 * 5, 120), lib_nn.BatchNorm1d(120), lib_nn.ReLU(),
        lib_nn.Dropout(0.5), lib_nn.Linear(120, 84), lib_nn.LayerNorm(84), lib_nn.GELU(approximate="tanh"),
        lib_nn.Linear(84, 10), lib_nn.LogSoftmax(dim=1))


class Net:
    """The same custom module written against either library."""

    @staticmethod
    def make(lib_nn):
        class MyNet(lib_nn.Module):
            def __init__(self):
                super().__init__()
                self.features = lib_nn.Sequential(OrderedDict(conv=lib_nn.Conv2d(3, 4, 3, bias=False),
                                                              bn=lib_nn.BatchNorm2d(4), act=lib_nn.ReLU()))
                self.heads = lib_nn.ModuleDict({"a": lib_nn.Linear(4, 2), "b": lib_nn.Linear(4, 3, bias=False)})
                self.blocks = lib_nn.ModuleList([lib_nn.Linear(4, 4) for _ in range(3)] + [lib_nn.Tanh()])
                self.scale = lib_nn.Parameter(torch.ones(1) if lib_nn is torch.nn else cg.ones(1))
                self.register_buffer("steps", torch.zeros(2) if lib_nn is torch.nn else cg.zeros(2))
                self.register_buffer("scratch", torch.zeros(2) if lib_nn is torch.nn else cg.zeros(2),
                                     persistent=False)
                self.emb = lib_nn.Embedding(10, 4, padding_idx=0)
                self.rnn = lib_nn.LSTM(4, 5, num_layers=2)

            def forward(self, x):
                h = self.features(x).mean((2, 3))
                for b in self.blocks:
                    h = b(h)
                return self.heads["a"](h) * self.scale

        return MyNet()


@pytest.mark.parametrize("make", [lenet, Net.make])
def test_repr_state_dict_keys_and_parameter_order_match_torch(make):
    t, c = make(torch.nn), make(nn)
    assert repr(c) == repr(t)
    assert list(c.state_dict()) == list(t.state_dict())
    assert [n for n, _ in c.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [tuple(p.shape) for p in c.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert [n for n, _ in c.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in c.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in c.named_children()] == [n for n, _ in t.named_children()]
    assert [type(m).__name__ for m in c.modules()] == [type(m).__name__ for m in t.modules()]


def test_torch_state_dict_loads_and_gives_torch_outputs():
    t, c = lenet(torch.nn), lenet(nn)
    t.train()
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
    t(torch.tensor(x))  # move the running statistics away from their initial values
    result = c.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    assert repr(result) == "<All keys matched successfully>"
    assert c[8].num_batches_tracked.item() == 1
    t.eval()
    c.eval()
    np.testing.assert_allclose(c(cg.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    # and back: chaingrad's state dict loads into torch
    t2 = lenet(torch.nn)
    t2.load_state_dict({k: torch.tensor(v.numpy()) for k, v in c.state_dict().items()})


def test_load_state_dict_errors_match_torch():
    sd_t = {k: v.numpy() for k, v in torch.nn.Linear(4, 3).state_dict().items()}
    sd_bad = {"weight": np.zeros((2, 4), np.float32), "extra": np.zeros(1)}
    for lib_nn in (torch.nn, nn):
        m = lib_nn.Sequential(lib_nn.Linear(4, 3), lib_nn.ReLU())
        bad = {"0.weight": sd_bad["weight"], "0.extra": sd_bad["extra"], "1.foo": np.zeros(1)}
        if lib_nn is torch.nn:
            bad = {k: torch.tensor(v) for k, v in bad.items()}
        with pytest.raises(RuntimeError) as info:
            m.load_state_dict(bad)
        msg = str(info.value).replace("torch.Size", "Size").replace("chaingrad.Size", "Size")
        if lib_nn is torch.nn:
            expected = msg
        else:
            assert msg == expected
    assert expected.startswith("Error(s) in loading state_dict for Sequential:\n\tMissing key(s) in state_dict: "
                               '"0.bias". \n\tUnexpected key(s) in state_dict: "0.extra", "1.foo". \n\t'
                               "size mismatch for 0.weight")
    lin = nn.Linear(4, 3)
    result = lin.load_state_dict({"weight": sd_t["weight"], "junk": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["junk"]
    np.testing.assert_array_equal(lin.weight.detach().numpy(), sd_t["weight"])
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        lin.load_state_dict({"weight": sd_t["weight"], "bias": np.zeros(5)}, strict=False)


def test_state_dict_values_are_detached_and_share_memory():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    assert not sd["weight"].requires_grad
    sd["weight"].numpy()[0, 0] = 42.0
    assert lin.weight.detach().numpy()[0, 0] == 42.0
    assert lin.state_dict(keep_vars=True)["weight"] is lin.weight
    assert list(nn.BatchNorm1d(3).state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                                    "num_batches_tracked"]
    assert nn.BatchNorm1d(3).state_dict()["num_batches_tracked"].dtype == cg.int64


def test_train_eval_propagate_to_children():
    m = Net.make(nn)
    assert m.training and all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_zero_grad_and_requires_grad():
    m = nn.Linear(3, 2)
    m(cg.randn(4, 3)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert (m.weight.grad.numpy() == 0).all()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    assert not m(cg.randn(1, 3)).requires_grad


def test_registration_rules_match_torch():
    m = nn.Module()
    m.w = nn.Parameter(cg.ones(2))
    m.sub = nn.Linear(1, 1)
    m.register_buffer("b", cg.zeros(1))
    m.plain = 3
    assert [n for n, _ in m.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    assert "w" not in m.__dict__ and m.w is m._parameters["w"]
    with pytest.raises(TypeError, match="cannot assign 'chaingrad.Tensor' as parameter 'w'"):
        m.w = cg.ones(2)
    m.w = None
    assert list(m.parameters())[0] is m.sub.weight
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.register_buffer("plain", cg.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 5)
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'missing'"):
        _ = m.missing
    del m.sub
    assert "sub" not in dict(m.named_children())
    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        class Bad(nn.Module):
            def __init__(self):
                self.w = nn.Parameter(cg.ones(1))

        Bad()


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_apply_visits_children_first():
    seen = []
    Net.make(nn).apply(lambda m: seen.append(type(m).__name__))
    tseen = []
    Net.make(torch.nn).apply(lambda m: tseen.append(type(m).__name__))
    assert seen == tseen


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out * 0)
    p = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    y = m(cg.ones(3, 2))
    assert calls == [cg.Size([3, 2])] and (y.detach().numpy() == 0).all()
    h.remove()
    p.remove()
    assert (m(cg.zeros(1, 2)).detach().numpy() == m.bias.detach().numpy()).all()


def test_sequential_indexing_slicing_and_mutation_like_torch():
    for lib_nn in (torch.nn, nn):
        s = lib_nn.Sequential(lib_nn.Linear(2, 3), lib_nn.ReLU(), lib_nn.Linear(3, 1))
        assert isinstance(s[0], lib_nn.Linear) and isinstance(s[-1], lib_nn.Linear)
        assert len(s) == 3 and len(s[1:]) == 2 and isinstance(s[1:], lib_nn.Sequential)
        assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear"]
        s.append(lib_nn.Sigmoid())
        del s[1]
        s.insert(0, lib_nn.Identity())
        if lib_nn is torch.nn:
            expected = repr(s)
        else:
            assert repr(s) == expected
            assert list(dict(s.named_children())) == ["0", "1", "2", "3"]
    with pytest.raises(IndexError):
        nn.Sequential()[0]


def test_module_list_and_dict_like_torch():
    for lib_nn in (torch.nn, nn):
        ml = lib_nn.ModuleList([lib_nn.Linear(2, 2) for _ in range(3)])
        ml.append(lib_nn.ReLU())
        ml.extend([lib_nn.Tanh()])
        ml += [lib_nn.Linear(2, 2)]
        md = lib_nn.ModuleDict({"x": lib_nn.ReLU()})
        md["y"] = lib_nn.Linear(1, 1)
        md.update([("z", lib_nn.Tanh())])
        text = repr(ml) + repr(md) + repr(ml[1:3]) + str(list(md.keys())) + str(len(ml)) + str("y" in md)
        if lib_nn is torch.nn:
            expected = text
        else:
            assert text == expected


def test_parameter_is_a_leaf_tensor_with_torch_repr():
    p = nn.Parameter(cg.tensor([1.0, 2.0]))
    tp = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert isinstance(p, cg.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == repr(tp).replace("torch", "chaingrad")
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.], requires_grad=True)")
    assert not nn.Parameter(cg.ones(1), requires_grad=False).requires_grad
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q is not p and (q.detach().numpy() == p.detach().numpy()).all()
    y = (p * 2).sum()
    assert type(p * 2) is cg.Tensor
    y.backward()
    assert p.grad.tolist() == [2.0, 2.0]


def test_data_attribute_updates_like_torch():
    net = nn.Sequential(nn.Linear(4, 3))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    assert abs(net[0].weight.detach().numpy()).max() < 0.1
    assert (net[0].bias.detach().numpy() == 0).all()
    assert net[0].weight.requires_grad and net[0].weight.grad_fn is None


def test_deepcopy_and_dtype_conversion():
    m = Net.make(nn)
    m2 = copy.deepcopy(m)
    assert list(m2.state_dict()) == list(m.state_dict())
    assert m2.blocks[0].weight is not m.blocks[0].weight
    m2.double()
    assert all(p.dtype == cg.float64 for p in m2.parameters())
    assert m2.features.bn.num_batches_tracked.dtype == cg.int64
    assert all(p.dtype == cg.float32 for p in m.parameters())
    m2.to(cg.float32)
    assert all(p.dtype == cg.float32 for p in m2.parameters())
    with pytest.raises(AssertionError, match="CPU only"):
        m2.to("cuda")


def test_linear_default_init_has_torch_bounds():
    cg.manual_seed(0)
    lin = nn.Linear(50, 400)
    bound = 1 / math.sqrt(50)
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound
    conv = nn.Conv2d(3, 8, 5)
    assert np.abs(conv.weight.detach().numpy()).max() <= 1 / math.sqrt(75)


def test_init_functions():
    t = cg.empty(300, 200)
    assert nn.init.calculate_gain("relu") == math.sqrt(2)
    assert nn.init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)
    assert nn.init.calculate_gain("tanh") == torch.nn.init.calculate_gain("tanh")
    nn.init.xavier_uniform_(t)
    a = math.sqrt(6 / 500)
    assert np.abs(t.numpy()).max() <= a
    nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    assert abs(t.numpy().std() - math.sqrt(2 / 300)) < 0.005
    nn.init.xavier_normal_(t, gain=2.0)
    assert abs(t.numpy().std() - 2 * math.sqrt(2 / 500)) < 0.005
    nn.init.trunc_normal_(t, std=1.0, a=-1.0, b=1.0)
    assert np.abs(t.numpy()).max() <= 1.0
    nn.init.constant_(t, 0.5)
    assert (t.numpy() == 0.5).all() and t.dtype == cg.float32
    p = nn.Parameter(cg.empty(3, 4))
    nn.init.zeros_(p)
    assert p.grad_fn is None and p.requires_grad and (p.detach().numpy() == 0).all()
    q = nn.init.orthogonal_(cg.empty(30, 20))
    np.testing.assert_allclose(q.numpy().T @ q.numpy(), np.eye(20), atol=1e-5)
    with pytest.raises(ValueError, match="Fan in and fan out"):
        nn.init.xavier_uniform_(cg.empty(3))


def test_clip_grad_norm_and_value_match_torch():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    for norm_type in (2.0, 1.0, math.inf):
        cps = [nn.Parameter(cg.tensor(a)) for a in arrays]
        tps = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
        for p, a in zip(cps + tps, arrays * 2):
            p.grad = cg.tensor(a * 3) if isinstance(p, cg.Tensor) else torch.tensor(a * 3)
        n_c = nn.utils.clip_grad_norm_(cps, 1.5, norm_type)
        n_t = torch.nn.utils.clip_grad_norm_(tps, 1.5, norm_type)
        np.testing.assert_allclose(n_c.item(), n_t.item(), rtol=1e-10)
        for a, b in zip(cps, tps):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10)
    nn.utils.clip_grad_value_(cps, 0.1)
    assert np.abs(cps[0].grad.numpy()).max() <= 0.1
    v = nn.utils.parameters_to_vector(cps)
    assert v.shape == (17,)
    nn.utils.vector_to_parameters(v * 0, cps)
    assert (cps[0].detach().numpy() == 0).all()


def test_set_submodule_and_to_empty_as_torch():
    results = []
    for lib in (cg, torch):
        net = lib.nn.Sequential(lib.nn.Sequential(lib.nn.Linear(2, 2)), lib.nn.ReLU())
        net.set_submodule("0.0", lib.nn.Linear(2, 3))
        net.set_submodule("0.extra", lib.nn.Tanh())
        out = [repr(net)]
        for target, kwargs in (("", {}), ("0.missing", {"strict": True}), ("1.inplace", {}), ("9.x", {})):
            with pytest.raises((ValueError, AttributeError)) as e:
                net.set_submodule(target, lib.nn.ReLU(), **kwargs)
            out.append((type(e.value).__name__, str(e.value).replace("torch", "chaingrad")))
        with pytest.raises(ValueError, match="is not an nn.Module"):
            net.set_submodule("1", 3)
        weight = net[0][0].weight
        net.to_empty(device="cpu", recurse=False)
        assert net[0][0].weight is weight
        net.to_empty(device="cpu")
        out.append((tuple(net[0][0].weight.shape), str(net[0][0].weight.dtype).split(".")[-1],
                    net[0][0].weight.requires_grad, type(net[0][0].weight).__name__))
        results.append(out)
    assert results[0] == results[1]
