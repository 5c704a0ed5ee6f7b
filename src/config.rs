//! [`MemoryConfig`]: initial capacity, memory limit and pricing.

use crate::error::ConfigError;
use crate::gas::MemoryPricing;

/// The largest memory limit a configuration accepts: 4 GiB, as in the seed design.
pub const MAX_MEMORY_LIMIT: u64 = 0x1_0000_0000;

/// How a [`Memory`](crate::Memory) is set up.
///
/// The seed design's `owned` flag becomes, in Rust, buffer reuse: a memory can be built over a
/// caller's buffer ([`Memory::with_buffer`](crate::Memory::with_buffer)), handed back
/// ([`Memory::into_buffer`](crate::Memory::into_buffer)) or [`reset`](crate::Memory::reset)
/// without freeing its allocation, so that one allocation serves many executions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryConfig {
    /// Bytes reserved up front, before any access. `0` allocates nothing until first use.
    pub initial_capacity: usize,
    /// Largest size, in bytes, the whole shared buffer (every open context, parents included)
    /// may reach. Between 1 and [`MAX_MEMORY_LIMIT`].
    pub memory_limit: u64,
    /// How expansion is priced: mainnet's `3·w + ⌊w²/512⌋` by default.
    pub pricing: MemoryPricing,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        Self {
            initial_capacity: 0,
            memory_limit: MAX_MEMORY_LIMIT,
            pricing: MemoryPricing::MAINNET,
        }
    }
}

impl MemoryConfig {
    /// A configuration with the given limit, no initial capacity and mainnet pricing.
    pub const fn with_limit(memory_limit: u64) -> Self {
        Self {
            initial_capacity: 0,
            memory_limit,
            pricing: MemoryPricing::MAINNET,
        }
    }

    /// The same configuration, with memory priced by `pricing`.
    #[must_use]
    pub const fn with_pricing(self, pricing: MemoryPricing) -> Self {
        Self { pricing, ..self }
    }

    /// Checks that the configuration can be used.
    ///
    /// # Errors
    /// [`ConfigError::ZeroLimit`] for a zero limit, [`ConfigError::LimitTooLarge`] for a limit
    /// above [`MAX_MEMORY_LIMIT`], [`ConfigError::CapacityAboveLimit`] when the initial capacity
    /// exceeds the limit; the pricing's errors from [`MemoryPricing::validate`].
    pub const fn validate(&self) -> Result<(), ConfigError> {
        if self.memory_limit == 0 {
            return Err(ConfigError::ZeroLimit);
        }
        if self.memory_limit > MAX_MEMORY_LIMIT {
            return Err(ConfigError::LimitTooLarge {
                limit: self.memory_limit,
            });
        }
        if self.initial_capacity as u64 > self.memory_limit {
            return Err(ConfigError::CapacityAboveLimit {
                capacity: self.initial_capacity,
                limit: self.memory_limit,
            });
        }
        self.pricing.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_four_gib_and_valid() {
        let c = MemoryConfig::default();
        assert_eq!(c.memory_limit, 4 << 30);
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn rejects_zero_and_too_large_limits() {
        assert_eq!(
            MemoryConfig::with_limit(0).validate(),
            Err(ConfigError::ZeroLimit)
        );
        assert_eq!(
            MemoryConfig::with_limit(MAX_MEMORY_LIMIT + 1).validate(),
            Err(ConfigError::LimitTooLarge {
                limit: MAX_MEMORY_LIMIT + 1
            })
        );
        assert_eq!(MemoryConfig::with_limit(1).validate(), Ok(()));
        assert_eq!(
            MemoryConfig::with_limit(MAX_MEMORY_LIMIT).validate(),
            Ok(())
        );
    }

    #[test]
    fn validates_the_pricing() {
        let zero = MemoryPricing {
            word_cost: 3,
            quadratic_denominator: 0,
        };
        assert_eq!(
            MemoryConfig::default().with_pricing(zero).validate(),
            Err(ConfigError::ZeroQuadraticDenominator)
        );
        let cheap = MemoryPricing {
            word_cost: 1,
            quadratic_denominator: 1024,
        };
        let c = MemoryConfig::with_limit(64).with_pricing(cheap);
        assert_eq!(
            (c.memory_limit, c.pricing, c.validate()),
            (64, cheap, Ok(()))
        );
        assert_eq!(MemoryConfig::default().pricing, MemoryPricing::MAINNET);
    }

    #[test]
    fn rejects_capacity_above_limit() {
        let c = MemoryConfig {
            initial_capacity: 65,
            ..MemoryConfig::with_limit(64)
        };
        assert!(matches!(
            c.validate(),
            Err(ConfigError::CapacityAboveLimit { .. })
        ));
    }
}
