//! Turning 256-bit EVM stack values into memory offsets and lengths.
//!
//! Offsets and lengths arrive as [`U256`]. One that does not fit in `usize` cannot address
//! memory: with a non-zero length it is [`MemoryError::MemoryOverflow`] (the EVM runs out of gas
//! there). A zero length never touches memory, so its offset is ignored whatever its size.
//! Source offsets into call data, code or return data saturate instead (past the end reads as
//! zeros, or fails the RETURNDATACOPY bound check).

use ruint::aliases::U256;

use crate::error::MemoryError;

/// Converts a stack value to an offset or length.
///
/// # Errors
/// [`MemoryError::MemoryOverflow`] when the value is above `usize::MAX`.
#[inline]
pub fn to_usize(value: U256) -> Result<usize, MemoryError> {
    let limbs = value.as_limbs();
    if limbs[1] != 0 || limbs[2] != 0 || limbs[3] != 0 {
        return Err(MemoryError::MemoryOverflow);
    }
    usize::try_from(limbs[0]).map_err(|_| MemoryError::MemoryOverflow)
}

/// Converts a stack value to a source offset, saturating at `usize::MAX`.
#[inline]
pub fn saturating_usize(value: U256) -> usize {
    to_usize(value).unwrap_or(usize::MAX)
}

/// Converts a memory range `(offset, len)` taken from the stack. A zero length gives `(0, 0)`
/// whatever the offset, since such an access never touches memory.
///
/// # Errors
/// [`MemoryError::MemoryOverflow`] when the length, or (for a non-zero length) the offset, does
/// not fit in `usize`.
#[inline]
pub fn memory_range(offset: U256, len: U256) -> Result<(usize, usize), MemoryError> {
    let len = to_usize(len)?;
    if len == 0 {
        return Ok((0, 0));
    }
    Ok((to_usize(offset)?, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(to_usize(U256::ZERO), Ok(0));
        assert_eq!(to_usize(U256::from(u64::MAX)), Ok(u64::MAX as usize));
        assert_eq!(
            to_usize(U256::from(u64::MAX) + U256::from(1u8)),
            Err(MemoryError::MemoryOverflow)
        );
        assert_eq!(to_usize(U256::MAX), Err(MemoryError::MemoryOverflow));
        assert_eq!(saturating_usize(U256::MAX), usize::MAX);
        assert_eq!(saturating_usize(U256::from(7u8)), 7);
    }

    #[test]
    fn zero_length_ignores_the_offset() {
        assert_eq!(memory_range(U256::MAX, U256::ZERO), Ok((0, 0)));
        assert_eq!(
            memory_range(U256::MAX, U256::from(1u8)),
            Err(MemoryError::MemoryOverflow)
        );
        assert_eq!(
            memory_range(U256::ZERO, U256::MAX),
            Err(MemoryError::MemoryOverflow)
        );
        assert_eq!(memory_range(U256::from(5u8), U256::from(3u8)), Ok((5, 3)));
    }
}
