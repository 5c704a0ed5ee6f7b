//! Number formatting shared by every report (`thousands`), whatever level it renders.
//!
//! A helper below every level: it imports no part of the harness.

/// `n` with thousands separators (`1,234,567`).
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
