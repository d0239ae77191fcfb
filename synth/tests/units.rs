//! The units and groupings: the reference files of `data/reference/` are consistent, and the
//! generated general-practice registrations and stay departments agree with the lives and the
//! reference files.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

type Row = HashMap<String, String>;

fn reference(name: &str) -> Vec<Row> {
    rows(&data(), &format!("reference/{name}"))
}

fn municipality_codes() -> BTreeSet<String> {
    reference("municipalities.csv")
        .into_iter()
        .map(|r| r["code"].clone())
        .collect()
}

/// unit code -> (unit name, members), checking that each unit has one name and no member twice.
fn grouping(name: &str) -> BTreeMap<String, (String, Vec<String>)> {
    let codes = municipality_codes();
    let mut out: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for r in reference(name) {
        assert!(
            codes.contains(&r["member_code"]),
            "{name}: {} is not a municipality",
            r["member_code"]
        );
        let unit = out
            .entry(r["unit_code"].clone())
            .or_insert_with(|| (r["unit_name"].clone(), Vec::new()));
        assert_eq!(
            unit.0, r["unit_name"],
            "{name}: two names for {}",
            r["unit_code"]
        );
        assert!(
            !unit.1.contains(&r["member_code"]),
            "{name}: {} twice in {}",
            r["member_code"],
            r["unit_code"]
        );
        unit.1.push(r["member_code"].clone());
    }
    out
}

/// municipality code -> the units it belongs to
fn memberships(g: &BTreeMap<String, (String, Vec<String>)>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (unit, (_, members)) in g {
        for m in members {
            out.entry(m.clone()).or_default().push(unit.clone());
        }
    }
    out
}

#[test]
fn health_clusters_cover_every_municipality_with_the_four_double_memberships() {
    let clusters = grouping("health_clusters.csv");
    assert_eq!(clusters.len(), 22, "the 22 health clusters");
    let of = memberships(&clusters);
    assert_eq!(
        of.keys().cloned().collect::<BTreeSet<_>>(),
        municipality_codes(),
        "every municipality is in a cluster"
    );
    let doubles: BTreeSet<&str> = of
        .iter()
        .filter(|(_, units)| units.len() > 1)
        .map(|(m, _)| m.as_str())
        .collect();
    // Middelfart, Rødovre, Billund, Vejen (seed 002, note to figure 4.7).
    assert_eq!(doubles, BTreeSet::from(["175", "410", "530", "575"]));
    assert!(of.values().all(|units| units.len() <= 2));
    // A cluster lies within one region.
    let region: HashMap<String, String> = reference("municipalities.csv")
        .into_iter()
        .map(|r| (r["code"].clone(), r["region_code"].clone()))
        .collect();
    for (unit, (_, members)) in &clusters {
        let regions: BTreeSet<&String> = members.iter().map(|m| &region[m]).collect();
        assert_eq!(regions.len(), 1, "{unit} spans regions {regions:?}");
    }
}

#[test]
fn health_councils_partition_the_municipalities() {
    let councils = grouping("health_councils.csv");
    let of = memberships(&councils);
    assert_eq!(
        of.keys().cloned().collect::<BTreeSet<_>>(),
        municipality_codes()
    );
    for (m, units) in &of {
        assert_eq!(units.len(), 1, "{m} is in councils {units:?}");
    }
}

#[test]
fn comparison_municipalities_are_five_others_each() {
    let codes = municipality_codes();
    let mut peers: BTreeMap<String, Vec<(u32, String, f64)>> = BTreeMap::new();
    for r in reference("comparison_municipalities.csv") {
        assert!(codes.contains(&r["peer_code"]), "{}", r["peer_code"]);
        assert_ne!(r["municipality_code"], r["peer_code"], "a peer of itself");
        peers
            .entry(r["municipality_code"].clone())
            .or_default()
            .push((
                r["rank"].parse().unwrap(),
                r["peer_code"].clone(),
                r["distance"].parse().unwrap(),
            ));
    }
    assert_eq!(peers.keys().cloned().collect::<BTreeSet<_>>(), codes);
    for (m, list) in &peers {
        let ranks: Vec<u32> = list.iter().map(|p| p.0).collect();
        assert_eq!(ranks, [1, 2, 3, 4, 5], "{m}: ranks");
        let distinct: BTreeSet<&String> = list.iter().map(|p| &p.1).collect();
        assert_eq!(distinct.len(), 5, "{m}: a peer twice");
        assert!(
            list.windows(2).all(|w| w[0].2 <= w[1].2),
            "{m}: not nearest first"
        );
    }
}

#[test]
fn practices_hospitals_and_departments_are_consistent() {
    let codes = municipality_codes();
    let practices = reference("gp_practices.csv");
    let ids: BTreeSet<&String> = practices.iter().map(|r| &r["practice_id"]).collect();
    assert_eq!(ids.len(), practices.len(), "practice ids are unique");
    let with_practice: BTreeSet<String> = practices
        .iter()
        .map(|r| r["municipality_code"].clone())
        .collect();
    assert_eq!(with_practice, codes, "every municipality has a practice");
    for r in &practices {
        let size: u32 = r["list_size"].parse().unwrap();
        assert!((1000..=10_000).contains(&size), "{r:?}");
    }

    let regions: BTreeSet<String> = reference("municipalities.csv")
        .into_iter()
        .map(|r| r["region_code"].clone())
        .collect();
    let hospitals: HashMap<String, Row> = reference("hospitals.csv")
        .into_iter()
        .map(|r| (r["hospital_code"].clone(), r))
        .collect();
    for h in hospitals.values() {
        assert!(regions.contains(&h["region_code"]), "{h:?}");
        assert!(["somatic", "psychiatric"].contains(&h["kind"].as_str()));
    }
    let departments = reference("hospital_departments.csv");
    let dept_codes: BTreeSet<&String> = departments.iter().map(|r| &r["department_code"]).collect();
    assert_eq!(
        dept_codes.len(),
        departments.len(),
        "department codes are unique"
    );
    for d in &departments {
        assert!(hospitals.contains_key(&d["hospital_code"]), "{d:?}");
    }
    let region: HashMap<String, String> = reference("municipalities.csv")
        .into_iter()
        .map(|r| (r["code"].clone(), r["region_code"].clone()))
        .collect();
    let catchments = reference("hospital_catchments.csv");
    let covered: Vec<&String> = catchments.iter().map(|r| &r["municipality_code"]).collect();
    assert_eq!(covered.len(), codes.len());
    assert_eq!(covered.into_iter().cloned().collect::<BTreeSet<_>>(), codes);
    for c in &catchments {
        let h = &hospitals[&c["hospital_code"]];
        assert_eq!(h["kind"], "somatic");
        assert_eq!(h["region_code"], region[&c["municipality_code"]], "{c:?}");
    }
}

/// Days as numbers for comparing (the calendar crate's own arithmetic).
fn day(s: &str) -> i64 {
    let (y, m, d) = (&s[..4], &s[5..7], &s[8..]);
    indikator_calendar::Day::from_civil(y.parse().unwrap(), m.parse().unwrap(), d.parse().unwrap())
        .expect("a date")
        .number()
        .into()
}

#[test]
fn every_resident_is_on_a_practice_list_every_day() {
    let dir = generate("units-gp", 6000, 16, 0.0, 0);
    let text = std::fs::read_to_string(dir.join("gp_registrations.csv")).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("person,practice,registered_from,registered_to")
    );
    let practices: HashMap<String, String> = reference("gp_practices.csv")
        .into_iter()
        .map(|r| (r["practice_id"].clone(), r["municipality_code"].clone()))
        .collect();
    let mut lists: HashMap<String, Vec<(i64, Option<i64>, String)>> = HashMap::new();
    for r in rows(&dir, "gp_registrations.csv") {
        assert!(practices.contains_key(&r["practice"]), "{r:?}");
        let to = (!r["registered_to"].is_empty()).then(|| day(&r["registered_to"]));
        let from = day(&r["registered_from"]);
        assert!(to.is_none_or(|t| t >= from), "{r:?}");
        lists
            .entry(r["person"].clone())
            .or_default()
            .push((from, to, r["practice"].clone()));
    }
    let deaths: HashMap<String, i64> = rows(&dir, "deaths.csv")
        .into_iter()
        .map(|r| (r["person"].clone(), day(&r["death_date"])))
        .collect();
    let start = day("2018-01-01");
    let mut changes = 0;
    // Each person's registrations follow each other without a gap or an overlap, from the day
    // they enter the population (1 January 2018, or birth) to the day before their death.
    for (p, list) in &lists {
        for w in list.windows(2) {
            assert_eq!(w[0].1.map(|t| t + 1), Some(w[1].0), "{p}: gap or overlap");
            assert_ne!(w[0].2, w[1].2, "{p}: a change to the same practice");
            changes += 1;
        }
        let last = list.last().unwrap();
        assert_eq!(
            last.1,
            deaths.get(p).map(|d| d - 1),
            "{p}: last registration"
        );
        assert!(list[0].0 >= start, "{p}");
    }
    assert!(changes > 100, "too few changes of practice: {changes}");
    // Everyone in the CPR snapshots (and in the admissions) has a list.
    let mut snapshots = 0;
    let mut local = 0;
    for r in rows(&dir, "cpr_residents.csv") {
        let d = day(&r["snapshot_date"]);
        let list = lists
            .get(&r["person"])
            .unwrap_or_else(|| panic!("{} resident without a practice", r["person"]));
        let on = list
            .iter()
            .find(|(from, to, _)| *from <= d && to.is_none_or(|t| d <= t))
            .unwrap_or_else(|| panic!("{} without a practice on {}", r["person"], d));
        snapshots += 1;
        if practices[&on.2] == r["municipality"] {
            local += 1;
        }
    }
    for r in rows(&dir, "lpr_admissions.csv") {
        assert!(lists.contains_key(&r["person"]), "{r:?}");
    }
    // Mostly a practice of the municipality of residence: P_LOCAL_PRACTICE, less those who
    // kept their practice after a move.
    let share = local as f64 / snapshots as f64;
    assert!((0.8..0.95).contains(&share), "local share {share}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_stay_has_a_department_of_its_kind_mostly_at_the_catchment_hospital() {
    let dir = generate("units-stays", 6000, 17, 0.0, 0);
    let hospitals: HashMap<String, Row> = reference("hospitals.csv")
        .into_iter()
        .map(|r| (r["hospital_code"].clone(), r))
        .collect();
    let departments: HashMap<String, Row> = reference("hospital_departments.csv")
        .into_iter()
        .map(|r| (r["department_code"].clone(), r))
        .collect();
    let catchment: HashMap<String, String> = reference("hospital_catchments.csv")
        .into_iter()
        .map(|r| (r["municipality_code"].clone(), r["hospital_code"].clone()))
        .collect();
    let region: HashMap<String, String> = reference("municipalities.csv")
        .into_iter()
        .map(|r| (r["code"].clone(), r["region_code"].clone()))
        .collect();
    let stays = rows(&dir, "lpr_admissions.csv");
    let placed = rows(&dir, "lpr_stay_departments.csv");
    assert_eq!(stays.len(), placed.len(), "one department per stay");
    let mut keys = BTreeSet::new();
    let (mut somatic, mut at_home) = (0, 0);
    let mut specialties = BTreeSet::new();
    for (s, d) in stays.iter().zip(&placed) {
        for k in ["person", "admitted", "discharged", "kind"] {
            assert_eq!(
                s[k], d[k],
                "the rows are in the order of lpr_admissions.csv"
            );
        }
        assert!(
            keys.insert((&d["person"], &d["admitted"], &d["discharged"], &d["kind"])),
            "the key of a stay is unique: {d:?}"
        );
        let dept = departments
            .get(&d["department"])
            .unwrap_or_else(|| panic!("unknown department {d:?}"));
        let hospital = &hospitals[&dept["hospital_code"]];
        assert_eq!(hospital["kind"], d["kind"], "{d:?}");
        assert_eq!(hospital["region_code"], region[&s["municipality"]], "{d:?}");
        specialties.insert(dept["specialty"].clone());
        if d["kind"] == "somatic" {
            somatic += 1;
            if catchment[&s["municipality"]] == dept["hospital_code"] {
                at_home += 1;
            }
        }
    }
    // The core gives no psychiatric stay before 18, so child and adolescent psychiatry stays
    // empty; every other specialty is used.
    for s in [
        "medical",
        "surgical",
        "orthopaedic",
        "paediatric",
        "adult psychiatry",
    ] {
        assert!(specialties.contains(s), "no stay in {s}: {specialties:?}");
    }
    let share = at_home as f64 / somatic as f64;
    assert!((0.8..0.95).contains(&share), "catchment share {share}");
    let _ = std::fs::remove_dir_all(dir);
}
