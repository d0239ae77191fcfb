//! "Did you mean …?" — nearest-name suggestions for diagnostics.

/// Edit distance ignoring case, counting a swap of two neighbouring letters as one edit
/// (optimal string alignment), since `titel` for `title` is the commonest slip.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// The closest candidate, if it is close enough to be a plausible misspelling.
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|&(d, c)| d <= limit && d < c.chars().count())
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// A help line for an unknown name: a suggestion when one is close, else the list of valid
/// names when it is short.
pub fn help_for<'a, I>(word: &str, candidates: I, what: &str) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut all: Vec<&str> = candidates.into_iter().collect();
    all.sort_unstable();
    all.dedup();
    if let Some(best) = closest(word, all.iter().copied()) {
        return Some(format!("did you mean `{best}`?"));
    }
    if all.is_empty() {
        return None;
    }
    if all.len() <= 8 {
        let list: Vec<String> = all.iter().map(|c| format!("`{c}`")).collect();
        return Some(format!("{what}: {}", list.join(", ")));
    }
    None
}

/// Like [`help_for`], for the fixed word sets of the language (column types, functions,
/// levels): the list is always worth showing, however long.
pub fn help_for_fixed<'a, I>(word: &str, candidates: I, what: &str) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let all: Vec<&str> = candidates.into_iter().collect();
    if let Some(best) = closest(word, all.iter().copied()) {
        return Some(format!("did you mean `{best}`?"));
    }
    let list: Vec<String> = all.iter().map(|c| format!("`{c}`")).collect();
    (!list.is_empty()).then(|| format!("{what}: {}", list.join(", ")))
}

/// A name with Danish letters spelt in ASCII, the way Danish registers do it.
pub fn ascii_name(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars() {
        match c {
            'æ' => out.push_str("ae"),
            'ø' => out.push_str("oe"),
            'å' => out.push_str("aa"),
            'Æ' => out.push_str("Ae"),
            'Ø' => out.push_str("Oe"),
            'Å' => out.push_str("Aa"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("dischage", "discharged"), 2);
        assert_eq!(distance("title", "titel"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "SAME"), 0);
    }

    #[test]
    fn suggests_only_close_names() {
        assert_eq!(
            closest("dischage", ["admitted", "discharged"]),
            Some("discharged")
        );
        assert_eq!(closest("xyz", ["admitted", "discharged"]), None);
    }
}
