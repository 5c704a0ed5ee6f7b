//! Engines in another process, over the engine protocol: `conformance serve ours` agrees with
//! everything; engines that die, hang, speak another protocol version or write garbage make
//! their case *not comparable* (named, counted, nothing blamed on the other engines) and the
//! run goes on with a restarted engine.
#![cfg(feature = "harness")]

use std::path::PathBuf;
use std::time::Duration;

use evm_memory::harness::engines::{
    engine_by_name, parse_engine_selection, ExternalEngine, CONFORMANCE_BIN_ENV,
};
use evm_memory::harness::{scenarios, ModelEngine, Oracle, OursEngine, RevmEngine};

const CONFORMANCE: &str = env!("CARGO_BIN_EXE_conformance");

fn served(name: &'static str, engine: &str) -> ExternalEngine {
    // A debug build on a loaded machine can take seconds over a 16 MiB scenario: a time limit
    // well past that, so that only a real failure fails the test.
    ExternalEngine::new(
        name,
        CONFORMANCE,
        &["serve".to_string(), engine.to_string()],
    )
    .with_timeout(Duration::from_secs(300))
}

/// A shell script in a fresh temporary directory, made executable.
fn script(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("evm-memory-ext-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.sh"));
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

const HELLO: &str = r#"echo '{"protocol":1,"engine":"bad","version":"0","capabilities":{"pricing":true,"limit":true,"capacity":true}}'"#;

#[test]
fn served_engines_agree_with_everything() {
    let mut oracle = Oracle::new(vec![
        Box::new(OursEngine::new()),
        Box::new(RevmEngine::new()),
        Box::new(ModelEngine::new()),
        Box::new(served("ours2", "ours")),
        Box::new(served("model2", "model")),
    ]);
    let mut ops = 0;
    for s in scenarios::all() {
        let stats = oracle
            .run(&s.case)
            .unwrap_or_else(|d| panic!("scenario {}: {d}", s.name));
        assert_eq!(
            stats.not_comparable, 0,
            "{}: {:?}",
            s.name, stats.failure_details
        );
        assert!(stats.declined.is_empty(), "{}", s.name);
        ops += stats.ops;
    }
    assert!(ops > 1000, "{ops}");
}

/// Runs every scenario through ours, the model and `bad`; every case must be not comparable
/// for `reason`, with a detail naming the engine, and never a divergence.
fn misbehaves(bad: ExternalEngine, reason: &str, detail: &str) {
    let mut oracle = Oracle::new(vec![
        Box::new(OursEngine::new()),
        Box::new(ModelEngine::new()),
        Box::new(bad),
    ]);
    let cases: Vec<_> = scenarios::all().into_iter().take(3).collect();
    for s in &cases {
        let stats = oracle
            .run(&s.case)
            .unwrap_or_else(|d| panic!("blamed a divergence on {}: {d}", s.name));
        assert_eq!(stats.not_comparable, 1, "{}", s.name);
        let (key, n) = stats.engine_failures.iter().next().expect("a failure");
        assert_eq!(*key, ("bad", reason), "{:?}", stats.failure_details);
        assert_eq!(*n, 1);
        let text = &stats.failure_details[0];
        assert!(
            text.contains("engine `bad`") && text.contains(detail),
            "{text}"
        );
    }
}

#[test]
fn an_engine_that_dies_is_not_comparable() {
    let path = script(
        "dies",
        &format!("{HELLO}\nread case\nread step\necho dying >&2\nexit 3"),
    );
    misbehaves(
        ExternalEngine::new("bad", path.to_str().unwrap(), &[]),
        "exited",
        "dying",
    );
}

#[test]
fn an_engine_that_hangs_is_killed_and_not_comparable() {
    let path = script(
        "hangs",
        &format!("{HELLO}\nread case\nread step\nexec sleep 60"),
    );
    let started = std::time::Instant::now();
    misbehaves(
        ExternalEngine::new("bad", path.to_str().unwrap(), &[])
            .with_timeout(Duration::from_millis(300)),
        "timed out",
        "op #0",
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn an_engine_of_another_protocol_version_is_not_comparable() {
    let path = script(
        "version",
        r#"echo '{"protocol":2,"engine":"bad","version":"0","capabilities":{}}'
cat >/dev/null"#,
    );
    misbehaves(
        ExternalEngine::new("bad", path.to_str().unwrap(), &[]),
        "protocol version",
        "speaks protocol 2",
    );
}

#[test]
fn an_engine_that_writes_garbage_is_not_comparable() {
    let path = script(
        "garbage",
        &format!("{HELLO}\nread case\nread step\necho 'no json here'\ncat >/dev/null"),
    );
    misbehaves(
        ExternalEngine::new("bad", path.to_str().unwrap(), &[]),
        "malformed reply",
        "no json here",
    );
    let short = script(
        "short",
        &format!("{HELLO}\nread case\nread step\necho '{{\"outcome\":\"Ok\"}}'\ncat >/dev/null"),
    );
    misbehaves(
        ExternalEngine::new("bad", short.to_str().unwrap(), &[]),
        "malformed reply",
        "gas_charged",
    );
}

#[test]
fn an_engine_that_does_not_start_is_not_comparable() {
    misbehaves(
        ExternalEngine::new("bad", "/nonexistent/engine", &[]),
        "did not start",
        "/nonexistent/engine",
    );
}

#[test]
fn a_failed_engine_is_restarted_for_the_next_case() {
    let path = script("restart", &format!("{HELLO}\nread case\nread step\nexit 1"));
    let engine = ExternalEngine::new("bad", path.to_str().unwrap(), &[]);
    let mut oracle = Oracle::new(vec![Box::new(OursEngine::new()), Box::new(engine)]);
    for s in scenarios::all().into_iter().take(4) {
        assert_eq!(oracle.run(&s.case).unwrap().not_comparable, 1);
    }
    // Each case started a fresh process: shown by the failures, one per case, all `exited`.
}

#[test]
fn engine_lists_name_external_engines() {
    let names = parse_engine_selection("ours,ext:mine=./engine --flag,isolated:model").unwrap();
    assert_eq!(
        names,
        ["ours", "ext:mine=./engine --flag", "isolated:model"]
    );
    assert!(parse_engine_selection("ext:mine").is_err());
    assert!(parse_engine_selection("ext:=x").is_err());
    assert!(parse_engine_selection("isolated:nothing").is_err());
    let e = engine_by_name("ext:mine=./engine --flag").unwrap();
    assert_eq!(e.name(), "mine");
    std::env::set_var(CONFORMANCE_BIN_ENV, CONFORMANCE);
    let isolated = engine_by_name("isolated:ours").unwrap();
    assert_eq!(isolated.name(), "isolated:ours");
    let mut oracle = Oracle::new(vec![Box::new(OursEngine::new()), isolated]);
    for s in scenarios::all().into_iter().take(5) {
        let stats = oracle.run(&s.case).unwrap();
        assert_eq!(stats.not_comparable, 0);
    }
}

/// An engine that grows past its memory limit (here a script holding 512 MiB under a 64 MiB
/// limit, as a memory that under-charges would) fails there: not comparable, named, and the
/// machine keeps its memory.
#[test]
fn an_engine_past_its_memory_limit_is_not_comparable() {
    let path = script(
        "hoards",
        &format!(
            "{HELLO}\nread case\nread step\nx=$(head -c 536870912 /dev/zero | tr '\\0' a)\n\
             echo '{{\"outcome\":\"Ok\"}}'"
        ),
    );
    let started = std::time::Instant::now();
    misbehaves(
        ExternalEngine::new("bad", path.to_str().unwrap(), &[]).with_memory_limit(Some(64)),
        "exited",
        "op #0",
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}
