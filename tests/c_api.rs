//! The C API from C and from raw bytes.
//!
//! * `c_program_passes`: builds the static library (with the `CARGO` running this test, into its
//!   own target directory under `CARGO_TARGET_TMPDIR`, so it never waits on the build lock of the
//!   `cargo test` that runs it), compiles `tests/c/api_test.c` against it and
//!   `include/evm_memory.h` with the system C compiler (`$CC`, else `cc`) and runs it.
//! * `drive_c_api_on_pseudo_random_inputs` (feature `harness`, where the driver lives): the
//!   `c_api` fuzz target's driver on a few thousand deterministic pseudo-random inputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Libraries a Rust static library needs on this platform
/// (`cargo rustc --lib --crate-type staticlib -- --print native-static-libs`).
fn native_libs() -> &'static [&'static str] {
    if cfg!(target_os = "macos") {
        &["-lSystem", "-lc", "-lm"]
    } else if cfg!(target_os = "linux") {
        &[
            "-lgcc_s",
            "-lutil",
            "-lrt",
            "-lpthread",
            "-lm",
            "-ldl",
            "-lc",
        ]
    } else {
        &["-lpthread", "-lm"]
    }
}

fn run(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {command:?}: {e}"));
    if !output.status.success() {
        panic!(
            "{what} failed ({}): {command:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
    }
    output
}

/// Builds `libevm_memory.a` (default features, dev profile) and returns its path.
fn build_static_library(root: &Path, target_dir: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(
        Command::new(cargo)
            .args(["rustc", "--lib", "--crate-type", "staticlib", "--quiet"])
            .arg("--manifest-path")
            .arg(root.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target_dir)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET"),
        "building the static library",
    );
    let lib = target_dir.join("debug").join(if cfg!(windows) {
        "evm_memory.lib"
    } else {
        "libevm_memory.a"
    });
    assert!(lib.is_file(), "{} was not built", lib.display());
    lib
}

#[test]
#[cfg_attr(windows, ignore = "needs a Unix C toolchain")]
fn c_program_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-api");
    let lib = build_static_library(root, &work);
    let exe = work.join("api_test");
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    run(
        Command::new(cc)
            .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
            .arg("-I")
            .arg(root.join("include"))
            .arg(root.join("tests/c/api_test.c"))
            .arg(&lib)
            .args(native_libs())
            .arg("-o")
            .arg(&exe),
        "compiling tests/c/api_test.c",
    );
    let output = run(&mut Command::new(&exe), "tests/c/api_test.c");
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    assert!(
        stdout.contains("checks passed"),
        "unexpected output: {stdout}"
    );
}

/// xorshift64*: a deterministic stream of bytes.
#[cfg(feature = "harness")]
struct Rng(u64);

#[cfg(feature = "harness")]
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(feature = "harness")]
#[test]
fn drive_c_api_on_pseudo_random_inputs() {
    use evm_memory::ffi::EvmMemoryStatus as S;
    use evm_memory::harness::c_api as fuzzing;

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    fuzzing::take_tally();
    for _ in 0..3000 {
        let len = (rng.next() % 600) as usize;
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        fuzzing::drive_c_api(&input);
    }
    let tally = fuzzing::take_tally();
    println!("{tally:?}");
    assert!(
        tally.handles > 1000,
        "too few inputs got a valid handle: {tally:?}"
    );
    assert!(
        tally.operations.iter().all(|&n| n > 1000),
        "an operation is barely exercised: {tally:?}"
    );
    // Every status but the ones no input can cause (a failing allocator, an internal panic).
    for status in [
        S::Ok,
        S::NullPointer,
        S::MemoryOverflow,
        S::OutOfBounds,
        S::OutOfGas,
        S::NotInChildContext,
        S::StaleCheckpoint,
        S::InvalidConfig,
        S::LengthOverflow,
    ] {
        assert!(
            tally.statuses[status as usize] > 50,
            "{status:?} is barely exercised: {tally:?}"
        );
    }
    assert_eq!(tally.statuses[S::Panic as usize], 0);
}
