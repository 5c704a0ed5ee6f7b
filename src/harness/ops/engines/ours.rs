//! Adapter for this crate's [`Memory`]: the EVM semantics of each op composed from the
//! memory's public API (stack-value conversion, gas-aware expansion, then the access), as an
//! interpreter built on it would, along one of two paths ([`OursPath`]) so that both ways into
//! the memory are compared with the other engines on every op:
//!
//! * `ours` ([`OursPath::Metered`]): MSTORE, MSTORE8, MLOAD, MCOPY, CALLDATACOPY, CODECOPY and
//!   the region read go through the memory's metered opcode calls (`*_with_gas`), which charge,
//!   expand and access in one; RETURNDATACOPY, RETURN and REVERT through `expand_with_gas` and
//!   then the plain access.
//! * `ours-plain` ([`OursPath::Plain`]): the other way round for every op that has both.
//!
//! CALL's regions are expanded with `expand_with_gas` on both paths (there is no other way).
//!
//! Zero lengths go to the memory too, as an interpreter that does not special-case them would
//! hand them over: with the offset saturated to `usize` (any offset, up to `usize::MAX`, since
//! the EVM ignores the offset of an empty region). The EVM's rule is that such an access does
//! nothing (no expansion, no gas, no failure); the other engines follow the rule by skipping
//! the access, so the oracle compares what the memory did with it.

use crate::harness::ops::budget::{Growth, Quote};
use crate::harness::ops::case::{child_gas, Case, Op, MAX_CALL_DEPTH};
use crate::harness::ops::engine::{Engine, FrameBytes, Reach};
use crate::harness::ops::observation::{Observation, Outcome, Output};
use crate::{
    saturating_usize, to_usize, Checkpoint, GasMeter, Memory, MemoryConfig, MemoryError, U256,
};
/// A frame's gas, as a [`GasMeter`].
struct Meter<'a>(&'a mut u64);

impl GasMeter for Meter<'_> {
    fn remaining(&self) -> u64 {
        *self.0
    }
    fn consume(&mut self, amount: u64) {
        *self.0 -= amount;
    }
}

/// Where a frame's calldata lives.
#[derive(Clone, Copy, Debug)]
enum Calldata {
    /// The case's calldata (root frame).
    Case,
    /// The caller's argument region.
    Parent { offset: usize, len: usize },
}

#[derive(Debug)]
struct Frame {
    gas: u64,
    calldata: Calldata,
    return_data: Vec<u8>,
    ret_offset: usize,
    ret_len: usize,
    checkpoint: Option<Checkpoint>,
    /// Where the frame starts in `all_contexts()` (fixed while it is open: a caller cannot grow
    /// while its child runs).
    offset: usize,
}

/// Most bytes a finished frame's return-data buffer keeps allocated for reuse (64 KiB): up to
/// 1,024 are kept, and each would otherwise hold the largest return data its depth ever had.
const SPARE_KEEP: usize = 64 << 10;

/// `buffer` as a spare: kept if it is small ([`SPARE_KEEP`]), else given back.
fn kept_for_reuse(buffer: Vec<u8>) -> Vec<u8> {
    if buffer.capacity() > SPARE_KEEP {
        Vec::new()
    } else {
        buffer
    }
}

/// Which of the memory's two ways an [`OursEngine`] takes into each op: `ours` takes the metered
/// calls, `ours-plain` the other way round (see [`engines`](crate::harness::ops::engines)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OursPath {
    /// The metered opcode calls where the memory has them (engine `ours`).
    #[default]
    Metered,
    /// `expand_with_gas` and the plain access where the other path meters, and the metered call
    /// where it does not (engine `ours-plain`).
    Plain,
}

/// Our memory, driven as an interpreter would.
#[derive(Debug)]
pub struct OursEngine {
    path: OursPath,
    memory: Memory,
    frames: Vec<Frame>,
    /// Return-data buffers of finished frames, kept for reuse.
    spare: Vec<Vec<u8>>,
    /// The output of the op running (RETURN's bytes are handed to the caller from here).
    output: Vec<u8>,
    ended: bool,
    soft_outcome: Outcome,
    reach: Reach,
}

impl Default for OursEngine {
    fn default() -> Self {
        Self::new()
    }
}

fn outcome(e: MemoryError) -> Outcome {
    match e {
        MemoryError::OutOfGas { .. } => Outcome::OutOfGas,
        MemoryError::MemoryOverflow => Outcome::Limit,
        MemoryError::OutOfMemory => Outcome::OutOfMemory,
        _ => Outcome::EngineError,
    }
}

/// A stack value as an offset or length; too large is an invalid operand.
fn operand(v: U256) -> Result<usize, Outcome> {
    to_usize(v).map_err(|_| Outcome::InvalidOperand)
}

/// A region `[offset, offset + len)` from the stack, as the EVM reads it: the length is
/// converted first; a zero length keeps whatever offset was given, saturated (an empty region
/// is valid anywhere), else the offset is converted.
fn region(offset: U256, len: U256) -> Result<(usize, usize), Outcome> {
    let len = operand(len)?;
    if len == 0 {
        return Ok((saturating_usize(offset), 0));
    }
    Ok((operand(offset)?, len))
}

impl OursEngine {
    /// An engine with an empty memory, on the metered path (`ours`).
    pub fn new() -> Self {
        Self::with_path(OursPath::Metered)
    }

    /// An engine with an empty memory, taking `path` into each op.
    pub fn with_path(path: OursPath) -> Self {
        Self {
            path,
            memory: Memory::default(),
            frames: Vec::new(),
            spare: Vec::new(),
            output: Vec::new(),
            ended: false,
            soft_outcome: Outcome::Ok,
            reach: Reach::default(),
        }
    }

    /// The memory under the engine (for the [mutants](super::mutants), which plant their bugs
    /// around it).
    pub(super) fn memory(&self) -> &Memory {
        &self.memory
    }

    /// The memory under the engine, to change (for the [mutants](super::mutants)).
    pub(super) fn memory_mut(&mut self) -> &mut Memory {
        &mut self.memory
    }

    /// The length of the current frame's calldata: the case's at the root, the argument region
    /// in a child.
    pub(super) fn calldata_len(&self, case: &Case) -> usize {
        match self.frames.last().map(|f| f.calldata) {
            Some(Calldata::Parent { len, .. }) => len,
            _ => case.calldata.len(),
        }
    }

    /// Counts a call into the memory with a zero length.
    fn zero_length(&mut self, len: usize) {
        self.reach.zero_length_calls += u64::from(len == 0);
    }

    /// Expands the current frame over a region with gas (a zero length too): the gas charged.
    fn expand(&mut self, offset: usize, len: usize) -> Result<u64, Outcome> {
        self.zero_length(len);
        let frame = self.frames.last_mut().ok_or(Outcome::EngineError)?;
        self.memory
            .expand_with_gas(offset, len, &mut Meter(&mut frame.gas))
            .map_err(outcome)
    }

    /// Runs a gas-aware memory op on the current frame's gas and returns the gas it charged.
    fn charged(
        &mut self,
        op: impl FnOnce(&mut Memory, &mut Meter<'_>) -> Result<(), MemoryError>,
    ) -> Result<u64, Outcome> {
        let frame = self.frames.last_mut().ok_or(Outcome::EngineError)?;
        let before = frame.gas;
        op(&mut self.memory, &mut Meter(&mut frame.gas)).map_err(outcome)?;
        Ok(before - frame.gas)
    }

    /// A [`region`] expanded with gas: the offset, length and gas charged.
    fn touch(&mut self, offset: U256, len: U256) -> Result<(usize, usize, u64), Outcome> {
        let (offset, len) = region(offset, len)?;
        let gas = self.expand(offset, len)?;
        Ok((offset, len, gas))
    }

    /// Copies `len` bytes at `offset` of the current frame into `self.output` (plain access).
    fn read(&mut self, offset: usize, len: usize) -> Result<(), Outcome> {
        let bytes = self.memory.slice(offset, len).map_err(outcome)?;
        self.output.clear();
        self.output.extend_from_slice(bytes);
        Ok(())
    }

    /// Copies `len` bytes at `offset` of the current frame into `self.output` through the
    /// metered read, which expands first: the gas charged.
    fn read_with_gas(&mut self, offset: usize, len: usize) -> Result<u64, Outcome> {
        let mut output = core::mem::take(&mut self.output);
        output.clear();
        let gas = self.charged(|mem, gas| {
            output.extend_from_slice(mem.slice_with_gas(offset, len, gas)?);
            Ok(())
        });
        self.output = output;
        gas
    }

    fn run(&mut self, case: &Case, op: &Op) -> Result<(u64, Output), Outcome> {
        let m = |r: Result<(), MemoryError>| r.map_err(outcome);
        let metered = self.path == OursPath::Metered;
        match *op {
            // Each op that the memory offers both ways takes the one `self.path` says: the
            // metered call, or `expand_with_gas` and then the plain access.
            Op::MStore { offset, value } => {
                let o = operand(offset)?;
                let gas = if metered {
                    self.charged(|mem, gas| mem.store_u256_with_gas(o, value, gas))?
                } else {
                    let gas = self.expand(o, 32)?;
                    m(self.memory.store_u256(o, value))?;
                    gas
                };
                Ok((gas, Output::None))
            }
            Op::MStore8 { offset, value } => {
                let o = operand(offset)?;
                let gas = if metered {
                    self.charged(|mem, gas| mem.store_byte_with_gas(o, value, gas))?
                } else {
                    let gas = self.expand(o, 1)?;
                    m(self.memory.store_byte(o, value))?;
                    gas
                };
                Ok((gas, Output::None))
            }
            Op::MLoad { offset } => {
                let o = operand(offset)?;
                let mut word = U256::ZERO;
                let gas = if metered {
                    self.charged(|mem, gas| {
                        word = mem.load_u256_with_gas(o, gas)?;
                        Ok(())
                    })?
                } else {
                    let gas = self.expand(o, 32)?;
                    word = self.memory.load_u256(o).map_err(outcome)?;
                    gas
                };
                Ok((gas, Output::Word(word.to_be_bytes::<32>())))
            }
            Op::MSize => Ok((0, Output::Size(self.memory.size() as u64))),
            Op::MCopy { dst, src, len } => {
                let len = operand(len)?;
                let (dst, src) = if len == 0 {
                    (saturating_usize(dst), saturating_usize(src))
                } else {
                    (operand(dst)?, operand(src)?)
                };
                let gas = if metered {
                    self.zero_length(len);
                    self.charged(|mem, gas| mem.copy_with_gas(dst, src, len, gas))?
                } else {
                    // Both ranges at once: the copy expands over the larger end.
                    let gas = self.expand(dst.max(src), len)?;
                    self.zero_length(len);
                    m(self.memory.copy(dst, src, len))?;
                    gas
                };
                Ok((gas, Output::None))
            }
            Op::CallDataCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let (o, len) = region(mem_offset, len)?;
                let from = saturating_usize(data_offset);
                let calldata = self.frames.last().ok_or(Outcome::EngineError)?.calldata;
                let gas = if metered {
                    self.zero_length(len);
                    self.charged(|mem, gas| match calldata {
                        Calldata::Case => mem.set_data_with_gas(o, from, len, &case.calldata, gas),
                        Calldata::Parent { offset, len: plen } => {
                            mem.set_data_from_parent_with_gas(o, from, len, offset, plen, gas)
                        }
                    })?
                } else {
                    let gas = self.expand(o, len)?;
                    self.zero_length(len);
                    m(match calldata {
                        Calldata::Case => self.memory.set_data(o, from, len, &case.calldata),
                        Calldata::Parent { offset, len: plen } => {
                            self.memory.set_data_from_parent(o, from, len, offset, plen)
                        }
                    })?;
                    gas
                };
                Ok((gas, Output::None))
            }
            Op::CodeCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let (o, len) = region(mem_offset, len)?;
                let from = saturating_usize(data_offset);
                let gas = if metered {
                    self.zero_length(len);
                    self.charged(|mem, gas| mem.set_data_with_gas(o, from, len, &case.code, gas))?
                } else {
                    let gas = self.expand(o, len)?;
                    self.zero_length(len);
                    m(self.memory.set_data(o, from, len, &case.code))?;
                    gas
                };
                Ok((gas, Output::None))
            }
            Op::ReturnDataCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let from = saturating_usize(data_offset);
                let available = self.frames.last().map_or(0, |f| f.return_data.len());
                if from
                    .checked_add(operand(len)?)
                    .is_none_or(|end| end > available)
                {
                    return Err(Outcome::ReturnDataOutOfBounds);
                }
                if metered {
                    let (o, len, gas) = self.touch(mem_offset, len)?;
                    self.zero_length(len);
                    let frame = self.frames.last().ok_or(Outcome::EngineError)?;
                    m(self.memory.set_data(o, from, len, &frame.return_data))?;
                    Ok((gas, Output::None))
                } else {
                    let (o, len) = region(mem_offset, len)?;
                    self.zero_length(len);
                    let Frame {
                        gas, return_data, ..
                    } = self.frames.last_mut().ok_or(Outcome::EngineError)?;
                    let before = *gas;
                    m(self
                        .memory
                        .set_data_with_gas(o, from, len, return_data, &mut Meter(gas)))?;
                    Ok((before - *gas, Output::None))
                }
            }
            Op::Read { offset, len } => {
                let (o, len) = region(offset, len)?;
                let gas = if metered {
                    self.zero_length(len);
                    self.read_with_gas(o, len)?
                } else {
                    let gas = self.expand(o, len)?;
                    self.zero_length(len);
                    self.read(o, len)?;
                    gas
                };
                Ok((gas, Output::None))
            }
            Op::Return { offset, len } | Op::Revert { offset, len } => {
                let (o, len) = region(offset, len)?;
                let gas = if metered {
                    let gas = self.expand(o, len)?;
                    self.zero_length(len);
                    self.read(o, len)?;
                    gas
                } else {
                    self.zero_length(len);
                    self.read_with_gas(o, len)?
                };
                Ok((gas, Output::None))
            }
            Op::Call {
                args_offset,
                args_len,
                ret_offset,
                ret_len,
                gas: requested,
            } => {
                // The argument region, then the return region.
                let args = self.touch(args_offset, args_len)?;
                let ret = self.touch(ret_offset, ret_len)?;
                let charged = args.2 + ret.2;
                let depth = self.memory.depth();
                let offset = self.memory.all_contexts().len();
                let caller = self.frames.last_mut().ok_or(Outcome::EngineError)?;
                caller.return_data.clear();
                if depth >= MAX_CALL_DEPTH {
                    self.soft_outcome = Outcome::CallDepth;
                    return Ok((charged, Output::None));
                }
                let gas = child_gas(requested, caller.gas);
                let checkpoint = self.memory.enter_child().map_err(outcome)?;
                caller.gas -= gas;
                let mut return_data = self.spare.pop().unwrap_or_default();
                return_data.clear();
                self.frames.push(Frame {
                    gas,
                    calldata: Calldata::Parent {
                        offset: args.0,
                        len: args.1,
                    },
                    return_data,
                    ret_offset: ret.0,
                    ret_len: ret.1,
                    checkpoint: Some(checkpoint),
                    offset,
                });
                Ok((charged, Output::None))
            }
            Op::Halt => Err(Outcome::Halted),
        }
    }

    /// Ends the current child, showing its memory in `obs`; `returned` is the output region for
    /// RETURN/REVERT (its bytes are in `self.output`).
    fn end_child(
        &mut self,
        returned: Option<(usize, usize)>,
        obs: &mut Observation,
    ) -> Result<(), Outcome> {
        obs.set_ended_frame(self.memory.as_slice());
        let child = self.frames.pop().ok_or(Outcome::EngineError)?;
        let checkpoint = child.checkpoint.ok_or(Outcome::EngineError)?;
        let caller = self.frames.last_mut().ok_or(Outcome::EngineError)?;
        caller.return_data.clear();
        match returned {
            Some((offset, len)) => {
                caller.return_data.extend_from_slice(&self.output);
                caller.gas += child.gas;
                self.reach.zero_length_calls += u64::from(len == 0 || child.ret_len == 0);
                self.memory
                    .exit_child_with_return(
                        checkpoint,
                        offset,
                        len,
                        child.ret_offset,
                        child.ret_len,
                    )
                    .map_err(outcome)?;
            }
            None => self.memory.exit_child(checkpoint).map_err(outcome)?,
        }
        self.spare.push(kept_for_reuse(child.return_data));
        Ok(())
    }
}

impl Engine for OursEngine {
    fn name(&self) -> &'static str {
        match self.path {
            OursPath::Metered => "ours",
            OursPath::Plain => "ours-plain",
        }
    }

    fn begin(&mut self, case: &Case) {
        let mut buffer = core::mem::take(&mut self.memory).into_buffer();
        let mut config = MemoryConfig::with_limit(case.limit).with_pricing(case.pricing);
        if let Some(capacity) = case.capacity.reserve(case.limit) {
            // A fresh allocation of the case's choosing.
            buffer = Vec::new();
            config.initial_capacity = capacity;
        }
        self.memory = Memory::with_buffer(buffer, config).unwrap_or_default();
        while let Some(f) = self.frames.pop() {
            self.spare.push(kept_for_reuse(f.return_data));
        }
        let mut return_data = self.spare.pop().unwrap_or_default();
        return_data.clear();
        self.frames.push(Frame {
            gas: case.gas,
            calldata: Calldata::Case,
            return_data,
            ret_offset: 0,
            ret_len: 0,
            checkpoint: None,
            offset: 0,
        });
        self.ended = false;
        self.reach = Reach::default();
    }

    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        obs.clear();
        let is_root = self.frames.len() == 1;
        // A growth past the capacity reallocates (the allocator may or may not move the buffer;
        // counting capacity changes rather than moves keeps the count deterministic).
        let capacity_before = self.memory.capacity();
        let result = self.run(case, op);
        if !is_root && self.memory.capacity() != capacity_before {
            self.reach.child_reallocations += 1;
        }
        match result {
            Ok((charged, output)) => {
                obs.gas_charged = charged;
                obs.outcome = core::mem::take(&mut self.soft_outcome);
                obs.output = output;
                match *op {
                    Op::Read { .. } => obs.set_output_bytes(&self.output),
                    Op::Return { offset, len } | Op::Revert { offset, len } => {
                        obs.set_output_bytes(&self.output);
                        obs.outcome = if matches!(op, Op::Return { .. }) {
                            Outcome::Returned
                        } else {
                            Outcome::Reverted
                        };
                        if is_root {
                            self.ended = true;
                            obs.gas_remaining = self.frames[0].gas;
                        } else {
                            // Operands were validated by `run`.
                            let returned = region(offset, len).unwrap_or_default();
                            if let Err(e) = self.end_child(Some(returned), obs) {
                                obs.outcome = e;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Err(e) => {
                obs.outcome = e;
                if is_root {
                    self.ended = true;
                    self.frames[0].gas = 0;
                } else if let Err(e) = self.end_child(None, obs) {
                    obs.outcome = e;
                }
            }
        }
        obs.ended = self.ended;
        if !self.ended {
            obs.gas_remaining = self.frames.last().map_or(0, |f| f.gas);
        }
        obs.frames = self.memory.depth() + 1;
        obs.size = self.memory.size();
        obs.total_size = self.memory.all_contexts().len();
    }

    fn frame_sizes(&self, out: &mut Vec<usize>) {
        out.extend(self.memory.context_sizes());
    }

    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>> {
        let current = self.memory.depth();
        if frame == current {
            return Some(FrameBytes::Slice(self.memory.as_slice()));
        }
        let open = self.frames.get(frame).filter(|_| frame < current)?;
        let all = self.memory.all_contexts();
        let end = self
            .frames
            .get(frame + 1)
            .map_or(all.len(), |next| next.offset);
        Some(FrameBytes::Slice(&all[open.offset..end]))
    }

    fn reach(&self) -> Reach {
        self.reach
    }

    fn release_memory(&mut self) {
        self.memory = Memory::default();
        self.spare = Vec::new();
        self.output = Vec::new();
        for frame in &mut self.frames {
            frame.return_data = Vec::new();
        }
    }

    /// What the memory says of itself, without growing: its limit on the shared buffer, and
    /// its price for the growth ([`Memory::expansion_cost`]) against the frame's gas. (A memory
    /// whose price differs from what its growth charges is wrong either way.)
    fn would_grow(&self, growth: &Growth) -> Quote {
        let (Ok(to), Some(frame)) = (usize::try_from(growth.to), self.frames.last()) else {
            return Quote::Refuses;
        };
        let below = self.memory.total_size() - self.memory.size();
        if below
            .checked_add(to)
            .is_none_or(|total| total as u64 > self.memory.limit())
        {
            return Quote::Refuses;
        }
        match self.memory.expansion_cost(0, to) {
            Ok(charge) if charge <= frame.gas => Quote::Grows(charge),
            _ => Quote::Refuses,
        }
    }
}
