//! Step hooks: what [`MemoryEvm`](super::MemoryEvm) shows before every instruction it runs,
//! as revm's `Inspector::step` shows it for revm's own EVM.
//!
//! A hook is a type parameter of the EVM, so an EVM without one (`()`, the default) runs each
//! frame with revm's plain interpreter loop and pays nothing; with one, frames run instruction
//! by instruction and the hook sees each [`Step`].

use revm_interpreter::InstructionResult;
use revm_primitives::{Address, U256};

/// The state of the running frame just before one instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step<'a> {
    /// Call depth of the frame (0 for the transaction's first frame).
    pub depth: usize,
    /// Where the running code comes from (`None` for a CREATE's init code).
    pub code_address: Option<Address>,
    /// Program counter of the instruction about to run.
    pub pc: usize,
    /// Its opcode.
    pub opcode: u8,
    /// Gas the frame has left (before the instruction is charged).
    pub gas_remaining: u64,
    /// The frame's memory (its own context only).
    pub memory: &'a [u8],
    /// The frame's stack, bottom first (the top is the last element).
    pub stack: &'a [U256],
    /// The code the frame runs (a contract's, or a CREATE's init code).
    pub code: &'a [u8],
    /// The frame's gas refund counter so far.
    pub refund: i64,
    /// The frame's return-data buffer (what the last call it made returned).
    pub return_data: &'a [u8],
}

/// The state of the running frame just after one instruction ([`StepHook::step_end`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepEnd {
    /// Gas the frame has left after the instruction (for a call or create: before the
    /// callee runs, its gas already taken).
    pub gas_remaining: u64,
    /// The frame's refund counter after the instruction.
    pub refund: i64,
    /// How the instruction ended the frame, when it did (`None` when the frame goes on or
    /// the instruction starts a call or create).
    pub ended: Option<InstructionResult>,
}

/// Something that looks at every instruction a [`MemoryEvm`](super::MemoryEvm) runs.
pub trait StepHook {
    /// Whether the hook looks at all: `false` makes frames run revm's plain loop.
    const ENABLED: bool = true;

    /// Called before every instruction, with the frame's state at that point.
    fn step(&mut self, step: &Step<'_>);

    /// Called after every instruction (the one the last [`step`](Self::step) showed); does
    /// nothing unless a hook needs it (an EIP-3155 tracer does: gas cost, error).
    #[inline(always)]
    fn step_end(&mut self, _end: &StepEnd) {}
}

/// No hook: frames run revm's plain interpreter loop.
impl StepHook for () {
    const ENABLED: bool = false;

    #[inline(always)]
    fn step(&mut self, _step: &Step<'_>) {}
}

/// Any closure taking a [`Step`] is a hook.
impl<F: FnMut(&Step<'_>)> StepHook for F {
    fn step(&mut self, step: &Step<'_>) {
        self(step)
    }
}
