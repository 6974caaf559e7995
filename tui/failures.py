"""The one place that turns an exception into the line on stderr and the exit code the README lists.

By meaning: bad input (a ValueError: PresetError, DataError, OutputError, a run directory or file that
does not fit) is exit 2; the disk, the network or a missing package (OSError, ImportError) and memory
are exit 1; a signal is 128 + its number without a line (the command already said what it saved);
stdout closed by its reader (`| head`) ends quietly with 141, as `cat` or `seq` end there; anything
else is exit 1 with one line naming its type ("unexpected TypeError: ...").
Standard library only: the entry point uses it for errors raised while the heavy imports load.
"""
from __future__ import annotations

import argparse
import sys

from tui import exits

PREFIX = "npnn-tui: error: "


def say(message: str) -> None:
    """Print one error line on stderr; a closed or full stderr is ignored (the exit code still tells)."""
    try:
        print(PREFIX + " ".join(message.split("\n")), file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        pass


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose errors are one line (exit 2) pointing at --help for the usage."""

    def error(self, message: str):
        self.exit(exits.EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def describe(error: BaseException) -> str:
    """An exception as words: an OSError as "<file>: <reason>", others as their message."""
    if isinstance(error, OSError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename is not None else error.strerror
    return str(error) or type(error).__name__


def exit_status(error: BaseException, doing: str | None = None) -> int:
    """Report `error` (one line on stderr, or none) and return the exit code it means.

    `doing` names work under way past the input checks ("training"): any error there is a failure
    (exit 1) whose line starts "<doing> failed: ", a ValueError included.
    """
    received = exits.received_signal()
    if isinstance(error, KeyboardInterrupt):
        return exits.exit_code(error)
    if received is not None:  # NOTE: an import interrupted in C code re-raises Ctrl+C as an ImportError
        return 128 + received
    if isinstance(error, BrokenPipeError):
        return exits.EXIT_PIPE
    if isinstance(error, ValueError) and doing is None:
        say(describe(error))
        return exits.EXIT_USAGE
    if isinstance(error, (OSError, ImportError)):
        say(describe(error))
        return exits.EXIT_FAILED
    if isinstance(error, MemoryError):
        say(f"{doing or 'the command'} ran out of memory{': ' + str(error) if str(error) else ''}")
        return exits.EXIT_FAILED
    say(f"{doing + ' failed: ' if doing else 'unexpected '}{type(error).__name__}: {error}")
    return exits.EXIT_FAILED
