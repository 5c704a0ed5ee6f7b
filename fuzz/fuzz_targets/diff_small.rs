//! Ours vs revm vs the reference model with small memory limits and gas budgets. The input is
//! a `Case` in the generator's small profile (`evm_memory::harness::decode_small`); print one
//! with `conformance show diff_small <file>`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evm_memory::harness::fuzz_diff_small(data);
});
