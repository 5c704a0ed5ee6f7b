//! Adapter for this crate's [`Memory`]: the EVM semantics of each op composed from the
//! memory's public API (stack-value conversion, gas-aware expansion, then the access), as an
//! interpreter built on it would.

use crate::harness::case::{child_gas, Case, Op, MAX_CALL_DEPTH};
use crate::harness::engine::Engine;
use crate::harness::observation::{Observation, Outcome, Output};
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
}

/// Our memory, driven as an interpreter would.
#[derive(Debug)]
pub struct OursEngine {
    memory: Memory,
    frames: Vec<Frame>,
    /// Return-data buffers of finished frames, kept for reuse.
    spare: Vec<Vec<u8>>,
    ended: bool,
    soft_outcome: Outcome,
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

impl OursEngine {
    /// An engine with an empty memory.
    pub fn new() -> Self {
        Self {
            memory: Memory::default(),
            frames: Vec::new(),
            spare: Vec::new(),
            ended: false,
            soft_outcome: Outcome::Ok,
        }
    }

    fn expand(&mut self, offset: usize, len: usize) -> Result<u64, Outcome> {
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

    /// The EVM's rule for a region `[offset, offset + len)` from the stack: the length is
    /// converted first, a zero length touches nothing (`None`), else the offset is converted.
    fn region(offset: U256, len: U256) -> Result<Option<(usize, usize)>, Outcome> {
        let len = operand(len)?;
        if len == 0 {
            return Ok(None);
        }
        Ok(Some((operand(offset)?, len)))
    }

    /// A [`region`](Self::region) expanded with gas: the offset, length and gas charged.
    fn touch(&mut self, offset: U256, len: U256) -> Result<Option<(usize, usize, u64)>, Outcome> {
        let Some((offset, len)) = Self::region(offset, len)? else {
            return Ok(None);
        };
        let gas = self.expand(offset, len)?;
        Ok(Some((offset, len, gas)))
    }

    fn run(&mut self, case: &Case, op: &Op, output: &mut Output) -> Result<u64, Outcome> {
        let m = |r: Result<(), MemoryError>| r.map_err(outcome);
        match *op {
            // The word and byte opcodes, MCOPY, CALLDATACOPY, CODECOPY and the plain read go
            // through the memory's own gas-aware ops (what an interpreter calls), the others
            // (RETURNDATACOPY, RETURN, REVERT, CALL's regions) through `expand_with_gas` and
            // the plain access, so that both ways are compared.
            Op::MStore { offset, value } => {
                let o = operand(offset)?;
                self.charged(|mem, gas| mem.store_u256_with_gas(o, value, gas))
            }
            Op::MStore8 { offset, value } => {
                let o = operand(offset)?;
                self.charged(|mem, gas| mem.store_byte_with_gas(o, value, gas))
            }
            Op::MLoad { offset } => {
                let o = operand(offset)?;
                let mut word = U256::ZERO;
                let gas = self.charged(|mem, gas| {
                    word = mem.load_u256_with_gas(o, gas)?;
                    Ok(())
                })?;
                *output = Output::Word(word.to_be_bytes::<32>());
                Ok(gas)
            }
            Op::MSize => {
                *output = Output::Size(self.memory.size() as u64);
                Ok(0)
            }
            Op::MCopy { dst, src, len } => {
                let len = operand(len)?;
                if len == 0 {
                    return Ok(0);
                }
                let (dst, src) = (operand(dst)?, operand(src)?);
                self.charged(|mem, gas| mem.copy_with_gas(dst, src, len, gas))
            }
            Op::CallDataCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let Some((o, len)) = Self::region(mem_offset, len)? else {
                    return Ok(0);
                };
                let from = saturating_usize(data_offset);
                let calldata = self.frames.last().ok_or(Outcome::EngineError)?.calldata;
                self.charged(|mem, gas| match calldata {
                    Calldata::Case => mem.set_data_with_gas(o, from, len, &case.calldata, gas),
                    Calldata::Parent { offset, len: plen } => {
                        mem.set_data_from_parent_with_gas(o, from, len, offset, plen, gas)
                    }
                })
            }
            Op::CodeCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let Some((o, len)) = Self::region(mem_offset, len)? else {
                    return Ok(0);
                };
                let from = saturating_usize(data_offset);
                self.charged(|mem, gas| mem.set_data_with_gas(o, from, len, &case.code, gas))
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
                let Some((o, len, gas)) = self.touch(mem_offset, len)? else {
                    return Ok(0);
                };
                let frame = self.frames.last().ok_or(Outcome::EngineError)?;
                m(self.memory.set_data(o, from, len, &frame.return_data))?;
                Ok(gas)
            }
            Op::Read { offset, len } => {
                let Some((o, len)) = Self::region(offset, len)? else {
                    *output = Output::Bytes(Vec::new());
                    return Ok(0);
                };
                let mut bytes = Vec::new();
                let gas = self.charged(|mem, gas| {
                    bytes = mem.slice_with_gas(o, len, gas)?.to_vec();
                    Ok(())
                })?;
                *output = Output::Bytes(bytes);
                Ok(gas)
            }
            Op::Return { offset, len } | Op::Revert { offset, len } => {
                let Some((o, len, gas)) = self.touch(offset, len)? else {
                    *output = Output::Bytes(Vec::new());
                    return Ok(0);
                };
                let bytes = self.memory.slice(o, len).map_err(outcome)?;
                *output = Output::Bytes(bytes.to_vec());
                Ok(gas)
            }
            Op::Call {
                args_offset,
                args_len,
                ret_offset,
                ret_len,
                gas: requested,
            } => {
                // The argument region, then the return region; zero-length ones are (0, 0).
                let args = self.touch(args_offset, args_len)?.unwrap_or_default();
                let ret = self.touch(ret_offset, ret_len)?.unwrap_or_default();
                let charged = args.2 + ret.2;
                let depth = self.memory.depth();
                let caller = self.frames.last_mut().ok_or(Outcome::EngineError)?;
                caller.return_data.clear();
                if depth >= MAX_CALL_DEPTH {
                    self.soft_outcome = Outcome::CallDepth;
                    return Ok(charged);
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
                });
                Ok(charged)
            }
            Op::Halt => Err(Outcome::Halted),
        }
    }

    /// Ends the current child; `returned` is the output region for RETURN/REVERT.
    fn end_child(&mut self, returned: Option<(usize, usize, &[u8])>) -> Result<(), Outcome> {
        let child = self.frames.pop().ok_or(Outcome::EngineError)?;
        let checkpoint = child.checkpoint.ok_or(Outcome::EngineError)?;
        let caller = self.frames.last_mut().ok_or(Outcome::EngineError)?;
        caller.return_data.clear();
        match returned {
            Some((offset, len, bytes)) => {
                caller.return_data.extend_from_slice(bytes);
                caller.gas += child.gas;
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
        self.spare.push(child.return_data);
        Ok(())
    }
}

impl Engine for OursEngine {
    fn name(&self) -> &'static str {
        "ours"
    }

    fn begin(&mut self, case: &Case) {
        let buffer = core::mem::take(&mut self.memory).into_buffer();
        let config = MemoryConfig::with_limit(case.limit).with_pricing(case.pricing);
        self.memory = Memory::with_buffer(buffer, config).unwrap_or_default();
        while let Some(f) = self.frames.pop() {
            self.spare.push(f.return_data);
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
        });
        self.ended = false;
    }

    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        obs.clear();
        let mut output = Output::None;
        let result = self.run(case, op, &mut output);
        let is_root = self.frames.len() == 1;
        match result {
            Ok(charged) => {
                obs.gas_charged = charged;
                obs.outcome = core::mem::take(&mut self.soft_outcome);
                if let Op::Return { offset, len } | Op::Revert { offset, len } = *op {
                    obs.outcome = if matches!(op, Op::Return { .. }) {
                        Outcome::Returned
                    } else {
                        Outcome::Reverted
                    };
                    if is_root {
                        self.ended = true;
                        obs.gas_remaining = self.frames[0].gas;
                    } else {
                        // Operands were validated by `run`; a zero length returns nothing.
                        let (o, l) = match to_usize(len) {
                            Ok(0) | Err(_) => (0, 0),
                            Ok(l) => (to_usize(offset).unwrap_or(0), l),
                        };
                        let bytes = match &output {
                            Output::Bytes(b) => b.clone(),
                            _ => Vec::new(),
                        };
                        if let Err(e) = self.end_child(Some((o, l, &bytes))) {
                            obs.outcome = e;
                        }
                    }
                }
            }
            Err(e) => {
                obs.outcome = e;
                output = Output::None;
                if is_root {
                    self.ended = true;
                    self.frames[0].gas = 0;
                } else if let Err(e) = self.end_child(None) {
                    obs.outcome = e;
                }
            }
        }
        obs.output = output;
        obs.ended = self.ended;
        if !self.ended {
            obs.gas_remaining = self.frames.last().map_or(0, |f| f.gas);
        }
        obs.memory.extend_from_slice(self.memory.all_contexts());
        obs.frame_sizes.extend(self.memory.context_sizes());
    }
}
