#!/usr/bin/env python3
"""Replays the files ``conformance export-vectors DIR`` writes through the execution specs
alone (``spec_engine.SpecMachine``, no Rust): every op's observation must be the expected one.

    target/spec-venv/bin/python python/replay_vectors.py DIR

Exit status 0 when every vector passes (cases the spec cannot express are declined and
counted), 1 on any failure, 2 on bad input. The schema is docs/vectors-schema.md. An
implementer replays the same files in their own test suite by swapping ``SpecMachine`` for
their memory: ``normalise`` shows how an observation is compared.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ethereum.crypto.hash import keccak256  # noqa: E402

import spec_engine  # noqa: E402

SCHEMA = 1
INLINE = 1024


def bytes_value(data):
    if len(data) <= INLINE:
        return {"bytes": "0x" + data.hex()}
    return {"bytes_keccak256": "0x" + bytes(keccak256(data)).hex(), "len": len(data)}


def normalise(obs, machine, want):
    """The spec machine's observation in the export's form, with the fields ``want`` has."""
    memory = b"".join(bytes(f.memory) for f in machine.frames)
    out = obs["output"]
    if out is not None and "bytes" in out:
        out = bytes_value(bytes.fromhex(out["bytes"][2:]))
    ended = obs["ended_frame"]
    got = {
        "outcome": obs["outcome"],
        "output": out,
        "gas_charged": obs["gas_charged"],
        "gas_remaining": obs["gas_remaining"],
        "ended": obs["ended"],
        "frames": obs["frames"],
        "size": obs["size"],
        "total_size": obs["total_size"],
        "frame_sizes": machine.sizes(),
        "ended_frame": None if ended is None else bytes_value(bytes.fromhex(ended[2:])),
    }
    if "memory" in want:
        got["memory"] = "0x" + memory.hex()
    if want.get("memory_keccak256") is not None:
        got["memory_keccak256"] = "0x" + bytes(keccak256(memory)).hex()
    return got


def replay(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("schema") != SCHEMA:
        raise ValueError("%s: schema %r, this replayer reads %d" % (path, doc.get("schema"), SCHEMA))
    passed, declined, failures = 0, {}, []
    for v in doc["vectors"]:
        case = v["case"]
        reason = spec_engine.declines(case)
        if reason:
            declined[reason] = declined.get(reason, 0) + 1
            continue
        machine = spec_engine.SpecMachine(case)
        ok = True
        for i, want in enumerate(v["expected"]):
            obs = machine.step(case["ops"][i])
            got = normalise(obs, machine, want)
            diff = [k for k in want if want[k] != got.get(k)]
            if diff:
                failures.append(
                    "%s: %s (%s), op #%d %s: %s"
                    % (
                        os.path.basename(path),
                        v["name"],
                        v["source"],
                        i,
                        case["ops"][i]["op"],
                        "; ".join("%s expected %s, got %s" % (k, want[k], got.get(k)) for k in diff),
                    )
                )
                ok = False
                break
        passed += ok
    return passed, declined, failures


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: replay_vectors.py DIR (written by conformance export-vectors)", file=sys.stderr)
        return 2
    files = sorted(f for f in os.listdir(argv[1]) if f.endswith(".json"))
    if not files:
        print("replay_vectors: no *.json in %s" % argv[1], file=sys.stderr)
        return 2
    total_failures = []
    for name in files:
        try:
            passed, declined, failures = replay(os.path.join(argv[1], name))
        except (ValueError, KeyError, OSError) as e:
            print("replay_vectors: %s: %s" % (name, e), file=sys.stderr)
            return 2
        print(
            "%-16s %6d passed, %d failed, declined: %s"
            % (name, passed, len(failures), ", ".join("%s %d" % kv for kv in sorted(declined.items())) or "none")
        )
        total_failures += failures
    for f in total_failures[:20]:
        print("FAIL " + f)
    if total_failures:
        print("%d vector(s) failed" % len(total_failures))
        return 1
    print("every vector passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
