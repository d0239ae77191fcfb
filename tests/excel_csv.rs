//! The Excel-friendly CSV files over the sample data: a byte-order mark, semicolons, decimal
//! commas, the publication's words; every figure of report.csv at full precision.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use indikator::pipeline;
use indikator::report::excel_csv::{municipalities_excel_csv, regions_excel_csv, report_excel_csv};
use indikator::report::publication::Publication;
use indikator::words::{Level, Marking};

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn records(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(BOM), "UTF-8 with a byte-order mark");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(&bytes[BOM.len()..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn the_excel_csv_files_carry_every_figure_in_the_publications_words() {
    let outcome =
        pipeline::run_paths(&["rules".into()], &pipeline::options("data/sample")).unwrap();
    let (plan, geo, report) = (
        &outcome.plan,
        &outcome.evaluation.geography,
        &outcome.report,
    );
    let p = Publication::shipped();

    let long = records(&report_excel_csv(&p, report).unwrap());
    assert_eq!(long[0][0], "Indikator");
    assert_eq!(long[0].len(), 17);
    assert_eq!(long.len(), report.rows.len() + 1, "every figure once");
    for (row, record) in report.rows.iter().zip(&long[1..]) {
        assert_eq!(record[0], row.indicator);
        assert_eq!(record[5], p.levels.get(row.level));
        assert_eq!(record[6], row.unit_code.to_string());
        // Full precision with a decimal comma: read back, the very same number.
        let value =
            (!record[11].is_empty()).then(|| record[11].replace(',', ".").parse::<f64>().unwrap());
        assert_eq!(value, row.value, "{record:?}");
        assert!(!record[11].contains('.'), "no decimal point: {record:?}");
        let reason = row.published_reason().map(|r| p.reasons.get(r).to_string());
        assert_eq!(record[14], reason.unwrap_or_default());
        match row.development {
            Some(Marking::Red) => assert_eq!(record[15], "▼ udvikling: dårligere"),
            Some(Marking::Green) => assert_eq!(record[15], "▲ udvikling: bedre"),
            Some(Marking::Yellow) => assert_eq!(record[15], "■ udvikling: uændret"),
            None => assert_eq!(record[15], ""),
        }
    }
    assert!(
        long.iter().any(|r| r[14] == "ikke vist"),
        "withheld cells say so in words"
    );

    let regions = records(&regions_excel_csv(&p, plan, geo, report).unwrap());
    assert!(
        regions[0].contains(&"Region Sjælland".to_string()),
        "{:?}",
        regions[0]
    );
    let national = report
        .rows
        .iter()
        .find(|r| {
            r.indicator == "life_expectancy" && r.level == Level::National && r.period == "2023"
        })
        .unwrap();
    let life = regions
        .iter()
        .find(|r| r[1].starts_with(&national.title))
        .unwrap();
    // The country's figure as published, rounded, with a decimal comma.
    assert_eq!(
        life[2],
        p.number(national.value.unwrap(), national.decimals)
    );
    assert!(life[2].contains(','), "{life:?}");
    assert_eq!(regions[0].len(), 2 + 3 * (1 + geo.regions.len()));

    let first = records(&municipalities_excel_csv(&p, plan, geo, report, 0).unwrap());
    let municipalities = geo.municipalities.iter().filter(|m| m.region == 0).count();
    assert_eq!(
        first.len(),
        1 + municipalities + 1,
        "a row per municipality and the country"
    );
    assert_eq!(first.last().unwrap()[1], geo.country_name);
    assert!(
        first
            .iter()
            .flatten()
            .any(|c| c == "ikke vist" || c == "ingen data"),
        "blanks say why"
    );
}
