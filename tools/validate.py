#!/usr/bin/env python3
"""Compares a report (report.csv of `indikator run`) with the published 2024 figures.

    python3 tools/validate.py OUT_DIR [--markdown]

For every published cell (data/calibration/nationale-maal-2024-published.csv, matched to the
rule indicators by data/calibration/indicator_map.csv) it finds the report's figure for the same
indicator and unit in the report's own current period (for municipal figures, the municipal
period), and says whether the published value lies in the figure's 95 % confidence interval, within 2 %
of it, or equals it at the published precision. Regional and national cells pass with any of
these; municipal cells need the interval or the same figure. Prints a summary per indicator; with --markdown, a table for docs/validation.md.
"""
import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def published_cells():
    mapping = {}
    for r in csv.DictReader(open(ROOT / "data/calibration/indicator_map.csv", encoding="utf-8")):
        mapping[(r["table"], r["published_title"])] = r["indicator"]
    cells = {}
    for r in csv.DictReader(open(ROOT / "data/calibration/nationale-maal-2024-published.csv", encoding="utf-8")):
        ind = mapping.get((r["table"], r["indicator"]))
        if ind is None:
            continue
        if r["table"] == "municipality" and r["level"] != "municipality":
            continue
        value = r["value"].strip().replace(",", ".")
        decimals = len(value.split(".")[1]) if "." in value else 0
        cells[(ind, r["level"], int(r["unit_code"]))] = (float(value), decimals) if value else None
    return cells


def report_cells(out):
    first = {}
    for r in csv.DictReader(open(Path(out) / "report.csv", encoding="utf-8")):
        key = (r["indicator"], r["level"], int(r["unit_code"]))
        if key not in first:  # the current period comes first
            first[key] = r
    return first


def num(s):
    return float(s) if s not in ("", None) else None


def main():
    out = sys.argv[1]
    markdown = "--markdown" in sys.argv
    published = published_cells()
    report = report_cells(out)
    per = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))  # ind -> level -> [cells, ok, suppressed, blank]
    detail = defaultdict(list)
    blank_shown = defaultdict(list)  # published blank, but the report shows a figure
    numbers = {}
    for (ind, level, unit), pub in sorted(published.items()):
        row = report.get((ind, level, unit))
        stats = per[ind][level]
        if row is None:
            continue
        numbers[ind] = row["number"]
        if pub is None:
            stats[3] += 1
            if num(row["value"]) is not None:
                blank_shown[ind].append(f"{level} {unit}")
            continue
        stats[0] += 1
        pub, decimals = pub
        value = num(row["value"])
        if value is None:
            stats[2] += 1
            detail[ind].append(f"{level} {unit}: published {pub}, not shown ({row['suppressed'] or 'no figure'})")
            continue
        lo, hi = num(row["ci_low"]), num(row["ci_high"])
        in_ci = lo is not None and hi is not None and lo <= pub <= hi
        near = abs(value - pub) <= 0.02 * abs(pub) + 1e-9
        # The same figure at the published precision (such as 0 days where no interval can be
        # given) is reproduced whatever the interval.
        same = abs(value - pub) <= 0.5 * 10 ** -decimals + 1e-9
        ok = in_ci or same or (level != "municipality" and near)
        if ok:
            stats[1] += 1
        else:
            detail[ind].append(
                f"{level} {unit}: ours {value:.3g} [{lo if lo is None else round(lo, 3)}; {hi if hi is None else round(hi, 3)}], published {pub}"
            )
    order = sorted(per, key=lambda i: int(numbers.get(i, 999)))
    total = defaultdict(lambda: [0, 0, 0, 0])
    lines = []
    if markdown:
        lines.append("| # | indicator | national | regions | municipalities | misses |")
        lines.append("|---|---|---|---|---|---|")
    for ind in order:
        cols = []
        for level in ("national", "region", "municipality"):
            c, ok, sup, blank = per[ind].get(level, [0, 0, 0, 0])
            for k, v in enumerate((c, ok, sup, blank)):
                total[level][k] += v
            cols.append(f"{ok}/{c}" + (f" ({sup} not shown)" if sup else "") if c else "–")
        misses = "; ".join(detail[ind][:4]) + (" …" if len(detail[ind]) > 4 else "")
        if markdown:
            lines.append(f"| {numbers.get(ind, '')} | `{ind}` | {cols[0]} | {cols[1]} | {cols[2]} | {misses} |")
        else:
            lines.append(f"#{numbers.get(ind, ''):>3} {ind:35} N {cols[0]:10} R {cols[1]:14} M {cols[2]:16} {misses}")
    for level in ("national", "region", "municipality"):
        c, ok, sup, blank = total[level]
        share = 100.0 * ok / c if c else 0.0
        lines.append(
            ("\n" if markdown and level == "national" else "")
            + f"{level}: {ok} of {c} published cells reproduced ({share:.1f} %), {sup} not shown, {blank} published blank"
        )
    shown = sum(len(v) for v in blank_shown.values())
    lines.append(
        f"published blank but shown here: {shown}"
        + "".join(f"\n  {ind}: {', '.join(units)}" for ind, units in sorted(blank_shown.items()))
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
