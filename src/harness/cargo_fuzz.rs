//! `cargo fuzz` command lines: `cmin` and `tmin` for the corpus workflows of the `conformance`
//! command (built here so that `--dry-run` can print them and tests can inspect them without
//! running `cargo fuzz`), and the fuzz targets a fuzz crate declares.

use std::fmt;
use std::path::Path;
use std::process::Command;

/// A command line to run (so that `--dry-run` can print it and tests can inspect it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuzzCommand {
    /// The program (`cargo`).
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

impl FuzzCommand {
    /// The command as a [`Command`] ready to spawn.
    pub fn to_command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        cmd
    }
}

impl fmt::Display for FuzzCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.program)?;
        for arg in &self.args {
            if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            {
                write!(f, " '{}'", arg.replace('\'', "'\\''"))?;
            } else {
                write!(f, " {arg}")?;
            }
        }
        Ok(())
    }
}

/// `true` when `rustup toolchain list` shows a nightly toolchain (cargo fuzz then runs on it
/// with its default sanitizer; otherwise on stable with `-s none`).
pub fn nightly_available() -> bool {
    Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("nightly"))
        .unwrap_or(false)
}

/// The fuzz targets (`[[bin]]` names) declared in a fuzz crate's `Cargo.toml` text, in order.
pub fn fuzz_targets(cargo_toml: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_bin = false;
    for line in cargo_toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
            continue;
        }
        if !in_bin {
            continue;
        }
        if let Some(rest) = line.strip_prefix("name") {
            let rest = rest.trim_start();
            if let Some(value) = rest.strip_prefix('=') {
                let name = value.trim().trim_matches('"');
                if !name.is_empty() {
                    targets.push(name.to_string());
                }
            }
        }
    }
    targets
}

fn cargo_fuzz(nightly: bool, sub: &str, fuzz_dir: Option<&Path>) -> FuzzCommand {
    let mut args = Vec::new();
    if nightly {
        args.push("+nightly".to_string());
    }
    args.push("fuzz".to_string());
    args.push(sub.to_string());
    if !nightly {
        args.extend(["-s".to_string(), "none".to_string()]);
    }
    if let Some(dir) = fuzz_dir {
        args.push("--fuzz-dir".to_string());
        args.push(dir.to_string_lossy().into_owned());
    }
    FuzzCommand {
        program: "cargo".to_string(),
        args,
    }
}

/// `cargo fuzz cmin <target> <corpus>/<target>` for every target: on `+nightly` when a nightly
/// toolchain is present, else on stable with `-s none`; `--fuzz-dir` when the fuzz crate is not
/// `./fuzz`.
pub fn cmin_commands(
    targets: &[String],
    corpus_dir: &Path,
    nightly: bool,
    fuzz_dir: Option<&Path>,
) -> Vec<FuzzCommand> {
    targets
        .iter()
        .map(|t| {
            let mut cmd = cargo_fuzz(nightly, "cmin", fuzz_dir);
            cmd.args.push(t.clone());
            cmd.args
                .push(corpus_dir.join(t).to_string_lossy().into_owned());
            cmd
        })
        .collect()
}

/// `cargo fuzz tmin <target> <artifact>`, with the toolchain and fuzz directory chosen as in
/// [`cmin_commands`].
pub fn tmin_command(
    target: &str,
    artifact: &Path,
    nightly: bool,
    fuzz_dir: Option<&Path>,
) -> FuzzCommand {
    let mut cmd = cargo_fuzz(nightly, "tmin", fuzz_dir);
    cmd.args.push(target.to_string());
    cmd.args.push(artifact.to_string_lossy().into_owned());
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_targets_are_read_from_cargo_toml() {
        let toml = "[package]\nname = \"x-fuzz\"\n\n[[bin]]\nname = \"diff_ops\"\npath = \"a.rs\"\n\n[[bin]]\nname=\"c_api\"\n";
        assert_eq!(fuzz_targets(toml), ["diff_ops", "c_api"]);
    }
}
