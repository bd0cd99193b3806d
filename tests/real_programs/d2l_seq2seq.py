# tolerance: rtol=2e-4 atol=2e-6 -- float32 GRU products and sums round differently between NumPy and PyTorch,
# and the training steps carry the difference.
"""Dive into Deep Learning 10.7 (encoder-decoder seq2seq with GRUs, sequence masks, the masked softmax
cross-entropy, teacher forcing, gradient clipping, greedy prediction and BLEU) and 11.4 (the Bahdanau attention
decoder with additive attention), on a synthetic task: reverse a sequence of letters."""

import collections
import math
import random

import torch
from torch import nn
from torch.nn import functional as F

random.seed(0)
letters = "abcdefgh"
pairs = []
for _ in range(64):
    n = random.randint(2, 5)
    src = [random.choice(letters) for _ in range(n)]
    pairs.append((src, src[::-1]))
vocab = ["<pad>", "<bos>", "<eos>"] + list(letters)
idx = {t: i for i, t in enumerate(vocab)}
num_steps = 7


def encode(tokens):
    ids = [idx[t] for t in tokens] + [idx["<eos>"]]
    valid = len(ids)
    return ids + [idx["<pad>"]] * (num_steps - len(ids)), valid


src = torch.tensor([encode(s)[0] for s, _ in pairs])
src_len = torch.tensor([encode(s)[1] for s, _ in pairs])
tgt = torch.tensor([encode(t)[0] for _, t in pairs])
tgt_len = torch.tensor([encode(t)[1] for _, t in pairs])
print(src[:2], src_len[:4], tgt[:2])


def sequence_mask(X, valid_len, value=0):
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X


class MaskedSoftmaxCELoss(nn.CrossEntropyLoss):
    def forward(self, pred, label, valid_len):
        weights = torch.ones_like(label)
        weights = sequence_mask(weights, valid_len)
        self.reduction = "none"
        unweighted_loss = super().forward(pred.permute(0, 2, 1), label)
        return (unweighted_loss * weights).mean(dim=1)


class Seq2SeqEncoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers)

    def forward(self, X):
        X = self.embedding(X).permute(1, 0, 2)
        return self.rnn(X)


class AdditiveAttention(nn.Module):
    def __init__(self, num_hiddens):
        super().__init__()
        self.W_k = nn.Linear(num_hiddens, num_hiddens, bias=False)
        self.W_q = nn.Linear(num_hiddens, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        features = torch.tanh(queries.unsqueeze(2) + keys.unsqueeze(1))
        scores = self.w_v(features).squeeze(-1)
        shape = scores.shape
        lens = torch.repeat_interleave(valid_lens, shape[1])
        flat = scores.reshape(-1, shape[-1])
        mask = torch.arange(shape[-1])[None, :] < lens[:, None]
        flat = flat.masked_fill(~mask, -1e6)
        self.attention_weights = F.softmax(flat.reshape(shape), dim=-1)
        return torch.bmm(self.attention_weights, values)


class AttentionDecoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers):
        super().__init__()
        self.attention = AdditiveAttention(num_hiddens)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers)
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, enc_valid_lens):
        outputs, hidden_state = enc_outputs
        return (outputs.permute(1, 0, 2), hidden_state, enc_valid_lens)

    def forward(self, X, state):
        enc_outputs, hidden_state, enc_valid_lens = state
        X = self.embedding(X).permute(1, 0, 2)
        outputs = []
        for x in X:
            query = torch.unsqueeze(hidden_state[-1], dim=1)
            context = self.attention(query, enc_outputs, enc_outputs, enc_valid_lens)
            x = torch.cat((context, torch.unsqueeze(x, dim=1)), dim=-1)
            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)
            outputs.append(out)
        outputs = self.dense(torch.cat(outputs, dim=0))
        return outputs.permute(1, 0, 2), [enc_outputs, hidden_state, enc_valid_lens]


def grad_clipping(net, theta):
    params = [p for p in net.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


torch.manual_seed(0)
encoder = Seq2SeqEncoder(len(vocab), 8, 16, 2)
decoder = AttentionDecoder(len(vocab), 8, 16, 2)
params = list(encoder.parameters()) + list(decoder.parameters())


def xavier_init_weights(m):
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)
    if type(m) == nn.GRU:
        for param in m._flat_weights_names:
            if "weight" in param:
                nn.init.xavier_uniform_(m._parameters[param])


encoder.apply(xavier_init_weights)
decoder.apply(xavier_init_weights)
optimizer = torch.optim.Adam(params, lr=0.01)
loss = MaskedSoftmaxCELoss()
for epoch in range(30):
    perm = torch.randperm(len(pairs))
    total, tokens = 0.0, 0
    for i in range(0, len(pairs), 16):
        b = perm[i:i + 16]
        X, X_valid_len, Y, Y_valid_len = src[b], src_len[b], tgt[b], tgt_len[b]
        optimizer.zero_grad()
        bos = torch.tensor([idx["<bos>"]] * Y.shape[0]).reshape(-1, 1)
        dec_input = torch.cat([bos, Y[:, :-1]], 1)
        state = decoder.init_state(encoder(X), X_valid_len)
        Y_hat, _ = decoder(dec_input, state)
        l = loss(Y_hat, Y, Y_valid_len)
        l.sum().backward()
        grad_clipping(encoder, 1)
        grad_clipping(decoder, 1)
        optimizer.step()
        total += l.sum().item()
        tokens += Y_valid_len.sum().item()
    if (epoch + 1) % 10 == 0:
        print(f"epoch {epoch + 1}, loss {total / tokens:.4f}")


def predict(tokens):
    ids, valid = encode(tokens)
    enc_X = torch.tensor([ids])
    state = decoder.init_state(encoder(enc_X), torch.tensor([valid]))
    dec_X = torch.tensor([[idx["<bos>"]]])
    out = []
    for _ in range(num_steps):
        Y, state = decoder(dec_X, state)
        dec_X = Y.argmax(dim=2)
        pred = dec_X.squeeze(dim=0).type(torch.int32).item()
        if pred == idx["<eos>"]:
            break
        out.append(vocab[pred])
    return out


def bleu(pred_seq, label_seq, k):
    len_pred, len_label = len(pred_seq), len(label_seq)
    score = math.exp(min(0, 1 - len_label / max(len_pred, 1)))
    for n in range(1, min(k, len_pred) + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[" ".join(label_seq[i: i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[" ".join(pred_seq[i: i + n])] > 0:
                num_matches += 1
                label_subs[" ".join(pred_seq[i: i + n])] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


with torch.no_grad():
    for s in (["a", "b", "c"], ["h", "g", "a", "d"], ["c", "c", "e"]):
        p = predict(s)
        print(s, "=>", p, f"bleu {bleu(p, s[::-1], 2):.3f}")
    print(decoder.attention.attention_weights.shape)
