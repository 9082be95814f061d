"""Errors of the Label Studio round trip."""

from curation.errors import CurationError


class LabelStudioError(CurationError):
    """The server, the project or its config cannot be used; the message says how to fix it."""
