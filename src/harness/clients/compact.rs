//! [`CompactSink`]: our side of a comparison, kept small. A client's trace of a memory-heavy
//! test runs to gigabytes; ours is kept as one [`OurStep`] per instruction (the memory as its
//! size and a 64-bit digest), and the one step a report needs in full is captured on a second
//! run ([`CompactSink::capture_at`]).

use revm_primitives::U256;

use super::tracer::{StepOutcome, StepView, TraceSink};
use crate::harness::evm::digest;

/// One instruction of ours, as compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OurStep {
    /// Depth, from 1.
    pub depth: u32,
    /// Program counter.
    pub pc: u32,
    /// Opcode.
    pub op: u8,
    /// Gas left before it.
    pub gas: u64,
    /// Its cost.
    pub gas_cost: u64,
    /// Memory size.
    pub mem_size: u64,
    /// [`digest`] of the whole memory.
    pub mem_digest: u64,
    /// The error it ended its frame with.
    pub error: Option<String>,
    /// Whether the frame's code is empty (the step is revm's implicit STOP).
    pub empty_code: bool,
}

/// One step in full (for a report).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FullStep {
    /// Depth, from 1.
    pub depth: usize,
    /// Program counter.
    pub pc: usize,
    /// Opcode.
    pub op: u8,
    /// Gas left before it.
    pub gas: u64,
    /// Its cost.
    pub gas_cost: u64,
    /// The memory.
    pub memory: Vec<u8>,
    /// The stack, bottom first.
    pub stack: Vec<U256>,
    /// The code the frame runs.
    pub code: Vec<u8>,
    /// The error it ended its frame with.
    pub error: Option<String>,
}

/// Keeps every step as an [`OurStep`] and, when asked, one step in full.
#[derive(Clone, Debug, Default)]
pub struct CompactSink {
    /// The steps.
    pub steps: Vec<OurStep>,
    capture: Option<usize>,
    /// The step [`capture_at`](Self::capture_at) named, once seen.
    pub captured: Option<FullStep>,
}

impl CompactSink {
    /// A sink that also keeps step `index` (0-based) in full.
    pub fn capture_at(index: usize) -> Self {
        Self {
            capture: Some(index),
            ..Self::default()
        }
    }
}

impl TraceSink for CompactSink {
    fn step(&mut self, view: &StepView<'_>) {
        if self.capture == Some(self.steps.len()) {
            self.captured = Some(FullStep {
                depth: view.depth,
                pc: view.pc,
                op: view.op,
                gas: view.gas,
                gas_cost: 0,
                memory: view.memory.to_vec(),
                stack: view.stack.to_vec(),
                code: view.code.to_vec(),
                error: None,
            });
        }
        self.steps.push(OurStep {
            depth: view.depth as u32,
            pc: view.pc as u32,
            op: view.op,
            gas: view.gas,
            gas_cost: 0,
            mem_size: view.memory.len() as u64,
            mem_digest: digest(view.memory),
            error: None,
            empty_code: view.code.is_empty(),
        });
    }

    fn step_end(&mut self, outcome: &StepOutcome<'_>) {
        let index = self.steps.len().wrapping_sub(1);
        if let Some(last) = self.steps.last_mut() {
            last.gas_cost = outcome.gas_cost;
            last.error = outcome.error.map(str::to_string);
        }
        if self.capture == Some(index) {
            if let Some(full) = &mut self.captured {
                full.gas_cost = outcome.gas_cost;
                full.error = outcome.error.map(str::to_string);
            }
        }
    }
}
