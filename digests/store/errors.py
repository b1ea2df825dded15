"""The exceptions the store raises."""

from digests.errors import DigestsError


class StoreError(DigestsError):
    """Base class for errors of the store; messages never contain the database password."""


class NotFound(StoreError, LookupError):
    """A row the caller named by id does not exist."""
