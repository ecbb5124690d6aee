//! Record kind descriptors: the one typed definition from which the store, the UI, the API,
//! the importers and the exporters of every kind of record are driven.
//!
//! A kind is a table with typed columns. Its descriptor names each field with its type, label,
//! help text and flags (required, filterable, sortable, shown in lists, searched by free text),
//! the references to other kinds, and the checks that only this kind needs. Adding a kind is
//! one `KindDef` plus a migration creating its table.

use crate::value::{FieldError, Values};

/// One allowed value of a choice field: a stable key stored in the database and a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub key: &'static str,
    pub label: &'static str,
}

/// The type of a field, which decides its storage, parsing, form input and rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// One line of text, at most `max` characters.
    Text { max: usize },
    /// Several lines of text.
    LongText,
    /// A short identifier: letters, digits, `-` and `_`, stored upper-case.
    Code { max: usize },
    /// A whole number in a range.
    Int { min: i64, max: i64 },
    /// Yes or no (stored 0/1).
    Bool,
    /// One of a fixed list of values.
    Choice(&'static [Choice]),
    /// The id of a record of another kind (by kind name).
    Ref(&'static str),
    /// The ids of any number of records of another kind (by kind name), in order, without
    /// repeats; stored in the child table `<table>_<name>` (`owner_id`, `position`, `ref_id`),
    /// whose foreign key keeps every id pointing at an existing record.
    Refs(&'static str),
    /// An IANA time zone name such as `Europe/Berlin`.
    TimeZone,
    /// A calendar date, stored as `YYYY-MM-DD` text (so text order is date order).
    Date,
    /// A local date and time to the minute (the site's wall clock), stored as
    /// `YYYY-MM-DDTHH:MM` text (so text order is time order).
    DateTime,
    /// A list of IPv4/IPv6 addresses, stored comma-separated.
    IpList,
    /// A list of IP networks in CIDR form (`10.0.0.0/24`), stored comma-separated.
    SubnetList,
    /// A list of MAC addresses, stored comma-separated in `aa:bb:cc:dd:ee:ff` form.
    MacList,
    /// Consequence ratings per category of the risk method, stored as text
    /// `production=3, safety=4` (see `crate::risk::parse_impacts`).
    Impacts,
    /// A checklist: one item per line, `[x] item` when done, `[ ] item` when not (see
    /// `crate::value::checklist_items`).
    Checklist,
    /// An SL vector FR1–FR7, stored as seven integer columns `<name>_fr1` … `<name>_fr7`.
    SlVector,
    /// Communication channels (protocol, port, transport, direction), stored in the child table
    /// `<table>_<name>`.
    Channels,
}

impl FieldType {
    /// Whether values of this type are stored in the kind's own table (all but the child-table
    /// types: channels and reference lists).
    pub fn is_column(&self) -> bool {
        !matches!(self, FieldType::Channels | FieldType::Refs(_))
    }
}

/// How a reference to a site-scoped record must relate to the referring record's site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteRule {
    /// No rule (references to kinds without a site, such as sites themselves).
    None,
    /// The referenced record must belong to the same site.
    SameSite,
    /// Same site, unless the named boolean field of the referring record is true.
    SameSiteUnless(&'static str),
}

/// One field of a kind.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Column name (and key in forms, CSV headers and the JSON API).
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub ty: FieldType,
    pub required: bool,
    /// Offered as an equality filter on lists (`?name=value`).
    pub filterable: bool,
    pub sortable: bool,
    /// Shown as a column of the list page.
    pub in_list: bool,
    /// Matched by the free-text filter `q`.
    pub searchable: bool,
    pub site_rule: SiteRule,
}

impl Field {
    /// A field with defaults: optional, not filterable, not sortable, not listed.
    pub const fn new(name: &'static str, label: &'static str, ty: FieldType) -> Field {
        Field {
            name,
            label,
            help: "",
            ty,
            required: false,
            filterable: false,
            sortable: false,
            in_list: false,
            searchable: false,
            site_rule: SiteRule::None,
        }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }
    pub const fn filter(mut self) -> Self {
        self.filterable = true;
        self
    }
    pub const fn sort(mut self) -> Self {
        self.sortable = true;
        self
    }
    pub const fn list(mut self) -> Self {
        self.in_list = true;
        self
    }
    pub const fn search(mut self) -> Self {
        self.searchable = true;
        self
    }
    pub const fn site_rule(mut self, rule: SiteRule) -> Self {
        self.site_rule = rule;
        self
    }

    /// The kind this field refers to, if it is a reference or a list of references.
    pub fn ref_kind(&self) -> Option<&'static str> {
        match self.ty {
            FieldType::Ref(k) | FieldType::Refs(k) => Some(k),
            _ => None,
        }
    }

    /// The label of a choice key, or the key itself when unknown.
    pub fn choice_label(&self, key: &str) -> Option<&'static str> {
        match self.ty {
            FieldType::Choice(choices) => choices.iter().find(|c| c.key == key).map(|c| c.label),
            _ => None,
        }
    }
}

/// Checks that only one kind needs, run after each field was parsed on its own.
pub type KindCheck = fn(&Values) -> Vec<FieldError>;

/// Checks of a change (values before, values after) that only one kind needs, run by the store
/// on every update: e.g. a zone's SL-T may change only with a new justification.
pub type TransitionCheck = fn(&Values, &Values) -> Vec<FieldError>;

/// The descriptor of a kind of record.
#[derive(Debug)]
pub struct KindDef {
    /// Singular name used in the audit trail and API errors (`asset`).
    pub name: &'static str,
    /// URL segment and API collection name (`assets`).
    pub plural: &'static str,
    pub label: &'static str,
    pub label_plural: &'static str,
    /// Navigation group in the UI (`Assets and zones`).
    pub group: &'static str,
    /// One sentence shown on the empty list: what this kind is for and what to do first.
    pub about: &'static str,
    pub table: &'static str,
    pub fields: &'static [Field],
    /// The field that names a record in lists, links and history (`name`).
    pub title_field: &'static str,
    /// The reference field giving the record's site (`site_id`), or `None` for sites themselves.
    pub site_field: Option<&'static str>,
    /// Sets of fields whose values must be unique together.
    pub unique: &'static [&'static [&'static str]],
    pub default_sort: &'static str,
    pub check: KindCheck,
    /// Checked on update, with the stored values: see [`TransitionCheck`].
    pub transition: Option<TransitionCheck>,
}

impl KindDef {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn list_fields(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.in_list)
    }

    pub fn filter_fields(&self) -> impl Iterator<Item = &'static Field> {
        self.fields.iter().filter(|f| f.filterable)
    }

    /// Whether records of this kind belong to a site.
    pub fn is_site_scoped(&self) -> bool {
        self.site_field.is_some()
    }
}

/// A kind check that finds nothing to complain about.
pub fn no_check(_: &Values) -> Vec<FieldError> {
    Vec::new()
}

/// The error of a state change a kind's workflow does not allow: "a `noun` that is `from`
/// cannot become `to``hint`", with the states' labels.
pub fn step_refused(
    field: &str,
    states: &[Choice],
    noun: &str,
    from: &str,
    to: &str,
    hint: &str,
) -> Vec<FieldError> {
    let label = |k: &str| {
        states
            .iter()
            .find(|c| c.key == k)
            .map_or(k.to_string(), |c| c.label.to_lowercase())
    };
    vec![FieldError::new(
        field,
        format!(
            "a {noun} that is {} cannot become {}{hint}",
            label(from),
            label(to)
        ),
    )]
}
