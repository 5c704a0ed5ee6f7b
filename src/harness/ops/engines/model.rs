//! The reference model: EVM memory written straight from the rules (Yellow Paper §9.4.1 and
//! appendix H, EIP-150, EIP-211, EIP-5656), one `Vec<u8>` per frame, exact arithmetic on
//! `u128`, no caching and no optimisation. When our memory and revm disagree, the model says
//! which one is off the rules.
//!
//! [`ModelBugs`] can plant deliberate bugs in it; the oracle's self-test uses them to prove that
//! a wrong engine is caught.

use crate::harness::ops::case::{child_gas, Case, Op, MAX_CALL_DEPTH};
use crate::harness::ops::engine::{Engine, FrameBytes};
use crate::harness::ops::observation::{Observation, Outcome, Output};
use crate::{MemoryPricing, U256};

/// Deliberate bugs for the oracle's self-test. `ModelBugs::default()` is the correct model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelBugs {
    /// Expansion granularity in bytes (the EVM's is 32).
    pub word: u128,
    /// When set, the divisor of the quadratic gas term instead of the case's (mainnet's is
    /// 512).
    pub quadratic_divisor: Option<u128>,
    /// When set, memory grown over bytes a finished child used shows those stale bytes
    /// instead of zeros.
    pub stale_child_bytes: bool,
    /// When set, every MSTORE also changes one byte outside the word it stores: the root
    /// frame's first byte (its last when the word covers the first), whatever frame runs it.
    pub stray_write: bool,
}

impl Default for ModelBugs {
    fn default() -> Self {
        Self {
            word: 32,
            quadratic_divisor: None,
            stale_child_bytes: false,
            stray_write: false,
        }
    }
}

#[derive(Debug, Default)]
struct Frame {
    memory: Vec<u8>,
    gas: u64,
    calldata: Vec<u8>,
    return_data: Vec<u8>,
    ret_offset: usize,
    ret_len: usize,
}

/// The reference model engine.
#[derive(Debug, Default)]
pub struct ModelEngine {
    frames: Vec<Frame>,
    limit: u128,
    /// The case's memory pricing.
    pricing: MemoryPricing,
    ended: bool,
    bugs: ModelBugs,
    /// Global position and bytes of the last freed child (only used by the stale-bytes bug).
    graveyard: (usize, Vec<u8>),
    /// An outcome that does not end the frame (a CALL at the depth limit).
    soft_outcome: Outcome,
    /// Finished frames, kept so that their buffers are reused (allocation is slow under ASan).
    spare: Vec<Frame>,
    /// Bytes of every open frame together.
    total: usize,
}

type Step<T> = Result<T, Outcome>;

/// `C_mem(words) = word_cost·words + ⌊words²/quadratic_denominator⌋`, exact (Yellow Paper
/// appendix H with `pricing`'s parameters): the reference model's memory cost, written from the
/// rules, which the harness checks this crate's costs against (never against the crate's own
/// formula). A zero denominator prices nothing but the linear term.
pub fn model_memory_cost(pricing: MemoryPricing, words: u128) -> u128 {
    let quadratic = (words * words)
        .checked_div(pricing.quadratic_denominator as u128)
        .unwrap_or(0);
    pricing.word_cost as u128 * words + quadratic
}

/// A stack value as an offset or length: above 2^64 - 1 is an invalid operand.
fn operand(v: U256) -> Step<u64> {
    if v > U256::from(u64::MAX) {
        Err(Outcome::InvalidOperand)
    } else {
        Ok(v.to::<u64>())
    }
}

/// A stack value as a source offset into data: saturates.
fn source(v: U256) -> u64 {
    if v > U256::from(u64::MAX) {
        u64::MAX
    } else {
        v.to::<u64>()
    }
}

/// Fills `out` with `data[from .. from + out.len()]`, zeros past the end of `data`.
fn padded(out: &mut [u8], data: &[u8], from: u64) {
    out.fill(0);
    if (from as u128) < data.len() as u128 {
        let available = &data[from as usize..];
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
    }
}

impl ModelEngine {
    /// The correct model.
    pub fn new() -> Self {
        Self::default()
    }

    /// A model with deliberate bugs (for the oracle's self-test).
    pub fn with_bugs(bugs: ModelBugs) -> Self {
        Self {
            bugs,
            ..Self::default()
        }
    }

    /// `C_mem(words) = word_cost·words + ⌊words²/quadratic_denominator⌋` with the case's
    /// pricing (Yellow Paper appendix H, with its parameters), exact.
    fn cost(&self, words: u128) -> u128 {
        match self.bugs.quadratic_divisor {
            Some(divisor) => self.pricing.word_cost as u128 * words + words * words / divisor,
            None => model_memory_cost(self.pricing, words),
        }
    }

    fn frame(&mut self) -> &mut Frame {
        self.frames
            .last_mut()
            .expect("a frame is open while ops run")
    }

    /// Grows the current frame so that `[offset, offset + len)` is inside it (len > 0),
    /// charging `C_mem(new) - C_mem(old)`. Returns the gas charged.
    fn expand(&mut self, offset: u64, len: u64) -> Step<u64> {
        let word = self.bugs.word;
        let end = offset as u128 + len as u128;
        let new_words = end.div_ceil(word);
        let frame_len = self.frames.last().map_or(0, |f| f.memory.len());
        let old_words = frame_len as u128 / word;
        if new_words <= old_words {
            return Ok(0);
        }
        let below = (self.total - frame_len) as u128;
        if below + new_words * word > self.limit {
            return Err(Outcome::Limit);
        }
        let cost = self.cost(new_words) - self.cost(old_words);
        if cost > self.frame().gas as u128 {
            return Err(Outcome::OutOfGas);
        }
        let cost = cost as u64;
        let new_len = (new_words * word) as usize;
        let base = below as usize;
        let frame = self
            .frames
            .last_mut()
            .expect("a frame is open while ops run");
        frame.gas -= cost;
        let old_len = frame.memory.len();
        frame.memory.resize(new_len, 0);
        self.total += new_len - old_len;
        if self.bugs.stale_child_bytes {
            let (grave_at, grave) = (self.graveyard.0, &self.graveyard.1);
            for (i, byte) in frame.memory.iter_mut().enumerate().skip(old_len) {
                if let Some(b) = (base + i).checked_sub(grave_at).and_then(|p| grave.get(p)) {
                    *byte = *b;
                }
            }
        }
        Ok(cost)
    }

    fn run(&mut self, case: &Case, op: &Op, output: &mut Output) -> Step<u64> {
        match *op {
            Op::MStore { offset, value } => {
                let o = operand(offset)?;
                let gas = self.expand(o, 32)?;
                self.frame().memory[o as usize..o as usize + 32]
                    .copy_from_slice(&value.to_be_bytes::<32>());
                if self.bugs.stray_write {
                    self.stray_write(o as usize);
                }
                Ok(gas)
            }
            Op::MStore8 { offset, value } => {
                let o = operand(offset)?;
                let gas = self.expand(o, 1)?;
                self.frame().memory[o as usize] = value;
                Ok(gas)
            }
            Op::MLoad { offset } => {
                let o = operand(offset)? as usize;
                let gas = self.expand(o as u64, 32)?;
                let mut w = [0u8; 32];
                w.copy_from_slice(&self.frame().memory[o..o + 32]);
                *output = Output::Word(w);
                Ok(gas)
            }
            Op::MSize => {
                *output = Output::Size(self.frame().memory.len() as u64);
                Ok(0)
            }
            Op::MCopy { dst, src, len } => {
                let len = operand(len)?;
                if len == 0 {
                    return Ok(0);
                }
                let (dst, src) = (operand(dst)?, operand(src)?);
                let gas = self.expand(dst.max(src), len)?;
                let (dst, src, len) = (dst as usize, src as usize, len as usize);
                self.frame().memory.copy_within(src..src + len, dst);
                Ok(gas)
            }
            Op::CallDataCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                // Taken out for the copy, and put back.
                let data = core::mem::take(&mut self.frame().calldata);
                let copied = self.copy_in(mem_offset, data_offset, len, &data);
                self.frame().calldata = data;
                copied
            }
            Op::CodeCopy {
                mem_offset,
                data_offset,
                len,
            } => self.copy_in(mem_offset, data_offset, len, &case.code),
            Op::ReturnDataCopy {
                mem_offset,
                data_offset,
                len,
            } => {
                let len = operand(len)?;
                let from = source(data_offset);
                if from as u128 + len as u128 > self.frame().return_data.len() as u128 {
                    return Err(Outcome::ReturnDataOutOfBounds);
                }
                let data = core::mem::take(&mut self.frame().return_data);
                let copied = self.copy_in(mem_offset, data_offset, U256::from(len), &data);
                self.frame().return_data = data;
                copied
            }
            Op::Read { offset, len } => {
                let (gas, bytes) = self.read(offset, len)?;
                *output = Output::Bytes(bytes);
                Ok(gas)
            }
            Op::Call {
                args_offset,
                args_len,
                ret_offset,
                ret_len,
                gas: requested,
            } => {
                let mut charged = 0;
                let args_len = operand(args_len)?;
                let mut args = (0, 0);
                if args_len > 0 {
                    let o = operand(args_offset)?;
                    charged += self.expand(o, args_len)?;
                    args = (o as usize, args_len as usize);
                }
                let ret_len = operand(ret_len)?;
                let mut ret = (0, 0);
                if ret_len > 0 {
                    let o = operand(ret_offset)?;
                    charged += self.expand(o, ret_len)?;
                    ret = (o as usize, ret_len as usize);
                }
                let depth = self.frames.len() - 1;
                let caller = self.frame();
                caller.return_data.clear();
                if depth >= MAX_CALL_DEPTH {
                    self.soft_outcome = Outcome::CallDepth;
                    return Ok(charged);
                }
                let gas = child_gas(requested, caller.gas);
                caller.gas -= gas;
                let mut child = self.spare.pop().unwrap_or_default();
                child.memory.clear();
                child.return_data.clear();
                child.calldata.clear();
                let caller = self.frames.last().expect("the caller is open");
                child
                    .calldata
                    .extend_from_slice(&caller.memory[args.0..args.0 + args.1]);
                child.gas = gas;
                child.ret_offset = ret.0;
                child.ret_len = ret.1;
                self.frames.push(child);
                Ok(charged)
            }
            Op::Return { offset, len } | Op::Revert { offset, len } => {
                let (gas, bytes) = self.read(offset, len)?;
                *output = Output::Bytes(bytes);
                Ok(gas)
            }
            Op::Halt => Err(Outcome::Halted),
        }
    }

    /// The stray-write bug: after an MSTORE at `offset` of the current frame, one byte of the
    /// root frame outside the stored word changes.
    fn stray_write(&mut self, offset: usize) {
        let in_root = self.frames.len() == 1;
        let root = &mut self.frames[0].memory;
        let stored = |at: usize| in_root && (offset..offset + 32).contains(&at);
        let at = if !stored(0) {
            0
        } else if root.len() > 32 && !stored(root.len() - 1) {
            root.len() - 1
        } else {
            return;
        };
        if let Some(byte) = root.get_mut(at) {
            *byte = byte.wrapping_add(1);
        }
    }

    fn copy_in(
        &mut self,
        mem_offset: U256,
        data_offset: U256,
        len: U256,
        data: &[u8],
    ) -> Step<u64> {
        let len = operand(len)?;
        if len == 0 {
            return Ok(0);
        }
        let o = operand(mem_offset)?;
        let gas = self.expand(o, len)?;
        let region = &mut self.frame().memory[o as usize..o as usize + len as usize];
        padded(region, data, source(data_offset));
        Ok(gas)
    }

    fn read(&mut self, offset: U256, len: U256) -> Step<(u64, Vec<u8>)> {
        let len = operand(len)?;
        if len == 0 {
            return Ok((0, Vec::new()));
        }
        let o = operand(offset)?;
        let gas = self.expand(o, len)?;
        Ok((
            gas,
            self.frame().memory[o as usize..(o + len) as usize].to_vec(),
        ))
    }

    /// Ends the current child frame, showing its memory in `obs`; `output` is `Some` for
    /// RETURN/REVERT (gas goes back).
    fn end_child(&mut self, output: Option<&[u8]>, obs: &mut Observation) {
        let child = self.frames.pop().expect("a child is open");
        obs.set_ended_frame(&child.memory);
        self.total -= child.memory.len();
        if self.bugs.stale_child_bytes {
            let base: usize = self.frames.iter().map(|f| f.memory.len()).sum();
            self.graveyard = (base, child.memory.clone());
        }
        let caller = self.frames.last_mut().expect("the caller is open");
        caller.return_data.clear();
        if let Some(out) = output {
            caller.return_data.extend_from_slice(out);
            caller.gas += child.gas;
            let n = child.ret_len.min(out.len());
            caller.memory[child.ret_offset..child.ret_offset + n].copy_from_slice(&out[..n]);
        }
        self.spare.push(kept_for_reuse(child));
    }
}

/// Most bytes a finished frame keeps allocated for reuse (64 KiB): a larger one gives its
/// buffers back. Up to 1,024 spare frames are kept, and each would otherwise hold the largest
/// memory, calldata and return data its depth ever had, together far more than any one case.
const SPARE_KEEP: usize = 64 << 10;

/// `frame` as a spare: its buffers kept if they are small ([`SPARE_KEEP`]), else dropped.
fn kept_for_reuse(mut frame: Frame) -> Frame {
    for buffer in [
        &mut frame.memory,
        &mut frame.calldata,
        &mut frame.return_data,
    ] {
        if buffer.capacity() > SPARE_KEEP {
            *buffer = Vec::new();
        }
    }
    frame
}

impl Engine for ModelEngine {
    fn release_memory(&mut self) {
        self.spare = Vec::new();
        self.graveyard.1 = Vec::new();
    }

    fn name(&self) -> &'static str {
        "model"
    }

    fn begin(&mut self, case: &Case) {
        self.spare.extend(self.frames.drain(..).map(kept_for_reuse));
        let mut root = self.spare.pop().unwrap_or_default();
        root.memory.clear();
        root.return_data.clear();
        root.calldata.clear();
        root.calldata.extend_from_slice(&case.calldata);
        root.gas = case.gas;
        root.ret_offset = 0;
        root.ret_len = 0;
        self.frames.push(root);
        self.total = 0;
        self.limit = case.limit as u128;
        self.pricing = case.pricing;
        self.ended = false;
        self.graveyard = (0, Vec::new());
    }

    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        obs.clear();
        let mut output = Output::None;
        let result = self.run(case, op, &mut output);
        let is_root = self.frames.len() == 1;
        match (result, op) {
            (Ok(charged), Op::Return { .. } | Op::Revert { .. }) => {
                obs.outcome = if matches!(op, Op::Return { .. }) {
                    Outcome::Returned
                } else {
                    Outcome::Reverted
                };
                obs.gas_charged = charged;
                if is_root {
                    self.ended = true;
                    obs.gas_remaining = self.frame().gas;
                } else if let Output::Bytes(out) = &output {
                    self.end_child(Some(out), obs);
                }
            }
            (Ok(charged), _) => {
                obs.gas_charged = charged;
                obs.outcome = core::mem::take(&mut self.soft_outcome);
            }
            (Err(outcome), _) => {
                obs.outcome = outcome;
                output = Output::None;
                if is_root {
                    self.ended = true;
                    self.frame().gas = 0;
                } else {
                    self.end_child(None, obs);
                }
            }
        }
        obs.output = output;
        obs.ended = self.ended;
        if !self.ended {
            obs.gas_remaining = self.frame().gas;
        }
        obs.frames = self.frames.len();
        obs.size = self.frames.last().map_or(0, |f| f.memory.len());
        obs.total_size = self.total;
    }

    fn frame_sizes(&self, out: &mut Vec<usize>) {
        out.extend(self.frames.iter().map(|f| f.memory.len()));
    }

    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>> {
        self.frames
            .get(frame)
            .map(|open| FrameBytes::Slice(&open.memory))
    }
}
