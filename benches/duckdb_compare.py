#!/usr/bin/env python3
"""Whole-run benchmark: `indikator run` against DuckDB computing the same figures.

    python3 benches/duckdb_compare.py --runs 3                         # national scale
    python3 benches/duckdb_compare.py --data data/sample --runs 1      # quick check

Requirements: Python 3.9+ with venv and pip, cargo, GNU time at /usr/bin/time (for peak
memory; without it only wall time is measured). The script builds the release binary
(`cargo build --release`), and installs `duckdb==2.0.1` (PyPI, the version this was written and
measured with) into a virtual environment of its own (`target/bench/venv`) when the running
Python does not have it.

What it does
------------
0. Without --data, generates national-scale extracts once and keeps them
   (`indikator synth --persons 5900000 --seed 2024` into `target/bench/national-5900000-2024`,
   3.6 GB; a later run reuses them).
1. Times `indikator run` over the whole shipped rule set (`rules/`) and over a rule set
   restricted to the chosen indicators: the script copies the shipped rule files into a
   temporary directory keeping only the chosen indicators and the definitions they depend on
   (sources, code lists, cohorts, populations, goals), found by name.
2. Times DuckDB (in a subprocess, so that its peak memory can be measured) computing the same
   indicators from the same CSV extracts: it loads the columns the indicators use into tables
   (read_csv with declared types), then evaluates each indicator for its report and comparison
   periods, at the levels the rules ask for, as SQL written independently from the rule
   files' definitions (`INDICATORS` and `indicator_sql` below).
3. Compares every figure (numerator, denominator, value) of DuckDB with indikator's
   report.csv, to 1e-9 relative. Cells indikator does not show (suppressed) cannot be compared
   by value; for those it checks that the reason is consistent with DuckDB's counts
   (`small_numbers`: denominator < 20 or numerator < 5; `no_data`: DuckDB has no value either;
   `complementary`: nothing to check).

The chosen indicators (the shipped rules are the definition):

  #1  somatic_readmissions     proportion, per-discharge relation (acute somatic readmission
                               within [discharge, discharge + 30 days]), directly standardised
                               by sex and 5-year age band to the national discharges
  #4  somatic_finished_days    rate per 1,000 residents of a sum (finished-treatment days)
  #8  preventable_admissions   rate per 1,000 residents 65+, standardised by sex and age band
  #10 antipsychotics_dementia  proportion over a cohort (dementia before the period) and a
                               second cohort (antipsychotic buyers in the period)
  #12 cardiac_mortality        rate per 100,000 residents (2022 compare 2021)
  #16 gp_antibiotics           rate per 1,000 residents of a per-person count of prescriptions
  #40 daily_smokers            survey-weighted proportion (municipalities from 2021)
  #48 mean_length_of_stay      mean

Output: a markdown report on stdout (and --report FILE): timings (median of --runs) and the
agreement table. Exit status 1 when a compared figure disagrees.
"""

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))
DUCKDB_VERSION = "2.0.1"
REL_TOL = 1e-9

# ----------------------------------------------------------------------------------------------
# The indicators: name, number, the periods of each level (report period first, then the
# comparison period), as the shipped rules declare them.
# ----------------------------------------------------------------------------------------------

ALL = ("national", "region", "municipality")
NR = ("national", "region")
INDICATORS = [
    ("somatic_readmissions", 1, {2023: ALL, 2022: ALL}),
    ("somatic_finished_days", 4, {2023: ALL, 2022: ALL}),
    ("preventable_admissions", 8, {2023: ALL, 2022: ALL}),
    ("antipsychotics_dementia", 10, {2023: ALL, 2022: ALL}),
    ("cardiac_mortality", 12, {2022: NR, 2021: NR}),
    ("gp_antibiotics", 16, {2023: NR, 2022: NR}),
    # period 2023 compare 2021; `at municipality { period 2021 }`.
    ("daily_smokers", 40, {2023: NR, 2021: ALL}),
    ("mean_length_of_stay", 48, {2023: NR, 2022: NR}),
]

# Code lists, as in rules/codes.ind and rules/survival_and_safety.ind: a trailing * is a prefix.
DEMENTIA = ["DF00*", "DF01*", "DF02*", "DF03*", "DG30*"]
ANTIPSYCHOTICS = (["N05A*"], ["N05AN01"])  # (codes, except)
PREVENTABLE = [
    "DJ12*", "DJ13*", "DJ14*", "DJ15*", "DJ16*", "DJ17*", "DJ18*", "DJ20*", "DJ21*", "DJ22*",
    "DN30*", "DN390",
    "DE86*",
    "DK590",
    "DA09*",
    "DS02*", "DS12*", "DS22*", "DS32*", "DS42*", "DS52*", "DS62*", "DS72*", "DS82*", "DS92*",
    "DD50*", "DD51*", "DD52*", "DD53*",
    "DL89*",
    "DZ74*", "DZ75*",
]
HEART_DISEASE = ["DI20*", "DI21*", "DI22*", "DI23*", "DI24*", "DI25*",
                 "DI42*", "DI46*", "DI47*", "DI48*", "DI49*", "DI50*"]
ANTIBIOTICS = ["J01*"]


def code_match(col, codes, except_=()):
    """SQL predicate: `col` matches a code list (prefix for a trailing *)."""
    def one(c):
        if c.endswith("*"):
            return f"starts_with({col}, '{c[:-1]}')"
        return f"{col} = '{c}'"
    expr = "(" + " OR ".join(one(c) for c in codes) + ")"
    if except_:
        expr = f"({expr} AND NOT (" + " OR ".join(one(c) for c in except_) + "))"
    return expr


# ----------------------------------------------------------------------------------------------
# DuckDB: loading and the indicators in SQL
# ----------------------------------------------------------------------------------------------

def csv_scan(data, name, columns):
    cols = ", ".join(f"'{c}': '{t}'" for c, t in columns)
    path = os.path.join(data, name).replace("'", "''")
    return f"read_csv('{path}', header = true, auto_detect = false, columns = {{{cols}}})"


def load_sql(data, years):
    """Tables of the columns the indicators read. Residents, deaths, prescriptions and survey
    rows are kept for the years some period needs (a filter DuckDB pushes into the scan);
    admissions and diagnoses are kept whole (readmissions look past the period, dementia
    diagnoses before it)."""
    lo, hi = f"DATE '{min(years)}-01-01'", f"DATE '{max(years)}-12-31'"
    return [
        f"""CREATE TABLE geo AS SELECT code AS municipality, region_code AS region FROM {csv_scan(
            data, 'reference/municipalities.csv',
            [('code', 'INTEGER'), ('name', 'VARCHAR'), ('region_code', 'INTEGER'), ('region_name', 'VARCHAR')])}""",
        f"""CREATE TABLE residents AS
            SELECT person, snapshot_date, sex, municipality,
                   completed_years(birth_date, snapshot_date) AS age
            FROM {csv_scan(data, 'cpr_residents.csv', [
                ('person', 'BIGINT'), ('snapshot_date', 'DATE'), ('sex', 'VARCHAR'),
                ('birth_date', 'DATE'), ('municipality', 'INTEGER')])}
            WHERE snapshot_date BETWEEN {lo} AND {hi}""",
        f"""CREATE TABLE adm AS
            SELECT person, admitted, discharged, acute, kind, diagnosis, sex, birth_date,
                   municipality, finished_days
            FROM {csv_scan(data, 'lpr_admissions.csv', [
                ('person', 'BIGINT'), ('admitted', 'DATE'), ('discharged', 'DATE'),
                ('acute', 'BOOLEAN'), ('kind', 'VARCHAR'), ('diagnosis', 'VARCHAR'),
                ('sex', 'VARCHAR'), ('birth_date', 'DATE'), ('municipality', 'INTEGER'),
                ('drg_value', 'DOUBLE'), ('finished_days', 'BIGINT')])}""",
        f"""CREATE TABLE diag AS
            SELECT person, diagnosed, diagnosis
            FROM {csv_scan(data, 'lpr_diagnoses.csv', [
                ('person', 'BIGINT'), ('diagnosed', 'DATE'), ('diagnosis', 'VARCHAR')])}""",
        f"""CREATE TABLE rx AS
            SELECT person, dispensed, atc, prescriber
            FROM {csv_scan(data, 'lmdb_prescriptions.csv', [
                ('person', 'BIGINT'), ('dispensed', 'DATE'), ('atc', 'VARCHAR'),
                ('prescriber', 'VARCHAR')])}
            WHERE dispensed BETWEEN {lo} AND {hi}""",
        f"""CREATE TABLE deaths AS
            SELECT person, death_date, municipality, cause
            FROM {csv_scan(data, 'deaths.csv', [
                ('person', 'BIGINT'), ('death_date', 'DATE'), ('sex', 'VARCHAR'),
                ('birth_date', 'DATE'), ('municipality', 'INTEGER'), ('cause', 'VARCHAR')])}
            WHERE death_date BETWEEN {lo} AND {hi}""",
        f"""CREATE TABLE profile AS
            SELECT interviewed, municipality, survey_weight, daily_smoker
            FROM {csv_scan(data, 'health_profile.csv', [
                ('respondent', 'VARCHAR'), ('person', 'BIGINT'), ('interviewed', 'DATE'),
                ('sex', 'VARCHAR'), ('age', 'INTEGER'), ('municipality', 'INTEGER'),
                ('survey_weight', 'DOUBLE'), ('daily_smoker', 'BOOLEAN'),
                ('self_rated_health', 'VARCHAR'), ('mental_health_score', 'DOUBLE')])}
            WHERE interviewed BETWEEN {lo} AND {hi}""",
    ]


MACROS = [
    # age(birth, date): completed years.
    """CREATE MACRO completed_years(b, d) AS
         year(d) - year(b)
         - CASE WHEN month(d) < month(b) OR (month(d) = month(b) AND day(d) < day(b))
                THEN 1 ELSE 0 END""",
    # band(age, 0, 5, ..., 85): the lower limit of the band (any consistent key will do).
    """CREATE MACRO band5(a) AS
         CASE WHEN a < 0 THEN NULL WHEN a >= 85 THEN 85 ELSE (a // 5) * 5 END""",
]


def level_rows(base, cols, extra_keys=()):
    """Rolls per-municipality rows (`municipality`, *extra_keys, *cols) up to the
    municipalities, regions and the country: regions and the country are sums over the
    municipalities (a row whose municipality is unknown counts only for the country)."""
    keys = ", ".join(extra_keys)
    k = (", " + keys) if keys else ""
    sums = ", ".join(f"sum({c})::DOUBLE AS {c}" for c in cols)
    # Every municipality of the geography is a unit, with or without rows.
    empty = ", ".join(["municipality"] + ["NULL"] * len(extra_keys) + ["0"] * len(cols))
    base = f"{base} UNION ALL SELECT {empty} FROM geo"
    return f"""
      SELECT CASE WHEN grouping(g.region) = 1 THEN 'national'
                  WHEN grouping(g.municipality) = 1 THEN 'region'
                  ELSE 'municipality' END AS level,
             CASE WHEN grouping(g.region) = 1 THEN 0
                  WHEN grouping(g.municipality) = 1 THEN g.region
                  ELSE g.municipality END AS unit_code
             {k}, {sums}
      FROM (SELECT b.*, geo.region FROM ({base}) b LEFT JOIN geo USING (municipality)) g
      GROUP BY GROUPING SETS (({keys}), (g.region{k}), (g.region, g.municipality{k}))
      HAVING grouping(g.region) = 1 OR g.region IS NOT NULL"""


def ratio(base, scale):
    """numerator / denominator × scale; no value for a zero denominator."""
    return f"""
      SELECT level, unit_code, num AS numerator, den AS denominator,
             CASE WHEN den > 0 THEN num / den * {scale} END AS value
      FROM ({level_rows(base, ['num', 'den'])})"""


def standardised(base, scale):
    """Direct standardisation `using national`: the weight of a stratum is the national
    denominator in it; a unit's figure is Σ (W_s / ΣW) · O_s / n_s over the strata, an empty
    stratum contributing 0; no figure when a stratum has events but no population. Numerator
    and denominator are the crude counts."""
    return f"""
      WITH cells AS ({level_rows(base, ['num', 'den'], ['sex', 'band'])}),
      w AS (SELECT sex, band, den AS w FROM cells
            WHERE level = 'national' AND band IS NOT NULL AND sex IS NOT NULL AND den > 0),
      wsum AS (SELECT sum(w) AS total FROM w),
      crude AS (SELECT level, unit_code, sum(num) AS num, sum(den) AS den
                FROM cells GROUP BY level, unit_code),
      strata AS (
        SELECT u.level, u.unit_code, w.w, coalesce(c.num, 0) AS o, coalesce(c.den, 0) AS n
        FROM crude u CROSS JOIN w
        LEFT JOIN cells c ON c.level = u.level AND c.unit_code = u.unit_code
                         AND c.sex = w.sex AND c.band = w.band),
      dsr AS (
        SELECT level, unit_code,
               CASE WHEN bool_or(o > 0 AND n = 0) THEN NULL
                    ELSE sum(CASE WHEN n > 0 THEN w / (SELECT total FROM wsum) * (o / n) ELSE 0 END)
               END AS rate
        FROM strata GROUP BY level, unit_code)
      SELECT crude.level, crude.unit_code, crude.num AS numerator, crude.den AS denominator,
             CASE WHEN crude.den > 0 THEN dsr.rate * {scale} END AS value
      FROM crude JOIN dsr USING (level, unit_code)"""


def indicator_sql(name, year):
    s, e = f"DATE '{year}-01-01'", f"DATE '{year}-12-31'"
    in_period = lambda col: f"{col} BETWEEN {s} AND {e}"  # noqa: E731
    residents = f"SELECT * FROM residents WHERE {in_period('snapshot_date')}"
    if name == "somatic_readmissions":
        base = f"""
          SELECT d.municipality, d.sex, band5(completed_years(d.birth_date, d.discharged)) AS band,
                 count(*) FILTER (WHERE EXISTS (
                     SELECT 1 FROM adm n
                     WHERE n.person = d.person AND n.acute AND n.kind = 'somatic'
                       AND n.admitted > d.admitted
                       AND n.admitted BETWEEN d.discharged AND d.discharged + 30)) AS num,
                 count(*) AS den
          FROM adm d
          WHERE d.acute AND d.kind = 'somatic' AND {in_period('d.discharged')}
          GROUP BY ALL"""
        return standardised(base, 100)
    if name == "somatic_finished_days":
        base = f"""
          SELECT municipality, sum(finished_days) AS num, 0 AS den FROM adm
          WHERE kind = 'somatic' AND {in_period('discharged')} GROUP BY ALL
          UNION ALL
          SELECT municipality, 0, count(*) FROM ({residents}) GROUP BY ALL"""
        return ratio(base, 1000)
    if name == "preventable_admissions":
        base = f"""
          SELECT municipality, sex, band5(age) AS band, count(*) AS num, 0 AS den
          FROM (SELECT *, completed_years(birth_date, admitted) AS age FROM adm
                WHERE acute AND kind = 'somatic' AND {in_period('admitted')})
          WHERE age >= 65 AND {code_match('diagnosis', PREVENTABLE)}
          GROUP BY ALL
          UNION ALL
          SELECT municipality, sex, band5(age), 0, count(*) FROM ({residents})
          WHERE age >= 65 GROUP BY ALL"""
        return standardised(base, 1000)
    if name == "antipsychotics_dementia":
        base = f"""
          SELECT municipality,
                 count(*) FILTER (WHERE person IN (
                     SELECT person FROM rx
                     WHERE {code_match('atc', *ANTIPSYCHOTICS)} AND {in_period('dispensed')})) AS num,
                 count(*) AS den
          FROM ({residents})
          WHERE age >= 65 AND person IN (
              SELECT person FROM diag WHERE {code_match('diagnosis', DEMENTIA)} AND diagnosed < {s})
          GROUP BY ALL"""
        return ratio(base, 100)
    if name == "cardiac_mortality":
        base = f"""
          SELECT municipality, count(*) AS num, 0 AS den FROM deaths
          WHERE {in_period('death_date')} AND {code_match('cause', HEART_DISEASE)} GROUP BY ALL
          UNION ALL
          SELECT municipality, 0, count(*) FROM ({residents}) GROUP BY ALL"""
        return ratio(base, 100000)
    if name == "gp_antibiotics":
        base = f"""
          SELECT r.municipality, sum(coalesce(x.n, 0)) AS num, count(*) AS den
          FROM ({residents}) r
          LEFT JOIN (SELECT person, count(*) AS n FROM rx
                     WHERE {code_match('atc', ANTIBIOTICS)} AND prescriber = 'general practice'
                       AND {in_period('dispensed')}
                     GROUP BY person) x USING (person)
          GROUP BY ALL"""
        return ratio(base, 1000)
    if name == "daily_smokers":
        base = f"""
          SELECT municipality,
                 count(*) FILTER (WHERE daily_smoker) AS num, count(*) AS den,
                 sum(survey_weight) FILTER (WHERE daily_smoker) AS wnum,
                 sum(survey_weight) AS wden
          FROM profile WHERE {in_period('interviewed')} GROUP BY ALL"""
        return f"""
          SELECT level, unit_code, num AS numerator, den AS denominator,
                 CASE WHEN wden > 0 THEN coalesce(wnum, 0) / wden * 100 END AS value
          FROM ({level_rows(base, ['num', 'den', 'wnum', 'wden'])})"""
    if name == "mean_length_of_stay":
        base = f"""
          SELECT municipality, sum(date_diff('day', admitted, discharged)) AS num, count(*) AS den
          FROM adm WHERE kind = 'somatic' AND {in_period('discharged')} GROUP BY ALL"""
        return ratio(base, 1)
    raise ValueError(name)


def duckdb_worker(args):
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    years = {y for _, _, periods in INDICATORS for y in periods}
    for sql in MACROS:
        con.execute(sql)
    t_load = time.perf_counter()
    for sql in load_sql(args.data, years):
        con.execute(sql)
    t_queries = time.perf_counter()
    rows = []
    per_indicator = {}
    for name, _, periods in INDICATORS:
        t = time.perf_counter()
        for year, levels in periods.items():
            for level, unit, num, den, value in con.execute(indicator_sql(name, year)).fetchall():
                if level in levels:
                    rows.append((name, level, unit, str(year), num, den, value))
        per_indicator[name] = time.perf_counter() - t
    t_end = time.perf_counter()
    with open(args.result, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["indicator", "level", "unit_code", "period", "numerator", "denominator", "value"])
        for r in rows:
            w.writerow([repr(x) if isinstance(x, float) else ("" if x is None else x) for x in r])
    with open(args.result + ".json", "w") as f:
        json.dump({"threads": threads, "version": duckdb.__version__,
                   "setup_s": t_load - t0, "load_s": t_queries - t_load,
                   "queries_s": t_end - t_queries, "per_indicator_s": per_indicator}, f)


# ----------------------------------------------------------------------------------------------
# The restricted rule set: copies of the shipped files with only what the indicators need
# ----------------------------------------------------------------------------------------------

def top_level_blocks(text):
    """Top-level definitions of a rule file: (name, start, end, code) where code is the block
    with strings and comments blanked out. A definition's leading comment lines go with it."""
    blocks, depth, i, n = [], 0, 0, len(text)
    code = list(text)
    start = None
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                code[k] = " "
            i = j
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            for k in range(i, min(j + 1, n)):
                code[k] = " "
            i = j + 1
            continue
        if depth == 0 and start is None and not c.isspace():
            start = i
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                body = "".join(code[start:i + 1])
                # `codes NAME icd10 {`, `aggregate source NAME {`, `indicator NAME {` …
                words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", body[:body.index("{")])
                name = words[2] if words[0] == "aggregate" else words[1]
                # leading comment lines
                s = text.rfind("\n", 0, start) + 1
                while True:
                    p = text.rfind("\n", 0, max(s - 1, 0)) + 1
                    if s > 0 and text[p:s].lstrip().startswith("#"):
                        s = p
                    else:
                        break
                blocks.append((name, s, i + 1, body))
                start = None
        i += 1
    return blocks


def restricted_rules(rules_dir, names, out_dir):
    files = sorted(f for f in os.listdir(rules_dir) if f.endswith(".ind"))
    texts = {f: open(os.path.join(rules_dir, f), encoding="utf-8").read() for f in files}
    blocks = {}
    for f in files:
        for name, s, e, code in top_level_blocks(texts[f]):
            blocks[name] = (f, s, e, code)
    indicator_names = {n for n, (_, _, _, code) in blocks.items()
                       if code.lstrip().startswith("indicator")}
    keep, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        for word in set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", blocks[name][3])):
            if word in blocks and word not in keep and word not in indicator_names:
                todo.append(word)
    os.makedirs(out_dir, exist_ok=True)
    for f in files:
        parts = [texts[f][s:e] for n, (ff, s, e, _) in sorted(blocks.items(), key=lambda kv: kv[1][1])
                 if ff == f and n in keep]
        if parts:
            with open(os.path.join(out_dir, f), "w", encoding="utf-8") as out:
                out.write("\n\n".join(parts) + "\n")
    return sorted(keep)


# ----------------------------------------------------------------------------------------------
# Running and measuring
# ----------------------------------------------------------------------------------------------

def timed(cmd, log):
    """Runs cmd under GNU time when available: (wall seconds, max RSS MiB or None, CPU %)."""
    gnu_time = os.path.exists("/usr/bin/time")
    full = (["/usr/bin/time", "-v"] if gnu_time else []) + cmd
    t = time.perf_counter()
    with open(log, "w") as out:
        p = subprocess.run(full, stdout=out, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t
    text = open(log).read()
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{text[-3000:]}")
    rss = cpu = None
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        rss = int(m.group(1)) / 1024
    m = re.search(r"Percent of CPU this job got: (\d+)%", text)
    if m:
        cpu = int(m.group(1))
    return wall, rss, cpu


def median_runs(runs, cmd, log):
    results = [timed(cmd, log) for _ in range(runs)]
    med = lambda xs: statistics.median(xs) if all(x is not None for x in xs) else None  # noqa: E731
    return {"wall": med([r[0] for r in results]), "rss": med([r[1] for r in results]),
            "cpu": med([r[2] for r in results]), "walls": [r[0] for r in results]}


# ----------------------------------------------------------------------------------------------
# Agreement
# ----------------------------------------------------------------------------------------------

def read_cells(path):
    cells = {}
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            key = (r["indicator"], r["level"], str(int(float(r["unit_code"]))), r["period"])
            num = lambda k: float(r[k]) if r.get(k, "") not in ("", None) else None  # noqa: E731
            cells[key] = {"numerator": num("numerator"), "denominator": num("denominator"),
                          "value": num("value"), "suppressed": r.get("suppressed", "")}
    return cells


def rel_diff(a, b):
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b))


def compare(indikator_cells, duck_cells):
    summary, problems = {}, []
    for name, number, periods in INDICATORS:
        s = summary[name] = {"number": number, "by_level": {l: [0, 0] for l in ALL},
                             "suppressed": {}, "suppressed_consistent": 0, "max_abs": 0.0,
                             "max_rel": 0.0, "periods": sorted(periods, reverse=True)}
        for year, levels in periods.items():
            for key, d in duck_cells.items():
                if key[0] != name or key[3] != str(year):
                    continue
                level = key[1]
                ind = indikator_cells.get(key)
                if ind is None:
                    problems.append(f"{key}: in DuckDB's figures, not in indikator's report")
                    continue
                if ind["value"] is None:
                    reason = ind["suppressed"] or "(none)"
                    s["suppressed"][reason] = s["suppressed"].get(reason, 0) + 1
                    ok = {
                        "small_numbers": d["denominator"] is not None and (
                            d["denominator"] < 20 or (d["numerator"] or 0) < 5),
                        "no_data": d["value"] is None,
                        "complementary": d["value"] is not None,
                    }.get(reason, False)
                    if ok:
                        s["suppressed_consistent"] += 1
                    else:
                        problems.append(f"{key}: indikator hides it ({reason}); DuckDB has "
                                        f"{d['numerator']}/{d['denominator']} = {d['value']}")
                    continue
                s["by_level"][level][1] += 1
                agree = d["value"] is not None
                for field in ("numerator", "denominator", "value"):
                    a, b = ind[field], d[field]
                    if a is None and b is None:
                        continue
                    if a is None or b is None or rel_diff(a, b) > REL_TOL:
                        agree = False
                        problems.append(f"{key} {field}: indikator {a!r}, DuckDB {b!r}")
                    elif field == "value":
                        s["max_abs"] = max(s["max_abs"], abs(a - b))
                        s["max_rel"] = max(s["max_rel"], rel_diff(a, b))
                if agree:
                    s["by_level"][level][0] += 1
        for key in indikator_cells:
            if key[0] == name and key[3] in {str(y) for y in periods} \
                    and key[1] in periods[int(key[3])] and key not in duck_cells:
                problems.append(f"{key}: in indikator's report, not in DuckDB's figures")
    return summary, problems


# ----------------------------------------------------------------------------------------------

def fmt_s(x):
    return "–" if x is None else f"{x:.1f} s"


def fmt_mib(x):
    return "–" if x is None else (f"{x / 1024:.2f} GiB" if x >= 1024 else f"{x:.0f} MiB")


DEFAULT_BINARY = os.path.join(ROOT, "target", "release", "indikator")
BENCH_DIR = os.path.join(ROOT, "target", "bench")


def rerun_with_duckdb():
    """Runs this script again under a virtual environment that has DuckDB, made once."""
    venv = os.path.join(BENCH_DIR, "venv")
    python = os.path.join(venv, "bin", "python")
    if os.environ.get("INDIKATOR_BENCH_VENV") == "1":
        sys.exit(f"duckdb=={DUCKDB_VERSION} did not install into {venv}")
    if not os.path.exists(python):
        print(f"installing duckdb=={DUCKDB_VERSION} into {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", f"duckdb=={DUCKDB_VERSION}"],
                   check=True)
    env = dict(os.environ, INDIKATOR_BENCH_VENV="1")
    return subprocess.run([python, os.path.abspath(__file__)] + sys.argv[1:], env=env).returncode


def national_extracts(binary, persons, seed):
    """The directory of generated extracts for (persons, seed), generated on first use."""
    out = os.path.join(BENCH_DIR, f"national-{persons}-{seed}")
    done = os.path.join(out, ".complete")
    if not os.path.exists(done):
        print(f"generating the extracts of {persons:,} persons (seed {seed}) into {out}; "
              "kept for later runs", file=sys.stderr)
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([binary, "synth", "--persons", str(persons), "--seed", str(seed),
                        "--out", out], check=True, stdout=subprocess.DEVNULL)
        open(done, "w").close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="the data directory of extracts (default: national-scale "
                    "extracts generated once into target/bench/)")
    ap.add_argument("--persons", type=int, default=5_900_000,
                    help="persons of the generated extracts (without --data)")
    ap.add_argument("--seed", type=int, default=2024, help="seed of the generated extracts")
    ap.add_argument("--runs", type=int, default=3, help="runs of each command (median)")
    ap.add_argument("--indikator", default=DEFAULT_BINARY)
    ap.add_argument("--rules", default=os.path.join(ROOT, "rules"))
    ap.add_argument("--duckdb-threads", default="0",
                    help="comma-separated DuckDB thread counts to time; 0 = DuckDB's default (all cores)")
    ap.add_argument("--skip-full", action="store_true", help="do not time the whole rule set")
    ap.add_argument("--report", help="also write the markdown report to this file")
    ap.add_argument("--keep", help="keep the work directory here (outputs, logs, rules)")
    ap.add_argument("--duckdb-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    ap.add_argument("--threads", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.duckdb_worker:
        return duckdb_worker(args)

    try:
        import duckdb  # noqa: F401
    except ImportError:
        return rerun_with_duckdb()
    if args.indikator == DEFAULT_BINARY:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if not os.path.exists(args.indikator):
        sys.exit(f"no indikator binary at {args.indikator}: cargo build --release")
    if args.data is None:
        args.data = national_extracts(args.indikator, args.persons, args.seed)
    data = os.path.abspath(args.data)
    work = args.keep or tempfile.mkdtemp(prefix="duckdb-compare-")
    os.makedirs(work, exist_ok=True)
    names = [n for n, _, _ in INDICATORS]

    # The restricted rule set, checked before it is timed.
    sub_rules = os.path.join(work, "rules-selected")
    shutil.rmtree(sub_rules, ignore_errors=True)
    kept = restricted_rules(args.rules, names, sub_rules)
    chk = subprocess.run([args.indikator, "check", sub_rules], capture_output=True, text=True)
    if chk.returncode != 0:
        sys.exit(f"the restricted rule set does not check:\n{chk.stdout}{chk.stderr}")

    timings = []
    if not args.skip_full:
        out_full = os.path.join(work, "out-full")
        r = median_runs(args.runs, [args.indikator, "run", args.rules, "--data", data,
                                    "--out", out_full], os.path.join(work, "indikator-full.log"))
        timings.append(("indikator run rules/ (whole 2024 rule set, 49 indicators)", r))
    out_sel = os.path.join(work, "out-selected")
    r = median_runs(args.runs, [args.indikator, "run", sub_rules, "--data", data,
                                "--out", out_sel], os.path.join(work, "indikator-selected.log"))
    timings.append((f"indikator run, the {len(names)} indicators only", r))

    duck_meta = {}
    result = os.path.join(work, "duckdb.csv")
    for threads in [int(t) for t in args.duckdb_threads.split(",")]:
        cmd = [sys.executable, os.path.abspath(__file__), "--duckdb-worker", "--data", data,
               "--result", result] + (["--threads", str(threads)] if threads else [])
        metas = []
        walls = []
        for _ in range(args.runs):
            w, rss, cpu = timed(cmd, os.path.join(work, f"duckdb-{threads}.log"))
            metas.append((json.load(open(result + ".json")), w, rss, cpu))
            walls.append(w)
        meta = metas[0][0]
        r = {"wall": statistics.median(walls),
             "rss": statistics.median([m[2] for m in metas]) if metas[0][2] is not None else None,
             "cpu": statistics.median([m[3] for m in metas]) if metas[0][3] is not None else None,
             "walls": walls,
             "load": statistics.median([m[0]["load_s"] for m in metas]),
             "queries": statistics.median([m[0]["queries_s"] for m in metas]),
             "per_indicator": {n: statistics.median([m[0]["per_indicator_s"][n] for m in metas])
                               for n in names}}
        duck_meta = meta
        timings.append((f"DuckDB {meta['version']}, {meta['threads']} thread(s), the "
                        f"{len(names)} indicators", r))

    duck_cells = read_cells(result)
    lines = []
    p = lines.append
    p(f"## indikator against DuckDB: {len(names)} indicators, data `{args.data}`\n")
    p(f"Command: `python3 benches/duckdb_compare.py --data {args.data} --runs {args.runs}"
      + (f" --duckdb-threads {args.duckdb_threads}" if args.duckdb_threads != "0" else "") + "`  ")
    p(f"Machine: {os.cpu_count()} cores; load average at the end "
      f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (shared machine: other jobs ran "
      "alongside, so the figures are noisy).  ")
    p(f"Timings are medians of {args.runs} run(s) of the whole process (wall clock; peak memory "
      "is GNU time's maximum resident set size).\n")
    p("| what | wall time | CPU | peak memory | runs (s) |")
    p("| --- | --- | --- | --- | --- |")
    for label, r in timings:
        extra = ""
        if "load" in r:
            extra = f" (load {r['load']:.1f} s + indicators {r['queries']:.1f} s)"
        p(f"| {label} | {fmt_s(r['wall'])}{extra} | "
          f"{'–' if r['cpu'] is None else str(r['cpu']) + ' %'} | {fmt_mib(r['rss'])} | "
          f"{', '.join(f'{w:.1f}' for w in r['walls'])} |")
    last = timings[-1][1]
    if "per_indicator" in last:
        p("\nDuckDB time per indicator (both periods, all levels; after loading): "
          + ", ".join(f"#{num} {last['per_indicator'][n]:.2f} s" for n, num, _ in INDICATORS) + ".")

    p(f"\nThe restricted rule set holds {len(kept)} definitions: {', '.join(kept)}.\n")

    all_problems = []
    outs = [("restricted run", os.path.join(work, "out-selected", "report.csv"))]
    if not args.skip_full:
        outs.append(("whole rule set", os.path.join(work, "out-full", "report.csv")))
    for label, path in outs:
        summary, problems = compare(read_cells(path), duck_cells)
        all_problems += [f"[{label}] {x}" for x in problems]
        p(f"\n### Agreement with indikator's report.csv ({label})\n")
        p("Cells shown by indikator whose numerator, denominator and value agree with DuckDB's "
          f"to {REL_TOL:g} relative, of those shown; report and comparison periods.\n")
        p("| # | indicator | periods | national | regions | municipalities | max abs diff (value) "
          "| max rel diff | suppressed by indikator (consistent with DuckDB's counts) |")
        p("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, s in summary.items():
            lv = s["by_level"]
            cell = lambda l: f"{lv[l][0]}/{lv[l][1]}" if lv[l][1] else "–"  # noqa: E731
            sup = ", ".join(f"{k} {v}" for k, v in sorted(s["suppressed"].items()))
            sup = f"{sup} ({s['suppressed_consistent']} consistent)" if sup else "none"
            p(f"| {s['number']} | `{name}` | {', '.join(map(str, s['periods']))} | "
              f"{cell('national')} | {cell('region')} | {cell('municipality')} | "
              f"{s['max_abs']:.3g} | {s['max_rel']:.3g} | {sup} |")
    p("")
    if all_problems:
        p(f"**{len(all_problems)} disagreement(s):**\n")
        for x in all_problems[:50]:
            p(f"- {x}")
    else:
        p("All compared figures agree.")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write(report)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main())
