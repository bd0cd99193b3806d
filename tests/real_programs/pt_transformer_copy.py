# tolerance: rtol=2e-4 atol=2e-6 -- float32 matrix products, softmax and layer norms carried through training
# steps: NumPy's and PyTorch's kernels round differently in the last bit.
"""PyTorch tutorials, "Language Translation with nn.Transformer and torchtext", with d2l's 11.7 The Transformer
Architecture: token embeddings scaled by sqrt(emb_size), sinusoidal positional encoding in a registered buffer,
a Seq2SeqTransformer around nn.Transformer with a generator Linear, xavier_uniform_ over the weight matrices,
the causal target mask and the padding masks, teacher forcing with CrossEntropyLoss(ignore_index=PAD_IDX) and
Adam(betas=(0.9, 0.98), eps=1e-9), and greedy decoding. A tiny synthetic task in place of Multi30k: copy a
sequence of digits (of varied lengths, padded) from the source to the target."""

import math

import torch
import torch.nn as nn

torch.manual_seed(0)

PAD_IDX, BOS_IDX, EOS_IDX = 0, 1, 2
VOCAB_SIZE = 10  # 3..9 are the "words"
EMB_SIZE, NHEAD, FFN_HID_DIM, BATCH_SIZE = 16, 2, 32, 8
NUM_ENCODER_LAYERS = NUM_DECODER_LAYERS = 2


class PositionalEncoding(nn.Module):
    def __init__(self, emb_size, dropout, maxlen=50):
        super(PositionalEncoding, self).__init__()
        den = torch.exp(- torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
        pos = torch.arange(0, maxlen).reshape(maxlen, 1)
        pos_embedding = torch.zeros((maxlen, emb_size))
        pos_embedding[:, 0::2] = torch.sin(pos * den)
        pos_embedding[:, 1::2] = torch.cos(pos * den)
        pos_embedding = pos_embedding.unsqueeze(-2)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer('pos_embedding', pos_embedding)

    def forward(self, token_embedding):
        return self.dropout(token_embedding + self.pos_embedding[:token_embedding.size(0), :])


class TokenEmbedding(nn.Module):
    def __init__(self, vocab_size, emb_size):
        super(TokenEmbedding, self).__init__()
        self.embedding = nn.Embedding(vocab_size, emb_size)
        self.emb_size = emb_size

    def forward(self, tokens):
        return self.embedding(tokens.long()) * math.sqrt(self.emb_size)


class Seq2SeqTransformer(nn.Module):
    def __init__(self, num_encoder_layers, num_decoder_layers, emb_size, nhead, src_vocab_size, tgt_vocab_size,
                 dim_feedforward=512, dropout=0.1):
        super(Seq2SeqTransformer, self).__init__()
        self.transformer = nn.Transformer(d_model=emb_size, nhead=nhead, num_encoder_layers=num_encoder_layers,
                                          num_decoder_layers=num_decoder_layers, dim_feedforward=dim_feedforward,
                                          dropout=dropout)
        self.generator = nn.Linear(emb_size, tgt_vocab_size)
        self.src_tok_emb = TokenEmbedding(src_vocab_size, emb_size)
        self.tgt_tok_emb = TokenEmbedding(tgt_vocab_size, emb_size)
        self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout)

    def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, memory_key_padding_mask):
        src_emb = self.positional_encoding(self.src_tok_emb(src))
        tgt_emb = self.positional_encoding(self.tgt_tok_emb(trg))
        outs = self.transformer(src_emb, tgt_emb, src_mask, tgt_mask, None, src_padding_mask, tgt_padding_mask,
                                memory_key_padding_mask)
        return self.generator(outs)

    def encode(self, src, src_mask):
        return self.transformer.encoder(self.positional_encoding(self.src_tok_emb(src)), src_mask)

    def decode(self, tgt, memory, tgt_mask):
        return self.transformer.decoder(self.positional_encoding(self.tgt_tok_emb(tgt)), memory, tgt_mask)


def generate_square_subsequent_mask(sz):
    mask = (torch.triu(torch.ones((sz, sz))) == 1).transpose(0, 1)
    mask = mask.float().masked_fill(mask == 0, float('-inf')).masked_fill(mask == 1, 0.0)
    return mask


def create_mask(src, tgt):
    src_seq_len = src.shape[0]
    tgt_seq_len = tgt.shape[0]
    tgt_mask = generate_square_subsequent_mask(tgt_seq_len)
    src_mask = torch.zeros((src_seq_len, src_seq_len)).type(torch.bool)
    src_padding_mask = (src == PAD_IDX).transpose(0, 1)
    tgt_padding_mask = (tgt == PAD_IDX).transpose(0, 1)
    return src_mask, tgt_mask, src_padding_mask, tgt_padding_mask


def make_batch(batch_size, max_len=6):
    """Random digit sequences of lengths 2..max_len, framed by BOS and EOS and padded: (seq_len, batch)."""
    lengths = torch.randint(2, max_len + 1, (batch_size,))
    batch = torch.full((max_len + 2, batch_size), PAD_IDX, dtype=torch.long)
    for i in range(batch_size):
        n = int(lengths[i])
        batch[0, i] = BOS_IDX
        batch[1:n + 1, i] = torch.randint(3, VOCAB_SIZE, (n,))
        batch[n + 1, i] = EOS_IDX
    return batch


transformer = Seq2SeqTransformer(NUM_ENCODER_LAYERS, NUM_DECODER_LAYERS, EMB_SIZE, NHEAD, VOCAB_SIZE, VOCAB_SIZE,
                                 FFN_HID_DIM, dropout=0.1)
for p in transformer.parameters():
    if p.dim() > 1:
        nn.init.xavier_uniform_(p)
print(transformer.transformer.decoder.layers[0])
print(sum(p.numel() for p in transformer.parameters()), "parameters")

loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD_IDX)
optimizer = torch.optim.Adam(transformer.parameters(), lr=0.005, betas=(0.9, 0.98), eps=1e-9)
batches = [make_batch(BATCH_SIZE) for _ in range(8)]
print(batches[0].T)


def train_epoch(model, optimizer):
    model.train()
    losses = 0
    for src in batches:
        tgt = src
        tgt_input = tgt[:-1, :]
        src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input)
        logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask, src_padding_mask)
        optimizer.zero_grad()
        tgt_out = tgt[1:, :]
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
        loss.backward()
        optimizer.step()
        losses += loss.item()
    return losses / len(batches)


for epoch in range(1, 21):
    train_loss = train_epoch(transformer, optimizer)
    if epoch % 4 == 0:
        print(f"Epoch: {epoch}, Train loss: {train_loss:.4f}")

layer = transformer.transformer.decoder.layers[1]
print(layer.multihead_attn.in_proj_weight.grad[:2, :4])
print(layer.linear2.bias.data[:4])


def greedy_decode(model, src, src_mask, max_len, start_symbol):
    memory = model.encode(src, src_mask)
    ys = torch.ones(1, 1).fill_(start_symbol).type(torch.long)
    for i in range(max_len - 1):
        tgt_mask = (generate_square_subsequent_mask(ys.size(0)).type(torch.bool))
        out = model.decode(ys, memory, tgt_mask)
        out = out.transpose(0, 1)
        prob = model.generator(out[:, -1])
        _, next_word = torch.max(prob, dim=1)
        next_word = next_word.item()
        ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(next_word)], dim=0)
        if next_word == EOS_IDX:
            break
    return ys


transformer.eval()
with torch.no_grad():
    for seq in ([3, 4, 5, 6], [9, 8, 7], [5, 5, 3, 9, 4]):
        src = torch.tensor([BOS_IDX] + seq + [EOS_IDX]).view(-1, 1)
        num_tokens = src.shape[0]
        src_mask = (torch.zeros(num_tokens, num_tokens)).type(torch.bool)
        tgt_tokens = greedy_decode(transformer, src, src_mask, max_len=num_tokens + 3, start_symbol=BOS_IDX).flatten()
        print(seq, "->", tgt_tokens.tolist())
    src = batches[0]
    tgt_input = src[:-1, :]
    masks = create_mask(src, tgt_input)
    logits = transformer(src, tgt_input, *masks, masks[2])
    print(logits.shape, logits[:2, 0, :5])
