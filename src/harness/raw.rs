//! The raw-input driver: unstructured bytes drive this crate's [`Memory`] alone through every
//! public call — including misuse (stale and foreign checkpoints, exits at the root, absurd
//! offsets) — and check invariants after each: no panic, every error one the documentation
//! allows, nothing changed by a failed call, the size a multiple of 32, and every byte equal to
//! a plain shadow copy (so bytes past the last write are zero).

use crate::{Checkpoint, Gas, GasMeter, Memory, MemoryConfig, MemoryError};

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
            3 => self.u16() as usize,
            4 => usize::MAX - (self.u8() as usize),
            5 => 0,
            6 => (1usize << 32) + self.u8() as usize,
            _ => self.u16() as usize % 4096,
        }
    }
}

/// The shadow: one plain `Vec` per open context.
struct Shadow {
    contexts: Vec<Vec<u8>>,
}

impl Shadow {
    fn top(&mut self) -> &mut Vec<u8> {
        self.contexts.last_mut().expect("root context")
    }

    fn grow(&mut self, end: usize) {
        let size = end.div_ceil(32) * 32;
        let top = self.top();
        if size > top.len() {
            top.resize(size, 0);
        }
    }
}

fn assert_same(memory: &Memory, shadow: &Shadow, what: &str) {
    let size = memory.size();
    assert_eq!(size % 32, 0, "{what}: size {size} is not a multiple of 32");
    let expected: Vec<u8> = shadow.contexts.concat();
    assert_eq!(
        memory.all_contexts(),
        &expected[..],
        "{what}: memory differs from the shadow"
    );
    let sizes: Vec<usize> = shadow.contexts.iter().map(Vec::len).collect();
    assert_eq!(
        memory.context_sizes().collect::<Vec<_>>(),
        sizes,
        "{what}: context sizes"
    );
    assert_eq!(
        memory.memory_cost(),
        crate::memory_gas_cost((size / 32) as u64),
        "{what}: cached cost"
    );
}

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
    };
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
        let result: Result<(), MemoryError> = match tag {
            // Every other step, the word, byte, copy and read accesses go through the gas-aware
            // ops, with a budget taken from the offset's low bits (so some run out of gas).
            0 => {
                let (o, w) = (input.usize(), [input.u8(); 32]);
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
                let data: Vec<u8> = (0..input.u8()).collect();
                let r = if gas_ops {
                    charged(&mut memory, o, l, |m, g| {
                        m.set_data_with_gas(o, from, l, &data, g)
                    })
                } else {
                    memory.set_data(o, from, l, &data)
                };
                r.map(|()| {
                    if l > 0 {
                        shadow.grow(o + l);
                        for i in 0..l {
                            let v = from.checked_add(i).and_then(|p| data.get(p)).copied();
                            shadow.top()[o + i] = v.unwrap_or(0);
                        }
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
                shadow.contexts.push(Vec::new());
            }),
            7 => match checkpoints.pop() {
                Some(cp) => memory.exit_child(cp).map(|()| {
                    shadow.contexts.pop();
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
                let parent = shadow
                    .contexts
                    .len()
                    .checked_sub(2)
                    .map(|i| shadow.contexts[i].clone());
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
                        for i in 0..l {
                            let v = if from.saturating_add(i) < pl {
                                parent[po + from + i]
                            } else {
                                0
                            };
                            shadow.top()[o + i] = v;
                        }
                    }
                })
            }
            11 => match checkpoints.last().copied() {
                Some(cp) => {
                    let (ro, rl, d, dl) =
                        (input.usize(), input.usize(), input.usize(), input.usize());
                    memory.exit_child_with_return(cp, ro, rl, d, dl).map(|n| {
                        let child = shadow.contexts.pop().expect("child");
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
                    shadow.contexts = vec![Vec::new()];
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
        assert_same(
            &memory,
            &shadow,
            &format!("after op tag {tag} (step {steps})"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
