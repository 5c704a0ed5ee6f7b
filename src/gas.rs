//! Memory expansion gas: `C_mem(a) = word_cost·a + ⌊a²/quadratic_denominator⌋` over word
//! counts ([`MemoryPricing`]; the Yellow Paper's is `3·a + ⌊a²/512⌋`), the cost of growing from
//! one size to another, and the [`GasMeter`] a gas-aware expansion charges.
//!
//! Every public function here is total: inputs of any size give a result, saturating at
//! `u64::MAX` where the true cost does not fit (far beyond any reachable gas limit).

use crate::error::ConfigError;

/// Bytes in an EVM word.
pub const WORD_SIZE: usize = 32;
/// Linear gas per word of memory on mainnet (`G_memory`).
pub const MEMORY_WORD_GAS: u64 = 3;
/// Divisor of the quadratic term on mainnet.
pub const QUADRATIC_DENOMINATOR: u64 = 512;

/// Most words a memory under the largest limit (4 GiB) can hold: every cost a [`Memory`]
/// caches is of at most this many words.
///
/// [`Memory`]: crate::Memory
pub(crate) const MAX_WORDS: u64 = crate::config::MAX_MEMORY_LIMIT / WORD_SIZE as u64;

/// Number of 32-byte words needed to hold `size` bytes: `⌈size / 32⌉`, without overflow.
#[inline]
pub const fn num_words(size: u64) -> u64 {
    size / 32 + (size % 32 != 0) as u64
}

/// How memory is priced: a memory of `w` words costs
/// `word_cost·w + ⌊w² / quadratic_denominator⌋` gas in total, and an expansion costs the
/// difference of the totals. Mainnet's (the default) is `3·w + ⌊w²/512⌋`; a chain or a fork
/// that prices memory differently sets its own in [`MemoryConfig`](crate::MemoryConfig), as
/// revm takes `memory_linear_cost` and `memory_quadratic_reduction` from its `GasParams`.
///
/// ```
/// use evm_memory::{Gas, Memory, MemoryConfig, MemoryPricing};
///
/// let pricing = MemoryPricing { word_cost: 2, quadratic_denominator: 1024 };
/// assert_eq!(pricing.memory_cost(1024), 2 * 1024 + 1024);
///
/// let mut memory = Memory::new(MemoryConfig::default().with_pricing(pricing))?;
/// let mut gas = Gas::new(10_000);
/// assert_eq!(memory.expand_with_gas(0, 32 * 1024, &mut gas)?, 3072);
/// assert_eq!(memory.memory_cost(), 3072);
/// # Ok::<(), evm_memory::MemoryError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryPricing {
    /// Gas per word of memory (`G_memory`): 0 to [`MAX_WORD_COST`](Self::MAX_WORD_COST).
    pub word_cost: u64,
    /// Divisor of the quadratic term: at least 1. A power of two (mainnet's 512) is priced with
    /// a shift, any other value with a division.
    pub quadratic_denominator: u64,
}

impl Default for MemoryPricing {
    /// [`MemoryPricing::MAINNET`].
    fn default() -> Self {
        Self::MAINNET
    }
}

impl MemoryPricing {
    /// Ethereum mainnet's memory pricing, the Yellow Paper's `3·w + ⌊w²/512⌋`.
    pub const MAINNET: Self = Self {
        word_cost: MEMORY_WORD_GAS,
        quadratic_denominator: QUADRATIC_DENOMINATOR,
    };

    /// The largest word cost a configuration accepts, `2^32 - 1` (mainnet's is 3): with it the
    /// cost of any memory under the 4 GiB limit stays below `2^60`, so that the cost a memory
    /// caches is exact in 64 bits.
    pub const MAX_WORD_COST: u64 = u32::MAX as u64;

    /// Checks that a memory can be priced this way.
    ///
    /// # Errors
    /// [`ConfigError::ZeroQuadraticDenominator`] for a zero denominator,
    /// [`ConfigError::WordCostTooLarge`] for a word cost above
    /// [`MAX_WORD_COST`](Self::MAX_WORD_COST).
    pub const fn validate(&self) -> Result<(), ConfigError> {
        if self.quadratic_denominator == 0 {
            return Err(ConfigError::ZeroQuadraticDenominator);
        }
        if self.word_cost > Self::MAX_WORD_COST {
            return Err(ConfigError::WordCostTooLarge {
                word_cost: self.word_cost,
            });
        }
        Ok(())
    }

    /// Total memory gas of a memory of `words` words, saturating at `u64::MAX`. A zero
    /// denominator (which [`validate`](Self::validate) rejects) prices any non-empty memory at
    /// `u64::MAX`.
    #[inline]
    pub const fn memory_cost(&self, words: u64) -> u64 {
        if self.quadratic_denominator == 0 {
            return if words == 0 { 0 } else { u64::MAX };
        }
        let w = words as u128;
        // Each term is below 2^128: w < 2^64 and word_cost < 2^64; their sum may not be.
        let linear = self.word_cost as u128 * w;
        let quadratic = (w * w) / self.quadratic_denominator as u128;
        match linear.checked_add(quadratic) {
            Some(cost) if cost <= u64::MAX as u128 => cost as u64,
            _ => u64::MAX,
        }
    }

    /// Gas to grow a memory from `old_size` to `new_size` bytes (each rounded up to whole
    /// words), saturating at `u64::MAX`; zero when the new size is not larger.
    ///
    /// The difference is taken exactly, not between the two saturated totals: growing by a
    /// word between two sizes whose totals are both above `u64::MAX` still costs what that word
    /// costs. A zero denominator (which [`validate`](Self::validate) rejects) prices the first
    /// growth at `u64::MAX` and any later one at nothing, as its totals do.
    #[inline]
    pub const fn expansion_cost(&self, old_size: u64, new_size: u64) -> u64 {
        let old_words = num_words(old_size);
        let new_words = num_words(new_size);
        if new_words <= old_words {
            return 0;
        }
        if self.quadratic_denominator == 0 {
            return self
                .memory_cost(new_words)
                .saturating_sub(self.memory_cost(old_words));
        }
        let (old, new) = (old_words as u128, new_words as u128);
        let denominator = self.quadratic_denominator as u128;
        // Each term is below 2^128 (`new < 2^64`, `word_cost < 2^64`); their sum may not be.
        let linear = self.word_cost as u128 * (new - old);
        let quadratic = new * new / denominator - old * old / denominator;
        match linear.checked_add(quadratic) {
            Some(cost) if cost <= u64::MAX as u128 => cost as u64,
            _ => u64::MAX,
        }
    }
}

/// Mainnet's total memory gas of `words <= u32::MAX` words, where 64 bits hold it (words² <
/// 2^64, 3·words < 2^34, the sum < 2^56): the formula with its constants folded (a `lea` and a
/// shift), what every growth and quote on mainnet computes.
#[inline(always)]
pub(crate) const fn mainnet_small_cost(words: u64) -> u64 {
    debug_assert!(words <= u32::MAX as u64);
    MEMORY_WORD_GAS * words + (words * words) / QUADRATIC_DENOMINATOR
}

/// A validated [`MemoryPricing`] in the form a [`Memory`](crate::Memory) prices its growths
/// with. Mainnet's is priced by the formula with its constants folded, after one test of a
/// flag; any other pricing out of line, with the quadratic term's divisor as a shift when it is
/// a power of two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pricing {
    word_cost: u64,
    denominator: u64,
    /// `log2(denominator)` for a power of two, else [`Pricing::DIVIDE`].
    shift: u32,
    /// Whether this is [`MemoryPricing::MAINNET`].
    mainnet: bool,
}

impl Pricing {
    /// The `shift` of a denominator that is not a power of two.
    const DIVIDE: u32 = u32::MAX;

    /// The form of `pricing`, which [`MemoryPricing::validate`] accepted.
    pub(crate) const fn new(pricing: MemoryPricing) -> Self {
        let denominator = pricing.quadratic_denominator;
        Self {
            word_cost: pricing.word_cost,
            denominator,
            shift: if denominator.is_power_of_two() {
                denominator.trailing_zeros()
            } else {
                Self::DIVIDE
            },
            mainnet: pricing.word_cost == MEMORY_WORD_GAS
                && pricing.quadratic_denominator == QUADRATIC_DENOMINATOR,
        }
    }

    /// The pricing this is the form of.
    pub(crate) const fn pricing(&self) -> MemoryPricing {
        MemoryPricing {
            word_cost: self.word_cost,
            quadratic_denominator: self.denominator,
        }
    }

    /// Whether this is mainnet's pricing, which the memory's short growth path computes inline
    /// with its constants.
    #[inline(always)]
    pub(crate) const fn is_mainnet(&self) -> bool {
        self.mainnet
    }

    /// Total memory gas of `words <= MAX_WORDS` words (any memory under the limit), exact:
    /// `words² <= 2^54` and `word_cost·words < 2^59` (`MAX_WORD_COST`), so nothing overflows.
    #[inline(always)]
    pub(crate) fn cost_within_limit(&self, words: u64) -> u64 {
        if self.mainnet {
            return mainnet_small_cost(words);
        }
        self.other_cost_within_limit(words)
    }

    /// [`cost_within_limit`](Self::cost_within_limit) of a pricing that is not mainnet's (out
    /// of line and cold, so that mainnet's path keeps its registers).
    #[cold]
    #[inline(never)]
    fn other_cost_within_limit(&self, words: u64) -> u64 {
        debug_assert!(words <= MAX_WORDS);
        let square = words * words;
        let quadratic = if self.shift != Self::DIVIDE {
            square >> self.shift
        } else {
            square / self.denominator
        };
        self.word_cost * words + quadratic
    }
}

/// Total memory gas for a memory of `words` words on mainnet: `3·words + ⌊words²/512⌋`,
/// saturating ([`MemoryPricing::MAINNET`]'s [`memory_cost`](MemoryPricing::memory_cost)).
#[inline]
pub const fn memory_gas_cost(words: u64) -> u64 {
    if words <= u32::MAX as u64 {
        return mainnet_small_cost(words);
    }
    MemoryPricing::MAINNET.memory_cost(words)
}

/// Gas to grow memory from `old_size` to `new_size` bytes on mainnet (each rounded up to whole
/// words); zero when the new size is not larger.
#[inline]
pub const fn expansion_gas_cost(old_size: u64, new_size: u64) -> u64 {
    MemoryPricing::MAINNET.expansion_cost(old_size, new_size)
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
    fn cached_form_agrees_with_the_wide_formula_for_any_valid_pricing() {
        let word_costs = [0, 1, 3, 8, 1000, MemoryPricing::MAX_WORD_COST];
        let denominators = [1, 2, 3, 256, 511, 512, 1000, 1024, 1 << 40, u64::MAX];
        let words = [
            0,
            1,
            2,
            31,
            32,
            1023,
            1024,
            1 << 20,
            MAX_WORDS - 1,
            MAX_WORDS,
        ];
        for word_cost in word_costs {
            for quadratic_denominator in denominators {
                let pricing = MemoryPricing {
                    word_cost,
                    quadratic_denominator,
                };
                assert_eq!(pricing.validate(), Ok(()));
                let form = Pricing::new(pricing);
                assert_eq!(form.pricing(), pricing);
                assert_eq!(form.is_mainnet(), pricing == MemoryPricing::MAINNET);
                for w in words {
                    let wide = word_cost as u128 * w as u128
                        + (w as u128 * w as u128) / quadratic_denominator as u128;
                    assert!(wide < 1 << 60, "{pricing:?} at {w} words");
                    assert_eq!(form.cost_within_limit(w) as u128, wide, "{pricing:?} {w}");
                    assert_eq!(form.other_cost_within_limit(w) as u128, wide, "{pricing:?}");
                    assert_eq!(pricing.memory_cost(w) as u128, wide, "{pricing:?} {w}");
                }
            }
        }
    }

    #[test]
    fn mainnet_fast_and_wide_paths_agree_at_the_seam() {
        for w in [u32::MAX as u64 - 1, u32::MAX as u64, u32::MAX as u64 + 1] {
            let wide = 3 * (w as u128) + (w as u128 * w as u128) / 512;
            assert_eq!(memory_gas_cost(w) as u128, wide.min(u64::MAX as u128));
            assert_eq!(memory_gas_cost(w), MemoryPricing::MAINNET.memory_cost(w));
        }
    }

    #[test]
    fn pricing_validation_and_saturation() {
        let zero = MemoryPricing {
            word_cost: 3,
            quadratic_denominator: 0,
        };
        assert_eq!(zero.validate(), Err(ConfigError::ZeroQuadraticDenominator));
        assert_eq!((zero.memory_cost(0), zero.memory_cost(1)), (0, u64::MAX));
        let dear = MemoryPricing {
            word_cost: MemoryPricing::MAX_WORD_COST + 1,
            quadratic_denominator: 512,
        };
        assert_eq!(
            dear.validate(),
            Err(ConfigError::WordCostTooLarge {
                word_cost: MemoryPricing::MAX_WORD_COST + 1
            })
        );
        // Any pricing saturates instead of overflowing, valid or not.
        let max = MemoryPricing {
            word_cost: u64::MAX,
            quadratic_denominator: 1,
        };
        assert_eq!(max.memory_cost(1), u64::MAX);
        assert_eq!(max.memory_cost(u64::MAX), u64::MAX);
        assert_eq!(max.expansion_cost(0, u64::MAX), u64::MAX);
        assert_eq!(max.expansion_cost(u64::MAX, u64::MAX), 0);
        // Between two sizes whose totals are both past u64::MAX, one word's cost, exactly.
        let words: u64 = 1 << 40;
        let exact = 3 + (words as u128).pow(2) / 512 - ((words - 1) as u128).pow(2) / 512;
        assert!(MemoryPricing::MAINNET.memory_cost(words - 1) == u64::MAX);
        assert_eq!(
            expansion_gas_cost((words - 1) * 32, words * 32) as u128,
            exact
        );
        let free = MemoryPricing {
            word_cost: 0,
            quadratic_denominator: u64::MAX,
        };
        assert_eq!(free.validate(), Ok(()));
        assert_eq!(free.memory_cost(u32::MAX as u64), 0);
        assert_eq!(free.memory_cost(u64::MAX), u64::MAX);
        assert_eq!(MemoryPricing::default(), MemoryPricing::MAINNET);
        assert_eq!(
            MemoryPricing::MAINNET.expansion_cost(32, 33),
            expansion_gas_cost(32, 33)
        );
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
