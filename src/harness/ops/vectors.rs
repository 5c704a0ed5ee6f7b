//! Named conformance vectors, regex-style: data files of named cases with the observations
//! expected after each op, run against every engine. The runner collects every failure before
//! reporting.
//!
//! # Files
//!
//! The vectors live in `tests/vectors/`, one file a topic; [`load_dir`] reads every `*.txt`
//! there, sorted by file name, and vector names are unique across all of them (a second vector
//! of the same name is an error naming both places):
//!
//! * `words.txt` — MSTORE, MLOAD, MSTORE8, MSIZE and KECCAK256 over words, the seed design's
//!   usage examples;
//! * `copies.txt` — MCOPY (EIP-5656), CALLDATACOPY and CODECOPY;
//! * `calls.txt` — CALL, RETURN, REVERT and halts: checkpoints, revm's `SharedMemory` unit
//!   tests as op sequences, gas forwarding, the call-depth limit;
//! * `returndata.txt` — return data and RETURNDATACOPY (EIP-211);
//! * `limits_and_gas.txt` — the memory limit, out-of-gas, invalid operands, zero lengths at
//!   huge offsets, the quadratic cost;
//! * `pricing.txt` — memory priced other than mainnet's.
//!
//! # Format
//!
//! One directive a line (`#` starts a comment, to the end of the line):
//!
//! ```text
//! vector <name>
//! source <text>            # required: where the vector comes from
//! limit <bytes>            # optional, default 4 GiB
//! gas <gas>                # optional, default 30,000,000
//! pricing <word> <denom>   # optional memory pricing, default 3 512 (mainnet)
//! calldata 0x<hex>         # optional
//! code 0x<hex>             # optional
//! <OP> <operands…> [=> <outcome> [key=value …]]
//! repeat <N> <OP> <operands…> [=> <outcome> [key=value …]]
//! end
//! ```
//!
//! `source` says where the vector comes from, as free text (no `#`): `EIP-5656 test vectors`,
//! `revm SharedMemory unit test resize`, `seed design memory-module.md …`, `this project: …`
//! for a vector written here. Every vector has exactly one; failures print it.
//!
//! `repeat N` runs the op line that follows it on the same line `N` times (1 to
//! [`MAX_CASE_OPS`] in all), and its expectations hold after every one of the `N` ops. A
//! repetition whose observations differ — the last call of a chain, say — is written as its
//! own op line after the repeated one:
//!
//! ```text
//! repeat 1024 CALL 0 0 0 0 all      => ok
//! CALL 0 0 0 0 all                  => call-depth depth=1024
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
//!
//! # Choosing vectors
//!
//! [`Filter`] selects a subset: the environment variable `EVM_MEMORY_VECTORS` ([`ENV`]) holds
//! comma-separated patterns, and a vector runs when its name contains one of them or its file
//! stem is one of them (`EVM_MEMORY_VECTORS=calls`, `EVM_MEMORY_VECTORS=eip5656,seed_`).
//!
//! # Declines
//!
//! An engine may decline a vector's case it cannot run faithfully ([`Engine::declines`]);
//! [`run_all`] then skips that vector for that engine and counts it by the reason given, in
//! its [`Summary`].

use std::collections::BTreeMap;
use std::path::Path;

use super::case::{Case, Op, MAX_CASE_OPS};
use super::engine::step_whole;
use super::engine::Engine;
use super::observation::{Observation, Outcome, Output};
use crate::{MemoryPricing, U256};

/// The environment variable holding the [`Filter`]'s patterns.
pub const ENV: &str = "EVM_MEMORY_VECTORS";

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
    /// Its name (unique across the vector files).
    pub name: String,
    /// The file it was read from, as given to [`parse_file`] (a file name under
    /// `tests/vectors/` for [`load_dir`]; empty for [`parse`]).
    pub file: String,
    /// Line of its `vector` directive.
    pub line: usize,
    /// Where it comes from (its `source` directive).
    pub source: String,
    /// The case.
    pub case: Case,
    /// Expectations per op (same length as `case.ops`).
    pub expects: Vec<Vec<Expect>>,
    /// The line of each op (same length as `case.ops`; a repeated op's line for every
    /// repetition).
    pub op_lines: Vec<usize>,
}

impl Vector {
    /// The stem of its file (`calls` for `calls.txt`; empty when it has no file).
    pub fn stem(&self) -> &str {
        Path::new(&self.file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
    }

    /// Where its `vector` directive is: `file:line`, or `line N` without a file.
    pub fn location(&self) -> String {
        at(&self.file, self.line)
    }
}

/// `file:line`, or `line N` when there is no file name.
fn at(file: &str, line: usize) -> String {
    if file.is_empty() {
        format!("line {line}")
    } else {
        format!("{file}:{line}")
    }
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

/// Parses vector text that has no file name: errors and [`Vector::location`] say `line N`.
///
/// # Errors
/// `line N: what is wrong`, for the first malformed line (or a name used twice).
pub fn parse(text: &str) -> Result<Vec<Vector>, String> {
    parse_file("", text)
}

/// Parses the vector file `file` (its name, for messages and [`Vector::file`]) whose contents
/// are `text`.
///
/// # Errors
/// `file:N: what is wrong`, for the first malformed line: an unknown directive, op, outcome or
/// key, a bad number, a vector without `end` or `source`, a name used twice.
pub fn parse_file(file: &str, text: &str) -> Result<Vec<Vector>, String> {
    let mut vectors = Vec::new();
    let mut current: Option<Vector> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |e: String| format!("{}: {e}", at(file, line_no));
        let words: Vec<&str> = line.split_whitespace().collect();
        match (words[0], current.as_mut()) {
            ("vector", None) => {
                let name = words
                    .get(1)
                    .ok_or_else(|| err("vector needs a name".into()))?;
                current = Some(Vector {
                    name: name.to_string(),
                    file: file.to_string(),
                    line: line_no,
                    source: String::new(),
                    case: Case::default(),
                    expects: Vec::new(),
                    op_lines: Vec::new(),
                });
            }
            ("vector", Some(v)) => return Err(err(format!("vector {} has no `end`", v.name))),
            ("end", Some(v)) => {
                if v.source.is_empty() {
                    return Err(err(format!(
                        "vector {} has no `source` (say where it comes from)",
                        v.name
                    )));
                }
                vectors.extend(current.take());
            }
            (_, None) => return Err(err(format!("`{}` outside a vector", words[0]))),
            ("source", Some(v)) => {
                if !v.source.is_empty() {
                    return Err(err(format!("vector {} has a second `source`", v.name)));
                }
                let text = line["source".len()..].trim();
                if text.is_empty() {
                    return Err(err("`source` needs a text".into()));
                }
                v.source = text.to_string();
            }
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
                let (times, words) = match words[0] {
                    "repeat" => {
                        let n = words
                            .get(1)
                            .ok_or_else(|| err("repeat needs a count and an op".into()))?;
                        let n = parse_u64(n).map_err(err)?;
                        if words.len() < 3 {
                            return Err(err("repeat needs an op after its count".into()));
                        }
                        (n, &words[2..])
                    }
                    _ => (1, &words[..]),
                };
                if times == 0 {
                    return Err(err("repeat 0: the count is at least 1".into()));
                }
                let room = (MAX_CASE_OPS - v.case.ops.len()) as u64;
                if times > room {
                    return Err(err(format!(
                        "{times} more ops: a vector holds at most {MAX_CASE_OPS} ops ({room} \
                         more here)"
                    )));
                }
                let arrow = words.iter().position(|w| *w == "=>").unwrap_or(words.len());
                let op = parse_op(&words[..arrow]).map_err(err)?;
                let mut expects = Vec::new();
                if let Some(outcome) = words.get(arrow + 1) {
                    expects.push(Expect::Outcome(parse_outcome(outcome).map_err(err)?));
                    for w in &words[arrow + 2..] {
                        expects.push(parse_expect(&op, w).map_err(err)?);
                    }
                }
                for _ in 0..times {
                    v.case.ops.push(op.clone());
                    v.expects.push(expects.clone());
                    v.op_lines.push(line_no);
                }
            }
        }
    }
    if let Some(v) = current {
        return Err(format!("vector {} ({}) has no `end`", v.name, v.location()));
    }
    check_unique(&vectors)?;
    Ok(vectors)
}

/// An error naming both places when two vectors share a name.
fn check_unique(vectors: &[Vector]) -> Result<(), String> {
    let mut seen: BTreeMap<&str, &Vector> = BTreeMap::new();
    for v in vectors {
        if let Some(first) = seen.insert(&v.name, v) {
            return Err(format!(
                "{}: vector {} is already defined at {} (names are unique across the vector \
                 files)",
                v.location(),
                v.name,
                first.location()
            ));
        }
    }
    Ok(())
}

/// Reads every `*.txt` file in `dir`, sorted by file name, each named by its file name.
///
/// # Errors
/// A directory or file that cannot be read, a directory with no `*.txt` file, the first parse
/// error ([`parse_file`]), or a vector name used in two places (both named).
pub fn load_dir(dir: &Path) -> Result<Vec<Vector>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_file() && path.extension().is_some_and(|x| x == "txt") {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no *.txt vector files", dir.display()));
    }
    let mut vectors = Vec::new();
    for path in files {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        vectors.extend(parse_file(&name, &text)?);
    }
    check_unique(&vectors)?;
    Ok(vectors)
}

/// Which vectors run: comma-separated patterns, as in `EVM_MEMORY_VECTORS` ([`ENV`]). A vector
/// is selected when its name contains a pattern or its file stem equals one; no patterns
/// select every vector.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    patterns: Vec<String>,
}

impl Filter {
    /// The patterns of `spec`, comma-separated (spaces around them and empty ones dropped).
    pub fn new(spec: &str) -> Self {
        Self {
            patterns: spec
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect(),
        }
    }

    /// The filter `EVM_MEMORY_VECTORS` holds (none when it is unset).
    pub fn from_env() -> Self {
        Self::new(&std::env::var(ENV).unwrap_or_default())
    }

    /// Whether it has no patterns (and selects everything).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Its patterns.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether `vector` runs.
    pub fn selects(&self, vector: &Vector) -> bool {
        self.is_empty()
            || self
                .patterns
                .iter()
                .any(|p| vector.name.contains(p.as_str()) || vector.stem() == p)
    }

    /// The vectors it selects, in order.
    pub fn select<'a>(&self, vectors: &'a [Vector]) -> Vec<&'a Vector> {
        vectors.iter().filter(|v| self.selects(v)).collect()
    }
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

/// What running vectors against one engine came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The engine's name.
    pub engine: &'static str,
    /// Vectors run.
    pub ran: usize,
    /// Vectors the engine declined, by reason.
    pub declined: BTreeMap<&'static str, usize>,
    /// Every failure, one message each (empty: all passed).
    pub failures: Vec<String>,
}

impl Summary {
    /// Vectors declined, whatever the reason.
    pub fn declined_total(&self) -> usize {
        self.declined.values().sum()
    }
}

/// Runs every vector against `engine`, except those whose case it declines
/// ([`Engine::declines`], counted by reason), and returns what happened with every failure.
pub fn run_all<'a>(
    vectors: impl IntoIterator<Item = &'a Vector>,
    engine: &mut dyn Engine,
) -> Summary {
    let mut summary = Summary {
        engine: engine.name(),
        ..Summary::default()
    };
    let failures = &mut summary.failures;
    let mut obs = Observation::default();
    for v in vectors {
        if let Some(reason) = engine.declines(&v.case) {
            *summary.declined.entry(reason).or_default() += 1;
            continue;
        }
        summary.ran += 1;
        let name = engine.name();
        let vector = || format!("vector {} ({}; source: {})", v.name, v.location(), v.source);
        engine.begin(&v.case);
        for (i, (op, expects)) in v.case.ops.iter().zip(&v.expects).enumerate() {
            step_whole(engine, &v.case, op, &mut obs);
            for e in expects {
                if let Err(msg) = check(e, &obs) {
                    let op_at = at(&v.file, v.op_lines.get(i).copied().unwrap_or(v.line));
                    failures.push(format!(
                        "[{name}] {}, op #{i} ({op_at}) {op:?}: {msg}",
                        vector()
                    ));
                }
            }
            if obs.ended {
                if i + 1 < v.case.ops.len() {
                    failures.push(format!(
                        "[{name}] {}: the root ended at op #{i}, before the vector's last op",
                        vector()
                    ));
                }
                break;
            }
        }
    }
    summary
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
        let v = parse("vector a # c\nsource s\nlimit 64\nMSTORE8 31 7 => ok gas=3 size=32\nend\n")
            .unwrap();
        assert_eq!(v[0].case.limit, 64);
        assert_eq!(v[0].expects[0].len(), 3);
        let v = parse("vector p\nsource s\npricing 2 1024\nMSIZE\nend\n").unwrap();
        assert_eq!(
            v[0].case.pricing,
            MemoryPricing {
                word_cost: 2,
                quadratic_denominator: 1024
            }
        );
        assert!(parse("vector p\npricing 2 0\nend\n").is_err());
    }

    #[test]
    fn every_vector_says_where_it_comes_from() {
        let e = parse_file("x.txt", "\nvector a\nMSIZE\nend\n").unwrap_err();
        assert!(e.starts_with("x.txt:4: vector a has no `source`"), "{e}");
        let e = parse("vector a\nsource one\nsource two\nend\n").unwrap_err();
        assert!(e.starts_with("line 3"), "{e}");
        assert!(parse("vector a\nsource\nend\n").is_err());
        let v = parse_file(
            "calls.txt",
            "vector a\nsource EIP-5656 test vectors  # c\nend\n",
        )
        .unwrap();
        assert_eq!(v[0].source, "EIP-5656 test vectors");
        assert_eq!(
            (v[0].stem(), v[0].location().as_str()),
            ("calls", "calls.txt:1")
        );
    }

    #[test]
    fn repeat_runs_an_op_line_n_times() {
        let text = "vector r\nsource s\nrepeat 3 CALL 0 0 0 0 all => ok\nMSIZE => ok out=0\nend\n";
        let v = &parse(text).unwrap()[0];
        assert_eq!(v.case.ops.len(), 4);
        assert_eq!(v.expects.len(), 4);
        assert_eq!(v.op_lines, [3, 3, 3, 4]);
        assert!(v.expects[..3]
            .iter()
            .all(|e| *e == [Expect::Outcome(Outcome::Ok)]));
        for bad in [
            "repeat 0 MSIZE",
            "repeat 3",
            "repeat x MSIZE",
            "repeat 4097 MSIZE",
        ] {
            let e = parse(&format!("vector r\nsource s\n{bad}\nend\n")).unwrap_err();
            assert!(e.starts_with("line 3"), "{bad}: {e}");
        }
        let full = "vector r\nsource s\nrepeat 4096 MSIZE\nMSIZE\nend\n";
        assert!(parse(full).unwrap_err().starts_with("line 4"));
    }

    #[test]
    fn names_are_unique() {
        let e = parse_file(
            "a.txt",
            "vector x\nsource s\nend\n\nvector x\nsource s\nend\n",
        )
        .unwrap_err();
        assert!(e.contains("a.txt:5") && e.contains("a.txt:1"), "{e}");
        let dir = std::env::temp_dir().join(format!("evm-memory-vectors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b.txt"), "vector x\nsource s\nend\n").unwrap();
        std::fs::write(dir.join("a.txt"), "# a\nvector x\nsource s\nend\n").unwrap();
        std::fs::write(dir.join("notes.md"), "not vectors").unwrap();
        let e = load_dir(&dir).unwrap_err();
        std::fs::write(dir.join("b.txt"), "vector y\nsource s\nend\n").unwrap();
        let loaded = load_dir(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(e.contains("b.txt:1") && e.contains("a.txt:2"), "{e}");
        let names: Vec<_> = loaded
            .unwrap()
            .into_iter()
            .map(|v| (v.file, v.name))
            .collect();
        assert_eq!(
            names,
            [("a.txt".into(), "x".into()), ("b.txt".into(), "y".into())]
        );
    }

    #[test]
    fn filters_match_names_and_file_stems() {
        let v = parse_file("calls.txt", "vector seed_checkpoint\nsource s\nend\n").unwrap();
        let v = &v[0];
        assert!(Filter::new("").selects(v));
        assert!(Filter::new(" , ").is_empty());
        assert!(Filter::new("calls").selects(v));
        assert!(Filter::new("eip5656,seed_").selects(v));
        assert!(Filter::new("checkpoint").selects(v));
        assert!(!Filter::new("call").selects(v), "a stem matches whole");
        assert!(!Filter::new("eip5656").selects(v));
        assert_eq!(Filter::new("a, b,,").patterns(), ["a", "b"]);
    }
}
