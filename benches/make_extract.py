#!/usr/bin/env python3
"""Writes a data directory with a large hospital-admissions extract for timing `indikator run`.

    python3 benches/make_extract.py --rows 1000000 --out /tmp/indikator-1m

Deterministic (seeded). The admissions carry acute somatic and psychiatric stays spread over
2022-2023 and the municipalities of data/reference/municipalities.csv; the other extracts the
shipped rules name are written with a header only, so the run times the admissions work.
This is a timing aid, not the synthetic register generator.
"""

import argparse
import csv
import os
import random
import shutil
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "data", "reference")

SAMPLE = os.path.join(HERE, "..", "data", "sample")


def sample_headers():
    """The header of every extract of the committed sample (the schemas the shipped rules
    declare), except the admissions written here."""
    headers = {}
    for root, _, files in os.walk(SAMPLE):
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, SAMPLE)
            if rel.startswith("reference") or rel == "lpr_admissions.csv":
                continue
            with open(path, encoding="utf-8") as f:
                headers[rel] = f.readline().rstrip("\n")
    return headers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(os.path.join(args.out, "reference"), exist_ok=True)
    for name in ("municipalities.csv", "population_national_sex_age5.csv"):
        shutil.copy(os.path.join(REFERENCE, name), os.path.join(args.out, "reference", name))
    with open(os.path.join(REFERENCE, "municipalities.csv"), newline="", encoding="utf-8") as f:
        municipalities = [row["code"] for row in csv.DictReader(f)]
    for name, header in sorted(sample_headers().items()):
        os.makedirs(os.path.dirname(os.path.join(args.out, name)), exist_ok=True)
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            f.write(header + "\n")
    persons = max(1, args.rows // 3)
    start = date(2022, 1, 1)
    with open(os.path.join(args.out, "lpr_admissions.csv"), "w", encoding="utf-8") as f:
        f.write("person,admitted,discharged,acute,kind,diagnosis,sex,birth_date,municipality,drg_value,finished_days\n")
        for _ in range(args.rows):
            person = rng.randrange(persons)
            prng = random.Random(person)
            sex = "F" if prng.random() < 0.5 else "M"
            birth = date(1925, 1, 1) + timedelta(days=prng.randrange(95 * 365))
            municipality = municipalities[prng.randrange(len(municipalities))]
            admitted = start + timedelta(days=rng.randrange(730))
            discharged = admitted + timedelta(days=rng.randrange(12))
            acute = "true" if rng.random() < 0.7 else "false"
            kind = "psychiatric" if rng.random() < 0.1 else "somatic"
            f.write(
                f"{person},{admitted},{discharged},{acute},{kind},DI{rng.randrange(10, 99)},{sex},{birth},"
                f"{municipality},{rng.randrange(1000, 90000)},0\n"
            )


if __name__ == "__main__":
    main()
