"""The errors a run reports without a traceback: bad presets, data or output folder, a failed download,
and failed saving."""


class PresetError(ValueError):
    """A preset file or an override is invalid; the message names the file, the key and what is allowed."""


class DataError(ValueError):
    """The data cannot be loaded or does not fit the preset; the message says which file and what is wrong."""


class OutputError(ValueError):
    """The output folder (--out) cannot hold run directories; found before any data is loaded."""


class DownloadError(OSError):
    """Fetching data from the network failed (no connection, a server error): not the user's arguments,
    so the command line exits 1, not 2; the message says what to check instead."""


class SaveError(OSError):
    """Writing the run directory failed after training; the message names it and the fallback folder."""

    def __init__(self, message: str, run_dir=None, fallback=None) -> None:
        super().__init__(message)
        self.run_dir, self.fallback = run_dir, fallback
