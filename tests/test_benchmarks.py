"""The benchmark suite keeps running: a quick npnn-only pass writes a table and a JSON of real figures."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_benchmark_prints_a_table_and_writes_its_figures(tmp_path):
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--no-torch", "--no-memory",
                           "--cases", "mlp_epoch", "op_overhead", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "| MLP epoch (diabetes 231 rows, batch 32, Adam) |" in done.stdout
    report = json.loads(out.read_text())
    for case in ("mlp_epoch", "op_overhead"):
        runs = report["results"][case]["npnn"]["runs_s"]
        assert len(runs) == 2 and all(0 < seconds < 1 for seconds in runs)
    replay = subprocess.run([sys.executable, "-m", "benchmarks", "--from-json", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "| per-op overhead" in replay.stdout
