//! Our memory alone, driven by raw bytes, with invariant checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evm_memory::harness::drive_raw(data);
});
