"""Smoke test of benchmarks/: the hand-written gradients are right, the scripts run.

The benchmarks never gate sct's correctness; this only checks that their reference
gradients agree with central differences and that each script produces its table
and JSON at a tiny size. Optional peers (jax, torch, ...) may be n/a; sct itself and
the hand-written gradient must run.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import build_time, forward, run, workloads  # noqa: E402
from fd import central_gradient  # noqa: E402

EPS = 1e-6




@pytest.mark.parametrize("inst", workloads.tiny_instances(), ids=lambda i: i.label)
def test_hand_written_gradient_matches_central_differences(inst):
    hand = inst.hand(*inst.args)
    assert len(hand) == len(inst.argnums)
    for k, (h, fd) in enumerate(zip(hand, central_gradient(inst.fn, inst.args,
                                                           inst.argnums))):
        assert np.shape(h) == np.shape(inst.args[inst.argnums[k]])
        np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-7,
                                   err_msg=f"{inst.label}: gradient {k}")


def test_every_workload_has_sizes():
    for name in workloads.NAMES:
        assert workloads.instances(name, quick=True)
        assert workloads.instances(name, quick=False)


def test_check_flags_wrong_and_float32_results():
    ref = (np.array([1.0, 2.0]),)
    assert run.check((np.array([1.0, 2.0]),), ref) is None
    assert "relative error" in run.check((np.array([1.0, 2.1]),), ref)
    assert "float32" in run.check((np.array([1.0, 2.0], np.float32),), ref)
    assert "shape" in run.check((np.array([1.0]),), ref)


def test_run_quick_demo(tmp_path, capsys):
    out_json = tmp_path / "run.json"
    plot = tmp_path / "run.png"
    payload = run.main(["--quick", "--only", "demo", "--json", str(out_json),
                        "--plot", str(plot)])
    out = capsys.readouterr().out
    assert "| workload | size | engine | time/call |" in out
    by_engine = {r["engine"]: r for r in payload["results"]}
    for name in ("function", "hand-written", "sct reverse"):
        assert by_engine[name]["status"] == "ok", by_engine[name]
        assert by_engine[name]["median_s"] > 0
        assert f"| demo |  | {name} |" in out
    assert by_engine["sct reverse"]["first_call_s"] > 0
    assert by_engine["hand-written"]["ratio_hand"] == 1.0
    # a peer may be missing (n/a); a wrong gradient or a crash is a finding
    for r in payload["results"]:
        assert r["status"] in ("ok", "n/a"), r
    saved = json.loads(out_json.read_text())
    env = saved["environment"]
    for key in ("python", "numpy", "cpu", "date"):
        assert env[key]
    assert saved["results"] == json.loads(json.dumps(payload["results"]))
    assert plot.exists() or "matplotlib is not installed" in out


def test_build_time_quick(tmp_path, capsys):
    out_json = tmp_path / "build.json"
    payload = build_time.main(["--quick", "--repeats", "2", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert "| cold: first call (build + run) |" in out
    res = payload["results"]
    assert len(res["cold_first_call_s"]) == 2
    assert res["fd_max_rel_error"] < 1e-5
    assert json.loads(out_json.read_text())["benchmark"] == "build_time"


def test_scalar_loop_tangent_matches_central_differences():
    x, y0, n = 2.0, 0.5, 7
    dx, dy0 = 0.3, -1.0
    y, y_dot = forward.scalar_loop_tangent(x, y0, n, dx, dy0)
    fd = (workloads.scalar_loop(x + EPS * dx, y0 + EPS * dy0, n)
          - workloads.scalar_loop(x - EPS * dx, y0 - EPS * dy0, n)) / (2 * EPS)
    assert y == pytest.approx(workloads.scalar_loop(x, y0, n))
    assert y_dot == pytest.approx(fd, rel=1e-6)


def test_forward_quick(tmp_path, capsys):
    out_json = tmp_path / "forward.json"
    payload = forward.main(["--quick", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert "| scalar_loop jvp | n=100 | sct.jvp |" in out
    assert "| mlp hvp | H=16 | sct.hvp |" in out
    ratios = {(r["workload"], r["engine"]): r["ratio"] for r in payload["results"]}
    assert ratios[("mlp hvp", "sct.grad")] == 1.0  # the baseline of its rows
    assert json.loads(out_json.read_text())["benchmark"] == "forward"


def test_paired_measurement_times_each_engine_next_to_the_reference(monkeypatch):
    from benchmarks import common
    cost = {"ref": 1.0, "a": 2.0, "b": 3.0}  # seconds per call, as the clock sees it
    thunks = {name: (lambda n=name: n) for name in cost}
    seen = []

    def fake_time_loops(thunk, loops):
        name = thunk()
        seen.append(name)
        return cost[name] * loops

    monkeypatch.setattr(common, "time_loops", fake_time_loops)
    timed, ratios = common.measure_paired(thunks, "ref", target=10.0, repeats=4)
    assert ratios == {"a": [2.0] * 4, "b": [3.0] * 4}
    assert timed["a"][1] == [2.0] * 4 and timed["ref"][1] == [1.0] * 8
    # after calibration (one call each): ref then engine on even rounds, engine then
    # ref on odd ones, the engines' order rotating from round to round
    assert seen[3:] == ["ref", "a", "ref", "b", "b", "ref", "a", "ref",
                        "ref", "a", "ref", "b", "b", "ref", "a", "ref"]
    assert common.paired_ratio([2.0, 3.0, 2.2], [1.0, 1.5, 1.0]) == 2.0
