//! The ClusterFuzzLite / OSS-Fuzz project files parse and say what the project needs: a Rust
//! project (`project.yaml`), the Rust base builder (`Dockerfile`), a `build.sh` that builds with
//! cargo-fuzz and packs seeds, dictionaries and options, and the pull-request and batch
//! workflows running ClusterFuzzLite's build and run actions. (`.ci/run` runs `build.sh`
//! itself, outside Docker, and replays every seed corpus through the binaries it makes.)

use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn yaml(path: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(&read(path))
        .unwrap_or_else(|e| panic!("{path} is not YAML: {e}"));
    assert_eq!(docs.len(), 1, "{path}: one document");
    docs.remove(0)
}

#[test]
fn project_and_docker_files_name_a_rust_project() {
    let project = yaml(".clusterfuzzlite/project.yaml");
    assert_eq!(project["language"].as_str(), Some("rust"));
    let docker = read(".clusterfuzzlite/Dockerfile");
    assert!(
        docker.contains("FROM gcr.io/oss-fuzz-base/base-builder-rust"),
        "{docker}"
    );
    assert!(
        docker.contains("COPY .clusterfuzzlite/build.sh $SRC/"),
        "{docker}"
    );
    let build = read(".clusterfuzzlite/build.sh");
    for needle in [
        "cargo fuzz build",
        "_seed_corpus.zip",
        ".dict",
        ".options",
        "$OUT",
    ] {
        assert!(build.contains(needle), "build.sh lacks {needle}");
    }
}

#[test]
fn workflows_run_the_build_and_run_actions() {
    for (file, mode) in [
        (".github/workflows/cflite_pr.yml", "code-change"),
        (".github/workflows/cflite_batch.yml", "batch"),
    ] {
        let workflow = yaml(file);
        assert!(workflow["name"].as_str().is_some(), "{file}: a name");
        assert!(!workflow["on"].is_badvalue(), "{file}: triggers");
        let jobs = workflow["jobs"].as_hash().expect("jobs");
        assert_eq!(jobs.len(), 1, "{file}");
        let job = jobs.values().next().unwrap();
        let steps = job["steps"].as_vec().expect("steps");
        let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
        assert_eq!(
            uses,
            [
                "google/clusterfuzzlite/actions/build_fuzzers@v1",
                "google/clusterfuzzlite/actions/run_fuzzers@v1"
            ],
            "{file}"
        );
        assert_eq!(
            steps[0]["with"]["language"].as_str(),
            Some("rust"),
            "{file}"
        );
        assert_eq!(steps[1]["with"]["mode"].as_str(), Some(mode), "{file}");
        assert!(
            steps[1]["with"]["fuzz-seconds"].as_i64().is_some(),
            "{file}"
        );
    }
}

/// `build.sh` builds and runs what `reports/fuzz.md` chose (`fuzz_find::DEFAULT_BUILD`):
/// comparison tracing on or off, the dictionary in each target's options or not; and the report
/// names that build.
#[cfg(feature = "harness")]
#[test]
fn build_sh_uses_the_measured_default_build() {
    use evm_memory::harness::fuzz_find::{DEFAULT_BUILD, FIND_HEADING};
    let script = read(".clusterfuzzlite/build.sh");
    assert_eq!(
        script.contains("--no-trace-compares"),
        !DEFAULT_BUILD.trace_compares,
        "build.sh and DEFAULT_BUILD disagree on comparison tracing"
    );
    assert_eq!(
        script.contains("dict = $target.dict"),
        DEFAULT_BUILD.dict,
        "build.sh and DEFAULT_BUILD disagree on the dictionary"
    );
    let report = read("reports/fuzz.md");
    assert!(
        report.contains(FIND_HEADING),
        "reports/fuzz.md has no fuzz-find section"
    );
    assert!(
        report.contains(&format!("is **{}**", DEFAULT_BUILD.label())),
        "reports/fuzz.md does not name the default build"
    );
}
