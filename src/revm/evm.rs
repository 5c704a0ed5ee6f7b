//! [`MemoryEvm`]: an EVM that revm's `MainnetHandler` runs, with every frame on our memory;
//! [`MemoryBuilder`] builds one from a revm `Context`, as revm's `MainBuilder` does.

use revm_context::Context;
use revm_context_interface::local::FrameStack;
use revm_context_interface::result::FromStringError;
use revm_context_interface::result::{
    EVMError, ExecResultAndState, ExecutionResult, HaltReason, InvalidTransaction,
};
use revm_context_interface::{
    Block, Cfg, ContextSetters, ContextTr, Database, JournalTr, Transaction,
};
use revm_handler::database_interface::DatabaseCommit;
use revm_handler::evm::{ContextDbError, FrameInitResult};
use revm_handler::instructions::{EthInstructions, InstructionProvider};
use revm_handler::{
    EthPrecompiles, EvmTr, ExecuteCommitEvm, ExecuteEvm, FrameInitOrResult, FrameResult, Handler,
    ItemOrResult, MainnetHandler, PrecompileProvider,
};
use revm_interpreter::instructions::{GasTable, InstructionTable};
use revm_interpreter::interpreter_action::FrameInit;
use revm_interpreter::interpreter_types::{Jumps, LegacyBytecode, LoopControl, ReturnData};
use revm_interpreter::{CallInput, FrameInput, Host, InterpreterAction, InterpreterResult};
use revm_primitives::{Address, AddressSet};
use revm_state::EvmState;

use super::frame::MemoryFrame;
use super::interpreter::MemoryInterpreter;
use super::memory::{config_for_cfg, EvmMemory};
use super::step::{Step, StepEnd, StepHook};
use crate::memory::Memory;

/// An EVM whose frames run on one [`Memory`](crate::Memory) with isolated child contexts,
/// instead of revm's `SharedMemory`. Everything else is revm's: the context (block, tx, cfg,
/// journal, database), the instruction table, the precompiles and the mainnet handler that
/// validates, executes, refunds and rewards.
///
/// The fields mirror revm's `Evm`, so code written against `evm.ctx` works unchanged.
/// [`ExecuteEvm`] and [`ExecuteCommitEvm`] give `transact`, `transact_one`,
/// `transact_commit`, `replay` and `finalize`, with the types of revm's mainnet EVM.
///
/// One memory allocation serves every transaction the EVM runs
/// ([`with_memory`](Self::with_memory) hands it one to reuse).
#[derive(Debug)]
pub struct MemoryEvm<
    CTX,
    INST = EthInstructions<MemoryInterpreter, CTX>,
    PRECOMPILES = EthPrecompiles,
    HOOK = (),
> {
    /// The context: block, transaction, configuration, journal and database.
    pub ctx: CTX,
    /// The instruction table (revm's, over [`MemoryInterpreter`]).
    pub instruction: INST,
    /// The precompiles.
    pub precompiles: PRECOMPILES,
    /// The frames, pooled across calls and transactions.
    pub frame_stack: FrameStack<MemoryFrame>,
    /// The memory whenever no frame holds it: between transactions (emptied, allocation
    /// kept), and for a moment while it moves from a caller's frame to its callee's and back.
    /// Moving it is a swap, so no memory is ever built or dropped on a call.
    memory: EvmMemory,
    /// Which call targets can be precompiles, without a hash lookup for every call.
    precompile_filter: PrecompileFilter,
    /// What looks at every instruction ([`StepHook`]; `()` for nothing).
    pub hook: HOOK,
    /// Deliberate bugs for the oracle's self-test (feature `harness` only; all off).
    #[cfg(feature = "harness")]
    pub faults: super::faults::Faults,
}

/// A cheap first test of "is this address a precompile": the largest precompile address of
/// the provider's set, found again whenever the set changes (a new spec). Any address above it
/// is not a precompile; for the others the set itself decides. Mainnet's precompiles are the
/// addresses 0x01 to 0x100, so a CALL to a contract never pays for a lookup.
#[derive(Debug, Default)]
struct PrecompileFilter {
    /// Identity of the set the bound was found for: where it is and how many it holds.
    set: (usize, usize),
    /// The largest precompile address (`None` for an empty set).
    max: Option<Address>,
}

impl PrecompileFilter {
    /// Finds the bound again if `set` is not the set it was found for.
    fn refresh(&mut self, set: &AddressSet) {
        let identity = (core::ptr::from_ref(set).addr(), set.len());
        if identity != self.set {
            self.set = identity;
            self.max = set.iter().max().copied();
        }
    }

    /// Whether `address` may be a precompile of the set last refreshed with.
    #[inline]
    fn may_contain(&self, address: &Address) -> bool {
        self.max.is_some_and(|max| *address <= max)
    }
}

/// Builds a [`MemoryEvm`] from a revm [`Context`], as revm's `MainBuilder::build_mainnet`
/// builds its mainnet EVM: mainnet instructions and precompiles for the context's spec.
pub trait MemoryBuilder: Sized {
    /// The context the EVM runs with.
    type Context;

    /// The EVM, with a memory that allocates on first use.
    fn build_memory_evm(self) -> MemoryEvm<Self::Context>;
}

impl<BLOCK, TX, CFG, DB, JOURNAL, CHAIN> MemoryBuilder
    for Context<BLOCK, TX, CFG, DB, JOURNAL, CHAIN>
where
    BLOCK: Block,
    TX: Transaction,
    CFG: Cfg,
    DB: Database,
    JOURNAL: JournalTr<Database = DB>,
{
    type Context = Self;

    fn build_memory_evm(self) -> MemoryEvm<Self> {
        let spec = self.cfg.spec().into();
        MemoryEvm::new_with(
            self,
            EthInstructions::new_mainnet_with_spec(spec),
            EthPrecompiles::new(spec),
        )
    }
}

impl<CTX, INST, PRECOMPILES> MemoryEvm<CTX, INST, PRECOMPILES> {
    /// An EVM from its parts, with a memory that allocates on first use.
    pub fn new_with(ctx: CTX, instruction: INST, precompiles: PRECOMPILES) -> Self {
        Self {
            ctx,
            instruction,
            precompiles,
            frame_stack: FrameStack::new_prealloc(8),
            memory: EvmMemory::default(),
            precompile_filter: PrecompileFilter::default(),
            hook: (),
            #[cfg(feature = "harness")]
            faults: super::faults::Faults::default(),
        }
    }
}

impl<CTX, INST, PRECOMPILES, HOOK> MemoryEvm<CTX, INST, PRECOMPILES, HOOK> {
    /// Uses `memory`'s allocation for the transactions to come (its contents and limit are
    /// replaced: each transaction starts empty, with the context's configured limit).
    pub fn with_memory(mut self, memory: Memory) -> Self {
        self.memory = EvmMemory::new(memory);
        self
    }

    /// The same EVM with `hook` looking at every instruction it runs (see [`StepHook`]).
    pub fn with_step_hook<H: StepHook>(self, hook: H) -> MemoryEvm<CTX, INST, PRECOMPILES, H> {
        MemoryEvm {
            ctx: self.ctx,
            instruction: self.instruction,
            precompiles: self.precompiles,
            frame_stack: self.frame_stack,
            memory: self.memory,
            precompile_filter: self.precompile_filter,
            hook,
            #[cfg(feature = "harness")]
            faults: self.faults,
        }
    }

    /// The memory between transactions (empty; its allocation is what the next transaction
    /// reuses).
    pub fn memory(&self) -> core::cell::Ref<'_, Memory> {
        self.memory.memory()
    }

    /// Gives back the context and the memory.
    pub fn into_parts(self) -> (CTX, Memory) {
        (self.ctx, self.memory.into_inner())
    }
}

impl<CTX: ContextTr, INST, PRECOMPILES, HOOK> MemoryEvm<CTX, INST, PRECOMPILES, HOOK> {
    /// Readies the memory for a transaction's first frame: emptied, with the limit the
    /// context's configuration sets (`Cfg::memory_limit`, the limit revm's `SharedMemory`
    /// enforces: see [`config_for_limit`](super::config_for_limit)) and the memory pricing of its `GasParams` (see
    /// [`config_for_cfg`]).
    fn prepare_memory(&mut self) {
        self.memory.set_limit(self.ctx.cfg().memory_limit());
        let config = config_for_cfg(self.ctx.cfg());
        let memory = self.memory.memory_mut();
        if memory.limit() == config.memory_limit && memory.pricing() == config.pricing {
            memory.reset();
        } else {
            let buffer = core::mem::take(memory).into_buffer();
            // Only the limit and the pricing change; a configuration from `config_for_cfg` is
            // valid and reserves nothing, so this cannot fail.
            *memory = Memory::with_buffer(buffer, config).unwrap_or_default();
        }
    }
}

impl<CTX, INST, PRECOMPILES, HOOK> EvmTr for MemoryEvm<CTX, INST, PRECOMPILES, HOOK>
where
    CTX: ContextTr,
    HOOK: StepHook,
    INST: InstructionProvider<Context = CTX, InterpreterTypes = MemoryInterpreter>,
    PRECOMPILES: PrecompileProvider<CTX, Output = InterpreterResult>,
{
    type Context = CTX;
    type Instructions = INST;
    type Precompiles = PRECOMPILES;
    type Frame = MemoryFrame;

    #[inline]
    fn all(&self) -> (&CTX, &INST, &PRECOMPILES, &FrameStack<MemoryFrame>) {
        (
            &self.ctx,
            &self.instruction,
            &self.precompiles,
            &self.frame_stack,
        )
    }

    #[inline]
    fn all_mut(
        &mut self,
    ) -> (
        &mut CTX,
        &mut INST,
        &mut PRECOMPILES,
        &mut FrameStack<MemoryFrame>,
    ) {
        (
            &mut self.ctx,
            &mut self.instruction,
            &mut self.precompiles,
            &mut self.frame_stack,
        )
    }

    /// Starts a frame (pushed on the frame stack) or returns its result at once. The memory
    /// moves from the caller's frame (or, for the first frame, from between transactions) into
    /// the new frame, or stays where it was when no frame starts.
    fn frame_init(
        &mut self,
        mut frame_input: FrameInit,
    ) -> Result<FrameInitResult<'_, MemoryFrame>, ContextDbError<CTX>> {
        let is_first = self.frame_stack.index().is_none();
        // Whether the frame is a CALL to a precompile whose arguments are in the caller's
        // memory, which the memory then lends to the precompile (`MemoryFrame::init_known`).
        let mut to_precompile = false;
        if is_first {
            self.prepare_memory();
            self.precompile_filter
                .refresh(self.precompiles.warm_addresses());
        } else {
            let caller_memory = &mut self.frame_stack.get().interpreter.memory;
            if let FrameInput::Call(inputs) = &mut frame_input.frame_input {
                if matches!(inputs.input, CallInput::SharedBuffer(_))
                    && self.precompile_filter.may_contain(&inputs.bytecode_address)
                    && self.precompiles.contains(&inputs.bytecode_address)
                {
                    #[cfg(feature = "harness")]
                    self.faults.before_precompile(inputs, caller_memory);
                    to_precompile = true;
                }
            }
            core::mem::swap(&mut self.memory, caller_memory);
        }
        let new_frame = if is_first {
            self.frame_stack.start_init()
        } else {
            self.frame_stack.get_next()
        };
        let started = MemoryFrame::init_known(
            new_frame,
            &mut self.ctx,
            &mut self.precompiles,
            frame_input,
            &mut self.memory,
            to_precompile,
        );
        match started {
            Ok(ItemOrResult::Item(token)) => {
                if is_first {
                    // SAFETY: `token` comes from `start_init` on this frame stack, just above.
                    unsafe { self.frame_stack.end_init(token) };
                } else {
                    // SAFETY: `token` comes from `get_next` on this frame stack, which was
                    // initialised (it has a current frame: `is_first` is false).
                    unsafe { self.frame_stack.push(token) };
                }
                Ok(ItemOrResult::Item(self.frame_stack.get()))
            }
            Ok(ItemOrResult::Result(result)) => {
                // No frame started: the memory goes back to the caller, unchanged.
                if !is_first {
                    core::mem::swap(
                        &mut self.memory,
                        &mut self.frame_stack.get().interpreter.memory,
                    );
                }
                Ok(ItemOrResult::Result(result))
            }
            Err(error) => {
                if !is_first {
                    core::mem::swap(
                        &mut self.memory,
                        &mut self.frame_stack.get().interpreter.memory,
                    );
                }
                Err(error)
            }
        }
    }

    /// Runs the frame on top of the stack until it calls, creates or ends.
    fn frame_run(&mut self) -> Result<FrameInitOrResult<MemoryFrame>, ContextDbError<CTX>> {
        let frame = self.frame_stack.get();
        let (table, gas_table) = (
            self.instruction.instruction_table(),
            self.instruction.gas_table(),
        );
        let action = if HOOK::ENABLED {
            run_with_hook(frame, table, gas_table, &mut self.ctx, &mut self.hook)
        } else {
            frame.interpreter.run_plain(table, gas_table, &mut self.ctx)
        };
        frame
            .process_next_action::<_, ContextDbError<CTX>>(&mut self.ctx, action)
            .inspect(|next| {
                if next.is_result() {
                    frame.set_finished(true);
                }
            })
    }

    /// Pops the finished frame, whose memory goes back to its caller with the child context
    /// closed, and hands the caller the result; the first frame's result is returned.
    fn frame_return_result(
        &mut self,
        result: FrameResult,
    ) -> Result<Option<FrameResult>, ContextDbError<CTX>> {
        let frame = self.frame_stack.get();
        if frame.is_finished() {
            core::mem::swap(&mut self.memory, &mut frame.interpreter.memory);
            if let Some(checkpoint) = frame.take_memory_checkpoint() {
                self.memory
                    .memory_mut()
                    .exit_child(checkpoint)
                    .map_err(|e| {
                        ContextDbError::<CTX>::from_string(format!("closing a frame's memory: {e}"))
                    })?;
            }
            self.frame_stack.pop();
            if self.frame_stack.index().is_none() {
                self.memory.memory_mut().reset();
                return Ok(Some(result));
            }
            core::mem::swap(
                &mut self.memory,
                &mut self.frame_stack.get().interpreter.memory,
            );
        }
        if self.frame_stack.index().is_none() {
            return Ok(Some(result));
        }
        #[cfg(feature = "harness")]
        let kept = self.faults.revert_output_not_copied.then(|| {
            super::faults::return_region_before(&result, &self.frame_stack.get().interpreter.memory)
        });
        self.frame_stack
            .get()
            .return_result::<_, ContextDbError<CTX>>(&mut self.ctx, result)?;
        #[cfg(feature = "harness")]
        if let Some(Some((start, bytes))) = kept {
            use revm_interpreter::interpreter_types::MemoryTr;
            self.frame_stack.get().interpreter.memory.set(start, &bytes);
        }
        Ok(None)
    }
}

/// revm's interpreter loop, one instruction at a time, showing `hook` the frame before each.
fn run_with_hook<CTX: Host, HOOK: StepHook>(
    frame: &mut MemoryFrame,
    table: &InstructionTable<MemoryInterpreter, CTX>,
    gas_table: &GasTable,
    ctx: &mut CTX,
    hook: &mut HOOK,
) -> InterpreterAction {
    let interpreter = &mut frame.interpreter;
    loop {
        hook.step(&Step {
            depth: frame.depth,
            code_address: interpreter.input.bytecode_address,
            pc: interpreter.bytecode.pc(),
            opcode: interpreter.bytecode.opcode(),
            gas_remaining: interpreter.gas.remaining(),
            memory: interpreter.memory.memory().as_slice(),
            stack: interpreter.stack.data(),
            code: interpreter.bytecode.bytecode_slice(),
            refund: interpreter.gas.refunded(),
            return_data: interpreter.return_data.buffer(),
        });
        let stepped = interpreter.step(table, gas_table, ctx);
        if let Err(stop) = stepped {
            if interpreter.bytecode.action().is_none() {
                interpreter.halt(stop);
            }
        }
        hook.step_end(&StepEnd {
            gas_remaining: interpreter.gas.remaining(),
            refund: interpreter.gas.refunded(),
            ended: match interpreter.bytecode.action() {
                Some(InterpreterAction::Return(result)) => Some(result.result),
                _ => None,
            },
        });
        if stepped.is_err() {
            return interpreter.take_next_action();
        }
    }
}

impl<CTX, INST, PRECOMPILES, HOOK> ExecuteEvm for MemoryEvm<CTX, INST, PRECOMPILES, HOOK>
where
    HOOK: StepHook,
    CTX: ContextTr<Journal: JournalTr<State = EvmState>> + ContextSetters,
    INST: InstructionProvider<Context = CTX, InterpreterTypes = MemoryInterpreter>,
    PRECOMPILES: PrecompileProvider<CTX, Output = InterpreterResult>,
{
    type ExecutionResult = ExecutionResult<HaltReason>;
    type State = EvmState;
    type Error = EVMError<<CTX::Db as Database>::Error, InvalidTransaction>;
    type Tx = <CTX as ContextTr>::Tx;
    type Block = <CTX as ContextTr>::Block;

    fn set_block(&mut self, block: Self::Block) {
        self.ctx.set_block(block);
    }

    fn transact_one(&mut self, tx: Self::Tx) -> Result<Self::ExecutionResult, Self::Error> {
        self.ctx.set_tx(tx);
        MainnetHandler::default().run(self)
    }

    fn finalize(&mut self) -> Self::State {
        self.ctx.journal_mut().finalize()
    }

    fn replay(
        &mut self,
    ) -> Result<ExecResultAndState<Self::ExecutionResult, Self::State>, Self::Error> {
        let result = MainnetHandler::default().run(self);
        let state = self.finalize();
        result.map(|result| ExecResultAndState::new(result, state))
    }
}

impl<CTX, INST, PRECOMPILES, HOOK> ExecuteCommitEvm for MemoryEvm<CTX, INST, PRECOMPILES, HOOK>
where
    HOOK: StepHook,
    CTX: ContextTr<Journal: JournalTr<State = EvmState>, Db: DatabaseCommit> + ContextSetters,
    INST: InstructionProvider<Context = CTX, InterpreterTypes = MemoryInterpreter>,
    PRECOMPILES: PrecompileProvider<CTX, Output = InterpreterResult>,
{
    fn commit(&mut self, state: Self::State) {
        self.ctx.db_mut().commit(state);
    }
}

/// revm's own EVM type, for comparison: `MemoryEvm` is to our memory what revm's `Evm` with
/// `EthFrame` is to `SharedMemory`.
pub type StockEvm<CTX> = revm_handler::MainnetEvm<CTX>;
