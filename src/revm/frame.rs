//! [`MemoryFrame`]: one CALL or CREATE frame of revm's execution loop, running revm's
//! instructions on our memory.
//!
//! The rules are mainnet's, as revm-handler applies them to its own frames (call depth, value
//! transfer, precompiles, empty code, CREATE's nonce and address, journal checkpoints, the
//! child's gas settled into the parent, return data, output copied into the caller's return
//! region on success and on revert). What differs is the memory:
//!
//! * One [`Memory`](crate::Memory) serves the whole transaction and moves to whichever frame
//!   runs: a new frame takes it from its caller after
//!   [`enter_child`](crate::Memory::enter_child) (the child starts empty at the caller's end),
//!   and gives it back after [`exit_child`](crate::Memory::exit_child) (the caller sees exactly
//!   what it had). Only the running frame ever touches memory, so no frame shares it.
//! * A CALL's argument region reaches the callee as a range of the whole buffer
//!   (`CallInput::SharedBuffer`), which the callee reads from its parent's context in place.
//!   Precompiles read their input from revm's own shared buffer (the local context's), which
//!   this memory does not use: while a precompile runs, the memory lends its buffer there
//!   ([`LentBuffer`]), so that the precompile reads its arguments in place too.

use revm_context_interface::journaled_state::account::JournaledAccountTr;
use revm_context_interface::journaled_state::{JournalCheckpoint, JournalTr};
use revm_context_interface::local::{FrameToken, LocalContextTr, OutFrame};
use revm_context_interface::{context::take_error, result::FromStringError};
use revm_context_interface::{Cfg, ContextTr, Database};
use revm_handler::{
    handle_reservoir_remaining_gas, return_create, CallFrame, CreateFrame, FrameData,
    FrameInitOrResult, FrameResult, FrameTr, ItemOrResult, PrecompileProvider,
};
use revm_interpreter::interpreter_action::FrameInit;
use revm_interpreter::interpreter_types::{MemoryTr, ReturnData};
use revm_interpreter::{
    CallInput, CallInputs, CallOutcome, CallValue, CreateInputs, CreateOutcome, CreateScheme,
    FrameInput, Gas, InstructionResult, Interpreter, InterpreterAction, InterpreterResult,
    SharedMemory,
};
use revm_primitives::{constants::CALL_STACK_LIMIT, hardfork::SpecId, Bytes, U256};
use revm_state::Bytecode;
use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;

use super::interpreter::{
    idle_interpreter, reset_interpreter, InterpreterStart, MemoryInterpreter,
};
use super::memory::EvmMemory;
use crate::context::Checkpoint;

/// The database error of a context.
type DbError<CTX> = <<CTX as ContextTr>::Db as Database>::Error;

/// A frame of [`MemoryEvm`](super::MemoryEvm): what revm's `EthFrame` holds, with an
/// interpreter on our memory and the memory checkpoint of the child context it runs in.
#[derive(Debug)]
pub struct MemoryFrame {
    /// Call or create data: the caller's return region, or the address being created.
    pub data: FrameData,
    /// The inputs the frame was created from.
    pub input: FrameInput,
    /// Call depth (0 for the transaction's first frame).
    pub depth: usize,
    /// Journal checkpoint to commit or revert when the frame ends.
    pub checkpoint: JournalCheckpoint,
    /// The interpreter; while the frame runs, its memory holds the transaction's memory.
    pub interpreter: Interpreter<MemoryInterpreter>,
    /// Whether the frame has produced its result.
    pub is_finished: bool,
    /// The child context the frame runs in (`None` for the first frame, which runs in the root
    /// context).
    memory_checkpoint: Option<Checkpoint>,
}

impl FrameTr for MemoryFrame {
    type FrameResult = FrameResult;
    type FrameInit = FrameInit;
}

impl Default for MemoryFrame {
    /// A frame ready to run, its stack allocated (as revm's frame stack preallocates them).
    fn default() -> Self {
        let mut frame = Self::idle();
        frame.interpreter.stack = revm_interpreter::interpreter::Stack::new();
        frame
    }
}

/// What a new frame needs once the checks before it have passed.
struct FrameStart {
    data: FrameData,
    input: FrameInput,
    depth: usize,
    checkpoint: JournalCheckpoint,
    interpreter: InterpreterStart,
}

/// Starts the frame `start` describes in `this`: a child context for it (unless it is the first
/// frame), its fields, its interpreter, and the memory moved in from `memory` (which is left
/// with the pooled frame's empty one).
#[inline(always)]
fn start_frame<ERROR: FromStringError>(
    mut this: OutFrame<'_, MemoryFrame>,
    memory: &mut EvmMemory,
    start: FrameStart,
) -> Result<ItemOrResult<FrameToken, FrameResult>, ERROR> {
    let memory_checkpoint = if start.depth == 0 {
        None
    } else {
        let checkpoint = memory.memory_mut().enter_child().map_err(|e| {
            ERROR::from_string(format!("cannot open the memory of a new frame: {e}"))
        })?;
        Some(checkpoint)
    };
    let frame = this.get(MemoryFrame::idle);
    frame.data = start.data;
    frame.input = start.input;
    frame.depth = start.depth;
    frame.checkpoint = start.checkpoint;
    frame.is_finished = false;
    frame.memory_checkpoint = memory_checkpoint;
    reset_interpreter(&mut frame.interpreter, start.interpreter);
    core::mem::swap(&mut frame.interpreter.memory, memory);
    Ok(ItemOrResult::Item(this.consume()))
}

impl MemoryFrame {
    /// A frame that allocates nothing, for the frame stack's pool.
    pub fn idle() -> Self {
        Self {
            data: FrameData::Call(CallFrame {
                return_memory_range: 0..0,
            }),
            input: FrameInput::Empty,
            depth: 0,
            checkpoint: JournalCheckpoint::default(),
            interpreter: idle_interpreter(),
            is_finished: false,
            memory_checkpoint: None,
        }
    }

    /// Whether the frame has produced its result.
    pub const fn is_finished(&self) -> bool {
        self.is_finished
    }

    /// Marks the frame finished (or not).
    pub const fn set_finished(&mut self, finished: bool) {
        self.is_finished = finished;
    }

    /// Starts a frame for `frame_init` in `this`, or returns its result at once when no code
    /// runs (call depth exceeded, a failed transfer, a precompile, an account without code, a
    /// CREATE that fails its checks).
    ///
    /// `memory` holds the transaction's memory, in the caller's context (or, for the first
    /// frame, a reset root). When a frame starts, the memory moves into it, in a new child
    /// context unless `frame_init.depth` is 0, and `memory` is left with the pooled frame's
    /// empty one; otherwise `memory` keeps it, unchanged.
    ///
    /// A CALL's arguments stay in the caller's memory (`CallInput::SharedBuffer`), where the new
    /// frame reads them, and where a precompile reads them too: the memory's buffer is lent to
    /// revm's shared buffer while the precompile runs (`LentBuffer`).
    ///
    /// # Errors
    /// A database error, a precompile provider's error, or the allocator refusing the new
    /// context's bookkeeping.
    pub fn init_with_context<CTX, PRECOMPILES, ERROR>(
        this: OutFrame<'_, Self>,
        ctx: &mut CTX,
        precompiles: &mut PRECOMPILES,
        frame_init: FrameInit,
        memory: &mut EvmMemory,
    ) -> Result<ItemOrResult<FrameToken, FrameResult>, ERROR>
    where
        CTX: ContextTr,
        PRECOMPILES: PrecompileProvider<CTX, Output = InterpreterResult>,
        ERROR: From<DbError<CTX>> + FromStringError,
    {
        let to_precompile = matches!(
            &frame_init.frame_input,
            FrameInput::Call(inputs) if precompiles.contains(&inputs.bytecode_address)
        );
        Self::init_known(this, ctx, precompiles, frame_init, memory, to_precompile)
    }

    /// [`init_with_context`](Self::init_with_context) for a caller that knows whether the
    /// frame is a CALL to one of `precompiles` (`to_precompile`): [`MemoryEvm`](super::MemoryEvm)
    /// keeps a cheaper test than the provider's set lookup.
    pub(crate) fn init_known<CTX, PRECOMPILES, ERROR>(
        this: OutFrame<'_, Self>,
        ctx: &mut CTX,
        precompiles: &mut PRECOMPILES,
        frame_init: FrameInit,
        memory: &mut EvmMemory,
        to_precompile: bool,
    ) -> Result<ItemOrResult<FrameToken, FrameResult>, ERROR>
    where
        CTX: ContextTr,
        PRECOMPILES: PrecompileProvider<CTX, Output = InterpreterResult>,
        ERROR: From<DbError<CTX>> + FromStringError,
    {
        let FrameInit {
            depth, frame_input, ..
        } = frame_init;
        match frame_input {
            FrameInput::Call(inputs) => call_start::<CTX, PRECOMPILES, ERROR>(
                this,
                ctx,
                precompiles,
                depth,
                inputs,
                memory,
                to_precompile,
            ),
            FrameInput::Create(inputs) => {
                create_start::<CTX, ERROR>(this, ctx, depth, inputs, memory)
            }
            FrameInput::Empty => Err(ERROR::from_string(
                "a frame was asked for with empty inputs".into(),
            )),
        }
    }

    /// The child context the frame runs in, taken (`None` for the first frame): what closes it
    /// when the frame has ended.
    pub(crate) fn take_memory_checkpoint(&mut self) -> Option<Checkpoint> {
        self.memory_checkpoint.take()
    }

    /// Turns what the interpreter stopped with into a new frame to start or this frame's
    /// result: the journal checkpoint is committed or reverted, and CREATE's code is checked,
    /// charged and deployed.
    ///
    /// # Errors
    /// None today; the signature leaves room for the database errors the rules may raise.
    pub fn process_next_action<CTX, ERROR>(
        &mut self,
        ctx: &mut CTX,
        action: InterpreterAction,
    ) -> Result<FrameInitOrResult<Self>, ERROR>
    where
        CTX: ContextTr,
        ERROR: From<DbError<CTX>> + FromStringError,
    {
        let mut result = match action {
            InterpreterAction::NewFrame(frame_input) => {
                return Ok(ItemOrResult::Item(FrameInit {
                    frame_input,
                    depth: self.depth + 1,
                    // revm's type carries revm's memory; ours moves between frames instead,
                    // so this one is an empty handle that is never used.
                    memory: SharedMemory::invalid(),
                }));
            }
            InterpreterAction::Return(result) => result,
        };
        let outcome = match &self.data {
            FrameData::Call(frame) => {
                if result.result.is_ok() {
                    ctx.journal_mut().checkpoint_commit();
                } else {
                    ctx.journal_mut().checkpoint_revert(self.checkpoint);
                }
                let mut outcome = CallOutcome::new(result, frame.return_memory_range.clone());
                outcome.charged_new_account_state_gas = matches!(&self.input, FrameInput::Call(inputs) if inputs.charged_new_account_state_gas);
                FrameResult::Call(outcome)
            }
            FrameData::Create(frame) => {
                return_create(ctx, self.checkpoint, &mut result, frame.created_address);
                let mut outcome = CreateOutcome::new(result, Some(frame.created_address));
                outcome.charged_create_state_gas = matches!(&self.input, FrameInput::Create(inputs) if inputs.charged_create_state_gas());
                FrameResult::Create(outcome)
            }
        };
        Ok(ItemOrResult::Result(outcome))
    }

    /// Hands a child's result to this frame (the caller), whose memory is back in its own
    /// context: the return data is set, the success flag or created address pushed, a CALL's
    /// output copied into the return region (on success and on revert), and the child's gas
    /// settled (unused gas returned, refunds kept on success).
    ///
    /// # Errors
    /// An error the context recorded while the child ran (a database error), or a child that
    /// ended with revm's fatal external error.
    pub fn return_result<CTX, ERROR>(
        &mut self,
        ctx: &mut CTX,
        result: FrameResult,
    ) -> Result<(), ERROR>
    where
        CTX: ContextTr,
        ERROR: From<DbError<CTX>> + FromStringError,
    {
        take_error::<ERROR, _>(ctx.error())?;
        if result.instruction_result() == InstructionResult::FatalExternalError {
            return Err(ERROR::from_string(
                "a child frame ended with a fatal external error".into(),
            ));
        }
        let refund_state_gas = result.refundable_state_gas(ctx.cfg().gas_params());
        let interpreter = &mut self.interpreter;
        match result {
            FrameResult::Call(outcome) => {
                let status = *outcome.instruction_result();
                let mut child_gas = outcome.gas();
                let (start, region) = (outcome.memory_start(), outcome.memory_length());
                interpreter.return_data.set_buffer(outcome.result.output);
                // The stack had room for the CALL's seven operands; it has room for one.
                let _ = interpreter.stack.push(U256::from(status.is_ok()));
                if status.is_ok_or_revert() {
                    let output = interpreter.return_data.buffer();
                    let copied = region.min(output.len());
                    if copied > 0 {
                        // The CALL expanded its return region before the child started.
                        interpreter.memory.set(start, &output[..copied]);
                    }
                }
                handle_reservoir_remaining_gas(
                    status,
                    interpreter.gas.tracker_mut(),
                    child_gas.tracker_mut(),
                );
            }
            FrameResult::Create(outcome) => {
                let status = *outcome.instruction_result();
                if status == InstructionResult::Revert {
                    interpreter
                        .return_data
                        .set_buffer(outcome.result.output.clone());
                } else {
                    interpreter.return_data.clear();
                }
                let mut child_gas = *outcome.gas();
                handle_reservoir_remaining_gas(
                    status,
                    interpreter.gas.tracker_mut(),
                    child_gas.tracker_mut(),
                );
                let created = match outcome.address {
                    Some(address) if status.is_ok() => address.into_word().into(),
                    _ => U256::ZERO,
                };
                let _ = interpreter.stack.push(created);
            }
        }
        if let Some(charge) = refund_state_gas {
            interpreter.gas.refill_reservoir(charge);
        }
        Ok(())
    }
}

/// The memory's buffer lent to revm's shared buffer while a precompile runs, so that the
/// precompile reads a CALL's arguments where they are.
///
/// A precompile provider reads a `CallInput::SharedBuffer` range from the local context's
/// shared buffer (`LocalContextTr::shared_memory_buffer`), where revm's own memory lives and
/// this memory does not. [`lend`](Self::lend) swaps the two buffers (three words each; nothing
/// is copied), [`range`](Self::range) moves a range from the memory's global offsets to the
/// buffer's, and dropping the guard swaps the buffers back, also when the precompile panics.
/// Copying the arguments out instead cost a copy of the whole region per call: 50,000 calls
/// with a 50,000-byte region (`static_Call50000_identity`) ran 3.4 times as long as under
/// stock revm.
///
/// While the buffer is lent the memory cannot be used: the guard holds it borrowed.
pub(crate) struct LentBuffer<'a> {
    memory: &'a mut EvmMemory,
    shared: Rc<RefCell<Vec<u8>>>,
    /// Where the memory's global offset 0 is in its buffer.
    head: usize,
}

impl<'a> LentBuffer<'a> {
    /// Lends `memory`'s buffer to `shared` until the guard is dropped.
    pub(crate) fn lend(memory: &'a mut EvmMemory, shared: &Rc<RefCell<Vec<u8>>>) -> Self {
        let head = memory.swap_buffer(&mut shared.borrow_mut());
        Self {
            memory,
            shared: Rc::clone(shared),
            head,
        }
    }

    /// Where the memory's global range `global` (a CALL's argument region) is in the lent
    /// buffer. An empty region may name any offset (revm keeps a zero-length region's offset
    /// as the stack gave it, up to `usize::MAX`): it is the empty range at 0.
    pub(crate) fn range(&self, global: Range<usize>) -> Range<usize> {
        if global.is_empty() {
            return 0..0;
        }
        global.start + self.head..global.end + self.head
    }
}

impl Drop for LentBuffer<'_> {
    fn drop(&mut self) {
        self.memory.swap_buffer(&mut self.shared.borrow_mut());
    }
}

/// The checks and effects before a CALL frame starts: call depth, journal checkpoint, value
/// transfer, precompiles, empty code.
#[inline(always)]
fn call_start<CTX, PRECOMPILES, ERROR>(
    this: OutFrame<'_, MemoryFrame>,
    ctx: &mut CTX,
    precompiles: &mut PRECOMPILES,
    depth: usize,
    mut inputs: Box<CallInputs>,
    memory: &mut EvmMemory,
    to_precompile: bool,
) -> Result<ItemOrResult<FrameToken, FrameResult>, ERROR>
where
    CTX: ContextTr,
    PRECOMPILES: PrecompileProvider<CTX, Output = InterpreterResult>,
    ERROR: From<DbError<CTX>> + FromStringError,
{
    let gas = Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit, inputs.reservoir);
    let ended = |status: InstructionResult, inputs: &CallInputs| {
        let mut outcome = CallOutcome::new(
            InterpreterResult::new(status, Bytes::new(), gas),
            inputs.return_memory_offset.clone(),
        );
        outcome.charged_new_account_state_gas = inputs.charged_new_account_state_gas;
        ItemOrResult::Result(FrameResult::Call(outcome))
    };
    if depth > CALL_STACK_LIMIT as usize {
        return Ok(ended(InstructionResult::CallTooDeep, &inputs));
    }
    let checkpoint = ctx.journal_mut().checkpoint();
    if let CallValue::Transfer(value) = inputs.value {
        // The target is touched even by a zero transfer (EIP-158's empty-account rules).
        if let Some(error) =
            ctx.journal_mut()
                .transfer_loaded(inputs.caller, inputs.target_address, value)
        {
            ctx.journal_mut().checkpoint_revert(checkpoint);
            return Ok(ended(error.into(), &inputs));
        }
    }

    let ran = match &inputs.input {
        CallInput::SharedBuffer(range) if to_precompile => {
            let global = range.clone();
            let lent = LentBuffer::lend(memory, ctx.local().shared_memory_buffer());
            inputs.input = CallInput::SharedBuffer(lent.range(global.clone()));
            let ran = precompiles.run(ctx, &inputs);
            drop(lent);
            inputs.input = CallInput::SharedBuffer(global);
            ran
        }
        _ => precompiles.run(ctx, &inputs),
    };
    if let Some(result) = ran.map_err(ERROR::from_string)? {
        let mut logs = Vec::new();
        if result.result.is_ok() {
            ctx.journal_mut().checkpoint_commit();
        } else {
            // Only a custom precompile can log; what it logged is kept for the caller to see.
            logs = ctx.journal_mut().logs()[checkpoint.log_i..].to_vec();
            ctx.journal_mut().checkpoint_revert(checkpoint);
        }
        let mut outcome = CallOutcome::new(result, inputs.return_memory_offset.clone());
        outcome.was_precompile_called = true;
        outcome.precompile_call_logs = logs;
        outcome.charged_new_account_state_gas = inputs.charged_new_account_state_gas;
        return Ok(ItemOrResult::Result(FrameResult::Call(outcome)));
    }

    let (code_hash, code) = inputs.known_bytecode.clone();
    if code.is_empty() {
        ctx.journal_mut().checkpoint_commit();
        return Ok(ended(InstructionResult::Stop, &inputs));
    }
    let interpreter = InterpreterStart {
        code,
        code_hash: Some(code_hash),
        target_address: inputs.target_address,
        caller_address: inputs.caller,
        bytecode_address: Some(inputs.bytecode_address),
        input: inputs.input.clone(),
        call_value: inputs.value.get(),
        depth,
        is_static: inputs.is_static,
        spec_id: ctx.cfg().spec().into(),
        gas_limit: inputs.gas_limit,
        reservoir: inputs.reservoir,
    };
    start_frame(
        this,
        memory,
        FrameStart {
            data: FrameData::Call(CallFrame {
                return_memory_range: inputs.return_memory_offset.clone(),
            }),
            input: FrameInput::Call(inputs),
            depth,
            checkpoint,
            interpreter,
        },
    )
}

/// The checks and effects before a CREATE frame starts: call depth, the creator's balance and
/// nonce, the new address, and the account's creation under a journal checkpoint.
#[inline(always)]
fn create_start<CTX, ERROR>(
    this: OutFrame<'_, MemoryFrame>,
    ctx: &mut CTX,
    depth: usize,
    inputs: Box<CreateInputs>,
    memory: &mut EvmMemory,
) -> Result<ItemOrResult<FrameToken, FrameResult>, ERROR>
where
    CTX: ContextTr,
    ERROR: From<DbError<CTX>> + FromStringError,
{
    let spec: SpecId = ctx.cfg().spec().into();
    let ended = |status: InstructionResult| {
        let gas = Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit(), inputs.reservoir());
        let mut outcome =
            CreateOutcome::new(InterpreterResult::new(status, Bytes::new(), gas), None);
        outcome.charged_create_state_gas = inputs.charged_create_state_gas();
        ItemOrResult::Result(FrameResult::Create(outcome))
    };
    if depth > CALL_STACK_LIMIT as usize {
        return Ok(ended(InstructionResult::CallTooDeep));
    }

    let journal = ctx.journal_mut();
    let mut creator = journal.load_account_mut(inputs.caller())?;
    if *creator.balance() < inputs.value() {
        return Ok(ended(InstructionResult::OutOfFunds));
    }
    let nonce = creator.nonce();
    if !creator.bump_nonce() {
        // A nonce at its maximum: the CREATE fails without starting a frame.
        return Ok(ended(InstructionResult::Return));
    }
    drop(creator);
    let created_address = inputs.created_address(nonce);
    let init_code_hash =
        matches!(inputs.scheme(), CreateScheme::Create2 { .. }).then(|| inputs.init_code_hash());
    journal.load_account(created_address)?;
    let checkpoint = match journal.create_account_checkpoint(
        inputs.caller(),
        created_address,
        inputs.value(),
        spec,
    ) {
        Ok(checkpoint) => checkpoint,
        Err(error) => return Ok(ended(error.into())),
    };

    let interpreter = InterpreterStart {
        code: Bytecode::new_legacy(inputs.init_code().clone()),
        code_hash: init_code_hash,
        target_address: created_address,
        caller_address: inputs.caller(),
        bytecode_address: None,
        input: CallInput::Bytes(Bytes::new()),
        call_value: inputs.value(),
        depth,
        is_static: false,
        spec_id: spec,
        gas_limit: inputs.gas_limit(),
        reservoir: inputs.reservoir(),
    };
    start_frame(
        this,
        memory,
        FrameStart {
            data: FrameData::Create(CreateFrame { created_address }),
            input: FrameInput::Create(inputs),
            depth,
            checkpoint,
            interpreter,
        },
    )
}
