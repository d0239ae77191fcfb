"""Reads a report's report.xlsx with openpyxl, as an Excel user's tools would, and checks it
against the report's report.csv and tabel_1.csv and the publication file it was written with.

Usage: python3 tests/xlsx_check.py REPORT_DIR PUBLICATION_TOML
Run by tests/xlsx.rs; exits non-zero with the first problem found.
"""

import csv
import re
import sys
import tomllib
from pathlib import Path

import openpyxl

FORMAT = re.compile(r"^#,##0(\.0+)?$")
FORBIDDEN = set("[]:*?/\\")


def fail(message):
    sys.exit(f"report.xlsx: {message}")


def check(condition, message):
    if not condition:
        fail(message)


def number(text):
    return float(text) if text != "" else None


def main():
    out, publication = Path(sys.argv[1]), Path(sys.argv[2])
    p = tomllib.loads(publication.read_text(encoding="utf-8"))
    rows = list(csv.DictReader((out / "report.csv").open(encoding="utf-8", newline="")))
    tabel_1 = list(csv.DictReader((out / "tabel_1.csv").open(encoding="utf-8", newline="")))
    book = openpyxl.load_workbook(out / "report.xlsx")

    # Sheet names within Excel's limits; the publication's sheets are all there.
    for name in book.sheetnames:
        check(len(name) <= 31, f"sheet name `{name}` is longer than 31 characters")
        check(not FORBIDDEN & set(name), f"sheet name `{name}` has a forbidden character")
    for name in [p["tabel_1"]["sheet"], p["regions"]["sheet"], p["figures"]["sheet"], p["notes"]["sheet"]]:
        check(name in book.sheetnames, f"no sheet `{name}` in {book.sheetnames}")
    municipal = [n for n in book.sheetnames if n.startswith(p["municipalities"]["sheet"].split("{")[0])]
    check(len(municipal) == 5, f"a municipal sheet per region: {municipal}")

    # Tabel 1: the counts of tabel_1.csv as numbers, and their total.
    sheet = book[p["tabel_1"]["sheet"]]
    check(sheet.freeze_panes == "B4", f"Tabel 1 frozen at {sheet.freeze_panes}")
    for k, goal in enumerate(tabel_1):
        cells = [sheet.cell(row=4 + k, column=c) for c in range(1, 6)]
        check(cells[0].value == goal["title"], f"Tabel 1 row {k}: {cells[0].value}")
        for cell, key in zip(cells[1:], ["green", "yellow", "red", "without_marking"]):
            check(isinstance(cell.value, int) and cell.value == int(goal[key]),
                  f"Tabel 1 {goal['goal']} {key}: {cell.value!r}")
    total = sheet.cell(row=4 + len(tabel_1), column=2)
    check(total.value == sum(int(g["green"]) for g in tabel_1), f"Tabel 1 total green {total.value}")

    # The long sheet: every figure of report.csv once, in its order, numbers as numbers.
    sheet = book[p["figures"]["sheet"]]
    check(sheet.freeze_panes == "B2", f"the long sheet frozen at {sheet.freeze_panes}")
    f = p["figures"]
    keys = ["indicator", "number", "goal", "title", "unit_label", "level", "unit_code", "unit_name",
            "period", "numerator", "denominator", "value", "ci_low", "ci_high", "suppressed",
            "development", "level_marking"]
    header = [c.value for c in sheet[1]]
    check(header == [f[k] for k in keys], f"long sheet header {header}")
    found = list(sheet.iter_rows(min_row=2))
    check(len(found) == len(rows), f"{len(found)} rows on the long sheet, {len(rows)} in report.csv")
    seen = set()
    numeric = 0
    for line, (want, cells) in enumerate(zip(rows, found), start=2):
        got = dict(zip(keys, cells))
        key = (want["indicator"], want["level"], want["unit_code"], want["period"])
        check(key not in seen, f"row {line}: {key} twice")
        seen.add(key)
        check(got["indicator"].value == want["indicator"], f"row {line}: indicator")
        check(got["level"].value == p["levels"][want["level"]], f"row {line}: level {got['level'].value}")
        check(got["unit_code"].value == int(want["unit_code"]), f"row {line}: unit code")
        check(got["period"].value == want["period"], f"row {line}: period")
        for k in ["numerator", "denominator", "value", "ci_low", "ci_high"]:
            expected, cell = number(want[k]), got[k]
            if expected is None:
                check(cell.value is None, f"row {line}: {k} is {cell.value!r}, report.csv has none")
                continue
            check(isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool),
                  f"row {line}: {k} is not a number: {cell.value!r}")
            check(cell.value == expected, f"row {line}: {k} {cell.value!r} != {expected!r}")
            check(FORMAT.match(cell.number_format), f"row {line}: {k} format {cell.number_format!r}")
            numeric += 1
        reason = want["suppressed"]
        expected = p["reasons"][reason] if reason else None
        check(got["suppressed"].value == expected, f"row {line}: reason {got['suppressed'].value!r}")
        for k, words in [("development", "development"), ("level_marking", "level")]:
            m, cell = want[k], got[k]
            if not m:
                check(cell.value is None, f"row {line}: {k} {cell.value!r} without a marking")
                continue
            text = f"{p['markings']['shapes'][m]} {p['markings'][words][m]}"
            check(cell.value == text, f"row {line}: {k} {cell.value!r} != {text!r}")
            fill = cell.fill.fgColor.rgb
            check(fill.endswith(p["markings"]["fills"][m]), f"row {line}: {k} fill {fill}")
    check(numeric > 0, "no numbers on the long sheet")

    # A known figure: life expectancy has one decimal, so its format is #,##0.0.
    life = next(i for i, r in enumerate(rows) if r["indicator"] == "life_expectancy" and r["value"])
    check(found[life][11].number_format == "#,##0.0", f"life expectancy format {found[life][11].number_format}")

    # The regional and municipal tables: every number is a figure of report.csv, with a format.
    values = {float(r["value"]) for r in rows if r["value"]}
    for name in [p["regions"]["sheet"]] + municipal:
        sheet = book[name]
        check(sheet.freeze_panes == "B4", f"{name} frozen at {sheet.freeze_panes}")
        count = 0
        for line in sheet.iter_rows(min_row=4):
            for cell in line:
                if isinstance(cell.value, (int, float)):
                    check(float(cell.value) in values, f"{name}!{cell.coordinate}: {cell.value} is no figure")
                    check(FORMAT.match(cell.number_format), f"{name}!{cell.coordinate}: format {cell.number_format!r}")
                    count += 1
        check(count > 0, f"no figures on {name}")

    # The notes name every extract read.
    notes = [c.value for line in book[p["notes"]["sheet"]].iter_rows() for c in line if c.value]
    check(any(isinstance(v, str) and v.endswith(".csv") for v in notes), "no extracts on the notes sheet")
    print(f"ok: report.xlsx holds the {len(rows)} figures of report.csv once ({numeric} numbers)")


if __name__ == "__main__":
    main()
