//! Ours vs revm vs the reference model on generated op sequences (all limits and gas budgets).
//! The input is a `Case` in the generator's format (`evm_memory::harness::decode`); print one
//! with `conformance show diff_ops <file>`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evm_memory::harness::fuzz_diff_ops(data);
});
