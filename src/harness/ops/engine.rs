//! The [`Engine`] trait every memory implementation is driven through, one adapter file each
//! under `engines/`.

use std::cell::Ref;
use std::ops::{Deref, Range};

use super::budget::{Growth, Quote};
use super::case::Case;
use super::case::Op;
use super::observation::Observation;

/// A memory implementation that can run a [`Case`] op by op.
///
/// `begin` sets the engine up for a case (reusing its allocations); `step` runs one op and
/// fills what it shows cheaply (see [`Observation`]); `frame_sizes` and `frame_bytes` show the
/// rest when the oracle asks. After an observation with `ended`, `step` is not called again for
/// that case.
pub trait Engine {
    /// Short name used in reports.
    fn name(&self) -> &'static str;
    /// Prepares for `case`: an empty root frame with the case's limit, gas and calldata.
    fn begin(&mut self, case: &Case);
    /// Runs `op` in the current frame and records what happened: everything but
    /// [`frame_sizes`](Observation::frame_sizes) and [`memory`](Observation::memory), which are
    /// left empty (`obs` is cleared first).
    fn step(&mut self, case: &Case, op: &Op, obs: &mut Observation);
    /// Appends the size of every open frame to `out`, root first.
    fn frame_sizes(&self, out: &mut Vec<usize>);
    /// The bytes of open frame `frame` (0 is the root), lent in place (the oracle compares
    /// engines' frames without copying them); `None` for a frame that is not open.
    fn frame(&self, frame: usize) -> Option<FrameBytes<'_>>;
    /// Appends the bytes `range` of open frame `frame` to `out`, clipped to the frame (nothing
    /// for a frame that is not open).
    fn frame_bytes(&self, frame: usize, range: Range<usize>, out: &mut Vec<u8>) {
        if let Some(bytes) = self.frame(frame) {
            out.extend_from_slice(&bytes[clip(range, bytes.len())]);
        }
    }
    /// Whether the engine declines `case`, and why: an engine declines a case it cannot run
    /// faithfully (something the case asks for that the implementation has no way to express),
    /// with the reason, a short fixed text. The oracle and the vector runner count declines by
    /// engine and reason and leave the engine out of that case; a decline is not a failure.
    /// `None` (the default): the engine runs every case.
    fn declines(&self, case: &Case) -> Option<&'static str> {
        let _ = case;
        None
    }
    /// Whether the engine would make `growth` of its current frame if the next op asked for it,
    /// and for how much gas by its own pricing, answered without changing anything. The oracle
    /// asks before an op whose growth the rules refuse and that is large
    /// ([`guarded`](super::budget::guarded)); an engine that would make it is not run (it
    /// would grow past what the case pays for: see [`budget`](super::budget)). The default,
    /// [`Quote::Unknown`], runs the engine unguarded.
    fn would_grow(&self, growth: &Growth) -> Quote {
        let _ = growth;
        Quote::Unknown
    }
    /// Drops what the engine keeps from case to case for reuse (its buffers, grown to the
    /// largest case it ran), so that a case with large frames does not leave them held for
    /// every case after it. The oracle calls it after such a case
    /// ([`Oracle::release_memory`](super::Oracle::release_memory)). The default does nothing
    /// (an engine that keeps nothing, or lives in another process).
    fn release_memory(&mut self) {}
    /// What the engine has done since [`begin`](Self::begin) that the campaign's reach section
    /// counts (nothing for an engine that does not count).
    fn reach(&self) -> Reach {
        Reach::default()
    }
    /// Why the engine could not run the case it began, once it could not (an engine in another
    /// process that did not start, exited, ran out of time or replied nonsense): the oracle
    /// then ends the case *not comparable* for that engine, counted by reason, and blames no
    /// engine. `None` (the default): the engine has not failed.
    fn failure(&self) -> Option<EngineFailure> {
        None
    }
    /// The bytes `range` of open frame `frame`, clipped to it (`None` for a frame that is not
    /// open): what the oracle's fast mode compares. The default lends [`frame`](Self::frame)'s
    /// bytes; an engine for which a whole frame is costly to show (another process) overrides
    /// it.
    fn frame_range(&self, frame: usize, range: Range<usize>) -> Option<FrameBytes<'_>> {
        self.frame(frame).map(|bytes| bytes.clipped(range))
    }
}

/// Why an engine could not run a case ([`Engine::failure`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineFailure {
    /// The kind of failure, a short fixed text the report counts by: `did not start`,
    /// `exited`, `timed out`, `malformed reply`, `protocol version`, `engine error`.
    pub reason: &'static str,
    /// What happened, in full: the engine, the op and what it did or said.
    pub detail: String,
}

/// A frame's bytes as an engine lends them: a plain slice, or one borrowed from a `RefCell`
/// (revm's shared buffer).
pub enum FrameBytes<'a> {
    /// A slice of the engine's memory.
    Slice(&'a [u8]),
    /// A slice of a buffer behind a `RefCell`.
    Cell(Ref<'a, [u8]>),
}

impl<'a> FrameBytes<'a> {
    /// The part of these bytes inside `range` (clipped).
    pub fn clipped(self, range: Range<usize>) -> FrameBytes<'a> {
        let within = clip(range, self.len());
        match self {
            Self::Slice(bytes) => Self::Slice(&bytes[within]),
            Self::Cell(bytes) => Self::Cell(Ref::map(bytes, |b| &b[within])),
        }
    }
}

impl Deref for FrameBytes<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Self::Slice(bytes) => bytes,
            Self::Cell(bytes) => bytes,
        }
    }
}

/// Paths of the memory under test that a case reached, counted by its adapter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Calls into the memory with a zero length (an expansion, copy, read or return of
    /// nothing, at any offset).
    pub zero_length_calls: u64,
    /// Growths inside a child frame that reallocated the shared buffer (its capacity changed;
    /// the allocator may have moved it).
    pub child_reallocations: u64,
}

impl Reach {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: Reach) {
        self.zero_length_calls += other.zero_length_calls;
        self.child_reallocations += other.child_reallocations;
    }
}

/// Fills `obs`'s [`frame_sizes`](Observation::frame_sizes) and [`memory`](Observation::memory)
/// with every open frame of `engine` (what the full mode compares after every op).
pub fn observe_all(engine: &dyn Engine, obs: &mut Observation) {
    obs.frame_sizes.clear();
    obs.memory.clear();
    engine.frame_sizes(&mut obs.frame_sizes);
    for (frame, &size) in obs.frame_sizes.iter().enumerate() {
        engine.frame_bytes(frame, 0..size, &mut obs.memory);
    }
}

/// Runs `op` and observes everything: [`Engine::step`], then [`observe_all`].
pub fn step_whole(engine: &mut dyn Engine, case: &Case, op: &Op, obs: &mut Observation) {
    engine.step(case, op, obs);
    observe_all(engine, obs);
}

/// The part of `range` inside a frame of `size` bytes.
pub fn clip(range: Range<usize>, size: usize) -> Range<usize> {
    let end = range.end.min(size);
    range.start.min(end)..end
}
