//! Step traces: what each EVM shows before every instruction, recorded compactly so that two
//! runs compare with `==`, one [`StepRecord`] per instruction.
//!
//! Stock revm is watched through an `Inspector` ([`Recorder`] implements one), `MemoryEvm`
//! through its step hook ([`Recorder::record_step`]); both see the frame at the same point
//! (before the instruction, before its gas is charged). A record keeps the frame's memory as
//! its size and a 64-bit digest of what may have changed since the step before (see
//! [`Recorder::record`]); [`Recorder::capture_at`] also keeps the bytes of one chosen step,
//! for the report of a divergence found at it.

use revm_context_interface::ContextTr;
use revm_inspector::Inspector;
use revm_interpreter::interpreter::EthInterpreter;
use revm_interpreter::interpreter_types::{InputsTr, Jumps, LegacyBytecode};
use revm_interpreter::{InstructionResult, Interpreter};

use revm_primitives::{Address, U256};

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

/// The digest of what may have changed in `memory` since the step before, when its size was
/// `old_len` and its instruction may have written `written`: that region (clipped to the
/// memory) and the bytes past `old_len`; 0 when there is neither.
fn changed_digest(memory: &[u8], old_len: usize, written: Option<(u64, u64)>) -> u64 {
    let grown = memory.get(old_len..).unwrap_or(&[]);
    let region = written
        .filter(|&(_, len)| len > 0)
        .and_then(|(offset, len)| {
            let start = usize::try_from(offset).ok()?.min(memory.len());
            let end = usize::try_from(offset.saturating_add(len))
                .unwrap_or(usize::MAX)
                .min(memory.len());
            Some(&memory[start..end])
        })
        .unwrap_or(&[]);
    if grown.is_empty() && region.is_empty() {
        return 0;
    }
    digest(region).rotate_left(1) ^ digest(grown)
}

/// What [`Recorder::capture_at`] keeps of one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captured {
    /// The frame's memory.
    pub memory: Vec<u8>,
    /// The code the frame runs.
    pub code: Vec<u8>,
}

/// Records the steps of one run (reused from run to run: [`clear`](Self::clear) keeps the
/// allocation).
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// The steps so far.
    pub steps: Vec<StepRecord>,
    /// The work a run may do ([`work`]: each instruction counts one, plus one per KiB of
    /// memory it reads or writes, plus [`FRAME_WORK`] to start a frame). Past it, the recording stops and [`over_budget`] is set
    /// (and the stock inspector halts every frame, ending the run). A bound on a run's time,
    /// whatever the program: a program that hashes megabytes again and again exhausts it as
    /// surely as one that runs many instructions.
    ///
    /// [`over_budget`]: Self::over_budget
    pub budget: u64,
    /// Work done so far.
    work: u64,
    /// Whether the run wanted more than its budget.
    pub over_budget: bool,
    /// Digest the whole memory at every step (the full mode), instead of what may have
    /// changed (see [`Recorder::record`]).
    pub full: bool,
    /// Per open frame, root first: what its last instruction may write, its memory size then,
    /// and the step of its last whole-memory digest.
    frames: Vec<Track>,
    /// The step whose memory bytes (and running code) to keep, and what was seen there.
    capture: Option<(usize, Option<Captured>)>,
}

/// Every how many steps (of a frame) the fast mode digests its whole memory even when no
/// instruction could have changed it: a bound on how long a stray write can go unseen. For a
/// large memory the interval grows to a step per [`BYTES_PER_STEP`] bytes, so that digests
/// cost a bounded amount per step. The op-level oracle's bound
/// ([`FULL_CHECK_EVERY`](crate::harness::ops::oracle::FULL_CHECK_EVERY)), so that both levels
/// let a stray write go unseen for as long.
pub const DIGEST_EVERY: usize = crate::harness::ops::oracle::FULL_CHECK_EVERY;

/// Bytes of whole-memory digest the fast mode spends per step, at most, on a large memory (the
/// op-level oracle's [`BYTES_PER_OP`](crate::harness::ops::oracle::BYTES_PER_OP)).
pub const BYTES_PER_STEP: usize = crate::harness::ops::oracle::BYTES_PER_OP;

/// One open frame, as the recorder follows it.
#[derive(Clone, Copy, Debug, Default)]
struct Track {
    /// What the frame's last instruction may write (a call's: its return region).
    pending: Option<(u64, u64)>,
    /// The frame's memory size at its last step.
    len: u32,
    /// The step of the frame's last whole-memory digest.
    last_full: usize,
}

/// The stack operand `k` places below the top (`stack` bottom first), saturated to `u64`.
fn operand(stack: &[U256], k: usize) -> Option<u64> {
    let value = stack.get(stack.len().checked_sub(k + 1)?)?;
    Some(u64::try_from(*value).unwrap_or(u64::MAX))
}

/// Work units a frame costs to start (CALL, CREATE and their kin): setting a frame up costs
/// both engines about as much as thirty plain instructions, and a program that calls itself
/// twice per frame is bounded by this before anything else.
pub const FRAME_WORK: u64 = 8;

/// The work of `opcode` about to run with `stack`: one, plus one per KiB of memory it reads
/// or writes ([`touched`]), plus [`FRAME_WORK`] for an instruction that starts a frame.
pub fn work(opcode: u8, stack: &[U256]) -> u64 {
    use revm_bytecode::opcode::*;
    let frame = match opcode {
        CALL | CALLCODE | DELEGATECALL | STATICCALL | CREATE | CREATE2 => FRAME_WORK,
        _ => 0,
    };
    1 + frame + touched(opcode, stack).min(1 << 40) / 1024
}

/// Bytes of memory `opcode`, about to run with `stack`, reads or writes (saturating): the
/// regions of copies, hashes, logs, returns and creates. A measure of its work.
pub fn touched(opcode: u8, stack: &[U256]) -> u64 {
    use revm_bytecode::opcode::*;
    let len = |k| operand(stack, k).unwrap_or(0);
    match opcode {
        MCOPY | CALLDATACOPY | CODECOPY | RETURNDATACOPY => len(2),
        EXTCODECOPY => len(3),
        KECCAK256 | RETURN | REVERT | LOG0 | LOG1 | LOG2 | LOG3 | LOG4 => len(1),
        CREATE | CREATE2 => len(2),
        // A call's argument region is read where the callee copies it (its CALLDATACOPY
        // counts), its return region written from the output the callee's RETURN read.
        _ => 0,
    }
}

/// The region of the running frame's memory that `opcode`, about to run with `stack`, may write
/// (beyond expanding it): `(offset, len)`. MSTORE, MSTORE8, MCOPY and the data copies write
/// their destination; a call whose callee runs no code of its own (a precompile, an account
/// without code, a failed call) writes its return region before the caller's next step.
pub fn written_region(opcode: u8, stack: &[U256]) -> Option<(u64, u64)> {
    use revm_bytecode::opcode::*;
    let region = |offset, len| Some((operand(stack, offset)?, operand(stack, len)?));
    match opcode {
        MSTORE => Some((operand(stack, 0)?, 32)),
        MSTORE8 => Some((operand(stack, 0)?, 1)),
        MCOPY | CALLDATACOPY | CODECOPY | RETURNDATACOPY => region(0, 2),
        EXTCODECOPY => region(1, 3),
        CALL | CALLCODE => region(5, 6),
        DELEGATECALL | STATICCALL => region(4, 5),
        _ => None,
    }
}

impl Recorder {
    /// A recorder of runs of at most `budget` work ([`budget`](Self::budget)).
    pub fn new(budget: u64) -> Self {
        Self {
            steps: Vec::new(),
            budget,
            work: 0,
            over_budget: false,
            full: false,
            frames: Vec::new(),
            capture: None,
        }
    }

    /// Forgets the steps (and any capture), keeping the allocation and the mode.
    pub fn clear(&mut self) {
        self.steps.clear();
        self.work = 0;
        self.over_budget = false;
        self.frames.clear();
        self.capture = None;
    }

    /// Also keeps the memory bytes of step `index` (0-based).
    pub fn capture_at(&mut self, index: usize) {
        self.capture = Some((index, None));
    }

    /// What was captured at the step [`capture_at`](Self::capture_at) named, if the run got
    /// there.
    pub fn captured(&self) -> Option<&Captured> {
        self.capture.as_ref().and_then(|(_, seen)| seen.as_ref())
    }

    /// Records one step: the frame's state before the instruction `opcode`, about to run with
    /// `stack`.
    ///
    /// The memory digest is of the whole memory at a frame's first step, every
    /// [`DIGEST_EVERY`] steps of a frame (less often for a large memory: see
    /// [`BYTES_PER_STEP`]) and, in the full mode, at every step. Elsewhere it is the digest of
    /// what the frame's instruction before could have changed: the region it wrote
    /// ([`written_region`], from its operands; for a call, its return region, digested when
    /// the frame resumes after the callee) and the bytes it added by expanding; 0 when neither. Both engines decide from what their
    /// steps show, so two correct engines record the same trace; a write anywhere else shows
    /// at the next whole-memory digest, and the oracle then runs again in full mode to find
    /// the step.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn record(
        &mut self,
        depth: usize,
        code_address: Option<Address>,
        pc: usize,
        opcode: u8,
        gas: u64,
        memory: &[u8],
        stack: &[U256],
        code: &[u8],
    ) {
        let index = self.steps.len();
        self.work = self.work.saturating_add(work(opcode, stack));
        if self.over_budget || self.work > self.budget {
            self.over_budget = true;
            return;
        }
        if let Some((at, seen)) = &mut self.capture {
            if *at == index {
                *seen = Some(Captured {
                    memory: memory.to_vec(),
                    code: code.to_vec(),
                });
            }
        }
        let (depth, memory_len) = (depth as u32, memory.len() as u32);
        // Follow the frames: a call opens one (its memory starts empty), a return closes the
        // callee's and comes back to the caller's, whose last instruction was the call.
        let d = depth as usize;
        let entered = d >= self.frames.len();
        if self.frames.len() != d + 1 {
            self.frames.resize(d + 1, Track::default());
        }
        let track = &mut self.frames[d];
        let due = index - track.last_full >= DIGEST_EVERY.max(memory.len() / BYTES_PER_STEP);
        let memory_digest = if self.full || entered || due {
            track.last_full = index;
            digest(memory)
        } else {
            changed_digest(memory, track.len as usize, track.pending)
        };
        track.pending = written_region(opcode, stack);
        track.len = memory_len;
        self.steps.push(StepRecord {
            depth,
            code_address,
            pc: pc as u32,
            opcode,
            gas,
            memory_len,
            memory_digest,
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
            step.stack,
            step.code,
        );
    }
}

/// Stock revm's steps, through its inspector interface.
impl<CTX: ContextTr> Inspector<CTX, EthInterpreter> for Recorder {
    #[inline]
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, _context: &mut CTX) {
        {
            let memory = interp.memory.context_memory();
            self.record(
                interp.input.depth(),
                interp.input.bytecode_address().copied(),
                interp.bytecode.pc(),
                interp.bytecode.opcode(),
                interp.gas.remaining(),
                &memory,
                interp.stack.data(),
                interp.bytecode.bytecode_slice(),
            );
        }
        if self.over_budget {
            // Past the budget: every frame halts at its next instruction, so the run unwinds
            // in at most one step per open frame.
            interp.halt(InstructionResult::OutOfGas);
        }
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
            r.record(0, None, i as usize, 0x52, 100, &[i; 32], &[], &[0x00]);
        }
        assert_eq!(r.steps.len(), 3);
        assert_eq!(r.captured().map(|c| &c.memory[..]), Some(&[1u8; 32][..]));
        r.clear();
        assert!(r.steps.is_empty() && r.captured().is_none());
    }
}
