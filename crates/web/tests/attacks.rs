//! The attack suite (issue 12, item 5): attacks tried against the server, each asserted to fail.
//!
//! Every attempt goes through a [`Tally`]; each test prints
//! `<class>: attack attempts: N tried, 0 succeeded` (run with `--nocapture` to see them) and
//! fails listing every attempt that got through. Records come from the demo organization (two
//! sites), and the record kinds are walked generically through `otkeep_core::KINDS`: a new kind
//! is attacked without a line added here.
//!
//! Classes: stored and reflected XSS, spreadsheet formula injection, SQL injection in filters
//! and sorting, CSRF on every state-changing route, session fixation, IDOR across sites, path
//! traversal in uploads and downloads, oversized bodies, slow-loris, sign-in brute force.

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use otkeep_core::access::Role;
use otkeep_core::{FieldType, KINDS, KindDef};
use otkeep_store::Store;
use otkeep_store::testing::{TEST_PASSWORD, TestDb, test_account};
use otkeep_web::testing::{Answer, Credential, TestClient, grant};
use otkeep_web::{AppState, ServeOptions, route_specs};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

otkeep_store::on_both_backends!(
    stored_and_reflected_xss_is_escaped_everywhere,
    spreadsheet_exports_defuse_formulas,
    sql_injection_in_filters_and_sorting_changes_nothing,
    csrf_is_refused_on_every_state_changing_route,
    session_ids_are_not_fixed_and_die_with_sign_out_and_password_change,
    an_engineer_cannot_reach_another_sites_records_of_any_kind,
    upload_names_and_download_paths_do_not_traverse,
    oversized_bodies_are_refused_and_the_server_stays_healthy,
);

// ---------------------------------------------------------------- the tally

/// Counts attack attempts and collects those that succeeded.
struct Tally {
    class: &'static str,
    tried: usize,
    succeeded: Vec<String>,
}

impl Tally {
    fn new(class: &'static str) -> Tally {
        Tally {
            class,
            tried: 0,
            succeeded: Vec::new(),
        }
    }

    /// One attempt: `held` is whether the defence held.
    fn attempt(&mut self, held: bool, what: impl FnOnce() -> String) {
        self.tried += 1;
        if !held {
            self.succeeded.push(what());
        }
    }

    fn finish(self) {
        println!(
            "{}: attack attempts: {} tried, {} succeeded",
            self.class,
            self.tried,
            self.succeeded.len()
        );
        assert!(self.tried > 0, "{}: nothing was tried", self.class);
        assert!(
            self.succeeded.is_empty(),
            "{}: {} of {} attacks succeeded:\n{}",
            self.class,
            self.succeeded.len(),
            self.tried,
            self.succeeded
                .iter()
                .take(60)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

// ---------------------------------------------------------------- fixtures

/// The demo organization (two sites with records of the kinds), an administrator and the two
/// site ids.
struct Org {
    store: Arc<Store>,
    admin: TestClient,
    site_a: i64,
    site_b: i64,
}

async fn org(store: Arc<Store>) -> Org {
    store
        .load_demo(2, 6, "demo", &mut |_| {})
        .await
        .expect("demo organization");
    let admin = TestClient::admin(store.clone(), "root").await;
    let sites = admin
        .json("GET", "/api/v1/sites?per_page=500", Value::Null)
        .await
        .json();
    let ids: Vec<i64> = sites["items"]
        .as_array()
        .expect("sites")
        .iter()
        .filter_map(|s| s["id"].as_i64())
        .collect();
    let mut ids = ids;
    ids.sort_unstable();
    assert!(ids.len() >= 2, "two demo sites");
    for site in &ids[..2] {
        complete(&admin, *site).await;
    }
    Org {
        store,
        admin,
        site_a: ids[0],
        site_b: ids[1],
    }
}

/// The first record of `kind` in `site`.
async fn first_in(c: &TestClient, kind: &KindDef, site: i64) -> Option<i64> {
    items(c, kind)
        .await
        .iter()
        .find(|r| site_of(kind, r) == Some(site))
        .and_then(|r| r["id"].as_i64())
}

/// Records of the kinds the demo organization leaves out, in `site`.
async fn complete(admin: &TestClient, site: i64) {
    use otkeep_core::kinds::{ASSET_KIND, ZONE_KIND};
    let zone = first_in(admin, &ZONE_KIND, site).await.expect("a zone");
    let asset = first_in(admin, &ASSET_KIND, site).await.expect("an asset");
    let document = first_in(admin, &otkeep_core::doc_kinds::DOCUMENT_KIND, site).await;
    let post = |plural: &'static str, body: Value| async move {
        let a = admin.json("POST", &format!("/api/v1/{plural}"), body).await;
        if a.status != StatusCode::CREATED {
            println!("fixture /{plural} in site {site}: {} {}", a.status, a.body);
        }
        a.json()["id"].as_i64()
    };
    let mut made: Vec<(&str, Value)> = vec![
        (
            "assessments",
            json!({"site_id": site, "zone_id": zone, "requirement": "SR 1.1", "status": "implemented"}),
        ),
        (
            "countermeasures",
            json!({"site_id": site, "name": "Jump host MFA", "zones": [zone], "requirements": "SR 1.1 RE 2",
            "reasoning": "MFA at the jump host", "residual_risk": "low", "owner": "o", "review_date": "2030-01-01"}),
        ),
        (
            "certificates",
            json!({"site_id": site, "name": "Gateway TLS", "key_kind": "certificate", "owner": "o",
            "algorithm": "ec", "key_bits": 256, "valid_to": "2030-01-01"}),
        ),
        (
            "checklist-templates",
            json!({"site_id": site, "name": "PLC", "purpose": "commissioning", "items": "Web server off"}),
        ),
        (
            "commissionings",
            json!({"site_id": site, "asset_id": asset, "status": "open"}),
        ),
        (
            "decommissionings",
            json!({"site_id": site, "asset_id": asset, "status": "open"}),
        ),
    ];
    if let Some(d) = document {
        made.push((
            "it-references",
            json!({"site_id": site, "document_id": d, "reference": "IT-SEC-004 Passwords",
            "deviation": "Shared operator accounts on HMIs"}),
        ));
    }
    for (plural, body) in made {
        post(plural, body).await;
    }
    if let Some(b) = post(
        "baselines",
        json!({"site_id": site, "name": "PLC baseline", "asset_types": "plc",
        "review_interval_days": 365, "owner": "o"}),
    )
    .await
    {
        post("baseline-items", json!({"site_id": site, "baseline_id": b, "name": "Web server off", "expected": "disabled"})).await;
        post(
            "conformance-checks",
            json!({"site_id": site, "asset_id": asset, "baseline_id": b, "checked_on": "2026-01-10",
            "checked_by": "o", "passed": 5, "failed": 0}),
        )
        .await;
    }
}

/// Every record of `kind` the client can list (at most 500).
async fn items(c: &TestClient, kind: &KindDef) -> Vec<Value> {
    let a = c
        .json(
            "GET",
            &format!("/api/v1/{}?per_page=500", kind.plural),
            Value::Null,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}: {}", kind.plural, a.body);
    a.json()["items"].as_array().cloned().unwrap_or_default()
}

async fn total(c: &TestClient, uri: &str) -> Option<i64> {
    let a = c.json("GET", uri, Value::Null).await;
    (a.status == StatusCode::OK)
        .then(|| a.json()["total"].as_i64())
        .flatten()
}

/// The site a record belongs to (a site is its own).
fn site_of(kind: &KindDef, record: &Value) -> Option<i64> {
    match kind.site_field {
        Some(f) => record[f].as_i64(),
        None if kind.plural == "sites" => record["id"].as_i64(),
        None => None,
    }
}

/// The fields of a record as the API takes them back (no id, version or timestamps).
fn body_of(kind: &KindDef, record: &Value) -> Map<String, Value> {
    kind.fields
        .iter()
        .filter_map(|f| record.get(f.name).map(|v| (f.name.to_string(), v.clone())))
        .collect()
}

/// Fields that hold free text, with the most characters they take.
fn text_fields(kind: &KindDef) -> Vec<(&'static str, usize, bool)> {
    kind.fields
        .iter()
        .filter_map(|f| match f.ty {
            FieldType::Text { max } => Some((f.name, max, false)),
            FieldType::LongText => Some((f.name, 4000, false)),
            FieldType::Checklist => Some((f.name, 4000, true)),
            _ => None,
        })
        .collect()
}

/// The fields the API names in a refusal.
fn named_fields(a: &Answer) -> Vec<String> {
    let j = a.json();
    let mut out: Vec<String> = j["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["field"].as_str().map(str::to_string))
        .collect();
    if let Some(f) = j["error"]["field"].as_str() {
        out.push(f.to_string());
    }
    out
}

/// Stores `payload` in every text field of a record of `kind`: a new record copied from
/// `base` (fields the kind refuses the payload in keep their value), else `base` itself
/// updated. The id of the record holding the payload, if any field took it.
async fn plant(admin: &TestClient, kind: &KindDef, base_id: i64, payload: &str) -> Option<i64> {
    let base = admin
        .json(
            "GET",
            &format!("/api/v1/{}/{base_id}", kind.plural),
            Value::Null,
        )
        .await
        .json();
    let fields = text_fields(kind);
    if fields.is_empty() {
        return None;
    }
    let fill = |body: &mut Map<String, Value>, skip: &BTreeSet<String>| {
        let mut any = false;
        for (name, max, checklist) in &fields {
            if skip.contains(*name) {
                body.insert(name.to_string(), base[*name].clone());
                continue;
            }
            let text = if *checklist {
                format!("[ ] {payload}")
            } else {
                payload.to_string()
            };
            body.insert(
                name.to_string(),
                json!(text.chars().take(*max).collect::<String>()),
            );
            any = true;
        }
        any
    };
    for update in [false, true] {
        let mut skip = BTreeSet::new();
        for _ in 0..6 {
            let mut body = body_of(kind, &base);
            if !fill(&mut body, &skip) {
                break;
            }
            let a = if update {
                body.insert("version".into(), base["version"].clone());
                admin
                    .json(
                        "PUT",
                        &format!("/api/v1/{}/{base_id}", kind.plural),
                        Value::Object(body),
                    )
                    .await
            } else {
                admin
                    .json(
                        "POST",
                        &format!("/api/v1/{}", kind.plural),
                        Value::Object(body),
                    )
                    .await
            };
            assert!(
                !a.status.is_server_error(),
                "{}: {} {}",
                kind.plural,
                a.status,
                a.body
            );
            if a.status.is_success() {
                return a.json()["id"].as_i64().or(Some(base_id));
            }
            let named: Vec<String> = named_fields(&a)
                .into_iter()
                .filter(|n| fields.iter().any(|(f, _, _)| f == n) && !skip.contains(n))
                .collect();
            if named.is_empty() {
                break;
            }
            skip.extend(named);
        }
    }
    None
}

/// A record of `kind` in `site` (any record for kinds outside sites).
fn in_site(kind: &KindDef, records: &[Value], site: i64) -> Option<Value> {
    records
        .iter()
        .find(|r| {
            kind.site_field.is_none() && kind.plural != "sites" || site_of(kind, r) == Some(site)
        })
        .cloned()
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn content_type(a: &Answer) -> String {
    a.headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

// ---------------------------------------------------------------- 1. XSS

const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}} [md](javascript:alert(1)) <svg onload=alert(1)>",
];

/// What must never appear in a page: markup from a payload.
fn unescaped(body: &str) -> Option<&'static str> {
    let lower = body.to_ascii_lowercase();
    [
        "<script",
        "<img src=x",
        "onerror=alert(1)>",
        "<svg onload",
        "href=\"javascript:",
        "href='javascript:",
        "href=javascript:",
        "src=\"javascript:",
        "action=\"javascript:",
    ]
    .into_iter()
    .find(|m| lower.contains(m))
}

/// An answer that could run a payload in a browser: HTML or SVG with markup from one. Other
/// types (JSON, CSV, plain text) are sent with `nosniff` and never rendered as a page.
fn xss_in(a: &Answer) -> Option<&'static str> {
    let ct = content_type(a);
    if ct.contains("html") || ct.contains("svg") || ct.contains("xml") {
        unescaped(&a.body)
    } else if a.headers.get("x-content-type-options").is_none() && a.body.contains('<') {
        Some("markup without nosniff")
    } else {
        None
    }
}

async fn stored_and_reflected_xss_is_escaped_everywhere(store: Arc<Store>) {
    let o = org(store).await;
    let mut t = Tally::new("XSS");
    let mut planted: Vec<(&'static KindDef, i64, &str)> = Vec::new();
    let mut no_text = Vec::new();
    for kind in KINDS {
        let records = items(&o.admin, kind).await;
        let Some(base) = in_site(kind, &records, o.site_a).or_else(|| records.first().cloned())
        else {
            no_text.push(format!("{} (no record)", kind.plural));
            continue;
        };
        let base_id = base["id"].as_i64().expect("id");
        let mut any = false;
        for payload in XSS {
            if let Some(id) = plant(&o.admin, kind, base_id, payload).await {
                planted.push((kind, id, payload));
                any = true;
            }
        }
        if !any {
            no_text.push(kind.plural.to_string());
        }
    }
    println!(
        "XSS: payloads stored in {} records; kinds without free text taking them: {}",
        planted.len(),
        no_text.join(", ")
    );
    assert!(planted.len() > 100, "payloads stored in most kinds");
    // Stored: every page showing a record, its lists, forms and history.
    for (kind, id, payload) in &planted {
        let pl = kind.plural;
        for uri in [
            format!("/{pl}/{id}"),
            format!("/{pl}/{id}/edit"),
            format!("/{pl}/{id}/history"),
            format!("/{pl}/{id}/sign"),
        ] {
            let a = o.admin.get(&uri).await;
            t.attempt(xss_in(&a).is_none() && !a.status.is_server_error(), || {
                format!(
                    "stored {payload:?}: GET {uri} → {} {:?}",
                    a.status,
                    xss_in(&a)
                )
            });
            if uri.ends_with(&format!("/{id}")) && payload.starts_with("<script") {
                let stored = o
                    .admin
                    .json("GET", &format!("/api/v1/{pl}/{id}"), Value::Null)
                    .await
                    .body;
                if stored.contains("<script>") {
                    let escaped =
                        a.body.contains("&lt;script&gt;") || a.body.contains("&#60;script&#62;");
                    t.attempt(escaped, || {
                        format!("GET {uri}: the payload is not shown escaped")
                    });
                }
            }
        }
    }
    for kind in KINDS {
        let pl = kind.plural;
        for uri in [
            format!("/{pl}?per_page=500"),
            format!("/{pl}?q=alert"),
            format!("/{pl}/new"),
            format!("/{pl}?site_id={}", o.site_a),
        ] {
            let a = o.admin.get(&uri).await;
            t.attempt(xss_in(&a).is_none() && !a.status.is_server_error(), || {
                format!("stored: GET {uri} → {} {:?}", a.status, xss_in(&a))
            });
        }
    }
    // Pages gathering records of many kinds.
    let (a, b) = (o.site_a, o.site_b);
    let mut pages: Vec<String> = [
        "/",
        "/audit",
        "/gap",
        "/organization",
        "/model",
        "/advisories",
        "/sboms",
        "/due",
        "/kpi",
        "/kpi/program",
        "/training",
        "/raci-matrix",
        "/coverage",
        "/observations",
        "/reports",
        "/remote-access",
        "/risk",
        "/risk/method",
        "/risk/heatmap.svg",
        "/account",
        "/admin/users",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for site in [a, b] {
        pages.extend([
            format!("/gap/sites/{site}"),
            format!("/gap/sites/{site}/diagram.svg"),
            format!("/risk?site_id={site}"),
            format!("/risk/heatmap.svg?site_id={site}"),
            format!("/due?site_id={site}"),
            format!("/observations?site_id={site}"),
            format!("/coverage?site_id={site}"),
            format!("/raci-matrix?site_id={site}"),
            format!("/training?site_id={site}"),
        ]);
        for r in otkeep_web::reports::REPORTS {
            pages.push(format!("/reports/{}?site_id={site}", r.slug));
        }
    }
    for (kind, id, _) in &planted {
        if kind.plural == "zones" || kind.plural == "conduits" {
            pages.push(format!("/gap/{}/{id}", kind.plural));
        }
        if kind.plural == "incidents" {
            pages.push(format!("/incidents/{id}/report"));
        }
    }
    for uri in &pages {
        let a = o.admin.get(uri).await;
        t.attempt(xss_in(&a).is_none() && !a.status.is_server_error(), || {
            format!("stored: GET {uri} → {} {:?}", a.status, xss_in(&a))
        });
    }
    // Reflected: every list parameter, filters included, and error pages.
    for kind in KINDS {
        let mut params: Vec<String> = ["q", "sort", "order", "page", "per_page", "site_id"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        params.extend(kind.filter_fields().map(|f| f.name.to_string()));
        for payload in XSS.iter().take(2) {
            for p in params.iter().chain(std::iter::once(&payload.to_string())) {
                let query = serde_urlencoded::to_string([(p.as_str(), *payload)]).unwrap();
                for uri in [
                    format!("/{}?{query}", kind.plural),
                    format!("/{}/export.csv?{query}", kind.plural),
                    format!("/api/v1/{}?{query}", kind.plural),
                ] {
                    let a = o.admin.get(&uri).await;
                    t.attempt(xss_in(&a).is_none() && !a.status.is_server_error(), || {
                        format!("reflected: GET {uri} → {} {:?}", a.status, xss_in(&a))
                    });
                }
            }
        }
    }
    let anon = TestClient::anonymous(o.store.clone());
    for payload in XSS {
        let seg = pct(payload);
        for uri in [
            format!("/{seg}"),
            format!("/assets/{seg}"),
            format!("/assets/{seg}/edit"),
            format!("/api/v1/{seg}"),
            format!("/api/v1/assets/{seg}"),
            format!("/gap/{seg}/1"),
            format!("/reports/{seg}"),
            format!("/reports/inventory?site_id={seg}&as_of={seg}"),
            format!("/risk?site_id={seg}"),
            format!("/due?site_id={seg}"),
            format!("/advisories?q={seg}&state={seg}"),
            format!("/sboms/1/diff?other={seg}"),
            format!("/observations?site_id={seg}"),
            format!("/evidence/{seg}"),
            format!("/login?next=%2F{seg}"),
        ] {
            for c in [&o.admin, &anon] {
                let a = c.get(&uri).await;
                t.attempt(xss_in(&a).is_none() && !a.status.is_server_error(), || {
                    format!("reflected: GET {uri} → {} {:?}", a.status, xss_in(&a))
                });
            }
        }
        // The sign-in form echoes the user name and the next page.
        let a = anon
            .sign_in_form(&[
                ("username", payload),
                ("password", "x"),
                ("next", &format!("/{payload}")),
            ])
            .await;
        t.attempt(xss_in(&a).is_none(), || {
            format!("reflected: sign-in form {payload:?}")
        });
    }
    t.finish();
}

// ---------------------------------------------------------------- 2. formula injection

const FORMULAS: &[&str] = &[
    "=HYPERLINK(\"http://evil.example/\",\"x\")",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
];

const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Cells of a CSV text (quotes, doubled quotes, CR and LF inside quotes).
fn csv_cells(text: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => cells.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => cells.push(std::mem::take(&mut cell)),
            (false, c) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

fn formula_cell(cells: &[String]) -> Option<&String> {
    cells.iter().find(|c| c.starts_with(FORMULA_STARTS))
}

/// A formula in a workbook, if any. Text cells of an XLSX file are typed as text (shared
/// strings) and never evaluated, even when they start with `=`: only formula cells run, so
/// none may exist. (CSV has no types, hence the `'` prefix there.)
fn xlsx_formula(bytes: &[u8]) -> Result<Option<String>, String> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes.to_vec())).map_err(|e| e.to_string())?;
    let mut texts = 0;
    for name in book.sheet_names() {
        let formulas = book.worksheet_formula(&name).map_err(|e| e.to_string())?;
        if let Some(c) = formulas.used_cells().find(|c| !c.2.is_empty()) {
            return Ok(Some(format!("{name}: formula {:?}", c.2)));
        }
        let range = book.worksheet_range(&name).map_err(|e| e.to_string())?;
        texts += range
            .used_cells()
            .filter(|c| matches!(c.2, Data::String(_)))
            .count();
    }
    if texts == 0 {
        return Err("no text cells at all".into());
    }
    Ok(None)
}

async fn spreadsheet_exports_defuse_formulas(store: Arc<Store>) {
    let o = org(store).await;
    let mut t = Tally::new("formula injection");
    let mut planted = 0;
    let mut exported = 0;
    for kind in KINDS {
        let records = items(&o.admin, kind).await;
        let Some(base) = in_site(kind, &records, o.site_a).or_else(|| records.first().cloned())
        else {
            continue;
        };
        let base_id = base["id"].as_i64().expect("id");
        let mut mine = false;
        for f in FORMULAS {
            mine |= plant(&o.admin, kind, base_id, f).await.is_some();
        }
        planted += usize::from(mine);
        // Every kind's CSV export, with the planted cells.
        let a = o.admin.get(&format!("/{}/export.csv", kind.plural)).await;
        t.attempt(
            a.status == StatusCode::OK && formula_cell(&csv_cells(&a.body)).is_none(),
            || {
                format!(
                    "/{}/export.csv: {} {:?}",
                    kind.plural,
                    a.status,
                    formula_cell(&csv_cells(&a.body))
                )
            },
        );
        if mine
            && FORMULAS
                .iter()
                .any(|f| a.body.contains(&format!("'{}", f.replace('"', "\"\""))))
        {
            exported += 1;
        }
    }
    println!(
        "formula injection: formulas stored in {planted} kinds, shown defused in {exported} kinds' exports"
    );
    assert!(planted > 40, "formulas stored in most kinds ({planted})");
    assert!(
        exported * 4 >= planted * 3,
        "most kinds' exports show the planted text, defused ({exported})"
    );
    // Every other spreadsheet the server writes.
    let mut csv = vec![
        "/gap/summary.csv".to_string(),
        "/risk/register.csv".to_string(),
    ];
    let mut xlsx = vec![
        "/gap/summary.xlsx".to_string(),
        "/risk/register.xlsx".to_string(),
    ];
    for site in [o.site_a, o.site_b] {
        csv.push(format!("/gap/sites/{site}/export.csv"));
        csv.push(format!("/risk/register.csv?site_id={site}"));
        xlsx.push(format!("/gap/sites/{site}/export.xlsx"));
        xlsx.push(format!("/risk/register.xlsx?site_id={site}"));
        for r in otkeep_web::reports::REPORTS {
            xlsx.push(format!("/reports/{}/xlsx?site_id={site}", r.slug));
        }
    }
    for uri in &csv {
        let a = o.admin.get(uri).await;
        let bad = formula_cell(&csv_cells(&a.body)).cloned();
        t.attempt(a.status == StatusCode::OK && bad.is_none(), || {
            format!("{uri}: {} {bad:?}", a.status)
        });
    }
    for uri in &xlsx {
        let a = o.admin.get(uri).await;
        let bad = xlsx_formula(&a.bytes);
        t.attempt(
            a.status == StatusCode::OK && matches!(bad, Ok(None)),
            || format!("{uri}: {} {bad:?}", a.status),
        );
    }
    t.finish();
}

// ---------------------------------------------------------------- 3. SQL injection

const SQLI: &[&str] = &[
    "' OR 1=1 --",
    "' OR '1'='1",
    "1 OR 1=1",
    "1; DROP TABLE asset",
    "id; DROP TABLE asset",
    "%' OR 1=1 --",
    "\") OR 1=1 --",
    "1 UNION SELECT password_hash FROM account --",
];

const SQLI_SORT: &[&str] = &[
    "name;DROP TABLE x",
    "(SELECT 1)",
    "id DESC, (SELECT password_hash FROM account)",
    "no_such_column",
    "1",
    "name--",
];

/// What a database error leaking into a page looks like.
fn leaks_sql(a: &Answer) -> bool {
    // (The attack text itself may be echoed back, escaped, in a search box or a message.)
    let b = a.body.to_ascii_lowercase();
    [
        "syntax error",
        "sqlite",
        "sqlx",
        "postgres",
        "no such column",
        "$argon2",
    ]
    .iter()
    .any(|m| b.contains(m))
}

async fn sql_injection_in_filters_and_sorting_changes_nothing(store: Arc<Store>) {
    let o = org(store.clone()).await;
    let mut t = Tally::new("SQL injection");
    let mut before = Vec::new();
    for kind in KINDS {
        before.push(total(&o.admin, &format!("/api/v1/{}", kind.plural)).await);
    }
    let eng = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(o.site_a))],
    )
    .await;
    for kind in KINDS {
        let pl = kind.plural;
        let mut params = vec!["q".to_string()];
        params.extend(kind.filter_fields().map(|f| f.name.to_string()));
        for c in [&o.admin, &eng] {
            for p in &params {
                // The same filter with a harmless value that matches nothing either way.
                let harmless =
                    serde_urlencoded::to_string([(p.as_str(), "zz harmless zz")]).unwrap();
                let baseline = total(c, &format!("/api/v1/{pl}?{harmless}")).await;
                for v in SQLI {
                    let q = serde_urlencoded::to_string([(p.as_str(), *v)]).unwrap();
                    let api = c
                        .json("GET", &format!("/api/v1/{pl}?{q}"), Value::Null)
                        .await;
                    let got = (api.status == StatusCode::OK)
                        .then(|| api.json()["total"].as_i64())
                        .flatten();
                    let ok = !api.status.is_server_error()
                        && !leaks_sql(&api)
                        && (api.status.is_client_error() || got <= baseline.or(Some(0)));
                    t.attempt(ok, || {
                        format!(
                            "GET /api/v1/{pl}?{q} → {} total {got:?} vs {baseline:?}",
                            api.status
                        )
                    });
                    for uri in [format!("/{pl}?{q}"), format!("/{pl}/export.csv?{q}")] {
                        let a = c.get(&uri).await;
                        t.attempt(!a.status.is_server_error() && !leaks_sql(&a), || {
                            format!("GET {uri} → {}", a.status)
                        });
                    }
                }
            }
            for s in SQLI_SORT {
                for order in ["asc", "desc", "asc;DROP TABLE x"] {
                    let q = serde_urlencoded::to_string([("sort", *s), ("order", order)]).unwrap();
                    let api = c
                        .json("GET", &format!("/api/v1/{pl}?{q}"), Value::Null)
                        .await;
                    let all = total(c, &format!("/api/v1/{pl}")).await;
                    let got = (api.status == StatusCode::OK)
                        .then(|| api.json()["total"].as_i64())
                        .flatten();
                    t.attempt(
                        !api.status.is_server_error()
                            && !leaks_sql(&api)
                            && (api.status.is_client_error() || got == all),
                        || format!("GET /api/v1/{pl}?{q} → {} {got:?}", api.status),
                    );
                    let a = c.get(&format!("/{pl}?{q}")).await;
                    t.attempt(!a.status.is_server_error() && !leaks_sql(&a), || {
                        format!("GET /{pl}?{q} → {}", a.status)
                    });
                }
            }
            for (k, v) in [
                ("page", "1;DROP TABLE x"),
                ("per_page", "(SELECT 1)"),
                ("page", "-1 OR 1=1"),
            ] {
                let q = serde_urlencoded::to_string([(k, v)]).unwrap();
                for uri in [format!("/api/v1/{pl}?{q}"), format!("/{pl}?{q}")] {
                    let a = c.get(&uri).await;
                    t.attempt(!a.status.is_server_error() && !leaks_sql(&a), || {
                        format!("GET {uri} → {}", a.status)
                    });
                }
            }
        }
    }
    // Other pages taking filters.
    for v in SQLI {
        let e = pct(v);
        for uri in [
            format!("/advisories?q={e}&state={e}&vendor={e}"),
            format!("/api/v1/advisories?q={e}"),
            format!("/sboms?q={e}"),
            format!("/api/v1/reports/inventory?site={e}"),
            format!("/risk?site_id={e}"),
            format!("/audit?kind={e}&actor={e}&q={e}"),
            format!("/api/v1/audit?kind={e}&actor={e}"),
            format!("/due?site_id={e}"),
            format!("/observations?site_id={e}"),
            format!("/api/v1/raci/people?site={e}&activity={e}"),
        ] {
            let a = o.admin.get(&uri).await;
            t.attempt(!a.status.is_server_error() && !leaks_sql(&a), || {
                format!("GET {uri} → {}", a.status)
            });
        }
    }
    // Nothing dropped or changed: every table answers with the same count, the trail is intact.
    for (kind, n) in KINDS.iter().zip(before) {
        let now = total(&o.admin, &format!("/api/v1/{}", kind.plural)).await;
        t.attempt(now == n, || {
            format!("{}: {n:?} records before, {now:?} after", kind.plural)
        });
    }
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
    t.finish();
}

// ---------------------------------------------------------------- 4. CSRF

/// The URI of a route for a kind, with ids of existing records.
fn uri_of(path: &str, plural: Option<&str>, id: i64) -> String {
    path.replace("{plural}", plural.unwrap_or(""))
        .replace("{id}", &id.to_string())
        .replace("{grant}", "1")
        .replace("{token}", "1")
        .replace("{sha}", "00")
        .replace("{slug}", "inventory")
}

/// A forged request: what it lacks, the token it carries (body, header or query) and extra
/// headers.
type Forgery<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)]);

async fn csrf_is_refused_on_every_state_changing_route(store: Arc<Store>) {
    let o = org(store.clone()).await;
    let mut t = Tally::new("CSRF");
    let Credential::Session { cookie, csrf } = o.admin.credential.clone() else {
        panic!("session expected");
    };
    // The client would add the right header token: strip it, each attempt sets its own.
    let bare = TestClient {
        credential: Credential::Session {
            cookie,
            csrf: String::new(),
        },
        ..o.admin.clone()
    };
    let head = store.verify_audit().await.unwrap();
    let mut ids = std::collections::HashMap::new();
    for kind in KINDS {
        if let Some(r) = items(&o.admin, kind).await.first() {
            ids.insert(kind.plural, r["id"].as_i64().unwrap_or(1));
        }
    }
    let specs: Vec<_> = route_specs()
        .into_iter()
        .filter(|s| s.method != Method::GET)
        .collect();
    assert!(specs.len() > 20, "every state-changing route");
    for spec in &specs {
        let plurals: Vec<Option<&str>> = if spec.path.contains("{plural}") {
            KINDS.iter().map(|k| Some(k.plural)).collect()
        } else {
            vec![None]
        };
        for plural in plurals {
            let id = plural.and_then(|p| ids.get(p).copied()).unwrap_or(1);
            let uri = uri_of(spec.path, plural, id);
            let api = uri.starts_with("/api/");
            let multipart = spec.body_limit > otkeep_web::routes::MAX_BODY_BYTES
                || spec.path.ends_with("/import");
            let attempts: [Forgery; 4] = [
                ("no token", None, &[]),
                ("a forged token", Some("00forged00"), &[]),
                (
                    "another site's Origin",
                    Some(csrf.as_str()),
                    &[
                        ("origin", "https://evil.example"),
                        ("host", "otkeep.example"),
                    ],
                ),
                (
                    "Sec-Fetch-Site: cross-site",
                    Some(csrf.as_str()),
                    &[("sec-fetch-site", "cross-site")],
                ),
            ];
            for (what, token, extra) in attempts {
                let mut target = uri.clone();
                let mut b = Request::builder().method(spec.method.clone());
                let body = if api {
                    if let Some(tk) = token {
                        b = b.header("x-csrf-token", tk);
                    }
                    b = b.header(header::CONTENT_TYPE, "application/json");
                    Body::from(json!({"version": 1, "name": "forged", "meaning": "approved", "password": TEST_PASSWORD}).to_string())
                } else if multipart {
                    if let Some(tk) = token {
                        target = format!("{target}?_csrf={tk}");
                    }
                    b = b.header(header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ");
                    Body::from(
                        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nforged\r\n--XyZ--\r\n",
                    )
                } else {
                    b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                    let mut pairs = vec![
                        ("_version", "1"),
                        ("name", "forged"),
                        ("code", "FORGED"),
                        ("password", TEST_PASSWORD),
                        ("username", "root"),
                    ];
                    if let Some(tk) = token {
                        pairs.push(("_csrf", tk));
                        pairs.push(("_login_csrf", tk));
                    }
                    Body::from(serde_urlencoded::to_string(&pairs).unwrap())
                };
                for (k, v) in extra {
                    b = b.header(*k, *v);
                }
                let req = b.uri(&target).body(body).unwrap();
                let a = bare.send(req).await;
                t.attempt(a.status == StatusCode::FORBIDDEN, || {
                    format!(
                        "{} {target} with {what}: {} {}",
                        spec.method,
                        a.status,
                        a.body.chars().take(120).collect::<String>()
                    )
                });
            }
        }
    }
    // Nothing happened: no audit event since, and the session is still alive.
    let after = store.verify_audit().await.unwrap();
    assert_eq!(after.head, head.head, "a refused request changed something");
    assert_eq!(o.admin.get("/account").await.status, StatusCode::OK);
    t.finish();
}

// ---------------------------------------------------------------- 5. session fixation

fn set_cookie(a: &Answer, name: &str) -> Option<String> {
    a.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Signs in through the form with the given session cookie already in the browser.
async fn form_sign_in(c: &TestClient, planted: Option<&str>, user: &str, pw: &str) -> Answer {
    let page = c.get("/login").await;
    let token = set_cookie(&page, "otkeep_login").unwrap_or_default();
    let mut cookies = format!("otkeep_login={token}");
    if let Some(s) = planted {
        cookies.push_str(&format!("; otkeep_session={s}"));
    }
    let body = serde_urlencoded::to_string([
        ("username", user),
        ("password", pw),
        ("_login_csrf", &token),
    ])
    .unwrap();
    c.send(
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookies)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

fn with_session(c: &TestClient, token: &str, csrf: &str) -> TestClient {
    TestClient {
        credential: Credential::Session {
            cookie: token.to_string(),
            csrf: csrf.to_string(),
        },
        ..c.clone()
    }
}

async fn session_ids_are_not_fixed_and_die_with_sign_out_and_password_change(store: Arc<Store>) {
    let mut t = Tally::new("session fixation");
    test_account(&store, "victim", &[grant(Role::ProgramOwner, None)])
        .await
        .unwrap();
    test_account(&store, "mallory", &[grant(Role::Operator, None)])
        .await
        .unwrap();
    let anon = TestClient::anonymous(store.clone());
    let policy = otkeep_store::AuthPolicy::default();
    // 1. A session id the attacker made up and planted in the victim's browser.
    let chosen = "a".repeat(64);
    let a = form_sign_in(&anon, Some(&chosen), "victim", TEST_PASSWORD).await;
    let issued = set_cookie(&a, "otkeep_session").unwrap_or_default();
    t.attempt(
        a.status == StatusCode::SEE_OTHER && !issued.is_empty() && issued != chosen,
        || format!("made-up id kept: {issued}"),
    );
    t.attempt(
        store.session(&chosen, &policy).await.unwrap().is_none(),
        || "the made-up id became a session".into(),
    );
    // 2. The attacker's own valid session planted before the victim signs in: the victim gets
    //    a new one, and the attacker's stays the attacker's.
    let m = form_sign_in(&anon, None, "mallory", TEST_PASSWORD).await;
    let mallory = set_cookie(&m, "otkeep_session").unwrap();
    let a = form_sign_in(&anon, Some(&mallory), "victim", TEST_PASSWORD).await;
    let victim = set_cookie(&a, "otkeep_session").unwrap_or_default();
    t.attempt(!victim.is_empty() && victim != mallory, || {
        "the attacker's id was kept".into()
    });
    let s = store.session(&mallory, &policy).await.unwrap();
    t.attempt(s.is_some_and(|s| s.account.username == "mallory"), || {
        "the attacker's session now acts as the victim".into()
    });
    // 3. After sign-out the old id is dead.
    let csrf = store
        .session(&victim, &policy)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let v = with_session(&anon, &victim, &csrf);
    assert_eq!(v.get("/account").await.status, StatusCode::OK);
    assert_eq!(v.form("/logout", &[]).await.status, StatusCode::SEE_OTHER);
    for uri in ["/account", "/api/v1/me"] {
        let a = v.get(uri).await;
        t.attempt(
            a.status == StatusCode::SEE_OTHER || a.status == StatusCode::UNAUTHORIZED,
            || format!("{uri} after sign-out: {}", a.status),
        );
    }
    let a = v
        .json(
            "POST",
            "/api/v1/me/tokens",
            json!({"name": "x", "scope": "read"}),
        )
        .await;
    t.attempt(a.status.is_client_error(), || {
        format!("token after sign-out: {}", a.status)
    });
    // 4. After a password change every earlier session is dead (another browser's too); the
    //    browser that changed it gets a new id.
    let one = set_cookie(
        &form_sign_in(&anon, None, "victim", TEST_PASSWORD).await,
        "otkeep_session",
    )
    .unwrap();
    let two = set_cookie(
        &form_sign_in(&anon, None, "victim", TEST_PASSWORD).await,
        "otkeep_session",
    )
    .unwrap();
    let csrf = store
        .session(&one, &policy)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let c1 = with_session(&anon, &one, &csrf);
    let new_pw = "a different horse staple battery";
    let a = c1
        .form(
            "/account/password",
            &[
                ("current", TEST_PASSWORD),
                ("password", new_pw),
                ("confirm", new_pw),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let fresh = set_cookie(&a, "otkeep_session").unwrap_or_default();
    t.attempt(!fresh.is_empty() && fresh != one, || {
        "same id after a password change".into()
    });
    for (which, id) in [("this browser's old", &one), ("another browser's", &two)] {
        let a = with_session(&anon, id, "").get("/account").await;
        t.attempt(
            a.status == StatusCode::SEE_OTHER && a.location().starts_with("/login"),
            || format!("{which} session after the password change: {}", a.status),
        );
    }
    t.finish();
}

// ---------------------------------------------------------------- 6. IDOR across sites

async fn an_engineer_of_one_site_cannot_reach_another_sites_records_of_any_kind_inner(
    o: &Org,
    t: &mut Tally,
) {
    let store = &o.store;
    let eng = TestClient::user(
        store.clone(),
        "eng",
        &[grant(Role::SiteEngineer, Some(o.site_a))],
    )
    .await;
    let site_b_name = o
        .admin
        .json("GET", &format!("/api/v1/sites/{}", o.site_b), Value::Null)
        .await
        .json()["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut records = std::collections::HashMap::new();
    for kind in KINDS {
        records.insert(kind.name, items(&o.admin, kind).await);
    }
    let mut missing = Vec::new();
    for kind in KINDS
        .iter()
        .filter(|k| k.site_field.is_some() || k.plural == "sites")
    {
        let pl = kind.plural;
        let all = &records[kind.name];
        let Some(b) = all.iter().find(|r| site_of(kind, r) == Some(o.site_b)) else {
            missing.push(pl);
            continue;
        };
        let id = b["id"].as_i64().unwrap();
        let version = b["version"].as_i64().unwrap_or(1);
        let gone = |a: &Answer| {
            a.status == StatusCode::NOT_FOUND && !a.body.contains(&format!("\"id\":{id},"))
        };
        for uri in [
            format!("/{pl}/{id}"),
            format!("/{pl}/{id}/edit"),
            format!("/{pl}/{id}/history"),
            format!("/api/v1/{pl}/{id}"),
            format!("/api/v1/{pl}/{id}/history"),
            format!("/api/v1/{pl}/{id}/signatures"),
        ] {
            let a = eng.get(&uri).await;
            t.attempt(gone(&a), || format!("GET {uri}: {}", a.status));
        }
        // The sign form needs the Sign capability first (403 for an engineer); never data.
        let a = eng.get(&format!("/{pl}/{id}/sign")).await;
        t.attempt(
            matches!(a.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN)
                && !a.body.contains(&site_b_name),
            || format!("GET /{pl}/{id}/sign: {}", a.status),
        );
        let body = Value::Object({
            let mut m = body_of(kind, b);
            m.insert("version".into(), json!(version));
            m
        });
        let a = eng
            .json("PUT", &format!("/api/v1/{pl}/{id}"), body.clone())
            .await;
        t.attempt(gone(&a), || format!("PUT /api/v1/{pl}/{id}: {}", a.status));
        let a = eng
            .json(
                "DELETE",
                &format!("/api/v1/{pl}/{id}?version={version}"),
                Value::Null,
            )
            .await;
        t.attempt(gone(&a), || {
            format!("DELETE /api/v1/{pl}/{id}: {}", a.status)
        });
        let a = eng
            .json(
                "POST",
                &format!("/api/v1/{pl}/{id}/signatures"),
                json!({"version": version, "meaning": "reviewed", "password": TEST_PASSWORD}),
            )
            .await;
        t.attempt(
            a.status.is_client_error() && !a.body.contains(&site_b_name),
            || format!("POST /api/v1/{pl}/{id}/signatures: {}", a.status),
        );
        let a = eng
            .form(
                &format!("/{pl}/{id}"),
                &[("_version", &version.to_string()), ("name", "moved")],
            )
            .await;
        t.attempt(gone(&a), || format!("POST /{pl}/{id}: {}", a.status));
        let a = eng
            .form(
                &format!("/{pl}/{id}/delete"),
                &[("_version", &version.to_string())],
            )
            .await;
        t.attempt(gone(&a), || format!("POST /{pl}/{id}/delete: {}", a.status));
        // Exports and lists filtered to site B show nothing of it.
        if let Some(sf) = kind.site_field {
            for uri in [
                format!("/{pl}/export.csv?{sf}={}", o.site_b),
                format!("/{pl}?{sf}={}", o.site_b),
            ] {
                let a = eng.get(&uri).await;
                let leaked = !site_b_name.is_empty() && a.body.contains(&site_b_name);
                t.attempt(!leaked, || format!("GET {uri} shows site B"));
            }
            let n = total(&eng, &format!("/api/v1/{pl}?{sf}={}", o.site_b)).await;
            t.attempt(n.is_none() || n == Some(0), || {
                format!("/api/v1/{pl}?{sf}=B: {n:?} records")
            });
        }
        // Writes into site B with a record of site A: create there, move there, refer there.
        let Some(sf) = kind.site_field else { continue };
        let Some(a_rec) = all.iter().find(|r| site_of(kind, r) == Some(o.site_a)) else {
            continue;
        };
        let a_id = a_rec["id"].as_i64().unwrap();
        let before_b = total(
            &o.admin,
            &format!("/api/v1/{pl}?per_page=1&{sf}={}", o.site_b),
        )
        .await;
        let mut into_b = body_of(kind, a_rec);
        into_b.insert(sf.to_string(), json!(o.site_b));
        let a = eng
            .json(
                "POST",
                &format!("/api/v1/{pl}"),
                Value::Object(into_b.clone()),
            )
            .await;
        t.attempt(a.status.is_client_error(), || {
            format!(
                "create in site B: POST /api/v1/{pl}: {} {}",
                a.status, a.body
            )
        });
        let after_b = total(
            &o.admin,
            &format!("/api/v1/{pl}?per_page=1&{sf}={}", o.site_b),
        )
        .await;
        t.attempt(before_b == after_b, || {
            format!("{pl}: a record appeared in site B")
        });
        into_b.insert("version".into(), a_rec["version"].clone());
        let a = eng
            .json(
                "PUT",
                &format!("/api/v1/{pl}/{a_id}"),
                Value::Object(into_b),
            )
            .await;
        t.attempt(a.status.is_client_error(), || {
            format!("move to site B: PUT /api/v1/{pl}/{a_id}: {}", a.status)
        });
        for f in kind.fields {
            let (FieldType::Ref(target) | FieldType::Refs(target)) = f.ty else {
                continue;
            };
            let Some(tk) = otkeep_core::kind(target) else {
                continue;
            };
            if !(tk.is_site_scoped() || tk.plural == "sites") || f.name == sf {
                continue;
            }
            let Some(tb) = records[tk.name]
                .iter()
                .find(|r| site_of(tk, r) == Some(o.site_b))
            else {
                continue;
            };
            let tb_id = tb["id"].as_i64().unwrap();
            let mut m = body_of(kind, a_rec);
            m.insert(
                f.name.to_string(),
                if matches!(f.ty, FieldType::Refs(_)) {
                    json!([tb_id])
                } else {
                    json!(tb_id)
                },
            );
            m.insert("version".into(), a_rec["version"].clone());
            let a = eng
                .json(
                    "PUT",
                    &format!("/api/v1/{pl}/{a_id}"),
                    Value::Object(m.clone()),
                )
                .await;
            t.attempt(a.status.is_client_error(), || {
                format!(
                    "refer to site B: PUT /api/v1/{pl}/{a_id} {}={tb_id}: {}",
                    f.name, a.status
                )
            });
            m.remove("version");
            let a = eng
                .json("POST", &format!("/api/v1/{pl}"), Value::Object(m))
                .await;
            t.attempt(a.status.is_client_error(), || {
                format!(
                    "refer to site B: POST /api/v1/{pl} {}={tb_id}: {}",
                    f.name, a.status
                )
            });
        }
        let now = o
            .admin
            .json("GET", &format!("/api/v1/{pl}/{a_id}"), Value::Null)
            .await
            .json();
        t.attempt(now["version"] == a_rec["version"], || {
            format!("{pl} #{a_id} changed")
        });
    }
    println!(
        "IDOR: kinds without a record in site B: {}",
        missing.join(", ")
    );
}

async fn an_engineer_cannot_reach_another_sites_records_of_any_kind(store: Arc<Store>) {
    let o = org(store.clone()).await;
    let mut t = Tally::new("IDOR");
    an_engineer_of_one_site_cannot_reach_another_sites_records_of_any_kind_inner(&o, &mut t).await;
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
    t.finish();
}

// ---------------------------------------------------------------- 7. path traversal

const EVIL_NAMES: &[&str] = &[
    "../../etc/passwd",
    "..\\..\\x.csv",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "a\u{0}b.csv",
    "%2e%2e%2f%2e%2e%2fx.csv",
    "<img src=x onerror=alert(1)>.csv",
];

/// Names in the directories an upload might escape to.
fn around() -> BTreeSet<std::path::PathBuf> {
    let mut out = BTreeSet::new();
    for dir in [".", "..", "../..", "/tmp", "/etc"] {
        if let Ok(rd) = std::fs::read_dir(dir) {
            out.extend(rd.filter_map(|e| e.ok()).map(|e| e.path()));
        }
    }
    out
}

/// An upload: address, text fields, file content.
type Upload = (String, Vec<(String, String)>, Vec<u8>);

async fn upload_names_and_download_paths_do_not_traverse(store: Arc<Store>) {
    let o = org(store.clone()).await;
    let mut t = Tally::new("path traversal");
    let passwd = std::fs::metadata("/etc/passwd")
        .and_then(|m| m.modified())
        .ok();
    let before = around();
    let assessment = items(&o.admin, &otkeep_core::kinds::ASSESSMENT_KIND).await[0]["id"]
        .as_i64()
        .unwrap();
    let version_doc =
        items(&o.admin, &otkeep_core::doc_kinds::DOCUMENT_VERSION_KIND).await[0]["id"]
            .as_i64()
            .unwrap();
    let csaf = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/csaf/2023/icsa-23-005-01.json"),
    )
    .unwrap_or_else(|_| b"{}".to_vec());
    let spdx =
        b"SPDXVersion: SPDX-2.3\nDocumentName: fw\nPackageName: busybox\nPackageVersion: 1.36.1\n";
    let assets = items(&o.admin, &otkeep_core::kinds::ASSET_KIND).await;
    let asset = assets[0]["id"].as_i64().unwrap();
    let asset_site = assets[0]["site_id"].as_i64().unwrap();
    for (i, name) in EVIL_NAMES.iter().enumerate() {
        let content = format!("evidence {i}");
        let uploads: Vec<Upload> = vec![
            (
                format!("/assessments/{assessment}/evidence"),
                vec![],
                content.clone().into_bytes(),
            ),
            (
                format!("/document-versions/{version_doc}/evidence"),
                vec![],
                content.clone().into_bytes(),
            ),
            (
                "/sboms/upload".to_string(),
                vec![
                    ("asset_id".into(), asset.to_string()),
                    ("site_id".into(), asset_site.to_string()),
                ],
                spdx.to_vec(),
            ),
            ("/advisories/upload".into(), vec![], csaf.clone()),
            (
                format!("/observations/upload?site_id={}", o.site_a),
                vec![("site_id".into(), o.site_a.to_string())],
                b"not a capture".to_vec(),
            ),
            (
                format!("/gap/sites/{}/import", o.site_a),
                vec![],
                b"requirement,status\n".to_vec(),
            ),
            (
                "/certificates/import".into(),
                vec![("site_id".into(), o.site_a.to_string())],
                b"not a certificate".to_vec(),
            ),
        ];
        let mut evidence_taken = false;
        for (uri, fields, bytes) in uploads {
            let f: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            // The sheet import reads the part named "sheet".
            let a = if uri.ends_with("/import") && uri.starts_with("/gap/") {
                upload_part(&o.admin, &uri, "sheet", name, &bytes).await
            } else {
                o.admin.upload(&uri, &f, name, &bytes).await
            };
            t.attempt(!a.status.is_server_error() && xss_in(&a).is_none(), || {
                format!("upload {name:?} to {uri}: {} {:?}", a.status, xss_in(&a))
            });
            if uri.starts_with("/assessments/") {
                evidence_taken = a.status == StatusCode::SEE_OTHER;
            }
        }
        // The evidence comes back under a plain name.
        let rec = o
            .admin
            .json(
                "GET",
                &format!("/api/v1/assessments/{assessment}"),
                Value::Null,
            )
            .await
            .json();
        let sha = rec["evidence_sha256"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let a = o.admin.get(&format!("/evidence/{sha}")).await;
        let disposition = a
            .headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let filename = disposition.split("filename=").nth(1).unwrap_or("");
        t.attempt(
            a.status == StatusCode::OK
                && (a.bytes == content.as_bytes() || !evidence_taken)
                && !filename.contains(['/', '\\', '\0'])
                && disposition.starts_with("attachment"),
            || {
                format!(
                    "evidence {name:?} downloads as {disposition:?} ({})",
                    a.status
                )
            },
        );
    }
    // Download paths with traversal: never a file from disk.
    for uri in [
        "/evidence/../../etc/passwd",
        "/evidence/..%2f..%2fetc%2fpasswd",
        "/evidence/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/evidence/%2e%2e/%2e%2e/etc/passwd",
        "/evidence/..%5c..%5cCargo.toml",
        "/static/../Cargo.toml",
        "/static/..%2f..%2fCargo.toml",
        "/static/%2e%2e%2fstyle.css",
        "/static/style.css/..%2f..%2f..%2fCargo.toml",
        "/reports/..%2f..%2fetc%2fpasswd/pdf",
        "/reports/%2e%2e/xlsx",
        "/sboms/..%2f..%2fetc%2fpasswd",
        "/api/v1/reports/..%2f..%2fetc%2fpasswd",
        "/gap/sites/..%2f1/export.csv",
        "/assets/..%2f..%2fetc%2fpasswd",
        "/..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
    ] {
        let a = o.admin.get(uri).await;
        let from_disk = a.body.contains("root:x:0:0")
            || a.body.contains("[package]")
            || a.body.contains("[workspace]");
        t.attempt(
            matches!(a.status, StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND) && !from_disk,
            || format!("GET {uri}: {}", a.status),
        );
    }
    let after = around();
    let new: Vec<_> = after
        .difference(&before)
        .filter(|p| {
            let s = p.to_string_lossy();
            s.contains("passwd")
                || s.contains("win.ini")
                || s.contains("x.csv")
                || s.contains("onerror")
        })
        .collect();
    t.attempt(new.is_empty(), || format!("files appeared: {new:?}"));
    let now = std::fs::metadata("/etc/passwd")
        .and_then(|m| m.modified())
        .ok();
    t.attempt(now == passwd, || "/etc/passwd changed".into());
    t.finish();
}

/// A multipart upload whose file part has another name than `file`.
async fn upload_part(
    c: &TestClient,
    uri: &str,
    part: &str,
    file_name: &str,
    content: &[u8],
) -> Answer {
    let boundary = "attackBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    c.send(
        Request::post(format!("{uri}?_csrf={}", c.csrf()))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

// ---------------------------------------------------------------- 8. oversized bodies

/// A body that announces `len` bytes (as a `Content-Length` would) without holding them.
struct Announced(u64);

impl HttpBody for Announced {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(None)
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.0)
    }
}

/// `n` chunks of 64 KiB, of no announced length (as with `Transfer-Encoding: chunked`).
struct Chunks(usize);

const CHUNK: usize = 64 * 1024;

impl HttpBody for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        if self.0 == 0 {
            return std::task::Poll::Ready(None);
        }
        self.0 -= 1;
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from(vec![
            b'a';
            CHUNK
        ])))))
    }
}

async fn oversized_bodies_are_refused_and_the_server_stays_healthy(store: Arc<Store>) {
    let o = org(store.clone()).await;
    let mut t = Tally::new("oversized bodies");
    let secret = o
        .admin
        .json(
            "POST",
            "/api/v1/me/tokens",
            json!({"name": "attacks", "scope": "read-write"}),
        )
        .await
        .json()["secret"]
        .as_str()
        .expect("a token")
        .to_string();
    let bearer = o.admin.with_bearer(&secret);
    let Credential::Session { cookie, .. } = o.admin.credential.clone() else {
        panic!("session expected");
    };
    let bare = TestClient {
        credential: Credential::Session {
            cookie,
            csrf: String::new(),
        },
        ..o.admin.clone()
    };
    let head = store.verify_audit().await.unwrap().head;
    let small = otkeep_web::routes::MAX_BODY_BYTES;
    for spec in route_specs().iter().filter(|s| s.method != Method::GET) {
        let plurals: Vec<Option<&str>> = if spec.path.contains("{plural}") {
            vec![
                Some("assets"),
                Some("assessments"),
                Some("document-versions"),
            ]
        } else {
            vec![None]
        };
        for plural in plurals {
            let uri = uri_of(spec.path, plural, 1);
            let limit = spec.body_limit as u64;
            let ct = if uri.starts_with("/api/") {
                "application/json"
            } else if spec.body_limit > small || uri.ends_with("/import") {
                "multipart/form-data; boundary=XyZ"
            } else {
                "application/x-www-form-urlencoded"
            };
            // Announced larger than the limit (a Content-Length): refused before reading.
            let req = Request::builder()
                .method(spec.method.clone())
                .uri(format!("{uri}?_csrf={}", o.admin.csrf()))
                .header(header::CONTENT_TYPE, ct)
                .header(header::CONTENT_LENGTH, (limit + 1).to_string())
                .body(Body::new(Announced(limit + 1)))
                .unwrap();
            let a = o.admin.send(req).await;
            t.attempt(a.status == StatusCode::PAYLOAD_TOO_LARGE, || {
                format!(
                    "{} {uri} announcing {} bytes: {}",
                    spec.method,
                    limit + 1,
                    a.status
                )
            });
            // Real bytes over the limit of small routes, streamed without a length: forms carry
            // their token in the body (so the gate reads it), the API is used with a token.
            if spec.body_limit == small && spec.method != Method::DELETE {
                let client = if uri.starts_with("/api/") {
                    &bearer
                } else {
                    &bare
                };
                let n = small / CHUNK + 2;
                let req = Request::builder()
                    .method(spec.method.clone())
                    .uri(&uri)
                    .header(header::CONTENT_TYPE, ct)
                    .body(Body::new(Chunks(n)))
                    .unwrap();
                let a = client.send(req).await;
                t.attempt(
                    a.status == StatusCode::PAYLOAD_TOO_LARGE || a.status.is_client_error(),
                    || {
                        format!(
                            "{} {uri} streaming {} bytes: {}",
                            spec.method,
                            n * CHUNK,
                            a.status
                        )
                    },
                );
            }
        }
    }
    // A JSON document just over the limit, with its length known.
    let big = json!({"site_id": o.site_a, "name": "x".repeat(small)}).to_string();
    let a = o
        .admin
        .send(
            Request::post("/api/v1/assets")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(big))
                .unwrap(),
        )
        .await;
    t.attempt(a.status == StatusCode::PAYLOAD_TOO_LARGE, || {
        format!("big JSON: {}", a.status)
    });
    // Still healthy, nothing changed, and an ordinary request works.
    assert_eq!(o.admin.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(o.admin.get("/assets").await.status, StatusCode::OK);
    assert_eq!(store.verify_audit().await.unwrap().head, head);
    t.finish();
}

// ---------------------------------------------------------------- 9. slow-loris

/// The real server on a free port with short timeouts; the store stays with the caller.
async fn real_server(
    store: Arc<Store>,
    options: ServeOptions,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut state = AppState::new(store);
    state.secure_cookies = false;
    let server = tokio::spawn(otkeep_web::serve_with(listener, state, options, async {
        let _ = stopped.await;
    }));
    (addr, stop, server)
}

/// Sends `bytes` one at a time, `every` apart, until the server closes the connection; the
/// time it took, or `None` if it was still open after `limit`.
async fn trickle(
    addr: SocketAddr,
    bytes: &[u8],
    every: Duration,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 4096];
    for b in bytes.iter().cycle() {
        if started.elapsed() > limit {
            return None;
        }
        if s.write_all(&[*b]).await.is_err() {
            return Some(started.elapsed());
        }
        // Closed (read 0 or reset), or answered (408 and close) within the interval?
        match tokio::time::timeout(every, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {
                // An answer (e.g. 408): wait for the close.
                return match tokio::time::timeout(limit, s.read(&mut buf)).await {
                    Ok(Ok(_)) | Ok(Err(_)) => Some(started.elapsed()),
                    Err(_) => None,
                };
            }
            Err(_) => {}
        }
    }
    None
}

#[tokio::test]
async fn slow_loris_connections_are_closed() {
    let db = TestDb::sqlite();
    let store = Arc::new(db.open().await.expect("open SQLite"));
    let mut t = Tally::new("slow-loris");
    let options = ServeOptions {
        header_read_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(3),
        ..ServeOptions::default()
    };
    let (addr, stop, server) = real_server(store.clone(), options).await;
    // Headers trickled a byte every 300 ms never complete: closed after about 2 s.
    let header = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut tasks = Vec::new();
    for _ in 0..5 {
        tasks.push(tokio::spawn(trickle(
            addr,
            header,
            Duration::from_millis(300),
            Duration::from_secs(15),
        )));
    }
    for task in tasks {
        let closed = task.await.unwrap();
        t.attempt(closed.is_some_and(|d| d <= Duration::from_secs(6)), || {
            format!("slow header: connection still open or closed late ({closed:?})")
        });
    }
    // A connection that sends nothing at all.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 64];
    let r = tokio::time::timeout(Duration::from_secs(8), idle.read(&mut buf)).await;
    t.attempt(matches!(r, Ok(Ok(0)) | Ok(Err(_)) | Ok(Ok(_))), || {
        "idle connection kept open".into()
    });
    // A complete header and a body trickled: the request is abandoned (408) in about 3 s.
    let started = Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    while started.elapsed() < Duration::from_secs(15) {
        if s.write_all(b"a").await.is_err() {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
    }
    let took = started.elapsed();
    let answer = String::from_utf8_lossy(&answer).to_string();
    t.attempt(took <= Duration::from_secs(8), || {
        format!("slow body held for {took:?}: {answer}")
    });
    t.attempt(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        || format!("slow body answered {answer}"),
    );
    // The server still answers a normal client.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("graceful stop")
        .unwrap()
        .unwrap();
    db.cleanup(&store).await;
    t.finish();
}

// ---------------------------------------------------------------- 10. brute force

/// A sign-in through the form from client address `ip`.
async fn sign_in_from(c: &TestClient, ip: &str, user: &str, pw: &str) -> Answer {
    let page = c.get("/login").await;
    let token = set_cookie(&page, "otkeep_login").unwrap_or_default();
    let body = serde_urlencoded::to_string([
        ("username", user),
        ("password", pw),
        ("_login_csrf", &token),
    ])
    .unwrap();
    let mut req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("otkeep_login={token}"))
        .body(Body::from(body))
        .unwrap();
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    c.send(req).await
}

fn client_with(store: Arc<Store>, options: &ServeOptions) -> TestClient {
    let state = AppState::new(store);
    TestClient {
        router: otkeep_web::router_with(state.clone(), options),
        state,
        credential: Credential::None,
    }
}

#[tokio::test]
async fn sign_in_brute_force_is_locked_out_and_throttled() {
    let db = TestDb::sqlite();
    let store = Arc::new(db.open().await.expect("open SQLite"));
    let mut t = Tally::new("brute force");
    let target = test_account(&store, "target", &[grant(Role::ProgramOwner, None)])
        .await
        .unwrap();
    // Per account: the policy's 5 failures lock it; then even the right password is refused.
    let generous = client_with(
        store.clone(),
        &ServeOptions {
            login_attempts_per_minute: 1000,
            ..ServeOptions::default()
        },
    );
    let max = otkeep_store::AuthPolicy::default().max_failed_logins;
    for i in 0..max + 5 {
        let a = sign_in_from(
            &generous,
            "192.0.2.1",
            "target",
            &format!("guess number {i}"),
        )
        .await;
        t.attempt(
            a.status == StatusCode::UNAUTHORIZED && set_cookie(&a, "otkeep_session").is_none(),
            || format!("guess {i}: {}", a.status),
        );
        if i + 1 == max {
            assert!(
                a.body.contains("locked"),
                "the 5th failure says the account is locked"
            );
        }
    }
    for ip in ["192.0.2.1", "198.51.100.7"] {
        let a = sign_in_from(&generous, ip, "target", TEST_PASSWORD).await;
        t.attempt(
            a.status == StatusCode::UNAUTHORIZED && set_cookie(&a, "otkeep_session").is_none(),
            || format!("right password while locked from {ip}: {}", a.status),
        );
    }
    let events = store
        .recent_events(200, &otkeep_core::access::Scope::All)
        .await
        .unwrap();
    let failed = events
        .iter()
        .filter(|e| e.action == "login_failed" && e.record_id == Some(target.id))
        .count();
    let lockouts = events
        .iter()
        .filter(|e| e.action == "lockout" && e.record_id == Some(target.id))
        .count();
    assert_eq!(
        failed as i64,
        max + 5 + 2,
        "every failed attempt is audited"
    );
    assert_eq!(lockouts, 1, "the lockout is audited");
    // Per client: many user names from one address are throttled (429, Retry-After); another
    // address is not.
    let strict = client_with(
        store.clone(),
        &ServeOptions {
            login_attempts_per_minute: 5,
            ..ServeOptions::default()
        },
    );
    for i in 0..30 {
        let a = sign_in_from(
            &strict,
            "203.0.113.9",
            &format!("user{i}"),
            "password123456",
        )
        .await;
        let throttled = a.status == StatusCode::TOO_MANY_REQUESTS
            && a.headers
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .is_some_and(|s| (1..=60).contains(&s));
        if i < 5 {
            assert_eq!(
                a.status,
                StatusCode::UNAUTHORIZED,
                "attempt {i} is answered"
            );
        } else {
            t.attempt(throttled, || format!("spraying attempt {i}: {}", a.status));
        }
    }
    // Throttled attempts did not reach the password check.
    let events = store
        .recent_events(500, &otkeep_core::access::Scope::All)
        .await
        .unwrap();
    let sprayed = events
        .iter()
        .filter(|e| {
            e.action == "login_failed" && e.after.as_deref().unwrap_or("").contains("203.0.113.9")
        })
        .count();
    assert_eq!(sprayed, 5, "only the allowed attempts were checked");
    // The throttling is audited once per burst, not once per refused attempt.
    let throttled_events = events
        .iter()
        .filter(|e| {
            e.action == "login_throttled"
                && e.after.as_deref().unwrap_or("").contains("203.0.113.9")
        })
        .count();
    assert_eq!(throttled_events, 1, "the burst is one audit event");
    let a = sign_in_from(&strict, "203.0.113.10", "target", "wrong").await;
    assert_eq!(
        a.status,
        StatusCode::UNAUTHORIZED,
        "another address is not throttled"
    );
    db.cleanup(&store).await;
    t.finish();
}
