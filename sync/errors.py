"""The library's own exceptions. The CLI turns each into a one-line message and an exit code."""


class SyncError(Exception):
    """Base of every error the user can act on; its message is meant to be shown as is."""

    exit_code = 1


class ConfigError(SyncError):
    """config.yaml or a file it points to is wrong."""

    exit_code = 2


class SourceError(SyncError):
    """A response sheet cannot be read or lacks required columns."""

    exit_code = 3


class OutputError(SyncError):
    """An output could not be written."""

    exit_code = 4
