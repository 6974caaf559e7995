"""The `npnn-tui` entry point: the interactive trainer, `--headless` runs, `--list-presets`, `--version`,
and the subcommands (`predict`, `export`, `sweep` on run directories, `lr-find` on a preset: tui.commands).

Exit codes (tui.exits): 0 success, 2 bad arguments, preset, data, run directory or output path
(argparse's own errors too), 130 Ctrl+C, 143 SIGTERM, 129 SIGHUP (each after the partial run is
saved), 141 stdout closed by its reader, 1 other failures (a failed download among them).
Every error prints one line (tui.failures), never a traceback.
"""
from __future__ import annotations

import os
import sys

from tui import exits, failures


def _tolerant_streams() -> None:
    """Characters the terminal's encoding lacks print as '?' instead of failing (PYTHONIOENCODING=cp1252)."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def _flush_stdout() -> None:
    """Flush what is left for stdout; when it is closed or full, drop it quietly (the run is saved)."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        # NOTE: the interpreter flushes stdout again at exit and would print "Exception ignored";
        # pointing the descriptor at /dev/null makes that last flush succeed.
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        os.close(devnull)


def _list_presets(infos: list, skipped: list) -> int:
    """One line per preset, starting with what --preset takes for it (a user preset's path)."""
    width = max(len(info.choice) for info in infos)
    for info in infos:
        print(f"{info.choice:<{width}}  {info.title} — {info.description}")
    for message in skipped:
        failures.say(f"not listed: {message}")
    return exits.EXIT_OK


_COMMANDS = ("predict", "export", "sweep", "lr-find")  # tui.commands.COMMANDS, named here without importing it


def _dispatch(argv) -> int:
    # NOTE: the only function-level imports of the command line, on purpose: the signal handling in
    # `main` must be in place before NumPy, scikit-learn or Textual load (Ctrl+C during the first
    # 0.3 s exits 130 without a traceback), and a headless run never pays for importing Textual.
    from npnn import tune_malloc
    from presets import list_presets
    exits.raise_if_interrupted()
    tune_malloc()  # NOTE: npnn-tui's process keeps freed memory for the next batch (README, "Global state")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in _COMMANDS:
        from tui.commands import run_command
        return run_command(argv)
    from tui.options import parse_options
    options = parse_options(argv)
    if options.list_presets:
        skipped: list = []
        return _list_presets(list_presets(options.presets_dir, skipped), skipped)
    if options.headless:
        from tui.headless import run_headless
        return run_headless(options)
    from tui.app import make_app
    app = make_app(options)
    exits.raise_if_interrupted()
    app.run()
    return app.return_code or exits.EXIT_OK  # 1 after an unexpected exception (tui.crash)


def main(argv: list[str] | None = None) -> int:
    """Run `npnn-tui` with `argv` (default: sys.argv[1:]) and return the exit code (tui.failures turns
    whatever a command raises into its one line and code; argparse's SystemExit passes through)."""
    _tolerant_streams()
    try:
        with exits.signals_interrupt():
            return _dispatch(argv)
    except SystemExit:
        raise
    except BaseException as error:
        return failures.exit_status(error)
    finally:
        _flush_stdout()
        if argv is None:  # NOTE: the process's own entry: its work is done and reported, so a Ctrl+C
            exits.ignore_late_interrupts()  # during interpreter shutdown must not turn it into a signal death


if __name__ == "__main__":
    sys.exit(main())
