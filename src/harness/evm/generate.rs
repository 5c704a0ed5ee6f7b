//! The program generator: raw bytes to a [`ProgramSpec`] ([`decode_program`]), biased toward
//! memory (stores, loads, copies, hashes, logs, calls with overlapping or empty regions, creates
//! from memory) and toward the values that break memory implementations (zero lengths at huge
//! offsets, word edges 31/32/33, 2^32 and neighbours, 2^64 − 1, values above 2^64, 2^256 − 1,
//! sizes that near the gas limit or the memory limit), and its exact inverse
//! [`encode_program`], which writes named scenarios as corpus files.
//!
//! As for the op model's generator (`harness::generate`), the format is this module's own,
//! built only on reading bytes front to back (bytes past the end read as zero), so every input
//! decodes; [`ProgramSpec`] implements `Arbitrary` by decoding.
//!
//! # Byte format
//!
//! * Header: the fork (a selector byte: mostly CANCUN, some PRAGUE, OSAKA, SHANGHAI, MERGE,
//!   LONDON, BERLIN; 255 then a `SpecId` byte); the gas limit (mostly 30k ..= 200k, 1 in 6
//!   200k ..= 1M, from a `u32`; 1 in 17 up to [`MAX_GENERATED_GAS`], 1 in 13 a tight
//!   30k ..= 50k; 255, 255 then any `u64`) — gas is what bounds the work and the memory of a
//!   run, so most programs get little of it; the memory limit (mostly revm's default, sometimes 32 B ..= 4 KiB or up to
//!   1 MiB; 255 then 0 for the default or another byte and a `u64`); the calldata and the
//!   data account's code (byte strings: a selector giving a length under 16 or 128, or 255,
//!   255 and a `u16`; then the bytes); the number of contracts (1 ..= 3; 255, 255 then a
//!   `u16`).
//! * Then per contract an action count (selector `% 17`, or `% 65` for one selector in four;
//!   255 then a selector `% 65`; 255, 255 and a `u16`) and its actions, until the count or the
//!   end of the input. A selector of 128 or more (not 255)
//!   also makes a contract other than the entry one take safe operands (below).
//! * Sizes that bound a run (the gas limit, above all: recursion through calls ends on gas or
//!   depth; counts; lengths) take two explicit bytes, so that random inputs rarely leave the
//!   bounds of biased decoding.
//! * An action is a tag byte and its operands. Tags below [`EXPLICIT_TAG`] pick the action
//!   from a weighted table of 64 ([`ACTION_TABLE`]) and are *biased*: before CANCUN an MCOPY
//!   is decoded as a CALLDATACOPY; a RETURN or REVERT that is not the contract's last action
//!   becomes a KECCAK256 of its region, and an INVALID or STOP an MSIZE, in the entry
//!   contract always and elsewhere for half the tags (so that random contracts do not end
//!   early). Tag [`EXPLICIT_TAG`] is followed by a byte naming the action kind exactly
//!   (`% 17`, in [`ActionKind::ALL`]'s order), never rewritten. Init code (written by a
//!   CREATE) is an action list of its own, never holding a CREATE.
//! * Operands are selector bytes with payloads, their ranges weighted per operand (offset,
//!   length, stored value, call gas, value transferred, storage slot, …). Selector 255 is the
//!   *explicit* form everywhere: a form byte (`% 8`: a constant as `u16`, `u64` or 32 bytes;
//!   CALLDATASIZE, RETURNDATASIZE, MSIZE, CODESIZE, GAS) and its payload.
//! * In the entry contract, whose failure ends the transaction, and in half the others
//!   (so that callees often reach their RETURN or REVERT), operands are *safe*:
//!   selectors that likely end the frame (huge values, sizes near the gas limit or the memory
//!   limit, a RETURNDATACOPY past the end) are folded into the rest of their range, constants
//!   are folded under half a small memory limit, and a call's "all the gas" becomes an 8th to
//!   a 64th of the gas limit (so that a child that halts leaves the entry contract gas to go
//!   on). The init code the entry contract writes is decoded the same way (a CREATE hands it
//!   all but a 64th of the gas). Explicit selectors are exact.
//!
//! [`encode_program`] writes only explicit forms (explicit tags, selector 255, exact counts),
//! which decode the same whatever the decoder's state, so `decode(encode(x)) == x`.

use arbitrary::{Arbitrary, Result, Unstructured};
use revm_primitives::{hardfork::SpecId, U256};

use crate::harness::ops::generate::{byte, take, u16_le, u32_le, Input, HUGE};

use super::spec::{
    Action, ActionKind, CallKind, CreateKind, InitCode, ProgramSpec, Region, Sink, Target, Word,
    MAX_ACTIONS, MAX_BYTES, MAX_CONTRACTS, MAX_INIT_ACTIONS,
};

/// The tag whose next byte names the action kind exactly.
pub const EXPLICIT_TAG: u8 = 255;

/// The explicit selector of every operand.
const EXPLICIT: u8 = 255;

/// Largest gas limit a header decodes to, unless it spells one out with two explicit bytes
/// (1 in 65,536 random headers; the named 1,024-deep call chain needs 2^44). The gas limit is
/// what bounds a run: recursion through calls ends on gas or depth, so a program that calls
/// itself twice per frame runs as many frames as its gas pays for.
pub const MAX_GENERATED_GAS: u64 = 10_000_000;

/// Most actions a contract gets from a biased count.
pub const MAX_GENERATED_ACTIONS: usize = 64;

/// Most actions the body of written init code gets from a biased count.
pub const MAX_GENERATED_INIT_ACTIONS: usize = 8;

/// Each action kind's weight in [`ACTION_TABLE`] (out of 64): memory ops, copies and calls
/// first.
pub const ACTION_WEIGHTS: [(ActionKind, usize); 17] = [
    (ActionKind::MStore, 6),
    (ActionKind::MStore8, 3),
    (ActionKind::MLoad, 4),
    (ActionKind::Observe, 3),
    (ActionKind::MCopy, 5),
    (ActionKind::CallDataCopy, 3),
    (ActionKind::CodeCopy, 2),
    (ActionKind::ExtCodeCopy, 3),
    (ActionKind::ReturnDataCopy, 4),
    (ActionKind::Keccak, 3),
    (ActionKind::Log, 2),
    (ActionKind::Call, 14),
    (ActionKind::Create, 3),
    (ActionKind::Return, 4),
    (ActionKind::Revert, 3),
    (ActionKind::Invalid, 1),
    (ActionKind::Stop, 1),
];

/// The weighted action table biased tags index (`tag % 64`), from [`ACTION_WEIGHTS`].
pub const ACTION_TABLE: [ActionKind; 64] = {
    let mut table = [ActionKind::MStore; 64];
    let (mut at, mut k) = (0, 0);
    while k < ACTION_WEIGHTS.len() {
        let mut n = 0;
        while n < ACTION_WEIGHTS[k].1 {
            table[at] = ACTION_WEIGHTS[k].0;
            at += 1;
            n += 1;
        }
        k += 1;
    }
    assert!(at == 64, "the weights add up to 64");
    table
};

/// revm's default memory limit (`CfgEnv::memory_limit`).
const REVM_DEFAULT_LIMIT: u64 = (1 << 32) - 1;

fn u64_le(u: &mut Input<'_>) -> u64 {
    u64::from_le_bytes(take(u))
}

fn raw_word(u: &mut Input<'_>) -> U256 {
    U256::from_be_bytes(take::<32>(u))
}

/// A byte string: mostly under 16 bytes, sometimes under 128, or an explicit `u16` length.
fn byte_string(u: &mut Input<'_>) -> Vec<u8> {
    let n = match byte(u) {
        s @ 0..=191 => (s % 16) as usize,
        192..=254 => (byte(u) % 128) as usize,
        _ => match byte(u) {
            EXPLICIT => u16_le(u) as usize,
            s => (s % 128) as usize,
        },
    };
    let mut v = vec![0u8; n];
    u.fill(&mut v);
    v
}

/// The explicit form of a word (after selector 255).
fn explicit_word(u: &mut Input<'_>) -> Word {
    match byte(u) % 8 {
        0 => Word::Const(U256::from(u16_le(u))),
        1 => Word::Const(U256::from(u64_le(u))),
        2 => Word::Const(raw_word(u)),
        3 => Word::CallDataSize,
        4 => Word::ReturnDataSize,
        5 => Word::MSize,
        6 => Word::CodeSize,
        _ => Word::Gas,
    }
}

fn explicit_target(u: &mut Input<'_>) -> Target {
    match byte(u) % 5 {
        0 => Target::This,
        1 => Target::Identity,
        2 => Target::Empty,
        3 => Target::Data,
        _ => Target::Contract(u16_le(u)),
    }
}

/// `v + d` for a constant below 2^64, else `max(d, 0)`.
fn shifted(w: Word, d: i64) -> Word {
    match w {
        Word::Const(v) if v <= U256::from(u64::MAX) => {
            Word::Const(U256::from(v.to::<u64>().saturating_add_signed(d)))
        }
        _ => Word::Const(U256::from(d.max(0) as u64)),
    }
}

/// The largest memory size, in bytes, whose expansion `gas` pays for (3 gas a word plus a
/// 512th of its square).
pub fn memory_for_gas(gas: u64) -> u64 {
    let g = gas as f64;
    let mut words = (256.0 * ((9.0 + g / 128.0).sqrt() - 3.0)) as u64;
    let cost = |w: u64| (3 * w as u128) + (w as u128 * w as u128) / 512;
    while words > 0 && cost(words) > gas as u128 {
        words -= 1;
    }
    while cost(words + 1) <= gas as u128 {
        words += 1;
    }
    words.saturating_mul(32)
}

/// Decoding state: what the operand generators need to know.
struct Decoder {
    spec: SpecId,
    gas_limit: u64,
    /// Memory the whole gas limit pays for, in bytes.
    gas_memory: u64,
    /// The memory limit in force.
    limit: u64,
    /// Number of contracts (at least 1 for indexing).
    contracts: usize,
    /// Decoding the entry contract.
    entry: bool,
    /// Decoding init code.
    nested: bool,
    /// Operands are safe (the entry contract's).
    safe: bool,
    /// The contract being decoded takes safe operands: the entry contract always, the others
    /// when their action-count selector says so (half of them), so that callees too often run
    /// to their RETURN or REVERT, where their output reaches the caller's return region.
    careful: bool,
}

impl Decoder {
    /// A selector: 255 is explicit; in safe mode one at or above `risky` (and not 255) is
    /// folded below it.
    fn selector(&self, u: &mut Input<'_>, risky: u8) -> u8 {
        let s = byte(u);
        if self.safe && s >= risky && s != EXPLICIT {
            s % risky
        } else {
            s
        }
    }

    /// `v`, folded under half the memory limit in safe mode when the limit is small.
    fn fit(&self, v: u64) -> Word {
        if self.safe && self.limit < (1 << 20) {
            Word::from(v % (self.limit / 2).max(1))
        } else {
            Word::from(v)
        }
    }

    fn fit_word(&self, w: Word) -> Word {
        match w {
            Word::Const(v) => self.fit(v.saturating_to::<u64>()),
            other => other,
        }
    }

    /// `32·k + d` for small `k` and `d ∈ {-1, 0, +1}`.
    fn word_edge(u: &mut Input<'_>) -> Word {
        let b = byte(u);
        let k = (b % 64) as u64;
        let d = ((b / 64) % 3) as u64;
        Word::from((k * 32 + d).saturating_sub(1))
    }

    /// Near the memory the gas limit pays for (or a half, an eighth or a 64th of it), within
    /// a byte.
    fn near_gas(&self, u: &mut Input<'_>) -> Word {
        let b = byte(u);
        let size = self.gas_memory >> [0, 1, 3, 6][(b % 4) as usize];
        let d = ((b / 4) % 3) as u64;
        Word::from(size.saturating_add(d).saturating_sub(1))
    }

    /// Within a few words of the memory limit.
    fn near_limit(&self, u: &mut Input<'_>) -> Word {
        let b = byte(u);
        let back = (b % 4) as u64 * 32;
        let d = ((b / 4) % 3) as u64;
        Word::from(
            self.limit
                .saturating_sub(back)
                .saturating_add(d)
                .saturating_sub(1),
        )
    }

    fn huge(u: &mut Input<'_>) -> Word {
        Word::Const(HUGE[(byte(u) % 8) as usize])
    }

    /// A memory offset.
    fn offset(&self, u: &mut Input<'_>) -> Word {
        match self.selector(u, 197) {
            0..=99 => self.fit(byte(u) as u64),
            100..=149 => self.fit_word(Self::word_edge(u)),
            150..=174 => self.fit(u16_le(u) as u64 % 8192),
            175..=184 => Word::MSize,
            185..=189 => Word::CallDataSize,
            190..=194 => Word::ReturnDataSize,
            195..=196 => Word::CodeSize,
            197..=211 => Word::from(u32_le(u) as u64 % (1 << 18)),
            212..=224 => self.near_gas(u),
            225..=234 => Self::huge(u),
            235..=244 => self.near_limit(u),
            245..=254 => Word::Const(raw_word(u)),
            EXPLICIT => explicit_word(u),
        }
    }

    /// A length: zero a quarter of the time.
    fn length(&self, u: &mut Input<'_>) -> Word {
        match self.selector(u, 218) {
            0..=69 => Word::ZERO,
            70..=139 => self.fit(byte(u) as u64),
            140..=164 => self.fit([1u64, 31, 32, 33, 64][(byte(u) % 5) as usize]),
            165..=189 => self.fit(u16_le(u) as u64 % 8192),
            190..=199 => Word::CallDataSize,
            200..=209 => Word::ReturnDataSize,
            210..=214 => Word::MSize,
            215..=217 => Word::CodeSize,
            218..=229 => self.near_gas(u),
            230..=239 => Self::huge(u),
            240..=247 => self.near_limit(u),
            248..=254 => Word::Const(raw_word(u)),
            EXPLICIT => explicit_word(u),
        }
    }

    /// A word to store.
    fn value(&self, u: &mut Input<'_>) -> Word {
        match byte(u) {
            0..=127 => Word::from(byte(u) as u64),
            128..=191 => Word::from(u64_le(u)),
            192..=249 => Word::Const(raw_word(u)),
            250..=251 => Word::MSize,
            252..=253 => Word::ReturnDataSize,
            254 => Word::Gas,
            EXPLICIT => explicit_word(u),
        }
    }

    /// A word observed into a sink.
    fn observed(&self, u: &mut Input<'_>) -> Word {
        match byte(u) {
            0..=99 => Word::MSize,
            100..=179 => Word::ReturnDataSize,
            180..=219 => Word::CallDataSize,
            220..=239 => Word::CodeSize,
            240..=254 => Word::Gas,
            EXPLICIT => explicit_word(u),
        }
    }

    /// A call's gas operand: all (GAS), small, zero, medium or huge. Safe: an 8th to a 64th of
    /// the gas limit instead of all.
    fn call_gas(&self, u: &mut Input<'_>) -> Word {
        match byte(u) {
            0..=99 if self.safe => Word::from(self.gas_limit >> (3 + byte(u) % 4)),
            0..=99 => Word::Gas,
            100..=139 => Word::from(byte(u) as u64),
            140..=164 => Word::ZERO,
            165..=199 => Word::from(u16_le(u) as u64),
            200..=224 => Word::from(u32_le(u) as u64 % 1_000_000),
            225..=254 => Self::huge(u),
            EXPLICIT => explicit_word(u),
        }
    }

    /// Value transferred: mostly zero, sometimes 1, rarely more than any balance.
    fn transfer(&self, u: &mut Input<'_>) -> Word {
        match byte(u) {
            0..=219 => Word::ZERO,
            220..=244 => Word::from(1),
            245..=254 => Self::huge(u),
            EXPLICIT => explicit_word(u),
        }
    }

    fn salt(&self, u: &mut Input<'_>) -> Word {
        match byte(u) {
            0..=127 => Word::from(byte(u) as u64),
            128..=254 => Word::Const(raw_word(u)),
            EXPLICIT => explicit_word(u),
        }
    }

    fn slot(&self, u: &mut Input<'_>) -> Word {
        match byte(u) {
            EXPLICIT => explicit_word(u),
            s => Word::from((s % 8) as u64),
        }
    }

    fn sink(&self, u: &mut Input<'_>) -> Sink {
        match byte(u) {
            0..=191 => Sink::Pop,
            192..=231 => Sink::MStore(self.offset(u)),
            _ => Sink::SStore(self.slot(u)),
        }
    }

    /// The region a RETURN or REVERT hands back: mostly bytes that were written (all the
    /// memory so far, or a few words from the start), so that the output a caller receives
    /// is rarely empty; otherwise any region. 255: the independent form, exactly.
    fn output(&self, u: &mut Input<'_>) -> Region {
        match byte(u) {
            0..=79 => Region {
                offset: Word::ZERO,
                len: Word::MSize,
            },
            80..=159 => Region {
                offset: Word::from(32 * (byte(u) % 4) as u64),
                len: Word::from(32 * (1 + byte(u) % 3) as u64),
            },
            160..=254 => self.region(u),
            EXPLICIT => Region {
                offset: self.offset(u),
                len: self.length(u),
            },
        }
    }

    /// A region: independent offset and length, all the memory so far (`[0, MSIZE)`: what
    /// was written, as a RETURN or REVERT of everything, call arguments of everything), empty
    /// at a huge offset, or extending memory from MSIZE.
    fn region(&self, u: &mut Input<'_>) -> Region {
        match byte(u) {
            170..=209 => Region {
                offset: Word::ZERO,
                len: Word::MSize,
            },
            210..=234 => Region {
                offset: Self::huge(u),
                len: Word::ZERO,
            },
            235..=254 => Region {
                offset: Word::MSize,
                len: self.length(u),
            },
            _ => Region {
                offset: self.offset(u),
                len: self.length(u),
            },
        }
    }

    /// A call's return region: independent, overlapping the argument region, the same region,
    /// or the argument region shifted up.
    fn ret_region(&self, u: &mut Input<'_>, args: Region) -> Region {
        match byte(u) {
            128..=175 => {
                let d = (byte(u) % 65) as i64 - 32;
                Region {
                    offset: shifted(args.offset, d),
                    len: self.length(u),
                }
            }
            176..=199 => args,
            200..=254 => Region {
                offset: shifted(args.offset, (byte(u) % 64) as i64),
                len: args.len,
            },
            _ => self.region(u),
        }
    }

    /// RETURNDATACOPY's source offset: mostly in bounds.
    fn rdc_src(&self, u: &mut Input<'_>) -> Word {
        match self.selector(u, 160) {
            0..=159 => Word::ZERO,
            160..=191 => Word::from((byte(u) % 32) as u64),
            192..=223 => Word::ReturnDataSize,
            224..=254 => self.offset(u),
            EXPLICIT => explicit_word(u),
        }
    }

    /// RETURNDATACOPY's length: mostly all of the return data.
    fn rdc_len(&self, u: &mut Input<'_>) -> Word {
        match self.selector(u, 160) {
            0..=127 => Word::ReturnDataSize,
            128..=159 => Word::ZERO,
            160..=254 => self.length(u),
            EXPLICIT => explicit_word(u),
        }
    }

    fn contract(&self, t: u8) -> Target {
        Target::Contract((t as usize % self.contracts.max(1)) as u16)
    }

    fn call_target(&self, u: &mut Input<'_>) -> Target {
        match byte(u) {
            t @ 0..=95 => self.contract(t),
            96..=127 => Target::This,
            128..=223 => Target::Identity,
            224..=254 => Target::Empty,
            EXPLICIT => explicit_target(u),
        }
    }

    fn ext_target(&self, u: &mut Input<'_>) -> Target {
        match byte(u) {
            t @ 0..=111 => self.contract(t),
            112..=143 => Target::This,
            144..=175 => Target::Empty,
            176..=254 => Target::Data,
            EXPLICIT => explicit_target(u),
        }
    }

    fn call_kind(u: &mut Input<'_>) -> CallKind {
        match byte(u) {
            0..=127 => CallKind::Call,
            128..=159 => CallKind::CallCode,
            160..=207 => CallKind::DelegateCall,
            _ => CallKind::StaticCall,
        }
    }

    /// Where written init code goes.
    fn init_at(&self, u: &mut Input<'_>) -> U256 {
        match self.selector(u, 240) {
            0..=127 => U256::ZERO,
            128..=239 => U256::from(u16_le(u) % 4096),
            240..=254 => HUGE[(byte(u) % 8) as usize],
            EXPLICIT => raw_word(u),
        }
    }

    fn init_code(&mut self, u: &mut Input<'_>) -> InitCode {
        if byte(u) >= 192 {
            return InitCode::Region(self.region(u));
        }
        let at = self.init_at(u);
        let count = match byte(u) {
            EXPLICIT => match byte(u) {
                EXPLICIT => byte(u) as usize,
                c => c as usize % (MAX_GENERATED_INIT_ACTIONS + 1),
            },
            c => c as usize % (MAX_GENERATED_INIT_ACTIONS + 1),
        };
        // Init code decodes like the code creating it: safe in the entry contract, since a
        // CREATE hands its init code all but a 64th of the gas.
        let (nested, safe) = (self.nested, self.safe);
        self.nested = true;
        let body = self.actions(u, count);
        (self.nested, self.safe) = (nested, safe);
        let runtime = byte_string(u);
        InitCode::Written { at, body, runtime }
    }

    fn actions(&mut self, u: &mut Input<'_>, count: usize) -> Vec<Action> {
        let mut out = Vec::new();
        while out.len() < count && !u.is_empty() {
            let last = out.len() + 1 == count;
            out.push(self.action(u, last));
        }
        out
    }

    fn action(&mut self, u: &mut Input<'_>, last: bool) -> Action {
        let tag = byte(u);
        let explicit = tag == EXPLICIT_TAG;
        let mut kind = if explicit {
            ActionKind::ALL[byte(u) as usize % ActionKind::ALL.len()]
        } else {
            ACTION_TABLE[(tag % 64) as usize]
        };
        self.safe = self.careful;
        if !explicit && kind == ActionKind::MCopy && !self.spec.is_enabled_in(SpecId::CANCUN) {
            kind = ActionKind::CallDataCopy;
        }
        let keep_terminal = explicit || last || (!self.entry && (tag >> 6) & 1 == 1);
        let msize = Action::Observe {
            word: Word::MSize,
            sink: Sink::Pop,
        };
        match kind {
            ActionKind::MStore => Action::MStore {
                offset: self.offset(u),
                value: self.value(u),
            },
            ActionKind::MStore8 => Action::MStore8 {
                offset: self.offset(u),
                value: self.value(u),
            },
            ActionKind::MLoad => Action::MLoad {
                offset: self.offset(u),
                sink: self.sink(u),
            },
            ActionKind::Observe => Action::Observe {
                word: self.observed(u),
                sink: self.sink(u),
            },
            ActionKind::MCopy => Action::MCopy {
                dst: self.offset(u),
                src: self.offset(u),
                len: self.length(u),
            },
            ActionKind::CallDataCopy => Action::CallDataCopy {
                dst: self.offset(u),
                src: self.offset(u),
                len: self.length(u),
            },
            ActionKind::CodeCopy => Action::CodeCopy {
                dst: self.offset(u),
                src: self.offset(u),
                len: self.length(u),
            },
            ActionKind::ExtCodeCopy => Action::ExtCodeCopy {
                target: self.ext_target(u),
                dst: self.offset(u),
                src: self.offset(u),
                len: self.length(u),
            },
            ActionKind::ReturnDataCopy => Action::ReturnDataCopy {
                dst: self.offset(u),
                src: self.rdc_src(u),
                len: self.rdc_len(u),
            },
            ActionKind::Keccak => Action::Keccak {
                region: self.region(u),
                sink: self.sink(u),
            },
            ActionKind::Log => Action::Log {
                topics: byte(u) % 5,
                region: self.region(u),
            },
            ActionKind::Call => {
                let kind = Self::call_kind(u);
                let target = self.call_target(u);
                let gas = self.call_gas(u);
                let value = self.transfer(u);
                let args = self.region(u);
                let ret = self.ret_region(u, args);
                Action::Call {
                    kind,
                    target,
                    gas,
                    value,
                    args,
                    ret,
                    sink: self.sink(u),
                }
            }
            // Init code never creates: the structure stays finite.
            ActionKind::Create if self.nested => msize,
            ActionKind::Create => {
                let kind = if byte(u) & 1 == 0 {
                    CreateKind::Create
                } else {
                    CreateKind::Create2 { salt: self.salt(u) }
                };
                let value = self.transfer(u);
                let init = self.init_code(u);
                Action::Create {
                    kind,
                    value,
                    init,
                    sink: self.sink(u),
                }
            }
            ActionKind::Return | ActionKind::Revert if !keep_terminal => Action::Keccak {
                region: self.region(u),
                sink: Sink::Pop,
            },
            ActionKind::Return => Action::Return(self.output(u)),
            ActionKind::Revert => Action::Revert(self.output(u)),
            ActionKind::Invalid | ActionKind::Stop if !keep_terminal => msize,
            ActionKind::Invalid => Action::Invalid,
            ActionKind::Stop => Action::Stop,
        }
    }
}

/// An action count from a biased selector: mostly up to 16 (three selectors in four), else up
/// to [`MAX_GENERATED_ACTIONS`]. Short contracts keep a run (two engines, every instruction
/// compared) cheap, so that the fuzzer tries more programs; long ones still come.
fn biased_count(s: u8) -> usize {
    if s % 4 == 0 {
        s as usize % (MAX_GENERATED_ACTIONS + 1)
    } else {
        s as usize % 17
    }
}

/// Decodes a program spec from the rest of `u`.
fn decode_from(u: &mut Input<'_>) -> ProgramSpec {
    let spec = match byte(u) {
        0..=175 | 250..=254 => SpecId::CANCUN,
        176..=199 => SpecId::PRAGUE,
        200..=215 => SpecId::OSAKA,
        216..=231 => SpecId::SHANGHAI,
        232..=239 => SpecId::LONDON,
        240..=245 => SpecId::BERLIN,
        246..=249 => SpecId::MERGE,
        EXPLICIT => SpecId::try_from_u8(byte(u)).unwrap_or(SpecId::CANCUN),
    };
    let gas_limit = match byte(u) {
        0..=179 => 30_000 + u32_le(u) as u64 % 170_001,
        180..=219 => 200_000 + u32_le(u) as u64 % 800_001,
        220..=234 => 1_000_000 + u32_le(u) as u64 % (MAX_GENERATED_GAS - 1_000_000 + 1),
        235..=254 => 30_000 + u16_le(u) as u64 % 20_001,
        // Any gas limit takes two explicit bytes, so that random headers rarely get one.
        EXPLICIT => match byte(u) {
            EXPLICIT => u64_le(u),
            _ => 1_000_000 + u32_le(u) as u64 % (MAX_GENERATED_GAS - 1_000_000 + 1),
        },
    };
    let memory_limit = match byte(u) {
        0..=219 => None,
        220..=239 => Some(32 * (1 + (byte(u) % 128) as u64)),
        240..=254 => Some(1 + u32_le(u) as u64 % (1 << 20)),
        EXPLICIT => match byte(u) {
            0 => None,
            _ => Some(u64_le(u)),
        },
    };
    let calldata = byte_string(u);
    let data = byte_string(u);
    let count = match byte(u) {
        EXPLICIT => match byte(u) {
            EXPLICIT => (u16_le(u) as usize).min(MAX_CONTRACTS),
            s => [1, 2, 3, 3][(s % 4) as usize],
        },
        s => [1, 2, 3, 3][(s % 4) as usize],
    };
    let mut decoder = Decoder {
        spec,
        gas_limit,
        gas_memory: memory_for_gas(gas_limit),
        limit: memory_limit.unwrap_or(REVM_DEFAULT_LIMIT),
        contracts: count,
        entry: true,
        nested: false,
        safe: false,
        careful: false,
    };
    let mut contracts = Vec::with_capacity(count);
    for i in 0..count {
        decoder.entry = i == 0;
        let (n, careful) = match byte(u) {
            EXPLICIT => match byte(u) {
                EXPLICIT => ((u16_le(u) as usize).min(MAX_ACTIONS), false),
                s => (s as usize % (MAX_GENERATED_ACTIONS + 1), false),
            },
            s => (biased_count(s), s >= 128),
        };
        decoder.careful = decoder.entry || careful;
        contracts.push(decoder.actions(u, n));
    }
    ProgramSpec {
        spec,
        gas_limit,
        memory_limit,
        calldata,
        data,
        contracts,
    }
}

/// Decodes `data` as a program spec, exactly as a libFuzzer typed target taking a
/// `ProgramSpec` does (`ProgramSpec::arbitrary_take_rest`).
pub fn decode_program(data: &[u8]) -> ProgramSpec {
    decode_from(&mut Input::new(data))
}

impl<'a> Arbitrary<'a> for ProgramSpec {
    /// Reads the whole rest of `u`, as `arbitrary_take_rest` does.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(decode_program(u.bytes(u.len())?))
    }

    fn arbitrary_take_rest(u: Unstructured<'a>) -> Result<Self> {
        Ok(decode_program(u.take_rest()))
    }
}

/// Writes a program spec in the generator's byte format: [`decode_program`] turns the bytes
/// back into the same spec.
///
/// # Errors
/// A description of what cannot be encoded: more than [`MAX_CONTRACTS`] contracts, more than
/// [`MAX_ACTIONS`] actions in a contract or [`MAX_INIT_ACTIONS`] in init code, a CREATE inside
/// init code, a LOG of more than 4 topics, a byte string longer than [`MAX_BYTES`].
pub fn encode_program(spec: &ProgramSpec) -> std::result::Result<Vec<u8>, String> {
    let mut e = Encoder { out: Vec::new() };
    e.out
        .extend_from_slice(&[EXPLICIT, spec.spec as u8, EXPLICIT, EXPLICIT]);
    e.out.extend_from_slice(&spec.gas_limit.to_le_bytes());
    match spec.memory_limit {
        None => e.out.extend_from_slice(&[EXPLICIT, 0]),
        Some(limit) => {
            e.out.extend_from_slice(&[EXPLICIT, 1]);
            e.out.extend_from_slice(&limit.to_le_bytes());
        }
    }
    e.bytes(&spec.calldata)?;
    e.bytes(&spec.data)?;
    if spec.contracts.len() > MAX_CONTRACTS {
        return Err(format!(
            "{} contracts (max {MAX_CONTRACTS})",
            spec.contracts.len()
        ));
    }
    e.out.extend_from_slice(&[EXPLICIT, EXPLICIT]);
    e.out
        .extend_from_slice(&(spec.contracts.len() as u16).to_le_bytes());
    for (i, actions) in spec.contracts.iter().enumerate() {
        if actions.len() > MAX_ACTIONS {
            return Err(format!(
                "contract {i}: {} actions (max {MAX_ACTIONS})",
                actions.len()
            ));
        }
        e.out.extend_from_slice(&[EXPLICIT, EXPLICIT]);
        e.out
            .extend_from_slice(&(actions.len() as u16).to_le_bytes());
        for a in actions {
            e.action(a, false)?;
        }
    }
    Ok(e.out)
}

struct Encoder {
    out: Vec<u8>,
}

impl Encoder {
    fn bytes(&mut self, b: &[u8]) -> std::result::Result<(), String> {
        if b.len() > MAX_BYTES {
            return Err(format!(
                "a byte string of {} bytes (max {MAX_BYTES})",
                b.len()
            ));
        }
        self.out.extend_from_slice(&[EXPLICIT, EXPLICIT]);
        self.out.extend_from_slice(&(b.len() as u16).to_le_bytes());
        self.out.extend_from_slice(b);
        Ok(())
    }

    fn word(&mut self, w: Word) {
        self.out.push(EXPLICIT);
        match w {
            Word::Const(v) if v <= U256::from(u16::MAX) => {
                self.out.push(0);
                self.out.extend_from_slice(&v.to::<u16>().to_le_bytes());
            }
            Word::Const(v) if v <= U256::from(u64::MAX) => {
                self.out.push(1);
                self.out.extend_from_slice(&v.to::<u64>().to_le_bytes());
            }
            Word::Const(v) => {
                self.out.push(2);
                self.out.extend_from_slice(&v.to_be_bytes::<32>());
            }
            Word::CallDataSize => self.out.push(3),
            Word::ReturnDataSize => self.out.push(4),
            Word::MSize => self.out.push(5),
            Word::CodeSize => self.out.push(6),
            Word::Gas => self.out.push(7),
        }
    }

    fn words(&mut self, ws: &[Word]) {
        for &w in ws {
            self.word(w);
        }
    }

    /// The independent form of a region (selector 0).
    fn region(&mut self, r: Region) {
        self.out.push(0);
        self.words(&[r.offset, r.len]);
    }

    fn sink(&mut self, s: Sink) {
        match s {
            Sink::Pop => self.out.push(0),
            Sink::MStore(w) => {
                self.out.push(192);
                self.word(w);
            }
            Sink::SStore(w) => {
                self.out.push(232);
                self.word(w);
            }
        }
    }

    fn target(&mut self, t: Target) {
        self.out.push(EXPLICIT);
        match t {
            Target::This => self.out.push(0),
            Target::Identity => self.out.push(1),
            Target::Empty => self.out.push(2),
            Target::Data => self.out.push(3),
            Target::Contract(i) => {
                self.out.push(4);
                self.out.extend_from_slice(&i.to_le_bytes());
            }
        }
    }

    fn action(&mut self, a: &Action, nested: bool) -> std::result::Result<(), String> {
        let index = ActionKind::ALL
            .iter()
            .position(|&k| k == a.kind())
            .unwrap_or(0);
        self.out.extend_from_slice(&[EXPLICIT_TAG, index as u8]);
        match a {
            Action::MStore { offset, value } | Action::MStore8 { offset, value } => {
                self.words(&[*offset, *value])
            }
            Action::MLoad { offset: w, sink } | Action::Observe { word: w, sink } => {
                self.word(*w);
                self.sink(*sink);
            }
            Action::MCopy { dst, src, len }
            | Action::CallDataCopy { dst, src, len }
            | Action::CodeCopy { dst, src, len }
            | Action::ReturnDataCopy { dst, src, len } => self.words(&[*dst, *src, *len]),
            Action::ExtCodeCopy {
                target,
                dst,
                src,
                len,
            } => {
                self.target(*target);
                self.words(&[*dst, *src, *len]);
            }
            Action::Keccak { region, sink } => {
                self.region(*region);
                self.sink(*sink);
            }
            Action::Log { topics, region } => {
                if *topics > 4 {
                    return Err(format!("a LOG of {topics} topics"));
                }
                self.out.push(*topics);
                self.region(*region);
            }
            Action::Call {
                kind,
                target,
                gas,
                value,
                args,
                ret,
                sink,
            } => {
                self.out.push(match kind {
                    CallKind::Call => 0,
                    CallKind::CallCode => 128,
                    CallKind::DelegateCall => 160,
                    CallKind::StaticCall => 208,
                });
                self.target(*target);
                self.words(&[*gas, *value]);
                self.region(*args);
                // The return region's independent form.
                self.out.push(0);
                self.region(*ret);
                self.sink(*sink);
            }
            Action::Create {
                kind,
                value,
                init,
                sink,
            } => {
                if nested {
                    return Err("a CREATE inside init code".to_string());
                }
                match kind {
                    CreateKind::Create => self.out.push(0),
                    CreateKind::Create2 { salt } => {
                        self.out.push(1);
                        self.word(*salt);
                    }
                }
                self.word(*value);
                match init {
                    InitCode::Region(r) => {
                        self.out.push(192);
                        self.region(*r);
                    }
                    InitCode::Written { at, body, runtime } => {
                        if body.len() > MAX_INIT_ACTIONS {
                            return Err(format!(
                                "init code of {} actions (max {MAX_INIT_ACTIONS})",
                                body.len()
                            ));
                        }
                        self.out.extend_from_slice(&[0, EXPLICIT]);
                        self.out.extend_from_slice(&at.to_be_bytes::<32>());
                        self.out
                            .extend_from_slice(&[EXPLICIT, EXPLICIT, body.len() as u8]);
                        for a in body {
                            self.action(a, true)?;
                        }
                        self.bytes(runtime)?;
                    }
                }
                self.sink(*sink);
            }
            Action::Return(r) | Action::Revert(r) => {
                self.out.push(EXPLICIT);
                self.words(&[r.offset, r.len]);
            }
            Action::Invalid | Action::Stop => {}
        }
        Ok(())
    }
}

/// The memory opcodes and those that read or write memory regions, for the dictionary: the
/// data account's code is raw bytecode.
const MEMORY_OPCODES: [u8; 24] = {
    use revm_bytecode::opcode as op;
    [
        op::MLOAD,
        op::MSTORE,
        op::MSTORE8,
        op::MSIZE,
        op::MCOPY,
        op::CALLDATACOPY,
        op::CODECOPY,
        op::EXTCODECOPY,
        op::RETURNDATACOPY,
        op::KECCAK256,
        op::LOG0,
        op::LOG1,
        op::LOG2,
        op::LOG3,
        op::LOG4,
        op::CALL,
        op::CALLCODE,
        op::DELEGATECALL,
        op::STATICCALL,
        op::CREATE,
        op::CREATE2,
        op::RETURN,
        op::REVERT,
        op::INVALID,
    ]
};

/// The program generator's fuzz dictionary (`diff_evm`), spelled by this module's encoder, so
/// that it cannot drift from the decoder: every action kind's explicit tag; every
/// [`magic_values`](crate::harness::ops::generate::magic_values) value and CALLDATASIZE,
/// RETURNDATASIZE and MSIZE as an explicit operand; every call target; data code that starts
/// with the EOF and EIP-7702 prefixes (0xEF00, 0xEF01), as the header's byte string and bare;
/// and the memory opcodes, for the data account's code.
pub fn dictionary() -> Vec<(String, Vec<u8>)> {
    let mut entries = Vec::new();
    let spelled = |f: &dyn Fn(&mut Encoder)| {
        let mut e = Encoder { out: Vec::new() };
        f(&mut e);
        e.out
    };
    for (i, kind) in ActionKind::ALL.iter().enumerate() {
        entries.push((
            format!("action_{kind:?}").to_lowercase(),
            vec![EXPLICIT_TAG, i as u8],
        ));
    }
    for (name, v) in crate::harness::ops::generate::magic_values() {
        entries.push((format!("word_{name}"), spelled(&|e| e.word(Word::Const(v)))));
    }
    for (name, w) in [
        ("calldatasize", Word::CallDataSize),
        ("returndatasize", Word::ReturnDataSize),
        ("msize", Word::MSize),
    ] {
        entries.push((format!("word_{name}"), spelled(&|e| e.word(w))));
    }
    for (name, t) in [
        ("this", Target::This),
        ("identity", Target::Identity),
        ("empty", Target::Empty),
        ("data", Target::Data),
        ("contract_1", Target::Contract(1)),
    ] {
        entries.push((format!("target_{name}"), spelled(&|e| e.target(t))));
    }
    for prefix in [[0xEF, 0x00], [0xEF, 0x01]] {
        let name = format!("{:02x}{:02x}", prefix[0], prefix[1]);
        // `bytes` fails only past MAX_BYTES.
        let string = spelled(&|e| {
            let _ = e.bytes(&prefix);
        });
        entries.push((format!("data_code_{name}"), string));
        entries.push((format!("code_{name}"), prefix.to_vec()));
    }
    for opcode in MEMORY_OPCODES {
        let name = revm_bytecode::opcode::OpCode::name_by_op(opcode).to_lowercase();
        entries.push((format!("opcode_{name}"), vec![opcode]));
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(state: &mut u64) -> u8 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state >> 24) as u8
    }

    #[test]
    fn empty_input_is_an_empty_cancun_program() {
        let p = decode_program(&[]);
        assert_eq!(p.spec, SpecId::CANCUN);
        assert_eq!(p.gas_limit, 30_000);
        assert_eq!(p.contracts, vec![Vec::<Action>::new()]);
    }

    #[test]
    fn memory_for_gas_is_the_largest_affordable_size() {
        for gas in [0u64, 3, 100, 30_000, 1_000_000, 10_000_000, u64::MAX / 2] {
            let words = memory_for_gas(gas) / 32;
            let cost = |w: u64| 3 * w as u128 + (w as u128 * w as u128) / 512;
            assert!(cost(words) <= gas as u128, "{gas}");
            assert!(cost(words + 1) > gas as u128, "{gas}");
        }
    }

    #[test]
    fn random_specs_round_trip() {
        let mut state = 0x1234_5678_9abc_def1u64;
        for n in 0..2000 {
            let len = 1 + n % 1500;
            let bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state)).collect();
            let spec = decode_program(&bytes);
            let encoded = encode_program(&spec).expect("generated specs encode");
            assert_eq!(decode_program(&encoded), spec, "input {n}");
            let mut u = Unstructured::new(&encoded);
            assert_eq!(ProgramSpec::arbitrary(&mut u).unwrap(), spec);
        }
    }

    /// Over random inputs the decoder produces every action kind, call kind, target and word
    /// form, both kinds of init code and every sink.
    #[test]
    fn random_inputs_reach_every_form() {
        use std::collections::HashSet;
        let mut state = 0x0DDB_1A5E_5BAD_5EEDu64;
        let (mut kinds, mut calls, mut targets, mut words) = (
            HashSet::new(),
            HashSet::new(),
            HashSet::new(),
            HashSet::new(),
        );
        let (mut written, mut region, mut sstore, mut mstore) = (false, false, false, false);
        let word = |w: &Word, words: &mut HashSet<_>| {
            words.insert(core::mem::discriminant(w));
        };
        for n in 0..3000 {
            let len = 64 + n % 1024;
            let bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state)).collect();
            let spec = decode_program(&bytes);
            let mut pending: Vec<&Action> = spec.contracts.iter().flatten().collect();
            while let Some(a) = pending.pop() {
                kinds.insert(a.kind());
                match a {
                    Action::Call {
                        kind,
                        target,
                        gas,
                        args,
                        sink,
                        ..
                    } => {
                        calls.insert(*kind);
                        targets.insert((true, core::mem::discriminant(target)));
                        word(gas, &mut words);
                        word(&args.offset, &mut words);
                        sstore |= matches!(sink, Sink::SStore(_));
                        mstore |= matches!(sink, Sink::MStore(_));
                    }
                    Action::ExtCodeCopy { target, .. } => {
                        targets.insert((false, core::mem::discriminant(target)));
                    }
                    Action::Create { init, .. } => match init {
                        InitCode::Written { body, .. } => {
                            written = true;
                            pending.extend(body.iter());
                        }
                        InitCode::Region(_) => region = true,
                    },
                    Action::MStore { offset, value } => {
                        word(offset, &mut words);
                        word(value, &mut words);
                    }
                    _ => {}
                }
            }
        }
        assert_eq!(kinds.len(), ActionKind::ALL.len(), "{kinds:?}");
        assert_eq!(calls.len(), CallKind::ALL.len());
        // Calls: a contract, this, identity, empty; copies: a contract, this, empty, data (and
        // explicit targets the rest).
        assert!(targets.len() >= 8, "{targets:?}");
        assert_eq!(words.len(), 6, "every word form");
        assert!(written && region && sstore && mstore);
    }

    #[test]
    fn encode_rejects_what_it_cannot_express() {
        let nested = ProgramSpec {
            contracts: vec![vec![Action::Create {
                kind: CreateKind::Create,
                value: Word::ZERO,
                init: InitCode::Written {
                    at: U256::ZERO,
                    body: vec![Action::Create {
                        kind: CreateKind::Create,
                        value: Word::ZERO,
                        init: InitCode::Region(Region::at(0, 0)),
                        sink: Sink::Pop,
                    }],
                    runtime: vec![],
                },
                sink: Sink::Pop,
            }]],
            ..ProgramSpec::default()
        };
        assert!(encode_program(&nested).is_err());
        let log = ProgramSpec {
            contracts: vec![vec![Action::Log {
                topics: 5,
                region: Region::at(0, 0),
            }]],
            ..ProgramSpec::default()
        };
        assert!(encode_program(&log).is_err());
    }
}
