//! `conformance export-vectors DIR`: the corpus's op sequences, the named scenarios, the
//! vectors and N random sequences as JSON files, each case with the observation expected after
//! every op, for implementations that cannot be driven live. A case is exported only when every
//! engine that ran it agreed (the built-in ones and, when available, the execution specs); its
//! `agreed_by` lists them. The schema (version [`SCHEMA_VERSION`]) is documented in
//! `docs/vectors-schema.md`; `python/replay_vectors.py` replays the files through the spec
//! driver alone.

use std::fs;
use std::path::{Path, PathBuf};

use revm_primitives::keccak256;
use serde_json::{json, Value};

use super::campaign::{random_input, spec_available, spec_engines};
use super::corpus::{list_corpus, replay_for, Replay};
use super::ops::case::Case;
use super::ops::engine::{step_whole, Engine};
use super::ops::engines::{engines_by_names, ModelEngine, ENGINE_NAMES};
use super::ops::generate::{decode, decode_small, Profile};
use super::ops::observation::{Observation, Output};
use super::ops::oracle::Oracle;
use super::ops::protocol::{case_to_json, hex, outcome_name};
use super::ops::{scenarios, vectors};

/// The version of the exported files' schema.
pub const SCHEMA_VERSION: u64 = 1;

/// Bytes up to which memory, outputs and ended frames are written out in full (beyond: their
/// keccak256 and length).
pub const INLINE_BYTES: usize = 1024;

/// All open frames together up to this size get a `memory_keccak256` after every op (larger
/// memories only after the case's last op).
pub const DIGEST_EVERY_OP_BYTES: usize = 64 << 10;

/// A case with its name and where it comes from.
type Named = (String, String, Case);

/// What an export wrote.
#[derive(Clone, Debug, Default)]
pub struct ExportSummary {
    /// Each file written, with its number of cases.
    pub files: Vec<(PathBuf, usize)>,
    /// Cases left out (not comparable), one line each.
    pub skipped: Vec<String>,
    /// The engines every exported case was run through.
    pub engines: Vec<&'static str>,
}

fn keccak_hex(bytes: &[u8]) -> String {
    hex(keccak256(bytes).as_slice())
}

fn bytes_value(bytes: &[u8]) -> Value {
    if bytes.len() <= INLINE_BYTES {
        json!({ "bytes": hex(bytes) })
    } else {
        json!({ "bytes_keccak256": keccak_hex(bytes), "len": bytes.len() })
    }
}

/// One expected observation in the export schema (`obs` holds every open frame).
fn expected(obs: &Observation, last: bool) -> Value {
    let output = match &obs.output {
        Output::None => Value::Null,
        Output::Word(w) => json!({ "word": hex(w) }),
        Output::Size(s) => json!({ "size": s }),
        Output::Bytes(b) => bytes_value(b),
    };
    let mut v = json!({
        "outcome": outcome_name(obs.outcome),
        "output": output,
        "gas_charged": obs.gas_charged,
        "gas_remaining": obs.gas_remaining,
        "ended": obs.ended,
        "frames": obs.frames,
        "size": obs.size,
        "total_size": obs.total_size,
        "frame_sizes": obs.frame_sizes,
        "ended_frame": obs.ended_frame.as_deref().map(bytes_value),
    });
    if obs.memory.len() <= INLINE_BYTES {
        v["memory"] = json!(hex(&obs.memory));
    }
    if last || obs.memory.len() <= DIGEST_EVERY_OP_BYTES {
        v["memory_keccak256"] = json!(keccak_hex(&obs.memory));
    }
    v
}

/// Every op's expected observation, from the reference model (run after the engines agreed).
fn expectations(model: &mut ModelEngine, case: &Case) -> Vec<Value> {
    let mut obs = Observation::default();
    let mut out = Vec::new();
    model.begin(case);
    for (i, op) in case.ops.iter().enumerate() {
        step_whole(model, case, op, &mut obs);
        let last = obs.ended || i + 1 == case.ops.len();
        out.push(expected(&obs, last));
        if obs.ended {
            break;
        }
    }
    out
}

/// Writes the export to `dir` (created if missing): `corpus.json` (from `corpus_dir`, when
/// given), `scenarios.json`, `vectors.json` and `random.json` (`random` sequences of `seed`).
///
/// # Errors
/// A divergence between the engines (nothing disagreed on is exported), an unreadable corpus
/// or vector directory, or a file that cannot be written.
pub fn export_vectors(
    dir: &Path,
    corpus_dir: Option<&Path>,
    random: u64,
    seed: u64,
) -> Result<ExportSummary, String> {
    let (engines, spec) = match spec_available() {
        Ok(_) => (spec_engines(), true),
        Err(why) => {
            eprintln!("export-vectors: without the spec engine ({why})");
            (engines_by_names(&ENGINE_NAMES), false)
        }
    };
    let _ = spec;
    let mut oracle = Oracle::new(engines);
    let names = oracle.engine_names();
    let mut model = ModelEngine::new();
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut summary = ExportSummary {
        engines: names.clone(),
        ..ExportSummary::default()
    };

    let mut groups: Vec<(&str, Vec<Named>)> = Vec::new();
    if let Some(corpus) = corpus_dir {
        let mut cases = Vec::new();
        for file in list_corpus(corpus).map_err(|e| e.to_string())? {
            if let Some(Replay::Diff(profile)) = replay_for(&file.target) {
                let data =
                    fs::read(&file.path).map_err(|e| format!("{}: {e}", file.path.display()))?;
                let case = match profile {
                    Profile::Full => decode(&data),
                    Profile::Small => decode_small(&data),
                };
                let name = format!("corpus/{}", file.relative);
                cases.push((name.clone(), name, case));
            }
        }
        groups.push(("corpus", cases));
    }
    groups.push((
        "scenarios",
        scenarios::all()
            .into_iter()
            .map(|s| (s.name.to_string(), format!("scenario {}", s.name), s.case))
            .collect(),
    ));
    let vdir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    groups.push((
        "vectors",
        vectors::load_dir(&vdir)?
            .into_iter()
            .map(|v| (v.name.clone(), v.source.clone(), v.case))
            .collect(),
    ));
    let mut input = Vec::new();
    groups.push((
        "random",
        (0..random)
            .map(|index| {
                let case = match random_input(seed, index, 2048, &mut input) {
                    Profile::Full => decode(&input),
                    Profile::Small => decode_small(&input),
                };
                (
                    format!("random-{index}"),
                    format!("random #{index} (seed {seed:#x})"),
                    case,
                )
            })
            .collect(),
    ));

    for (group, cases) in groups {
        let mut out = Vec::new();
        for (name, source, case) in cases {
            let stats = oracle.run(&case).map_err(|d| {
                format!("export-vectors: the engines disagree on {source}; nothing exported:\n{d}")
            })?;
            if stats.not_comparable > 0 {
                summary.skipped.push(format!(
                    "{source}: not comparable {:?}",
                    stats.failure_details
                ));
                continue;
            }
            let agreed_by: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| !stats.declined.keys().any(|(e, _)| e == n))
                .collect();
            let expected = expectations(&mut model, &case);
            out.push(json!({
                "name": name,
                "source": source,
                "agreed_by": agreed_by,
                "case": case_to_json(&case),
                "expected": expected,
            }));
        }
        let path = dir.join(format!("{group}.json"));
        let count = out.len();
        let doc = json!({
            "schema": SCHEMA_VERSION,
            "generator": format!("evm-memory {} conformance export-vectors", env!("CARGO_PKG_VERSION")),
            "group": group,
            "vectors": out,
        });
        let text = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
        fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        summary.files.push((path, count));
    }
    Ok(summary)
}
