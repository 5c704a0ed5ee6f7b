//! `--check`: a committed JSON report (`conformance.json`, and `statetests.json` for
//! `conformance statetest --check`) against a regenerated one, every difference listed by its
//! JSON path, the wall-clock figures ignored.
//!
//! It imports no part of the harness, so that every report, whatever level it belongs to, can
//! be checked with it (the campaign re-exports it as `campaign::compare_reports`).

/// The keys of the report that hold wall-clock figures, ignored by [`compare_reports`].
pub const TIMING_KEYS: [&str; 1] = ["timing"];

/// Keys, anywhere in the report, whose values depend on where the allocator places our
/// memory's buffer and not only on the seed: whether a growth reallocates depends on the
/// buffer's alignment padding (contexts start on 32-byte boundaries), so two runs of the same
/// campaign can count a few reallocations more or less. They are reported, and left out of the
/// `--check` comparison.
pub const ALLOCATOR_DEPENDENT_KEYS: [&str; 1] = ["child_reallocations"];

/// Removes every [`ALLOCATOR_DEPENDENT_KEYS`] key from `v`, at any depth.
fn remove_allocator_dependent(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for key in ALLOCATOR_DEPENDENT_KEYS {
                map.remove(key);
            }
            map.values_mut().for_each(remove_allocator_dependent);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(remove_allocator_dependent),
        _ => {}
    }
}

/// Compares two `conformance.json` texts ignoring the timing figures and the counts that depend
/// on the allocator ([`ALLOCATOR_DEPENDENT_KEYS`]).
///
/// # Errors
/// A readable list of every difference (JSON path, committed value, regenerated value), or a
/// parse error.
pub fn compare_reports(committed: &str, regenerated: &str) -> Result<(), String> {
    let parse = |what: &str, text: &str| -> Result<serde_json::Value, String> {
        let mut v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{what} report is not JSON: {e}"))?;
        if let Some(map) = v.as_object_mut() {
            for key in TIMING_KEYS {
                map.remove(key);
            }
        }
        remove_allocator_dependent(&mut v);
        Ok(v)
    };
    let mut a = parse("committed", committed)?;
    let mut b = parse("regenerated", regenerated)?;
    // A spec phase skipped here (no Python, no virtual environment) is not compared: the
    // command says it was skipped and how to enable it.
    let skipped = b
        .pointer("/spec/status")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|s| s.starts_with("skipped"));
    if skipped {
        for v in [&mut a, &mut b] {
            if let Some(map) = v.as_object_mut() {
                map.remove("spec");
            }
        }
    }
    let mut diffs = Vec::new();
    json_diff("", &a, &b, &mut diffs);
    if diffs.is_empty() {
        return Ok(());
    }
    let shown = diffs.len().min(40);
    let mut msg = format!(
        "{} difference(s) between the committed and the regenerated report (timing ignored):\n",
        diffs.len()
    );
    for d in &diffs[..shown] {
        msg.push_str("  ");
        msg.push_str(d);
        msg.push('\n');
    }
    if diffs.len() > shown {
        msg.push_str(&format!("  … and {} more\n", diffs.len() - shown));
    }
    Err(msg)
}

fn short_json(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        let head: String = s.chars().take(117).collect();
        format!("{head}…")
    } else {
        s
    }
}

fn json_diff(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let p = format!("{path}.{k}");
                match y.get(k) {
                    Some(vb) => json_diff(&p, va, vb, out),
                    None => out.push(format!(
                        "{p}: committed {}, regenerated (absent)",
                        short_json(va)
                    )),
                }
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    out.push(format!(
                        "{path}.{k}: committed (absent), regenerated {}",
                        short_json(vb)
                    ));
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                json_diff(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        _ if a != b => out.push(format!(
            "{}: committed {}, regenerated {}",
            if path.is_empty() { "." } else { path },
            short_json(a),
            short_json(b)
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_and_allocator_dependent_counts_are_not_compared() {
        let a = r#"{"timing":{"s":1},"stats":{"random":{"reach":{"child_reallocations":5,"zero_length_calls":7}}}}"#;
        let b = r#"{"timing":{"s":2},"stats":{"random":{"reach":{"child_reallocations":6,"zero_length_calls":7}}}}"#;
        assert_eq!(compare_reports(a, b), Ok(()));
        let c = r#"{"timing":{"s":2},"stats":{"random":{"reach":{"child_reallocations":6,"zero_length_calls":8}}}}"#;
        let e = compare_reports(a, c).unwrap_err();
        assert!(e.contains("zero_length_calls"), "{e}");
    }
}
