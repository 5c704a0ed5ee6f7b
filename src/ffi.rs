//! The C interface: `extern "C"` functions over an opaque [`EvmMemory`] handle, declared for C
//! in `include/evm_memory.h` (generated from this file by cbindgen).
//!
//! Conventions, shared by every function:
//!
//! * Every function but [`evm_memory_status_message`] returns an [`EvmMemoryStatus`];
//!   [`EvmMemoryStatus::Ok`] is zero. Results come back through out-pointers, which are written
//!   only when the call returns `OK`.
//! * Misuse is an error, never a crash: a NULL handle or a NULL required pointer is
//!   `NULL_POINTER` (a NULL buffer with length 0 is an empty buffer), a buffer length that no
//!   object can have (above `PTRDIFF_MAX`, or wrapping the address space) is `LENGTH_OVERFLOW`.
//!   These checks come first, in that order, before the operation; then the operation's own
//!   errors follow, as documented on [`Memory`].
//! * A failed call changes nothing: the handle stays valid and as it was, and so do the caller's
//!   buffers and gas. After a `PANIC` status (an internal bug, never expected) the handle is still
//!   safe to use and to destroy, but its contents are unspecified.
//! * Offsets and lengths into the memory are `size_t`, relative to the current (innermost)
//!   context, with the semantics of the matching [`Memory`] method.
//! * A handle is not thread-safe: calls on one handle must not run concurrently. Different
//!   handles are independent and may be used from different threads.
//! * Only [`evm_memory_expand_with_gas`] charges gas; every other function is a plain access,
//!   as the [naming rule](crate#one-naming-rule-_with_gas-charges-nothing-else-does) of the
//!   Rust API says (the C names predate it and stay stable). The C API prices memory as on
//!   mainnet.
//!
//! Each function is the [`Memory`] method of the same name, but for `evm_memory_copy_in` /
//! `evm_memory_copy_out` ([`Memory::copy_from_slice`] / [`Memory::copy_to_slice`]),
//! `evm_memory_mcopy` ([`Memory::copy`]), `evm_memory_read_parent` ([`Memory::parent_slice`]),
//! `evm_memory_current_cost` ([`Memory::memory_cost`]) and the two gas formulas
//! ([`memory_gas_cost`](crate::memory_gas_cost), [`expansion_gas_cost`](crate::expansion_gas_cost)).
//!
//! The item docs below are also the header's comments: they name C functions, types and
//! statuses only. `tests/c_header.rs` turns their rustdoc syntax into C (links into plain names,
//! `# Safety` and `# Errors` into `Requires:` and `Errors:`, statuses into their enumerators)
//! and checks that the header is up to date.
//!
//! ```
//! use evm_memory::ffi::*;
//!
//! let config = EvmMemoryConfig { initial_capacity: 0, memory_limit: 1 << 20 };
//! let mut memory = std::ptr::null_mut();
//! // SAFETY: every pointer is valid for the call; the handle comes from `evm_memory_create`.
//! unsafe {
//!     assert_eq!(evm_memory_create(&config, &mut memory), EvmMemoryStatus::Ok);
//!     assert_eq!(evm_memory_store_word(memory, 0x40, [0x11; 32].as_ptr()), EvmMemoryStatus::Ok);
//!     let mut size = 0;
//!     assert_eq!(evm_memory_size(memory, &mut size), EvmMemoryStatus::Ok);
//!     assert_eq!(size, 96);
//!     evm_memory_destroy(memory);
//! }
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

use core::ffi::{c_char, c_int, CStr};
use core::ptr;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{
    Checkpoint, Gas, GasMeter, Memory, MemoryConfig, MemoryError, MemoryPricing, MAX_MEMORY_LIMIT,
};

/// The largest memory limit [`evm_memory_create`] accepts: 4 GiB.
pub const EVM_MEMORY_MAX_LIMIT: u64 = 4294967296;
/// Bytes in an EVM word: what [`evm_memory_load_word`] and [`evm_memory_store_word`] move.
pub const EVM_MEMORY_WORD_SIZE: usize = 32;

const _: () = assert!(EVM_MEMORY_MAX_LIMIT == MAX_MEMORY_LIMIT);
const _: () = assert!(EVM_MEMORY_WORD_SIZE == crate::WORD_SIZE);

/// Outcome of a C API call. `EVM_MEMORY_STATUS_OK` (zero) is success; every other value is an
/// error that left the handle, the caller's buffers and gas unchanged.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvmMemoryStatus {
    /// Success.
    Ok = 0,
    /// The handle, or a pointer the call needs, is NULL.
    NullPointer = 1,
    /// The system allocator could not provide the memory.
    OutOfMemory = 2,
    /// The access would take memory past its limit, or `offset + length` overflows.
    MemoryOverflow = 3,
    /// A non-expanding access (copy out, parent region, return region) reaches past the end of
    /// the memory it addresses.
    OutOfBounds = 4,
    /// A gas-aware expansion costs more gas than remains.
    OutOfGas = 5,
    /// A child-context operation was called with no child context open.
    NotInChildContext = 6,
    /// The checkpoint is not the innermost open child context of this memory.
    StaleCheckpoint = 7,
    /// The configuration was rejected (zero limit, limit above 4 GiB, capacity above limit).
    InvalidConfig = 8,
    /// A caller buffer's length is above `PTRDIFF_MAX` or its range wraps the address space.
    LengthOverflow = 9,
    /// An internal error (a bug in this library) was caught before it reached the caller.
    Panic = 10,
}

/// Every status, in discriminant order.
const ALL_STATUSES: [EvmMemoryStatus; 11] = [
    EvmMemoryStatus::Ok,
    EvmMemoryStatus::NullPointer,
    EvmMemoryStatus::OutOfMemory,
    EvmMemoryStatus::MemoryOverflow,
    EvmMemoryStatus::OutOfBounds,
    EvmMemoryStatus::OutOfGas,
    EvmMemoryStatus::NotInChildContext,
    EvmMemoryStatus::StaleCheckpoint,
    EvmMemoryStatus::InvalidConfig,
    EvmMemoryStatus::LengthOverflow,
    EvmMemoryStatus::Panic,
];

impl EvmMemoryStatus {
    /// A static description of the status (what [`evm_memory_status_message`] returns).
    pub const fn message(self) -> &'static CStr {
        match self {
            Self::Ok => c"ok",
            Self::NullPointer => c"null pointer: the handle or a required pointer is NULL",
            Self::OutOfMemory => c"out of memory: the allocator could not grow the buffer",
            Self::MemoryOverflow => {
                c"memory overflow: size exceeds the memory limit or the address space"
            }
            Self::OutOfBounds => c"out of bounds: access past the end of memory",
            Self::OutOfGas => c"out of gas: memory expansion costs more than the gas left",
            Self::NotInChildContext => c"no child context is open",
            Self::StaleCheckpoint => {
                c"stale checkpoint: it is not the innermost open child context"
            }
            Self::InvalidConfig => c"invalid memory configuration",
            Self::LengthOverflow => {
                c"length overflow: a buffer length exceeds PTRDIFF_MAX or wraps the address space"
            }
            Self::Panic => c"internal panic caught at the C boundary (a bug in evm-memory)",
        }
    }
}

impl From<MemoryError> for EvmMemoryStatus {
    fn from(e: MemoryError) -> Self {
        match e {
            MemoryError::OutOfMemory => Self::OutOfMemory,
            MemoryError::MemoryOverflow => Self::MemoryOverflow,
            MemoryError::OutOfBounds => Self::OutOfBounds,
            MemoryError::OutOfGas { .. } => Self::OutOfGas,
            MemoryError::NotInChildContext => Self::NotInChildContext,
            MemoryError::StaleCheckpoint => Self::StaleCheckpoint,
            MemoryError::InvalidConfig(_) => Self::InvalidConfig,
        }
    }
}

/// How [`evm_memory_create`] sets up a memory: its initial capacity and its limit. Memory is
/// priced as on mainnet (`3*words + words^2/512`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EvmMemoryConfig {
    /// Bytes reserved up front; 0 allocates nothing until first use.
    pub initial_capacity: usize,
    /// Largest size in bytes the whole buffer (every open context) may reach: 1 to
    /// `EVM_MEMORY_MAX_LIMIT`.
    pub memory_limit: u64,
}

impl From<EvmMemoryConfig> for MemoryConfig {
    fn from(c: EvmMemoryConfig) -> Self {
        Self {
            initial_capacity: c.initial_capacity,
            memory_limit: c.memory_limit,
            pricing: MemoryPricing::MAINNET,
        }
    }
}

/// An open child context, returned by [`evm_memory_enter_child`] and needed to exit it. Only a
/// value that function returned is valid; a zeroed checkpoint never is.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EvmMemoryCheckpoint {
    /// Identifies the child context, unique across every memory of the process.
    pub id: u64,
    /// Depth of the child context (1 for a child of the root); informative only.
    pub depth: usize,
}

/// Source of checkpoint ids: unique in the process, never 0.
static NEXT_CHECKPOINT_ID: AtomicU64 = AtomicU64::new(1);

/// The opaque memory handle of the C API: a memory and the checkpoints of its open child
/// contexts. Create it with [`evm_memory_create`], free it with [`evm_memory_destroy`].
#[derive(Debug)]
pub struct EvmMemory {
    memory: Memory,
    /// One entry per open child context, innermost last: `open.len() == memory.depth()`.
    open: Vec<(u64, Checkpoint)>,
}

impl EvmMemory {
    /// With debug assertions on (tests, the fuzz targets), checks on every call that the
    /// handle's checkpoints are its memory's open child contexts, one each.
    #[inline]
    fn debug_check(&self) {
        debug_assert_eq!(self.open.len(), self.memory.depth(), "checkpoint stack");
    }
}

type Outcome = Result<(), EvmMemoryStatus>;

/// Runs `body`, turning a panic into [`EvmMemoryStatus::Panic`] so that it never unwinds into C.
fn guard(body: impl FnOnce() -> Outcome) -> EvmMemoryStatus {
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => EvmMemoryStatus::Ok,
        Ok(Err(status)) => status,
        Err(payload) => {
            // Dropping the payload runs its drop code, which could itself panic: drop it under
            // a second guard, and leak only a payload that panicked while being dropped.
            if let Err(nested) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                core::mem::forget(nested);
            }
            EvmMemoryStatus::Panic
        }
    }
}

/// Copies the `len`-byte view `view` picks out of the handle's memory into `out` (the body of
/// [`evm_memory_copy_out`] and [`evm_memory_read_parent`]); `out` is untouched on error.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; when `len > 0`, `out` is NULL or
/// valid for writing `len` bytes and does not overlap the handle.
unsafe fn copy_view_out(
    mem: *const EvmMemory,
    out: *mut u8,
    len: usize,
    view: impl FnOnce(&Memory) -> Result<&[u8], MemoryError>,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_ref(mem) }?;
        check_output(out, len)?;
        let bytes = view(&m.memory)?;
        // SAFETY: `out` was checked for `len` bytes and is, by the caller's contract, valid for
        // writing them; `bytes` is the handle's own memory, which `out` does not overlap.
        unsafe { write_out(out, bytes) };
        Ok(())
    })
}

/// The handle behind `mem`.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`] with no other reference to it.
unsafe fn handle_mut<'a>(mem: *mut EvmMemory) -> Result<&'a mut EvmMemory, EvmMemoryStatus> {
    // SAFETY: the caller guarantees that a non-NULL `mem` is a live, unaliased handle.
    let handle = unsafe { mem.as_mut() }.ok_or(EvmMemoryStatus::NullPointer)?;
    handle.debug_check();
    Ok(handle)
}

/// The handle behind `mem`, shared.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`] not being mutated.
unsafe fn handle_ref<'a>(mem: *const EvmMemory) -> Result<&'a EvmMemory, EvmMemoryStatus> {
    // SAFETY: the caller guarantees that a non-NULL `mem` is a live handle, not mutated meanwhile.
    let handle = unsafe { mem.as_ref() }.ok_or(EvmMemoryStatus::NullPointer)?;
    handle.debug_check();
    Ok(handle)
}

/// Checks that `[addr, addr + len)` could be one object: at most `isize::MAX` bytes, not
/// wrapping the address space.
fn check_span(addr: usize, len: usize) -> Outcome {
    if len > isize::MAX as usize || addr.checked_add(len).is_none() {
        return Err(EvmMemoryStatus::LengthOverflow);
    }
    Ok(())
}

/// The caller's input buffer `(ptr, len)`: empty when `len == 0` (any pointer), else checked.
///
/// # Safety
/// When `len > 0` and the span checks pass, `ptr` is valid for reads of `len` bytes that nothing
/// writes during the call.
unsafe fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], EvmMemoryStatus> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(EvmMemoryStatus::NullPointer);
    }
    check_span(ptr as usize, len)?;
    // SAFETY: non-NULL, `len <= isize::MAX` without wrapping (checked above) and, by the
    // caller's contract, valid for reads of `len` bytes that are not written during the call.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// Checks the caller's output buffer `(ptr, len)` before anything is done: a NULL pointer is
/// fine for `len == 0` only.
fn check_output(ptr: *mut u8, len: usize) -> Outcome {
    if len == 0 {
        return Ok(());
    }
    if ptr.is_null() {
        return Err(EvmMemoryStatus::NullPointer);
    }
    check_span(ptr as usize, len)
}

/// Checks that a required pointer is not NULL.
fn required<T>(ptr: *const T) -> Outcome {
    if ptr.is_null() {
        return Err(EvmMemoryStatus::NullPointer);
    }
    Ok(())
}

/// Copies `src` to the caller's buffer at `dst` (already checked with [`check_output`] for
/// `src.len()` bytes).
///
/// # Safety
/// When `src` is not empty, `dst` is valid for writes of `src.len()` bytes and does not overlap
/// `src`.
unsafe fn write_out(dst: *mut u8, src: &[u8]) {
    if !src.is_empty() {
        // SAFETY: the caller guarantees `dst` is valid for `src.len()` bytes and disjoint from
        // `src` (memory the handle owns, never exposed to C).
        unsafe { ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) };
    }
}

/// Writes a value through a required out-pointer (already checked with [`required`]).
///
/// # Safety
/// `out` is valid for writes of one `T` and properly aligned.
unsafe fn write_value<T>(out: *mut T, value: T) {
    // SAFETY: guaranteed by the caller; `write` does not read or drop the old (possibly
    // uninitialised) value.
    unsafe { out.write(value) };
}

/// The static, NUL-terminated description of `status`; `"unknown status"` for a value that is
/// not an [`EvmMemoryStatus`]. Never NULL; the string must not be freed.
#[no_mangle]
pub extern "C" fn evm_memory_status_message(status: c_int) -> *const c_char {
    let message = ALL_STATUSES
        .iter()
        .find(|s| **s as c_int == status)
        .map_or(c"unknown status", |s| s.message());
    message.as_ptr()
}

/// Writes the default configuration (no initial capacity, the 4 GiB limit) to `*out`.
///
/// # Safety
/// `out` is NULL or valid for writing one `EvmMemoryConfig`.
///
/// # Errors
/// `NULL_POINTER` when `out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_config_default(out: *mut EvmMemoryConfig) -> EvmMemoryStatus {
    guard(|| {
        required(out)?;
        let default = MemoryConfig::default();
        let config = EvmMemoryConfig {
            initial_capacity: default.initial_capacity,
            memory_limit: default.memory_limit,
        };
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(out, config) };
        Ok(())
    })
}

/// Creates a memory set up by `*config` and writes its handle to `*out`. Free it with
/// [`evm_memory_destroy`].
///
/// # Safety
/// `config` is NULL or valid for reading one `EvmMemoryConfig`; `out` is NULL or valid for
/// writing one pointer.
///
/// # Errors
/// `NULL_POINTER` when `config` or `out` is NULL; `INVALID_CONFIG` for a zero limit, a limit
/// above `EVM_MEMORY_MAX_LIMIT` or an initial capacity above the limit; `OUT_OF_MEMORY` when the
/// initial reservation fails. `*out` is untouched on error.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_create(
    config: *const EvmMemoryConfig,
    out: *mut *mut EvmMemory,
) -> EvmMemoryStatus {
    guard(|| {
        required(config)?;
        required(out)?;
        // SAFETY: `config` is non-NULL and, by the caller's contract, valid for one read; any bit
        // pattern is a valid `EvmMemoryConfig` (two integers).
        let config = unsafe { config.read() };
        let memory = Memory::new(config.into())?;
        let handle = Box::into_raw(Box::new(EvmMemory {
            memory,
            open: Vec::new(),
        }));
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(out, handle) };
        Ok(())
    })
}

/// Frees a memory and every open child context. NULL is a no-op; both return `OK`.
///
/// # Safety
/// `mem` is NULL or a handle from [`evm_memory_create`] not yet destroyed; it must not be used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_destroy(mem: *mut EvmMemory) -> EvmMemoryStatus {
    guard(|| {
        if !mem.is_null() {
            // SAFETY: by the caller's contract `mem` came from `Box::into_raw` in
            // `evm_memory_create` and is destroyed once.
            drop(unsafe { Box::from_raw(mem) });
        }
        Ok(())
    })
}

/// Empties the memory and closes every child context, keeping the allocation. Every checkpoint
/// taken before becomes stale.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`].
///
/// # Errors
/// `NULL_POINTER` when `mem` is NULL.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_reset(mem: *mut EvmMemory) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        m.memory.reset();
        m.open.clear();
        Ok(())
    })
}

/// Writes the size of the current context in bytes (MSIZE, a multiple of 32) to `*out`.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; `out` is NULL or valid for writing
/// one `size_t`.
///
/// # Errors
/// `NULL_POINTER` when `mem` or `out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_size(
    mem: *const EvmMemory,
    out: *mut usize,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_ref(mem) }?;
        required(out)?;
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(out, m.memory.size()) };
        Ok(())
    })
}

/// Writes the number of open child contexts (0 at the root) to `*out`.
///
/// # Safety
/// As [`evm_memory_size`].
///
/// # Errors
/// `NULL_POINTER` when `mem` or `out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_depth(
    mem: *const EvmMemory,
    out: *mut usize,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_ref(mem) }?;
        required(out)?;
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(out, m.memory.depth()) };
        Ok(())
    })
}

/// Writes the total memory gas of the current context's size (`C_mem`, cached) to `*out`.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; `out` is NULL or valid for writing
/// one `uint64_t`.
///
/// # Errors
/// `NULL_POINTER` when `mem` or `out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_current_cost(
    mem: *const EvmMemory,
    out: *mut u64,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_ref(mem) }?;
        required(out)?;
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(out, m.memory.memory_cost()) };
        Ok(())
    })
}

/// Writes the gas that touching `[offset, offset + len)` would charge now to `*out` (0 for
/// `len == 0` or a range already inside the current context).
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; `out` is NULL or valid for writing
/// one `uint64_t`.
///
/// # Errors
/// `NULL_POINTER` when `mem` or `out` is NULL; `MEMORY_OVERFLOW` when `offset + len` overflows.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_expansion_cost(
    mem: *const EvmMemory,
    offset: usize,
    len: usize,
    out: *mut u64,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_ref(mem) }?;
        required(out)?;
        let cost = m.memory.expansion_cost(offset, len)?;
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(out, cost) };
        Ok(())
    })
}

/// Expands the current context over `[offset, offset + len)`, to the next word, without gas;
/// `len == 0` never expands.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`].
///
/// # Errors
/// `NULL_POINTER` when `mem` is NULL; `MEMORY_OVERFLOW` past the limit or when `offset + len`
/// overflows; `OUT_OF_MEMORY` when allocation fails.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_expand(
    mem: *mut EvmMemory,
    offset: usize,
    len: usize,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        m.memory.expand(offset, len)?;
        Ok(())
    })
}

/// Expands like [`evm_memory_expand`] and charges the expansion gas to `*gas_remaining` (gas
/// left, updated in place). Writes the gas charged to `*charged` unless it is NULL. The limit
/// is checked before gas. The only function that charges gas: an interpreter calls it before
/// the plain access of every memory opcode.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; `gas_remaining` is NULL or valid
/// for reading and writing one `uint64_t`; `charged` is NULL or valid for writing one `uint64_t`.
///
/// # Errors
/// `NULL_POINTER` when `mem` or `gas_remaining` is NULL; `OUT_OF_GAS` when the expansion costs
/// more than `*gas_remaining`; otherwise as [`evm_memory_expand`]. Memory and gas are unchanged
/// on error.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_expand_with_gas(
    mem: *mut EvmMemory,
    offset: usize,
    len: usize,
    gas_remaining: *mut u64,
    charged: *mut u64,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        required(gas_remaining)?;
        // SAFETY: `gas_remaining` is non-NULL and, by the caller's contract, valid for reads.
        let mut gas = Gas::new(unsafe { gas_remaining.read() });
        let cost = m.memory.expand_with_gas(offset, len, &mut gas)?;
        // SAFETY: `gas_remaining` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(gas_remaining, gas.remaining()) };
        if !charged.is_null() {
            // SAFETY: `charged` is non-NULL and, by the caller's contract, valid for writes.
            unsafe { write_value(charged, cost) };
        }
        Ok(())
    })
}

/// Copies the 32-byte big-endian word at `offset` to `out[0..32]`, expanding as needed (MLOAD's
/// access; no gas is charged).
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; `out` is NULL or valid for writing
/// 32 bytes.
///
/// # Errors
/// `NULL_POINTER` when `mem` or `out` is NULL; `LENGTH_OVERFLOW` when `out + 32` wraps the address
/// space; otherwise as [`evm_memory_expand`].
#[no_mangle]
pub unsafe extern "C" fn evm_memory_load_word(
    mem: *mut EvmMemory,
    offset: usize,
    out: *mut u8,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        check_output(out, EVM_MEMORY_WORD_SIZE)?;
        let word = m.memory.load_word(offset)?;
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for 32 bytes of writes.
        unsafe { write_out(out, &word) };
        Ok(())
    })
}

/// Writes the 32-byte big-endian word `word[0..32]` at `offset`, expanding as needed (MSTORE's
/// access; no gas is charged).
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; `word` is NULL or valid for
/// reading 32 bytes.
///
/// # Errors
/// `NULL_POINTER` when `mem` or `word` is NULL; `LENGTH_OVERFLOW` when `word + 32` wraps the
/// address space; otherwise as [`evm_memory_expand`].
#[no_mangle]
pub unsafe extern "C" fn evm_memory_store_word(
    mem: *mut EvmMemory,
    offset: usize,
    word: *const u8,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        // SAFETY: by the caller's contract a non-NULL `word` is valid for reading 32 bytes.
        let bytes = unsafe { input(word, EVM_MEMORY_WORD_SIZE) }?;
        let mut value = [0u8; EVM_MEMORY_WORD_SIZE];
        value.copy_from_slice(bytes);
        m.memory.store_word(offset, &value)?;
        Ok(())
    })
}

/// Copies the byte at `offset` to `*out`, expanding to the word that holds it.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; `out` is NULL or valid for writing
/// one byte.
///
/// # Errors
/// `NULL_POINTER` when `mem` or `out` is NULL; otherwise as [`evm_memory_expand`].
#[no_mangle]
pub unsafe extern "C" fn evm_memory_load_byte(
    mem: *mut EvmMemory,
    offset: usize,
    out: *mut u8,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        required(out)?;
        let byte = m.memory.load_byte(offset)?;
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(out, byte) };
        Ok(())
    })
}

/// Writes `value` at `offset`, expanding to the word that holds it (MSTORE8's access; no gas is
/// charged).
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`].
///
/// # Errors
/// `NULL_POINTER` when `mem` is NULL; otherwise as [`evm_memory_expand`].
#[no_mangle]
pub unsafe extern "C" fn evm_memory_store_byte(
    mem: *mut EvmMemory,
    offset: usize,
    value: u8,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        m.memory.store_byte(offset, value)?;
        Ok(())
    })
}

/// Writes `data[0..len]` at `offset`, expanding as needed. `data` may be NULL when `len` is 0.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; when `len > 0`, `data` is NULL or
/// valid for reading `len` bytes (and does not overlap the handle).
///
/// # Errors
/// `NULL_POINTER` when `mem` is NULL, or `data` is NULL with `len > 0`; `LENGTH_OVERFLOW` when
/// `len` is above `PTRDIFF_MAX` or `data + len` wraps; otherwise as [`evm_memory_expand`].
#[no_mangle]
pub unsafe extern "C" fn evm_memory_copy_in(
    mem: *mut EvmMemory,
    offset: usize,
    data: *const u8,
    len: usize,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        // SAFETY: by the caller's contract `data` is valid for `len` bytes when non-NULL.
        let data = unsafe { input(data, len) }?;
        m.memory.copy_from_slice(offset, data)?;
        Ok(())
    })
}

/// Copies `len` bytes of the current context from `offset` to `out`; never expands. `out` may be
/// NULL when `len` is 0 (a zero length is in bounds at any offset).
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; when `len > 0`, `out` is NULL or
/// valid for writing `len` bytes (and does not overlap the handle).
///
/// # Errors
/// `NULL_POINTER` when `mem` is NULL, or `out` is NULL with `len > 0`; `LENGTH_OVERFLOW` as for
/// [`evm_memory_copy_in`]; `OUT_OF_BOUNDS` when the range reaches past the current context's
/// size. `out` is untouched on error.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_copy_out(
    mem: *const EvmMemory,
    offset: usize,
    out: *mut u8,
    len: usize,
) -> EvmMemoryStatus {
    // SAFETY: forwarded from this function's contract.
    unsafe { copy_view_out(mem, out, len, |m| m.slice(offset, len)) }
}

/// Writes `len` bytes at `memory_offset`, taken from `data[0..data_len]` starting at
/// `data_offset`, zero-padded past the end of the data (a `data_offset` past the end gives all
/// zeros), expanding as needed (CALLDATACOPY's and CODECOPY's access; no gas is charged).
/// `len == 0` does nothing. `data` may be NULL when `data_len` is 0.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; when `data_len > 0`, `data` is NULL
/// or valid for reading `data_len` bytes (and does not overlap the handle).
///
/// # Errors
/// `NULL_POINTER` when `mem` is NULL, or `data` is NULL with `data_len > 0`; `LENGTH_OVERFLOW`
/// when `data_len` is above `PTRDIFF_MAX` or `data + data_len` wraps; otherwise as
/// [`evm_memory_expand`] over `[memory_offset, memory_offset + len)`.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_set_data(
    mem: *mut EvmMemory,
    memory_offset: usize,
    data_offset: usize,
    len: usize,
    data: *const u8,
    data_len: usize,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        // SAFETY: by the caller's contract `data` is valid for `data_len` bytes when non-NULL.
        let data = unsafe { input(data, data_len) }?;
        m.memory.set_data(memory_offset, data_offset, len, data)?;
        Ok(())
    })
}

/// Copies `len` bytes from `src` to `dst` (overlap is fine) after expanding over both ranges
/// (MCOPY's access, EIP-5656; no gas is charged). `len == 0` does nothing.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`].
///
/// # Errors
/// `NULL_POINTER` when `mem` is NULL; `MEMORY_OVERFLOW` past the limit or when
/// `max(dst, src) + len` overflows; `OUT_OF_MEMORY` when allocation fails.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_mcopy(
    mem: *mut EvmMemory,
    dst: usize,
    src: usize,
    len: usize,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        m.memory.copy(dst, src, len)?;
        Ok(())
    })
}

/// Enters a child context (CALL): it starts empty, and exiting it restores the parent exactly.
/// Writes its checkpoint to `*out`.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; `out` is NULL or valid for writing
/// one `EvmMemoryCheckpoint`.
///
/// # Errors
/// `NULL_POINTER` when `mem` or `out` is NULL; `OUT_OF_MEMORY` when the context stack cannot grow.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_enter_child(
    mem: *mut EvmMemory,
    out: *mut EvmMemoryCheckpoint,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        required(out)?;
        m.open
            .try_reserve(1)
            .map_err(|_| EvmMemoryStatus::OutOfMemory)?;
        let checkpoint = m.memory.enter_child()?;
        let id = NEXT_CHECKPOINT_ID.fetch_add(1, Ordering::Relaxed);
        m.open.push((id, checkpoint));
        let c_checkpoint = EvmMemoryCheckpoint {
            id,
            depth: checkpoint.depth(),
        };
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(out, c_checkpoint) };
        Ok(())
    })
}

/// The innermost open checkpoint, if `checkpoint` is it.
fn innermost(
    m: &EvmMemory,
    checkpoint: EvmMemoryCheckpoint,
) -> Result<Checkpoint, EvmMemoryStatus> {
    match m.open.last() {
        None => Err(EvmMemoryStatus::NotInChildContext),
        Some(&(id, inner)) if id == checkpoint.id => Ok(inner),
        Some(_) => Err(EvmMemoryStatus::StaleCheckpoint),
    }
}

/// Exits the child context opened by `checkpoint`, dropping its bytes and restoring the parent's
/// size and gas.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`].
///
/// # Errors
/// `NULL_POINTER` when `mem` is NULL; `NOT_IN_CHILD_CONTEXT` when no child context is open;
/// `STALE_CHECKPOINT` when `checkpoint` is not the innermost open one of this memory (already
/// exited, outer, from another memory, or forged).
#[no_mangle]
pub unsafe extern "C" fn evm_memory_exit_child(
    mem: *mut EvmMemory,
    checkpoint: EvmMemoryCheckpoint,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        let inner = innermost(m, checkpoint)?;
        m.memory.exit_child(inner)?;
        m.open.pop();
        Ok(())
    })
}

/// Exits the child context opened by `checkpoint` after copying its return region into the parent
/// (RETURN into CALL's return region): `min(ret_len, dst_len)` bytes from the child's
/// `ret_offset` to the parent's `dst_offset`. Writes the number of bytes copied to `*copied`
/// unless it is NULL. Both regions must already be inside their contexts (zero lengths always
/// are).
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; `copied` is NULL or valid for
/// writing one `size_t`.
///
/// # Errors
/// As [`evm_memory_exit_child`], plus `OUT_OF_BOUNDS` when either region is outside its context.
/// The child stays open on error.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_exit_child_with_return(
    mem: *mut EvmMemory,
    checkpoint: EvmMemoryCheckpoint,
    ret_offset: usize,
    ret_len: usize,
    dst_offset: usize,
    dst_len: usize,
    copied: *mut usize,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        let inner = innermost(m, checkpoint)?;
        let n = m
            .memory
            .exit_child_with_return(inner, ret_offset, ret_len, dst_offset, dst_len)?;
        m.open.pop();
        if !copied.is_null() {
            // SAFETY: `copied` is non-NULL and, by the caller's contract, valid for writes.
            unsafe { write_value(copied, n) };
        }
        Ok(())
    })
}

/// Copies `len` bytes of the parent context's memory from `offset` to `out` (the CALL argument
/// region a child sees as its calldata). `out` may be NULL when `len` is 0.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`]; when `len > 0`, `out` is NULL or
/// valid for writing `len` bytes (and does not overlap the handle).
///
/// # Errors
/// `NULL_POINTER` when `mem` is NULL, or `out` is NULL with `len > 0`; `LENGTH_OVERFLOW` as for
/// [`evm_memory_copy_out`]; `NOT_IN_CHILD_CONTEXT` at the root; `OUT_OF_BOUNDS` when the region
/// is not inside the parent's memory. `out` is untouched on error.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_read_parent(
    mem: *const EvmMemory,
    offset: usize,
    out: *mut u8,
    len: usize,
) -> EvmMemoryStatus {
    // SAFETY: forwarded from this function's contract.
    unsafe { copy_view_out(mem, out, len, |m| m.parent_slice(offset, len)) }
}

/// CALLDATACOPY in a child whose calldata is the parent's region
/// `[parent_offset, parent_offset + parent_len)`: like [`evm_memory_set_data`] with that region
/// as the data, without an intermediate copy.
///
/// # Safety
/// `mem` is NULL or a live handle from [`evm_memory_create`].
///
/// # Errors
/// `NULL_POINTER` when `mem` is NULL; `NOT_IN_CHILD_CONTEXT` at the root; `OUT_OF_BOUNDS` when the
/// parent region is not inside the parent's memory; otherwise as [`evm_memory_set_data`].
#[no_mangle]
pub unsafe extern "C" fn evm_memory_set_data_from_parent(
    mem: *mut EvmMemory,
    memory_offset: usize,
    data_offset: usize,
    len: usize,
    parent_offset: usize,
    parent_len: usize,
) -> EvmMemoryStatus {
    guard(|| {
        // SAFETY: by the caller's contract `mem` is NULL or a live handle.
        let m = unsafe { handle_mut(mem) }?;
        m.memory.set_data_from_parent(
            memory_offset,
            data_offset,
            len,
            parent_offset,
            parent_len,
        )?;
        Ok(())
    })
}

/// Writes the total memory gas of a memory of `words` 32-byte words, `3*words + words^2/512`
/// (saturating at `UINT64_MAX`), to `*out`: mainnet's pricing.
///
/// # Safety
/// `out` is NULL or valid for writing one `uint64_t`.
///
/// # Errors
/// `NULL_POINTER` when `out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_memory_gas_cost(words: u64, out: *mut u64) -> EvmMemoryStatus {
    guard(|| {
        required(out)?;
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(out, crate::memory_gas_cost(words)) };
        Ok(())
    })
}

/// Writes the gas to grow a memory from `old_size` to `new_size` bytes (each rounded up to whole
/// words; 0 when not growing; saturating at `UINT64_MAX`) to `*out`: mainnet's pricing.
///
/// # Safety
/// `out` is NULL or valid for writing one `uint64_t`.
///
/// # Errors
/// `NULL_POINTER` when `out` is NULL.
#[no_mangle]
pub unsafe extern "C" fn evm_memory_expansion_gas_cost(
    old_size: u64,
    new_size: u64,
    out: *mut u64,
) -> EvmMemoryStatus {
    guard(|| {
        required(out)?;
        // SAFETY: `out` is non-NULL and, by the caller's contract, valid for writes.
        unsafe { write_value(out, crate::expansion_gas_cost(old_size, new_size)) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConfigError;
    use EvmMemoryStatus as S;

    fn create(limit: u64) -> *mut EvmMemory {
        let config = EvmMemoryConfig {
            initial_capacity: 0,
            memory_limit: limit,
        };
        let mut h = ptr::null_mut();
        // SAFETY: both pointers are valid.
        assert_eq!(unsafe { evm_memory_create(&config, &mut h) }, S::Ok);
        assert!(!h.is_null());
        h
    }

    fn destroy(h: *mut EvmMemory) {
        // SAFETY: `h` is a live handle, destroyed once.
        assert_eq!(unsafe { evm_memory_destroy(h) }, S::Ok);
    }

    /// Size, depth, cached cost and bytes of the current context.
    fn state(h: *mut EvmMemory) -> (usize, usize, u64, Vec<u8>) {
        let (mut size, mut depth, mut cost) = (0, 0, 0);
        // SAFETY: `h` is live and every out-pointer valid; `bytes` holds `size` bytes.
        unsafe {
            assert_eq!(evm_memory_size(h, &mut size), S::Ok);
            assert_eq!(evm_memory_depth(h, &mut depth), S::Ok);
            assert_eq!(evm_memory_current_cost(h, &mut cost), S::Ok);
            let mut bytes = vec![0xEE; size];
            assert_eq!(evm_memory_copy_out(h, 0, bytes.as_mut_ptr(), size), S::Ok);
            (size, depth, cost, bytes)
        }
    }

    fn enter(h: *mut EvmMemory) -> EvmMemoryCheckpoint {
        let mut cp = EvmMemoryCheckpoint { id: 0, depth: 0 };
        // SAFETY: `h` is live and `cp` a valid out-pointer.
        assert_eq!(unsafe { evm_memory_enter_child(h, &mut cp) }, S::Ok);
        cp
    }

    #[test]
    fn status_messages_are_static_distinct_and_total() {
        let mut seen = std::collections::HashSet::new();
        for (i, status) in ALL_STATUSES.iter().enumerate() {
            assert_eq!(*status as usize, i);
            let p = evm_memory_status_message(*status as c_int);
            // SAFETY: the function returns static NUL-terminated strings.
            let text = unsafe { CStr::from_ptr(p) };
            assert_eq!(text, status.message());
            assert!(!text.is_empty() && seen.insert(text.to_owned()));
        }
        for bad in [-1, 11, c_int::MAX, c_int::MIN] {
            // SAFETY: as above.
            let text = unsafe { CStr::from_ptr(evm_memory_status_message(bad)) };
            assert_eq!(text, c"unknown status");
        }
    }

    #[test]
    fn every_memory_error_has_a_status() {
        let cases = [
            (MemoryError::OutOfMemory, S::OutOfMemory),
            (MemoryError::MemoryOverflow, S::MemoryOverflow),
            (MemoryError::OutOfBounds, S::OutOfBounds),
            (
                MemoryError::OutOfGas {
                    needed: 2,
                    remaining: 1,
                },
                S::OutOfGas,
            ),
            (MemoryError::NotInChildContext, S::NotInChildContext),
            (MemoryError::StaleCheckpoint, S::StaleCheckpoint),
            (
                MemoryError::InvalidConfig(ConfigError::ZeroLimit),
                S::InvalidConfig,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(EvmMemoryStatus::from(error), status);
        }
    }

    #[test]
    fn panics_become_a_status() {
        assert_eq!(guard(|| panic!("boom")), S::Panic);
        assert_eq!(
            guard(|| std::panic::panic_any(std::sync::Arc::new(1))),
            S::Panic
        );
        assert_eq!(guard(|| Err(S::OutOfGas)), S::OutOfGas);
        assert_eq!(guard(|| Ok(())), S::Ok);
    }

    #[test]
    fn create_rejects_null_and_invalid_configs() {
        let sentinel = ptr::dangling_mut::<EvmMemory>();
        let mut out = sentinel;
        let mut config = EvmMemoryConfig {
            initial_capacity: 7,
            memory_limit: 7,
        };
        // SAFETY: every pointer is NULL or valid; created handles are destroyed.
        unsafe {
            assert_eq!(evm_memory_config_default(ptr::null_mut()), S::NullPointer);
            assert_eq!(evm_memory_config_default(&mut config), S::Ok);
            assert_eq!(
                config,
                EvmMemoryConfig {
                    initial_capacity: 0,
                    memory_limit: EVM_MEMORY_MAX_LIMIT
                }
            );
            assert_eq!(evm_memory_create(ptr::null(), &mut out), S::NullPointer);
            assert_eq!(evm_memory_create(&config, ptr::null_mut()), S::NullPointer);
            for (initial_capacity, memory_limit) in [
                (0, 0),
                (0, EVM_MEMORY_MAX_LIMIT + 1),
                (0, u64::MAX),
                (65, 64),
                (usize::MAX, EVM_MEMORY_MAX_LIMIT),
            ] {
                let bad = EvmMemoryConfig {
                    initial_capacity,
                    memory_limit,
                };
                assert_eq!(evm_memory_create(&bad, &mut out), S::InvalidConfig);
            }
            assert_eq!(out, sentinel, "out written on error");
            let ok = EvmMemoryConfig {
                initial_capacity: 64,
                memory_limit: 64,
            };
            assert_eq!(evm_memory_create(&ok, &mut out), S::Ok);
            assert!((*out).memory.capacity() >= 64);
            destroy(out);
            assert_eq!(evm_memory_destroy(ptr::null_mut()), S::Ok);
        }
    }

    #[test]
    fn null_handle_is_an_error_everywhere() {
        let n = ptr::null_mut::<EvmMemory>();
        let mut buf = [0u8; 32];
        let b = buf.as_mut_ptr();
        let (mut size, mut value) = (0usize, 0u64);
        let mut cp = EvmMemoryCheckpoint { id: 1, depth: 1 };
        // SAFETY: every non-handle pointer is valid.
        let statuses = unsafe {
            [
                evm_memory_reset(n),
                evm_memory_size(n, &mut size),
                evm_memory_depth(n, &mut size),
                evm_memory_current_cost(n, &mut value),
                evm_memory_expansion_cost(n, 0, 1, &mut value),
                evm_memory_expand(n, 0, 1),
                evm_memory_expand_with_gas(n, 0, 1, &mut value, &mut value),
                evm_memory_load_word(n, 0, b),
                evm_memory_store_word(n, 0, b),
                evm_memory_load_byte(n, 0, b),
                evm_memory_store_byte(n, 0, 1),
                evm_memory_copy_in(n, 0, b, 32),
                evm_memory_copy_out(n, 0, b, 32),
                evm_memory_set_data(n, 0, 0, 32, b, 32),
                evm_memory_mcopy(n, 0, 0, 1),
                evm_memory_enter_child(n, &mut cp),
                evm_memory_exit_child(n, cp),
                evm_memory_exit_child_with_return(n, cp, 0, 0, 0, 0, &mut size),
                evm_memory_read_parent(n, 0, b, 32),
                evm_memory_set_data_from_parent(n, 0, 0, 1, 0, 1),
            ]
        };
        assert!(
            statuses.iter().all(|&s| s == S::NullPointer),
            "{statuses:?}"
        );
        assert_eq!((buf, size, value), ([0; 32], 0, 0));
    }

    #[test]
    fn null_out_and_input_pointers_change_nothing() {
        let h = create(1024);
        // SAFETY: `h` is live; the NULL pointers are the cases under test.
        unsafe {
            assert_eq!(evm_memory_store_byte(h, 40, 7), S::Ok);
            let before = state(h);
            let statuses = [
                evm_memory_size(h, ptr::null_mut()),
                evm_memory_depth(h, ptr::null_mut()),
                evm_memory_current_cost(h, ptr::null_mut()),
                evm_memory_expansion_cost(h, 0, 100, ptr::null_mut()),
                evm_memory_expand_with_gas(h, 0, 100, ptr::null_mut(), ptr::null_mut()),
                evm_memory_load_word(h, 100, ptr::null_mut()),
                evm_memory_store_word(h, 100, ptr::null()),
                evm_memory_load_byte(h, 100, ptr::null_mut()),
                evm_memory_copy_in(h, 100, ptr::null(), 1),
                evm_memory_copy_out(h, 0, ptr::null_mut(), 1),
                evm_memory_set_data(h, 100, 0, 4, ptr::null(), 1),
                evm_memory_enter_child(h, ptr::null_mut()),
                evm_memory_read_parent(h, 0, ptr::null_mut(), 1),
                evm_memory_memory_gas_cost(1, ptr::null_mut()),
                evm_memory_expansion_gas_cost(0, 1, ptr::null_mut()),
            ];
            assert!(
                statuses.iter().all(|&s| s == S::NullPointer),
                "{statuses:?}"
            );
            assert_eq!(state(h), before);
            // NULL with a zero length is an empty buffer, at any offset.
            assert_eq!(evm_memory_copy_in(h, usize::MAX, ptr::null(), 0), S::Ok);
            assert_eq!(
                evm_memory_copy_out(h, usize::MAX, ptr::null_mut(), 0),
                S::Ok
            );
            assert_eq!(evm_memory_set_data(h, 0, 0, 0, ptr::null(), 0), S::Ok);
            assert_eq!(state(h), before);
            // NULL data with a zero data length pads with zeros.
            assert_eq!(evm_memory_set_data(h, 40, 0, 2, ptr::null(), 0), S::Ok);
            let mut byte = 9;
            assert_eq!(evm_memory_load_byte(h, 40, &mut byte), S::Ok);
            assert_eq!(byte, 0);
            // The optional out-pointers may be NULL.
            let mut gas = 100;
            assert_eq!(
                evm_memory_expand_with_gas(h, 0, 96, &mut gas, ptr::null_mut()),
                S::Ok
            );
            assert_eq!(gas, 97);
        }
        destroy(h);
    }

    #[test]
    fn impossible_buffer_lengths_are_length_overflow() {
        let h = create(1024);
        let mut buf = [0x5Au8; 8];
        let p = buf.as_mut_ptr();
        let wrapping: *mut u8 = core::ptr::without_provenance_mut(usize::MAX - 3);
        let huge = isize::MAX as usize + 1;
        // SAFETY: `h` is live; the bad buffers are rejected before being touched.
        unsafe {
            let before = state(h);
            let statuses = [
                evm_memory_copy_in(h, 0, p, huge),
                evm_memory_copy_in(h, 0, p, usize::MAX),
                evm_memory_copy_in(h, 0, wrapping, 4),
                evm_memory_copy_out(h, 0, p, huge),
                evm_memory_copy_out(h, 0, wrapping, 8),
                evm_memory_set_data(h, 0, 0, 4, p, huge),
                evm_memory_set_data(h, 0, 0, 4, wrapping, 5),
                evm_memory_read_parent(h, 0, p, usize::MAX),
                evm_memory_read_parent(h, 0, wrapping, 4),
                evm_memory_load_word(h, 0, wrapping),
                evm_memory_store_word(h, 0, wrapping),
            ];
            assert!(
                statuses.iter().all(|&s| s == S::LengthOverflow),
                "{statuses:?}"
            );
            assert_eq!(state(h), before);
            assert_eq!(buf, [0x5A; 8]);
            // A wrapping pointer with a zero length is an empty buffer.
            assert_eq!(evm_memory_copy_in(h, 0, wrapping, 0), S::Ok);
        }
        destroy(h);
    }

    #[test]
    fn overflow_bounds_and_gas_errors_change_nothing() {
        let h = create(128);
        let mut word = [0xABu8; 32];
        // SAFETY: `h` is live and every pointer valid for the lengths given.
        unsafe {
            assert_eq!(evm_memory_store_word(h, 0, word.as_ptr()), S::Ok);
            let before = state(h);
            let mut cost = 77;
            assert_eq!(
                evm_memory_expansion_cost(h, usize::MAX, 1, &mut cost),
                S::MemoryOverflow
            );
            assert_eq!(cost, 77);
            for status in [
                evm_memory_expand(h, 128, 1),
                evm_memory_expand(h, usize::MAX, 1),
                evm_memory_store_word(h, 97, word.as_ptr()),
                evm_memory_load_word(h, usize::MAX - 31, word.as_mut_ptr()),
                evm_memory_store_byte(h, 128, 1),
                evm_memory_load_byte(h, 128, word.as_mut_ptr()),
                evm_memory_copy_in(h, 120, word.as_ptr(), 9),
                evm_memory_set_data(h, 120, 0, 9, word.as_ptr(), 32),
                evm_memory_mcopy(h, 0, 120, 9),
                evm_memory_mcopy(h, usize::MAX, 0, 1),
            ] {
                assert_eq!(status, S::MemoryOverflow);
            }
            assert_eq!(word, [0xAB; 32], "load_word wrote on error");
            assert_eq!(
                evm_memory_copy_out(h, 1, word.as_mut_ptr(), 32),
                S::OutOfBounds
            );
            assert_eq!(
                evm_memory_copy_out(h, usize::MAX, word.as_mut_ptr(), 1),
                S::OutOfBounds
            );
            assert_eq!(word, [0xAB; 32], "copy_out wrote on error");
            // Gas: too little leaves memory and gas as they were; the limit comes first.
            let (mut gas, mut charged) = (5u64, 99u64);
            assert_eq!(
                evm_memory_expand_with_gas(h, 0, 96, &mut gas, &mut charged),
                S::OutOfGas
            );
            assert_eq!(
                evm_memory_expand_with_gas(h, 0, 129, &mut gas, &mut charged),
                S::MemoryOverflow
            );
            assert_eq!((gas, charged), (5, 99));
            assert_eq!(state(h), before);
            assert_eq!(evm_memory_expansion_cost(h, 0, 96, &mut cost), S::Ok);
            assert_eq!(cost, 6);
            gas = 6;
            assert_eq!(
                evm_memory_expand_with_gas(h, 0, 96, &mut gas, &mut charged),
                S::Ok
            );
            assert_eq!((gas, charged), (0, 6));
            assert_eq!(state(h).0, 96);
        }
        destroy(h);
    }

    #[test]
    fn child_context_misuse() {
        let h = create(4096);
        let other = create(4096);
        let mut buf = [0x11u8; 4];
        let mut copied = 42usize;
        // SAFETY: both handles are live and every pointer valid for the lengths given.
        unsafe {
            let foreign = enter(other);
            let zero = EvmMemoryCheckpoint { id: 0, depth: 0 };
            // At the root.
            assert_eq!(evm_memory_exit_child(h, foreign), S::NotInChildContext);
            assert_eq!(evm_memory_exit_child(h, zero), S::NotInChildContext);
            assert_eq!(
                evm_memory_exit_child_with_return(h, zero, 0, 0, 0, 0, &mut copied),
                S::NotInChildContext
            );
            assert_eq!(
                evm_memory_read_parent(h, 0, buf.as_mut_ptr(), 0),
                S::NotInChildContext
            );
            assert_eq!(
                evm_memory_set_data_from_parent(h, 0, 0, 1, 0, 0),
                S::NotInChildContext
            );
            // Stale: foreign, forged, outer, already exited.
            assert_eq!(evm_memory_copy_in(h, 0, [1u8, 2, 3].as_ptr(), 3), S::Ok);
            let outer = enter(h);
            assert_eq!(outer.depth, 1);
            let inner = enter(h);
            assert_eq!(inner.depth, 2);
            assert_ne!(outer.id, inner.id);
            let before = state(h);
            for cp in [
                foreign,
                zero,
                outer,
                EvmMemoryCheckpoint {
                    id: inner.id + 1,
                    ..inner
                },
            ] {
                assert_eq!(evm_memory_exit_child(h, cp), S::StaleCheckpoint);
                assert_eq!(
                    evm_memory_exit_child_with_return(h, cp, 0, 0, 0, 0, &mut copied),
                    S::StaleCheckpoint
                );
            }
            // The depth field is informative only.
            let mut relabelled = inner;
            relabelled.depth = 7;
            // Regions out of bounds keep the child open.
            assert_eq!(
                evm_memory_exit_child_with_return(h, inner, 0, 1, 0, 0, &mut copied),
                S::OutOfBounds
            );
            assert_eq!(
                evm_memory_read_parent(h, 0, buf.as_mut_ptr(), 1),
                S::OutOfBounds
            );
            assert_eq!(
                evm_memory_set_data_from_parent(h, 0, 0, 1, 0, 1),
                S::OutOfBounds
            );
            assert_eq!((copied, buf), (42, [0x11; 4]));
            assert_eq!(state(h), before);
            assert_eq!(evm_memory_exit_child(h, relabelled), S::Ok);
            assert_eq!(evm_memory_exit_child(h, inner), S::StaleCheckpoint);
            // The outer child reads its parent's bytes and returns into them.
            assert_eq!(evm_memory_read_parent(h, 0, buf.as_mut_ptr(), 4), S::Ok);
            assert_eq!(buf, [1, 2, 3, 0]);
            assert_eq!(
                evm_memory_read_parent(h, 30, buf.as_mut_ptr(), 3),
                S::OutOfBounds
            );
            assert_eq!(evm_memory_set_data_from_parent(h, 0, 1, 4, 0, 3), S::Ok);
            assert_eq!(evm_memory_copy_out(h, 0, buf.as_mut_ptr(), 4), S::Ok);
            assert_eq!(buf, [2, 3, 0, 0]);
            assert_eq!(
                evm_memory_exit_child_with_return(h, outer, 0, 2, 10, 4, &mut copied),
                S::Ok
            );
            assert_eq!(copied, 2);
            assert_eq!(evm_memory_copy_out(h, 9, buf.as_mut_ptr(), 4), S::Ok);
            assert_eq!(buf, [0, 2, 3, 0]);
            assert_eq!(evm_memory_exit_child(h, outer), S::NotInChildContext);
            // A reset closes every child and makes its checkpoint stale.
            let cp = enter(h);
            assert_eq!(evm_memory_reset(h), S::Ok);
            assert_eq!(state(h), (0, 0, 0, Vec::new()));
            let again = enter(h);
            assert_eq!(evm_memory_exit_child(h, cp), S::StaleCheckpoint);
            assert_eq!(
                evm_memory_exit_child_with_return(h, again, 0, 0, 0, 0, ptr::null_mut()),
                S::Ok
            );
        }
        destroy(h);
        destroy(other);
    }

    #[test]
    fn operations_match_the_rust_api() {
        let h = create(EVM_MEMORY_MAX_LIMIT);
        let data = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let mut word = [0u8; 32];
        word[31] = 0x42;
        let mut out = [0u8; 32];
        // SAFETY: `h` is live and every pointer valid for the lengths given.
        unsafe {
            assert_eq!(evm_memory_store_word(h, 33, word.as_ptr()), S::Ok);
            assert_eq!(evm_memory_load_word(h, 33, out.as_mut_ptr()), S::Ok);
            assert_eq!(out, word);
            assert_eq!(evm_memory_store_byte(h, 0, 0xFF), S::Ok);
            assert_eq!(evm_memory_load_byte(h, 0, out.as_mut_ptr()), S::Ok);
            assert_eq!(out[0], 0xFF);
            assert_eq!(evm_memory_copy_in(h, 100, data.as_ptr(), 8), S::Ok);
            assert_eq!(evm_memory_set_data(h, 200, 6, 4, data.as_ptr(), 8), S::Ok);
            assert_eq!(evm_memory_mcopy(h, 101, 100, 4), S::Ok);
            let mut model = Memory::default();
            model.store_word(33, &word).unwrap();
            model.store_byte(0, 0xFF).unwrap();
            model.copy_from_slice(100, &data).unwrap();
            model.set_data(200, 6, 4, &data).unwrap();
            model.copy(101, 100, 4).unwrap();
            let (size, depth, cost, bytes) = state(h);
            assert_eq!((size, depth, cost), (model.size(), 0, model.memory_cost()));
            assert_eq!(bytes, model.as_slice());
            let mut gas = 0;
            assert_eq!(evm_memory_memory_gas_cost(1024, &mut gas), S::Ok);
            assert_eq!(gas, crate::memory_gas_cost(1024));
            assert_eq!(evm_memory_expansion_gas_cost(32, 96, &mut gas), S::Ok);
            assert_eq!(gas, 6);
        }
        destroy(h);
    }
}
