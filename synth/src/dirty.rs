//! `--dirty RATE`: realistic faults in a share of the rows, for testing the loader.

use crate::rng::Rng;

/// The kinds of fault, for the documentation and the tests.
pub const FAULTS: [&str; 5] = [
    "impossible or malformed date",
    "unknown municipality code",
    "empty value",
    "short row (trailing fields missing)",
    "value outside its category",
];

fn is_date(f: &str) -> bool {
    let b = f.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b[..4].iter().all(u8::is_ascii_digit)
}

/// Rewrites the row that starts at `start` (and ends with the buffer, newline included) with
/// one fault.
pub fn spoil(rng: &mut Rng, buf: &mut Vec<u8>, start: usize, muni_column: Option<usize>) {
    let text = String::from_utf8_lossy(&buf[start..buf.len() - 1]).into_owned();
    let mut fields: Vec<String> = text.split(',').map(str::to_string).collect();
    let dates: Vec<usize> = (0..fields.len()).filter(|&i| is_date(&fields[i])).collect();
    let categories: Vec<usize> = (0..fields.len())
        .filter(|&i| {
            matches!(
                fields[i].as_str(),
                "M" | "F" | "true" | "false" | "somatic" | "psychiatric" | "good" | "fair"
            )
        })
        .collect();
    let mut kinds = vec![2u8];
    if !dates.is_empty() {
        kinds.push(0);
    }
    if muni_column.is_some_and(|c| c < fields.len()) {
        kinds.push(1);
    }
    if fields.len() > 2 {
        kinds.push(3);
    }
    if !categories.is_empty() {
        kinds.push(4);
    }
    match kinds[rng.below(kinds.len() as u64) as usize] {
        0 => {
            let i = dates[rng.below(dates.len() as u64) as usize];
            let y = fields[i][..4].to_string();
            let (m, d) = (&fields[i][5..7], &fields[i][8..10]);
            fields[i] = match rng.below(5) {
                0 => format!("{y}-02-30"),
                1 => format!("{y}-04-31"),
                2 => format!("{y}-13-{d}"),
                3 => format!("{d}-{m}-{y}"),
                _ => format!("{d}.{m}.{y}"),
            };
        }
        1 => {
            let c = muni_column.unwrap_or(0);
            fields[c] = ["999", "0", "1000", "411", "x101"][rng.below(5) as usize].to_string();
        }
        2 => {
            let i = rng.below(fields.len() as u64) as usize;
            fields[i].clear();
        }
        3 => {
            let drop = 1 + rng.below(2.min(fields.len() as u64 - 1)) as usize;
            fields.truncate(fields.len() - drop);
        }
        _ => {
            let i = categories[rng.below(categories.len() as u64) as usize];
            fields[i] = match fields[i].as_str() {
                "M" => "Mand",
                "F" => "K",
                "true" => "yes",
                "false" => "nej",
                "somatic" => "somatisk",
                "psychiatric" => "psyk",
                _ => "meget god",
            }
            .to_string();
        }
    }
    buf.truncate(start);
    buf.extend_from_slice(fields.join(",").as_bytes());
    buf.push(b'\n');
}
