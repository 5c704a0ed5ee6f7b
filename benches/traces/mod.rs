//! The op traces the `memory` benchmark runs, and the code that replays each of them on our
//! [`Memory`] and on revm's `SharedMemory` — shared by `benches/memory.rs` (which times them)
//! and `tests/bench_traces.rs` (which replays every trace on both engines with debug assertions
//! on and checks identical results, contents, sizes and gas).
//!
//! Each engine is driven the way its interpreter drives it: ours through its gas-aware ops
//! (gas and access in one call) — [`Memory::load_u256_with_gas`], [`Memory::store_u256_with_gas`] and [`Memory::store_byte_with_gas`]
//! for MLOAD, MSTORE and MSTORE8, [`Memory::set_data_with_gas`] and
//! [`Memory::set_data_from_parent_with_gas`] for CALLDATACOPY — and through
//! [`Memory::expand_with_gas`] with an [`evm_memory::Gas`], then the access, for everything
//! else;
//! revm through `resize_memory(&mut Gas, &mut SharedMemory, &GasParams, offset, len)` followed by
//! the in-bounds `set` / `slice_len` / `set_data` / `copy`. Zero-length accesses are skipped
//! before revm's `resize_memory`, as its instructions do, and every revm access is in bounds
//! after the resize (out-of-bounds access is undefined behaviour in revm without debug
//! assertions).
#![allow(dead_code)]

use std::hint::black_box;

use evm_memory::{Checkpoint, Gas, Memory, MemoryConfig, MAX_MEMORY_LIMIT, U256};
use revm_interpreter::context_interface::cfg::GasParams;
use revm_interpreter::interpreter::resize_memory;
use revm_interpreter::interpreter_types::MemoryTr;
use revm_interpreter::{Gas as RevmGas, SharedMemory};

/// Gas every frame starts with: far more than any trace spends.
pub const GAS_LIMIT: u64 = 1 << 40;
/// Bytes reserved up front by both engines. Not revm's 4 KiB default: a buffer this large comes
/// from `mmap`, at the same page offset for both, while small heap buffers land wherever the
/// allocator puts them, and one unlucky placement (4K aliasing with another hot allocation) was
/// seen to double a CALL round trip's time — measuring the heap, not the memory.
pub const INITIAL_CAPACITY: usize = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Engines
// ---------------------------------------------------------------------------------------------

/// Our memory, the root frame's gas and the scratch a nested trace needs.
pub struct Ours {
    pub mem: Memory,
    pub gas: Gas,
    frames: Vec<(Checkpoint, Gas)>,
    out: Vec<u8>,
}

/// revm's shared memory, the root frame's gas, the gas table and the scratch a nested trace needs.
pub struct Revm {
    pub mem: SharedMemory,
    pub gas: RevmGas,
    pub params: GasParams,
    frames: Vec<(SharedMemory, RevmGas)>,
    out: Vec<u8>,
}

/// What an engine ends a trace with: its root context's bytes, size and the root gas spent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub bytes: Vec<u8>,
    pub size: usize,
    pub gas_spent: u64,
}

impl Ours {
    pub fn new() -> Self {
        Self {
            mem: Memory::new(MemoryConfig {
                initial_capacity: INITIAL_CAPACITY,
                ..MemoryConfig::with_limit(MAX_MEMORY_LIMIT)
            })
            .unwrap(),
            gas: Gas::new(GAS_LIMIT),
            frames: Vec::with_capacity(1100),
            out: Vec::with_capacity(1 << 16),
        }
    }

    /// A new transaction: empty memory (allocation kept) and fresh gas.
    #[inline]
    pub fn reset(&mut self) {
        self.mem.reset();
        self.gas = Gas::new(GAS_LIMIT);
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            bytes: self.mem.as_slice().to_vec(),
            size: self.mem.size(),
            gas_spent: self.gas.spent(),
        }
    }
}

impl Revm {
    pub fn new() -> Self {
        let mut mem = SharedMemory::with_capacity(INITIAL_CAPACITY);
        mem.set_memory_limit(MAX_MEMORY_LIMIT);
        Self {
            mem,
            gas: RevmGas::new(GAS_LIMIT),
            params: GasParams::default(),
            frames: Vec::with_capacity(1100),
            out: Vec::with_capacity(1 << 16),
        }
    }

    /// A new transaction: empty memory (allocation kept) and fresh gas.
    #[inline]
    pub fn reset(&mut self) {
        self.mem.resize(0);
        self.gas = RevmGas::new(GAS_LIMIT);
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            bytes: self.mem.context_memory().to_vec(),
            size: self.mem.len(),
            gas_spent: self.gas.total_gas_spent(),
        }
    }
}

/// revm's instruction prologue: charge and expand over `[offset, offset + len)`.
#[inline(always)]
fn rv_resize(
    gas: &mut RevmGas,
    mem: &mut SharedMemory,
    params: &GasParams,
    off: usize,
    len: usize,
) {
    resize_memory(gas, mem, params, off, len).unwrap();
}

/// Folds an MLOADed value into a checksum: every limb counts, so both engines must load and
/// convert the whole word.
#[inline(always)]
fn fold_word(acc: u64, w: U256) -> u64 {
    let l = w.as_limbs();
    acc.rotate_left(7) ^ l[0] ^ l[1].rotate_left(16) ^ l[2].rotate_left(32) ^ l[3].rotate_left(48)
}

/// revm's MSTORE after its `resize_memory`: `set(offset, &value.to_be_bytes::<32>())`.
#[inline(always)]
fn rv_mstore(mem: &mut SharedMemory, off: usize, v: &U256) {
    mem.set(off, &v.to_be_bytes::<32>());
}

/// revm's MLOAD after its `resize_memory`: `U256::try_from_be_slice(slice_len(offset, 32))`.
#[inline(always)]
fn rv_mload(mem: &SharedMemory, off: usize) -> U256 {
    U256::try_from_be_slice(mem.slice_len(off, 32).as_ref()).unwrap()
}

/// Folds every byte of a slice (a KECCAK256 stand-in: reads the whole input).
#[inline(always)]
fn fold_slice(acc: u64, s: &[u8]) -> u64 {
    let mut h = acc;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        h = h.rotate_left(5) ^ u64::from_le_bytes(c.try_into().unwrap());
    }
    for &b in chunks.remainder() {
        h = h.rotate_left(5) ^ b as u64;
    }
    h
}

/// A small deterministic generator (xorshift64*), so traces are identical run to run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn word(&mut self) -> U256 {
        U256::from_limbs([self.next(), self.next(), self.next(), self.next()])
    }
}

fn word_of(v: u64) -> U256 {
    U256::from(v)
}

// ---------------------------------------------------------------------------------------------
// 1. Word hot path: MSTORE then MLOAD at small in-bounds offsets
// ---------------------------------------------------------------------------------------------

/// Pairs of (MSTORE offset, value, MLOAD offset) inside the first 0x200 bytes: a word
/// boundary 3 times in 4, else 4 bytes past one (as ABI encoding after a selector produces).
/// The first pass expands memory to 0x220 bytes; every later access is in bounds, so its gas
/// check is the cached no-op an interpreter sees.
pub struct WordTrace {
    pub ops: Vec<(usize, U256, usize)>,
}

fn small_offset(rng: &mut Rng) -> usize {
    let skew = if rng.below(4) == 0 { 4 } else { 0 };
    32 * rng.below(16) as usize + skew
}

pub fn word_trace() -> WordTrace {
    let mut rng = Rng::new(1);
    let ops = (0..1024)
        .map(|_| {
            let s = small_offset(&mut rng);
            let l = small_offset(&mut rng);
            (s, rng.word(), l)
        })
        .collect();
    WordTrace { ops }
}

#[inline(never)]
pub fn word_ours(e: &mut Ours, t: &WordTrace) -> u64 {
    let (mem, gas) = (&mut e.mem, &mut e.gas);
    let mut acc = 0;
    for &(st, w, ld) in &t.ops {
        mem.store_u256_with_gas(st, w, gas).unwrap();
        acc = fold_word(acc, mem.load_u256_with_gas(ld, gas).unwrap());
    }
    acc
}

#[inline(never)]
pub fn word_revm(e: &mut Revm, t: &WordTrace) -> u64 {
    let (mem, gas, params) = (&mut e.mem, &mut e.gas, &e.params);
    let mut acc = 0;
    for &(st, w, ld) in &t.ops {
        rv_resize(gas, mem, params, st, 32);
        rv_mstore(mem, st, &w);
        rv_resize(gas, mem, params, ld, 32);
        acc = fold_word(acc, rv_mload(mem, ld));
    }
    acc
}

// ---------------------------------------------------------------------------------------------
// 2. MSTORE8 and byte loads
// ---------------------------------------------------------------------------------------------

/// Pairs of (MSTORE8 offset, byte, byte-load offset) inside the first 0x200 bytes.
pub struct ByteTrace {
    pub ops: Vec<(usize, u8, usize)>,
}

pub fn byte_trace() -> ByteTrace {
    let mut rng = Rng::new(2);
    let ops = (0..1024)
        .map(|_| {
            let s = rng.below(0x200) as usize;
            let l = rng.below(0x200) as usize;
            (s, rng.next() as u8, l)
        })
        .collect();
    ByteTrace { ops }
}

#[inline(never)]
pub fn byte_ours(e: &mut Ours, t: &ByteTrace) -> u64 {
    let (mem, gas) = (&mut e.mem, &mut e.gas);
    let mut acc = 0u64;
    for &(st, b, ld) in &t.ops {
        mem.store_byte_with_gas(st, b, gas).unwrap();
        mem.expand_with_gas(ld, 1, gas).unwrap();
        acc = acc.rotate_left(3) ^ black_box(mem.load_byte(ld).unwrap()) as u64;
    }
    acc
}

#[inline(never)]
pub fn byte_revm(e: &mut Revm, t: &ByteTrace) -> u64 {
    let (mem, gas, params) = (&mut e.mem, &mut e.gas, &e.params);
    let mut acc = 0u64;
    for &(st, b, ld) in &t.ops {
        rv_resize(gas, mem, params, st, 1);
        mem.set(st, &[b]);
        rv_resize(gas, mem, params, ld, 1);
        acc = acc.rotate_left(3) ^ black_box(mem.get_byte(ld)) as u64;
    }
    acc
}

// ---------------------------------------------------------------------------------------------
// 3. Incremental expansion to 1 MiB in 32-byte steps
// ---------------------------------------------------------------------------------------------

/// MSTOREs at 0, 32, 64, ... up to 1 MiB: every one expands memory by a word and pays for it.
/// Each run starts a new transaction (empty memory, allocation kept, fresh gas).
pub struct ExpandTrace {
    pub words: usize,
    pub value: U256,
}

pub fn expand_trace() -> ExpandTrace {
    ExpandTrace {
        words: (1 << 20) / 32,
        value: Rng::new(3).word(),
    }
}

#[inline(never)]
pub fn expand_ours(e: &mut Ours, t: &ExpandTrace) -> u64 {
    e.reset();
    let (mem, gas) = (&mut e.mem, &mut e.gas);
    for i in 0..t.words {
        let off = i * 32;
        mem.store_u256_with_gas(off, t.value, gas).unwrap();
    }
    gas.spent()
}

#[inline(never)]
pub fn expand_revm(e: &mut Revm, t: &ExpandTrace) -> u64 {
    e.reset();
    let (mem, gas, params) = (&mut e.mem, &mut e.gas, &e.params);
    for i in 0..t.words {
        let off = i * 32;
        rv_resize(gas, mem, params, off, 32);
        rv_mstore(mem, off, &t.value);
    }
    gas.total_gas_spent()
}

// ---------------------------------------------------------------------------------------------
// 4. Bulk: set_data (CALLDATACOPY) and MCOPY
// ---------------------------------------------------------------------------------------------

/// `len` bytes of source data copied into memory at 0 (set_data: CALLDATACOPY of all of it), or
/// copied from `[0, len)` to `[len, 2·len)` (MCOPY). Memory is expanded by the first run.
///
/// The source lives at `buf[off..off + len]`: [`BulkTrace::aligned_like`] moves it to the same
/// address modulo 4 KiB as a given destination, so that every engine (and the `memcpy` floor)
/// copies with the same relative alignment. Left to the allocator, a 4 KiB source that happens
/// to sit just below its destination modulo 4 KiB (4K aliasing) copies at half speed, which
/// measures heap placement, not the memory.
pub struct BulkTrace {
    pub len: usize,
    buf: Vec<u8>,
    off: usize,
}

pub fn bulk_trace(len: usize) -> BulkTrace {
    let mut rng = Rng::new(4 + len as u64);
    let mut buf = vec![0u8; len];
    for c in buf.chunks_mut(8) {
        let v = rng.next().to_le_bytes();
        c.copy_from_slice(&v[..c.len()]);
    }
    BulkTrace { len, buf, off: 0 }
}

impl BulkTrace {
    pub fn data(&self) -> &[u8] {
        &self.buf[self.off..self.off + self.len]
    }

    /// The same trace with its source at `dst`'s address modulo 4 KiB.
    pub fn aligned_like(&self, dst: *const u8) -> BulkTrace {
        let (buf, off) = aligned_buffer(self.len, dst);
        let mut t = BulkTrace {
            len: self.len,
            buf,
            off,
        };
        t.buf[off..off + self.len].copy_from_slice(self.data());
        t
    }
}

/// A zeroed buffer with room for `len` bytes at `like`'s address modulo 4 KiB, and that offset.
/// A zeroed buffer with `len` bytes from the returned offset on a 32-byte boundary, as our
/// memory lays out its contexts (the floors are plain buffers aligned the same way, so that
/// alignment alone never puts ours below its floor).
pub fn word_aligned_buffer(len: usize) -> (Vec<u8>, usize) {
    let buf = vec![0u8; len + 31];
    let off = (buf.as_ptr() as usize).wrapping_neg() % 32;
    (buf, off)
}

pub fn aligned_buffer(len: usize, like: *const u8) -> (Vec<u8>, usize) {
    let buf = vec![0u8; len + 4096];
    let off = (like as usize).wrapping_sub(buf.as_ptr() as usize) & 4095;
    (buf, off)
}

#[inline(never)]
pub fn set_data_ours(e: &mut Ours, t: &BulkTrace) -> u64 {
    e.mem.expand_with_gas(0, t.len, &mut e.gas).unwrap();
    e.mem.set_data(0, 0, t.len, t.data()).unwrap();
    e.mem.size() as u64
}

#[inline(never)]
pub fn set_data_revm(e: &mut Revm, t: &BulkTrace) -> u64 {
    rv_resize(&mut e.gas, &mut e.mem, &e.params, 0, t.len);
    e.mem.set_data(0, 0, t.len, t.data());
    e.mem.len() as u64
}

#[inline(never)]
pub fn mcopy_ours(e: &mut Ours, t: &BulkTrace) -> u64 {
    e.mem.expand_with_gas(t.len, t.len, &mut e.gas).unwrap();
    e.mem.copy(t.len, 0, t.len).unwrap();
    e.mem.size() as u64
}

#[inline(never)]
pub fn mcopy_revm(e: &mut Revm, t: &BulkTrace) -> u64 {
    rv_resize(&mut e.gas, &mut e.mem, &e.params, t.len, t.len);
    e.mem.copy(t.len, 0, t.len);
    e.mem.len() as u64
}

/// The physical floor: a plain `copy_from_slice` of the same size between two buffers.
#[inline(never)]
pub fn memcpy(dst: &mut [u8], src: &[u8]) -> u64 {
    dst.copy_from_slice(src);
    dst.len() as u64
}

// ---------------------------------------------------------------------------------------------
// 5. Nested contexts
// ---------------------------------------------------------------------------------------------

/// 1024 nested calls: each frame (own gas) MSTOREs three words at 0x00, 0x20, 0x40 and enters
/// the next; on the way back each parent MLOADs 0x20 (its own word, restored) after its child
/// ended.
pub struct NestedTrace {
    pub depth: usize,
    pub values: Vec<U256>,
}

pub fn nested_trace() -> NestedTrace {
    let mut rng = Rng::new(5);
    NestedTrace {
        depth: 1024,
        values: (0..=1024).map(|_| rng.word()).collect(),
    }
}

#[inline(always)]
fn frame_writes_ours(mem: &mut Memory, gas: &mut Gas, w: U256) {
    for off in [0x00, 0x20, 0x40] {
        mem.store_u256_with_gas(off, w, gas).unwrap();
    }
}

#[inline(always)]
fn frame_writes_revm(mem: &mut SharedMemory, gas: &mut RevmGas, params: &GasParams, w: U256) {
    for off in [0x00, 0x20, 0x40] {
        rv_resize(gas, mem, params, off, 32);
        rv_mstore(mem, off, &w);
    }
}

#[inline(never)]
pub fn nested_ours(e: &mut Ours, t: &NestedTrace) -> u64 {
    e.reset();
    let (mem, frames) = (&mut e.mem, &mut e.frames);
    frames.clear();
    frame_writes_ours(mem, &mut e.gas, t.values[0]);
    for w in &t.values[1..=t.depth] {
        let cp = mem.enter_child().unwrap();
        frames.push((cp, Gas::new(GAS_LIMIT)));
        let gas = &mut frames.last_mut().unwrap().1;
        frame_writes_ours(mem, gas, *w);
    }
    let mut acc = 0;
    while let Some((cp, gas)) = frames.pop() {
        mem.exit_child(cp).unwrap();
        acc ^= gas.spent();
        let parent_gas = match frames.last_mut() {
            Some((_, g)) => g,
            None => &mut e.gas,
        };
        acc = fold_word(acc, mem.load_u256_with_gas(0x20, parent_gas).unwrap());
    }
    acc
}

#[inline(never)]
pub fn nested_revm(e: &mut Revm, t: &NestedTrace) -> u64 {
    e.reset();
    let (root, frames, params) = (&mut e.mem, &mut e.frames, &e.params);
    frames.clear();
    frame_writes_revm(root, &mut e.gas, params, t.values[0]);
    for w in &t.values[1..=t.depth] {
        let child = match frames.last_mut() {
            Some((m, _)) => m.new_child_context(),
            None => root.new_child_context(),
        };
        frames.push((child, RevmGas::new(GAS_LIMIT)));
        let (mem, gas) = frames.last_mut().unwrap();
        frame_writes_revm(mem, gas, params, *w);
    }
    let mut acc = 0;
    while let Some((child, gas)) = frames.pop() {
        drop(child);
        acc ^= gas.total_gas_spent();
        let (mem, gas) = match frames.last_mut() {
            Some((m, g)) => (m, g),
            None => (&mut *root, &mut e.gas),
        };
        mem.free_child_context();
        rv_resize(gas, mem, params, 0x20, 32);
        acc = fold_word(acc, rv_mload(mem, 0x20));
    }
    acc
}

/// CALL-like round trips from the root: the parent ABI-encodes arguments at 0x80 (selector +
/// four words), expands its argument and return regions (as CALL does), the child copies its
/// calldata from the parent's region (CALLDATACOPY), reads an argument, writes two result words
/// and RETURNs them; the return region lands in the parent, which reads it.
pub struct CallTrace {
    pub calls: usize,
    pub args_off: usize,
    pub args_len: usize,
    pub ret_off: usize,
    pub ret_len: usize,
    pub args: Vec<U256>,
}

pub fn call_trace() -> CallTrace {
    let mut rng = Rng::new(6);
    CallTrace {
        calls: 256,
        args_off: 0x80,
        args_len: 4 + 4 * 32,
        ret_off: 0x80 + 0xA0,
        ret_len: 64,
        args: (0..256).map(|_| rng.word()).collect(),
    }
}

#[inline(never)]
pub fn call_ours(e: &mut Ours, t: &CallTrace) -> u64 {
    let (mem, pgas) = (&mut e.mem, &mut e.gas);
    let mut acc = 0;
    for &arg in &t.args[..t.calls] {
        // Parent: ABI-encode the arguments (the last word varies per call).
        mem.store_u256_with_gas(t.args_off + 4 + 96, arg, pgas)
            .unwrap();
        // CALL: expand over the argument and return regions, then enter.
        mem.expand_with_gas(t.args_off, t.args_len, pgas).unwrap();
        mem.expand_with_gas(t.ret_off, t.ret_len, pgas).unwrap();
        let cp = mem.enter_child().unwrap();
        let mut gas = Gas::new(GAS_LIMIT);
        // Child: CALLDATACOPY(0, 0, args_len), MLOAD(4 + 96), two MSTOREs, RETURN(0, 64).
        mem.set_data_from_parent_with_gas(0, 0, t.args_len, t.args_off, t.args_len, &mut gas)
            .unwrap();
        let x = mem.load_u256_with_gas(4 + 96, &mut gas).unwrap();
        mem.store_u256_with_gas(0, x ^ arg, &mut gas).unwrap();
        mem.store_u256_with_gas(0x20, arg, &mut gas).unwrap();
        mem.expand_with_gas(0, t.ret_len, &mut gas).unwrap();
        mem.exit_child_with_return(cp, 0, t.ret_len, t.ret_off, t.ret_len)
            .unwrap();
        acc ^= gas.spent();
        // Parent: read the result.
        acc = fold_word(acc, mem.load_u256_with_gas(t.ret_off, pgas).unwrap());
    }
    acc
}

#[inline(never)]
pub fn call_revm(e: &mut Revm, t: &CallTrace) -> u64 {
    let (mem, pgas, params, out) = (&mut e.mem, &mut e.gas, &e.params, &mut e.out);
    let mut acc = 0;
    for &arg in &t.args[..t.calls] {
        rv_resize(pgas, mem, params, t.args_off + 4 + 96, 32);
        rv_mstore(mem, t.args_off + 4 + 96, &arg);
        rv_resize(pgas, mem, params, t.args_off, t.args_len);
        rv_resize(pgas, mem, params, t.ret_off, t.ret_len);
        let base = mem.local_memory_offset();
        let mut child = mem.new_child_context();
        let mut gas = RevmGas::new(GAS_LIMIT);
        rv_resize(&mut gas, &mut child, params, 0, t.args_len);
        child.global_to_local_set_data(
            0,
            0,
            t.args_len,
            base + t.args_off..base + t.args_off + t.args_len,
        );
        rv_resize(&mut gas, &mut child, params, 4 + 96, 32);
        let x = rv_mload(&child, 4 + 96);
        rv_resize(&mut gas, &mut child, params, 0, 32);
        rv_mstore(&mut child, 0, &(x ^ arg));
        rv_resize(&mut gas, &mut child, params, 0x20, 32);
        rv_mstore(&mut child, 0x20, &arg);
        rv_resize(&mut gas, &mut child, params, 0, t.ret_len);
        // RETURN: revm copies the output out of the child (into a reused buffer here, which
        // spares it the allocation its interpreter makes), frees the child, then writes the
        // return region into the parent.
        out.clear();
        out.extend_from_slice(&child.slice_len(0, t.ret_len));
        drop(child);
        mem.free_child_context();
        let n = t.ret_len.min(out.len());
        mem.set(t.ret_off, &out[..n]);
        acc ^= gas.total_gas_spent();
        rv_resize(pgas, mem, params, t.ret_off, 32);
        acc = fold_word(acc, rv_mload(mem, t.ret_off));
    }
    acc
}

// ---------------------------------------------------------------------------------------------
// 6. Expansion gas pricing
// ---------------------------------------------------------------------------------------------

/// (offset, len) accesses to price. `cached`: every access is inside the current memory
/// (`memory_words` words), so the price is the cached zero; cold: every access is past it, so the
/// price is computed (sizes up to 16 MiB).
pub struct PriceTrace {
    pub memory_words: usize,
    pub accesses: Vec<(usize, usize)>,
}

pub fn price_trace(cached: bool) -> PriceTrace {
    let mut rng = Rng::new(if cached { 7 } else { 8 });
    let memory_words = 2048; // 64 KiB
    let size = memory_words * 32;
    let accesses = (0..1024)
        .map(|_| {
            if cached {
                let len = 1 + rng.below(1024) as usize;
                (rng.below((size - len + 1) as u64) as usize, len)
            } else {
                let len = 1 + rng.below(1024) as usize;
                (size + rng.below(16 << 20) as usize, len)
            }
        })
        .collect();
    PriceTrace {
        memory_words,
        accesses,
    }
}

/// Expands both engines to the trace's memory size (outside the timed part).
pub fn price_setup(o: &mut Ours, r: &mut Revm, t: &PriceTrace) {
    o.reset();
    o.mem
        .expand_with_gas(0, t.memory_words * 32, &mut o.gas)
        .unwrap();
    r.reset();
    rv_resize(&mut r.gas, &mut r.mem, &r.params, 0, t.memory_words * 32);
}

#[inline(never)]
pub fn price_ours(e: &Ours, t: &PriceTrace) -> u64 {
    let mut acc = 0u64;
    for &(off, len) in &t.accesses {
        acc = acc.wrapping_add(e.mem.expansion_cost(black_box(off), len).unwrap());
    }
    acc
}

/// revm's pricing: the words check of `resize_memory`, then `GasParams::memory_cost` minus the
/// cached cost in the gas's `MemoryGas`.
#[inline(never)]
pub fn price_revm(e: &Revm, t: &PriceTrace) -> u64 {
    let mut acc = 0u64;
    let memory = e.gas.memory();
    for &(off, len) in &t.accesses {
        let words = black_box(off).saturating_add(len).div_ceil(32);
        let cost = if len == 0 || words <= memory.words_num {
            0
        } else {
            e.params.memory_cost(words) - memory.expansion_cost
        };
        acc = acc.wrapping_add(cost);
    }
    acc
}

/// Total cost of a memory of `words` words: ours `memory_gas_cost` vs revm's
/// `GasParams::memory_cost`, over the cold trace's sizes.
#[inline(never)]
pub fn total_cost_ours(t: &PriceTrace) -> u64 {
    let mut acc = 0u64;
    for &(off, len) in &t.accesses {
        let words = evm_memory::num_words(black_box(off + len) as u64);
        acc = acc.wrapping_add(evm_memory::memory_gas_cost(words));
    }
    acc
}

#[inline(never)]
pub fn total_cost_revm(params: &GasParams, t: &PriceTrace) -> u64 {
    let mut acc = 0u64;
    for &(off, len) in &t.accesses {
        let words = black_box(off + len).div_ceil(32);
        acc = acc.wrapping_add(params.memory_cost(words));
    }
    acc
}

// ---------------------------------------------------------------------------------------------
// 7. A mixed trace shaped like contract execution
// ---------------------------------------------------------------------------------------------

/// One memory instruction of the mixed trace.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// A new transaction: empty memory, fresh gas.
    Begin,
    MStore(usize, U256),
    MLoad(usize),
    MStore8(usize, u8),
    /// CALLDATACOPY(mem, data, len) from the trace's calldata.
    CallDataCopy {
        mem: usize,
        data: usize,
        len: usize,
    },
    /// KECCAK256(off, len): a read of the whole slice.
    Keccak {
        off: usize,
        len: usize,
    },
    /// MCOPY(dst, src, len).
    MCopy {
        dst: usize,
        src: usize,
        len: usize,
    },
    /// RETURN(off, len): the region copied out as the output.
    Return {
        off: usize,
        len: usize,
    },
}

pub struct MixedTrace {
    pub calldata: Vec<u8>,
    pub ops: Vec<Op>,
}

/// Sixteen transactions, each like a Solidity function: set the free memory pointer (0x40) to
/// 0x80, then several rounds of: read the free memory pointer, ABI-encode a selector and a few
/// arguments at it (unaligned offsets), bump the pointer, copy an array argument from calldata,
/// hash a mapping key in scratch space (MSTORE 0x00, MSTORE 0x20, KECCAK256 0x00..0x40), set a
/// flag byte, read a value back; finally copy the encoded result and RETURN it.
pub fn mixed_trace() -> MixedTrace {
    let mut rng = Rng::new(9);
    let calldata: Vec<u8> = (0..4 + 32 * 8).map(|_| rng.next() as u8).collect();
    let mut ops = Vec::new();
    for _tx in 0..16 {
        ops.push(Op::Begin);
        ops.push(Op::MStore(0x40, word_of(0x80)));
        let mut fmp = 0x80usize;
        let rounds = 4 + rng.below(6) as usize;
        let mut first = fmp;
        for r in 0..rounds {
            ops.push(Op::MLoad(0x40));
            let start = fmp;
            if r == 0 {
                first = start;
            }
            let nargs = 1 + rng.below(4) as usize;
            ops.push(Op::MStore(start, rng.word())); // selector in the first 4 bytes
            for i in 0..nargs {
                ops.push(Op::MStore(start + 4 + 32 * i, rng.word()));
            }
            fmp = (start + 4 + 32 * nargs + 31) & !31;
            ops.push(Op::MStore(0x40, word_of(fmp as u64)));
            // A dynamic array argument from calldata.
            let arr = 32 * (1 + rng.below(6) as usize);
            ops.push(Op::CallDataCopy {
                mem: fmp,
                data: 4 + 32 * rng.below(4) as usize,
                len: arr,
            });
            fmp += arr;
            ops.push(Op::MStore(0x40, word_of(fmp as u64)));
            // Mapping lookups: keccak256(key . slot) in scratch space.
            for _ in 0..2 {
                ops.push(Op::MStore(0x00, rng.word()));
                ops.push(Op::MStore(0x20, word_of(rng.below(8))));
                ops.push(Op::Keccak {
                    off: 0x00,
                    len: 0x40,
                });
            }
            ops.push(Op::MStore8(start + 3, rng.next() as u8));
            ops.push(Op::MLoad(start + 4));
        }
        // Encode the result after the data (a copy of the first round's encoding) and return.
        ops.push(Op::MLoad(0x40));
        let len = 4 + 32 * 2;
        ops.push(Op::MCopy {
            dst: fmp,
            src: first,
            len,
        });
        ops.push(Op::Keccak { off: fmp, len });
        ops.push(Op::Return { off: fmp, len });
    }
    MixedTrace { calldata, ops }
}

#[inline(never)]
pub fn mixed_ours(e: &mut Ours, t: &MixedTrace) -> u64 {
    let mut acc = 0u64;
    for op in &t.ops {
        let (mem, gas) = (&mut e.mem, &mut e.gas);
        match *op {
            Op::Begin => {
                mem.reset();
                *gas = Gas::new(GAS_LIMIT);
            }
            Op::MStore(off, w) => {
                mem.store_u256_with_gas(off, w, gas).unwrap();
            }
            Op::MLoad(off) => {
                acc = fold_word(acc, mem.load_u256_with_gas(off, gas).unwrap());
            }
            Op::MStore8(off, b) => {
                mem.store_byte_with_gas(off, b, gas).unwrap();
            }
            Op::CallDataCopy { mem: m, data, len } => {
                mem.set_data_with_gas(m, data, len, &t.calldata, gas)
                    .unwrap();
            }
            Op::Keccak { off, len } => {
                acc = fold_slice(acc, mem.slice_with_gas(off, len, gas).unwrap());
            }
            Op::MCopy { dst, src, len } => {
                mem.copy_with_gas(dst, src, len, gas).unwrap();
            }
            Op::Return { off, len } => {
                e.out.clear();
                e.out
                    .extend_from_slice(mem.slice_with_gas(off, len, gas).unwrap());
                acc = fold_slice(acc ^ gas.spent(), &e.out);
            }
        }
    }
    acc
}

#[inline(never)]
pub fn mixed_revm(e: &mut Revm, t: &MixedTrace) -> u64 {
    let mut acc = 0u64;
    for op in &t.ops {
        let (mem, gas, params) = (&mut e.mem, &mut e.gas, &e.params);
        match *op {
            Op::Begin => {
                mem.resize(0);
                *gas = RevmGas::new(GAS_LIMIT);
            }
            Op::MStore(off, w) => {
                rv_resize(gas, mem, params, off, 32);
                rv_mstore(mem, off, &w);
            }
            Op::MLoad(off) => {
                rv_resize(gas, mem, params, off, 32);
                acc = fold_word(acc, rv_mload(mem, off));
            }
            Op::MStore8(off, b) => {
                rv_resize(gas, mem, params, off, 1);
                mem.set(off, &[b]);
            }
            Op::CallDataCopy { mem: m, data, len } => {
                if len != 0 {
                    rv_resize(gas, mem, params, m, len);
                    mem.set_data(m, data, len, &t.calldata);
                }
            }
            Op::Keccak { off, len } => {
                if len != 0 {
                    rv_resize(gas, mem, params, off, len);
                    acc = fold_slice(acc, &mem.slice_len(off, len));
                }
            }
            Op::MCopy { dst, src, len } => {
                if len != 0 {
                    rv_resize(gas, mem, params, dst.max(src), len);
                    mem.copy(dst, src, len);
                }
            }
            Op::Return { off, len } => {
                e.out.clear();
                if len != 0 {
                    rv_resize(gas, mem, params, off, len);
                    e.out.extend_from_slice(&mem.slice_len(off, len));
                }
                acc = fold_slice(acc ^ gas.total_gas_spent(), &e.out);
            }
        }
    }
    acc
}

/// The physical floor of the word hot path: the same MSTOREs and MLOADs on a plain
/// `Vec<u8>` already large enough, with a slice bounds check but no expansion, gas or context.
#[inline(never)]
pub fn word_floor(buf: &mut [u8], t: &WordTrace) -> u64 {
    let mut acc = 0;
    for &(st, w, ld) in &t.ops {
        buf[st..st + 32].copy_from_slice(&w.to_be_bytes::<32>());
        acc = fold_word(acc, U256::from_be_slice(&buf[ld..ld + 32]));
    }
    acc
}

/// The physical floor of the CALL round trip: the same data movement on one plain buffer
/// already large enough (the parent's bytes, then the child's), with slice bounds checks but no
/// expansion, gas, contexts or checkpoints: the argument word stored, the child's 160 bytes
/// zeroed, its 132-byte calldata copied in, one word loaded and two stored, the 64-byte return
/// region copied back, the result loaded.
#[inline(never)]
pub fn call_floor(buf: &mut [u8], t: &CallTrace) -> u64 {
    let child = t.ret_off + t.ret_len;
    let mut acc = 0;
    for &arg in &t.args[..t.calls] {
        let a = t.args_off + 4 + 96;
        buf[a..a + 32].copy_from_slice(&arg.to_be_bytes::<32>());
        // The child's calldata, written once: the bytes copied in, then zeros to its end.
        let rounded = t.args_len.div_ceil(32) * 32;
        buf.copy_within(t.args_off..t.args_off + t.args_len, child);
        buf[child + t.args_len..child + rounded].fill(0);
        let x = U256::from_be_slice(&buf[child + 100..child + 132]);
        buf[child..child + 32].copy_from_slice(&(x ^ arg).to_be_bytes::<32>());
        buf[child + 32..child + 64].copy_from_slice(&arg.to_be_bytes::<32>());
        buf.copy_within(child..child + t.ret_len, t.ret_off);
        acc = fold_word(acc, U256::from_be_slice(&buf[t.ret_off..t.ret_off + 32]));
    }
    acc
}
