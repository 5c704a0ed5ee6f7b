//! The structured form of a program: a [`ProgramSpec`] is a transaction over a few contracts, each
//! a list of [`Action`]s with their operands; [`ProgramSpec::compile`] turns it into bytecode (a
//! [`Program`](super::Program)).
//!
//! Every action is straight-line code: its operands are pushed, the instruction runs, and any
//! result it leaves is consumed by a [`Sink`], so the stack is empty between actions and no
//! program ever jumps.

use revm_primitives::{hardfork::SpecId, U256};

/// Most contracts a spec may hold (the entry contract included).
pub const MAX_CONTRACTS: usize = 1024;

/// Most actions a contract may hold.
pub const MAX_ACTIONS: usize = 1024;

/// Most actions the body of written init code may hold.
pub const MAX_INIT_ACTIONS: usize = 255;

/// Longest byte string (calldata, the data account's code, runtime code) a spec may hold.
pub const MAX_BYTES: usize = u16::MAX as usize;

/// A transaction over generated contracts, in structured form.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProgramSpec {
    /// The fork the transaction runs under.
    pub spec: SpecId,
    /// The transaction's gas limit.
    pub gas_limit: u64,
    /// revm's `CfgEnv::memory_limit` (bounding the whole shared memory); `None` keeps revm's
    /// default.
    pub memory_limit: Option<u64>,
    /// The transaction's calldata.
    pub calldata: Vec<u8>,
    /// The code of the data account ([`Target::Data`]), read with EXTCODECOPY and never run;
    /// the account exists only when this is not empty.
    pub data: Vec<u8>,
    /// The contracts' actions: the first is the entry contract the transaction calls; contract
    /// `i` lives at [`contract_address(i)`](super::contract_address).
    pub contracts: Vec<Vec<Action>>,
}

impl Default for ProgramSpec {
    /// CANCUN, 1M gas, the default memory limit, no calldata, one empty contract.
    fn default() -> Self {
        Self {
            spec: SpecId::CANCUN,
            gas_limit: 1_000_000,
            memory_limit: None,
            calldata: Vec::new(),
            data: Vec::new(),
            contracts: vec![Vec::new()],
        }
    }
}

/// A stack operand: a constant or a value the EVM knows when the action runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Word {
    /// A constant, pushed with the shortest PUSH.
    Const(U256),
    /// CALLDATASIZE.
    CallDataSize,
    /// RETURNDATASIZE.
    ReturnDataSize,
    /// MSIZE.
    MSize,
    /// CODESIZE.
    CodeSize,
    /// GAS (what is left).
    Gas,
}

impl Word {
    /// Zero.
    pub const ZERO: Word = Word::Const(U256::ZERO);

    /// A constant from a `u64`.
    pub const fn from_u64(value: u64) -> Self {
        Word::Const(U256::from_limbs([value, 0, 0, 0]))
    }
}

impl From<u64> for Word {
    fn from(value: u64) -> Self {
        Word::from_u64(value)
    }
}

impl From<U256> for Word {
    fn from(value: U256) -> Self {
        Word::Const(value)
    }
}

/// A memory region: offset and length, both stack operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    /// Offset in memory.
    pub offset: Word,
    /// Length in bytes.
    pub len: Word,
}

impl Region {
    /// A region of constant offset and length.
    pub const fn at(offset: u64, len: u64) -> Self {
        Self {
            offset: Word::from_u64(offset),
            len: Word::from_u64(len),
        }
    }
}

/// What is done with the value an instruction leaves on the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sink {
    /// POP.
    Pop,
    /// MSTORE at the given offset (so later memory reads see it).
    MStore(Word),
    /// SSTORE into the given slot (so state comparisons see it; halts in a static context).
    SStore(Word),
}

/// An account an action names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Generated contract `i` ([`contract_address(i)`](super::contract_address); an empty
    /// account when the spec has no contract `i`).
    Contract(u16),
    /// The running contract's own address (ADDRESS: the caller's under DELEGATECALL and
    /// CALLCODE).
    This,
    /// The identity precompile (0x04).
    Identity,
    /// An account that does not exist ([`EMPTY_ADDRESS`](super::EMPTY_ADDRESS)).
    Empty,
    /// The data account ([`DATA_ADDRESS`](super::DATA_ADDRESS)), whose code is
    /// [`ProgramSpec::data`].
    Data,
}

/// The four message calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// CALL.
    Call,
    /// CALLCODE.
    CallCode,
    /// DELEGATECALL (no value operand).
    DelegateCall,
    /// STATICCALL (no value operand).
    StaticCall,
}

impl CallKind {
    /// Every kind.
    pub const ALL: [CallKind; 4] = [
        CallKind::Call,
        CallKind::CallCode,
        CallKind::DelegateCall,
        CallKind::StaticCall,
    ];

    /// The opcode.
    pub const fn opcode(self) -> u8 {
        match self {
            CallKind::Call => 0xF1,
            CallKind::CallCode => 0xF2,
            CallKind::DelegateCall => 0xF4,
            CallKind::StaticCall => 0xFA,
        }
    }

    /// Whether the instruction takes a value operand.
    pub const fn has_value(self) -> bool {
        matches!(self, CallKind::Call | CallKind::CallCode)
    }
}

/// CREATE or CREATE2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CreateKind {
    /// CREATE.
    Create,
    /// CREATE2 with its salt.
    Create2 {
        /// The salt operand.
        salt: Word,
    },
}

/// Where a CREATE's init code comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InitCode {
    /// Written to memory by the creating action itself (MSTOREs of its bytes from `at` on),
    /// then created from there: the init code runs `body` and RETURNs `runtime` (copied out of
    /// its own code with CODECOPY to memory offset 0).
    Written {
        /// Memory offset the init code is written at.
        at: U256,
        /// What the init code does before returning (never a CREATE).
        body: Vec<Action>,
        /// The runtime code it returns (raw bytes, deployed as they are).
        runtime: Vec<u8>,
    },
    /// Whatever memory holds in a region.
    Region(Region),
}

/// One straight-line step of a contract: the operands pushed, one instruction, its result
/// consumed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// MSTORE.
    MStore {
        /// Destination offset.
        offset: Word,
        /// The word stored.
        value: Word,
    },
    /// MSTORE8 (the low byte of `value`).
    MStore8 {
        /// Destination offset.
        offset: Word,
        /// The value whose low byte is stored.
        value: Word,
    },
    /// MLOAD.
    MLoad {
        /// Source offset.
        offset: Word,
        /// What happens to the word loaded.
        sink: Sink,
    },
    /// A word pushed and consumed (MSIZE, RETURNDATASIZE, … into a sink).
    Observe {
        /// The word.
        word: Word,
        /// What happens to it.
        sink: Sink,
    },
    /// MCOPY (EIP-5656: CANCUN and later; an invalid opcode before).
    MCopy {
        /// Destination offset.
        dst: Word,
        /// Source offset.
        src: Word,
        /// Bytes copied.
        len: Word,
    },
    /// CALLDATACOPY.
    CallDataCopy {
        /// Destination offset in memory.
        dst: Word,
        /// Source offset in calldata.
        src: Word,
        /// Bytes copied.
        len: Word,
    },
    /// CODECOPY of the running code.
    CodeCopy {
        /// Destination offset in memory.
        dst: Word,
        /// Source offset in the code.
        src: Word,
        /// Bytes copied.
        len: Word,
    },
    /// EXTCODECOPY of an account's code.
    ExtCodeCopy {
        /// Whose code.
        target: Target,
        /// Destination offset in memory.
        dst: Word,
        /// Source offset in the code.
        src: Word,
        /// Bytes copied.
        len: Word,
    },
    /// RETURNDATACOPY (reading past the end of the return data halts).
    ReturnDataCopy {
        /// Destination offset in memory.
        dst: Word,
        /// Source offset in the return data.
        src: Word,
        /// Bytes copied.
        len: Word,
    },
    /// KECCAK256 of a region.
    Keccak {
        /// The region hashed.
        region: Region,
        /// What happens to the hash.
        sink: Sink,
    },
    /// LOG0 … LOG4 of a region, with constant topics.
    Log {
        /// Number of topics, 0 ..= 4.
        topics: u8,
        /// The region logged.
        region: Region,
    },
    /// A message call.
    Call {
        /// CALL, CALLCODE, DELEGATECALL or STATICCALL.
        kind: CallKind,
        /// The callee.
        target: Target,
        /// The gas operand.
        gas: Word,
        /// The value operand (pushed only for CALL and CALLCODE).
        value: Word,
        /// Argument region (the callee's calldata).
        args: Region,
        /// Return region.
        ret: Region,
        /// What happens to the success flag.
        sink: Sink,
    },
    /// CREATE or CREATE2.
    Create {
        /// Which, with CREATE2's salt.
        kind: CreateKind,
        /// Value endowed.
        value: Word,
        /// The init code.
        init: InitCode,
        /// What happens to the created address (zero on failure).
        sink: Sink,
    },
    /// RETURN of a region.
    Return(Region),
    /// REVERT with a region.
    Revert(Region),
    /// INVALID (an exceptional halt).
    Invalid,
    /// STOP.
    Stop,
}

/// The kinds of [`Action`], in the order the byte format numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionKind {
    /// [`Action::MStore`]
    MStore,
    /// [`Action::MStore8`]
    MStore8,
    /// [`Action::MLoad`]
    MLoad,
    /// [`Action::Observe`]
    Observe,
    /// [`Action::MCopy`]
    MCopy,
    /// [`Action::CallDataCopy`]
    CallDataCopy,
    /// [`Action::CodeCopy`]
    CodeCopy,
    /// [`Action::ExtCodeCopy`]
    ExtCodeCopy,
    /// [`Action::ReturnDataCopy`]
    ReturnDataCopy,
    /// [`Action::Keccak`]
    Keccak,
    /// [`Action::Log`]
    Log,
    /// [`Action::Call`]
    Call,
    /// [`Action::Create`]
    Create,
    /// [`Action::Return`]
    Return,
    /// [`Action::Revert`]
    Revert,
    /// [`Action::Invalid`]
    Invalid,
    /// [`Action::Stop`]
    Stop,
}

impl ActionKind {
    /// Every kind, in the byte format's order.
    pub const ALL: [ActionKind; 17] = [
        Self::MStore,
        Self::MStore8,
        Self::MLoad,
        Self::Observe,
        Self::MCopy,
        Self::CallDataCopy,
        Self::CodeCopy,
        Self::ExtCodeCopy,
        Self::ReturnDataCopy,
        Self::Keccak,
        Self::Log,
        Self::Call,
        Self::Create,
        Self::Return,
        Self::Revert,
        Self::Invalid,
        Self::Stop,
    ];

    /// Whether the action ends its frame.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Return | Self::Revert | Self::Invalid | Self::Stop
        )
    }
}

impl Action {
    /// This action's kind.
    pub const fn kind(&self) -> ActionKind {
        match self {
            Action::MStore { .. } => ActionKind::MStore,
            Action::MStore8 { .. } => ActionKind::MStore8,
            Action::MLoad { .. } => ActionKind::MLoad,
            Action::Observe { .. } => ActionKind::Observe,
            Action::MCopy { .. } => ActionKind::MCopy,
            Action::CallDataCopy { .. } => ActionKind::CallDataCopy,
            Action::CodeCopy { .. } => ActionKind::CodeCopy,
            Action::ExtCodeCopy { .. } => ActionKind::ExtCodeCopy,
            Action::ReturnDataCopy { .. } => ActionKind::ReturnDataCopy,
            Action::Keccak { .. } => ActionKind::Keccak,
            Action::Log { .. } => ActionKind::Log,
            Action::Call { .. } => ActionKind::Call,
            Action::Create { .. } => ActionKind::Create,
            Action::Return(_) => ActionKind::Return,
            Action::Revert(_) => ActionKind::Revert,
            Action::Invalid => ActionKind::Invalid,
            Action::Stop => ActionKind::Stop,
        }
    }

    /// A call with no value and the given gas operand, discarding the success flag.
    pub fn call(kind: CallKind, target: Target, gas: Word, args: Region, ret: Region) -> Self {
        Action::Call {
            kind,
            target,
            gas,
            value: Word::ZERO,
            args,
            ret,
            sink: Sink::Pop,
        }
    }
}
