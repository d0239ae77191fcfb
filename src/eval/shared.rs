//! What the run's threads compute once for all of them: populations' views, cohorts, person
//! indexes, aggregations' cells and indicators' figures. Each thread evaluates with an engine of its
//! own (its caches of the moment are not shared), but whichever thread first needs one of
//! these builds it while any other thread that needs it waits, and both read the same result.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

use super::cells::{Cells, Figure};
use super::geography::Unit;
use super::views::{Members, PersonIndex, PersonIndexKey, View};
use crate::plan::{AggregationId, CohortId, Expr, IndicatorId, Level, Period, PopulationId};

/// Every unit's figure at one level for one period.
pub type UnitFigures = Vec<(Unit, Figure)>;

/// Values built once by key, by the first thread that asks.
pub struct OnceMap<K, V> {
    slots: Mutex<HashMap<K, Arc<OnceLock<Arc<V>>>>>,
}

impl<K, V> Default for OnceMap<K, V> {
    fn default() -> Self {
        OnceMap {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V> OnceMap<K, V> {
    /// The value of `key`, built by `build` if no thread has built it yet; a thread asking while
    /// another builds it waits for that one. The map is not locked while building, so `build`
    /// may ask for other keys. The planner refuses cycles among definitions, so no build waits
    /// for itself or for a build that waits for it (one that did would wait for ever, not
    /// fail).
    pub fn get_or_build(&self, key: K, build: impl FnOnce() -> V) -> Arc<V> {
        let slot = self
            .slots
            .lock()
            .expect("no thread panics holding the lock")
            .entry(key)
            .or_default()
            .clone();
        slot.get_or_init(|| Arc::new(build())).clone()
    }

    /// Forgets the values whose key `drop` picks; they are freed once no thread holds them,
    /// and built again if asked for.
    pub fn forget(&self, drop: impl Fn(&K) -> bool) {
        self.slots
            .lock()
            .expect("no thread panics holding the lock")
            .retain(|key, _| !drop(key));
    }
}

/// The run-wide results, shared by the engines of all threads.
#[derive(Default)]
pub struct RunCaches {
    pub views: OnceMap<(PopulationId, Period), View>,
    pub cohorts: OnceMap<(CohortId, Period), Members>,
    /// Rows by person, for relations `of same person`.
    pub person_indexes: OnceMap<PersonIndexKey, PersonIndex>,
    pub cells: OnceMap<CellsKey, Cells>,
    pub figures: OnceMap<(IndicatorId, Level, Period), UnitFigures>,
    /// Batches of rows the batch evaluator went over (`Engine::note_batch`): none when the run
    /// evaluates row by row.
    pub batches: std::sync::atomic::AtomicUsize,
}

/// Which cells: an aggregation's in a period, divided by `keys` (strata, age bands, tally
/// groups), with `values` for means and medians. The keys and values are compared as
/// expressions: each level of an indicator holds its own copy of its strata, and equal
/// copies share the cells.
#[derive(Debug, Clone, PartialEq)]
pub struct CellsKey {
    pub period: Period,
    pub aggregation: AggregationId,
    pub keys: Vec<Expr>,
    pub values: Option<Expr>,
}

// Expressions hold numbers, which are not `Eq` for NaN; no rule writes a NaN literal, and a key
// that were unequal to itself would only be computed again.
impl Eq for CellsKey {}

impl Hash for CellsKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The expressions are left out: few keys share a period and an aggregation.
        (self.period, self.aggregation, self.keys.len()).hash(state);
    }
}

/// `n` copies of `value`, written at once. A vector of zeros is otherwise allocated as pages
/// the system fills on first touch: one read before the first write (`+=`, `|=`) maps the
/// shared zero page, and the write after it costs a second fault and, with the run's threads
/// about, a flush of every core's address cache.
pub fn filled<T: Clone>(n: usize, value: T) -> Vec<T> {
    let mut values = Vec::with_capacity(n);
    values.resize(n, value);
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn each_key_is_built_once_whatever_the_threads() {
        let map: OnceMap<u32, u64> = OnceMap::default();
        let builds = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for key in 0..50u32 {
                        let value = map.get_or_build(key, || {
                            builds.fetch_add(1, Ordering::Relaxed);
                            u64::from(key) * 3
                        });
                        assert_eq!(*value, u64::from(key) * 3);
                    }
                });
            }
        });
        assert_eq!(builds.load(Ordering::Relaxed), 50);
    }

    #[test]
    fn a_build_may_ask_for_other_keys_and_forgotten_keys_are_built_again() {
        let map: OnceMap<u32, u64> = OnceMap::default();
        let outer = map.get_or_build(2, || *map.get_or_build(1, || 10) + 1);
        assert_eq!(*outer, 11);
        map.forget(|&k| k == 1);
        assert_eq!(*map.get_or_build(1, || 20), 20);
        assert_eq!(*map.get_or_build(2, || 0), 11);
    }
}
