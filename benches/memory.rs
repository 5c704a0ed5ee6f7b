//! Our `Memory` against revm's `SharedMemory` (+ `resize_memory` with its `Gas`/`GasParams`) on
//! identical op traces (see `traces/mod.rs`; `tests/bench_traces.rs` proves each trace does the
//! same work on both). One criterion group per workload, with functions `ours`, `revm` and, for
//! bulk copies, `memcpy` (a plain `copy_from_slice` of the same size: the physical floor).
//!
//! Run: `cargo bench --bench memory && python3 benches/report.py` (writes `reports/bench.md`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

mod traces;
use traces::*;

fn word_hot_path(c: &mut Criterion) {
    let t = word_trace();
    let (mut o, mut r) = (Ours::new(), Revm::new());
    let mut g = c.benchmark_group("word_hot_path");
    g.throughput(Throughput::Elements(2 * t.ops.len() as u64));
    g.bench_function("ours", |b| b.iter(|| word_ours(&mut o, black_box(&t))));
    g.bench_function("revm", |b| b.iter(|| word_revm(&mut r, black_box(&t))));
    let (mut buf, off) = word_aligned_buffer(0x220);
    let buf = &mut buf[off..off + 0x220];
    g.bench_function("floor", |b| {
        b.iter(|| word_floor(black_box(&mut *buf), black_box(&t)))
    });
    g.finish();
}

fn byte_ops(c: &mut Criterion) {
    let t = byte_trace();
    let (mut o, mut r) = (Ours::new(), Revm::new());
    let mut g = c.benchmark_group("mstore8_byte_load");
    g.throughput(Throughput::Elements(2 * t.ops.len() as u64));
    g.bench_function("ours", |b| b.iter(|| byte_ours(&mut o, black_box(&t))));
    g.bench_function("revm", |b| b.iter(|| byte_revm(&mut r, black_box(&t))));
    g.finish();
}

fn incremental_expansion(c: &mut Criterion) {
    let t = expand_trace();
    let (mut o, mut r) = (Ours::new(), Revm::new());
    let mut g = c.benchmark_group("expand_1mib_by_word");
    g.throughput(Throughput::Bytes(1 << 20));
    g.bench_function("ours", |b| b.iter(|| expand_ours(&mut o, black_box(&t))));
    g.bench_function("revm", |b| b.iter(|| expand_revm(&mut r, black_box(&t))));
    g.finish();
}

fn bulk(c: &mut Criterion) {
    for (len, name) in [(4 << 10, "4KiB"), (1 << 20, "1MiB")] {
        let t = bulk_trace(len);
        let (mut o, mut r) = (Ours::new(), Revm::new());
        // Expand both memories (and reserve for MCOPY's 2·len) before taking their addresses.
        mcopy_ours(&mut o, &t);
        mcopy_revm(&mut r, &t);
        // Every copy runs with its source at its destination's address modulo 4 KiB.
        let t_ours = t.aligned_like(o.mem.as_slice().as_ptr());
        let t_revm = t.aligned_like(r.mem.context_memory().as_ptr());
        let (mut dst_buf, dst_off) = aligned_buffer(len, t.data().as_ptr());
        let dst = &mut dst_buf[dst_off..dst_off + len];

        let mut g = c.benchmark_group(format!("set_data_{name}"));
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function("ours", |b| {
            b.iter(|| set_data_ours(&mut o, black_box(&t_ours)))
        });
        g.bench_function("revm", |b| {
            b.iter(|| set_data_revm(&mut r, black_box(&t_revm)))
        });
        g.bench_function("memcpy", |b| {
            b.iter(|| memcpy(black_box(&mut *dst), black_box(t.data())))
        });
        g.finish();

        let mut g = c.benchmark_group(format!("mcopy_{name}"));
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function("ours", |b| b.iter(|| mcopy_ours(&mut o, black_box(&t))));
        g.bench_function("revm", |b| b.iter(|| mcopy_revm(&mut r, black_box(&t))));
        g.bench_function("memcpy", |b| {
            b.iter(|| memcpy(black_box(&mut *dst), black_box(t.data())))
        });
        g.finish();
    }
}

fn nested(c: &mut Criterion) {
    let t = nested_trace();
    let (mut o, mut r) = (Ours::new(), Revm::new());
    let mut g = c.benchmark_group("nested_1024");
    g.throughput(Throughput::Elements(t.depth as u64));
    g.bench_function("ours", |b| b.iter(|| nested_ours(&mut o, black_box(&t))));
    g.bench_function("revm", |b| b.iter(|| nested_revm(&mut r, black_box(&t))));
    g.finish();

    let t = call_trace();
    let (mut o, mut r) = (Ours::new(), Revm::new());
    let mut g = c.benchmark_group("call_round_trip");
    g.throughput(Throughput::Elements(t.calls as u64));
    g.bench_function("ours", |b| b.iter(|| call_ours(&mut o, black_box(&t))));
    g.bench_function("revm", |b| b.iter(|| call_revm(&mut r, black_box(&t))));
    let (mut buf, off) = word_aligned_buffer(4096);
    let buf = &mut buf[off..off + 4096];
    g.bench_function("floor", |b| {
        b.iter(|| call_floor(black_box(&mut *buf), black_box(&t)))
    });
    g.finish();
}

fn gas_pricing(c: &mut Criterion) {
    for (cached, name) in [(true, "gas_price_cached"), (false, "gas_price_cold")] {
        let t = price_trace(cached);
        let (mut o, mut r) = (Ours::new(), Revm::new());
        price_setup(&mut o, &mut r, &t);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(t.accesses.len() as u64));
        g.bench_function("ours", |b| b.iter(|| price_ours(&o, black_box(&t))));
        g.bench_function("revm", |b| b.iter(|| price_revm(&r, black_box(&t))));
        g.finish();
    }
    let t = price_trace(false);
    let params = Revm::new().params;
    let mut g = c.benchmark_group("gas_total_cost");
    g.throughput(Throughput::Elements(t.accesses.len() as u64));
    g.bench_function("ours", |b| b.iter(|| total_cost_ours(black_box(&t))));
    g.bench_function("revm", |b| {
        b.iter(|| total_cost_revm(black_box(&params), black_box(&t)))
    });
    g.finish();
}

fn mixed(c: &mut Criterion) {
    let t = mixed_trace();
    let (mut o, mut r) = (Ours::new(), Revm::new());
    let mut g = c.benchmark_group("mixed_contract");
    g.throughput(Throughput::Elements(t.ops.len() as u64));
    g.bench_function("ours", |b| b.iter(|| mixed_ours(&mut o, black_box(&t))));
    g.bench_function("revm", |b| b.iter(|| mixed_revm(&mut r, black_box(&t))));
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = word_hot_path, byte_ops, incremental_expansion, bulk, nested, gas_pricing, mixed
}
criterion_main!(benches);
