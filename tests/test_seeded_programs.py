"""Seeded programs in the style of d2l and of the makemore lectures print the same lines under PyTorch and
under chaingrad: the same program text, run once with ``import torch`` and once with ``import chaingrad as
torch`` (model initialization, torch.normal data, dropout, a shuffled DataLoader, random_split, randint
minibatches and multinomial sampling all draw torch's numbers)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROGRAMS = REPO / "tests" / "programs"
NAMES = REPO.parent / "shared" / "data" / "names.txt"


def as_chaingrad(source: str) -> str:
    """The program with its torch imports pointed at chaingrad (nothing else changes)."""
    source = re.sub(r"^import torch$", "import chaingrad as torch", source, flags=re.M)
    source = re.sub(r"^from torch(\.\S+)? import", lambda m: f"from chaingrad{m.group(1) or ''} import", source,
                    flags=re.M)
    return re.sub(r"^import torch\.(\S+) as (\w+)$", r"import chaingrad.\1 as \2", source, flags=re.M)


def run(source: str, tmp_path: Path, name: str, *args: str) -> str:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(path), *args], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("program, args", [("seeded_d2l.py", ()), ("seeded_makemore.py", (str(NAMES),))])
def test_seeded_program_prints_the_same_lines_under_torch_and_chaingrad(program, args, tmp_path):
    if args and not NAMES.is_file():
        pytest.fail(f"the names list is missing: {NAMES}")
    source = (PROGRAMS / program).read_text(encoding="utf-8")
    torch_out = run(source, tmp_path, "with_torch.py", *args)
    chaingrad_out = run(as_chaingrad(source), tmp_path, "with_chaingrad.py", *args)
    assert len(torch_out.splitlines()) > 10
    assert chaingrad_out.splitlines() == torch_out.splitlines()


def test_the_import_rewrite_touches_only_imports():
    src = "import torch\nfrom torch import nn\nfrom torch.utils import data\nimport torch.nn.functional as F\nx = torch"
    assert as_chaingrad(src) == ("import chaingrad as torch\nfrom chaingrad import nn\nfrom chaingrad.utils import "
                                 "data\nimport chaingrad.nn.functional as F\nx = torch")


def test_the_random_numbers_page_example_prints_what_torch_prints(tmp_path):
    page = (REPO / "docs" / "random.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    code += "print(net.weight[0, :3].detach(), net.bias[:3].detach())\n"
    ours = run(code, tmp_path, "doc_chaingrad.py")
    theirs = run(code.replace("import chaingrad as torch", "import torch"), tmp_path, "doc_torch.py")
    assert "tensor([0.6064, 0.3033, 0.0903])" in ours
    assert ours.splitlines() == theirs.splitlines()
