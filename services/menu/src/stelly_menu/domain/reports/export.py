"""The reports as CSV: a header row, then the rows; safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is prefixed with ``'`` so that no spreadsheet runs it as a formula
(CSV injection); numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import date

    from stelly_menu.domain.reports.schemas import ExportKind

__all__ = ["COLUMNS", "csv_filename", "safe_cell", "to_csv"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: the columns of each export, in order (the record keys they are read from)
COLUMNS: dict[ExportKind, tuple[str, ...]] = {
    "orders": (
        "id",
        "number",
        "business_date",
        "local_time",
        "status",
        "fulfillment",
        "customer_name",
        "total",
        "currency",
    ),
    "hours": ("hour", "orders", "revenue"),
    "items": ("item_id", "name", "quantity", "revenue"),
}


def safe_cell(value: Any) -> Any:
    """A cell value that a spreadsheet shows as text rather than evaluates."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    if value is None:
        return ""
    return value


def to_csv(columns: Sequence[str], rows: Iterable[Any]) -> str:
    """The CSV text: ``columns`` as the header, then each row's values of those keys."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row[name]) for name in columns])
    return out.getvalue()


def csv_filename(kind: ExportKind, slug: str, first: date, last: date) -> str:
    """``{slug}-{kind}-{from}-{to}.csv`` (only characters safe in a header)."""
    return f"{slug}-{kind}-{first.isoformat()}-{last.isoformat()}.csv"
