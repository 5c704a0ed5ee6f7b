//! The bytecode-level oracle: one transaction through stock revm (watched by an `Inspector`)
//! and through [`MemoryEvm`](crate::revm::MemoryEvm) (watched by its step hook), compared
//! before every instruction (depth, pc, opcode, gas left, the running frame's memory size and
//! contents) and at the end (status, gas used and refunded, output, logs, every account the
//! transaction touched). Either engine panicking is a divergence too.
//!
//! [`EvmOracle::run`] reuses its recorders from run to run; on a divergence it runs both
//! engines once more to capture the memory of the step where they first differ, for the
//! report.

use std::fmt;

use revm_context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm_context_interface::result::{ExecResultAndState, ExecutionResult, HaltReason};
use revm_database::{CacheDB, EmptyDB};
use revm_handler::{ExecuteEvm, MainBuilder, MainContext};
use revm_inspector::InspectEvm;
use revm_primitives::Address;
use revm_state::EvmState;

use super::disasm::{disassemble, listing};
use super::generate::MAX_GENERATED_GAS;
use super::program::Program;
use super::reproducer::rust_reproducer;
use super::spec::ProgramSpec;
use super::trace::{Recorder, StepRecord};
use crate::harness::panics::catch;
use crate::revm::faults::Faults;
use crate::revm::{MemoryBuilder, Step};

/// The work a transaction may do to be compared ([`work`](super::trace::work): each instruction
/// counts one, plus one per KiB of memory it reads or writes, plus eight to start a frame). Stock revm runs first; a
/// transaction that wants more is stopped there and not compared ([`Agreement::over_budget`]).
/// Generated programs do about 700 on average; the 1,024-deep call chain about 30,000.
pub const MAX_WORK: u64 = 50_000;

/// A transaction and everything it runs on.
#[derive(Clone, Debug)]
pub struct TxSetup {
    /// The accounts before the transaction.
    pub db: CacheDB<EmptyDB>,
    /// The configuration (spec, limits).
    pub cfg: CfgEnv,
    /// The block.
    pub block: BlockEnv,
    /// The transaction.
    pub tx: TxEnv,
}

/// How one engine's run ended: the result (the error that rejected the transaction rendered),
/// and the state change.
type EngineEnd = Result<ExecResultAndState<ExecutionResult<HaltReason>, EvmState>, String>;

/// What a run of both engines that agreed shows, for statistics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agreement {
    /// Instructions compared (one per step of the trace).
    pub steps: usize,
    /// Instructions compared, by opcode.
    pub by_opcode: Vec<(u8, usize)>,
    /// Deepest frame reached.
    pub max_depth: u32,
    /// Largest frame memory seen.
    pub max_memory: u32,
    /// Whether the transaction succeeded (was not rejected, reverted or halted).
    pub success: bool,
    /// Whether the transaction wanted more than [`MAX_WORK`] instructions: stock revm was
    /// stopped there and `MemoryEvm` not run, so nothing was compared past the recorded steps.
    pub over_budget: bool,
}

/// Where and how the two engines first differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// Before instruction `index` (0-based, counted over the whole transaction) the engines
    /// show different states; `None` when one engine's trace had already ended.
    Step {
        /// Index of the first differing step.
        index: usize,
        /// Stock revm's step.
        stock: Option<StepRecord>,
        /// Our step.
        ours: Option<StepRecord>,
        /// The last step both showed alike.
        agreed: Option<StepRecord>,
        /// Stock revm's frame memory at the step.
        stock_memory: Option<Vec<u8>>,
        /// Our frame memory at the step.
        ours_memory: Option<Vec<u8>>,
        /// The code stock revm's frame runs at the step (for init code, which no account
        /// holds).
        code: Option<Vec<u8>>,
    },
    /// The traces agree but the results differ.
    Result {
        /// Stock revm's result.
        stock: String,
        /// Ours.
        ours: String,
    },
    /// The traces and results agree but the state changes differ, account by account.
    State {
        /// Each differing account: address, stock revm's view, ours.
        accounts: Vec<(Address, String, String)>,
    },
    /// An engine panicked.
    Panic {
        /// `revm` or `ours`.
        engine: &'static str,
        /// The panic message.
        message: String,
    },
}

/// A divergence: the difference and the traces' length, for the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmDivergence {
    /// What differs.
    pub difference: Difference,
    /// Steps stock revm ran.
    pub stock_steps: usize,
    /// Steps we ran.
    pub ours_steps: usize,
}

/// Runs transactions through both engines and compares them; keeps its buffers between runs.
#[derive(Debug)]
pub struct EvmOracle {
    stock: Recorder,
    ours: Recorder,
    /// Deliberate bugs given to `MemoryEvm` (the oracle's self-test; all off by default).
    pub faults: Faults,
}

/// The bytecode-level mutants an engine selection (`EVM_MEMORY_ENGINES`'s syntax) names, as
/// the faults `MemoryEvm` runs with: `mutant:NAME` for a name of
/// [`EVM_MUTANTS`](crate::revm::faults::EVM_MUTANTS). The other names are the op level's
/// (the bytecode level always compares `MemoryEvm` with stock revm) and are left alone.
///
/// # Errors
/// A `mutant:` name that is not a bytecode-level mutant, with the ones there are.
pub fn faults_from_selection(selection: &str) -> Result<Faults, String> {
    let mut faults = Faults::default();
    for name in selection.split(',').map(str::trim) {
        let Some(mutant) = name.strip_prefix("mutant:") else {
            continue;
        };
        let fault = Faults::by_mutant_name(mutant).ok_or_else(|| {
            let known: Vec<String> = crate::revm::faults::EVM_MUTANTS
                .iter()
                .map(|(n, _)| format!("mutant:{n}"))
                .collect();
            format!(
                "`{name}` is not a bytecode-level mutant (the bytecode level has {})",
                known.join(", ")
            )
        })?;
        faults = faults.with(fault);
    }
    Ok(faults)
}

impl Default for EvmOracle {
    fn default() -> Self {
        Self::new()
    }
}

impl EvmOracle {
    /// An oracle with empty recorders.
    pub fn new() -> Self {
        Self {
            stock: Recorder::new(MAX_WORK),
            ours: Recorder::new(MAX_WORK),
            faults: Faults::default(),
        }
    }

    /// Runs `setup` through stock revm and `MemoryEvm` and compares them step by step and at
    /// the end.
    ///
    /// # Errors
    /// The first [`EvmDivergence`].
    pub fn run(&mut self, setup: &TxSetup) -> Result<Agreement, Box<EvmDivergence>> {
        self.stock.clear();
        self.ours.clear();
        let Some((stock, ours)) = self.run_both(setup) else {
            return Ok(Agreement {
                steps: self.stock.steps.len(),
                over_budget: true,
                ..Agreement::default()
            });
        };
        let divergence = |oracle: &Self, difference| {
            Box::new(EvmDivergence {
                difference,
                stock_steps: oracle.stock.steps.len(),
                ours_steps: oracle.ours.steps.len(),
            })
        };
        let (stock, ours) = match (stock, ours) {
            (Err(message), _) => {
                return Err(divergence(
                    self,
                    Difference::Panic {
                        engine: "revm",
                        message,
                    },
                ))
            }
            (_, Err(message)) => {
                return Err(divergence(
                    self,
                    Difference::Panic {
                        engine: "ours",
                        message,
                    },
                ))
            }
            (Ok(stock), Ok(ours)) => (stock, ours),
        };
        if first_difference(&self.stock.steps, &self.ours.steps).is_some() {
            // The fast mode repeats digests between the instructions that change memory: run
            // again digesting every step, to find the first step that differs.
            let index = self.first_difference_in_full(setup);
            let difference = self.step_difference(setup, index);
            return Err(divergence(self, difference));
        }
        let (stock_result, ours_result) = (
            stock.as_ref().map(|r| &r.result),
            ours.as_ref().map(|r| &r.result),
        );
        if stock_result != ours_result {
            return Err(divergence(
                self,
                Difference::Result {
                    stock: format!("{stock_result:?}"),
                    ours: format!("{ours_result:?}"),
                },
            ));
        }
        if let (Ok(stock), Ok(ours)) = (&stock, &ours) {
            let accounts = state_differences(&stock.state, &ours.state);
            if !accounts.is_empty() {
                return Err(divergence(self, Difference::State { accounts }));
            }
        }
        Ok(self.agreement(&stock))
    }

    /// Both engines, each run caught: a panic becomes its message. `None` when stock revm ran
    /// over [`MAX_WORK`] (ours is then not run).
    fn run_both(
        &mut self,
        setup: &TxSetup,
    ) -> Option<(Result<EngineEnd, String>, Result<EngineEnd, String>)> {
        let faults = self.faults;
        let stock = catch(|| run_stock(setup, &mut self.stock));
        if self.stock.over_budget {
            return None;
        }
        let ours = catch(|| run_ours(setup, faults, &mut self.ours));
        Some((stock, ours))
    }

    /// Runs both again with the memory digested at every step; the first step that differs.
    fn first_difference_in_full(&mut self, setup: &TxSetup) -> usize {
        let (mut stock, mut ours) = (Recorder::new(MAX_WORK), Recorder::new(MAX_WORK));
        stock.full = true;
        ours.full = true;
        let _ = catch(|| run_stock(setup, &mut stock));
        let _ = catch(|| run_ours(setup, self.faults, &mut ours));
        let index = first_difference(&stock.steps, &ours.steps)
            .or_else(|| first_difference(&self.stock.steps, &self.ours.steps))
            .unwrap_or(0);
        self.stock = stock;
        self.ours = ours;
        index
    }

    /// Runs both again, keeping the memory of step `index`, and describes the difference.
    fn step_difference(&mut self, setup: &TxSetup, index: usize) -> Difference {
        let (stock, ours) = (
            self.stock.steps.get(index).copied(),
            self.ours.steps.get(index).copied(),
        );
        let agreed = index
            .checked_sub(1)
            .and_then(|i| self.stock.steps.get(i).copied());
        let mut stock_rec = Recorder::new(MAX_WORK);
        let mut ours_rec = Recorder::new(MAX_WORK);
        stock_rec.capture_at(index);
        ours_rec.capture_at(index);
        let _ = catch(|| run_stock(setup, &mut stock_rec));
        let _ = catch(|| run_ours(setup, self.faults, &mut ours_rec));
        Difference::Step {
            index,
            stock,
            ours,
            agreed,
            stock_memory: stock_rec.captured().map(|c| c.memory.clone()),
            ours_memory: ours_rec.captured().map(|c| c.memory.clone()),
            code: stock_rec
                .captured()
                .or(ours_rec.captured())
                .map(|c| c.code.clone()),
        }
    }

    fn agreement(&self, end: &EngineEnd) -> Agreement {
        let steps = &self.stock.steps;
        let mut counts = [0usize; 256];
        let (mut max_depth, mut max_memory) = (0, 0);
        for step in steps {
            counts[step.opcode as usize] += 1;
            max_depth = max_depth.max(step.depth);
            max_memory = max_memory.max(step.memory_len);
        }
        Agreement {
            steps: steps.len(),
            by_opcode: counts
                .iter()
                .enumerate()
                .filter(|(_, &n)| n > 0)
                .map(|(op, &n)| (op as u8, n))
                .collect(),
            max_depth,
            max_memory,
            success: matches!(end, Ok(r) if r.result.is_success()),
            over_budget: false,
        }
    }
}

fn context(setup: &TxSetup) -> revm_handler::MainnetContext<CacheDB<EmptyDB>> {
    Context::mainnet()
        .with_db(setup.db.clone())
        .with_cfg(setup.cfg.clone())
        .with_block(setup.block.clone())
}

/// Stock revm with `recorder` as its inspector.
fn run_stock(setup: &TxSetup, recorder: &mut Recorder) -> EngineEnd {
    let mut evm = context(setup).build_mainnet_with_inspector(recorder);
    evm.inspect_tx(setup.tx.clone()).map_err(|e| e.to_string())
}

/// `MemoryEvm` with `recorder` behind its step hook.
fn run_ours(setup: &TxSetup, faults: Faults, recorder: &mut Recorder) -> EngineEnd {
    let mut evm = context(setup)
        .build_memory_evm()
        .with_step_hook(|step: &Step<'_>| recorder.record_step(step));
    evm.faults = faults;
    evm.transact(setup.tx.clone()).map_err(|e| e.to_string())
}

/// Index of the first step where the traces differ (one ending before the other included).
fn first_difference(a: &[StepRecord], b: &[StepRecord]) -> Option<usize> {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => Some(i),
        None if a.len() != b.len() => Some(a.len().min(b.len())),
        None => None,
    }
}

/// The accounts whose post-transaction state differs, sorted by address.
fn state_differences(stock: &EvmState, ours: &EvmState) -> Vec<(Address, String, String)> {
    let mut addresses: Vec<Address> = stock.keys().chain(ours.keys()).copied().collect();
    addresses.sort();
    addresses.dedup();
    addresses
        .into_iter()
        .filter(|a| stock.get(a) != ours.get(a))
        .map(|a| {
            (
                a,
                format!("{:?}", stock.get(&a)),
                format!("{:?}", ours.get(&a)),
            )
        })
        .collect()
}

/// A step as one report line.
fn step_line(step: &Option<StepRecord>) -> String {
    match step {
        None => "(no step: the trace had ended)".to_string(),
        Some(s) => format!(
            "depth={} code={} pc={} opcode={:#04x} ({}) gas={} memory_len={} memory_digest={:016x}",
            s.depth,
            s.code_address
                .map_or_else(|| "init code".to_string(), |a| a.to_string()),
            s.pc,
            s.opcode,
            opcode_name(s.opcode),
            s.gas,
            s.memory_len,
            s.memory_digest
        ),
    }
}

/// The mnemonic of `opcode` (revm's table); an opcode revm does not define is
/// `UNDEFINED 0x0c` (with its value, so that two undefined opcodes never share a name).
pub fn opcode_name(opcode: u8) -> String {
    match revm_bytecode::opcode::OpCode::new(opcode) {
        Some(known) => known.as_str().to_string(),
        None => format!("UNDEFINED {opcode:#04x}"),
    }
}

/// `bytes` in hex, long ones as head … tail around `focus`.
fn hex_around(bytes: &[u8], focus: usize) -> String {
    const SPAN: usize = 32;
    let start = focus.saturating_sub(SPAN) & !31;
    let end = (focus + SPAN).min(bytes.len());
    let mut out = String::new();
    if start > 0 {
        out.push_str(&format!("[{start} bytes] … "));
    }
    for b in &bytes[start.min(bytes.len())..end] {
        out.push_str(&format!("{b:02x}"));
    }
    if end < bytes.len() {
        out.push_str(&format!(" … [{} more bytes]", bytes.len() - end));
    }
    out
}

impl fmt::Display for EvmDivergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.difference {
            Difference::Step {
                index,
                stock,
                ours,
                agreed,
                stock_memory,
                ours_memory,
                ..
            } => {
                writeln!(
                    f,
                    "DIVERGENCE before instruction #{index} (revm ran {} steps, ours {})",
                    self.stock_steps, self.ours_steps
                )?;
                writeln!(f, "last agreed step: {}", step_line(agreed))?;
                writeln!(f, "  [revm] {}", step_line(stock))?;
                writeln!(f, "  [ours] {}", step_line(ours))?;
                if let (Some(a), Some(b)) = (stock_memory, ours_memory) {
                    let first = a
                        .iter()
                        .zip(b.iter())
                        .position(|(x, y)| x != y)
                        .unwrap_or(a.len().min(b.len()));
                    writeln!(f, "first differing memory byte: {first}")?;
                    writeln!(f, "  [revm] {}", hex_around(a, first))?;
                    writeln!(f, "  [ours] {}", hex_around(b, first))?;
                }
                Ok(())
            }
            Difference::Result { stock, ours } => {
                writeln!(
                    f,
                    "DIVERGENCE in the result ({} steps alike)",
                    self.stock_steps
                )?;
                writeln!(f, "  [revm] {stock}")?;
                writeln!(f, "  [ours] {ours}")
            }
            Difference::State { accounts } => {
                writeln!(
                    f,
                    "DIVERGENCE in the state change ({} steps alike)",
                    self.stock_steps
                )?;
                for (address, stock, ours) in accounts {
                    writeln!(f, "account {address}:")?;
                    writeln!(f, "  [revm] {stock}")?;
                    writeln!(f, "  [ours] {ours}")?;
                }
                Ok(())
            }
            Difference::Panic { engine, message } => {
                writeln!(f, "PANIC in {engine}: {message}")
            }
        }
    }
}

/// `spec` compiled for fuzzing: its gas limit capped at [`MAX_GENERATED_GAS`]. Gas is what
/// bounds a program's work and memory (recursion through calls ends on gas or depth); only the
/// generator's explicit form spells out more, and in the fuzzer's corpus those programs were
/// a third of the inputs and nine tenths of the time. The named scenarios that need more (the
/// 1,024-deep call chain takes 2^44) run at their full gas in `tests/evm_oracle.rs`.
pub fn fuzz_program(spec: &ProgramSpec) -> Program {
    let mut program = spec.compile();
    program.gas_limit = program.gas_limit.min(MAX_GENERATED_GAS);
    program
}

/// The setup of a generated program.
pub fn program_setup(program: &Program) -> TxSetup {
    TxSetup {
        db: program.db(),
        cfg: program.cfg(),
        block: program.block(),
        tx: program.tx(),
    }
}

/// A divergence on `program` as a full report: what differs, the program disassembled with the
/// instruction where the engines first differ marked, and a pasteable Rust reproducer.
pub fn program_report(program: &Program, divergence: &EvmDivergence) -> String {
    let (mut mark, mut running) = (None, String::new());
    if let Difference::Step {
        stock, ours, code, ..
    } = &divergence.difference
    {
        if let Some(step) = stock.or(*ours) {
            let pc = step.pc as usize;
            match step.code_address {
                Some(address) if program.code_at(address).is_some() => {
                    mark = Some((address, pc));
                }
                // Init code (or code no account of the program holds): shown on its own.
                _ => {
                    if let Some(code) = code {
                        running = format!(
                            "the running code ({}, {} bytes):\n{}\n",
                            step.code_address
                                .map_or_else(|| "init code".to_string(), |a| a.to_string()),
                            code.len(),
                            disassemble(code, Some(pc))
                        );
                    }
                }
            }
        }
    }
    format!(
        "{divergence}\n{running}program ({:?}, gas limit {}, memory limit {:?}, calldata 0x{}):\n\
         {}\nreproducer (paste into a test file):\n\n{}",
        program.spec,
        program.gas_limit,
        program.memory_limit,
        revm_primitives::hex::encode(&program.calldata),
        listing(program, mark),
        rust_reproducer(program, "diff_evm_repro"),
    )
}

/// Runs `program` through both engines with `oracle`.
///
/// # Panics
/// On a divergence, with [`program_report`] as the message.
pub fn check_program_with(oracle: &mut EvmOracle, program: &Program) -> Agreement {
    match oracle.run(&program_setup(program)) {
        Ok(agreement) => agreement,
        Err(divergence) => panic!("{}", program_report(program, &divergence)),
    }
}

/// Runs `program` through stock revm and `MemoryEvm` and compares them before every
/// instruction and at the end.
///
/// # Panics
/// On a divergence, with the report ([`program_report`]).
pub fn check_program(program: &Program) -> Agreement {
    check_program_with(&mut EvmOracle::new(), program)
}
