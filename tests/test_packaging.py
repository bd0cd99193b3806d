"""The package a user installs: the wheel carries the code, the py.typed marker and the metadata (SPDX
license, one version), builds without deprecation warnings, imports from the wheel alone, and
``chaingrad --version`` / ``python -m chaingrad`` work. (``make wheel`` also installs it into a fresh venv.)"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

import chaingrad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out),
                            ROOT], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    assert "Deprecat" not in build.stdout + build.stderr
    (path,) = [out / name for name in os.listdir(out) if name.endswith(".whl")]
    return path


def test_the_wheel_holds_the_package_its_type_marker_and_clean_metadata(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        metadata = z.read(f"chaingrad-{chaingrad.__version__}.dist-info/METADATA").decode()
        entry_points = z.read(f"chaingrad-{chaingrad.__version__}.dist-info/entry_points.txt").decode()
    assert "chaingrad/py.typed" in names
    for module in ("chaingrad/serialization/unpickler.py", "chaingrad/vision/datasets/mnist.py",
                   "chaingrad/vision/transforms/functional.py", "chaingrad/__main__.py"):
        assert module in names
    assert not any(n.startswith(("tests/", "benchmarks/", "examples/")) for n in names)
    assert f"Version: {chaingrad.__version__}" in metadata and "License-Expression: MIT" in metadata
    assert "Requires-Dist: safetensors" in metadata and "chaingrad = chaingrad.cli:main" in entry_points


def test_the_wheel_imports_on_its_own(wheel, tmp_path):
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp_path / "site")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import chaingrad, chaingrad.vision, chaingrad.serialization;"
            "assert chaingrad.__file__.startswith(sys.argv[1]), chaingrad.__file__; print(chaingrad.__version__)")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "site")], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == chaingrad.__version__


def test_version_and_python_dash_m():
    for command in ([os.path.join(os.path.dirname(sys.executable), "chaingrad"), "--version"],
                    [sys.executable, "-m", "chaingrad", "--version"]):
        run = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and run.stdout.strip() == f"chaingrad {chaingrad.__version__}"
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        text = f.read()
    assert 'dynamic = ["version"]' in text and "\nversion =" not in text.split("[tool.setuptools.dynamic]")[0]
