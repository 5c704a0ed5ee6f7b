//! The plain accesses: reads, writes and copies on the current context that never charge gas
//! (their docs are on the `impl` block below, which rustdoc shows on [`Memory`]'s page).

use ruint::aliases::U256;

use crate::error::MemoryError;
use crate::memory::Memory;

/// Writes `data[data_offset..data_offset + dst.len()]` into `dst`, zero-padding whatever lies
/// past the end of `data` (an offset past the end gives all zeros).
#[inline]
pub(crate) fn copy_padded(dst: &mut [u8], data: &[u8], data_offset: usize) {
    let available = data.get(data_offset..).unwrap_or(&[]);
    let n = available.len().min(dst.len());
    let (head, tail) = dst.split_at_mut(n);
    head.copy_from_slice(&available[..n]);
    if !tail.is_empty() {
        tail.fill(0);
    }
}

/// # Plain accesses: no gas
///
/// Reads, writes and copies on the current context that never charge gas, for callers that
/// price memory themselves (an interpreter that has already called
/// [`expand_with_gas`](Memory::expand_with_gas), a test, a tool): words as `[u8; 32]` or
/// [`U256`], bytes, copies in and out, views, zero-padded data copies ([`set_data`]) and the
/// copy within memory ([`copy`]). Each is the access of an opcode whose metered form ends in
/// `_with_gas`.
///
/// Those taking `&mut self` expand the current context over the bytes they touch, free of
/// charge (a zero length never expands); the views through `&self` ([`slice`],
/// [`copy_to_slice`]) never expand and report [`MemoryError::OutOfBounds`] instead.
///
/// The seed design's expansion, byte and bulk examples:
///
/// ```
/// use evm_memory::Memory;
///
/// let mut memory = Memory::default();
///
/// // Memory expansion. The seed's `expand_to(offset)` always grows to `offset + 32` and then
/// // asserts `size >= offset + 32`; here an access names its range, and the size is that
/// // range's end rounded up to a word: touching the word at 1024 gives exactly 1056.
/// memory.expand(1024, 32)?;
/// assert_eq!(memory.size(), 1056);
///
/// // Byte operations.
/// memory.store_byte(10, 0xFF)?;
/// memory.store_byte(11, 0xAB)?;
/// assert_eq!(memory.load_byte(10)?, 0xFF);
/// assert_eq!(memory.load_byte(11)?, 0xAB);
///
/// // Bulk data operations.
/// let data = [1u8, 2, 3, 4, 5, 6, 7, 8];
/// memory.copy_from_slice(100, &data)?;
/// let mut output = [0u8; 8];
/// memory.copy_to_slice(100, &mut output)?;
/// assert_eq!(output, data);
/// # Ok::<(), evm_memory::MemoryError>(())
/// ```
///
/// [`set_data`]: Memory::set_data
/// [`copy`]: Memory::copy
/// [`slice`]: Memory::slice
/// [`copy_to_slice`]: Memory::copy_to_slice
impl Memory {
    /// Mutable view of `[offset, offset + len)` after expanding over it. The access is written
    /// out on both paths: joining them before it would make the compiler check the bounds again
    /// for the in-bounds path too.
    #[inline(always)]
    fn touch_mut(&mut self, offset: usize, len: usize) -> Result<&mut [u8], MemoryError> {
        if len == 0 {
            return Ok(&mut []);
        }
        if self.covers(offset, len) {
            return self.context_mut(offset, len);
        }
        self.grow_over(offset, len)?;
        self.context_mut(offset, len)
    }

    /// The word at `offset`, after expanding over it (shaped as [`touch_mut`](Self::touch_mut)).
    #[inline(always)]
    fn touch_word(&mut self, offset: usize) -> Result<&mut [u8; 32], MemoryError> {
        if self.covers(offset, 32) {
            return self.word_mut(offset);
        }
        self.grow_over(offset, 32)?;
        self.word_mut(offset)
    }

    /// The out-of-line half of an access that does not fit: expands over `[offset, offset +
    /// len)`, `len > 0`.
    #[cold]
    #[inline(never)]
    fn grow_over(&mut self, offset: usize, len: usize) -> Result<(), MemoryError> {
        self.expand(offset, len)
    }

    /// `[offset, offset + len)` of the current context, sliced as [`covers`](Self::covers)
    /// compares (so that after it the checks fold away).
    #[inline(always)]
    pub(crate) fn context_mut(
        &mut self,
        offset: usize,
        len: usize,
    ) -> Result<&mut [u8], MemoryError> {
        self.buffer
            .get_mut(self.current.base..)
            .and_then(|ctx| ctx.get_mut(offset..))
            .and_then(|rest| rest.get_mut(..len))
            .ok_or(MemoryError::OutOfBounds)
    }

    /// [`context_mut`](Self::context_mut) for reading.
    #[inline(always)]
    pub(crate) fn context_ref(&self, offset: usize, len: usize) -> Result<&[u8], MemoryError> {
        self.buffer
            .get(self.current.base..)
            .and_then(|ctx| ctx.get(offset..))
            .and_then(|rest| rest.get(..len))
            .ok_or(MemoryError::OutOfBounds)
    }

    /// The word at `offset` of the current context, sliced as [`covers`](Self::covers) compares.
    #[inline(always)]
    pub(crate) fn word_mut(&mut self, offset: usize) -> Result<&mut [u8; 32], MemoryError> {
        self.buffer
            .get_mut(self.current.base..)
            .and_then(|ctx| ctx.get_mut(offset..))
            .and_then(|rest| rest.first_chunk_mut::<32>())
            .ok_or(MemoryError::OutOfBounds)
    }

    /// Expands the current context so that `[offset, offset + len)` is inside it, to the next
    /// word boundary, without gas (the metered form is
    /// [`expand_with_gas`](Self::expand_with_gas)). A zero `len` never expands, whatever the
    /// offset.
    ///
    /// # Errors
    /// [`MemoryError::MemoryOverflow`] when `offset + len` overflows or the whole buffer would
    /// exceed the limit; [`MemoryError::OutOfMemory`] when the allocator fails. Memory is
    /// unchanged on error.
    #[inline]
    pub fn expand(&mut self, offset: usize, len: usize) -> Result<(), MemoryError> {
        if len == 0 {
            return Ok(());
        }
        let end = offset.checked_add(len).ok_or(MemoryError::MemoryOverflow)?;
        self.ensure_end(end)
    }

    /// Writes a 32-byte big-endian word at `offset`, expanding as needed, without gas (MSTORE's
    /// access; the opcode is [`store_u256_with_gas`](Self::store_u256_with_gas)).
    ///
    /// # Errors
    /// [`MemoryError::MemoryOverflow`] past the limit or address space,
    /// [`MemoryError::OutOfMemory`] when allocation fails; memory unchanged on error.
    #[inline]
    pub fn store_word(&mut self, offset: usize, word: &[u8; 32]) -> Result<(), MemoryError> {
        *self.touch_word(offset)? = *word;
        Ok(())
    }

    /// Writes a [`U256`] at `offset` (stored big-endian, as the EVM does), expanding as needed,
    /// without gas.
    ///
    /// # Errors
    /// As [`store_word`](Self::store_word).
    #[inline]
    pub fn store_u256(&mut self, offset: usize, value: U256) -> Result<(), MemoryError> {
        *self.touch_word(offset)? = value.to_be_bytes::<32>();
        Ok(())
    }

    /// Reads the 32-byte word at `offset`, expanding as needed, without gas (bytes never written
    /// read as zero). MLOAD's access; the opcode is
    /// [`load_u256_with_gas`](Self::load_u256_with_gas).
    ///
    /// # Errors
    /// As [`store_word`](Self::store_word).
    #[inline]
    pub fn load_word(&mut self, offset: usize) -> Result<[u8; 32], MemoryError> {
        Ok(*self.touch_word(offset)?)
    }

    /// Reads the word at `offset` as a [`U256`] (big-endian), expanding as needed, without gas.
    ///
    /// # Errors
    /// As [`store_word`](Self::store_word).
    #[inline]
    pub fn load_u256(&mut self, offset: usize) -> Result<U256, MemoryError> {
        Ok(U256::from_be_bytes(*self.touch_word(offset)?))
    }

    /// Writes one byte at `offset`, expanding to the word that holds it, without gas (MSTORE8's
    /// access; the opcode is [`store_byte_with_gas`](Self::store_byte_with_gas)).
    ///
    /// # Errors
    /// As [`store_word`](Self::store_word).
    #[inline]
    pub fn store_byte(&mut self, offset: usize, value: u8) -> Result<(), MemoryError> {
        self.touch_mut(offset, 1)?[0] = value;
        Ok(())
    }

    /// Reads one byte at `offset`, expanding to the word that holds it.
    ///
    /// # Errors
    /// As [`store_word`](Self::store_word).
    #[inline]
    pub fn load_byte(&mut self, offset: usize) -> Result<u8, MemoryError> {
        Ok(self.touch_mut(offset, 1)?[0])
    }

    /// Writes all of `data` at `offset`, expanding as needed.
    ///
    /// # Errors
    /// As [`store_word`](Self::store_word).
    #[inline]
    pub fn copy_from_slice(&mut self, offset: usize, data: &[u8]) -> Result<(), MemoryError> {
        self.touch_mut(offset, data.len())?.copy_from_slice(data);
        Ok(())
    }

    /// Read-only view of `[offset, offset + len)` (KECCAK256, LOG, RETURN, REVERT); never
    /// expands. A zero length gives an empty slice whatever the offset.
    ///
    /// # Errors
    /// [`MemoryError::OutOfBounds`] when the range reaches past the current context's size:
    /// expand first (with gas) as the EVM does.
    #[inline]
    pub fn slice(&self, offset: usize, len: usize) -> Result<&[u8], MemoryError> {
        if len == 0 {
            return Ok(&[]);
        }
        self.context_ref(offset, len)
    }

    /// Mutable view of `[offset, offset + len)`; never expands.
    ///
    /// # Errors
    /// As [`slice`](Self::slice).
    #[inline]
    pub fn slice_mut(&mut self, offset: usize, len: usize) -> Result<&mut [u8], MemoryError> {
        if len == 0 {
            return Ok(&mut []);
        }
        self.context_mut(offset, len)
    }

    /// Copies `out.len()` bytes starting at `offset` into `out`; never expands.
    ///
    /// # Errors
    /// As [`slice`](Self::slice); `out` is untouched on error.
    #[inline]
    pub fn copy_to_slice(&self, offset: usize, out: &mut [u8]) -> Result<(), MemoryError> {
        out.copy_from_slice(self.slice(offset, out.len())?);
        Ok(())
    }

    /// Writes `len` bytes at `memory_offset`, taken from `data` starting at `data_offset`, with
    /// zeros for whatever lies past the end of `data` (a `data_offset` past the end gives all
    /// zeros), expanding over the destination without gas; a zero `len` does nothing. The access
    /// of CALLDATACOPY, CODECOPY and EXTCODECOPY; the opcodes are
    /// [`set_data_with_gas`](Self::set_data_with_gas).
    ///
    /// A 256-bit source offset from the stack is converted with
    /// [`saturating_usize`](crate::saturating_usize): anything too large reads as past the end.
    ///
    /// # Errors
    /// As [`store_word`](Self::store_word).
    #[inline]
    pub fn set_data(
        &mut self,
        memory_offset: usize,
        data_offset: usize,
        len: usize,
        data: &[u8],
    ) -> Result<(), MemoryError> {
        if len == 0 {
            return Ok(());
        }
        copy_padded(self.touch_mut(memory_offset, len)?, data, data_offset);
        Ok(())
    }

    /// Copies `len` bytes from `src` to `dst` as if through an intermediate buffer (overlapping
    /// ranges are correct), after expanding over both ranges at once (`max(dst, src) + len`)
    /// without gas. A zero `len` does nothing and never expands. The argument order is MCOPY's
    /// (EIP-5656) and revm's `SharedMemory::copy`; the opcode is
    /// [`copy_with_gas`](Self::copy_with_gas).
    ///
    /// # Errors
    /// As [`store_word`](Self::store_word).
    #[inline]
    pub fn copy(&mut self, dst: usize, src: usize, len: usize) -> Result<(), MemoryError> {
        if len == 0 {
            return Ok(());
        }
        let end = dst
            .max(src)
            .checked_add(len)
            .ok_or(MemoryError::MemoryOverflow)?;
        self.ensure_end(end)?;
        let base = self.current.base;
        self.buffer
            .copy_within(base + src..base + src + len, base + dst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryConfig;

    fn word(fill: u8) -> [u8; 32] {
        let mut w = [0u8; 32];
        for (i, b) in w.iter_mut().enumerate() {
            *b = fill.wrapping_add(i as u8);
        }
        w
    }

    #[test]
    fn words_round_trip_and_straddle_boundaries() {
        let mut m = Memory::default();
        m.store_word(0, &word(1)).unwrap();
        assert_eq!(m.load_word(0).unwrap(), word(1));
        m.store_word(33, &word(100)).unwrap();
        assert_eq!(m.size(), 96);
        assert_eq!(m.load_word(33).unwrap(), word(100));
        assert_eq!(m.load_byte(32).unwrap(), word(1)[0].wrapping_mul(0)); // untouched byte is 0
        assert_eq!(m.load_word(200).unwrap(), [0; 32]);
        assert_eq!(m.size(), 256);
    }

    #[test]
    fn u256_is_big_endian() {
        let mut m = Memory::default();
        m.store_u256(0, U256::from(0x1234u64)).unwrap();
        assert_eq!(m.load_byte(30).unwrap(), 0x12);
        assert_eq!(m.load_byte(31).unwrap(), 0x34);
        assert_eq!(m.load_u256(0).unwrap(), U256::from(0x1234u64));
        assert_eq!(m.load_u256(1).unwrap(), U256::from(0x123400u64));
        assert_eq!(m.load_u256(64).unwrap(), U256::ZERO);
    }

    #[test]
    fn bytes() {
        let mut m = Memory::default();
        m.store_byte(10, 0xFF).unwrap();
        m.store_byte(11, 0xAB).unwrap();
        assert_eq!(m.load_byte(10).unwrap(), 0xFF);
        assert_eq!(m.load_byte(11).unwrap(), 0xAB);
        assert_eq!(m.size(), 32);
        m.store_byte(32, 1).unwrap();
        assert_eq!(m.size(), 64);
    }

    #[test]
    fn failed_accesses_change_nothing() {
        let mut m = Memory::new(MemoryConfig::with_limit(64)).unwrap();
        m.store_word(0, &word(7)).unwrap();
        let before = m.as_slice().to_vec();
        assert_eq!(m.store_word(40, &word(1)), Err(MemoryError::MemoryOverflow));
        assert_eq!(
            m.load_word(usize::MAX - 3),
            Err(MemoryError::MemoryOverflow)
        );
        assert_eq!(m.store_byte(64, 1), Err(MemoryError::MemoryOverflow));
        assert_eq!(
            m.copy_from_slice(60, &[1; 8]),
            Err(MemoryError::MemoryOverflow)
        );
        assert_eq!(
            m.set_data(60, 0, 8, &[1; 8]),
            Err(MemoryError::MemoryOverflow)
        );
        assert_eq!(m.copy(0, 60, 8), Err(MemoryError::MemoryOverflow));
        assert_eq!(m.copy(60, 0, 8), Err(MemoryError::MemoryOverflow));
        assert_eq!(m.copy(usize::MAX, 0, 1), Err(MemoryError::MemoryOverflow));
        assert_eq!(m.as_slice(), &before[..]);
    }

    #[test]
    fn bulk_copies() {
        let data = [1u8, 2, 3, 4, 5, 6, 7, 8];
        let mut m = Memory::default();
        m.copy_from_slice(100, &data).unwrap();
        assert_eq!(m.size(), 128);
        let mut out = [0u8; 8];
        m.copy_to_slice(100, &mut out).unwrap();
        assert_eq!(out, data);
        let mut big = [9u8; 64];
        assert_eq!(
            m.copy_to_slice(100, &mut big),
            Err(MemoryError::OutOfBounds)
        );
        assert_eq!(big, [9u8; 64]);
        m.copy_from_slice(usize::MAX, &[]).unwrap();
        assert_eq!(m.size(), 128);
    }

    #[test]
    fn views_never_expand() {
        let mut m = Memory::default();
        assert_eq!(m.slice(0, 0).unwrap(), &[] as &[u8]);
        assert_eq!(m.slice(usize::MAX, 0).unwrap(), &[] as &[u8]);
        assert_eq!(m.slice(0, 1), Err(MemoryError::OutOfBounds));
        assert_eq!(m.slice(usize::MAX, 2), Err(MemoryError::OutOfBounds));
        m.expand(0, 32).unwrap();
        assert_eq!(m.slice(0, 32).unwrap().len(), 32);
        assert_eq!(m.slice(1, 32), Err(MemoryError::OutOfBounds));
        m.slice_mut(0, 2).unwrap().copy_from_slice(&[5, 6]);
        assert_eq!(m.slice(0, 2).unwrap(), &[5, 6]);
        assert_eq!(m.slice_mut(31, 2).unwrap_err(), MemoryError::OutOfBounds);
        assert!(m.slice_mut(usize::MAX, 0).unwrap().is_empty());
        assert_eq!(m.size(), 32);
    }

    #[test]
    fn set_data_pads_with_zeros() {
        let data = [1u8, 2, 3, 4];
        let mut m = Memory::default();
        m.copy_from_slice(0, &[0xEE; 64]).unwrap();
        m.set_data(0, 2, 6, &data).unwrap();
        assert_eq!(m.slice(0, 8).unwrap(), &[3, 4, 0, 0, 0, 0, 0xEE, 0xEE]);
        m.set_data(10, 4, 3, &data).unwrap();
        assert_eq!(m.slice(10, 3).unwrap(), &[0, 0, 0]);
        m.set_data(20, usize::MAX, 3, &data).unwrap();
        assert_eq!(m.slice(20, 3).unwrap(), &[0, 0, 0]);
        m.set_data(30, 0, 4, &data).unwrap();
        assert_eq!(m.slice(30, 4).unwrap(), &data);
        m.set_data(usize::MAX, 0, 0, &data).unwrap();
        assert_eq!(m.size(), 64);
        m.set_data(64, 0, 1, &[]).unwrap();
        assert_eq!(m.size(), 96);
    }

    #[test]
    fn mcopy_overlaps_like_eip5656() {
        // EIP-5656 test vectors (memory before, dst, src, len, memory after), abridged.
        let mut m = Memory::default();
        let mut init = [0u8; 32];
        for (i, b) in init.iter_mut().enumerate() {
            *b = i as u8;
        }
        m.copy_from_slice(0, &init).unwrap();
        m.copy(1, 0, 8).unwrap(); // forward overlap
        assert_eq!(m.slice(0, 10).unwrap(), &[0, 0, 1, 2, 3, 4, 5, 6, 7, 9]);
        m.copy_from_slice(0, &init).unwrap();
        m.copy(0, 1, 8).unwrap(); // backward overlap
        assert_eq!(m.slice(0, 10).unwrap(), &[1, 2, 3, 4, 5, 6, 7, 8, 8, 9]);
        m.copy(0, 0, 32).unwrap();
        m.copy(usize::MAX, usize::MAX, 0).unwrap();
        assert_eq!(m.size(), 32);
        // Expansion covers the larger of the two ranges.
        m.copy(0, 32, 1).unwrap();
        assert_eq!(m.size(), 64);
        assert_eq!(m.load_byte(0).unwrap(), 0);
        m.copy(100, 0, 1).unwrap();
        assert_eq!(m.size(), 128);
    }
}
