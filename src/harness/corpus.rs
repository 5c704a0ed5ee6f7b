//! The corpus (`corpus/<target>/`, crash reproducers under `corpus/regressions/<target>/`):
//! listing it for replay ([`list_corpus`]), writing the named scenarios into it
//! ([`write_corpus`], the `conformance write-corpus` command), removing copies of them that
//! `cargo fuzz cmin` made ([`remove_scenario_copies`]), and turning a minimised crash into a
//! regression input and test ([`short_hash`], [`regression_test_skeleton`], the `conformance
//! tmin` command). The `cargo fuzz` command lines themselves are built in
//! [`cargo_fuzz`](super::cargo_fuzz).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::ops::generate::Profile;
use super::ops::scenarios;

/// The fuzz targets whose corpus the campaign replays, in replay order.
pub const CORPUS_TARGETS: [&str; 5] = ["diff_ops", "diff_small", "memory_raw", "c_api", "diff_evm"];

/// The corpus directory holding crash reproducers, one subdirectory per target.
pub const REGRESSIONS_DIR: &str = "regressions";

/// Why the corpus could not be listed or read (a campaign then stops before running anything
/// past that point).
#[derive(Debug)]
pub enum CorpusError {
    /// The corpus directory does not exist.
    CorpusMissing(PathBuf),
    /// A corpus file or directory could not be read.
    CorpusUnreadable {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        error: io::Error,
    },
    /// A file under `corpus/regressions/` is not inside a known target's directory.
    UnknownTarget {
        /// The file.
        path: PathBuf,
    },
}

impl fmt::Display for CorpusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CorpusMissing(path) => write!(
                f,
                "corpus directory `{}` not found (run `conformance write-corpus` to create it, \
                 pass --corpus-dir, or --no-corpus to skip the replay)",
                path.display()
            ),
            Self::CorpusUnreadable { path, error } => {
                write!(f, "cannot read corpus path `{}`: {error}", path.display())
            }
            Self::UnknownTarget { path } => write!(
                f,
                "corpus file `{}` is not under a known target ({})",
                path.display(),
                CORPUS_TARGETS.join(", ")
            ),
        }
    }
}

impl std::error::Error for CorpusError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::CorpusUnreadable { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// How a corpus file is replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replay {
    /// An op sequence, decoded with this profile, through the oracle.
    Diff(Profile),
    /// Raw bytes through the invariant driver (`memory_raw`).
    Raw,
    /// Raw bytes through the C API driver (`c_api`).
    CApi,
    /// A program through stock revm and `MemoryEvm` (`diff_evm`).
    Evm,
}

/// How a file of `target`'s corpus is replayed (`None` for an unknown target).
pub(crate) fn replay_for(target: &str) -> Option<Replay> {
    match target {
        "diff_ops" => Some(Replay::Diff(Profile::Full)),
        "diff_small" => Some(Replay::Diff(Profile::Small)),
        "memory_raw" => Some(Replay::Raw),
        "c_api" => Some(Replay::CApi),
        "diff_evm" => Some(Replay::Evm),
        _ => None,
    }
}

/// One corpus file to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusFile {
    /// The target directory it counts under (`diff_ops`, `regressions/diff_ops`, …).
    pub group: String,
    /// The fuzz target whose format it is in.
    pub target: String,
    /// Path relative to the corpus directory, with `/` separators.
    pub relative: String,
    /// Full path.
    pub path: PathBuf,
}

pub(crate) fn unreadable(path: &Path, error: io::Error) -> CorpusError {
    CorpusError::CorpusUnreadable {
        path: path.to_path_buf(),
        error,
    }
}

/// `true` for names that are not corpus inputs: hidden files and Markdown notes.
fn not_an_input(name: &str) -> bool {
    name.starts_with('.') || name.ends_with(".md")
}

/// Every regular file under `dir` (recursively; hidden files and `*.md` skipped), sorted.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CorpusError> {
    let entries = fs::read_dir(dir).map_err(|e| unreadable(dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| unreadable(dir, e))?;
        if not_an_input(&entry.file_name().to_string_lossy()) {
            continue;
        }
        paths.push(entry.path());
    }
    paths.sort();
    for path in paths {
        // Follows symlinks: a dangling one is reported as unreadable.
        let meta = fs::metadata(&path).map_err(|e| unreadable(&path, e))?;
        if meta.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Lists the corpus under `dir` in replay order: each target's directory (a missing one counts
/// zero files), then `regressions/<target>/…`. Hidden files and `*.md` notes are skipped.
///
/// # Errors
/// When `dir` does not exist, a directory cannot be read, or a file under `regressions/` is not
/// in a known target's directory (files directly in `regressions/` are skipped).
pub fn list_corpus(dir: &Path) -> Result<Vec<CorpusFile>, CorpusError> {
    if !dir.is_dir() {
        return Err(CorpusError::CorpusMissing(dir.to_path_buf()));
    }
    let relative = |path: &Path| -> String {
        let rel = path.strip_prefix(dir).unwrap_or(path);
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut files = Vec::new();
    for target in CORPUS_TARGETS {
        let sub = dir.join(target);
        if !sub.exists() {
            continue;
        }
        let mut paths = Vec::new();
        walk(&sub, &mut paths)?;
        for path in paths {
            files.push(CorpusFile {
                group: target.to_string(),
                target: target.to_string(),
                relative: relative(&path),
                path,
            });
        }
    }
    let regressions = dir.join(REGRESSIONS_DIR);
    if regressions.exists() {
        let mut paths = Vec::new();
        walk(&regressions, &mut paths)?;
        for path in paths {
            let rel = relative(&path);
            if rel.split('/').count() < 3 {
                // Directly in regressions/: not in a target's directory, not an input.
                continue;
            }
            let target = rel.split('/').nth(1).unwrap_or("");
            if replay_for(target).is_none() {
                return Err(CorpusError::UnknownTarget { path });
            }
            files.push(CorpusFile {
                group: format!("{REGRESSIONS_DIR}/{target}"),
                target: target.to_string(),
                relative: rel,
                path,
            });
        }
    }
    Ok(files)
}

/// A short content hash (64-bit FNV-1a, 16 hex digits): the file name of a regression input.
pub fn short_hash(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The function that replays an input of `target`, as a path usable from a test.
pub fn replay_function(target: &str) -> Option<&'static str> {
    match target {
        "diff_ops" => Some("evm_memory::harness::fuzz_diff_ops"),
        "diff_small" => Some("evm_memory::harness::fuzz_diff_small"),
        "memory_raw" => Some("evm_memory::harness::fuzz_memory_raw"),
        "c_api" => Some("evm_memory::harness::c_api::drive_c_api"),
        _ => None,
    }
}

/// A test replaying `corpus/regressions/<target>/<hash>`, with a root-cause paragraph to fill
/// in. With `replay_helper`, the test calls `replay(target, name)` (the helper of
/// `tests/regressions.rs`, whose orphan check looks for the quoted name); otherwise it is
/// self-contained.
pub fn regression_test_skeleton(
    target: &str,
    hash: &str,
    artifact: &str,
    replay_helper: bool,
) -> String {
    let body = if replay_helper {
        format!("    replay(\"{target}\", \"{hash}\");")
    } else {
        let function = replay_function(target).unwrap_or("evm_memory::harness::fuzz_diff_ops");
        format!(
            "    let data = include_bytes!(concat!(\n        env!(\"CARGO_MANIFEST_DIR\"),\n        \
             \"/corpus/regressions/{target}/{hash}\"\n    ));\n    {function}(data);"
        )
    };
    format!(
        r#"
/// Regression: `{target}` input `corpus/regressions/{target}/{hash}`, minimised from
/// `{artifact}`.
///
/// Root cause: TODO — what the input does, which engine was off the rules (the divergence
/// report's odd one out), why, and how it was fixed (or, for a revm deviation from the EVM
/// rules, where in `reports/` it is written up).
#[test]
fn regression_{target}_{hash}() {{
{body}
}}
"#
    )
}

/// Writes every named scenario to `<corpus_dir>/<target>/<name>` in its target's format;
/// returns the paths written.
///
/// # Errors
/// A scenario that cannot be encoded, or a file that cannot be written.
pub fn write_corpus(corpus_dir: &Path, dry_run: bool) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for scenario in scenarios::all() {
        let bytes = scenario
            .encode()
            .map_err(|e| format!("scenario `{}` cannot be encoded: {e}", scenario.name))?;
        written.push(write_input(
            corpus_dir,
            scenario.target,
            scenario.name,
            &bytes,
            dry_run,
        )?);
    }
    for (name, build) in super::evm::SCENARIOS {
        let bytes = super::evm::encode_program(&build())
            .map_err(|e| format!("program scenario `{name}` cannot be encoded: {e}"))?;
        written.push(write_input(corpus_dir, "diff_evm", name, &bytes, dry_run)?);
    }
    Ok(written)
}

/// Writes `bytes` to `<corpus_dir>/<target>/<name>` (only the path under `dry_run`).
fn write_input(
    corpus_dir: &Path,
    target: &str,
    name: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Result<PathBuf, String> {
    let dir = corpus_dir.join(target);
    let path = dir.join(name);
    if !dry_run {
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        fs::write(&path, bytes).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    }
    Ok(path)
}

/// Removes the files of `<corpus_dir>/<target>/` that are byte-identical copies of a named
/// scenario under another name (`cargo fuzz cmin` renames the inputs it keeps to their SHA-1);
/// returns the paths removed.
///
/// # Errors
/// A directory that cannot be listed or a file that cannot be read or removed.
pub fn remove_scenario_copies(corpus_dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut removed = Vec::new();
    let all = scenarios::all();
    for target in CORPUS_TARGETS {
        let mut named: Vec<(&str, Vec<u8>)> = all
            .iter()
            .filter(|s| s.target == target)
            .filter_map(|s| s.encode().ok().map(|b| (s.name, b)))
            .collect();
        if target == "diff_evm" {
            named.extend(super::evm::SCENARIOS.iter().filter_map(|(name, build)| {
                super::evm::encode_program(&build())
                    .ok()
                    .map(|b| (*name, b))
            }));
        }
        let dir = corpus_dir.join(target);
        if named.is_empty() || !dir.is_dir() {
            continue;
        }
        let entries =
            fs::read_dir(&dir).map_err(|e| format!("cannot list `{}`: {e}", dir.display()))?;
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            if !path.is_file() || named.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let bytes =
                fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            if named.iter().any(|(_, b)| *b == bytes) {
                fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove `{}`: {e}", path.display()))?;
                removed.push(path);
            }
        }
    }
    Ok(removed)
}
