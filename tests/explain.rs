//! Every diagnostic code has an explanation and an example that really gives that code.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use indikator::diagnostics::Code;
use indikator::diagnostics::render::Style;
use indikator::explain;

#[test]
fn every_example_gives_its_code() {
    for &code in Code::ALL {
        if code == Code::TestFailed {
            continue;
        }
        let (_, diagnostics) = explain::example_diagnostics(code);
        assert!(
            diagnostics.iter().any(|d| d.code == code),
            "the example of {} gives {:?}",
            code.id(),
            diagnostics.iter().map(|d| d.code.id()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn every_explanation_shows_title_example_and_output() {
    for &code in Code::ALL {
        let text = explain::explain(code, Style::plain());
        assert!(text.starts_with(&format!("{}: {}", code.id(), code.title())));
        assert!(text.contains("Example ("), "{}", code.id());
        if code != Code::TestFailed {
            assert!(text.contains("indikator check says:"), "{}", code.id());
        }
    }
}

mod figures {
    use std::path::Path;

    use indikator::explain::explain_figure;
    use indikator::pipeline;
    use indikator::workspace;

    fn explain(indicator: &str, unit: u32) -> Result<indikator::explain::Explanation, String> {
        let checked = workspace::check_paths(&["tests/fixtures/small/rules".into()]).unwrap();
        let plan = checked.plan().unwrap();
        let options = pipeline::options("tests/fixtures/small");
        explain_figure(&checked, &plan, &options, indicator, unit, None).map_err(|e| e.to_string())
    }

    /// Compares with a stored snapshot, or writes it with UPDATE_SNAPSHOTS=1.
    fn snapshot(name: &str, actual: &str) {
        let path = Path::new("tests/snapshots").join(name);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, actual).unwrap();
            return;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!(
                "no snapshot {}: run with UPDATE_SNAPSHOTS=1",
                path.display()
            )
        });
        assert_eq!(
            expected,
            actual,
            "the explanation differs from {}",
            path.display()
        );
    }

    #[test]
    fn a_standardised_region_figure() {
        let e = explain("somatic_readmissions", 1081).unwrap();
        snapshot("explain_somatic_readmissions_1081.txt", &e.to_text());
        // The attrition ends at the figure's numerator and denominator.
        let figure = e.figure.as_ref().unwrap();
        assert_eq!(
            e.parts[0].steps.last().unwrap().1 as f64,
            figure.numerator.unwrap()
        );
        assert_eq!(
            e.parts[1].steps.last().unwrap().1 as f64,
            figure.denominator.unwrap()
        );
        assert!(!e.strata.is_empty());
    }

    #[test]
    fn a_suppressed_municipality_shows_the_rule_that_held() {
        let e = explain("somatic_readmissions", 492).unwrap();
        snapshot("explain_somatic_readmissions_492.txt", &e.to_text());
        // The methodologist sees the computed numbers, marked as not for publication.
        let figure = e.figure.as_ref().unwrap();
        assert_eq!(figure.suppressed.as_deref(), Some("small_numbers"));
        assert!(figure.numerator.is_some());
        assert!(e.to_text().contains("NOT FOR PUBLICATION"));
        assert!(e.suppression.iter().any(|r| r.outcome == "holds"));
    }

    #[test]
    fn json_has_every_part() {
        let e = explain("rehab_waiting_time", 851).unwrap();
        let json: serde_json::Value = serde_json::to_value(&e).unwrap();
        for key in [
            "indicator",
            "parts",
            "figure",
            "suppression",
            "development",
            "level_marking",
            "sources",
        ] {
            assert!(json.get(key).is_some(), "no `{key}` in {json}");
        }
    }

    #[test]
    fn failure_modes_say_what_is_wrong() {
        assert_eq!(
            explain("somatic_readmision", 0).unwrap_err(),
            "no indicator `somatic_readmision`; did you mean `somatic_readmissions`?"
        );
        assert_eq!(
            explain("excess_mortality", 851).unwrap_err(),
            "`excess_mortality` is not computed at municipality level"
        );
        assert!(
            explain("somatic_readmissions", 9999)
                .unwrap_err()
                .contains("not a unit")
        );
    }
}
