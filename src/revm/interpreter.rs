//! [`MemoryInterpreter`]: revm's interpreter parts (stack, bytecode, return data, inputs,
//! runtime flags) with [`EvmMemory`] as the memory.

use revm_interpreter::interpreter::{ExtBytecode, InputsImpl, ReturnDataImpl, RuntimeFlags, Stack};
use revm_interpreter::{CallInput, Gas, Interpreter, InterpreterAction, InterpreterTypes};
use revm_primitives::{hardfork::SpecId, Address, Bytes, B256, U256};
use revm_state::Bytecode;

use super::memory::EvmMemory;

/// The [`InterpreterTypes`] of an interpreter that runs on our memory: everything else is
/// revm's own (`Stack`, `ExtBytecode`, `ReturnDataImpl`, `InputsImpl`, `RuntimeFlags`), so
/// revm's whole instruction table runs unchanged
/// (`revm_interpreter::instruction_table::<MemoryInterpreter, _>()`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryInterpreter;

impl InterpreterTypes for MemoryInterpreter {
    type Stack = Stack;
    type Memory = EvmMemory;
    type Bytecode = ExtBytecode;
    type ReturnData = ReturnDataImpl;
    type Input = InputsImpl;
    type RuntimeFlag = RuntimeFlags;
    type Extend = ();
    type Output = InterpreterAction;
}

/// An interpreter that allocates nothing (an empty stack without capacity, an empty memory):
/// the state of a pooled frame before its first use. [`reset_interpreter`] makes it runnable.
pub(crate) fn idle_interpreter() -> Interpreter<MemoryInterpreter> {
    Interpreter {
        bytecode: ExtBytecode::default(),
        gas: Gas::new(0),
        stack: Stack::invalid(),
        return_data: ReturnDataImpl::default(),
        memory: EvmMemory::default(),
        input: InputsImpl::default(),
        runtime_flag: RuntimeFlags {
            is_static: false,
            spec_id: SpecId::default(),
        },
        extend: (),
    }
}

/// Everything a frame's interpreter starts with, but its memory (which moves in separately):
/// small parts, so that the large ones (the analysed bytecode, the inputs) are built where they
/// are stored.
#[derive(Debug)]
pub(crate) struct InterpreterStart {
    pub(crate) code: Bytecode,
    pub(crate) code_hash: Option<B256>,
    pub(crate) target_address: Address,
    pub(crate) caller_address: Address,
    pub(crate) bytecode_address: Option<Address>,
    pub(crate) input: CallInput,
    pub(crate) call_value: U256,
    pub(crate) depth: usize,
    pub(crate) is_static: bool,
    pub(crate) spec_id: SpecId,
    pub(crate) gas_limit: u64,
    pub(crate) reservoir: u64,
}

/// Readies a (possibly pooled) interpreter for a new frame, keeping its allocations: the stack
/// is emptied (and given its full capacity on first use, which revm's stack operations rely
/// on), the return data cleared, the gas set to the frame's limit and reservoir.
#[inline(always)]
pub(crate) fn reset_interpreter(
    interpreter: &mut Interpreter<MemoryInterpreter>,
    start: InterpreterStart,
) {
    interpreter.bytecode = ExtBytecode::new_with_optional_hash(start.code, start.code_hash);
    interpreter.gas = Gas::new_with_regular_gas_and_reservoir(start.gas_limit, start.reservoir);
    if interpreter.stack.data().capacity() == 0 {
        interpreter.stack = Stack::new();
    } else {
        interpreter.stack.data_mut().clear();
    }
    interpreter.return_data.0 = Bytes::new();
    interpreter.input = InputsImpl {
        target_address: start.target_address,
        bytecode_address: start.bytecode_address,
        caller_address: start.caller_address,
        input: start.input,
        call_value: start.call_value,
        depth: start.depth,
    };
    interpreter.runtime_flag = RuntimeFlags {
        is_static: start.is_static,
        spec_id: start.spec_id,
    };
}
