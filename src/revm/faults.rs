//! Deliberate bugs for the oracle's self-test (feature `harness` only): each makes
//! [`MemoryEvm`](super::MemoryEvm) behave as a client once did, so that the bytecode-level
//! oracle can be shown to catch and name it. All off by default; a production build (without
//! `harness`) has none of this.

use revm_interpreter::interpreter_types::MemoryTr;
use revm_interpreter::{CallInput, CallInputs};
use revm_primitives::Address;

use super::memory::EvmMemory;

/// Which deliberate bugs are on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Faults {
    /// A reverted call's output is not copied into the caller's return region: output is
    /// copied only on success (the return data itself is still set).
    pub revert_output_not_copied: bool,
    /// The identity precompile's output is written into the caller's return region before its
    /// input is read, so overlapping regions feed it its own output (geth's CVE-2021-39137).
    pub identity_output_before_input: bool,
}

/// The bytecode-level mutants: each deliberate bug by the name a mutant engine takes
/// (`mutant:NAME` in `EVM_MEMORY_ENGINES`, which `diff_evm` honours), and the bug in a few words.
pub const EVM_MUTANTS: [(&str, &str); 2] = [
    (
        "revert-output-not-copied",
        "a reverted call's output is not copied into the caller's return region",
    ),
    (
        "identity-output-first",
        "the identity precompile writes its output before reading its overlapping input",
    ),
];

impl Faults {
    /// The fault of the bytecode-level mutant called `name` (without the `mutant:` prefix), or
    /// `None` for a name that is not one ([`EVM_MUTANTS`]).
    pub fn by_mutant_name(name: &str) -> Option<Self> {
        Some(match name {
            "revert-output-not-copied" => Self {
                revert_output_not_copied: true,
                ..Self::default()
            },
            "identity-output-first" => Self {
                identity_output_before_input: true,
                ..Self::default()
            },
            _ => return None,
        })
    }

    /// These faults and `other`'s together.
    pub fn with(self, other: Self) -> Self {
        Self {
            revert_output_not_copied: self.revert_output_not_copied
                || other.revert_output_not_copied,
            identity_output_before_input: self.identity_output_before_input
                || other.identity_output_before_input,
        }
    }
}

/// The identity precompile's address.
const IDENTITY: Address = Address::with_last_byte(4);

impl Faults {
    /// With `identity_output_before_input` on and `inputs` a CALL to the identity precompile:
    /// writes the argument bytes over the return region of the caller's `memory` first, as the
    /// buggy client did, so that the arguments staged afterwards are read back changed.
    pub(crate) fn before_precompile(&self, inputs: &CallInputs, memory: &mut EvmMemory) {
        if !self.identity_output_before_input || inputs.bytecode_address != IDENTITY {
            return;
        }
        let CallInput::SharedBuffer(args) = &inputs.input else {
            return;
        };
        let ret = inputs.return_memory_offset.clone();
        let n = args.len().min(ret.len());
        if n == 0 {
            return;
        }
        let arguments = memory.global_slice(args.start..args.start + n).to_vec();
        memory.set(ret.start, &arguments);
    }
}

/// With the `revert_output_not_copied` fault: the caller's return region as it is before a
/// reverted call's `result` is handed back (to be put back afterwards), or `None` for any
/// other result.
pub(crate) fn return_region_before(
    result: &revm_handler::FrameResult,
    memory: &EvmMemory,
) -> Option<(usize, Vec<u8>)> {
    let revm_handler::FrameResult::Call(outcome) = result else {
        return None;
    };
    if !outcome.instruction_result().is_revert() {
        return None;
    }
    let n = outcome.memory_length().min(outcome.output().len());
    if n == 0 {
        return None;
    }
    let start = outcome.memory_start();
    Some((start, memory.slice(start..start + n).to_vec()))
}
