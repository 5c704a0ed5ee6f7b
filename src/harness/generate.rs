//! The generator: raw bytes to a valid [`Case`], biased toward the values that break memory
//! implementations (zero lengths at huge offsets, word boundaries 31/32/33, the limit's edge,
//! 2^32, 2^64 - 1 and values above 2^64, small gas budgets, small limits), and its inverse, the
//! [`encode`]r that writes named scenarios as corpus files.
//!
//! The byte format is this module's own, built only on `Unstructured::fill_buffer` (bytes past
//! the end read as zero), so every input decodes, and decoding is what libFuzzer's typed targets
//! do: [`Case`] implements `Arbitrary` and a corpus file replays on stable with
//! [`decode`] (`arbitrary_take_rest`).
//!
//! Layout: a header (limit selector, gas selector, calldata, code), then ops until the input
//! ends or [`MAX_OPS`]. A limit selector in [`PRICING_SELECTORS`] (the profile's range) is
//! followed by a pricing byte ([`pricing_from_byte`]) and the limit selector proper: about one
//! case in 16 ([`Profile::Full`]) or 32 ([`Profile::Small`]) prices memory other than mainnet's.
//! Those selector values meant a limit alone before; no committed corpus input used them, so
//! every committed input decodes as it did, with mainnet pricing (`tests/corpus.rs` checks it). Each op is a tag byte (`tag % 32` picks the op from a weighted table;
//! tags of 224 and above are *explicit*: RETURN/REVERT/INVALID are kept even in the root frame,
//! where otherwise they are turned into reads so that random inputs do not end early) and its
//! operands, each a selector byte and a payload.

use arbitrary::{Arbitrary, Result, Unstructured};

use super::case::{Case, Op, DEFAULT_LIMIT, MAX_OPS, MAX_ROOT_GAS};
use crate::{MemoryPricing, U256};

/// Which family of cases the decoder produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Every limit (mostly the 4 GiB default) and gas budget up to [`MAX_ROOT_GAS`].
    Full,
    /// Small limits (≤ 2 KiB) and small gas budgets, so that limit and out-of-gas edges are hit
    /// in nearly every case.
    Small,
}

/// Limit selectors that announce a pricing byte, per profile ([`Profile::Full`],
/// [`Profile::Small`]): each range lies inside one that otherwise picks a limit alone (the
/// default limit; a limit of whole words).
pub const PRICING_SELECTORS: [core::ops::RangeInclusive<u8>; 2] = [176..=191, 120..=127];

/// Word costs a pricing byte chooses from (`byte % 8`).
const WORD_COSTS: [u64; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
/// Quadratic denominators a pricing byte chooses from (`byte / 8 % 3`).
const DENOMINATORS: [u64; 3] = [256, 512, 1024];

/// The pricing a pricing byte chooses: word cost 1 to 8, quadratic denominator 256, 512 or
/// 1024 (mainnet's, 3 and 512, among them).
pub const fn pricing_from_byte(b: u8) -> MemoryPricing {
    MemoryPricing {
        word_cost: WORD_COSTS[(b % 8) as usize],
        quadratic_denominator: DENOMINATORS[((b / 8) % 3) as usize],
    }
}

/// The pricing byte that chooses `pricing`, if one does.
fn pricing_byte(pricing: MemoryPricing) -> Option<u8> {
    let w = WORD_COSTS.iter().position(|&c| c == pricing.word_cost)?;
    let d = DENOMINATORS
        .iter()
        .position(|&c| c == pricing.quadratic_denominator)?;
    Some((d * 8 + w) as u8)
}

/// Op table: `tag % 32` indexes it, so the weights are the repeat counts.
const OP_TABLE: [u8; 32] = [
    0, 0, 0, 0, // MSTORE
    1, 1, // MSTORE8
    2, 2, 2, // MLOAD
    3, // MSIZE
    4, 4, 4, // MCOPY
    5, 5, // CALLDATACOPY
    6, 6, // CODECOPY
    7, // RETURNDATACOPY
    8, 8, // READ
    9, 9, 9, 9, 9, 9, // CALL
    10, 10, 10, // RETURN
    11, 11, // REVERT
    12, // HALT
];

/// Tags at or above this keep terminal ops in the root frame.
pub const EXPLICIT_TAG: u8 = 224;

/// Values above `u32` worth generating often (the program generator uses them too).
pub(crate) const HUGE: [U256; 8] = [
    U256::from_limbs([u32::MAX as u64, 0, 0, 0]),
    U256::from_limbs([1 << 32, 0, 0, 0]),
    U256::from_limbs([(1 << 32) + 1, 0, 0, 0]),
    U256::from_limbs([u64::MAX, 0, 0, 0]),
    U256::from_limbs([0, 1, 0, 0]),
    U256::from_limbs([1, 1, 0, 0]),
    U256::from_limbs([0, 0, 0, 1 << 63]),
    U256::MAX,
];

/// The next `N` input bytes (zeros past the end). The byte readers here serve both generators.
pub(crate) fn take<const N: usize>(u: &mut Unstructured<'_>) -> [u8; N] {
    let mut buf = [0u8; N];
    // fill_buffer never fails: it zero-fills past the end of the input.
    let _ = u.fill_buffer(&mut buf);
    buf
}

/// The next byte.
pub(crate) fn byte(u: &mut Unstructured<'_>) -> u8 {
    take::<1>(u)[0]
}

/// The next two bytes, little-endian.
pub(crate) fn u16_le(u: &mut Unstructured<'_>) -> u16 {
    u16::from_le_bytes(take(u))
}

/// The next four bytes, little-endian.
pub(crate) fn u32_le(u: &mut Unstructured<'_>) -> u32 {
    u32::from_le_bytes(take(u))
}

/// A byte string shorter than `max`: mostly under 16 bytes, so that inputs go to ops.
fn byte_string(u: &mut Unstructured<'_>, max: u8) -> Vec<u8> {
    let sel = byte(u);
    let n = if sel < 192 { sel % 16 } else { byte(u) % max } as usize;
    let mut v = vec![0u8; n];
    let _ = u.fill_buffer(&mut v);
    v
}

/// Decoding state: what the operand generators need to know.
struct Decoder {
    limit: u64,
    /// Nominal call depth (calls may fail, so it is only a bias).
    depth: usize,
    /// Set while decoding a root-frame op: values that end the frame are re-rolled once, and
    /// medium and large values are folded under half a small limit, so that random sequences go
    /// on (a failure in the root ends the case). Children get the full distribution half the
    /// time: their failures only end the child.
    safe: bool,
    /// Whether a child has nominally returned data yet: until then a safe RETURNDATACOPY (which
    /// could only fail) is decoded as CALLDATACOPY.
    returned: bool,
}

impl Decoder {
    /// An offset-like value. Values that make the frame fail (huge, near a 4 GiB limit) are
    /// kept rare enough that sequences go on: a failure ends the frame that hit it.
    fn offset(&self, u: &mut Unstructured<'_>) -> U256 {
        let mut sel = byte(u);
        if self.safe && sel >= 207 {
            sel = byte(u);
        }
        match sel {
            0..=119 => U256::from(byte(u)),
            120..=169 => self.word_edge(u),
            170..=206 => self.fit(u16_le(u) as u64 % 8192),
            207..=214 => self.near_limit(u),
            215..=226 => HUGE[(byte(u) % 8) as usize],
            227..=251 => self.fit(u32_le(u) as u64 % (1 << 18)),
            _ => U256::from_be_bytes(take::<32>(u)),
        }
    }

    /// A length-like value: zero a quarter of the time.
    fn length(&self, u: &mut Unstructured<'_>) -> U256 {
        let mut sel = byte(u);
        if self.safe && sel >= 230 {
            sel = byte(u);
        }
        match sel {
            0..=69 => U256::ZERO,
            70..=149 => U256::from(byte(u)),
            150..=189 => U256::from([1u64, 31, 32, 33, 64][(byte(u) % 5) as usize]),
            190..=229 => self.fit(u16_le(u) as u64 % 8192),
            230..=237 => self.near_limit(u),
            238..=251 => HUGE[(byte(u) % 8) as usize],
            _ => U256::from_be_bytes(take::<32>(u)),
        }
    }

    /// `v`, folded under half the limit in safe mode when the limit is small.
    fn fit(&self, v: u64) -> U256 {
        if self.safe && self.limit < (1 << 20) {
            U256::from(v % (self.limit / 2).max(1))
        } else {
            U256::from(v)
        }
    }

    /// A word to store: a byte, a `u64` or all 32 bytes.
    fn value(&self, u: &mut Unstructured<'_>) -> U256 {
        match byte(u) {
            0..=127 => U256::from(byte(u)),
            128..=191 => U256::from(u64::from_le_bytes(take(u))),
            _ => U256::from_be_bytes(take::<32>(u)),
        }
    }

    /// `32·k + d` for small `k` and `d ∈ {-1, 0, +1}`.
    fn word_edge(&self, u: &mut Unstructured<'_>) -> U256 {
        let b = byte(u);
        let k = (b % 64) as u64;
        let d = (b / 64) % 3;
        U256::from((k * 32 + d as u64).saturating_sub(1))
    }

    /// Within a few words of the memory limit.
    fn near_limit(&self, u: &mut Unstructured<'_>) -> U256 {
        let b = byte(u);
        let back = (b % 4) as u64 * 32;
        let d = ((b / 4) % 3) as u64;
        U256::from((self.limit.saturating_sub(back) + d).saturating_sub(1))
    }

    fn call_gas(&self, u: &mut Unstructured<'_>) -> u64 {
        match byte(u) {
            0..=95 => u64::MAX,
            96..=191 => byte(u) as u64,
            192..=223 => u16_le(u) as u64,
            _ => u32_le(u) as u64,
        }
    }

    fn op(&mut self, u: &mut Unstructured<'_>) -> Op {
        let tag = byte(u);
        let explicit = tag >= EXPLICIT_TAG;
        // Root ops are always safe; in children, every other tag is.
        self.safe = !explicit && (self.depth == 0 || (tag >> 5) & 1 == 0);
        let op = match OP_TABLE[(tag % 32) as usize] {
            0 => Op::MStore {
                offset: self.offset(u),
                value: self.value(u),
            },
            1 => Op::MStore8 {
                offset: self.offset(u),
                value: byte(u),
            },
            2 => Op::MLoad {
                offset: self.offset(u),
            },
            3 => Op::MSize,
            4 => Op::MCopy {
                dst: self.offset(u),
                src: self.offset(u),
                len: self.length(u),
            },
            5 => Op::CallDataCopy {
                mem_offset: self.offset(u),
                data_offset: self.offset(u),
                len: self.length(u),
            },
            6 => Op::CodeCopy {
                mem_offset: self.offset(u),
                data_offset: self.offset(u),
                len: self.length(u),
            },
            7 if self.safe && !self.returned => Op::CallDataCopy {
                mem_offset: self.offset(u),
                data_offset: self.offset(u),
                len: self.length(u),
            },
            7 => Op::ReturnDataCopy {
                mem_offset: self.offset(u),
                data_offset: self.offset(u),
                len: self.length(u),
            },
            8 => Op::Read {
                offset: self.offset(u),
                len: self.length(u),
            },
            9 => Op::Call {
                args_offset: self.offset(u),
                args_len: self.length(u),
                ret_offset: self.offset(u),
                ret_len: self.length(u),
                gas: self.call_gas(u),
            },
            10 => Op::Return {
                offset: self.offset(u),
                len: self.length(u),
            },
            11 => Op::Revert {
                offset: self.offset(u),
                len: self.length(u),
            },
            _ => Op::Halt,
        };
        // Track the nominal depth (calls may fail, so it is only a bias) and keep random inputs
        // from ending in the root frame unless the tag says so.
        let depth = &mut self.depth;
        match op {
            Op::Call { .. } => *depth += 1,
            Op::Return { offset, len } | Op::Revert { offset, len } if *depth == 0 && !explicit => {
                return Op::Read { offset, len }
            }
            Op::Halt if *depth == 0 && !explicit => return Op::MSize,
            Op::Return { .. } | Op::Revert { .. } => {
                *depth = depth.saturating_sub(1);
                self.returned = true;
            }
            Op::Halt => *depth = depth.saturating_sub(1),
            _ => {}
        }
        op
    }
}

/// Decodes a case from the rest of `u` with the given profile.
pub fn decode_with(u: &mut Unstructured<'_>, profile: Profile) -> Case {
    let mut selector = byte(u);
    let mut pricing = MemoryPricing::MAINNET;
    if PRICING_SELECTORS[profile as usize].contains(&selector) {
        pricing = pricing_from_byte(byte(u));
        selector = byte(u);
    }
    let (limit, gas) = match profile {
        Profile::Full => {
            let limit = match selector {
                0..=191 => DEFAULT_LIMIT,
                192..=223 => 32 * (1 + (byte(u) % 64) as u64),
                _ => u32_le(u) as u64 + 1,
            };
            let gas = match byte(u) {
                0..=31 => byte(u) as u64,
                32..=63 => u16_le(u) as u64,
                64..=223 => 3_000_000,
                _ => u32_le(u) as u64 % (MAX_ROOT_GAS + 1),
            };
            (limit, gas)
        }
        Profile::Small => {
            let limit = match selector {
                0..=127 => 32 * (1 + (byte(u) % 64) as u64),
                _ => 1 + (u16_le(u) % 2048) as u64,
            };
            let gas = match byte(u) {
                0..=127 => byte(u) as u64,
                _ => (u16_le(u) % 1024) as u64,
            };
            (limit, gas)
        }
    };
    let calldata = byte_string(u, 128);
    let code = byte_string(u, 64);
    let mut decoder = Decoder {
        limit,
        depth: 0,
        safe: true,
        returned: false,
    };
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < MAX_OPS {
        ops.push(decoder.op(u));
    }
    Case {
        limit,
        gas,
        calldata,
        code,
        ops,
        pricing,
    }
}

/// Decodes `data` as a [`Profile::Full`] case, exactly as a libFuzzer typed target taking a
/// `Case` does (`Case::arbitrary_take_rest`).
pub fn decode(data: &[u8]) -> Case {
    decode_with(&mut Unstructured::new(data), Profile::Full)
}

/// Decodes `data` as a [`Profile::Small`] case, as the `diff_small` target does
/// ([`SmallCase::arbitrary_take_rest`]).
pub fn decode_small(data: &[u8]) -> Case {
    decode_with(&mut Unstructured::new(data), Profile::Small)
}

impl<'a> Arbitrary<'a> for Case {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(decode_with(u, Profile::Full))
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> Result<Self> {
        Ok(decode_with(&mut u, Profile::Full))
    }
}

/// A [`Case`] decoded with [`Profile::Small`]: the `diff_small` fuzz target's input type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmallCase(pub Case);

impl<'a> Arbitrary<'a> for SmallCase {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(SmallCase(decode_with(u, Profile::Small)))
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> Result<Self> {
        Ok(SmallCase(decode_with(&mut u, Profile::Small)))
    }
}

/// Writes a [`Case`] in the generator's byte format for [`Profile::Full`], so that named
/// scenarios become corpus files that [`decode`] turns back into the same case.
///
/// # Errors
/// As [`encode_with`].
pub fn encode(case: &Case) -> std::result::Result<Vec<u8>, String> {
    encode_with(case, Profile::Full)
}

/// Writes a [`Case`] in the generator's byte format for `profile`: [`decode_with`] with the same
/// profile turns it back into the same case.
///
/// # Errors
/// A description of what cannot be encoded: calldata of 128 bytes or more, code of 64 or more,
/// more than [`MAX_OPS`] ops; for [`Profile::Full`] a root gas above [`MAX_ROOT_GAS`] or a limit
/// of 0 or above 4 GiB; for [`Profile::Small`] a limit outside 1..=2048 or gas of 1024 or more;
/// a pricing that no pricing byte chooses ([`pricing_from_byte`]).
pub fn encode_with(case: &Case, profile: Profile) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    if case.pricing != MemoryPricing::MAINNET {
        let b = pricing_byte(case.pricing).ok_or_else(|| {
            format!(
                "pricing {:?} is not word cost 1..=8 with denominator 256, 512 or 1024",
                case.pricing
            )
        })?;
        out.extend_from_slice(&[*PRICING_SELECTORS[profile as usize].start(), b]);
    }
    match profile {
        Profile::Full => {
            match case.limit {
                DEFAULT_LIMIT => out.push(0),
                1..DEFAULT_LIMIT => {
                    out.push(255);
                    out.extend_from_slice(&((case.limit - 1) as u32).to_le_bytes());
                }
                other => return Err(format!("limit {other} is outside 1..=4 GiB")),
            }
            if case.gas > MAX_ROOT_GAS {
                return Err(format!("root gas {} is above {MAX_ROOT_GAS}", case.gas));
            }
            out.push(255);
            out.extend_from_slice(&(case.gas as u32).to_le_bytes());
        }
        Profile::Small => {
            if !(1..=2048).contains(&case.limit) {
                return Err(format!("limit {} is outside 1..=2048", case.limit));
            }
            out.push(255);
            out.extend_from_slice(&((case.limit - 1) as u16).to_le_bytes());
            if case.gas >= 1024 {
                return Err(format!("gas {} is not below 1024", case.gas));
            }
            out.push(255);
            out.extend_from_slice(&(case.gas as u16).to_le_bytes());
        }
    }
    for (bytes, max) in [(&case.calldata, 128usize), (&case.code, 64)] {
        if bytes.len() >= max {
            return Err(format!(
                "a byte string of {} bytes (max {})",
                bytes.len(),
                max - 1
            ));
        }
        // Selectors of 192 and above take the length from the next byte.
        out.extend_from_slice(&[255, bytes.len() as u8]);
        out.extend_from_slice(bytes);
    }
    if case.ops.len() > MAX_OPS {
        return Err(format!("{} ops (max {MAX_OPS})", case.ops.len()));
    }
    for op in &case.ops {
        encode_op(&mut out, op);
    }
    Ok(out)
}

fn table_index(op: &Op) -> u8 {
    let code = op.kind() as u8;
    OP_TABLE.iter().position(|&c| c == code).unwrap_or(0) as u8
}

fn encode_value(out: &mut Vec<u8>, v: U256, zero_selector: Option<u8>) {
    match zero_selector {
        Some(sel) if v.is_zero() => out.push(sel),
        _ if v < U256::from(8192) => {
            // The u16 selector: 170 for offsets, 190 for lengths.
            out.push(if zero_selector.is_some() { 190 } else { 170 });
            out.extend_from_slice(&v.to::<u16>().to_le_bytes());
        }
        _ => {
            // The raw 32-byte form.
            out.push(255);
            out.extend_from_slice(&v.to_be_bytes::<32>());
        }
    }
}

fn encode_op(out: &mut Vec<u8>, op: &Op) {
    out.push(EXPLICIT_TAG + table_index(op));
    let offset = |out: &mut Vec<u8>, v: U256| encode_value(out, v, None);
    let length = |out: &mut Vec<u8>, v: U256| encode_value(out, v, Some(0));
    match *op {
        Op::MStore { offset: o, value } => {
            offset(out, o);
            out.push(255);
            out.extend_from_slice(&value.to_be_bytes::<32>());
        }
        Op::MStore8 { offset: o, value } => {
            offset(out, o);
            out.push(value);
        }
        Op::MLoad { offset: o } => offset(out, o),
        Op::MSize | Op::Halt => {}
        Op::MCopy { dst, src, len } => {
            offset(out, dst);
            offset(out, src);
            length(out, len);
        }
        Op::CallDataCopy {
            mem_offset,
            data_offset,
            len,
        }
        | Op::CodeCopy {
            mem_offset,
            data_offset,
            len,
        }
        | Op::ReturnDataCopy {
            mem_offset,
            data_offset,
            len,
        } => {
            offset(out, mem_offset);
            offset(out, data_offset);
            length(out, len);
        }
        Op::Read { offset: o, len }
        | Op::Return { offset: o, len }
        | Op::Revert { offset: o, len } => {
            offset(out, o);
            length(out, len);
        }
        Op::Call {
            args_offset,
            args_len,
            ret_offset,
            ret_len,
            gas,
        } => {
            offset(out, args_offset);
            length(out, args_len);
            offset(out, ret_offset);
            length(out, ret_len);
            if gas == u64::MAX {
                out.push(0);
            } else if gas <= u32::MAX as u64 {
                out.push(255);
                out.extend_from_slice(&(gas as u32).to_le_bytes());
            } else {
                // Above u32 and below u64::MAX: any such request is capped by the 63/64 rule
                // at a root budget of at most 30M, so "all" is equivalent.
                out.push(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::case::u;

    #[test]
    fn empty_input_is_a_valid_empty_case() {
        let c = decode(&[]);
        assert_eq!(c.limit, DEFAULT_LIMIT);
        assert!(c.ops.is_empty());
    }

    #[test]
    fn encode_round_trips() {
        let case = Case {
            limit: 1000,
            gas: 12_345,
            calldata: vec![1, 2, 3],
            code: vec![0x60, 0x00],
            ops: vec![
                Op::MStore {
                    offset: u(0x40),
                    value: U256::MAX,
                },
                Op::MStore8 {
                    offset: u(70_000),
                    value: 7,
                },
                Op::MLoad { offset: U256::MAX },
                Op::MSize,
                Op::MCopy {
                    dst: u(0),
                    src: u(1),
                    len: u(0),
                },
                Op::Call {
                    args_offset: u(0),
                    args_len: u(4),
                    ret_offset: u(1 << 40),
                    ret_len: u(0),
                    gas: 100,
                },
                Op::CallDataCopy {
                    mem_offset: u(0),
                    data_offset: U256::MAX,
                    len: u(32),
                },
                Op::Return {
                    offset: u(0),
                    len: u(5),
                },
                Op::ReturnDataCopy {
                    mem_offset: u(3),
                    data_offset: u(1),
                    len: u(2),
                },
                Op::Halt,
                Op::Read {
                    offset: u(u32::MAX as u64 + 1),
                    len: u(1),
                },
            ],
            pricing: MemoryPricing::MAINNET,
        };
        let bytes = encode(&case).unwrap();
        assert_eq!(decode(&bytes), case);
        let mut u = Unstructured::new(&bytes);
        assert_eq!(Case::arbitrary(&mut u).unwrap(), case);
        assert_eq!(
            Case::arbitrary_take_rest(Unstructured::new(&bytes)).unwrap(),
            case
        );
    }

    #[test]
    fn pricing_round_trips_in_both_profiles() {
        for b in 0..=255u8 {
            let pricing = pricing_from_byte(b);
            assert_eq!(pricing.validate(), Ok(()));
            assert_eq!(pricing_from_byte(pricing_byte(pricing).unwrap()), pricing);
        }
        let priced = |pricing, limit, gas| Case {
            limit,
            gas,
            calldata: vec![5; 3],
            ops: vec![
                Op::MStore8 {
                    offset: u(700),
                    value: 1,
                },
                Op::MSize,
            ],
            pricing,
            ..Case::default()
        };
        let cheap = MemoryPricing {
            word_cost: 1,
            quadratic_denominator: 1024,
        };
        for limit in [DEFAULT_LIMIT, 1000] {
            let case = priced(cheap, limit, 12_345);
            assert_eq!(decode(&encode(&case).unwrap()), case);
            let case = priced(MemoryPricing::MAINNET, limit, 12_345);
            assert_eq!(decode(&encode(&case).unwrap()), case);
        }
        let case = priced(cheap, 2048, 1000);
        assert_eq!(
            decode_small(&encode_with(&case, Profile::Small).unwrap()),
            case
        );
        let odd = MemoryPricing {
            word_cost: 9,
            quadratic_denominator: 512,
        };
        assert!(encode(&priced(odd, 64, 0)).is_err());
    }

    #[test]
    fn pricing_selectors_choose_a_pricing_and_then_the_limit() {
        // Full: a selector in 176..=191, the pricing byte, then the limit selector proper.
        let c = decode(&[180, 8 + 4, 200, 7, 0]);
        assert_eq!(c.pricing, pricing_from_byte(12));
        assert_eq!(
            (c.pricing.word_cost, c.pricing.quadratic_denominator),
            (5, 512)
        );
        assert_eq!(c.limit, 32 * (1 + 7));
        // The same selector in the second place is the default limit, as before.
        assert_eq!(decode(&[176, 0, 176, 0]).limit, DEFAULT_LIMIT);
        // Selectors outside the range: mainnet, and the bytes mean what they meant.
        let c = decode(&[175, 0]);
        assert_eq!(
            (c.pricing, c.limit),
            (MemoryPricing::MAINNET, DEFAULT_LIMIT)
        );
        // Small: 120..=127.
        let c = decode_small(&[127, 16 + 7, 3, 3, 0]);
        assert_eq!(
            (c.pricing.word_cost, c.pricing.quadratic_denominator),
            (8, 1024)
        );
        assert_eq!(c.limit, 32 * 4);
        assert_eq!(decode_small(&[119, 3]).pricing, MemoryPricing::MAINNET);
    }

    #[test]
    fn small_profile_round_trips() {
        let case = Case {
            limit: 2048,
            gas: 1023,
            calldata: vec![9; 20],
            code: vec![],
            ops: vec![Op::MSize, Op::Halt],
            pricing: MemoryPricing::MAINNET,
        };
        let bytes = encode_with(&case, Profile::Small).unwrap();
        assert_eq!(decode_small(&bytes), case);
        assert!(encode_with(&Case { gas: 1024, ..case }, Profile::Small).is_err());
    }

    #[test]
    fn encode_rejects_what_it_cannot_express() {
        let case = Case {
            calldata: vec![0; 200],
            ..Case::default()
        };
        assert!(encode(&case).is_err());
        let case = Case {
            limit: 0,
            ..Case::default()
        };
        assert!(encode(&case).is_err());
    }

    #[test]
    fn small_profile_stays_small() {
        let mut state = 1u64;
        for _ in 0..200 {
            let bytes: Vec<u8> = (0..64)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let c = decode_small(&bytes);
            assert!(c.limit >= 1 && c.limit <= 2048);
            assert!(c.gas < 1024);
        }
    }
}
