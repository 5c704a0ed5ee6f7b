//! Errors returned by the memory: [`MemoryError`] and the configuration errors it can carry.

use core::fmt;

/// Why a [`MemoryConfig`](crate::MemoryConfig) was rejected by
/// [`MemoryConfig::validate`](crate::MemoryConfig::validate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigError {
    /// The memory limit is zero: no byte could ever be touched.
    ZeroLimit,
    /// The memory limit is above [`MAX_MEMORY_LIMIT`](crate::MAX_MEMORY_LIMIT) (4 GiB).
    LimitTooLarge {
        /// The limit that was asked for, in bytes.
        limit: u64,
    },
    /// The initial capacity is larger than the memory limit, so part of it could never be used.
    CapacityAboveLimit {
        /// The capacity that was asked for, in bytes.
        capacity: usize,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The pricing's quadratic denominator is zero: the quadratic term would divide by zero.
    ZeroQuadraticDenominator,
    /// The pricing's word cost is above
    /// [`MemoryPricing::MAX_WORD_COST`](crate::MemoryPricing::MAX_WORD_COST).
    WordCostTooLarge {
        /// The word cost that was asked for, in gas.
        word_cost: u64,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ZeroLimit => f.write_str("memory limit must be greater than zero"),
            Self::LimitTooLarge { limit } => write!(
                f,
                "memory limit {limit} bytes is above the maximum of {} bytes (4 GiB)",
                crate::MAX_MEMORY_LIMIT
            ),
            Self::CapacityAboveLimit { capacity, limit } => write!(
                f,
                "initial capacity {capacity} bytes is above the memory limit of {limit} bytes"
            ),
            Self::ZeroQuadraticDenominator => {
                f.write_str("memory pricing: the quadratic denominator must be greater than zero")
            }
            Self::WordCostTooLarge { word_cost } => write!(
                f,
                "memory pricing: word cost {word_cost} gas is above the maximum of {} gas",
                crate::MemoryPricing::MAX_WORD_COST
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Every way an operation on [`Memory`](crate::Memory) can fail.
///
/// A failed operation leaves the memory (and any gas meter it was given) exactly as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MemoryError {
    /// The system allocator could not provide the memory (a fallible reservation failed).
    OutOfMemory,
    /// The requested size exceeds the configured memory limit, or an offset/length does not fit
    /// in the machine's address arithmetic (including 256-bit stack values above 2^64 - 1).
    MemoryOverflow,
    /// A non-expanding access (a read-only view, a copy out, a parent or return region) reaches
    /// past the end of the memory it addresses.
    OutOfBounds,
    /// A gas-aware expansion needed more gas than the meter had left.
    OutOfGas {
        /// Gas the expansion costs.
        needed: u64,
        /// Gas the meter had left.
        remaining: u64,
    },
    /// A child-context operation was used while no child context is open (exit at the root, or a
    /// parent region read from the root context).
    NotInChildContext,
    /// The checkpoint given to exit a child context is not the innermost open one of this memory
    /// (it was already exited, belongs to an outer context or to another memory).
    StaleCheckpoint,
    /// The configuration was rejected.
    InvalidConfig(ConfigError),
}

impl fmt::Display for MemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::OutOfMemory => {
                f.write_str("out of memory: the allocator could not grow the buffer")
            }
            Self::MemoryOverflow => {
                f.write_str("memory overflow: size exceeds the memory limit or the address space")
            }
            Self::OutOfBounds => f.write_str("out of bounds: access past the end of memory"),
            Self::OutOfGas { needed, remaining } => write!(
                f,
                "out of gas: memory expansion costs {needed} gas, {remaining} left"
            ),
            Self::NotInChildContext => f.write_str("no child context is open"),
            Self::StaleCheckpoint => {
                f.write_str("stale checkpoint: it is not the innermost open child context")
            }
            Self::InvalidConfig(e) => write!(f, "invalid memory configuration: {e}"),
        }
    }
}

impl std::error::Error for MemoryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidConfig(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for MemoryError {
    fn from(e: ConfigError) -> Self {
        Self::InvalidConfig(e)
    }
}
