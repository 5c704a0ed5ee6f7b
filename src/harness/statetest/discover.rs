//! Finding the state-test files under the paths given on the command line: every `*.json` file,
//! recursively, in a deterministic order, each named by its path relative to the path it was
//! found under (so that reports do not depend on where the test folder lives).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Directories deeper than this below a root are not entered (a guard against symlink loops).
const MAX_DEPTH: usize = 64;

/// One state-test file found by [`discover`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestFile {
    /// Where the file is, as reachable from the current directory.
    pub path: PathBuf,
    /// Its name in reports: the path relative to the root it was found under, with `/`
    /// separators (prefixed with the root's own name when several roots were given).
    pub name: String,
    /// The folder it is summarised under: `name` without the file name (`.` at the root).
    pub folder: String,
}

impl TestFile {
    fn new(path: PathBuf, name: String) -> Self {
        let folder = match name.rsplit_once('/') {
            Some((folder, _)) => folder.to_string(),
            None => ".".to_string(),
        };
        Self { path, name, folder }
    }
}

/// Every `*.json` file under `roots` (files or directories, directories searched recursively),
/// sorted by report name; a file reachable from two roots is listed once.
///
/// # Errors
/// A root that does not exist, a directory that cannot be read, a directory root without any
/// `.json` file, or a root that is a file but not a `.json` one.
pub fn discover(roots: &[PathBuf]) -> Result<Vec<TestFile>, String> {
    if roots.is_empty() {
        return Err("no path given".to_string());
    }
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    for root in roots {
        let prefix = if roots.len() > 1 {
            root_label(root)
        } else {
            String::new()
        };
        let meta = fs::metadata(root)
            .map_err(|e| format!("`{}` does not exist or is unreadable: {e}", root.display()))?;
        let mut found = Vec::new();
        if meta.is_dir() {
            walk(root, root, 0, &mut found)?;
            if found.is_empty() {
                return Err(format!("no .json file under `{}`", root.display()));
            }
        } else if is_json(root) {
            let name = root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| root.display().to_string());
            found.push((root.clone(), name));
        } else {
            return Err(format!("`{}` is not a .json file", root.display()));
        }
        for (path, relative) in found {
            let identity = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.insert(identity) {
                files.push(TestFile::new(path, format!("{prefix}{relative}")));
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.path.cmp(&b.path)));
    Ok(files)
}

/// `name/` for a root given among several (its last component, or `root` when it has none).
fn root_label(root: &Path) -> String {
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_string());
    format!("{name}/")
}

fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "json")
}

fn walk(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<(PathBuf, String)>,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let entries =
        fs::read_dir(dir).map_err(|e| format!("cannot read directory `{}`: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            walk(root, &path, depth + 1, out)?;
        } else if path.is_file() && is_json(&path) {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push((path, name));
        }
    }
    Ok(())
}
