"""Error types. Bad *setup* raises; bad *data* is skipped and counted (see stats.py)."""


class CurationError(Exception):
    """Base class for every error this package raises on purpose."""


class ConfigError(CurationError):
    """The configuration is invalid; the message says how to fix it."""


class SchemaError(CurationError):
    """A file does not have the Arrow schema this version of curation expects."""


class OutputExistsError(CurationError):
    """An output folder exists and neither --overwrite nor --resume was given."""


class InputError(CurationError):
    """The input is missing or unusable as a whole (not one bad record)."""


class OutputLockedError(CurationError):
    """Another run holds the output folder's lock; the message names it (pid, host, start)."""


class NoUsablePagesError(InputError):
    """Every input was skipped; stats.json lists each one with its reason."""
