//! The [`StateTestEngine`] trait every EVM runs state tests through, and [`EngineRun`], what one
//! run leaves behind: the result (errors rendered), the logs hash, the post-state root and the
//! post-state accounts.
//!
//! An engine gets the case's configuration, block, transaction and pre-state and commits the
//! transaction on a fresh state. [`execute_in_context`] does everything around the one line
//! that differs between EVMs (which EVM is built from the context), so an adapter is a few
//! lines; see [`engines`](super::engines).

use std::collections::BTreeMap;
use std::fmt::Display;

use revm_context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm_context_interface::result::{ExecutionResult, HaltReason};
use revm_database::{CacheState, EmptyDB, State};
use revm_handler::{MainContext, MainnetContext};
use revm_primitives::{Address, B256};

use super::roots::{cache_state_root, logs_root, post_accounts, PostAccount};

/// The context an engine builds its EVM from: revm's mainnet context with the case's
/// configuration, block and transaction over a fresh [`State`] holding the pre-state.
pub type StateTestContext<'a> = MainnetContext<&'a mut State<EmptyDB>>;

/// An EVM that can run one state-test case.
///
/// Engines are shared by the worker threads of a run, hence `Send + Sync`; `execute` must not
/// keep anything between calls that changes a later result.
pub trait StateTestEngine: Send + Sync {
    /// Short, unique name used in reports (`revm`, …).
    fn name(&self) -> &'static str;
    /// Commits `tx` in `block` under `cfg` on a fresh state built from `prestate` (with
    /// `with_cached_prestate` and `with_bundle_update`), and reports what happened.
    fn execute(
        &self,
        cfg: &CfgEnv,
        block: &BlockEnv,
        tx: &TxEnv,
        prestate: &CacheState,
    ) -> EngineRun;
}

/// What one engine's run of one case left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineRun {
    /// The transaction's result, or the error that rejected it, rendered with `Display`.
    pub result: Result<ExecutionResult<HaltReason>, String>,
    /// [`logs_root`] of the result's logs (of no logs when the transaction was rejected).
    pub logs_root: B256,
    /// The post-state root ([`cache_state_root`]).
    pub state_root: B256,
    /// The post-state's accounts, to say where two engines' states differ.
    pub accounts: BTreeMap<Address, PostAccount>,
}

impl EngineRun {
    /// The run of a committed (or rejected) transaction on `state`: renders the error and
    /// computes the logs hash and the post-state root.
    pub fn from_state<E: Display>(
        result: Result<ExecutionResult<HaltReason>, E>,
        state: &State<EmptyDB>,
    ) -> Self {
        let result = result.map_err(|e| e.to_string());
        let logs_root = logs_root(result.as_ref().map(|r| r.logs()).unwrap_or_default());
        Self {
            result,
            logs_root,
            state_root: cache_state_root(&state.cache),
            accounts: post_accounts(&state.cache),
        }
    }
}

/// A fresh state holding `prestate`, with bundle updates on, as every case starts from.
pub fn fresh_state(prestate: &CacheState) -> State<EmptyDB> {
    State::builder()
        .with_cached_prestate(prestate.clone())
        .with_bundle_update()
        .build()
}

/// Runs one case the way every engine does: builds a fresh state from `prestate` and a
/// [`StateTestContext`] with `cfg`, `block` and `tx`, hands both the context and `tx` to
/// `transact` (which builds the engine's EVM and commits the transaction), then computes the
/// [`EngineRun`] from the state left behind.
pub fn execute_in_context<E: Display>(
    cfg: &CfgEnv,
    block: &BlockEnv,
    tx: &TxEnv,
    prestate: &CacheState,
    transact: impl FnOnce(StateTestContext<'_>, TxEnv) -> Result<ExecutionResult<HaltReason>, E>,
) -> EngineRun {
    let mut state = fresh_state(prestate);
    let context = Context::mainnet()
        .with_cfg(cfg.clone())
        .with_block(block.clone())
        .with_tx(tx.clone())
        .with_db(&mut state);
    let result = transact(context, tx.clone());
    EngineRun::from_state(result, &state)
}
