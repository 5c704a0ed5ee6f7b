//! The cost checks: every engine's memory cost function `C(size)` measured by growing its memory
//! one step at a time up to the largest frame the campaign reached (the report's figure), and
//! the cost of every size class up to 4 GiB — 2^16, 2^20 and 2^27 words and their neighbours —
//! under many pricings, as our memory quotes and charges it, as revm's `GasParams` prices it
//! and as the public gas functions give it. Both are checked against the reference model's
//! formula ([`model_memory_cost`]), never against this crate's own.

use revm_interpreter::context_interface::cfg::{GasId, GasParams};
use serde::Serialize;

use crate::harness::ops::budget::mainnet_cost;
use crate::harness::ops::case::{u, Case, Op, DEFAULT_LIMIT};
use crate::harness::ops::engine::{step_whole, Engine};
use crate::harness::ops::engines::model_memory_cost;
use crate::harness::ops::generate::pricing_from_byte;
use crate::harness::ops::observation::{Observation, Outcome};
use crate::{Gas, Memory, MemoryConfig, MemoryPricing, MAX_MEMORY_LIMIT};

use crate::harness::counts::Counts;

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
        gas: mainnet_cost(max_words).saturating_add(1_000),
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
        if let Some(failure) = engine.failure() {
            return Sweep {
                engine: engine.name(),
                points,
                error: Some(failure.detail),
            };
        }
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
    /// The size classes' check ([`check_cost_classes`]).
    pub size_classes: CostClasses,
}

/// Word counts at the edges of the size classes a cost computation may treat differently:
/// the smallest, a word's edges, around 2^16 words (2 MiB, where `words²` passes 2^32), 2^20
/// (32 MiB) and 2^27 (4 GiB, the largest limit).
pub const CLASS_WORDS: [u64; 13] = [
    1,
    2,
    31,
    32,
    33,
    (1 << 16) - 1,
    1 << 16,
    (1 << 16) + 1,
    (1 << 20) - 1,
    1 << 20,
    (1 << 20) + 1,
    (1 << 27) - 1,
    1 << 27,
];

/// The largest memory the class check grows for real (32 MiB and a word); past it, costs are
/// quoted (our memory's `expansion_cost`), not charged.
pub const CLASS_GROWTH_WORDS: u64 = (1 << 20) + 1;

/// The pricings the class check prices every size class with: mainnet's, every pricing the
/// generator chooses, and edges (word cost 0 and the largest, a quadratic denominator of 1
/// and ones that are not powers of two).
pub fn class_pricings() -> Vec<MemoryPricing> {
    let mut pricings = vec![MemoryPricing::MAINNET];
    for b in 0..24 {
        let p = pricing_from_byte(b);
        if !pricings.contains(&p) {
            pricings.push(p);
        }
    }
    let edge = |word_cost, quadratic_denominator| MemoryPricing {
        word_cost,
        quadratic_denominator,
    };
    pricings.extend([
        edge(0, 1),
        edge(MemoryPricing::MAX_WORD_COST, 1),
        edge(3, 1000),
        edge(1, 3),
        edge(7, u64::MAX),
    ]);
    pricings
}

/// What the size-class check checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CostClasses {
    /// Word counts priced ([`CLASS_WORDS`]).
    pub words: Vec<u64>,
    /// Pricings each was priced under ([`class_pricings`]).
    pub pricings: usize,
    /// Costs compared with the model's formula in all.
    pub checks: u64,
    /// Largest memory grown for real, in bytes (larger ones are quoted).
    pub grown_to: usize,
    /// Costs that differed from the model's formula.
    pub mismatches: u64,
}

/// Checks the cost of every [`CLASS_WORDS`] size under every [`class_pricings`] pricing
/// against the reference model's formula: our memory's quote from empty and from one word
/// (`Memory::expansion_cost`), the charge of a real growth to it (up to
/// [`CLASS_GROWTH_WORDS`]), revm's `GasParams::memory_cost`, and `MemoryPricing::memory_cost`
/// and `expansion_cost`. Returns what was checked and a description of every mismatch.
pub fn check_cost_classes() -> (CostClasses, Vec<String>) {
    let pricings = class_pricings();
    let mut report = CostClasses {
        words: CLASS_WORDS.to_vec(),
        pricings: pricings.len(),
        ..CostClasses::default()
    };
    let mut problems = Vec::new();
    let mut compare = |what: &str, pricing: MemoryPricing, words: u64, got: u128, want: u128| {
        report.checks += 1;
        if got != want {
            report.mismatches += 1;
            problems.push(format!(
                "{what} of {words} words under {pricing:?}: {got}, the model's formula gives {want}"
            ));
        }
    };
    let mut revm_params = GasParams::default();
    for &pricing in &pricings {
        let model = |words: u64| model_memory_cost(pricing, words as u128);
        revm_params.override_gas([
            (GasId::memory_linear_cost(), pricing.word_cost),
            (
                GasId::memory_quadratic_reduction(),
                pricing.quadratic_denominator,
            ),
        ]);
        let config = MemoryConfig::with_limit(MAX_MEMORY_LIMIT).with_pricing(pricing);
        let empty = Memory::new(config).unwrap_or_default();
        let mut one_word = Memory::new(config).unwrap_or_default();
        let _ = one_word.expand_with_gas(0, 32, &mut Gas::new(u64::MAX));
        // Grown for real, one class after the other, up to 32 MiB.
        let mut grown = Memory::new(config).unwrap_or_default();
        let mut charged = 0u128;
        for &words in &CLASS_WORDS {
            let size = (words * 32) as usize;
            let quote = empty.expansion_cost(0, size).map_or(u128::MAX, u128::from);
            compare("our quote from empty", pricing, words, quote, model(words));
            let quote = one_word
                .expansion_cost(0, size)
                .map_or(u128::MAX, u128::from);
            compare(
                "our quote from one word",
                pricing,
                words,
                quote,
                model(words) - model(1),
            );
            let revm = u128::from(revm_params.memory_cost(words as usize));
            compare(
                "revm's GasParams::memory_cost",
                pricing,
                words,
                revm,
                model(words),
            );
            let total = u128::from(pricing.memory_cost(words));
            compare(
                "MemoryPricing::memory_cost",
                pricing,
                words,
                total,
                model(words),
            );
            let step = u128::from(pricing.expansion_cost((words - 1) * 32, words * 32));
            compare(
                "MemoryPricing::expansion_cost of its last word",
                pricing,
                words,
                step,
                model(words) - model(words - 1),
            );
            if words <= CLASS_GROWTH_WORDS {
                let got = grown.expand_with_gas(0, size, &mut Gas::new(u64::MAX));
                charged += got.map_or(u128::MAX, u128::from);
                compare(
                    "our growth's charges",
                    pricing,
                    words,
                    charged,
                    model(words),
                );
                report.grown_to = report.grown_to.max(grown.size());
            }
        }
    }
    (report, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size class up to 4 GiB is priced under every pricing, and agrees with the
    /// model's formula: our memory's quotes and charges, revm's, and the public functions'.
    #[test]
    fn every_size_class_costs_what_the_model_says() {
        let (report, problems) = check_cost_classes();
        assert!(problems.is_empty(), "{problems:#?}");
        for words in [1 << 16, (1 << 16) + 1, 1 << 20, (1 << 20) + 1, 1 << 27] {
            assert!(report.words.contains(&words), "{words} words not priced");
        }
        assert!(report.pricings >= 25);
        assert_eq!(
            report.checks,
            (report.pricings * (CLASS_WORDS.len() * 5 + 11)) as u64
        );
        assert_eq!(report.grown_to, (CLASS_GROWTH_WORDS * 32) as usize);
    }

    #[test]
    fn sweep_words_cover_the_range() {
        let w = sweep_words(131_072);
        assert_eq!(w[0], 1);
        assert_eq!(*w.last().unwrap(), 131_072);
        assert!(w.windows(2).all(|p| p[0] < p[1]));
        assert!(w.len() < 150);
    }
}
