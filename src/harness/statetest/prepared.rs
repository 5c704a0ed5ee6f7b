//! State-test cases set up once and replayed many times (the EVM benchmark's state-test
//! workload), and where the state tests live on this machine.
//!
//! [`prepare_cases`] sets a file's cases up exactly as the runner does (same configuration,
//! block and transaction builders, same skips), keeping only what an EVM needs to run them;
//! [`locate_statetests`] is the one rule for finding the (uncommitted) ethereum/tests folder.

use std::path::PathBuf;
use std::sync::Arc;

use revm_context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm_database::CacheState;
use revm_handler::{ExecuteCommitEvm, MainBuilder, MainContext};
use revm_primitives::B256;
use revm_statetest_types::TestSuite;

use super::discover::TestFile;
use super::engine::fresh_state;
use super::setup::{block_env, cfg_env, check_unit, tx_env};
use super::skips::{skipped_file, skipped_fork};
use crate::revm::MemoryBuilder;

/// One runnable case: everything an engine's `execute` takes.
#[derive(Clone, Debug)]
pub struct PreparedCase {
    /// `file :: test :: fork #entry`, for messages.
    pub name: String,
    /// The test's name in the file.
    pub test: String,
    /// The fork's name as the file spells it (`Cancun`, …).
    pub fork: String,
    /// The post-state root the file expects.
    pub expected_root: B256,
    /// The configuration (fork, gas parameters, chain id, blob limit).
    pub cfg: CfgEnv,
    /// The block.
    pub block: BlockEnv,
    /// The transaction.
    pub tx: TxEnv,
    /// The pre-state (shared by the cases of one test unit).
    pub prestate: Arc<CacheState>,
}

/// Which EVM [`PreparedCase::transact`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evm {
    /// `MemoryEvm` (`build_memory_evm`).
    Ours,
    /// Stock revm (`build_mainnet`).
    Revm,
}

impl PreparedCase {
    /// Commits the case's transaction with `evm` on a fresh state built from its pre-state, as
    /// the runner does, without the roots and checks the runner adds (the same work for every
    /// engine): what the benchmarks time. Returns whether the transaction was valid.
    pub fn transact(&self, evm: Evm) -> bool {
        let mut state = fresh_state(&self.prestate);
        let ctx = Context::mainnet()
            .with_cfg(self.cfg.clone())
            .with_block(self.block.clone())
            .with_tx(self.tx.clone())
            .with_db(&mut state);
        match evm {
            Evm::Ours => ctx
                .build_memory_evm()
                .transact_commit(self.tx.clone())
                .is_ok(),
            Evm::Revm => ctx.build_mainnet().transact_commit(self.tx.clone()).is_ok(),
        }
    }
}

/// The runnable cases of `file`: every case the runner would execute (files, forks and
/// transactions it skips are left out, as are cases a malformed value stops).
///
/// # Errors
/// The file cannot be read or is not a state-test file.
pub fn prepare_cases(file: &TestFile) -> Result<Vec<PreparedCase>, String> {
    if skipped_file(&file.name).is_some() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&file.path)
        .map_err(|e| format!("{}: cannot read: {e}", file.path.display()))?;
    let suite: TestSuite =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.path.display()))?;
    Ok(prepare_suite(&file.name, &suite))
}

/// The runnable cases of `suite`, a file called `file_name` (see [`prepare_cases`]).
pub fn prepare_suite(file_name: &str, suite: &TestSuite) -> Vec<PreparedCase> {
    let mut cases = Vec::new();
    for (test_name, unit) in &suite.0 {
        if check_unit(unit).is_err() {
            continue;
        }
        let prestate = Arc::new(unit.state());
        for (spec_name, tests) in &unit.post {
            if skipped_fork(spec_name).is_some() {
                continue;
            }
            let mut cfg = cfg_env(unit, spec_name.to_spec_id());
            let block = block_env(unit, &mut cfg);
            for (entry, test) in tests.iter().enumerate() {
                let Ok(tx) = tx_env(unit, test) else { continue };
                cases.push(PreparedCase {
                    name: format!("{file_name} :: {test_name} :: {spec_name:?} #{entry}"),
                    test: test_name.clone(),
                    fork: format!("{spec_name:?}"),
                    expected_root: test.hash,
                    cfg: cfg.clone(),
                    block: block.clone(),
                    tx,
                    prestate: Arc::clone(&prestate),
                });
            }
        }
    }
    cases
}

/// The ethereum/tests folder the tests, benchmarks and CI run: `$EVM_MEMORY_STATETESTS`, else
/// `../shared/ethereum-tests` beside the crate.
///
/// # Errors
/// `EVM_MEMORY_STATETESTS` names a path that does not exist (a wrong path is an error, not a
/// reason to skip), or none of the places exists; the message says where it looked.
pub fn locate_statetests() -> Result<PathBuf, Located> {
    if let Some(dir) = std::env::var_os("EVM_MEMORY_STATETESTS") {
        let dir = PathBuf::from(dir);
        return if dir.exists() {
            Ok(dir)
        } else {
            Err(Located::WrongPath(format!(
                "EVM_MEMORY_STATETESTS={} does not exist",
                dir.display()
            )))
        };
    }
    let candidates = [PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/ethereum-tests")];
    match candidates.iter().find(|dir| dir.is_dir()) {
        Some(dir) => Ok(dir.clone()),
        None => {
            let looked: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
            Err(Located::Absent(format!(
                "EVM_MEMORY_STATETESTS is not set and none of {} exists",
                looked.join(", ")
            )))
        }
    }
}

/// Why [`locate_statetests`] found no folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Located {
    /// `EVM_MEMORY_STATETESTS` names a path that does not exist.
    WrongPath(String),
    /// No folder in any of the usual places: the state tests are skipped.
    Absent(String),
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WrongPath(why) | Self::Absent(why) => f.write_str(why),
        }
    }
}
