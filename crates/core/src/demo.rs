//! Deterministic demo organization generator: realistic OT sites with zones, conduits and assets.
//!
//! [`demo_site`] builds site number `index` of a fictional manufacturing group: site 0 is a
//! sterile fill-finish pharma plant in Frankfurt, site 1 a packaging plant in Kalamazoo, and
//! every further site is derived from lists of cities and industries. Each site has 6–10 zones
//! in a Purdue-style layout, the conduits between them with their channels, and any number of
//! assets with real ICS vendors, models and firmware versions.
//!
//! The output is pure data and fully deterministic: a small splitmix64 generator is seeded from
//! the site index (and, for assets, from the asset's position), so site N is identical on every
//! call whatever other sites are generated, and the assets of `demo_site(i, m)` are the first `m`
//! assets of `demo_site(i, n)` for any `n ≥ m`. Every value is canonical, i.e. it passes the
//! field parsers of [`crate::kinds`] unchanged.

use crate::sl::SlVector;
use crate::value::{Channel, Value, Values};
use catalog::*;
use std::collections::HashMap;

/// A zone of a demo site: the fields of the zone kind except `site_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoZone {
    pub values: Values,
}

/// A conduit of a demo site between two zones, given as indices into [`DemoSite::zones`].
/// The values exclude `site_id`, `zone_a_id` and `zone_b_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConduit {
    pub zone_a: usize,
    pub zone_b: usize,
    pub values: Values,
}

/// An asset of a demo site in zone `zone` (an index into [`DemoSite::zones`]).
/// The values exclude `site_id` and `zone_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoAsset {
    pub zone: usize,
    pub values: Values,
}

/// One demo site with its zones, conduits and assets.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSite {
    pub values: Values,
    pub zones: Vec<DemoZone>,
    pub conduits: Vec<DemoConduit>,
    pub assets: Vec<DemoAsset>,
}

/// Site number `index` (0-based) of a demo organization, with `assets` assets.
pub fn demo_site(index: usize, assets: usize) -> DemoSite {
    let plan = SitePlan::new(index);
    let mut site = Values::new();
    site.insert("code", text(&plan.code));
    site.insert("name", text(&plan.name));
    site.insert("time_zone", text(plan.time_zone));
    site.insert("description", text(&plan.description));
    let zones = plan
        .zones
        .iter()
        .enumerate()
        .map(|(zi, z)| plan.zone_values(zi, z))
        .collect();
    let conduits = plan.conduits();
    let mut generator = AssetGenerator::new(&plan);
    let assets = (0..assets).map(|k| generator.asset(k)).collect();
    DemoSite {
        values: site,
        zones,
        conduits,
        assets,
    }
}

// ---------------------------------------------------------------------------------------------
// Pseudo-random numbers

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
const SITE_STREAM: u64 = 0x07ce_e9d0_51fe_0001;
const ASSET_STREAM: u64 = 0x0a55_e7a5_5e7a_55e7;

/// The splitmix64 output function.
fn finalize(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Combines a seed and a number into a new, well-mixed seed.
fn mix(seed: u64, n: u64) -> u64 {
    finalize(seed ^ finalize(n.wrapping_add(GOLDEN)))
}

/// splitmix64: tiny, fast and good enough for demo data (also the store's generated
/// operations records use it, on their own stream).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for item `n` of a stream (e.g. one per demo site).
    pub fn seeded(stream: u64, n: u64) -> Rng {
        Rng(mix(stream, n))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        finalize(self.0)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// A number in `lo..=hi` (`lo` when `hi <= lo`).
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// True with a probability of `percent` %.
    pub fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One item of a non-empty slice.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One item of a slice (`None` when empty).
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }

    fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }

    /// `n` hexadecimal digits.
    pub fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n + 16);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(n);
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Asset models

const LOW: u8 = 0;
const MEDIUM: u8 = 1;
const HIGH: u8 = 2;
const CRITICAL: u8 = 3;
const CRITICALITY_KEYS: [&str; 4] = ["low", "medium", "high", "critical"];

/// Where an asset of a model is installed, which decides its location text.
#[derive(Debug, Clone, Copy)]
enum Place {
    Cabinet,
    Rack,
    Desk,
    Panel,
    Field,
}

/// The characters of a serial number after its prefix.
#[derive(Debug, Clone, Copy)]
enum Serial {
    Alnum,
    Digits,
    Hex,
}

/// A real product: type, vendor, model, firmware versions in use (the first most common) and
/// how its assets look (serial numbers, MAC prefix, place, base criticality).
#[derive(Debug, Clone, Copy)]
struct Model {
    ty: &'static str,
    /// Tag used in host names, e.g. `PLC` in `FIL-PLC-01`.
    tag: &'static str,
    vendor: &'static str,
    model: &'static str,
    versions: &'static [&'static str],
    oui: Option<[u8; 3]>,
    serial_prefix: &'static str,
    serial_len: usize,
    serial: Serial,
    crit: u8,
    place: Place,
    networked: bool,
}

const fn m(
    ty: &'static str,
    tag: &'static str,
    vendor: &'static str,
    model: &'static str,
    versions: &'static [&'static str],
) -> Model {
    Model {
        ty,
        tag,
        vendor,
        model,
        versions,
        oui: None,
        serial_prefix: "",
        serial_len: 10,
        serial: Serial::Alnum,
        crit: MEDIUM,
        place: Place::Cabinet,
        networked: true,
    }
}

impl Model {
    const fn oui(mut self, oui: [u8; 3]) -> Model {
        self.oui = Some(oui);
        self
    }
    const fn sn(mut self, prefix: &'static str, len: usize, serial: Serial) -> Model {
        self.serial_prefix = prefix;
        self.serial_len = len;
        self.serial = serial;
        self
    }
    const fn crit(mut self, crit: u8) -> Model {
        self.crit = crit;
        self
    }
    const fn at(mut self, place: Place) -> Model {
        self.place = place;
        self
    }
    const fn offline(mut self) -> Model {
        self.networked = false;
        self
    }
    const fn online(mut self) -> Model {
        self.networked = true;
        self
    }
}

/// The control system family of a line: its controllers, I/O, panels, switches, drives, SCADA
/// and the channels it speaks to the supervisory zone and to the field.
struct Platform {
    controllers: &'static [Model],
    io: &'static [Model],
    hmis: &'static [Model],
    switches: &'static [Model],
    drives: &'static [Model],
    scada: &'static [Model],
    supervisory_channels: &'static [Ch],
    field_channels: &'static [Ch],
}

const COMPENSATING_CONTROLS: &[&str] = &[
    "Isolated in a dedicated VLAN behind the cell firewall; only the SCADA servers may connect. USB ports disabled, changes only under management of change.",
    "No remote access; engineering only from the dedicated workstation in the control room. Passive network monitoring alerts on any new connection.",
    "Application allow-listing installed; network access limited to the historian collector and the domain controllers. Replacement planned for the next shutdown.",
    "Behind an industrial firewall with deep packet inspection that permits read-only requests only. Cabinet locked, key held by maintenance.",
    "Physically separated from the plant network; data leaves through the protocol gateway only. Offline backups restored and verified every quarter.",
];

/// Short notes used as descriptions for some assets, by asset type.
fn asset_notes(ty: &str) -> &'static [&'static str] {
    match ty {
        "plc" | "dcs_controller" => &[
            "Main controller of the line section; logic changes under change control.",
            "Program backed up nightly to the versioning server.",
            "Runs the recipe and CIP sequences.",
        ],
        "safety_controller" => &[
            "Executes emergency shutdown and interlocks; changes need a new safety validation.",
            "Safety logic validated; forcing is alarmed in the control room.",
        ],
        "io_module" => &[
            "Remote I/O station in the local cabinet.",
            "Hot-swappable modules; spares in the maintenance store.",
        ],
        "drive" => &[
            "Conveyor drive.",
            "Pump drive with STO wired to the safety controller.",
        ],
        "hmi" | "operator_workstation" => &[
            "Operator station of the local line section.",
            "Personal logins through the OT directory; no shared accounts.",
        ],
        "engineering_workstation" => &[
            "Holds the engineering projects; used by named engineers only.",
            "Switched off when not in use; patched monthly.",
        ],
        "scada_server" => &[
            "Redundant pair with automatic failover.",
            "Alarm and event server for all lines.",
        ],
        "historian" => &["Stores process data for batch records with ten-year retention."],
        "firewall" => &[
            "Default deny; rule base reviewed every six months.",
            "Changes approved by the OT change board.",
        ],
        "network_switch" => &[
            "Unused ports shut down; port security enabled.",
            "Configuration backed up weekly.",
        ],
        "jump_host" => &[
            "MFA required; sessions recorded.",
            "Vendor sessions approved per service ticket.",
        ],
        _ => &[
            "Tracked in the maintenance management system.",
            "Spare unit available on site.",
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// Channels

/// A channel template: protocol, port, transport, direction.
#[derive(Debug, Clone, Copy)]
struct Ch(&'static str, Option<u16>, &'static str, &'static str);

const fn tcp(protocol: &'static str, port: u16, direction: &'static str) -> Ch {
    Ch(protocol, Some(port), "tcp", direction)
}
const fn udp(protocol: &'static str, port: u16, direction: &'static str) -> Ch {
    Ch(protocol, Some(port), "udp", direction)
}
const fn l2(protocol: &'static str, direction: &'static str) -> Ch {
    Ch(protocol, None, "l2", direction)
}

fn channels(templates: &[Ch]) -> Value {
    Value::Channels(
        templates
            .iter()
            .map(|c| Channel {
                protocol: c.0.to_string(),
                port: c.1,
                transport: c.2.to_string(),
                direction: c.3.to_string(),
            })
            .collect(),
    )
}

const ENTERPRISE_DMZ: &[Ch] = &[
    tcp("HTTPS", 443, "a_to_b"),
    tcp("RDP", 3389, "a_to_b"),
    udp("Syslog", 514, "b_to_a"),
    udp("NTP", 123, "b_to_a"),
];
const REMOTE_DMZ: &[Ch] = &[
    tcp("HTTPS", 443, "a_to_b"),
    tcp("RDP", 3389, "a_to_b"),
    udp("Syslog", 514, "a_to_b"),
];
const DMZ_INSIDE: &[Ch] = &[
    tcp("PI replication", 5450, "b_to_a"),
    tcp("WSUS", 8531, "a_to_b"),
    tcp("RDP", 3389, "a_to_b"),
    tcp("SMB", 445, "a_to_b"),
];
const MES_SUPERVISORY: &[Ch] = &[
    tcp("OPC UA", 4840, "a_to_b"),
    tcp("SQL", 1433, "b_to_a"),
    udp("NTP", 123, "b_to_a"),
    udp("Syslog", 514, "b_to_a"),
];
const SUPERVISORY_SAFETY: &[Ch] = &[
    tcp("Modbus/TCP", 502, "a_to_b"),
    udp("NTP", 123, "b_to_a"),
    udp("Syslog", 514, "b_to_a"),
];
const SUPERVISORY_UTILITIES: &[Ch] = &[
    tcp("Modbus/TCP", 502, "a_to_b"),
    udp("BACnet/IP", 47808, "both"),
    tcp("OPC UA", 4840, "a_to_b"),
];

// ---------------------------------------------------------------------------------------------
// Sites, industries, people

/// The people of a site, by the role they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Person {
    OtSecurity,
    Automation,
    Process,
    Network,
    It,
    Safety,
    Utilities,
    Mes,
    Maintenance,
}

const PERSON_ROLES: [&str; 9] = [
    "Site OT Security Lead",
    "Automation Engineering Lead",
    "Process Control Engineer",
    "OT Network Engineer",
    "IT Infrastructure Lead",
    "Functional Safety Engineer",
    "Utilities and Facilities Engineer",
    "MES and Data Systems Lead",
    "Instrumentation and Maintenance Lead",
];

const FRANKFURT_PEOPLE: [&str; 9] = [
    "M. Keller",
    "S. Wagner",
    "J. Becker",
    "T. Schmitt",
    "A. Hoffmann",
    "K. Richter",
    "L. Braun",
    "C. Neumann",
    "F. Schulz",
];
const KALAMAZOO_PEOPLE: [&str; 9] = [
    "R. Miller",
    "D. Johnson",
    "K. Anderson",
    "P. Nguyen",
    "S. Patel",
    "J. Kowalski",
    "M. Garcia",
    "T. Brooks",
    "L. Carter",
];

const INITIALS: &[u8] = b"ABCDEFGHJKLMNPRSTVW";

/// A city for generated sites: name, code prefix, IANA time zone, country, surnames.
struct City(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

/// A production line (one of the two basic control zones of a site).
struct Line {
    name: &'static str,
    prefix: &'static str,
    short: &'static str,
    area: &'static str,
    about: &'static str,
}

struct Industry {
    suffix: &'static str,
    summary: &'static str,
    lines: [Line; 2],
    /// Controllers of the first line are critical to the business (filling, reactors).
    critical_line: bool,
    /// Always has a safety instrumented system.
    sis: bool,
}

const PHARMA: Industry = Industry {
    suffix: "Sterile Fill-Finish",
    summary: "Sterile fill-finish plant for injectables",
    lines: [
        Line {
            name: "Filling line control",
            prefix: "FIL",
            short: "Filling",
            area: "Filling hall",
            about: "Isolator filling lines for vials and syringes: controllers, remote I/O, drives and operator panels. GMP-critical.",
        },
        Line {
            name: "Packaging line control",
            prefix: "PKG",
            short: "Packaging",
            area: "Packaging hall",
            about: "Inspection, labelling, cartoning and serialisation of the filled product.",
        },
    ],
    critical_line: true,
    sis: true,
};

const PACKAGING: Industry = Industry {
    suffix: "Packaging",
    summary: "Secondary packaging plant for oral solid dose products",
    lines: [
        Line {
            name: "Blister line control",
            prefix: "BLI",
            short: "Blister",
            area: "Blister hall",
            about: "Thermoforming blister lines with in-line vision inspection.",
        },
        Line {
            name: "Cartoning and serialisation control",
            prefix: "CRT",
            short: "Cartoning",
            area: "Cartoning hall",
            about: "Cartoners, case packers, serialisation and aggregation stations.",
        },
    ],
    critical_line: false,
    sis: false,
};

static INDUSTRIES: &[Industry] = &[
    Industry {
        suffix: "Beverages",
        summary: "Beverage plant with syrup preparation and high-speed bottling",
        lines: [
            Line {
                name: "Bottling line control",
                prefix: "BOT",
                short: "Bottling",
                area: "Bottling hall",
                about: "Fillers, cappers, labellers and palletisers of the bottling lines.",
            },
            Line {
                name: "Syrup room control",
                prefix: "SYR",
                short: "Syrup room",
                area: "Syrup room",
                about: "Sugar dissolving, syrup blending and CIP of the syrup room.",
            },
        ],
        critical_line: false,
        sis: false,
    },
    Industry {
        suffix: "Chemicals",
        summary: "Specialty chemicals plant with batch reactors and a tank farm",
        lines: [
            Line {
                name: "Reactor area control",
                prefix: "RXN",
                short: "Reactors",
                area: "Reactor building",
                about: "Batch reactors, dosing and temperature control of the reactor area.",
            },
            Line {
                name: "Tank farm control",
                prefix: "TNK",
                short: "Tank farm",
                area: "Tank farm",
                about: "Storage tanks, loading stations and transfer pumps.",
            },
        ],
        critical_line: true,
        sis: true,
    },
    Industry {
        suffix: "Water Works",
        summary: "Drinking water treatment works with raw water intake and distribution pumping",
        lines: [
            Line {
                name: "Treatment process control",
                prefix: "TRT",
                short: "Treatment",
                area: "Treatment hall",
                about: "Coagulation, filtration, UV disinfection and chlorination of drinking water.",
            },
            Line {
                name: "Pumping station control",
                prefix: "PMP",
                short: "Pumping",
                area: "Pump house",
                about: "Raw water intake and treated water distribution pumps.",
            },
        ],
        critical_line: true,
        sis: false,
    },
    Industry {
        suffix: "Components",
        summary: "Automotive components plant with a press shop and robotic assembly",
        lines: [
            Line {
                name: "Press shop control",
                prefix: "PRS",
                short: "Press shop",
                area: "Press shop",
                about: "Transfer presses, die change and press safety.",
            },
            Line {
                name: "Assembly line control",
                prefix: "ASM",
                short: "Assembly",
                area: "Assembly hall",
                about: "Robotic assembly cells, screwdriving and end-of-line testing.",
            },
        ],
        critical_line: false,
        sis: false,
    },
    Industry {
        suffix: "Biologics",
        summary: "Biologics plant with upstream cell culture and downstream purification",
        lines: [
            Line {
                name: "Upstream bioreactor control",
                prefix: "USP",
                short: "Upstream",
                area: "Upstream suite",
                about: "Single-use and stainless bioreactors, media preparation and harvest.",
            },
            Line {
                name: "Downstream purification control",
                prefix: "DSP",
                short: "Downstream",
                area: "Downstream suite",
                about: "Chromatography, filtration and buffer preparation skids.",
            },
        ],
        critical_line: true,
        sis: false,
    },
    Industry {
        suffix: "Dairy",
        summary: "Dairy plant with milk processing and aseptic filling",
        lines: [
            Line {
                name: "Milk processing control",
                prefix: "PRC",
                short: "Processing",
                area: "Process hall",
                about: "Milk reception, separation, pasteurisation and CIP.",
            },
            Line {
                name: "Filling and packing control",
                prefix: "FPK",
                short: "Filling",
                area: "Filling hall",
                about: "Aseptic fillers, cappers and case packers.",
            },
        ],
        critical_line: false,
        sis: false,
    },
    PHARMA,
    PACKAGING,
];

const SECOND_SENTENCES: &[&str] = &[
    "Runs three shifts, five days a week.",
    "Joined the group OT security programme in 2023.",
    "Designated as critical infrastructure by the national authority.",
    "Acquired in 2021; network segmentation completed in 2024.",
];

/// Codes are `<city prefix><index>`; the index is reduced so a code never exceeds 16 characters.
const CODE_NUMBER_LIMIT: u64 = 10_000_000_000_000;

// ---------------------------------------------------------------------------------------------
// Zones

/// The function of a zone in the Purdue-style layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Enterprise,
    Dmz,
    Remote,
    Operations,
    Supervisory,
    Safety,
    LineA,
    LineB,
    Utilities,
    Field,
}

/// The fixed attributes of the zones that are the same on every site.
struct ZoneDef {
    name: &'static str,
    prefix: &'static str,
    short: &'static str,
    level: &'static str,
    sl: [u8; 7],
    weight: u32,
    owner: Person,
    about: &'static str,
}

fn zone_def(role: Role) -> ZoneDef {
    let (name, prefix, short, level, sl, weight, owner, about) = match role {
        Role::Enterprise => (
            "Enterprise network",
            "ENT",
            "Enterprise",
            "l4",
            [2, 1, 1, 1, 1, 1, 1],
            3,
            Person::It,
            "Corporate IT network of the site: offices, ERP clients and the corporate SIEM. Trusted by no OT zone.",
        ),
        Role::Dmz => (
            "Industrial DMZ",
            "DMZ",
            "DMZ",
            "l3_5",
            [3, 3, 2, 2, 3, 2, 2],
            3,
            Person::OtSecurity,
            "Brokers every exchange between enterprise and OT: historian replica, patch and antivirus relays, jump hosts. No traffic passes straight through.",
        ),
        Role::Remote => (
            "Vendor remote access",
            "VRA",
            "Vendor access",
            "external",
            [3, 3, 2, 3, 3, 3, 1],
            1,
            Person::OtSecurity,
            "Remote access gateways for machine builders and service providers. Sessions are approved per ticket, recorded and time-limited.",
        ),
        Role::Operations => (
            "Site operations / MES",
            "MES",
            "MES",
            "l3",
            [2, 2, 2, 2, 2, 2, 2],
            4,
            Person::Mes,
            "Manufacturing execution, batch management, the site historian and OT infrastructure services (directory, patching, backup).",
        ),
        Role::Supervisory => (
            "Supervisory SCADA",
            "SUP",
            "Supervisory",
            "l2",
            [2, 2, 2, 1, 2, 2, 2],
            8,
            Person::Automation,
            "SCADA servers, operator stations and engineering workstations supervising all production areas.",
        ),
        Role::Safety => (
            "Safety instrumented system",
            "SIS",
            "SIS",
            "safety",
            [3, 3, 4, 1, 3, 2, 3],
            4,
            Person::Safety,
            "Safety controllers and safety I/O, logically separated from basic control. Writes from other zones are blocked.",
        ),
        Role::LineA | Role::LineB => (
            "",
            "",
            "",
            "l1",
            [2, 2, 2, 1, 2, 1, 2],
            24,
            Person::Process,
            "",
        ),
        Role::Utilities => (
            "Utilities and building management",
            "UTL",
            "Utilities",
            "l1",
            [1, 1, 2, 1, 1, 1, 2],
            8,
            Person::Utilities,
            "HVAC, compressed air, cooling water, power distribution and building management controls.",
        ),
        Role::Field => (
            "Field devices",
            "FLD",
            "Field",
            "l0",
            [1, 1, 2, 0, 1, 1, 2],
            14,
            Person::Maintenance,
            "Sensors, analysers and actuators of both production areas on HART, PROFINET or Ethernet-APL.",
        ),
    };
    ZoneDef {
        name,
        prefix,
        short,
        level,
        sl,
        weight,
        owner,
        about,
    }
}

/// Model pools with their weights.
type Pools = Vec<(u32, &'static [Model])>;

struct ZonePlan {
    role: Role,
    name: &'static str,
    prefix: &'static str,
    short: &'static str,
    level: &'static str,
    sl: [u8; 7],
    weight: u32,
    owner: Person,
    description: &'static str,
    /// Areas where cabinets, panels and field devices of the zone are.
    areas: Vec<String>,
    /// Where its rack-mounted equipment is.
    rack_room: &'static str,
    /// Weighted model pools; the first is the zone's anchor (its first asset).
    pools: Pools,
    pool_total: u32,
    legacy: &'static [Model],
    critical_controls: bool,
}

impl ZonePlan {
    fn pick_pool(&self, rng: &mut Rng) -> &'static [Model] {
        let mut n = rng.below(self.pool_total as usize) as u32;
        for (weight, pool) in &self.pools {
            if n < *weight {
                return pool;
            }
            n -= weight;
        }
        self.pools[0].1
    }
}

/// The choices that make a site what it is: identity, industry, people and control platforms.
struct Profile {
    code: String,
    name: String,
    time_zone: &'static str,
    description: String,
    industry: &'static Industry,
    people: [String; 9],
    lines: [&'static Platform; 2],
    utilities: &'static Platform,
    safety: &'static Model,
}

impl Profile {
    fn new(index: usize, rng: &mut Rng) -> Profile {
        match index {
            0 => Profile {
                code: "FRA1".to_string(),
                name: "Frankfurt Sterile Fill-Finish".to_string(),
                time_zone: "Europe/Berlin",
                description: "Sterile fill-finish plant for injectables with two isolator filling lines, freeze-drying and secondary packaging. Operates 24/7 under EU GMP Annex 1.".to_string(),
                industry: &PHARMA,
                people: FRANKFURT_PEOPLE.map(str::to_string),
                lines: [&SIEMENS, &ROCKWELL],
                utilities: &SIEMENS,
                safety: &SAFETY_CONTROLLERS[0],
            },
            1 => Profile {
                code: "KAL1".to_string(),
                name: "Kalamazoo Packaging".to_string(),
                time_zone: "America/Detroit",
                description: "Secondary packaging plant for oral solid dose products: blister, cartoning and serialisation lines for the North American market.".to_string(),
                industry: &PACKAGING,
                people: KALAMAZOO_PEOPLE.map(str::to_string),
                lines: [&ROCKWELL, &SIEMENS],
                utilities: &ROCKWELL,
                safety: &SAFETY_CONTROLLERS[3],
            },
            _ => {
                let city = &CITIES[(index - 2) % CITIES.len()];
                let round = (index - 2) / CITIES.len();
                let industry = rng.pick(INDUSTRIES);
                let mut name = format!("{} {}", city.0, industry.suffix);
                if round > 0 {
                    name = format!("{name} {}", round + 1);
                }
                let mut description = format!("{} in {}, {}.", industry.summary, city.0, city.3);
                if rng.percent(60) {
                    description.push(' ');
                    description.push_str(rng.pick::<&str>(SECOND_SENTENCES));
                }
                let surnames = city.4;
                let offset = rng.below(surnames.len());
                let people = std::array::from_fn(|i| {
                    let initial = char::from(*rng.pick(INITIALS));
                    format!("{initial}. {}", surnames[(offset + i) % surnames.len()])
                });
                let line_a = *rng.pick(&PLATFORMS);
                let line_b = if rng.percent(60) { line_a } else { *rng.pick(&PLATFORMS) };
                let utilities = *rng.pick(&UTILITY_PLATFORMS);
                Profile {
                    code: format!("{}{}", city.1, index as u64 % CODE_NUMBER_LIMIT),
                    name,
                    time_zone: city.2,
                    description,
                    industry,
                    people,
                    lines: [line_a, line_b],
                    utilities,
                    safety: rng.pick(SAFETY_CONTROLLERS),
                }
            }
        }
    }

    /// The zones of the site in Purdue order: the first two sites have fixed layouts, the others
    /// leave out some optional zones.
    fn roles(&self, index: usize, rng: &mut Rng) -> Vec<Role> {
        let optional = match index {
            0 => [true; 4],
            1 => [true, true, false, true],
            _ => [
                rng.percent(60),
                rng.percent(70),
                self.industry.sis || rng.percent(50),
                rng.percent(60),
            ],
        };
        let [remote, operations, safety, utilities] = optional;
        [
            (Role::Enterprise, true),
            (Role::Dmz, true),
            (Role::Remote, remote),
            (Role::Operations, operations),
            (Role::Supervisory, true),
            (Role::Safety, safety),
            (Role::LineA, true),
            (Role::LineB, true),
            (Role::Utilities, utilities),
            (Role::Field, true),
        ]
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(role, _)| role)
        .collect()
    }

    /// The plan of one zone: its fixed attributes, where its equipment is and what it contains.
    fn zone(&self, role: Role) -> ZonePlan {
        const SERVER_ROOM: &str = "Building 2, OT server room";
        let def = zone_def(role);
        let [line_a, line_b] = &self.industry.lines;
        let area = |building: u8, line: &Line| format!("Building {building}, {}", line.area);
        let (areas, rack_room, pools, legacy): (Vec<String>, &str, Pools, &[Model]) = match role {
            Role::Enterprise => (
                vec!["Building 1, Administration".to_string()],
                "Building 1, IT data centre",
                vec![
                    (2, ENTERPRISE_FIREWALLS),
                    (3, ENTERPRISE_SWITCHES),
                    (3, ENTERPRISE_SERVERS),
                ],
                &[],
            ),
            Role::Dmz => (
                vec![SERVER_ROOM.to_string()],
                SERVER_ROOM,
                vec![
                    (2, DMZ_FIREWALLS),
                    (4, DMZ_SERVERS),
                    (1, DATA_DIODES),
                    (2, DMZ_SWITCHES),
                ],
                &[],
            ),
            Role::Remote => (
                vec![SERVER_ROOM.to_string()],
                SERVER_ROOM,
                vec![(3, REMOTE_GATEWAYS), (2, REMOTE_OTHERS)],
                &[],
            ),
            Role::Operations => (
                vec![SERVER_ROOM.to_string()],
                SERVER_ROOM,
                vec![
                    (3, MES_SERVERS),
                    (4, OT_INFRASTRUCTURE),
                    (2, OT_CORE_SWITCHES),
                ],
                LEGACY_MES,
            ),
            Role::Supervisory => (
                vec!["Building 2, Central control room".to_string()],
                SERVER_ROOM,
                vec![
                    (3, self.lines[0].scada),
                    (1, HISTORIANS),
                    (3, WORKSTATIONS),
                    (5, OPERATOR_STATIONS),
                    (2, SUPERVISORY_APPS),
                    (3, self.lines[0].switches),
                    (1, CELL_FIREWALLS),
                ],
                LEGACY_SUPERVISORY,
            ),
            Role::Safety => (
                vec![area(3, line_a), area(4, line_b)],
                SERVER_ROOM,
                vec![
                    (4, std::slice::from_ref(self.safety)),
                    (5, SAFETY_IO),
                    (2, SAFETY_NETWORK),
                    (1, SAFETY_WORKSTATIONS),
                ],
                LEGACY_SAFETY,
            ),
            Role::LineA | Role::LineB => {
                let (platform, area) = if role == Role::LineA {
                    (self.lines[0], area(3, line_a))
                } else {
                    (self.lines[1], area(4, line_b))
                };
                (
                    vec![area],
                    SERVER_ROOM,
                    vec![
                        (10, platform.controllers),
                        (18, platform.io),
                        (8, platform.drives),
                        (6, platform.hmis),
                        (6, platform.switches),
                        (2, VISION),
                        (2, PRINTERS),
                        (1, ROBOTS),
                        (1, GATEWAYS),
                        (1, WIRELESS),
                        (1, CELL_FIREWALLS),
                    ],
                    LEGACY_CONTROL,
                )
            }
            Role::Utilities => (
                vec![
                    "Building 5, Utilities".to_string(),
                    "Building 5, Energy centre".to_string(),
                    "Building 3, HVAC plant room".to_string(),
                ],
                SERVER_ROOM,
                vec![
                    (3, BUILDING_CONTROLLERS),
                    (3, self.utilities.controllers),
                    (2, self.utilities.io),
                    (3, self.utilities.drives),
                    (3, POWER_METERS),
                    (1, RTUS),
                    (2, self.utilities.switches),
                    (1, self.utilities.hmis),
                    (1, UPS),
                ],
                LEGACY_CONTROL,
            ),
            Role::Field => (
                vec![area(3, line_a), area(4, line_b)],
                SERVER_ROOM,
                vec![(12, INSTRUMENTS), (3, ANALYSERS), (3, FIELD_NETWORK)],
                &[],
            ),
        };
        let (name, prefix, short, description) = match role {
            Role::LineA => (line_a.name, line_a.prefix, line_a.short, line_a.about),
            Role::LineB => (line_b.name, line_b.prefix, line_b.short, line_b.about),
            _ => (def.name, def.prefix, def.short, def.about),
        };
        let critical = role == Role::LineA && self.industry.critical_line;
        ZonePlan {
            role,
            name,
            prefix,
            short,
            level: def.level,
            sl: if critical {
                [2, 2, 3, 1, 2, 2, 3]
            } else {
                def.sl
            },
            weight: def.weight,
            owner: def.owner,
            description,
            areas,
            rack_room,
            pool_total: pools.iter().map(|(w, _)| w).sum(),
            pools,
            legacy,
            critical_controls: critical,
        }
    }
}

struct SitePlan {
    index: usize,
    seed: u64,
    code: String,
    name: String,
    time_zone: &'static str,
    description: String,
    /// Owner texts (`role – name`) by [`Person`].
    owners: Vec<String>,
    zones: Vec<ZonePlan>,
    zone_total: u32,
    lines: [&'static Platform; 2],
}

impl SitePlan {
    fn new(index: usize) -> SitePlan {
        let seed = mix(SITE_STREAM, index as u64);
        let mut rng = Rng::new(seed);
        let profile = Profile::new(index, &mut rng);
        let zones: Vec<ZonePlan> = profile
            .roles(index, &mut rng)
            .into_iter()
            .map(|role| profile.zone(role))
            .collect();
        let owners = PERSON_ROLES
            .iter()
            .zip(&profile.people)
            .map(|(role, person)| format!("{role} – {person}"))
            .collect();
        SitePlan {
            index,
            seed,
            code: profile.code,
            name: profile.name,
            time_zone: profile.time_zone,
            description: profile.description,
            owners,
            zone_total: zones.iter().map(|z| z.weight).sum(),
            zones,
            lines: profile.lines,
        }
    }

    fn owner(&self, person: Person) -> Value {
        text(&self.owners[person as usize])
    }

    fn zone_index(&self, role: Role) -> Option<usize> {
        self.zones.iter().position(|z| z.role == role)
    }

    fn pick_zone(&self, rng: &mut Rng) -> usize {
        let mut n = rng.below(self.zone_total as usize) as u32;
        for (i, zone) in self.zones.iter().enumerate() {
            if n < zone.weight {
                return i;
            }
            n -= zone.weight;
        }
        0
    }

    fn zone_values(&self, zi: usize, zone: &ZonePlan) -> DemoZone {
        let mut values = Values::new();
        values.insert("name", text(zone.name));
        // The ten /24 blocks the asset generator draws this zone's addresses from (see
        // `AssetGenerator`), as aligned CIDR networks.
        let first = 10 * (zi + 1);
        let subnets: Vec<String> = cidr_cover(first, first + 9)
            .into_iter()
            .map(|(start, prefix)| format!("10.{}.{start}.0/{prefix}", self.index % 200))
            .collect();
        values.insert("subnets", text(&subnets.join(", ")));
        values.insert("purdue_level", text(zone.level));
        values.insert("sl_t", Value::Sl(SlVector(zone.sl)));
        values.insert(
            "sl_t_justification",
            Value::Text(format!(
                "Initial risk assessment of the site ({}): worst credible consequence of a compromise of {} sets the target per FR.",
                self.code,
                zone.name.to_lowercase()
            )),
        );
        values.insert("owner", self.owner(zone.owner));
        values.insert("description", text(zone.description));
        DemoZone { values }
    }

    /// The conduits: along the Purdue levels, through the DMZ, and from each line to the field.
    fn conduits(&self) -> Vec<DemoConduit> {
        let has_operations = self.zone_index(Role::Operations).is_some();
        let inside = if has_operations {
            Role::Operations
        } else {
            Role::Supervisory
        };
        let line_a = format!(
            "SCADA and engineering stations to the controllers of the {} area.",
            self.zones[self.zone_index(Role::LineA).unwrap_or(0)]
                .short
                .to_lowercase()
        );
        let line_b = format!(
            "SCADA and engineering stations to the controllers of the {} area.",
            self.zones[self.zone_index(Role::LineB).unwrap_or(0)]
                .short
                .to_lowercase()
        );
        let specs: [(Role, Role, &[Ch], Person, &str); 10] = [
            (
                Role::Enterprise,
                Role::Dmz,
                ENTERPRISE_DMZ,
                Person::OtSecurity,
                "Enterprise users reach the historian replica and the jump hosts; the DMZ forwards its logs to the corporate SIEM.",
            ),
            (
                Role::Remote,
                Role::Dmz,
                REMOTE_DMZ,
                Person::OtSecurity,
                "Vendor sessions end on the DMZ jump hosts, never on OT assets directly.",
            ),
            (
                Role::Dmz,
                inside,
                DMZ_INSIDE,
                Person::OtSecurity,
                "Historian replication out to the DMZ, patches and antivirus updates in; RDP only from the jump hosts.",
            ),
            (
                Role::Operations,
                Role::Supervisory,
                MES_SUPERVISORY,
                Person::Mes,
                "MES and historian read process data and exchange batch records with the SCADA servers.",
            ),
            (
                Role::Supervisory,
                Role::Safety,
                SUPERVISORY_SAFETY,
                Person::Safety,
                "Read-only status of the safety controllers for the operator displays; writes are blocked by the SIS firewall.",
            ),
            (
                Role::Supervisory,
                Role::LineA,
                self.lines[0].supervisory_channels,
                Person::Automation,
                &line_a,
            ),
            (
                Role::Supervisory,
                Role::LineB,
                self.lines[1].supervisory_channels,
                Person::Automation,
                &line_b,
            ),
            (
                Role::Supervisory,
                Role::Utilities,
                SUPERVISORY_UTILITIES,
                Person::Utilities,
                "SCADA supervises the utilities and exchanges alarms with the building management system.",
            ),
            (
                Role::LineA,
                Role::Field,
                self.lines[0].field_channels,
                Person::Process,
                "Controllers to their sensors, actuators and remote I/O.",
            ),
            (
                Role::LineB,
                Role::Field,
                self.lines[1].field_channels,
                Person::Process,
                "Controllers to their sensors, actuators and remote I/O.",
            ),
        ];
        specs
            .iter()
            .filter_map(|&(a, b, chs, owner, about)| {
                let zone_a = self.zone_index(a)?;
                let zone_b = self.zone_index(b)?;
                let (za, zb) = (&self.zones[zone_a], &self.zones[zone_b]);
                let sl: [u8; 7] = std::array::from_fn(|i| za.sl[i].max(zb.sl[i]));
                let mut values = Values::new();
                values.insert("name", Value::Text(format!("{} ↔ {}", za.short, zb.short)));
                values.insert("cross_site", Value::Bool(false));
                values.insert("channels", channels(chs));
                values.insert("sl_t", Value::Sl(SlVector(sl)));
                values.insert("owner", self.owner(owner));
                values.insert("description", text(about));
                Some(DemoConduit {
                    zone_a,
                    zone_b,
                    values,
                })
            })
            .collect()
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

// ---------------------------------------------------------------------------------------------
// Assets

/// Generates the assets of a site in order; keeps the per-zone counters that make host names
/// and addresses unique.
struct AssetGenerator<'a> {
    plan: &'a SitePlan,
    /// Next number per (zone, tag) for host names.
    names: HashMap<(usize, &'static str), u32>,
    /// Next host number per zone for IP addresses.
    hosts: Vec<u32>,
}

impl<'a> AssetGenerator<'a> {
    fn new(plan: &'a SitePlan) -> AssetGenerator<'a> {
        AssetGenerator {
            plan,
            names: HashMap::new(),
            hosts: vec![0; plan.zones.len()],
        }
    }

    /// Asset number `k`. The first asset of each zone is taken from its anchor pool, the rest
    /// are spread over the zones by weight. Only the counters depend on earlier assets.
    fn asset(&mut self, k: usize) -> DemoAsset {
        let plan = self.plan;
        let mut rng = Rng::new(mix(plan.seed ^ ASSET_STREAM, k as u64));
        let (zi, legacy) = if k < plan.zones.len() {
            (k, false)
        } else {
            let zi = plan.pick_zone(&mut rng);
            (zi, !plan.zones[zi].legacy.is_empty() && rng.percent(7))
        };
        let zone = &plan.zones[zi];
        let model = if legacy {
            rng.pick(zone.legacy)
        } else if k < plan.zones.len() {
            rng.pick(zone.pools[0].1)
        } else {
            let pool = zone.pick_pool(&mut rng);
            rng.pick(pool)
        };

        let counter = self.names.entry((zi, model.tag)).or_insert(0);
        *counter += 1;
        let name = format!("{}-{}-{:02}", zone.prefix, model.tag, counter);

        let version = if rng.percent(60) {
            model.versions[0]
        } else {
            rng.pick(model.versions)
        };

        // One address per networked asset: 10.<site % 200>.<10 × (zone + 1) + block>.<10–249>,
        // ten /24 blocks per zone, wrapping around after 2,400 hosts in a zone.
        let (ip, mac) = if model.networked {
            let host = self.hosts[zi] as usize;
            self.hosts[zi] += 1;
            let ip = format!(
                "10.{}.{}.{}",
                plan.index % 200,
                10 * (zi + 1) + (host / 240) % 10,
                10 + host % 240
            );
            let prefix = model.oui.unwrap_or([0x02, rng.byte(), rng.byte()]);
            let mac = format!(
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                prefix[0],
                prefix[1],
                prefix[2],
                rng.byte(),
                rng.byte(),
                rng.byte()
            );
            (Value::Text(ip), Value::Text(mac))
        } else {
            (Value::Null, Value::Null)
        };

        let area = rng.pick(&zone.areas);
        let location = match model.place {
            Place::Cabinet => format!("{area}, cabinet +CP{:02}", rng.range(1, 40)),
            Place::Rack => format!("{}, rack R{:02}", zone.rack_room, rng.range(1, 12)),
            Place::Desk => format!("{area}, desk {}", rng.range(1, 8)),
            Place::Panel => format!(
                "{area}, line {}, operator panel {}",
                rng.range(1, 4),
                rng.range(1, 6)
            ),
            Place::Field => format!(
                "{area}, line {}, loop {}-{}",
                rng.range(1, 4),
                model.tag,
                rng.range(100, 999)
            ),
        };

        let mut crit = model.crit;
        if zone.role == Role::Enterprise {
            crit = crit.saturating_sub(1);
        }
        if zone.critical_controls && crit == HIGH && matches!(model.ty, "plc" | "dcs_controller") {
            crit = CRITICAL;
        }
        match rng.below(100) {
            0..8 => crit = crit.saturating_sub(1),
            8..12 => crit = (crit + 1).min(CRITICAL),
            _ => {}
        }

        let lifecycle = if legacy {
            if rng.percent(70) {
                "end_of_support"
            } else {
                "operational"
            }
        } else {
            match rng.below(100) {
                0..5 => "standby",
                5..8 => "commissioning",
                _ => "operational",
            }
        };

        let network = matches!(
            model.ty,
            "network_switch" | "router" | "firewall" | "data_diode" | "wireless_ap"
        );
        let owner = match zone.role {
            Role::Enterprise => Person::It,
            _ if network => Person::Network,
            Role::Dmz | Role::Remote => Person::OtSecurity,
            Role::Operations => Person::Mes,
            _ => match model.ty {
                "scada_server"
                | "historian"
                | "application_server"
                | "domain_controller"
                | "engineering_workstation"
                | "operator_workstation" => Person::Automation,
                _ => zone.owner,
            },
        };

        let compensating = if legacy {
            text(rng.pick::<&str>(COMPENSATING_CONTROLS))
        } else {
            Value::Null
        };
        let description = if rng.percent(25) {
            text(rng.pick::<&str>(asset_notes(model.ty)))
        } else {
            Value::Null
        };

        let mut values = Values::new();
        values.insert("name", Value::Text(name));
        values.insert("asset_type", text(model.ty));
        values.insert("vendor", text(model.vendor));
        values.insert("model", text(model.model));
        values.insert("firmware_version", text(version));
        values.insert("serial_number", Value::Text(serial(model, &mut rng)));
        values.insert("ip_addresses", ip);
        values.insert("mac_addresses", mac);
        values.insert("location", Value::Text(location));
        values.insert("criticality", text(CRITICALITY_KEYS[usize::from(crit)]));
        values.insert("owner", plan.owner(owner));
        values.insert("lifecycle", text(lifecycle));
        values.insert("legacy", Value::Bool(legacy));
        values.insert("compensating_controls", compensating);
        // Current controllers and firewalls come with an IEC 62443-4-2 capability statement
        // (SL-C 2 on every FR in this demo); legacy and other devices have none recorded.
        let certified = !legacy
            && matches!(
                model.ty,
                "plc" | "safety_controller" | "dcs_controller" | "firewall"
            );
        values.insert(
            "sl_c",
            if certified {
                Value::Sl(SlVector([2; 7]))
            } else {
                Value::Null
            },
        );
        values.insert("description", description);
        DemoAsset { zone: zi, values }
    }
}

fn serial(model: &Model, rng: &mut Rng) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
    const DIGITS: &[u8] = b"0123456789";
    const HEX: &[u8] = b"0123456789abcdef";
    let chars = match model.serial {
        Serial::Alnum => ALNUM,
        Serial::Digits => DIGITS,
        Serial::Hex => HEX,
    };
    let mut s = String::with_capacity(model.serial_prefix.len() + model.serial_len);
    s.push_str(model.serial_prefix);
    for _ in 0..model.serial_len {
        s.push(char::from(*rng.pick(chars)));
    }
    s
}

/// The product catalogue, cities and names the generator draws from. Kept as compact tables
/// (one product per line), so rustfmt is told to leave it alone.
#[rustfmt::skip]
mod catalog {
    use super::*;

    // IEEE OUIs of the vendors (assets of other vendors get a locally administered address).
    const OUI_SIEMENS: [u8; 3] = [0x00, 0x1b, 0x1b];
    const OUI_ROCKWELL: [u8; 3] = [0x00, 0x00, 0xbc];
    const OUI_SCHNEIDER: [u8; 3] = [0x00, 0x80, 0xf4];
    const OUI_HIRSCHMANN: [u8; 3] = [0x00, 0x80, 0x63];
    const OUI_CISCO: [u8; 3] = [0x00, 0x00, 0x0c];
    const OUI_MOXA: [u8; 3] = [0x00, 0x90, 0xe8];
    const OUI_FORTINET: [u8; 3] = [0x00, 0x09, 0x0f];
    const OUI_PALO_ALTO: [u8; 3] = [0x00, 0x1b, 0x17];
    const OUI_BECKHOFF: [u8; 3] = [0x00, 0x01, 0x05];
    const OUI_PHOENIX: [u8; 3] = [0x00, 0xa0, 0x45];
    const OUI_WAGO: [u8; 3] = [0x00, 0x30, 0xde];
    const OUI_DELL: [u8; 3] = [0x00, 0x14, 0x22];
    const OUI_VMWARE: [u8; 3] = [0x00, 0x50, 0x56];
    const OUI_COGNEX: [u8; 3] = [0x00, 0xd0, 0x24];
    const OUI_ZEBRA: [u8; 3] = [0x00, 0x07, 0x4d];

    type Versions = &'static [&'static str];

    const WS2022: Versions = &["Windows Server 2022 21H2 (build 20348)"];
    const LTSC: Versions = &["Windows 10 Enterprise LTSC 2021", "Windows 10 Enterprise LTSC 2019"];
    const IOT_LTSC: Versions = &["Windows 10 IoT Enterprise LTSC 2021"];

    /// A virtual machine on the OT VMware cluster.
    const fn vm(ty: &'static str, tag: &'static str, vendor: &'static str, model: &'static str, versions: Versions) -> Model {
        m(ty, tag, vendor, model, versions).oui(OUI_VMWARE).sn("VMware-42", 12, Serial::Hex).at(Place::Rack)
    }
    /// A Dell PC or server (service tag serial numbers).
    const fn dell(ty: &'static str, tag: &'static str, model: &'static str, versions: Versions) -> Model {
        m(ty, tag, "Dell", model, versions).oui(OUI_DELL).sn("", 7, Serial::Alnum).at(Place::Desk)
    }
    const fn siemens(ty: &'static str, tag: &'static str, model: &'static str, versions: Versions) -> Model {
        m(ty, tag, "Siemens", model, versions).oui(OUI_SIEMENS).sn("S C-", 10, Serial::Alnum)
    }
    const fn rockwell(ty: &'static str, tag: &'static str, model: &'static str, versions: Versions) -> Model {
        m(ty, tag, "Rockwell Automation", model, versions).oui(OUI_ROCKWELL).sn("", 8, Serial::Hex)
    }
    const fn schneider(ty: &'static str, tag: &'static str, model: &'static str, versions: Versions) -> Model {
        m(ty, tag, "Schneider Electric", model, versions).oui(OUI_SCHNEIDER).sn("20", 10, Serial::Alnum)
    }
    /// An Endress+Hauser field instrument on HART (no address of its own).
    const fn eh(tag: &'static str, model: &'static str, versions: Versions) -> Model {
        m("instrument", tag, "Endress+Hauser", model, versions).sn("", 11, Serial::Alnum).at(Place::Field).offline()
    }

    // Network devices and servers shared by several pools.
    const SCALANCE_XC208: Model = siemens("network_switch", "SW", "SCALANCE XC208", &["V4.5", "V4.4", "V4.3"]).sn("VPL", 7, Serial::Digits);
    const SCALANCE_XC216: Model = siemens("network_switch", "SW", "SCALANCE XC216-4C", &["V4.5", "V4.4"]).sn("VPL", 7, Serial::Digits);
    const RSP35: Model = m("network_switch", "SW", "Hirschmann", "RSP35", &["HiOS 09.1.00", "HiOS 08.7.04"]).oui(OUI_HIRSCHMANN).sn("9421", 11, Serial::Digits);
    const MACH4002: Model = m("network_switch", "SW", "Hirschmann", "MACH4002-48G+3X", &["L3P 09.0.08", "L3P 09.0.06"]).oui(OUI_HIRSCHMANN).sn("9430", 11, Serial::Digits).crit(HIGH).at(Place::Rack);
    const EDS510E: Model = m("network_switch", "SW", "Moxa", "EDS-510E-3GTXSFP", &["v5.7", "v5.5"]).oui(OUI_MOXA).sn("TBAIB", 7, Serial::Digits);
    const FL_SWITCH: Model = m("network_switch", "SW", "Phoenix Contact", "FL SWITCH 2308", &["3.40", "3.30"]).oui(OUI_PHOENIX).sn("", 10, Serial::Digits);
    const IE3400: Model = m("network_switch", "SW", "Cisco", "IE-3400-8P2S", &["IOS-XE 17.9.4", "IOS-XE 17.12.3"]).oui(OUI_CISCO).sn("FOC", 8, Serial::Alnum);
    const C9300: Model = m("network_switch", "SW", "Cisco", "Catalyst 9300-48P", &["IOS-XE 17.9.4", "IOS-XE 17.12.3"]).oui(OUI_CISCO).sn("FOC", 8, Serial::Alnum).crit(HIGH).at(Place::Rack);
    const C9200: Model = m("network_switch", "SW", "Cisco", "Catalyst 9200L-24T-4G", &["IOS-XE 17.9.4"]).oui(OUI_CISCO).sn("JAE", 8, Serial::Alnum).at(Place::Rack);
    const PA3220: Model = m("firewall", "FW", "Palo Alto Networks", "PA-3220", &["PAN-OS 10.2.9", "PAN-OS 11.1.2"]).oui(OUI_PALO_ALTO).sn("0", 11, Serial::Digits).crit(HIGH).at(Place::Rack);
    const FG100F: Model = m("firewall", "FW", "Fortinet", "FortiGate 100F", &["FortiOS 7.2.8", "FortiOS 7.4.4"]).oui(OUI_FORTINET).sn("FG100FTK", 8, Serial::Digits).crit(HIGH).at(Place::Rack);
    const FGR60F: Model = m("firewall", "FW", "Fortinet", "FortiGate Rugged 60F", &["FortiOS 7.2.8", "FortiOS 7.0.15"]).oui(OUI_FORTINET).sn("FGR60FTK", 8, Serial::Digits).crit(HIGH);
    const ISA3000: Model = m("firewall", "FW", "Cisco", "ISA 3000-4C", &["FTD 7.2.5", "ASA 9.18(4)"]).oui(OUI_CISCO).sn("JMX", 8, Serial::Alnum).crit(HIGH);
    const EAGLE40: Model = m("firewall", "FW", "Hirschmann", "EAGLE40-07", &["HiSecOS 04.4.00", "HiSecOS 04.3.02"]).oui(OUI_HIRSCHMANN).sn("9425", 11, Serial::Digits).crit(HIGH);
    const SC642: Model = siemens("firewall", "FW", "SCALANCE SC642-2C", &["V3.0", "V2.4"]).crit(HIGH);
    const DOMAIN_CONTROLLER: Model = vm("domain_controller", "DC", "Microsoft", "Windows Server 2022 domain controller", WS2022).crit(HIGH);
    const JUMP_HOST: Model = vm("jump_host", "JMP", "Microsoft", "Windows Server 2022 RDS jump host", WS2022).crit(HIGH);
    const PI_SERVER: Model = vm("historian", "HIS", "AVEVA", "PI Server (PI Data Archive)", &["2018 SP3 Patch 5", "2023 Patch 1"]).crit(HIGH);
    const BACKUP: Model = vm("application_server", "BKP", "Veeam", "Backup & Replication server", &["12.1", "12.0"]);
    const WSUS: Model = vm("application_server", "WSUS", "Microsoft", "WSUS on Windows Server 2022", WS2022);
    const KEPWARE: Model = vm("application_server", "OPC", "PTC", "Kepware KEPServerEX", &["6.15", "6.16"]).crit(HIGH);
    const EWS: Model = dell("engineering_workstation", "EWS", "OptiPlex 7010 engineering workstation", LTSC).crit(HIGH);
    const EWS_PRECISION: Model = dell("engineering_workstation", "EWS", "Precision 3660 engineering workstation", LTSC).crit(HIGH);
    const OWS: Model = dell("operator_workstation", "OWS", "OptiPlex XE4 operator station", IOT_LTSC);
    const DANFOSS_FC302: Model = m("drive", "VFD", "Danfoss", "VLT AutomationDrive FC 302", &["8.42", "8.60"]).sn("", 10, Serial::Digits);
    const SEW_MDX: Model = m("drive", "VFD", "SEW-EURODRIVE", "MOVIDRIVE technology MDX91A", &["V3.0", "V2.20"]).sn("", 12, Serial::Digits);
    const ACS880: Model = m("drive", "VFD", "ABB", "ACS880-01", &["3.51", "3.44"]).sn("", 10, Serial::Digits);
    const IGNITION: Model = vm("scada_server", "SCADA", "Inductive Automation", "Ignition Gateway", &["8.1.38", "8.1.43"]).crit(HIGH);

    pub static SIEMENS: Platform = Platform {
        controllers: &[
            siemens("plc", "PLC", "SIMATIC S7-1500 CPU 1516-3 PN/DP", &["V2.9.4", "V3.0.3", "V3.1.2", "V2.9.7"]).crit(HIGH),
            siemens("plc", "PLC", "SIMATIC S7-1500 CPU 1511-1 PN", &["V2.9.4", "V3.0.3"]).crit(HIGH),
            siemens("plc", "PLC", "SIMATIC S7-1200 CPU 1215C DC/DC/DC", &["V4.5.2", "V4.6.1", "V4.4.1"]).crit(HIGH),
        ],
        io: &[
            siemens("io_module", "IO", "SIMATIC ET 200SP IM 155-6 PN HF", &["V4.2.3", "V6.0.1"]),
            siemens("io_module", "IO", "SIMATIC ET 200MP IM 155-5 PN HF", &["V4.2.1", "V4.1.0"]),
        ],
        hmis: &[
            siemens("hmi", "HMI", "SIMATIC HMI TP1200 Comfort", &["WinCC V17 Update 6", "WinCC V16 Update 7"]).at(Place::Panel),
            siemens("hmi", "HMI", "SIMATIC HMI MTP1500 Unified Comfort", &["WinCC Unified V18 Update 3", "WinCC Unified V19"]).at(Place::Panel),
        ],
        switches: &[SCALANCE_XC208, SCALANCE_XC216],
        drives: &[
            siemens("drive", "VFD", "SINAMICS G120 CU250S-2 PN", &["V4.7 SP13", "V4.7 SP10"]),
            siemens("drive", "VFD", "SINAMICS S120 CU320-2 PN", &["V5.2 SP3", "V5.1 SP1"]),
        ],
        scada: &[vm("scada_server", "SCADA", "Siemens", "SIMATIC WinCC V8.0 server", &["V8.0 Update 4", "V8.0 Update 2"]).crit(HIGH)],
        supervisory_channels: &[tcp("S7comm", 102, "a_to_b"), tcp("OPC UA", 4840, "a_to_b"), udp("NTP", 123, "b_to_a"), udp("Syslog", 514, "b_to_a")],
        field_channels: &[l2("PROFINET RT", "both")],
    };

    pub static ROCKWELL: Platform = Platform {
        controllers: &[
            rockwell("plc", "PLC", "ControlLogix 1756-L83E", &["v33.011", "v34.011", "v35.011", "v32.016"]).crit(HIGH),
            rockwell("plc", "PLC", "CompactLogix 5380 5069-L320ER", &["v32.013", "v33.011", "v35.011"]).crit(HIGH),
            rockwell("plc", "PLC", "CompactLogix 5370 1769-L33ER", &["v33.011", "v31.011"]).crit(HIGH),
        ],
        io: &[
            rockwell("io_module", "IO", "FLEX 5000 5094-AENTR", &["v3.011", "v4.011"]),
            rockwell("io_module", "IO", "POINT I/O 1734-AENTR", &["v6.012", "v5.017"]),
            rockwell("io_module", "IO", "1756-EN2TR communication module", &["v11.002", "v12.001"]),
        ],
        hmis: &[
            rockwell("hmi", "HMI", "PanelView 5510 2715P-T12CD", &["v8.011", "v9.011"]).at(Place::Panel),
            rockwell("hmi", "HMI", "PanelView Plus 7 2711P-T10C22D9P", &["v13.00", "v12.00"]).at(Place::Panel),
        ],
        switches: &[
            rockwell("network_switch", "SW", "Stratix 5700 1783-BMS10CGP", &["IOS 15.2(8)E4", "IOS 15.2(7)E7"]),
            rockwell("network_switch", "SW", "Stratix 5800 1783-MMS10B", &["IOS-XE 17.9.4", "IOS-XE 17.12.3"]),
        ],
        drives: &[
            rockwell("drive", "VFD", "PowerFlex 755", &["v14.002", "v15.001"]),
            rockwell("drive", "VFD", "PowerFlex 525", &["v7.001", "v6.001"]),
        ],
        scada: &[vm("scada_server", "SCADA", "Rockwell Automation", "FactoryTalk View SE server", &["v13.00", "v12.00", "v14.00"]).crit(HIGH)],
        supervisory_channels: &[tcp("EtherNet/IP", 44818, "a_to_b"), udp("EtherNet/IP", 2222, "both"), udp("NTP", 123, "b_to_a")],
        field_channels: &[udp("EtherNet/IP", 2222, "both"), tcp("EtherNet/IP", 44818, "a_to_b")],
    };

    static SCHNEIDER: Platform = Platform {
        controllers: &[
            schneider("plc", "PLC", "Modicon M580 BMEP584040", &["SV3.20", "SV4.10", "SV4.20"]).crit(HIGH),
            schneider("plc", "PLC", "Modicon M340 BMXP342020", &["SV3.30", "SV3.51"]).crit(HIGH),
        ],
        io: &[
            schneider("io_module", "IO", "Modicon X80 BMECRA31210 drop adapter", &["SV2.60", "SV2.70"]),
            schneider("io_module", "IO", "Modicon TM3 bus coupler TM3BCEIP", &["V2.0.50", "V1.1.21"]),
        ],
        hmis: &[
            schneider("hmi", "HMI", "Harmony GTU Open Box HMIG5U", &["Operator Terminal Expert 3.4", "Vijeo Designer 6.3"]).at(Place::Panel),
            schneider("hmi", "HMI", "Harmony ST6 HMIST6500", &["Operator Terminal Expert 3.4"]).at(Place::Panel),
        ],
        switches: &[RSP35, EDS510E],
        drives: &[
            schneider("drive", "VFD", "Altivar Process ATV630", &["V3.4", "V3.2"]),
            schneider("drive", "VFD", "Altivar Machine ATV340", &["V3.1", "V2.6"]),
        ],
        scada: &[vm("scada_server", "SCADA", "AVEVA", "System Platform with InTouch HMI", &["2023 R2 P01", "2020 R2 SP1 P01"]).crit(HIGH)],
        supervisory_channels: &[tcp("Modbus/TCP", 502, "a_to_b"), tcp("OPC UA", 4840, "a_to_b"), udp("NTP", 123, "b_to_a")],
        field_channels: &[tcp("Modbus/TCP", 502, "a_to_b"), udp("EtherNet/IP", 2222, "both")],
    };

    static ABB: Platform = Platform {
        controllers: &[
            m("dcs_controller", "DCS", "ABB", "AC 800M PM866A", &["6.1.1", "6.1.1-2", "6.2.0"]).sn("3BSE", 9, Serial::Digits).crit(HIGH),
            m("dcs_controller", "DCS", "ABB", "AC 800M PM891", &["6.1.1", "6.2.0"]).sn("3BSE", 9, Serial::Digits).crit(HIGH),
        ],
        io: &[
            m("io_module", "IO", "ABB", "S800 I/O CI871A PROFINET interface", &["6.1.1", "6.0.3"]).sn("3BSE", 9, Serial::Digits),
            m("io_module", "IO", "ABB", "Select I/O Ethernet field adapter SF810", &["6.1.1"]).sn("3BSE", 9, Serial::Digits),
        ],
        hmis: &[m("hmi", "HMI", "ABB", "Panel 800 PP885", &["Panel Builder 800 6.1", "Panel Builder 800 2.3"]).at(Place::Panel)],
        switches: &[RSP35, MACH4002],
        drives: &[ACS880, m("drive", "VFD", "ABB", "ACS580-01", &["2.15", "2.11"]).sn("", 10, Serial::Digits)],
        scada: &[vm("scada_server", "SCADA", "ABB", "800xA connectivity and aspect server", &["6.1.1", "6.1.1-2"]).crit(HIGH)],
        supervisory_channels: &[tcp("MMS", 102, "a_to_b"), tcp("OPC UA", 4840, "a_to_b"), udp("NTP", 123, "b_to_a")],
        field_channels: &[l2("PROFINET RT", "both"), tcp("HART-IP", 5094, "a_to_b")],
    };

    static EMERSON: Platform = Platform {
        controllers: &[
            m("dcs_controller", "DCS", "Emerson", "DeltaV MD Plus controller", &["14.3.1", "14 LTS", "15 LTS"]).crit(HIGH),
            m("dcs_controller", "DCS", "Emerson", "DeltaV PK controller", &["14.3.1", "15 LTS"]).crit(HIGH),
        ],
        io: &[
            m("io_module", "IO", "Emerson", "DeltaV CHARMs I/O Card (CIOC)", &["14.3.1", "15 LTS"]),
            m("io_module", "IO", "Emerson", "DeltaV Ethernet I/O Card (EIOC)", &["14.3.1"]),
        ],
        hmis: &[dell("operator_workstation", "OWS", "OptiPlex XE4 DeltaV operator station", IOT_LTSC)],
        switches: &[IE3400, RSP35],
        drives: &[DANFOSS_FC302, SEW_MDX],
        scada: &[dell("scada_server", "SCADA", "PowerEdge R650 DeltaV ProfessionalPLUS station", &["DeltaV 14.3.1", "DeltaV 15 LTS"]).at(Place::Rack).crit(HIGH)],
        supervisory_channels: &[tcp("OPC UA", 4840, "a_to_b"), tcp("Modbus/TCP", 502, "a_to_b"), udp("NTP", 123, "b_to_a")],
        field_channels: &[tcp("HART-IP", 5094, "a_to_b"), tcp("Modbus/TCP", 502, "a_to_b")],
    };

    static HONEYWELL: Platform = Platform {
        controllers: &[
            m("dcs_controller", "DCS", "Honeywell", "Experion PKS C300 controller", &["R511.5", "R520.2", "R510.2"]).crit(HIGH),
            m("dcs_controller", "DCS", "Honeywell", "ControlEdge UOC", &["R511.5", "R520.2"]).crit(HIGH),
        ],
        io: &[
            m("io_module", "IO", "Honeywell", "Series C Universal I/O (UIO-2)", &["R511.5"]).offline(),
            m("io_module", "IO", "Honeywell", "PROFINET Gateway Module (PGM)", &["R511.5", "R520.2"]),
        ],
        hmis: &[dell("operator_workstation", "OWS", "OptiPlex XE4 Experion Flex Station", IOT_LTSC)],
        switches: &[IE3400, m("firewall", "FW", "Honeywell", "Control Firewall CF9", &["R511.5", "R520.2"]).crit(HIGH)],
        drives: &[ACS880, DANFOSS_FC302],
        scada: &[dell("scada_server", "SCADA", "PowerEdge R650 Experion PKS server", &["R511.5", "R520.2"]).at(Place::Rack).crit(HIGH)],
        supervisory_channels: &[tcp("OPC UA", 4840, "a_to_b"), udp("NTP", 123, "b_to_a"), udp("Syslog", 514, "b_to_a")],
        field_channels: &[tcp("HART-IP", 5094, "a_to_b"), l2("PROFINET RT", "both")],
    };

    static BECKHOFF: Platform = Platform {
        controllers: &[
            m("plc", "PLC", "Beckhoff", "CX5140 Embedded PC", &["TwinCAT 3.1.4024.56", "TwinCAT 3.1.4026.11"]).oui(OUI_BECKHOFF).sn("", 8, Serial::Digits).crit(HIGH),
            m("plc", "PLC", "Beckhoff", "C6015 ultra-compact IPC", &["TwinCAT 3.1.4024.56"]).oui(OUI_BECKHOFF).sn("", 8, Serial::Digits).crit(HIGH),
        ],
        io: &[
            m("io_module", "IO", "Beckhoff", "EK1100 EtherCAT coupler", &["rev 0018", "rev 0017"]).sn("", 8, Serial::Digits).offline(),
            m("io_module", "IO", "Beckhoff", "EK9160 IoT bus coupler", &["TwinCAT 3.1.4024.22"]).oui(OUI_BECKHOFF).sn("", 8, Serial::Digits),
        ],
        hmis: &[m("hmi", "HMI", "Beckhoff", "CP2916 multi-touch Control Panel PC", &["Windows 10 IoT Enterprise 2019 LTSC"]).oui(OUI_BECKHOFF).sn("", 8, Serial::Digits).at(Place::Panel)],
        switches: &[EDS510E, FL_SWITCH],
        drives: &[m("drive", "VFD", "Beckhoff", "AX8206 servo drive", &["v1.04", "v1.02"]).sn("", 8, Serial::Digits).offline(), SEW_MDX],
        scada: &[IGNITION],
        supervisory_channels: &[tcp("ADS", 48898, "a_to_b"), tcp("OPC UA", 4840, "a_to_b"), udp("NTP", 123, "b_to_a")],
        field_channels: &[l2("EtherCAT", "both")],
    };

    /// Open-architecture controllers (Phoenix Contact PLCnext, WAGO).
    static OPEN: Platform = Platform {
        controllers: &[
            m("plc", "PLC", "Phoenix Contact", "PLCnext Control AXC F 2152", &["2024.0.6 LTS", "2023.0.7 LTS"]).oui(OUI_PHOENIX).sn("", 10, Serial::Digits).crit(HIGH),
            m("plc", "PLC", "WAGO", "PFC200 750-8212", &["FW27 (04.05.10)", "FW26 (04.04.03)"]).oui(OUI_WAGO).sn("", 8, Serial::Digits).crit(HIGH),
        ],
        io: &[
            m("io_module", "IO", "Phoenix Contact", "Axioline F AXL F BK PN TPS", &["1.33", "1.21"]).oui(OUI_PHOENIX).sn("", 10, Serial::Digits),
            m("io_module", "IO", "WAGO", "750-362 Modbus TCP fieldbus coupler", &["FW 04", "FW 03"]).oui(OUI_WAGO).sn("", 8, Serial::Digits),
        ],
        hmis: &[m("hmi", "HMI", "WAGO", "Touch Panel 600 762-4206", &["FW 26", "FW 25"]).oui(OUI_WAGO).sn("", 8, Serial::Digits).at(Place::Panel)],
        switches: &[FL_SWITCH, EDS510E],
        drives: &[DANFOSS_FC302, SEW_MDX],
        scada: &[IGNITION],
        supervisory_channels: &[tcp("Modbus/TCP", 502, "a_to_b"), tcp("OPC UA", 4840, "a_to_b"), udp("NTP", 123, "b_to_a")],
        field_channels: &[l2("PROFINET RT", "both"), tcp("Modbus/TCP", 502, "a_to_b")],
    };

    pub static PLATFORMS: [&Platform; 8] = [&SIEMENS, &ROCKWELL, &SCHNEIDER, &ABB, &EMERSON, &HONEYWELL, &BECKHOFF, &OPEN];
    /// Platforms common for utilities and building services.
    pub static UTILITY_PLATFORMS: [&Platform; 5] = [&SIEMENS, &SCHNEIDER, &OPEN, &BECKHOFF, &ROCKWELL];

    pub static ENTERPRISE_FIREWALLS: &[Model] = &[PA3220, FG100F];
    pub static ENTERPRISE_SWITCHES: &[Model] = &[C9300, C9200];
    pub static ENTERPRISE_SERVERS: &[Model] = &[
        DOMAIN_CONTROLLER,
        vm("application_server", "LOG", "Splunk", "Heavy Forwarder (SIEM collector)", &["9.2.1", "9.1.3"]),
        BACKUP,
    ];
    pub static DMZ_FIREWALLS: &[Model] = &[PA3220, FG100F];
    pub static DMZ_SERVERS: &[Model] = &[
        PI_SERVER,
        WSUS,
        JUMP_HOST,
        vm("application_server", "AV", "Trellix", "ePolicy Orchestrator agent handler", &["5.10 Update 15", "5.10 Update 14"]),
    ];
    pub static DATA_DIODES: &[Model] = &[
        m("data_diode", "DD", "Waterfall Security", "Unidirectional Security Gateway WF-500", &["8.5", "8.3"]).sn("WF", 8, Serial::Digits).crit(HIGH).at(Place::Rack),
    ];
    pub static DMZ_SWITCHES: &[Model] = &[C9200, MACH4002];
    pub static REMOTE_GATEWAYS: &[Model] = &[
        m("jump_host", "RAG", "Secomea", "SiteManager 1149", &["11.2", "10.5"]).sn("", 10, Serial::Digits).crit(HIGH).at(Place::Rack),
        m("jump_host", "RAG", "HMS Networks", "Ewon Cosy+ EC71330", &["14.8", "14.7"]).sn("", 10, Serial::Digits).crit(HIGH).at(Place::Rack),
    ];
    pub static REMOTE_OTHERS: &[Model] = &[
        JUMP_HOST,
        m("router", "RTR", "Cisco", "IR1101 industrial router", &["IOS-XE 17.9.4", "IOS-XE 17.12.3"]).oui(OUI_CISCO).sn("FCW", 8, Serial::Alnum).at(Place::Rack),
        m("firewall", "FW", "Fortinet", "FortiGate 60F", &["FortiOS 7.2.8", "FortiOS 7.4.4"]).oui(OUI_FORTINET).sn("FGT60FTK", 8, Serial::Digits).crit(HIGH).at(Place::Rack),
    ];
    pub static MES_SERVERS: &[Model] = &[
        vm("mes_server", "MES", "Körber", "Werum PAS-X MES", &["3.3.1", "3.2.3"]).crit(HIGH),
        vm("mes_server", "MES", "Siemens", "Opcenter Execution Pharma", &["2310", "2210"]).crit(HIGH),
        vm("mes_server", "BATCH", "Rockwell Automation", "FactoryTalk Batch server", &["v15.00", "v14.00"]).crit(HIGH),
    ];
    pub static OT_INFRASTRUCTURE: &[Model] = &[
        DOMAIN_CONTROLLER,
        vm("application_server", "SQL", "Microsoft", "SQL Server 2019 database server", &["15.0 CU27", "15.0 CU25"]),
        PI_SERVER,
        BACKUP,
        WSUS,
    ];
    pub static OT_CORE_SWITCHES: &[Model] = &[MACH4002, C9300];
    pub static HISTORIANS: &[Model] = &[PI_SERVER];
    pub static WORKSTATIONS: &[Model] = &[EWS, EWS_PRECISION];
    pub static OPERATOR_STATIONS: &[Model] = &[OWS];
    pub static SUPERVISORY_APPS: &[Model] = &[KEPWARE, DOMAIN_CONTROLLER];
    pub static CELL_FIREWALLS: &[Model] = &[FGR60F, ISA3000, EAGLE40, SC642];
    pub static VISION: &[Model] = &[
        m("camera", "CAM", "Cognex", "In-Sight 3800 vision system", &["6.3.1", "6.2.0"]).oui(OUI_COGNEX).sn("1A", 10, Serial::Alnum),
        m("camera", "CAM", "Cognex", "DataMan 470 barcode reader", &["6.1.10", "6.1.8"]).oui(OUI_COGNEX).sn("1A", 10, Serial::Alnum),
    ];
    pub static PRINTERS: &[Model] = &[
        m("printer", "PRN", "Zebra", "ZT411 label printer", &["Link-OS 7.2", "Link-OS 6.6"]).oui(OUI_ZEBRA).sn("99J", 9, Serial::Digits).crit(LOW),
        m("printer", "PRN", "Videojet", "1880 continuous inkjet printer", &["5.1", "4.3"]).sn("", 9, Serial::Digits).crit(LOW),
    ];
    pub static ROBOTS: &[Model] = &[
        m("robot_controller", "ROB", "FANUC", "R-30iB Plus robot controller", &["V9.30", "V9.10"]).sn("F", 6, Serial::Digits).crit(HIGH),
        m("robot_controller", "ROB", "KUKA", "KR C5 robot controller", &["KSS 8.7", "KSS 8.6"]).sn("", 7, Serial::Digits).crit(HIGH),
    ];
    pub static GATEWAYS: &[Model] = &[
        m("protocol_gateway", "GW", "Moxa", "MGate 5105-MB-EIP", &["v4.3", "v4.2"]).oui(OUI_MOXA).sn("TAGHB", 7, Serial::Digits),
        m("protocol_gateway", "GW", "HMS Networks", "Anybus X-gateway AB7832", &["1.07", "1.05"]).sn("A", 9, Serial::Digits),
    ];
    pub static WIRELESS: &[Model] = &[siemens("wireless_ap", "WAP", "SCALANCE W1788-1 M12", &["V3.0", "V2.2"])];
    pub static SAFETY_CONTROLLERS: &[Model] = &[
        siemens("safety_controller", "SIS", "SIMATIC S7-1500F CPU 1516F-3 PN/DP", &["V2.9.4", "V3.0.3"]).crit(CRITICAL),
        m("safety_controller", "SIS", "HIMA", "HIMax X-CPU 31", &["V8.10", "V7.12"]).sn("", 8, Serial::Digits).crit(CRITICAL),
        m("safety_controller", "SIS", "Yokogawa", "ProSafe-RS SCS (SSC60D)", &["R4.08.00", "R4.07.10"]).sn("C3", 8, Serial::Alnum).crit(CRITICAL),
        rockwell("safety_controller", "SIS", "GuardLogix 5580 1756-L83ES", &["v33.011", "v35.011"]).crit(CRITICAL),
        schneider("safety_controller", "SIS", "Modicon M580 Safety BMEP584040S", &["SV3.20", "SV4.10"]).crit(CRITICAL),
    ];
    pub static SAFETY_IO: &[Model] = &[
        siemens("io_module", "SIO", "SIMATIC ET 200SP IM 155-6 PN HF with F-modules", &["V4.2.3", "V6.0.1"]).crit(HIGH),
        rockwell("io_module", "SIO", "FLEX 5000 safety I/O 5094-AENTR", &["v4.011", "v3.011"]).crit(HIGH),
        m("io_module", "SIO", "HIMA", "HIMax X-DI 32 01", &["V8.10"]).sn("", 8, Serial::Digits).crit(HIGH).offline(),
    ];
    pub static SAFETY_NETWORK: &[Model] = &[RSP35, SCALANCE_XC208, EAGLE40];
    pub static SAFETY_WORKSTATIONS: &[Model] = &[dell("engineering_workstation", "EWS", "OptiPlex 7010 safety engineering workstation", LTSC).crit(HIGH)];
    pub static BUILDING_CONTROLLERS: &[Model] = &[
        siemens("plc", "BMS", "Desigo PXC5.E003 automation station", &["V6.0", "V7.0"]),
        schneider("plc", "BMS", "EcoStruxure Building Operation AS-P", &["6.0.1", "5.0.3"]),
        m("other", "BMS", "Johnson Controls", "Metasys SNE2200 network engine", &["12.0", "11.0"]).sn("", 10, Serial::Alnum),
    ];
    pub static POWER_METERS: &[Model] = &[
        schneider("instrument", "PM", "PowerLogic ION9000 power quality meter", &["V3.1.0", "V2.0.3"]).crit(LOW),
        siemens("instrument", "PM", "SENTRON PAC4200 power monitoring device", &["V3.2.0", "V2.4.2"]).crit(LOW),
        m("instrument", "PM", "Janitza", "UMG 604-PRO power analyser", &["5.018", "4.096"]).sn("", 8, Serial::Digits).crit(LOW),
    ];
    pub static RTUS: &[Model] = &[
        schneider("rtu", "RTU", "SCADAPack 470 smart RTU", &["9.12", "9.11"]),
        siemens("rtu", "RTU", "SIMATIC RTU3030C", &["V5.0.10", "V4.0.20"]),
    ];
    pub static UPS: &[Model] = &[
        m("other", "UPS", "Eaton", "93PM UPS with Gigabit Network Card", &["2.3.7", "2.1.0"]).sn("GE", 9, Serial::Alnum).crit(HIGH).at(Place::Rack),
        m("other", "UPS", "Schneider Electric (APC)", "Smart-UPS SRT 5000 with NMC3", &["3.0.4", "2.5.0"]).oui(OUI_SCHNEIDER).sn("AS", 10, Serial::Digits).at(Place::Rack),
    ];
    pub static INSTRUMENTS: &[Model] = &[
        eh("FT", "Promag H 300 flowmeter (HART)", &["01.06.zz", "01.05.zz"]),
        eh("PT", "Cerabar PMP71B pressure transmitter", &["01.00.zz"]),
        eh("TT", "iTEMP TMT82 temperature transmitter", &["01.02.zz", "01.01.zz"]),
        eh("LS", "Liquiphant FTL51B level switch", &["01.00.zz"]),
        m("instrument", "PT", "Emerson", "Rosemount 3051S pressure transmitter", &["Device revision 7", "Device revision 6"]).sn("", 7, Serial::Digits).at(Place::Field).offline(),
        m("instrument", "LT", "VEGA", "VEGAPULS 6X radar level sensor", &["1.2.0", "1.1.0"]).sn("", 8, Serial::Digits).at(Place::Field).offline(),
        m("instrument", "FV", "Siemens", "SIPART PS2 valve positioner", &["4.05.00", "4.02.00"]).sn("N1", 8, Serial::Alnum).at(Place::Field).offline(),
    ];
    pub static ANALYSERS: &[Model] = &[
        m("instrument", "AT", "Mettler Toledo", "M800 transmitter (pH/DO)", &["2.2.2", "2.1.0"]).sn("", 10, Serial::Digits).at(Place::Field).offline(),
        eh("AT", "Liquiline CM448 analyser", &["01.07.00", "01.06.08"]),
        m("instrument", "WT", "Mettler Toledo", "IND570 weighing terminal", &["3.1.01", "3.0.04"]).sn("", 10, Serial::Digits).at(Place::Field),
    ];
    pub static FIELD_NETWORK: &[Model] = &[
        eh("FT", "Promag 300 flowmeter (PROFINET)", &["01.01.zz", "01.00.zz"]).online(),
        eh("LT", "Micropilot FMR60B radar (Ethernet-APL)", &["01.00.zz"]).online(),
        m("network_switch", "SW", "Pepperl+Fuchs", "FieldConnex Ethernet-APL rail field switch", &["1.5.0", "1.4.2"]).sn("", 10, Serial::Digits).at(Place::Field),
    ];

    pub static LEGACY_CONTROL: &[Model] = &[
        siemens("plc", "PLC", "SIMATIC S7-300 CPU 315-2 PN/DP", &["V3.2.17", "V3.2.8"]).crit(HIGH),
        siemens("plc", "PLC", "SIMATIC S7-300 CPU 317-2 PN/DP", &["V3.3.10", "V3.2.17"]).crit(HIGH),
        rockwell("plc", "PLC", "SLC 5/05 1747-L552", &["Series C FRN 11"]).crit(HIGH),
        rockwell("plc", "PLC", "ControlLogix 1756-L61", &["v20.055", "v16.022"]).crit(HIGH),
        schneider("plc", "PLC", "Modicon Quantum 140CPU65150", &["SV3.60", "SV3.20"]).crit(HIGH),
        siemens("hmi", "HMI", "SIMATIC Panel PC 677C (WinCC flexible 2008 SP3)", &["Windows 7 Ultimate SP1"]).at(Place::Panel),
        rockwell("hmi", "HMI", "PanelView Plus 6 1000 2711P-T10C4D8", &["v6.10 (Windows CE 6.0)"]).at(Place::Panel),
    ];
    pub static LEGACY_SUPERVISORY: &[Model] = &[
        dell("operator_workstation", "OWS", "OptiPlex 790 operator station", &["Windows 7 Professional SP1"]),
        dell("scada_server", "SCADA", "PowerEdge R720 SIMATIC WinCC V7.0 SP3 server", &["Windows Server 2008 R2 SP1"]).at(Place::Rack).crit(HIGH),
        dell("engineering_workstation", "EWS", "OptiPlex 780 engineering station (STEP 7 V5.5)", &["Windows XP Professional SP3"]).crit(HIGH),
    ];
    pub static LEGACY_SAFETY: &[Model] = &[
        m("safety_controller", "SIS", "Schneider Electric (Triconex)", "Tricon v9 MP 3008", &["v9.10", "v9.6"]).sn("", 8, Serial::Digits).crit(CRITICAL),
        m("safety_controller", "SIS", "HIMA", "HIMatrix F35", &["CPU OS V7", "CPU OS V6.46"]).sn("", 8, Serial::Digits).crit(CRITICAL),
    ];
    pub static LEGACY_MES: &[Model] = &[
        dell("mes_server", "BATCH", "PowerEdge R710 FactoryTalk Batch v11 server", &["Windows Server 2008 R2 SP1"]).at(Place::Rack).crit(HIGH),
        dell("historian", "HIS", "PowerEdge R710 PI Server 2012", &["Windows Server 2008 R2 SP1"]).at(Place::Rack),
    ];

    type Names = &'static [&'static str];
    const DE: Names = &["Keller", "Wagner", "Becker", "Schmitt", "Hoffmann", "Richter", "Braun", "Neumann", "Schulz", "Fischer", "Weber", "Krüger"];
    const FR: Names = &["Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefèvre", "Girard", "Roux", "Fontaine", "Chevalier"];
    const EN: Names = &["Miller", "Johnson", "Anderson", "Carter", "Brooks", "Walker", "Hughes", "Bennett", "Murphy", "Campbell", "Reid"];
    const ES: Names = &["García", "Martínez", "López", "Sánchez", "Romero", "Navarro", "Torres", "Ruiz", "Ortega", "Morales"];
    const IT: Names = &["Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti"];
    const NL: Names = &["de Vries", "Jansen", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Peeters"];
    const NORDIC: Names = &["Andersson", "Johansson", "Nielsen", "Hansen", "Lindqvist", "Virtanen", "Korhonen", "Berg", "Larsen", "Nyström"];
    const CE: Names = &["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Dvořák", "Novotný", "Svoboda", "Horváth"];
    const PT: Names = &["Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues", "Almeida", "Ferreira", "Carvalho"];
    const JP: Names = &["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato"];
    const CN: Names = &["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Tan", "Lim"];
    const IN: Names = &["Sharma", "Patel", "Reddy", "Iyer", "Nair", "Gupta", "Rao", "Kumar", "Mehta", "Desai"];
    const KR: Names = &["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Han"];
    const TR: Names = &["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk", "Arslan", "Doğan"];
    const TH: Names = &["Srisuk", "Chaiyaporn", "Wongsawat", "Suwannarat", "Boonmee", "Rattanakorn", "Saetang", "Thongchai", "Kittisak", "Phongsri"];

    pub static CITIES: &[City] = &[
        City("Lyon", "LYS", "Europe/Paris", "France", FR),
        City("Basel", "BSL", "Europe/Zurich", "Switzerland", DE),
        City("Cork", "ORK", "Europe/Dublin", "Ireland", EN),
        City("Barcelona", "BCN", "Europe/Madrid", "Spain", ES),
        City("Milan", "MIL", "Europe/Rome", "Italy", IT),
        City("Leiden", "LEI", "Europe/Amsterdam", "Netherlands", NL),
        City("Antwerp", "ANR", "Europe/Brussels", "Belgium", NL),
        City("Vienna", "VIE", "Europe/Vienna", "Austria", DE),
        City("Wrocław", "WRO", "Europe/Warsaw", "Poland", CE),
        City("Brno", "BRQ", "Europe/Prague", "Czech Republic", CE),
        City("Södertälje", "SOD", "Europe/Stockholm", "Sweden", NORDIC),
        City("Kalundborg", "KLB", "Europe/Copenhagen", "Denmark", NORDIC),
        City("Espoo", "ESP", "Europe/Helsinki", "Finland", NORDIC),
        City("Macclesfield", "MCC", "Europe/London", "United Kingdom", EN),
        City("Ludwigshafen", "LUD", "Europe/Berlin", "Germany", DE),
        City("Marburg", "MBG", "Europe/Berlin", "Germany", DE),
        City("Indianapolis", "IND", "America/Indiana/Indianapolis", "United States", EN),
        City("Durham", "RDU", "America/New_York", "United States", EN),
        City("Houston", "HOU", "America/Chicago", "United States", EN),
        City("Denver", "DEN", "America/Denver", "United States", EN),
        City("Chandler", "CHD", "America/Phoenix", "United States", EN),
        City("Sacramento", "SAC", "America/Los_Angeles", "United States", EN),
        City("Toronto", "YYZ", "America/Toronto", "Canada", EN),
        City("Monterrey", "MTY", "America/Monterrey", "Mexico", ES),
        City("Campinas", "CPQ", "America/Sao_Paulo", "Brazil", PT),
        City("Buenos Aires", "BUE", "America/Argentina/Buenos_Aires", "Argentina", ES),
        City("Osaka", "OSA", "Asia/Tokyo", "Japan", JP),
        City("Suzhou", "SZV", "Asia/Shanghai", "China", CN),
        City("Singapore", "SIN", "Asia/Singapore", "Singapore", CN),
        City("Hyderabad", "HYD", "Asia/Kolkata", "India", IN),
        City("Incheon", "ICN", "Asia/Seoul", "South Korea", KR),
        City("Melbourne", "MEL", "Australia/Melbourne", "Australia", EN),
        City("Auckland", "AKL", "Pacific/Auckland", "New Zealand", EN),
        City("Johannesburg", "JNB", "Africa/Johannesburg", "South Africa", EN),
        City("Jebel Ali", "JEA", "Asia/Dubai", "United Arab Emirates", EN),
        City("Izmir", "IZM", "Europe/Istanbul", "Turkey", TR),
        City("Rayong", "RAY", "Asia/Bangkok", "Thailand", TH),
    ];
}

/// The fewest aligned blocks of third-octet values covering `lo..=hi` as (start, prefix length
/// of the whole address).
fn cidr_cover(lo: usize, hi: usize) -> Vec<(usize, u8)> {
    let mut out = Vec::new();
    let mut start = lo;
    while start <= hi {
        // The largest power-of-two block aligned at `start` that stays within `hi`.
        let mut size = 1;
        while start.is_multiple_of(size * 2) && start + size * 2 - 1 <= hi {
            size *= 2;
        }
        out.push((start, 24 - size.trailing_zeros() as u8));
        start += size;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::KindDef;
    use crate::kinds::{ASSET_KIND, CONDUIT_KIND, SITE_KIND, ZONE_KIND};
    use crate::value::values_from_text;
    use std::collections::{BTreeMap, HashSet};

    /// Parses generated values through the real text parsers with the given references added,
    /// and checks that parsing changes nothing.
    fn assert_canonical(kind: &KindDef, values: &Values, refs: &[(&'static str, &str)]) {
        let mut input: BTreeMap<String, String> = values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_text()))
            .collect();
        for (k, v) in refs {
            input.insert(k.to_string(), v.to_string());
        }
        let mut parsed = values_from_text(kind, &input)
            .unwrap_or_else(|e| panic!("{} {values:?} is refused: {e:?}", kind.name));
        for (k, _) in refs {
            parsed.remove(k);
        }
        assert_eq!(&parsed, values, "{} values are not canonical", kind.name);
        for key in values.keys() {
            assert!(
                kind.field(key).is_some(),
                "{} has no field {key}",
                kind.name
            );
        }
    }

    fn assert_site_canonical(site: &DemoSite) {
        assert_canonical(&SITE_KIND, &site.values, &[]);
        for zone in &site.zones {
            assert_canonical(&ZONE_KIND, &zone.values, &[("site_id", "1")]);
        }
        for conduit in &site.conduits {
            assert_canonical(
                &CONDUIT_KIND,
                &conduit.values,
                &[("site_id", "1"), ("zone_a_id", "1"), ("zone_b_id", "2")],
            );
        }
        for asset in &site.assets {
            assert_canonical(
                &ASSET_KIND,
                &asset.values,
                &[("site_id", "1"), ("zone_id", "1")],
            );
        }
    }

    fn name(values: &Values) -> &str {
        values.get("name").and_then(Value::as_text).unwrap_or("")
    }

    #[test]
    fn generation_is_deterministic() {
        for index in [0, 1, 2, 57, 9_999] {
            let a = demo_site(index, 300);
            assert_eq!(a, demo_site(index, 300));
            assert_eq!(format!("{a:?}"), format!("{:?}", demo_site(index, 300)));
            // Fewer assets give a prefix of the same list.
            assert_eq!(demo_site(index, 120).assets[..], a.assets[..120]);
        }
    }

    #[test]
    fn zone_subnets_cover_exactly_the_address_blocks() {
        assert_eq!(cidr_cover(10, 19), [(10, 23), (12, 22), (16, 22)]);
        assert_eq!(cidr_cover(20, 29), [(20, 22), (24, 22), (28, 23)]);
        let site = demo_site(3, 60);
        let subnets = site.zones[0]
            .values
            .get("subnets")
            .map(Value::to_text)
            .unwrap_or_default();
        assert!(subnets.starts_with("10.3.10.0/23"), "{subnets}");
    }

    #[test]
    fn sites_have_the_requested_shape() {
        for index in 0..50 {
            for count in [0, 1, 200, 5_000] {
                if count == 5_000 && index > 3 {
                    continue;
                }
                let site = demo_site(index, count);
                assert_eq!(site.assets.len(), count);
                let zones = site.zones.len();
                assert!((6..=10).contains(&zones), "site {index} has {zones} zones");
                assert!(!site.conduits.is_empty() && site.conduits.len() <= 12);
                for asset in &site.assets {
                    assert!(asset.zone < zones);
                }
                for conduit in &site.conduits {
                    assert!(conduit.zone_a < zones && conduit.zone_b < zones);
                    assert_ne!(conduit.zone_a, conduit.zone_b);
                    let Some(Value::Channels(chs)) = conduit.values.get("channels") else {
                        panic!("conduit without channels");
                    };
                    assert!((1..=4).contains(&chs.len()));
                }
            }
        }
    }

    #[test]
    fn the_first_two_sites_are_the_named_plants() {
        let fra = demo_site(0, 0);
        assert_eq!(fra.values.get("code"), Some(&Value::Text("FRA1".into())));
        assert_eq!(
            fra.values.get("time_zone"),
            Some(&Value::Text("Europe/Berlin".into()))
        );
        assert_eq!(fra.zones.len(), 10);
        let kal = demo_site(1, 0);
        assert_eq!(kal.values.get("code"), Some(&Value::Text("KAL1".into())));
        assert_eq!(
            kal.values.get("time_zone"),
            Some(&Value::Text("America/Detroit".into()))
        );
    }

    #[test]
    fn every_record_passes_the_real_parsers_unchanged() {
        assert_site_canonical(&demo_site(0, 3_000));
        // Enough sites to cover every city, industry and platform.
        for index in 1..(CITIES.len() + 40) {
            assert_site_canonical(&demo_site(index, 150));
        }
        assert_site_canonical(&demo_site(123_456_789, 50));
    }

    #[test]
    fn legacy_assets_are_about_five_percent_and_have_controls() {
        let site = demo_site(0, 5_000);
        let legacy: Vec<&DemoAsset> = site
            .assets
            .iter()
            .filter(|a| a.values.get("legacy").is_some_and(Value::as_bool))
            .collect();
        assert!(
            (150..=400).contains(&legacy.len()),
            "{} legacy assets",
            legacy.len()
        );
        assert!(legacy.iter().all(|a| {
            a.values
                .get("compensating_controls")
                .is_some_and(|v| !v.is_null())
        }));
    }

    #[test]
    fn names_and_codes_are_unique() {
        for index in [0, 1, 5] {
            let site = demo_site(index, 20_000);
            let assets: HashSet<&str> = site.assets.iter().map(|a| name(&a.values)).collect();
            assert_eq!(assets.len(), site.assets.len());
            let zones: HashSet<&str> = site.zones.iter().map(|z| name(&z.values)).collect();
            assert_eq!(zones.len(), site.zones.len());
            let conduits: HashSet<&str> = site.conduits.iter().map(|c| name(&c.values)).collect();
            assert_eq!(conduits.len(), site.conduits.len());
        }
        let mut codes = HashSet::new();
        for index in 0..10_000 {
            let plan = SitePlan::new(index);
            assert!(plan.code.len() <= 16);
            assert!(
                plan.code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            );
            assert!(codes.insert(plan.code), "duplicate code for site {index}");
        }
        assert!(SitePlan::new(usize::MAX).code.len() <= 16);
    }
}
