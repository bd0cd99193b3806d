"""Optimizer step hooks (per optimizer and global) against torch: order, arguments, removal, replacement."""

from __future__ import annotations

import torch
from torch.optim import optimizer as torch_optimizer

import chaingrad as cg
from chaingrad.optim import optimizer as cg_optimizer


def _run(lib, module):
    w = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.Adam([w], lr=0.1)
    seen = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", len(a), a[0] is o, dict(k))))
    h2 = opt.register_step_post_hook(lambda o, a, k: seen.append(("post", len(a), o.param_groups[0]["lr"])))
    g = module.register_optimizer_step_pre_hook(lambda o, a, k: seen.append("global pre"))
    g2 = module.register_optimizer_step_post_hook(lambda o, a, k: seen.append("global post"))
    for step in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        (h1, g, h2, g2)[step].remove()
    h3 = opt.register_step_pre_hook(lambda o, a, k: (a, {"closure": lambda: seen.append("closure") or 0.0}))
    opt.step()
    h3.remove()
    return seen, w.tolist()


def test_step_hooks_run_as_torchs():
    assert _run(torch, torch_optimizer) == _run(cg, cg_optimizer)


def test_a_subclass_step_gets_the_hooks():
    for lib in (torch, cg):
        class Plain(lib.optim.Optimizer):
            def __init__(self, params):
                super().__init__(params, {"lr": 1.0})

            def step(self, closure=None):
                for group in self.param_groups:
                    for p in group["params"]:
                        p.data.add_(-group["lr"])

        w = lib.nn.Parameter(lib.zeros(1))
        opt = Plain([w])
        calls = []
        opt.register_step_post_hook(lambda o, a, k, calls=calls, w=w: calls.append(w.item()))
        opt.step()
        assert calls == [-1.0]


def _state_dict_hook_log(lib):
    log = []
    w = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
    opt = lib.optim.Adam([w], lr=0.1)
    (w ** 2).sum().backward()
    opt.step()
    opt.register_state_dict_pre_hook(lambda o: log.append(("pre", type(o).__name__)))
    opt.register_state_dict_pre_hook(lambda o: log.append(("pre-first",)), prepend=True)

    def post(o, sd):
        log.append(("post", sorted(sd), sorted(sd["state"][0])))
        sd["param_groups"][0]["note"] = "saved"

    opt.register_state_dict_post_hook(post)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    sd = opt.state_dict()
    log.append((sorted(sd), sd["param_groups"][0]["note"]))

    def load_pre(o, sd):
        log.append(("load-pre", sorted(sd)))
        sd = dict(sd)
        sd.pop("extra")
        return sd

    opt.register_load_state_dict_pre_hook(load_pre)
    opt.register_load_state_dict_post_hook(lambda o: log.append(("load-post", o.param_groups[0]["note"])))
    opt.load_state_dict(sd)
    log.append(sorted(sd))  # the caller's dict is left as it was
    log.append(opt.state[w]["exp_avg"].tolist())
    return log


def test_optimizer_state_dict_hooks_as_torchs():
    assert _state_dict_hook_log(cg) == _state_dict_hook_log(torch)
