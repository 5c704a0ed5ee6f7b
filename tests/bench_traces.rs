//! Replays every trace of the `memory` benchmark on our `Memory` and on revm's `SharedMemory`
//! in a debug build (debug assertions on: an out-of-bounds access in revm would panic here instead
//! of being undefined behaviour) and checks that both engines did the same work: equal results,
//! root contents, sizes and gas — on a first run from fresh state and on a second run from the
//! state the first left, as the benchmark's repeated iterations see it.

#[path = "../benches/traces/mod.rs"]
mod traces;

use traces::*;

fn check<T>(name: &str, trace: &T, ours: fn(&mut Ours, &T) -> u64, revm: fn(&mut Revm, &T) -> u64) {
    let (mut o, mut r) = (Ours::new(), Revm::new());
    for run in 0..2 {
        let (a, b) = (ours(&mut o, trace), revm(&mut r, trace));
        assert_eq!(a, b, "{name}: results differ on run {run}");
        assert_eq!(
            o.snapshot(),
            r.snapshot(),
            "{name}: state differs on run {run}"
        );
    }
    assert_ne!(o.snapshot().size, 0, "{name}: the trace touched memory");
}

#[test]
fn word_hot_path() {
    let t = word_trace();
    check("word", &t, word_ours, word_revm);
    // The floor does the same loads and stores on a plain buffer.
    let mut o = Ours::new();
    let mut buf = vec![0u8; 0x220];
    for _ in 0..2 {
        assert_eq!(word_floor(&mut buf, &t), word_ours(&mut o, &t));
        assert_eq!(&buf[..], o.mem.as_slice());
    }
}

#[test]
fn byte_ops() {
    check("byte", &byte_trace(), byte_ours, byte_revm);
}

#[test]
fn incremental_expansion() {
    let t = expand_trace();
    check("expand", &t, expand_ours, expand_revm);
    let mut o = Ours::new();
    expand_ours(&mut o, &t);
    assert_eq!(o.mem.size(), 1 << 20);
}

#[test]
fn bulk() {
    for len in [4 << 10, 1 << 20] {
        let t = bulk_trace(len);
        check("set_data", &t, set_data_ours, set_data_revm);
        check("mcopy", &t, mcopy_ours, mcopy_revm);
        let mut o = Ours::new();
        set_data_ours(&mut o, &t);
        assert_eq!(o.mem.as_slice(), t.data());
        mcopy_ours(&mut o, &t);
        assert_eq!(o.mem.slice(len, len).unwrap(), t.data());
        // The realigned copies the benchmark runs are the same trace.
        let moved = t.aligned_like(o.mem.as_slice().as_ptr().wrapping_add(100));
        assert_eq!(moved.data(), t.data());
        check("set_data aligned", &moved, set_data_ours, set_data_revm);
        let (mut buf, off) = aligned_buffer(len, moved.data().as_ptr());
        let dst = &mut buf[off..off + len];
        assert_eq!(memcpy(dst, moved.data()), len as u64);
        assert_eq!(dst, t.data());
    }
}

#[test]
fn nested_contexts() {
    let t = nested_trace();
    check("nested", &t, nested_ours, nested_revm);
    let mut o = Ours::new();
    nested_ours(&mut o, &t);
    assert_eq!((o.mem.depth(), o.mem.size()), (0, 96));
    assert_eq!(o.mem.load_u256(0x20).unwrap(), t.values[0]);
}

#[test]
fn call_round_trip() {
    let t = call_trace();
    check("call", &t, call_ours, call_revm);
    let mut o = Ours::new();
    call_ours(&mut o, &t);
    assert_eq!(
        o.mem.load_u256(t.ret_off + 32).unwrap(),
        t.args[t.calls - 1]
    );
    // The floor moves the same bytes: its parent region ends as our root memory does.
    let mut buf = vec![0u8; 4096];
    call_floor(&mut buf, &t);
    assert_eq!(&buf[..o.mem.size()], o.mem.as_slice());
}

#[test]
fn gas_pricing() {
    for cached in [true, false] {
        let t = price_trace(cached);
        let (mut o, mut r) = (Ours::new(), Revm::new());
        price_setup(&mut o, &mut r, &t);
        assert_eq!(o.snapshot(), r.snapshot());
        let (a, b) = (price_ours(&o, &t), price_revm(&r, &t));
        assert_eq!(a, b, "cached = {cached}");
        assert_eq!(a == 0, cached, "cached accesses cost nothing, cold ones do");
        assert_eq!(total_cost_ours(&t), total_cost_revm(&r.params, &t));
    }
}

#[test]
fn mixed_contract() {
    let t = mixed_trace();
    check("mixed", &t, mixed_ours, mixed_revm);
}
