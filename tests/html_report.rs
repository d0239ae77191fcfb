//! End to end: the report page as a reader sees it, rendered by headless Chromium (installed by
//! `.ci/run` from Debian's packages). Outside CI, without Chromium, the test says so and stops.

// Test code: an unwrap that fails is the failure the test reports.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use indikator::pipeline;
use indikator::report::publication::Publication;
use indikator::words::Level;

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

/// The page's text after Chromium has loaded and laid it out.
fn rendered_text(browser: &Path, page: &Path) -> String {
    let profile = std::env::temp_dir().join(format!("indikator-chromium-{}", std::process::id()));
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("Chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_reader_sees_the_tables_a_known_figure_and_the_legend() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Chromium (see .ci/run)"
        );
        eprintln!("skipped: no Chromium on this machine (apt-get install chromium)");
        return;
    };
    let out = std::env::temp_dir().join(format!("indikator-html-{}", std::process::id()));
    let outcome =
        pipeline::run_paths(&["rules".into()], &pipeline::options("data/sample")).unwrap();
    indikator::report::write_publication(
        &outcome.plan,
        &outcome.evaluation.geography,
        &outcome.report,
        &Publication::shipped(),
        &out,
    )
    .unwrap();
    let dom = rendered_text(&browser, &out.join("report.html"));
    let _ = std::fs::remove_dir_all(&out);

    // The tables: Tabel 1, the regional table and one municipal table per region.
    assert!(dom.contains("Tabel 1. Udviklingen i de nationale indikatorer"));
    assert!(dom.contains("Nationale mål – fordelt på regioner"));
    for region in &outcome.evaluation.geography.regions {
        assert!(
            dom.contains(&format!("kommuner i {}", region.name)),
            "{}",
            region.name
        );
    }
    // A known figure, as the report table has it, in Danish number formatting.
    let row = outcome
        .report
        .rows
        .iter()
        .find(|r| {
            r.indicator == "life_expectancy" && r.level == Level::National && r.period == "2023"
        })
        .unwrap();
    let shown = Publication::shipped().number(row.value.unwrap(), row.decimals);
    assert!(shown.contains(','), "a decimal comma: {shown}");
    assert!(
        dom.contains(&format!("<span class=\"value\">{shown}</span>")),
        "{shown} is on the page"
    );
    // The legend, and markings that say what they mean in words as well as colour.
    assert!(dom.contains("Første markering: udvikling siden sidste periode"));
    assert!(
        dom.contains("aria-label=\"udvikling: bedre\"")
            || dom.contains("aria-label=\"udvikling: dårligere\"")
    );
    assert!(dom.contains("Anmærkninger"));
}

#[test]
fn the_wide_tables_follow_the_publication_layout() {
    let outcome =
        pipeline::run_paths(&["rules".into()], &pipeline::options("data/sample")).unwrap();
    let geo = &outcome.evaluation.geography;
    let regions = indikator::report::html::regions_csv(
        &Publication::shipped(),
        &outcome.plan,
        geo,
        &outcome.report,
    )
    .unwrap();
    let text = String::from_utf8(regions).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.ends_with("Hele landet,Region Nordjylland,Region Midtjylland,Region Syddanmark,Region Hovedstaden,Region Sjælland"), "{header}");
    let row = outcome
        .report
        .rows
        .iter()
        .find(|r| {
            r.indicator == "life_expectancy" && r.level == Level::National && r.period == "2023"
        })
        .unwrap();
    let life = text
        .lines()
        .find(|l| l.contains(",life_expectancy,"))
        .unwrap();
    assert!(
        life.contains(&format!(
            "\"{}\"",
            Publication::shipped().number(row.value.unwrap(), row.decimals)
        )),
        "{life}"
    );

    let first = indikator::report::html::municipalities_csv(
        &Publication::shipped(),
        &outcome.plan,
        geo,
        &outcome.report,
        0,
    )
    .unwrap();
    let first = String::from_utf8(first).unwrap();
    let municipalities = geo.municipalities.iter().filter(|m| m.region == 0).count();
    assert_eq!(
        first.lines().count(),
        municipalities + 1,
        "a row per municipality of the region"
    );
}
