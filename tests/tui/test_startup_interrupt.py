"""Ctrl+C while npnn-tui starts (its imports running) exits 130 quietly, whatever import it lands in
(NumPy's C code re-raises it as ImportError "PyCapsule_Import could not import module datetime")."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bundles import regressor  # noqa: F401  (module-scoped fixture)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc/PID/status")
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def _default_signals() -> None:
    """In the child: the signals this test sends act as in a terminal, even under nohup or in a background job."""
    for signum in _SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)


def _spawn(argv: list[str], cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SCIKIT_LEARN_DATA=str(cwd / "sklearn_home"),
               OPENBLAS_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, *argv], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_signals)


def _handlers_installed(pid: int) -> bool:
    """True once the process catches SIGTERM: npnn-tui's entry point runs, before any heavy import."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def _interrupt_after(proc: subprocess.Popen, delay: float) -> tuple[int, str, str] | None:
    """SIGINT `delay` seconds after the entry point took over; (returncode, stdout, stderr), or None
    when the process had already ended."""
    try:
        deadline = time.monotonic() + 60
        while not _handlers_installed(proc.pid):
            assert proc.poll() is None and time.monotonic() < deadline, "the entry point never started"
            time.sleep(0.001)
        time.sleep(delay)
        if proc.poll() is not None:
            return None
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        return proc.returncode, out, err
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


DELAYS = (0.0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.35, 0.6)


@pytest.mark.parametrize("delay", DELAYS)
def test_ctrl_c_during_a_headless_run_s_start_up_exits_130_quietly(tmp_path, delay):
    result = _interrupt_after(_spawn(["-m", "tui", "--headless", "--epochs", "100000", "--out", "runs"], tmp_path),
                              delay)
    assert result is not None
    code, out, err = result
    assert code == 130, err
    assert "Traceback" not in err and len(err.splitlines()) <= 1, err


@pytest.mark.parametrize("delay", DELAYS)
def test_ctrl_c_during_predict_s_start_up_exits_130_quietly(regressor, tmp_path, delay):
    from sklearn.datasets import load_diabetes
    data = load_diabetes()
    rows = "\n".join(",".join(map(str, row)) for row in data.data[:20])
    (tmp_path / "new.csv").write_text(",".join(data.feature_names) + "\n" + rows + "\n")
    result = _interrupt_after(_spawn(["-m", "tui", "predict", str(regressor), "new.csv"], tmp_path), delay)
    if result is None:
        pytest.skip("predict finished before the interrupt")  # NOTE: only on a very fast machine, late delays
    code, out, err = result
    assert code == 130, err
    assert "Traceback" not in err and len(err.splitlines()) <= 1 and out == "", err


_CONVERTING_IMPORT = """
import os, signal, sys, time

class Interrupting:
    '''When numpy is imported: Ctrl+C arrives, and C code turns it into an ImportError (or swallows it).'''
    def find_spec(self, name, path=None, target=None):
        if name != "numpy" or Interrupting.done:
            return None
        Interrupting.done = True
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            if sys.argv[1] == "convert":
                raise ImportError('PyCapsule_Import could not import module "datetime"') from None
        return None

Interrupting.done = False
sys.meta_path.insert(0, Interrupting())
from tui.cli import main
sys.exit(main(["--headless", "--epochs", "100000", "--out", "runs"]))
"""


@pytest.mark.parametrize("what", ["convert", "swallow"])
def test_an_interrupt_an_import_turned_into_an_import_error_or_swallowed_still_exits_130(tmp_path, what):
    proc = _spawn(["-c", _CONVERTING_IMPORT, what], tmp_path)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130 and err == "", err
    assert "Epoch" not in out
