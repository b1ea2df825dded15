"""The exceptions the content layer raises; callers show their message to people as is."""


class DigestsError(Exception):
    """Base class for every error of the digests package."""


class SourceError(DigestsError):
    """An article file or record could not be read; the message names it and says why."""
