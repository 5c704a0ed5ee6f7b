//! [`FuzzCommand`]: a command line the fuzzing commands run, built apart from running it so
//! that `--dry-run` can print it and tests can inspect it (shared by
//! [`cargo_fuzz`](super::cargo_fuzz), [`fuzz_profile`](super::fuzz_profile) and
//! [`fuzz_find`](super::fuzz_find), which import nothing else of each other through it).

use std::fmt;
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
