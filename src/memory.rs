//! The [`Memory`] type: construction, buffer reuse, size and the expansion engine (plain and
//! gas-aware) that every access goes through.
//!
//! One `Vec<u8>` holds every open context back to back: the root context first, each child
//! starting where its parent ends. The current (innermost) context is always the tail of the
//! buffer, so its size is `buffer.len() - base`. Expansion is lazy, to whole 32-byte words,
//! through fallible, amortised reservation; new bytes are zero because they are written by
//! `Vec::resize`, also over bytes a finished child once used.
//!
//! Every context's size is a multiple of 32, so if the root starts at a 32-byte aligned address
//! every context does, and a word at a word-aligned offset never straddles a cache line. The
//! allocator only promises 16-byte alignment, so the root starts after `head` (< 32) padding
//! bytes; when the buffer must grow past its allocation, the memory reallocates itself and lays
//! the contexts out aligned again (see `reallocate`). Measured: the 1024-deep nested benchmark
//! takes ≈ 22 µs with the buffer at 16 mod 32 and ≈ 19.5 µs aligned.

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::MemoryConfig;
use crate::error::MemoryError;
use crate::gas::{mainnet_small_cost, GasMeter, Pricing, MAX_WORDS, WORD_SIZE};
use crate::MemoryPricing;

/// Source of the per-memory tags that make a checkpoint of one memory stale in every other.
static NEXT_OWNER: AtomicU64 = AtomicU64::new(1);

/// One execution context's bookkeeping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Context {
    /// Where the context starts in the shared buffer.
    pub(crate) base: usize,
    /// Cached memory cost of the context's current size (the memory's pricing, exact).
    pub(crate) cost: u64,
    /// Serial of the child context this is (0 for the root), matched by its checkpoint.
    pub(crate) serial: u64,
}

impl Context {
    pub(crate) const fn root(base: usize, serial: u64) -> Self {
        Self {
            base,
            cost: 0,
            serial,
        }
    }
}

/// Fills the empty `buffer` (with room for at least a word) with zeros up to the first 32-byte
/// boundary of its allocation and returns how many: the `head` before the root context.
fn pad_to_word(buffer: &mut Vec<u8>) -> usize {
    debug_assert!(buffer.is_empty() && buffer.capacity() >= WORD_SIZE);
    let head = buffer.as_ptr().addr().wrapping_neg() % WORD_SIZE;
    buffer.resize(head, 0);
    head
}

/// EVM memory with word-aligned lazy expansion, isolated nested call contexts and cached
/// expansion gas.
///
/// Its methods come in four groups, each an `impl` block below with its own introduction:
///
/// * **Construction and state**: [`new`](Self::new), buffer reuse, size, limit, the cached
///   cost and what an expansion would cost;
/// * **The opcode path**: the metered accesses, whose names end in `_with_gas`, each charging
///   its expansion, expanding and accessing in one call;
/// * **Plain accesses**: the same accesses without gas;
/// * **Nested call contexts**: a child context per CALL, entered and exited with a
///   [`Checkpoint`](crate::Checkpoint).
///
/// Offsets and lengths are relative to the current context. A failed call changes nothing.
///
/// ```
/// use evm_memory::{Gas, Memory, MemoryConfig, U256};
///
/// let mut memory = Memory::new(MemoryConfig {
///     initial_capacity: 1024,
///     ..MemoryConfig::with_limit(1024 * 1024) // 1 MiB, mainnet pricing
/// })?;
/// let mut gas = Gas::new(100);
///
/// // MSTORE then MLOAD at 0: one word of memory, 3 gas.
/// memory.store_u256_with_gas(0, U256::from(0x0123_4567_89AB_CDEFu64), &mut gas)?;
/// assert_eq!(memory.load_u256_with_gas(0, &mut gas)?, U256::from(0x0123_4567_89AB_CDEFu64));
/// assert_eq!((memory.size(), gas.spent()), (32, 3));
///
/// // The same word through a plain access, which charges nothing.
/// assert_eq!(memory.load_word(0)?[24..], 0x0123_4567_89AB_CDEFu64.to_be_bytes());
/// # Ok::<(), evm_memory::MemoryError>(())
/// ```
pub struct Memory {
    /// `head` padding bytes, then every open context back to back.
    pub(crate) buffer: Vec<u8>,
    /// Padding before the root context that puts it on a 32-byte boundary (< 32).
    pub(crate) head: usize,
    pub(crate) current: Context,
    pub(crate) parents: Vec<Context>,
    /// The limit as a buffer length: `head` + the configured limit.
    pub(crate) limit_end: u64,
    /// The limit as the one-word short growth path sees it: `limit_end` under mainnet pricing,
    /// 0 under any other, which sends every growth down the general path (see
    /// `try_grow_word`).
    short_end: u64,
    /// The most words [`expansion_cost`](Self::expansion_cost) prices with mainnet's formula
    /// inline: `u32::MAX` under mainnet pricing, 0 under any other, which sends every quote
    /// out of line.
    mainnet_words: u64,
    /// How growth is priced.
    pub(crate) pricing: Pricing,
    pub(crate) owner: u64,
    pub(crate) next_serial: u64,
}

/// Size, depth, limit, cached cost, the pricing (when it is not mainnet's), every open
/// context's size (root first) and the current context's bytes in hex: all of them when they are few, else the first and last word with the
/// number of bytes between. Padding, spare capacity and the parents' bytes are not shown.
///
/// ```
/// use evm_memory::Memory;
///
/// let mut memory = Memory::default();
/// memory.store_byte(0, 0xAB)?;
/// assert_eq!(
///     format!("{memory:?}"),
///     "Memory { size: 32, depth: 0, limit: 4294967296, total_size: 32, memory_cost: 3, \
///      context_sizes: [32], current: 0xab00000000000000000000000000000000000000000000000000000000000000 }"
/// );
/// # Ok::<(), evm_memory::MemoryError>(())
/// ```
impl fmt::Debug for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Memory");
        debug
            .field("size", &self.size())
            .field("depth", &self.parents.len())
            .field("limit", &self.limit())
            .field("total_size", &self.total_size())
            .field("memory_cost", &self.memory_cost());
        if self.pricing() != MemoryPricing::MAINNET {
            debug.field("pricing", &self.pricing());
        }
        debug
            .field("context_sizes", &ContextSizes(self))
            .field("current", &HexHeadTail(self.as_slice()))
            .finish()
    }
}

/// Every open context's size, root first, as a list.
struct ContextSizes<'a>(&'a Memory);

impl fmt::Debug for ContextSizes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.context_sizes()).finish()
    }
}

/// Bytes in hex: all of them up to two words, else the first and the last word and how many
/// bytes lie between.
struct HexHeadTail<'a>(&'a [u8]);

impl fmt::Debug for HexHeadTail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
            bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
        }
        let bytes = self.0;
        f.write_str("0x")?;
        if bytes.len() <= 2 * WORD_SIZE {
            return hex(f, bytes);
        }
        hex(f, &bytes[..WORD_SIZE])?;
        write!(f, " …{} bytes… ", bytes.len() - 2 * WORD_SIZE)?;
        hex(f, &bytes[bytes.len() - WORD_SIZE..])
    }
}

impl Default for Memory {
    /// An empty memory with the default 4 GiB limit that allocates nothing until first use.
    fn default() -> Self {
        let config = MemoryConfig::default();
        Self::from_parts(Vec::new(), config.memory_limit, config.pricing)
    }
}

/// # Construction and state
///
/// A memory is built from a [`MemoryConfig`] (limit, initial capacity) or over a buffer to reuse,
/// and emptied with [`reset`](Memory::reset) without freeing its allocation. The queries report
/// the current context's size (MSIZE), the limit on the whole shared buffer, the cached memory
/// cost of the current context and what touching a range would cost now.
impl Memory {
    /// A memory over `buffer`'s allocation with a limit and a pricing that were validated.
    fn from_parts(mut buffer: Vec<u8>, limit: u64, pricing: MemoryPricing) -> Self {
        buffer.clear();
        if buffer.capacity() < WORD_SIZE {
            // Too small to align within; the first growth allocates.
            buffer = Vec::new();
        }
        let head = if buffer.capacity() == 0 {
            0
        } else {
            pad_to_word(&mut buffer)
        };
        let pricing_form = Pricing::new(pricing);
        let mut memory = Self {
            buffer,
            head,
            current: Context::root(head, 0),
            parents: Vec::new(),
            limit_end: 0,
            short_end: 0,
            mainnet_words: if pricing_form.is_mainnet() {
                u32::MAX as u64
            } else {
                0
            },
            pricing: pricing_form,
            owner: NEXT_OWNER.fetch_add(1, Ordering::Relaxed),
            next_serial: 1,
        };
        memory.set_limit_end(limit + head as u64);
        memory
    }

    /// Sets the limit as a buffer length, and the short growth path's view of it.
    #[inline]
    fn set_limit_end(&mut self, limit_end: u64) {
        self.limit_end = limit_end;
        self.short_end = if self.pricing.is_mainnet() {
            limit_end
        } else {
            0
        };
    }

    /// A memory set up by `config`, with `config.initial_capacity` bytes reserved.
    ///
    /// # Errors
    /// [`MemoryError::InvalidConfig`] when [`MemoryConfig::validate`] rejects the configuration;
    /// [`MemoryError::OutOfMemory`] when the initial reservation fails.
    pub fn new(config: MemoryConfig) -> Result<Self, MemoryError> {
        Self::with_buffer(Vec::new(), config)
    }

    /// A memory that reuses `buffer`'s allocation (its contents are discarded), reserving up to
    /// `config.initial_capacity` bytes in total. Get the buffer back with
    /// [`into_buffer`](Self::into_buffer).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_buffer(buffer: Vec<u8>, config: MemoryConfig) -> Result<Self, MemoryError> {
        config.validate()?;
        let mut memory = Self::from_parts(buffer, config.memory_limit, config.pricing);
        if memory.spare_capacity() < config.initial_capacity {
            memory.reallocate(config.initial_capacity)?;
        }
        Ok(memory)
    }

    /// Gives back the underlying buffer (cleared, allocation kept) for reuse.
    pub fn into_buffer(mut self) -> Vec<u8> {
        self.buffer.clear();
        self.buffer
    }

    /// Empties the memory and closes every child context, keeping the allocation. Checkpoints
    /// taken before the reset become stale.
    pub fn reset(&mut self) {
        self.buffer.truncate(self.head);
        self.parents.clear();
        self.current = Context::root(self.head, self.next_serial);
        self.next_serial += 1;
    }

    /// Size of the current context in bytes (MSIZE): always a multiple of 32.
    #[inline]
    pub fn size(&self) -> usize {
        self.buffer.len() - self.current.base
    }

    /// Size of the current context in 32-byte words.
    #[inline]
    pub fn words(&self) -> usize {
        self.size() / WORD_SIZE
    }

    /// `true` when the current context has no bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// The configured limit on the whole shared buffer, in bytes.
    #[inline]
    pub fn limit(&self) -> u64 {
        self.limit_end - self.head as u64
    }

    /// Bytes in use across every open context (what the limit is checked against).
    #[inline]
    pub fn total_size(&self) -> usize {
        self.buffer.len() - self.head
    }

    /// Bytes the contexts can take in total before the buffer must reallocate.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.buffer.capacity() - self.head
    }

    /// Bytes the buffer can take before it must reallocate.
    #[inline]
    fn spare_capacity(&self) -> usize {
        self.buffer.capacity() - self.buffer.len()
    }

    /// The cached total memory gas of the current context (`C_mem` of its size).
    #[inline]
    pub fn memory_cost(&self) -> u64 {
        self.current.cost
    }

    /// How this memory prices expansion (set by [`MemoryConfig::pricing`]).
    #[inline]
    pub fn pricing(&self) -> MemoryPricing {
        self.pricing.pricing()
    }

    /// The whole current context as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.buffer[self.current.base..]
    }

    /// Gas that touching `[offset, offset + len)` would charge now: zero when `len == 0` or the
    /// range is already inside the current context, which is priced from the cached cost without
    /// recomputing it.
    ///
    /// # Errors
    /// [`MemoryError::MemoryOverflow`] when `offset + len` overflows.
    #[inline]
    pub fn expansion_cost(&self, offset: usize, len: usize) -> Result<u64, MemoryError> {
        if len == 0 {
            return Ok(0);
        }
        let end = offset.checked_add(len).ok_or(MemoryError::MemoryOverflow)?;
        if end <= self.size() {
            return Ok(0);
        }
        let words = crate::gas::num_words(end as u64);
        let cost = if words <= self.mainnet_words {
            mainnet_small_cost(words)
        } else {
            self.other_memory_cost(words)
        };
        Ok(cost.saturating_sub(self.current.cost))
    }

    /// The memory cost of `words` words that [`expansion_cost`](Self::expansion_cost) does not
    /// price with mainnet's formula inline: any size under a pricing that is not mainnet's,
    /// and sizes past `u32::MAX` words under mainnet's.
    #[cold]
    #[inline(never)]
    fn other_memory_cost(&self, words: u64) -> u64 {
        if words <= MAX_WORDS {
            return self.pricing.cost_within_limit(words);
        }
        self.pricing().memory_cost(words)
    }

    /// `true` when `[offset, offset + len)` lies inside the current context. Written as the
    /// comparisons that slicing the context at `offset` and then to `len` bytes make, so that an
    /// access right after this check (or after an expansion check built on it) compiles to a
    /// single bounds check.
    #[inline(always)]
    pub(crate) fn covers(&self, offset: usize, len: usize) -> bool {
        match self.buffer.len().checked_sub(self.current.base) {
            Some(size) => size >= len && offset <= size - len,
            None => false,
        }
    }

    /// Makes the current context at least `end` bytes long (rounded up to a word).
    #[inline]
    pub(crate) fn ensure_end(&mut self, end: usize) -> Result<(), MemoryError> {
        if end <= self.size() {
            return Ok(());
        }
        self.grow(end)
    }

    /// Grows the current context to hold `end > self.size()` bytes.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, end: usize) -> Result<(), MemoryError> {
        let mut plan = self.plan_growth(end)?;
        self.reserve_for(&mut plan)?;
        self.apply_growth(plan);
        Ok(())
    }

    /// Grows the current context to hold `end > self.size()` bytes, charging `gas` for it:
    /// the whole slow path of [`expand_with_gas`](Self::expand_with_gas), out of line.
    #[cold]
    #[inline(never)]
    pub(crate) fn grow_with_gas<G: GasMeter + ?Sized>(
        &mut self,
        end: usize,
        gas: &mut G,
    ) -> Result<u64, MemoryError> {
        match self.try_grow_word(end, gas) {
            Some(charge) => Ok(charge),
            None => self.grow_with_gas_slow(end, gas),
        }
    }

    /// The short path of a growth to `end > self.size()` bytes: a growth by one word that the
    /// buffer has room for and the meter pays for (an MSTORE walking up memory, the first
    /// writes of a new frame) is priced, charged and appended as a zero word, in few registers,
    /// returning the charge. Anything else, every error included, is `None` with nothing
    /// changed, for [`grow_with_gas_slow`](Self::grow_with_gas_slow). (Taking every growth that
    /// fits the allocation here measured 13 more instructions per one-word growth, for a 5%
    /// gain on the CALL round trip only.)
    ///
    /// Only mainnet pricing takes it, priced with the constants folded: under any other pricing
    /// `short_end` is 0 and the limit test fails, so that a configurable pricing costs this path
    /// no instruction (pricing it here measured 9 more per one-word growth: loading the shift,
    /// testing for a divisor that is not a power of two, and a variable shift).
    #[inline(always)]
    fn try_grow_word<G: GasMeter + ?Sized>(&mut self, end: usize, gas: &mut G) -> Option<u64> {
        // Room for the word is written as `Vec::extend_from_slice` checks it, so that the
        // append below checks nothing again.
        let total = self.buffer.len().wrapping_add(WORD_SIZE);
        if end.wrapping_sub(self.size()) <= WORD_SIZE
            && self.spare_capacity() >= WORD_SIZE
            && total as u64 <= self.short_end
        {
            // `total - head <= limit <= 4 GiB` (`MemoryConfig::validate`): at most 2^27
            // words. Only mainnet pricing comes here (`short_end`).
            let words = ((total - self.current.base) / WORD_SIZE) as u64;
            let cost = mainnet_small_cost(words);
            let charge = cost - self.current.cost;
            if charge <= gas.remaining() {
                gas.consume(charge);
                // A fixed-size copy, not a call to `memset`.
                self.buffer.extend_from_slice(&[0; WORD_SIZE]);
                self.current.cost = cost;
                return Some(charge);
            }
        }
        None
    }

    /// Every growth [`grow_with_gas`](Self::grow_with_gas) does not take its short path for,
    /// and every error.
    #[inline(never)]
    fn grow_with_gas_slow<G: GasMeter + ?Sized>(
        &mut self,
        end: usize,
        gas: &mut G,
    ) -> Result<u64, MemoryError> {
        let (plan, charge) = self.charge_growth(end, gas)?;
        self.apply_growth(plan);
        Ok(charge)
    }

    /// Grows the current context over `[offset, offset + len)` (`len > 0`, not yet covered)
    /// and charges `gas`, as [`expand_with_gas`](Self::expand_with_gas) does, for the memory
    /// opcodes: `true` when it grew, `false` (with nothing changed) on any error, which
    /// [`growth_error`](Self::growth_error) then names. A `bool` comes back in a register,
    /// where a `Result` would go through memory and keep a register busy in the caller.
    #[cold]
    #[inline(never)]
    pub(crate) fn grow_over_with_gas<G: GasMeter + ?Sized>(
        &mut self,
        offset: usize,
        len: usize,
        gas: &mut G,
    ) -> bool {
        match offset.checked_add(len) {
            Some(end) => self.try_grow_word(end, gas).is_some() || self.grow_over_slow(end, gas),
            None => false,
        }
    }

    /// The general half of [`grow_over_with_gas`](Self::grow_over_with_gas), called in tail
    /// position so that the short path needs no stack frame.
    #[inline(never)]
    fn grow_over_slow<G: GasMeter + ?Sized>(&mut self, end: usize, gas: &mut G) -> bool {
        match self.charge_growth(end, gas) {
            Ok((plan, _)) => {
                self.apply_growth(plan);
                true
            }
            Err(_) => false,
        }
    }

    /// The error a failed [`grow_over_with_gas`](Self::grow_over_with_gas) met, found again
    /// from the unchanged memory and meter: the limit and address space, then gas, and when
    /// both pass, the allocation (the only check that is not a pure function of that state).
    #[cold]
    #[inline(never)]
    pub(crate) fn growth_error<G: GasMeter + ?Sized>(
        &self,
        offset: usize,
        len: usize,
        gas: &G,
    ) -> MemoryError {
        let checked = offset
            .checked_add(len)
            .ok_or(MemoryError::MemoryOverflow)
            .and_then(|end| self.check_growth(end, gas));
        match checked {
            Err(error) => error,
            Ok(_) => MemoryError::OutOfMemory,
        }
    }

    /// Grows the current context to hold `end > self.size()` bytes, charging `gas`, with the
    /// bytes from `at` (an offset in the context) written by `fill` instead of zeroed first:
    /// the growing half of the gas-aware copies, where the new bytes are written once.
    ///
    /// `fill(buffer, start)` must append the bytes of `[at, at + len)` that the copy provides
    /// (at most `len`) to `buffer`, whose length is then `start`, the absolute position of
    /// `at`; the rest, up to the new size, is zeroed here. When `at` lies inside the current
    /// size (the copy straddles the old end), the growth is zeroed and `straddle(buffer,
    /// start)` copies all `len` bytes in place instead. Nothing changes on error.
    #[inline]
    pub(crate) fn grow_with_gas_filled<G: GasMeter + ?Sized>(
        &mut self,
        at: usize,
        len: usize,
        gas: &mut G,
        fill: impl FnOnce(&mut Vec<u8>, usize),
        straddle: impl FnOnce(&mut Vec<u8>, usize),
    ) -> Result<(), MemoryError> {
        let end = at.checked_add(len).ok_or(MemoryError::MemoryOverflow)?;
        let (plan, _) = self.charge_growth(end, gas)?;
        // `at <= end <= new size`, and `base + new size` did not overflow.
        let start = self.current.base + at;
        if start < self.buffer.len() {
            self.apply_growth(plan);
            straddle(&mut self.buffer, start);
            return Ok(());
        }
        if start > self.buffer.len() {
            self.buffer.resize(start, 0);
        }
        fill(&mut self.buffer, start);
        debug_assert!(self.buffer.len() <= start + len);
        let pad = plan.total - self.buffer.len();
        if pad != 0 {
            if pad <= WORD_SIZE && self.spare_capacity() >= WORD_SIZE {
                // The pad after data that covers the region (under a word): a fixed-size
                // append cut back to the new size, not a call to `memset`.
                self.buffer.extend_from_slice(&[0; WORD_SIZE]);
                self.buffer.truncate(plan.total);
            } else {
                self.buffer.resize(plan.total, 0);
            }
        }
        self.current.cost = plan.cost;
        Ok(())
    }

    /// The first half of every general growth to `end > self.size()` bytes: checks it, reserves
    /// room for it and charges `gas`, returning the plan (for the caller to apply) and the
    /// charge. On error nothing has changed.
    #[inline(always)]
    fn charge_growth<G: GasMeter + ?Sized>(
        &mut self,
        end: usize,
        gas: &mut G,
    ) -> Result<(Growth, u64), MemoryError> {
        let (mut plan, charge) = self.check_growth(end, gas)?;
        self.reserve_for(&mut plan)?;
        gas.consume(charge);
        Ok((plan, charge))
    }

    /// Checks a growth to `end > self.size()` bytes against the limit and the meter, without
    /// changing anything: the plan and the gas to charge for it.
    #[inline]
    fn check_growth<G: GasMeter + ?Sized>(
        &self,
        end: usize,
        gas: &G,
    ) -> Result<(Growth, u64), MemoryError> {
        let plan = self.plan_growth(end)?;
        let charge = plan.cost.saturating_sub(self.current.cost);
        let remaining = gas.remaining();
        if charge > remaining {
            return Err(MemoryError::OutOfGas {
                needed: charge,
                remaining,
            });
        }
        Ok((plan, charge))
    }

    /// Checks that the current context can grow to hold `end` bytes and prices it.
    #[inline]
    fn plan_growth(&self, end: usize) -> Result<Growth, MemoryError> {
        let new_size = end
            .checked_add(WORD_SIZE - 1)
            .ok_or(MemoryError::MemoryOverflow)?
            & !(WORD_SIZE - 1);
        let total = self
            .current
            .base
            .checked_add(new_size)
            .ok_or(MemoryError::MemoryOverflow)?;
        if total as u64 > self.limit_end {
            return Err(MemoryError::MemoryOverflow);
        }
        // `new_size <= total - head <= limit <= 4 GiB` (`MemoryConfig::validate`): at most
        // 2^27 words, where no valid pricing's cost formula can overflow.
        let words = (new_size / WORD_SIZE) as u64;
        Ok(Growth {
            total,
            cost: self.pricing.cost_within_limit(words),
        })
    }

    /// Reserves room for a planned growth. When the allocation is too small, the memory moves
    /// to a new one ([`reallocate`](Self::reallocate)) and `plan` moves with it.
    #[inline]
    fn reserve_for(&mut self, plan: &mut Growth) -> Result<(), MemoryError> {
        let additional = plan.total - self.buffer.len();
        if self.spare_capacity() >= additional {
            return Ok(());
        }
        let head = self.head;
        self.reallocate(additional)?;
        plan.total = plan.total - head + self.head;
        Ok(())
    }

    /// Grows the allocation to room for `additional` more bytes, amortised as `Vec` does (the
    /// allocation at least doubles, up to what the limit allows), with the root on a 32-byte
    /// boundary again: each context's base moves by the change in `head`. Nothing changes on
    /// error.
    ///
    /// The buffer grows in place (`realloc`), not into a fresh allocation the contexts are
    /// copied to: a large allocation is then remapped rather than copied, its spare room is
    /// never touched, and the old and new buffers are never resident together. Copying into a
    /// fresh allocation made a growing call chain's peak memory twice its contents (measured
    /// on `static_Call1MB1024Calldepth`: 1,010 MB against 558 MB for revm's `SharedMemory`,
    /// whose buffer grows the same way). When the allocation moved to another alignment, the
    /// contexts shift by less than a word within it.
    #[cold]
    #[inline(never)]
    fn reallocate(&mut self, additional: usize) -> Result<(), MemoryError> {
        let used = self.buffer.len() - self.head;
        // Room for a shift of up to a word's padding as well.
        let required = used
            .checked_add(additional)
            .and_then(|n| n.checked_add(WORD_SIZE - 1))
            .ok_or(MemoryError::OutOfMemory)?;
        // Amortised, but never past what the limit lets the contexts use.
        let most = usize::try_from(self.limit())
            .unwrap_or(usize::MAX)
            .saturating_add(WORD_SIZE - 1);
        let capacity = required.max(self.buffer.capacity().saturating_mul(2).min(most));
        self.buffer
            .try_reserve_exact(capacity.saturating_sub(self.buffer.len()))
            .map_err(|_| MemoryError::OutOfMemory)?;
        let old = self.head;
        let head = self.buffer.as_ptr().addr().wrapping_neg() % WORD_SIZE;
        if head == old {
            return Ok(());
        }
        // `capacity >= used + 31 + additional`: the shifted contexts and the growth both fit.
        let len = self.buffer.len();
        if head > old {
            self.buffer.resize(len + (head - old), 0);
            self.buffer.copy_within(old..len, head);
        } else {
            self.buffer.copy_within(old..len, head);
            self.buffer.truncate(len - (old - head));
        }
        let moved = |base: usize| base - old + head;
        self.current.base = moved(self.current.base);
        for parent in &mut self.parents {
            parent.base = moved(parent.base);
        }
        self.set_limit_end(self.limit_end - old as u64 + head as u64);
        self.head = head;
        Ok(())
    }

    /// Applies a planned growth whose room [`reserve_for`](Self::reserve_for) made: new bytes
    /// are zero.
    #[inline(always)]
    fn apply_growth(&mut self, plan: Growth) {
        debug_assert!(self.spare_capacity() >= plan.total - self.buffer.len());
        if plan.total - self.buffer.len() == WORD_SIZE {
            // The common one-word growth (MSTORE past the end): a fixed-size copy, not a call
            // to `memset`.
            self.buffer.extend_from_slice(&[0; WORD_SIZE]);
        } else {
            self.buffer.resize(plan.total, 0);
        }
        self.current.cost = plan.cost;
    }

    /// Absolute buffer range of `[offset, offset + len)` in the current context, if in bounds.
    #[inline]
    pub(crate) fn local_range(
        &self,
        offset: usize,
        len: usize,
    ) -> Result<core::ops::Range<usize>, MemoryError> {
        let end = offset.checked_add(len).ok_or(MemoryError::OutOfBounds)?;
        if end > self.size() {
            return Err(MemoryError::OutOfBounds);
        }
        Ok(self.current.base + offset..self.current.base + end)
    }
}

/// A growth that passed the limit check: the new total buffer length and the new cached cost.
#[derive(Clone, Copy, Debug)]
struct Growth {
    total: usize,
    cost: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gas::{memory_gas_cost, Gas};
    use crate::ConfigError;

    #[test]
    fn new_validates_config() {
        assert_eq!(
            Memory::new(MemoryConfig::with_limit(0)).unwrap_err(),
            MemoryError::InvalidConfig(ConfigError::ZeroLimit)
        );
        let m = Memory::new(MemoryConfig {
            initial_capacity: 4096,
            ..MemoryConfig::with_limit(1 << 20)
        })
        .unwrap();
        assert!(m.capacity() >= 4096);
        assert_eq!(m.size(), 0);
        assert!(m.is_empty());
        assert_eq!(m.limit(), 1 << 20);
    }

    #[test]
    fn expansion_rounds_to_words_and_zero_len_never_expands() {
        let mut m = Memory::default();
        m.expand(usize::MAX, 0).unwrap();
        m.expand(0, 0).unwrap();
        assert_eq!(m.size(), 0);
        m.expand(0, 1).unwrap();
        assert_eq!(m.size(), 32);
        m.expand(31, 1).unwrap();
        assert_eq!(m.size(), 32);
        m.expand(32, 1).unwrap();
        assert_eq!(m.size(), 64);
        m.expand(33, 64).unwrap();
        assert_eq!(m.size(), 128);
        m.expand(0, 10).unwrap();
        assert_eq!(m.size(), 128, "never shrinks");
        assert_eq!(m.words(), 4);
        assert_eq!(m.memory_cost(), memory_gas_cost(4));
        assert!(m.as_slice().iter().all(|&b| b == 0));
    }

    #[test]
    fn expansion_overflow_and_limit() {
        let mut m = Memory::new(MemoryConfig::with_limit(64)).unwrap();
        assert_eq!(m.expand(usize::MAX, 1), Err(MemoryError::MemoryOverflow));
        assert_eq!(
            m.expand(usize::MAX - 5, 1),
            Err(MemoryError::MemoryOverflow)
        );
        assert_eq!(m.expand(64, 1), Err(MemoryError::MemoryOverflow));
        assert_eq!(m.size(), 0);
        m.expand(63, 1).unwrap();
        assert_eq!(m.size(), 64);
        // A limit that is not a word multiple: the rounded size counts.
        let mut m = Memory::new(MemoryConfig::with_limit(40)).unwrap();
        assert_eq!(m.expand(32, 1), Err(MemoryError::MemoryOverflow));
        m.expand(0, 32).unwrap();
    }

    #[test]
    fn expansion_cost_is_priced_from_the_cache() {
        let mut m = Memory::default();
        assert_eq!(m.expansion_cost(0, 0), Ok(0));
        assert_eq!(m.expansion_cost(usize::MAX, 0), Ok(0));
        assert_eq!(m.expansion_cost(0, 1), Ok(3));
        assert_eq!(
            m.expansion_cost(usize::MAX, 1),
            Err(MemoryError::MemoryOverflow)
        );
        m.expand(0, 32 * 10).unwrap();
        assert_eq!(m.expansion_cost(0, 32 * 10), Ok(0));
        assert_eq!(
            m.expansion_cost(0, 32 * 11),
            Ok(memory_gas_cost(11) - memory_gas_cost(10))
        );
        // A huge in-range request saturates instead of overflowing.
        assert_eq!(
            m.expansion_cost(0, usize::MAX - 64),
            Ok(u64::MAX - memory_gas_cost(10))
        );
    }

    #[test]
    fn gas_aware_expansion_charges_exactly_once() {
        let mut m = Memory::default();
        let mut gas = Gas::new(1_000);
        assert_eq!(m.expand_with_gas(0, 0, &mut gas), Ok(0));
        assert_eq!(m.expand_with_gas(0, 32, &mut gas), Ok(3));
        assert_eq!(m.expand_with_gas(0, 32, &mut gas), Ok(0));
        assert_eq!(m.expand_with_gas(10, 50, &mut gas), Ok(3));
        assert_eq!(gas.spent(), 6);
        assert_eq!(m.memory_cost(), 6);
    }

    #[test]
    fn gas_failure_leaves_memory_and_meter_untouched() {
        let mut m = Memory::default();
        m.expand(0, 32).unwrap();
        let mut gas = Gas::new(5);
        let err = m.expand_with_gas(0, 96, &mut gas).unwrap_err();
        assert_eq!(
            err,
            MemoryError::OutOfGas {
                needed: 6,
                remaining: 5
            }
        );
        assert_eq!((m.size(), m.memory_cost(), gas.remaining()), (32, 3, 5));
        // Exactly enough gas succeeds.
        let mut gas = Gas::new(6);
        assert_eq!(m.expand_with_gas(0, 96, &mut gas), Ok(6));
        assert_eq!(gas.remaining(), 0);
    }

    #[test]
    fn limit_is_checked_before_gas() {
        let mut m = Memory::new(MemoryConfig::with_limit(64)).unwrap();
        let mut gas = Gas::new(0);
        assert_eq!(
            m.expand_with_gas(64, 1, &mut gas),
            Err(MemoryError::MemoryOverflow)
        );
        assert_eq!(
            m.expand_with_gas(usize::MAX, 1, &mut gas),
            Err(MemoryError::MemoryOverflow)
        );
        assert!(matches!(
            m.expand_with_gas(0, 1, &mut gas),
            Err(MemoryError::OutOfGas { .. })
        ));
        assert_eq!(m.size(), 0);
    }

    #[test]
    fn buffer_reuse_keeps_the_allocation() {
        let mut m = Memory::new(MemoryConfig::default()).unwrap();
        m.expand(0, 4096).unwrap();
        let cap = m.capacity();
        m.reset();
        assert_eq!((m.size(), m.memory_cost(), m.capacity()), (0, 0, cap));
        let head = m.head;
        let buf = m.into_buffer();
        assert!(buf.is_empty() && buf.capacity() == cap + head);
        let ptr = buf.as_ptr();
        let mut m = Memory::with_buffer(buf, MemoryConfig::default()).unwrap();
        m.expand(0, 4096).unwrap();
        assert_eq!(
            m.all_contexts().as_ptr(),
            ptr.wrapping_add(m.head),
            "no new allocation"
        );
        assert_eq!(m.capacity(), cap);
        assert!(m.as_slice().iter().all(|&b| b == 0));
    }

    #[test]
    fn contexts_start_on_word_boundaries_across_reallocations() {
        let aligned = |m: &Memory| m.as_slice().as_ptr().addr() % WORD_SIZE == 0;
        // Miri runs fewer of them (each step is slow there).
        let (capacities, steps): (&[usize], usize) = if cfg!(miri) {
            (&[0, 33], 16)
        } else {
            (&[0, 1, 31, 32, 33, 100, 4096], 40)
        };
        for &initial_capacity in capacities {
            let buffer = Vec::with_capacity(initial_capacity);
            let mut m = Memory::with_buffer(
                buffer,
                MemoryConfig {
                    initial_capacity,
                    ..MemoryConfig::with_limit(1 << 20)
                },
            )
            .unwrap();
            assert!(m.capacity() >= initial_capacity);
            let mut gas = Gas::new(u64::MAX);
            let mut expected = Vec::new();
            // Grow by uneven steps through many reallocations, with a child context open
            // across some of them; every byte written must survive every move.
            for step in 0..steps {
                let offset = m.size() + (step % 3) * 32;
                let byte = step as u8 + 1;
                m.expand_with_gas(offset, 32 * (1 + step % 4), &mut gas)
                    .unwrap();
                m.store_byte(offset, byte).unwrap();
                expected.resize(m.size(), 0);
                expected[offset] = byte;
                assert!(aligned(&m), "root misaligned after step {step}");
                assert_eq!(m.as_slice(), &expected[..]);
                if step % 10 == 5 {
                    let cp = m.enter_child().unwrap();
                    // Past the allocation: the copy reallocates, and its source (the parent's
                    // byte) moves with the contexts.
                    let capacity = m.capacity();
                    let len = capacity - m.total_size() + 64;
                    if step % 20 == 5 {
                        m.set_data_from_parent_with_gas(0, 0, len, offset, 1, &mut gas)
                    } else {
                        m.set_data_from_parent(0, 0, len, offset, 1)
                    }
                    .unwrap();
                    assert!(m.capacity() > capacity, "no reallocation at step {step}");
                    assert!(aligned(&m), "child misaligned after step {step}");
                    assert_eq!(m.load_byte(0).unwrap(), byte);
                    assert!(m.slice(1, len - 1).unwrap().iter().all(|&b| b == 0));
                    m.exit_child(cp).unwrap();
                    assert_eq!(m.as_slice(), &expected[..], "parent after child {step}");
                }
            }
            assert_eq!(m.total_size(), m.size());
            assert_eq!(m.limit(), 1 << 20);
        }
    }

    #[test]
    fn reallocation_never_reserves_past_the_limit() {
        let mut m = Memory::new(MemoryConfig::with_limit(1000)).unwrap();
        for end in (32..=992).step_by(32) {
            m.expand(0, end).unwrap();
            assert!(
                m.capacity() <= 1000 + WORD_SIZE,
                "{} at {end}",
                m.capacity()
            );
        }
    }

    #[test]
    fn debug_shows_the_state_and_a_hex_head_and_tail_of_the_current_context() {
        let mut m = Memory::new(MemoryConfig {
            initial_capacity: 4096,
            ..MemoryConfig::with_limit(1 << 20)
        })
        .unwrap();
        assert_eq!(
            format!("{m:?}"),
            "Memory { size: 0, depth: 0, limit: 1048576, total_size: 0, memory_cost: 0, \
             context_sizes: [0], current: 0x }"
        );
        // A parent whose bytes must not show, then a child of three words (shown whole up to
        // two words, head and tail beyond).
        m.copy_from_slice(0, &[0xEE; 64]).unwrap();
        let _child = m.enter_child().unwrap();
        m.copy_from_slice(0, &[0x11, 0x22]).unwrap();
        let head = format!("1122{}", "00".repeat(30));
        assert_eq!(
            format!("{m:?}"),
            format!(
                "Memory {{ size: 32, depth: 1, limit: 1048576, total_size: 96, \
                 memory_cost: 3, context_sizes: [64, 32], current: 0x{head} }}"
            )
        );
        m.store_byte(95, 0xFF).unwrap();
        let tail = format!("{}ff", "00".repeat(31));
        let shown = format!("{m:?}");
        assert_eq!(
            shown,
            format!(
                "Memory {{ size: 96, depth: 1, limit: 1048576, total_size: 160, \
                 memory_cost: 9, context_sizes: [64, 96], current: 0x{head} …32 bytes… {tail} }}"
            )
        );
        assert!(!shown.contains("ee"), "a parent's bytes leaked: {shown}");
        // The alternate form puts one field on a line.
        let pretty = format!("{m:#?}");
        assert!(pretty.contains("\n    depth: 1,\n"), "{pretty}");
        assert!(pretty.contains("\n        64,\n        96,\n"), "{pretty}");
        // Deep memories list every context; the output stays a line per context in `{:#?}`.
        let mut deep = Memory::default();
        for _ in 0..1024 {
            let _ = deep.enter_child().unwrap();
        }
        assert!(format!("{deep:?}").contains("depth: 1024"));
        assert_eq!(format!("{deep:#?}").lines().count(), 1025 + 10);
    }

    #[test]
    fn any_pricing_is_charged_and_cached_exactly() {
        let pricings = [
            MemoryPricing::MAINNET,
            MemoryPricing {
                word_cost: 1,
                quadratic_denominator: 256,
            },
            MemoryPricing {
                word_cost: 8,
                quadratic_denominator: 1024,
            },
            // Not a power of two: priced with a division.
            MemoryPricing {
                word_cost: 5,
                quadratic_denominator: 700,
            },
            MemoryPricing {
                word_cost: 0,
                quadratic_denominator: 1,
            },
            MemoryPricing {
                word_cost: MemoryPricing::MAX_WORD_COST,
                quadratic_denominator: u64::MAX,
            },
        ];
        for pricing in pricings {
            let config = MemoryConfig::with_limit(1 << 20).with_pricing(pricing);
            let mut m = Memory::new(config).unwrap();
            assert_eq!(m.pricing(), pricing);
            let mut gas = Gas::new(u64::MAX);
            let check = |m: &Memory, gas: &Gas, what: &str| {
                let words = m.words() as u64;
                assert_eq!(
                    m.memory_cost(),
                    pricing.memory_cost(words),
                    "{pricing:?}: {what}"
                );
                // The root's charges add up to its cost (children pay their own).
                if m.depth() == 0 {
                    assert_eq!(gas.spent(), m.memory_cost(), "{pricing:?}: {what}");
                }
            };
            // One-word growths (the short path), a big one (the general path), the fused
            // copies' growth, and a child that prices from zero words.
            for i in 0..40 {
                let before = pricing.expansion_cost(m.size() as u64, (32 * i + 32) as u64);
                let quote = m.expansion_cost(32 * i, 32).unwrap();
                assert_eq!(quote, before, "{pricing:?}: quote at word {i}");
                let spent = gas.spent();
                m.store_u256_with_gas(32 * i, ruint::aliases::U256::from(i), &mut gas)
                    .unwrap();
                assert_eq!(gas.spent() - spent, before, "{pricing:?}: word {i}");
                check(&m, &gas, "walking up");
            }
            m.expand_with_gas(0, 100_000, &mut gas).unwrap();
            check(&m, &gas, "a big growth");
            m.set_data_with_gas(100_000, 0, 5_000, &[7; 64], &mut gas)
                .unwrap();
            check(&m, &gas, "a growing data copy");
            m.copy_with_gas(200_000, 0, 64, &mut gas).unwrap();
            check(&m, &gas, "a growing MCOPY");
            let parent_cost = m.memory_cost();
            let cp = m.enter_child().unwrap();
            m.set_data_from_parent_with_gas(0, 0, 3_000, 0, 64, &mut gas)
                .unwrap();
            check(&m, &gas, "a child's CALLDATACOPY");
            m.expand(0, 50_000).unwrap();
            check(&m, &gas, "a plain expansion");
            m.exit_child(cp).unwrap();
            assert_eq!(m.memory_cost(), parent_cost, "{pricing:?}");
            // A budget one short of the charge fails and changes nothing.
            let need = m.expansion_cost(0, m.size() + 1).unwrap();
            let mut poor = Gas::new(need - 1);
            assert!(
                matches!(
                    m.expand_with_gas(0, m.size() + 1, &mut poor),
                    Err(MemoryError::OutOfGas { .. })
                ) || need == 0
            );
        }
    }

    #[test]
    fn invalid_pricing_is_a_config_error() {
        let zero = MemoryPricing {
            word_cost: 3,
            quadratic_denominator: 0,
        };
        assert_eq!(
            Memory::new(MemoryConfig::default().with_pricing(zero)).unwrap_err(),
            MemoryError::InvalidConfig(ConfigError::ZeroQuadraticDenominator)
        );
        let m = Memory::new(MemoryConfig::default().with_pricing(MemoryPricing {
            word_cost: 2,
            quadratic_denominator: 1024,
        }))
        .unwrap();
        assert!(format!("{m:?}")
            .contains("pricing: MemoryPricing { word_cost: 2, quadratic_denominator: 1024 }"));
        assert!(!format!("{:?}", Memory::default()).contains("pricing"));
    }

    #[test]
    fn reset_zeroes_what_was_written() {
        let mut m = Memory::default();
        m.expand(0, 64).unwrap();
        m.buffer.fill(0xAA);
        m.reset();
        m.expand(0, 64).unwrap();
        assert!(m.as_slice().iter().all(|&b| b == 0));
    }
}
