//! Tests of the client comparison with stand-in clients: our own traces replayed by `cat`
//! (agreeing, or altered in one memory byte), a client that crashes and one that hangs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::compare::{compare_client, ClientSpec, CompareConfig, FileVerdict};
use super::export::{export_statetests, ExportConfig};
use super::run::{print_files, test_file, TraceEngine};
use crate::harness::statetest::{engines_by_name, run_paths, RunConfig};

/// A fresh folder under the system's temporary folder.
fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("evm-memory-clients-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The named scenarios exported into `dir`.
fn scenarios(dir: &Path) -> Vec<PathBuf> {
    let config = ExportConfig {
        corpus_dir: None,
        max_trace_bytes: Some(2_000_000),
        ..ExportConfig::default()
    };
    let exported = export_statetests(dir, &config).unwrap();
    assert!(exported.files.len() >= 5, "{exported:?}");
    exported.files
}

/// `engine`'s trace of `files` as a client prints it (steps, closing lines), in one file.
fn recorded_trace(engine: TraceEngine, files: &[PathBuf], out: &Path) -> String {
    let tests: Vec<_> = files.iter().map(|f| test_file(f)).collect();
    let (mut steps, mut results) = (Vec::new(), Vec::new());
    print_files(engine, &tests, &mut steps, &mut results).unwrap();
    let text = String::from_utf8(steps).unwrap();
    std::fs::write(out, &text).unwrap();
    text
}

fn client(name: &str, command: String) -> ClientSpec {
    ClientSpec {
        name: name.into(),
        command,
    }
}

#[test]
fn exported_programs_pass_both_engines_and_stock_revm_traces_agree_with_ours() {
    let dir = temp_dir("export");
    let files = scenarios(&dir.join("set"));
    let engines = engines_by_name(&[]).unwrap();
    let report = run_paths(&[dir.join("set")], &engines, &RunConfig::default()).unwrap();
    assert!(report.passed(), "{}", report.failures_text());

    let trace = dir.join("revm.trace");
    recorded_trace(TraceEngine::Revm, &files, &trace);
    let run = compare_client(
        &client("revm", format!("cat '{}'", trace.display())),
        &files,
        &CompareConfig::default(),
    );
    assert_eq!(run.agreed(), files.len(), "{:?}", run.files);
    assert!(run.steps_compared > 100);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_altered_memory_byte_is_the_first_diverging_step() {
    let dir = temp_dir("altered");
    let files = scenarios(&dir.join("set"));
    let file = files
        .iter()
        .find(|f| f.to_string_lossy().contains("mcopy_overlaps"))
        .unwrap();
    let text = recorded_trace(
        TraceEngine::Ours,
        std::slice::from_ref(file),
        &dir.join("ours.trace"),
    );
    // Alter the first byte of the memory of the 5th step that prints one.
    let key = "\"memory\":\"0x";
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let (index, line) = lines
        .iter_mut()
        .enumerate()
        .filter(|(_, l)| l.contains(key))
        .nth(4)
        .unwrap();
    let at = line.find(key).unwrap() + key.len();
    let replacement = if &line[at..at + 2] == "ff" {
        "00"
    } else {
        "ff"
    };
    line.replace_range(at..at + 2, replacement);
    let altered = dir.join("altered.trace");
    std::fs::write(&altered, lines.join("\n") + "\n").unwrap();

    let run = compare_client(
        &client("altered", format!("cat '{}'", altered.display())),
        std::slice::from_ref(file),
        &CompareConfig::default(),
    );
    let divergences = run.divergences();
    assert_eq!(divergences.len(), 1, "{:?}", run.files);
    let d = divergences[0];
    assert_eq!(d.step, Some(index));
    assert_eq!(d.what, format!("step {index}: memory"));
    assert!(d.disassembly.contains(">>"), "{}", d.disassembly);
    let body = super::report::divergence_body(d);
    assert!(
        body.contains("memory (client): [0x0..") && body.contains("cat '"),
        "{body}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crashing_or_hanging_client_is_not_comparable() {
    let dir = temp_dir("crash");
    let files = scenarios(&dir.join("set"));
    let files = &files[..2];
    // Crashes at once, every time it is started.
    let run = compare_client(
        &client("crash", "kill -SEGV $$".into()),
        files,
        &CompareConfig::default(),
    );
    assert!(run.divergences().is_empty());
    assert_eq!(run.not_comparable().len(), 2, "{:?}", run.files);
    assert_eq!(run.starts, 2);
    // Prints the first few lines of a good trace, then crashes.
    let trace = dir.join("ours.trace");
    recorded_trace(TraceEngine::Ours, files, &trace);
    let run = compare_client(
        &client("half", format!("head -n 3 '{}'; exit 139", trace.display())),
        files,
        &CompareConfig::default(),
    );
    assert!(run.divergences().is_empty(), "{:?}", run.files);
    assert!(matches!(&run.files[0].1, FileVerdict::NotComparable(why) if why.contains("exited")));
    // Hangs.
    let run = compare_client(
        &client("hang", "sleep 30".into()),
        &files[..1],
        &CompareConfig {
            timeout: Duration::from_millis(300),
        },
    );
    assert!(
        matches!(&run.files[0].1, FileVerdict::NotComparable(why) if why.contains("timed out"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn client_specs_parse_or_say_why_not() {
    let spec = ClientSpec::parse("geth=evm statetest --json").unwrap();
    assert_eq!(
        (spec.name.as_str(), spec.command.as_str()),
        ("geth", "evm statetest --json")
    );
    assert!(ClientSpec::parse("=x").is_err());
    assert!(ClientSpec::parse("nope")
        .unwrap_err()
        .contains("NAME=COMMAND"));
    assert!(spec
        .rerun(Path::new("/t/a.json"))
        .starts_with("printf '%s\\n' '/t/a.json' | evm"));
}

#[test]
fn a_client_that_fails_a_file_we_pass_is_a_divergence() {
    let dir = temp_dir("pass");
    let files = scenarios(&dir.join("set"));
    let file = &files[..1];
    let trace = dir.join("ours.trace");
    recorded_trace(TraceEngine::Ours, file, &trace);
    let run = compare_client(
        &client(
            "fails",
            format!(
                "cat '{}'; echo '[{{\"name\":\"x\",\"pass\":false}}]'",
                trace.display()
            ),
        ),
        file,
        &CompareConfig::default(),
    );
    let divergences = run.divergences();
    assert_eq!(divergences.len(), 1, "{:?}", run.files);
    assert!(
        divergences[0].what.contains("pass=false"),
        "{}",
        divergences[0].what
    );
    let _ = std::fs::remove_dir_all(&dir);
}
