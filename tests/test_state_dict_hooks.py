"""Module state dicts against torch's: extra state, ``_metadata`` versions, the overridable
``_save_to_state_dict``/``_load_from_state_dict`` steps (torch's signature) and the state-dict hooks."""

from __future__ import annotations

import io

import pytest
import torch

import chaingrad as cg


def _counter_class(lib):
    class Counter(lib.nn.Module):
        """A layer with extra state: how many batches it saw, and a label."""

        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(2, 2)
            self.seen, self.label = 0, "fresh"

        def forward(self, x):
            self.seen += 1
            return self.lin(x)

        def get_extra_state(self):
            return {"seen": self.seen, "label": self.label}

        def set_extra_state(self, state):
            self.seen, self.label = state["seen"], state["label"]

    return Counter


def _keys_and_values(sd):
    return [(k, v.tolist() if hasattr(v, "tolist") else v) for k, v in sd.items()]


def test_extra_state_is_saved_loaded_and_checked_as_torch():
    results = []
    for lib in (cg, torch):
        lib.manual_seed(0)
        counter = _counter_class(lib)
        model = lib.nn.Sequential(counter(), lib.nn.ReLU(), counter())
        model(lib.ones(1, 2))
        model[2].label = "second"
        sd = model.state_dict()
        fresh = lib.nn.Sequential(counter(), lib.nn.ReLU(), counter())
        out = [_keys_and_values(sd), str(fresh.load_state_dict(sd)), fresh[0].seen, fresh[2].label]
        del sd["0._extra_state"]
        with pytest.raises(RuntimeError) as missing:
            fresh.load_state_dict(sd)
        out.append(str(missing.value).replace("torch", "chaingrad"))
        out.append(str(fresh.load_state_dict(sd, strict=False)))
        plain = lib.nn.Sequential(lib.nn.Linear(2, 3))
        with pytest.raises(RuntimeError) as unexpected:
            plain.load_state_dict({"0.weight": lib.zeros(3, 2), "0.bias": lib.zeros(3), "0._extra_state": 1})
        out.append(str(unexpected.value))
        with pytest.raises(RuntimeError, match="Reached a code path in Module.get_extra_state"):
            lib.nn.Linear(1, 1).get_extra_state()
        results.append(out)
    assert results[0] == results[1]


def test_metadata_carries_each_modules_version():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2),
                                 lib.nn.Sequential(lib.nn.InstanceNorm1d(3), lib.nn.Linear(2, 2)))
    ours, theirs = build(cg).state_dict(), build(torch).state_dict()
    assert ours._metadata == theirs._metadata
    assert list(ours) == list(theirs)
    buffer = io.BytesIO()
    cg.save(ours, buffer)
    buffer.seek(0)
    assert torch.load(buffer)._metadata == theirs._metadata
    buffer = io.BytesIO()
    torch.save(theirs, buffer)
    buffer.seek(0)
    assert cg.load(buffer)._metadata == theirs._metadata


def test_old_batch_norm_checkpoints_load_as_in_torch():
    for lib in (cg, torch):
        bn = lib.nn.BatchNorm1d(3)
        bn.num_batches_tracked.fill_(7)
        old = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}  # no _metadata: version None
        fresh = lib.nn.BatchNorm1d(3)
        assert str(fresh.load_state_dict(old)) == "<All keys matched successfully>"
        assert fresh.num_batches_tracked.item() == 0
        inorm = lib.nn.InstanceNorm1d(2)
        with pytest.raises(RuntimeError, match=r'Unexpected running stats buffer\(s\) "running_mean" and '
                                               r'"running_var" for InstanceNorm1d'):
            inorm.load_state_dict({"running_mean": lib.zeros(2), "running_var": lib.ones(2)})


def _state_dict_hooks_run_in_torchs_order_with_torchs_arguments(lib):
    log = []
    model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 1))
    model.register_state_dict_pre_hook(lambda m, prefix, keep_vars: log.append(("pre", prefix, keep_vars)))
    model[1].register_state_dict_pre_hook(lambda m, prefix, keep_vars: log.append(("pre1", prefix)))

    def post(m, sd, prefix, meta):
        log.append(("post", prefix, sorted(sd), meta))
        sd["extra"] = lib.tensor(1.0)

    handle = model[0].register_state_dict_post_hook(post)
    sd = model.state_dict(keep_vars=True)
    log.append(sorted(sd))
    handle.remove()
    model[0]._register_state_dict_hook(lambda m, sd, prefix, meta: {"only": lib.tensor(2.0)})
    log.append(sorted(model[0].state_dict()))
    model[1].register_state_dict_post_hook(lambda m, sd, prefix, meta: {})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        model[1].state_dict()
    return log


def test_state_dict_hooks_run_in_torchs_order_with_torchs_arguments():
    run = _state_dict_hooks_run_in_torchs_order_with_torchs_arguments
    assert run(cg) == run(torch)


def _load_hooks_and_an_overridden_load_from_state_dict(lib):
    log = []

    class Renamed(lib.nn.Linear):
        """Loads an old checkpoint whose weight was called 'w'."""

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                                  unexpected_keys, error_msgs):
            if prefix + "w" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
            log.append(("load", prefix, sorted(state_dict), dict(local_metadata), strict))
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                          unexpected_keys, error_msgs)

    model = lib.nn.Sequential(Renamed(2, 2))

    def pre(m, sd, prefix, meta, strict, missing, unexpected, errors):
        log.append(("pre", type(m).__name__, prefix, sorted(sd)))

    model[0].register_load_state_dict_pre_hook(pre)
    model[0]._register_load_state_dict_pre_hook(lambda sd, prefix, *rest: log.append(("pre_private", prefix)))

    def post(m, keys):
        log.append(("post", type(m).__name__, list(keys.missing_keys), list(keys.unexpected_keys)))
        keys.unexpected_keys.clear()

    model.register_load_state_dict_post_hook(post)
    given = {"0.w": lib.ones(2, 2), "0.bias": lib.zeros(2), "stray": lib.zeros(1)}
    log.append(str(model.load_state_dict(given)))
    log.append(model[0].weight.tolist())
    log.append(sorted(given))  # the caller's dict is left as it was
    log.append(str(model.load_state_dict(given, assign=True)))
    model.register_load_state_dict_post_hook(lambda m, keys: keys)
    with pytest.raises(AssertionError, match="are not expected to return new values"):
        model.load_state_dict(given)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        model.load_state_dict([("0.bias", lib.zeros(2))])
    return log


def test_load_hooks_and_an_overridden_load_from_state_dict():
    run = _load_hooks_and_an_overridden_load_from_state_dict
    assert run(cg) == run(torch)


def _an_overridden_save_to_state_dict_is_used(lib):
    class Scaled(lib.nn.Linear):
        def _save_to_state_dict(self, destination, prefix, keep_vars):
            super()._save_to_state_dict(destination, prefix, keep_vars)
            destination[prefix + "scale"] = lib.tensor(3.0)

    lib.manual_seed(1)
    sd = lib.nn.Sequential(Scaled(1, 1)).state_dict()
    return _keys_and_values(sd)


def test_an_overridden_save_to_state_dict_is_used():
    run = _an_overridden_save_to_state_dict_is_used
    assert run(cg) == run(torch)
