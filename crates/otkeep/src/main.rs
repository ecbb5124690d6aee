//! The `otkeep` command: serve the web UI and API, load the demo organization, import and export
//! records, verify the audit trail, apply migrations.
//!
//! Every setting is a flag with an `OTKEEP_…` environment variable behind it (flags win).

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use otkeep_core::KindDef;
use otkeep_store::{ListQuery, Store};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "otkeep",
    version,
    about = "The system of record for an IEC 62443-aligned OT security program"
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    /// Log as JSON lines (for log collectors) instead of human-readable text.
    #[arg(long, global = true, env = "OTKEEP_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct DbArgs {
    /// Database URL: postgres://USER@HOST/DB for PostgreSQL, or sqlite://PATH. Default: the
    /// SQLite database in --data-dir.
    #[arg(long, global = true, env = "OTKEEP_DATABASE_URL")]
    database_url: Option<String>,
    /// Folder for the embedded SQLite database (created on first run).
    #[arg(
        long,
        global = true,
        env = "OTKEEP_DATA_DIR",
        default_value = "otkeep-data"
    )]
    data_dir: PathBuf,
}

impl DbArgs {
    async fn open(&self) -> Result<Store> {
        let store = match &self.database_url {
            Some(url) => Store::open(url).await,
            None => Store::open_data_dir(&self.data_dir).await,
        };
        store.with_context(|| match &self.database_url {
            Some(url) => format!("cannot open database {}", redact(url)),
            None => format!("cannot open database in {}", self.data_dir.display()),
        })
    }
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI and JSON API.
    Serve(ServeArgs),
    /// Load the demo organization (deterministic; existing demo sites are skipped).
    Demo(DemoArgs),
    /// Import records from a CSV or XLSX file (one transaction: all rows or none), or CSAF 2.0
    /// advisories (`import csaf FILE-OR-FOLDER`: matched against the inventory).
    Import {
        #[arg(value_parser = parse_import_target)]
        kind: ImportTarget,
        file: PathBuf,
        /// Code of the site the rows belong to (or give a Site column in the file).
        #[arg(long)]
        site: Option<String>,
        /// `import sbom`: the asset (id) the SBOM describes.
        #[arg(long)]
        asset: Option<i64>,
        /// `import sbom`: the firmware it describes, as `VENDOR|MODEL|FIRMWARE`.
        #[arg(long)]
        model: Option<String>,
        /// Name recorded as the actor in the audit trail.
        #[arg(long, env = "OTKEEP_OPERATOR", default_value = "admin")]
        operator: String,
    },
    /// Export records as CSV (UTF-8 with BOM, opens in Excel).
    Export {
        #[arg(value_parser = parse_kind)]
        kind: &'static KindDef,
        /// Only records of this site (code).
        #[arg(long)]
        site: Option<String>,
        /// Output file; standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Recompute the audit trail's hash chain and report the first broken link.
    VerifyAudit,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Write a consistent copy of the whole database to FILE (a SQLite file, from either
    /// backend) while the server keeps running, and verify the copy's audit trail.
    Backup {
        /// The backup file to create (never overwritten).
        file: PathBuf,
    },
    /// Restore a backup FILE into the database named by --database-url / --data-dir, which must
    /// be new or empty. A backup made by an older release is upgraded on the way. Stop the
    /// server first; start it on the restored database afterwards.
    Restore {
        /// The backup file (made by `otkeep backup`).
        file: PathBuf,
    },
    /// Check the zone and conduit model (assets in no zone, zones without SL-T or conduit, FR5
    /// steps without boundary controls, cross-site conduits, addresses outside zone subnets).
    /// Exit code 1 when there are findings.
    Check {
        /// Only this site (code).
        #[arg(long)]
        site: Option<String>,
    },
    /// A site's IEC 62443 assessment sheet: export it, fill it in, import it back.
    Gap {
        #[command(subcommand)]
        command: GapCommand,
    },
    /// The IEC 62443-3-3 requirement catalog: list it, or import the text of your licensed copy.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// What is due: every dated obligation (exception reviews and expiries, countermeasure
    /// reviews, treatment actions, risk assessment reviews, planned requirements), overdue
    /// first. Exit code 1 when something is overdue.
    Due {
        /// Only this site (code).
        #[arg(long)]
        site: Option<String>,
        /// Only what falls due within this many days (overdue items always).
        #[arg(long)]
        within: Option<i64>,
        /// Print JSON (the same objects as /api/v1/due) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Operations KPIs: patch latency and deployment within the target window, deferrals,
    /// time to revoke access, accounts past their review, shared accounts without a holder,
    /// remote sessions flagged, restore tests of critical assets.
    Kpi {
        /// Only this site (code).
        #[arg(long)]
        site: Option<String>,
        /// Print JSON (the same object as /api/v1/kpi/operations) instead of a table.
        #[arg(long)]
        json: bool,
        /// Take today's snapshot of the program KPIs (every site and the organization; the
        /// server does this once a day) instead of printing.
        #[arg(long, conflicts_with_all = ["site", "json"])]
        snapshot: bool,
    },
    /// OSCAL 1.0.6 JSON: `oscal assessment --site CODE --zone NAME` (a zone's assessment
    /// results), `oscal poam [--site CODE]` (the treatment plan).
    Oscal {
        #[command(subcommand)]
        command: OscalCommand,
    },
    /// Generate a report as PDF, XLSX, HTML or JSON (by the output's extension) for a site or
    /// the organization, now or as of a past date (rebuilt from the audit trail).
    /// `otkeep report --list` names them.
    Report {
        /// The report: inventory, zones, sl-justification, gap, risk, exceptions,
        /// vulnerabilities, changes, operations, kpis.
        name: Option<String>,
        /// Only this site (code); the organization when omitted.
        #[arg(long)]
        site: Option<String>,
        /// YYYY-MM-DD: the records as they stood at the end of that day (UTC).
        #[arg(long)]
        as_of: Option<String>,
        /// Start of the period (change log, operations evidence; default 365 days before).
        #[arg(long)]
        from: Option<String>,
        /// End of the period (default: the report's date).
        #[arg(long)]
        to: Option<String>,
        /// The file to write: .pdf, .xlsx, .html or .json.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// List the reports.
        #[arg(long)]
        list: bool,
    },
    /// Observed traffic: hosts and flows (with ICS protocols and their read/write operations)
    /// from packet captures (`observe pcap FILE…`, pcap and pcapng) or Zeek conn.log files
    /// (`observe zeek FILE…`, TSV or JSON lines).
    Observe {
        #[command(subcommand)]
        command: ObserveCommand,
    },
    /// Requirement coverage: for each IEC 62443-3-3 requirement the documents mapped to it
    /// (`*` marks those without an effective version) and the records evidencing it.
    Coverage {
        /// Only this site (its documents and the corporate ones).
        #[arg(long)]
        site: Option<String>,
        /// Only the requirements nothing evidences.
        #[arg(long)]
        gaps: bool,
        /// Print JSON (the same object as /api/v1/coverage) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Vendor aliases for matching advisories: `alias add ALIAS VENDOR` (then every advisory is
    /// matched again), `alias list`.
    Alias {
        #[command(subcommand)]
        command: AliasCommand,
    },
    /// The risk method: show it, export it as JSON, or import a new version.
    Risk {
        #[command(subcommand)]
        command: RiskCommand,
    },
    /// Manage user accounts (first setup and recovery: whoever runs this has the database).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum ObserveCommand {
    /// Read packet captures (pcap or pcapng; streamed, any size). With `--site`, keep them as
    /// that site's evidence and print what they show against its records.
    Pcap {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print JSON (hosts and flows) instead of tables.
        #[arg(long)]
        json: bool,
        /// Import into this site (code) and reconcile with its inventory and zone model.
        #[arg(long)]
        site: Option<String>,
        /// Name recorded as the actor in the audit trail.
        #[arg(long, env = "OTKEEP_OPERATOR", default_value = "cli")]
        operator: String,
    },
    /// Read a firewall ruleset (iptables-save output or pfSense config.xml) and, with `--site`,
    /// check it against the site's zones and conduits: rules no conduit declares, any-any
    /// rules, ports no channel lists, conduits no rule enforces.
    Firewall {
        file: PathBuf,
        /// Keep the ruleset as this site's (code) and check it against its model.
        #[arg(long)]
        site: Option<String>,
        #[arg(long, env = "OTKEEP_OPERATOR", default_value = "cli")]
        operator: String,
    },
    /// Read Zeek conn.log files (tab-separated or JSON lines); `--site` as for captures.
    Zeek {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        site: Option<String>,
        #[arg(long, env = "OTKEEP_OPERATOR", default_value = "cli")]
        operator: String,
    },
}

#[derive(Subcommand)]
enum GapCommand {
    /// Write the assessment sheet of a site as CSV (or XLSX when the output ends in .xlsx):
    /// one row per requirement in force of every zone and conduit, with status, what counts,
    /// dates, owner, notes and evidence.
    Export {
        #[arg(long)]
        site: String,
        /// Output file; standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Import a filled-in assessment sheet (CSV, or XLSX by extension): all rows or none,
    /// problems named by line and column.
    Import {
        file: PathBuf,
        #[arg(long)]
        site: String,
        /// Name recorded as the actor in the audit trail.
        #[arg(long, env = "OTKEEP_OPERATOR", default_value = "cli")]
        operator: String,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Import requirement text (and corrected levels) from a CSV with the columns id, text and
    /// level, made from your licensed copy of IEC 62443-3-3. All rows or none.
    Import {
        file: PathBuf,
        /// Name recorded as the actor in the audit trail.
        #[arg(long, env = "OTKEEP_OPERATOR", default_value = "cli")]
        operator: String,
    },
    /// Print the catalog as this installation uses it (id, FR, level, scope, title, text?).
    List,
}

#[derive(Subcommand)]
enum AliasCommand {
    /// Read ALIAS as VENDOR from now on (e.g. a distributor's or former name).
    Add {
        alias: String,
        vendor: String,
        /// Name recorded as the actor in the audit trail.
        #[arg(long, env = "OTKEEP_OPERATOR", default_value = "cli")]
        operator: String,
    },
    /// List the aliases added and the built-in ones.
    List,
}

#[derive(Subcommand)]
enum RiskCommand {
    /// Print the risk method in force (of a site with --site): scales, levels, matrix.
    Show {
        #[arg(long)]
        site: Option<String>,
    },
    /// Write the method in force as JSON (standard output when no file is given).
    Export {
        #[arg(long)]
        site: Option<String>,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Store a method document (JSON) as a new version, for the organization or, when its
    /// method allows site methods, for one site.
    Import {
        file: PathBuf,
        #[arg(long)]
        site: Option<String>,
        /// Name recorded as the actor in the audit trail.
        #[arg(long, env = "OTKEEP_OPERATOR", default_value = "cli")]
        operator: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account and print its one-time password (to be changed at first sign-in).
    Add {
        username: String,
        /// Full name shown in the UI and on signatures.
        #[arg(long)]
        name: Option<String>,
        /// Grant this role right away: admin, program_owner, site_engineer, operator, auditor,
        /// vendor.
        #[arg(long)]
        role: Option<String>,
        /// The site (code) the role applies to; all sites when absent.
        #[arg(long)]
        site: Option<String>,
        /// For vendors: the id of the asset they may see.
        #[arg(long)]
        asset: Option<i64>,
    },
    /// Grant a role to an account.
    Grant {
        username: String,
        role: String,
        #[arg(long)]
        site: Option<String>,
        #[arg(long)]
        asset: Option<i64>,
    },
    /// Set a new one-time password (printed once); the user's sessions end.
    ResetPassword { username: String },
    /// Disable an account: it can no longer sign in, its sessions end, its tokens stop working.
    Disable { username: String },
    /// Enable a disabled or locked account.
    Enable { username: String },
    /// List accounts with their status and roles.
    List,
    /// Create an API token for an account (for scripts and integrations) and print it once.
    Token {
        username: String,
        /// What the token is for (shown in the account's token list).
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until it expires (1-365).
        #[arg(long, default_value_t = 30)]
        days: i64,
        /// Read-only (GET requests only).
        #[arg(long)]
        read_only: bool,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "OTKEEP_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Load the demo organization first if the database has no sites.
    #[arg(long, env = "OTKEEP_DEMO")]
    demo: bool,
    /// Send the session cookie over plain HTTP too. Only for a server reached by name over
    /// plain HTTP on a trusted network; browsers accept secure cookies on localhost anyway.
    #[arg(long, env = "OTKEEP_INSECURE_COOKIES")]
    insecure_cookies: bool,
    /// Seconds a client has to send a complete request header (slow clients are cut off).
    #[arg(long, env = "OTKEEP_HEADER_TIMEOUT_SECS", default_value_t = 30)]
    header_timeout_secs: u64,
    /// Minutes a request (its upload included) may take before it is answered 408.
    #[arg(long, env = "OTKEEP_REQUEST_TIMEOUT_MINUTES", default_value_t = 15)]
    request_timeout_minutes: u64,
    /// Sign-in attempts per minute from one client address (then 429, audited). Behind a
    /// reverse proxy every client shares the proxy's address: raise it there.
    #[arg(long, env = "OTKEEP_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 20)]
    login_attempts_per_minute: u32,
    /// Minutes without a request after which a session ends.
    #[arg(long, env = "OTKEEP_SESSION_IDLE_MINUTES", default_value_t = 30)]
    session_idle_minutes: i64,
    /// Hours after sign-in after which a session ends regardless.
    #[arg(long, env = "OTKEEP_SESSION_HOURS", default_value_t = 12)]
    session_hours: i64,
    /// A PostgreSQL streaming replica of the database (hot standby) for heavy reads: reports,
    /// exports and roll-ups go there while it is no more than --read-max-lag-secs behind.
    #[arg(long, env = "OTKEEP_READ_DATABASE_URL")]
    read_database_url: Option<String>,
    /// The most a heavy read from the replica may lag the primary, in seconds; when the replica
    /// is further behind (or down) the read goes to the primary.
    #[arg(long, env = "OTKEEP_READ_MAX_LAG_SECS", default_value_t = 5)]
    read_max_lag_secs: u32,
    /// This instance's name, recorded when it claims a background job (several instances may
    /// share one PostgreSQL database). Default: host name and process id.
    #[arg(long, env = "OTKEEP_INSTANCE")]
    instance: Option<String>,
}

#[derive(Args)]
struct DemoArgs {
    /// Number of sites.
    #[arg(long, default_value_t = 2)]
    sites: usize,
    /// Assets per site.
    #[arg(long, default_value_t = 200)]
    assets_per_site: usize,
}

/// What `otkeep import` reads: records of a kind (CSV), or CSAF advisories.
#[derive(Clone, Copy)]
enum ImportTarget {
    Kind(&'static KindDef),
    Csaf,
    Sbom,
    Certificate,
}

fn parse_import_target(name: &str) -> Result<ImportTarget, String> {
    if name.eq_ignore_ascii_case("csaf") {
        return Ok(ImportTarget::Csaf);
    }
    if name.eq_ignore_ascii_case("sbom") {
        return Ok(ImportTarget::Sbom);
    }
    if name.eq_ignore_ascii_case("certificate") {
        return Ok(ImportTarget::Certificate);
    }
    parse_kind(name)
        .map(ImportTarget::Kind)
        .map_err(|e| format!("{e}, or csaf, sbom, certificate"))
}

/// The value of a write, or `None` after printing its field errors (named by `file`), for
/// exit code 2; other errors pass on.
fn reported<T>(result: Result<T, otkeep_store::StoreError>, file: &str) -> Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(otkeep_store::StoreError::Invalid(errors)) => {
            for e in errors {
                eprintln!("{file}: {e}");
            }
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

async fn import_certificate(
    store: &Store,
    file: &std::path::Path,
    site: Option<&str>,
    operator: &str,
) -> Result<i32> {
    let name = file.display().to_string();
    let Some(code) = site else {
        bail!("say which site uses the certificate: --site CODE");
    };
    let site = site_id(store, code).await?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {name}"))?;
    let (mut json, cn) = match otkeep_ingest::read_certificate(&bytes, &name) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}");
            return Ok(2);
        }
    };
    if let Some(obj) = json.as_object_mut() {
        obj.insert("site_id".into(), site.into());
        obj.insert(
            "name".into(),
            (if cn.is_empty() { name.clone() } else { cn }).into(),
        );
        obj.insert("owner".into(), operator.into());
    }
    let values = match otkeep_core::value::values_from_json(
        &otkeep_core::config_kinds::CERTIFICATE_KIND,
        &json,
    ) {
        Ok(v) => v,
        Err(errors) => {
            for e in errors {
                eprintln!("{name}: {e}");
            }
            return Ok(2);
        }
    };
    let mut tx = store
        .begin_write(operator, Some("certificate import"))
        .await?;
    let Some(record) = reported(
        tx.create(&otkeep_core::config_kinds::CERTIFICATE_KIND, values)
            .await,
        &name,
    )?
    else {
        return Ok(2);
    };
    tx.commit().await?;
    let today = jiff::Zoned::now().date().to_string();
    println!(
        "{name}: certificate #{} '{}' valid until {}",
        record.id,
        record.title(),
        record.get("valid_to").to_text()
    );
    for w in otkeep_core::config_kinds::weaknesses(&record.values, &today) {
        println!("  weak: {w}");
    }
    Ok(0)
}

async fn import_sbom(
    store: &Store,
    file: &std::path::Path,
    asset: Option<i64>,
    model: Option<String>,
    operator: &str,
) -> Result<i32> {
    let name = file.display().to_string();
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {name}"))?;
    let attach = match (asset, model) {
        (Some(id), None) => otkeep_store::Attach::Asset(id),
        (None, Some(m)) => {
            let mut parts = m.splitn(3, '|').map(str::trim);
            otkeep_store::Attach::Model {
                vendor: parts.next().unwrap_or("").to_string(),
                model: parts.next().unwrap_or("").to_string(),
                firmware: parts.next().unwrap_or("").to_string(),
            }
        }
        _ => bail!("say what the SBOM describes: --asset ID or --model 'VENDOR|MODEL|FIRMWARE'"),
    };
    let sbom = match otkeep_ingest::parse_sbom(&bytes, &name) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Ok(2);
        }
    };
    let sha = otkeep_store::sha256_bytes(&bytes);
    let mut tx = store.begin_write(operator, Some("SBOM import")).await?;
    let Some(id) = reported(tx.store_sbom(&sbom, &name, &sha, &attach).await, &name)? else {
        return Ok(2);
    };
    tx.commit().await?;
    let advisories = store.sbom_advisories(&sbom).await?;
    println!(
        "{name}: SBOM #{id} ({} {} {}), {} components; {} advisories name its components",
        sbom.format,
        sbom.encoding,
        sbom.spec_version,
        sbom.components.len(),
        advisories.len()
    );
    for a in &advisories {
        println!(
            "  {} ({}): {} {}",
            a.tracking_id, a.severity, a.component, a.component_version
        );
    }
    Ok(0)
}

async fn import_csaf(store: &Store, path: &std::path::Path, operator: &str) -> Result<i32> {
    let files = otkeep_ingest::csaf_files(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if files.is_empty() {
        bail!("{} holds no .json file", path.display());
    }
    let bar = ProgressBar::new(files.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} advisories, {per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
    let started = Instant::now();
    let report =
        otkeep_ingest::import_csaf_files(store, &files, operator, &mut |n| bar.set_position(n))
            .await?;
    bar.finish_and_clear();
    println!(
        "{} files: {} new advisories, {} updated, {} ignored, {} failed; {} matches with assets; {:.1?}",
        files.len(),
        report.created,
        report.updated,
        report.ignored.len(),
        report.failed.len(),
        report.matches,
        started.elapsed()
    );
    for (file, why) in &report.ignored {
        println!("  ignored {file}: {why}");
    }
    for e in &report.failed {
        eprintln!("  failed {e}");
    }
    Ok(if report.failed.is_empty() { 0 } else { 2 })
}

/// A kind of record named by its plural (`assets`, `treatments`, …): every kind imports and
/// exports the same way.
fn parse_kind(name: &str) -> Result<&'static KindDef, String> {
    otkeep_core::kind_by_plural(&name.to_ascii_lowercase()).ok_or_else(|| {
        let names: Vec<&str> = otkeep_core::KINDS.iter().map(|k| k.plural).collect();
        format!(
            "'{name}' is not a kind of record; use one of: {}",
            names.join(", ")
        )
    })
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OTKEEP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    match run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}

async fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Serve(args) => serve(&cli.db, args).await,
        Command::Demo(args) => {
            let store = cli.db.open().await?;
            load_demo(&store, args.sites, args.assets_per_site).await?;
            Ok(0)
        }
        Command::Import {
            kind,
            file,
            site,
            asset,
            model,
            operator,
        } => {
            let store = cli.db.open().await?;
            match kind {
                ImportTarget::Kind(kind) => {
                    import(&store, kind, &file, site.as_deref(), &operator).await
                }
                ImportTarget::Csaf => import_csaf(&store, &file, &operator).await,
                ImportTarget::Sbom => import_sbom(&store, &file, asset, model, &operator).await,
                ImportTarget::Certificate => {
                    import_certificate(&store, &file, site.as_deref(), &operator).await
                }
            }
        }
        Command::Export { kind, site, output } => {
            let store = cli.db.open().await?;
            export(&store, kind, site.as_deref(), output).await?;
            Ok(0)
        }
        Command::VerifyAudit => {
            let store = cli.db.open().await?;
            let started = Instant::now();
            let report = store.verify_audit().await?;
            match report.broken {
                None => {
                    println!(
                        "audit trail intact: {} events verified in {:.1?}; head hash {}",
                        report.checked,
                        started.elapsed(),
                        report.head
                    );
                    Ok(0)
                }
                Some((seq, why)) => {
                    println!(
                        "AUDIT TRAIL BROKEN at event {seq}: {why}. {} events before it verified.",
                        report.checked
                    );
                    Ok(2)
                }
            }
        }
        Command::Check { site } => {
            let store = cli.db.open().await?;
            let scope = match site {
                Some(code) => otkeep_core::access::Scope::Limited {
                    sites: vec![site_id(&store, &code).await?],
                    records: Vec::new(),
                },
                None => otkeep_core::access::Scope::All,
            };
            let findings = store.check_model(&scope).await?;
            let traffic = otkeep_core::reconcile::RULES
                .iter()
                .chain(otkeep_core::firewall::RULES)
                .filter(|(rule, _)| findings.iter().any(|f| f.rule == *rule));
            for (rule, title) in otkeep_core::model::RULES.iter().chain(traffic) {
                let mine: Vec<_> = findings.iter().filter(|f| f.rule == *rule).collect();
                println!("{title}: {}", mine.len());
                for f in &mine {
                    println!("  - {}", f.message);
                }
                if let Some(f) = mine.first() {
                    println!("    fix: {}", f.fix);
                }
            }
            println!(
                "{} finding{}",
                findings.len(),
                if findings.len() == 1 { "" } else { "s" }
            );
            Ok(if findings.is_empty() { 0 } else { 1 })
        }
        Command::Gap { command } => {
            let store = cli.db.open().await?;
            gap(&store, command).await
        }
        Command::Catalog { command } => {
            let store = cli.db.open().await?;
            catalog(&store, command).await
        }
        Command::User { command } => {
            let store = cli.db.open().await?;
            user(&store, command).await
        }
        Command::Due { site, within, json } => {
            let store = cli.db.open().await?;
            due(&store, site, within, json).await
        }
        Command::Kpi {
            site,
            json,
            snapshot,
        } => {
            let store = cli.db.open().await?;
            if snapshot {
                let n = store
                    .snapshot_kpis("otkeep CLI", jiff::Zoned::now().datetime())
                    .await?;
                println!("KPI snapshot of {}: {n} values", jiff::Zoned::now().date());
                return Ok(0);
            }
            kpi(&store, site, json).await
        }
        Command::Oscal { command } => {
            let store = cli.db.open().await?;
            oscal(&store, command).await
        }
        Command::Report {
            name,
            site,
            as_of,
            from,
            to,
            output,
            list,
        } => {
            if list {
                for r in otkeep_web::reports::REPORTS {
                    println!("{:<18} {}: {}", r.slug, r.title, r.covers);
                }
                return Ok(0);
            }
            let store = cli.db.open().await?;
            let params = otkeep_web::reports::ReportParams {
                site,
                as_of,
                from,
                to,
                ..Default::default()
            };
            report(&store, name, params, output).await
        }
        Command::Observe {
            command:
                ObserveCommand::Pcap {
                    files,
                    site: Some(site),
                    operator,
                    ..
                },
        } => import_observations(&cli.db.open().await?, &files, false, &site, &operator).await,
        Command::Observe {
            command:
                ObserveCommand::Zeek {
                    files,
                    site: Some(site),
                    operator,
                    ..
                },
        } => import_observations(&cli.db.open().await?, &files, true, &site, &operator).await,
        Command::Observe {
            command:
                ObserveCommand::Firewall {
                    file,
                    site,
                    operator,
                },
        } => firewall(&cli.db, &file, site.as_deref(), &operator).await,
        Command::Observe { command } => observe(command),
        Command::Coverage { site, gaps, json } => {
            let store = cli.db.open().await?;
            coverage(&store, site, gaps, json).await
        }
        Command::Alias { command } => {
            let store = cli.db.open().await?;
            match command {
                AliasCommand::Add {
                    alias,
                    vendor,
                    operator,
                } => {
                    let mut tx = store.begin_write(&operator, Some("vendor alias")).await?;
                    let Some(matches) =
                        reported(tx.set_vendor_alias(&alias, &vendor).await, "alias")?
                    else {
                        return Ok(2);
                    };
                    tx.commit().await?;
                    println!(
                        "'{alias}' is read as '{vendor}'; advisories matched again: {matches} matches"
                    );
                    Ok(0)
                }
                AliasCommand::List => {
                    for (a, v, at, by) in store.vendor_aliases().await? {
                        println!("{a}\t{v}\t{at}\t{by}");
                    }
                    for (a, v) in otkeep_core::advisory::VENDOR_ALIASES {
                        println!("{a}\t{v}\tbuilt in\t-");
                    }
                    Ok(0)
                }
            }
        }
        Command::Risk { command } => {
            let store = cli.db.open().await?;
            risk(&store, command).await
        }
        Command::Backup { file } => {
            let store = cli.db.open().await?;
            let started = Instant::now();
            let summary = store.backup_to(&file).await;
            store.close().await;
            let summary =
                summary.with_context(|| format!("backup to {} failed", file.display()))?;
            print_copy(
                &format!("backup written to {}", file.display()),
                started,
                &summary,
            );
            Ok(0)
        }
        Command::Restore { file } => {
            let store = cli.db.open().await?;
            let started = Instant::now();
            let summary = store.restore_from(&file).await;
            store.close().await;
            let summary =
                summary.with_context(|| format!("restore of {} failed", file.display()))?;
            print_copy(&format!("restored {}", file.display()), started, &summary);
            Ok(0)
        }
        Command::Migrate => {
            let store = cli.db.open().await?;
            println!(
                "database is at schema version {}",
                otkeep_store::migrate::MIGRATIONS.len()
            );
            store.close().await;
            Ok(0)
        }
    }
}

/// The line `backup` and `restore` end with: what they copied and the verified audit head.
fn print_copy(what: &str, started: Instant, summary: &otkeep_store::db_backup::CopySummary) {
    println!(
        "{what} in {:.1?}: {} tables, {} rows, schema version {}; audit trail intact ({} events, head hash {})",
        started.elapsed(),
        summary.tables,
        summary.rows,
        summary.schema_version,
        summary.audit.checked,
        summary.audit.head
    );
}

async fn load_demo(store: &Store, sites: usize, assets: usize) -> Result<()> {
    let total = (sites * assets) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} assets, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("loading demo");
    let started = Instant::now();
    let done = store
        .load_demo(sites, assets, "demo", &mut |n| bar.set_position(n))
        .await?;
    bar.finish_and_clear();
    println!(
        "demo: {} sites created ({} already present), {} assets, {} operations records, {} governance records ({} documents), in {:.1?}",
        done.sites_created,
        done.sites_skipped,
        done.assets_created,
        done.ops_records,
        done.governance_records,
        done.documents,
        started.elapsed()
    );
    Ok(())
}

async fn serve(db: &DbArgs, args: ServeArgs) -> Result<i32> {
    let mut store = db.open().await?;
    if let Some(url) = &args.read_database_url {
        store = store
            .attach_replica(
                url,
                jiff::SignedDuration::from_secs(i64::from(args.read_max_lag_secs)),
            )
            .await
            .context("cannot use the read replica")?;
    }
    if args.demo {
        let sites = store
            .list(
                &otkeep_core::kinds::SITE_KIND,
                &ListQuery {
                    per_page: 1,
                    ..ListQuery::default()
                },
            )
            .await?;
        if sites.total == 0 {
            load_demo(&store, 2, 200).await?;
        } else {
            println!("the database already has sites; demo not loaded");
        }
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    if let Some((username, password)) = store.ensure_first_admin().await? {
        println!(
            "first start: created administrator '{username}' with one-time password\n\n    {password}\n\nIt is shown only this once. Sign in with it and choose your own password."
        );
    }
    let purged = store.purge_sessions().await?;
    tracing::debug!(purged, "expired sessions removed");
    if args.session_idle_minutes < 1 || args.session_hours < 1 {
        bail!("session timeouts must be at least 1 minute idle and 1 hour absolute");
    }
    let policy = otkeep_store::AuthPolicy {
        session_idle: jiff::SignedDuration::from_mins(args.session_idle_minutes),
        session_absolute: jiff::SignedDuration::from_hours(args.session_hours),
        ..otkeep_store::AuthPolicy::default()
    };
    let state = otkeep_web::AppState {
        store: Arc::new(store),
        policy: Arc::new(policy),
        secure_cookies: !args.insecure_cookies,
    };
    // Background jobs (KPI snapshot, housekeeping, re-matching): every instance looks, the
    // database lets one of them run each.
    let instance = args.instance.clone().unwrap_or_else(default_instance_name);
    let jobs = state.store.clone();
    tokio::spawn(async move { jobs.run_jobs_forever(&instance).await });
    println!("otkeep is running: open http://{addr}/  (Ctrl-C stops it)");
    if args.header_timeout_secs == 0 || args.request_timeout_minutes == 0 {
        bail!("the header and request timeouts must be at least 1");
    }
    let options = otkeep_web::ServeOptions {
        header_read_timeout: Duration::from_secs(args.header_timeout_secs),
        request_timeout: Duration::from_secs(args.request_timeout_minutes * 60),
        login_attempts_per_minute: args.login_attempts_per_minute,
    };
    otkeep_web::serve_with(listener, state, options, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(0)
}

/// `HOST:PID`: unique among the instances running at one time.
fn default_instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "otkeep".into());
    format!("{host}:{}", std::process::id())
}

async fn site_id(store: &Store, code: &str) -> Result<i64> {
    match store
        .find_id(
            &otkeep_core::kinds::SITE_KIND,
            "code",
            &code.to_ascii_uppercase(),
            None,
        )
        .await?
    {
        Some(id) => Ok(id),
        None => bail!("there is no site with code '{code}'"),
    }
}

async fn import(
    store: &Store,
    kind: &'static KindDef,
    file: &PathBuf,
    site: Option<&str>,
    operator: &str,
) -> Result<i32> {
    let name = file.display().to_string();
    let xlsx = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let reader: Box<dyn std::io::Read> = if xlsx {
        let bytes = std::fs::read(file).with_context(|| format!("cannot read {name}"))?;
        match otkeep_ingest::xlsx_as_csv(&bytes, &name, kind) {
            Ok(csv) => Box::new(std::io::Cursor::new(csv)),
            Err(e) => {
                eprintln!("{e}");
                return Ok(2);
            }
        }
    } else {
        Box::new(std::fs::File::open(file).with_context(|| format!("cannot open {name}"))?)
    };
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template("{spinner} importing {pos} rows, {per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    // Only shown when an import takes long enough to need it.
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
    let started = Instant::now();
    let result = otkeep_ingest::import_csv(store, kind, reader, &name, site, operator, &mut |n| {
        if started.elapsed().as_millis() > 500 {
            bar.set_position(n);
        }
    })
    .await;
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            println!(
                "{name}: imported {} {} in {:.1?}",
                report.created,
                kind.label_plural.to_lowercase(),
                started.elapsed()
            );
            Ok(0)
        }
        Err(otkeep_ingest::ImportError::Rejected { file, errors }) => {
            eprintln!("{file}: nothing imported; {} problem(s):", errors.len());
            for e in &errors {
                eprintln!("  {e}");
            }
            Ok(2)
        }
        Err(e) => Err(e.into()),
    }
}

async fn export(
    store: &Store,
    kind: &'static KindDef,
    site: Option<&str>,
    output: Option<PathBuf>,
) -> Result<()> {
    let mut q = ListQuery {
        per_page: otkeep_store::read::MAX_PER_PAGE,
        ..ListQuery::default()
    };
    if let Some(code) = site {
        let id = site_id(store, code).await?;
        q.scope = otkeep_core::access::Scope::Limited {
            sites: vec![id],
            records: Vec::new(),
        };
    }
    let out: Box<dyn Write> = match &output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut writer = otkeep_report::CsvWriter::new(kind, out)?;
    let mut page = 1;
    let mut n = 0;
    loop {
        let p = store.list(kind, &ListQuery { page, ..q.clone() }).await?;
        let titles = store.ref_titles(kind, &p.records).await?;
        writer.write(&p.records, &titles)?;
        n += p.records.len();
        if page >= p.pages() {
            break;
        }
        page += 1;
    }
    writer.finish()?;
    if let Some(path) = output {
        eprintln!(
            "exported {n} {} to {}",
            kind.label_plural.to_lowercase(),
            path.display()
        );
    }
    Ok(())
}

/// The `user` subcommands. The CLI acts with the database's own trust; its changes are audited
/// with the actor `cli`.
async fn user(store: &Store, command: UserCommand) -> Result<i32> {
    const ACTOR: &str = "cli";
    let account = |name: String| async move {
        store
            .account_by_name(&name)
            .await?
            .with_context(|| format!("there is no account '{name}'"))
    };
    match command {
        UserCommand::Add {
            username,
            name,
            role,
            site,
            asset,
        } => {
            let grant = match role {
                Some(r) => Some(grant_of(store, &r, site.as_deref(), asset).await?),
                None => None,
            };
            let (password, hashed) = store.new_one_time_password().await?;
            let mut tx = store.begin_write(ACTOR, None).await?;
            let created = tx
                .create_account(&username, name.as_deref().unwrap_or(""), hashed)
                .await?;
            if let Some(g) = grant {
                tx.add_grant(created.id, &g).await?;
            }
            tx.commit().await?;
            println!(
                "created '{}'; one-time password (shown once, must be changed at first sign-in):\n{password}",
                created.username
            );
            Ok(0)
        }
        UserCommand::Grant {
            username,
            role,
            site,
            asset,
        } => {
            let a = account(username).await?;
            let g = grant_of(store, &role, site.as_deref(), asset).await?;
            let mut tx = store.begin_write(ACTOR, None).await?;
            tx.add_grant(a.id, &g).await?;
            tx.commit().await?;
            println!("granted {} to '{}'", g.role.label(), a.username);
            Ok(0)
        }
        UserCommand::ResetPassword { username } => {
            let a = account(username).await?;
            let (password, hashed) = store.new_one_time_password().await?;
            let mut tx = store.begin_write(ACTOR, None).await?;
            tx.set_password(a.id, hashed, true).await?;
            tx.commit().await?;
            println!(
                "password of '{}' reset; its sessions ended. One-time password (shown once):\n{password}",
                a.username
            );
            Ok(0)
        }
        UserCommand::Token {
            username,
            name,
            days,
            read_only,
        } => {
            if !(1..=365).contains(&days) {
                bail!("--days must be between 1 and 365");
            }
            let a = account(username).await?;
            let scope = if read_only {
                otkeep_store::identity::TokenScope::Read
            } else {
                otkeep_store::identity::TokenScope::ReadWrite
            };
            let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
            let mut tx = store.begin_write(ACTOR, None).await?;
            let (token, secret) = tx.create_token(a.id, &name, scope, expires).await?;
            tx.commit().await?;
            eprintln!(
                "token '{}' of '{}' ({}, expires {}); shown once:",
                token.name,
                a.username,
                scope.key(),
                token.expires_at
            );
            println!("{secret}");
            Ok(0)
        }
        UserCommand::Disable { username } => set_disabled(store, &username, true).await,
        UserCommand::Enable { username } => set_disabled(store, &username, false).await,
        UserCommand::List => {
            for a in store.accounts().await? {
                let grants = store.grants_of(a.id).await?;
                let roles: Vec<String> = grants
                    .iter()
                    .map(|g| match (g.grant.site, g.grant.asset) {
                        (_, Some(asset)) => format!("{} (asset #{asset})", g.grant.role.key()),
                        (Some(site), None) => format!("{} (site #{site})", g.grant.role.key()),
                        (None, None) => format!("{} (all sites)", g.grant.role.key()),
                    })
                    .collect();
                let status = if a.disabled {
                    "disabled"
                } else if a.is_locked() {
                    "locked"
                } else if a.must_change_password {
                    "must change password"
                } else {
                    "active"
                };
                println!(
                    "{}\t{}\t{status}\t{}",
                    a.username,
                    a.display_name,
                    roles.join(", ")
                );
            }
            Ok(0)
        }
    }
}

async fn set_disabled(store: &Store, username: &str, disabled: bool) -> Result<i32> {
    let a = store
        .account_by_name(username)
        .await?
        .with_context(|| format!("there is no account '{username}'"))?;
    let mut tx = store.begin_write("cli", None).await?;
    tx.set_disabled(a.id, disabled).await?;
    tx.commit().await?;
    println!(
        "'{}' {}",
        a.username,
        if disabled {
            "disabled; its sessions ended"
        } else {
            "enabled"
        }
    );
    Ok(0)
}

/// A grant from command-line words: role key, optional site code, optional asset id.
async fn grant_of(
    store: &Store,
    role: &str,
    site: Option<&str>,
    asset: Option<i64>,
) -> Result<otkeep_core::access::Grant> {
    use otkeep_core::access::{ROLES, Role};
    let Some(role) = Role::from_key(role) else {
        let known: Vec<&str> = ROLES.iter().map(|r| r.key()).collect();
        bail!("unknown role '{role}'; use one of {}", known.join(", "));
    };
    let site = match site {
        Some(code) => Some(site_id(store, code).await?),
        None => None,
    };
    let grant = otkeep_core::access::Grant { role, site, asset };
    grant.validate().map_err(|m| anyhow::anyhow!(m))?;
    Ok(grant)
}

async fn kpi(store: &Store, site: Option<String>, json: bool) -> Result<i32> {
    let scope = match &site {
        Some(code) => otkeep_core::access::Scope::Limited {
            sites: vec![site_id(store, code).await?],
            records: Vec::new(),
        },
        None => otkeep_core::access::Scope::All,
    };
    let kpis = store
        .operations_kpis(&scope, jiff::Zoned::now().datetime())
        .await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&otkeep_web::kpi::kpis_json(&kpis))?
        );
    } else {
        println!("area\tindicator\tvalue\tbasis");
        for l in kpis.lines() {
            println!(
                "{}\t{}\t{}{}\t{}",
                l.group,
                l.label,
                l.value,
                if l.attention { " (!)" } else { "" },
                l.note
            );
        }
    }
    Ok(0)
}

#[derive(Subcommand)]
enum OscalCommand {
    /// The assessment results of one zone.
    Assessment {
        /// The zone's site (code).
        #[arg(long)]
        site: String,
        /// The zone's name.
        #[arg(long)]
        zone: String,
        /// Output file; standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The treatment plan as a plan of action and milestones (POA&M).
    Poam {
        /// Only this site (code); every site when absent.
        #[arg(long)]
        site: Option<String>,
        /// Output file; standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

async fn oscal(store: &Store, command: OscalCommand) -> Result<i32> {
    use otkeep_core::kinds::{SITE_KIND, ZONE_KIND};
    let (doc, output) = match command {
        OscalCommand::Assessment { site, zone, output } => {
            let site = site_id(store, &site).await?;
            let Some(id) = store.find_id(&ZONE_KIND, "name", &zone, Some(site)).await? else {
                bail!("the site has no zone named '{zone}'");
            };
            let Some(record) = store.get(&ZONE_KIND, id).await? else {
                bail!("zone '{zone}' disappeared while reading it");
            };
            (
                otkeep_web::oscal::zone_export(store, &record, "otkeep CLI").await?,
                output,
            )
        }
        OscalCommand::Poam { site, output } => {
            let record = match &site {
                Some(code) => store.get(&SITE_KIND, site_id(store, code).await?).await?,
                None => None,
            };
            match otkeep_web::oscal::plan_export(
                store,
                otkeep_core::access::Scope::All,
                record.as_ref(),
                "otkeep CLI",
            )
            .await?
            {
                Some(doc) => (doc, output),
                None => {
                    bail!("there are no treatment actions to export (OSCAL needs at least one)")
                }
            }
        }
    };
    let text = serde_json::to_string_pretty(&doc)?;
    match output {
        Some(path) => std::fs::write(&path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => println!("{text}"),
    }
    Ok(0)
}

/// `otkeep observe pcap|zeek --site CODE FILE…`: imports each file as the site's evidence (one
/// transaction and audit event each), then prints what they show against the site's records.
async fn import_observations(
    store: &Store,
    files: &[PathBuf],
    zeek: bool,
    site: &str,
    operator: &str,
) -> Result<i32> {
    let site_id = site_id(store, site).await?;
    let mut failed = false;
    for file in files {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let bar = ProgressBar::new(size).with_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes}, {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
        bar.set_message(file.display().to_string());
        let read = otkeep_ingest::observe::read_file(file, zeek, &mut |n| bar.set_position(n));
        bar.finish_and_clear();
        let o = match read {
            Ok(o) => o,
            Err(e) => {
                eprintln!("{e}");
                failed = true;
                continue;
            }
        };
        let mut tx = store
            .begin_write(operator, Some("observed traffic import"))
            .await?;
        match reported(
            tx.import_observation(site_id, &o).await,
            &file.display().to_string(),
        )? {
            Some(id) => {
                tx.commit().await?;
                for w in &o.warnings {
                    eprintln!("warning: {w}");
                }
                println!(
                    "{}: import #{id}: {} packets, {} hosts, {} flows, sha256 {}",
                    file.display(),
                    o.packets,
                    o.hosts.len(),
                    o.flows.len(),
                    o.sha256
                );
            }
            None => failed = true,
        }
    }
    let findings = store.traffic_findings(site_id).await?;
    println!(
        "\n{} findings for {}",
        findings.len(),
        site.to_ascii_uppercase()
    );
    for f in &findings {
        println!("- [{}] {}\n  fix: {}", f.rule, f.message, f.fix);
    }
    Ok(if failed { 2 } else { 0 })
}

/// `otkeep observe firewall FILE [--site CODE]`: with a site, the ruleset is kept as the site's
/// (audited) and its findings join the site's observed-traffic findings.
async fn firewall(
    db: &DbArgs,
    file: &std::path::Path,
    site: Option<&str>,
    operator: &str,
) -> Result<i32> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let set = otkeep_ingest::firewall::parse(&text, &name)?;
    for note in &set.notes {
        eprintln!("note: {note}");
    }
    let Some(code) = site else {
        for r in &set.rules {
            println!(
                "{}: {} {} from {} to {}{}",
                r.label,
                if r.allow { "allow" } else { "deny" },
                r.protocol.as_deref().unwrap_or("any protocol"),
                r.source,
                r.destination,
                r.ports_text()
            );
        }
        println!("{} rules", set.rules.len());
        return Ok(0);
    };
    let store = db.open().await?;
    let site = site_id(&store, code).await?;
    let rules: Vec<otkeep_store::observe::StoredRule> = set.rules.iter().map(Into::into).collect();
    let file_name = file
        .file_name()
        .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
    let mut tx = store
        .begin_write(operator, Some("firewall ruleset import"))
        .await?;
    let imported = tx
        .import_ruleset(
            site,
            &file_name,
            &otkeep_store::sha256_bytes(text.as_bytes()),
            &rules,
        )
        .await;
    let Some(id) = reported(imported, &name)? else {
        return Ok(2);
    };
    tx.commit().await?;
    let findings: Vec<_> = store
        .traffic_findings(site)
        .await?
        .into_iter()
        .filter(|f| f.rule.starts_with("fw_"))
        .collect();
    println!(
        "ruleset #{id}: {} rules read; {} findings",
        set.rules.len(),
        findings.len()
    );
    for f in &findings {
        println!("- [{}] {}\n  fix: {}", f.rule, f.message, f.fix);
    }
    Ok(if findings.is_empty() { 0 } else { 1 })
}

/// `otkeep observe`: reads every file (progress per file for captures), then prints the hosts
/// and flows of all of them together.
fn observe(command: ObserveCommand) -> Result<i32> {
    use otkeep_ingest::observe::{Observer, pcap, zeek};
    let mut observer = Observer::new();
    let started = Instant::now();
    let (files, json) = match command {
        ObserveCommand::Pcap { files, json, .. } => {
            for file in &files {
                let size = std::fs::metadata(file)
                    .with_context(|| format!("cannot read {}", file.display()))?
                    .len();
                let bar = ProgressBar::new(size).with_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:40}] {bytes}/{total_bytes}, {bytes_per_sec}, eta {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
                bar.set_message(file.display().to_string());
                let input = std::fs::File::open(file)
                    .with_context(|| format!("cannot open {}", file.display()))?;
                pcap::read_into(
                    &mut observer,
                    std::io::BufReader::new(input),
                    &file.display().to_string(),
                    &mut |n| bar.set_position(n),
                )?;
                bar.finish_and_clear();
            }
            (files, json)
        }
        ObserveCommand::Firewall { .. } => {
            bail!("firewall rulesets are read by `otkeep observe firewall`")
        }
        ObserveCommand::Zeek { files, json, .. } => {
            for file in &files {
                let bytes = std::fs::read(file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                zeek::read_into(
                    &mut observer,
                    &String::from_utf8_lossy(&bytes),
                    &file.display().to_string(),
                )?;
            }
            (files, json)
        }
    };
    let o = observer.finish();
    let time = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
            .unwrap_or_default()
    };
    let endpoint = |e: &otkeep_ingest::observe::Endpoint| {
        e.ip.clone()
            .or_else(|| e.mac.clone())
            .unwrap_or_else(|| "?".into())
    };
    if json {
        let doc = serde_json::json!({
            "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
            "packets": o.packets, "bytes": o.bytes, "undecoded": o.undecoded,
            "first_seen": o.first_seen.map(time), "last_seen": o.last_seen.map(time),
            "warnings": o.warnings,
            "hosts": o.hosts.iter().map(|h| serde_json::json!({
                "ip": h.ip, "mac": h.mac, "vendor": h.vendor, "protocols": h.protocols,
                "roles": h.roles, "packets": h.packets, "bytes": h.bytes,
                "first_seen": time(h.first_seen), "last_seen": time(h.last_seen),
            })).collect::<Vec<_>>(),
            "flows": o.flows.iter().map(|f| serde_json::json!({
                "client": f.client.ip.clone().or_else(|| f.client.mac.clone()),
                "server": f.server.ip.clone().or_else(|| f.server.mac.clone()),
                "transport": f.transport.name(), "port": f.port, "protocol": f.protocol,
                "packets": f.packets, "bytes": f.bytes, "operations": f.operations,
                "first_seen": time(f.first_seen), "last_seen": time(f.last_seen),
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(0);
    }
    for w in &o.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{} packets, {} bytes ({} undecoded), {} to {}, read in {:.1?}",
        o.packets,
        o.bytes,
        o.undecoded,
        o.first_seen.map(time).unwrap_or_default(),
        o.last_seen.map(time).unwrap_or_default(),
        started.elapsed()
    );
    println!("\n{} hosts", o.hosts.len());
    println!(
        "{:<40} {:<18} {:<24} {:>9}  roles / protocols",
        "address", "mac", "vendor", "packets"
    );
    for h in &o.hosts {
        let what: Vec<String> = if h.roles.is_empty() {
            h.protocols.iter().cloned().collect()
        } else {
            h.roles.iter().cloned().collect()
        };
        println!(
            "{:<40} {:<18} {:<24} {:>9}  {}",
            h.ip.clone().unwrap_or_default(),
            h.mac.clone().unwrap_or_default(),
            h.vendor.unwrap_or(""),
            h.packets,
            what.join("; ")
        );
    }
    println!("\n{} flows", o.flows.len());
    println!(
        "{:<40} {:<40} {:<5} {:>5} {:<14} {:>9} {:>12}  operations",
        "client", "server", "trans", "port", "protocol", "packets", "bytes"
    );
    for f in &o.flows {
        let ops: Vec<String> = f
            .operations
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        println!(
            "{:<40} {:<40} {:<5} {:>5} {:<14} {:>9} {:>12}  {}",
            endpoint(&f.client),
            endpoint(&f.server),
            f.transport.name(),
            f.port.map(|p| p.to_string()).unwrap_or_default(),
            f.protocol,
            f.packets,
            f.bytes,
            ops.join(", ")
        );
    }
    Ok(0)
}

async fn report(
    store: &Store,
    name: Option<String>,
    params: otkeep_web::reports::ReportParams,
    output: Option<PathBuf>,
) -> Result<i32> {
    use otkeep_core::access::{Access, Grant, Role};
    let Some(name) = name else {
        bail!("name a report (otkeep report --list shows them)");
    };
    let Some(def) = otkeep_web::reports::report(&name) else {
        bail!("there is no report '{name}' (otkeep report --list shows them)");
    };
    let Some(output) = output else {
        bail!("name the file to write with --output (.pdf, .xlsx, .html or .json)");
    };
    let ext = output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !["pdf", "xlsx", "html", "json"].contains(&ext.as_str()) {
        bail!(
            "{}: the extension picks the format: .pdf, .xlsx, .html or .json",
            output.display()
        );
    }
    let site = match &params.site {
        Some(code) => {
            let id = site_id(store, code).await?;
            store.get(&otkeep_core::kinds::SITE_KIND, id).await?
        }
        None => None,
    };
    let (as_of, period) = otkeep_web::reports::checked(&params).map_err(|e| anyhow::anyhow!(e))?;
    // Whoever runs the CLI has the database: the report covers everything.
    let access = Access::new(
        vec![Grant {
            role: Role::Admin,
            site: None,
            asset: None,
        }],
        true,
    );
    let by = format!(
        "otkeep CLI ({})",
        std::env::var("USER").unwrap_or_else(|_| "unknown user".into())
    );
    let doc = otkeep_web::reports::generate(store, &access, def, site.as_ref(), as_of, period, &by)
        .await?;
    let bytes = match ext.as_str() {
        "pdf" => otkeep_pdf::render(&doc)?,
        "xlsx" => otkeep_report::document::xlsx(&doc).map_err(|e| anyhow::anyhow!(e))?,
        "html" => otkeep_report::document::html_page(&doc).into_bytes(),
        _ => serde_json::to_vec_pretty(&doc)?,
    };
    std::fs::write(&output, &bytes)
        .with_context(|| format!("cannot write {}", output.display()))?;
    println!(
        "{}: {} ({} bytes; records as of {}, audit event {})",
        output.display(),
        def.title,
        bytes.len(),
        doc.cover.as_of,
        doc.cover.audit_seq
    );
    Ok(0)
}

async fn coverage(store: &Store, site: Option<String>, gaps: bool, json: bool) -> Result<i32> {
    let site = match &site {
        Some(code) => Some(site_id(store, code).await?),
        None => None,
    };
    let mut coverage = store
        .requirement_coverage(&otkeep_core::access::Scope::All, site)
        .await?;
    if gaps {
        coverage.retain(|c| !c.evidenced());
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&otkeep_web::governance::coverage_json(&coverage))?
        );
        return Ok(0);
    }
    println!(
        "requirement\ttitle\tdocuments\tcountermeasures\timplemented (with evidence)\tevidenced"
    );
    for c in &coverage {
        let docs: Vec<String> = c
            .documents
            .iter()
            .map(|d| format!("{}{}", d.key, if d.effective { "" } else { "*" }))
            .collect();
        println!(
            "{}\t{}\t{}\t{}\t{} ({})\t{}",
            c.requirement,
            c.title,
            docs.join(" "),
            c.countermeasures,
            c.implemented,
            c.with_evidence,
            if c.evidenced() { "yes" } else { "no" }
        );
    }
    Ok(0)
}

async fn due(store: &Store, site: Option<String>, within: Option<i64>, json: bool) -> Result<i32> {
    use otkeep_core::due::Bucket;
    let scope = match &site {
        Some(code) => otkeep_core::access::Scope::Limited {
            sites: vec![site_id(store, code).await?],
            records: Vec::new(),
        },
        None => otkeep_core::access::Scope::All,
    };
    let today = jiff::Zoned::now().date();
    let mut all = store.due(&scope, &today.to_string()).await?;
    if let Some(days) = within {
        all.retain(|o| (o.due - today).get_days() <= days.clamp(0, 3650) as i32);
    }
    let overdue = all.iter().filter(|o| o.due < today).count();
    if json {
        let items: Vec<serde_json::Value> = all
            .iter()
            .map(|o| {
                let mut v = serde_json::to_value(o).unwrap_or_default();
                if let Some(m) = v.as_object_mut() {
                    m.insert("bucket".into(), serde_json::json!(Bucket::of(o.due, today)));
                }
                v
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"today": today.to_string(), "obligations": items})
        );
    } else {
        println!("due\tbucket\twhat\trecord\towner");
        for o in &all {
            let plural = otkeep_core::kind(o.kind).map_or(o.kind, |k| k.plural);
            println!(
                "{}\t{}\t{}\t{} (/{plural}/{})\t{}",
                o.due,
                Bucket::of(o.due, today).label(),
                o.what,
                o.title,
                o.record_id,
                o.owner
            );
        }
        println!("{} due, {overdue} overdue", all.len());
    }
    Ok(if overdue > 0 { 1 } else { 0 })
}

async fn risk(store: &Store, command: RiskCommand) -> Result<i32> {
    let site_of = async |site: &Option<String>| -> Result<Option<i64>> {
        Ok(match site {
            Some(code) => Some(site_id(store, code).await?),
            None => None,
        })
    };
    match command {
        RiskCommand::Show { site } => {
            let m = store.risk_method(site_of(&site).await?).await?;
            let method = &m.method;
            println!("{} (version {})", method.name, m.version);
            println!("levels:");
            for l in &method.levels {
                let by = if l.accepted_by.is_empty() {
                    "nobody".to_string()
                } else {
                    l.accepted_by.join(", ")
                };
                println!(
                    "  {} ({}) from score {}; accepted by {by}",
                    l.label, l.key, l.from_score
                );
            }
            println!("matrix (likelihood down, impact across):");
            let grid = method.grid();
            for l in (0..method.likelihood.len()).rev() {
                let cells: Vec<&str> = grid[l]
                    .iter()
                    .map(|i| method.levels[*i].key.as_str())
                    .collect();
                println!(
                    "  {:>2} {:<16} {}",
                    l + 1,
                    method.likelihood[l].label,
                    cells.join(" ")
                );
            }
            Ok(0)
        }
        RiskCommand::Export { site, output } => {
            let m = store.risk_method(site_of(&site).await?).await?;
            let text = serde_json::to_string_pretty(&m.method)?;
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => println!("{text}"),
            }
            Ok(0)
        }
        RiskCommand::Import {
            file,
            site,
            operator,
        } => {
            let name = file.display().to_string();
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {name}"))?;
            let method = match otkeep_core::risk::RiskMethod::parse(&text) {
                Ok(m) => m,
                Err(errors) => {
                    for e in errors {
                        eprintln!("{name}: {e}");
                    }
                    return Ok(2);
                }
            };
            let site = site_of(&site).await?;
            let mut tx = store
                .begin_write(&operator, Some("risk method import"))
                .await?;
            let Some(version) = reported(tx.set_risk_method(site, &method).await, &name)? else {
                return Ok(2);
            };
            tx.commit().await?;
            println!("stored risk method '{}' as version {version}", method.name);
            Ok(0)
        }
    }
}

async fn catalog(store: &Store, command: CatalogCommand) -> Result<i32> {
    match command {
        CatalogCommand::Import { file, operator } => {
            let name = file.display().to_string();
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {name}"))?;
            let entries = match otkeep_ingest::parse_catalog_csv(&bytes, &name) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(2);
                }
            };
            let mut tx = store.begin_write(&operator, Some("catalog import")).await?;
            let n = tx.import_catalog(&entries, &name).await?;
            tx.commit().await?;
            let with_text = entries.iter().filter(|e| e.body.is_some()).count();
            let levels = entries.iter().filter(|e| e.level.is_some()).count();
            println!(
                "imported {n} catalog entries from {name}: {with_text} with text, {levels} with a level"
            );
            Ok(0)
        }
        CatalogCommand::List => {
            let catalog = store.catalog().await?;
            let texts = store.catalog_texts().await?;
            println!("id\tfr\tlevel\tscope\ttitle\ttext");
            for r in &catalog.requirements {
                println!(
                    "{}\tFR{}\t{}\t{}\t{}\t{}",
                    r.id,
                    r.fr,
                    r.level,
                    if r.conduit { "zone+conduit" } else { "zone" },
                    r.title,
                    if texts.contains_key(&r.id) {
                        "imported"
                    } else {
                        "-"
                    }
                );
            }
            Ok(0)
        }
    }
}

async fn gap(store: &Store, command: GapCommand) -> Result<i32> {
    let today = jiff::Zoned::now().date().to_string();
    match command {
        GapCommand::Export { site, output } => {
            let id = site_id(store, &site).await?;
            let rows = store.assessment_sheet(id, &today).await?;
            let xlsx = output
                .as_ref()
                .and_then(|p| p.extension())
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            let bytes = if xlsx {
                otkeep_report::write_xlsx(&[otkeep_report::Sheet {
                    name: "Requirements",
                    headers: otkeep_store::SHEET_HEADERS,
                    rows: &rows,
                }])
                .map_err(|e| anyhow::anyhow!(e))?
            } else {
                otkeep_report::write_table(otkeep_store::SHEET_HEADERS, &rows, Vec::new())?
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, &bytes)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "{} requirement rows written to {}",
                        rows.len(),
                        path.display()
                    );
                }
                None => std::io::stdout().write_all(&bytes)?,
            }
            Ok(0)
        }
        GapCommand::Import {
            file,
            site,
            operator,
        } => {
            let id = site_id(store, &site).await?;
            let name = file.display().to_string();
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {name}"))?;
            let is_xlsx = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            let read = if is_xlsx {
                otkeep_ingest::read_xlsx_sheet(&bytes, &name)
            } else {
                otkeep_ingest::read_csv_sheet(&bytes, &name)
            };
            let result = match read {
                Ok(rows) => {
                    otkeep_ingest::import_assessment_sheet(
                        store, id, &rows, &name, &operator, &today,
                    )
                    .await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(r) => {
                    println!(
                        "{name}: {} rows, {} assessments created, {} updated, {} unchanged",
                        r.rows, r.created, r.updated, r.unchanged
                    );
                    Ok(0)
                }
                Err(otkeep_ingest::ImportError::Store(e)) => Err(e.into()),
                Err(e) => {
                    eprintln!("{e}");
                    Ok(2)
                }
            }
        }
    }
}
