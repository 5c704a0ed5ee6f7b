//! The op model: a [`Case`] is an environment (memory limit, root gas, calldata, code) and a
//! sequence of [`Op`]s, each what one EVM instruction does to memory, with its stack operands
//! as 256-bit values.
//!
//! Only memory expansion gas is modelled: an op's static gas and copy costs are not charged, so
//! gas runs out exactly where memory pricing makes it run out. That pricing is the case's own
//! (mainnet's unless it says otherwise), and every engine prices the same way.

use crate::{MemoryPricing, U256};

/// The 4 GiB default limit, as a `u64`.
pub const DEFAULT_LIMIT: u64 = crate::MAX_MEMORY_LIMIT;

/// Largest root gas budget a generated case gets (a block gas limit): it bounds memory to a few
/// MiB so that cases stay fast.
pub const MAX_ROOT_GAS: u64 = 30_000_000;

/// Maximum call depth, as in the EVM: a CALL made at this depth fails without entering a child.
pub const MAX_CALL_DEPTH: usize = 1024;

/// Most ops a generated case holds, as the input spells them out (a deep case repeats its calls:
/// see [`MAX_CASE_OPS`]).
pub const MAX_OPS: usize = 512;

/// Most ops a case holds once its repeated calls are spelled out: room for a chain of
/// [`MAX_CALL_DEPTH`] calls and more.
pub const MAX_CASE_OPS: usize = 4096;

/// Frames of this size and more are *large*: their word count squared passes 2^32 (2^16 words),
/// which no 32-bit intermediate holds.
pub const LARGE_FRAME: usize = 2 << 20;

/// The default limit of a case that asks for large frames (a generated one; any case may set its
/// own): 16 MiB, so that a case's engines stay far below a fuzzer's memory budget.
pub const LARGE_LIMIT: u64 = 16 << 20;

/// The root gas of a case that asks for large frames or deep call chains: enough for a chain of
/// [`MAX_CALL_DEPTH`] calls each expanding its caller by two words (a child gets 63/64 of what
/// its caller has left, so the bottom of the chain has about 10^-7 of the root's gas), and
/// several times mainnet's cost of a [`LARGE_LIMIT`] memory (5.4·10^8). Below 2^32, so that a
/// generated case's gas is a `u32`.
pub const LARGE_GAS: u64 = 4_000_000_000;

/// One EVM instruction's effect on memory. Offsets and lengths are stack values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// MSTORE: `value` (big-endian) at `offset`.
    MStore {
        /// Destination offset.
        offset: U256,
        /// The word stored.
        value: U256,
    },
    /// MSTORE8: the low byte of the stack value at `offset`.
    MStore8 {
        /// Destination offset.
        offset: U256,
        /// The byte stored.
        value: u8,
    },
    /// MLOAD: the word at `offset`.
    MLoad {
        /// Source offset.
        offset: U256,
    },
    /// MSIZE.
    MSize,
    /// MCOPY (EIP-5656).
    MCopy {
        /// Destination offset.
        dst: U256,
        /// Source offset.
        src: U256,
        /// Bytes copied.
        len: U256,
    },
    /// CALLDATACOPY: the root frame's calldata is the case's; a child's is its parent's CALL
    /// argument region.
    CallDataCopy {
        /// Destination offset in memory.
        mem_offset: U256,
        /// Source offset in calldata (past the end reads zeros).
        data_offset: U256,
        /// Bytes copied.
        len: U256,
    },
    /// CODECOPY (and EXTCODECOPY's memory side): copies from the case's code with zero padding.
    CodeCopy {
        /// Destination offset in memory.
        mem_offset: U256,
        /// Source offset in the code (past the end reads zeros).
        data_offset: U256,
        /// Bytes copied.
        len: U256,
    },
    /// RETURNDATACOPY: copies from the last child's return data; reading past its end is an
    /// exceptional halt (EIP-211), not padding.
    ReturnDataCopy {
        /// Destination offset in memory.
        mem_offset: U256,
        /// Source offset in the return data.
        data_offset: U256,
        /// Bytes copied.
        len: U256,
    },
    /// A read of a region (KECCAK256, LOG): expands over it and observes its bytes.
    Read {
        /// Region offset.
        offset: U256,
        /// Region length.
        len: U256,
    },
    /// CALL: expands the caller over the argument region, then the return region, then enters a
    /// child with `min(gas, all but one 64th of what is left)`.
    Call {
        /// Argument region offset (the child's calldata).
        args_offset: U256,
        /// Argument region length.
        args_len: U256,
        /// Return region offset.
        ret_offset: U256,
        /// Return region length.
        ret_len: U256,
        /// Gas requested for the child.
        gas: u64,
    },
    /// RETURN: expands over the region and ends the frame with its bytes as output; in a child,
    /// `min(len, ret_len)` bytes land in the caller's return region and unused gas goes back.
    Return {
        /// Output region offset.
        offset: U256,
        /// Output region length.
        len: U256,
    },
    /// REVERT: as RETURN for memory and gas.
    Revert {
        /// Output region offset.
        offset: U256,
        /// Output region length.
        len: U256,
    },
    /// An exceptional halt (INVALID): the frame ends, returns nothing and keeps none of its gas.
    Halt,
}

/// The kinds of [`Op`], for statistics and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// [`Op::MStore`]
    MStore,
    /// [`Op::MStore8`]
    MStore8,
    /// [`Op::MLoad`]
    MLoad,
    /// [`Op::MSize`]
    MSize,
    /// [`Op::MCopy`]
    MCopy,
    /// [`Op::CallDataCopy`]
    CallDataCopy,
    /// [`Op::CodeCopy`]
    CodeCopy,
    /// [`Op::ReturnDataCopy`]
    ReturnDataCopy,
    /// [`Op::Read`]
    Read,
    /// [`Op::Call`]
    Call,
    /// [`Op::Return`]
    Return,
    /// [`Op::Revert`]
    Revert,
    /// [`Op::Halt`]
    Halt,
}

impl OpKind {
    /// Every kind, in declaration order.
    pub const ALL: [OpKind; 13] = [
        Self::MStore,
        Self::MStore8,
        Self::MLoad,
        Self::MSize,
        Self::MCopy,
        Self::CallDataCopy,
        Self::CodeCopy,
        Self::ReturnDataCopy,
        Self::Read,
        Self::Call,
        Self::Return,
        Self::Revert,
        Self::Halt,
    ];

    /// The EVM mnemonic.
    pub const fn name(self) -> &'static str {
        match self {
            Self::MStore => "MSTORE",
            Self::MStore8 => "MSTORE8",
            Self::MLoad => "MLOAD",
            Self::MSize => "MSIZE",
            Self::MCopy => "MCOPY",
            Self::CallDataCopy => "CALLDATACOPY",
            Self::CodeCopy => "CODECOPY",
            Self::ReturnDataCopy => "RETURNDATACOPY",
            Self::Read => "KECCAK256",
            Self::Call => "CALL",
            Self::Return => "RETURN",
            Self::Revert => "REVERT",
            Self::Halt => "INVALID",
        }
    }
}

impl Op {
    /// The memory regions the op touches in the frame that runs it, as stack operands
    /// (offset, length): what it expands the frame over (an MCOPY's source and destination, a
    /// CALL's argument and return regions), at most two, in operand order.
    pub fn memory_regions(&self) -> [Option<(U256, U256)>; 2] {
        match *self {
            Op::MStore { offset, .. } | Op::MLoad { offset } => {
                [Some((offset, U256::from(32u8))), None]
            }
            Op::MStore8 { offset, .. } => [Some((offset, U256::from(1u8))), None],
            Op::MCopy { dst, src, len } => [Some((dst, len)), Some((src, len))],
            Op::CallDataCopy {
                mem_offset, len, ..
            }
            | Op::CodeCopy {
                mem_offset, len, ..
            }
            | Op::ReturnDataCopy {
                mem_offset, len, ..
            } => [Some((mem_offset, len)), None],
            Op::Read { offset, len } | Op::Return { offset, len } | Op::Revert { offset, len } => {
                [Some((offset, len)), None]
            }
            Op::Call {
                args_offset,
                args_len,
                ret_offset,
                ret_len,
                ..
            } => [Some((args_offset, args_len)), Some((ret_offset, ret_len))],
            Op::MSize | Op::Halt => [None, None],
        }
    }

    /// This op's kind.
    pub const fn kind(&self) -> OpKind {
        match self {
            Op::MStore { .. } => OpKind::MStore,
            Op::MStore8 { .. } => OpKind::MStore8,
            Op::MLoad { .. } => OpKind::MLoad,
            Op::MSize => OpKind::MSize,
            Op::MCopy { .. } => OpKind::MCopy,
            Op::CallDataCopy { .. } => OpKind::CallDataCopy,
            Op::CodeCopy { .. } => OpKind::CodeCopy,
            Op::ReturnDataCopy { .. } => OpKind::ReturnDataCopy,
            Op::Read { .. } => OpKind::Read,
            Op::Call { .. } => OpKind::Call,
            Op::Return { .. } => OpKind::Return,
            Op::Revert { .. } => OpKind::Revert,
            Op::Halt => OpKind::Halt,
        }
    }
}

/// Where a case starts its engines' shared buffers: the allocation, not the contents (every
/// case starts with empty memory). The growth paths that move the buffer to a new allocation
/// run where the capacity runs out, so a case that starts small reaches them at whatever depth
/// its frames outgrow it, children included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Capacity {
    /// Whatever allocation the engine kept from the cases before (its high-water mark, so
    /// growth rarely moves the buffer).
    #[default]
    Reuse,
    /// A fresh, empty allocation: the first growth allocates, and later ones move the buffer as
    /// it doubles.
    Zero,
    /// A fresh allocation of exactly this many bytes (at most the limit): the first growth past
    /// it moves the buffer.
    Exact(usize),
    /// A fresh allocation of [`GENEROUS_CAPACITY`] bytes (at most the limit).
    Generous,
}

/// The allocation [`Capacity::Generous`] starts with: 1 MiB.
pub const GENEROUS_CAPACITY: usize = 1 << 20;

impl Capacity {
    /// The bytes to reserve for a case under `limit`, or `None` to keep the engine's buffer.
    pub fn reserve(self, limit: u64) -> Option<usize> {
        let most = usize::try_from(limit).unwrap_or(usize::MAX);
        match self {
            Self::Reuse => None,
            Self::Zero => Some(0),
            Self::Exact(bytes) => Some(bytes.min(most)),
            Self::Generous => Some(GENEROUS_CAPACITY.min(most)),
        }
    }
}

/// A differential test case: the environment and the op sequence.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Case {
    /// Memory limit on the whole shared buffer, in bytes (1 ..= 4 GiB).
    pub limit: u64,
    /// Gas of the root frame (only memory expansion is charged).
    pub gas: u64,
    /// The root frame's calldata.
    pub calldata: Vec<u8>,
    /// The code CODECOPY reads.
    pub code: Vec<u8>,
    /// The ops, run in order until the root frame ends.
    pub ops: Vec<Op>,
    /// How memory expansion is priced (every engine takes it: our memory's configuration,
    /// revm's `GasParams`, the model's formula). Mainnet's unless the case says otherwise; it
    /// must be valid ([`MemoryPricing::validate`]).
    pub pricing: MemoryPricing,
    /// The engines' starting allocation ([`Capacity::Reuse`] unless the case says otherwise).
    pub capacity: Capacity,
}

impl Default for Case {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            gas: MAX_ROOT_GAS,
            calldata: Vec::new(),
            code: Vec::new(),
            ops: Vec::new(),
            pricing: MemoryPricing::MAINNET,
            capacity: Capacity::Reuse,
        }
    }
}

/// Gas a CALL hands its child: what was asked, capped at all but one 64th of what the caller
/// has left (EIP-150).
pub const fn child_gas(requested: u64, caller_remaining: u64) -> u64 {
    let cap = caller_remaining - caller_remaining / 64;
    if requested < cap {
        requested
    } else {
        cap
    }
}

/// A `U256` from a `u64` (shorthand for reproducers and vectors).
pub const fn u(value: u64) -> U256 {
    U256::from_limbs([value, 0, 0, 0])
}
