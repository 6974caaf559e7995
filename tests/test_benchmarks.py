"""The benchmark suite keeps running: a quick npnn-only pass writes a table and a JSON of real figures."""
import json
import sys
from pathlib import Path

from tests import processes

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_prints_a_table_and_writes_its_figures(tmp_path):
    out = tmp_path / "figures.json"
    done = processes.run([sys.executable, "-m", "benchmarks", "--quick", "--no-torch", "--no-memory",
                          "--cases", "mlp_epoch", "op_overhead", "lstm_step", "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "| MLP epoch (diabetes 231 rows, batch 32, Adam) |" in done.stdout
    report = json.loads(out.read_text())
    for case in ("mlp_epoch", "op_overhead", "lstm_step"):
        runs = report["results"][case]["npnn"]["runs_s"]
        assert len(runs) == 2 and all(0 < seconds < 1 for seconds in runs)
    replay = processes.run([sys.executable, "-m", "benchmarks", "--from-json", str(out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "| per-op overhead" in replay.stdout


def test_fresh_mode_times_each_side_in_new_processes_and_reports_every_round(tmp_path):
    out = tmp_path / "fresh.json"
    done = processes.run([sys.executable, "-m", "benchmarks", "--fresh", "--quick", "--no-torch", "--no-memory",
                          "--rounds", "2", "--cases", "op_overhead", "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "| per-op overhead |" in done.stdout and "Every round:" in done.stdout
    report = json.loads(out.read_text())
    blocks = report["blas"].values()
    assert all(len(block["rounds"]) == 2 for block in blocks)
    for block in blocks:
        for entry in block["rounds"]:
            assert len(entry["npnn"]["runs_s"]) == 3 and 0 < entry["npnn"]["seconds"] < 1
            assert "load_1min" in entry
    replay = processes.run([sys.executable, "-m", "benchmarks", "--from-json", str(out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "Every round:" in replay.stdout


def test_mnist_like_digits_have_mnists_shape_and_share_of_zeros(monkeypatch):
    import numpy as np

    from benchmarks.data import MNIST_ZERO_SHARE, cnn_data

    monkeypatch.setenv("NPNN_BENCH_DATA", "digits")
    images, labels = cnn_data(quick=True)
    assert images.shape == (640, 1, 28, 28) and images.dtype == np.float32
    assert abs((images == 0).mean() - MNIST_ZERO_SHARE) < 0.01 and 0 < images.max() <= 1
    assert images[:, :, :2].max() == 0  # the frame around the digit is empty, as in MNIST
    assert set(np.unique(labels)) == set(range(10))
    monkeypatch.setenv("NPNN_BENCH_DATA", "random")
    assert (cnn_data(quick=True)[0] == 0).mean() < 0.01


def test_unknown_data_kind_exits_2_naming_it():
    done = processes.run([sys.executable, "-m", "benchmarks", "--data", "nowhere/mnist.npz"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--data nowhere/mnist.npz" in done.stderr


def test_batchnorm_presets_puts_a_batchnorm_after_each_conv_and_prints_a_table():
    from benchmarks.batchnorm_presets import variants

    plain, with_bn = variants().values()
    types = [layer["type"] for layer in with_bn.model]
    assert types.count("BatchNorm2d") == types.count("Conv2d") == 2
    assert [types[i + 1] for i, t in enumerate(types) if t == "Conv2d"] == ["BatchNorm2d"] * 2
    assert [t for t in types if t != "BatchNorm2d"] == [layer["type"] for layer in plain.model]
    done = processes.run([sys.executable, "-m", "benchmarks.batchnorm_presets", "--epochs", "1", "--seeds", "0",
                          "--samples", "300"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| as shipped") or "BatchNorm2d" in line]
    assert len(rows) == 2 and all("%" in row for row in rows)


def test_checkpoint_cost_prints_the_write_as_a_share_of_an_mnist_preset_epoch():
    done = processes.run([sys.executable, "-m", "benchmarks.checkpoint_cost", "--epochs", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    row = done.stdout.splitlines()[-1].split("|")
    share = float(row[3].strip().rstrip("%"))
    assert 0 < share <= 5, done.stdout  # the bar: a checkpoint costs at most 5% of an epoch


def test_addition_time_reports_the_time_to_the_goal_or_that_it_was_not_reached(tmp_path):
    from benchmarks.addition_time import reached
    assert reached([(10.0, 0.5), (20.0, 0.995), (30.0, 1.0)], 0.99) == (20.0, 2)
    assert reached([(10.0, 0.5)], 0.99) == (None, None)
    out = tmp_path / "addition.json"
    done = processes.run([sys.executable, "-m", "benchmarks.addition_time", "--frameworks", "npnn", "--epochs", "1",
                          "--limit", "600", "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "| npnn | not reached | — | " in done.stdout
    answer = json.loads(out.read_text())["results"]["npnn"][0]
    assert len(answer["curve"]) == 1 and 0 <= answer["test_exact_match"] <= 1
