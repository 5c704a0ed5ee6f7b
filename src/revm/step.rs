//! Step hooks: what [`MemoryEvm`](super::MemoryEvm) shows before every instruction it runs,
//! as revm's `Inspector::step` shows it for revm's own EVM.
//!
//! A hook is a type parameter of the EVM, so an EVM without one (`()`, the default) runs each
//! frame with revm's plain interpreter loop and pays nothing; with one, frames run instruction
//! by instruction and the hook sees each [`Step`].

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
}

/// Something that looks at every instruction a [`MemoryEvm`](super::MemoryEvm) runs.
pub trait StepHook {
    /// Whether the hook looks at all: `false` makes frames run revm's plain loop.
    const ENABLED: bool = true;

    /// Called before every instruction, with the frame's state at that point.
    fn step(&mut self, step: &Step<'_>);
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
