"""ConvTranspose1d/2d, AdaptiveMaxPool1d/2d, InstanceNorm1d/2d, MultiheadAttention, TransformerEncoderLayer and
TransformerEncoder against torch: torch's parameter names and shapes (state dicts load both ways), outputs
and every gradient equal after copying the weights (float64 tight, float32 loose), train and eval mode, double
backward, torch's errors, and default initializations with torch's distributions."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import torch

import chaingrad

TIGHT = dict(rtol=1e-9, atol=1e-11)
LOOSE = dict(rtol=2e-4, atol=2e-5)


def _grid(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


def _copy_weights(theirs: torch.nn.Module, ours: chaingrad.nn.Module) -> None:
    """torch's state dict into ours (strict: the same names and shapes), and ours back into a torch copy."""
    result = ours.load_state_dict({k: chaingrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})


def _run(module, lib, arrays, grad_out_seed=0, call=None, **kwargs):
    """Output(s) of ``module`` on tensors made from ``arrays`` (float arrays require grad), the gradients of a
    fixed random projection of the first output with respect to those inputs and to every parameter."""
    tensors = [lib.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a for a in arrays]
    out = (call or module)(*tensors, **kwargs)
    first = out[0] if isinstance(out, tuple) else out
    g = np.random.default_rng(grad_out_seed).standard_normal(tuple(first.shape)).astype(first.detach().numpy().dtype)
    (first * lib.tensor(g)).sum().backward()
    outs = [o.detach().numpy() for o in (out if isinstance(out, tuple) else (out,)) if o is not None]
    grads = [t.grad.numpy() for t in tensors if isinstance(t, lib.Tensor) and t.requires_grad]
    pgrads = {name: (None if p.grad is None else p.grad.numpy()) for name, p in module.named_parameters()}
    return outs, grads, pgrads


def _assert_matches(ours, theirs, tol):
    (o1, g1, p1), (o2, g2, p2) = ours, theirs
    assert len(o1) == len(o2)
    for a, b in zip(o1, o2):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, **tol)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, **tol)
    assert list(p1) == list(p2)
    for name in p1:
        assert (p1[name] is None) == (p2[name] is None), name
        if p1[name] is not None:
            np.testing.assert_allclose(p1[name], p2[name], err_msg=name, **tol)


def _pair_of(name, args, kwargs, dtype=torch.float64):
    theirs = getattr(torch.nn, name)(*args, **kwargs).to(dtype)
    ours = getattr(chaingrad.nn, name)(*args, **kwargs).to(chaingrad.float64 if dtype == torch.float64
                                                            else chaingrad.float32)
    _copy_weights(theirs, ours)
    return ours, theirs


def _compare(name, args, kwargs, arrays, dtype=np.float64, train=True, **call_kwargs):
    ours, theirs = _pair_of(name, args, kwargs, torch.float64 if dtype == np.float64 else torch.float32)
    ours.train(train)
    theirs.train(train)
    arrays = [a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    ours_result = _run(ours, chaingrad, arrays, **_lib_kwargs(call_kwargs, chaingrad))
    theirs_result = _run(theirs, torch, arrays, **_lib_kwargs(call_kwargs, torch))
    _assert_matches(ours_result, theirs_result, TIGHT if dtype == np.float64 else LOOSE)
    return ours, theirs


def _lib_kwargs(kwargs, lib):
    return {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def _randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- ConvTranspose -----------------------------------------------------------------------------------------------
CONV_T = _grid(stride=[1, 2, (2, 3)], padding=[0, 1, (2, 1)], output_padding=[0, 1], groups=[1, 2],
               dilation=[1, 2], bias=[True, False])
CONV_T = [c for c in CONV_T if all(o < max(s, d) for o, s, d in zip(*(
    (v, v) if isinstance(v, int) else v for v in (c["output_padding"], c["stride"], c["dilation"]))))]


@pytest.mark.parametrize("kwargs", CONV_T, ids=[str(k) for k in CONV_T])
def test_conv_transpose2d_matches_torch_float64(kwargs):
    _compare("ConvTranspose2d", (4, 6, (3, 2)), kwargs, [_randn(2, 4, 5, 4)])


@pytest.mark.parametrize("kwargs", [dict(stride=2, padding=1, output_padding=1), dict(groups=2, dilation=2)])
def test_conv_transpose2d_float32_unbatched_and_1d(kwargs):
    _compare("ConvTranspose2d", (4, 6, 3), kwargs, [_randn(2, 4, 5, 5)], dtype=np.float32)
    _compare("ConvTranspose2d", (4, 6, 3), kwargs, [_randn(4, 5, 5)])
    _compare("ConvTranspose1d", (4, 6, 3), kwargs, [_randn(2, 4, 7)])
    _compare("ConvTranspose1d", (4, 6, 3), kwargs, [_randn(4, 7)])


@pytest.mark.parametrize("output_size", [(9, 9), (10, 10), (9, 10), [2, 6, 10, 9]])
def test_conv_transpose2d_output_size_picks_the_output_padding(output_size):
    _compare("ConvTranspose2d", (4, 6, 3), dict(stride=2, padding=1), [_randn(2, 4, 5, 5)], output_size=output_size)


def test_conv_transpose_functional_and_double_backward_match_torch():
    x, w, b = _randn(2, 4, 5, 5), _randn(4, 3, 3, 3, seed=1), _randn(6, seed=2)

    def run(lib, F):
        xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        out = F.conv_transpose2d(xt, wt, bt, stride=2, padding=1, output_padding=1, groups=2, dilation=1)
        gx, gw = lib.autograd.grad((out ** 2).sum(), (xt, wt), create_graph=True)
        (gx.sum() + (gw ** 2).sum()).backward()
        return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()

    for a, b_ in zip(run(chaingrad, chaingrad.nn.functional), run(torch, torch.nn.functional)):
        np.testing.assert_allclose(a, b_, **TIGHT)
    xt, wt = chaingrad.tensor(x[:1, :, :3, :3], requires_grad=True), chaingrad.tensor(w[:, :, :2, :2],
                                                                                      requires_grad=True)
    assert chaingrad.autograd.gradgradcheck(
        lambda a, c: chaingrad.nn.functional.conv_transpose2d(a, c, stride=2, groups=2), (xt, wt))


def test_conv_transpose_errors_are_torchs():
    for lib in (chaingrad, torch):
        with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
            lib.nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
        m = lib.nn.ConvTranspose2d(2, 2, 3, stride=2)
        with pytest.raises(ValueError, match=r"requested an output size of \(20, 20\), but valid sizes range from "
                                             r"\[9, 9\] to \[10, 10\] \(for an input of [a-z]+.Size\(\[4, 4\]\)\)"):
            m(lib.zeros(1, 2, 4, 4), output_size=(20, 20))
        with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
            lib.nn.functional.conv_transpose2d(lib.zeros(1, 2, 4, 4), lib.zeros(2, 2, 3, 3), output_padding=1)
        with pytest.raises(RuntimeError, match="channels"):
            lib.nn.functional.conv_transpose2d(lib.zeros(1, 3, 4, 4), lib.zeros(2, 2, 3, 3))


def test_conv_transpose_default_init_has_torchs_bounds_and_repr():
    m = chaingrad.nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2, bias=True)
    t = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2, bias=True)
    assert repr(m) == repr(t) and tuple(m.weight.shape) == tuple(t.weight.shape) == (4, 3, 3, 3)
    bound = 1 / math.sqrt(3 * 3 * 3)  # fan_in is weight.size(1) * kernel, as torch computes it
    assert np.abs(m.weight.detach().numpy()).max() <= bound and np.abs(m.bias.detach().numpy()).max() <= bound
    assert np.abs(m.weight.detach().numpy()).max() > 0.5 * bound


# -- AdaptiveMaxPool ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("output_size", [1, 3, (2, 5), (7, 9), (None, 4), (10, 12), (4, None)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adaptive_max_pool2d_matches_torch(output_size, dtype):
    x = _randn(2, 3, 7, 9).astype(dtype)
    x[0, 0, :2, :2] = 0.0  # ties: torch keeps the first maximum in row-major order
    x[1, 1, 3, :] = 5.0
    _compare("AdaptiveMaxPool2d", (output_size,), dict(return_indices=True), [x], dtype=dtype)
    _compare("AdaptiveMaxPool2d", (output_size,), {}, [x[0]], dtype=dtype)
    _compare("AdaptiveMaxPool1d", (output_size if isinstance(output_size, int) else 4,), dict(return_indices=True),
             [x[:, :, 0]], dtype=dtype)


def test_adaptive_max_pool2d_double_backward_and_errors():
    x = chaingrad.tensor(_randn(1, 2, 5, 6), requires_grad=True)
    assert chaingrad.autograd.gradgradcheck(lambda a: chaingrad.nn.functional.adaptive_max_pool2d(a, (2, 3)), (x,))
    assert repr(chaingrad.nn.AdaptiveMaxPool2d((2, 3))) == repr(torch.nn.AdaptiveMaxPool2d((2, 3)))
    for lib in (chaingrad, torch):
        with pytest.raises(RuntimeError, match="Expected 3D or 4D tensor"):
            lib.nn.functional.adaptive_max_pool2d(lib.zeros(2, 3), 1)


# -- InstanceNorm ------------------------------------------------------------------------------------------------
INSTANCE = _grid(affine=[False, True], track_running_stats=[False, True], momentum=[0.1, 0.5])


@pytest.mark.parametrize("kwargs", INSTANCE, ids=[str(k) for k in INSTANCE])
def test_instance_norm_matches_torch_in_train_and_eval(kwargs):
    ours, theirs = _pair_of("InstanceNorm2d", (3,), kwargs)
    for step, train in enumerate([True, True, False, True, False]):
        ours.train(train)
        theirs.train(train)
        x = _randn(2, 3, 4, 5, seed=step) * 2 + 1
        _assert_matches(_run(ours, chaingrad, [x]), _run(theirs, torch, [x]), TIGHT)
        for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            np.testing.assert_allclose(a.numpy(), b.numpy(), err_msg=name, **TIGHT)
        for p in list(ours.parameters()) + list(theirs.parameters()):
            p.grad = None
    assert repr(ours) == repr(theirs)
    _compare("InstanceNorm2d", (3,), kwargs, [_randn(3, 4, 5)])  # unbatched
    _compare("InstanceNorm1d", (3,), kwargs, [_randn(2, 3, 6)])
    _compare("InstanceNorm2d", (3,), kwargs, [_randn(2, 3, 4, 5)], dtype=np.float32)


def test_instance_norm_errors_and_warnings_are_torchs():
    for lib in (chaingrad, torch):
        with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
            lib.nn.InstanceNorm2d(3)(lib.zeros(2, 3, 1, 1))
        with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
            lib.nn.InstanceNorm2d(3)(lib.zeros(2, 3))
        with pytest.raises(ValueError, match="to match num_features"):
            lib.nn.InstanceNorm2d(3, affine=True)(lib.zeros(2, 4, 3, 3))
        with pytest.warns(UserWarning, match="does not match num_features"):
            lib.nn.InstanceNorm2d(3)(lib.ones(2, 4, 3, 3))


# -- MultiheadAttention --------------------------------------------------------------------------------------------
def _mha_arrays(batch_first, kdim, vdim, unbatched=False, same=True, seed=0):
    L, S, N, E = 4, 5, 3, 8
    if unbatched:
        q = _randn(L, E, seed=seed)
        return q, (q if same else _randn(S, kdim or E, seed=seed + 1)), (q if same else _randn(S, vdim or E,
                                                                                               seed=seed + 2))
    shape = (N, L, E) if batch_first else (L, N, E)
    kshape = lambda d: (N, S, d) if batch_first else (S, N, d)  # noqa: E731
    q = _randn(*shape, seed=seed)
    if same:
        return q, q, q
    return q, _randn(*kshape(kdim or E), seed=seed + 1), _randn(*kshape(vdim or E), seed=seed + 2)


def _masks(kind, L, S, N, heads, rng):
    if kind == "none":
        return {}
    kpm = np.zeros((N, S), bool)
    kpm[0, -2:] = True
    kpm[2, -1] = True
    causal = np.triu(np.ones((L, S), bool), 1)
    if kind == "kpm":
        return dict(key_padding_mask=kpm)
    if kind == "bool":
        return dict(attn_mask=causal)
    if kind == "float":
        return dict(attn_mask=rng.standard_normal((L, S)), key_padding_mask=np.where(kpm, -np.inf, 0.0))
    if kind == "3d":
        return dict(attn_mask=rng.standard_normal((N * heads, L, S)), key_padding_mask=np.where(kpm, -1e9, 0.0))
    return dict(attn_mask=causal, key_padding_mask=kpm)  # "both"


MHA = _grid(batch_first=[False, True], cross=[False, True], masks=["none", "kpm", "bool", "float", "3d", "both"],
            need_weights=[True, False], average=[True, False])
MHA = [c for c in MHA if c["need_weights"] or c["average"]]


@pytest.mark.parametrize("case", MHA, ids=[str(c) for c in MHA])
def test_multihead_attention_matches_torch(case):
    L = 4
    S = L if not case["cross"] else 5
    kdim, vdim = (6, 7) if case["cross"] else (None, None)
    q, k, v = _mha_arrays(case["batch_first"], kdim, vdim, same=not case["cross"])
    if not case["cross"]:
        S = L
    masks = _masks(case["masks"], L, S, 3, 2, np.random.default_rng(1))
    ours, theirs = _pair_of("MultiheadAttention", (8, 2), dict(batch_first=case["batch_first"], kdim=kdim, vdim=vdim))
    kwargs = dict(need_weights=case["need_weights"], average_attn_weights=case["average"], **masks)
    for train in (True, False):
        ours.train(train)
        theirs.train(train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if case["cross"]:
                res = [_run(m, lib, [q, k, v], **_lib_kwargs(kwargs, lib)) for m, lib in ((ours, chaingrad),
                                                                                         (theirs, torch))]
            else:  # self-attention: the same tensor as query, key and value (torch's packed projection)
                res = [_run(m, lib, [q], call=lambda x, m=m, **kw: m(x, x, x, **kw), **_lib_kwargs(kwargs, lib))
                       for m, lib in ((ours, chaingrad), (theirs, torch))]
        _assert_matches(res[0], res[1], TIGHT)
        for p in list(ours.parameters()) + list(theirs.parameters()):
            p.grad = None


MHA_OPTIONS = _grid(bias=[True, False], add_bias_kv=[False, True], add_zero_attn=[False, True],
                    unbatched=[False, True], kv=[False, True])


@pytest.mark.parametrize("case", MHA_OPTIONS, ids=[str(c) for c in MHA_OPTIONS])
def test_multihead_attention_options_match_torch(case):
    kdim, vdim = (6, 5) if case["kv"] else (None, None)
    q, k, v = _mha_arrays(True, kdim, vdim, unbatched=case["unbatched"], same=False)
    masks = {} if case["unbatched"] else dict(key_padding_mask=np.array([[False] * 4 + [True]] * 3),
                                              attn_mask=np.zeros((4, 5), bool))
    kwargs = dict(batch_first=True, bias=case["bias"], add_bias_kv=case["add_bias_kv"],
                  add_zero_attn=case["add_zero_attn"], kdim=kdim, vdim=vdim)
    for need_weights in (True, False):
        _compare("MultiheadAttention", (8, 4), kwargs, [q, k, v], need_weights=need_weights, **masks)
    _compare("MultiheadAttention", (8, 4), kwargs, [q, k, v], dtype=np.float32, **masks)


def test_multihead_attention_state_dict_names_shapes_init_and_repr():
    for kwargs in (dict(), dict(kdim=3, vdim=5, add_bias_kv=True), dict(bias=False)):
        ours = chaingrad.nn.MultiheadAttention(8, 2, **kwargs)
        theirs = torch.nn.MultiheadAttention(8, 2, **kwargs)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
            [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        assert repr(ours) == repr(theirs)
        if ours.in_proj_bias is not None:
            assert not ours.in_proj_bias.detach().numpy().any() and not ours.out_proj.bias.detach().numpy().any()
    m = chaingrad.nn.MultiheadAttention(64, 4)
    w = m.in_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier_uniform over the packed (3E, E) weight
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound and abs(w.std() - bound / math.sqrt(3)) < 0.01


def test_multihead_attention_double_backward_and_dropout():
    m = chaingrad.nn.MultiheadAttention(4, 2, batch_first=True).double()
    x = chaingrad.tensor(_randn(2, 3, 4), requires_grad=True)
    assert chaingrad.autograd.gradgradcheck(lambda a: m(a, a, a)[0], (x,))
    t = torch.nn.MultiheadAttention(4, 2, batch_first=True).double()
    _copy_weights(t, m)
    tx = torch.tensor(_randn(2, 3, 4), requires_grad=True)
    for mod, xx, lib in ((m, x, chaingrad), (t, tx, torch)):
        out = mod(xx, xx, xx)[0]
        (g,) = lib.autograd.grad((out ** 2).sum(), xx, create_graph=True)
        (g ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), **TIGHT)
    drop = chaingrad.nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True).double()
    _copy_weights(t, drop)
    drop.eval()
    np.testing.assert_allclose(drop(x, x, x)[0].detach().numpy(), t(tx, tx, tx)[0].detach().numpy(), **TIGHT)
    drop.train()
    chaingrad.manual_seed(0)
    w = drop(x, x, x)[1].detach().numpy()
    assert (w == 0).any() and not np.allclose(w.sum(-1), 1.0)  # dropped weights, the rest scaled by 1/(1-p)


def test_multihead_attention_errors_are_torchs():
    for lib in (chaingrad, torch):
        with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
            lib.nn.MultiheadAttention(6, 4)
        with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
            lib.nn.MultiheadAttention(0, 1)
        m = lib.nn.MultiheadAttention(4, 2)
        x = lib.zeros(3, 2, 4)
        with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is"):
            m(x, x, x, attn_mask=lib.zeros(2, 2))
        with pytest.raises(AssertionError, match="only bool and floating types of attn_mask are supported"):
            m(x, x, x, attn_mask=lib.zeros(3, 3, dtype=lib.int64))
        with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
            m(x, x, x, is_causal=True)
        with pytest.raises(AssertionError, match="was expecting embedding dimension of 4, but got 5"):
            m(lib.zeros(3, 2, 5), x, x)
        with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor"):
            m(lib.zeros(4), x, x)


SDPA = _grid(mask=["none", "bool", "float"], is_causal=[False, True], scale=[None, 0.3])


@pytest.mark.parametrize("case", SDPA, ids=[str(c) for c in SDPA])
def test_scaled_dot_product_attention_matches_torch(case):
    if case["is_causal"] and case["mask"] != "none":
        return
    q, k, v = _randn(2, 3, 4, 8), _randn(2, 3, 6, 8, seed=1), _randn(2, 3, 6, 5, seed=2)
    mask = {"none": None, "bool": np.tril(np.ones((4, 6), bool)), "float": _randn(4, 6, seed=3)}[case["mask"]]
    results = []
    for lib in (chaingrad, torch):
        ts = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        out = lib.nn.functional.scaled_dot_product_attention(
            *ts, attn_mask=None if mask is None else lib.tensor(mask), is_causal=case["is_causal"],
            scale=case["scale"])
        (out * lib.tensor(_randn(*out.shape, seed=9))).sum().backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in ts])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, **TIGHT)


# -- Transformer encoder -------------------------------------------------------------------------------------------
LAYER = _grid(norm_first=[False, True], activation=["relu", "gelu", "callable"], batch_first=[False, True],
              masks=["none", "kpm", "causal"])


def _activation(name, lib):
    return (lambda x: lib.tanh(x) * 2) if name == "callable" else name


@pytest.mark.parametrize("case", LAYER, ids=[str(c) for c in LAYER])
def test_transformer_encoder_layer_matches_torch(case):
    x = _randn(3, 5, 8) if case["batch_first"] else _randn(5, 3, 8)
    masks = {"none": {}, "kpm": dict(src_key_padding_mask=np.array([[0, 0, 0, 1, 1], [0] * 5, [0, 0, 0, 0, 1]],
                                                                   bool)),
             "causal": dict(src_mask=np.triu(np.full((5, 5), -np.inf), 1))}[case["masks"]]
    args = (8, 2)
    theirs = torch.nn.TransformerEncoderLayer(*args, dim_feedforward=16, dropout=0.0,
                                              activation=_activation(case["activation"], torch),
                                              batch_first=case["batch_first"], norm_first=case["norm_first"]).double()
    ours = chaingrad.nn.TransformerEncoderLayer(*args, dim_feedforward=16, dropout=0.0,
                                                activation=_activation(case["activation"], chaingrad),
                                                batch_first=case["batch_first"],
                                                norm_first=case["norm_first"]).double()
    _copy_weights(theirs, ours)
    for train in (True, False):
        ours.train(train)
        theirs.train(train)
        _assert_matches(_run(ours, chaingrad, [x], **_lib_kwargs(masks, chaingrad)),
                        _run(theirs, torch, [x], **_lib_kwargs(masks, torch)), TIGHT)
        for p in list(ours.parameters()) + list(theirs.parameters()):
            p.grad = None


def test_transformer_encoder_layer_structure_float32_and_dropout():
    ours = chaingrad.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    assert repr(ours) == repr(theirs)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    _copy_weights(theirs, ours)
    x = _randn(5, 3, 8).astype(np.float32)
    ours.eval()
    theirs.eval()
    with chaingrad.no_grad(), torch.no_grad():  # torch takes its fused inference path here
        np.testing.assert_allclose(ours(chaingrad.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), **LOOSE)
    ours.train()
    a, b = ours(chaingrad.tensor(x)), ours(chaingrad.tensor(x))
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())  # dropout is on in training
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        chaingrad.nn.TransformerEncoderLayer(8, 2, activation="tanh")
    small = chaingrad.nn.TransformerEncoderLayer(4, 2, 6, 0.0, activation="gelu", norm_first=True).double()
    x = chaingrad.tensor(_randn(3, 1, 4), requires_grad=True)
    assert chaingrad.autograd.gradgradcheck(small, (x,))  # second derivatives through attention and LayerNorm


ENCODER = _grid(num_layers=[1, 3], norm=[False, True], masks=["none", "kpm", "causal", "both"],
                batch_first=[False, True])


@pytest.mark.parametrize("case", ENCODER, ids=[str(c) for c in ENCODER])
def test_transformer_encoder_matches_torch(case):
    kpm = np.array([[0, 0, 0, 1, 1], [0] * 5, [0, 0, 0, 0, 1]], bool)
    causal = np.triu(np.full((5, 5), -np.inf), 1)
    masks = {"none": {}, "kpm": dict(src_key_padding_mask=kpm), "causal": dict(mask=causal),
             "both": dict(mask=causal, src_key_padding_mask=np.where(kpm, -np.inf, 0.0))}[case["masks"]]
    x = _randn(3, 5, 8) if case["batch_first"] else _randn(5, 3, 8)

    def make(lib):
        layer = lib.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=case["batch_first"])
        norm = lib.nn.LayerNorm(8) if case["norm"] else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return lib.nn.TransformerEncoder(layer, case["num_layers"], norm=norm).double()

    ours, theirs = make(chaingrad), make(torch)
    _copy_weights(theirs, ours)
    for train in (True, False):
        ours.train(train)
        theirs.train(train)
        _assert_matches(_run(ours, chaingrad, [x], **_lib_kwargs(masks, chaingrad)),
                        _run(theirs, torch, [x], **_lib_kwargs(masks, torch)), TIGHT)
        for p in list(ours.parameters()) + list(theirs.parameters()):
            p.grad = None
    ours.eval()
    theirs.eval()
    with chaingrad.no_grad(), torch.no_grad():  # inference: torch's nested tensors zero the padded positions
        a = ours(chaingrad.tensor(x), **_lib_kwargs(masks, chaingrad)).numpy()
        b = theirs(torch.tensor(x), **_lib_kwargs(masks, torch)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_transformer_encoder_copies_the_layer_and_warns_as_torch():
    layer = chaingrad.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False because "
                                         r"encoder_layer.self_attn.batch_first was not True"):
        enc = chaingrad.nn.TransformerEncoder(layer, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chaingrad.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        chaingrad.nn.TransformerEncoder(chaingrad.nn.TransformerEncoderLayer(8, 2, batch_first=True), 2)
    assert enc.layers[0] is not layer and enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(enc.layers[0].linear1.weight.detach().numpy(),
                                  enc.layers[1].linear1.weight.detach().numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), 2,
                                             norm=torch.nn.LayerNorm(8))
        ours = chaingrad.nn.TransformerEncoder(layer, 2, norm=chaingrad.nn.LayerNorm(8))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_without_the_fast_path_padded_positions_keep_their_values():
    x = _randn(2, 4, 8)
    kpm = np.array([[0, 0, 1, 1], [0, 0, 0, 0]], bool)
    encoders = [lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), 2)
                .double().eval() for lib in (torch, chaingrad)]
    _copy_weights(*encoders)
    results = []
    for lib, enc in zip((torch, chaingrad), encoders):
        lib.backends.mha.set_fastpath_enabled(False)
        try:
            with lib.no_grad():
                results.append(enc(lib.tensor(x), src_key_padding_mask=lib.tensor(kpm)).numpy())
        finally:
            lib.backends.mha.set_fastpath_enabled(True)
    np.testing.assert_allclose(results[1], results[0], **TIGHT)
    assert np.abs(results[1][0, 2:]).sum() > 0
