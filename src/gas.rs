//! Memory expansion gas: the Yellow Paper's `C_mem(a) = 3·a + ⌊a²/512⌋` over word counts, the
//! cost of growing from one size to another, and the [`GasMeter`] a gas-aware expansion charges.
//!
//! Every function here is total: inputs of any size give a result, saturating at `u64::MAX`
//! where the true cost does not fit (far beyond any reachable gas limit).

/// Bytes in an EVM word.
pub const WORD_SIZE: usize = 32;
/// Linear gas per word of memory (`G_memory`).
pub const MEMORY_WORD_GAS: u64 = 3;
/// Divisor of the quadratic term.
pub const QUADRATIC_DENOMINATOR: u64 = 512;

/// Number of 32-byte words needed to hold `size` bytes: `⌈size / 32⌉`, without overflow.
#[inline]
pub const fn num_words(size: u64) -> u64 {
    size / 32 + (size % 32 != 0) as u64
}

/// [`memory_gas_cost`] for `words <= u32::MAX`, where it cannot overflow: words² < 2^64,
/// 3·words < 2^34 and the quadratic term < 2^55. Callers that know the bound (a size under the
/// 4 GiB limit) skip the range check.
#[inline]
pub(crate) const fn small_memory_gas_cost(words: u64) -> u64 {
    MEMORY_WORD_GAS * words + (words * words) / QUADRATIC_DENOMINATOR
}

/// Total memory gas for a memory of `words` words: `3·words + ⌊words²/512⌋`, saturating.
#[inline]
pub const fn memory_gas_cost(words: u64) -> u64 {
    if words <= u32::MAX as u64 {
        return small_memory_gas_cost(words);
    }
    let w = words as u128;
    let cost = (MEMORY_WORD_GAS as u128) * w + (w * w) / (QUADRATIC_DENOMINATOR as u128);
    if cost > u64::MAX as u128 {
        u64::MAX
    } else {
        cost as u64
    }
}

/// Gas to grow memory from `old_size` to `new_size` bytes (each rounded up to whole words);
/// zero when the new size is not larger.
#[inline]
pub const fn expansion_gas_cost(old_size: u64, new_size: u64) -> u64 {
    let old_words = num_words(old_size);
    let new_words = num_words(new_size);
    if new_words <= old_words {
        return 0;
    }
    memory_gas_cost(new_words).saturating_sub(memory_gas_cost(old_words))
}

/// Something that can pay for memory expansion.
///
/// [`Memory::expand_with_gas`](crate::Memory::expand_with_gas) reads
/// [`remaining`](GasMeter::remaining) and calls [`consume`](GasMeter::consume) only once the
/// expansion is certain to succeed, with an amount no larger than `remaining()`.
pub trait GasMeter {
    /// Gas still available.
    fn remaining(&self) -> u64;
    /// Takes `amount` gas; the caller guarantees `amount <= self.remaining()`.
    fn consume(&mut self, amount: u64);
}

/// A plain gas meter: a limit and what is left of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Gas {
    limit: u64,
    remaining: u64,
}

impl Gas {
    /// A meter holding `limit` gas.
    pub const fn new(limit: u64) -> Self {
        Self {
            limit,
            remaining: limit,
        }
    }

    /// The gas the meter started with.
    pub const fn limit(&self) -> u64 {
        self.limit
    }

    /// Gas spent so far.
    pub const fn spent(&self) -> u64 {
        self.limit - self.remaining
    }
}

impl GasMeter for Gas {
    #[inline]
    fn remaining(&self) -> u64 {
        self.remaining
    }

    #[inline]
    fn consume(&mut self, amount: u64) {
        self.remaining = self.remaining.saturating_sub(amount);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_rounding() {
        assert_eq!(num_words(0), 0);
        assert_eq!(num_words(1), 1);
        assert_eq!(num_words(31), 1);
        assert_eq!(num_words(32), 1);
        assert_eq!(num_words(33), 2);
        assert_eq!(num_words(u64::MAX), (u64::MAX >> 5) + 1);
    }

    #[test]
    fn known_costs() {
        assert_eq!(memory_gas_cost(0), 0);
        assert_eq!(memory_gas_cost(1), 3);
        assert_eq!(memory_gas_cost(32), 96 + 2);
        assert_eq!(memory_gas_cost(1024), 3072 + 2048);
        // 4 GiB = 2^27 words: 3·2^27 + 2^54/2^9.
        assert_eq!(memory_gas_cost(1 << 27), 3 * (1 << 27) + (1 << 45));
    }

    #[test]
    fn fast_and_wide_paths_agree_at_the_seam() {
        for w in [u32::MAX as u64 - 1, u32::MAX as u64, u32::MAX as u64 + 1] {
            let wide = 3 * (w as u128) + (w as u128 * w as u128) / 512;
            assert_eq!(memory_gas_cost(w) as u128, wide.min(u64::MAX as u128));
        }
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        assert_eq!(memory_gas_cost(u64::MAX), u64::MAX);
        assert_eq!(memory_gas_cost(1 << 40), u64::MAX);
        assert_eq!(expansion_gas_cost(0, u64::MAX), u64::MAX);
        assert_eq!(expansion_gas_cost(u64::MAX, u64::MAX), 0);
        assert_eq!(expansion_gas_cost(u64::MAX - 1, u64::MAX), 0);
    }

    #[test]
    fn expansion_is_difference_of_totals() {
        assert_eq!(expansion_gas_cost(0, 1), 3);
        assert_eq!(expansion_gas_cost(32, 32), 0);
        assert_eq!(expansion_gas_cost(64, 32), 0);
        assert_eq!(expansion_gas_cost(32, 33), 3);
        assert_eq!(
            expansion_gas_cost(32 * 100, 32 * 2000),
            memory_gas_cost(2000) - memory_gas_cost(100)
        );
    }

    #[test]
    fn gas_meter_counts() {
        let mut g = Gas::new(10);
        g.consume(4);
        assert_eq!((g.limit(), g.remaining(), g.spent()), (10, 6, 4));
        g.consume(100);
        assert_eq!(g.remaining(), 0);
    }
}
