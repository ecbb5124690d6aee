//! Who may do what, where: built-in roles, site-scoped grants, and the scopes they yield.
//!
//! This is pure policy, shared by the server, the API and the CLI. A user holds [`Grant`]s: a
//! [`Role`] on one site, or on all sites. [`Access`] combines a user's grants (and, for an API
//! token, its scope) and answers questions such as "which records of this kind may they read?"
//! ([`Access::read_scope`]) or "may they write a record of site 7?" ([`Access::may`]).
//! Anything not granted is refused: there is no implicit access.

use crate::kind::KindDef;
use crate::value::Record;

/// The built-in roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything, everywhere, including accounts and grants.
    Admin,
    /// Reads and writes every site's records, reads the audit trail, signs.
    ProgramOwner,
    /// Reads and writes records of the granted sites, signs.
    SiteEngineer,
    /// Reads records of the granted sites and may raise requests there.
    Operator,
    /// Reads records of the granted sites, including history and the audit trail; signs reviews.
    Auditor,
    /// Sees only the assets it is granted (and, later, its own requests).
    Vendor,
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    Read,
    Write,
    /// Read the audit trail beyond one record's history.
    Audit,
    /// Sign records electronically.
    Sign,
    /// Raise requests (changes, remote access) for review.
    Request,
    /// Manage accounts, grants and other users' tokens.
    ManageUsers,
}

pub const ROLES: &[Role] = &[
    Role::Admin,
    Role::ProgramOwner,
    Role::SiteEngineer,
    Role::Operator,
    Role::Auditor,
    Role::Vendor,
];

impl Role {
    pub fn key(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ProgramOwner => "program_owner",
            Role::SiteEngineer => "site_engineer",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
            Role::Vendor => "vendor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::ProgramOwner => "Program owner",
            Role::SiteEngineer => "Site engineer",
            Role::Operator => "Operator",
            Role::Auditor => "Auditor",
            Role::Vendor => "Vendor",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        ROLES.iter().copied().find(|r| r.key() == key)
    }

    /// Roles that always cover every site.
    pub fn is_global(self) -> bool {
        matches!(self, Role::Admin | Role::ProgramOwner)
    }

    pub fn has(self, cap: Capability) -> bool {
        use Capability::*;
        match self {
            Role::Admin => true,
            Role::ProgramOwner => matches!(cap, Read | Write | Audit | Sign | Request),
            Role::SiteEngineer => matches!(cap, Read | Write | Sign | Request),
            Role::Operator => matches!(cap, Read | Request),
            Role::Auditor => matches!(cap, Read | Audit | Sign),
            Role::Vendor => matches!(cap, Read | Request),
        }
    }
}

/// One role held by a user: on one site, or on all sites (`site: None`). A vendor grant names
/// the one asset it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub site: Option<i64>,
    pub asset: Option<i64>,
}

impl Grant {
    /// Checks the shape of a grant: global roles take no site, vendors need an asset.
    pub fn validate(&self) -> Result<(), String> {
        match (self.role, self.site, self.asset) {
            (r, Some(_), _) if r.is_global() => Err(format!(
                "the {} role covers every site; do not name a site",
                r.label().to_lowercase()
            )),
            (Role::Vendor, _, None) => {
                Err("a vendor grant names the asset the vendor may see".into())
            }
            (r, _, Some(_)) if r != Role::Vendor => {
                Err("only vendor grants name an asset; grant other roles on a site".into())
            }
            _ => Ok(()),
        }
    }
}

/// Which records of one kind someone may see: all, or those of some sites plus some records
/// named one by one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    All,
    Limited {
        sites: Vec<i64>,
        records: Vec<i64>,
    },
}

impl Scope {
    pub fn nothing() -> Scope {
        Scope::Limited {
            sites: Vec::new(),
            records: Vec::new(),
        }
    }

    pub fn is_nothing(&self) -> bool {
        matches!(self, Scope::Limited { sites, records } if sites.is_empty() && records.is_empty())
    }

    /// Whether a record with this id and site falls in the scope.
    pub fn covers(&self, id: i64, site: Option<i64>) -> bool {
        match self {
            Scope::All => true,
            Scope::Limited { sites, records } => {
                records.contains(&id) || site.is_some_and(|s| sites.contains(&s))
            }
        }
    }

    /// Whether the scope covers every record of `site` (or, for `None`, of every site).
    pub fn covers_site(&self, site: Option<i64>) -> bool {
        match (self, site) {
            (Scope::All, _) => true,
            (Scope::Limited { sites, .. }, Some(s)) => sites.contains(&s),
            (Scope::Limited { .. }, None) => false,
        }
    }

    fn add(&mut self, site: Option<i64>, record: Option<i64>) {
        let Scope::Limited { sites, records } = self else {
            return;
        };
        match (site, record) {
            (None, None) => *self = Scope::All,
            (_, Some(r)) => {
                if !records.contains(&r) {
                    records.push(r);
                }
            }
            (Some(s), None) => {
                if !sites.contains(&s) {
                    sites.push(s);
                }
            }
        }
    }
}

/// What one user (through one session or token) may do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Access {
    pub grants: Vec<Grant>,
    /// A read-only API token: every capability but reading is withheld.
    pub read_only: bool,
}

impl Access {
    pub fn new(grants: Vec<Grant>, read_only: bool) -> Access {
        Access { grants, read_only }
    }

    fn grants_with(&self, cap: Capability) -> impl Iterator<Item = &Grant> {
        let withheld = self.read_only && cap != Capability::Read && cap != Capability::Audit;
        self.grants
            .iter()
            .filter(move |g| !withheld && g.role.has(cap))
    }

    /// Whether any grant carries `cap` somewhere (route-level check; the record-level check
    /// follows in the handler).
    pub fn has(&self, cap: Capability) -> bool {
        self.grants_with(cap).next().is_some()
    }

    /// Where `cap` applies, by site; vendor grants count for reading assets only (see
    /// [`Access::read_scope`]).
    pub fn sites_with(&self, cap: Capability) -> Scope {
        let mut scope = Scope::nothing();
        for g in self.grants_with(cap).filter(|g| g.role != Role::Vendor) {
            let site = if g.role.is_global() { None } else { g.site };
            scope.add(site, None);
        }
        scope
    }

    /// Whether `cap` applies to records of `site` (`None`: records outside any site, such as
    /// a new site, which need the capability on all sites).
    pub fn may(&self, cap: Capability, site: Option<i64>) -> bool {
        self.sites_with(cap).covers_site(site)
    }

    /// The records of `kind` this user may read.
    pub fn read_scope(&self, kind: &KindDef) -> Scope {
        let mut scope = self.sites_with(Capability::Read);
        if kind.name == "asset" {
            for g in self
                .grants_with(Capability::Read)
                .filter(|g| g.role == Role::Vendor)
            {
                scope.add(None, g.asset);
            }
        }
        if !kind.is_site_scoped() && kind.name != "site" && scope != Scope::All {
            // Records outside any site are for those who see every site.
            return Scope::nothing();
        }
        scope
    }

    pub fn can_read(&self, record: &Record) -> bool {
        self.read_scope(record.kind)
            .covers(record.id, record.site_id())
    }

    /// Whether the user may write somewhere (to offer "New" and "Edit" buttons).
    pub fn can_write_somewhere(&self) -> bool {
        !self.sites_with(Capability::Write).is_nothing()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{ASSET_KIND, SITE_KIND, ZONE_KIND};

    fn on(role: Role, site: Option<i64>) -> Grant {
        Grant {
            role,
            site,
            asset: None,
        }
    }

    #[test]
    fn site_roles_see_and_write_only_their_sites() {
        let eng = Access::new(vec![on(Role::SiteEngineer, Some(1))], false);
        assert!(eng.may(Capability::Write, Some(1)));
        assert!(!eng.may(Capability::Write, Some(2)));
        assert!(!eng.may(Capability::Write, None), "cannot create sites");
        assert!(!eng.has(Capability::Audit));
        assert_eq!(
            eng.read_scope(&ZONE_KIND),
            Scope::Limited {
                sites: vec![1],
                records: vec![]
            }
        );
        let op = Access::new(vec![on(Role::Operator, Some(1))], false);
        assert!(op.may(Capability::Read, Some(1)));
        assert!(op.may(Capability::Request, Some(1)));
        assert!(!op.may(Capability::Write, Some(1)));
        let aud = Access::new(vec![on(Role::Auditor, Some(2))], false);
        assert!(aud.may(Capability::Audit, Some(2)));
        assert!(!aud.may(Capability::Audit, None));
        assert!(!aud.may(Capability::Read, Some(1)));
    }

    #[test]
    fn different_roles_on_different_sites_combine() {
        let a = Access::new(
            vec![on(Role::SiteEngineer, Some(1)), on(Role::Auditor, Some(2))],
            false,
        );
        assert!(a.may(Capability::Write, Some(1)));
        assert!(!a.may(Capability::Write, Some(2)));
        assert!(a.may(Capability::Read, Some(2)));
        assert!(a.may(Capability::Audit, Some(2)));
        assert!(!a.may(Capability::Audit, Some(1)));
    }

    #[test]
    fn global_roles_cover_every_site_and_read_only_tokens_withhold_writes() {
        let po = Access::new(vec![on(Role::ProgramOwner, None)], false);
        assert_eq!(po.read_scope(&ZONE_KIND), Scope::All);
        assert!(po.may(Capability::Write, None));
        assert!(!po.has(Capability::ManageUsers));
        let token = Access::new(vec![on(Role::Admin, None)], true);
        assert!(token.may(Capability::Read, Some(9)));
        assert!(!token.has(Capability::Write));
        assert!(!token.has(Capability::ManageUsers));
    }

    #[test]
    fn vendors_see_only_granted_assets() {
        let v = Access::new(
            vec![Grant {
                role: Role::Vendor,
                site: Some(1),
                asset: Some(42),
            }],
            false,
        );
        assert_eq!(
            v.read_scope(&ASSET_KIND),
            Scope::Limited {
                sites: vec![],
                records: vec![42]
            }
        );
        assert!(v.read_scope(&ZONE_KIND).is_nothing());
        assert!(v.read_scope(&SITE_KIND).is_nothing());
        assert!(!v.may(Capability::Read, Some(1)));
        assert!(!v.has(Capability::Write));
        assert!(Access::default().read_scope(&ASSET_KIND).is_nothing());
    }

    #[test]
    fn grant_shapes_are_checked() {
        assert!(on(Role::Admin, Some(1)).validate().is_err());
        assert!(on(Role::SiteEngineer, Some(1)).validate().is_ok());
        assert!(on(Role::Auditor, None).validate().is_ok());
        assert!(on(Role::Vendor, Some(1)).validate().is_err());
        assert!(
            Grant {
                role: Role::Operator,
                site: Some(1),
                asset: Some(3)
            }
            .validate()
            .is_err()
        );
    }
}
