//! What the runner does not run, and why: files skipped by name (the files revm's own runner
//! skips), forks revm does not run, and cases whose transaction cannot be built although the
//! file expects just that. Every skip is counted and carries one of these reasons in the report.

use revm_statetest_types::SpecName;

/// Reason: the fork is Constantinople (or the transition into it).
pub const CONSTANTINOPLE: &str = "Constantinople: never activated on mainnet (its EIP-1283 \
    SSTORE metering was withdrawn and ConstantinopleFix/Petersburg shipped instead); revm has no \
    such spec and its runner skips it";

/// Reason: the fork name under `post` is not one revm knows.
pub const UNKNOWN_FORK: &str = "unknown fork: the name under `post` is not a fork revm 43 runs";

/// Reason: the transaction cannot be built and the file expects an exception.
pub const TX_NOT_BUILDABLE: &str = "the transaction cannot be built (no secret key, or a type \
    that cannot be derived) and the file expects an exception: there is nothing to execute";

/// Reason for the files whose pre-state gives storage to an address the transaction creates.
const CREATE_COLLISION: &str = "the pre-state gives storage to an address the transaction then \
    CREATEs into (EIP-7610 collision), which revm's state does not model; revm's runner skips \
    these files";

/// Reason for the files with a value that does not fit its type.
const MALFORMED_VALUE: &str = "a value in the file does not fit 256 bits (malformed on purpose \
    for clients that parse RLP); revm's runner skips these files";

/// Reason for the files that pass but take minutes.
const SLOW: &str = "passes, but takes minutes to run; revm's runner skips these files";

/// The files skipped by name, with the reason of each.
pub const SKIPPED_FILES: &[(&str, &str)] = &[
    ("RevertInCreateInInit_Paris.json", CREATE_COLLISION),
    ("RevertInCreateInInit.json", CREATE_COLLISION),
    ("dynamicAccountOverwriteEmpty.json", CREATE_COLLISION),
    ("dynamicAccountOverwriteEmpty_Paris.json", CREATE_COLLISION),
    ("RevertInCreateInInitCreate2Paris.json", CREATE_COLLISION),
    ("create2collisionStorage.json", CREATE_COLLISION),
    ("RevertInCreateInInitCreate2.json", CREATE_COLLISION),
    ("create2collisionStorageParis.json", CREATE_COLLISION),
    ("InitCollision.json", CREATE_COLLISION),
    ("InitCollisionParis.json", CREATE_COLLISION),
    ("test_init_collision_create_opcode.json", CREATE_COLLISION),
    ("ValueOverflow.json", MALFORMED_VALUE),
    ("ValueOverflowParis.json", MALFORMED_VALUE),
    ("Call50000_sha256.json", SLOW),
    ("static_Call50000_sha256.json", SLOW),
    ("loopMul.json", SLOW),
    ("CALLBlake2f_MaxRounds.json", SLOW),
];

/// Files under a folder with this in its path are skipped for [`CREATE_COLLISION`].
const SKIPPED_FOLDER: &str = "paris/eip7610_create_collision/";

/// Why the file called `name` (its report name, `/`-separated) is skipped, if it is.
pub fn skipped_file(name: &str) -> Option<&'static str> {
    if name.contains(SKIPPED_FOLDER) {
        return Some(CREATE_COLLISION);
    }
    let file_name = name.rsplit('/').next().unwrap_or(name);
    SKIPPED_FILES
        .iter()
        .find(|(skipped, _)| *skipped == file_name)
        .map(|(_, reason)| *reason)
}

/// Why a fork is not run, if it is not: [`SpecName::to_spec_id`] has no spec for these.
pub fn skipped_fork(fork: &SpecName) -> Option<&'static str> {
    match fork {
        SpecName::Constantinople | SpecName::ByzantiumToConstantinopleAt5 => Some(CONSTANTINOPLE),
        SpecName::Unknown => Some(UNKNOWN_FORK),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_skipped_by_file_name_or_folder_only() {
        assert_eq!(skipped_file("a/b/loopMul.json"), Some(SLOW));
        assert_eq!(skipped_file("loopMul.json"), Some(SLOW));
        assert_eq!(skipped_file("a/loopMul.json.bak"), None);
        assert_eq!(skipped_file("a/xloopMul.json"), None);
        assert_eq!(
            skipped_file("Pyspecs/paris/eip7610_create_collision/x.json"),
            Some(CREATE_COLLISION)
        );
        assert_eq!(skipped_file("stMemoryTest/mload8bitBound.json"), None);
    }

    #[test]
    fn forks_without_a_spec_are_skipped_and_the_others_map() {
        assert!(skipped_fork(&SpecName::Constantinople).is_some());
        assert!(skipped_fork(&SpecName::ByzantiumToConstantinopleAt5).is_some());
        assert_eq!(skipped_fork(&SpecName::Unknown), Some(UNKNOWN_FORK));
        for fork in [SpecName::Frontier, SpecName::Cancun, SpecName::Prague] {
            assert!(skipped_fork(&fork).is_none());
            // No panic for a fork that is not skipped.
            let _ = fork.to_spec_id();
        }
    }
}
