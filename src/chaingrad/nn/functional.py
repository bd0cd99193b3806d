"""torch.nn.functional's names: activations, softmax, losses."""

from ..ops.elementwise import relu, sigmoid, tanh  # noqa: F401
from ..ops.nn_ops import cross_entropy, log_softmax, mse_loss, nll_loss, softmax  # noqa: F401
