//! The engines, one adapter file each: [`OursEngine`] (this crate's memory, driven through its
//! metered opcode calls or, as `ours-plain`, through `expand_with_gas` and the plain accesses),
//! [`RevmEngine`] (revm's `SharedMemory`) and [`ModelEngine`] (the reference model written
//! from the rules).
//!
//! Engines are built by name in one place ([`engine_by_name`]); tests, fuzz targets and the
//! campaign run the set [`EVM_MEMORY_ENGINES`](ENGINES_ENV) chooses ([`selected_engine_names`]),
//! every engine when it is unset. The variable holds a comma-separated list: names
//! (`ours,model`: those engines, in that order) or names with a leading `-` (`-revm`: every
//! engine but those), or both (`ours,ours-plain,-ours-plain` is `ours`).

mod model;
mod ours;
mod revm;

pub use model::{model_memory_cost, ModelBugs, ModelEngine};
pub use ours::{OursEngine, OursPath};
pub use revm::RevmEngine;

use super::engine::Engine;

/// Every engine's name, in the order a full set is built: the first is the one a divergence
/// report lists first.
pub const ENGINE_NAMES: [&str; 4] = ["ours", "ours-plain", "revm", "model"];

/// The environment variable that chooses the engines (see the [module](self) documentation).
pub const ENGINES_ENV: &str = "EVM_MEMORY_ENGINES";

/// The engine called `name` ([`ENGINE_NAMES`]), freshly built; `None` for an unknown name.
pub fn engine_by_name(name: &str) -> Option<Box<dyn Engine>> {
    Some(match name {
        "ours" => Box::new(OursEngine::new()),
        "ours-plain" => Box::new(OursEngine::with_path(OursPath::Plain)),
        "revm" => Box::new(RevmEngine::new()),
        "model" => Box::new(ModelEngine::new()),
        _ => return None,
    })
}

/// Every engine, in [`ENGINE_NAMES`] order.
pub fn all_engines() -> Vec<Box<dyn Engine>> {
    engines_by_names(&ENGINE_NAMES)
}

/// The engines called `names`, in order.
///
/// # Panics
/// When a name is not one of [`ENGINE_NAMES`] (names checked by [`parse_engine_selection`]
/// always are).
pub fn engines_by_names(names: &[&str]) -> Vec<Box<dyn Engine>> {
    names
        .iter()
        .map(|n| engine_by_name(n).unwrap_or_else(|| panic!("unknown engine `{n}`")))
        .collect()
}

/// The engine names a selection such as `ours,model` or `-revm` chooses (see the
/// [module](self) documentation); an empty selection chooses every engine.
///
/// # Errors
/// A description naming the problem and the known engines: an unknown name, a name given twice,
/// or a selection that leaves no engine.
pub fn parse_engine_selection(selection: &str) -> Result<Vec<&'static str>, String> {
    let known = |name: &str| {
        ENGINE_NAMES
            .iter()
            .copied()
            .find(|n| *n == name)
            .ok_or_else(|| {
                format!(
                    "unknown engine `{name}` in `{selection}` (known: {})",
                    ENGINE_NAMES.join(", ")
                )
            })
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
