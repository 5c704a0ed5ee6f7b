//! Our memory inside revm's EVM (feature `revm`): real bytecode, whole transactions with nested
//! calls, run by revm's mainnet handler with every frame on one [`Memory`](crate::Memory).
//!
//! * [`EvmMemory`] — the memory behind revm's `MemoryTr` (the trait revm's instructions use);
//! * [`MemoryInterpreter`] — revm's interpreter types with that memory;
//! * [`MemoryFrame`] — a CALL/CREATE frame on it: a child context per call, calldata read from
//!   the caller's region in place, return data copied into the caller's return region;
//! * [`MemoryEvm`], [`MemoryBuilder`] — the EVM revm's `MainnetHandler` runs, built from a
//!   revm `Context` like revm's mainnet EVM, with `transact` / `transact_commit`;
//! * [`StepHook`], [`Step`] — what the EVM shows before every instruction (as revm's
//!   `Inspector::step` does), for tracing and for comparing with revm step by step.
//!
//! The revm crates are those of one release, pinned exactly (`revm-interpreter =43.0.2`,
//! `revm-handler =43.0.3`, …); this feature turns on their `memory_limit` feature, so that
//! `CfgEnv::memory_limit` bounds both revm's memory and ours (see [`config_for_limit`]), and our
//! memory prices expansion with the memory costs of the context's `GasParams` (see
//! [`config_for_cfg`]).
//!
//! ```
//! use evm_memory::revm::MemoryBuilder;
//! use revm_context::{Context, TxEnv};
//! use revm_database::{CacheDB, EmptyDB};
//! use revm_handler::{ExecuteEvm, MainContext};
//! use revm_primitives::{address, Bytes, TxKind};
//! use revm_state::{AccountInfo, Bytecode};
//!
//! // A contract that stores 0x2a at memory offset 0 and returns that word.
//! let code = Bytes::from_static(&[0x60, 0x2a, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3]);
//! let contract = address!("0x1000000000000000000000000000000000000001");
//! let mut db = CacheDB::new(EmptyDB::default());
//! db.insert_account_info(contract, AccountInfo::default().with_code(Bytecode::new_raw(code)));
//!
//! let mut evm = Context::mainnet().with_db(db).build_memory_evm();
//! let tx = TxEnv::builder().kind(TxKind::Call(contract)).gas_limit(100_000).build().unwrap();
//! let outcome = evm.transact(tx).unwrap();
//! assert!(outcome.result.is_success());
//! assert_eq!(outcome.result.output().unwrap()[31], 0x2a);
//! ```

mod evm;
#[cfg(feature = "harness")]
pub mod faults;
mod frame;
mod interpreter;
mod memory;
mod step;

pub use evm::{MemoryBuilder, MemoryEvm, StockEvm};
pub use frame::MemoryFrame;
pub use interpreter::MemoryInterpreter;
pub use memory::{config_for_cfg, config_for_limit, pricing_for_gas_params, EvmMemory};
pub use step::{Step, StepEnd, StepHook};
