#!/usr/bin/env python3
"""Measures the generator's regional corrections from national runs.

    python3 tools/regional_corrections.py OUT_DIR [OUT_DIR ...]

Each OUT_DIR is the output of `indikator run rules/` over national-scale synthetic extracts
made with the current data/calibration files (one per seed). For every published regional
figure, the ratio of the published value to the geometric mean of the runs' figures says how
far the model lands from what it was asked for; where that is more than 1 %, the factor in
data/calibration/regional_corrections.csv is multiplied by it (the generator multiplies the
region's municipal targets by the factor). Indicators whose municipal figures are weighted by
volume (`volume` in indicator_map.csv) are left alone: their regions are matched by the tilt.

Run it again after regenerating with the new factors: each round takes out what the last one
left. See docs/validation.md.
"""
import csv
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import validate  # noqa: E402

ROOT = validate.ROOT
OUT = ROOT / "data/calibration/regional_corrections.csv"
TOLERANCE = 0.01


def main():
    runs = [validate.report_cells(d) for d in sys.argv[1:]]
    if not runs:
        sys.exit(__doc__)
    volume = set()
    for r in csv.DictReader(open(ROOT / "data/calibration/indicator_map.csv", encoding="utf-8")):
        if r["regional_margin"] == "volume":
            volume.add(r["indicator"])
    factors = {}
    if OUT.exists():
        for r in csv.DictReader(open(OUT, encoding="utf-8")):
            factors[(r["indicator"], int(r["region_code"]))] = float(r["factor"])
    changed = 0
    for (ind, level, unit), pub in sorted(validate.published_cells().items()):
        if level != "region" or pub is None or ind in volume:
            continue
        ours = [validate.num(run.get((ind, level, unit), {}).get("value")) for run in runs]
        if any(v is None or v <= 0 for v in ours) or pub[0] <= 0:
            continue
        mean = math.exp(sum(math.log(v) for v in ours) / len(ours))
        ratio = pub[0] / mean
        if abs(ratio - 1) > TOLERANCE:
            factors[(ind, unit)] = round(factors.get((ind, unit), 1.0) * ratio, 4)
            changed += 1
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["indicator", "region_code", "factor"])
        for (ind, unit), factor in sorted(factors.items()):
            w.writerow([ind, unit, factor])
    print(f"{changed} factors changed, {len(factors)} in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
