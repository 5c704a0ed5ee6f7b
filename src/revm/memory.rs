//! [`EvmMemory`]: our [`Memory`] behind revm's `MemoryTr`, the trait revm's instructions use.
//!
//! revm's instructions charge expansion gas themselves (`resize_memory`, with the frame's `Gas`)
//! and then call `resize`; every other call addresses bytes the instruction has just made sure
//! are inside the current context. The adapter therefore uses the memory's non-expanding
//! accesses, one bounds check each, and treats a range outside the context as the broken
//! caller invariant it is: a panic with a clear message (revm's own `SharedMemory` makes the
//! same case undefined behaviour in release builds).
//!
//! `MemoryTr::slice` and `global_slice` return `core::cell::Ref`, so the memory sits in a
//! `RefCell`. It is not shared: one [`Memory`] serves a whole transaction and moves from frame
//! to frame (see the frame module), so the calls that take `&mut self` reach it through
//! `RefCell::get_mut`, without a runtime borrow check, and only the read-only views pay one.

use core::cell::{Ref, RefCell};
use core::ops::Range;

use revm_context_interface::cfg::gas_params::{GasId, GasParams};
use revm_context_interface::Cfg;
use revm_interpreter::interpreter_types::MemoryTr;

use crate::config::{MemoryConfig, MAX_MEMORY_LIMIT};
use crate::error::MemoryError;
use crate::gas::{MemoryPricing, WORD_SIZE};
use crate::memory::Memory;
use crate::plain::copy_padded;

/// Our [`Memory`] as revm's interpreter memory (`InterpreterTypes::Memory`).
///
/// ```
/// use evm_memory::revm::EvmMemory;
/// use revm_interpreter::interpreter_types::MemoryTr;
///
/// let mut memory = EvmMemory::default();
/// assert!(memory.resize(64)); // what revm's `resize_memory` does after charging gas
/// memory.set(32, &[0xAB; 32]);
/// assert_eq!(&*memory.slice(32..64), &[0xAB; 32]);
/// assert_eq!(memory.size(), 64);
/// ```
#[derive(Debug)]
pub struct EvmMemory {
    /// Boxed, so that moving the memory from frame to frame moves a pointer.
    slot: Box<Slot>,
}

/// What an [`EvmMemory`] holds.
#[derive(Debug)]
struct Slot {
    memory: RefCell<Memory>,
    /// The limit revm's `limit_reached` checks against: revm's configured limit, which may be
    /// above what the memory itself can hold (see [`EvmMemory::set_limit`]).
    limit: u64,
}

impl Default for EvmMemory {
    fn default() -> Self {
        Self::new(Memory::default())
    }
}

impl EvmMemory {
    /// Wraps `memory` (with whatever contexts it has open); the limit revm checks is the
    /// memory's own.
    pub fn new(memory: Memory) -> Self {
        let limit = memory.limit();
        Self {
            slot: Box::new(Slot {
                memory: RefCell::new(memory),
                limit,
            }),
        }
    }

    /// Swaps the buffer that holds every open context with `other` and returns where global
    /// offset 0 (the root context's start) is in that buffer. Until a second call swaps them
    /// back, the memory must not be used: its bookkeeping describes the buffer it gave away.
    /// For [`LentBuffer`](super::frame::LentBuffer) only.
    pub(crate) fn swap_buffer(&mut self, other: &mut Vec<u8>) -> usize {
        let memory = self.slot.memory.get_mut();
        core::mem::swap(&mut memory.buffer, other);
        memory.head
    }

    /// The memory inside.
    pub fn into_inner(self) -> Memory {
        self.slot.memory.into_inner()
    }

    /// Sets the limit `limit_reached` checks against to revm's configured one
    /// (`Cfg::memory_limit`). The memory's own limit is that one capped at 4 GiB
    /// ([`config_for_limit`]); with a higher revm limit, an expansion past 4 GiB passes this
    /// check, as in revm, and then fails on gas (it costs more than 2^45) or, given that much
    /// gas, in `resize` — both a memory out-of-gas, as revm reports it.
    pub fn set_limit(&mut self, revm_limit: u64) {
        self.slot.limit = revm_limit;
    }

    /// The memory inside, for reading (a runtime-checked borrow).
    pub fn memory(&self) -> Ref<'_, Memory> {
        self.slot.memory.borrow()
    }

    /// The memory inside, for any use (no runtime check: `&mut self` is proof enough).
    pub fn memory_mut(&mut self) -> &mut Memory {
        self.slot.memory.get_mut()
    }

    /// Takes the memory out, leaving an empty one (which allocates nothing) in its place.
    pub fn take(&mut self) -> Memory {
        core::mem::take(self.slot.memory.get_mut())
    }

    /// Puts `memory` in, returning the one that was there.
    pub fn replace(&mut self, memory: Memory) -> Memory {
        core::mem::replace(self.slot.memory.get_mut(), memory)
    }
}

/// The memory configuration for a revm limit (`Cfg::memory_limit`): our limit has the same
/// meaning (bytes of the whole shared buffer, parents included) but is at most
/// [`MAX_MEMORY_LIMIT`] (4 GiB) and at least one byte. Expanding past 4 GiB costs more than
/// 2^45 gas, so the cap only matters for a limit that gas could never reach; a zero limit and a
/// one-byte limit both refuse every expansion, since memory grows by whole words.
pub fn config_for_limit(revm_limit: u64) -> MemoryConfig {
    MemoryConfig::with_limit(revm_limit.clamp(1, MAX_MEMORY_LIMIT))
}

/// Our memory's pricing for revm's `GasParams`: `memory_linear_cost` gas per word and
/// `memory_quadratic_reduction` as the quadratic term's divisor, the two parameters of revm's
/// `GasParams::memory_cost`. `None` when our memory cannot price that way: a zero divisor (revm's
/// formula would divide by zero) or a word cost above [`MemoryPricing::MAX_WORD_COST`].
pub fn pricing_for_gas_params(params: &GasParams) -> Option<MemoryPricing> {
    let pricing = MemoryPricing {
        word_cost: params.get(GasId::memory_linear_cost()),
        quadratic_denominator: params.get(GasId::memory_quadratic_reduction()),
    };
    pricing.validate().ok().map(|()| pricing)
}

/// The memory configuration for a revm configuration: the limit of [`config_for_limit`] and
/// the memory pricing of its `GasParams` ([`pricing_for_gas_params`]; mainnet's when our
/// memory cannot price that way).
///
/// Inside [`MemoryEvm`](super::MemoryEvm) revm's own `Gas` charges every expansion, from the
/// same `GasParams`; the cost our memory caches is then not charged from, but it follows the
/// same pricing, so that [`Memory::memory_cost`] means what revm charged for the current frame.
pub fn config_for_cfg<C: Cfg + ?Sized>(cfg: &C) -> MemoryConfig {
    let pricing = pricing_for_gas_params(cfg.gas_params()).unwrap_or_default();
    config_for_limit(cfg.memory_limit()).with_pricing(pricing)
}

/// The panic of a broken caller invariant: revm hands the memory only ranges it has expanded
/// over (this is `MemoryTr`'s documented contract).
#[cold]
#[inline(never)]
#[track_caller]
fn outside_context(what: &str, range: Range<usize>, error: MemoryError) -> ! {
    panic!("MemoryTr::{what}: {range:?} is outside the memory ({error}); revm expands before every access")
}

impl MemoryTr for EvmMemory {
    /// # Panics
    /// When `[memory_offset, memory_offset + len)` is outside the current context.
    #[inline]
    #[track_caller]
    fn set_data(&mut self, memory_offset: usize, data_offset: usize, len: usize, data: &[u8]) {
        match self.slot.memory.get_mut().slice_mut(memory_offset, len) {
            Ok(dst) => copy_padded(dst, data, data_offset),
            Err(e) => outside_context(
                "set_data",
                memory_offset..memory_offset.saturating_add(len),
                e,
            ),
        }
    }

    /// # Panics
    /// When the destination is outside the current context, or a non-empty `data_range` is not
    /// wholly inside the parents' memory.
    #[inline]
    #[track_caller]
    fn set_data_from_global(
        &mut self,
        memory_offset: usize,
        data_offset: usize,
        len: usize,
        data_range: Range<usize>,
    ) {
        if let Err(e) = self.slot.memory.get_mut().set_data_from_below(
            memory_offset,
            data_offset,
            len,
            data_range.clone(),
        ) {
            outside_context("set_data_from_global", data_range, e)
        }
    }

    /// # Panics
    /// When a non-empty `range` is outside the open contexts.
    #[inline]
    #[track_caller]
    fn global_slice(&self, range: Range<usize>) -> Ref<'_, [u8]> {
        Ref::map(self.slot.memory.borrow(), |m| {
            if range.is_empty() {
                return &[][..];
            }
            match m.all_contexts().get(range.clone()) {
                Some(bytes) => bytes,
                None => outside_context("global_slice", range, MemoryError::OutOfBounds),
            }
        })
    }

    #[inline]
    fn local_memory_offset(&self) -> usize {
        self.slot.memory.borrow().context_offset()
    }

    /// # Panics
    /// When `[memory_offset, memory_offset + data.len())` is outside the current context.
    #[inline]
    #[track_caller]
    fn set(&mut self, memory_offset: usize, data: &[u8]) {
        match self
            .slot
            .memory
            .get_mut()
            .slice_mut(memory_offset, data.len())
        {
            Ok(dst) => dst.copy_from_slice(data),
            Err(e) => outside_context(
                "set",
                memory_offset..memory_offset.saturating_add(data.len()),
                e,
            ),
        }
    }

    #[inline]
    fn size(&self) -> usize {
        self.slot.memory.borrow().size()
    }

    /// # Panics
    /// When either range is outside the current context.
    #[inline]
    #[track_caller]
    fn copy(&mut self, destination: usize, source: usize, len: usize) {
        if len == 0 {
            return;
        }
        let memory = self.slot.memory.get_mut();
        let end = destination.max(source).saturating_add(len);
        match memory.slice_mut(0, end) {
            Ok(context) => context.copy_within(source..source + len, destination),
            Err(e) => outside_context("copy", destination.min(source)..end, e),
        }
    }

    /// # Panics
    /// When a non-empty `range` is outside the current context.
    #[inline]
    #[track_caller]
    fn slice(&self, range: Range<usize>) -> Ref<'_, [u8]> {
        Ref::map(self.slot.memory.borrow(), |m| {
            let len = range.end.saturating_sub(range.start);
            match m.slice(range.start, len) {
                Ok(bytes) if range.start <= range.end => bytes,
                Ok(_) => outside_context("slice", range, MemoryError::OutOfBounds),
                Err(e) => outside_context("slice", range, e),
            }
        })
    }

    /// Grows the current context with zeros to `new_size` bytes (revm asks for whole words);
    /// `false`, with nothing changed, when the limit or the allocator refuses.
    #[inline]
    fn resize(&mut self, new_size: usize) -> bool {
        self.slot.memory.get_mut().expand(0, new_size).is_ok()
    }

    #[inline]
    fn limit_reached(&self, new_words: usize) -> bool {
        (self.slot.memory.borrow().context_offset() as u64)
            .saturating_add((new_words as u64).saturating_mul(WORD_SIZE as u64))
            > self.slot.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use revm_interpreter::SharedMemory;

    /// The adapter and revm's `SharedMemory` give the same bytes, sizes and offsets for the
    /// calls revm's instructions make, across a child context.
    #[test]
    fn behaves_as_shared_memory_across_a_child() {
        let mut ours = EvmMemory::new(Memory::new(config_for_limit(1 << 20)).unwrap());
        let mut revm = SharedMemory::new_with_memory_limit(1 << 20);
        fn drive(m: &mut impl MemoryTr) -> Vec<u8> {
            assert!(m.resize(96));
            m.set(3, &[1, 2, 3, 4, 5]);
            m.set_data(40, 2, 20, b"calldata!");
            m.copy(10, 0, 40);
            let mut seen = m.slice(0..96).to_vec();
            seen.extend_from_slice(&m.slice_len(90, 6));
            seen.push(m.size() as u8);
            seen
        }
        assert_eq!(drive(&mut ours), drive(&mut revm));
        assert!(!ours.limit_reached(1 << 15) && !revm.limit_reached(1 << 15));
        assert!(ours.limit_reached((1 << 15) + 1) && revm.limit_reached((1 << 15) + 1));

        // A child: empty, at the parent's end; it reads the parent's bytes as calldata.
        let checkpoint = ours.memory_mut().enter_child().unwrap();
        let mut revm_child = revm.new_child_context();
        for m in [&mut ours as &mut dyn Probe, &mut revm_child] {
            assert_eq!((m.size_(), m.offset()), (0, 96));
        }
        fn child(m: &mut impl MemoryTr) -> Vec<u8> {
            assert!(m.resize(64));
            m.set_data_from_global(0, 1, 40, 3..20);
            m.set_data_from_global(40, 0, 8, usize::MAX..usize::MAX);
            let mut seen = m.slice(0..64).to_vec();
            seen.extend_from_slice(&m.global_slice(0..8));
            seen
        }
        assert_eq!(child(&mut ours), child(&mut revm_child));
        assert!(ours.limit_reached((1 << 15) - 2)); // the parent's 3 words count
        assert!(revm_child.limit_reached((1 << 15) - 2));
        ours.memory_mut().exit_child(checkpoint).unwrap();
        revm.free_child_context();
        assert_eq!(&*ours.slice(0..96), &*revm.slice(0..96));
    }

    trait Probe {
        fn size_(&self) -> usize;
        fn offset(&self) -> usize;
    }
    impl<M: MemoryTr> Probe for M {
        fn size_(&self) -> usize {
            self.size()
        }
        fn offset(&self) -> usize {
            self.local_memory_offset()
        }
    }

    #[test]
    fn empty_ranges_are_in_bounds_anywhere() {
        let mut m = EvmMemory::default();
        m.set(usize::MAX, &[]);
        m.set_data(usize::MAX, 0, 0, b"x");
        m.copy(usize::MAX, 7, 0);
        assert!(m.slice(usize::MAX..usize::MAX).is_empty());
        assert!(m.global_slice(5..5).is_empty());
        assert_eq!(m.size(), 0);
    }

    #[test]
    fn resize_respects_the_limit_and_changes_nothing_when_refused() {
        let mut m = EvmMemory::new(Memory::new(config_for_limit(64)).unwrap());
        assert!(m.resize(64));
        assert!(!m.resize(96));
        assert_eq!(m.size(), 64);
        assert!(m.limit_reached(3) && !m.limit_reached(2));
        assert_eq!(config_for_limit(0).memory_limit, 1);
        assert_eq!(config_for_limit(u64::MAX).memory_limit, MAX_MEMORY_LIMIT);
    }

    #[test]
    fn pricing_follows_the_gas_params() {
        use revm_context::CfgEnv;

        let mainnet = CfgEnv::<revm_primitives::hardfork::SpecId>::default();
        assert_eq!(config_for_cfg(&mainnet).pricing, MemoryPricing::MAINNET);
        let mut params = mainnet.gas_params.clone();
        params.override_gas([
            (GasId::memory_linear_cost(), 7),
            (GasId::memory_quadratic_reduction(), 1024),
        ]);
        let cfg = mainnet.clone().with_gas_params(params.clone());
        let config = config_for_cfg(&cfg);
        let pricing = MemoryPricing {
            word_cost: 7,
            quadratic_denominator: 1024,
        };
        assert_eq!(config.pricing, pricing);
        // Our pricing is revm's formula, word count for word count.
        for words in [0usize, 1, 31, 1024, 1 << 20, 1 << 27] {
            assert_eq!(pricing.memory_cost(words as u64), params.memory_cost(words));
        }
        // A divisor of zero cannot price: mainnet's stays.
        params.override_gas([(GasId::memory_quadratic_reduction(), 0)]);
        assert_eq!(pricing_for_gas_params(&params), None);
        let cfg = mainnet.with_gas_params(params);
        assert_eq!(config_for_cfg(&cfg).pricing, MemoryPricing::MAINNET);
    }

    #[test]
    #[should_panic(expected = "MemoryTr::set: 30..62 is outside the memory")]
    fn an_unexpanded_write_is_a_clear_panic() {
        let mut m = EvmMemory::default();
        assert!(m.resize(32));
        m.set(30, &[0; 32]);
    }

    #[test]
    #[should_panic(expected = "MemoryTr::global_slice")]
    fn a_global_read_past_the_contexts_is_a_clear_panic() {
        let m = EvmMemory::default();
        let _ = m.global_slice(0..1);
    }
}
