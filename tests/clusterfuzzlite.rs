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
