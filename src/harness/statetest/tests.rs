//! The runner on small state-test files written at test time: a passing test whose post-state
//! comes from an independent run, broken files and values (reported, never a panic), skips with
//! their reasons, broken engines (reported as disagreements), deterministic reports.

use std::fs;
use std::path::{Path, PathBuf};

use revm_bytecode::Bytecode;
use revm_context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm_context_interface::result::ExecutionResult;
use revm_database::CacheState;
use revm_handler::{ExecuteCommitEvm, MainBuilder, MainContext};
use revm_primitives::hardfork::SpecId;
use revm_primitives::{address, hex, keccak256, Address, Bytes, TxKind, B256, U256};
use revm_state::AccountInfo;

use super::*;

const CONTRACT: Address = address!("0000000000000000000000000000000000001000");
const SENDER: Address = address!("a94f5374fce5edbc8e2a8697c15331677e6ebf0b");
const COINBASE: Address = address!("2adc25665018aa1fe0e6bc666dac8fc2697ff9ba");
const SECRET_KEY: &str = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8";

/// MSTORE8 0xff at 0; SSTORE 1 ← MLOAD 0; LOG0 of memory[0..32]; SSTORE 2 ← MSIZE;
/// RETURN memory[0..32].
const CODE: &str = "0x60ff600053600051600155602060006000a05960025560206000f3";
const GAS_LIMIT: u64 = 200_000;
const GAS_PRICE: u128 = 10;
const SENDER_BALANCE: u64 = 1_000_000_000_000;

/// A fresh, empty directory under the system temp dir.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "evm-memory-statetest-{}-{name}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn stock() -> Vec<Box<dyn StateTestEngine>> {
    vec![Box::new(StockRevm::new())]
}

fn config() -> RunConfig {
    RunConfig {
        jobs: 2,
        progress: false,
    }
}

/// The expected output: the word at 0 after MSTORE8 0xff at 0.
fn expected_output() -> Bytes {
    let mut word = [0u8; 32];
    word[0] = 0xff;
    Bytes::copy_from_slice(&word)
}

/// The roots of the fixture's transaction, from a run set up by hand with revm's own types
/// (not through the runner's set-up).
fn independent_roots() -> (B256, B256) {
    let code = Bytes::from(hex::decode(CODE).unwrap());
    let mut prestate = CacheState::new();
    prestate.insert_account_with_storage(
        CONTRACT,
        AccountInfo {
            balance: U256::ZERO,
            nonce: 1,
            code_hash: keccak256(&code),
            code: Some(Bytecode::new_legacy(code)),
            ..AccountInfo::default()
        },
        [(U256::from(2), U256::from(7))].into_iter().collect(),
    );
    prestate.insert_account_with_storage(
        SENDER,
        AccountInfo {
            balance: U256::from(SENDER_BALANCE),
            ..AccountInfo::default()
        },
        Default::default(),
    );
    let mut cfg = CfgEnv::new_with_spec(SpecId::CANCUN);
    cfg.chain_id = 1;
    let block = BlockEnv {
        number: U256::from(1),
        beneficiary: COINBASE,
        timestamp: U256::from(1000),
        gas_limit: 0x0a00_0000,
        basefee: 7,
        difficulty: U256::ZERO,
        prevrandao: Some(B256::with_last_byte(2)),
        ..BlockEnv::default()
    };
    let tx = TxEnv {
        caller: SENDER,
        gas_limit: GAS_LIMIT,
        gas_price: GAS_PRICE,
        kind: TxKind::Call(CONTRACT),
        value: U256::from(5),
        data: Bytes::new(),
        nonce: 0,
        chain_id: Some(1),
        ..TxEnv::default()
    };
    let mut state = fresh_state(&prestate);
    let result = Context::mainnet()
        .with_cfg(cfg)
        .with_block(block)
        .with_tx(tx.clone())
        .with_db(&mut state)
        .build_mainnet()
        .transact_commit(tx)
        .unwrap();
    assert!(result.is_success(), "{result:?}");
    assert_eq!(result.output(), Some(&expected_output()));
    assert_eq!(result.logs().len(), 1);
    (logs_root(result.logs()), cache_state_root(&state.cache))
}

/// Knobs of the fixture file.
struct Fixture {
    forks: Vec<&'static str>,
    state_root: B256,
    logs_root: B256,
    /// Extra fields of the post entries (`"expectException": …`).
    expect_exception: Option<&'static str>,
    data_index: usize,
    secret_key: bool,
    max_priority_fee: Option<&'static str>,
    excess_blob_gas: &'static str,
}

impl Fixture {
    fn passing() -> Self {
        let (logs_root, state_root) = independent_roots();
        Self {
            forks: vec!["Cancun"],
            state_root,
            logs_root,
            expect_exception: None,
            data_index: 0,
            secret_key: true,
            max_priority_fee: None,
            excess_blob_gas: "0x00",
        }
    }

    /// A state-test file with one test, `memoryBasics`, and two post entries per fork: the
    /// transaction with enough gas (checked against the roots) and the same with gas below the
    /// intrinsic cost (expected to be rejected).
    fn json(&self) -> String {
        let mut entry = format!(
            r#"{{"indexes": {{"data": {d}, "gas": 0, "value": 0}}, "hash": "{h}", "logs": "{l}""#,
            d = self.data_index,
            h = self.state_root,
            l = self.logs_root,
        );
        if let Some(exception) = self.expect_exception {
            entry.push_str(&format!(r#", "expectException": "{exception}""#));
        }
        entry.push('}');
        let rejected = format!(
            r#"{{"indexes": {{"data": 0, "gas": 1, "value": 0}}, "hash": "{h}", "logs": "{l}", "expectException": "TR_IntrinsicGas"}}"#,
            h = B256::ZERO,
            l = self.logs_root,
        );
        let post: Vec<String> = self
            .forks
            .iter()
            .map(|fork| format!(r#""{fork}": [{entry}, {rejected}]"#))
            .collect();
        let secret = if self.secret_key {
            format!(r#""secretKey": "{SECRET_KEY}","#)
        } else {
            String::new()
        };
        let priority = self
            .max_priority_fee
            .map(|fee| format!(r#""maxPriorityFeePerGas": "{fee}", "maxFeePerGas": "0x0a","#))
            .unwrap_or_else(|| format!(r#""gasPrice": "{GAS_PRICE:#x}","#));
        format!(
            r#"{{
  "memoryBasics": {{
    "env": {{
      "currentBaseFee": "0x07",
      "currentCoinbase": "{COINBASE}",
      "currentDifficulty": "0x00",
      "currentExcessBlobGas": "{excess}",
      "currentGasLimit": "0x0a000000",
      "currentNumber": "0x01",
      "currentRandom": "{random}",
      "currentTimestamp": "0x03e8"
    }},
    "pre": {{
      "{CONTRACT}": {{"balance": "0x00", "code": "{CODE}", "nonce": "0x01", "storage": {{"0x02": "0x07"}}}},
      "{SENDER}": {{"balance": "{SENDER_BALANCE:#x}", "code": "0x", "nonce": "0x00", "storage": {{}}}}
    }},
    "post": {{ {post} }},
    "transaction": {{
      "data": ["0x"],
      "gasLimit": ["{GAS_LIMIT:#x}", "0x5000"],
      {priority}
      "nonce": "0x00",
      {secret}
      "sender": "{SENDER}",
      "to": "{CONTRACT}",
      "value": ["0x05"]
    }},
    "out": "{out}"
  }}
}}
"#,
            excess = self.excess_blob_gas,
            random = B256::with_last_byte(2),
            post = post.join(", "),
            out = expected_output(),
        )
    }
}

/// `json` written as `<dir>/<name>`.
fn write(dir: &Path, name: &str, json: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, json).unwrap();
}

fn run_dir(dir: &Path, engines: &[Box<dyn StateTestEngine>]) -> StateTestReport {
    run_paths(&[dir.to_path_buf()], engines, &config()).unwrap()
}

fn run_text(json: &str, engines: &[Box<dyn StateTestEngine>]) -> FileOutcome {
    run_suite("t.json", json, engines)
}

#[test]
fn a_minimal_state_test_passes_with_its_independently_computed_roots() {
    let dir = temp_dir("passing");
    write(&dir, "memory/basics.json", &Fixture::passing().json());
    let report = run_dir(&dir, &stock());
    assert!(report.passed(), "{}", report.failures_text());
    assert_eq!(
        report.totals,
        Counts {
            files: 1,
            cases: 2,
            passed: 2,
            failed: 0,
            skipped: 0
        }
    );
    assert_eq!(report.folders.len(), 1);
    assert_eq!(report.folders[0].folder, "memory");
    assert!(report
        .to_markdown()
        .contains("| memory | 1 | 2 | 2 | 0 | 0 |"));
}

#[test]
fn a_wrong_root_or_a_missing_exception_is_a_failure_of_that_engine() {
    let mut wrong = Fixture::passing();
    wrong.state_root = B256::with_last_byte(9);
    let outcome = run_text(&wrong.json(), &stock());
    assert_eq!((outcome.passed, outcome.failed), (1, 1));
    let failure = &outcome.failures[0];
    assert_eq!(failure.kind, FailureKind::File);
    assert_eq!(failure.engine.as_deref(), Some("revm"));
    assert_eq!(failure.mismatches[0].what, "state root");
    assert_eq!(
        failure.mismatches[0].expected,
        B256::with_last_byte(9).to_string()
    );
    let case = failure.location.case.as_ref().unwrap();
    assert_eq!((case.entry, case.d, case.g, case.v), (0, 0, 0, 0));
    assert_eq!(failure.location.fork.as_deref(), Some("Cancun"));
    assert_eq!(failure.location.test.as_deref(), Some("memoryBasics"));

    let mut wrong_logs = Fixture::passing();
    wrong_logs.logs_root = logs_root(&[]);
    let outcome = run_text(&wrong_logs.json(), &stock());
    assert_eq!(outcome.failures[0].mismatches[0].what, "logs hash");

    let mut exception = Fixture::passing();
    exception.expect_exception = Some("TR_NoFunds");
    let outcome = run_text(&exception.json(), &stock());
    let m = &outcome.failures[0].mismatches[0];
    assert_eq!(
        (m.what.as_str(), m.expected.as_str(), m.got.as_str()),
        ("exception", "exception TR_NoFunds", "success (Return)")
    );
}

#[test]
fn a_file_that_is_not_a_state_test_is_a_reported_failure() {
    let dir = temp_dir("malformed");
    write(&dir, "a/broken.json", "{ \"x\": [1, 2");
    write(&dir, "a/not-a-suite.json", "[1, 2, 3]");
    write(&dir, "a/ok.json", &Fixture::passing().json());
    write(&dir, "a/notes.txt", "not a test");
    let report = run_dir(&dir, &stock());
    assert!(!report.passed());
    assert_eq!(report.totals.files, 3);
    assert_eq!(
        (report.totals.passed, report.totals.failed),
        (2, 2),
        "{}",
        report.failures_text()
    );
    let files: Vec<&str> = report
        .failures
        .iter()
        .map(|f| f.location.file.as_str())
        .collect();
    assert_eq!(files, ["a/broken.json", "a/not-a-suite.json"]);
    for failure in &report.failures {
        assert_eq!(failure.kind, FailureKind::Parse);
        assert!(
            failure.message.as_ref().unwrap().contains("line"),
            "{failure:?}"
        );
    }
    assert!(report.failures_text().contains("a/broken.json"));
}

#[test]
fn malformed_values_are_failures_not_panics() {
    let mut index = Fixture::passing();
    index.data_index = 3;
    let outcome = run_text(&index.json(), &stock());
    assert_eq!(outcome.failed, 1);
    assert_eq!(outcome.failures[0].kind, FailureKind::Malformed);
    let message = outcome.failures[0].message.as_ref().unwrap();
    assert!(message.contains("indexes.data = 3"), "{message}");

    let mut fee = Fixture::passing();
    fee.max_priority_fee = Some("0x0100000000000000000000000000000000");
    let outcome = run_text(&fee.json(), &stock());
    assert_eq!((outcome.passed, outcome.failed), (0, 2), "{outcome:?}");
    assert!(outcome.failures[0]
        .message
        .as_ref()
        .unwrap()
        .contains("maxPriorityFeePerGas"));

    let mut blob = Fixture::passing();
    blob.excess_blob_gas = "0x010000000000000000";
    let outcome = run_text(&blob.json(), &stock());
    assert_eq!(outcome.failed, 2);
    assert!(outcome.failures[0]
        .message
        .as_ref()
        .unwrap()
        .contains("currentExcessBlobGas"));
}

#[test]
fn unknown_forks_and_constantinople_are_skips_with_their_reasons() {
    let mut fixture = Fixture::passing();
    fixture.forks = vec!["Cancun", "Futureland", "Constantinople", "Nextland"];
    let dir = temp_dir("forks");
    write(&dir, "forks.json", &fixture.json());
    let report = run_dir(&dir, &stock());
    assert!(report.passed(), "{}", report.failures_text());
    assert_eq!(
        (
            report.totals.passed,
            report.totals.skipped,
            report.totals.cases
        ),
        (2, 6, 8)
    );
    let skipped: Vec<(Option<&str>, &str)> = report
        .skips
        .iter()
        .map(|s| (s.location.fork.as_deref(), s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (Some("Futureland"), skips::UNKNOWN_FORK),
            (Some("Nextland"), skips::UNKNOWN_FORK),
            (Some("Constantinople"), skips::CONSTANTINOPLE),
        ]
    );
    assert_eq!(report.skip_reasons[0].reason, skips::UNKNOWN_FORK);
    assert_eq!(report.skip_reasons[0].cases, 4);
    let md = report.to_markdown();
    assert!(md.contains(skips::UNKNOWN_FORK) && md.contains("Futureland"));
    assert!(report.summary_text().contains("Nextland"));
}

#[test]
fn files_skipped_by_name_and_unbuildable_transactions_are_counted_skips() {
    let dir = temp_dir("skips");
    write(&dir, "x/loopMul.json", "not even JSON");
    let mut no_key = Fixture::passing();
    no_key.secret_key = false;
    no_key.expect_exception = Some("TR_InvalidSignature");
    write(&dir, "x/no-key.json", &no_key.json());
    let report = run_dir(&dir, &stock());
    assert!(report.passed(), "{}", report.failures_text());
    // The skipped file counts once; both entries of the other expect an exception.
    assert_eq!(
        (
            report.totals.skipped,
            report.totals.failed,
            report.skips.len()
        ),
        (3, 0, 3)
    );
    assert_eq!(report.skips[0].location.file, "x/loopMul.json");
    assert!(report.skips[0].reason.contains("takes minutes"));
    for skip in &report.skips[1..] {
        assert_eq!(skip.reason, skips::TX_NOT_BUILDABLE);
        assert!(skip
            .detail
            .as_ref()
            .unwrap()
            .contains("the file expects TR_"));
    }

    // Without an expected exception, an unbuildable transaction is a failure.
    let mut no_key = Fixture::passing();
    no_key.secret_key = false;
    let outcome = run_text(&no_key.json(), &stock());
    assert_eq!(outcome.failed, 1);
    assert!(outcome.failures[0]
        .message
        .as_ref()
        .unwrap()
        .contains("cannot be built"));
}

/// Stock revm, but it reports one more gas used than it spent.
struct GasPlusOne;

impl StateTestEngine for GasPlusOne {
    fn name(&self) -> &'static str {
        "gas+1"
    }
    fn execute(
        &self,
        cfg: &CfgEnv,
        block: &BlockEnv,
        tx: &TxEnv,
        prestate: &CacheState,
    ) -> EngineRun {
        let mut run = StockRevm::new().execute(cfg, block, tx, prestate);
        if let Ok(
            ExecutionResult::Success { gas, .. }
            | ExecutionResult::Revert { gas, .. }
            | ExecutionResult::Halt { gas, .. },
        ) = &mut run.result
        {
            gas.set_total_gas_spent(gas.total_gas_spent() + 1);
        }
        run
    }
}

/// Stock revm, but slot 1 of the contract ends up holding 0xdead.
struct WrongSlot;

impl StateTestEngine for WrongSlot {
    fn name(&self) -> &'static str {
        "wrong-slot"
    }
    fn execute(
        &self,
        cfg: &CfgEnv,
        block: &BlockEnv,
        tx: &TxEnv,
        prestate: &CacheState,
    ) -> EngineRun {
        let mut state = fresh_state(prestate);
        let result = Context::mainnet()
            .with_cfg(cfg.clone())
            .with_block(block.clone())
            .with_tx(tx.clone())
            .with_db(&mut state)
            .build_mainnet()
            .transact_commit(tx.clone());
        if let Some(account) = state
            .cache
            .accounts
            .get_mut(&CONTRACT)
            .and_then(|a| a.account.as_mut())
        {
            account.storage.insert(U256::from(1), U256::from(0xdead));
        }
        EngineRun::from_state(result, &state)
    }
}

/// An engine that panics on every case.
struct Panics;

impl StateTestEngine for Panics {
    fn name(&self) -> &'static str {
        "panics"
    }
    fn execute(&self, _: &CfgEnv, _: &BlockEnv, _: &TxEnv, _: &CacheState) -> EngineRun {
        panic!("engine fell over")
    }
}

#[test]
fn an_engine_that_misreports_gas_is_a_disagreement_even_where_the_file_is_silent() {
    let engines: Vec<Box<dyn StateTestEngine>> =
        vec![Box::new(StockRevm::new()), Box::new(GasPlusOne)];
    let outcome = run_text(&Fixture::passing().json(), &engines);
    // Gas used is not in the file: only the comparison sees it, on the executed entry.
    assert_eq!((outcome.passed, outcome.failed), (1, 1), "{outcome:?}");
    assert_eq!(outcome.failures.len(), 1);
    let failure = &outcome.failures[0];
    assert_eq!(failure.kind, FailureKind::Disagreement);
    assert_eq!(failure.engine.as_deref(), Some("revm vs gas+1"));
    let whats: Vec<&str> = failure.mismatches.iter().map(|m| m.what.as_str()).collect();
    assert_eq!(whats, ["gas used", "gas spent before refund"]);
    let used: u64 = failure.mismatches[0].expected.parse().unwrap();
    assert_eq!(failure.mismatches[0].got, (used + 1).to_string());
}

#[test]
fn an_engine_with_a_wrong_storage_value_fails_the_file_and_the_comparison() {
    let dir = temp_dir("disagree");
    write(&dir, "basics.json", &Fixture::passing().json());
    let engines: Vec<Box<dyn StateTestEngine>> =
        vec![Box::new(StockRevm::new()), Box::new(WrongSlot)];
    let report = run_dir(&dir, &engines);
    assert!(!report.passed());
    assert_eq!(report.engines, ["revm", "wrong-slot"]);
    let kinds: Vec<(FailureKind, &str, usize)> = report
        .failures
        .iter()
        .map(|f| {
            let entry = f.location.case.as_ref().unwrap().entry;
            (f.kind, f.engine.as_deref().unwrap(), entry)
        })
        .collect();
    // On the rejected entry the file checks only the exception: the comparison still sees
    // the changed slot.
    assert_eq!(
        kinds,
        [
            (FailureKind::File, "wrong-slot", 0),
            (FailureKind::Disagreement, "revm vs wrong-slot", 0),
            (FailureKind::Disagreement, "revm vs wrong-slot", 1),
        ]
    );
    assert_eq!((report.totals.passed, report.totals.failed), (0, 2));
    let disagreement = &report.failures[1];
    let slot = disagreement
        .mismatches
        .iter()
        .find(|m| m.what.starts_with("storage of"))
        .expect("the differing slot is named");
    assert_eq!(slot.what, format!("storage of {CONTRACT} at slot 0x1"));
    assert_eq!(slot.got, "0xdead");
    let text = report.failures_text();
    assert!(
        text.contains("engine: revm vs wrong-slot; engines disagree"),
        "{text}"
    );
    assert!(text.contains("revm 0xff"), "{text}");
}

#[test]
fn two_stock_engines_agree() {
    let dir = temp_dir("two-stock");
    write(&dir, "basics.json", &Fixture::passing().json());
    let engines: Vec<Box<dyn StateTestEngine>> = vec![
        Box::new(StockRevm::new()),
        Box::new(StockRevm::named("revm-again")),
    ];
    let report = run_dir(&dir, &engines);
    assert!(report.passed(), "{}", report.failures_text());
    assert_eq!(report.totals.passed, 2);
    // Same name twice is refused.
    let twice: Vec<Box<dyn StateTestEngine>> =
        vec![Box::new(StockRevm::new()), Box::new(StockRevm::new())];
    assert!(run_paths(&[dir], &twice, &config()).is_err());
}

#[test]
fn a_panicking_engine_fails_its_cases_and_the_run_goes_on() {
    let engines: Vec<Box<dyn StateTestEngine>> = vec![Box::new(StockRevm::new()), Box::new(Panics)];
    let outcome = run_text(&Fixture::passing().json(), &engines);
    assert_eq!((outcome.passed, outcome.failed), (0, 2));
    for failure in &outcome.failures {
        assert_eq!(failure.kind, FailureKind::Panic);
        assert_eq!(failure.engine.as_deref(), Some("panics"));
        assert!(failure
            .message
            .as_ref()
            .unwrap()
            .starts_with("engine fell over (at "));
    }
}

#[test]
fn reports_are_deterministic_relative_and_checkable() {
    let dir = temp_dir("determinism");
    for name in ["b/z.json", "a/y.json", "a/x.json", "top.json"] {
        write(&dir, name, &Fixture::passing().json());
    }
    write(&dir, "a/bad.json", "{}x");
    let one = run_paths(
        std::slice::from_ref(&dir),
        &stock(),
        &RunConfig {
            jobs: 1,
            progress: false,
        },
    )
    .unwrap();
    let three = run_paths(
        std::slice::from_ref(&dir),
        &stock(),
        &RunConfig {
            jobs: 3,
            progress: true,
        },
    )
    .unwrap();
    assert_eq!(one, three);
    assert_eq!(one.to_json(), three.to_json());
    assert_eq!(one.to_markdown(), three.to_markdown());
    let folders: Vec<&str> = one.folders.iter().map(|f| f.folder.as_str()).collect();
    assert_eq!(folders, [".", "a", "b"]);
    let dir_text = dir.display().to_string();
    assert!(!one.to_json().contains(&dir_text));
    assert!(!one.to_markdown().contains(&dir_text));

    let out = temp_dir("determinism-out");
    one.write(&out).unwrap();
    one.check_committed(&out).unwrap();
    // A changed result makes the committed reports stale.
    write(&dir, "a/bad.json", &Fixture::passing().json());
    let fixed = run_paths(&[dir], &stock(), &config()).unwrap();
    let stale = fixed.check_committed(&out).unwrap_err();
    assert!(stale.contains("statetests.json"), "{stale}");
    assert!(stale.contains("totals.passed"), "{stale}");
}

#[test]
fn discovery_is_sorted_relative_and_refuses_missing_or_empty_paths() {
    let dir = temp_dir("discover");
    write(&dir, "b/2.json", "{}");
    write(&dir, "a/c/1.json", "{}");
    write(&dir, "a/0.json", "{}");
    write(&dir, "a/readme.md", "");
    let files = discover(std::slice::from_ref(&dir)).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a/0.json", "a/c/1.json", "b/2.json"]);
    assert_eq!(files[1].folder, "a/c");
    // A file given directly is named by its file name; several roots are told apart.
    let single = discover(&[dir.join("a/c/1.json")]).unwrap();
    assert_eq!(
        (single[0].name.as_str(), single[0].folder.as_str()),
        ("1.json", ".")
    );
    let two = discover(&[dir.join("a"), dir.join("b")]).unwrap();
    let names: Vec<&str> = two.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a/0.json", "a/c/1.json", "b/2.json"]);

    assert!(run_paths(&[dir.join("missing")], &stock(), &config())
        .unwrap_err()
        .contains("does not exist"));
    let empty = temp_dir("discover-empty");
    write(&empty, "notes.txt", "");
    assert!(run_paths(std::slice::from_ref(&empty), &stock(), &config())
        .unwrap_err()
        .contains("no .json file"));
    // Every path given must hold test files.
    assert!(discover(&[dir.clone(), empty]).is_err());
    assert!(discover(&[dir.join("a/readme.md")]).is_err());
    assert!(run_paths(&[dir], &[], &config()).is_err());
}

#[test]
fn the_revm_versions_in_reports_are_the_pinned_ones() {
    let manifest = include_str!("../../../Cargo.toml");
    for (name, version) in REVM_CRATES {
        let pin = format!("{name} = {{ version = \"={version}\"");
        assert!(manifest.contains(&pin), "Cargo.toml does not pin {pin}");
    }
}
