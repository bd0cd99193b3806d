# tolerance: rtol=2e-4 atol=1e-5 -- float32 matrix products, rsqrt, softmax and sin/cos: NumPy's and PyTorch's
# kernels round differently in the last bit, and the AdamW steps carry the difference.
"""A small Llama-style language model from scratch, as the "build a Llama" blog posts and notebooks write it
after Let's build GPT: RMSNorm by hand (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)) checked
against nn.RMSNorm, rotary position embeddings with torch.outer, cos and sin on the even and odd features,
a SwiGLU feed-forward with F.silu, causal attention with F.scaled_dot_product_attention(is_causal=True)
checked against the masked-softmax version, weights initialized with trunc_normal_, weight tying, AdamW
with parameter groups (no decay for norms), gradient clipping, and greedy and sampled generation."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

with open("../shared/data/timemachine.txt") as f:
    text = f.read()[:15000].lower()
chars = sorted(set(text))
vocab_size = len(chars)
stoi = {c: i for i, c in enumerate(chars)}
itos = {i: c for c, i in stoi.items()}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
print(vocab_size, data.shape)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def _norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)

    def forward(self, x):
        return self._norm(x.float()).type_as(x) * self.weight


x = torch.randn(2, 3, 8)
mine, theirs = RMSNorm(8), nn.RMSNorm(8, eps=1e-6)
print(theirs, torch.allclose(mine(x), theirs(x), atol=1e-6))
print(mine(x)[0, 0])
print(x.nansum(), torch.nn.functional.rms_norm(x, (8,))[1, 2])


def precompute_rope(head_dim, seq_len, theta=10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, head_dim, 2)[: head_dim // 2].float() / head_dim))
    t = torch.arange(seq_len, dtype=torch.float32)
    angles = torch.outer(t, freqs)
    return torch.cos(angles), torch.sin(angles)


def apply_rope(x, cos, sin):
    x1, x2 = x[..., 0::2], x[..., 1::2]
    T = x.shape[-2]
    c, s = cos[:T], sin[:T]
    out = torch.stack([x1 * c - x2 * s, x1 * s + x2 * c], dim=-1)
    return out.flatten(-2)


cos, sin = precompute_rope(8, 16)
print(cos.shape, sin[3, :2])
q = torch.randn(1, 2, 5, 8)
rq = apply_rope(q, cos, sin)
print(rq.shape, torch.allclose(rq.norm(dim=-1), q.norm(dim=-1), atol=1e-5))


class Attention(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.n_heads, self.head_dim = n_heads, dim // n_heads
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)

    def forward(self, x, cos, sin, manual=False):
        B, T, C = x.shape
        q = self.wq(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.wk(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if manual:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim)
            mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
            att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
            y = att @ v
        else:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.wo(y)


class FeedForward(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, dim, n_heads):
        super().__init__()
        self.attention_norm = nn.RMSNorm(dim, eps=1e-6)
        self.attention = Attention(dim, n_heads)
        self.ffn_norm = nn.RMSNorm(dim, eps=1e-6)
        self.feed_forward = FeedForward(dim, 4 * dim)

    def forward(self, x, cos, sin):
        x = x + self.attention(self.attention_norm(x), cos, sin)
        return x + self.feed_forward(self.ffn_norm(x))


class Llama(nn.Module):
    def __init__(self, vocab_size, dim=32, n_layers=2, n_heads=4, block_size=16):
        super().__init__()
        self.block_size = block_size
        self.tok_embeddings = nn.Embedding(vocab_size, dim)
        self.layers = nn.ModuleList([Block(dim, n_heads) for _ in range(n_layers)])
        self.norm = nn.RMSNorm(dim, eps=1e-6)
        self.output = nn.Linear(dim, vocab_size, bias=False)
        self.output.weight = self.tok_embeddings.weight
        cos, sin = precompute_rope(dim // n_heads, block_size)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            torch.nn.init.trunc_normal_(module.weight, mean=0.0, std=0.02, a=-0.04, b=0.04)

    def forward(self, idx, targets=None):
        h = self.tok_embeddings(idx)
        for layer in self.layers:
            h = layer(h, self.rope_cos, self.rope_sin)
        logits = self.output(self.norm(h))
        loss = None if targets is None else F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, greedy=False):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.block_size:])
            logits = logits[:, -1, :] / temperature
            if greedy:
                idx_next = logits.argmax(dim=-1, keepdim=True)
            else:
                idx_next = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


torch.manual_seed(1)
model = Llama(vocab_size)
print(sum(p.numel() for p in model.parameters()), model.output.weight is model.tok_embeddings.weight)
print(model.layers[0])
print(sorted(model.state_dict())[:4], len(model.state_dict()))
attn = model.layers[0].attention
h = torch.randn(2, 10, 32)
print(torch.allclose(attn(h, model.rope_cos, model.rope_sin), attn(h, model.rope_cos, model.rope_sin, manual=True),
                     atol=1e-5))

decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
print(len(decay), len(no_decay))
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                               {"params": no_decay, "weight_decay": 0.0}], lr=3e-3, betas=(0.9, 0.95))


def get_batch(batch_size=16, block_size=16):
    ix = torch.randint(len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y


for step in range(40):
    xb, yb = get_batch()
    logits, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    if step % 10 == 0 or step == 39:
        print(f"step {step}: loss {loss.item():.4f}, grad norm {norm.item():.4f}")

model.eval()
start = torch.tensor([[stoi["t"]]])
print("".join(itos[i] for i in model.generate(start, 30, greedy=True)[0].tolist()))
print("".join(itos[i] for i in model.generate(start, 30, temperature=0.8)[0].tolist()))
