#!/usr/bin/env python3
"""Writes the unit reference files of data/reference/ (see docs/data.md, "Units and groupings").

    python3 tools/make_units.py [DATA_DIR [GEOJSON]]
        (defaults: data, ../shared/reference/municipalities.geojson)

Reads DATA_DIR/reference/municipalities.csv, DATA_DIR/calibration/population_municipality_2020.csv
and the DAGI municipal boundaries (GEOJSON, for the areas behind population density), and
writes into DATA_DIR/reference/, deterministically:

  health_clusters.csv         the 22 health clusters (overlapping grouping)
  health_councils.csv         health councils (partition of the municipalities)
  comparison_municipalities.csv  per municipality its 5 peers by population and density
  hospitals.csv               hospital units (somatic: table 1.1 of the structural commission's
                              report; psychiatric: one per region, derived)
  hospital_departments.csv    departments of each hospital (derived)
  hospital_catchments.csv     per municipality its acute hospital unit (derived from the clusters)
  gp_practices.csv            synthetic general practices (derived, seeded)

Where the sources give no official list, the lists below are derived; docs/data.md says which.
"""
import csv
import math
import random
import sys
from pathlib import Path

DATA = Path(sys.argv[1] if len(sys.argv) > 1 else "data")
GEOJSON = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared/reference/municipalities.geojson")
REF = DATA / "reference"

# --- health clusters ------------------------------------------------------------------------
# 22 clusters around the acute hospitals (structural commission's report, section on
# sundhedsklynger: "22 sundhedsklynger" around "landets 21 akutsygehuse"; the four double
# memberships Vejen, Billund, Middelfart and Rødovre are from the note to its figure 4.7).
# The member lists are derived from the acute hospitals' sites (table 1.1) and geography.
CLUSTERS = [
    ("K01", "Sundhedsklynge Nord (Hovedstaden)", "Nordsjællands Hospital",
     [201, 210, 217, 219, 223, 250, 260, 270]),
    ("K02", "Sundhedsklynge Midt (Hovedstaden)", "Herlev og Gentofte Hospital",
     [151, 157, 159, 163, 173, 190, 230, 240]),
    ("K03", "Sundhedsklynge Byen (Hovedstaden)", "Bispebjerg og Frederiksberg Hospital",
     [101, 147, 175]),
    ("K04", "Sundhedsklynge Syd (Hovedstaden)", "Amager og Hvidovre Hospital",
     [153, 155, 161, 165, 167, 169, 175, 183, 185, 187]),
    ("K05", "Sundhedsklynge Bornholm", "Bornholms Hospital", [400]),
    ("K06", "Sundhedsklyngen Holbæk", "Holbæk Sygehus", [306, 316, 326]),
    ("K07", "Sundhedsklyngen Køge", "Sjællands Universitetshospital",
     [253, 259, 265, 269, 320, 336, 350]),
    ("K08", "Sundhedsklyngen Slagelse", "Næstved, Slagelse og Ringsted Sygehuse",
     [329, 330, 340, 370]),
    ("K09", "Sundhedsklyngen Nykøbing Falster", "Sjællands Universitetshospital",
     [360, 376, 390]),
    ("K10", "Sundhedsklynge Sydvestjylland", "Sydvestjysk Sygehus",
     [530, 561, 563, 573, 575]),
    ("K11", "Sundhedsklynge Sønderjylland", "Sygehus Sønderjylland", [510, 540, 550, 580]),
    ("K12", "Sundhedsklynge Lillebælt", "Sygehus Lillebælt",
     [410, 530, 575, 607, 621, 630]),
    ("K13", "Sundhedsklynge Fyn", "Odense Universitetshospital",
     [410, 420, 430, 440, 450, 461, 479, 480, 482, 492]),
    ("K14", "Sundhedsklynge Aarhus", "Aarhus Universitetshospital",
     [706, 710, 727, 741, 746, 751]),
    ("K15", "Horsensklyngen", "Regionshospitalet Horsens", [615, 766]),
    ("K16", "Sundhedsklynge Randers", "Regionshospitalet Randers", [707, 730]),
    ("K17", "Sundhedsklynge Midt (Midtjylland)", "Hospitalsenhed Midt", [740, 779, 791]),
    ("K18", "Sundhedsklynge Vest (Midtjylland)", "Regionshospitalet Gødstrup",
     [657, 661, 665, 671, 756, 760]),
    ("K19", "Klynge Nord (Nordjylland)", "Regionshospitalet Nordjylland",
     [810, 813, 825, 860]),
    ("K20", "Klynge Aalborg (Nordjylland)", "Aalborg Universitetshospital", [849, 851]),
    ("K21", "Klynge Syd (Nordjylland)", "Aalborg Universitetshospital", [820, 840, 846]),
    ("K22", "Klynge Vest (Nordjylland)", "Aalborg Universitetshospital", [773, 787]),
]

# A double member's council and catchment: the hospital unit with a site in the municipality
# (Brørup in Vejen and Grindsted in Billund are sites of Sydvestjysk Sygehus, Middelfart one of
# Sygehus Lillebælt, table 1.1); Rødovre has none and goes to its neighbour Hvidovre's hospital.
DOUBLE_HOME = {575: "K10", 530: "K10", 410: "K12", 175: "K04"}

# --- hospitals (table 1.1 of the structural commission's report: somatic hospital units) ----
SOMATIC = [
    ("1084", "Amager og Hvidovre Hospital"),
    ("1084", "Bispebjerg og Frederiksberg Hospital"),
    ("1084", "Rigshospitalet"),
    ("1084", "Herlev og Gentofte Hospital"),
    ("1084", "Nordsjællands Hospital"),
    ("1084", "Bornholms Hospital"),
    ("1085", "Sjællands Universitetshospital"),
    ("1085", "Holbæk Sygehus"),
    ("1085", "Næstved, Slagelse og Ringsted Sygehuse"),
    ("1083", "Sydvestjysk Sygehus"),
    ("1083", "Sygehus Sønderjylland"),
    ("1083", "Sygehus Lillebælt"),
    ("1083", "Odense Universitetshospital"),
    ("1082", "Aarhus Universitetshospital"),
    ("1082", "Regionshospitalet Gødstrup"),
    ("1082", "Regionshospitalet Horsens"),
    ("1082", "Regionshospitalet Randers"),
    ("1082", "Hospitalsenhed Midt"),
    ("1081", "Aalborg Universitetshospital"),
    ("1081", "Regionshospitalet Nordjylland"),
]
PSYCHIATRIC = {
    "1084": "Region Hovedstadens Psykiatri",
    "1085": "Psykiatrien Region Sjælland",
    "1083": "Psykiatrien i Region Syddanmark",
    "1082": "Psykiatrien Region Midtjylland",
    "1081": "Psykiatrien Region Nordjylland",
}
SOMATIC_DEPARTMENTS = [
    ("10", "Medicinsk afdeling", "medical"),
    ("20", "Kirurgisk afdeling", "surgical"),
    ("30", "Ortopædkirurgisk afdeling", "orthopaedic"),
    ("40", "Børneafdeling", "paediatric"),
]
PSYCHIATRIC_DEPARTMENTS = [
    ("50", "Voksenpsykiatrisk afdeling", "adult psychiatry"),
    ("60", "Børne- og ungdomspsykiatrisk afdeling", "child and adolescent psychiatry"),
]

# --- general practices -----------------------------------------------------------------------
PRACTICE_SEED = 2025
MEAN_LIST = 3400  # list patients per practice (about 1,700 practices for 5.8 million)
MIN_LIST, MAX_LIST = 1000, 10000
PEERS = 5


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(name, header, rows):
    with open(REF / name, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"wrote {REF / name}: {len(rows)} rows")


def polygon_area(points):
    s = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        s += x1 * y2 - x2 * y1
    return abs(s) / 2


def map_areas():
    """Area of each municipality in km², from the DAGI boundaries (GeoJSON, WGS 84 degrees,
    projected locally: x scaled by the cosine of the latitude)."""
    import json

    g = json.load(open(GEOJSON, encoding="utf-8"))
    areas = {}
    for f in g["features"]:
        code = int(f["properties"]["lau_1"])
        geom = f["geometry"]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for poly in polys:
            for i, ring in enumerate(poly):
                lat = sum(p[1] for p in ring) / len(ring)
                k = math.cos(math.radians(lat))
                pts = [(p[0] * 111.32 * k, p[1] * 110.57) for p in ring]
                a = polygon_area(pts)
                areas[code] = areas.get(code, 0.0) + (a if i == 0 else -a)
    return areas


def main():
    munis = read(REF / "municipalities.csv")
    names = {int(m["code"]): m["name"] for m in munis}
    region = {int(m["code"]): m["region_code"] for m in munis}
    pop = {int(r["code"]): int(r["population"])
           for r in read(DATA / "calibration/population_municipality_2020.csv")}

    # Clusters: every municipality in one or two; exactly the four double members in two.
    seen = {}
    for code, _, _, members in CLUSTERS:
        for m in members:
            assert m in names, m
            seen.setdefault(m, []).append(code)
    assert set(seen) == set(names), set(names) - set(seen)
    doubles = {m for m, cs in seen.items() if len(cs) > 1}
    assert doubles == set(DOUBLE_HOME), doubles
    write("health_clusters.csv", ["unit_code", "unit_name", "member_code"],
          [(c, n, m) for c, n, _, ms in CLUSTERS for m in sorted(ms)])

    # Hospitals and departments.
    hospitals, departments, code_of = [], [], {}
    seq = {}
    for reg, name in SOMATIC + [(r, n) for r, n in PSYCHIATRIC.items()]:
        seq[reg] = seq.get(reg, 0) + 1
        code = f"{reg[2:]}{seq[reg]:02d}"
        kind = "psychiatric" if name in PSYCHIATRIC.values() else "somatic"
        hospitals.append((code, name, reg, kind))
        code_of[name] = code
        for d, dname, spec in (PSYCHIATRIC_DEPARTMENTS if kind == "psychiatric"
                               else SOMATIC_DEPARTMENTS):
            departments.append((f"{code}{d}", f"{dname}, {name}", spec, code))
    write("hospitals.csv", ["hospital_code", "hospital_name", "region_code", "kind"], hospitals)
    write("hospital_departments.csv",
          ["department_code", "department_name", "specialty", "hospital_code"], departments)

    # Home cluster of each municipality, its acute hospital unit and health council.
    home = {}
    for code, _, hosp, members in CLUSTERS:
        for m in members:
            if m not in DOUBLE_HOME or DOUBLE_HOME[m] == code:
                home[m] = (code, hosp)
    write("hospital_catchments.csv", ["municipality_code", "hospital_code"],
          [(m, code_of[home[m][1]]) for m in sorted(names)])
    # One council per acute hospital unit (19 units with 21 acute hospitals, table 1.1):
    # clusters sharing a hospital unit are merged.
    councils = {}
    for code, cname, hosp, _ in CLUSTERS:
        councils.setdefault(hosp, [])
    council_rows = []
    for i, hosp in enumerate(councils, 1):
        members = sorted(m for m, (_, h) in home.items() if h == hosp)
        council_rows += [(f"SR{i:02d}", f"Sundhedsråd {hosp}", m) for m in members]
    write("health_councils.csv", ["unit_code", "unit_name", "member_code"], council_rows)

    # Comparison municipalities: the PEERS nearest by log population and log density
    # (each standardised), ties by code.
    area = map_areas()
    keys = {m: (math.log(pop[m]), math.log(pop[m] / area[m])) for m in names}
    means = [sum(k[i] for k in keys.values()) / len(keys) for i in range(2)]
    sds = [math.sqrt(sum((k[i] - means[i]) ** 2 for k in keys.values()) / len(keys))
           for i in range(2)]
    z = {m: tuple((k[i] - means[i]) / sds[i] for i in range(2)) for m, k in keys.items()}
    peer_rows = []
    for m in sorted(names):
        others = sorted((math.dist(z[m], z[o]), o) for o in names if o != m)
        peer_rows += [(m, o, r + 1, f"{d:.3f}") for r, (d, o) in enumerate(others[:PEERS])]
    write("comparison_municipalities.csv",
          ["municipality_code", "peer_code", "rank", "distance"], peer_rows)

    # General practices: per municipality round(population / MEAN_LIST) practices (at least
    # one), list sizes log-normal around the mean, scaled to the population, kept in range.
    rng = random.Random(PRACTICE_SEED)
    practices = []
    for m in sorted(names):
        n = max(1, round(pop[m] / MEAN_LIST))
        w = [math.exp(0.5 * rng.gauss(0, 1)) for _ in range(n)]
        s = sum(w)
        sizes = [min(MAX_LIST, max(MIN_LIST, round(pop[m] * x / s))) for x in w]
        for k, size in enumerate(sizes, 1):
            practices.append((f"{m:03d}{k:03d}", f"Lægerne {names[m]} {k}", m, size))
    write("gp_practices.csv", ["practice_id", "practice_name", "municipality_code", "list_size"],
          practices)


main()
