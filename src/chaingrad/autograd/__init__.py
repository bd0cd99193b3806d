"""Automatic differentiation: the backward engine, grad mode, and user-defined Functions."""

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, FunctionCtx, Node, once_differentiable
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, check_hand_gradients, gradcheck, gradgradcheck
from .variable import Variable

__all__ = ["backward", "grad", "Function", "FunctionCtx", "Node", "once_differentiable", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "inference_mode", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "gradcheck", "gradgradcheck", "GradcheckError", "check_hand_gradients", "functional",
           "Variable"]


def __getattr__(name: str):
    if name == "functional":  # torch.autograd.functional, loaded on first use
        import importlib

        return importlib.import_module(".functional", __name__)
    raise AttributeError(f"module 'chaingrad.autograd' has no attribute '{name}'")
