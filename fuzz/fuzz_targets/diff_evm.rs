//! Stock revm vs `MemoryEvm` on generated programs, compared before every instruction.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    evm_memory::harness::fuzz_diff_evm(data);
});
