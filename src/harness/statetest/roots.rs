//! The two hashes a state test's post entry is checked against: the logs hash (keccak-256 of
//! the RLP list of the transaction's logs) and the post-state root (the Merkle–Patricia trie
//! over `keccak(address)` → RLP(nonce, balance, storage root, code hash), each storage root a
//! trie over `keccak(slot)` → RLP(value) of the non-zero slots).

use std::collections::BTreeMap;

use alloy_trie::root::storage_root_unhashed;
use alloy_trie::{HashBuilder, Nibbles, TrieAccount};
use revm_database::{CacheState, PlainAccount};
use revm_primitives::{keccak256, Address, Log, B256, U256};

/// The logs hash of a state test: keccak-256 of the RLP encoding of the list of `logs`.
///
/// No logs (also: a transaction that was rejected) hash to
/// `0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347`, keccak of `0xc0`.
pub fn logs_root(logs: &[Log]) -> B256 {
    let mut rlp = Vec::with_capacity(alloy_rlp::list_length(logs));
    alloy_rlp::encode_list(logs, &mut rlp);
    keccak256(&rlp)
}

/// The state root of `accounts`: the trie over each account's hashed address, its value the
/// account's RLP with the root of its non-zero storage.
pub fn state_root<'a>(accounts: impl IntoIterator<Item = (Address, &'a PlainAccount)>) -> B256 {
    let mut leaves: Vec<(B256, TrieAccount)> = accounts
        .into_iter()
        .map(|(address, account)| {
            let storage = account
                .storage
                .iter()
                .filter(|(_, value)| !value.is_zero())
                .map(|(slot, value)| (B256::from(*slot), *value));
            let leaf = TrieAccount {
                nonce: account.info.nonce,
                balance: account.info.balance,
                storage_root: storage_root_unhashed(storage),
                code_hash: account.info.code_hash,
            };
            (keccak256(address), leaf)
        })
        .collect();
    // The hash builder takes its leaves in key order.
    leaves.sort_unstable_by_key(|(key, _)| *key);
    let mut builder = HashBuilder::default();
    let mut rlp = Vec::new();
    for (key, leaf) in &leaves {
        rlp.clear();
        alloy_rlp::Encodable::encode(leaf, &mut rlp);
        builder.add_leaf(Nibbles::unpack(key), &rlp);
    }
    builder.root()
}

/// The state root of the accounts a [`CacheState`] holds (accounts that do not exist after the
/// transaction are left out).
pub fn cache_state_root(cache: &CacheState) -> B256 {
    state_root(cache.trie_account())
}

/// One account of a post-state, as the state root sees it: what two engines' post-states are
/// compared on when their roots differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostAccount {
    /// The nonce.
    pub nonce: u64,
    /// The balance in wei.
    pub balance: U256,
    /// keccak-256 of the code.
    pub code_hash: B256,
    /// The non-zero storage slots.
    pub storage: BTreeMap<U256, U256>,
}

/// The existing accounts of a [`CacheState`], by address, in the form [`PostAccount`].
pub fn post_accounts(cache: &CacheState) -> BTreeMap<Address, PostAccount> {
    cache
        .trie_account()
        .into_iter()
        .map(|(address, account)| {
            let storage = account
                .storage
                .iter()
                .filter(|(_, value)| !value.is_zero())
                .map(|(slot, value)| (*slot, *value))
                .collect();
            let post = PostAccount {
                nonce: account.info.nonce,
                balance: account.info.balance,
                code_hash: account.info.code_hash,
                storage,
            };
            (address, post)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use revm_primitives::{address, b256, Bytes, LogData};
    use revm_state::AccountInfo;

    const EMPTY_LOGS: B256 =
        b256!("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");
    const EMPTY_TRIE: B256 =
        b256!("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");

    #[test]
    fn empty_logs_and_empty_state_have_the_well_known_roots() {
        assert_eq!(logs_root(&[]), EMPTY_LOGS);
        assert_eq!(state_root(std::iter::empty()), EMPTY_TRIE);
    }

    #[test]
    fn logs_root_is_keccak_of_the_rlp_list() {
        let log = Log {
            address: address!("00000000000000000000000000000000000000aa"),
            data: LogData::new_unchecked(vec![B256::with_last_byte(1)], Bytes::from_static(b"hi")),
        };
        // RLP by hand: [[address, [topic], data]], payloads of 58 and 60 bytes (long lists).
        let mut item = vec![0x94];
        item.extend_from_slice(log.address.as_slice());
        item.extend_from_slice(&[0xe1, 0xa0]);
        item.extend_from_slice(B256::with_last_byte(1).as_slice());
        item.extend_from_slice(&[0x82, b'h', b'i']);
        assert_eq!(item.len(), 58);
        let mut list = vec![0xf8, 60, 0xf8, 58];
        list.extend_from_slice(&item);
        assert_eq!(logs_root(std::slice::from_ref(&log)), keccak256(&list));
        assert_ne!(logs_root(&[log]), EMPTY_LOGS);
    }

    #[test]
    fn state_root_agrees_with_alloy_and_ignores_zero_slots() {
        let mut cache = CacheState::new();
        let code_hash = keccak256([0x60, 0x00]);
        for i in 1..=20u8 {
            let info = AccountInfo {
                balance: U256::from(i) << 64,
                nonce: u64::from(i),
                code_hash: if i % 3 == 0 {
                    code_hash
                } else {
                    revm_primitives::KECCAK_EMPTY
                },
                ..AccountInfo::default()
            };
            let storage = (0..u64::from(i % 4))
                .map(|s| (U256::from(s), U256::from(s * 7)))
                .collect();
            cache.insert_account_with_storage(Address::with_last_byte(i), info, storage);
        }
        let ours = cache_state_root(&cache);
        let reference = alloy_trie::root::state_root_unhashed(
            post_accounts(&cache).into_iter().map(|(address, a)| {
                let storage_root =
                    storage_root_unhashed(a.storage.iter().map(|(k, v)| (B256::from(*k), *v)));
                let account = TrieAccount {
                    nonce: a.nonce,
                    balance: a.balance,
                    storage_root,
                    code_hash: a.code_hash,
                };
                (address, account)
            }),
        );
        assert_eq!(ours, reference);
        assert_ne!(ours, EMPTY_TRIE);
        // Slot 0 of every account holds zero: it is not part of any storage trie.
        assert!(post_accounts(&cache)
            .values()
            .all(|a| !a.storage.contains_key(&U256::ZERO)));
    }
}
