"""A canonical column of a raw table, every spelling of it a publisher has used, and its type.

The vocabulary both a source spec (`spec.py`) and the readers (`tabular.py`) use; it imports
neither of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Literal

ColumnKind = Literal["text", "integer", "number", "date", "timestamp", "boolean"]

DUCKDB_TYPES: dict[str, str] = {
    "text": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}

# What publishers write for "no value" in a numeric cell: blank, dash, suppressed ([c], c, *),
# not available ([x], x, :), not applicable (..). Text cells only treat blank as missing.
DEFAULT_MISSING_MARKERS = frozenset({"", "-", "*", "[c]", "[x]", "[z]", "c", "x", ":", "..", "n/a", "na"})


def normalise_header(name: str) -> str:
    """Compare headers the way a person would: no BOM, no case, no runs of spaces."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "")).strip().casefold()


@dataclass(frozen=True)
class Column:
    """One canonical column and every spelling of it the publisher has used."""

    name: str
    kind: ColumnKind = "text"
    aliases: tuple[str, ...] = ()
    required: bool = True
    description: str = ""
    # Turns the publisher's cell text into the typed value; defaults to the kind's converter.
    convert: Callable[[str], Any] | None = None

    @property
    def spellings(self) -> frozenset[str]:
        return frozenset(normalise_header(a) for a in (self.name, *self.aliases))

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.kind]
