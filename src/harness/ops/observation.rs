//! What an engine shows after each op, normalised into one type that the oracle compares with
//! `==`: the outcome, the value or bytes read, the expansion gas the op charged, the gas left in
//! the frame, the frames' sizes, the memory of a child the op ended, and the memory bytes the
//! oracle chose to look at (every open frame's, or the regions the op could have written).

use std::fmt;

/// How an op ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// The op completed and the frame goes on.
    #[default]
    Ok,
    /// Memory expansion needed more gas than the frame had: the frame halts exceptionally.
    OutOfGas,
    /// Memory expansion would take the shared buffer past the limit: exceptional halt.
    Limit,
    /// An offset or length above 2^64 - 1 with a non-zero length: exceptional halt.
    InvalidOperand,
    /// RETURNDATACOPY past the end of the return data (EIP-211): exceptional halt.
    ReturnDataOutOfBounds,
    /// The allocator failed (only our memory can say so): exceptional halt.
    OutOfMemory,
    /// A CALL at the maximum depth: no child, the caller goes on.
    CallDepth,
    /// RETURN ended the frame.
    Returned,
    /// REVERT ended the frame.
    Reverted,
    /// INVALID ended the frame.
    Halted,
    /// An engine-specific failure that has no EVM meaning (always a bug).
    EngineError,
    /// The engine would have grown a frame past what the case pays for (by the rules' price)
    /// and was stopped before it did (see [`budget`](crate::harness::ops::budget)): never an EVM
    /// result, always a divergence.
    Runaway,
}

impl Outcome {
    /// Every outcome, in declaration order.
    pub const ALL: [Outcome; 12] = [
        Self::Ok,
        Self::OutOfGas,
        Self::Limit,
        Self::InvalidOperand,
        Self::ReturnDataOutOfBounds,
        Self::OutOfMemory,
        Self::CallDepth,
        Self::Returned,
        Self::Reverted,
        Self::Halted,
        Self::EngineError,
        Self::Runaway,
    ];

    /// `true` for the outcomes that end the frame as an exceptional halt.
    pub const fn is_exceptional(self) -> bool {
        matches!(
            self,
            Self::OutOfGas
                | Self::Limit
                | Self::InvalidOperand
                | Self::ReturnDataOutOfBounds
                | Self::OutOfMemory
                | Self::Halted
                | Self::EngineError
                | Self::Runaway
        )
    }

    /// `true` for the outcomes that end the frame that ran the op.
    pub const fn ends_frame(self) -> bool {
        self.is_exceptional() || matches!(self, Self::Returned | Self::Reverted)
    }
}

/// The value an op produced, if any.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Output {
    /// Nothing observable.
    #[default]
    None,
    /// MLOAD's word.
    Word([u8; 32]),
    /// MSIZE's value.
    Size(u64),
    /// The bytes a read, RETURN or REVERT saw.
    Bytes(Vec<u8>),
}

/// One engine's view after one op.
///
/// An engine's [`step`](crate::harness::Engine::step) fills everything the op could have
/// changed that costs O(1) to show — outcome, output, gas, the number of open frames, the
/// current frame's size, the size of all frames together — and, when the op ended a child, that
/// child's whole memory as it was when it ended. What else the oracle compares is its choice
/// ([`Oracle`](crate::harness::Oracle)): every open frame's size and bytes
/// ([`observe_all`](crate::harness::ops::engine::observe_all)) after every op in the full mode; in
/// the fast mode, the bytes the op could have written, and everything only now and then.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// How the op ended.
    pub outcome: Outcome,
    /// What it produced.
    pub output: Output,
    /// Expansion gas the op charged in the frame that ran it (0 when it failed).
    pub gas_charged: u64,
    /// Gas left in the current frame after the op (after a frame ended, its caller's; after the
    /// root ended, 0 for a halt and what was left for RETURN/REVERT).
    pub gas_remaining: u64,
    /// `true` once the root frame has ended: no further op runs.
    pub ended: bool,
    /// Open frames after the op (1 while only the root is open; the root stays open after it
    /// ended).
    pub frames: usize,
    /// Size of the current (innermost open) frame.
    pub size: usize,
    /// Size of every open frame together (the shared buffer).
    pub total_size: usize,
    /// When the op ended a child frame: that frame's whole memory when it ended.
    pub ended_frame: Option<Vec<u8>>,
    /// Size of each open frame, root first — when the oracle looked at every frame (empty
    /// otherwise).
    pub frame_sizes: Vec<usize>,
    /// The memory bytes the oracle looked at, back to back: every open frame's, root first,
    /// when it looked at every frame; otherwise the regions it chose, in its order.
    pub memory: Vec<u8>,
    /// Buffers kept for reuse (never compared).
    spare: Spare,
}

/// Allocations an [`Observation`] keeps between ops.
#[derive(Clone, Debug, Default)]
struct Spare {
    output: Vec<u8>,
    ended_frame: Vec<u8>,
}

impl PartialEq for Observation {
    fn eq(&self, other: &Self) -> bool {
        self.same_step(other)
            && self.frame_sizes == other.frame_sizes
            && self.memory == other.memory
    }
}

impl Eq for Observation {}

impl Observation {
    /// Clears the observation for reuse, keeping its allocations.
    pub fn clear(&mut self) {
        self.outcome = Outcome::Ok;
        if let Output::Bytes(bytes) = core::mem::take(&mut self.output) {
            self.spare.output = bytes;
        }
        self.gas_charged = 0;
        self.gas_remaining = 0;
        self.ended = false;
        self.frames = 0;
        self.size = 0;
        self.total_size = 0;
        if let Some(bytes) = self.ended_frame.take() {
            self.spare.ended_frame = bytes;
        }
        self.frame_sizes.clear();
        self.memory.clear();
    }

    /// Sets the output to `bytes`, reusing the allocation of an earlier output.
    pub fn set_output_bytes(&mut self, bytes: &[u8]) {
        let mut out = core::mem::take(&mut self.spare.output);
        out.clear();
        out.extend_from_slice(bytes);
        self.output = Output::Bytes(out);
    }

    /// Records that the op ended a child whose memory was `bytes`, reusing an earlier
    /// allocation.
    pub fn set_ended_frame(&mut self, bytes: &[u8]) {
        let mut out = core::mem::take(&mut self.spare.ended_frame);
        out.clear();
        out.extend_from_slice(bytes);
        self.ended_frame = Some(out);
    }

    /// Whether `self` and `other` agree on everything but [`frame_sizes`](Self::frame_sizes)
    /// and [`memory`](Self::memory): what an engine's [`step`](crate::harness::Engine::step)
    /// shows. (The numbers are compared in one test, so that fuzz builds, which trace every
    /// comparison, spend little on it.)
    pub fn same_step(&self, other: &Observation) -> bool {
        let numbers = (self.outcome as u64 ^ other.outcome as u64)
            | (self.gas_charged ^ other.gas_charged)
            | (self.gas_remaining ^ other.gas_remaining)
            | u64::from(self.ended ^ other.ended)
            | (self.frames ^ other.frames) as u64
            | (self.size ^ other.size) as u64
            | (self.total_size ^ other.total_size) as u64;
        numbers == 0 && self.output == other.output && self.ended_frame == other.ended_frame
    }

    /// Copies what [`same_step`](Self::same_step) compares but the output and the ended
    /// frame (the numbers) from `other`.
    pub fn assign_numbers(&mut self, other: &Observation) {
        self.outcome = other.outcome;
        self.gas_charged = other.gas_charged;
        self.gas_remaining = other.gas_remaining;
        self.ended = other.ended;
        self.frames = other.frames;
        self.size = other.size;
        self.total_size = other.total_size;
    }

    /// Copies `other` into `self`, reusing `self`'s allocations.
    pub fn assign(&mut self, other: &Observation) {
        self.clear();
        self.assign_numbers(other);
        match &other.output {
            Output::Bytes(bytes) => self.set_output_bytes(bytes),
            output => self.output = output.clone(),
        }
        if let Some(bytes) = &other.ended_frame {
            self.set_ended_frame(bytes);
        }
        self.frame_sizes.extend_from_slice(&other.frame_sizes);
        self.memory.extend_from_slice(&other.memory);
    }

    /// Appends one frame's bytes (root first).
    pub fn push_frame(&mut self, bytes: &[u8]) {
        self.frame_sizes.push(bytes.len());
        self.memory.extend_from_slice(bytes);
    }

    /// Depth of the current frame (0 for the root), or `None` when no frame is open.
    pub fn depth(&self) -> Option<usize> {
        self.frames.checked_sub(1)
    }

    /// `true` when [`frame_sizes`](Self::frame_sizes) and [`memory`](Self::memory) hold every
    /// open frame.
    pub fn is_whole(&self) -> bool {
        self.frame_sizes.len() == self.frames && self.memory.len() == self.total_size
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::None => f.write_str("-"),
            Output::Word(w) => f.write_str(&hex(w)),
            Output::Size(s) => write!(f, "{s}"),
            Output::Bytes(b) => f.write_str(&hex(b)),
        }
    }
}

/// Shows long memory as its head, tail and non-zero count, so reports stay readable.
impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "outcome={:?} output={} gas_charged={} gas_remaining={} ended={} frames={} size={} \
             total_size={}",
            self.outcome,
            self.output,
            self.gas_charged,
            self.gas_remaining,
            self.ended,
            self.frames,
            self.size,
            self.total_size,
        )?;
        if let Some(bytes) = &self.ended_frame {
            write!(f, "\n    ended child: {}", Frame(bytes))?;
        }
        if self.is_whole() {
            write!(f, "\n    frame_sizes={:?}", self.frame_sizes)?;
            let mut start = 0;
            for (depth, &size) in self.frame_sizes.iter().enumerate() {
                let bytes = &self.memory[start..start + size];
                start += size;
                write!(f, "\n    frame {depth}: {}", Frame(bytes))?;
            }
        } else if !self.memory.is_empty() {
            write!(f, "\n    bytes compared: {}", Frame(&self.memory))?;
        }
        Ok(())
    }
}

/// A frame's bytes: all of them when few, else the head, the tail and the non-zero count.
struct Frame<'a>(&'a [u8]);

impl fmt::Display for Frame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0;
        let size = bytes.len();
        if size <= 128 {
            return f.write_str(&hex(bytes));
        }
        let nonzero = bytes.iter().filter(|&&b| b != 0).count();
        write!(
            f,
            "{} … {} ({size} bytes, {nonzero} non-zero)",
            hex(&bytes[..64]),
            hex(&bytes[size - 64..]),
        )
    }
}
