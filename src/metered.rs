//! The opcode path: the metered accesses, each charging its expansion gas, expanding and
//! accessing in one call (their docs are on the `impl` block below, which rustdoc shows on
//! [`Memory`]'s page).

use ruint::aliases::U256;

use crate::error::MemoryError;
use crate::gas::GasMeter;
use crate::memory::Memory;
use crate::plain::copy_padded;

/// # The opcode path: metered accesses (`_with_gas`)
///
/// What an interpreter calls for the memory opcodes: each method charges `gas` the expansion
/// over the bytes it touches, expands and makes the access, in one call, and on any error leaves
/// both the memory and the meter as they were. MLOAD, MSTORE and MSTORE8 are
/// [`load_u256_with_gas`], [`store_u256_with_gas`] and [`store_byte_with_gas`]; MCOPY is
/// [`copy_with_gas`]; CALLDATACOPY, CODECOPY, EXTCODECOPY and RETURNDATACOPY are
/// [`set_data_with_gas`] (a child's CALLDATACOPY from its parent's memory is
/// [`set_data_from_parent_with_gas`]); the region read of KECCAK256, LOG, RETURN, REVERT and
/// CREATE is [`slice_with_gas`]. Any other access: [`expand_with_gas`], then the plain access.
///
/// Each does what [`expand_with_gas`] followed by the plain access does, with one bounds check
/// where that pair needs two (the compiler cannot prove that the access after an expansion that
/// may have grown the buffer is in bounds, so it checks again). In bounds, which is nearly every
/// access a contract makes, the whole call is that check and the copy; any growth is out of
/// line.
///
/// ```
/// use evm_memory::{Gas, Memory, U256};
///
/// let mut memory = Memory::default();
/// let mut gas = Gas::new(100);
/// memory.store_u256_with_gas(0x40, U256::from(0x80), &mut gas)?; // expands to 3 words: 9 gas
/// assert_eq!(memory.load_u256_with_gas(0x40, &mut gas)?, U256::from(0x80));
/// memory.store_byte_with_gas(0x5f, 0xff, &mut gas)?; // in bounds: free
/// assert_eq!((memory.size(), gas.spent()), (0x60, 9));
/// # Ok::<(), evm_memory::MemoryError>(())
/// ```
///
/// [`load_u256_with_gas`]: Memory::load_u256_with_gas
/// [`store_u256_with_gas`]: Memory::store_u256_with_gas
/// [`store_byte_with_gas`]: Memory::store_byte_with_gas
/// [`copy_with_gas`]: Memory::copy_with_gas
/// [`set_data_with_gas`]: Memory::set_data_with_gas
/// [`set_data_from_parent_with_gas`]: Memory::set_data_from_parent_with_gas
/// [`slice_with_gas`]: Memory::slice_with_gas
/// [`expand_with_gas`]: Memory::expand_with_gas
impl Memory {
    /// Expands like [`expand`](Self::expand) and charges `gas` the expansion cost, returning the
    /// gas charged (zero when nothing grows): the metered expansion that any access without a
    /// metered form of its own (CALL's argument and return regions, RETURNDATACOPY's checked
    /// source, a custom opcode) makes before its plain access. This is the seed design's
    /// `expand_to_with_gas`.
    ///
    /// # Errors
    /// As [`expand`](Self::expand), plus [`MemoryError::OutOfGas`] when the meter holds less than
    /// the cost. The limit is checked before gas, as revm's `memory_limit` feature does. On any
    /// error neither the memory nor the meter is changed.
    #[inline]
    pub fn expand_with_gas<G: GasMeter + ?Sized>(
        &mut self,
        offset: usize,
        len: usize,
        gas: &mut G,
    ) -> Result<u64, MemoryError> {
        if len == 0 || self.covers(offset, len) {
            return Ok(0);
        }
        let end = offset.checked_add(len).ok_or(MemoryError::MemoryOverflow)?;
        self.grow_with_gas(end, gas)
    }

    /// MLOAD: charges `gas` for expanding over the word at `offset`, expands, and reads the word
    /// big-endian.
    ///
    /// # Errors
    /// As [`expand_with_gas`](Self::expand_with_gas): [`MemoryError::MemoryOverflow`],
    /// [`MemoryError::OutOfGas`] or [`MemoryError::OutOfMemory`], with neither the memory nor
    /// the meter changed.
    #[doc(alias = "MLOAD")]
    #[inline]
    pub fn load_u256_with_gas<G: GasMeter + ?Sized>(
        &mut self,
        offset: usize,
        gas: &mut G,
    ) -> Result<U256, MemoryError> {
        // The access is written out on both paths: joining them before it would make the
        // compiler check the bounds again for the in-bounds path too.
        if !self.covers(offset, 32) {
            self.grow_for_op(offset, 32, gas)?;
            return Ok(U256::from_be_bytes(*self.word_mut(offset)?));
        }
        Ok(U256::from_be_bytes(*self.word_mut(offset)?))
    }

    /// MSTORE: charges `gas` for expanding over the word at `offset`, expands, and writes
    /// `value` big-endian.
    ///
    /// # Errors
    /// As [`load_u256_with_gas`](Self::load_u256_with_gas); nothing is written on error.
    #[doc(alias = "MSTORE")]
    #[inline]
    pub fn store_u256_with_gas<G: GasMeter + ?Sized>(
        &mut self,
        offset: usize,
        value: U256,
        gas: &mut G,
    ) -> Result<(), MemoryError> {
        if !self.covers(offset, 32) {
            self.grow_for_op(offset, 32, gas)?;
            *self.word_mut(offset)? = value.to_be_bytes::<32>();
            return Ok(());
        }
        *self.word_mut(offset)? = value.to_be_bytes::<32>();
        Ok(())
    }

    /// MSTORE8: charges `gas` for expanding over the byte at `offset` (to the word that holds
    /// it), expands, and writes `value`.
    ///
    /// # Errors
    /// As [`load_u256_with_gas`](Self::load_u256_with_gas); nothing is written on error.
    #[doc(alias = "MSTORE8")]
    #[inline]
    pub fn store_byte_with_gas<G: GasMeter + ?Sized>(
        &mut self,
        offset: usize,
        value: u8,
        gas: &mut G,
    ) -> Result<(), MemoryError> {
        if !self.covers(offset, 1) {
            self.grow_for_op(offset, 1, gas)?;
            self.context_mut(offset, 1)?[0] = value;
            return Ok(());
        }
        self.context_mut(offset, 1)?[0] = value;
        Ok(())
    }

    /// The input of KECCAK256, LOG, RETURN, REVERT and CREATE: charges `gas` for expanding
    /// over `[offset, offset + len)`, expands, and returns the region. A zero `len` is an empty
    /// slice and never expands, whatever the offset.
    ///
    /// # Errors
    /// As [`load_u256_with_gas`](Self::load_u256_with_gas).
    #[doc(alias = "KECCAK256")]
    #[doc(alias = "LOG")]
    #[doc(alias = "RETURN")]
    #[doc(alias = "REVERT")]
    #[inline]
    pub fn slice_with_gas<G: GasMeter + ?Sized>(
        &mut self,
        offset: usize,
        len: usize,
        gas: &mut G,
    ) -> Result<&[u8], MemoryError> {
        if len == 0 {
            return Ok(&[]);
        }
        if !self.covers(offset, len) {
            self.grow_for_op(offset, len, gas)?;
            return self.context_ref(offset, len);
        }
        self.context_ref(offset, len)
    }

    /// MCOPY (EIP-5656): charges `gas` for expanding over both regions (to `max(dst, src) +
    /// len`), expands, and copies `len` bytes from `src` to `dst` as if through a buffer
    /// (overlap is safe). A zero `len` does nothing, whatever the offsets.
    ///
    /// # Errors
    /// As [`load_u256_with_gas`](Self::load_u256_with_gas); nothing is copied on error.
    #[doc(alias = "MCOPY")]
    #[inline]
    pub fn copy_with_gas<G: GasMeter + ?Sized>(
        &mut self,
        dst: usize,
        src: usize,
        len: usize,
        gas: &mut G,
    ) -> Result<(), MemoryError> {
        if len == 0 {
            return Ok(());
        }
        let far = dst.max(src);
        if !self.covers(far, len) {
            self.grow_for_op(far, len, gas)?;
        }
        let context = self.context_mut(0, far + len)?;
        context.copy_within(src..src + len, dst);
        Ok(())
    }

    /// The growing half of an op over `[offset, offset + len)` (`len > 0`, not yet covered):
    /// the growth out of line, answering in a register, and its error found again only when
    /// it failed.
    #[inline(always)]
    fn grow_for_op<G: GasMeter + ?Sized>(
        &mut self,
        offset: usize,
        len: usize,
        gas: &mut G,
    ) -> Result<(), MemoryError> {
        if self.grow_over_with_gas(offset, len, gas) {
            return Ok(());
        }
        Err(self.growth_error(offset, len, gas))
    }

    /// CALLDATACOPY, CODECOPY, EXTCODECOPY and RETURNDATACOPY: charges `gas` for expanding
    /// over `[memory_offset, memory_offset + len)`, expands, and copies as
    /// [`set_data`](Self::set_data) does (`data` from `data_offset`, zero-padded past its
    /// end). Bytes an expansion adds are written once, by the copy, instead of zeroed first
    /// and then overwritten. A zero `len` does nothing, whatever the offsets.
    ///
    /// # Errors
    /// As [`load_u256_with_gas`](Self::load_u256_with_gas); nothing is written on error.
    #[doc(alias = "CALLDATACOPY")]
    #[doc(alias = "CODECOPY")]
    #[doc(alias = "EXTCODECOPY")]
    #[doc(alias = "RETURNDATACOPY")]
    #[inline]
    pub fn set_data_with_gas<G: GasMeter + ?Sized>(
        &mut self,
        memory_offset: usize,
        data_offset: usize,
        len: usize,
        data: &[u8],
        gas: &mut G,
    ) -> Result<(), MemoryError> {
        if len == 0 {
            return Ok(());
        }
        if !self.covers(memory_offset, len) {
            return self.set_data_growing(memory_offset, data_offset, len, data, gas);
        }
        copy_padded(self.context_mut(memory_offset, len)?, data, data_offset);
        Ok(())
    }

    /// [`set_data_with_gas`](Self::set_data_with_gas) of a region the context does not cover.
    #[cold]
    #[inline(never)]
    fn set_data_growing<G: GasMeter + ?Sized>(
        &mut self,
        memory_offset: usize,
        data_offset: usize,
        len: usize,
        data: &[u8],
        gas: &mut G,
    ) -> Result<(), MemoryError> {
        let available = data.get(data_offset..).unwrap_or(&[]);
        let available = &available[..available.len().min(len)];
        self.grow_with_gas_filled(
            memory_offset,
            len,
            gas,
            |buffer, _| buffer.extend_from_slice(available),
            |buffer, start| copy_padded(&mut buffer[start..start + len], data, data_offset),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{memory_gas_cost, Gas, MemoryConfig};

    #[test]
    fn ops_charge_like_expand_with_gas_then_access() {
        let mut m = Memory::default();
        let mut gas = Gas::new(1_000);
        m.store_u256_with_gas(1, U256::from(0xABCDu64), &mut gas)
            .unwrap();
        assert_eq!((m.size(), gas.spent()), (64, memory_gas_cost(2)));
        assert_eq!(
            m.load_u256_with_gas(1, &mut gas).unwrap(),
            U256::from(0xABCDu64)
        );
        assert_eq!(m.load_byte(31).unwrap(), 0xAB);
        assert_eq!(m.load_u256_with_gas(64, &mut gas).unwrap(), U256::ZERO);
        assert_eq!(gas.spent(), memory_gas_cost(3));
        m.store_byte_with_gas(96, 7, &mut gas).unwrap();
        assert_eq!((m.size(), gas.spent()), (128, memory_gas_cost(4)));
        assert_eq!(m.load_byte(96).unwrap(), 7);
    }

    /// A memory of `limit` bytes holding one word of 0..32 and the reference it must match.
    fn pair(limit: u64) -> (Memory, Memory) {
        let word: [u8; 32] = core::array::from_fn(|i| i as u8);
        let mut m = Memory::new(MemoryConfig::with_limit(limit)).unwrap();
        m.store_word(0, &word).unwrap();
        let mut reference = Memory::new(MemoryConfig::with_limit(limit)).unwrap();
        reference.store_word(0, &word).unwrap();
        (m, reference)
    }

    #[test]
    fn read_and_mcopy_ops_match_expand_then_access() {
        // Miri runs a corner of the grid.
        let (offsets, lens, limits, budgets): (&[usize], &[usize], &[u64], &[u64]) = if cfg!(miri) {
            (&[5, 60, usize::MAX], &[0, 40], &[100], &[3, 1_000])
        } else {
            (
                &[0, 5, 31, 32, 60, 96, usize::MAX - 3, usize::MAX],
                &[0, 1, 27, 32, 40, usize::MAX],
                &[100, 4096],
                &[0, 3, 6, 1_000],
            )
        };
        for &limit in limits {
            for &budget in budgets {
                for &offset in offsets {
                    for &len in lens {
                        let what = format!("({offset}, {len}), {budget} gas, limit {limit}");
                        // KECCAK256/RETURN's read.
                        let (mut m, mut reference) = pair(limit);
                        let mut gas = Gas::new(budget);
                        let mut expected_gas = Gas::new(budget);
                        let expected = reference
                            .expand_with_gas(offset, len, &mut expected_gas)
                            .and_then(|_| reference.slice(offset, len).map(<[u8]>::to_vec));
                        let got = m.slice_with_gas(offset, len, &mut gas).map(<[u8]>::to_vec);
                        assert_eq!(got, expected, "slice_with_gas{what}");
                        assert_eq!(m.as_slice(), reference.as_slice(), "bytes{what}");
                        assert_eq!(gas, expected_gas, "gas{what}");
                        // MCOPY, with the other offset in each role.
                        for (dst, src) in [(offset, 3), (3, offset)] {
                            let (mut m, mut reference) = pair(limit);
                            let mut gas = Gas::new(budget);
                            let mut expected_gas = Gas::new(budget);
                            let expected = if len == 0 {
                                Ok(())
                            } else {
                                reference
                                    .expand_with_gas(dst.max(src), len, &mut expected_gas)
                                    .and_then(|_| reference.copy(dst, src, len))
                            };
                            let got = m.copy_with_gas(dst, src, len, &mut gas);
                            let what = format!("copy_with_gas({dst}, {src}, {len}), {what}");
                            assert_eq!(got, expected, "{what}");
                            assert_eq!(m.as_slice(), reference.as_slice(), "bytes of {what}");
                            assert_eq!(gas, expected_gas, "gas of {what}");
                            if got.is_err() {
                                assert_eq!((m.size(), gas.remaining()), (32, budget), "{what}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn op_errors_are_those_of_expand_with_gas() {
        let cases = [
            (usize::MAX, 1_000),
            (usize::MAX - 31, 1_000),
            (96, 1_000),
            (65, 1_000),
            (32, 2),
            (33, 5),
            (64, 0),
            (64, 6),
        ];
        for (offset, budget) in cases {
            let mut m = Memory::new(MemoryConfig::with_limit(100)).unwrap();
            m.store_u256_with_gas(0, U256::MAX, &mut Gas::new(3))
                .unwrap();
            let mut reference = Memory::new(MemoryConfig::with_limit(100)).unwrap();
            reference.expand(0, 32).unwrap();
            let mut gas = Gas::new(budget);
            let expected = reference.expand_with_gas(offset, 32, &mut Gas::new(budget));
            let got = m.load_u256_with_gas(offset, &mut gas).map(|_| ());
            assert_eq!(
                got,
                expected.map(|_| ()),
                "load_u256_with_gas at {offset} with {budget} gas"
            );
            if got.is_err() {
                assert_eq!((m.size(), gas.remaining()), (32, budget));
                assert_eq!(m.store_u256_with_gas(offset, U256::MAX, &mut gas), got);
                assert_eq!((m.size(), gas.remaining()), (32, budget));
            }
            let mut reference = Memory::new(MemoryConfig::with_limit(100)).unwrap();
            reference.expand(0, 32).unwrap();
            let byte = reference.expand_with_gas(offset, 1, &mut Gas::new(budget));
            let mut m = Memory::new(MemoryConfig::with_limit(100)).unwrap();
            m.store_u256_with_gas(0, U256::MAX, &mut Gas::new(3))
                .unwrap();
            let mut gas = Gas::new(budget);
            assert_eq!(m.store_byte_with_gas(offset, 1, &mut gas), byte.map(|_| ()));
            if byte.is_err() {
                assert_eq!((m.size(), gas.remaining()), (32, budget));
            }
        }
    }

    /// A child (with a parent of 96 patterned bytes) whose memory holds `size` bytes of 0xEE,
    /// all of it dirty so that bytes a copy should zero cannot read as zero by accident.
    fn child_with(size: usize, limit: u64) -> Memory {
        let mut m = Memory::new(MemoryConfig {
            initial_capacity: 64,
            ..MemoryConfig::with_limit(limit)
        })
        .unwrap();
        let parent: Vec<u8> = (1..=96).collect();
        m.copy_from_slice(0, &parent).unwrap();
        let _ = m.enter_child().unwrap();
        m.copy_from_slice(0, &vec![0xEE; size]).unwrap();
        m
    }

    /// The fused copies against expansion with gas followed by the plain copy, over offsets
    /// inside, straddling and past the end, sources shorter than the copy, budgets that run
    /// out and limits that are hit: same result, bytes, size and gas, and on error nothing
    /// changed.
    #[test]
    fn fused_copies_match_expand_then_copy() {
        let data: Vec<u8> = (100..140).collect();
        // Miri runs a small corner of the grid (the whole one takes it over ten minutes).
        let (sizes, offsets, lens, data_offsets, gas_limits): (&[_], &[_], &[_], &[_], &[_]) =
            if cfg!(miri) {
                (
                    &[32],
                    &[0, 31, 64, usize::MAX - 3],
                    &[0, 33],
                    &[0, usize::MAX],
                    &[(1_000, 4096), (4, 4096)],
                )
            } else {
                (
                    &[0, 32, 64],
                    &[0, 5, 31, 32, 60, 64, 70, 200, usize::MAX - 3],
                    &[0, 1, 4, 33, 64, 100],
                    &[0, 7, 39, 40, 1000, usize::MAX],
                    &[(1_000, 4096), (4, 4096), (1_000, 160)],
                )
            };
        let mut checked = 0;
        for &size in sizes {
            for &memory_offset in offsets {
                for &len in lens {
                    for &data_offset in data_offsets {
                        for &(budget, limit) in gas_limits {
                            let run = |fused: bool, from_parent: bool| {
                                let mut m = child_with(size, limit);
                                let mut gas = Gas::new(budget);
                                let result = match (fused, from_parent) {
                                    (true, false) => m.set_data_with_gas(
                                        memory_offset,
                                        data_offset,
                                        len,
                                        &data,
                                        &mut gas,
                                    ),
                                    (true, true) => m.set_data_from_parent_with_gas(
                                        memory_offset,
                                        data_offset,
                                        len,
                                        50,
                                        40,
                                        &mut gas,
                                    ),
                                    (false, _) if len == 0 => Ok(()),
                                    (false, from_parent) => m
                                        .expand_with_gas(memory_offset, len, &mut gas)
                                        .and_then(|_| match from_parent {
                                            false => {
                                                m.set_data(memory_offset, data_offset, len, &data)
                                            }
                                            true => m.set_data_from_parent(
                                                memory_offset,
                                                data_offset,
                                                len,
                                                50,
                                                40,
                                            ),
                                        }),
                                };
                                (result, m.all_contexts().to_vec(), m.size(), gas.spent())
                            };
                            for from_parent in [false, true] {
                                let fused = run(true, from_parent);
                                let plain = run(false, from_parent);
                                let what = (size, memory_offset, len, data_offset, budget, limit);
                                assert_eq!(fused, plain, "{what:?} from parent: {from_parent}");
                                if fused.0.is_err() {
                                    let untouched = child_with(size, limit);
                                    assert_eq!(fused.1, untouched.all_contexts(), "{what:?}");
                                    assert_eq!(fused.3, 0, "{what:?}");
                                }
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        let grid = sizes.len() * offsets.len() * lens.len() * data_offsets.len();
        assert_eq!(checked, grid * gas_limits.len() * 2);
    }

    #[test]
    fn failed_ops_change_nothing() {
        let mut m = Memory::new(MemoryConfig::with_limit(64)).unwrap();
        let mut gas = Gas::new(1_000);
        m.store_u256_with_gas(0, U256::MAX, &mut gas).unwrap();
        let (before, spent) = (m.as_slice().to_vec(), gas.spent());
        let overflow = Err(MemoryError::MemoryOverflow);
        assert_eq!(m.store_u256_with_gas(40, U256::MAX, &mut gas), overflow);
        assert_eq!(
            m.store_u256_with_gas(usize::MAX - 3, U256::MAX, &mut gas),
            overflow
        );
        assert_eq!(
            m.load_u256_with_gas(usize::MAX, &mut gas),
            Err(MemoryError::MemoryOverflow)
        );
        assert_eq!(m.store_byte_with_gas(64, 1, &mut gas), overflow);
        let mut poor = Gas::new(2);
        assert_eq!(
            m.store_byte_with_gas(32, 1, &mut poor),
            Err(MemoryError::OutOfGas {
                needed: 3,
                remaining: 2
            })
        );
        assert_eq!(poor.remaining(), 2);
        assert_eq!((m.as_slice(), gas.spent()), (&before[..], spent));
    }
}
