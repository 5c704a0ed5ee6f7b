//! # evm-memory
//!
//! EVM memory, exact to the last gas unit: byte-addressable, expanded lazily to 32-byte words,
//! zero-initialised, with isolated nested contexts for CALL, cached expansion gas and a
//! configurable limit on the whole shared buffer.
//!
//! * [`Memory`] — the memory; [`MemoryConfig`] — its limit and initial capacity;
//!   [`Memory::load_u256_with_gas`] (MLOAD), [`Memory::store_u256_with_gas`] (MSTORE),
//!   [`Memory::store_byte_with_gas`] (MSTORE8), [`Memory::copy_with_gas`] (MCOPY),
//!   [`Memory::set_data_with_gas`], [`Memory::set_data_from_parent_with_gas`] (the data copies)
//!   and [`Memory::slice_with_gas`] (the region read of KECCAK256, LOG, RETURN) — the opcodes
//!   with their expansion gas, in one call.
//! * [`Checkpoint`] — an open child context ([`Memory::enter_child`] / [`Memory::exit_child`]).
//! * [`memory_gas_cost`], [`expansion_gas_cost`], [`GasMeter`] — the Yellow Paper's memory gas.
//! * [`to_usize`], [`memory_range`], [`saturating_usize`] — stack values to offsets.
//! * [`MemoryError`] — every failure; no public function panics.
//! * [`ffi`] — the C interface (`include/evm_memory.h`): an opaque handle, status codes, no
//!   panics or crashes across the boundary.
//! * `revm` (feature `revm`) — the memory inside revm's EVM: `MemoryEvm`, run by revm's mainnet
//!   handler with every frame on one [`Memory`], built from a revm `Context`.

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
//! With the `harness` feature the crate also carries the differential harness that proves it
//! against revm's `SharedMemory` and a reference model (see the README).
//!
//! ```
//! use evm_memory::{Gas, Memory, MemoryConfig};
//!
//! let mut memory = Memory::new(MemoryConfig::default())?;
//! let mut gas = Gas::new(100);
//! // MSTORE at 0x40: charge expansion, then write.
//! let charged = memory.expand_with_gas(0x40, 32, &mut gas)?;
//! memory.store_word(0x40, &[0x11; 32])?;
//! assert_eq!((charged, memory.size()), (9, 96));
//! # Ok::<(), evm_memory::MemoryError>(())
//! ```
#![deny(missing_docs)]
#![warn(rust_2018_idioms, unreachable_pub)]

#[cfg(feature = "harness")]
pub mod harness;
#[cfg(feature = "revm")]
pub mod revm;

mod access;
mod config;
mod context;
mod convert;
mod error;
pub mod ffi;
mod gas;
mod memory;
mod ops;

pub use config::{MemoryConfig, MAX_MEMORY_LIMIT};
pub use context::Checkpoint;
pub use convert::{memory_range, saturating_usize, to_usize};
pub use error::{ConfigError, MemoryError};
pub use gas::{
    expansion_gas_cost, memory_gas_cost, num_words, Gas, GasMeter, MEMORY_WORD_GAS,
    QUADRATIC_DENOMINATOR, WORD_SIZE,
};
pub use memory::Memory;
/// The 256-bit unsigned integer of the Ethereum Rust ecosystem (ruint's, as used by alloy and
/// revm): words and stack values.
pub use ruint::aliases::U256;

/// The README's Rust examples, compiled and run as doctests (they use the `revm` feature).
#[cfg(all(doctest, feature = "revm"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
