//! `include/evm_memory.h` is generated from `src/ffi.rs` by cbindgen (configured by
//! `cbindgen.toml`) and committed. This test regenerates it in memory and fails if the committed
//! header is stale. Refresh it with:
//!
//! ```text
//! EVM_MEMORY_BLESS=1 cargo test --test c_header
//! ```

use std::path::Path;

const REFRESH: &str = "EVM_MEMORY_BLESS=1 cargo test --test c_header";

fn generate(root: &Path) -> String {
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cannot read cbindgen.toml: {e}"));
    // Only the C interface is parsed: the header depends on src/ffi.rs alone.
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi.rs"))
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen failed on src/ffi.rs: {e}"));
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("cbindgen writes UTF-8")
}

#[test]
fn header_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("include/evm_memory.h");
    let fresh = generate(root);
    if std::env::var_os("EVM_MEMORY_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .replace("\r\n", "\n");
    if committed != fresh {
        let first = committed
            .lines()
            .zip(fresh.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
        panic!(
            "include/evm_memory.h is stale: it differs from what cbindgen generates from \
             src/ffi.rs (first difference at line {}).\n\
             committed: {:?}\n\
             generated: {:?}\n\
             Refresh it with:\n\n    {REFRESH}\n",
            first + 1,
            committed.lines().nth(first).unwrap_or("<end of file>"),
            fresh.lines().nth(first).unwrap_or("<end of file>"),
        );
    }
}

#[test]
fn header_declares_every_exported_function() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/ffi.rs")).unwrap();
    let header = generate(root);
    let mut count = 0;
    for line in source.lines() {
        let Some(rest) = line.split("extern \"C\" fn ").nth(1) else {
            continue;
        };
        let name = rest.split('(').next().unwrap();
        assert!(
            header.contains(&format!("{name}(")),
            "{name} is missing from the generated header"
        );
        count += 1;
    }
    assert!(count >= 20, "found only {count} exported functions");
}
