//! Values of the evaluator and the symbol table shared by rules and data.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::plan::Sym;

/// One value of one field of one row. Text of every kind (categories, codes, ids) is an
/// interned symbol, so equality is integer equality.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Missing,
    Bool(bool),
    Num(f64),
    /// Days since 1970-01-01.
    Date(i32),
    Sym(Sym),
    Person(u32),
    /// A municipality (its index in the geography) or, in aggregate sources, a unit code.
    Unit(u32),
    /// A span of time in days.
    Duration(f64),
}

impl Value {
    pub fn is_missing(self) -> bool {
        matches!(self, Value::Missing)
    }

    pub fn truthy(self) -> bool {
        matches!(self, Value::Bool(true))
    }

    pub fn number(self) -> Option<f64> {
        match self {
            Value::Num(n) | Value::Duration(n) => Some(n),
            Value::Date(d) => Some(d as f64),
            _ => None,
        }
    }
}

/// Interned text. Starts with the plan's symbols so literals in rules keep their numbers.
///
/// Loading interns every person id and text value of every extract (tens of millions at
/// national scale), so the table hashes with [`FastHash`] and keeps each text once, shared by
/// the lookup table and the list by number.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    map: HashMap<Arc<str>, Sym, BuildHasherDefault<FastHash>>,
    strings: Vec<Arc<str>>,
}

impl Interner {
    pub fn new(initial: &[String]) -> Interner {
        let mut interner = Interner::default();
        for s in initial {
            interner.intern(s);
        }
        interner
    }

    pub fn intern(&mut self, text: &str) -> Sym {
        if let Some(&s) = self.map.get(text) {
            return s;
        }
        self.add(Arc::from(text))
    }

    /// Numbers a text not yet interned.
    fn add(&mut self, text: Arc<str>) -> Sym {
        let s = self.strings.len() as Sym;
        self.map.insert(Arc::clone(&text), s);
        self.strings.push(text);
        s
    }

    /// The texts by number, without the lookup table.
    pub fn into_texts(self) -> Vec<Arc<str>> {
        self.strings
    }

    /// Interns `texts` (another interner's, by number) into `self`, in order, and returns the
    /// new number of each. The texts are shared, not copied.
    pub fn merge(&mut self, texts: &[Arc<str>]) -> Vec<Sym> {
        texts
            .iter()
            .map(|text| match self.map.get(&**text) {
                Some(&s) => s,
                None => self.add(Arc::clone(text)),
            })
            .collect()
    }

    pub fn get(&self, text: &str) -> Option<Sym> {
        self.map.get(text).copied()
    }

    pub fn text(&self, sym: Sym) -> &str {
        self.strings.get(sym as usize).map(|s| &**s).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

/// A person's id as read: a number when the text is a plain decimal number (no sign, no leading
/// zero, at most 19 digits), which needs no text kept, else the text itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PersonKey {
    Number(u64),
    Text(Arc<str>),
}

fn plain_number(bytes: &[u8]) -> Option<u64> {
    let plain = !bytes.is_empty()
        && bytes.len() <= 19
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes[0] != b'0' || bytes.len() == 1);
    plain.then(|| {
        bytes
            .iter()
            .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'))
    })
}

const UNNUMBERED: u32 = u32::MAX;
const PAGE_BITS: u32 = 10;
const PAGE: usize = 1 << PAGE_BITS;

/// Numbers of numeric ids in pages of `PAGE` consecutive ids (`UNNUMBERED` where no person has
/// the id), each page found by the id's high bits in a small table.
#[derive(Debug, Default, Clone)]
struct Pages {
    first_slot: HashMap<u64, u32, BuildHasherDefault<FastHash>>,
    slots: Vec<u32>,
}

impl Pages {
    fn slot(&mut self, n: u64) -> &mut u32 {
        let slots = &mut self.slots;
        let first = *self.first_slot.entry(n >> PAGE_BITS).or_insert_with(|| {
            let first = slots.len() as u32;
            slots.resize(slots.len() + PAGE, UNNUMBERED);
            first
        }) as usize;
        &mut slots[first + (n as usize & (PAGE - 1))]
    }
}

/// Numbers the persons of the extracts, 0, 1, 2, … in order of first appearance. Person ids
/// are only compared, never printed, so numeric ids are kept as numbers: at national scale
/// there are millions of them in every extract.
#[derive(Debug, Default, Clone)]
pub struct PersonIds {
    /// The last numeric id asked for and its number: an extract's rows come grouped by person,
    /// so most rows need no lookup in the (large, cache-unfriendly) table.
    last: Option<(u64, u32)>,
    numbers: HashMap<u64, u32, BuildHasherDefault<NearbyHash>>,
    /// Used instead of `numbers` when the extracts' ids come in blocks
    /// ([`PersonIds::index_in_pages_if_compact`]).
    pages: Option<Pages>,
    texts: HashMap<Arc<str>, u32, BuildHasherDefault<FastHash>>,
    keys: Vec<PersonKey>,
    /// Numeric ids get a number per run of equal ids, with no table: see
    /// [`PersonIds::per_run`].
    per_run: bool,
}

impl PersonIds {
    /// Numbers for one extract read on a loading thread, to be merged into the run's numbers
    /// ([`PersonIds::merge`]) in a fixed order: a numeric id gets a new number whenever it
    /// differs from the row before, without looking it up. An extract's rows come grouped by
    /// person, so there are about as many runs as persons, and the one lookup per run is the
    /// merge's, instead of one in the extract's own table and another in the merge; a person
    /// in several runs gets several numbers here and one in the merge, so the run's numbers
    /// are what they would be with a table here.
    pub fn per_run() -> PersonIds {
        PersonIds {
            per_run: true,
            ..PersonIds::default()
        }
    }

    /// The number of the id written `bytes`, or `None` if they are not UTF-8 text. Numeric ids
    /// (the usual case) are read without a text check.
    pub fn id_bytes(&mut self, bytes: &[u8]) -> Option<u32> {
        match plain_number(bytes) {
            Some(n) => Some(self.numbered(n)),
            None => std::str::from_utf8(bytes).ok().map(|text| self.id(text)),
        }
    }

    fn numbered(&mut self, n: u64) -> u32 {
        if let Some((last, id)) = self.last
            && last == n
        {
            return id;
        }
        let id = self.number(n);
        self.last = Some((n, id));
        id
    }

    pub fn id(&mut self, text: &str) -> u32 {
        match plain_number(text.as_bytes()) {
            Some(n) => self.numbered(n),
            None => match self.texts.get(text) {
                Some(&id) => id,
                None => self.text(Arc::from(text)),
            },
        }
    }

    /// The number of a numeric id, given one if new.
    fn number(&mut self, n: u64) -> u32 {
        let next = self.keys.len() as u32;
        if self.per_run {
            self.keys.push(PersonKey::Number(n));
            return next;
        }
        if let Some(pages) = &mut self.pages {
            let slot = pages.slot(n);
            if *slot == UNNUMBERED {
                *slot = next;
                self.keys.push(PersonKey::Number(n));
            }
            return *slot;
        }
        *self.numbers.entry(n).or_insert_with(|| {
            self.keys.push(PersonKey::Number(n));
            next
        })
    }

    /// Numbers a text id not yet known.
    fn text(&mut self, text: Arc<str>) -> u32 {
        let next = self.keys.len() as u32;
        self.texts.insert(Arc::clone(&text), next);
        self.keys.push(PersonKey::Text(text));
        next
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The id of the person numbered `number`, as written in the extracts.
    pub fn written(&self, number: u32) -> String {
        match self.keys.get(number as usize) {
            Some(PersonKey::Number(n)) => n.to_string(),
            Some(PersonKey::Text(t)) => t.to_string(),
            None => String::new(),
        }
    }

    /// The persons by number, without the lookup tables.
    pub fn into_keys(self) -> Vec<PersonKey> {
        self.keys
    }

    /// Numbers `keys` (another `PersonIds`' persons, by number) in `self`, in order, and
    /// returns the new number of each.
    /// [`PersonIds::merge`] of one extract after those merged before it; the first decides
    /// whether numeric ids are indexed in pages.
    pub fn merge_in_turn(&mut self, keys: &[PersonKey]) -> Vec<u32> {
        if self.keys.is_empty() && self.pages.is_none() {
            self.index_in_pages_if_compact(&[keys]);
        }
        self.merge(keys)
    }

    pub fn merge(&mut self, keys: &[PersonKey]) -> Vec<u32> {
        if self.keys.is_empty() && self.pages.is_none() {
            // The first extract merged brings most persons: grow the table once.
            self.numbers.reserve(keys.len());
        }
        keys.iter().map(|key| self.merge_one(key)).collect()
    }

    fn merge_one(&mut self, key: &PersonKey) -> u32 {
        match key {
            PersonKey::Number(n) => self.number(*n),
            PersonKey::Text(t) => match self.texts.get(&**t) {
                Some(&id) => id,
                None => self.text(Arc::clone(t)),
            },
        }
    }

    /// Numeric ids that come in blocks (as a register numbers its persons: consecutive ids,
    /// in blocks here and there) are numbered through pages of consecutive ids: a lookup is a
    /// probe of a small table of pages, which stays in the processor's caches, and one read,
    /// where the hash table of persons costs a cache miss or two per id. Pages cost 4 bytes an
    /// id they span, so only ids that fill at least a third of their pages on average (against
    /// about 16 bytes a person in the hash table) get them; scattered ids, such as
    /// pseudonymised personal numbers, keep the hash table.
    fn index_in_pages_if_compact(&mut self, parts: &[&[PersonKey]]) {
        let largest = parts.iter().map(|p| p.len()).max().unwrap_or(0);
        let most_pages = largest * 3 / PAGE + 1;
        let mut pages: std::collections::HashSet<u64, BuildHasherDefault<FastHash>> =
            Default::default();
        let mut last = None;
        for key in parts.iter().flat_map(|p| p.iter()) {
            let PersonKey::Number(n) = key else { continue };
            let page = n >> PAGE_BITS;
            if last != Some(page) {
                last = Some(page);
                pages.insert(page);
                if pages.len() > most_pages {
                    return;
                }
            }
        }
        if !pages.is_empty() {
            self.pages = Some(Pages::default());
        }
    }
}

/// A fast, non-cryptographic hash for the interner (the multiply-rotate scheme of Firefox's
/// hash table over eight bytes at a time, with a final mix): the keys are the extracts' own
/// text, not chosen by an adversary of the run.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHash(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHash {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHash {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the low bits, which pick the table's bucket, depending on the
        // low bytes alone (for ids, the same leading digits): mix the high bits down.
        let mut h = self.0;
        h ^= h >> 31;
        h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 29)
    }
}

/// The hash of numeric person ids. Extracts list persons in runs of nearby ids (a register's
/// persons are numbered in blocks), and millions of ids make a table far larger than the
/// processor's caches: ids that differ only in their last 10 bits land in the same stretch of
/// the table, so a run of nearby ids reads memory already fetched, while the blocks themselves
/// are scattered by a full mix of the higher bits.
#[derive(Debug, Default, Clone, Copy)]
pub struct NearbyHash(u64);

impl Hasher for NearbyHash {
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed; anything else still hashes correctly, if slowly.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(SEED);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        let mix = |x: u64| {
            let x = x.wrapping_add(SEED);
            let x = (x ^ (x >> 31)).wrapping_mul(0x94d0_49bb_1331_11eb);
            x ^ (x >> 29)
        };
        let n = self.0;
        let block = mix(n >> 10);
        // The low bits pick the bucket: the block's mix with the id's own last 10 bits, so
        // nearby ids land in nearby buckets. The top 7 bits are the tag a probe compares
        // first: they come from the whole id, or every id of a block would carry the same
        // tag and each probe would compare many keys.
        const TAG: u64 = 0xfe00_0000_0000_0000;
        (mix(n) & TAG) | (block & !TAG & !0x3ff) | ((block ^ n) & 0x3ff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_in_turn_gives_the_numbers_of_a_table() {
        let key = |n: u64| PersonKey::Number(n);
        // The first extract's ids 1-9 fill a page well enough: pages index them, and a later
        // id far away (10^12) gets a page of its own.
        for far in [8, 1_000_000_000_000] {
            let parts: Vec<Vec<PersonKey>> = vec![
                vec![key(5), key(1), key(9)],
                vec![key(2), key(1), PersonKey::Text(Arc::from("x"))],
                vec![key(2), key(7), key(5), PersonKey::Text(Arc::from("x"))],
                vec![],
                vec![key(7), key(far)],
            ];
            let mut table = PersonIds::default();
            let expected: Vec<Vec<u32>> = parts.iter().map(|p| table.merge(p)).collect();
            assert!(table.pages.is_none());
            assert_eq!(expected[4], vec![5, 6]);
            let mut in_turn = PersonIds::default();
            let numbers: Vec<Vec<u32>> = parts.iter().map(|p| in_turn.merge_in_turn(p)).collect();
            assert_eq!(numbers, expected);
            assert!(in_turn.pages.is_some());
            assert_eq!(in_turn.len(), table.len());
            // Ids numbered later go through the same index.
            assert_eq!(in_turn.id("9"), 2);
            assert_eq!(in_turn.id("3"), 7);
        }
    }

    #[test]
    fn numbering_by_runs_merges_to_the_same_numbers_as_a_table() {
        // Two extracts: the second has a person in two runs and a text id.
        let extracts: [&[&str]; 2] = [&["7", "7", "3", "9"], &["3", "5", "5", "3", "p-1", "9"]];
        let number = |per_run: bool| {
            let mut run = PersonIds::default();
            let mut out = Vec::new();
            for ids in extracts {
                let mut local = if per_run {
                    PersonIds::per_run()
                } else {
                    PersonIds::default()
                };
                let rows: Vec<u32> = ids.iter().map(|id| local.id(id)).collect();
                let map = run.merge(&local.into_keys());
                out.extend(rows.iter().map(|&r| map[r as usize]));
            }
            out
        };
        assert_eq!(number(true), number(false));
        assert_eq!(number(true), vec![0, 0, 1, 2, 1, 3, 3, 1, 4, 2]);
    }

    #[test]
    fn interning_gives_one_number_per_text() {
        let mut interner = Interner::new(&["a".to_string()]);
        let b = interner.intern("b");
        assert_eq!(interner.intern("a"), 0);
        assert_eq!(interner.intern("b"), b);
        assert_eq!(interner.text(b), "b");
        assert_eq!(interner.get("c"), None);
        // Texts that differ only after the first eight bytes, or in length, differ.
        let long = interner.intern("12345678x");
        assert_ne!(interner.intern("12345678y"), long);
        assert_ne!(interner.intern("12345678"), interner.intern("12345678\0"));
        assert_eq!(interner.len(), 6);
    }

    #[test]
    fn person_ids_keep_texts_apart_that_numbers_would_merge() {
        let mut ids = PersonIds::default();
        let seven = ids.id("7");
        assert_eq!(ids.id("7"), seven);
        // "007" and "7" are different ids as text.
        assert_ne!(ids.id("007"), seven);
        assert_ne!(ids.id("p7"), seven);
        assert_eq!(ids.id("007"), 1);
        assert_eq!(ids.len(), 3);
        // Merging another extract's persons keeps the numbers of the known ones.
        let mut other = PersonIds::default();
        other.id("p7");
        other.id("8");
        let map = ids.merge(&other.into_keys());
        assert_eq!(map, vec![2, 3]);
        assert_eq!(ids.len(), 4);
    }
}
