//! Drives the C API with raw bytes, as a C caller would (NULL pointers, absurd lengths, wrapping
//! buffers, stale, foreign and forged checkpoints, NULL handles), next to a plain [`Memory`] driven
//! the same way, and asserts after every call that:
//!
//! * no call ever returns `PANIC`;
//! * every status is the one the plain `Memory` (plus the documented pointer checks) gives;
//! * out-pointers and caller buffers are written on success only, with the model's values;
//! * the handle stays consistent: size (a multiple of 32), depth, cached cost and every byte of
//!   the current context equal the model's, read back through the C API.
//!
//! Used by the `c_api` fuzz target, `tests/c_api.rs`, the corpus replay and the campaign; part
//! of the harness, so that the C library itself ships no test code (at its top, beside
//! [`raw`](super::raw): like it, one implementation driven alone from raw bytes, no case and
//! no engines, so not in the op level). Sizes stay small by
//! construction: offsets and lengths are either below 2^16 (or near the current size) or far
//! beyond any limit.

use core::ffi::{c_int, CStr};
use core::ptr::{self, NonNull};

use std::ops::Range;

use crate::ffi::*;
use crate::harness::ops::engine::clip;
use crate::harness::ops::engines::model_memory_cost;
use crate::{
    Checkpoint, Gas, GasMeter, Memory, MemoryConfig, MemoryError, MemoryPricing, MAX_MEMORY_LIMIT,
};

/// Every status, in discriminant order (the C API's own list is private: this one is written
/// out again, so that a status the C API forgets to name is caught).
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

/// Deepest child context the driver opens (keeps memory use bounded).
const MAX_DEPTH: usize = 8;
/// What a caller buffer holds before a call that must not write it on error.
const SENTINEL: u8 = 0xA5;

/// Runs the byte string `data` as a sequence of C API calls; panics on any broken invariant.
pub fn drive_c_api(data: &[u8]) {
    let mut input = Input { data, pos: 0 };
    let Some(mut driver) = Driver::create(&mut input) else {
        return;
    };
    tally(|t| t.handles += 1);
    let mut steps = 0;
    while !input.is_empty() {
        steps += 1;
        // A context may end (an exit from a child, a reset): compare it while it is there.
        let ends = match input.peek() % 20 {
            12 | 13 => driver.model.depth() > 0,
            16 => true,
            _ => false,
        };
        if ends {
            driver.check_state(true);
        }
        let (size, depth) = (driver.model.size(), driver.model.depth());
        driver.touched.clear();
        driver.step(&mut input);
        if driver.model.depth() == depth && driver.model.size() > size {
            driver.touched.push(size..driver.model.size());
        }
        driver.check_state(ends || steps % FULL_CHECK_EVERY == 0);
    }
    driver.check_state(true);
    driver.destroy();
}

/// `true` when every byte of `buf` is still [`SENTINEL`] (compared a block at a time).
fn untouched(buf: &[u8]) -> bool {
    const BLOCK: [u8; 4096] = [SENTINEL; 4096];
    buf.chunks(BLOCK.len())
        .all(|chunk| chunk == &BLOCK[..chunk.len()])
}

/// Every how many calls the driver reads the whole current context back (it also does before a
/// context may end and at the end); after the others, only the bytes the call could change.
const FULL_CHECK_EVERY: usize = 64;

/// What the driver exercised on this thread since the last [`take_tally`]: to check that a
/// corpus reaches every status and operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Checked calls by the status they returned (indexed by discriminant).
    pub statuses: [u64; 11],
    /// Steps run, by operation (the step's first byte modulo 20).
    pub operations: [u64; 20],
    /// Handles created and driven.
    pub handles: u64,
}

thread_local! {
    static TALLY: core::cell::RefCell<Tally> = core::cell::RefCell::new(Tally::default());
}

fn tally(f: impl FnOnce(&mut Tally)) {
    TALLY.with_borrow_mut(f);
}

/// Returns this thread's tally and resets it.
pub fn take_tally() -> Tally {
    TALLY.with_borrow_mut(core::mem::take)
}

/// The selector (`% 10`) of an offset spelled as a `u16`.
const OFFSET_U16: u8 = 4;

/// The selector (`% 10`) of a length spelled as a `u16`.
const LENGTH_U16: u8 = 7;

/// The selector (`% 5`) of a gas budget spelled as a `u64`.
const GAS_U64: u8 = 3;

/// The `c_api` fuzz dictionary, spelled as this driver reads its operands: the word edges and
/// size classes below 2^16 of [`magic_values`](crate::harness::ops::generate::magic_values) as an
/// offset and as a length (the `u16` forms), and those below 2^64 as a gas budget (the `u64`
/// form).
pub fn dictionary() -> Vec<(String, Vec<u8>)> {
    let mut entries = Vec::new();
    for (name, v) in crate::harness::ops::generate::magic_values() {
        if v <= crate::U256::from(u16::MAX) {
            for (kind, selector) in [("offset", OFFSET_U16), ("length", LENGTH_U16)] {
                let mut bytes = vec![selector];
                bytes.extend_from_slice(&v.to::<u16>().to_le_bytes());
                entries.push((format!("{kind}_{name}"), bytes));
            }
        }
        if v <= crate::U256::from(u64::MAX) {
            let mut bytes = vec![GAS_U64];
            bytes.extend_from_slice(&v.to::<u64>().to_le_bytes());
            entries.push((format!("gas_{name}"), bytes));
        }
    }
    entries
}

/// Reads the fuzz input; past its end every read gives zero.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn byte(&mut self) -> u8 {
        let b = self.peek();
        self.pos += 1;
        b
    }

    /// The next byte, not consumed.
    fn peek(&self) -> u8 {
        self.data.get(self.pos).copied().unwrap_or(0)
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.byte();
        }
        u64::from_le_bytes(b)
    }

    /// One chance in `n` (for `n >= 1`).
    fn one_in(&mut self, n: u8) -> bool {
        self.byte() % n == 0
    }

    /// An offset into memory: small, near the current size, or far out of reach.
    fn offset(&mut self, size: usize) -> usize {
        match self.byte() % 10 {
            0..=3 => self.byte() as usize,
            OFFSET_U16 | 5 => self.u16() as usize,
            6 if size < 1 << 18 => {
                size.saturating_sub(self.byte() as usize) + (self.byte() % 64) as usize
            }
            6 => self.byte() as usize,
            7 => usize::MAX - self.byte() as usize,
            // Beyond any limit (4 GiB at most), so never expanded to.
            8 => (u32::MAX as usize).saturating_add(1 + self.u16() as usize),
            _ => (isize::MAX as usize).wrapping_add(self.byte() as usize),
        }
    }

    /// A length: small, a word, zero, up to 2^16, or far beyond any limit.
    fn len(&mut self) -> usize {
        match self.byte() % 10 {
            0..=2 => (self.byte() % 65) as usize,
            3 => 32,
            4 => 0,
            5 | 6 => self.byte() as usize,
            LENGTH_U16 => self.u16() as usize,
            8 => usize::MAX - self.byte() as usize,
            // Rounds up past 4 GiB, the largest limit.
            _ => (u32::MAX as usize).saturating_add(33 + self.byte() as usize),
        }
    }

    /// A source offset into caller data (`set_data`): anything goes, nothing is allocated.
    fn data_offset(&mut self) -> usize {
        match self.byte() % 4 {
            0 | 1 => self.byte() as usize,
            2 => self.u16() as usize,
            _ => usize::MAX - self.byte() as usize,
        }
    }

    fn gas(&mut self) -> u64 {
        match self.byte() % 5 {
            0 => 0,
            1 => self.byte() as u64,
            2 => self.u16() as u64,
            GAS_U64 => self.u64(),
            _ => u64::MAX,
        }
    }

    /// Bytes for a caller buffer of `len` bytes: `seed + 31·i` (mod 256) for a seed from the
    /// input, built a period (256 bytes) at a time.
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let seed = self.byte();
        let mut period = [0u8; 256];
        let mut value = seed;
        for byte in &mut period {
            *byte = value;
            value = value.wrapping_add(31);
        }
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let n = (len - out.len()).min(256);
            out.extend_from_slice(&period[..n]);
        }
        out
    }
}

/// How a caller passes a buffer, and what the C API must answer before looking at memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BufKind {
    /// A real buffer of the length passed.
    Valid,
    /// NULL with length 0: an empty buffer.
    NullEmpty,
    /// A dangling non-NULL pointer with length 0: an empty buffer.
    DanglingEmpty,
    /// NULL with a non-zero length: `NULL_POINTER`.
    NullNonEmpty,
    /// A real pointer with a length above `isize::MAX`: `LENGTH_OVERFLOW`.
    Huge,
    /// A pointer near the top of the address space whose range wraps: `LENGTH_OVERFLOW`.
    Wrapping,
}

impl BufKind {
    fn decode(input: &mut Input<'_>) -> Self {
        match input.byte() % 12 {
            0 => Self::NullEmpty,
            1 => Self::DanglingEmpty,
            2 => Self::NullNonEmpty,
            3 => Self::Huge,
            4 => Self::Wrapping,
            _ => Self::Valid,
        }
    }

    /// The status the pointer checks give, if any.
    fn precheck(self) -> Option<EvmMemoryStatus> {
        match self {
            Self::NullNonEmpty => Some(EvmMemoryStatus::NullPointer),
            Self::Huge | Self::Wrapping => Some(EvmMemoryStatus::LengthOverflow),
            Self::Valid | Self::NullEmpty | Self::DanglingEmpty => None,
        }
    }

    /// `(pointer, length)` as passed to C, for a buffer whose real storage is `buf`.
    fn raw(self, buf: &mut [u8], input: &mut Input<'_>) -> (*mut u8, usize) {
        match self {
            Self::Valid => (buf.as_mut_ptr(), buf.len()),
            Self::NullEmpty => (ptr::null_mut(), 0),
            Self::DanglingEmpty => (NonNull::dangling().as_ptr(), 0),
            Self::NullNonEmpty => (ptr::null_mut(), 1 + input.byte() as usize),
            Self::Huge => (
                buf.as_mut_ptr(),
                (isize::MAX as usize).saturating_add(1 + input.byte() as usize),
            ),
            // Never dereferenced: the C API must reject it first.
            Self::Wrapping => (
                core::ptr::without_provenance_mut(usize::MAX - 15),
                16 + input.byte() as usize,
            ),
        }
    }

    /// The data the operation sees when the pointer checks pass.
    fn data(self, buf: &[u8]) -> &[u8] {
        match self {
            Self::Valid => buf,
            _ => &[],
        }
    }
}

/// How a caller passes a 32-byte word buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WordPtr {
    Valid,
    Null,
    /// Near the top of the address space: `p + 32` wraps.
    Wrapping,
}

impl WordPtr {
    fn decode(input: &mut Input<'_>) -> Self {
        match input.byte() % 16 {
            0 => Self::Null,
            1 => Self::Wrapping,
            _ => Self::Valid,
        }
    }

    fn raw(self, valid: *mut u8) -> *mut u8 {
        match self {
            Self::Valid => valid,
            Self::Null => ptr::null_mut(),
            Self::Wrapping => core::ptr::without_provenance_mut(usize::MAX - 7),
        }
    }

    fn precheck(self) -> Option<EvmMemoryStatus> {
        match self {
            Self::Valid => None,
            Self::Null => Some(EvmMemoryStatus::NullPointer),
            Self::Wrapping => Some(EvmMemoryStatus::LengthOverflow),
        }
    }
}

fn status_of<T>(result: &Result<T, MemoryError>) -> EvmMemoryStatus {
    match result {
        Ok(_) => EvmMemoryStatus::Ok,
        Err(e) => (*e).into(),
    }
}

/// The C handle, the model it must match, and every checkpoint handed out.
struct Driver {
    handle: *mut EvmMemory,
    model: Memory,
    /// A second memory, only to own foreign checkpoints.
    other: *mut EvmMemory,
    /// Every checkpoint ever issued (C value, model value), foreign ones included.
    checkpoints: Vec<(EvmMemoryCheckpoint, Checkpoint)>,
    /// Indices into `checkpoints` of the open child contexts, innermost last.
    open: Vec<usize>,
    /// What the current call may have changed of the current context.
    touched: Vec<Range<usize>>,
    /// Bytes read back through the C API.
    scratch: Vec<u8>,
    /// The caller buffer of `copy_out` and `read_parent`.
    read_buf: Vec<u8>,
}

fn check(got: EvmMemoryStatus, expected: EvmMemoryStatus, what: &str) {
    tally(|t| {
        if let Some(n) = t.statuses.get_mut(got as usize) {
            *n += 1;
        }
    });
    assert_ne!(
        got,
        EvmMemoryStatus::Panic,
        "{what}: a panic crossed into the C API"
    );
    assert_eq!(got, expected, "{what}: status differs from the model's");
}

impl Driver {
    /// Creates the handle (after trying NULL arguments); `None` when the configuration is
    /// rejected, as the model's is.
    fn create(input: &mut Input<'_>) -> Option<Self> {
        check_free_functions(input);
        const LIMITS: [u64; 13] = [
            0,
            1,
            31,
            32,
            64,
            100,
            1024,
            4096,
            65536,
            1 << 20,
            MAX_MEMORY_LIMIT,
            MAX_MEMORY_LIMIT + 1,
            u64::MAX,
        ];
        const CAPACITIES: [usize; 6] = [0, 1, 32, 4096, 1 << 20, usize::MAX];
        let config = EvmMemoryConfig {
            memory_limit: LIMITS[input.byte() as usize % LIMITS.len()],
            initial_capacity: CAPACITIES[input.byte() as usize % CAPACITIES.len()],
        };
        let mut handle = ptr::null_mut();
        // SAFETY: `handle` is a valid out-pointer; the NULL config is the case under test.
        let status = unsafe { evm_memory_create(ptr::null(), &mut handle) };
        check(status, EvmMemoryStatus::NullPointer, "create(NULL config)");
        // SAFETY: `config` is valid; the NULL out-pointer is the case under test.
        let status = unsafe { evm_memory_create(&config, ptr::null_mut()) };
        check(status, EvmMemoryStatus::NullPointer, "create(NULL out)");
        assert!(handle.is_null(), "create wrote its out-pointer on error");

        let model = Memory::new(config.into());
        // SAFETY: both pointers are valid.
        let status = unsafe { evm_memory_create(&config, &mut handle) };
        check(status, status_of(&model), "create");
        let model = match model {
            Ok(model) => model,
            Err(_) => {
                assert!(handle.is_null(), "create wrote its out-pointer on error");
                return None;
            }
        };
        assert!(!handle.is_null());

        // A foreign checkpoint, from another memory and another model.
        let mut other = ptr::null_mut();
        let default = EvmMemoryConfig {
            initial_capacity: 0,
            memory_limit: 64,
        };
        // SAFETY: both pointers are valid.
        let status = unsafe { evm_memory_create(&default, &mut other) };
        check(status, EvmMemoryStatus::Ok, "create(other)");
        let mut foreign = EvmMemoryCheckpoint { id: 0, depth: 0 };
        // SAFETY: `other` is a live handle and `foreign` a valid out-pointer.
        let status = unsafe { evm_memory_enter_child(other, &mut foreign) };
        check(status, EvmMemoryStatus::Ok, "enter_child(other)");
        let mut other_model = Memory::new(default.into()).expect("valid config");
        let foreign_model = other_model.enter_child().expect("enter");
        let mut driver = Self {
            handle,
            model,
            other,
            checkpoints: vec![(foreign, foreign_model)],
            open: Vec::new(),
            touched: Vec::new(),
            scratch: Vec::new(),
            read_buf: Vec::new(),
        };
        driver.check_state(true);
        Some(driver)
    }

    fn destroy(self) {
        // SAFETY: both handles are live and destroyed once; NULL is a no-op.
        unsafe {
            check(
                evm_memory_destroy(self.handle),
                EvmMemoryStatus::Ok,
                "destroy",
            );
            check(
                evm_memory_destroy(self.other),
                EvmMemoryStatus::Ok,
                "destroy",
            );
            check(
                evm_memory_destroy(ptr::null_mut()),
                EvmMemoryStatus::Ok,
                "destroy(NULL)",
            );
        }
    }

    /// Reads the handle's state back through the C API and compares it with the model: size,
    /// depth and cached cost (against the reference model's formula), and the bytes of the
    /// current context the call may have changed — all of them when `whole`.
    fn check_state(&mut self, whole: bool) {
        let h = self.handle;
        let (mut size, mut depth, mut cost) = (usize::MAX, usize::MAX, u64::MAX);
        // SAFETY: `h` is a live handle; every out-pointer is valid.
        unsafe {
            check(evm_memory_size(h, &mut size), EvmMemoryStatus::Ok, "size");
            check(
                evm_memory_depth(h, &mut depth),
                EvmMemoryStatus::Ok,
                "depth",
            );
            check(
                evm_memory_current_cost(h, &mut cost),
                EvmMemoryStatus::Ok,
                "cost",
            );
        }
        assert_eq!(size % 32, 0, "size {size} is not a multiple of 32");
        assert_eq!(size, self.model.size(), "size");
        assert_eq!(depth, self.model.depth(), "depth");
        assert_eq!(
            cost as u128,
            model_memory_cost(MemoryPricing::MAINNET, (size / 32) as u128),
            "cached cost"
        );
        // The handle's own checkpoint stack matches its memory's depth: a debug assertion in
        // every call on the handle (this driver runs with debug assertions on).
        assert_eq!(self.open.len(), depth, "driver's open checkpoints");
        if whole {
            self.touched.clear();
            self.touched.push(0..size);
        }
        for range in &self.touched {
            let range = clip(range.clone(), size);
            if self.scratch.len() < range.len() {
                self.scratch.resize(range.len(), 0);
            }
            let scratch = &mut self.scratch[..range.len()];
            // SAFETY: `scratch` is valid for `range.len()` bytes.
            let status =
                unsafe { evm_memory_copy_out(h, range.start, scratch.as_mut_ptr(), range.len()) };
            check(status, EvmMemoryStatus::Ok, "copy_out(context bytes)");
            assert!(
                *scratch == self.model.as_slice()[range.clone()],
                "bytes {range:?} differ from the model's"
            );
        }
    }

    /// The checkpoint to exit with, and the model's own for it if it was ever issued.
    fn pick_checkpoint(&self, input: &mut Input<'_>) -> (EvmMemoryCheckpoint, Option<Checkpoint>) {
        let by_index = |i: usize| {
            let (c, m) = self.checkpoints[i];
            (c, Some(m))
        };
        match input.byte() % 8 {
            0..=3 if !self.open.is_empty() => by_index(self.open[self.open.len() - 1]),
            0..=4 => by_index(input.u16() as usize % self.checkpoints.len()),
            5 => (EvmMemoryCheckpoint { id: 0, depth: 0 }, None),
            _ => {
                let forged = EvmMemoryCheckpoint {
                    id: if input.one_in(2) {
                        input.u64()
                    } else {
                        self.checkpoints[0].0.id.wrapping_add(input.byte() as u64)
                    },
                    depth: input.byte() as usize,
                };
                // A forged id that happens to be a real one is that checkpoint.
                match self.checkpoints.iter().find(|(c, _)| c.id == forged.id) {
                    Some(&(_, m)) => (forged, Some(m)),
                    None => (forged, None),
                }
            }
        }
    }

    /// What the model says to exiting with `checkpoint` (`exit` runs the model's own exit).
    fn model_exit<T>(
        &mut self,
        checkpoint: Option<Checkpoint>,
        exit: impl FnOnce(&mut Memory, Checkpoint) -> Result<T, MemoryError>,
    ) -> Result<T, EvmMemoryStatus> {
        match checkpoint {
            Some(cp) => exit(&mut self.model, cp).map_err(Into::into),
            None if self.model.depth() == 0 => Err(EvmMemoryStatus::NotInChildContext),
            None => Err(EvmMemoryStatus::StaleCheckpoint),
        }
    }

    fn step(&mut self, input: &mut Input<'_>) {
        let h = self.handle;
        let size = self.model.size();
        let op = input.byte() % 20;
        tally(|t| t.operations[op as usize] += 1);
        match op {
            0 => {
                let (offset, len) = (input.offset(size), input.len());
                let expected = status_of(&self.model.expand(offset, len));
                // SAFETY: `h` is a live handle.
                let got = unsafe { evm_memory_expand(h, offset, len) };
                check(got, expected, "expand");
            }
            1 => self.expand_with_gas(input),
            2 => {
                let (offset, len) = (input.offset(size), input.len());
                let null = input.one_in(8);
                let mut out = u64::MAX - 1;
                let out_ptr: *mut u64 = if null { ptr::null_mut() } else { &mut out };
                // SAFETY: `h` is a live handle; `out_ptr` is NULL or valid.
                let got = unsafe { evm_memory_expansion_cost(h, offset, len, out_ptr) };
                let expected = self.model.expansion_cost(offset, len);
                if null {
                    check(got, EvmMemoryStatus::NullPointer, "expansion_cost(NULL)");
                } else {
                    check(got, status_of(&expected), "expansion_cost");
                    assert_eq!(out, expected.unwrap_or(u64::MAX - 1), "expansion_cost");
                }
            }
            3 => {
                let offset = input.offset(size);
                let pointer = WordPtr::decode(input);
                let mut out = [SENTINEL; 32];
                let out_ptr = pointer.raw(out.as_mut_ptr());
                // SAFETY: `h` is a live handle; `out_ptr` is valid for 32 bytes, NULL, or a
                // wrapping pointer the C API must reject before writing.
                let got = unsafe { evm_memory_load_word(h, offset, out_ptr) };
                match pointer.precheck() {
                    Some(status) => check(got, status, "load_word(bad pointer)"),
                    None => {
                        let expected = self.model.load_word(offset);
                        check(got, status_of(&expected), "load_word");
                        assert_eq!(out, expected.unwrap_or([SENTINEL; 32]), "load_word");
                    }
                }
                assert!(pointer.precheck().is_none() || out == [SENTINEL; 32]);
            }
            4 => {
                let offset = input.offset(size);
                self.touched.push(offset..offset.saturating_add(32));
                let pointer = WordPtr::decode(input);
                let mut word = [0u8; 32];
                word.copy_from_slice(&input.bytes(32));
                let word_ptr = pointer.raw(word.as_mut_ptr());
                // SAFETY: `h` is a live handle; `word_ptr` is valid for 32 bytes, NULL, or a
                // wrapping pointer the C API must reject before reading.
                let got = unsafe { evm_memory_store_word(h, offset, word_ptr) };
                match pointer.precheck() {
                    Some(status) => check(got, status, "store_word(bad pointer)"),
                    None => {
                        let expected = self.model.store_word(offset, &word);
                        check(got, status_of(&expected), "store_word");
                    }
                }
            }
            5 => {
                let offset = input.offset(size);
                let null = input.one_in(8);
                let mut out = SENTINEL;
                let out_ptr: *mut u8 = if null { ptr::null_mut() } else { &mut out };
                // SAFETY: `h` is a live handle; `out_ptr` is NULL or valid.
                let got = unsafe { evm_memory_load_byte(h, offset, out_ptr) };
                if null {
                    check(got, EvmMemoryStatus::NullPointer, "load_byte(NULL)");
                } else {
                    let expected = self.model.load_byte(offset);
                    check(got, status_of(&expected), "load_byte");
                    assert_eq!(out, expected.unwrap_or(SENTINEL), "load_byte");
                }
            }
            6 => {
                let (offset, value) = (input.offset(size), input.byte());
                self.touched.push(offset..offset.saturating_add(1));
                let expected = status_of(&self.model.store_byte(offset, value));
                // SAFETY: `h` is a live handle.
                let got = unsafe { evm_memory_store_byte(h, offset, value) };
                check(got, expected, "store_byte");
            }
            7 => {
                let offset = input.offset(size);
                let kind = BufKind::decode(input);
                let len = input.len().min(1 << 16);
                let mut data = input.bytes(len);
                let (p, n) = kind.raw(&mut data, input);
                self.touched.push(offset..offset.saturating_add(n));
                let expected = kind.precheck().unwrap_or_else(|| {
                    status_of(&self.model.copy_from_slice(offset, kind.data(&data)))
                });
                // SAFETY: `h` is a live handle; `(p, n)` is a valid buffer or one the C API
                // must reject before reading it (NULL with a length, huge or wrapping).
                let got = unsafe { evm_memory_copy_in(h, offset, p, n) };
                check(got, expected, "copy_in");
            }
            8 => self.read_out(input, false),
            9 => {
                let (memory_offset, data_offset) = (input.offset(size), input.data_offset());
                let len = input.len();
                self.touched
                    .push(memory_offset..memory_offset.saturating_add(len));
                let kind = BufKind::decode(input);
                let data_len = input.len().min(1 << 16);
                let mut data = input.bytes(data_len);
                let (p, n) = kind.raw(&mut data, input);
                let expected = kind.precheck().unwrap_or_else(|| {
                    status_of(&self.model.set_data(
                        memory_offset,
                        data_offset,
                        len,
                        kind.data(&data),
                    ))
                });
                // SAFETY: as for copy_in.
                let got = unsafe { evm_memory_set_data(h, memory_offset, data_offset, len, p, n) };
                check(got, expected, "set_data");
            }
            10 => {
                let (dst, src, len) = (input.offset(size), input.offset(size), input.len());
                self.touched.push(dst..dst.saturating_add(len));
                let expected = status_of(&self.model.copy(dst, src, len));
                // SAFETY: `h` is a live handle.
                let got = unsafe { evm_memory_mcopy(h, dst, src, len) };
                check(got, expected, "mcopy");
            }
            11 => self.enter_child(input),
            12 => {
                let (checkpoint, model_cp) = self.pick_checkpoint(input);
                let expected = self.model_exit(model_cp, |m, cp| m.exit_child(cp));
                // SAFETY: `h` is a live handle.
                let got = unsafe { evm_memory_exit_child(h, checkpoint) };
                check(
                    got,
                    expected.err().unwrap_or(EvmMemoryStatus::Ok),
                    "exit_child",
                );
                if got == EvmMemoryStatus::Ok {
                    self.open.pop();
                }
            }
            13 => {
                let (checkpoint, model_cp) = self.pick_checkpoint(input);
                let ret = (input.offset(size), input.len());
                let dst = (input.offset(size), input.len());
                // In the parent, current once the child exits.
                self.touched
                    .push(dst.0..dst.0.saturating_add(ret.1.min(dst.1)));
                let null = input.one_in(4);
                let mut copied = usize::MAX;
                let copied_ptr: *mut usize = if null { ptr::null_mut() } else { &mut copied };
                let expected = self.model_exit(model_cp, |m, cp| {
                    m.exit_child_with_return(cp, ret.0, ret.1, dst.0, dst.1)
                });
                // SAFETY: `h` is a live handle; `copied_ptr` is NULL or valid.
                let got = unsafe {
                    evm_memory_exit_child_with_return(
                        h, checkpoint, ret.0, ret.1, dst.0, dst.1, copied_ptr,
                    )
                };
                let status = expected.err().unwrap_or(EvmMemoryStatus::Ok);
                check(got, status, "exit_child_with_return");
                match expected {
                    Ok(n) => {
                        self.open.pop();
                        if !null {
                            assert_eq!(copied, n, "bytes copied");
                        }
                    }
                    Err(_) => assert_eq!(copied, usize::MAX, "copied written on error"),
                }
            }
            14 => self.read_out(input, true),
            15 => {
                let (memory_offset, data_offset, len) =
                    (input.offset(size), input.data_offset(), input.len());
                self.touched
                    .push(memory_offset..memory_offset.saturating_add(len));
                let (parent_offset, parent_len) = (input.offset(size), input.len());
                let expected = status_of(&self.model.set_data_from_parent(
                    memory_offset,
                    data_offset,
                    len,
                    parent_offset,
                    parent_len,
                ));
                // SAFETY: `h` is a live handle.
                let got = unsafe {
                    evm_memory_set_data_from_parent(
                        h,
                        memory_offset,
                        data_offset,
                        len,
                        parent_offset,
                        parent_len,
                    )
                };
                check(got, expected, "set_data_from_parent");
            }
            16 if input.one_in(4) => {
                self.model.reset();
                self.open.clear();
                // SAFETY: `h` is a live handle.
                let got = unsafe { evm_memory_reset(h) };
                check(got, EvmMemoryStatus::Ok, "reset");
            }
            16 => {}
            17 => {
                // Getters with a NULL out-pointer.
                // SAFETY: `h` is a live handle; the NULL out-pointers are the case under test.
                let got = unsafe {
                    match input.byte() % 5 {
                        0 => evm_memory_size(h, ptr::null_mut()),
                        1 => evm_memory_depth(h, ptr::null_mut()),
                        2 => evm_memory_current_cost(h, ptr::null_mut()),
                        3 => evm_memory_enter_child(h, ptr::null_mut()),
                        _ => evm_memory_expand_with_gas(h, 0, 1, ptr::null_mut(), ptr::null_mut()),
                    }
                };
                check(got, EvmMemoryStatus::NullPointer, "NULL out-pointer");
            }
            18 => check_null_handle(input),
            _ => check_free_functions(input),
        }
    }

    fn expand_with_gas(&mut self, input: &mut Input<'_>) {
        let (offset, len) = (input.offset(self.model.size()), input.len());
        // Often exactly the cost, or one less: the boundary of OUT_OF_GAS.
        let cost = self.model.expansion_cost(offset, len).unwrap_or(0);
        let start = match input.byte() % 4 {
            0 => cost,
            1 => cost.saturating_sub(1),
            _ => input.gas(),
        };
        let (gas_null, charged_null) = (input.one_in(8), input.one_in(4));
        let (mut gas, mut charged) = (start, u64::MAX - 1);
        let gas_ptr: *mut u64 = if gas_null { ptr::null_mut() } else { &mut gas };
        let charged_ptr: *mut u64 = if charged_null {
            ptr::null_mut()
        } else {
            &mut charged
        };
        // SAFETY: the handle is live; each pointer is NULL or valid.
        let got =
            unsafe { evm_memory_expand_with_gas(self.handle, offset, len, gas_ptr, charged_ptr) };
        if gas_null {
            check(
                got,
                EvmMemoryStatus::NullPointer,
                "expand_with_gas(NULL gas)",
            );
            return;
        }
        let mut meter = Gas::new(start);
        let expected = self.model.expand_with_gas(offset, len, &mut meter);
        check(got, status_of(&expected), "expand_with_gas");
        match expected {
            Ok(cost) => {
                assert_eq!(gas, meter.remaining(), "gas left");
                assert_eq!(gas, start - cost, "gas charged");
                if !charged_null {
                    assert_eq!(charged, cost, "charged");
                }
            }
            Err(_) => assert_eq!((gas, charged), (start, u64::MAX - 1), "gas on error"),
        }
    }

    fn enter_child(&mut self, input: &mut Input<'_>) {
        let null = input.one_in(8);
        if self.model.depth() >= MAX_DEPTH && !null {
            return;
        }
        let mut out = EvmMemoryCheckpoint {
            id: u64::MAX,
            depth: usize::MAX,
        };
        let out_ptr: *mut EvmMemoryCheckpoint = if null { ptr::null_mut() } else { &mut out };
        // SAFETY: the handle is live; `out_ptr` is NULL or valid.
        let got = unsafe { evm_memory_enter_child(self.handle, out_ptr) };
        if null {
            check(got, EvmMemoryStatus::NullPointer, "enter_child(NULL)");
            return;
        }
        let expected = self.model.enter_child();
        check(got, status_of(&expected), "enter_child");
        if let Ok(cp) = expected {
            assert_ne!(out.id, 0, "checkpoint id 0 is never issued");
            assert!(
                self.checkpoints.iter().all(|(c, _)| c.id != out.id),
                "checkpoint id reused"
            );
            assert_eq!(out.depth, cp.depth(), "checkpoint depth");
            self.open.push(self.checkpoints.len());
            self.checkpoints.push((out, cp));
        }
    }

    /// `copy_out` (or `read_parent` when `parent`) into a caller buffer of some kind.
    fn read_out(&mut self, input: &mut Input<'_>, parent: bool) {
        let size = self.model.size();
        let offset = input.offset(size);
        let kind = BufKind::decode(input);
        let len = match input.byte() % 4 {
            0 => size.saturating_sub(offset),
            1 => size.saturating_sub(offset) + 1,
            _ => input.len(),
        }
        .min(1 << 17);
        // The buffer is all SENTINEL between calls: bytes a read wrote are put back after it.
        let mut all = core::mem::take(&mut self.read_buf);
        if all.len() < len {
            all.resize(len, SENTINEL);
        }
        let buf = &mut all[..len];
        let (p, n) = kind.raw(buf, input);
        let expected = match kind.precheck() {
            Some(status) => Err(status),
            None if parent => self.model.parent_slice(offset, n).map_err(Into::into),
            None => self.model.slice(offset, n).map_err(Into::into),
        };
        // SAFETY: the handle is live; `(p, n)` is a valid buffer or one the C API must reject
        // before writing it.
        let got = unsafe {
            if parent {
                evm_memory_read_parent(self.handle, offset, p, n)
            } else {
                evm_memory_copy_out(self.handle, offset, p, n)
            }
        };
        let what = if parent { "read_parent" } else { "copy_out" };
        check(got, expected.err().unwrap_or(EvmMemoryStatus::Ok), what);
        match expected {
            Ok(bytes) if kind == BufKind::Valid => {
                assert!(*buf == *bytes, "{what}: bytes");
                buf.fill(SENTINEL);
            }
            _ => assert!(untouched(buf), "{what}: wrote on error"),
        }
        self.read_buf = all;
    }
}

/// Every handle-taking function, called with a NULL handle and otherwise valid arguments.
fn check_null_handle(input: &mut Input<'_>) {
    let null = ptr::null_mut::<EvmMemory>();
    let mut word = [SENTINEL; 32];
    let w = word.as_mut_ptr();
    let mut size = 0usize;
    let mut value = 0u64;
    let mut checkpoint = EvmMemoryCheckpoint { id: 1, depth: 1 };
    let which = input.byte() % 19;
    // SAFETY: every non-handle pointer is valid; the NULL handle is the case under test.
    let got = unsafe {
        match which {
            0 => evm_memory_reset(null),
            1 => evm_memory_size(null, &mut size),
            2 => evm_memory_depth(null, &mut size),
            3 => evm_memory_current_cost(null, &mut value),
            4 => evm_memory_expansion_cost(null, 0, 1, &mut value),
            5 => evm_memory_expand(null, 0, 1),
            6 => evm_memory_expand_with_gas(null, 0, 1, &mut value, ptr::null_mut()),
            7 => evm_memory_load_word(null, 0, w),
            8 => evm_memory_store_word(null, 0, w),
            9 => evm_memory_load_byte(null, 0, w),
            10 => evm_memory_store_byte(null, 0, 1),
            11 => evm_memory_copy_in(null, 0, w, 32),
            12 => evm_memory_copy_out(null, 0, w, 32),
            13 => evm_memory_set_data(null, 0, 0, 32, w, 32),
            14 => evm_memory_mcopy(null, 0, 32, 1),
            15 => evm_memory_enter_child(null, &mut checkpoint),
            16 => evm_memory_exit_child(null, checkpoint),
            17 => evm_memory_exit_child_with_return(null, checkpoint, 0, 0, 0, 0, &mut size),
            _ if input.one_in(2) => evm_memory_read_parent(null, 0, w, 32),
            _ => evm_memory_set_data_from_parent(null, 0, 0, 1, 0, 1),
        }
    };
    check(got, EvmMemoryStatus::NullPointer, "NULL handle");
    assert_eq!(word, [SENTINEL; 32], "NULL handle: buffer written");
    assert_eq!((size, value), (0, 0), "NULL handle: out-pointer written");
}

/// Mainnet's memory cost of `words` words by the reference model's formula, exact (in `u128`:
/// `(2^64 - 1)²/512 + 3·(2^64 - 1)` fits).
fn model_cost(words: u128) -> u128 {
    model_memory_cost(MemoryPricing::MAINNET, words)
}

/// `value`, or `u64::MAX` when it does not fit (what the C API's gas functions give).
fn saturated(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// The functions without a handle: gas formulas, default config and status messages.
fn check_free_functions(input: &mut Input<'_>) {
    let (words, old, new) = (input.u64(), input.u64(), input.u64());
    let mut out = 0u64;
    // SAFETY: `out` is a valid out-pointer; the NULL ones are the cases under test.
    unsafe {
        check(
            evm_memory_memory_gas_cost(words, &mut out),
            EvmMemoryStatus::Ok,
            "gas_cost",
        );
        assert_eq!(out, saturated(model_cost(words as u128)), "memory_gas_cost");
        let status = evm_memory_expansion_gas_cost(old, new, &mut out);
        check(status, EvmMemoryStatus::Ok, "expansion_gas_cost");
        let (old_words, new_words) = (old.div_ceil(32) as u128, new.div_ceil(32) as u128);
        let expansion = model_cost(new_words).saturating_sub(model_cost(old_words));
        assert_eq!(out, saturated(expansion), "expansion_gas_cost");
        let status = evm_memory_memory_gas_cost(words, ptr::null_mut());
        check(
            status,
            EvmMemoryStatus::NullPointer,
            "memory_gas_cost(NULL)",
        );
        let status = evm_memory_expansion_gas_cost(old, new, ptr::null_mut());
        check(
            status,
            EvmMemoryStatus::NullPointer,
            "expansion_gas_cost(NULL)",
        );
        let status = evm_memory_config_default(ptr::null_mut());
        check(status, EvmMemoryStatus::NullPointer, "config_default(NULL)");
        let mut config = EvmMemoryConfig {
            initial_capacity: 7,
            memory_limit: 7,
        };
        let status = evm_memory_config_default(&mut config);
        check(status, EvmMemoryStatus::Ok, "config_default");
        assert_eq!(MemoryConfig::from(config), MemoryConfig::default());
    }
    let code = match input.byte() % 3 {
        0 => (input.byte() % 12) as c_int,
        1 => input.u16() as i16 as c_int,
        _ => input.u64() as c_int,
    };
    let message = evm_memory_status_message(code);
    assert!(!message.is_null(), "status message is NULL");
    // SAFETY: the C API returns static NUL-terminated strings.
    let message = unsafe { CStr::from_ptr(message) };
    match ALL_STATUSES.get(code as usize) {
        Some(status) if code >= 0 => assert_eq!(message, status.message()),
        _ => assert_eq!(message, c"unknown status"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_spells_what_the_reader_reads() {
        let values = crate::harness::ops::generate::magic_values();
        for (name, bytes) in dictionary() {
            let (kind, value) = name.split_once('_').unwrap();
            let want = values.iter().find(|(n, _)| n == value).unwrap().1;
            let mut input = Input {
                data: &bytes,
                pos: 0,
            };
            let got = match kind {
                "offset" => input.offset(0) as u64,
                "length" => input.len() as u64,
                _ => input.gas(),
            };
            assert_eq!(got, want.to::<u64>(), "{name}");
        }
    }

    #[test]
    fn drive_c_api_smoke() {
        drive_c_api(&[]);
        drive_c_api(&[9, 0]);
        let bytes: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        // Miri runs this too, about a thousand times slower: a few short inputs there.
        let (runs, len) = if cfg!(miri) {
            (3, 200)
        } else {
            (64, bytes.len())
        };
        for start in 0..runs {
            drive_c_api(&bytes[start * 7..len]);
        }
    }

    #[test]
    fn every_status_is_listed() {
        for (i, status) in ALL_STATUSES.iter().enumerate() {
            assert_eq!(*status as usize, i);
            // SAFETY: the C API returns static NUL-terminated strings.
            let message = unsafe { CStr::from_ptr(evm_memory_status_message(i as c_int)) };
            assert_eq!(message, status.message());
        }
        // SAFETY: as above.
        let past =
            unsafe { CStr::from_ptr(evm_memory_status_message(ALL_STATUSES.len() as c_int)) };
        assert_eq!(past, c"unknown status");
    }
}
