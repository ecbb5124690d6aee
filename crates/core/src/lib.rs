//! Domain types and rules of otkeep, free of I/O.
//!
//! - [`access`]: roles, site-scoped grants and what they allow.
//! - [`catalog`]: IEC 62443 requirement catalogs (3-3 built in) and the requirements in force.
//! - [`gap`]: SL-A per foundational requirement and the gap, as pure functions.
//! - [`kind`]: the descriptor of a kind of record, from which all generic machinery works.
//! - [`kinds`]: the kinds otkeep keeps (sites, zones, conduits, assets) and their registry.
//! - [`model`]: model rules over zones, conduits and assets (the `otkeep check` findings).
//! - [`value`]: typed values, records and the total parsers from text and JSON.
//! - [`sl`]: IEC 62443 security level vectors.
//! - [`demo`]: the deterministic demo plant generator.

pub mod access;
pub mod account_kinds;
pub mod advisory;
pub mod catalog;
pub mod config_kinds;
pub mod demo;
pub mod doc_kinds;
pub mod due;
pub mod firewall;
pub mod firmware;
pub mod gap;
pub mod gov_kinds;
pub mod incident_kinds;
pub mod kind;
pub mod kinds;
pub mod kpi;
pub mod model;
pub mod ops_kinds;
pub mod ops_kpi;
pub mod patch_kinds;
pub mod reconcile;
pub mod remote_kinds;
pub mod risk;
pub mod risk_kinds;
pub mod sbom;
pub mod sl;
pub mod supplier_kinds;
pub mod validation_kinds;
pub mod value;

pub use kind::{Field, FieldType, KindDef};
pub use kinds::{KINDS, kind, kind_by_plural};
pub use sl::SlVector;
pub use value::{Channel, FieldError, Record, Value, Values};
