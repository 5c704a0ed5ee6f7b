//! Mutants of ours: [`OursEngine`] with one realistic bug planted, each named
//! (`mutant:NAME`, see [`MUTANTS`]) and selectable with `EVM_MEMORY_ENGINES` like any engine,
//! never part of the default set.
//!
//! They exist to measure the harness, not the memory: how soon a fuzz target, a build of it
//! (`conformance fuzz-find`) or the oracle's self-tests find a bug that a memory written from
//! the rules could plausibly have. Each bug is planted around the real memory (the adapter
//! changes what the memory did after the op, as the buggy memory would have done it), so that
//! the memory itself carries no switch on its hot path.
//!
//! | name | the bug | what shows it |
//! |---|---|---|
//! | `no-zero-fill` | CALLDATACOPY and CODECOPY copy the bytes the source has and leave the rest of the destination as it was, instead of writing zeros past the source's end | a copy reading past the end of calldata or code over bytes already written |
//! | `mcopy-forward` | MCOPY copies byte by byte from the front, so an overlapping copy to a higher address reads bytes it has already overwritten | an overlapping MCOPY with `dst > src` |
//! | `gas-u32` | the quadratic term of the expansion cost is computed in 32-bit words and wraps, under-charging from 2 MiB up | a growth to 2 MiB or more (mainnet pricing) |
//! | `stale-buffer` | bytes a returned child left in the shared buffer are not zeroed when a frame later grows over them | a child that writes and returns, then a growth over the same part of the buffer |
//! | `false-oom` | where rounding a region's end up to a word overflows, the growth planner answers `OutOfMemory` instead of the limit error | a region ending within 31 bytes of `usize::MAX` |

use super::ours::OursEngine;
use crate::harness::ops::budget::{Growth, Quote};
use crate::harness::ops::case::{Case, Op};
use crate::harness::ops::engine::{Engine, FrameBytes, Reach};
use crate::harness::ops::observation::{Observation, Outcome};
use crate::{saturating_usize, to_usize, MemoryPricing, U256};

/// The prefix of a mutant's engine name.
pub const MUTANT_PREFIX: &str = "mutant:";

/// Every mutant's name (without [`MUTANT_PREFIX`]) and its bug in a few words.
pub const MUTANTS: [(&str, &str); 5] = [
    (
        "no-zero-fill",
        "CALLDATACOPY/CODECOPY leave the destination as it was past the source's end",
    ),
    (
        "mcopy-forward",
        "MCOPY copies forward byte by byte, smearing an overlapping copy to a higher address",
    ),
    (
        "gas-u32",
        "the quadratic memory cost is computed in 32 bits and wraps from 2 MiB up",
    ),
    (
        "stale-buffer",
        "a returned child's bytes are not zeroed when a frame grows over them again",
    ),
    (
        "false-oom",
        "OutOfMemory instead of the limit error where a region's end rounded up overflows",
    ),
];

/// Most bytes a mutant copies to plant its bug in one op (larger ops run unmutated, so that a
/// mutant costs what ours costs).
const MOST_BYTES: usize = 1 << 20;

/// Which bug a [`MutantEngine`] carries (see the [module](self) documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// `no-zero-fill`.
    NoZeroFill,
    /// `mcopy-forward`.
    McopyForward,
    /// `gas-u32`.
    GasU32,
    /// `stale-buffer`.
    StaleBuffer,
    /// `false-oom`.
    FalseOom,
}

impl Mutation {
    /// The mutation called `name` (without [`MUTANT_PREFIX`]).
    pub fn by_name(name: &str) -> Option<Self> {
        Some(match name {
            "no-zero-fill" => Self::NoZeroFill,
            "mcopy-forward" => Self::McopyForward,
            "gas-u32" => Self::GasU32,
            "stale-buffer" => Self::StaleBuffer,
            "false-oom" => Self::FalseOom,
            _ => return None,
        })
    }

    /// The engine name of the mutant carrying it (`mutant:NAME`).
    pub const fn engine_name(self) -> &'static str {
        match self {
            Self::NoZeroFill => "mutant:no-zero-fill",
            Self::McopyForward => "mutant:mcopy-forward",
            Self::GasU32 => "mutant:gas-u32",
            Self::StaleBuffer => "mutant:stale-buffer",
            Self::FalseOom => "mutant:false-oom",
        }
    }
}

/// What a mutant keeps from before an op to plant its bug after it.
#[derive(Debug, Default)]
struct Before {
    frames: usize,
    size: usize,
    base: usize,
    /// Where the kept bytes go back (an offset in the current frame), and the bytes.
    restore: Option<usize>,
    bytes: Vec<u8>,
}

/// [`OursEngine`] with one bug planted (see the [module](self) documentation).
#[derive(Debug)]
pub struct MutantEngine {
    inner: OursEngine,
    mutation: Mutation,
    before: Before,
    /// `stale-buffer`: the bytes the last returned child left, and where they start in the
    /// shared buffer.
    stale: Option<(usize, Vec<u8>)>,
}

impl MutantEngine {
    /// Ours with `mutation` planted.
    pub fn new(mutation: Mutation) -> Self {
        Self {
            inner: OursEngine::new(),
            mutation,
            before: Before::default(),
            stale: None,
        }
    }

    /// The mutant called `name` (`mutant:NAME`).
    ///
    /// # Errors
    /// An unknown mutant, with the known ones.
    pub fn by_name(name: &str) -> Result<Self, String> {
        name.strip_prefix(MUTANT_PREFIX)
            .and_then(Mutation::by_name)
            .map(Self::new)
            .ok_or_else(|| {
                let known: Vec<String> = MUTANTS
                    .iter()
                    .map(|(n, _)| format!("{MUTANT_PREFIX}{n}"))
                    .collect();
                format!("unknown mutant `{name}` (known: {})", known.join(", "))
            })
    }

    /// Keeps the bytes `[at, at + len)` of the current frame (zeros past its end).
    fn keep(&mut self, at: usize, len: usize) {
        let memory = self.inner.memory();
        let frame = memory.as_slice();
        self.before.bytes.clear();
        let end = at.saturating_add(len).min(frame.len());
        if at < end {
            self.before.bytes.extend_from_slice(&frame[at..end]);
        }
        self.before.bytes.resize(len, 0);
    }

    /// Records what the bug needs before `op` runs.
    fn prepare(&mut self, case: &Case, op: &Op) {
        let memory = self.inner.memory();
        self.before.frames = memory.depth() + 1;
        self.before.size = memory.size();
        self.before.base = memory.context_offset();
        self.before.restore = None;
        match (self.mutation, op) {
            (
                Mutation::NoZeroFill,
                &Op::CallDataCopy {
                    mem_offset,
                    data_offset,
                    len,
                }
                | &Op::CodeCopy {
                    mem_offset,
                    data_offset,
                    len,
                },
            ) => {
                let (Ok(o), Ok(len)) = (to_usize(mem_offset), to_usize(len)) else {
                    return;
                };
                let source = match op {
                    Op::CodeCopy { .. } => case.code.len(),
                    _ => self.inner.calldata_len(case),
                };
                let has = source
                    .saturating_sub(saturating_usize(data_offset))
                    .min(len);
                // The part past the source's end that held bytes before the op.
                let start = o.saturating_add(has);
                let end = o.saturating_add(len).min(self.before.size);
                if start < end && end - start <= MOST_BYTES {
                    self.keep(start, end - start);
                    self.before.restore = Some(start);
                }
            }
            (Mutation::McopyForward, &Op::MCopy { dst, src, len }) => {
                let (Ok(dst), Ok(src), Ok(len)) = (to_usize(dst), to_usize(src), to_usize(len))
                else {
                    return;
                };
                if len == 0 || len > MOST_BYTES || dst <= src || dst - src >= len {
                    return;
                }
                // The source and the destination, as they were: the forward copy is replayed
                // on them after the op.
                self.keep(src, dst - src + len);
                self.before.restore = Some(src);
            }
            _ => {}
        }
    }

    /// Plants the bug in what `op` did.
    fn plant(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        let unchanged = obs.frames == self.before.frames && obs.outcome == Outcome::Ok;
        match self.mutation {
            Mutation::NoZeroFill => {
                if let (true, Some(at)) = (unchanged, self.before.restore) {
                    self.write(at, 0);
                }
            }
            Mutation::McopyForward => {
                if let (true, Some(at), &Op::MCopy { dst, src, .. }) =
                    (unchanged, self.before.restore, op)
                {
                    let shift = saturating_usize(dst) - saturating_usize(src);
                    let bytes = &mut self.before.bytes;
                    for i in 0..bytes.len() - shift {
                        bytes[shift + i] = bytes[i];
                    }
                    self.write(at + shift, shift);
                }
            }
            Mutation::GasU32 => {
                if unchanged
                    && obs.size > self.before.size
                    && case.pricing == MemoryPricing::MAINNET
                {
                    let (from, to) = ((self.before.size / 32) as u64, (obs.size / 32) as u64);
                    if to >= 1 << 16 {
                        let exact = quadratic(to) - quadratic(from);
                        let wrapped = wrapped_quadratic(to).saturating_sub(wrapped_quadratic(from));
                        let charged = obs.gas_charged.saturating_sub(exact) + wrapped;
                        obs.gas_remaining =
                            (obs.gas_remaining + obs.gas_charged).saturating_sub(charged);
                        obs.gas_charged = charged;
                    }
                }
            }
            Mutation::StaleBuffer => {
                if obs.frames < self.before.frames {
                    if let Some(bytes) = obs.ended_frame.as_deref() {
                        if bytes.len() <= MOST_BYTES {
                            let mut kept = self.stale.take().map(|(_, v)| v).unwrap_or_default();
                            kept.clear();
                            kept.extend_from_slice(bytes);
                            self.stale = Some((self.before.base, kept));
                        }
                    }
                } else if obs.frames == self.before.frames && obs.size > self.before.size {
                    self.leak_stale(obs.size);
                }
            }
            Mutation::FalseOom => {
                if obs.outcome == Outcome::Limit && region_end_overflows(op) {
                    obs.outcome = Outcome::OutOfMemory;
                }
            }
        }
    }

    /// Writes the kept bytes from `skip` on at `at` in the current frame.
    fn write(&mut self, at: usize, skip: usize) {
        let bytes = &self.before.bytes[skip..];
        if let Ok(dst) = self.inner.memory_mut().slice_mut(at, bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }

    /// `stale-buffer`: the part of the last returned child's bytes that the current frame has
    /// just grown over (from its size before the op to `size`) shows through.
    fn leak_stale(&mut self, size: usize) {
        let Some((start, bytes)) = &self.stale else {
            return;
        };
        let grown = self.before.base + self.before.size..self.before.base + size;
        let from = grown.start.max(*start);
        let to = grown.end.min(start + bytes.len());
        if from >= to {
            return;
        }
        let part = bytes[from - start..to - start].to_vec();
        let at = from - self.before.base;
        if let Ok(dst) = self.inner.memory_mut().slice_mut(at, part.len()) {
            dst.copy_from_slice(&part);
        }
    }
}

/// Mainnet's quadratic term, `⌊w²/512⌋`.
fn quadratic(words: u64) -> u64 {
    ((u128::from(words) * u128::from(words)) / 512) as u64
}

/// The quadratic term with `w²` computed in 32 bits (wrapping), as the `gas-u32` bug does.
fn wrapped_quadratic(words: u64) -> u64 {
    let w = words as u32;
    u64::from(w.wrapping_mul(w)) / 512
}

/// Whether the region of `op` that reaches furthest (of the regions it expands the frame over)
/// fits a `usize` but its end rounded up to a word does not.
pub fn region_end_overflows(op: &Op) -> bool {
    let end = |(o, l): (U256, U256)| o.checked_add(l).unwrap_or(U256::MAX);
    let Some((offset, len)) = op
        .memory_regions()
        .into_iter()
        .flatten()
        .max_by_key(|r| end(*r))
    else {
        return false;
    };
    let (Ok(offset), Ok(len)) = (usize::try_from(offset), usize::try_from(len)) else {
        return false;
    };
    len > 0
        && offset
            .checked_add(len)
            .is_some_and(|end| end.checked_add(31).is_none())
}

impl Engine for MutantEngine {
    fn name(&self) -> &'static str {
        self.mutation.engine_name()
    }

    fn begin(&mut self, case: &Case) {
        self.inner.begin(case);
        self.stale = None;
    }

    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation) {
        self.prepare(case, op);
        self.inner.step(case, op, obs);
        self.plant(case, op, obs);
    }

    fn frame_sizes(&self, out: &mut Vec<usize>) {
        self.inner.frame_sizes(out);
    }

    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>> {
        self.inner.frame(frame)
    }

    fn reach(&self) -> Reach {
        self.inner.reach()
    }

    fn release_memory(&mut self) {
        self.inner.release_memory();
        self.before.bytes = Vec::new();
        self.stale = None;
    }

    fn would_grow(&self, growth: &Growth) -> Quote {
        self.inner.would_grow(growth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (name, _) in MUTANTS {
            let engine = MutantEngine::by_name(&format!("{MUTANT_PREFIX}{name}")).unwrap();
            assert_eq!(engine.name(), format!("{MUTANT_PREFIX}{name}"));
        }
        let e = MutantEngine::by_name("mutant:nope").unwrap_err();
        assert!(e.contains("mutant:gas-u32"), "{e}");
    }

    #[test]
    fn the_wrapped_term_under_charges_from_2_mib() {
        assert_eq!(wrapped_quadratic(65_535), quadratic(65_535));
        assert!(wrapped_quadratic(65_536) < quadratic(65_536));
    }
}
