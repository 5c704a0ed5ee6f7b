//! The cost sweep: every engine's memory cost function `C(size)` measured by growing its memory
//! one step at a time, for the report's figure and its check against the formula.

use crate::harness::case::{u, Case, Op, DEFAULT_LIMIT};
use crate::harness::engine::{step_whole, Engine};
use crate::harness::observation::{Observation, Outcome};
use crate::memory_gas_cost;

use super::results::Counts;
use serde::Serialize;

/// One engine's total memory cost over a size sweep: `(size in bytes, gas charged so far)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sweep {
    /// The engine's name.
    pub engine: &'static str,
    /// The points, smallest size first.
    pub points: Vec<(usize, u64)>,
    /// Why the sweep stopped early, if it did.
    pub error: Option<String>,
}

/// Word counts from 1 to `max_words`, growing by an eighth at a time (and one at least): about
/// 110 points up to 4 MiB.
pub fn sweep_words(max_words: u64) -> Vec<u64> {
    let max_words = max_words.max(1);
    let mut words = vec![1u64];
    let mut w = 1u64;
    while w < max_words {
        w = (w + (w / 8).max(1)).min(max_words);
        words.push(w);
    }
    words
}

/// Grows one engine's memory with MSTORE8 at the last byte of each size in `words` (in
/// words) and records the total expansion gas charged so far after each: the engine's memory
/// cost function `C(size)`.
pub fn cost_sweep(engine: &mut dyn Engine, words: &[u64]) -> Sweep {
    let max_words = words.iter().copied().max().unwrap_or(1);
    let case = Case {
        limit: DEFAULT_LIMIT,
        gas: memory_gas_cost(max_words).saturating_add(1_000),
        ..Case::default()
    };
    engine.begin(&case);
    let mut obs = Observation::default();
    let mut points = Vec::with_capacity(words.len());
    let mut total = 0u64;
    for &w in words {
        let size = (w * 32) as usize;
        let op = Op::MStore8 {
            offset: u(w * 32 - 1),
            value: 1,
        };
        step_whole(engine, &case, &op, &mut obs);
        if obs.outcome != Outcome::Ok || obs.frame_sizes.first() != Some(&size) {
            return Sweep {
                engine: engine.name(),
                points,
                error: Some(format!(
                    "MSTORE8 at {} gave outcome {:?} and frame sizes {:?} (expected size {size})",
                    w * 32 - 1,
                    obs.outcome,
                    obs.frame_sizes
                )),
            };
        }
        total += obs.gas_charged;
        points.push((size, total));
    }
    Sweep {
        engine: engine.name(),
        points,
        error: None,
    }
}

/// The size sweep's summary in the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Largest size swept, in bytes (the largest frame the campaign reached, at least a word).
    pub max_size: usize,
    /// Sizes swept.
    pub points: usize,
    /// Each engine's total cost at `max_size` (`C(max_size)`).
    pub cost_at_max: Counts,
    /// `3·w + ⌊w²/512⌋` at `max_size`.
    pub analytic_cost_at_max: u64,
    /// `true` when every engine's cost equals the analytic one at every swept size.
    pub engines_agree: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_words_cover_the_range() {
        let w = sweep_words(131_072);
        assert_eq!(w[0], 1);
        assert_eq!(*w.last().unwrap(), 131_072);
        assert!(w.windows(2).all(|p| p[0] < p[1]));
        assert!(w.len() < 150);
    }
}
