//! Step traces: what each EVM shows before every instruction, recorded compactly so that two
//! runs compare with `==`, one [`StepRecord`] per instruction.
//!
//! Stock revm is watched through an `Inspector` ([`Recorder`] implements one), `MemoryEvm`
//! through its step hook ([`Recorder::record`]); both see the frame at the same point (before
//! the instruction, before its gas is charged). A record keeps the frame's memory as its size
//! and a 64-bit digest; [`Recorder::capture_at`] also keeps the bytes of one chosen step, for
//! the report of a divergence found at it.

use revm_context_interface::ContextTr;
use revm_inspector::Inspector;
use revm_interpreter::interpreter::EthInterpreter;
use revm_interpreter::interpreter_types::{InputsTr, Jumps};
use revm_interpreter::Interpreter;

use revm_primitives::Address;

use crate::revm::Step;

/// One instruction as an EVM was about to run it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StepRecord {
    /// Call depth of the frame (0 for the first).
    pub depth: u32,
    /// Where the running code comes from (`None` for a CREATE's init code).
    pub code_address: Option<Address>,
    /// Program counter.
    pub pc: u32,
    /// Opcode.
    pub opcode: u8,
    /// Gas the frame had left.
    pub gas: u64,
    /// Size of the frame's memory.
    pub memory_len: u32,
    /// [`digest`] of the frame's memory.
    pub memory_digest: u64,
}

/// A 64-bit digest of `bytes` (not cryptographic: two different memories that a divergence
/// would give have a 2^-64 chance of the same digest).
pub fn digest(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    h ^ (h >> 29)
}

/// Records the steps of one run (reused from run to run: [`clear`](Self::clear) keeps the
/// allocation).
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// The steps so far.
    pub steps: Vec<StepRecord>,
    /// Stop recording after this many steps (`usize::MAX`: never).
    pub max_steps: usize,
    /// The step whose memory bytes to keep, and the bytes once seen.
    capture: Option<(usize, Option<Vec<u8>>)>,
}

impl Recorder {
    /// A recorder of at most `max_steps` steps.
    pub fn new(max_steps: usize) -> Self {
        Self {
            steps: Vec::new(),
            max_steps,
            capture: None,
        }
    }

    /// Forgets the steps (and any capture), keeping the allocation.
    pub fn clear(&mut self) {
        self.steps.clear();
        self.capture = None;
    }

    /// Also keeps the memory bytes of step `index` (0-based).
    pub fn capture_at(&mut self, index: usize) {
        self.capture = Some((index, None));
    }

    /// The memory bytes captured at the step [`capture_at`](Self::capture_at) named, if the
    /// run got there.
    pub fn captured(&self) -> Option<&[u8]> {
        self.capture
            .as_ref()
            .and_then(|(_, bytes)| bytes.as_deref())
    }

    /// Records one step.
    #[inline]
    pub fn record(
        &mut self,
        depth: usize,
        code_address: Option<Address>,
        pc: usize,
        opcode: u8,
        gas: u64,
        memory: &[u8],
    ) {
        let index = self.steps.len();
        if index >= self.max_steps {
            return;
        }
        if let Some((at, bytes)) = &mut self.capture {
            if *at == index {
                *bytes = Some(memory.to_vec());
            }
        }
        self.steps.push(StepRecord {
            depth: depth as u32,
            code_address,
            pc: pc as u32,
            opcode,
            gas,
            memory_len: memory.len() as u32,
            memory_digest: digest(memory),
        });
    }

    /// Records a step shown by `MemoryEvm`'s hook.
    #[inline]
    pub fn record_step(&mut self, step: &Step<'_>) {
        self.record(
            step.depth,
            step.code_address,
            step.pc,
            step.opcode,
            step.gas_remaining,
            step.memory,
        );
    }
}

/// Stock revm's steps, through its inspector interface.
impl<CTX: ContextTr> Inspector<CTX, EthInterpreter> for Recorder {
    #[inline]
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, _context: &mut CTX) {
        let memory = interp.memory.context_memory();
        self.record(
            interp.input.depth(),
            interp.input.bytecode_address().copied(),
            interp.bytecode.pc(),
            interp.bytecode.opcode(),
            interp.gas.remaining(),
            &memory,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_tell_memories_apart() {
        let a = [0u8; 64];
        let mut b = a;
        b[63] = 1;
        assert_ne!(digest(&a), digest(&b));
        assert_ne!(digest(&a[..32]), digest(&a));
        assert_eq!(digest(&a), digest(&[0u8; 64]));
    }

    #[test]
    fn a_recorder_keeps_the_step_it_was_asked_for() {
        let mut r = Recorder::new(3);
        r.capture_at(1);
        for i in 0..5u8 {
            r.record(0, None, i as usize, 0x52, 100, &[i; 32]);
        }
        assert_eq!(r.steps.len(), 3);
        assert_eq!(r.captured(), Some(&[1u8; 32][..]));
        r.clear();
        assert!(r.steps.is_empty() && r.captured().is_none());
    }
}
