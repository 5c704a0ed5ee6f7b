//! Adapter for revm's `SharedMemory` (revm-interpreter, pinned `=43.0.2`, feature
//! `memory_limit`), composed from revm's own pieces the way its instructions use them:
//! `resize_memory` with `GasParams` and a `Gas` per frame, then `set` / `slice_len` / `copy` /
//! `set_data` / `global_to_local_set_data`; CALL through `new_child_context` and
//! `free_child_context`, gas forwarded with `record_regular_cost` and given back with
//! `erase_cost`; and the EVM's rule of skipping zero-length work.
//!
//! `SharedMemory` is only handed in-bounds accesses (every access is preceded by the
//! `resize_memory` that covers it, as in revm's interpreter), and every build that drives it
//! keeps debug assertions on for revm-interpreter, where its out-of-bounds paths would
//! otherwise be undefined behaviour.

use std::cell::{Ref, RefCell};
use std::ops::Range;
use std::rc::Rc;

use revm_interpreter::context_interface::cfg::{GasId, GasParams};
use revm_interpreter::interpreter::resize_memory;
use revm_interpreter::interpreter_types::MemoryTr;
use revm_interpreter::{Gas, InstructionResult, SharedMemory};

use crate::harness::ops::case::{child_gas, Case, Op, MAX_CALL_DEPTH};
use crate::harness::ops::engine::{Engine, FrameBytes};
use crate::harness::ops::observation::{Observation, Outcome, Output};
use crate::U256;

#[derive(Debug)]
enum Input {
    /// The case's calldata (root frame).
    Case,
    /// A global range of the shared buffer (revm's `CallInput::SharedBuffer`).
    Shared(Range<usize>),
}

#[derive(Debug)]
struct Frame {
    memory: SharedMemory,
    gas: Gas,
    input: Input,
    return_data: Vec<u8>,
    ret_range: Range<usize>,
}

/// revm's `SharedMemory`, driven as revm's interpreter drives it.
#[derive(Debug)]
pub struct RevmEngine {
    buffer: Rc<RefCell<Vec<u8>>>,
    params: GasParams,
    frames: Vec<Frame>,
    /// The bytes the op running read (a read's, RETURN's or REVERT's output).
    output: Vec<u8>,
    ended: bool,
    soft_outcome: Outcome,
}

impl Default for RevmEngine {
    fn default() -> Self {
        Self::new()
    }
}

fn outcome(r: InstructionResult) -> Outcome {
    match r {
        InstructionResult::MemoryOOG => Outcome::OutOfGas,
        InstructionResult::MemoryLimitOOG => Outcome::Limit,
        InstructionResult::InvalidOperandOOG => Outcome::InvalidOperand,
        InstructionResult::OutOfOffset => Outcome::ReturnDataOutOfBounds,
        _ => Outcome::EngineError,
    }
}

/// revm's `as_usize_or_fail!`.
fn as_usize_or_fail(v: U256) -> Result<usize, Outcome> {
    let limbs = v.as_limbs();
    if limbs[1] != 0 || limbs[2] != 0 || limbs[3] != 0 {
        return Err(Outcome::InvalidOperand);
    }
    usize::try_from(limbs[0]).map_err(|_| Outcome::InvalidOperand)
}

/// revm's `as_usize_saturated!`.
fn as_usize_saturated(v: U256) -> usize {
    as_usize_or_fail(v).unwrap_or(usize::MAX)
}

impl RevmEngine {
    /// An engine with an empty shared buffer and the newest spec's gas parameters (each case
    /// sets their memory costs to its pricing).
    pub fn new() -> Self {
        Self {
            buffer: Rc::new(RefCell::new(Vec::with_capacity(4096))),
            params: GasParams::default(),
            frames: Vec::new(),
            output: Vec::new(),
            ended: false,
            soft_outcome: Outcome::Ok,
        }
    }

    fn frame(&mut self) -> Result<&mut Frame, Outcome> {
        self.frames.last_mut().ok_or(Outcome::EngineError)
    }

    /// `resize_memory` for `[offset, offset + len)` in the current frame; returns gas charged.
    fn resize(&mut self, offset: usize, len: usize) -> Result<u64, Outcome> {
        let params = &self.params;
        let frame = self.frames.last_mut().ok_or(Outcome::EngineError)?;
        let before = frame.gas.remaining();
        resize_memory(&mut frame.gas, &mut frame.memory, params, offset, len).map_err(outcome)?;
        Ok(before - frame.gas.remaining())
    }

    /// revm's `copy_cost_and_memory_resize` for the memory side of an access: the length is
    /// converted first, a zero length touches nothing (`None`), else the offset is converted and
    /// `resize_memory` covers the region. Returns the offset, length and gas charged.
    fn touch(&mut self, offset: U256, len: U256) -> Result<Option<(usize, usize, u64)>, Outcome> {
        let len = as_usize_or_fail(len)?;
        if len == 0 {
            return Ok(None);
        }
        let offset = as_usize_or_fail(offset)?;
        let gas = self.resize(offset, len)?;
        Ok(Some((offset, len, gas)))
    }

    fn run(&mut self, case: &Case, op: &Op, output: &mut Output) -> Result<u64, Outcome> {
        match *op {
            Op::MStore { offset, value } => {
                let o = as_usize_or_fail(offset)?;
                let gas = self.resize(o, 32)?;
                self.frame()?.memory.set(o, &value.to_be_bytes::<32>());
                Ok(gas)
            }
            Op::MStore8 { offset, value } => {
                let o = as_usize_or_fail(offset)?;
                let gas = self.resize(o, 1)?;
                self.frame()?.memory.set(o, &[value]);
                Ok(gas)
            }
            Op::MLoad { offset } => {
                let o = as_usize_or_fail(offset)?;
                let gas = self.resize(o, 32)?;
                let mut w = [0u8; 32];
                w.copy_from_slice(&self.frame()?.memory.slice_len(o, 32));
                *output = Output::Word(w);
                Ok(gas)
            }
            Op::MSize => {
                *output = Output::Size(self.frame()?.memory.size() as u64);
                Ok(0)
            }
            Op::MCopy { dst, src, len } => {
                let len = as_usize_or_fail(len)?;
                if len == 0 {
                    return Ok(0);
                }
                let dst = as_usize_or_fail(dst)?;
                let src = as_usize_or_fail(src)?;
                let gas = self.resize(dst.max(src), len)?;
                self.frame()?.memory.copy(dst, src, len);
                Ok(gas)
            }
            Op::CallDataCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let Some((o, len, gas)) = self.touch(mem_offset, len)? else {
                    return Ok(0);
                };
                let from = as_usize_saturated(data_offset);
                let frame = self.frame()?;
                match &frame.input {
                    Input::Case => frame.memory.set_data(o, from, len, &case.calldata),
                    Input::Shared(range) => {
                        let range = range.clone();
                        frame.memory.global_to_local_set_data(o, from, len, range)
                    }
                }
                Ok(gas)
            }
            Op::CodeCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let Some((o, len, gas)) = self.touch(mem_offset, len)? else {
                    return Ok(0);
                };
                let from = as_usize_saturated(data_offset);
                self.frame()?.memory.set_data(o, from, len, &case.code);
                Ok(gas)
            }
            Op::ReturnDataCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let from = as_usize_saturated(data_offset);
                let end = from.saturating_add(as_usize_or_fail(len)?);
                if end > self.frame()?.return_data.len() {
                    return Err(Outcome::ReturnDataOutOfBounds);
                }
                let Some((o, len, gas)) = self.touch(mem_offset, len)? else {
                    return Ok(0);
                };
                let frame = self.frame()?;
                frame.memory.set_data(o, from, len, &frame.return_data);
                Ok(gas)
            }
            Op::Read { offset, len } | Op::Return { offset, len } | Op::Revert { offset, len } => {
                let mut bytes = core::mem::take(&mut self.output);
                bytes.clear();
                let read = self.touch(offset, len).and_then(|region| {
                    let Some((o, len, gas)) = region else {
                        return Ok(0);
                    };
                    bytes.extend_from_slice(&self.frame()?.memory.slice_len(o, len));
                    Ok(gas)
                });
                self.output = bytes;
                *output = Output::Bytes(Vec::new());
                read
            }
            Op::Call {
                args_offset,
                args_len,
                ret_offset,
                ret_len,
                gas: requested,
            } => {
                // revm's `get_memory_input_and_out_ranges`.
                let mut charged = 0;
                let in_len = as_usize_or_fail(args_len)?;
                let mut in_range = usize::MAX..usize::MAX;
                if in_len != 0 {
                    let o = as_usize_or_fail(args_offset)?;
                    charged += self.resize(o, in_len)?;
                    let local = self.frame()?.memory.local_memory_offset();
                    in_range = o.saturating_add(local)..(o + in_len).saturating_add(local);
                }
                let out_len = as_usize_or_fail(ret_len)?;
                let mut ret_range = usize::MAX..usize::MAX;
                if out_len != 0 {
                    let o = as_usize_or_fail(ret_offset)?;
                    charged += self.resize(o, out_len)?;
                    ret_range = o..o + out_len;
                }
                let depth = self.frames.len() - 1;
                let caller = self.frame()?;
                caller.return_data.clear();
                if depth >= MAX_CALL_DEPTH {
                    self.soft_outcome = Outcome::CallDepth;
                    return Ok(charged);
                }
                let gas = child_gas(requested, caller.gas.remaining());
                if !caller.gas.record_regular_cost(gas) {
                    return Err(Outcome::EngineError);
                }
                let memory = caller.memory.new_child_context();
                let input = if in_len == 0 {
                    Input::Shared(0..0)
                } else {
                    Input::Shared(in_range)
                };
                self.frames.push(Frame {
                    memory,
                    gas: Gas::new(gas),
                    input,
                    return_data: Vec::new(),
                    ret_range,
                });
                Ok(charged)
            }
            Op::Halt => Err(Outcome::Halted),
        }
    }

    /// Ends the current child, showing its memory in `obs`; `returned` is `true` for
    /// RETURN/REVERT, whose output is in `self.output` (revm's frame return: unused gas back,
    /// `min(ret_len, output)` bytes into the caller's return region).
    fn end_child(&mut self, returned: bool, obs: &mut Observation) -> Result<(), Outcome> {
        obs.set_ended_frame(&self.frame()?.memory.context_memory());
        let child = self.frames.pop().ok_or(Outcome::EngineError)?;
        let caller = self.frames.last_mut().ok_or(Outcome::EngineError)?;
        caller.memory.free_child_context();
        caller.return_data.clear();
        if returned {
            let out = &self.output;
            caller.gas.erase_cost(child.gas.remaining());
            caller.return_data.extend_from_slice(out);
            let n = child.ret_range.len().min(out.len());
            if n > 0 {
                caller.memory.set(child.ret_range.start, &out[..n]);
            }
        }
        Ok(())
    }
}

impl Engine for RevmEngine {
    fn release_memory(&mut self) {
        *self.buffer.borrow_mut() = Vec::new();
        self.output = Vec::new();
    }

    fn name(&self) -> &'static str {
        "revm"
    }

    fn begin(&mut self, case: &Case) {
        let memory_costs = [
            (GasId::memory_linear_cost(), case.pricing.word_cost),
            (
                GasId::memory_quadratic_reduction(),
                case.pricing.quadratic_denominator,
            ),
        ];
        if memory_costs
            .iter()
            .any(|&(id, cost)| self.params.get(id) != cost)
        {
            self.params.override_gas(memory_costs);
        }
        self.frames.clear();
        {
            let mut buffer = self.buffer.borrow_mut();
            match case.capacity.reserve(case.limit) {
                Some(capacity) => *buffer = Vec::with_capacity(capacity),
                None => buffer.clear(),
            }
        }
        let mut memory = SharedMemory::new_with_buffer(self.buffer.clone());
        memory.set_memory_limit(case.limit);
        self.frames.push(Frame {
            memory,
            gas: Gas::new(case.gas),
            input: Input::Case,
            return_data: Vec::new(),
            ret_range: 0..0,
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
                if let Output::Bytes(_) = output {
                    obs.set_output_bytes(&self.output);
                } else {
                    obs.output = output;
                }
                if matches!(op, Op::Return { .. } | Op::Revert { .. }) {
                    obs.outcome = if matches!(op, Op::Return { .. }) {
                        Outcome::Returned
                    } else {
                        Outcome::Reverted
                    };
                    if is_root {
                        self.ended = true;
                        obs.gas_remaining = self.frames[0].gas.remaining();
                    } else if let Err(e) = self.end_child(true, obs) {
                        obs.outcome = e;
                    }
                }
            }
            Err(e) => {
                obs.outcome = e;
                if is_root {
                    self.ended = true;
                    self.frames[0].gas.spend_all();
                } else if let Err(e) = self.end_child(false, obs) {
                    obs.outcome = e;
                }
            }
        }
        obs.ended = self.ended;
        if !self.ended {
            obs.gas_remaining = self.frames.last().map_or(0, |f| f.gas.remaining());
        }
        let total = self.buffer.borrow().len();
        obs.frames = self.frames.len();
        obs.size = total
            - self
                .frames
                .last()
                .map_or(0, |f| f.memory.local_memory_offset());
        obs.total_size = total;
    }

    fn frame_sizes(&self, out: &mut Vec<usize>) {
        let total = self.buffer.borrow().len();
        let offsets = self.frames.iter().map(|f| f.memory.local_memory_offset());
        let ends = offsets.clone().skip(1).chain([total]);
        out.extend(offsets.zip(ends).map(|(start, end)| end - start));
    }

    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>> {
        let open = self.frames.get(frame)?;
        let start = open.memory.local_memory_offset();
        let next = self.frames.get(frame + 1);
        let buffer = self.buffer.borrow();
        let end = next.map_or(buffer.len(), |next| next.memory.local_memory_offset());
        Some(FrameBytes::Cell(Ref::map(buffer, |b| &b[start..end])))
    }
}
