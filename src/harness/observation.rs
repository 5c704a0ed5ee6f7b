//! What an engine shows after each op, normalised into one type that the oracle compares with
//! `==`: the outcome, the value or bytes read, the expansion gas the op charged, the gas left in
//! the frame, and every open frame's size and full contents.

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
}

impl Outcome {
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
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
    /// Size of each open frame, root first.
    pub frame_sizes: Vec<usize>,
    /// Every open frame's bytes, root first, back to back.
    pub memory: Vec<u8>,
}

impl Observation {
    /// Clears the observation for reuse, keeping its allocations.
    pub fn clear(&mut self) {
        self.outcome = Outcome::Ok;
        self.output = Output::None;
        self.gas_charged = 0;
        self.gas_remaining = 0;
        self.ended = false;
        self.frame_sizes.clear();
        self.memory.clear();
    }

    /// Appends one frame's bytes (root first).
    pub fn push_frame(&mut self, bytes: &[u8]) {
        self.frame_sizes.push(bytes.len());
        self.memory.extend_from_slice(bytes);
    }

    /// Depth of the current frame (0 for the root), or `None` when no frame is open.
    pub fn depth(&self) -> Option<usize> {
        self.frame_sizes.len().checked_sub(1)
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
            "outcome={:?} output={} gas_charged={} gas_remaining={} ended={} frame_sizes={:?}",
            self.outcome,
            self.output,
            self.gas_charged,
            self.gas_remaining,
            self.ended,
            self.frame_sizes
        )?;
        let mut start = 0;
        for (depth, &size) in self.frame_sizes.iter().enumerate() {
            let bytes = &self.memory[start..start + size];
            start += size;
            let nonzero = bytes.iter().filter(|&&b| b != 0).count();
            if size <= 128 {
                write!(f, "\n    frame {depth}: {}", hex(bytes))?;
            } else {
                write!(
                    f,
                    "\n    frame {depth}: {} … {} ({size} bytes, {nonzero} non-zero)",
                    hex(&bytes[..64]),
                    hex(&bytes[size - 64..]),
                )?;
            }
        }
        Ok(())
    }
}
