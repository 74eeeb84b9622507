"""CSV exports never hand a spreadsheet a formula: cells starting =, +, -, @, tab or CR get a quote."""

import csv
import io

import pytest

from bot.spreadsheet import SafeCsvWriter, safe_cell

PAYLOADS = [
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_becomes_text(payload: str):
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize(
    "value", ["-33.865", "36.232845", "+380501234567", "+380 50 765 43 21", "a=b", "", "0"]
)
def test_numbers_and_ordinary_text_stay_as_they_are(value: str):
    assert safe_cell(value) == value


def test_the_writer_quotes_every_dangerous_cell_and_keeps_the_rest():
    out = io.StringIO()
    SafeCsvWriter(out).writerow(["=1+1", None, 2, "x"])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "", "2", "x"]]
