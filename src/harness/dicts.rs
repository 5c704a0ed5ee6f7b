//! Fuzz dictionaries: for each fuzz target, the byte strings its inputs need to hit (op tags,
//! word edges, size classes, 2^32, 2^64 − 1, 2^256 − 1, opcodes and 0xEF prefixes), spelled
//! by each generator's own encoder or reader (`ops::generate::dictionary`,
//! `evm::generate::dictionary`, `raw::dictionary`, `c_api::dictionary`), so that a dictionary
//! cannot drift from the format it feeds.
//!
//! `conformance fuzz-dicts` writes them as libFuzzer dictionaries (`fuzz/dicts/<target>.dict`,
//! `-dict=` for `cargo fuzz run`, `<target>.dict` beside each binary for ClusterFuzzLite and
//! OSS-Fuzz); `--check` and `tests/fuzz_dicts.rs` fail when the committed files are stale.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The targets that have a dictionary, in `fuzz/Cargo.toml`'s order.
pub const DICT_TARGETS: [&str; 5] = ["diff_ops", "diff_small", "memory_raw", "c_api", "diff_evm"];

/// The named entries of `target`'s dictionary, or `None` for a target without one.
pub fn entries(target: &str) -> Option<Vec<(String, Vec<u8>)>> {
    Some(match target {
        "diff_ops" | "diff_small" => super::ops::generate::dictionary(),
        "memory_raw" => super::raw::dictionary(),
        "c_api" => super::c_api::dictionary(),
        "diff_evm" => super::evm::generate::dictionary(),
        _ => return None,
    })
}

/// `target`'s dictionary in libFuzzer's format (`name="\xNN…"` lines), or `None` for a target
/// without one. Deterministic: the same text for the same generators.
pub fn dictionary_text(target: &str) -> Option<String> {
    let mut lines = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (name, bytes) in entries(target)? {
        // Two names may spell the same bytes (a value that is both a word edge and a size
        // class): the first one stands.
        if bytes.is_empty() || !seen.insert(bytes.clone()) {
            continue;
        }
        let mut line: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        line.push_str("=\"");
        for b in bytes {
            let _ = write!(line, "\\x{b:02X}");
        }
        line.push('"');
        lines.push(line);
    }
    let mut text = format!(
        "# libFuzzer dictionary of the {target} fuzz target: {} entries.\n\
         # Written by `cargo run --release --features harness --bin conformance -- fuzz-dicts`\n\
         # from the generator's own encoder (src/harness/dicts.rs); do not edit.\n",
        lines.len()
    );
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    Some(text)
}

/// Writes every target's dictionary to `dir/<target>.dict` and returns the paths; with
/// `check`, writes nothing and fails when a file differs from what it would write.
///
/// # Errors
/// A file that cannot be written, or (with `check`) a missing or stale one, named.
pub fn write_dictionaries(dir: &Path, check: bool) -> Result<Vec<PathBuf>, String> {
    let mut paths = Vec::new();
    let mut stale = Vec::new();
    for target in DICT_TARGETS {
        let text = dictionary_text(target).expect("every listed target has a dictionary");
        let path = dir.join(format!("{target}.dict"));
        if check {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path.display().to_string());
            }
        } else {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        paths.push(path);
    }
    if stale.is_empty() {
        Ok(paths)
    } else {
        Err(format!(
            "stale or missing fuzz dictionaries: {} (regenerate with `cargo run --release \
             --features harness --bin conformance -- fuzz-dicts`)",
            stale.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::ops::case::{Case, Op};
    use crate::harness::ops::generate::{encode, magic_values};

    #[test]
    fn op_model_entries_are_what_the_encoder_writes() {
        let entries = entries("diff_ops").unwrap();
        for (name, v) in magic_values() {
            let case = Case {
                ops: vec![Op::MCopy {
                    dst: v,
                    src: crate::U256::ZERO,
                    len: v,
                }],
                ..Case::default()
            };
            let bytes = encode(&case).unwrap();
            for kind in ["offset", "length"] {
                let entry = &entries
                    .iter()
                    .find(|(n, _)| *n == format!("{kind}_{name}"))
                    .unwrap()
                    .1;
                assert!(
                    bytes.windows(entry.len()).any(|w| w == entry.as_slice()),
                    "{kind}_{name}: {entry:02x?} is not in {bytes:02x?}"
                );
            }
        }
    }

    #[test]
    fn the_committed_dictionaries_are_up_to_date() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/dicts");
        if let Err(why) = write_dictionaries(&dir, true) {
            panic!("{why}");
        }
    }

    #[test]
    fn every_target_has_a_dictionary_in_libfuzzer_form() {
        for target in DICT_TARGETS {
            let text = dictionary_text(target).unwrap();
            let lines: Vec<_> = text.lines().filter(|l| !l.starts_with('#')).collect();
            assert!(lines.len() >= 10, "{target}: {} entries", lines.len());
            for line in lines {
                let (name, value) = line.split_once('=').unwrap();
                assert!(
                    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
                assert!(value.starts_with("\"\\x") && value.ends_with('"'), "{line}");
            }
        }
        assert!(dictionary_text("nonsense").is_none());
    }
}
