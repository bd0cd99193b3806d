"""chaingrad.func and chaingrad.autograd.functional equal torch.func and torch.autograd.functional in float64
on polynomials, tanh/exp mixes, softmax, quadratic forms and a small MLP loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch as T

import chaingrad as C
import chaingrad.func as cf
from chaingrad.autograd import functional as AF

rng = np.random.default_rng(0)
XA = rng.standard_normal(4)
YA = rng.standard_normal(3)
A_MAT = rng.standard_normal((4, 4))
MLP = [rng.standard_normal(s) * 0.5 for s in ((4, 5), (5,), (5, 3), (3,))]
BATCH = rng.standard_normal((6, 4))
TARGET = np.array([0, 2, 1, 1, 0, 2])


def scalar_fns(lib):
    F = lib.nn.functional
    A = lib.tensor(A_MAT, dtype=lib.float64)
    params = [lib.tensor(p, dtype=lib.float64) for p in MLP]
    batch = lib.tensor(BATCH, dtype=lib.float64)
    target = lib.tensor(TARGET)

    def mlp_loss(x):  # the first layer's weights come from x (4 values scale its rows)
        W1 = params[0] * x.reshape(4, 1)
        h = lib.tanh(batch @ W1 + params[1])
        return F.cross_entropy(h @ params[2] + params[3], target)

    return {
        "polynomial": lambda x: (x ** 3 - 2 * x ** 2 + x * 0.5).sum(),
        "tanh_exp": lambda x: (lib.tanh(x) * lib.exp(0.3 * x)).sum() + lib.exp(-x ** 2).mean(),
        "softmax": lambda x: (lib.softmax(x, dim=0) * lib.arange(4, dtype=lib.float64)).sum(),
        "quadratic": lambda x: x @ A @ x + (x * x).sum(),
        "mlp_loss": mlp_loss,
    }


def vector_fns(lib):
    return {
        "softmax": lambda x: lib.softmax(x, dim=0) * x,
        "tanh_exp": lambda x: lib.tanh(x) * lib.exp(x[:1]),
        "poly": lambda x: lib.stack([x[0] ** 2 * x[1], x[2] ** 3, x.sum()]),
    }


def c(a):
    return C.tensor(a, dtype=C.float64)


def t(a):
    return T.tensor(a, dtype=T.float64)


def close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-11)


SCALAR = sorted(scalar_fns(C))
VECTOR = sorted(vector_fns(C))


@pytest.mark.parametrize("name", SCALAR)
@pytest.mark.parametrize("transform", ["grad", "jacrev", "jacfwd", "hessian"])
def test_func_scalar_transforms(name, transform):
    fc, ft = scalar_fns(C)[name], scalar_fns(T)[name]
    close(getattr(cf, transform)(fc)(c(XA)), getattr(T.func, transform)(ft)(t(XA)))


@pytest.mark.parametrize("name", VECTOR)
def test_func_vector_transforms(name):
    fc, ft = vector_fns(C)[name], vector_fns(T)[name]
    close(cf.jacrev(fc)(c(XA)), T.func.jacrev(ft)(t(XA)))
    close(cf.jacfwd(fc)(c(XA)), T.func.jacfwd(ft)(t(XA)))
    v = rng.standard_normal(4)
    (o1, j1), (o2, j2) = cf.jvp(fc, (c(XA),), (c(v),)), T.func.jvp(ft, (t(XA),), (t(v),))
    close(o1, o2)
    close(j1, j2)
    out1, fn1 = cf.vjp(fc, c(XA))
    out2, fn2 = T.func.vjp(ft, t(XA))
    u = rng.standard_normal(out2.shape)
    close(fn1(c(u))[0], fn2(t(u))[0])


def test_func_argnums_has_aux_and_composition():
    def fc(x, y):
        return (x[:3] * y).sum() * (y ** 2).sum(), {"norm": y.norm()}

    def ft(x, y):
        return (x[:3] * y).sum() * (y ** 2).sum(), {"norm": y.norm()}

    (gx, gy), aux = cf.grad(fc, argnums=(0, 1), has_aux=True)(c(XA), c(YA))
    (hx, hy), aux_t = T.func.grad(ft, argnums=(0, 1), has_aux=True)(t(XA), t(YA))
    close(gx, hx)
    close(gy, hy)
    close(aux["norm"], aux_t["norm"])
    g, (value, _) = cf.grad_and_value(fc, argnums=1, has_aux=True)(c(XA), c(YA))
    g_t, (value_t, _) = T.func.grad_and_value(ft, argnums=1, has_aux=True)(t(XA), t(YA))
    close(g, g_t)
    close(value, value_t)
    assert not g.requires_grad and not value.requires_grad

    def only(x, y):
        return fc(x, y)[0]

    def only_t(x, y):
        return ft(x, y)[0]

    h = cf.hessian(only, argnums=(0, 1))(c(XA), c(YA))
    h_t = T.func.hessian(only_t, argnums=(0, 1))(t(XA), t(YA))
    for i in range(2):
        for j in range(2):
            close(h[i][j], h_t[i][j])
    gg = cf.grad(lambda x: cf.grad(lambda z: (z.sin() * z ** 2).sum())(x).sum())(c(XA))
    gg_t = T.func.grad(lambda x: T.func.grad(lambda z: (z.sin() * z ** 2).sum())(x).sum())(t(XA))
    close(gg, gg_t)


@pytest.mark.parametrize("name", SCALAR)
def test_functional_scalar(name):
    fc, ft = scalar_fns(C)[name], scalar_fns(T)[name]
    v = rng.standard_normal(4)
    close(AF.jacobian(fc, c(XA)), T.autograd.functional.jacobian(ft, t(XA)))
    close(AF.hessian(fc, c(XA)), T.autograd.functional.hessian(ft, t(XA)))
    for fn in ("hvp", "vhp"):
        a = getattr(AF, fn)(fc, c(XA), c(v))
        b = getattr(T.autograd.functional, fn)(ft, t(XA), t(v))
        close(a[0], b[0])
        close(a[1], b[1])
    a = AF.vjp(fc, c(XA))
    b = T.autograd.functional.vjp(ft, t(XA))
    close(a[1], b[1])


@pytest.mark.parametrize("name", VECTOR)
def test_functional_vector(name):
    fc, ft = vector_fns(C)[name], vector_fns(T)[name]
    v = rng.standard_normal(4)
    close(AF.jacobian(fc, c(XA)), T.autograd.functional.jacobian(ft, t(XA)))
    a, b = AF.jvp(fc, c(XA), c(v)), T.autograd.functional.jvp(ft, t(XA), t(v))
    close(a[0], b[0])
    close(a[1], b[1])
    u = rng.standard_normal(3 if name == "poly" else 4)
    a, b = AF.vjp(fc, c(XA), c(u)), T.autograd.functional.vjp(ft, t(XA), t(u))
    close(a[1], b[1])


def test_functional_tuples_create_graph_and_strict():
    def fc(x, y):
        return (x[:3] * y).sum() * (y ** 2).sum()

    def f2(x, y):
        return x[:3] * y, y.exp()

    h = AF.hessian(fc, (c(XA), c(YA)))
    h_t = T.autograd.functional.hessian(fc, (t(XA), t(YA)))
    for i in range(2):
        for j in range(2):
            close(h[i][j], h_t[i][j])
    jac = AF.jacobian(f2, (c(XA), c(YA)))
    jac_t = T.autograd.functional.jacobian(f2, (t(XA), t(YA)))
    assert isinstance(jac, tuple) and isinstance(jac[0], tuple)
    for i in range(2):
        for j in range(2):
            close(jac[i][j], jac_t[i][j])
    x = C.tensor(XA, dtype=C.float64, requires_grad=True)
    j = AF.jacobian(lambda z: z ** 3, x, create_graph=True)
    assert j.requires_grad
    (g,) = C.autograd.grad(j.sum(), x)
    np.testing.assert_allclose(g.numpy(), 6 * XA)
    assert not AF.jacobian(lambda z: z ** 3, x).requires_grad
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.jacobian(lambda a, b: a * 2, (c(XA), c(YA)), strict=True)
