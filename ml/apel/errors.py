"""The one exception type APEL raises for problems a user can fix (bad DDL, bad file, bad SQL)."""


class ApelError(ValueError):
    """A user-facing failure with a readable message."""


class ExecutionError(ApelError):
    """A query failed on a database: SQLite error, timeout, row cap, or a denied operation."""
