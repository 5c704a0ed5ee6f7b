//! The serving side of the engine protocol ([`protocol`](super::protocol)): hosts any engine
//! this crate builds over a reader and a writer (`conformance serve NAME` over standard input
//! and output). Run as `ext:NAME=conformance serve ours`, it must agree with everything: the
//! protocol's self-test. It is also how a crash-prone engine runs isolated in a child process
//! (`isolated:NAME`).

use std::io::{BufRead, Write};

use serde_json::{json, Value};

use super::case::Case;
use super::engine::Engine;
use super::observation::Observation;
use super::protocol::{
    case_from_json, hello_to_json, hex, observation_to_json, op_from_json, short, Capabilities,
};

/// Serves `engine` over the protocol: a hello on `output`, then one reply per request read
/// from `input`, until `input` ends. A request it cannot honour (malformed, a step before a
/// case or past its last op) gets an `{"error":…}` reply and serving goes on.
///
/// # Errors
/// When `input` cannot be read or `output` written.
pub fn serve(
    engine: &mut dyn Engine,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("serve: {e}");
    let hello = hello_to_json(engine.name(), env!("CARGO_PKG_VERSION"), Capabilities::ALL);
    writeln!(output, "{hello}").map_err(io)?;
    output.flush().map_err(io)?;
    let mut case: Result<Case, String> = Err("a step without a case".to_string());
    let mut obs = Observation::default();
    let mut sizes = Vec::new();
    let mut bytes = Vec::new();
    for line in input.lines() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Value>(&line) {
            Err(e) => Some(json!({ "error": format!("not JSON: {e}") })),
            Ok(request) => answer(
                engine, &request, &mut case, &mut obs, &mut sizes, &mut bytes,
            ),
        };
        if let Some(reply) = reply {
            writeln!(output, "{reply}").map_err(io)?;
            output.flush().map_err(io)?;
        }
    }
    Ok(())
}

/// The reply to one request (`None` for a case, which has none).
fn answer(
    engine: &mut dyn Engine,
    request: &Value,
    case: &mut Result<Case, String>,
    obs: &mut Observation,
    sizes: &mut Vec<usize>,
    bytes: &mut Vec<u8>,
) -> Option<Value> {
    if let Some(c) = request.get("case") {
        // A malformed case shows at its first step.
        *case = case_from_json(c).map_err(|e| format!("malformed case: {e}"));
        if let Ok(c) = case {
            engine.begin(c);
        }
        return None;
    }
    if let Some(index) = request.get("step") {
        let c = match case {
            Ok(c) => &*c,
            Err(e) => return Some(json!({ "error": e.clone() })),
        };
        let given = match request.get("op").map(op_from_json) {
            Some(Ok(op)) => Some(op),
            Some(Err(e)) => return Some(json!({ "error": format!("malformed op: {e}") })),
            None => None,
        };
        let op = given.as_ref().or_else(|| {
            index
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| c.ops.get(i))
        });
        let Some(op) = op else {
            return Some(json!({ "error": format!("no op {}", short(index)) }));
        };
        engine.step(c, op, obs);
        return Some(observation_to_json(obs));
    }
    if request.get("sizes").is_some() {
        sizes.clear();
        engine.frame_sizes(sizes);
        return Some(json!({ "sizes": sizes }));
    }
    if let Some(asked) = request.get("bytes") {
        let numbers = asked.as_array().and_then(|a| {
            a.iter()
                .map(|n| n.as_u64().and_then(|n| usize::try_from(n).ok()))
                .collect::<Option<Vec<usize>>>()
        });
        let Some([frame, from, to]) = numbers
            .as_deref()
            .map(<[usize]>::to_vec)
            .and_then(|v| <[usize; 3]>::try_from(v).ok())
        else {
            return Some(
                json!({ "error": format!("bytes wants [frame, from, to], got {}", short(asked)) }),
            );
        };
        return Some(match engine.frame(frame) {
            None => json!({ "bytes": null }),
            Some(_) => {
                bytes.clear();
                engine.frame_bytes(frame, from..to, bytes);
                json!({ "bytes": hex(bytes) })
            }
        });
    }
    Some(json!({ "error": format!("unknown request {}", short(request)) }))
}
