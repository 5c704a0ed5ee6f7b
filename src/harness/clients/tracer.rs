//! One EIP-3155 tracer for both engines: [`Eip3155Tracer`] is revm's `Inspector` for stock
//! revm and a [`StepHook`] for `MemoryEvm` (which runs no inspectors), so that the two engines'
//! traces come from the same code and differ only where the engines do.
//!
//! Both engines show the tracer the frame before each instruction and again after it (revm's
//! `step` / `step_end`; `MemoryEvm`'s [`StepHook::step`] / [`StepHook::step_end`]). The tracer
//! turns what it sees into the EIP-3155 fields (depth from 1, the gas cost as gas before minus
//! gas after, the error an instruction ended its frame with) and hands them to a [`TraceSink`]:
//! [`JsonSink`] prints lines, [`CompactSink`](super::compact::CompactSink) keeps what a
//! comparison needs.

use std::io::Write;

use revm_context_interface::ContextTr;
use revm_inspector::Inspector;
use revm_interpreter::interpreter::EthInterpreter;
use revm_interpreter::interpreter_types::{
    InputsTr, Jumps, LegacyBytecode, LoopControl, ReturnData,
};
use revm_interpreter::{InstructionResult, Interpreter, InterpreterAction};
use revm_primitives::U256;

use super::eip3155::{write_step, StepLine};
use crate::revm::{Step, StepEnd, StepHook};

/// The frame before one instruction, as the tracer shows it to a sink.
#[derive(Clone, Copy, Debug)]
pub struct StepView<'a> {
    /// Depth, 1 for the transaction's first frame.
    pub depth: usize,
    /// Program counter.
    pub pc: usize,
    /// Opcode.
    pub op: u8,
    /// Gas left.
    pub gas: u64,
    /// The frame's memory.
    pub memory: &'a [u8],
    /// The stack, bottom first.
    pub stack: &'a [U256],
    /// The return-data buffer.
    pub return_data: &'a [u8],
    /// The frame's refund counter.
    pub refund: i64,
    /// The code the frame runs.
    pub code: &'a [u8],
}

/// What became of the instruction the last [`StepView`] showed.
#[derive(Clone, Copy, Debug)]
pub struct StepOutcome<'a> {
    /// Gas before minus gas after (for a call or create, with the gas handed to the callee).
    pub gas_cost: u64,
    /// The refund counter after it.
    pub refund: i64,
    /// The error it ended its frame with (a revert is not an error), as revm names it.
    pub error: Option<&'a str>,
}

/// Where a tracer's steps go.
pub trait TraceSink {
    /// Before an instruction.
    fn step(&mut self, view: &StepView<'_>);
    /// After it (always right after its [`step`](Self::step), before any callee's steps).
    fn step_end(&mut self, outcome: &StepOutcome<'_>);
}

/// The EIP-3155 tracer of both engines (see the module's documentation).
#[derive(Clone, Debug, Default)]
pub struct Eip3155Tracer<S> {
    /// Where the steps go.
    pub sink: S,
    /// Gas before the instruction in flight.
    gas_before: u64,
    /// Gas at the transaction's first step (gas limit minus intrinsic gas), once seen.
    pub first_gas: Option<u64>,
    /// Steps seen.
    pub steps: u64,
}

/// The name of an instruction result that is an error (`None` for success and revert).
fn error_name(result: Option<InstructionResult>) -> Option<&'static str> {
    let result = result?;
    if result.is_ok() || result.is_revert() {
        return None;
    }
    Some(instruction_result_name(result))
}

/// revm's name of `result` (its `Debug` form, as a static string for the common ones).
fn instruction_result_name(result: InstructionResult) -> &'static str {
    use InstructionResult as R;
    match result {
        R::OutOfGas => "OutOfGas",
        R::MemoryOOG => "MemoryOOG",
        R::MemoryLimitOOG => "MemoryLimitOOG",
        R::PrecompileOOG => "PrecompileOOG",
        R::InvalidOperandOOG => "InvalidOperandOOG",
        R::OpcodeNotFound => "OpcodeNotFound",
        R::InvalidFEOpcode => "InvalidFEOpcode",
        R::InvalidJump => "InvalidJump",
        R::NotActivated => "NotActivated",
        R::StackUnderflow => "StackUnderflow",
        R::StackOverflow => "StackOverflow",
        R::OutOfOffset => "OutOfOffset",
        R::CreateCollision => "CreateCollision",
        R::OverflowPayment => "OverflowPayment",
        R::StateChangeDuringStaticCall => "StateChangeDuringStaticCall",
        R::CallNotAllowedInsideStatic => "CallNotAllowedInsideStatic",
        R::OutOfFunds => "OutOfFunds",
        R::CallTooDeep => "CallTooDeep",
        R::CreateContractSizeLimit => "CreateContractSizeLimit",
        R::CreateContractStartingWithEF => "CreateContractStartingWithEF",
        R::CreateInitCodeSizeLimit => "CreateInitCodeSizeLimit",
        _ => "Error",
    }
}

impl<S: TraceSink> Eip3155Tracer<S> {
    /// A tracer handing its steps to `sink`.
    pub fn new(sink: S) -> Self {
        Self {
            sink,
            gas_before: 0,
            first_gas: None,
            steps: 0,
        }
    }

    fn before(&mut self, view: &StepView<'_>) {
        self.gas_before = view.gas;
        self.first_gas.get_or_insert(view.gas);
        self.steps += 1;
        self.sink.step(view);
    }

    fn after(&mut self, gas_after: u64, refund: i64, ended: Option<InstructionResult>) {
        self.sink.step_end(&StepOutcome {
            gas_cost: self.gas_before.saturating_sub(gas_after),
            refund,
            error: error_name(ended),
        });
    }
}

/// `MemoryEvm`'s steps.
impl<S: TraceSink> StepHook for Eip3155Tracer<S> {
    fn step(&mut self, step: &Step<'_>) {
        self.before(&StepView {
            depth: step.depth + 1,
            pc: step.pc,
            op: step.opcode,
            gas: step.gas_remaining,
            memory: step.memory,
            stack: step.stack,
            return_data: step.return_data,
            refund: step.refund,
            code: step.code,
        });
    }

    fn step_end(&mut self, end: &StepEnd) {
        self.after(end.gas_remaining, end.refund, end.ended);
    }
}

/// Stock revm's steps.
impl<CTX: ContextTr, S: TraceSink> Inspector<CTX, EthInterpreter> for Eip3155Tracer<S> {
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, _context: &mut CTX) {
        let memory = interp.memory.context_memory();
        self.before(&StepView {
            depth: interp.input.depth() + 1,
            pc: interp.bytecode.pc(),
            op: interp.bytecode.opcode(),
            gas: interp.gas.remaining(),
            memory: &memory,
            stack: interp.stack.data(),
            return_data: interp.return_data.buffer(),
            refund: interp.gas.refunded(),
            code: interp.bytecode.bytecode_slice(),
        });
    }

    fn step_end(&mut self, interp: &mut Interpreter<EthInterpreter>, _context: &mut CTX) {
        let ended = match interp.bytecode.action() {
            Some(InterpreterAction::Return(result)) => Some(result.result),
            _ => None,
        };
        self.after(interp.gas.remaining(), interp.gas.refunded(), ended);
    }
}

/// A sink printing EIP-3155 lines to a writer (each line ends with `\n`). A write error stops
/// the printing and is kept ([`JsonSink::error`]).
#[derive(Debug)]
pub struct JsonSink<W> {
    /// Where the lines go.
    pub out: W,
    /// The first write error, if any.
    pub error: Option<std::io::Error>,
    pending: Pending,
    line: String,
}

/// The step in flight, copied (its memory may change before its line is printed).
#[derive(Clone, Debug, Default)]
struct Pending {
    depth: usize,
    pc: usize,
    op: u8,
    gas: u64,
    memory: Vec<u8>,
    stack: Vec<U256>,
    return_data: Vec<u8>,
}

impl<W: Write> JsonSink<W> {
    /// A sink printing to `out`.
    pub fn new(out: W) -> Self {
        Self {
            out,
            error: None,
            pending: Pending::default(),
            line: String::new(),
        }
    }

    /// Prints a line as it is (the closing lines of a transaction, …).
    pub fn write_line(&mut self, text: &str) {
        if self.error.is_none() {
            if let Err(e) = writeln!(self.out, "{text}") {
                self.error = Some(e);
            }
        }
    }
}

impl<W: Write> TraceSink for JsonSink<W> {
    fn step(&mut self, view: &StepView<'_>) {
        let p = &mut self.pending;
        (p.depth, p.pc, p.op, p.gas) = (view.depth, view.pc, view.op, view.gas);
        p.memory.clear();
        p.memory.extend_from_slice(view.memory);
        p.stack.clear();
        p.stack.extend_from_slice(view.stack);
        p.return_data.clear();
        p.return_data.extend_from_slice(view.return_data);
    }

    fn step_end(&mut self, outcome: &StepOutcome<'_>) {
        let p = &self.pending;
        self.line.clear();
        write_step(
            &mut self.line,
            &StepLine {
                pc: p.pc,
                op: p.op,
                gas: p.gas,
                gas_cost: outcome.gas_cost,
                memory: &p.memory,
                stack: &p.stack,
                return_data: &p.return_data,
                depth: p.depth,
                refund: outcome.refund,
                error: outcome.error,
            },
        );
        let line = std::mem::take(&mut self.line);
        self.write_line(&line);
        self.line = line;
    }
}
