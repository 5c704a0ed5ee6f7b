/*
 * The C API of evm-memory, driven from C: every function and every status a caller can provoke
 * (EVM_MEMORY_STATUS_PANIC is an internal bug and cannot be provoked; its message is checked).
 * Built and run by tests/c_api.rs; exits non-zero, after printing each failed check, on failure.
 */
#include "evm_memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/resource.h>
#define HAVE_RLIMIT_AS 1
#endif

static int checks = 0;
static int failures = 0;
/* Statuses returned by some call where the test expected them. */
static int seen[EVM_MEMORY_STATUS_PANIC + 1];

#define CHECK(cond)                                                                  \
    do {                                                                             \
        checks++;                                                                    \
        if (!(cond)) {                                                               \
            failures++;                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define EXPECT(call, expected)                                                                 \
    do {                                                                                       \
        EvmMemoryStatus got_ = (call);                                                         \
        EvmMemoryStatus want_ = (expected);                                                    \
        checks++;                                                                              \
        if (got_ != want_) {                                                                   \
            failures++;                                                                        \
            fprintf(stderr, "%s:%d: %s\n    returned %d (%s), expected %d (%s)\n", __FILE__,  \
                    __LINE__, #call, (int)got_, evm_memory_status_message(got_), (int)want_, \
                    evm_memory_status_message(want_));                                         \
        } else if ((int)got_ >= 0 && (int)got_ <= EVM_MEMORY_STATUS_PANIC) {                   \
            seen[got_] = 1;                                                                    \
        }                                                                                      \
    } while (0)

#define OK(call) EXPECT(call, EVM_MEMORY_STATUS_OK)

/* Everything observable about a handle, to check that failed calls change nothing. */
typedef struct {
    size_t size;
    size_t depth;
    uint64_t cost;
    uint8_t bytes[4096];
} Snapshot;

static void snapshot(const EvmMemory *mem, Snapshot *out) {
    memset(out, 0, sizeof *out);
    OK(evm_memory_size(mem, &out->size));
    OK(evm_memory_depth(mem, &out->depth));
    OK(evm_memory_current_cost(mem, &out->cost));
    CHECK(out->size <= sizeof out->bytes);
    if (out->size <= sizeof out->bytes) {
        OK(evm_memory_copy_out(mem, 0, out->bytes, out->size));
    }
}

static void check_unchanged(const EvmMemory *mem, const Snapshot *before, int line) {
    Snapshot now;
    snapshot(mem, &now);
    checks++;
    if (memcmp(&now, before, sizeof now) != 0) {
        failures++;
        fprintf(stderr, "%s:%d: the handle changed after a failed call\n", __FILE__, line);
    }
}

#define UNCHANGED(mem, before) check_unchanged((mem), (before), __LINE__)

static EvmMemory *create(uint64_t limit) {
    EvmMemoryConfig config = {0, limit};
    EvmMemory *mem = NULL;
    OK(evm_memory_create(&config, &mem));
    CHECK(mem != NULL);
    return mem;
}

static void test_status_messages(void) {
    int s, t;
    for (s = EVM_MEMORY_STATUS_OK; s <= EVM_MEMORY_STATUS_PANIC; s++) {
        const char *m = evm_memory_status_message(s);
        CHECK(m != NULL && strlen(m) > 0);
        CHECK(strcmp(m, "unknown status") != 0);
        for (t = 0; t < s; t++) {
            CHECK(strcmp(m, evm_memory_status_message(t)) != 0);
        }
    }
    CHECK(strcmp(evm_memory_status_message(EVM_MEMORY_STATUS_OK), "ok") == 0);
    CHECK(strstr(evm_memory_status_message(EVM_MEMORY_STATUS_PANIC), "panic") != NULL);
    CHECK(strcmp(evm_memory_status_message(EVM_MEMORY_STATUS_PANIC + 1), "unknown status") == 0);
    CHECK(strcmp(evm_memory_status_message(-1), "unknown status") == 0);
}

static void test_create_and_config(void) {
    EvmMemoryConfig config = {123, 456};
    EvmMemoryConfig bad;
    EvmMemory *mem = NULL;

    EXPECT(evm_memory_config_default(NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    OK(evm_memory_config_default(&config));
    CHECK(config.initial_capacity == 0 && config.memory_limit == EVM_MEMORY_MAX_LIMIT);

    EXPECT(evm_memory_create(NULL, &mem), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_create(&config, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    bad.initial_capacity = 0;
    bad.memory_limit = 0;
    EXPECT(evm_memory_create(&bad, &mem), EVM_MEMORY_STATUS_INVALID_CONFIG);
    bad.memory_limit = (uint64_t)EVM_MEMORY_MAX_LIMIT + 1;
    EXPECT(evm_memory_create(&bad, &mem), EVM_MEMORY_STATUS_INVALID_CONFIG);
    bad.initial_capacity = 65;
    bad.memory_limit = 64;
    EXPECT(evm_memory_create(&bad, &mem), EVM_MEMORY_STATUS_INVALID_CONFIG);
    CHECK(mem == NULL); /* untouched on error */

    config.initial_capacity = 4096;
    config.memory_limit = 1 << 20;
    OK(evm_memory_create(&config, &mem));
    CHECK(mem != NULL);
    OK(evm_memory_destroy(mem));
    OK(evm_memory_destroy(NULL));
}

static void test_words_bytes_and_copies(void) {
    EvmMemory *mem = create(1024);
    uint8_t word[32], out[32], buf[64];
    uint8_t data[4] = {1, 2, 3, 4};
    size_t size = 99;
    uint64_t cost = 99;
    int i;

    for (i = 0; i < 32; i++) {
        word[i] = (uint8_t)(i + 1);
    }
    OK(evm_memory_size(mem, &size));
    CHECK(size == 0);
    /* MSTORE at 0x40 expands to 96 bytes (3 words, 9 gas). */
    OK(evm_memory_expansion_cost(mem, 0x40, 32, &cost));
    CHECK(cost == 9);
    OK(evm_memory_store_word(mem, 0x40, word));
    OK(evm_memory_size(mem, &size));
    CHECK(size == 96);
    OK(evm_memory_current_cost(mem, &cost));
    CHECK(cost == 9);
    OK(evm_memory_expansion_cost(mem, 0, 96, &cost));
    CHECK(cost == 0);
    OK(evm_memory_load_word(mem, 0x40, out));
    CHECK(memcmp(out, word, 32) == 0);
    /* A word never written reads as zeros and expands. */
    OK(evm_memory_load_word(mem, 100, out));
    for (i = 0; i < 32; i++) {
        CHECK(out[i] == 0);
    }
    OK(evm_memory_size(mem, &size));
    CHECK(size == 160);

    /* MSTORE8 / byte load. */
    OK(evm_memory_store_byte(mem, 200, 0xAB));
    OK(evm_memory_load_byte(mem, 200, &out[0]));
    CHECK(out[0] == 0xAB);
    OK(evm_memory_size(mem, &size));
    CHECK(size == 224);

    /* Copies in and out; NULL with a zero length is an empty buffer. */
    OK(evm_memory_copy_in(mem, 3, data, sizeof data));
    OK(evm_memory_copy_out(mem, 2, buf, 6));
    CHECK(buf[0] == 0 && buf[1] == 1 && buf[4] == 4 && buf[5] == 0);
    OK(evm_memory_copy_in(mem, SIZE_MAX, NULL, 0));
    OK(evm_memory_copy_out(mem, SIZE_MAX, NULL, 0));

    /* CALLDATACOPY: data from offset 2, zero-padded past its end. */
    memset(buf, 0xEE, sizeof buf);
    OK(evm_memory_copy_in(mem, 0, buf, 8));
    OK(evm_memory_set_data(mem, 0, 2, 6, data, sizeof data));
    OK(evm_memory_copy_out(mem, 0, buf, 8));
    CHECK(buf[0] == 3 && buf[1] == 4 && buf[2] == 0 && buf[5] == 0 && buf[6] == 0xEE);
    OK(evm_memory_set_data(mem, 10, SIZE_MAX, 2, data, sizeof data)); /* all zeros */
    OK(evm_memory_set_data(mem, 12, 0, 2, NULL, 0));
    OK(evm_memory_set_data(mem, SIZE_MAX, 0, 0, data, sizeof data)); /* len 0: nothing */

    /* MCOPY with overlap. */
    OK(evm_memory_copy_in(mem, 0, word, 32));
    OK(evm_memory_mcopy(mem, 1, 0, 8));
    OK(evm_memory_copy_out(mem, 0, buf, 10));
    CHECK(buf[0] == 1 && buf[1] == 1 && buf[2] == 2 && buf[8] == 8 && buf[9] == 10);
    OK(evm_memory_mcopy(mem, 300, 0, 1)); /* expands over the destination */
    OK(evm_memory_size(mem, &size));
    CHECK(size == 320);

    /* Plain expansion. */
    OK(evm_memory_expand(mem, SIZE_MAX, 0));
    OK(evm_memory_expand(mem, 320, 1));
    OK(evm_memory_size(mem, &size));
    CHECK(size == 352);

    OK(evm_memory_destroy(mem));
}

static void test_gas(void) {
    EvmMemory *mem = create(1 << 20);
    uint64_t gas = 5, charged = 77, cost = 0;
    Snapshot before;

    OK(evm_memory_memory_gas_cost(1024, &cost));
    CHECK(cost == 3 * 1024 + 1024 * 1024 / 512);
    OK(evm_memory_memory_gas_cost(UINT64_MAX, &cost));
    CHECK(cost == UINT64_MAX); /* saturates */
    OK(evm_memory_expansion_gas_cost(32, 33, &cost));
    CHECK(cost == 3);
    OK(evm_memory_expansion_gas_cost(64, 32, &cost));
    CHECK(cost == 0);
    EXPECT(evm_memory_memory_gas_cost(1, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_expansion_gas_cost(0, 1, NULL), EVM_MEMORY_STATUS_NULL_POINTER);

    OK(evm_memory_expand(mem, 0, 32));
    snapshot(mem, &before);
    /* 32 -> 96 bytes costs 6 gas: 5 is not enough; memory and gas stay as they were. */
    EXPECT(evm_memory_expand_with_gas(mem, 0, 96, &gas, &charged), EVM_MEMORY_STATUS_OUT_OF_GAS);
    CHECK(gas == 5 && charged == 77);
    EXPECT(evm_memory_expand_with_gas(mem, 0, 96, NULL, &charged), EVM_MEMORY_STATUS_NULL_POINTER);
    /* The limit is checked before gas. */
    EXPECT(evm_memory_expand_with_gas(mem, 0, (1 << 20) + 1, &gas, &charged),
           EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    UNCHANGED(mem, &before);
    gas = 6;
    OK(evm_memory_expand_with_gas(mem, 0, 96, &gas, &charged));
    CHECK(gas == 0 && charged == 6);
    /* Already inside: free; `charged` may be NULL. */
    OK(evm_memory_expand_with_gas(mem, 10, 50, &gas, NULL));
    CHECK(gas == 0);
    OK(evm_memory_current_cost(mem, &cost));
    CHECK(cost == 9);

    OK(evm_memory_destroy(mem));
}

static void test_errors_change_nothing(void) {
    EvmMemory *mem = create(128);
    uint8_t word[32], buf[8];
    uint8_t *wrapping = (uint8_t *)(uintptr_t)(UINTPTR_MAX - 3);
    size_t size = 7;
    uint64_t value = 7;
    EvmMemoryCheckpoint cp = {1, 1};
    Snapshot before;

    memset(word, 0x5A, sizeof word);
    memset(buf, 0x11, sizeof buf);
    OK(evm_memory_store_word(mem, 0, word));
    snapshot(mem, &before);

    /* NULL handle: every function. */
    EXPECT(evm_memory_reset(NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_size(NULL, &size), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_depth(NULL, &size), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_current_cost(NULL, &value), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_expansion_cost(NULL, 0, 1, &value), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_expand(NULL, 0, 1), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_expand_with_gas(NULL, 0, 1, &value, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_load_word(NULL, 0, word), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_store_word(NULL, 0, word), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_load_byte(NULL, 0, buf), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_store_byte(NULL, 0, 1), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_copy_in(NULL, 0, buf, 8), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_copy_out(NULL, 0, buf, 8), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_set_data(NULL, 0, 0, 8, buf, 8), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_mcopy(NULL, 0, 0, 1), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_enter_child(NULL, &cp), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_exit_child(NULL, cp), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_exit_child_with_return(NULL, cp, 0, 0, 0, 0, &size),
           EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_read_parent(NULL, 0, buf, 8), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_set_data_from_parent(NULL, 0, 0, 1, 0, 1), EVM_MEMORY_STATUS_NULL_POINTER);
    CHECK(size == 7 && value == 7 && word[0] == 0x5A && buf[0] == 0x11);

    /* NULL required pointers. */
    EXPECT(evm_memory_size(mem, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_depth(mem, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_current_cost(mem, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_expansion_cost(mem, 0, 1, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_load_word(mem, 64, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_store_word(mem, 64, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_load_byte(mem, 64, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_copy_in(mem, 64, NULL, 1), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_copy_out(mem, 0, NULL, 1), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_set_data(mem, 64, 0, 1, NULL, 1), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_enter_child(mem, NULL), EVM_MEMORY_STATUS_NULL_POINTER);
    EXPECT(evm_memory_read_parent(mem, 0, NULL, 1), EVM_MEMORY_STATUS_NULL_POINTER);
    UNCHANGED(mem, &before);

    /* Buffer lengths no object can have. */
    EXPECT(evm_memory_copy_in(mem, 0, buf, SIZE_MAX), EVM_MEMORY_STATUS_LENGTH_OVERFLOW);
    EXPECT(evm_memory_copy_in(mem, 0, buf, (size_t)PTRDIFF_MAX + 1),
           EVM_MEMORY_STATUS_LENGTH_OVERFLOW);
    EXPECT(evm_memory_copy_in(mem, 0, wrapping, 8), EVM_MEMORY_STATUS_LENGTH_OVERFLOW);
    EXPECT(evm_memory_copy_out(mem, 0, buf, SIZE_MAX), EVM_MEMORY_STATUS_LENGTH_OVERFLOW);
    EXPECT(evm_memory_copy_out(mem, 0, wrapping, 8), EVM_MEMORY_STATUS_LENGTH_OVERFLOW);
    EXPECT(evm_memory_set_data(mem, 0, 0, 8, buf, SIZE_MAX), EVM_MEMORY_STATUS_LENGTH_OVERFLOW);
    EXPECT(evm_memory_read_parent(mem, 0, buf, SIZE_MAX), EVM_MEMORY_STATUS_LENGTH_OVERFLOW);
    EXPECT(evm_memory_load_word(mem, 0, wrapping), EVM_MEMORY_STATUS_LENGTH_OVERFLOW);
    EXPECT(evm_memory_store_word(mem, 0, wrapping), EVM_MEMORY_STATUS_LENGTH_OVERFLOW);
    UNCHANGED(mem, &before);
    CHECK(buf[0] == 0x11);

    /* Past the limit (128 bytes) or the address space. */
    EXPECT(evm_memory_expand(mem, 128, 1), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    EXPECT(evm_memory_expand(mem, SIZE_MAX, 1), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    EXPECT(evm_memory_expansion_cost(mem, SIZE_MAX, 2, &value), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    EXPECT(evm_memory_store_word(mem, 97, word), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    EXPECT(evm_memory_load_word(mem, SIZE_MAX - 31, word), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    EXPECT(evm_memory_store_byte(mem, 128, 1), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    EXPECT(evm_memory_load_byte(mem, 128, buf), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    EXPECT(evm_memory_copy_in(mem, 124, buf, 8), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    EXPECT(evm_memory_set_data(mem, 124, 0, 8, buf, 8), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    EXPECT(evm_memory_mcopy(mem, 0, 124, 8), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    EXPECT(evm_memory_mcopy(mem, SIZE_MAX, 0, 1), EVM_MEMORY_STATUS_MEMORY_OVERFLOW);
    CHECK(value == 7 && word[0] == 0x5A && buf[0] == 0x11);
    UNCHANGED(mem, &before);

    /* Reads that never expand. */
    EXPECT(evm_memory_copy_out(mem, 1, word, 32), EVM_MEMORY_STATUS_OUT_OF_BOUNDS);
    EXPECT(evm_memory_copy_out(mem, SIZE_MAX, buf, 1), EVM_MEMORY_STATUS_OUT_OF_BOUNDS);
    CHECK(word[0] == 0x5A && buf[0] == 0x11);
    UNCHANGED(mem, &before);

    /* The handle is still fully usable after all of that. */
    OK(evm_memory_store_byte(mem, 127, 9));
    OK(evm_memory_load_byte(mem, 127, buf));
    CHECK(buf[0] == 9);
    OK(evm_memory_destroy(mem));
}

static void test_child_contexts(void) {
    EvmMemory *mem = create(4096);
    EvmMemory *other = create(4096);
    EvmMemoryCheckpoint outer, inner, foreign, zero = {0, 0}, forged, again;
    uint8_t args[4] = {1, 2, 3, 4}, buf[8];
    size_t depth = 99, copied = 42, size = 0;
    Snapshot before;

    OK(evm_memory_enter_child(other, &foreign));

    /* At the root. */
    EXPECT(evm_memory_exit_child(mem, zero), EVM_MEMORY_STATUS_NOT_IN_CHILD_CONTEXT);
    EXPECT(evm_memory_exit_child(mem, foreign), EVM_MEMORY_STATUS_NOT_IN_CHILD_CONTEXT);
    EXPECT(evm_memory_exit_child_with_return(mem, zero, 0, 0, 0, 0, &copied),
           EVM_MEMORY_STATUS_NOT_IN_CHILD_CONTEXT);
    EXPECT(evm_memory_read_parent(mem, 0, buf, 0), EVM_MEMORY_STATUS_NOT_IN_CHILD_CONTEXT);
    EXPECT(evm_memory_set_data_from_parent(mem, 0, 0, 1, 0, 0),
           EVM_MEMORY_STATUS_NOT_IN_CHILD_CONTEXT);
    CHECK(copied == 42);

    /* The parent writes CALL arguments, then calls. */
    OK(evm_memory_copy_in(mem, 0, args, sizeof args));
    OK(evm_memory_enter_child(mem, &outer));
    CHECK(outer.depth == 1 && outer.id != 0);
    OK(evm_memory_depth(mem, &depth));
    CHECK(depth == 1);
    OK(evm_memory_size(mem, &size));
    CHECK(size == 0); /* a child starts empty */
    OK(evm_memory_enter_child(mem, &inner));
    CHECK(inner.depth == 2 && inner.id != outer.id);

    /* Stale: outer, foreign, zeroed, forged. The depth field is informative only. */
    snapshot(mem, &before);
    forged = inner;
    forged.id += 1000;
    EXPECT(evm_memory_exit_child(mem, outer), EVM_MEMORY_STATUS_STALE_CHECKPOINT);
    EXPECT(evm_memory_exit_child(mem, foreign), EVM_MEMORY_STATUS_STALE_CHECKPOINT);
    EXPECT(evm_memory_exit_child(mem, zero), EVM_MEMORY_STATUS_STALE_CHECKPOINT);
    EXPECT(evm_memory_exit_child(mem, forged), EVM_MEMORY_STATUS_STALE_CHECKPOINT);
    EXPECT(evm_memory_exit_child_with_return(mem, outer, 0, 0, 0, 0, &copied),
           EVM_MEMORY_STATUS_STALE_CHECKPOINT);
    /* Out-of-bounds regions keep the child open. */
    EXPECT(evm_memory_exit_child_with_return(mem, inner, 0, 1, 0, 0, &copied),
           EVM_MEMORY_STATUS_OUT_OF_BOUNDS);
    EXPECT(evm_memory_read_parent(mem, 0, buf, 1), EVM_MEMORY_STATUS_OUT_OF_BOUNDS);
    EXPECT(evm_memory_set_data_from_parent(mem, 0, 0, 1, 0, 1), EVM_MEMORY_STATUS_OUT_OF_BOUNDS);
    CHECK(copied == 42);
    UNCHANGED(mem, &before);
    inner.depth = 77;
    OK(evm_memory_exit_child(mem, inner));
    EXPECT(evm_memory_exit_child(mem, inner), EVM_MEMORY_STATUS_STALE_CHECKPOINT);

    /* The outer child reads its calldata from the parent's memory. */
    OK(evm_memory_read_parent(mem, 1, buf, 3));
    CHECK(buf[0] == 2 && buf[1] == 3 && buf[2] == 4);
    EXPECT(evm_memory_read_parent(mem, 30, buf, 3), EVM_MEMORY_STATUS_OUT_OF_BOUNDS);
    OK(evm_memory_set_data_from_parent(mem, 0, 1, 6, 0, 4));
    OK(evm_memory_copy_out(mem, 0, buf, 6));
    CHECK(buf[0] == 2 && buf[2] == 4 && buf[3] == 0 && buf[5] == 0);
    /* RETURN 2 bytes into the parent's 4-byte return region at 10. */
    OK(evm_memory_exit_child_with_return(mem, outer, 0, 2, 10, 4, &copied));
    CHECK(copied == 2);
    OK(evm_memory_depth(mem, &depth));
    CHECK(depth == 0);
    OK(evm_memory_copy_out(mem, 9, buf, 4));
    CHECK(buf[0] == 0 && buf[1] == 2 && buf[2] == 3 && buf[3] == 0);
    EXPECT(evm_memory_exit_child(mem, outer), EVM_MEMORY_STATUS_NOT_IN_CHILD_CONTEXT);

    /* A child's writes vanish when it exits. */
    OK(evm_memory_enter_child(mem, &outer));
    OK(evm_memory_store_byte(mem, 0, 0xFF));
    OK(evm_memory_exit_child(mem, outer));
    OK(evm_memory_load_byte(mem, 0, buf));
    CHECK(buf[0] == 1);

    /* Reset closes every child and makes its checkpoint stale. */
    OK(evm_memory_enter_child(mem, &outer));
    OK(evm_memory_reset(mem));
    OK(evm_memory_size(mem, &size));
    OK(evm_memory_depth(mem, &depth));
    CHECK(size == 0 && depth == 0);
    OK(evm_memory_enter_child(mem, &again));
    EXPECT(evm_memory_exit_child(mem, outer), EVM_MEMORY_STATUS_STALE_CHECKPOINT);
    OK(evm_memory_exit_child_with_return(mem, again, SIZE_MAX, 0, SIZE_MAX, 0, NULL));

    OK(evm_memory_destroy(other)); /* with a child still open */
    OK(evm_memory_destroy(mem));
}

/* OUT_OF_MEMORY, provoked by capping the address space so that the allocator fails. */
static int test_out_of_memory(void) {
#ifdef HAVE_RLIMIT_AS
    struct rlimit old, capped;
    EvmMemoryConfig config = {(size_t)1 << 30, EVM_MEMORY_MAX_LIMIT};
    EvmMemory *mem = NULL;
    Snapshot before;

    if (sizeof(size_t) < 8 || getrlimit(RLIMIT_AS, &old) != 0) {
        return 0;
    }
    capped = old;
    capped.rlim_cur = (rlim_t)256 << 20;
    if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < capped.rlim_cur) {
        return 0;
    }
    mem = create(EVM_MEMORY_MAX_LIMIT);
    OK(evm_memory_expand(mem, 0, 32));
    snapshot(mem, &before);
    if (setrlimit(RLIMIT_AS, &capped) != 0) {
        OK(evm_memory_destroy(mem));
        return 0;
    }
    {
        EvmMemory *none = NULL;
        EXPECT(evm_memory_create(&config, &none), EVM_MEMORY_STATUS_OUT_OF_MEMORY);
        CHECK(none == NULL);
        EXPECT(evm_memory_expand(mem, 0, (size_t)1 << 30), EVM_MEMORY_STATUS_OUT_OF_MEMORY);
    }
    CHECK(setrlimit(RLIMIT_AS, &old) == 0);
    UNCHANGED(mem, &before);
    OK(evm_memory_destroy(mem));
    return 1;
#else
    return 0;
#endif
}

int main(void) {
    int s, oom_tested;

    test_status_messages();
    test_create_and_config();
    test_words_bytes_and_copies();
    test_gas();
    test_errors_change_nothing();
    test_child_contexts();
    oom_tested = test_out_of_memory();
    if (!oom_tested) {
        printf("note: OUT_OF_MEMORY not provoked (no RLIMIT_AS on this system)\n");
    }

    for (s = EVM_MEMORY_STATUS_OK; s < EVM_MEMORY_STATUS_PANIC; s++) {
        if (s == EVM_MEMORY_STATUS_OUT_OF_MEMORY && !oom_tested) {
            continue;
        }
        if (!seen[s]) {
            failures++;
            fprintf(stderr, "status %d (%s) was never exercised\n", s,
                    evm_memory_status_message(s));
        }
    }
    if (failures) {
        fprintf(stderr, "api_test: %d of %d checks FAILED\n", failures, checks);
        return 1;
    }
    printf("api_test: all %d checks passed\n", checks);
    return 0;
}
