#!/bin/bash -eu
# Builds every fuzz target of fuzz/ for ClusterFuzzLite and OSS-Fuzz, as their Rust guidance
# says (`cargo fuzz build -O`, each binary copied to $OUT), and puts beside each binary what the
# fuzzing infrastructure picks up by name:
#   $OUT/<target>_seed_corpus.zip  the committed corpus/<target>/ and corpus/regressions/<target>/
#   $OUT/<target>.dict             fuzz/dicts/<target>.dict (`conformance fuzz-dicts`)
#   $OUT/<target>.options          libFuzzer options: the dictionary and the memory limit
# Inputs: $SRC (the repository is $SRC/evm-memory) and $OUT; $SANITIZER (address by default;
# `none` builds without one, on a stable toolchain as well). .ci/run runs this script outside
# Docker with temporary folders and replays every seed corpus through the binaries it made.
# The physical path (-P): outside Docker $SRC/evm-memory may be a link to a checkout whose fuzz
# targets are built already, and cargo keys its build cache on the path it sees.
cd -P "$SRC/evm-memory"

# Without libFuzzer's comparison tracing, with each target's dictionary: the build that found
# the planted bugs soonest (reports/fuzz.md, `conformance fuzz-find`; twice the work per second
# of the traced build). tests/clusterfuzzlite.rs keeps this in line with fuzz_find::DEFAULT_BUILD.
flags=(-O --no-trace-compares)
if [ "${SANITIZER:-address}" = none ]; then
    flags+=(-s none)
fi
cargo fuzz build "${flags[@]}"

built=fuzz/target/x86_64-unknown-linux-gnu/release
for target in $(cargo fuzz list); do
    cp "$built/$target" "$OUT/$target"
    seeds=()
    for dir in "corpus/$target" "corpus/regressions/$target"; do
        [ -d "$dir" ] && seeds+=("$dir")
    done
    # One flat archive of every seed file (names are content hashes or scenario names, so they
    # do not collide between the two folders).
    python3 - "$OUT/${target}_seed_corpus.zip" "${seeds[@]}" <<'PY'
import os, sys, zipfile
out, dirs = sys.argv[1], sys.argv[2:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for d in dirs:
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if os.path.isfile(path):
                z.write(path, arcname=name)
PY
    options="[libfuzzer]\nrss_limit_mb = 4096\n"
    if [ -f "fuzz/dicts/$target.dict" ]; then
        cp "fuzz/dicts/$target.dict" "$OUT/$target.dict"
        options="[libfuzzer]\ndict = $target.dict\nrss_limit_mb = 4096\n"
    fi
    printf '%b' "$options" > "$OUT/$target.options"
done
