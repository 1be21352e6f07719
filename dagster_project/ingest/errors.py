"""The one error type raised for bad input, so every caller can quarantine and report it alike."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """Bad input: names the file, and where known the row (1-based, as a spreadsheet shows it) and column.

    `reason` is a short machine-readable code (e.g. `missing_column`, `not_numeric`,
    `totals_mismatch`) used for quarantine records and alert de-duplication.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        reason: str = "invalid",
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.reason = reason
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.file:
            where.append(Path(self.file).name)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{': '.join([', '.join(where), self.message]) if where else self.message}"

    def with_file(self, file: str | Path) -> "IngestError":
        """The same error, naming `file` (parsers often learn the file name only at the top)."""
        if self.file is None:
            self.file = str(file)
            self.args = (self.describe(),)
        return self

    def as_record(self) -> dict:
        return {"reason": self.reason, "message": self.message, "file": self.file, "row": self.row, "column": self.column}
