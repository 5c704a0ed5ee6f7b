//! `include/evm_memory.h` is generated from `src/ffi.rs` by cbindgen (configured by
//! `cbindgen.toml`), its comments put in C terms ([`c_terms`]), and committed. This test
//! regenerates it in memory and fails if the committed header is stale. Refresh it with:
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
    c_terms(&String::from_utf8(out).expect("cbindgen writes UTF-8"))
}

/// The header's comments in C terms. cbindgen copies the item docs of `src/ffi.rs` as they are,
/// and those are rustdoc too: intra-doc links become plain names (functions with `()`), the
/// `# Safety` and `# Errors` headings become `Requires:` and `Errors:`, and the short status
/// names the docs use (`NULL_POINTER`) become the C enumerators
/// (`EVM_MEMORY_STATUS_NULL_POINTER`). Only comment lines change; a paragraph that the longer
/// names push past the line length is wrapped again ([`rewrap`]).
fn c_terms(header: &str) -> String {
    // The statuses, from the enum cbindgen wrote.
    let statuses: Vec<&str> = header
        .lines()
        .filter_map(|l| l.trim().strip_prefix("EVM_MEMORY_STATUS_"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(statuses.len() >= 10, "no status enum in the header");
    let mut out = String::with_capacity(header.len());
    for line in header.lines() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        match body.strip_prefix("//") {
            Some(text) => {
                let text = match text.trim() {
                    "# Safety" => " Requires:".to_string(),
                    "# Errors" => " Errors:".to_string(),
                    _ => c_names(text, &statuses),
                };
                out.push_str(indent);
                out.push_str("//");
                out.push_str(&text);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    rewrap(&out)
}

/// The header's line length (`line_length` in `cbindgen.toml`).
const LINE_LENGTH: usize = 100;

/// Wraps again, to [`LINE_LENGTH`], every comment paragraph with a line longer than that: a run
/// of `//` lines of one indentation between blank comment lines and the `Requires:` and
/// `Errors:` headings. A code span in backticks is never split.
fn rewrap(header: &str) -> String {
    let lines: Vec<&str> = header.lines().collect();
    fn text_of(line: &str) -> Option<(&str, &str)> {
        let body = line.trim_start();
        body.strip_prefix("//")
            .map(|t| (&line[..line.len() - body.len()], t.trim()))
    }
    let mut out = String::with_capacity(header.len());
    let mut i = 0;
    while i < lines.len() {
        let Some((indent, text)) = text_of(lines[i]) else {
            out.push_str(lines[i]);
            out.push('\n');
            i += 1;
            continue;
        };
        if text.is_empty() || text.ends_with(':') && !text.contains(' ') {
            out.push_str(lines[i]);
            out.push('\n');
            i += 1;
            continue;
        }
        // The paragraph: lines[i..end].
        let mut end = i + 1;
        while let Some((other, t)) = lines.get(end).and_then(|l| text_of(l)) {
            if other != indent || t.is_empty() || t.ends_with(':') && !t.contains(' ') {
                break;
            }
            end += 1;
        }
        if lines[i..end]
            .iter()
            .all(|l| l.chars().count() <= LINE_LENGTH)
        {
            for line in &lines[i..end] {
                out.push_str(line);
                out.push('\n');
            }
        } else {
            let words = lines[i..end]
                .iter()
                .filter_map(|l| text_of(l))
                .flat_map(|(_, t)| t.split(' '));
            // Words joined into tokens that keep each code span whole.
            let mut tokens: Vec<String> = Vec::new();
            let mut open = false;
            for word in words {
                match tokens.last_mut() {
                    Some(last) if open => {
                        last.push(' ');
                        last.push_str(word);
                    }
                    _ => tokens.push(word.to_string()),
                }
                if word.matches('`').count() % 2 == 1 {
                    open = !open;
                }
            }
            let prefix = format!("{indent}// ");
            let mut line = prefix.clone();
            for token in tokens {
                if line.len() > prefix.len()
                    && line.chars().count() + 1 + token.chars().count() > LINE_LENGTH
                {
                    out.push_str(&line);
                    out.push('\n');
                    line = prefix.clone();
                }
                if line.len() > prefix.len() {
                    line.push(' ');
                }
                line.push_str(&token);
            }
            out.push_str(&line);
            out.push('\n');
        }
        i = end;
    }
    out
}

/// One comment line's rustdoc links and status names in C.
fn c_names(text: &str, statuses: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let Some(len) = rest[start..].find("`]") else {
            break;
        };
        let name = &rest[start + 2..start + len];
        out.push_str(&rest[..start]);
        out.push('`');
        out.push_str(name);
        if name.starts_with("evm_memory_") {
            out.push_str("()");
        }
        out.push('`');
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    for status in statuses {
        out = out.replace(
            &format!("`{status}`"),
            &format!("`EVM_MEMORY_STATUS_{status}`"),
        );
    }
    out
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

/// The header reads as C: no rustdoc links, headings or Rust paths in its comments, and every
/// status named by its enumerator.
#[test]
fn header_comments_speak_c() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = generate(root);
    let mut comments = 0;
    for (i, line) in header.lines().enumerate() {
        let Some(text) = line.trim_start().strip_prefix("//") else {
            continue;
        };
        comments += 1;
        for rust in [
            "[`", "`]", "](", "# ", "::", "crate", "Rust", "panic", "usize", "u64",
        ] {
            assert!(
                !text.contains(rust),
                "line {}: `{rust}` in a C comment: {line}",
                i + 1
            );
        }
        for status in ["`NULL_POINTER`", "`OUT_OF_GAS`", "`OK`", "`INVALID_CONFIG`"] {
            assert!(
                !text.contains(status),
                "line {}: short status {status}",
                i + 1
            );
        }
    }
    assert!(comments > 200, "only {comments} comment lines");
    for (i, line) in header.lines().enumerate() {
        assert!(
            line.chars().count() <= LINE_LENGTH || !line.trim_start().starts_with("//"),
            "line {} is longer than {LINE_LENGTH}: {line}",
            i + 1
        );
    }
    assert!(header.contains("// Requires:\n") && header.contains("// Errors:\n"));
    assert!(header.contains("`EVM_MEMORY_STATUS_NULL_POINTER` when `mem` is NULL"));
    assert!(header.contains("free it with `evm_memory_destroy()`."));
}
