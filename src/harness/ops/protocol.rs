//! The engine protocol, version [`PROTOCOL_VERSION`]: how the harness talks to a memory that
//! runs in another process (any language) over its standard input and output, one JSON object
//! per line. Documented for implementers in `docs/engine-protocol.md`; this module encodes and
//! decodes its messages, the process side is
//! [`ExternalEngine`](super::engines::ExternalEngine) and the serving side
//! [`serve`](super::serve).
//!
//! 1. The engine speaks first, a *hello*: `{"protocol":1,"engine":NAME,"version":TEXT,
//!    "capabilities":{"pricing":BOOL,"limit":BOOL,"capacity":BOOL}}`. A capability it lacks
//!    makes the harness decline the cases that need it ([`declines`]).
//! 2. For each case the harness sends `{"case":CASE}` (no reply), then, op by op,
//!    `{"step":INDEX}`, answered by an observation ([`observation_to_json`]). Between steps it
//!    may ask `{"sizes":true}` (every open frame's size, root first: `{"sizes":[..]}`) and
//!    `{"bytes":[FRAME,FROM,TO]}` (those bytes of an open frame, clipped to it:
//!    `{"bytes":"0x.."}`, or `{"bytes":null}` for a frame that is not open).
//! 3. Any reply may instead be `{"error":TEXT}`: the engine could not go on with the case (it
//!    is not comparable). The harness closes the engine's input when it is done.
//!
//! Numbers that fit in 64 bits are JSON numbers; stack values (`U256`) and bytes are `0x` hex
//! strings.

use serde_json::{json, Map, Value};

use super::case::{Capacity, Case, Op, DEFAULT_LIMIT};
use super::observation::{Observation, Outcome, Output};
use crate::{MemoryPricing, U256};

/// The protocol version this harness speaks.
pub const PROTOCOL_VERSION: u64 = 1;

/// What an engine can express, from its hello.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Memory pricings other than mainnet's.
    pub pricing: bool,
    /// A memory limit on the shared buffer below 4 GiB (every engine applies the 4 GiB one:
    /// a growth past it is `Limit`).
    pub limit: bool,
    /// An initial capacity of the shared buffer (anything but `reuse`).
    pub capacity: bool,
}

impl Capabilities {
    /// Every capability.
    pub const ALL: Capabilities = Capabilities {
        pricing: true,
        limit: true,
        capacity: true,
    };
}

/// An engine's hello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The protocol version it speaks.
    pub protocol: u64,
    /// Its name.
    pub engine: String,
    /// Its version (free text).
    pub version: String,
    /// What it can express.
    pub capabilities: Capabilities,
}

/// The reason a case needs a capability `caps` lacks, if it does (the reasons are the
/// decline reasons the report counts).
pub fn declines(caps: Capabilities, case: &Case) -> Option<&'static str> {
    if !caps.pricing && case.pricing != MemoryPricing::MAINNET {
        return Some("pricing other than mainnet's");
    }
    if !caps.limit && case.limit < DEFAULT_LIMIT {
        return Some("memory limit below 4 GiB");
    }
    if !caps.capacity && case.capacity != Capacity::Reuse {
        return Some("initial capacity");
    }
    None
}

/// `0x`-prefixed lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("0x");
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The bytes of a `0x` hex string.
///
/// # Errors
/// When it is not a string of `0x` and an even number of hex digits.
pub fn unhex(value: &Value) -> Result<Vec<u8>, String> {
    let s = value
        .as_str()
        .ok_or_else(|| format!("expected a hex string, got {}", short(value)))?;
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("hex string `{}` lacks its 0x", short(value)))?;
    if digits.len() % 2 != 0 {
        return Err(format!("hex string `{}` has an odd length", short(value)));
    }
    let nibble = |c: u8| -> Result<u8, String> {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| format!("`{}` is not hex", short(value)))
    };
    digits
        .as_bytes()
        .chunks(2)
        .map(|p| Ok(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

/// A stack value as `0x` hex without leading zeros (`0x0` for zero).
pub fn u256_hex(v: U256) -> String {
    format!("{v:#x}")
}

fn u256_from(value: &Value, field: &str) -> Result<U256, String> {
    let s = value
        .get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("field `{field}` missing or not a string"))?;
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("field `{field}`: `{s}` lacks its 0x"))?;
    U256::from_str_radix(digits, 16).map_err(|e| format!("field `{field}`: `{s}`: {e}"))
}

fn u64_from(value: &Value, field: &str) -> Result<u64, String> {
    value
        .get(field)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("field `{field}` missing or not an unsigned 64-bit number"))
}

/// A JSON value shortened for error messages.
pub fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}

/// `op` as the protocol spells it: `{"op":MNEMONIC, operands…}`.
pub fn op_to_json(op: &Op) -> Value {
    let name = op.kind().name();
    match *op {
        Op::MStore { offset, value } => {
            json!({"op": name, "offset": u256_hex(offset), "value": u256_hex(value)})
        }
        Op::MStore8 { offset, value } => {
            json!({"op": name, "offset": u256_hex(offset), "value": value})
        }
        Op::MLoad { offset } => json!({"op": name, "offset": u256_hex(offset)}),
        Op::MSize | Op::Halt => json!({ "op": name }),
        Op::MCopy { dst, src, len } => json!({
            "op": name, "dst": u256_hex(dst), "src": u256_hex(src), "len": u256_hex(len)
        }),
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
        } => json!({
            "op": name, "mem_offset": u256_hex(mem_offset),
            "data_offset": u256_hex(data_offset), "len": u256_hex(len)
        }),
        Op::Read { offset, len } | Op::Return { offset, len } | Op::Revert { offset, len } => {
            json!({"op": name, "offset": u256_hex(offset), "len": u256_hex(len)})
        }
        Op::Call {
            args_offset,
            args_len,
            ret_offset,
            ret_len,
            gas,
        } => json!({
            "op": name, "args_offset": u256_hex(args_offset), "args_len": u256_hex(args_len),
            "ret_offset": u256_hex(ret_offset), "ret_len": u256_hex(ret_len), "gas": gas
        }),
    }
}

/// The op a protocol object spells.
///
/// # Errors
/// An unknown mnemonic, or an operand missing or malformed.
pub fn op_from_json(v: &Value) -> Result<Op, String> {
    let name = v
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("op without a mnemonic: {}", short(v)))?;
    let u = |f: &str| u256_from(v, f);
    let copy = |make: fn(U256, U256, U256) -> Op| -> Result<Op, String> {
        Ok(make(u("mem_offset")?, u("data_offset")?, u("len")?))
    };
    Ok(match name {
        "MSTORE" => Op::MStore {
            offset: u("offset")?,
            value: u("value")?,
        },
        "MSTORE8" => Op::MStore8 {
            offset: u("offset")?,
            value: u8::try_from(u64_from(v, "value")?)
                .map_err(|_| "MSTORE8's value is above 255".to_string())?,
        },
        "MLOAD" => Op::MLoad {
            offset: u("offset")?,
        },
        "MSIZE" => Op::MSize,
        "INVALID" => Op::Halt,
        "MCOPY" => Op::MCopy {
            dst: u("dst")?,
            src: u("src")?,
            len: u("len")?,
        },
        "CALLDATACOPY" => copy(|mem_offset, data_offset, len| Op::CallDataCopy {
            mem_offset,
            data_offset,
            len,
        })?,
        "CODECOPY" => copy(|mem_offset, data_offset, len| Op::CodeCopy {
            mem_offset,
            data_offset,
            len,
        })?,
        "RETURNDATACOPY" => copy(|mem_offset, data_offset, len| Op::ReturnDataCopy {
            mem_offset,
            data_offset,
            len,
        })?,
        "KECCAK256" => Op::Read {
            offset: u("offset")?,
            len: u("len")?,
        },
        "RETURN" => Op::Return {
            offset: u("offset")?,
            len: u("len")?,
        },
        "REVERT" => Op::Revert {
            offset: u("offset")?,
            len: u("len")?,
        },
        "CALL" => Op::Call {
            args_offset: u("args_offset")?,
            args_len: u("args_len")?,
            ret_offset: u("ret_offset")?,
            ret_len: u("ret_len")?,
            gas: u64_from(v, "gas")?,
        },
        other => return Err(format!("unknown op `{other}`")),
    })
}

fn capacity_to_json(capacity: Capacity) -> Value {
    match capacity {
        Capacity::Reuse => json!("reuse"),
        Capacity::Zero => json!("zero"),
        Capacity::Generous => json!("generous"),
        Capacity::Exact(bytes) => json!({ "exact": bytes }),
    }
}

fn capacity_from_json(v: &Value) -> Result<Capacity, String> {
    match v.as_str() {
        Some("reuse") => Ok(Capacity::Reuse),
        Some("zero") => Ok(Capacity::Zero),
        Some("generous") => Ok(Capacity::Generous),
        _ => v
            .get("exact")
            .and_then(Value::as_u64)
            .and_then(|b| usize::try_from(b).ok())
            .map(Capacity::Exact)
            .ok_or_else(|| format!("unknown capacity {}", short(v))),
    }
}

/// `case` as the protocol spells it (the value of a `{"case":…}` message).
pub fn case_to_json(case: &Case) -> Value {
    json!({
        "limit": case.limit,
        "gas": case.gas,
        "calldata": hex(&case.calldata),
        "code": hex(&case.code),
        "pricing": {
            "word_cost": case.pricing.word_cost,
            "quadratic_denominator": case.pricing.quadratic_denominator,
        },
        "capacity": capacity_to_json(case.capacity),
        "ops": case.ops.iter().map(op_to_json).collect::<Vec<_>>(),
    })
}

/// The case a protocol object spells.
///
/// # Errors
/// A field missing or malformed, or an invalid pricing.
pub fn case_from_json(v: &Value) -> Result<Case, String> {
    let field = |f: &str| v.get(f).ok_or_else(|| format!("case without `{f}`"));
    let pricing = field("pricing")?;
    let pricing = MemoryPricing {
        word_cost: u64_from(pricing, "word_cost")?,
        quadratic_denominator: u64_from(pricing, "quadratic_denominator")?,
    };
    pricing
        .validate()
        .map_err(|e| format!("case pricing: {e}"))?;
    let ops = field("ops")?
        .as_array()
        .ok_or("case `ops` is not an array")?
        .iter()
        .enumerate()
        .map(|(i, op)| op_from_json(op).map_err(|e| format!("op #{i}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Case {
        limit: u64_from(v, "limit")?,
        gas: u64_from(v, "gas")?,
        calldata: unhex(field("calldata")?)?,
        code: unhex(field("code")?)?,
        ops,
        pricing,
        capacity: capacity_from_json(field("capacity")?)?,
    })
}

/// `outcome` as the protocol spells it (its Rust name: `Ok`, `OutOfGas`, …).
pub fn outcome_name(outcome: Outcome) -> String {
    format!("{outcome:?}")
}

/// An observation as the reply to `{"step":…}` spells it: everything an engine's step shows,
/// not the frames' sizes and bytes (asked separately).
pub fn observation_to_json(obs: &Observation) -> Value {
    let output = match &obs.output {
        Output::None => Value::Null,
        Output::Word(w) => json!({ "word": hex(w) }),
        Output::Size(s) => json!({ "size": s }),
        Output::Bytes(b) => json!({ "bytes": hex(b) }),
    };
    json!({
        "outcome": outcome_name(obs.outcome),
        "output": output,
        "gas_charged": obs.gas_charged,
        "gas_remaining": obs.gas_remaining,
        "ended": obs.ended,
        "frames": obs.frames,
        "size": obs.size,
        "total_size": obs.total_size,
        "ended_frame": obs.ended_frame.as_deref().map(hex),
    })
}

/// Fills `obs` (cleared first) from a reply to `{"step":…}`.
///
/// # Errors
/// A field missing or malformed.
pub fn observation_from_json(v: &Value, obs: &mut Observation) -> Result<(), String> {
    obs.clear();
    let outcome = v
        .get("outcome")
        .and_then(Value::as_str)
        .ok_or("observation without an `outcome` string")?;
    obs.outcome = Outcome::ALL
        .iter()
        .copied()
        .find(|o| outcome_name(*o) == outcome)
        .ok_or_else(|| format!("unknown outcome `{outcome}`"))?;
    match v.get("output") {
        None | Some(Value::Null) => {}
        Some(out) => {
            if let Some(w) = out.get("word") {
                let bytes = unhex(w)?;
                let word: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| "output word is not 32 bytes".to_string())?;
                obs.output = Output::Word(word);
            } else if out.get("size").is_some() {
                obs.output = Output::Size(u64_from(out, "size")?);
            } else if let Some(b) = out.get("bytes") {
                obs.set_output_bytes(&unhex(b)?);
            } else {
                return Err(format!("unknown output {}", short(out)));
            }
        }
    }
    let usize_from = |f: &str| {
        u64_from(v, f)
            .and_then(|n| usize::try_from(n).map_err(|_| format!("field `{f}` is too large")))
    };
    obs.gas_charged = u64_from(v, "gas_charged")?;
    obs.gas_remaining = u64_from(v, "gas_remaining")?;
    obs.ended = v
        .get("ended")
        .and_then(Value::as_bool)
        .ok_or("observation without an `ended` boolean")?;
    obs.frames = usize_from("frames")?;
    obs.size = usize_from("size")?;
    obs.total_size = usize_from("total_size")?;
    match v.get("ended_frame") {
        None | Some(Value::Null) => {}
        Some(bytes) => obs.set_ended_frame(&unhex(bytes)?),
    }
    Ok(())
}

/// The hello an engine sends first.
///
/// # Errors
/// A field missing or malformed (a version other than [`PROTOCOL_VERSION`] is not an error
/// here: the caller decides).
pub fn hello_from_json(v: &Value) -> Result<Hello, String> {
    let protocol = u64_from(v, "protocol")?;
    let text = |f: &str| {
        v.get(f)
            .and_then(Value::as_str)
            .map(String::from)
            .ok_or_else(|| format!("hello without a `{f}` string"))
    };
    let caps = v.get("capabilities").cloned().unwrap_or(Value::Null);
    let cap = |f: &str| caps.get(f).and_then(Value::as_bool).unwrap_or(false);
    Ok(Hello {
        protocol,
        engine: text("engine")?,
        version: text("version")?,
        capabilities: Capabilities {
            pricing: cap("pricing"),
            limit: cap("limit"),
            capacity: cap("capacity"),
        },
    })
}

/// The hello of an engine called `engine` at `version` that can express `caps`.
pub fn hello_to_json(engine: &str, version: &str, caps: Capabilities) -> Value {
    let mut c = Map::new();
    c.insert("pricing".into(), caps.pricing.into());
    c.insert("limit".into(), caps.limit.into());
    c.insert("capacity".into(), caps.capacity.into());
    json!({
        "protocol": PROTOCOL_VERSION,
        "engine": engine,
        "version": version,
        "capabilities": Value::Object(c),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::ops::scenarios;

    #[test]
    fn cases_round_trip() {
        for s in scenarios::all() {
            let json = case_to_json(&s.case);
            let text = json.to_string();
            let back = case_from_json(&serde_json::from_str(&text).unwrap()).unwrap();
            assert_eq!(back, s.case, "{}", s.name);
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(unhex(&json!("0x0")).is_err());
        assert!(unhex(&json!("00")).is_err());
        assert!(unhex(&json!("0xzz")).is_err());
        assert_eq!(unhex(&json!("0x00ff")).unwrap(), [0, 255]);
        assert!(op_from_json(&json!({"op": "MSTORE"})).is_err());
        assert!(op_from_json(&json!({"op": "PUSH0"})).is_err());
        let mut obs = Observation::default();
        assert!(observation_from_json(&json!({"outcome": "Fine"}), &mut obs).is_err());
    }

    #[test]
    fn observations_round_trip() {
        let mut obs = Observation::default();
        obs.outcome = Outcome::Returned;
        obs.gas_charged = 3;
        obs.gas_remaining = 7;
        obs.frames = 2;
        obs.size = 64;
        obs.total_size = 96;
        obs.set_output_bytes(&[1, 2, 3]);
        obs.set_ended_frame(&[0; 32]);
        let mut back = Observation::default();
        observation_from_json(&observation_to_json(&obs), &mut back).unwrap();
        assert!(back.same_step(&obs));
    }
}
