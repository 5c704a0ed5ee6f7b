//! The EIP-3155 line format, both ways: [`write_step`] and [`write_final`] print our steps and a
//! transaction's closing lines as `evm statetest --json` and `ethereum-spec-evm statetest --json`
//! print theirs, and [`parse_line`] reads any client's line into a [`Line`].
//!
//! A step line is one JSON object per instruction, printed before it runs (with the gas cost
//! and error known after):
//! `{"pc":0,"op":96,"gas":"0x5c8a","gasCost":"0x3","memory":"0x…","memSize":32,"stack":["0x1"],
//! "returnData":"0x","depth":1,"refund":0,"opName":"PUSH1","error":"…"}` — `memory` only when
//! the memory is not empty, `error` only when the instruction failed. After the last step of a
//! transaction come `{"output":"…","gasUsed":"0x…"}` (with `error` when the transaction's first
//! frame failed or reverted) and `{"stateRoot":"0x…"}`; the per-file results
//! (`[{"name":…,"pass":…,"fork":…,"stateRoot":…}]`) go to stdout.
//!
//! Parsing is tolerant of the differences between clients in how they print a value (numbers
//! as JSON numbers, hex strings or decimal strings; hex with or without `0x`; memory as one hex
//! string or as an array of 32-byte words): those are spellings, not conventions, and
//! [`normalise`](super::normalise) deals with the conventions.

use std::fmt::Write as _;

use revm_primitives::U256;
use serde_json::{Map, Value};

/// One instruction as a client printed it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientStep {
    /// Program counter.
    pub pc: u64,
    /// Opcode.
    pub op: u8,
    /// Gas left before the instruction.
    pub gas: u64,
    /// The instruction's gas cost, when printed.
    pub gas_cost: Option<u64>,
    /// The frame's memory, when printed (`None`: the client left it out).
    pub memory: Option<Vec<u8>>,
    /// The memory's size in bytes.
    pub mem_size: u64,
    /// The stack, bottom first, as printed.
    pub stack: Vec<String>,
    /// Call depth, 1 for the transaction's first frame.
    pub depth: u64,
    /// The error the instruction ended with, when it failed.
    pub error: Option<String>,
    /// The mnemonic, when printed.
    pub op_name: Option<String>,
}

/// The line closing a transaction's steps: its output, gas and error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FinalLine {
    /// Output of the first frame, lower-case hex without `0x`.
    pub output: String,
    /// Gas the first frame spent (before refunds, without the intrinsic gas), when printed.
    pub gas_used: Option<u64>,
    /// The error the first frame ended with (a revert included), when it did.
    pub error: Option<String>,
}

/// One line of a client's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// An instruction.
    Step(ClientStep),
    /// The closing line of a transaction's steps.
    Final(FinalLine),
    /// The post-state root: the end of one test case.
    StateRoot(String),
    /// Anything else (log lines, results arrays, blank lines).
    Other,
}

/// A value printed as a JSON number, a `0x` hex string or a decimal string, as `u64`.
fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some("") => Some(0),
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => s.parse().ok(),
            }
        }
        _ => None,
    }
}

/// Hex digits (with or without `0x`) as bytes; `None` when they are not hex.
pub fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if hex.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    hex.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// A memory printed as one hex string or as an array of hex words.
fn memory(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(s) => hex_bytes(s),
        Value::Array(words) => {
            let mut out = Vec::new();
            for word in words {
                out.extend(hex_bytes(word.as_str()?)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// Reads one line of a client's output. Lines that are not JSON objects, and objects that are
/// neither a step nor a closing line, are [`Line::Other`].
///
/// # Errors
/// A step line (an object with `pc`) whose `op`, `gas` or `depth` is missing or malformed.
pub fn parse_line(text: &str) -> Result<Line, String> {
    let text = text.trim();
    if !text.starts_with('{') {
        return Ok(Line::Other);
    }
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
        return Ok(Line::Other);
    };
    if object.contains_key("pc") {
        return parse_step(&object).map(Line::Step);
    }
    if let Some(root) = object.get("stateRoot").and_then(Value::as_str) {
        return Ok(Line::StateRoot(root.to_ascii_lowercase()));
    }
    if object.contains_key("gasUsed") || object.contains_key("output") {
        let output = object.get("output").and_then(Value::as_str).unwrap_or("");
        return Ok(Line::Final(FinalLine {
            output: output
                .strip_prefix("0x")
                .unwrap_or(output)
                .to_ascii_lowercase(),
            gas_used: object.get("gasUsed").and_then(number),
            error: error_text(object.get("error")),
        }));
    }
    Ok(Line::Other)
}

/// An `error` field: absent, `null` and `""` are no error.
fn error_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn parse_step(object: &Map<String, Value>) -> Result<ClientStep, String> {
    let field = |name: &str| -> Result<u64, String> {
        object
            .get(name)
            .and_then(number)
            .ok_or_else(|| format!("step line without a readable `{name}`"))
    };
    let op = field("op")?;
    Ok(ClientStep {
        pc: field("pc")?,
        op: u8::try_from(op).map_err(|_| format!("step line with op {op}"))?,
        gas: field("gas")?,
        gas_cost: object.get("gasCost").and_then(number),
        memory: object.get("memory").and_then(memory),
        mem_size: object.get("memSize").and_then(number).unwrap_or(0),
        stack: object
            .get("stack")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        depth: field("depth")?,
        error: error_text(object.get("error")),
        op_name: object
            .get("opName")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// `bytes` as `0x`-prefixed lower-case hex, appended to `out`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(2 + 2 * bytes.len());
    out.push_str("0x");
    for &b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
}

/// What [`write_step`] prints of one instruction.
#[derive(Clone, Copy, Debug)]
pub struct StepLine<'a> {
    /// Program counter.
    pub pc: usize,
    /// Opcode.
    pub op: u8,
    /// Gas left before the instruction.
    pub gas: u64,
    /// Its cost (gas before minus gas after; for a call or create, with the gas handed over).
    pub gas_cost: u64,
    /// The frame's memory.
    pub memory: &'a [u8],
    /// The stack, bottom first.
    pub stack: &'a [U256],
    /// The frame's return-data buffer.
    pub return_data: &'a [u8],
    /// Depth, 1 for the first frame.
    pub depth: usize,
    /// Refund counter.
    pub refund: i64,
    /// The error the instruction ended with.
    pub error: Option<&'a str>,
}

/// The mnemonic of `op` (revm's names; `UNDEFINED 0x0c` for an opcode revm does not define).
pub fn op_name(op: u8) -> String {
    crate::harness::evm::oracle::opcode_name(op)
}

/// Appends `line` as an EIP-3155 step line (no newline) to `out`.
pub fn write_step(out: &mut String, line: &StepLine<'_>) {
    let _ = write!(
        out,
        "{{\"pc\":{},\"op\":{},\"gas\":\"{:#x}\",\"gasCost\":\"{:#x}\",",
        line.pc, line.op, line.gas, line.gas_cost
    );
    if !line.memory.is_empty() {
        out.push_str("\"memory\":\"");
        push_hex(out, line.memory);
        out.push_str("\",");
    }
    let _ = write!(out, "\"memSize\":{},\"stack\":[", line.memory.len());
    for (i, word) in line.stack.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{word:#x}\"");
    }
    out.push_str("],\"returnData\":\"");
    push_hex(out, line.return_data);
    let _ = write!(
        out,
        "\",\"depth\":{},\"refund\":{},\"opName\":\"{}\"",
        line.depth,
        line.refund,
        op_name(line.op)
    );
    if let Some(error) = line.error {
        let _ = write!(out, ",\"error\":{}", Value::String(error.to_string()));
    }
    out.push('}');
}

/// The closing lines of a transaction (no trailing newline): `{"output":…,"gasUsed":…}` (with
/// `error`), a newline, `{"stateRoot":…}`.
pub fn write_final(out: &mut String, last: &FinalLine, state_root: &str) {
    let _ = write!(out, "{{\"output\":\"{}\"", last.output);
    if let Some(gas) = last.gas_used {
        let _ = write!(out, ",\"gasUsed\":\"{gas:#x}\"");
    }
    if let Some(error) = &last.error {
        let _ = write!(out, ",\"error\":{}", Value::String(error.clone()));
    }
    let _ = write!(out, "}}\n{{\"stateRoot\":\"{state_root}\"}}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_step_reads_back() {
        let mut text = String::new();
        let word = U256::from(0x2a);
        write_step(
            &mut text,
            &StepLine {
                pc: 3,
                op: 0x52,
                gas: 100,
                gas_cost: 6,
                memory: &[1, 2],
                stack: &[word],
                return_data: &[],
                depth: 1,
                refund: 0,
                error: Some("OutOfGas"),
            },
        );
        let Line::Step(step) = parse_line(&text).unwrap() else {
            panic!("not a step: {text}")
        };
        assert_eq!(
            (step.pc, step.op, step.gas, step.mem_size),
            (3, 0x52, 100, 2)
        );
        assert_eq!(step.memory, Some(vec![1, 2]));
        assert_eq!(step.stack, vec!["0x2a".to_string()]);
        assert_eq!(step.error.as_deref(), Some("OutOfGas"));
        assert_eq!(step.op_name.as_deref(), Some("MSTORE"));
    }

    #[test]
    fn closing_lines_and_other_lines() {
        let mut text = String::new();
        let last = FinalLine {
            output: "ab".into(),
            gas_used: Some(0x2c),
            error: None,
        };
        write_final(&mut text, &last, "0x01");
        let mut lines = text.lines();
        assert_eq!(parse_line(lines.next().unwrap()), Ok(Line::Final(last)));
        assert_eq!(
            parse_line(lines.next().unwrap()),
            Ok(Line::StateRoot("0x01".into()))
        );
        assert_eq!(parse_line("# INFO:T8N:x"), Ok(Line::Other));
        assert_eq!(parse_line("[{\"pass\":true}]"), Ok(Line::Other));
        assert!(parse_line("{\"pc\":1}").is_err());
        // Numbers as numbers, memory as words.
        let Ok(Line::Step(step)) = parse_line(
            "{\"pc\":1,\"op\":82,\"gas\":7,\"depth\":2,\"memory\":[\"0x01\",\"02\"],\"memSize\":\"0x2\"}",
        ) else {
            panic!()
        };
        assert_eq!(step.memory, Some(vec![1, 2]));
        assert_eq!((step.gas, step.depth, step.mem_size), (7, 2, 2));
    }
}
