"""Module forward hooks with torch's options (prepend, with_kwargs, always_call) against torch."""

from __future__ import annotations

import warnings

import pytest
import torch

import chaingrad as cg


def _scaled(lib):
    class Scaled(lib.nn.Module):
        def forward(self, x, scale=1.0, fail=False):
            if fail:
                raise ValueError("forward failed")
            return x * scale

    return Scaled


def _run(lib):
    log = []
    m = _scaled(lib)()
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre", len(args))))
    m.register_forward_pre_hook(lambda mod, args: log.append(("pre-first",)), prepend=True)

    def pre_kw(mod, args, kwargs):
        log.append(("pre-kw", sorted(kwargs)))
        return args, {**kwargs, "scale": kwargs.get("scale", 1.0) * 2}

    m.register_forward_pre_hook(pre_kw, with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: log.append(("post", out.tolist())))
    m.register_forward_hook(lambda mod, args, kwargs, out: out + kwargs["scale"], with_kwargs=True)
    h = m.register_forward_hook(lambda mod, args, out: log.append(("post-first", out.tolist())), prepend=True)
    log.append(m(lib.tensor([1.0, 2.0]), scale=3.0).tolist())
    h.remove()
    log.append(m(lib.tensor([1.0])).tolist())
    m.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("always-kw", sorted(kwargs), out)),
                            with_kwargs=True, always_call=True)
    with pytest.raises(ValueError, match="forward failed"):
        m(lib.tensor([1.0]), fail=True)
    bad = _scaled(lib)()
    bad.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of \(new_args, "
                                           r"new_kwargs\), but got"):
        bad(lib.tensor([1.0]))
    loud = _scaled(lib)()

    def raising(mod, args, out):
        raise KeyError("hook failed")

    loud.register_forward_hook(raising, always_call=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="forward failed"):
            loud(lib.tensor([1.0]), fail=True)
    log.append([str(w.message) for w in caught])
    return log


def test_forward_hook_options_behave_as_torchs():
    run = _run
    assert run(cg) == run(torch)


def _forward_hooks_and_backward_hooks_together(lib):
    log = []
    lin = lib.nn.Linear(2, 1)
    with lib.no_grad():
        lin.weight.fill_(0.5)
        lin.bias.fill_(0.0)
    lin.register_forward_hook(lambda mod, args, y: y * 10)
    lin.register_full_backward_hook(lambda mod, gin, gout: log.append([g.tolist() for g in gout]))
    x = lib.tensor([[1.0, 2.0]], requires_grad=True)
    lin(x).sum().backward()
    log.append(x.grad.tolist())
    return log


def test_forward_hooks_and_backward_hooks_together():
    run = _forward_hooks_and_backward_hooks_together
    assert run(cg) == run(torch)
