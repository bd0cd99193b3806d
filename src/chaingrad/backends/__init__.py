"""``chaingrad.backends``: the flags programs set for torch's backends (``cudnn.benchmark`` ...) and the
availability queries they guard with (``mps.is_available()``); chaingrad's only backend is NumPy on the CPU."""

from . import cuda, cudnn, mha, mkldnn, mps, openmp  # noqa: F401
