"""The README's promises: its two commands, the demo output and the generated source."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme():
    with open(os.path.join(ROOT, "README.md")) as fh:
        return fh.read()


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)\n```", readme(), re.S)
    assert blocks[0] == "python -m pip install . && python examples/demo.py"
    assert blocks[1] == 'python -m pip install ".[test]" && python -m pytest -q'
    with open(os.path.join(ROOT, ".ci", "run")) as fh:
        ci = fh.read()
    assert f"TEST_COMMAND='{blocks[1]}'" in ci


def test_readme_shows_the_demo_output():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "demo.py")],
                         capture_output=True, text=True, check=True).stdout
    shown = re.findall(r"The demo prints:\n\n```\n(.*?)```", readme(), re.S)[0]
    assert out.strip() == shown.strip()


@pytest.mark.parametrize("name", ["scalar_loop_grad", "logsumexp_grad"])
def test_readme_shows_the_golden_source(name):
    with open(os.path.join(ROOT, "tests", "golden", f"{name}.py")) as fh:
        golden = fh.read()
    assert golden in readme()


def test_readme_baseline_snippet_runs_and_gives_its_numbers():
    section = readme().split("## The textbook engines beside it", 1)[1]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    ns = {}
    exec(code, ns)
    assert (ns["x1"].grad, ns["x2"].grad) == (5.5, 1.7163378145367738)
    assert ns["y"].tangent == 5.5


def test_readme_benchmark_figures_exist():
    text = readme()
    for path in re.findall(r"benchmarks/results/[\w.-]+", text):
        assert os.path.exists(os.path.join(ROOT, path)), path


def test_readme_shows_the_demo_adjoint_trace():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "trace_demo.py")],
                         capture_output=True, text=True, check=True).stdout
    shown = re.findall(r"```\n(Reverse adjoint trace.*?)```", readme(), re.S)[0]
    assert shown.strip() in out
