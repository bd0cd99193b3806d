"""Real programs: scripts written in the style of the material people learn PyTorch from run under PyTorch and,
with only their imports changed to chaingrad, print the same thing.

Each program in tests/real_programs/ is a self-contained script that prints values, shapes, losses, grad_fn
names and reprs. The test runs it twice as a subprocess from the repository root (so `../shared/data/` is
where the lectures' data lives): once as written, with `import torch`, and once with its import lines swapped
by the explicit table below (`import torch` -> `import chaingrad as torch`, ...). The two standard outputs must
be identical, with two normalizations only:

- the honest module name in reprs: `chaingrad.Size([8, 8])`, `dtype=chaingrad.int32`, `chaingrad.FloatTensor`,
  `chaingrad.return_types.max(` read as their `torch.` spellings (only before Size, a dtype name, a legacy tensor
  type name or return_types), and a class's module in `<class 'chaingrad.nn.parameter.Parameter'>` read as
  `<class 'torch.nn.parameter.Parameter'>` (only the first name of the module);
- object addresses (`<NllLossBackward0 object at 0x7f...>`), which differ between two PyTorch runs as well.

A program whose float32 results legitimately differ between NumPy's and PyTorch's kernels (BLAS products,
vectorized exp/log/tanh, summation order; about 1e-7 relative, carried through training steps) says so in a
`# tolerance: rtol=... atol=... -- reason` line at its top. Its outputs are then compared as streams of
numbers and words, whitespace ignored (a tensor's column widths and line breaks follow its values): the words
must be identical and each pair of numbers within atol + rtol * |value| plus one unit of the last printed
digit (two values that close can round to neighbouring printed digits), while integers (counts, indices,
shapes; a float always prints with a point or an exponent) must be equal. A `# unstable: word -- reason` line
names a label (`exact:` in the backprop-ninja comparison helper) whose value is not compared.

The programs and the public material each is modelled on (written anew in that style; none is a copy):

PyTorch tutorials, "Learn the Basics":
    pt_tensors              Tensors
    pt_autograd             Automatic Differentiation with torch.autograd
    pt_build_model          Build the Neural Network
    pt_quickstart           Quickstart (the 8x8 digits in place of FashionMNIST)
    pt_optimization         Optimizing Model Parameters
    pt_graph_walk           A Gentle Introduction to torch.autograd (grad_fn, next_functions, hooks)
    pt_train_best_model     the training function of the Transfer Learning tutorial (phases, StepLR,
                            copy.deepcopy of the best weights) and plotting losses with matplotlib
    pt_finetune             Transfer Learning: a fixed feature extractor (frozen layers, a replaced fc) and
                            finetuning (parameter groups, add_param_group, batch norm held in eval)
PyTorch tutorials, more:
    pt_blitz                Deep Learning with PyTorch: A 60 Minute Blitz (autograd, Neural Networks,
                            Training a Classifier; the 8x8 digits in place of CIFAR-10)
    pt_nn_really            What is torch.nn really? (the 8x8 digits in place of MNIST)
    pt_word_embeddings      Word Embeddings: Encoding Lexical Semantics (N-gram model, CBOW; The Time Machine)
    pt_lstm_tagger          Sequence Models and Long Short-Term Memory Networks (the LSTM tagger)
    pt_char_rnn             NLP From Scratch: Classifying and Generating Names with a Character-Level RNN
                            (names.txt, classified by their last letter)
    pt_extending_autograd   Extending PyTorch, Autograd mechanics and the hooks tutorial (Functions with ctx and
                            with setup_context, mark_non_differentiable, mark_dirty, once_differentiable,
                            tensor and module hooks, a gradient penalty with create_graph)
    pt_saving_loading       Saving and Loading Models (state_dicts, a general checkpoint resumed exactly, several
                            models in one file, warm-starting with strict=False, weights_only and map_location)
    pt_data_tutorial        Datasets & DataLoaders (a custom Dataset with transforms, batches, collate_fn,
                            random_split, every sampler, iter/next; synthetic and seeded)
    pt_custom_optimizer     optimizers and schedulers written by subclassing torch.optim.Optimizer and
                            lr_scheduler.LRScheduler, as courses and blog posts teach them
    pt_transformer_copy     Language Translation with nn.Transformer (Seq2SeqTransformer, the masks, greedy
                            decoding) with d2l's 11.7 The Transformer Architecture, on a synthetic copy task
    pt_chatbot              Chatbot Tutorial: Voc, padded batches and masks, a GRU encoder over
                            pack_padded_sequence, Luong attention, masked NLL, greedy search (The Time Machine)
    pt_spatial_transformer  Spatial Transformer Networks (affine_grid, grid_sample; warped digits, float64)
    pt_bilstm_crf           Advanced: Making Dynamic Decisions and the Bi-LSTM CRF (forward algorithm, Viterbi)
    pt_style_transfer       Neural Transfer Using PyTorch (Gram matrices, loss modules, LBFGS; tiny, float64)
PyTorch tutorials, "Learning PyTorch with Examples":
    lpe_tensors             Warm-up: numpy, then PyTorch: Tensors
    lpe_autograd            PyTorch: Tensors and autograd
    lpe_custom_function     PyTorch: Defining new autograd functions (LegendrePolynomial3)
    lpe_nn                  PyTorch: nn
    lpe_optim               PyTorch: optim
    lpe_custom_module       PyTorch: Custom nn Modules
    lpe_dynamic_net         PyTorch: Control Flow + Weight Sharing
    lpe_legacy_two_layer    the tutorial's earlier two-layer-network edition (FloatTensor dtype, Variable)
Dive into Deep Learning (PyTorch edition):
    d2l_ndarray             2.1 Data Manipulation
    d2l_data_preprocessing  2.2 Data Preprocessing (with the csv module instead of pandas)
    d2l_linear_algebra      2.3 Linear Algebra
    d2l_calculus_autograd   2.4 Calculus and 2.5 Automatic Differentiation
    d2l_probability         2.6 Probability and Statistics
    d2l_linreg_scratch      3.4 Linear Regression Implementation from Scratch
    d2l_linreg_concise      3.5 Concise Implementation of Linear Regression
    d2l_weight_decay        3.7 Weight Decay
    d2l_softmax_scratch     4.4 Softmax Regression Implementation from Scratch (on the digits)
    d2l_activations         5.1 Multilayer Perceptrons (activation functions and their derivatives), and the
                            other activations of torch.nn as its documentation lists them, each in a small
                            classifier on the digits, with their nodes and in-place forms
    d2l_mlp_concise         5.2 Implementation of Multilayer Perceptrons
    d2l_numerical_stability 5.4 Numerical Stability and Initialization
    d2l_dropout             5.6 Dropout
    d2l_layers_blocks       6.1 Layers and Modules
    d2l_parameters          6.2 Parameter Management and 6.3 Parameter Initialization
    d2l_custom_layers       6.5 Custom Layers
    d2l_file_io             6.6 File I/O
    d2l_conv_basics         7.2 Convolutions for Images, 7.3 Padding and Stride, 7.4 Multiple Channels,
                            7.5 Pooling
    d2l_lenet               7.6 LeNet
    d2l_batch_norm          8.5 Batch Normalization
    d2l_resnet_block        8.6 Residual Networks
    d2l_modern_cnn          8.4 GoogLeNet's Inception block, 8.7 DenseNet's dense and transition blocks, 8.8
                            ResNeXt's grouped-convolution block and AnyNet's stem (lazy layers, the digits)
    d2l_rnn_timemachine     9.2 Converting Raw Text into Sequence Data, 9.5 and 9.6 RNNs from scratch and
                            concise (The Time Machine)
    d2l_lazy_nets           4.5 Concise Softmax Regression, 6.4 Lazy Initialization, 8.2 VGG and 8.3 NiN
                            (nn.LazyLinear, nn.LazyConv2d; tiny sizes, the 8x8 digits)
    d2l_gru_lstm            10.1 LSTM and 10.2 GRU from scratch and concise, 10.3 deep and 10.4 bidirectional
                            RNNs (The Time Machine)
    d2l_seq2seq             10.7 seq2seq with GRUs (sequence masks, masked softmax cross-entropy, teacher forcing,
                            gradient clipping, greedy prediction, BLEU) with 11.4's Bahdanau attention decoder
    d2l_attention           11.3 Attention Scoring Functions, 11.5 Multi-Head Attention, 11.6 Positional
                            Encoding, 11.7 The Transformer Architecture (the encoder)
    d2l_word2vec            15.1-15.4 word2vec: subsampling, contexts, negative sampling, masked padded minibatches,
                            skip-gram with bmm, masked sigmoid BCE, Adam, nearest words (The Time Machine)
    d2l_optimization        12.3-12.10 gradient descent, SGD, momentum, Adagrad, RMSProp, Adadelta, Adam by
                            hand and with torch.optim, 12.11 Learning Rate Scheduling
    d2l_anchor_boxes        14.3 Bounding Boxes, 14.4 Anchor Boxes (IoU, multibox targets, NMS, detection) and
                            14.7's class and box predictors
    d2l_fcn                 14.10 Transposed Convolution and 14.11 Fully Convolutional Networks (synthetic scenes)
    d2l_gan                 20.1 Generative Adversarial Networks and 20.2 Deep Convolutional GANs (tiny)
Neural Networks: Zero to Hero, the makemore lectures and Let's build GPT:
    zth_micrograd           lecture 1, micrograd: a scalar autograd engine by hand, checked with torch (legacy
                            Tensor, .double(), requires_grad set by hand) and an MLP trained both ways
    mm_bigram               part 1, the bigram model by counting
    mm_neural_bigram        part 1, the neural-network bigram
    mm_mlp                  part 2, the MLP with an embedding table
    mm_batchnorm            part 3, activations, gradients and BatchNorm
    mm_backprop_ninja       part 4, becoming a backprop ninja
    mm_wavenet              part 5, building a WaveNet
    zth_gpt                 Let's build GPT: from scratch, in code, spelled out (The Time Machine, tiny sizes)
    zth_gpt2                "Let's reproduce GPT-2 (124M)" at a tiny size: ModuleDict transformer, causal
                            scaled_dot_product_attention, GELU(tanh), weight tying, scaled init, configure_optimizers,
                            gradient accumulation, clip_grad_norm_, warmup-cosine learning rate
    zth_llama               the "build a Llama from scratch" write-ups that follow it (RMSNorm, rotary
                            embeddings, SwiGLU, scaled_dot_product_attention; tiny sizes)
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "tests" / "real_programs"
NAMES = sorted(p.stem for p in PROGRAMS.glob("*.py"))

# import line as the program writes it -> the same line for chaingrad
IMPORT_SWAPS = {
    "import torch": "import chaingrad as torch",
    "import torch.nn as nn": "import chaingrad.nn as nn",
    "import torch.nn.functional as F": "import chaingrad.nn.functional as F",
    "import torch.optim as optim": "import chaingrad.optim as optim",
    "from torch import nn": "from chaingrad import nn",
    "from torch.nn import functional as F": "from chaingrad.nn import functional as F",
    "from torch.optim import lr_scheduler": "from chaingrad.optim import lr_scheduler",
    "from torch.utils import data": "from chaingrad.utils import data",
    "from torch.utils.data import DataLoader, TensorDataset":
        "from chaingrad.utils.data import DataLoader, TensorDataset",
    "from torch.autograd import Variable": "from chaingrad.autograd import Variable",
    "import torch.autograd as autograd": "import chaingrad.autograd as autograd",
    "from torch import optim": "from chaingrad import optim",
    "from torch.utils.data import DataLoader": "from chaingrad.utils.data import DataLoader",
    "from torch.utils.data import TensorDataset": "from chaingrad.utils.data import TensorDataset",
    "from torch.autograd import Function": "from chaingrad.autograd import Function",
    "from torch.autograd.function import once_differentiable":
        "from chaingrad.autograd.function import once_differentiable",
}
TORCH_IMPORT = re.compile(r"^\s*(import|from)\s+torch")  # torchvision and the like too

_DTYPES = ("float16|float32|float64|bfloat16|int8|int16|int32|int64|uint8|bool|complex64|complex128|float|double|"
           "half|long|int|short")
_LEGACY = "FloatTensor|DoubleTensor|HalfTensor|LongTensor|IntTensor|ShortTensor|CharTensor|ByteTensor|BoolTensor"
REPR_PREFIX = re.compile(rf"\bchaingrad\.(Size|return_types|{_LEGACY}|(?:{_DTYPES})\b)")
CLASS_PREFIX = re.compile(r"<class 'chaingrad\.")
ADDRESS = re.compile(r" object at 0x[0-9a-fA-F]+")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")
TOLERANCE = re.compile(r"^# tolerance: rtol=(\S+) atol=(\S+) -- \S", re.M)
UNSTABLE = re.compile(r"^# unstable: ([\w ]+?) -- \S", re.M)


def as_chaingrad_program(source: str, name: str) -> str:
    """The program with each torch import line swapped through IMPORT_SWAPS; any other torch import fails."""
    lines = []
    for line in source.splitlines():
        if TORCH_IMPORT.match(line):
            stripped = line.strip().split("  #")[0].strip()
            assert stripped in IMPORT_SWAPS, f"{name}: no chaingrad swap for the import line {line!r}"
            line = line[: len(line) - len(line.lstrip())] + IMPORT_SWAPS[stripped]
        lines.append(line)
    return "\n".join(lines) + "\n"


def normalize(text: str) -> str:
    text = CLASS_PREFIX.sub("<class 'torch.", REPR_PREFIX.sub(r"torch.\1", text))
    return ADDRESS.sub(" object at 0x?", text)


def _run(path: Path) -> subprocess.CompletedProcess:
    # one BLAS thread: both libraries on the same footing, and no oversubscription of a small machine
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env=env)


def _resolution(token: str) -> float:
    """One unit of the last printed digit: 0.01 for '0.25', 1e-7 for '1.2500e-04'; 0 for integers and '3.'."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    if decimals == 0:
        return 0.0
    return 10.0 ** (int(exponent or 0) - decimals)


def _is_integer(token: str) -> bool:
    return token.lstrip("+-").isdigit()


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, line number) for every number and every whitespace-separated word between numbers."""
    tokens = []
    for lineno, line in enumerate(text.splitlines()):
        pos = 0
        for m in NUMBER.finditer(line):
            tokens += [("word", w, lineno) for w in line[pos:m.start()].split()]
            tokens.append(("number", m.group(), lineno))
            pos = m.end()
        tokens += [("word", w, lineno) for w in line[pos:].split()]
    return tokens


def _numbers_close(a: str, b: str, rtol: float, atol: float) -> bool:
    if _is_integer(a) and _is_integer(b):  # counts, indices, shapes, seeds: exact
        return int(a) == int(b)
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if x == y:
        return True
    slack = atol + rtol * max(abs(x), abs(y)) + max(_resolution(a), _resolution(b))
    return abs(x - y) <= slack


def first_difference(expected: str, actual: str, tolerance: tuple[float, float] | None) -> tuple[int, int] | None:
    """Line numbers (expected, actual) of the first difference, or None when the outputs agree."""
    if tolerance is None:
        exp_lines, act_lines = expected.splitlines(), actual.splitlines()
        for i, (e, a) in enumerate(zip(exp_lines, act_lines)):
            if e != a:
                return i, i
        if len(exp_lines) != len(act_lines):
            n = min(len(exp_lines), len(act_lines))
            return n, n
        return None
    rtol, atol = tolerance
    exp_tokens, act_tokens = _tokens(expected), _tokens(actual)
    for (ek, et, el), (ak, at, al) in zip(exp_tokens, act_tokens):
        same = et == at if ek == ak == "word" else ek == ak and _numbers_close(et, at, rtol, atol)
        if not same:
            return el, al
    if len(exp_tokens) != len(act_tokens):
        n = min(len(exp_tokens), len(act_tokens))
        ends = [len(expected.splitlines()), len(actual.splitlines())]
        return (exp_tokens[n][2] if n < len(exp_tokens) else ends[0],
                act_tokens[n][2] if n < len(act_tokens) else ends[1])
    return None


def _line(text: str, i: int) -> str:
    lines = text.splitlines()
    return repr(lines[i]) if i < len(lines) else "(end of output)"


def _tail(text: str, n: int = 15) -> str:
    return "\n".join("    " + line for line in text.splitlines()[-n:]) or "    (nothing)"


def _settings(source: str) -> tuple[tuple[float, float] | None, list[str]]:
    m = TOLERANCE.search(source)
    tolerance = (float(m.group(1)), float(m.group(2))) if m else None
    unstable = [w for m in UNSTABLE.finditer(source) for w in m.group(1).split()]
    return tolerance, unstable


def _hide_unstable(text: str, labels: list[str]) -> str:
    for label in labels:
        text = re.sub(rf"\b{re.escape(label)}: *\S+", f"{label}: ?", text)
    return text


@pytest.mark.parametrize("name", NAMES)
def test_program_prints_the_same_under_chaingrad(name, tmp_path):
    source = (PROGRAMS / f"{name}.py").read_text()
    tolerance, unstable = _settings(source)
    theirs = _run(PROGRAMS / f"{name}.py")
    assert theirs.returncode == 0, f"{name} fails under PyTorch itself:\n{theirs.stderr[-3000:]}"

    converted = tmp_path / f"{name}.py"
    converted.write_text(as_chaingrad_program(source, name))
    ours = _run(converted)
    expected = _hide_unstable(normalize(theirs.stdout), unstable)
    actual = _hide_unstable(normalize(ours.stdout), unstable)
    where = first_difference(expected, actual, tolerance)
    if ours.returncode == 0 and where is None:
        return
    compared = "exactly" if tolerance is None else f"with rtol={tolerance[0]} atol={tolerance[1]}"
    report = [f"{name}: chaingrad's output differs from PyTorch's (compared {compared})"]
    if where is not None:
        report.append(f"first difference at line {where[0] + 1}:\n  torch:     {_line(expected, where[0])}\n"
                      f"  chaingrad: {_line(actual, where[1])}")
    if ours.returncode != 0:
        error = ours.stderr.strip().splitlines()
        report.append(f"chaingrad run exited with {ours.returncode}: {error[-1] if error else ''}")
        report.append("chaingrad stderr (tail):\n" + _tail(ours.stderr, 20))
    report.append("torch stdout (tail):\n" + _tail(expected))
    report.append("chaingrad stdout (tail):\n" + _tail(actual))
    pytest.fail("\n".join(report), pytrace=False)


# the comparison itself, on small outputs

def test_normalize_reads_chaingrad_prefixes_only_before_size_dtype_and_legacy_names():
    text = "chaingrad.Size([8, 8]) dtype=chaingrad.int32 chaingrad.FloatTensor chaingrad.nn.Linear chaingrad.integer"
    assert normalize(text) == "torch.Size([8, 8]) dtype=torch.int32 torch.FloatTensor chaingrad.nn.Linear " \
                              "chaingrad.integer"
    assert normalize("chaingrad.return_types.max(") == "torch.return_types.max("
    assert normalize("<AddBackward0 object at 0x7f3a2b>") == "<AddBackward0 object at 0x?>"
    assert normalize("<class 'chaingrad.nn.parameter.Parameter'>") == "<class 'torch.nn.parameter.Parameter'>"
    assert normalize("<class 'mychaingrad.Tensor'> chaingrad.nn") == "<class 'mychaingrad.Tensor'> chaingrad.nn"


def test_exact_comparison_finds_the_first_differing_line():
    assert first_difference("a\nb\nc", "a\nb\nc", None) is None
    assert first_difference("a\nb\nc", "a\nx\nc", None) == (1, 1)
    assert first_difference("a\nb", "a\nb\nc", None) == (2, 2)


def test_tolerant_comparison_allows_rounding_of_the_last_digit_and_layout_only():
    torch_out = "tensor([[ 0.1350, -0.1480],\n        [ 2.0000,  1.0000]])\nloss 0.000047"
    same_numbers_other_layout = "tensor([[0.1351, -0.1480], [2.0000, 1.0000]])\nloss 0.000048"
    assert first_difference(torch_out, same_numbers_other_layout, (1e-5, 1e-7)) is None
    assert first_difference(torch_out, torch_out.replace("0.1350", "0.1360"), (1e-5, 1e-7)) == (0, 0)
    assert first_difference("loss 2.5", "loss 2.5 extra", (1e-5, 1e-7)) == (1, 0)
    assert first_difference("torch.Size([64, 8])", "torch.Size([63, 8])", (1e-3, 1e-3)) == (0, 0)
    assert first_difference("AddmmBackward0", "LinearBackward0", (1e-3, 1e-3)) == (0, 0)
    assert first_difference("mean +0.00", "mean -0.00", (1e-5, 1e-6)) is None
    assert first_difference("x nan", "x nan", (1e-5, 1e-6)) is None
    assert first_difference("seed 2147483647", "seed 2147483646", (1e-3, 1e-3)) == (0, 0)
    assert first_difference("h 1e-05", "h 1.00001e-05", (1e-3, 0.0)) is None


def test_import_swaps_cover_each_torch_import_and_refuse_unknown_ones():
    converted = as_chaingrad_program("import torch\nfrom torch import nn\nx = 1  # torch\n", "p")
    assert converted == "import chaingrad as torch\nfrom chaingrad import nn\nx = 1  # torch\n"
    with pytest.raises(AssertionError, match="no chaingrad swap"):
        as_chaingrad_program("import torchvision\n", "p")


def test_every_program_has_its_source_in_the_docstring_and_a_reason_for_any_tolerance():
    doc = sys.modules[__name__].__doc__
    for name in NAMES:
        assert re.search(rf"^    {name}\s", doc, re.M), f"{name} is not listed in the module docstring"
        source = (PROGRAMS / f"{name}.py").read_text()
        if "tolerance" in source.split('"""')[0]:
            assert TOLERANCE.search(source), f"{name}: a tolerance line needs rtol=, atol= and a reason"
