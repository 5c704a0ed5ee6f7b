//! State-test cases run through our engines with the EIP-3155 tracer: [`trace_case`] for one
//! case and any sink, [`print_files`] for `conformance trace` (steps and closing lines on
//! stderr, a results array per file on stdout, as `evm statetest --json` prints them).

use std::io::Write;
use std::path::Path;

use revm_context_interface::result::{ExecutionResult, HaltReason, Output};
use revm_handler::{ExecuteCommitEvm, MainBuilder};
use revm_inspector::InspectCommitEvm;

use super::eip3155::{write_final, FinalLine};
use super::tracer::{Eip3155Tracer, JsonSink, TraceSink};
use crate::harness::statetest::engine::execute_in_context;
use crate::harness::statetest::prepared::{prepare_cases, PreparedCase};
use crate::harness::statetest::TestFile;
use crate::revm::MemoryBuilder;

/// Which of our engines runs a traced case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceEngine {
    /// `MemoryEvm`: revm's EVM with this crate's memory.
    Ours,
    /// Stock revm.
    Revm,
}

impl TraceEngine {
    /// The engine called `name` (`ours` or `revm`).
    ///
    /// # Errors
    /// Any other name.
    pub fn by_name(name: &str) -> Result<Self, String> {
        match name {
            "ours" => Ok(Self::Ours),
            "revm" => Ok(Self::Revm),
            _ => Err(format!("unknown engine `{name}` (ours, revm)")),
        }
    }
}

/// How a traced case ended: the closing line, the root, the file's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseEnd {
    /// The test's name.
    pub test: String,
    /// The fork.
    pub fork: String,
    /// Output, gas used by the first frame, error.
    pub last: FinalLine,
    /// The post-state root, `0x` hex.
    pub state_root: String,
    /// Whether the root is the one the file expects.
    pub pass: bool,
    /// Steps traced.
    pub steps: u64,
}

/// Lower-case hex without `0x`.
fn hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    super::eip3155::push_hex(&mut out, bytes);
    out.split_off(2)
}

/// The closing line of a result: the first frame's output, the gas it spent (the total spent
/// before refunds minus the intrinsic gas, which is the gas limit minus the gas at the first
/// step; 0 when no instruction ran) and its error (a revert included, as EELS and geth print).
fn final_line(
    result: &Result<ExecutionResult<HaltReason>, String>,
    gas_limit: u64,
    first_gas: Option<u64>,
) -> FinalLine {
    match result {
        Err(error) => FinalLine {
            output: String::new(),
            gas_used: None,
            error: Some(error.clone()),
        },
        Ok(result) => {
            let spent = result.gas().total_gas_spent();
            let gas_used = first_gas.map_or(0, |first| spent.saturating_sub(gas_limit - first));
            let (output, error) = match result {
                ExecutionResult::Success { output, .. } => match output {
                    Output::Call(bytes) => (hex(bytes), None),
                    Output::Create(bytes, _) => (hex(bytes), None),
                },
                ExecutionResult::Revert { output, .. } => (hex(output), Some("Revert".to_string())),
                ExecutionResult::Halt { reason, .. } => {
                    (String::new(), Some(format!("{reason:?}")))
                }
            };
            FinalLine {
                output,
                gas_used: Some(gas_used),
                error,
            }
        }
    }
}

/// Runs `case` through `engine` with an EIP-3155 tracer handing its steps to `sink`; returns the
/// sink and how the case ended.
pub fn trace_case<S: TraceSink>(engine: TraceEngine, case: &PreparedCase, sink: S) -> (S, CaseEnd) {
    let mut tracer = Some(Eip3155Tracer::new(sink));
    let run = execute_in_context(
        &case.cfg,
        &case.block,
        &case.tx,
        &case.prestate,
        |ctx, tx| {
            let Some(t) = tracer.take() else {
                return Err("the tracer is gone".to_string());
            };
            match engine {
                TraceEngine::Ours => {
                    let mut evm = ctx.build_memory_evm().with_step_hook(t);
                    let result = evm.transact_commit(tx).map_err(|e| e.to_string());
                    tracer = Some(evm.hook);
                    result
                }
                TraceEngine::Revm => {
                    let mut evm = ctx.build_mainnet_with_inspector(t);
                    let result = evm.inspect_tx_commit(tx).map_err(|e| e.to_string());
                    tracer = Some(evm.inspector);
                    result
                }
            }
        },
    );
    let tracer = tracer.unwrap_or_else(|| unreachable_tracer());
    let state_root = format!("{:#x}", run.state_root);
    let end = CaseEnd {
        test: case.test.clone(),
        fork: case.fork.clone(),
        last: final_line(&run.result, case.tx.gas_limit, tracer.first_gas),
        pass: run.state_root == case.expected_root,
        state_root,
        steps: tracer.steps,
    };
    (tracer.sink, end)
}

fn unreachable_tracer<S>() -> Eip3155Tracer<S> {
    unreachable!("trace_case puts the tracer back after every run")
}

/// Traces every case of `files` with `engine`: steps and closing lines to `steps`, one results
/// array per file to `results` (`[{"name","pass","fork","stateRoot"}]`). Returns how many
/// cases passed and how many ran.
///
/// # Errors
/// A file that cannot be read or parsed, or a write error.
pub fn print_files(
    engine: TraceEngine,
    files: &[TestFile],
    steps: &mut dyn Write,
    results: &mut dyn Write,
) -> Result<(usize, usize), String> {
    let (mut passed, mut ran) = (0, 0);
    for file in files {
        let cases = prepare_cases(file)?;
        let mut array = Vec::new();
        for case in &cases {
            let (sink, end) = trace_case(engine, case, JsonSink::new(&mut *steps));
            if let Some(e) = sink.error {
                return Err(format!("writing the trace: {e}"));
            }
            let mut closing = String::new();
            write_final(&mut closing, &end.last, &end.state_root);
            writeln!(steps, "{closing}").map_err(|e| format!("writing the trace: {e}"))?;
            ran += 1;
            passed += usize::from(end.pass);
            array.push(serde_json::json!({
                "name": end.test,
                "pass": end.pass,
                "fork": end.fork,
                "stateRoot": end.state_root,
            }));
        }
        let text = serde_json::to_string(&array).map_err(|e| e.to_string())?;
        writeln!(results, "{text}").map_err(|e| format!("writing the results: {e}"))?;
        steps.flush().map_err(|e| e.to_string())?;
        results.flush().map_err(|e| e.to_string())?;
    }
    Ok((passed, ran))
}

/// A file named on the command line (or on stdin) as a [`TestFile`].
pub fn test_file(path: &Path) -> TestFile {
    TestFile {
        path: path.to_path_buf(),
        name: path.display().to_string(),
        folder: String::new(),
    }
}
