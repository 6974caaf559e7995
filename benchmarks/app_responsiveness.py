"""How fast npnn-tui switches tabs while the MNIST preset trains: the app runs in a pseudo-terminal
(120x40, xterm-256color), F5 starts the run, then F3 F4 F6 F2 are pressed in turn and each press is
timed until the terminal output carries a text only the new tab shows.

    python -m benchmarks.app_responsiveness                  # 24 switches while training
    python -m benchmarks.app_responsiveness --no-train       # the same with no run (the baseline)
    python -m benchmarks.app_responsiveness --switches 8 --json out.json

Prints the median, 90th percentile and worst time per tab (and the first Inside switch, which builds
the tab) with the 1-minute load average before and after: the machine is shared, so compare figures
only from runs made side by side, alternating.
"""
from __future__ import annotations

import argparse
import codecs
import fcntl
import json
import math
import os
import re
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

COLUMNS, ROWS = 120, 40
KEYS = {"f2": b"\x1bOQ", "f3": b"\x1bOR", "f4": b"\x1bOS", "f5": b"\x1b[15~", "f6": b"\x1b[17~"}
# NOTE: text drawn only by that tab's body (never by the tab bar or footer); any one of them counts
MARKERS = {
    "f2": ("skipped steps",),
    "f3": ("best val loss", "epochs run"),
    "f4": ("No predictions yet", "test split"),
    "f6": ("Open this tab while a run trains", "log10 upd"),
}
LAYER_TABLE = ("log10 upd",)  # NOTE: while a run trains the Inside tab counts as shown once its layer table is
TAB_NAMES = {"f2": "Train", "f3": "Runs", "f4": "Predictions", "f6": "Inside"}
ORDER = ("f3", "f4", "f6", "f2")  # the app opens on Train, so the first press switches
TRAINING = "Training · epoch"
ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[()][0-~]|[@-Z\\-_])")


class AppGone(RuntimeError):
    """The app exited, or did not draw what was awaited in time."""


@dataclass
class Terminal:
    """npnn-tui in a pseudo-terminal of its own process group; `text` is what it wrote, escapes removed."""
    process: subprocess.Popen
    master: int
    text: str = ""
    raw: bytearray = field(default_factory=bytearray)
    pending: bytes = b""
    decoder: codecs.IncrementalDecoder = field(default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"))

    @classmethod
    def start(cls, args: list[str], env: dict) -> "Terminal":
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))

        def defaults() -> None:  # NOTE: a benchmark started under nohup must not pass SIGHUP on ignored
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
        try:
            process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                                       start_new_session=True, preexec_fn=defaults)
        finally:
            os.close(slave)
        return cls(process, master)

    def stop(self) -> None:
        """Kill the app's whole process group, reap it and close the terminal."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        os.close(self.master)

    def press(self, key: str, forget: bool = True) -> None:
        """Send `key`; with `forget`, what the app wrote before it no longer counts."""
        if forget:
            self.text = ""
        os.write(self.master, KEYS[key])

    def read(self, timeout: float) -> bool:
        """Read what the app wrote within `timeout` seconds; False when nothing came."""
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 1 << 16)
        except OSError:  # NOTE: Linux reports a closed pty's other end as EIO
            chunk = b""
        if not chunk:
            raise AppGone(f"the app exited (code {self.process.wait()}): {self.tail()}")
        self.raw += chunk
        del self.raw[:-200_000]
        data = self.pending + chunk
        # NOTE: an escape sequence (or character) cut at the end of a read waits for the rest
        cut = data.rfind(b"\x1b")
        if cut >= 0 and ESCAPES.match(data, cut) is None and len(data) - cut < 64:
            data, self.pending = data[:cut], data[cut:]
        else:
            self.pending = b""
        self.text += self.decoder.decode(ESCAPES.sub(b"", data))
        return True

    def wait_for(self, markers: tuple[str, ...], timeout: float) -> float:
        """Seconds until one of `markers` shows in what the app wrote since the last press or drain."""
        start = time.perf_counter()
        while not any(marker in self.text for marker in markers):
            left = timeout - (time.perf_counter() - start)
            if left <= 0:
                raise AppGone(f"none of {markers} shown within {timeout:.0f} s: {self.tail()}")
            self.read(left)
        return time.perf_counter() - start

    def drain(self, seconds: float) -> None:
        """Take what the app writes for `seconds`, then forget it."""
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            self.read(left)
        self.text = ""

    def tail(self) -> str:
        return ESCAPES.sub(b"", bytes(self.raw[-2000:])).decode("utf-8", "replace").strip()[-300:]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p90 of 6 values: the 6th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


def start(terminal: Terminal, timeout: float) -> None:
    """F5 until the run shows as training.
    NOTE: a press while the form still fills itself in at start-up is refused (its fields read empty); a
    press again keeps what came before it, as the status may have shown "Training" just before."""
    deadline = time.perf_counter() + timeout
    terminal.text = ""
    while True:
        terminal.press("f5", forget=False)
        try:
            terminal.wait_for((TRAINING,), min(5.0, deadline - time.perf_counter()))
            return
        except AppGone:
            if terminal.process.poll() is not None or time.perf_counter() >= deadline - 1:
                raise


def measure(switches: int, train: bool, warmup: float, settle: float, timeout: float) -> dict:
    """Start the app, train (or not), switch tabs `switches` times; every switch's seconds per tab key."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(COLUMNS), "LINES": str(ROWS)}
    env.pop("TEXTUAL", None)
    with tempfile.TemporaryDirectory(prefix="npnn-snappy-") as out:
        # NOTE: no early stop: the run must outlast the measurement
        args = [sys.executable, "-m", "tui", "--preset", "mnist_cnn", "--out", out,
                "--epochs", "1000", "--patience", "1000"]
        terminal = Terminal.start(args, env)
        try:
            terminal.wait_for(MARKERS["f2"], timeout)
            terminal.drain(1.0)
            if train:
                start(terminal, timeout)
                terminal.drain(warmup)
            times: dict[str, list[float]] = {key: [] for key in ORDER}
            for n in range(switches):
                key = ORDER[n % len(ORDER)]
                terminal.press(key)
                times[key].append(terminal.wait_for(LAYER_TABLE if train and key == "f6" else MARKERS[key], timeout))
                terminal.drain(settle)
            if train:  # the run was still going: the status line is on the Train tab, now showing
                terminal.press("f3")
                terminal.wait_for(MARKERS["f3"], timeout)
                terminal.press("f2")
                terminal.wait_for((TRAINING,), timeout)
            return times
        finally:
            terminal.stop()


def figures(values: list[float]) -> dict:
    return {"median_s": median(values), "p90_s": percentile(values, 0.9), "max_s": max(values),
            "first_s": values[0], "runs_s": values}


def summary(times: dict[str, list[float]]) -> dict:
    """Figures per tab that was switched to, and over every switch ("all")."""
    rows = {TAB_NAMES[key]: figures(values) for key, values in times.items() if values}
    rows["all"] = figures([v for values in times.values() for v in values])
    return rows


def table(rows: dict, label: str, load: tuple[float, float]) -> str:
    lines = [f"{label} · 1-min load {load[0]:.2f} → {load[1]:.2f} on {os.cpu_count()} cores",
             "| tab | switches | median | p90 | worst | first |", "|---|---:|---:|---:|---:|---:|"]
    for name, row in rows.items():
        lines.append(f"| {name} | {len(row['runs_s'])} | {row['median_s']:.3f} s | {row['p90_s']:.3f} s "
                     f"| {row['max_s']:.3f} s | {row['first_s']:.3f} s |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app_responsiveness", description=__doc__.split("\n")[0])
    parser.add_argument("--switches", type=int, default=24, help="tab switches to time (default 24, 6 per tab)")
    parser.add_argument("--no-train", action="store_true", help="switch tabs with no run going (the baseline)")
    parser.add_argument("--warmup", type=float, default=4.0, help="seconds of training before the first switch")
    parser.add_argument("--settle", type=float, default=0.5, help="seconds between a tab showing and the next press")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for any one draw")
    parser.add_argument("--quick", action="store_true", help="4 switches, 1 s of warm-up: a smoke test, not figures")
    parser.add_argument("--json", type=Path, help="also write every switch's seconds and the load here")
    args = parser.parse_args(argv)
    if args.switches < 1:
        parser.error(f"--switches {args.switches}: expected a positive number")
    if args.quick:
        args.switches, args.warmup, args.settle = 4, 1.0, 0.2
    before = os.getloadavg()[0]
    try:
        times = measure(args.switches, not args.no_train, args.warmup, args.settle, args.timeout)
    except AppGone as error:
        print(f"app_responsiveness: {error}", file=sys.stderr)
        return 1
    load = (before, os.getloadavg()[0])
    rows = summary(times)
    label = "no run (baseline)" if args.no_train else "while mnist_cnn trains"
    print(table(rows, f"npnn-tui tab switches, {label}", load))
    if args.json:
        args.json.write_text(json.dumps({"training": not args.no_train, "load_1min": load,
                                         "cores": os.cpu_count(), "tabs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
