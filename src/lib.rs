//! # evm-memory
//!
//! EVM memory, exact to the last gas unit: byte-addressable, expanded lazily to 32-byte words,
//! zero-initialised, with isolated nested contexts for CALL, cached expansion gas and a
//! configurable limit on the whole shared buffer.
//!
//! An interpreter runs each memory opcode with one call that charges the expansion gas, expands
//! and makes the access (memory and meter untouched on error; in bounds, one bounds check and
//! the copy):
//!
//! ```
//! use evm_memory::{Gas, Memory, MemoryConfig, MemoryError, U256};
//!
//! // 1 MiB at most, 4 KiB reserved up front, mainnet pricing.
//! let config = MemoryConfig { initial_capacity: 4096, ..MemoryConfig::with_limit(1 << 20) };
//! let mut memory = Memory::new(config)?;
//! let mut gas = Gas::new(1_000_000);
//!
//! // MSTORE and MLOAD.
//! memory.store_u256_with_gas(0x20, U256::from(0x80), &mut gas)?;
//! assert_eq!(memory.load_u256_with_gas(0x20, &mut gas)?, U256::from(0x80));
//! assert_eq!((memory.size(), gas.spent()), (0x40, 6));
//!
//! // CALLDATACOPY (and the other data copies), then KECCAK256's read of the region.
//! memory.set_data_with_gas(0x40, 0, 32, &[0x11; 32], &mut gas)?;
//! assert_eq!(memory.slice_with_gas(0x40, 32, &mut gas)?, &[0x11; 32]);
//!
//! // CALL: the child starts empty on the same buffer (with its own gas), reads the argument
//! // region as calldata and returns into the caller's return region.
//! let checkpoint = memory.enter_child()?;
//! let mut child_gas = Gas::new(10_000);
//! memory.set_data_from_parent_with_gas(0, 0, 32, 0x40, 32, &mut child_gas)?; // CALLDATACOPY
//! memory.exit_child_with_return(checkpoint, 0, 32, 0x00, 32)?;
//! assert_eq!(memory.slice(0, 32)?, &[0x11; 32]);
//!
//! // An operation with no metered form of its own: charge the expansion, then access.
//! memory.expand_with_gas(0x100, 32, &mut gas)?;
//! memory.store_word(0x100, &[0x22; 32])?;
//! # Ok::<(), MemoryError>(())
//! ```
//!
//! ## One naming rule: `_with_gas` charges, nothing else does
//!
//! A method whose name ends in `_with_gas` takes a [`GasMeter`] and is the opcode path: it
//! charges the expansion, expands and makes the access in one call, or fails with memory and
//! meter untouched. Every other method is a plain access that never charges gas (those taking
//! `&mut self` may expand for free; the `&self` views never expand). So `store_u256` and
//! `store_u256_with_gas` are one access without and with gas, the same for `copy` and
//! `copy_with_gas` or `set_data` and `set_data_with_gas`, and no method is named after an opcode
//! (the opcodes are in the docs and are search aliases): a name that looks like an opcode would
//! say nothing about gas, which is exactly what a caller must not get wrong.
//!
//! ## What is where
//!
//! * [`Memory`] — the memory. Its page groups the methods: construction and state, the opcode
//!   path (`_with_gas`), the plain accesses, the nested call contexts. [`MemoryConfig`] — its
//!   limit, initial capacity and pricing.
//! * [`Checkpoint`] — an open child context ([`Memory::enter_child`] / [`Memory::exit_child`]).
//! * [`MemoryPricing`] — how memory is priced (`word_cost·w + ⌊w²/quadratic_denominator⌋`,
//!   mainnet's `3·w + ⌊w²/512⌋` by default), set in [`MemoryConfig`].
//!   [`memory_gas_cost`], [`expansion_gas_cost`] — mainnet's formulas.
//!   [`GasMeter`], [`Gas`] — what pays for expansion.
//! * [`to_usize`], [`memory_range`], [`saturating_usize`] — 256-bit stack operands to offsets
//!   and lengths.
//! * [`MemoryError`] — every failure; no public function panics.
//! * [`ffi`] — the C interface (`include/evm_memory.h`): an opaque handle, status codes, no
//!   panics or crashes across the boundary.
//! * `revm` (feature `revm`) — the memory inside revm's EVM: `MemoryEvm`, run by revm's mainnet
//!   handler with every frame on one [`Memory`], built from a revm `Context`.
//! * `harness` (feature `harness`) — the differential harness that proves the memory against
//!   revm's `SharedMemory` and a reference model (see the README).
#![deny(missing_docs)]
#![warn(rust_2018_idioms, unreachable_pub)]

#[cfg(feature = "harness")]
pub mod harness;
#[cfg(feature = "revm")]
pub mod revm;

// `Memory`'s method groups, one `impl` block each with the group's docs on the block. Rustdoc
// shows the blocks on `Memory`'s page in the order of these declarations, which the blank lines
// keep rustfmt from sorting: construction and state,
mod memory;

// the opcode path,
mod metered;

// the plain accesses,
mod plain;

// the nested call contexts.
mod context;

mod config;
mod error;
pub mod ffi;
mod gas;
mod operands;

pub use config::{MemoryConfig, MAX_MEMORY_LIMIT};
pub use context::Checkpoint;
pub use error::{ConfigError, MemoryError};
pub use gas::{
    expansion_gas_cost, memory_gas_cost, num_words, Gas, GasMeter, MemoryPricing, MEMORY_WORD_GAS,
    QUADRATIC_DENOMINATOR, WORD_SIZE,
};
pub use memory::Memory;
pub use operands::{memory_range, saturating_usize, to_usize};
/// The 256-bit unsigned integer of the Ethereum Rust ecosystem (ruint's, as used by alloy and
/// revm): words and stack values.
pub use ruint::aliases::U256;

/// The README's Rust examples, compiled and run as doctests (they use the `revm` feature).
#[cfg(all(doctest, feature = "revm"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
