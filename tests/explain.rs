//! Every diagnostic code has an explanation and an example that really gives that code.

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
