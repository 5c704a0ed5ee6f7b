//! The generator: raw bytes to a valid [`Case`], biased toward the values that break memory
//! implementations (zero lengths at huge offsets, word boundaries 31/32/33, the limit's edge,
//! 2^32, 2^64 - 1 and values above 2^64, small gas budgets, small limits), and its inverse, the
//! [`encode`]r that writes named scenarios as corpus files.
//!
//! The byte format is this module's own, built only on `Unstructured::fill_buffer`'s reading
//! (bytes past the end read as zero; [`Input`] reads them so), so every input decodes, and decoding is what libFuzzer's typed targets
//! do: [`Case`] implements `Arbitrary` and a corpus file replays on stable with
//! [`decode`] (`arbitrary_take_rest`).
//!
//! Layout: a header (limit selector, gas selector, calldata, code), then ops until the input
//! ends or [`MAX_OPS`]. A limit selector in [`PRICING_SELECTORS`] (the profile's range) is
//! followed by a pricing byte ([`pricing_from_byte`]) and the limit selector proper: about one
//! case in 16 ([`Profile::Full`]) or 32 ([`Profile::Small`]) prices memory other than mainnet's.
//! Those selector values meant a limit alone before; no committed corpus input used them, so
//! every committed input decodes as it did, with mainnet pricing (`tests/corpus.rs` checks it).
//! In the same way a limit selector in [`SETUP_SELECTORS`] (one input in 16) is followed by a
//! setup byte ([`Setup`]) and then the selectors above: the case's starting capacity
//! ([`Capacity`]); five setups in eight let RETURNDATACOPY through in the root frame, one asks
//! for large frames (2 MiB up to a 16 MiB limit, with the gas for them) and one for deep call
//! chains (each CALL, RETURN and REVERT followed by a repeat count, up to 1,021 in a row, with
//! the gas for them). Each op is a tag byte (`tag % 32`
//! picks the op from a weighted table;
//! tags of 224 and above are *explicit*: RETURN/REVERT/INVALID are kept even in the root frame,
//! where otherwise they are turned into reads so that random inputs do not end early) and its
//! operands, each a selector byte and a payload.

use arbitrary::{Arbitrary, Result, Unstructured};

use super::case::{
    u as word, Capacity, Case, Op, DEFAULT_LIMIT, LARGE_FRAME, LARGE_GAS, LARGE_LIMIT,
    MAX_CASE_OPS, MAX_OPS, MAX_ROOT_GAS,
};
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

/// Limit selectors that announce a setup byte ([`Setup`]), per profile ([`Profile::Full`],
/// [`Profile::Small`]): values no committed corpus input starts with, inside ranges that
/// otherwise pick a limit alone.
pub const SETUP_SELECTORS: [core::ops::RangeInclusive<u8>; 2] = [152..=167, 64..=79];

/// What a setup byte chooses: the starting capacity (`byte % 4`: reuse, zero, exact, generous;
/// an exact one of `32 << 2k` bytes for `k = byte / 4 % 8`, 32 B to 512 KiB), and by
/// `byte / 32`: 1 to 5 let RETURNDATACOPY through in the root, 6 asks for large frames
/// ([`Profile::Full`] only), 7 for deep call chains.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Setup {
    /// The engines' starting allocation.
    pub capacity: Capacity,
    /// Random RETURNDATACOPYs in the root frame stay RETURNDATACOPYs before any child returned
    /// (elsewhere they become CALLDATACOPYs, which go on): with no return data, any but
    /// `RETURNDATACOPY(_, 0, 0)` fails the EIP-211 bound check — huge source offsets that
    /// saturate and zero lengths included — and ends the case.
    pub root_return_data: bool,
    /// Large frames: the limit selectors that mean the 4 GiB default mean [`LARGE_LIMIT`]
    /// instead, the root gas is [`LARGE_GAS`] (or a value up to it), and one offset selector
    /// range gives offsets from just under [`LARGE_FRAME`] up to 14 MiB past it.
    pub large: bool,
    /// Deep call chains: every CALL, RETURN and REVERT is followed by a repeat byte `r` and
    /// stands for `1 + 4r` identical ops (up to [`MAX_CASE_OPS`] ops in all); under
    /// [`Profile::Full`] the root gas is [`LARGE_GAS`] (or a value up to it).
    pub deep: bool,
}

/// Exact capacities a setup byte chooses from.
const EXACT_CAPACITIES: [usize; 8] = [
    32,
    128,
    512,
    2 << 10,
    8 << 10,
    32 << 10,
    128 << 10,
    512 << 10,
];

impl Setup {
    /// The setup a setup byte chooses under `profile`.
    pub const fn from_byte(b: u8, profile: Profile) -> Self {
        let capacity = match b % 4 {
            0 => Capacity::Reuse,
            1 => Capacity::Zero,
            2 => Capacity::Exact(EXACT_CAPACITIES[((b / 4) % 8) as usize]),
            _ => Capacity::Generous,
        };
        Self {
            capacity,
            root_return_data: matches!(b / 32, 1..=5),
            large: b / 32 == 6 && matches!(profile, Profile::Full),
            deep: b / 32 == 7,
        }
    }

    /// The setup byte that chooses this setup, if one does.
    fn byte(self) -> Option<u8> {
        let (low, k) = match self.capacity {
            Capacity::Reuse => (0, 0),
            Capacity::Zero => (1, 0),
            Capacity::Exact(bytes) => (2, EXACT_CAPACITIES.iter().position(|&c| c == bytes)?),
            Capacity::Generous => (3, 0),
        };
        let kind = match (self.root_return_data, self.large, self.deep) {
            (false, false, false) => 0,
            (true, false, false) => 1,
            (false, true, false) => 6,
            (false, false, true) => 7,
            _ => return None,
        };
        Some(kind * 32 + (k as u8) * 4 + low)
    }
}

/// Repeat counts a deep case's CALLs, RETURNs and REVERTs stand for: `1 + 4r` for a repeat
/// byte `r`.
const fn repeats(r: u8) -> usize {
    1 + 4 * r as usize
}

/// Whether `op` is followed by a repeat byte in a deep case: CALL (a chain down), RETURN and
/// REVERT (a chain back up, return data handed through every frame).
const fn repeats_in_deep_cases(op: &Op) -> bool {
    matches!(op, Op::Call { .. } | Op::Return { .. } | Op::Revert { .. })
}

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

/// The first offset selector that picks a [`HUGE`] value (by the next byte).
const HUGE_OFFSET: u8 = 215;

/// The first length selector that picks a [`HUGE`] value (by the next byte).
const HUGE_LENGTH: u8 = 238;

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

/// The input being decoded: bytes read front to back, zeros past the end (as
/// `Unstructured::fill_buffer` reads them: the format is defined on it, and a libFuzzer typed
/// target hands its `Unstructured` over whole). Its own type so that decoding, which fuzz
/// targets do for every input, costs a byte comparison per byte read.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// An input over `data`.
    pub const fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// `true` once every byte was read.
    pub const fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Fills `buf` with the next bytes, zeros past the end of the input.
    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        let n = buf.len().min(self.data.len());
        let (read, rest) = self.data.split_at(n);
        buf[..n].copy_from_slice(read);
        buf[n..].fill(0);
        self.data = rest;
    }
}

/// The next `N` input bytes (zeros past the end). The byte readers here serve both generators.
pub(crate) fn take<const N: usize>(u: &mut Input<'_>) -> [u8; N] {
    let mut buf = [0u8; N];
    u.fill(&mut buf);
    buf
}

/// The next byte (zero past the end).
pub(crate) fn byte(u: &mut Input<'_>) -> u8 {
    match u.data.split_first() {
        Some((&b, rest)) => {
            u.data = rest;
            b
        }
        None => 0,
    }
}

/// The next two bytes, little-endian.
pub(crate) fn u16_le(u: &mut Input<'_>) -> u16 {
    u16::from_le_bytes(take(u))
}

/// The next four bytes, little-endian.
pub(crate) fn u32_le(u: &mut Input<'_>) -> u32 {
    u32::from_le_bytes(take(u))
}

/// A byte string shorter than `max` into `v`: mostly under 16 bytes, so that inputs go to ops.
fn byte_string_into(u: &mut Input<'_>, max: u8, v: &mut Vec<u8>) {
    let sel = byte(u);
    let n = if sel < 192 { sel % 16 } else { byte(u) % max } as usize;
    v.clear();
    v.resize(n, 0);
    u.fill(v);
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
    /// could only fail) is decoded as CALLDATACOPY, unless the setup lets them through
    /// ([`Setup::root_return_data`]).
    returned: bool,
    /// The case's setup (large frames, deep call chains).
    setup: Setup,
}

impl Decoder {
    /// An offset-like value. Values that make the frame fail (huge, near a 4 GiB limit) are
    /// kept rare enough that sequences go on: a failure ends the frame that hit it.
    fn offset(&self, u: &mut Input<'_>) -> U256 {
        let mut sel = byte(u);
        if self.safe && sel >= 207 {
            sel = byte(u);
        }
        match sel {
            0..=119 => word(byte(u).into()),
            120..=169 => self.word_edge(u),
            170..=206 => self.fit(u16_le(u) as u64 % 8192),
            207..=214 => self.near_limit(u),
            HUGE_OFFSET..=226 => HUGE[(byte(u) % 8) as usize],
            227..=251 if self.setup.large => {
                // From 4 KiB under a large frame to up to 14 MiB past it, mostly near it.
                let span = 4096u64 << (byte(u) % 13);
                word(LARGE_FRAME as u64 - 4096 + u32_le(u) as u64 % span)
            }
            227..=251 => self.fit(u32_le(u) as u64 % (1 << 18)),
            _ => U256::from_be_bytes(take::<32>(u)),
        }
    }

    /// A length-like value: zero a quarter of the time.
    fn length(&self, u: &mut Input<'_>) -> U256 {
        let mut sel = byte(u);
        if self.safe && sel >= 230 {
            sel = byte(u);
        }
        match sel {
            0..=69 => U256::ZERO,
            70..=149 => word(byte(u).into()),
            150..=189 => word([1u64, 31, 32, 33, 64][(byte(u) % 5) as usize]),
            190..=229 => self.fit(u16_le(u) as u64 % 8192),
            230..=237 => self.near_limit(u),
            HUGE_LENGTH..=251 => HUGE[(byte(u) % 8) as usize],
            _ => U256::from_be_bytes(take::<32>(u)),
        }
    }

    /// `v`, folded under half the limit in safe mode when the limit is small.
    fn fit(&self, v: u64) -> U256 {
        if self.safe && self.limit < (1 << 20) {
            word(v % (self.limit / 2).max(1))
        } else {
            word(v)
        }
    }

    /// A word to store: a byte, a `u64` or all 32 bytes.
    fn value(&self, u: &mut Input<'_>) -> U256 {
        match byte(u) {
            0..=127 => word(byte(u).into()),
            128..=191 => word(u64::from_le_bytes(take(u))),
            _ => U256::from_be_bytes(take::<32>(u)),
        }
    }

    /// `32·k + d` for small `k` and `d ∈ {-1, 0, +1}`.
    fn word_edge(&self, u: &mut Input<'_>) -> U256 {
        let b = byte(u);
        let k = (b % 64) as u64;
        let d = (b / 64) % 3;
        word((k * 32 + d as u64).saturating_sub(1))
    }

    /// Within a few words of the memory limit.
    fn near_limit(&self, u: &mut Input<'_>) -> U256 {
        let b = byte(u);
        let back = (b % 4) as u64 * 32;
        let d = ((b / 4) % 3) as u64;
        word((self.limit.saturating_sub(back) + d).saturating_sub(1))
    }

    fn call_gas(&self, u: &mut Input<'_>) -> u64 {
        match byte(u) {
            0..=95 => u64::MAX,
            96..=191 => byte(u) as u64,
            192..=223 => u16_le(u) as u64,
            _ => u32_le(u) as u64,
        }
    }

    /// The next op and how many times it repeats (more than once only for a deep case's
    /// CALLs).
    fn op(&mut self, u: &mut Input<'_>) -> (Op, usize) {
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
            7 if self.safe && !self.returned && !self.setup.root_return_data => Op::CallDataCopy {
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
        let mut count = if self.setup.deep && repeats_in_deep_cases(&op) {
            repeats(byte(u))
        } else {
            1
        };
        let depth = &mut self.depth;
        match op {
            Op::Call { .. } => *depth += count,
            Op::Return { offset, len } | Op::Revert { offset, len } if *depth == 0 && !explicit => {
                return (Op::Read { offset, len }, 1)
            }
            Op::Return { .. } | Op::Revert { .. } if !explicit => {
                // Not past the nominal root, which they would end.
                count = count.min(*depth);
                *depth -= count;
                self.returned = true;
            }
            Op::Halt if *depth == 0 && !explicit => return (Op::MSize, 1),
            Op::Return { .. } | Op::Revert { .. } => {
                *depth = depth.saturating_sub(count);
                self.returned = true;
            }
            Op::Halt => *depth = depth.saturating_sub(1),
            _ => {}
        }
        (op, count)
    }
}

/// Decodes a case from the rest of `u` with the given profile (all of it is read).
pub fn decode_with(u: &mut Unstructured<'_>, profile: Profile) -> Case {
    let mut case = Case::default();
    let rest = u.bytes(u.len()).unwrap_or_default();
    decode_into(rest, profile, &mut case);
    case
}

/// Decodes `data` with the given profile into `case`, reusing its allocations (what the fuzz
/// targets do, input after input).
pub fn decode_into(data: &[u8], profile: Profile, case: &mut Case) {
    let u = &mut Input::new(data);
    let mut selector = byte(u);
    let mut setup = Setup::default();
    if SETUP_SELECTORS[profile as usize].contains(&selector) {
        setup = Setup::from_byte(byte(u), profile);
        selector = byte(u);
    }
    let mut pricing = MemoryPricing::MAINNET;
    if PRICING_SELECTORS[profile as usize].contains(&selector) {
        pricing = pricing_from_byte(byte(u));
        selector = byte(u);
    }
    let (limit, gas) = match profile {
        Profile::Full => {
            let limit = match selector {
                0..=191 if setup.large => LARGE_LIMIT,
                0..=191 => DEFAULT_LIMIT,
                192..=223 => 32 * (1 + (byte(u) % 64) as u64),
                _ => u32_le(u) as u64 + 1,
            };
            let gas = if setup.large || setup.deep {
                match byte(u) {
                    0..=127 => LARGE_GAS,
                    _ => u32_le(u) as u64 % (LARGE_GAS + 1),
                }
            } else {
                match byte(u) {
                    0..=31 => byte(u) as u64,
                    32..=63 => u16_le(u) as u64,
                    64..=223 => 3_000_000,
                    _ => u32_le(u) as u64 % (MAX_ROOT_GAS + 1),
                }
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
    case.limit = limit;
    case.gas = gas;
    case.pricing = pricing;
    case.capacity = setup.capacity;
    byte_string_into(u, 128, &mut case.calldata);
    byte_string_into(u, 64, &mut case.code);
    let mut decoder = Decoder {
        limit,
        depth: 0,
        safe: true,
        returned: false,
        setup,
    };
    case.ops.clear();
    let mut spelled = 0;
    while !u.is_empty() && spelled < MAX_OPS && case.ops.len() < MAX_CASE_OPS {
        let (op, count) = decoder.op(u);
        spelled += 1;
        let count = count.min(MAX_CASE_OPS - case.ops.len());
        for _ in 1..count {
            case.ops.push(op.clone());
        }
        case.ops.push(op);
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
/// profile turns it back into the same case. A case that needs one gets a setup byte
/// ([`Setup`]): a capacity other than [`Capacity::Reuse`]; more than [`MAX_OPS`] ops (a deep
/// case, runs of identical CALLs written once with a repeat count); under [`Profile::Full`],
/// root gas above [`MAX_ROOT_GAS`] (a large case).
///
/// # Errors
/// A description of what cannot be encoded: calldata of 128 bytes or more, code of 64 or more,
/// more than [`MAX_CASE_OPS`] ops or more than [`MAX_OPS`] once runs of CALLs are counted
/// once; for [`Profile::Full`] a root gas above [`LARGE_GAS`] (above [`MAX_ROOT_GAS`] for a
/// case of few ops) or a limit of 0 or above 4 GiB; for [`Profile::Small`] a limit outside
/// 1..=2048 or gas of 1024 or more; a pricing that no pricing byte chooses
/// ([`pricing_from_byte`]); an exact capacity no setup byte chooses.
pub fn encode_with(case: &Case, profile: Profile) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    if case.ops.len() > MAX_CASE_OPS {
        return Err(format!("{} ops (max {MAX_CASE_OPS})", case.ops.len()));
    }
    let deep = case.ops.len() > MAX_OPS;
    let setup = Setup {
        capacity: case.capacity,
        // Ops are written with explicit tags, which keep every RETURNDATACOPY.
        root_return_data: false,
        large: !deep && profile == Profile::Full && case.gas > MAX_ROOT_GAS,
        deep,
    };
    if setup != Setup::default() {
        let b = setup
            .byte()
            .ok_or_else(|| format!("capacity {:?} has no setup byte", case.capacity))?;
        out.extend_from_slice(&[*SETUP_SELECTORS[profile as usize].start(), b]);
    }
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
            let default_limit = if setup.large {
                LARGE_LIMIT
            } else {
                DEFAULT_LIMIT
            };
            match case.limit {
                limit if limit == default_limit => out.push(0),
                1..=DEFAULT_LIMIT => {
                    out.push(255);
                    out.extend_from_slice(&((case.limit - 1) as u32).to_le_bytes());
                }
                other => return Err(format!("limit {other} is outside 1..=4 GiB")),
            }
            if setup.large || setup.deep {
                if case.gas > LARGE_GAS {
                    return Err(format!("root gas {} is above {LARGE_GAS}", case.gas));
                }
                if case.gas == LARGE_GAS {
                    out.push(0);
                } else {
                    out.push(255);
                    out.extend_from_slice(&(case.gas as u32).to_le_bytes());
                }
            } else {
                if case.gas > MAX_ROOT_GAS {
                    return Err(format!("root gas {} is above {MAX_ROOT_GAS}", case.gas));
                }
                out.push(255);
                out.extend_from_slice(&(case.gas as u32).to_le_bytes());
            }
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
    let mut spelled = 0;
    let mut rest = &case.ops[..];
    while let Some(op) = rest.first() {
        let mut count = 1;
        encode_op(&mut out, op);
        if setup.deep && repeats_in_deep_cases(op) {
            // The longest run of this op one repeat byte spells.
            let run = rest.iter().take_while(|o| *o == op).count();
            let r = ((run - 1) / 4).min(255);
            out.push(r as u8);
            count = repeats(r as u8);
        }
        rest = &rest[count..];
        spelled += 1;
    }
    if spelled > MAX_OPS {
        return Err(format!(
            "{spelled} ops once runs of CALLs count once (max {MAX_OPS})"
        ));
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

/// The values memories are most often wrong at, named: word edges, the size classes where the
/// quadratic term of the cost and the allocation change (powers of two from a word to 4 GiB),
/// 2^32 and 2^64 with their neighbours, and 2^256 − 1. The fuzz dictionaries spell them as each
/// generator reads them ([`dictionary`], `evm::generate::dictionary`).
pub fn magic_values() -> Vec<(String, U256)> {
    let mut values: Vec<(String, U256)> = [31u64, 32, 33, 63, 64, 65, 0x3e0]
        .iter()
        .map(|&v| (format!("{v}"), U256::from(v)))
        .collect();
    for k in 6..=32 {
        values.push((format!("2^{k}"), U256::from(1u64) << k));
    }
    for (name, v) in [
        ("2^32-1", U256::from(u32::MAX)),
        ("2^32+1", U256::from((1u64 << 32) + 1)),
        ("2^32+32", U256::from((1u64 << 32) + 32)),
        ("2^64-1", U256::from(u64::MAX)),
        ("2^64-32", U256::from(u64::MAX - 31)),
        ("2^64", U256::from(1u8) << 64),
        ("2^255", U256::from(1u8) << 255),
        ("2^256-1", U256::MAX),
    ] {
        values.push((name.to_string(), v));
    }
    values
}

/// The op model's fuzz dictionary (`diff_ops` and `diff_small`: the op encoding is the same in
/// both profiles), spelled by this module's encoder, so that it cannot drift from the decoder:
/// every op kind's explicit tag; every [`magic_values`] value as an offset and as a length
/// operand; the selector and index of every `HUGE` value, as an offset and as a length.
pub fn dictionary() -> Vec<(String, Vec<u8>)> {
    let mut entries = Vec::new();
    let kinds = [
        Op::MStore {
            offset: U256::ZERO,
            value: U256::ZERO,
        },
        Op::MStore8 {
            offset: U256::ZERO,
            value: 0,
        },
        Op::MLoad { offset: U256::ZERO },
        Op::MSize,
        Op::MCopy {
            dst: U256::ZERO,
            src: U256::ZERO,
            len: U256::ZERO,
        },
        Op::CallDataCopy {
            mem_offset: U256::ZERO,
            data_offset: U256::ZERO,
            len: U256::ZERO,
        },
        Op::CodeCopy {
            mem_offset: U256::ZERO,
            data_offset: U256::ZERO,
            len: U256::ZERO,
        },
        Op::ReturnDataCopy {
            mem_offset: U256::ZERO,
            data_offset: U256::ZERO,
            len: U256::ZERO,
        },
        Op::Read {
            offset: U256::ZERO,
            len: U256::ZERO,
        },
        Op::Call {
            args_offset: U256::ZERO,
            args_len: U256::ZERO,
            ret_offset: U256::ZERO,
            ret_len: U256::ZERO,
            gas: u64::MAX,
        },
        Op::Return {
            offset: U256::ZERO,
            len: U256::ZERO,
        },
        Op::Revert {
            offset: U256::ZERO,
            len: U256::ZERO,
        },
        Op::Halt,
    ];
    for op in &kinds {
        entries.push((
            format!("op_{:?}", op.kind()).to_lowercase(),
            vec![EXPLICIT_TAG + table_index(op)],
        ));
    }
    for (name, v) in magic_values() {
        let mut offset = Vec::new();
        encode_value(&mut offset, v, None);
        entries.push((format!("offset_{name}"), offset));
        let mut length = Vec::new();
        encode_value(&mut length, v, Some(0));
        entries.push((format!("length_{name}"), length));
    }
    for i in 0..HUGE.len() as u8 {
        entries.push((format!("huge_offset_{i}"), vec![HUGE_OFFSET, i]));
        entries.push((format!("huge_length_{i}"), vec![HUGE_LENGTH, i]));
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::ops::case::u;

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
            capacity: Capacity::Reuse,
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
            capacity: Capacity::Reuse,
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
