//! The conformance campaign's `diff_evm` phase: what the bytecode-level oracle compared over the
//! corpus and the random programs ([`EvmReport`]), and the random programs' inputs. The
//! campaign runs the phase and holds its results; the report renders them
//! (`reports/conformance.{json,md}`). Neither is imported here.
//!
//! Everything here is a function of the programs run (no timing), so the committed report
//! stays reproducible for a seed.

use serde::Serialize;

use super::oracle::{opcode_name, Agreement};
use crate::harness::counts::Counts;
use crate::harness::rng::SplitMix64;

/// Random programs of the default campaign.
pub const DEFAULT_PROGRAMS: u64 = 3_000;

/// What one part of the phase (corpus or random programs) compared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EvmPhase {
    /// Programs run through both engines.
    pub programs: u64,
    /// Instructions compared (steps of the traces).
    pub instructions: u64,
    /// Instructions compared by opcode (every opcode seen, in opcode order).
    pub by_opcode: Counts,
    /// Deepest call depth reached.
    pub max_depth: u32,
    /// Largest frame memory seen, in bytes.
    pub max_frame_memory: u32,
    /// Programs whose transaction succeeded (the others reverted, halted or were rejected,
    /// alike in both engines).
    pub succeeded: u64,
    /// Programs over the instruction budget, stopped and not compared.
    pub over_budget: u64,
}

/// Sums agreements into an [`EvmPhase`].
#[derive(Clone, Debug)]
pub struct EvmAccumulator {
    programs: u64,
    instructions: u64,
    by_opcode: [u64; 256],
    max_depth: u32,
    max_memory: u32,
    succeeded: u64,
    over_budget: u64,
}

impl Default for EvmAccumulator {
    fn default() -> Self {
        Self {
            programs: 0,
            instructions: 0,
            by_opcode: [0; 256],
            max_depth: 0,
            max_memory: 0,
            succeeded: 0,
            over_budget: 0,
        }
    }
}

impl EvmAccumulator {
    /// Counts one program the engines agreed on.
    pub fn add(&mut self, agreement: &Agreement) {
        self.programs += 1;
        self.instructions += agreement.steps as u64;
        for &(opcode, n) in &agreement.by_opcode {
            self.by_opcode[opcode as usize] += n as u64;
        }
        self.max_depth = self.max_depth.max(agreement.max_depth);
        self.max_memory = self.max_memory.max(agreement.max_memory);
        self.succeeded += u64::from(agreement.success);
        self.over_budget += u64::from(agreement.over_budget);
    }

    /// Counts one program that diverged (it is in the report's failures).
    pub fn add_failed(&mut self) {
        self.programs += 1;
    }

    /// The totals.
    pub fn phase(&self) -> EvmPhase {
        EvmPhase {
            programs: self.programs,
            instructions: self.instructions,
            by_opcode: Counts(
                self.by_opcode
                    .iter()
                    .enumerate()
                    .filter(|(_, &n)| n > 0)
                    .map(|(op, &n)| (opcode_name(op as u8), n))
                    .collect(),
            ),
            max_depth: self.max_depth,
            max_frame_memory: self.max_memory,
            succeeded: self.succeeded,
            over_budget: self.over_budget,
        }
    }

    /// This and `other` together.
    pub fn merged(&self, other: &Self) -> EvmPhase {
        let mut sum = self.clone();
        sum.programs += other.programs;
        sum.instructions += other.instructions;
        for (a, b) in sum.by_opcode.iter_mut().zip(other.by_opcode.iter()) {
            *a += b;
        }
        sum.max_depth = sum.max_depth.max(other.max_depth);
        sum.max_memory = sum.max_memory.max(other.max_memory);
        sum.succeeded += other.succeeded;
        sum.over_budget += other.over_budget;
        sum.phase()
    }
}

/// The phase in the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EvmReport {
    /// The `corpus/diff_evm` files (and `corpus/regressions/diff_evm`).
    pub corpus: EvmPhase,
    /// The random programs (their inputs drawn from the campaign's seed).
    pub random: EvmPhase,
    /// Both.
    pub total: EvmPhase,
}

/// The input of random program `index` for `seed`: up to `max_len` bytes, of every order of
/// magnitude, a function of the seed and the index only.
pub fn random_program_input(seed: u64, index: u64, max_len: usize, buf: &mut Vec<u8>) {
    let mut rng = SplitMix64::new(seed ^ 0xE7A1_0000 ^ SplitMix64::new(index).next_u64());
    let cap = match rng.next_u64() % 4 {
        0 => max_len / 8,
        1 | 2 => max_len / 2,
        _ => max_len,
    }
    .max(16);
    let len = rng.below(cap as u64 + 1) as usize;
    buf.clear();
    buf.resize(len, 0);
    rng.fill(buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_inputs_are_reproducible() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for i in 0..50 {
            random_program_input(9, i, 2048, &mut a);
            random_program_input(9, i, 2048, &mut b);
            assert_eq!(a, b);
            assert!(a.len() <= 2048);
        }
    }

    #[test]
    fn phases_add_up() {
        let a = Agreement {
            steps: 10,
            by_opcode: vec![(0x52, 4), (0x00, 1)],
            max_depth: 2,
            max_memory: 64,
            success: true,
            over_budget: false,
        };
        let mut x = EvmAccumulator::default();
        x.add(&a);
        let mut y = EvmAccumulator::default();
        y.add(&a);
        y.add_failed();
        let total = x.merged(&y);
        assert_eq!(
            (total.programs, total.instructions, total.succeeded),
            (3, 20, 2)
        );
        assert_eq!(total.by_opcode.get("MSTORE"), 8);
        assert_eq!(total.by_opcode.0[0].0, "STOP");
    }
}
