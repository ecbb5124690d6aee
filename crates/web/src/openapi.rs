//! The OpenAPI 3.1 document of the JSON API, generated from the kind descriptors so that it
//! cannot drift from what the generic handlers accept.

use axum::Json;
use otkeep_core::KINDS;
use otkeep_core::kind::{Field, FieldType, KindDef};
use otkeep_core::value::{DIRECTIONS, TRANSPORTS};
use serde_json::{Map, Value, json};

/// Served at `/api/openapi.json`; built once, since the descriptors are static.
pub async fn document() -> Json<Value> {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    Json(DOC.get_or_init(build).clone())
}

fn field_schema(f: &Field) -> Value {
    let mut s = match f.ty {
        FieldType::Text { max } | FieldType::Code { max } => {
            json!({"type": "string", "maxLength": max})
        }
        FieldType::LongText => json!({"type": "string"}),
        FieldType::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        FieldType::Bool => json!({"type": "boolean"}),
        FieldType::Choice(choices) => {
            json!({"type": "string", "enum": choices.iter().map(|c| c.key).collect::<Vec<_>>()})
        }
        FieldType::Ref(target) => {
            json!({"type": "integer", "description": format!("id of a {target}")})
        }
        FieldType::Refs(target) => json!({
            "type": "array", "items": {"type": "integer"}, "uniqueItems": true,
            "description": format!("ids of {target} records")
        }),
        FieldType::Date => json!({"type": "string", "format": "date"}),
        FieldType::DateTime => {
            json!({"type": "string", "description": "local date and time, YYYY-MM-DDTHH:MM"})
        }
        FieldType::TimeZone => {
            json!({"type": "string", "description": "IANA time zone, e.g. Europe/Berlin"})
        }
        FieldType::IpList => {
            json!({"type": "string", "description": "comma-separated IP addresses"})
        }
        FieldType::SubnetList => {
            json!({"type": "string", "description": "comma-separated IP networks (CIDR)"})
        }
        FieldType::Checklist => {
            json!({"type": "string", "description": "one item per line: '[x] done item' or '[ ] open item'"})
        }
        FieldType::Impacts => {
            json!({"type": "string", "description": "consequence per category, e.g. 'production=3, safety=4'"})
        }
        FieldType::MacList => {
            json!({"type": "string", "description": "comma-separated MAC addresses"})
        }
        FieldType::SlVector => json!({
            "type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 4},
            "minItems": 7, "maxItems": 7, "description": "security level per FR1–FR7"
        }),
        FieldType::Channels => {
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Channel"}})
        }
    };
    if let Some(obj) = s.as_object_mut() {
        obj.insert("title".into(), json!(f.label));
        if !f.help.is_empty() && !obj.contains_key("description") {
            obj.insert("description".into(), json!(f.help));
        }
    }
    if f.required {
        s
    } else {
        json!({"anyOf": [s, {"type": "null"}]})
    }
}

fn kind_schemas(kind: &KindDef, schemas: &mut Map<String, Value>) {
    let mut props = Map::new();
    for f in kind.fields {
        props.insert(f.name.into(), field_schema(f));
    }
    let required: Vec<&str> = kind
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    let input_name = format!("{}Input", kind.label.replace(' ', ""));
    schemas.insert(
        input_name.clone(),
        json!({"type": "object", "properties": props, "required": required, "additionalProperties": false}),
    );
    let mut rec_props = props.clone();
    rec_props.insert("id".into(), json!({"type": "integer"}));
    rec_props.insert("version".into(), json!({"type": "integer", "description": "increases with every change; send it back with PUT"}));
    rec_props.insert(
        "created_at".into(),
        json!({"type": "string", "format": "date-time"}),
    );
    rec_props.insert(
        "updated_at".into(),
        json!({"type": "string", "format": "date-time"}),
    );
    schemas.insert(
        kind.label.replace(' ', ""),
        json!({"type": "object", "properties": rec_props}),
    );
}

fn list_parameters(kind: &KindDef) -> Vec<Value> {
    let mut params = vec![
        json!({"name": "q", "in": "query", "schema": {"type": "string"}, "description": "free text, case-insensitive substring"}),
        json!({"name": "sort", "in": "query", "schema": {"type": "string", "enum": kind.fields.iter().filter(|f| f.sortable).map(|f| f.name).collect::<Vec<_>>()}}),
        json!({"name": "order", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}}),
        json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}),
        json!({"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": otkeep_store::read::MAX_PER_PAGE}}),
    ];
    for f in kind.filter_fields() {
        params.push(json!({"name": f.name, "in": "query", "schema": {"type": "string"}, "description": format!("filter: {} equals", f.label)}));
    }
    params
}

fn error_responses() -> Value {
    let err = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let with = |d: &str| {
        let mut e = err.clone();
        if let Some(o) = e.as_object_mut() {
            o.insert("description".into(), json!(d));
        }
        e
    };
    json!({
        "400": with("bad request"),
        "401": with("not signed in: send a valid bearer token"),
        "403": with("not allowed"),
        "404": with("not found"),
        "409": with("conflict: stale version, or the record is still referenced"),
        "422": with("invalid fields"),
    })
}

/// The whole document.
pub fn build() -> Value {
    let mut schemas = Map::new();
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "properties": {"error": {"type": "object", "properties": {
            "message": {"type": "string"},
            "field": {"type": ["string", "null"]},
            "details": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}}
        }}}}),
    );
    schemas.insert(
        "Channel".into(),
        json!({"type": "object", "required": ["protocol"], "properties": {
            "protocol": {"type": "string"},
            "port": {"type": ["integer", "null"], "minimum": 1, "maximum": 65535},
            "transport": {"type": "string", "enum": TRANSPORTS},
            "direction": {"type": "string", "enum": DIRECTIONS.iter().map(|(k, _)| *k).collect::<Vec<_>>()}
        }}),
    );
    let mut paths = Map::new();
    for kind in KINDS {
        kind_schemas(kind, &mut schemas);
        let name = kind.label.replace(' ', "");
        let rec = json!({"$ref": format!("#/components/schemas/{name}")});
        let input = json!({"$ref": format!("#/components/schemas/{name}Input")});
        let reason = json!({"name": "X-Otkeep-Reason", "in": "header", "schema": {"type": "string"}, "description": "reason recorded in the audit trail"});
        let id =
            json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
        let errors = error_responses();
        let merge = |ok: Value| {
            let mut all = errors.clone();
            if let (Some(a), Some(o)) = (all.as_object_mut(), ok.as_object()) {
                for (k, v) in o {
                    a.insert(k.clone(), v.clone());
                }
            }
            all
        };
        paths.insert(
            format!("/api/v1/{}", kind.plural),
            json!({
                "get": {
                    "summary": format!("List {}", kind.label_plural.to_lowercase()),
                    "tags": [kind.label_plural],
                    "parameters": list_parameters(kind),
                    "responses": merge(json!({"200": {"description": "a page", "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"items": {"type": "array", "items": rec}, "total": {"type": "integer"},
                        "page": {"type": "integer"}, "per_page": {"type": "integer"}, "pages": {"type": "integer"}}}}}}}))
                },
                "post": {
                    "summary": format!("Create a {}", kind.label.to_lowercase()),
                    "tags": [kind.label_plural],
                    "parameters": [reason],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": input}}},
                    "responses": merge(json!({"201": {"description": "created", "content": {"application/json": {"schema": rec}}}}))
                }
            }),
        );
        let mut put_body = input.clone();
        if let Some(o) = put_body.as_object_mut() {
            o.clear();
            o.insert("allOf".into(), json!([input, {"type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}}}]));
        }
        paths.insert(
            format!("/api/v1/{}/{{id}}", kind.plural),
            json!({
                "get": {"summary": format!("Get a {}", kind.label.to_lowercase()), "tags": [kind.label_plural], "parameters": [id],
                        "responses": merge(json!({"200": {"description": "the record", "content": {"application/json": {"schema": rec}}}}))},
                "put": {"summary": format!("Replace a {}", kind.label.to_lowercase()), "tags": [kind.label_plural], "parameters": [id, reason],
                        "requestBody": {"required": true, "content": {"application/json": {"schema": put_body}}},
                        "responses": merge(json!({"200": {"description": "the record", "content": {"application/json": {"schema": rec}}}}))},
                "delete": {"summary": format!("Delete a {}", kind.label.to_lowercase()), "tags": [kind.label_plural],
                        "parameters": [id, reason, {"name": "version", "in": "query", "required": true, "schema": {"type": "integer"}}],
                        "responses": merge(json!({"204": {"description": "deleted"}}))}
            }),
        );
        paths.insert(
            format!("/api/v1/{}/{{id}}/signatures", kind.plural),
            json!({
                "get": {"summary": format!("Signatures of a {}", kind.label.to_lowercase()), "tags": [kind.label_plural], "parameters": [id],
                        "responses": merge(json!({"200": {"description": "signatures, oldest first; `valid` is false once the record's content changed", "content": {"application/json": {"schema": {
                            "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Signature"}}}}}}}}))},
                "post": {"summary": format!("Sign a {}", kind.label.to_lowercase()), "tags": [kind.label_plural], "parameters": [id],
                        "description": "Re-authenticates with the signer's password and binds the signature to the SHA-256 of the record's content at `version`.",
                        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignRequest"}}}},
                        "responses": merge(json!({"201": {"description": "signed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Signature"}}}}}))}
            }),
        );
        paths.insert(
            format!("/api/v1/{}/{{id}}/history", kind.plural),
            json!({"get": {"summary": format!("History of a {}", kind.label.to_lowercase()), "tags": [kind.label_plural], "parameters": [id],
                "responses": merge(json!({"200": {"description": "audit events, oldest first"}}))}}),
        );
    }
    identity(&mut paths, &mut schemas);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "otkeep API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Records of an IEC 62443-aligned OT security program. Every change is recorded in a hash-chained audit trail."
        },
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                "description": "A personal API token (otk_…), made under My account in the UI"}}
        }
    })
}

/// The account, token, signature and audit parts of the document.
fn identity(paths: &mut Map<String, Value>, schemas: &mut Map<String, Value>) {
    schemas.insert(
        "Signature".into(),
        json!({"type": "object", "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string"}, "record_id": {"type": "integer"},
            "record_version": {"type": "integer"}, "signer": {"type": "string"}, "signer_name": {"type": "string"},
            "meaning": {"type": "string", "enum": ["authored", "reviewed", "approved", "rejected"]},
            "comment": {"type": ["string", "null"]}, "content_hash": {"type": "string"},
            "signed_at": {"type": "string"}, "audit_seq": {"type": "integer"}, "valid": {"type": "boolean"}
        }}),
    );
    schemas.insert(
        "SignRequest".into(),
        json!({"type": "object", "required": ["meaning", "password", "version"], "properties": {
            "meaning": {"type": "string", "enum": ["authored", "reviewed", "approved", "rejected"]},
            "password": {"type": "string", "format": "password"},
            "comment": {"type": "string"},
            "version": {"type": "integer", "description": "the version being signed"}
        }}),
    );
    schemas.insert(
        "Token".into(),
        json!({"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"},
            "scope": {"type": "string", "enum": ["read", "read-write"]},
            "created_at": {"type": "string"}, "expires_at": {"type": "string"},
            "last_used_at": {"type": ["string", "null"]}, "revoked_at": {"type": ["string", "null"]},
            "active": {"type": "boolean"},
            "secret": {"type": "string", "description": "only in the answer to the creation"}
        }}),
    );
    let errors = error_responses();
    let with = |ok: Value| {
        let mut all = errors.clone();
        if let (Some(a), Some(o)) = (all.as_object_mut(), ok.as_object()) {
            for (k, v) in o {
                a.insert(k.clone(), v.clone());
            }
        }
        all
    };
    let tag = json!(["Account"]);
    paths.insert(
        "/api/v1/me".into(),
        json!({"get": {"summary": "The signed-in account, how it authenticated, and its roles", "tags": tag,
            "responses": with(json!({"200": {"description": "the account"}}))}}),
    );
    paths.insert(
        "/api/v1/me/tokens".into(),
        json!({
            "get": {"summary": "My API tokens (never their secrets)", "tags": tag,
                "responses": with(json!({"200": {"description": "tokens", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}}}}}}}))},
            "post": {"summary": "Create an API token (from a browser session, not with another token)", "tags": tag,
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"}, "scope": {"type": "string", "enum": ["read", "read-write"]},
                    "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 365}}}}}},
                "responses": with(json!({"201": {"description": "the token with its secret, shown once", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}}}}))}
        }),
    );
    paths.insert(
        "/api/v1/me/tokens/{id}".into(),
        json!({"delete": {"summary": "Revoke one of my tokens", "tags": tag,
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": with(json!({"204": {"description": "revoked"}}))}}),
    );
    paths.insert(
        "/api/v1/audit".into(),
        json!({"get": {"summary": "The newest audit events of the sites I may audit", "tags": ["Audit"],
            "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": with(json!({"200": {"description": "events, newest first"}}))}}),
    );
    paths.insert(
        "/api/v1/advisories".into(),
        json!({"get": {"summary": "Security advisories (CSAF) with their matches among the assets I may see", "tags": ["Advisories"],
            "parameters": [
                {"name": "site_id", "in": "query", "schema": {"type": "integer"}},
                {"name": "severity", "in": "query", "schema": {"type": "string", "enum": ["critical", "high", "medium", "low"]}},
                {"name": "status", "in": "query", "description": "triage state of a match", "schema": {"type": "string"}},
                {"name": "exploited", "in": "query", "description": "1: only known exploited", "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "show", "in": "query", "description": "all: also advisories matching none of my assets", "schema": {"type": "string"}}],
            "responses": with(json!({"200": {"description": "advisories, newest first"}}))}}),
    );
    paths.insert(
        "/api/v1/advisories/{id}".into(),
        json!({"get": {"summary": "One advisory (normalised), its earlier versions and my assets it matches", "tags": ["Advisories"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": with(json!({"200": {"description": "the advisory"}}))}}),
    );
    paths.insert(
        "/api/v1/sboms".into(),
        json!({"get": {"summary": "SBOMs of the assets I may see and of models", "tags": ["Advisories"],
            "responses": with(json!({"200": {"description": "SBOMs, newest first"}}))}}),
    );
    paths.insert(
        "/api/v1/sboms/{id}".into(),
        json!({"get": {"summary": "One SBOM: its components and the advisories naming them", "tags": ["Advisories"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": with(json!({"200": {"description": "the SBOM"}}))}}),
    );
    paths.insert(
        "/api/v1/advisory-matches/{id}/triage".into(),
        json!({"post": {"summary": "Move a match one triage step on", "tags": ["Advisories"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["status", "version"], "properties": {
                "status": {"type": "string", "enum": ["new", "under_review", "affected", "not_affected", "remediation_planned", "risk_accepted", "resolved"]},
                "justification": {"type": "string"}, "version": {"type": "integer"},
                "link": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["treatment", "change", "exception"]}, "id": {"type": "integer"}}}}}}}},
            "responses": with(json!({"200": {"description": "the match"}}))}}),
    );
    paths.insert(
        "/api/v1/kpi/restore-tests".into(),
        json!({"get": {"summary": "Critical assets with a successful restore test within their backup plan's interval", "tags": ["Risk"],
            "parameters": [{"name": "site", "in": "query", "description": "site code", "schema": {"type": "string"}}],
            "responses": with(json!({"200": {"description": "the KPI"}}))}}),
    );
    paths.insert(
        "/api/v1/raci/people".into(),
        json!({"get": {"summary": "The people the RACI matrix of a site names for an activity: approvers (accountable) and owners (responsible)", "tags": ["Governance"],
            "parameters": [{"name": "site", "in": "query", "description": "site code", "schema": {"type": "string"}},
                           {"name": "activity", "in": "query", "description": "activity key, e.g. patch_deployment", "schema": {"type": "string"}}],
            "responses": with(json!({"200": {"description": "`{items: [{site_id, activity, accountable: [people], responsible: [people]}]}`"}, "422": {"description": "unknown site or activity"}}))}}),
    );
    paths.insert(
        "/api/v1/coverage".into(),
        json!({"get": {"summary": "Requirement coverage: for each IEC 62443-3-3 requirement, the documents mapped to it (corporate ones included) and the records that evidence it; `evidenced` is false where nothing does", "tags": ["Governance"],
            "parameters": [{"name": "site", "in": "query", "description": "site code", "schema": {"type": "string"}}],
            "responses": with(json!({"200": {"description": "`{items: [{requirement, fr, title, documents: [{id, site_id, key, title, corporate, effective}], countermeasures, implemented, with_evidence, evidenced}]}`"}, "422": {"description": "unknown site"}}))}}),
    );
    paths.insert(
        "/api/v1/training/coverage".into(),
        json!({"get": {"summary": "Training coverage per site and program role: people, required trainings, people fully trained, and each missing or expired training", "tags": ["Governance"],
            "parameters": [{"name": "site", "in": "query", "description": "site code", "schema": {"type": "string"}}],
            "responses": with(json!({"200": {"description": "`{today, coverage: [{site_id, role, holders, trainings, current, percent, gaps: [{person, training, why}]}]}`"}}))}}),
    );
    let report_params = json!([
        {"name": "slug", "in": "path", "required": true, "schema": {"type": "string"}},
        {"name": "site", "in": "query", "description": "site code (omit for the organization)", "schema": {"type": "string"}},
        {"name": "as_of", "in": "query", "description": "YYYY-MM-DD: the records as they stood at the end of that day (UTC), rebuilt from the audit trail", "schema": {"type": "string", "format": "date"}},
        {"name": "from", "in": "query", "description": "start of the period (change log, operations evidence)", "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "description": "end of the period", "schema": {"type": "string", "format": "date"}},
        {"name": "format", "in": "query", "description": "json (default), pdf, xlsx or html", "schema": {"type": "string", "enum": ["json", "pdf", "xlsx", "html"]}}
    ]);
    paths.insert(
        "/api/v1/observations".into(),
        json!({"get": {"summary": "Observed traffic of a site: the imported captures and Zeek logs (file, SHA-256, packets, time range, hosts, flows) and the findings against its records (unknown_device, asset_not_seen, vendor_mismatch, flow_without_conduit, channel_not_declared, write_against_direction)", "tags": ["Observed traffic"],
            "parameters": [{"name": "site", "in": "query", "description": "site code (omit: every site the reader can see)", "schema": {"type": "string"}}],
            "responses": with(json!({"200": {"description": "`{imports: [{site, id, source, file_name, sha256, bytes, packets, first_seen, last_seen, hosts, flows, imported_at, imported_by}], findings: [{site, rule, message, fix, records: [{kind, id, title}]}]}`"}, "404": {"description": "no such site, or out of reach"}}))}}),
    );
    paths.insert(
        "/api/v1/reports".into(),
        json!({"get": {"summary": "The generated reports: slug, title, what each covers, whether it uses a period, formats", "tags": ["Reports"],
            "responses": with(json!({"200": {"description": "`[{slug, title, covers, period, formats}]`"}}))}}),
    );
    paths.insert(
        "/api/v1/reports/{slug}".into(),
        json!({"get": {"summary": "A generated report (inventory, zones, sl-justification, gap, risk, exceptions, vulnerabilities, changes, operations, kpis) for a site or the organization, now or as of a past date: the document as JSON (cover with audit trail position and record versions, sections), or rendered as PDF, XLSX or HTML", "tags": ["Reports"],
            "parameters": report_params,
            "responses": with(json!({"200": {"description": "`{cover: {title, covers, organization, scope, as_of, point_in_time, generated_at, generated_by, audit_seq, audit_hash, sources: [{kind, count, versions, last_changed}]}, sections: [{heading, blocks: [{type: paragraph|facts|table|figure, …}]}]}`, or the file"}, "400": {"description": "bad date or period"}, "404": {"description": "no such report or site"}}))}}),
    );
    paths.insert(
        "/api/v1/kpi/program".into(),
        json!({"get": {"summary": "Program KPIs now (time to revoke, patch latency on critical assets, assets with a baseline, critical assets restore-tested, exceptions past review, overdue actions, requirements met per FR, advisories untriaged) with their targets and owners", "tags": ["Operations"],
            "parameters": [{"name": "site", "in": "query", "description": "site code", "schema": {"type": "string"}}],
            "responses": with(json!({"200": {"description": "`{items: [{kpi, label, formula, unit, lower_is_better, value, target, owner, meets_target}]}`"}, "422": {"description": "unknown site"}}))}}),
    );
    paths.insert(
        "/api/v1/kpi/history".into(),
        json!({"get": {"summary": "Daily KPI snapshots of the reader's sites (site_id 0: the organization, for readers of every site)", "tags": ["Operations"],
            "parameters": [{"name": "site", "in": "query", "description": "site code", "schema": {"type": "string"}},
                           {"name": "days", "in": "query", "description": "days back (default 90)", "schema": {"type": "integer"}}],
            "responses": with(json!({"200": {"description": "`{points: [{day, site_id, kpi, value}]}`"}, "422": {"description": "unknown site"}}))}}),
    );
    paths.insert(
        "/api/v1/kpi/operations".into(),
        json!({"get": {"summary": "Operations KPIs: patch latency and deployment within the target window, open deferrals, time to revoke access, accounts past their review, shared accounts without a holder, remote sessions flagged, restore tests of critical assets", "tags": ["Operations"],
            "parameters": [{"name": "site", "in": "query", "description": "site code", "schema": {"type": "string"}}],
            "responses": with(json!({"200": {"description": "the KPIs by area (`patches`, `access`, `remote_access`, `restore_tests`) and as display `lines`"}}))}}),
    );
    paths.insert(
        "/api/v1/patches/{id}/apply".into(),
        json!({"post": {"summary": "Record a patch on every asset of its site matching a type, vendor and/or model (state evaluated; assets that have it already are left alone)", "tags": ["Operations"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
                "asset_type": {"type": "string"}, "vendor": {"type": "string", "description": "contains, any case"},
                "model": {"type": "string", "description": "contains, any case"}}}}}},
            "responses": with(json!({"200": {"description": "`{added, already}`"}, "422": {"description": "no criterion given"}}))}}),
    );
    let request = json!({"type": "object", "required": ["name", "assets", "purpose", "window_start", "window_end"], "properties": {
        "name": {"type": "string"}, "company": {"type": "string"},
        "assets": {"type": "array", "items": {"type": "integer"}, "description": "ids of assets one may request (a vendor: the granted ones)"},
        "purpose": {"type": "string"},
        "window_start": {"type": "string", "description": "YYYY-MM-DDTHH:MM"},
        "window_end": {"type": "string", "description": "YYYY-MM-DDTHH:MM"}}});
    paths.insert(
        "/api/v1/remote-access".into(),
        json!({
            "get": {"summary": "My own remote access requests, newest first, with their status and flags", "tags": ["Operations"],
                "responses": with(json!({"200": {"description": "`{items: [...]}`"}}))},
            "post": {"summary": "Request remote access (vendors: to the assets granted to them); it awaits approval by e-signature", "tags": ["Operations"],
                "requestBody": {"required": true, "content": {"application/json": {"schema": request}}},
                "responses": with(json!({"201": {"description": "the request"}, "422": {"description": "invalid request, by field"}}))}}),
    );
    paths.insert(
        "/api/v1/due".into(),
        json!({"get": {"summary": "What is due: every dated obligation of the sites I may read, by date (for notifications)", "tags": ["Risk"],
            "parameters": [
                {"name": "site", "in": "query", "description": "site code or id", "schema": {"type": "string"}},
                {"name": "within", "in": "query", "description": "only what falls due within this many days (overdue always)", "schema": {"type": "integer", "minimum": 0}},
                {"name": "mine", "in": "query", "description": "1: only obligations whose owner names me", "schema": {"type": "string"}}],
            "responses": with(json!({"200": {"description": "obligations", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"today": {"type": "string", "format": "date"}, "obligations": {"type": "array", "items": {
                    "type": "object", "properties": {
                        "due": {"type": "string", "format": "date"},
                        "bucket": {"type": "string", "enum": ["overdue", "this_week", "this_month", "later"]},
                        "what": {"type": "string"}, "kind": {"type": "string"}, "record_id": {"type": "integer"},
                        "href": {"type": "string"}, "site_id": {"type": ["integer", "null"]}, "site": {"type": ["string", "null"]},
                        "title": {"type": "string"}, "owner": {"type": "string"}}}}}}}}}}))}}),
    );
}
