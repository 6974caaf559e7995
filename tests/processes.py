"""Every process a test starts goes through here: it starts with SIGINT, SIGTERM and SIGHUP at their
defaults (pytest under `nohup` or as a background job passes them on ignored, and npnn-tui rightly keeps an
ignored signal ignored), in its own process group, and the group is killed when the test is done with it,
whatever the outcome, so no `--epochs 100000` child outlives a failing test.

`spawn` (the fixture of tests/conftest.py) for a process a test talks to; `run` in place of subprocess.run.
"""
from __future__ import annotations

import os
import signal
import subprocess

# NOTE: SIGHUP is POSIX only; on other systems the children start as they would anyway
DEFAULT_SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)


def start(args, preexec_fn=None, **kwargs) -> subprocess.Popen:
    """subprocess.Popen(args, **kwargs) in a new process group (and session), signals at their defaults;
    a test's own `preexec_fn` runs after that."""
    if os.name != "posix":
        return subprocess.Popen(args, **kwargs)

    def prepare() -> None:  # in the child, before it runs: the signals a test sends act as from a terminal
        for signum in DEFAULT_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        if preexec_fn is not None:
            preexec_fn()
    return subprocess.Popen(args, preexec_fn=prepare, start_new_session=True, **kwargs)


def stop(process: subprocess.Popen) -> None:
    """Kill `process` and every process of its group (what it started too), reap it and close its pipes."""
    if os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)  # NOTE: also when the leader is gone but its children are not
        except (ProcessLookupError, PermissionError):
            pass
    elif process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def run(args, *, input=None, capture_output: bool = False, timeout: float | None = None, check: bool = False,
        **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run through `start`, its process group killed when it returns or raises (a timeout too)."""
    if capture_output:
        kwargs.update(stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if input is not None:
        kwargs["stdin"] = subprocess.PIPE
    process = start(args, **kwargs)
    try:
        out, err = process.communicate(input, timeout=timeout)
    finally:
        stop(process)
    done = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    if check:
        done.check_returncode()
    return done
