//! The raw-input driver: unstructured bytes drive this crate's [`Memory`] alone through every
//! public call — including misuse (stale and foreign checkpoints, exits at the root, absurd
//! offsets) — and check invariants after each: no panic, every error one the documentation
//! allows, nothing changed by a failed call, the size a multiple of 32, the cached cost the
//! reference model's formula, and every byte equal to a plain shadow copy (so bytes past the
//! last write are zero). Bytes are compared where a call could have changed them after every
//! call, and in full every 64 calls, before a context exits, after a reset and at the end.
//!
//! It lives at the top of the harness, beside [`c_api`](super::c_api), rather than in the op
//! level ([`ops`](super::ops)): it runs no case and compares no engines, but drives one
//! implementation alone from raw bytes (the `memory_raw` fuzz target); it borrows only the
//! op level's region clipping and the reference model's cost formula.

use std::ops::Range;

use crate::harness::ops::engine::clip;
use crate::harness::ops::engines::model_memory_cost;
use crate::{Checkpoint, Gas, GasMeter, Memory, MemoryConfig, MemoryError, MemoryPricing};

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    /// An offset or length, biased to small values, word edges and overflow.
    fn usize(&mut self) -> usize {
        match self.u8() % 8 {
            0 | 1 => self.u8() as usize,
            2 => (self.u8() as usize % 64) * 32 + (self.u8() as usize % 3).saturating_sub(1),
            U16_SELECTOR => self.u16() as usize,
            4 => usize::MAX - (self.u8() as usize),
            5 => 0,
            6 => (1usize << 32) + self.u8() as usize,
            _ => self.u16() as usize % 4096,
        }
    }
}

/// The selector (`% 8`) of an offset or length spelled as a `u16`.
const U16_SELECTOR: u8 = 3;

/// The `memory_raw` fuzz dictionary: the word edges and size classes below 2^16 of
/// [`magic_values`](crate::harness::ops::generate::magic_values), spelled as an offset or length is
/// read here (the selector of the `u16` form, then the value). The other values the target
/// needs (near `usize::MAX`, past 2^32) have selectors of their own.
pub fn dictionary() -> Vec<(String, Vec<u8>)> {
    crate::harness::ops::generate::magic_values()
        .into_iter()
        .filter(|(_, v)| *v <= crate::U256::from(u16::MAX))
        .map(|(name, v)| {
            let mut bytes = vec![U16_SELECTOR];
            bytes.extend_from_slice(&v.to::<u16>().to_le_bytes());
            (format!("size_{name}"), bytes)
        })
        .collect()
}

/// The shadow: one plain `Vec` per open context.
struct Shadow {
    contexts: Vec<Vec<u8>>,
    /// Bytes of every open context together.
    total: usize,
}

impl Shadow {
    fn top(&mut self) -> &mut Vec<u8> {
        self.contexts.last_mut().expect("root context")
    }

    fn grow(&mut self, end: usize) {
        let size = end.div_ceil(32) * 32;
        let top = self.top();
        if size > top.len() {
            let grown = size - top.len();
            top.resize(size, 0);
            self.total += grown;
        }
    }

    fn push(&mut self) {
        self.contexts.push(Vec::new());
    }

    fn pop(&mut self) -> Vec<u8> {
        let child = self.contexts.pop().expect("child");
        self.total -= child.len();
        child
    }

    fn reset(&mut self) {
        self.contexts = vec![Vec::new()];
        self.total = 0;
    }
}

/// The memory's cached cost of a context of `size` bytes, by the reference model's formula
/// (mainnet's pricing, exact), not by this crate's own.
fn model_cost(size: usize) -> u128 {
    model_memory_cost(MemoryPricing::MAINNET, (size / 32) as u128)
}

/// What every step checks, in O(1) and the bytes it may have changed: the size (a multiple of
/// 32), depth, total size and cached cost, and the bytes of `touched` (ranges of the current
/// context, clipped to it) against the shadow.
fn check_step(memory: &Memory, shadow: &Shadow, touched: &[Range<usize>], what: &At) {
    let size = memory.size();
    let top = shadow.contexts.last().expect("root context");
    assert_eq!(size % 32, 0, "{what}: size {size} is not a multiple of 32");
    assert_eq!(size, top.len(), "{what}: size differs from the shadow's");
    assert_eq!(memory.depth() + 1, shadow.contexts.len(), "{what}: depth");
    assert_eq!(
        memory.all_contexts().len(),
        shadow.total,
        "{what}: total size"
    );
    assert_eq!(
        memory.memory_cost() as u128,
        model_cost(size),
        "{what}: cached cost"
    );
    let bytes = memory.as_slice();
    for range in touched {
        let range = clip(range.clone(), size);
        assert!(
            bytes[range.clone()] == top[range.clone()],
            "{what}: bytes {range:?} differ from the shadow's"
        );
    }
}

/// Every open context's size and bytes against the shadow (after [`check_step`]).
fn assert_same(memory: &Memory, shadow: &Shadow, what: &At) {
    let all = memory.all_contexts();
    let mut start = 0;
    let mut sizes = memory.context_sizes();
    for (depth, context) in shadow.contexts.iter().enumerate() {
        let size = sizes.next();
        assert_eq!(size, Some(context.len()), "{what}: size of context {depth}");
        assert!(
            all[start..start + context.len()] == context[..],
            "{what}: context {depth} differs from the shadow"
        );
        start += context.len();
    }
    assert_eq!(sizes.next(), None, "{what}: more contexts than the shadow");
}

/// Where a check is made, for its messages (formatted only when one fails).
enum At {
    Before(u8, usize),
    After(u8, usize),
    End,
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Before(tag, step) => write!(f, "before op tag {tag} (step {step})"),
            Self::After(tag, step) => write!(f, "after op tag {tag} (step {step})"),
            Self::End => f.write_str("at the end"),
        }
    }
}

/// The bytes 0, 1, 2, …: the data a `set_data` of the driver copies from (a prefix of it).
const COUNTING: [u8; 255] = {
    let mut bytes = [0u8; 255];
    let mut i = 0;
    while i < 255 {
        bytes[i] = i as u8;
        i += 1;
    }
    bytes
};

/// Fills `out` with `data[from..]`, zeros past its end (`set_data`'s rule).
fn padded(out: &mut [u8], data: &[u8], from: usize) {
    out.fill(0);
    if from < data.len() {
        let n = (data.len() - from).min(out.len());
        out[..n].copy_from_slice(&data[from..from + n]);
    }
}

/// Every how many steps the driver compares every context in full (it also does before a
/// context exits, after a reset and at the end): a bound on how long a stray write goes unseen.
const FULL_CHECK_EVERY: usize = 64;

/// Runs a gas-aware op on `memory` with a budget of `offset`'s low 16 bits and checks it
/// charged exactly what [`Memory::expansion_cost`] priced beforehand, or nothing on error.
fn charged(
    memory: &mut Memory,
    offset: usize,
    len: usize,
    op: impl FnOnce(&mut Memory, &mut Gas) -> Result<(), MemoryError>,
) -> Result<(), MemoryError> {
    let priced = memory.expansion_cost(offset, len);
    let mut gas = Gas::new(offset as u64 & 0xFFFF);
    let before = gas.remaining();
    let result = op(memory, &mut gas);
    match (&result, priced) {
        (Ok(()), Ok(cost)) => {
            assert_eq!(before - gas.remaining(), cost, "charged({offset}, {len})")
        }
        (Ok(()), Err(e)) => panic!("op at {offset} succeeded where pricing failed with {e:?}"),
        (Err(_), _) => assert_eq!(gas.remaining(), before, "meter changed on error"),
    }
    result
}

/// Drives a memory with `data` and panics with a description on any broken invariant.
///
/// # Panics
/// When an invariant breaks (that is, on a bug in the memory).
pub fn drive_raw(data: &[u8]) {
    let mut input = Bytes(data);
    // Limits stay at 16 MiB or below: nothing here is charged gas, and a 4 GiB limit would let
    // one access allocate 4 GiB (a correct but useless thing for a fuzzer to do).
    let limit = match input.u8() % 4 {
        0 => 1 << 24,
        1 => 1 + input.u16() as u64,
        2 => 32 * (1 + input.u8() as u64 % 64),
        _ => 1 << 20,
    };
    let Ok(mut memory) = Memory::new(MemoryConfig::with_limit(limit)) else {
        panic!("a valid config was rejected: limit {limit}");
    };
    let mut shadow = Shadow {
        contexts: vec![Vec::new()],
        total: 0,
    };
    // What each step may have changed of the current context.
    let mut touched: Vec<Range<usize>> = Vec::new();
    let mut checkpoints: Vec<Checkpoint> = Vec::new();
    let mut stale: Vec<Checkpoint> = Vec::new();
    let mut foreign_memory = Memory::default();
    let foreign = foreign_memory.enter_child().ok();
    let mut steps = 0;
    while !input.0.is_empty() && steps < 2048 {
        steps += 1;
        let tag = input.u8() % 16;
        let gas_ops = steps % 2 == 0;
        let before_total = memory.all_contexts().len();
        let before_cost = memory.memory_cost();
        let (before_size, before_depth) = (memory.size(), memory.depth());
        touched.clear();
        if matches!(tag, 7 | 11 | 14) {
            // A context may end: compare it (and every other) while it is there.
            assert_same(&memory, &shadow, &At::Before(tag, steps));
        }
        let result: Result<(), MemoryError> = match tag {
            // Every other step, the word, byte, copy and read accesses go through the gas-aware
            // ops, with a budget taken from the offset's low bits (so some run out of gas).
            0 => {
                let (o, w) = (input.usize(), [input.u8(); 32]);
                touched.push(o..o.saturating_add(32));
                let r = if gas_ops {
                    charged(&mut memory, o, 32, |m, g| {
                        m.store_u256_with_gas(o, crate::U256::from_be_bytes(w), g)
                    })
                } else {
                    memory.store_word(o, &w)
                };
                r.map(|()| {
                    shadow.grow(o + 32);
                    shadow.top()[o..o + 32].copy_from_slice(&w);
                })
            }
            1 => {
                let (o, b) = (input.usize(), input.u8());
                touched.push(o..o.saturating_add(1));
                let r = if gas_ops {
                    charged(&mut memory, o, 1, |m, g| m.store_byte_with_gas(o, b, g))
                } else {
                    memory.store_byte(o, b)
                };
                r.map(|()| {
                    shadow.grow(o + 1);
                    shadow.top()[o] = b;
                })
            }
            2 => {
                let o = input.usize();
                let r = if gas_ops {
                    let mut word = [0; 32];
                    charged(&mut memory, o, 32, |m, g| {
                        word = m.load_u256_with_gas(o, g)?.to_be_bytes::<32>();
                        Ok(())
                    })
                    .map(|()| word)
                } else {
                    memory.load_word(o)
                };
                r.map(|w| {
                    shadow.grow(o + 32);
                    assert_eq!(&w[..], &shadow.top()[o..o + 32], "load_word({o})");
                })
            }
            3 => {
                let (d, s, l) = (input.usize(), input.usize(), input.usize() % 8192);
                touched.push(d..d.saturating_add(l));
                let r = if gas_ops {
                    charged(&mut memory, d.max(s), l, |m, g| m.copy_with_gas(d, s, l, g))
                } else {
                    memory.copy(d, s, l)
                };
                r.map(|()| {
                    if l > 0 {
                        shadow.grow(d.max(s) + l);
                        shadow.top().copy_within(s..s + l, d);
                    }
                })
            }
            4 => {
                let (o, from, l) = (input.usize(), input.usize(), input.usize() % 8192);
                touched.push(o..o.saturating_add(l));
                let data = &COUNTING[..input.u8() as usize];
                let r = if gas_ops {
                    charged(&mut memory, o, l, |m, g| {
                        m.set_data_with_gas(o, from, l, data, g)
                    })
                } else {
                    memory.set_data(o, from, l, data)
                };
                r.map(|()| {
                    if l > 0 {
                        shadow.grow(o + l);
                        padded(&mut shadow.top()[o..o + l], data, from);
                    }
                })
            }
            5 if gas_ops => {
                let (o, l) = (input.usize(), input.usize());
                let mut seen = Vec::new();
                charged(&mut memory, o, l, |m, g| {
                    seen = m.slice_with_gas(o, l, g)?.to_vec();
                    Ok(())
                })
                .map(|()| {
                    if l > 0 {
                        shadow.grow(o + l);
                    }
                    let expected = shadow.top().get(o..o + l).unwrap_or(&[]);
                    assert_eq!(&seen[..], expected, "slice_with_gas({o}, {l})");
                })
            }
            5 => {
                let (o, l) = (input.usize(), input.usize());
                let expected = shadow.top().get(o..o.saturating_add(l)).map(<[u8]>::to_vec);
                match memory.slice(o, l) {
                    Ok(s) if l == 0 => {
                        assert!(s.is_empty());
                        Ok(())
                    }
                    Ok(s) => {
                        assert_eq!(Some(s.to_vec()), expected, "slice({o}, {l})");
                        Ok(())
                    }
                    Err(e) => {
                        assert!(
                            expected.is_none() || o.checked_add(l).is_none(),
                            "slice({o}, {l}) failed in bounds"
                        );
                        Err(e)
                    }
                }
            }
            6 => memory.enter_child().map(|cp| {
                checkpoints.push(cp);
                shadow.push();
            }),
            7 => match checkpoints.pop() {
                Some(cp) => memory.exit_child(cp).map(|()| {
                    shadow.pop();
                    stale.push(cp);
                }),
                None => {
                    let r = memory.exit_child(
                        stale
                            .last()
                            .copied()
                            .or(foreign)
                            .unwrap_or_else(|| panic!("no checkpoint to misuse")),
                    );
                    assert!(r.is_err(), "exit at the root succeeded");
                    r
                }
            },
            8 => {
                let cp = stale.last().copied().or(foreign);
                match cp {
                    Some(cp) => {
                        let r = memory.exit_child(cp);
                        assert!(r.is_err(), "a stale or foreign checkpoint was accepted");
                        r
                    }
                    None => Ok(()),
                }
            }
            9 => {
                let (o, l, mut g) = (input.usize(), input.usize(), Gas::new(input.u16() as u64));
                let before = g.remaining();
                match memory.expand_with_gas(o, l, &mut g) {
                    Ok(charged) => {
                        assert_eq!(before - g.remaining(), charged, "charged vs meter");
                        if l > 0 {
                            shadow.grow(o + l);
                        }
                        Ok(())
                    }
                    Err(e) => {
                        assert_eq!(g.remaining(), before, "meter changed on error");
                        Err(e)
                    }
                }
            }
            10 => {
                let (po, pl) = (input.usize(), input.usize() % 512);
                let (o, from, l) = (input.usize(), input.usize(), input.usize() % 1024);
                touched.push(o..o.saturating_add(l));
                let parent = shadow.contexts.len().checked_sub(2);
                let r = if gas_ops {
                    charged(&mut memory, o, l, |m, g| {
                        m.set_data_from_parent_with_gas(o, from, l, po, pl, g)
                    })
                } else {
                    memory.set_data_from_parent(o, from, l, po, pl)
                };
                r.map(|()| {
                    let parent = parent.expect("succeeded at the root");
                    if l > 0 {
                        shadow.grow(o + l);
                        let (below, top) = shadow.contexts.split_at_mut(parent + 1);
                        // An empty parent region may lie anywhere.
                        let region = if pl == 0 {
                            &[][..]
                        } else {
                            &below[parent][po..po + pl]
                        };
                        padded(&mut top[top.len() - 1][o..o + l], region, from);
                    }
                })
            }
            11 => match checkpoints.last().copied() {
                Some(cp) => {
                    let (ro, rl, d, dl) =
                        (input.usize(), input.usize(), input.usize(), input.usize());
                    // In the parent, current once the child exits.
                    touched.push(d..d.saturating_add(rl.min(dl)));
                    memory.exit_child_with_return(cp, ro, rl, d, dl).map(|n| {
                        let child = shadow.pop();
                        checkpoints.pop();
                        stale.push(cp);
                        assert_eq!(n, rl.min(dl));
                        if n > 0 {
                            shadow.top()[d..d + n].copy_from_slice(&child[ro..ro + n]);
                        }
                    })
                }
                None => Ok(()),
            },
            12 => {
                let (o, l) = (input.usize(), input.usize());
                let cost = memory.expansion_cost(o, l);
                if let Ok(c) = cost {
                    let mut g = Gas::new(u64::MAX);
                    if memory.expand_with_gas(o, l, &mut g).is_ok() {
                        assert_eq!(u64::MAX - g.remaining(), c, "expansion_cost({o}, {l})");
                        if l > 0 {
                            shadow.grow(o + l);
                        }
                    }
                }
                Ok(())
            }
            13 => {
                let (o, n) = (input.usize(), input.u8() as usize);
                touched.push(o..o.saturating_add(n));
                let data = vec![input.u8(); n];
                memory.copy_from_slice(o, &data).map(|()| {
                    if n > 0 {
                        shadow.grow(o + n);
                        shadow.top()[o..o + n].copy_from_slice(&data);
                    }
                })
            }
            14 => {
                if input.u8() < 8 {
                    memory.reset();
                    stale.append(&mut checkpoints);
                    shadow.reset();
                }
                Ok(())
            }
            _ => {
                let o = input.usize();
                memory.load_byte(o).map(|b| {
                    shadow.grow(o + 1);
                    assert_eq!(b, shadow.top()[o], "load_byte({o})");
                })
            }
        };
        if let Err(e) = result {
            assert!(
                !matches!(e, MemoryError::InvalidConfig(_)),
                "unexpected error {e:?} from op tag {tag}"
            );
            assert_eq!(
                memory.all_contexts().len(),
                before_total,
                "size changed on error {e:?}"
            );
            assert_eq!(
                memory.memory_cost(),
                before_cost,
                "cost changed on error {e:?}"
            );
        }
        if memory.depth() == before_depth && memory.size() > before_size {
            touched.push(before_size..memory.size());
        }
        let what = At::After(tag, steps);
        check_step(&memory, &shadow, &touched, &what);
        if steps % FULL_CHECK_EVERY == 0 || tag == 14 {
            assert_same(&memory, &shadow, &what);
        }
    }
    assert_same(&memory, &shadow, &At::End);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_spells_what_the_reader_reads() {
        for (name, bytes) in dictionary() {
            let want = crate::harness::ops::generate::magic_values()
                .into_iter()
                .find(|(n, _)| format!("size_{n}") == name)
                .map(|(_, v)| v.to::<usize>())
                .unwrap();
            assert_eq!(Bytes(&bytes).usize(), want, "{name}");
        }
    }

    #[test]
    fn random_inputs_hold_the_invariants() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for len in 0..300usize {
            let data: Vec<u8> = (0..len * 4)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            drive_raw(&data);
        }
    }
}
