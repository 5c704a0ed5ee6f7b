//! The engines, one adapter file each: [`OursEngine`] (this crate's memory, driven through its
//! metered opcode calls or, as `ours-plain`, through `expand_with_gas` and the plain accesses),
//! [`RevmEngine`] (revm's `SharedMemory`) and [`ModelEngine`] (the reference model written
//! from the rules).
//!
//! Beside them, memories this crate does not compile in:
//! * any memory behind this crate's C header, loaded from a shared library by path:
//!   `c:PATH` ([`CLibraryEngine`]); the campaign runs such an engine behind crash isolation
//!   ([`isolate`]);
//! * engines in another process ([`ExternalEngine`], over the engine protocol):
//!   `ext:NAME=COMMAND` runs `COMMAND` (split at whitespace, no quoting, no comma) as the engine
//!   `NAME`; `isolated:NAME` runs the engine `NAME` (a built-in one, or a parameterised one
//!   such as `c:PATH`) in a child process (`conformance serve NAME`,
//!   [`ExternalEngine::isolated`]): what crashes or hangs there is that engine's failure, not
//!   the harness's; `spec` is the execution specs ([`ExternalEngine::spec`]).
//!
//! None of these is part of the default set, and neither are the [`mutants`] of ours
//! (`mutant:NAME`: ours with one realistic bug planted, to measure how soon the harness finds
//! it).
//!
//! Engines are built by name in one place ([`build_engine`]); tests, fuzz targets and the
//! campaign run the set [`EVM_MEMORY_ENGINES`](ENGINES_ENV) chooses ([`selected_engine_names`]),
//! every built-in engine when it is unset. The variable holds a comma-separated list: names
//! (`ours,model`: those engines, in that order; `ours,model,c:./libmine.so` adds a library,
//! `ours,spec` the execution specs) or names with a leading `-` (`-revm`: every built-in engine
//! but those), or both (`ours,ours-plain,-ours-plain` is `ours`).

pub mod c_library;
mod external;
pub mod isolate;
mod model;
pub mod mutants;
mod ours;
mod revm;

pub use c_library::{CLibraryEngine, CLibraryError, C_LIBRARY_PREFIX};
pub use external::{
    conformance_bin, limited_command, memory_limit_from_env, timeout_from_env, ExternalEngine,
    CONFORMANCE_BIN_ENV, DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT, MEMORY_LIMIT_ENV,
    SPEC_PYTHON_ENV, TIMEOUT_ENV,
};
pub use model::{model_memory_cost, ModelBugs, ModelEngine};
pub use mutants::{MutantEngine, Mutation, MUTANTS, MUTANT_PREFIX};
pub use ours::{OursEngine, OursPath};
pub use revm::RevmEngine;

use super::engine::Engine;

/// How a built-in engine is made.
type MakeEngine = fn() -> Box<dyn Engine>;

/// The built-in engines, name and constructor, in the order a full set is built (the first is
/// the one a divergence report lists first). The engine list lives here alone: a new built-in
/// engine is its adapter and one line in this table (an engine in another language is one
/// protocol speaker and no line at all: `ext:NAME=COMMAND`).
const BUILT_IN: [(&str, MakeEngine); 4] = [
    ("ours", || Box::new(OursEngine::new())),
    ("ours-plain", || {
        Box::new(OursEngine::with_path(OursPath::Plain))
    }),
    ("revm", || Box::new(RevmEngine::new())),
    ("model", || Box::new(ModelEngine::new())),
];

/// Every built-in engine's name, in the order a full set is built: the first is the one a
/// divergence report lists first.
pub const ENGINE_NAMES: [&str; BUILT_IN.len()] = {
    let mut names = [""; BUILT_IN.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = BUILT_IN[i].0;
        i += 1;
    }
    names
};

/// The environment variable that chooses the engines (see the [module](self) documentation).
pub const ENGINES_ENV: &str = "EVM_MEMORY_ENGINES";

/// The engine called `name` (see [`build_engine`]), freshly built; `None` for an unknown or
/// malformed name or a library that does not load ([`build_engine`] says why).
pub fn engine_by_name(name: &str) -> Option<Box<dyn Engine>> {
    build_engine(name).ok()
}

/// The engine called `name`: one of [`ENGINE_NAMES`]; `c:PATH` for the shared library at
/// `PATH` ([`CLibraryEngine`]); `spec`, `ext:NAME=COMMAND` or `isolated:NAME` for an engine in
/// another process ([`ExternalEngine`]); freshly built.
///
/// # Errors
/// A description naming the problem: an unknown name (with the known ones), a library that
/// does not load, lacks a function of the header (named) or cannot create a memory, or a
/// malformed external name.
pub fn build_engine(name: &str) -> Result<Box<dyn Engine>, String> {
    if let Some((_, make)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
        return Ok(make());
    }
    Ok(match name {
        "spec" => Box::new(ExternalEngine::spec()),
        _ if name.starts_with(MUTANT_PREFIX) => Box::new(MutantEngine::by_name(name)?),
        _ if name.starts_with("ext:") || name.starts_with("isolated:") => {
            return external_by_name(name)
        }
        _ => match name.strip_prefix(C_LIBRARY_PREFIX) {
            Some(path) if !path.is_empty() => Box::new(
                CLibraryEngine::load(std::path::Path::new(path)).map_err(|e| e.to_string())?,
            ),
            _ => {
                return Err(format!(
                    "unknown engine `{name}` (known: {}, spec, c:PATH for a shared library, \
                     ext:NAME=COMMAND, isolated:NAME, mutant:NAME for a mutant of ours)",
                    ENGINE_NAMES.join(", ")
                ))
            }
        },
    })
}

/// The external engine `name` spells (`ext:NAME=COMMAND` or `isolated:NAME`).
///
/// # Errors
/// What is wrong with the name: not an external engine, an empty name or command, an
/// isolated engine that is not built in, or no `conformance` binary for it.
pub fn external_by_name(name: &str) -> Result<Box<dyn Engine>, String> {
    if let Some(rest) = name.strip_prefix("ext:") {
        let (short, command) = rest
            .split_once('=')
            .ok_or_else(|| format!("`{name}`: an external engine is `ext:NAME=COMMAND`"))?;
        let short = short.trim();
        if short.is_empty() || command.trim().is_empty() {
            return Err(format!(
                "`{name}`: an external engine needs a name and a command"
            ));
        }
        let short = intern(short);
        return Ok(Box::new(ExternalEngine::from_command(short, command)?));
    }
    if let Some(inner) = name.strip_prefix("isolated:") {
        check_external_name(name)?;
        return Ok(Box::new(ExternalEngine::isolated(inner)?));
    }
    Err(format!("unknown engine `{name}`"))
}

/// Whether `name` names an engine [`build_engine`] builds: one of [`ENGINE_NAMES`], `spec`,
/// a `c:PATH` (whose library is only loaded when the engine is built), or a well-formed `ext:`
/// or `isolated:` name.
pub fn is_engine_name(name: &str) -> bool {
    ENGINE_NAMES.contains(&name)
        || name == "spec"
        || MutantEngine::by_name(name).is_ok()
        || name
            .strip_prefix(C_LIBRARY_PREFIX)
            .is_some_and(|path| !path.is_empty())
        || check_external_name(name).is_ok()
}

/// `name` as a `&'static str` (engine names are `&'static str`): each distinct name is
/// allocated once, for the whole process, and kept in a global list (so that it stays
/// reachable: leak checkers do not count it, and rebuilding engines allocates nothing).
pub fn intern(name: &str) -> &'static str {
    static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.iter().copied().find(|n| *n == name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push(n);
    n
}

/// Whether `conformance serve` can host the engine `inner` in a child process: a built-in
/// engine, or a parameterised one (`KIND:ARGUMENT`, e.g. a C library `c:PATH`) that the
/// child builds by name (it reports a name it does not know when it starts).
fn isolatable(inner: &str) -> bool {
    ENGINE_NAMES.contains(&inner)
        || (inner.contains(':') && !inner.starts_with("isolated:") && !inner.starts_with("ext:"))
}

/// Checks an `ext:`/`isolated:` name without starting anything.
fn check_external_name(name: &str) -> Result<(), String> {
    if let Some(rest) = name.strip_prefix("ext:") {
        match rest.split_once('=') {
            Some((n, c)) if !n.trim().is_empty() && !c.trim().is_empty() => Ok(()),
            _ => Err(format!(
                "`{name}`: an external engine is `ext:NAME=COMMAND` (a name and a command)"
            )),
        }
    } else if let Some(inner) = name.strip_prefix("isolated:") {
        if isolatable(inner) {
            Ok(())
        } else {
            Err(format!(
                "`{name}`: only an engine `conformance serve` builds can be isolated (one of {}, \
                 or a parameterised one such as `c:PATH`)",
                ENGINE_NAMES.join(", ")
            ))
        }
    } else {
        Err(format!("unknown engine `{name}`"))
    }
}

/// Every engine, in [`ENGINE_NAMES`] order.
pub fn all_engines() -> Vec<Box<dyn Engine>> {
    engines_by_names(&ENGINE_NAMES)
}

/// The engines called `names`, in order.
///
/// # Panics
/// When a name does not build ([`build_engine`]; names checked by [`parse_engine_selection`]
/// always do, unless a library has gone since or an `isolated:` engine finds no `conformance`
/// binary), with the reason.
pub fn engines_by_names(names: &[&str]) -> Vec<Box<dyn Engine>> {
    names
        .iter()
        .map(|n| build_engine(n).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// The engines called `names`, in order.
///
/// # Errors
/// The first name that does not build ([`build_engine`]), with the reason.
pub fn try_engines_by_names(names: &[&str]) -> Result<Vec<Box<dyn Engine>>, String> {
    names.iter().map(|n| build_engine(n)).collect()
}

/// The engine names a selection such as `ours,model` or `-revm` chooses (see the
/// [module](self) documentation); a selection without a plain name starts from every built-in
/// engine. A `c:PATH` is loaded once here, so that a library that does not load is an error
/// now, not a panic later; its name is kept for the rest of the process (leaked: a selection
/// is parsed a few times per process).
///
/// # Errors
/// A description naming the problem and the known engines: an unknown name, a library that
/// does not load (naming the file or the missing function), a name given twice, or a
/// selection that leaves no engine.
pub fn parse_engine_selection(selection: &str) -> Result<Vec<&'static str>, String> {
    let known = |name: &str| -> Result<&'static str, String> {
        if let Some(n) = ENGINE_NAMES.iter().copied().find(|n| *n == name) {
            return Ok(n);
        }
        if name == "spec" {
            return Ok("spec");
        }
        if name.starts_with(MUTANT_PREFIX) {
            let engine =
                MutantEngine::by_name(name).map_err(|e| format!("{e} in `{selection}`"))?;
            return Ok(engine.name());
        }
        if name.starts_with(C_LIBRARY_PREFIX) {
            build_engine(name).map_err(|e| format!("{e} (in `{selection}`)"))?;
            return Ok(intern(name));
        }
        if name.starts_with("ext:") || name.starts_with("isolated:") {
            check_external_name(name).map_err(|e| format!("{e} in `{selection}`"))?;
            return Ok(intern(name));
        }
        Err(format!(
            "unknown engine `{name}` in `{selection}` (known: {}, spec, c:PATH for a shared \
             library, ext:NAME=COMMAND, isolated:NAME, mutant:NAME for a mutant of ours)",
            ENGINE_NAMES.join(", ")
        ))
    };
    let mut chosen: Vec<&'static str> = Vec::new();
    let mut removed: Vec<&'static str> = Vec::new();
    let mut positive = false;
    for item in selection
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if let Some(name) = item.strip_prefix('-') {
            removed.push(known(name.trim())?);
        } else {
            let name = known(item)?;
            if chosen.contains(&name) {
                return Err(format!("engine `{name}` named twice in `{selection}`"));
            }
            chosen.push(name);
            positive = true;
        }
    }
    if !positive {
        chosen = ENGINE_NAMES.to_vec();
    }
    chosen.retain(|n| !removed.contains(n));
    if chosen.is_empty() {
        return Err(format!("`{selection}` leaves no engine to run"));
    }
    Ok(chosen)
}

/// The engine names [`EVM_MEMORY_ENGINES`](ENGINES_ENV) chooses; every engine when it is unset.
///
/// # Errors
/// As [`parse_engine_selection`], prefixed with the variable's name; also when the variable is
/// not valid Unicode.
pub fn selected_engine_names() -> Result<Vec<&'static str>, String> {
    match std::env::var(ENGINES_ENV) {
        Ok(selection) => {
            parse_engine_selection(&selection).map_err(|e| format!("{ENGINES_ENV}: {e}"))
        }
        Err(std::env::VarError::NotPresent) => Ok(ENGINE_NAMES.to_vec()),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("{ENGINES_ENV} is not valid Unicode"))
        }
    }
}

/// The engines [`EVM_MEMORY_ENGINES`](ENGINES_ENV) chooses, for fuzz targets and tests: on a
/// selection that cannot be honoured, prints why and exits the process with status 2 (a
/// fuzz target must not report a configuration mistake as a crash it found).
pub fn selected_engines_or_exit() -> Vec<Box<dyn Engine>> {
    match selected_engine_names().and_then(|names| try_engines_by_names(&names)) {
        Ok(engines) => engines,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections() {
        assert_eq!(parse_engine_selection("").unwrap(), ENGINE_NAMES);
        assert_eq!(
            parse_engine_selection("ours,model").unwrap(),
            ["ours", "model"]
        );
        assert_eq!(
            parse_engine_selection(" -revm ").unwrap(),
            ["ours", "ours-plain", "model"]
        );
        assert_eq!(
            parse_engine_selection("model,ours,ours-plain,-ours-plain").unwrap(),
            ["model", "ours"]
        );
        let e = parse_engine_selection("ours,evm").unwrap_err();
        assert!(
            e.contains("unknown engine `evm`") && e.contains("ours-plain"),
            "{e}"
        );
        assert!(parse_engine_selection("ours,ours").is_err());
        assert!(parse_engine_selection("ours,-ours").is_err());
        for name in ENGINE_NAMES {
            assert_eq!(engine_by_name(name).map(|e| e.name()), Some(name));
        }
        assert!(engine_by_name("ours ").is_none());
    }
}
