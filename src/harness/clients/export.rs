//! `diff_evm` programs as GeneralStateTests files that any client's state-test runner reads:
//! random programs of a seed, the committed `corpus/diff_evm` and the named scenarios, each as
//! one file with one test, one fork (Cancun: every client runs it) and one transaction, filled
//! by stock revm (post-state root, logs hash, expected exception).
//!
//! A program's accounts and calldata carry over; what a state test cannot say is set the way
//! ethereum/tests sets it: the transaction is signed by the usual test key (so the sender is
//! `0xa94f…0b`, not the oracle's `SENDER`), gas price 10 over a base fee of 10, the fork is
//! Cancun whatever the program's, and a program's own memory limit is dropped (a state test
//! has none; gas bounds the memory).

use std::path::{Path, PathBuf};

use revm_statetest_types::TestSuite;
use serde_json::{json, Map, Value};

use crate::harness::corpus::list_corpus;
use crate::harness::evm::phase::random_program_input;
use crate::harness::evm::{decode_program, fuzz_program, Program, SCENARIOS};
use crate::harness::statetest::engine::StateTestEngine;
use crate::harness::statetest::engines::StockRevm;
use crate::harness::statetest::prepared::{prepare_suite, PreparedCase};

use super::run::{trace_case, TraceEngine};
use super::tracer::{StepOutcome, StepView, TraceSink};

/// The secret key of ethereum/tests' usual sender.
pub const SECRET_KEY: &str = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";
/// Its address.
pub const TEST_SENDER: &str = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b";

/// What to export.
#[derive(Clone, Debug)]
pub struct ExportConfig {
    /// Random programs (`random_NNNNN.json`), generated as the campaign's `diff_evm` phase does.
    pub random: u64,
    /// Their seed.
    pub seed: u64,
    /// Their maximum input length in bytes.
    pub max_input_len: usize,
    /// The corpus root whose `diff_evm` programs are exported (`corpus_<file>.json`); `None`
    /// for none.
    pub corpus_dir: Option<PathBuf>,
    /// Export the named scenarios (`scenario_<name>.json`).
    pub scenarios: bool,
    /// Leave out programs whose EIP-3155 trace with memory would be longer than this many
    /// bytes ([`trace_bytes`], measured on our engine): a client as slow as the execution
    /// specs takes seconds per megabyte. `None`: no bound.
    pub max_trace_bytes: Option<u64>,
}

impl Default for ExportConfig {
    fn default() -> Self {
        Self {
            random: 0,
            seed: crate::harness::rng::DEFAULT_SEED,
            max_input_len: crate::harness::rng::DEFAULT_MAX_INPUT_LEN,
            corpus_dir: Some(PathBuf::from("corpus")),
            scenarios: true,
            max_trace_bytes: None,
        }
    }
}

/// What [`export_statetests`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exported {
    /// The files, in order.
    pub files: Vec<PathBuf>,
    /// Of them: random programs, corpus programs, scenarios.
    pub random: usize,
    /// Corpus programs.
    pub corpus: usize,
    /// Scenarios.
    pub scenarios: usize,
    /// Transactions stock revm rejected (their files expect the exception).
    pub rejected: usize,
    /// Programs left out for a trace longer than [`ExportConfig::max_trace_bytes`].
    pub too_long: usize,
    /// Sum of [`trace_bytes`] over the files written.
    pub trace_bytes: u64,
}

/// About how many bytes an EIP-3155 trace with memory of `case` takes, measured on our engine:
/// 200 per step plus twice its memory size (the memory in hex).
pub fn trace_bytes(case: &PreparedCase) -> u64 {
    let (sink, _) = trace_case(TraceEngine::Ours, case, SizeSink(0));
    sink.0
}

/// Adds up [`trace_bytes`].
struct SizeSink(u64);

impl TraceSink for SizeSink {
    fn step(&mut self, view: &StepView<'_>) {
        self.0 = self.0.saturating_add(200 + 2 * view.memory.len() as u64);
    }

    fn step_end(&mut self, _outcome: &StepOutcome<'_>) {}
}

/// Every program `config` names, with its file stem, in export order: scenarios, corpus,
/// random.
///
/// # Errors
/// The corpus cannot be listed or read.
pub fn programs(config: &ExportConfig) -> Result<Vec<(String, &'static str, Program)>, String> {
    let mut out = Vec::new();
    if config.scenarios {
        for (name, spec) in SCENARIOS {
            out.push((
                format!("scenario_{name}"),
                "scenario",
                fuzz_program(&spec()),
            ));
        }
    }
    if let Some(dir) = &config.corpus_dir {
        let files = list_corpus(dir).map_err(|e| e.to_string())?;
        for file in files.iter().filter(|f| f.group == "diff_evm") {
            let bytes = std::fs::read(&file.path)
                .map_err(|e| format!("{}: cannot read: {e}", file.path.display()))?;
            let stem: String = file
                .relative
                .rsplit('/')
                .next()
                .unwrap_or(&file.relative)
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            out.push((
                format!("corpus_{stem}"),
                "corpus",
                fuzz_program(&decode_program(&bytes)),
            ));
        }
    }
    let mut input = Vec::new();
    for index in 0..config.random {
        random_program_input(config.seed, index, config.max_input_len, &mut input);
        out.push((
            format!("random_{index:05}"),
            "random",
            fuzz_program(&decode_program(&input)),
        ));
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    super::eip3155::push_hex(&mut out, bytes);
    out
}

/// `program` as a state test called `name`, its post entry not filled yet (`hash` and `logs`
/// zero).
pub fn unfilled_test(name: &str, source: &str, program: &Program) -> Value {
    let mut pre = Map::new();
    pre.insert(
        TEST_SENDER.to_string(),
        json!({"balance": "0x1000000000000000000000000", "code": "0x", "nonce": "0x00", "storage": {}}),
    );
    for contract in &program.contracts {
        pre.insert(
            format!("{:#x}", contract.address),
            json!({
                "balance": format!("{:#x}", crate::harness::evm::program::CONTRACT_BALANCE),
                "code": hex(&contract.code),
                "nonce": "0x00",
                "storage": {},
            }),
        );
    }
    let zero = format!("{:#066x}", 0);
    json!({ name: {
        "_info": {
            "comment": format!(
                "evm-memory diff_evm program ({source}) as a Cancun state test, filled by stock revm 43"
            ),
        },
        "env": {
            "currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
            "currentDifficulty": "0x00",
            "currentGasLimit": "0x0c540be400",
            "currentNumber": "0x01",
            "currentTimestamp": "0x03e8",
            "currentBaseFee": "0x0a",
            "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000020000",
            "currentExcessBlobGas": "0x00",
        },
        "pre": pre,
        "transaction": {
            "data": [hex(&program.calldata)],
            "gasLimit": [format!("{:#x}", program.gas_limit)],
            "gasPrice": "0x0a",
            "nonce": "0x00",
            "secretKey": SECRET_KEY,
            "sender": TEST_SENDER,
            "to": format!("{:#x}", program.entry()),
            "value": ["0x00"],
        },
        "post": { "Cancun": [ {
            "hash": zero,
            "logs": zero,
            "indexes": {"data": 0, "gas": 0, "value": 0},
        } ] },
    }})
}

/// `program` as a state test filled by stock revm: its post entry holds the root, the logs
/// hash and (when revm rejects the transaction) the expected exception. Returns the test and
/// whether the transaction was rejected, and its [`trace_bytes`].
///
/// # Errors
/// The test does not read back as a state test (a bug here).
pub fn filled_test(
    name: &str,
    source: &str,
    program: &Program,
) -> Result<(Value, bool, u64), String> {
    let mut test = unfilled_test(name, source, program);
    let suite: TestSuite =
        serde_json::from_value(test.clone()).map_err(|e| format!("{name}: {e}"))?;
    let cases = prepare_suite(name, &suite);
    let [case] = cases.as_slice() else {
        return Err(format!("{name}: {} cases instead of one", cases.len()));
    };
    let run = StockRevm::new().execute(&case.cfg, &case.block, &case.tx, &case.prestate);
    let post = &mut test[name]["post"]["Cancun"][0];
    post["hash"] = Value::String(format!("{:#x}", run.state_root));
    post["logs"] = Value::String(format!("{:#x}", run.logs_root));
    let rejected = match &run.result {
        Ok(_) => false,
        Err(error) => {
            let kind = if error.contains("intrinsic") {
                "TransactionException.INTRINSIC_GAS_TOO_LOW".to_string()
            } else {
                format!("TransactionException.REVM({error})")
            };
            post["expectException"] = Value::String(kind);
            true
        }
    };
    Ok((test, rejected, trace_bytes(case)))
}

/// Writes the programs `config` names into `dir` (created when missing) as state tests, one per
/// file.
///
/// # Errors
/// The corpus cannot be read, or `dir` cannot be created or written.
pub fn export_statetests(dir: &Path, config: &ExportConfig) -> Result<Exported, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    let mut exported = Exported::default();
    for (name, source, program) in programs(config)? {
        let (test, rejected, bytes) = filled_test(&name, source, &program)?;
        if config.max_trace_bytes.is_some_and(|max| bytes > max) {
            exported.too_long += 1;
            continue;
        }
        exported.trace_bytes += bytes;
        let path = dir.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&test).map_err(|e| e.to_string())?;
        std::fs::write(&path, text + "\n")
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        match source {
            "random" => exported.random += 1,
            "corpus" => exported.corpus += 1,
            _ => exported.scenarios += 1,
        }
        exported.rejected += usize::from(rejected);
        exported.files.push(path);
    }
    Ok(exported)
}
