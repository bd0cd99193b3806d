# tolerance: rtol=2e-4 atol=1e-5 -- float32 gates (sigmoid, tanh) and matrix products through 16 time steps:
# NumPy's and PyTorch's kernels round differently in the last bit, and the training steps carry it.
"""Dive into Deep Learning, modern recurrent networks on The Time Machine: 10.2 the GRU from scratch (reset
and update gates, the candidate state), 10.1 the LSTM from scratch (input, forget and output gates, the
memory cell), trained with gradient clipping on sequential minibatches and detach_() of the carried state,
then the concise RNNModel around nn.GRU and nn.LSTM (one-hot inputs, begin_state for a tensor or an (h, c)
pair, torch.nn.utils.clip_grad_norm_), 10.3 a deep LSTM and 10.4 a bidirectional GRU's shapes."""

import collections
import math
import random
import re

import torch
from torch import nn
from torch.nn import functional as F

with open("../shared/data/timemachine.txt") as f:
    lines = [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in f.readlines()]
tokens = [list(line) for line in lines]
counter = collections.Counter(t for line in tokens for t in line)
idx_to_token = ["<unk>"] + [t for t, _ in sorted(counter.items(), key=lambda x: x[1], reverse=True)]
token_to_idx = {t: i for i, t in enumerate(idx_to_token)}
corpus = [token_to_idx[t] for line in tokens for t in line][:6000]
vocab_size = len(idx_to_token)
print(len(corpus), vocab_size, idx_to_token[:8])


def seq_data_iter_sequential(corpus, batch_size, num_steps):
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[offset: offset + num_tokens])
    Ys = torch.tensor(corpus[offset + 1: offset + 1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield Xs[:, i: i + num_steps], Ys[:, i: i + num_steps]


device = torch.device("cpu")


def get_gru_params(vocab_size, num_hiddens, device):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape, device=device) * 0.01

    def three():
        return (normal((num_inputs, num_hiddens)), normal((num_hiddens, num_hiddens)),
                torch.zeros(num_hiddens, device=device))

    W_xz, W_hz, b_z = three()
    W_xr, W_hr, b_r = three()
    W_xh, W_hh, b_h = three()
    W_hq = normal((num_hiddens, num_outputs))
    b_q = torch.zeros(num_outputs, device=device)
    params = [W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def init_gru_state(batch_size, num_hiddens, device):
    return (torch.zeros((batch_size, num_hiddens), device=device),)


def gru(inputs, state, params):
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        Z = torch.sigmoid((X @ W_xz) + (H @ W_hz) + b_z)
        R = torch.sigmoid((X @ W_xr) + (H @ W_hr) + b_r)
        H_tilda = torch.tanh((X @ W_xh) + ((R * H) @ W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        Y = H @ W_hq + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


def get_lstm_params(vocab_size, num_hiddens, device):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape, device=device) * 0.01

    def three():
        return (normal((num_inputs, num_hiddens)), normal((num_hiddens, num_hiddens)),
                torch.zeros(num_hiddens, device=device))

    W_xi, W_hi, b_i = three()
    W_xf, W_hf, b_f = three()
    W_xo, W_ho, b_o = three()
    W_xc, W_hc, b_c = three()
    W_hq = normal((num_hiddens, num_outputs))
    b_q = torch.zeros(num_outputs, device=device)
    params = [W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def init_lstm_state(batch_size, num_hiddens, device):
    return (torch.zeros((batch_size, num_hiddens), device=device),
            torch.zeros((batch_size, num_hiddens), device=device))


def lstm(inputs, state, params):
    [W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q] = params
    (H, C) = state
    outputs = []
    for X in inputs:
        I = torch.sigmoid((X @ W_xi) + (H @ W_hi) + b_i)  # noqa: E741
        F_ = torch.sigmoid((X @ W_xf) + (H @ W_hf) + b_f)
        O = torch.sigmoid((X @ W_xo) + (H @ W_ho) + b_o)  # noqa: E741
        C_tilda = torch.tanh((X @ W_xc) + (H @ W_hc) + b_c)
        C = F_ * C + I * C_tilda
        H = O * torch.tanh(C)
        Y = (H @ W_hq) + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H, C)


class RNNModelScratch:
    def __init__(self, vocab_size, num_hiddens, device, get_params, init_state, forward_fn):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens, device)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        X = F.one_hot(X.T, self.vocab_size).type(torch.float32)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size, device):
        return self.init_state(batch_size, self.num_hiddens, device)


class RNNModel(nn.Module):
    def __init__(self, rnn_layer, vocab_size, **kwargs):
        super(RNNModel, self).__init__(**kwargs)
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = self.rnn.hidden_size
        if not self.rnn.bidirectional:
            self.num_directions = 1
            self.linear = nn.Linear(self.num_hiddens, self.vocab_size)
        else:
            self.num_directions = 2
            self.linear = nn.Linear(self.num_hiddens * 2, self.vocab_size)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size)
        X = X.to(torch.float32)
        Y, state = self.rnn(X, state)
        output = self.linear(Y.reshape((-1, Y.shape[-1])))
        return output, state

    def begin_state(self, device, batch_size=1):
        if not isinstance(self.rnn, nn.LSTM):
            return torch.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                               device=device)
        else:
            return (torch.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                                device=device),
                    torch.zeros((self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                                device=device))


def predict(prefix, num_preds, net, device):
    state = net.begin_state(batch_size=1, device=device)
    outputs = [token_to_idx[prefix[0]]]

    def get_input():
        return torch.tensor([outputs[-1]], device=device).reshape((1, 1))

    for y in prefix[1:]:
        _, state = net(get_input(), state)
        outputs.append(token_to_idx[y])
    for _ in range(num_preds):
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return "".join([idx_to_token[i] for i in outputs])


def grad_clipping(net, theta):
    if isinstance(net, nn.Module):
        params = [p for p in net.parameters() if p.requires_grad]
    else:
        params = net.params
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def train_epoch(net, updater, batch_size, num_steps, clip="hand"):
    state = None
    total, n = 0.0, 0
    loss = nn.CrossEntropyLoss()
    for X, Y in seq_data_iter_sequential(corpus, batch_size, num_steps):
        if state is None:
            state = net.begin_state(batch_size=X.shape[0], device=device)
        else:
            if isinstance(net, nn.Module) and not isinstance(state, tuple):
                state.detach_()
            else:
                for s in state:
                    s.detach_()
        y = Y.T.reshape(-1)
        y_hat, state = net(X, state)
        l = loss(y_hat, y.long()).mean()  # noqa: E741
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.backward()
            if clip == "hand":
                grad_clipping(net, 1)
            else:
                norm = torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            updater.step()
        else:
            l.backward()
            grad_clipping(net, 1)
            updater(batch_size=1)
        total += l.item() * y.numel()
        n += y.numel()
    if clip != "hand":
        print(f"    last total norm before clipping {norm.item():.4f}")
    return math.exp(total / n)


batch_size, num_steps, num_hiddens = 16, 16, 32
random.seed(0)
torch.manual_seed(0)
for name, get_params, init_state, fn in [("gru", get_gru_params, init_gru_state, gru),
                                         ("lstm", get_lstm_params, init_lstm_state, lstm)]:
    net = RNNModelScratch(vocab_size, num_hiddens, device, get_params, init_state, fn)
    print(name, len(net.params), [tuple(p.shape) for p in net.params[:3]])

    def updater(batch_size, net=net):
        with torch.no_grad():
            for param in net.params:
                param -= 1.0 * param.grad / batch_size
                param.grad.zero_()

    for epoch in range(2):
        ppl = train_epoch(net, updater, batch_size, num_steps)
        print(f"  epoch {epoch + 1}: perplexity {ppl:.3f}")
    print(" ", predict("time traveller ", 12, net, device))

for rnn_layer in [nn.GRU(vocab_size, num_hiddens), nn.LSTM(vocab_size, num_hiddens)]:
    net = RNNModel(rnn_layer, vocab_size=vocab_size)
    print(net)
    updater = torch.optim.SGD(net.parameters(), lr=1.0)
    for epoch in range(2):
        ppl = train_epoch(net, updater, batch_size, num_steps, clip="torch")
        print(f"  epoch {epoch + 1}: perplexity {ppl:.3f}")
    print(" ", predict("time traveller ", 12, net, device))

deep = RNNModel(nn.LSTM(vocab_size, num_hiddens, num_layers=2), vocab_size)
state = deep.begin_state(device, batch_size=3)
out, (h, c) = deep(torch.zeros((3, 5), dtype=torch.long), state)
print(out.shape, h.shape, c.shape)
bi = RNNModel(nn.GRU(vocab_size, num_hiddens, num_layers=2, bidirectional=True), vocab_size)
out, h = bi(torch.zeros((3, 5), dtype=torch.long), bi.begin_state(device, batch_size=3))
print(out.shape, h.shape, bi.linear)
print([(n, tuple(p.shape)) for n, p in bi.rnn.named_parameters()][:4])
