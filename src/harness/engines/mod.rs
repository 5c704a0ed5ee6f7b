//! The engines, one adapter file each: [`OursEngine`] (this crate's memory, driven through its
//! metered opcode calls or, as `ours-plain`, through `expand_with_gas` and the plain accesses),
//! [`RevmEngine`] (revm's `SharedMemory`) and [`ModelEngine`] (the reference model written
//! from the rules).
//!
//! Beside them, any memory behind this crate's C header, loaded from a shared library by path:
//! `c:PATH` ([`CLibraryEngine`]); the campaign runs such an engine behind crash isolation
//! ([`isolate`]).
//!
//! Engines are built by name in one place ([`build_engine`]); tests, fuzz targets and the
//! campaign run the set [`EVM_MEMORY_ENGINES`](ENGINES_ENV) chooses ([`selected_engine_names`]),
//! every built-in engine when it is unset. The variable holds a comma-separated list: names
//! (`ours,model`: those engines, in that order; `ours,model,c:./libmine.so` adds a library)
//! or names with a leading `-` (`-revm`: every built-in engine but those), or both
//! (`ours,ours-plain,-ours-plain` is `ours`).

pub mod c_library;
pub mod isolate;
mod model;
mod ours;
mod revm;

pub use c_library::{CLibraryEngine, CLibraryError, C_LIBRARY_PREFIX};
pub use model::{model_memory_cost, ModelBugs, ModelEngine};
pub use ours::{OursEngine, OursPath};
pub use revm::RevmEngine;

use super::engine::Engine;

/// Every engine's name, in the order a full set is built: the first is the one a divergence
/// report lists first.
pub const ENGINE_NAMES: [&str; 4] = ["ours", "ours-plain", "revm", "model"];

/// The environment variable that chooses the engines (see the [module](self) documentation).
pub const ENGINES_ENV: &str = "EVM_MEMORY_ENGINES";

/// The engine called `name` ([`ENGINE_NAMES`], or `c:PATH`), freshly built; `None` for an
/// unknown name or a library that does not load ([`build_engine`] says why).
pub fn engine_by_name(name: &str) -> Option<Box<dyn Engine>> {
    build_engine(name).ok()
}

/// The engine called `name`: one of [`ENGINE_NAMES`], or `c:PATH` for the shared library at
/// `PATH` ([`CLibraryEngine`]), freshly built.
///
/// # Errors
/// A description naming the problem: an unknown name (with the known ones), or a library that
/// does not load, lacks a function of the header (named) or cannot create a memory.
pub fn build_engine(name: &str) -> Result<Box<dyn Engine>, String> {
    Ok(match name {
        "ours" => Box::new(OursEngine::new()),
        "ours-plain" => Box::new(OursEngine::with_path(OursPath::Plain)),
        "revm" => Box::new(RevmEngine::new()),
        "model" => Box::new(ModelEngine::new()),
        _ => match name.strip_prefix(C_LIBRARY_PREFIX) {
            Some(path) if !path.is_empty() => Box::new(
                CLibraryEngine::load(std::path::Path::new(path)).map_err(|e| e.to_string())?,
            ),
            _ => {
                return Err(format!(
                    "unknown engine `{name}` (known: {}, or c:PATH for a shared library)",
                    ENGINE_NAMES.join(", ")
                ))
            }
        },
    })
}

/// Whether `name` names an engine: one of [`ENGINE_NAMES`] or a `c:PATH` (whose library is
/// only loaded when the engine is built).
pub fn is_engine_name(name: &str) -> bool {
    ENGINE_NAMES.contains(&name)
        || name
            .strip_prefix(C_LIBRARY_PREFIX)
            .is_some_and(|path| !path.is_empty())
}

/// Every engine, in [`ENGINE_NAMES`] order.
pub fn all_engines() -> Vec<Box<dyn Engine>> {
    engines_by_names(&ENGINE_NAMES)
}

/// The engines called `names`, in order.
///
/// # Panics
/// When a name does not build ([`build_engine`]; names checked by [`parse_engine_selection`]
/// always do, unless a library has gone since), with the reason.
pub fn engines_by_names(names: &[&str]) -> Vec<Box<dyn Engine>> {
    names
        .iter()
        .map(|n| build_engine(n).unwrap_or_else(|e| panic!("{e}")))
        .collect()
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
        if name.starts_with(C_LIBRARY_PREFIX) {
            build_engine(name).map_err(|e| format!("{e} (in `{selection}`)"))?;
            return Ok(Box::leak(name.to_string().into_boxed_str()));
        }
        Err(format!(
            "unknown engine `{name}` in `{selection}` (known: {}, or c:PATH for a shared \
             library)",
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
    match selected_engine_names() {
        Ok(names) => engines_by_names(&names),
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
