//! The engines state tests run through, and the one place they are registered.
//!
//! [`StockRevm`] is revm's own EVM (`build_mainnet`, revm's `SharedMemory`); [`OursInRevm`]
//! is the same EVM with this crate's memory ([`MemoryEvm`](crate::revm::MemoryEvm), built by
//! `build_memory_evm`). Adding an engine takes an adapter (a type implementing
//! [`StateTestEngine`], usually one call of [`execute_in_context`]), its name in
//! [`ENGINE_NAMES`] and a line in [`engine_by_name`].
//!
//! Every registered engine runs every case by default (`--engines` picks some), the first one
//! being the reference the others are compared with.

use revm_context::{BlockEnv, CfgEnv, TxEnv};
use revm_database::CacheState;
use revm_handler::{ExecuteCommitEvm, MainBuilder};

use super::engine::{execute_in_context, EngineRun, StateTestEngine};
use crate::revm::MemoryBuilder;

/// revm's stock EVM: the context built with revm's `build_mainnet`, the transaction committed
/// with `transact_commit`.
#[derive(Clone, Copy, Debug)]
pub struct StockRevm {
    name: &'static str,
}

impl StockRevm {
    /// The stock engine under its usual name, `revm`.
    pub const fn new() -> Self {
        Self { name: "revm" }
    }

    /// The stock engine under another name (to run it twice side by side, as the runner's
    /// self-test does).
    pub const fn named(name: &'static str) -> Self {
        Self { name }
    }
}

impl Default for StockRevm {
    fn default() -> Self {
        Self::new()
    }
}

impl StateTestEngine for StockRevm {
    fn name(&self) -> &'static str {
        self.name
    }

    fn execute(
        &self,
        cfg: &CfgEnv,
        block: &BlockEnv,
        tx: &TxEnv,
        prestate: &CacheState,
    ) -> EngineRun {
        execute_in_context(cfg, block, tx, prestate, |context, tx| {
            context.build_mainnet().transact_commit(tx)
        })
    }
}

/// revm's EVM with this crate's memory: the context built with `build_memory_evm`
/// ([`MemoryEvm`](crate::revm::MemoryEvm)), the transaction committed with `transact_commit`.
#[derive(Clone, Copy, Debug, Default)]
pub struct OursInRevm;

impl StateTestEngine for OursInRevm {
    fn name(&self) -> &'static str {
        "ours"
    }

    fn execute(
        &self,
        cfg: &CfgEnv,
        block: &BlockEnv,
        tx: &TxEnv,
        prestate: &CacheState,
    ) -> EngineRun {
        execute_in_context(cfg, block, tx, prestate, |context, tx| {
            context.build_memory_evm().transact_commit(tx)
        })
    }
}

/// The names of the registered engines, in the order they run (the first is the reference).
pub const ENGINE_NAMES: &[&str] = &["revm", "ours"];

/// The registered engine called `name`.
pub fn engine_by_name(name: &str) -> Option<Box<dyn StateTestEngine>> {
    match name {
        "revm" => Some(Box::new(StockRevm::new())),
        "ours" => Some(Box::new(OursInRevm)),
        _ => None,
    }
}

/// The engines called `names`, in that order; every registered engine when `names` is empty.
///
/// # Errors
/// An unknown or repeated name, listing the registered ones.
pub fn engines_by_name(names: &[String]) -> Result<Vec<Box<dyn StateTestEngine>>, String> {
    if names.is_empty() {
        return Ok(ENGINE_NAMES
            .iter()
            .filter_map(|name| engine_by_name(name))
            .collect());
    }
    let mut engines: Vec<Box<dyn StateTestEngine>> = Vec::new();
    for name in names {
        let engine = engine_by_name(name).ok_or_else(|| {
            format!(
                "unknown engine `{name}` (registered: {})",
                ENGINE_NAMES.join(", ")
            )
        })?;
        if engines.iter().any(|e| e.name() == engine.name()) {
            return Err(format!("engine `{name}` named twice"));
        }
        engines.push(engine);
    }
    Ok(engines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_name_resolves_to_an_engine_of_that_name() {
        for name in ENGINE_NAMES {
            assert_eq!(engine_by_name(name).map(|e| e.name()), Some(*name));
        }
        let all = engines_by_name(&[]).unwrap();
        let names: Vec<_> = all.iter().map(|e| e.name()).collect();
        assert_eq!(names, ENGINE_NAMES);
        assert!(engines_by_name(&["nope".into()])
            .err()
            .unwrap()
            .contains("registered: revm, ours"));
        assert!(engines_by_name(&["revm".into(), "revm".into()]).is_err());
    }
}
