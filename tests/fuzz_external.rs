//! The `diff_ops` and `diff_small` fuzz targets' library functions with an external engine
//! chosen through `EVM_MEMORY_ENGINES` (as `cargo fuzz run` would take it): our memory served
//! over the engine protocol by `conformance serve ours` beside the built-in engines. One test
//! in its own binary: the variable is read once per process.
#![cfg(feature = "harness")]

use evm_memory::harness::{fuzz_diff_ops, fuzz_diff_small, fuzz_stats};

#[test]
fn fuzz_targets_run_an_external_engine() {
    let serve = format!("ext:ours2={} serve ours", env!("CARGO_BIN_EXE_conformance"));
    std::env::set_var("EVM_MEMORY_ENGINES", format!("ours,model,{serve}"));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut inputs = 0;
    for (target, run) in [
        ("diff_ops", fuzz_diff_ops as fn(&[u8])),
        ("diff_small", fuzz_diff_small as fn(&[u8])),
    ] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(target))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for path in files.iter().take(40) {
            run(&std::fs::read(path).unwrap());
            inputs += 1;
        }
    }
    let stats = fuzz_stats::snapshot().expect("inputs were recorded");
    assert_eq!(stats.inputs, inputs);
    assert!(stats.ops > 100, "{}", fuzz_stats::render(&stats));
    assert!(
        stats.engine_failures.is_empty(),
        "{}",
        fuzz_stats::render(&stats)
    );
}
