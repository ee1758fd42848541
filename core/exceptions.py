class ConflictError(Exception):
    """A write based on a stale version: the caller must re-read and retry."""

    def __init__(self, message: str, field: str | None = "version"):
        super().__init__(message)
        self.field = field
