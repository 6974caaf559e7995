"""The two kinds of user error a run reports without a traceback."""


class PresetError(ValueError):
    """A preset file or an override is invalid; the message names the file, the key and what is allowed."""


class DataError(ValueError):
    """The data cannot be loaded or does not fit the preset; the message says which file and what is wrong."""
