//! Named conformance vectors, regex-style: one shared data file (`tests/vectors/*.txt`) of
//! named cases with the observations expected after each op, run against every engine. The
//! runner collects every failure before reporting.
//!
//! Format, one directive a line (`#` starts a comment):
//!
//! ```text
//! vector <name>
//! limit <bytes>            # optional, default 4 GiB
//! gas <gas>                # optional, default 30,000,000
//! pricing <word> <denom>   # optional memory pricing, default 3 512 (mainnet)
//! calldata 0x<hex>         # optional
//! code 0x<hex>             # optional
//! <OP> <operands…> [=> <outcome> [key=value …]]
//! end
//! ```
//!
//! Ops: `MSTORE off value`, `MSTORE8 off byte`, `MLOAD off`, `MSIZE`, `MCOPY dst src len`,
//! `CALLDATACOPY mem data len`, `CODECOPY mem data len`, `RETURNDATACOPY mem data len`,
//! `KECCAK256 off len` (a read), `CALL args_off args_len ret_off ret_len gas` (`gas` may be
//! `all`), `RETURN off len`, `REVERT off len`, `INVALID`. Numbers are decimal, `0x` hex, or
//! `2^N`, `2^N-1`, `2^N+1`; `max` is 2^256 - 1.
//!
//! Outcomes: `ok`, `oog`, `limit`, `invalid-operand`, `returndata-oob`, `call-depth`,
//! `returned`, `reverted`, `halted`. Keys: `out` (hex bytes, or a number for MSIZE), `gas`
//! (expansion gas charged), `left` (gas remaining), `size` (current frame's size), `depth`,
//! `sizes` (every frame's size, comma-separated, root first), `mem` (the current frame's bytes
//! as hex, or `zero` for all zeros), `ended` (`true`/`false`).

use super::case::{Case, Op};
use super::engine::step_whole;
use super::engine::Engine;
use super::observation::{Observation, Outcome, Output};
use crate::{MemoryPricing, U256};

/// One expectation on an observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The outcome.
    Outcome(Outcome),
    /// The output bytes, word or size.
    Out(Output),
    /// Expansion gas charged.
    Gas(u64),
    /// Gas remaining.
    Left(u64),
    /// Current frame's size.
    Size(usize),
    /// Current depth.
    Depth(usize),
    /// Every frame's size.
    Sizes(Vec<usize>),
    /// The current frame's bytes (`None`: all zero).
    Mem(Option<Vec<u8>>),
    /// Whether the root has ended.
    Ended(bool),
}

/// A named vector: a case and what is expected after each op.
#[derive(Clone, Debug)]
pub struct Vector {
    /// Its name.
    pub name: String,
    /// Line of its `vector` directive.
    pub line: usize,
    /// The case.
    pub case: Case,
    /// Expectations per op (same length as `case.ops`).
    pub expects: Vec<Vec<Expect>>,
}

fn parse_u256(s: &str) -> Result<U256, String> {
    if s == "max" {
        return Ok(U256::MAX);
    }
    if let Some(rest) = s.strip_prefix("2^") {
        let (exp, delta) = match rest.find(['+', '-']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let exp: usize = exp.parse().map_err(|_| format!("bad exponent in {s}"))?;
        if exp >= 256 {
            return Err(format!("{s} does not fit in 256 bits"));
        }
        let base = U256::from(1u8) << exp;
        return match delta {
            "" => Ok(base),
            d if d.starts_with('+') => Ok(base + parse_u256(&d[1..])?),
            d => Ok(base - parse_u256(&d[1..])?),
        };
    }
    if let Some(hex) = s.strip_prefix("0x") {
        return U256::from_str_radix(hex, 16).map_err(|e| format!("bad hex {s}: {e}"));
    }
    U256::from_str_radix(s, 10).map_err(|e| format!("bad number {s}: {e}"))
}

fn parse_u64(s: &str) -> Result<u64, String> {
    let v = parse_u256(s)?;
    if v > U256::from(u64::MAX) {
        return Err(format!("{s} does not fit in 64 bits"));
    }
    Ok(v.to::<u64>())
}

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let hex = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("{s}: hex must start with 0x"))?;
    if hex.len() % 2 != 0 {
        return Err(format!("{s}: odd number of hex digits"));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| format!("{s}: {e}")))
        .collect()
}

fn parse_op(words: &[&str]) -> Result<Op, String> {
    let n = |i: usize| -> Result<U256, String> {
        parse_u256(
            words
                .get(i)
                .ok_or_else(|| format!("{}: missing operand {i}", words[0]))?,
        )
    };
    let arity = |k: usize| -> Result<(), String> {
        if words.len() == k + 1 {
            Ok(())
        } else {
            Err(format!(
                "{} takes {k} operands, got {}",
                words[0],
                words.len() - 1
            ))
        }
    };
    let op = match words[0] {
        "MSTORE" => {
            arity(2)?;
            Op::MStore {
                offset: n(1)?,
                value: n(2)?,
            }
        }
        "MSTORE8" => {
            arity(2)?;
            let v = n(2)?;
            Op::MStore8 {
                offset: n(1)?,
                value: v.byte(0),
            }
        }
        "MLOAD" => {
            arity(1)?;
            Op::MLoad { offset: n(1)? }
        }
        "MSIZE" => {
            arity(0)?;
            Op::MSize
        }
        "MCOPY" => {
            arity(3)?;
            Op::MCopy {
                dst: n(1)?,
                src: n(2)?,
                len: n(3)?,
            }
        }
        "CALLDATACOPY" | "CODECOPY" | "RETURNDATACOPY" => {
            arity(3)?;
            let (mem_offset, data_offset, len) = (n(1)?, n(2)?, n(3)?);
            match words[0] {
                "CALLDATACOPY" => Op::CallDataCopy {
                    mem_offset,
                    data_offset,
                    len,
                },
                "CODECOPY" => Op::CodeCopy {
                    mem_offset,
                    data_offset,
                    len,
                },
                _ => Op::ReturnDataCopy {
                    mem_offset,
                    data_offset,
                    len,
                },
            }
        }
        "KECCAK256" => {
            arity(2)?;
            Op::Read {
                offset: n(1)?,
                len: n(2)?,
            }
        }
        "RETURN" => {
            arity(2)?;
            Op::Return {
                offset: n(1)?,
                len: n(2)?,
            }
        }
        "REVERT" => {
            arity(2)?;
            Op::Revert {
                offset: n(1)?,
                len: n(2)?,
            }
        }
        "INVALID" => {
            arity(0)?;
            Op::Halt
        }
        "CALL" => {
            arity(5)?;
            let gas = if words[5] == "all" {
                u64::MAX
            } else {
                parse_u64(words[5])?
            };
            Op::Call {
                args_offset: n(1)?,
                args_len: n(2)?,
                ret_offset: n(3)?,
                ret_len: n(4)?,
                gas,
            }
        }
        other => return Err(format!("unknown op {other}")),
    };
    Ok(op)
}

fn parse_outcome(s: &str) -> Result<Outcome, String> {
    Ok(match s {
        "ok" => Outcome::Ok,
        "oog" => Outcome::OutOfGas,
        "limit" => Outcome::Limit,
        "invalid-operand" => Outcome::InvalidOperand,
        "returndata-oob" => Outcome::ReturnDataOutOfBounds,
        "call-depth" => Outcome::CallDepth,
        "returned" => Outcome::Returned,
        "reverted" => Outcome::Reverted,
        "halted" => Outcome::Halted,
        other => return Err(format!("unknown outcome {other}")),
    })
}

fn parse_expect(op: &Op, word: &str) -> Result<Expect, String> {
    let (key, value) = word
        .split_once('=')
        .ok_or_else(|| format!("expected key=value, got {word}"))?;
    Ok(match key {
        "out" => Expect::Out(match op {
            Op::MSize => Output::Size(parse_u64(value)?),
            Op::MLoad { .. } => {
                let v = parse_u256(value)?;
                Output::Word(v.to_be_bytes::<32>())
            }
            _ => Output::Bytes(if value == "0x" {
                Vec::new()
            } else {
                parse_hex(value)?
            }),
        }),
        "gas" => Expect::Gas(parse_u64(value)?),
        "left" => Expect::Left(parse_u64(value)?),
        "size" => Expect::Size(parse_u64(value)? as usize),
        "depth" => Expect::Depth(parse_u64(value)? as usize),
        "sizes" => Expect::Sizes(
            value
                .split(',')
                .map(|v| parse_u64(v).map(|x| x as usize))
                .collect::<Result<_, _>>()?,
        ),
        "mem" if value == "zero" => Expect::Mem(None),
        "mem" => Expect::Mem(Some(parse_hex(value)?)),
        "ended" => Expect::Ended(
            value
                .parse()
                .map_err(|_| format!("ended={value}: true or false"))?,
        ),
        other => return Err(format!("unknown key {other}")),
    })
}

/// Parses a vector file.
///
/// # Errors
/// `line N: what is wrong`, for the first malformed line.
pub fn parse(text: &str) -> Result<Vec<Vector>, String> {
    let mut vectors = Vec::new();
    let mut current: Option<Vector> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |e: String| format!("line {line_no}: {e}");
        let words: Vec<&str> = line.split_whitespace().collect();
        match (words[0], current.as_mut()) {
            ("vector", None) => {
                let name = words
                    .get(1)
                    .ok_or_else(|| err("vector needs a name".into()))?;
                current = Some(Vector {
                    name: name.to_string(),
                    line: line_no,
                    case: Case::default(),
                    expects: Vec::new(),
                });
            }
            ("vector", Some(v)) => return Err(err(format!("vector {} has no `end`", v.name))),
            ("end", Some(_)) => vectors.extend(current.take()),
            (_, None) => return Err(err(format!("`{}` outside a vector", words[0]))),
            ("limit", Some(v)) => {
                v.case.limit = parse_u64(words.get(1).copied().unwrap_or("")).map_err(err)?
            }
            ("gas", Some(v)) => {
                v.case.gas = parse_u64(words.get(1).copied().unwrap_or("")).map_err(err)?
            }
            ("pricing", Some(v)) => {
                let number = |i: usize| parse_u64(words.get(i).copied().unwrap_or("")).map_err(err);
                let pricing = MemoryPricing {
                    word_cost: number(1)?,
                    quadratic_denominator: number(2)?,
                };
                pricing.validate().map_err(|e| err(e.to_string()))?;
                v.case.pricing = pricing;
            }
            ("calldata", Some(v)) => {
                v.case.calldata = parse_hex(words.get(1).copied().unwrap_or("")).map_err(err)?
            }
            ("code", Some(v)) => {
                v.case.code = parse_hex(words.get(1).copied().unwrap_or("")).map_err(err)?
            }
            (_, Some(v)) => {
                let arrow = words.iter().position(|w| *w == "=>").unwrap_or(words.len());
                let op = parse_op(&words[..arrow]).map_err(err)?;
                let mut expects = Vec::new();
                if let Some(outcome) = words.get(arrow + 1) {
                    expects.push(Expect::Outcome(parse_outcome(outcome).map_err(err)?));
                    for w in &words[arrow + 2..] {
                        expects.push(parse_expect(&op, w).map_err(err)?);
                    }
                }
                v.case.ops.push(op);
                v.expects.push(expects);
            }
        }
    }
    if let Some(v) = current {
        return Err(format!("vector {} (line {}) has no `end`", v.name, v.line));
    }
    Ok(vectors)
}

/// Checks one expectation; `Err` describes the mismatch.
fn check(expect: &Expect, obs: &Observation) -> Result<(), String> {
    let current = obs.frame_sizes.len().saturating_sub(1);
    let base: usize = obs.frame_sizes[..current].iter().sum();
    let mem = &obs.memory[base.min(obs.memory.len())..];
    let ok = match expect {
        Expect::Outcome(o) => *o == obs.outcome,
        Expect::Out(o) => *o == obs.output,
        Expect::Gas(g) => *g == obs.gas_charged,
        Expect::Left(g) => *g == obs.gas_remaining,
        Expect::Size(s) => Some(s) == obs.frame_sizes.last(),
        Expect::Depth(d) => Some(*d) == obs.depth(),
        Expect::Sizes(s) => *s == obs.frame_sizes,
        Expect::Mem(None) => mem.iter().all(|&b| b == 0),
        Expect::Mem(Some(bytes)) => bytes[..] == *mem,
        Expect::Ended(e) => *e == obs.ended,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {expect:?}, observed {obs}"))
    }
}

/// Runs every vector against `engine` and returns every failure (empty: all passed).
pub fn run_all(vectors: &[Vector], engine: &mut dyn Engine) -> Vec<String> {
    let mut failures = Vec::new();
    let mut obs = Observation::default();
    for v in vectors {
        engine.begin(&v.case);
        for (i, (op, expects)) in v.case.ops.iter().zip(&v.expects).enumerate() {
            step_whole(engine, &v.case, op, &mut obs);
            for e in expects {
                if let Err(msg) = check(e, &obs) {
                    failures.push(format!(
                        "[{}] vector {} (line {}), op #{i} {op:?}: {msg}",
                        engine.name(),
                        v.name,
                        v.line
                    ));
                }
            }
            if obs.ended {
                if i + 1 < v.case.ops.len() {
                    failures.push(format!(
                        "[{}] vector {}: the root ended at op #{i}, before the vector's last op",
                        engine.name(),
                        v.name
                    ));
                }
                break;
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_u256("2^64"), Ok(U256::from_limbs([0, 1, 0, 0])));
        assert_eq!(parse_u256("2^64-1"), Ok(U256::from(u64::MAX)));
        assert_eq!(parse_u256("2^32+1"), Ok(U256::from((1u64 << 32) + 1)));
        assert_eq!(parse_u256("0x20"), Ok(U256::from(32)));
        assert_eq!(parse_u256("max"), Ok(U256::MAX));
        assert!(parse_u256("2^256").is_err());
        assert!(parse_u256("zz").is_err());
    }

    #[test]
    fn malformed_files_are_errors_with_line_numbers() {
        assert!(parse("MSIZE\n").unwrap_err().starts_with("line 1"));
        assert!(parse("vector a\nMSTORE 1\nend\n")
            .unwrap_err()
            .starts_with("line 2"));
        assert!(parse("vector a\nMSIZE => maybe\nend\n").is_err());
        assert!(parse("vector a\nMSIZE\n").is_err());
        let v = parse("vector a # c\nlimit 64\nMSTORE8 31 7 => ok gas=3 size=32\nend\n").unwrap();
        assert_eq!(v[0].case.limit, 64);
        assert_eq!(v[0].expects[0].len(), 3);
        let v = parse("vector p\npricing 2 1024\nMSIZE\nend\n").unwrap();
        assert_eq!(
            v[0].case.pricing,
            MemoryPricing {
                word_cost: 2,
                quadratic_denominator: 1024
            }
        );
        assert!(parse("vector p\npricing 2 0\nend\n").is_err());
    }
}
