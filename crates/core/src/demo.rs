//! Deterministic demo plant generator (being written).
