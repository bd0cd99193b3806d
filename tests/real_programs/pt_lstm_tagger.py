# tolerance: rtol=1e-4 atol=1e-6 -- float32 LSTM gates (sigmoid, tanh) and matrix products: NumPy's and
# PyTorch's kernels round differently in the last bit, and the SGD epochs carry the difference.
"""Sequence Models and Long Short-Term Memory Networks: an nn.LSTM stepped one element at a time with its
(hidden, cell) tuple, then the whole sequence at once from torch.cat(...).view(len, 1, -1), and a
part-of-speech tagger: word_to_ix / tag_to_ix, prepare_sequence, an LSTMTagger module (embedding, LSTM,
a linear layer to tag space, log_softmax), nn.NLLLoss and optim.SGD, the tag scores before and after
training under torch.no_grad(), and a bidirectional two-layer LSTM's shapes."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(1)

lstm = nn.LSTM(3, 3)
inputs = [torch.randn(1, 3) for _ in range(5)]
hidden = (torch.randn(1, 1, 3), torch.randn(1, 1, 3))
for i in inputs:
    out, hidden = lstm(i.view(1, 1, -1), hidden)
# detached: the grad_fn of an LSTM's output names the kernel torch's build picked (MkldnnRnnLayerBackward0
# with oneDNN, StackBackward0 without), not anything about the model
print(out.detach())
print(tuple(h.detach() for h in hidden))

inputs = torch.cat(inputs).view(len(inputs), 1, -1)
hidden = (torch.randn(1, 1, 3), torch.randn(1, 1, 3))
out, hidden = lstm(inputs, hidden)
print(out.detach())
print(tuple(h.detach() for h in hidden))
print(out.grad_fn is not None, out.shape, hidden[0].shape)


def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


training_data = [
    ("The traveller read that book".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("Everybody saw the lamp".split(), ["NN", "V", "DET", "NN"]),
    ("The fire burned the lamp".split(), ["DET", "NN", "V", "DET", "NN"]),
]
word_to_ix = {}
for sent, tags in training_data:
    for word in sent:
        if word not in word_to_ix:
            word_to_ix[word] = len(word_to_ix)
print(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}

EMBEDDING_DIM = 6
HIDDEN_DIM = 6


class LSTMTagger(nn.Module):

    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super(LSTMTagger, self).__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        tag_scores = F.log_softmax(tag_space, dim=1)
        return tag_scores


model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
print(model)
loss_function = nn.NLLLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1)

with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    print(tag_scores)

for epoch in range(60):
    for sentence, tags in training_data:
        model.zero_grad()
        sentence_in = prepare_sequence(sentence, word_to_ix)
        targets = prepare_sequence(tags, tag_to_ix)
        tag_scores = model(sentence_in)
        loss = loss_function(tag_scores, targets)
        loss.backward()
        optimizer.step()
    if epoch % 20 == 19:
        print(epoch + 1, loss.item())

with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    print(tag_scores)
    print(tag_scores.argmax(dim=1))

print([(name, tuple(p.shape)) for name, p in model.lstm.named_parameters()])
bi = nn.LSTM(input_size=4, hidden_size=5, num_layers=2, bidirectional=True, batch_first=True)
x = torch.randn(2, 7, 4)
output, (h_n, c_n) = bi(x)
print(output.shape, h_n.shape, c_n.shape)
print(torch.allclose(output[:, -1, :5], h_n[-2]), torch.allclose(output[:, 0, 5:], h_n[-1]))
