//! What an op's growth costs by the rules, and the bounds the [`Oracle`](super::Oracle) holds
//! every engine to, so that a verdict is earned and a campaign always ends with a report.
//!
//! Before each op the oracle prices the growth the op asks of the frame that runs it
//! ([`requested_growth`]) from the state every engine agreed on (gas left, the frame's size,
//! every frame's total) with the reference model's formula
//! ([`model_memory_cost`]) and the rules' order of checks
//! (operands, then the limit, then gas). The answer ([`Growth::answer`]) is what the rules say
//! of the growth alone: [`Outcome::Ok`] when it is paid for and within the limit.
//!
//! Three rules follow from it:
//!
//! * **Runaway engines are stopped before they grow.** Where the rules refuse a growth of more
//!   than [`RUNAWAY_SLACK`] bytes, the oracle asks each engine whether it would make it
//!   ([`Engine::would_grow`](super::Engine::would_grow)); one that would is not run: its
//!   observation is [`Outcome::Runaway`] with its own price, and the divergence names it at
//!   that op with both costs. (A memory that under-charges grew to its 4 GiB limit and took the
//!   machine down with it before this rule.)
//! * **A case past the per-case memory budget** ([`CASE_MEMORY_BUDGET`], or the oracle's own)
//!   is not run further: where the rules would let a frame grow past it, the case ends there,
//!   not comparable, before any engine grows.
//! * **An allocation failure must be credible** ([`credible_out_of_memory`]): only where the
//!   rules say the growth succeeds and it would take the shared buffer to
//!   [`CREDIBLE_OUT_OF_MEMORY`] bytes or more. Anywhere else `OutOfMemory` contradicts the rules
//!   (a growth past the limit has the answer `Limit`, an overflowing offset `InvalidOperand`, an
//!   unpaid one `OutOfGas`, and a refused 16 MiB frame is not the machine's failure): a
//!   divergence naming the engine, whatever the other engines say.

use std::fmt;

use super::case::{Case, Op};
use super::engines::model_memory_cost;
use super::observation::{Observation, Outcome};
use crate::{MemoryPricing, U256};

/// The most bytes a case may hold in its shared buffer (every open frame) in any engine: where
/// the rules would let it grow past this, the case ends without a verdict. 256 MiB: well above
/// what any generated case reaches (the committed campaign's largest is under 100 MiB), and
/// small enough that every engine of a campaign can hold it at once.
pub const CASE_MEMORY_BUDGET: u64 = 256 << 20;

/// The smallest shared buffer whose allocation may credibly fail: 256 MiB. A refusal to hold
/// less is not the machine's failure (see the [module](self) documentation).
pub const CREDIBLE_OUT_OF_MEMORY: u64 = 256 << 20;

/// Growths the rules refuse that are smaller than this (1 MiB) run unguarded: an engine that
/// makes one shows it as an ordinary divergence; larger ones are asked about first
/// ([`Engine::would_grow`](super::Engine::would_grow)).
pub const RUNAWAY_SLACK: u64 = 1 << 20;

/// Mainnet's `C(words)` by the reference model's formula, saturated to `u64` (the campaign's
/// cost sweep and the report's figure measure every engine against it).
pub fn mainnet_cost(words: u64) -> u64 {
    let cost = model_memory_cost(MemoryPricing::MAINNET, words as u128);
    u64::try_from(cost).unwrap_or(u64::MAX)
}

/// The growth an op asks of the frame that runs it, priced by the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Growth {
    /// The frame's size before the op, in bytes.
    pub from: u64,
    /// The frame's size if every expansion the op asks for were made (rounded up to a word;
    /// `from` when an operand is invalid).
    pub to: u128,
    /// The shared buffer's size after such a growth.
    pub total: u128,
    /// What the rules charge for it: `C_mem(to) - C_mem(from)` with the case's pricing.
    pub cost: u128,
    /// Gas the frame has before the op.
    pub gas: u64,
    /// The case's limit on the shared buffer.
    pub limit: u64,
    /// What the rules answer: [`Outcome::Ok`] (paid for and within the limit),
    /// [`Outcome::InvalidOperand`], [`Outcome::Limit`] or [`Outcome::OutOfGas`], checked in
    /// that order.
    pub answer: Outcome,
}

impl Growth {
    /// The bytes the growth would add to the shared buffer.
    pub fn added(&self) -> u128 {
        self.to.saturating_sub(u128::from(self.from))
    }
}

impl fmt::Display for Growth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.answer == Outcome::InvalidOperand {
            return write!(
                f,
                "an operand above 2^64 - 1: the rules answer InvalidOperand"
            );
        }
        write!(
            f,
            "the frame grows from {} to {} bytes (shared buffer {} bytes, limit {}): the rules \
             charge {} gas, the frame has {}; their answer: {:?}",
            self.from, self.to, self.total, self.limit, self.cost, self.gas, self.answer
        )
    }
}

/// The growth `op` asks of the frame that runs it, priced by the rules from `before`, the
/// observation every engine agreed on before the op (its gas left, the current frame's size,
/// the shared buffer's size). `None` when the op asks for no growth (no region, empty regions,
/// or regions inside the frame).
///
/// Where an op has two regions (CALL, MCOPY) the growth is to the larger end: what the op
/// costs when both are made (memory's price depends on its final size alone). A
/// RETURNDATACOPY past the end of the return data is priced as if it were in bounds: its
/// answer is about the growth, not the op.
pub fn requested_growth(case: &Case, op: &Op, before: &Observation) -> Option<Growth> {
    let from = before.size as u64;
    let mut growth = Growth {
        from,
        to: u128::from(from),
        total: before.total_size as u128,
        cost: 0,
        gas: before.gas_remaining,
        limit: case.limit,
        answer: Outcome::Ok,
    };
    let max = U256::from(u64::MAX);
    let mut end: u128 = 0;
    for (offset, len) in op.memory_regions().into_iter().flatten() {
        if len.is_zero() {
            continue;
        }
        if len > max || offset > max {
            growth.answer = Outcome::InvalidOperand;
            return Some(growth);
        }
        end = end.max(offset.to::<u128>() + len.to::<u128>());
    }
    let words = end.div_ceil(32);
    let old_words = u128::from(from) / 32;
    if words <= old_words {
        return None;
    }
    growth.to = words * 32;
    growth.total = (before.total_size as u128 - u128::from(from)) + growth.to;
    growth.cost =
        model_memory_cost(case.pricing, words) - model_memory_cost(case.pricing, old_words);
    growth.answer = if growth.total > u128::from(case.limit) {
        Outcome::Limit
    } else if growth.cost > u128::from(growth.gas) {
        Outcome::OutOfGas
    } else {
        Outcome::Ok
    };
    Some(growth)
}

/// Whether an engine's `OutOfMemory` on an op whose requested growth is `growth` is credible:
/// only where the rules let the growth happen and it takes the shared buffer to
/// [`CREDIBLE_OUT_OF_MEMORY`] bytes or more (see the [module](self) documentation). An op that
/// asks for no growth cannot credibly fail to allocate.
pub fn credible_out_of_memory(growth: Option<&Growth>) -> bool {
    growth.is_some_and(|g| g.answer == Outcome::Ok && g.total >= u128::from(CREDIBLE_OUT_OF_MEMORY))
}

/// Whether the oracle asks the engines about `growth` before running the op (see
/// [`Engine::would_grow`](super::Engine::would_grow)): the rules refuse it for its size or its
/// price, and it would add more than [`RUNAWAY_SLACK`] bytes.
pub fn guarded(growth: &Growth) -> bool {
    matches!(growth.answer, Outcome::Limit | Outcome::OutOfGas)
        && growth.added() > u128::from(RUNAWAY_SLACK)
}

/// What an engine says it would do with a growth, asked before the op runs
/// ([`Engine::would_grow`](super::Engine::would_grow)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Quote {
    /// The engine cannot tell without running the op: it runs unguarded (an external engine is
    /// bounded by its process's memory limit instead).
    #[default]
    Unknown,
    /// The engine would refuse the growth (it runs, and shows how).
    Refuses,
    /// The engine would make the growth and charge this much gas for it (by its own pricing).
    Grows(u64),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::ops::case::u;

    fn before(gas: u64, size: usize, total: usize) -> Observation {
        let mut obs = Observation::default();
        obs.gas_remaining = gas;
        obs.size = size;
        obs.total_size = total;
        obs.frames = 1;
        obs
    }

    #[test]
    fn growths_are_priced_by_the_rules() {
        let case = Case::default();
        let store = |offset| Op::MStore {
            offset: u(offset),
            value: U256::ZERO,
        };
        // Inside the frame: no growth.
        assert_eq!(requested_growth(&case, &store(0), &before(0, 64, 64)), None);
        let g = requested_growth(&case, &store(0), &before(100, 0, 0)).unwrap();
        assert_eq!((g.to, g.cost, g.answer), (32, 3, Outcome::Ok));
        let g = requested_growth(&case, &store(1 << 20), &before(100, 0, 0)).unwrap();
        assert_eq!(g.answer, Outcome::OutOfGas);
        assert!(guarded(&g));
        let g = requested_growth(&case, &store(u64::MAX - 1), &before(100, 0, 0)).unwrap();
        assert_eq!(g.answer, Outcome::Limit);
        let huge = Op::MLoad { offset: U256::MAX };
        let g = requested_growth(&case, &huge, &before(100, 0, 0)).unwrap();
        assert_eq!(g.answer, Outcome::InvalidOperand);
        assert!(!credible_out_of_memory(Some(&g)));
        // A paid growth to 16 MiB is not a credible allocation failure; one to 1 GiB is.
        let rich = Case {
            gas: u64::MAX,
            ..Case::default()
        };
        let g = requested_growth(&rich, &store(16 << 20), &before(u64::MAX, 0, 0)).unwrap();
        assert!(g.answer == Outcome::Ok && !credible_out_of_memory(Some(&g)));
        let g = requested_growth(&rich, &store(1 << 30), &before(u64::MAX, 0, 0)).unwrap();
        assert!(credible_out_of_memory(Some(&g)));
        assert!(!credible_out_of_memory(None));
    }
}
