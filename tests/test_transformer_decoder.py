"""TransformerDecoderLayer, TransformerDecoder and Transformer equal PyTorch's: seeded initial weights bit for bit
(the same draws in the same order), state-dict names, reprs, outputs and every gradient in float64 with masks and
padding (batch-first or not, norm first or not, relu/gelu, no bias, unbatched), finite differences, the causal
mask, and torch's errors."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch

import chaingrad
from helpers import check_finite_differences

# warnings torch gives for these inputs too (chaingrad mirrors them); the tests compare values
pytestmark = [pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask:UserWarning"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning")]

TIGHT = dict(rtol=1e-9, atol=1e-11)


def _randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _grid(**axes):
    return [dict(zip(axes, values)) for values in itertools.product(*axes.values())]


def _seeded(lib, make):
    lib.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the nested-tensor note of TransformerEncoder, as torch's)
        return make(lib)


MODELS = {
    "layer": lambda lib: lib.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16),
    "layer_variant": lambda lib: lib.nn.TransformerDecoderLayer(8, 4, 12, 0.2, "gelu", 1e-6, True, True, False),
    "decoder": lambda lib: lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(8, 2, 16), 2, lib.nn.LayerNorm(8)),
    "transformer": lambda lib: lib.nn.Transformer(8, 2, 2, 3, 16),
    "transformer_default": lambda lib: lib.nn.Transformer(),
    "transformer_variant": lambda lib: lib.nn.Transformer(8, 4, 1, 1, 8, 0.0, "gelu", batch_first=True,
                                                          norm_first=True, bias=False),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_seeded_weights_names_and_repr_equal_torchs(name):
    ours, theirs = _seeded(chaingrad, MODELS[name]), _seeded(torch, MODELS[name])
    assert repr(ours) == repr(theirs)
    a, b = ours.state_dict(), theirs.state_dict()
    assert list(a) == list(b)
    for key in b:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)
    assert torch.rand(1).item() == chaingrad.rand(1).item()  # (the generators moved on alike)


CASES = _grid(batch_first=[False, True], norm_first=[False, True], masks=["none", "causal", "padding", "all"])


def _inputs(case, lib):
    src, tgt = _randn(6, 3, 8), _randn(4, 3, 8, seed=1)
    if case["batch_first"]:
        src, tgt = src.transpose(1, 0, 2).copy(), tgt.transpose(1, 0, 2).copy()
    pad_src = np.array([[0, 0, 0, 0, 1, 1], [0] * 6, [0, 0, 0, 0, 0, 1]], bool)
    pad_tgt = np.array([[0, 0, 0, 1], [0] * 4, [0, 0, 1, 1]], bool)
    kw = {}
    if case["masks"] in ("causal", "all"):
        kw["tgt_mask"] = lib.nn.Transformer.generate_square_subsequent_mask(4, dtype=lib.float64)
    if case["masks"] in ("padding", "all"):
        kw.update(src_key_padding_mask=lib.tensor(pad_src), tgt_key_padding_mask=lib.tensor(pad_tgt),
                  memory_key_padding_mask=lib.tensor(pad_src))
    if case["masks"] == "all":
        kw["memory_mask"] = lib.tensor(_randn(4, 6, seed=2))
    return lib.tensor(src, requires_grad=True), lib.tensor(tgt, requires_grad=True), kw


def _run(lib, case, train):
    model = _seeded(lib, lambda L: L.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, batch_first=case["batch_first"],
                                                    norm_first=case["norm_first"]).double())
    model.train(train)
    src, tgt, kw = _inputs(case, lib)
    out = model(src, tgt, **kw)
    (out * lib.tensor(_randn(*out.shape, seed=3))).sum().backward()
    grads = [src.grad.numpy(), tgt.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
    return out.detach().numpy(), grads, type(out.grad_fn).__name__


@pytest.mark.parametrize("case", CASES, ids=[str(c) for c in CASES])
def test_transformer_outputs_and_gradients_equal_torchs(case):
    for train in (True, False):
        (a, ga, na), (b, gb, nb) = _run(chaingrad, case, train), _run(torch, case, train)
        assert na == nb
        np.testing.assert_allclose(a, b, **TIGHT)
        assert len(ga) == len(gb)
        for x, y in zip(ga, gb):
            np.testing.assert_allclose(x, y, **TIGHT)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_unbatched_and_float32_inference_equal_torchs(norm_first):
    outs = []
    for lib in (chaingrad, torch):
        layer = _seeded(lib, lambda L: L.nn.TransformerDecoderLayer(8, 2, 16, norm_first=norm_first))
        decoder = lib.nn.TransformerDecoder(layer, 2)
        decoder.eval()
        tgt, mem = lib.tensor(_randn(4, 8).astype(np.float32)), lib.tensor(_randn(5, 8, seed=1).astype(np.float32))
        with lib.no_grad():
            outs.append([decoder(tgt, mem).numpy(), decoder(tgt, mem, tgt_is_causal=True,
                                                            tgt_mask=lib.nn.Transformer.generate_square_subsequent_mask(4)
                                                            ).numpy()])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_decoder_layer_gradients_match_finite_differences():
    def fn(lib, tgt, mem):
        lib.manual_seed(1)
        layer = lib.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, activation="gelu").double()
        return layer(tgt, mem, tgt_mask=lib.nn.Transformer.generate_square_subsequent_mask(3, dtype=lib.float64))

    check_finite_differences(fn, [_randn(3, 2, 4), _randn(5, 2, 4, seed=1)])


def test_dropout_is_on_in_training_only():
    model = _seeded(chaingrad, lambda L: L.nn.Transformer(8, 2, 1, 1, 16, dropout=0.5))
    src = chaingrad.tensor(_randn(5, 2, 8).astype(np.float32))
    tgt = chaingrad.tensor(_randn(3, 2, 8, seed=1).astype(np.float32))
    assert not np.allclose(model(src, tgt).detach().numpy(), model(src, tgt).detach().numpy())
    model.eval()
    np.testing.assert_array_equal(model(src, tgt).detach().numpy(), model(src, tgt).detach().numpy())


def test_state_dicts_load_both_ways():
    theirs = _seeded(torch, lambda L: L.nn.Transformer(8, 2, 1, 1, 16))
    ours = chaingrad.nn.Transformer(8, 2, 1, 1, 16)
    ours.load_state_dict({k: chaingrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    back = torch.nn.Transformer(8, 2, 1, 1, 16)
    back.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    for (k, a), b in zip(back.state_dict().items(), theirs.state_dict().values()):
        assert torch.equal(a, b), k


def test_causal_mask_equals_torchs():
    for size, dtype in ((1, None), (4, "float64"), (3, "float32")):
        a = chaingrad.nn.Transformer.generate_square_subsequent_mask(size, dtype=getattr(chaingrad, dtype or "float32"))
        b = torch.nn.Transformer.generate_square_subsequent_mask(size, dtype=getattr(torch, dtype or "float32"))
        assert str(a.dtype).rpartition(".")[2] == str(b.dtype).rpartition(".")[2]
        np.testing.assert_array_equal(a.numpy(), b.numpy())


ERRORS = [
    ("the batch number of src and tgt must be equal", dict(), (5, 2, 8), (3, 3, 8)),
    ("the batch number of src and tgt must be equal", dict(batch_first=True), (2, 5, 8), (3, 3, 8)),
    ("the feature number of src and tgt must be equal to d_model", dict(), (5, 2, 8), (3, 2, 6)),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_as_torch(case):
    words, kw, s_shape, t_shape = ERRORS[case]
    for lib in (torch, chaingrad):
        model = _seeded(lib, lambda L: L.nn.Transformer(8, 2, 1, 1, 16, **kw))
        with pytest.raises(RuntimeError, match=words):
            model(lib.zeros(*s_shape), lib.zeros(*t_shape))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        chaingrad.nn.TransformerDecoderLayer(8, 2, activation="tanh")
