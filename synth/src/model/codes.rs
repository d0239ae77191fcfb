//! The ICD-10 and ATC codes the model draws, with their mix. The rules in `rules/codes.ind`
//! must count them as they are meant (`tests/codes.rs` checks it).

/// Psychiatric conditions: (ICD-10 code, lifetime share, onset ages, acute admissions per year,
/// median length of stay, selected for the excess-mortality cohort).
pub(super) struct Condition {
    pub(super) code: &'static str,
    pub(super) share: f64,
    pub(super) onset: (i32, i32),
    pub(super) admissions: f64,
    pub(super) los: f64,
    pub(super) selected: bool,
}

pub(super) const CONDITIONS: [Condition; 9] = [
    Condition {
        code: "DF200",
        share: 0.007,
        onset: (18, 35),
        admissions: 0.45,
        los: 20.0,
        selected: true,
    },
    Condition {
        code: "DF250",
        share: 0.001,
        onset: (18, 40),
        admissions: 0.4,
        los: 18.0,
        selected: true,
    },
    Condition {
        code: "DF300",
        share: 0.0005,
        onset: (20, 45),
        admissions: 0.35,
        los: 14.0,
        selected: true,
    },
    Condition {
        code: "DF311",
        share: 0.005,
        onset: (20, 45),
        admissions: 0.3,
        los: 18.0,
        selected: true,
    },
    Condition {
        code: "DF332",
        share: 0.008,
        onset: (25, 60),
        admissions: 0.15,
        los: 14.0,
        selected: true,
    },
    Condition {
        code: "DF321",
        share: 0.012,
        onset: (18, 60),
        admissions: 0.08,
        los: 10.0,
        selected: false,
    },
    Condition {
        code: "DF102",
        share: 0.006,
        onset: (25, 55),
        admissions: 0.25,
        los: 5.0,
        selected: false,
    },
    Condition {
        code: "DF603",
        share: 0.004,
        onset: (18, 35),
        admissions: 0.3,
        los: 6.0,
        selected: false,
    },
    Condition {
        code: "DF431",
        share: 0.005,
        onset: (20, 60),
        admissions: 0.06,
        los: 5.0,
        selected: false,
    },
];

/// Diagnoses of the avoidable acute admissions of the elderly (pneumonia and lower respiratory
/// infection, urinary infection, dehydration, constipation, gastroenteritis, fractures,
/// nutritional anaemia, pressure ulcers), with their mix.
pub(super) const PREVENTABLE_DIAGNOSES: [(&str, f64); 8] = [
    ("DJ189", 0.36),
    ("DN390", 0.24),
    ("DS720", 0.12),
    ("DE869", 0.1),
    ("DK590", 0.06),
    ("DA099", 0.05),
    ("DD509", 0.03),
    ("DL899", 0.04),
];

pub(super) fn is_chronic(code: &str) -> bool {
    code.starts_with("DE11") || code.starts_with("DJ44")
}

pub(super) fn is_preventable(code: &str) -> bool {
    PREVENTABLE_DIAGNOSES.iter().any(|(c, _)| *c == code)
}

/// Heart disease as underlying cause of death (ischaemic heart disease, heart failure, atrial
/// fibrillation, cardiac arrest, cardiomyopathy).
pub(super) const CARDIAC_CAUSES: [(&str, f64); 6] = [
    ("DI251", 0.35),
    ("DI219", 0.25),
    ("DI500", 0.2),
    ("DI480", 0.1),
    ("DI469", 0.05),
    ("DI429", 0.05),
];

pub(super) fn is_cardiac(code: &str) -> bool {
    code.starts_with("DI2") && code < "DI26" || code.starts_with("DI4") || code.starts_with("DI5")
}
pub(super) const YOUTH_DISORDERS: [(&str, f64); 6] = [
    ("DF900", 0.3),
    ("DF419", 0.2),
    ("DF321", 0.2),
    ("DF840", 0.12),
    ("DF919", 0.1),
    ("DF500", 0.08),
];
pub(super) const DIABETES_CODES: [(&str, f64); 3] =
    [("DE119", 0.6), ("DE110", 0.25), ("DE116", 0.15)];
pub(super) const COPD_CODES: [(&str, f64); 3] = [("DJ449", 0.7), ("DJ441", 0.2), ("DJ448", 0.1)];
pub(super) const ANTIBIOTICS: [(&str, f64); 8] = [
    ("J01CE02", 0.35),
    ("J01CA04", 0.2),
    ("J01CR02", 0.1),
    ("J01FA09", 0.08),
    ("J01XE01", 0.1),
    ("J01EA01", 0.07),
    ("J01MA02", 0.05),
    ("J01AA02", 0.05),
];
pub(super) const OPIOIDS: [(&str, f64); 5] = [
    ("N02AJ13", 0.35),
    ("N02AX02", 0.25),
    ("N02AA05", 0.2),
    ("N02AE01", 0.1),
    ("N02AB03", 0.1),
];

pub(super) fn somatic_diagnoses(age: i32) -> &'static [(&'static str, f64)] {
    match age {
        0..=14 => &[
            ("DJ069", 0.2),
            ("DA099", 0.2),
            ("DR509", 0.15),
            ("DJ189", 0.1),
            ("DS060", 0.1),
            ("DJ210", 0.1),
            ("DK359", 0.05),
            ("DS525", 0.1),
        ],
        15..=64 => &[
            ("DR074", 0.15),
            ("DR104", 0.15),
            ("DK359", 0.08),
            ("DS828", 0.08),
            ("DJ189", 0.08),
            ("DK802", 0.06),
            ("DI219", 0.06),
            ("DI480", 0.06),
            ("DN390", 0.05),
            ("DS069", 0.05),
            ("DR559", 0.05),
            ("DI639", 0.04),
            ("DE119", 0.03),
            ("DJ441", 0.03),
            ("DA419", 0.03),
        ],
        _ => &[
            ("DJ189", 0.15),
            ("DN390", 0.1),
            ("DJ441", 0.1),
            ("DI500", 0.08),
            ("DI639", 0.07),
            ("DI480", 0.07),
            ("DS720", 0.06),
            ("DI219", 0.06),
            ("DR074", 0.06),
            ("DE869", 0.05),
            ("DR296", 0.05),
            ("DA419", 0.05),
            ("DR559", 0.04),
            ("DK922", 0.04),
            ("DS065", 0.02),
        ],
    }
}

pub(super) fn planned_diagnoses(age: i32) -> &'static [(&'static str, f64)] {
    match age {
        0..=14 => &[("DJ350", 0.5), ("DH650", 0.3), ("DK409", 0.2)],
        15..=54 => &[
            ("DK409", 0.2),
            ("DK802", 0.2),
            ("DM511", 0.2),
            ("DC509", 0.15),
            ("DN800", 0.15),
            ("DS832", 0.1),
        ],
        _ => &[
            ("DM170", 0.2),
            ("DM161", 0.2),
            ("DC509", 0.1),
            ("DC189", 0.1),
            ("DI251", 0.1),
            ("DN400", 0.1),
            ("DC619", 0.1),
            ("DK409", 0.1),
        ],
    }
}

pub(super) fn death_causes(age: i32) -> &'static [(&'static str, f64)] {
    match age {
        0 => &[("DP072", 0.5), ("DQ249", 0.3), ("DR959", 0.2)],
        1..=44 => &[
            ("DX700", 0.2),
            ("DV892", 0.2),
            ("DC509", 0.1),
            ("DC349", 0.1),
            ("DX420", 0.15),
            ("DI219", 0.1),
            ("DC719", 0.15),
        ],
        45..=74 => &[
            ("DC349", 0.15),
            ("DI251", 0.1),
            ("DI219", 0.08),
            ("DC189", 0.07),
            ("DJ449", 0.07),
            ("DC259", 0.05),
            ("DC509", 0.05),
            ("DI639", 0.05),
            ("DK703", 0.04),
            ("DC619", 0.04),
            ("DE119", 0.03),
            ("DX700", 0.02),
            ("DC159", 0.05),
            ("DC649", 0.05),
            ("DI500", 0.05),
        ],
        _ => &[
            ("DI251", 0.12),
            ("DJ449", 0.1),
            ("DI639", 0.08),
            ("DJ189", 0.08),
            ("DC349", 0.08),
            ("DI500", 0.08),
            ("DC619", 0.05),
            ("DR54", 0.06),
            ("DI219", 0.06),
            ("DC189", 0.05),
            ("DN179", 0.04),
            ("DI480", 0.04),
            ("DE119", 0.04),
            ("DA419", 0.04),
            ("DS720", 0.02),
        ],
    }
}

pub(super) const DEMENTIA_CODES: [(&str, f64); 7] = [
    ("DF009", 0.12),
    ("DF001", 0.08),
    ("DF019", 0.15),
    ("DF039", 0.3),
    ("DG309", 0.2),
    ("DG301", 0.1),
    ("DF029", 0.05),
];
pub(super) const ANTIPSYCHOTICS: [(&str, f64); 5] = [
    ("N05AH04", 0.45),
    ("N05AX08", 0.3),
    ("N05AH03", 0.15),
    ("N05AD01", 0.05),
    ("N05AX12", 0.05),
];
pub(super) const ANTIDEMENTIA: [(&str, f64); 3] =
    [("N06DA02", 0.6), ("N06DX01", 0.25), ("N06DA04", 0.15)];
pub(super) const ANTIDEPRESSANTS: [(&str, f64); 4] = [
    ("N06AB10", 0.35),
    ("N06AB04", 0.25),
    ("N06AX11", 0.25),
    ("N06AX16", 0.15),
];

/// The generator's code tables against the rules' code lists: every code drawn for a condition
/// must be counted by the rule's list for it, and every code drawn as not having it must not.
/// The tables are copies of `rules/*.ind`, so this keeps the two from drifting apart unseen.
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A `codes` list of the rule files: prefixes (`"DF00*"`), exact codes, and exceptions.
    struct CodeList {
        patterns: Vec<String>,
        except: Vec<String>,
    }

    impl CodeList {
        fn matches(&self, code: &str) -> bool {
            let hit = |p: &String| match p.strip_suffix('*') {
                Some(prefix) => code.starts_with(prefix),
                None => code == p,
            };
            self.patterns.iter().any(hit) && !self.except.iter().any(hit)
        }
    }

    /// Reads every `codes NAME KIND { "…", … except "…" }` block of the shipped rule files.
    fn rule_code_lists() -> HashMap<String, CodeList> {
        let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules");
        let mut lists = HashMap::new();
        for entry in std::fs::read_dir(rules).expect("rules/") {
            let path = entry.expect("rules/ entry").path();
            if path.extension().is_none_or(|e| e != "ind") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("rule file");
            let mut current: Option<(String, CodeList)> = None;
            for line in text.lines() {
                let line = line.split('#').next().unwrap_or_default().trim();
                if let Some(rest) = line.strip_prefix("codes ") {
                    let name = rest.split_whitespace().next().expect("codes name");
                    let list = CodeList {
                        patterns: Vec::new(),
                        except: Vec::new(),
                    };
                    current = Some((name.to_string(), list));
                    continue;
                }
                let Some((_, list)) = current.as_mut() else {
                    continue;
                };
                let (target, line) = match line.strip_prefix("except") {
                    Some(rest) => (&mut list.except, rest),
                    None => (&mut list.patterns, line),
                };
                target.extend(
                    line.split(',')
                        .map(|s| s.trim().trim_matches('"'))
                        .filter(|s| !s.is_empty() && *s != "}")
                        .map(str::to_string),
                );
                if line.ends_with('}') {
                    let (name, list) = current.take().expect("open list");
                    lists.insert(name, list);
                }
            }
        }
        lists
    }

    fn codes<'a>(table: &[(&'a str, f64)]) -> Vec<&'a str> {
        table.iter().map(|(c, _)| *c).collect()
    }

    /// Every ICD-10 code the generator draws anywhere.
    fn drawn_diagnoses() -> Vec<&'static str> {
        let mut all: Vec<&str> = CONDITIONS.iter().map(|c| c.code).collect();
        for table in [
            &PREVENTABLE_DIAGNOSES[..],
            &CARDIAC_CAUSES,
            &YOUTH_DISORDERS,
            &DIABETES_CODES,
            &COPD_CODES,
            &DEMENTIA_CODES,
        ] {
            all.extend(codes(table));
        }
        for age in 0..=110 {
            all.extend(codes(somatic_diagnoses(age)));
            all.extend(codes(planned_diagnoses(age)));
            all.extend(codes(death_causes(age)));
        }
        all.sort_unstable();
        all.dedup();
        all
    }

    fn list<'a>(lists: &'a HashMap<String, CodeList>, name: &str) -> &'a CodeList {
        lists
            .get(name)
            .unwrap_or_else(|| panic!("no `codes {name}` in rules/"))
    }

    #[test]
    fn the_reader_sees_prefixes_exact_codes_and_exceptions() {
        let lists = rule_code_lists();
        let antipsychotics = list(&lists, "antipsychotics");
        assert!(antipsychotics.matches("N05AH04"));
        assert!(!antipsychotics.matches("N05AN01"), "lithium is excepted");
        let preventable = list(&lists, "preventable_admission_diagnoses");
        assert!(preventable.matches("DN390"));
        assert!(!preventable.matches("DN391"), "DN390 is an exact code");
    }

    #[test]
    fn each_drawn_code_is_counted_by_the_rule_list_it_stands_for() {
        let lists = rule_code_lists();
        let all = drawn_diagnoses();
        let rule = |name: &str| list(&lists, name);
        // The classifications the generator tallies by, over every code it draws.
        fn is_dementia(code: &str) -> bool {
            DEMENTIA_CODES.iter().any(|(d, _)| *d == code)
        }
        type Classifier = fn(&str) -> bool;
        let checks: [(&str, Classifier); 3] = [
            ("chronic_diseases", is_chronic),
            ("heart_disease", is_cardiac),
            ("dementia", is_dementia),
        ];
        // Preventability is asked only of acute stays from 65 on (`stays.rs`), as the rule
        // counts it; younger persons' diagnoses (bronchiolitis, fractures) may match the list.
        let mut elderly_acute = codes(&PREVENTABLE_DIAGNOSES);
        for age in 65..=110 {
            elderly_acute.extend(codes(somatic_diagnoses(age)));
        }
        let mut disagreements = Vec::new();
        let preventable = "preventable_admission_diagnoses";
        for code in elderly_acute {
            if is_preventable(code) != rule(preventable).matches(code) {
                disagreements.push(format!("{code}: the generator and `codes {preventable}`"));
            }
        }
        for (name, generator) in checks {
            for &code in &all {
                if generator(code) != rule(name).matches(code) {
                    disagreements.push(format!("{code}: the generator and `codes {name}`"));
                }
            }
        }
        assert!(disagreements.is_empty(), "{disagreements:#?}");
        for condition in &CONDITIONS {
            assert_eq!(
                condition.selected,
                rule("selected_mental_disorders").matches(condition.code),
                "{}: selected for the excess-mortality cohort or not, as the rule says",
                condition.code
            );
            assert!(rule("mental_disorders_all").matches(condition.code));
        }
        for code in codes(&YOUTH_DISORDERS) {
            assert!(rule("mental_disorders_all").matches(code), "{code}");
            assert!(!rule("selected_mental_disorders").matches(code), "{code}");
        }
    }

    #[test]
    fn each_drawn_medicine_is_counted_by_its_rule_list_only() {
        let lists = rule_code_lists();
        let tables: [(&str, &[(&str, f64)]); 5] = [
            ("antipsychotics", &ANTIPSYCHOTICS),
            ("antibiotics", &ANTIBIOTICS),
            ("opioids", &OPIOIDS),
            ("", &ANTIDEMENTIA),
            ("", &ANTIDEPRESSANTS),
        ];
        let names = ["antipsychotics", "antibiotics", "opioids"];
        for (own, table) in tables {
            for code in codes(table) {
                for name in names {
                    assert_eq!(
                        list(&lists, name).matches(code),
                        name == own,
                        "{code} drawn as {own:?}: `codes {name}` disagrees"
                    );
                }
            }
        }
    }
}
