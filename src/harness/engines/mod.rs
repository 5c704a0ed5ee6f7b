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
//!
//! Engines in another process ([`ExternalEngine`], over the engine protocol) are named in the
//! same lists: `ext:NAME=COMMAND` runs `COMMAND` (split at whitespace, no quoting, no comma)
//! as the engine `NAME`; `isolated:NAME` runs the engine `NAME` (a built-in one, or a parameterised one such as
//! `c:PATH`) in a child process (`conformance serve NAME`, [`ExternalEngine::isolated`]): what
//! crashes or hangs there is that engine's failure, not the harness's; `spec` is the execution specs ([`ExternalEngine::spec`]). They
//! are never part of the default set.

mod external;
mod model;
mod ours;
mod revm;

pub use external::{
    conformance_bin, timeout_from_env, ExternalEngine, CONFORMANCE_BIN_ENV, DEFAULT_TIMEOUT,
    SPEC_PYTHON_ENV, TIMEOUT_ENV,
};
pub use model::{model_memory_cost, ModelBugs, ModelEngine};
pub use ours::{OursEngine, OursPath};
pub use revm::RevmEngine;

use super::engine::Engine;

/// Every engine's name, in the order a full set is built: the first is the one a divergence
/// report lists first.
pub const ENGINE_NAMES: [&str; 4] = ["ours", "ours-plain", "revm", "model"];

/// The environment variable that chooses the engines (see the [module](self) documentation).
pub const ENGINES_ENV: &str = "EVM_MEMORY_ENGINES";

/// The engine called `name` ([`ENGINE_NAMES`], or an external one: `ext:NAME=COMMAND`,
/// `isolated:NAME`, `spec`), freshly built; `None` for an unknown or malformed name.
pub fn engine_by_name(name: &str) -> Option<Box<dyn Engine>> {
    Some(match name {
        "ours" => Box::new(OursEngine::new()),
        "ours-plain" => Box::new(OursEngine::with_path(OursPath::Plain)),
        "revm" => Box::new(RevmEngine::new()),
        "model" => Box::new(ModelEngine::new()),
        "spec" => Box::new(ExternalEngine::spec()),
        _ => return external_by_name(name).ok(),
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

/// Whether `name` names an engine [`engine_by_name`] builds (the built-in ones, `spec`, and
/// well-formed `ext:` and `isolated:` names).
pub fn is_engine_name(name: &str) -> bool {
    ENGINE_NAMES.contains(&name) || name == "spec" || check_external_name(name).is_ok()
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
/// When a name is not an engine's (names checked by [`parse_engine_selection`] always are,
/// except an `isolated:` one when no `conformance` binary exists: the panic says so).
pub fn engines_by_names(names: &[&str]) -> Vec<Box<dyn Engine>> {
    names
        .iter()
        .map(|n| {
            if ENGINE_NAMES.contains(n) || *n == "spec" {
                engine_by_name(n).unwrap_or_else(|| panic!("unknown engine `{n}`"))
            } else {
                external_by_name(n).unwrap_or_else(|e| panic!("{e}"))
            }
        })
        .collect()
}

/// The engines called `names`, in order.
///
/// # Errors
/// The first name that is not an engine's, or an `isolated:` engine without a `conformance`
/// binary.
pub fn try_engines_by_names(names: &[&str]) -> Result<Vec<Box<dyn Engine>>, String> {
    names
        .iter()
        .map(|n| match engine_by_name(n) {
            Some(engine) => Ok(engine),
            None => external_by_name(n),
        })
        .collect()
}

/// The engine names a selection such as `ours,model` or `-revm` chooses (see the
/// [module](self) documentation); an empty selection chooses every engine.
///
/// # Errors
/// A description naming the problem and the known engines: an unknown name, a name given twice,
/// or a selection that leaves no engine.
pub fn parse_engine_selection(selection: &str) -> Result<Vec<&'static str>, String> {
    let known = |name: &str| -> Result<&'static str, String> {
        if let Some(n) = ENGINE_NAMES.iter().copied().find(|n| *n == name) {
            return Ok(n);
        }
        if name == "spec" {
            return Ok("spec");
        }
        if name.starts_with("ext:") || name.starts_with("isolated:") {
            check_external_name(name).map_err(|e| format!("{e} in `{selection}`"))?;
            return Ok(intern(name));
        }
        Err(format!(
            "unknown engine `{name}` in `{selection}` (known: {}, spec, ext:NAME=COMMAND, \
             isolated:NAME)",
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
