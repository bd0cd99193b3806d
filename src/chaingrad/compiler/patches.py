"""Where a trace listens: the entry points of eager chaingrad that ``Tracer`` wraps while it runs.

``install`` replaces them (the op entry ``apply`` wherever chaingrad's modules refer to it, the backward walk,
Tensor's in-place methods, ``.grad``'s setter and the methods that read a value into Python, the optimizers'
and schedulers' steps, gradient clipping, the tensor factories of the ``chaingrad`` namespace, and the
kernels marked in hooks.py); ``uninstall`` puts the originals back. Nothing here runs outside a trace.
"""

from __future__ import annotations

import inspect
import sys

from ..autograd import engine
from ..autograd import node as node_mod
from ..tensor import Tensor
from . import hooks
from .tracer import NOT_WRITING, VALUE_METHODS, VALUE_SHAPED_FUNCTIONS

#: factories of the chaingrad namespace replayed as they are (random ones draw from the generator again)
FACTORIES = ("randn", "rand", "randint", "randn_like", "rand_like", "randint_like", "normal", "bernoulli",
             "multinomial", "randperm", "zeros", "ones", "full", "empty", "tensor", "as_tensor", "arange",
             "linspace", "logspace", "eye", "zeros_like", "ones_like", "full_like", "empty_like", "from_numpy")
_INPLACE_DUNDERS = ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__",
                    "__imatmul__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__", "__setitem__")


def _set(patches: list, owner, name: str, value) -> None:
    patches.append((owner, name, owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)))
    setattr(owner, name, value)


def _subclasses(cls) -> list:
    out, stack = [], [cls]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(c.__subclasses__())
    return out


def install(tr) -> None:
    patches = tr._patches
    orig_apply = node_mod.apply

    def apply(op, *inputs, **params):
        return tr.apply(orig_apply, op, inputs, params)

    for mod in list(sys.modules.values()):
        name = getattr(mod, "__name__", "") or ""
        if name.startswith("chaingrad") and not name.startswith("chaingrad.compiler") \
                and mod.__dict__.get("apply") is orig_apply:
            _set(patches, mod, "apply", apply)
    orig_walk = engine.run_backward

    def run_backward(*args, **kwargs):
        return tr.run_backward(orig_walk, *args, **kwargs)

    _set(patches, engine, "run_backward", run_backward)
    _tensor_methods(tr, patches)
    _steps(tr, patches)
    _factories(tr, patches)
    _value_shaped(tr, patches)
    for spec in hooks.KERNELS.values():
        _kernel(tr, patches, spec.fn)


def uninstall(tr) -> None:
    while tr._patches:
        owner, name, value = tr._patches.pop()
        setattr(owner, name, value)


def _tensor_methods(tr, patches) -> None:
    names = [n for n, v in vars(Tensor).items() if n.endswith("_") and not n.startswith("_") and callable(v)
             and n not in NOT_WRITING] + [n for n in _INPLACE_DUNDERS if n in vars(Tensor)]
    for name in names:
        orig = vars(Tensor)[name]

        def method(self, *args, _orig=orig, _name=name, **kwargs):
            return tr.inplace(_orig, _name, self, args, kwargs)

        _set(patches, Tensor, name, method)
    for name in VALUE_METHODS:
        orig = vars(Tensor).get(name)
        if orig is None:
            continue

        def reader(self, *args, _orig=orig, _name=name, **kwargs):
            return tr.read_value(_orig, _name, self, args, kwargs)

        _set(patches, Tensor, name, reader)
    grad = vars(Tensor)["grad"]

    def set_grad(self, value, _orig=grad.fset):
        tr.set_grad(_orig, self, value)

    _set(patches, Tensor, "grad", property(grad.fget, set_grad, grad.fdel))
    data = vars(Tensor)["data"]

    def set_data(self, value, _orig=data.fset):
        if not tr.off:
            tr.break_("assigning Tensor.data", "it replaces a tensor's array, which the replay does not follow",
                      "Update the tensor in place under no_grad (w -= ...)")
        _orig(self, value)

    _set(patches, Tensor, "data", property(data.fget, set_data, data.fdel))


def _steps(tr, patches) -> None:
    from ..nn import utils as nn_utils
    from ..nn.utils import clip_grad
    from ..optim.lr_scheduler import LRScheduler
    from ..optim.optimizer import Optimizer

    for base, methods, hint in ((Optimizer, ("step", "zero_grad"), "optimizer"),
                                (LRScheduler, ("step",), "scheduler")):
        for cls in _subclasses(base):
            for m in methods:
                orig = cls.__dict__.get(m)
                if orig is None:
                    continue

                def method(self, *args, _orig=orig, _m=m, _hint=hint, **kwargs):
                    name = tr.obj(self, _hint)
                    return tr.opaque(lambda *a, **k: _orig(self, *a, **k), _m, f"${name}$.{_m}", args, kwargs,
                                     explains=(self,))

                _set(patches, cls, m, method)
    for name in ("clip_grad_norm_", "clip_grad_value_"):
        orig = getattr(clip_grad, name)

        def clip(*args, _orig=orig, _name=name, **kwargs):
            fn = tr.import_(_name, "chaingrad.nn.utils.clip_grad")
            return tr.opaque(_orig, "clip", fn, args, kwargs)

        _set(patches, clip_grad, name, clip)
        _set(patches, nn_utils, name, clip)


def _factories(tr, patches) -> None:
    import chaingrad

    wrappers = {}
    for name in FACTORIES:
        orig = getattr(chaingrad, name, None)
        if orig is None:
            continue

        def factory(*args, _orig=orig, _name=name, **kwargs):
            return tr.opaque(_orig, _name, tr.import_(_name, "chaingrad"), args, kwargs)

        wrappers[id(orig)] = (orig, factory)
        base = inspect.unwrap(orig)  # chaingrad.zeros checks its arguments around the function rnn.py imports
        wrappers[id(base)] = (base, factory)
    for mod in list(sys.modules.values()):  # wherever chaingrad's modules refer to them (rnn.py: zeros)
        mname = getattr(mod, "__name__", "") or ""
        if not mname.startswith("chaingrad") or mname.startswith("chaingrad.compiler"):
            continue
        for attr, value in list(vars(mod).items()):
            hit = wrappers.get(id(value))
            if hit is not None and hit[0] is value:
                _set(patches, mod, attr, hit[1])


def _value_shaped(tr, patches) -> None:
    import chaingrad

    for name in VALUE_SHAPED_FUNCTIONS:
        for owner in (chaingrad, Tensor):
            orig = (vars(owner) if owner is Tensor else owner.__dict__).get(name)
            if orig is None:
                continue

            def fn(*args, _orig=orig, _name=name, **kwargs):
                return tr.value_shaped(_orig, _name, args, kwargs)

            _set(patches, owner, name, fn)


def _kernel(tr, patches, fn) -> None:
    mod = sys.modules[fn.__module__]

    def kernel(*args, **kwargs):
        name = tr.import_(fn.__name__, fn.__module__)
        return tr.opaque(fn, fn.__name__, name, args, kwargs)

    _set(patches, mod, fn.__name__, kernel)
