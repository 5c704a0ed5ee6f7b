//! [`Counts`]: named counts in a fixed order, as the reports' JSON lists them (outcomes, ops by
//! kind, instructions by opcode, ...), shared by every level's results.
//!
//! A helper below every level: it imports no part of the harness.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Counts in a fixed order, serialised as a JSON object in that order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(String, u64)>);

impl Counts {
    /// The count for `key` (0 when absent).
    pub fn get(&self, key: &str) -> u64 {
        self.0.iter().find(|(k, _)| k == key).map_or(0, |(_, v)| *v)
    }

    /// Sum of all counts.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, v)| v).sum()
    }
}

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}
