"""CSV cells that a spreadsheet shows as text, never runs as a formula (CSV injection).

Exports carry what people typed (descriptions, places, contacts); a cell starting with
=, +, -, @ (or a tab or carriage return, which some spreadsheets skip before looking)
would be evaluated when staff open the file. Such a cell gets a leading single quote,
which spreadsheets read as "text". A plain number (a negative longitude, a phone number
in international form) can call nothing and stays as it is.
"""

from __future__ import annotations

import csv
import re
from typing import Any, Iterable, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Signs, digits, one decimal point, spaces between digit groups: nothing a formula could call.
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d ]*(\.\d+)?")


def safe_cell(value: Any) -> str:
    """The cell's text, with a leading quote when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeCsvWriter:
    """csv.writer whose every cell goes through `safe_cell`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row of neutralised cells."""
        self._writer.writerow([safe_cell(value) for value in row])
