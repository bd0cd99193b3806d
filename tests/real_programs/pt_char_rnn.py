# tolerance: rtol=2e-4 atol=1e-5 -- float32 matrix products, tanh-free RNN cells and log-softmax: NumPy's and
# PyTorch's kernels round differently in the last bit, and the manual SGD steps carry the difference.
"""NLP From Scratch, the character-level RNN tutorials on names.txt: letterToTensor / lineToTensor one-hot
tensors, a hand-written RNN module (i2h and i2o on torch.cat((input, hidden), 1), nn.LogSoftmax) with
initHidden, categoryFromOutput with topk, random training examples, nn.NLLLoss, manual SGD with
p.data.add_(p.grad.data, alpha=-learning_rate), evaluation into a confusion matrix; then the generating
RNN (i2h, i2o, o2o, dropout) trained on names, and sampling with topk. The categories are the lecture data's
own: whether a name ends in a vowel or a consonant."""

import random
import string

import torch
import torch.nn as nn

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
print(n_letters)

words = open("../shared/data/names.txt").read().splitlines()
random.seed(0)
random.shuffle(words)
category_lines = {"vowel": [], "consonant": []}
for w in words[:2000]:
    category_lines["vowel" if w[-1] in "aeiouy" else "consonant"].append(w.capitalize())
all_categories = list(category_lines)
n_categories = len(all_categories)
print(all_categories, [len(category_lines[c]) for c in all_categories])
print(category_lines["vowel"][:5])


def letterToIndex(letter):
    return all_letters.find(letter)


def letterToTensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letterToIndex(letter)] = 1
    return tensor


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(letterToTensor("J"))
print(lineToTensor("Jones").size())

torch.manual_seed(0)


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


n_hidden = 32
rnn = RNN(n_letters, n_hidden, n_categories)
input = letterToTensor("A")
hidden = torch.zeros(1, n_hidden)
output, next_hidden = rnn(input, hidden)
print(output)

input = lineToTensor("Albert")
output, next_hidden = rnn(input[0], hidden)
print(output)


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


print(categoryFromOutput(output))


def randomChoice(l):  # noqa: E741
    return l[random.randint(0, len(l) - 1)]


def randomTrainingExample():
    category = randomChoice(all_categories)
    line = randomChoice(category_lines[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    line_tensor = lineToTensor(line)
    return category, line, category_tensor, line_tensor


for i in range(4):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    print("category =", category, "/ line =", line, category_tensor, line_tensor.shape)

criterion = nn.NLLLoss()
learning_rate = 0.005


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


n_iters = 600
print_every = 150
current_loss = 0
all_losses = []
for iter in range(1, n_iters + 1):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output, loss = train(category_tensor, line_tensor)
    current_loss += loss
    if iter % print_every == 0:
        guess, guess_i = categoryFromOutput(output)
        correct = "✓" if guess == category else "✗ (%s)" % category
        print("%d %d%% %.4f %s / %s %s" % (iter, iter / n_iters * 100, loss, line, guess, correct))
        all_losses.append(current_loss / print_every)
        current_loss = 0
print(all_losses)

confusion = torch.zeros(n_categories, n_categories)


def evaluate(line_tensor):
    hidden = rnn.initHidden()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    return output


for i in range(200):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output = evaluate(line_tensor)
    guess, guess_i = categoryFromOutput(output)
    category_i = all_categories.index(category)
    confusion[category_i][guess_i] += 1
for i in range(n_categories):
    confusion[i] = confusion[i] / confusion[i].sum()
print(confusion)


def predict(input_line, n_predictions=2):
    print("\n> %s" % input_line)
    with torch.no_grad():
        output = evaluate(lineToTensor(input_line))
        topv, topi = output.topk(n_predictions, 1, True)
        for i in range(n_predictions):
            value = topv[0][i].item()
            category_index = topi[0][i].item()
            print("(%.2f) %s" % (value, all_categories[category_index]))


predict("Anna")
predict("Robert")

# generating names
n_letters = len(all_letters) + 1  # plus EOS


class GenRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(GenRNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.o2o = nn.Linear(hidden_size + output_size, output_size)
        self.dropout = nn.Dropout(0.1)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        input_combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(input_combined)
        output = self.i2o(input_combined)
        output_combined = torch.cat((hidden, output), 1)
        output = self.o2o(output_combined)
        output = self.dropout(output)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


def inputTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li in range(len(line)):
        tensor[li][0][all_letters.find(line[li])] = 1
    return tensor


def targetTensor(line):
    letter_indexes = [all_letters.find(line[li]) for li in range(1, len(line))]
    letter_indexes.append(n_letters - 1)
    return torch.LongTensor(letter_indexes)


print(inputTensor("Ab").shape, targetTensor("Abe"))
gen = GenRNN(n_letters, 48, n_letters)
gen_lr = 0.0005


def train_gen(input_line_tensor, target_line_tensor):
    target_line_tensor.unsqueeze_(-1)
    hidden = gen.initHidden()
    gen.zero_grad()
    loss = torch.Tensor([0])
    for i in range(input_line_tensor.size(0)):
        output, hidden = gen(input_line_tensor[i], hidden)
        l = criterion(output, target_line_tensor[i])  # noqa: E741
        loss += l
    loss.backward()
    for p in gen.parameters():
        p.data.add_(p.grad.data, alpha=-gen_lr)
    return output, loss.item() / input_line_tensor.size(0)


all_lines = category_lines["vowel"] + category_lines["consonant"]
for iter in range(1, 301):
    line = randomChoice(all_lines)
    output, loss = train_gen(inputTensor(line), targetTensor(line))
    if iter % 100 == 0:
        print(iter, "%.4f" % loss)

max_length = 12


def sample(start_letter="A"):
    with torch.no_grad():
        input = inputTensor(start_letter)
        hidden = gen.initHidden()
        output_name = start_letter
        for i in range(max_length):
            output, hidden = gen(input[0], hidden)
            topv, topi = output.topk(1)
            topi = topi[0][0]
            if topi == n_letters - 1:
                break
            else:
                letter = all_letters[topi]
                output_name += letter
            input = inputTensor(letter)
        return output_name


gen.eval()
for start in "ABC":
    print(sample(start))
