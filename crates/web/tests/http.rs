//! The UI and the API over HTTP (in-process), on SQLite and PostgreSQL.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use otkeep_core::access::{Grant, Role};
use otkeep_store::Store;
use otkeep_web::testing::{TestClient, grant};
use serde_json::{Value, json};
use std::sync::Arc;

otkeep_store::on_both_backends!(
    api_creates_reads_updates_and_deletes_with_json_errors,
    api_refuses_stale_versions,
    ui_lists_filter_paginate_and_export,
    ui_form_shows_inline_errors_and_creates,
    read_only_operators_cannot_write_anywhere,
    pages_and_history_render,
);

/// The tests' view of the server: a signed-in in-process client.
struct App {
    client: TestClient,
}

impl App {
    async fn admin(store: Arc<Store>, name: &str) -> App {
        App {
            client: TestClient::admin(store, name).await,
        }
    }

    async fn user(store: Arc<Store>, name: &str, grants: &[Grant]) -> App {
        App {
            client: TestClient::user(store, name, grants).await,
        }
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, String, axum::http::HeaderMap) {
        let a = self.client.send(req).await;
        (a.status, a.body, a.headers)
    }

    async fn get(&self, uri: &str) -> (StatusCode, String) {
        let a = self.client.get(uri).await;
        (a.status, a.body)
    }

    async fn json(&self, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
        let a = self.client.json(method, uri, body).await;
        (a.status, a.json())
    }

    async fn form(
        &self,
        uri: &str,
        pairs: &[(&str, &str)],
    ) -> (StatusCode, String, axum::http::HeaderMap) {
        let a = self.client.form(uri, pairs).await;
        (a.status, a.body, a.headers)
    }
}

/// A site with two zones, created through the API. Returns (site, control zone, dmz zone).
async fn seed(app: &App) -> (i64, i64, i64) {
    let (s, site) = app
        .json(
            "POST",
            "/api/v1/sites",
            json!({"code": "FRA1", "name": "Frankfurt", "time_zone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{site}");
    let site = site["id"].as_i64().unwrap();
    let mut zones = Vec::new();
    for name in ["Control", "DMZ"] {
        let (s, z) = app
            .json(
                "POST",
                "/api/v1/zones",
                json!({"site_id": site, "name": name, "sl_t": [2,2,2,1,2,1,1], "owner": "OT lead"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{z}");
        zones.push(z["id"].as_i64().unwrap());
    }
    (site, zones[0], zones[1])
}

fn asset_json(site: i64, zone: i64, name: &str) -> Value {
    json!({"site_id": site, "zone_id": zone, "name": name, "asset_type": "plc", "vendor": "Siemens",
           "criticality": "high", "owner": "M. Keller", "lifecycle": "operational"})
}

async fn api_creates_reads_updates_and_deletes_with_json_errors(store: Arc<Store>) {
    let app = App::admin(store, "alice").await;
    let (site, control, dmz) = seed(&app).await;

    // An asset without owner is rejected, with the field named.
    let mut bad = asset_json(site, control, "PLC-01");
    bad.as_object_mut().unwrap().remove("owner");
    let (s, err) = app.json("POST", "/api/v1/assets", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "owner");
    assert_eq!(err["error"]["message"], "owner: Owner is required");

    let (s, err) = app
        .json("POST", "/api/v1/assets", json!({"nmae": "typo"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        err["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["field"] == "nmae")
    );

    let (s, created) = app
        .json(
            "POST",
            "/api/v1/assets",
            asset_json(site, control, "PLC-01"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = created["id"].as_i64().unwrap();
    let (s, got) = app
        .json("GET", &format!("/api/v1/assets/{id}"), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["name"], "PLC-01");
    assert_eq!(got["version"], 1);

    // Conduits: channels and SL-T through JSON; a conduit to itself is refused.
    let (s, c) = app
        .json(
            "POST",
            "/api/v1/conduits",
            json!({"site_id": site, "name": "DMZ-Control", "zone_a_id": dmz, "zone_b_id": control,
            "channels": [{"protocol": "OPC UA", "port": 4840}], "owner": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["channels"][0]["transport"], "tcp");
    let (s, e) = app
        .json("POST", "/api/v1/conduits", json!({"site_id": site, "name": "loop", "zone_a_id": dmz, "zone_b_id": dmz, "owner": "x"}))
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("zone_b_id"))
    );

    let mut update = got.clone();
    update["firmware_version"] = json!("V2.9.4");
    let (s, updated) = app
        .json("PUT", &format!("/api/v1/assets/{id}"), update)
        .await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], 2);

    // A zone still holding an asset cannot be deleted; the message says why.
    let (s, e) = app
        .json(
            "DELETE",
            &format!("/api/v1/zones/{control}?version=1"),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 conduit (Zone B), 1 asset (Zone) still refer")
    );

    let (s, _) = app
        .json(
            "DELETE",
            &format!("/api/v1/assets/{id}?version=2"),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = app
        .json("GET", &format!("/api/v1/assets/{id}"), Value::Null)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(e["error"]["message"].is_string());

    let (s, h) = app
        .json("GET", &format!("/api/v1/assets/{id}/history"), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> = h["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update", "delete"]);
    assert_eq!(h["items"][0]["actor"], "alice");
    assert_eq!(h["items"][0]["reason"], "test");

    let (s, e) = app
        .json("GET", "/api/v1/assets?colour=red", Value::Null)
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("colour"))
    );
    let (s, _) = app.json("GET", "/api/v1/widgets", Value::Null).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, doc) = app.json("GET", "/api/openapi.json", Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    // Every API route of the router is documented, with its method.
    for spec in otkeep_web::route_specs() {
        let Some(_) = spec.path.strip_prefix("/api/v1/") else {
            continue;
        };
        for k in otkeep_core::KINDS {
            let path = spec.path.replace("{plural}", k.plural);
            let method = spec.method.as_str().to_lowercase();
            assert!(
                doc["paths"][&path][&method].is_object(),
                "{method} {path} is missing from the OpenAPI document"
            );
        }
    }
    for p in [
        "/api/v1/assets",
        "/api/v1/assets/{id}",
        "/api/v1/zones",
        "/api/v1/conduits/{id}/history",
        "/api/v1/sites",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
    assert_eq!(
        doc["components"]["schemas"]["AssetInput"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| *r == "owner")
            .count(),
        1
    );
}

async fn api_refuses_stale_versions(store: Arc<Store>) {
    let app = App::admin(store, "alice").await;
    let (site, control, _) = seed(&app).await;
    let (_, a) = app
        .json(
            "POST",
            "/api/v1/assets",
            asset_json(site, control, "PLC-01"),
        )
        .await;
    let id = a["id"].as_i64().unwrap();
    let mut first = a.clone();
    first["location"] = json!("Hall 1");
    let (s, _) = app
        .json("PUT", &format!("/api/v1/assets/{id}"), first)
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut stale = a.clone();
    stale["location"] = json!("Hall 2");
    let (s, e) = app
        .json("PUT", &format!("/api/v1/assets/{id}"), stale)
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(e["error"]["field"], "version");
    let (_, now) = app
        .json("GET", &format!("/api/v1/assets/{id}"), Value::Null)
        .await;
    assert_eq!(now["location"], "Hall 1");
    let mut no_version = a.clone();
    no_version.as_object_mut().unwrap().remove("version");
    let (s, _) = app
        .json("PUT", &format!("/api/v1/assets/{id}"), no_version)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn ui_lists_filter_paginate_and_export(store: Arc<Store>) {
    let app = App::admin(store, "alice").await;
    let (site, control, dmz) = seed(&app).await;
    for i in 0..60 {
        let mut a = asset_json(
            site,
            if i < 10 { dmz } else { control },
            &format!("AST-{i:03}"),
        );
        if i % 20 == 0 {
            a["asset_type"] = json!("hmi");
            a["vendor"] = json!("Rockwell");
        }
        let (s, _) = app.json("POST", "/api/v1/assets", a).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let (s, page1) = app.get("/assets").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page1.contains("AST-000") && page1.contains("AST-049") && !page1.contains("AST-050"));
    assert!(page1.contains("1–50 of 60"), "pager shows the range");
    let (_, page2) = app.get("/assets?page=2").await;
    assert!(page2.contains("AST-050") && !page2.contains("AST-049"));

    let (_, hmis) = app
        .get(&format!("/assets?site_id={site}&asset_type=hmi"))
        .await;
    assert!(hmis.contains("1–3 of 3"), "filtered by type");
    let (_, text) = app.get("/assets?q=rockwell").await;
    assert!(text.contains("1–3 of 3"), "free text search");
    let (_, zone) = app
        .get(&format!(
            "/assets?site_id={site}&zone_id={dmz}&sort=name&order=desc"
        ))
        .await;
    assert!(zone.contains("1–10 of 10"));
    let first = zone.find("AST-009").unwrap();
    let last = zone.find("AST-000").unwrap();
    assert!(first < last, "sorted descending");

    let (s, csv, headers) = app
        .send(
            Request::get(format!("/assets/export.csv?site_id={site}&asset_type=hmi"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.starts_with('\u{feff}'), "BOM for Excel");
    assert_eq!(
        csv.trim_end().lines().count(),
        1 + 3,
        "header + the 3 filtered rows: {csv}"
    );
    assert!(
        csv.contains("Control") || csv.contains("DMZ"),
        "zone exported by name"
    );

    let (s, zones) = app.get("/zones").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        zones.contains("class=\"slv\""),
        "zone list shows SL-T vectors"
    );
    let (_, empty) = app.get("/conduits").await;
    assert!(
        empty.contains("No conduits yet"),
        "empty state says what to do"
    );
}

async fn ui_form_shows_inline_errors_and_creates(store: Arc<Store>) {
    let app = App::admin(store, "alice").await;
    let (site, control, _) = seed(&app).await;
    let (s, form) = app.get(&format!("/assets/new?site_id={site}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("name=\"owner\""));
    let site_s = site.to_string();
    let zone_s = control.to_string();
    let base = [
        ("site_id", site_s.as_str()),
        ("zone_id", zone_s.as_str()),
        ("name", "HMI-07"),
        ("asset_type", "hmi"),
        ("criticality", "medium"),
        ("lifecycle", "operational"),
        ("ip_addresses", "10.0.0.999"),
    ];
    let (s, page, _) = app.form("/assets", &base).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"err-owner\""),
        "owner error shown inline"
    );
    assert!(page.contains("Owner is required"));
    assert!(page.contains("value=\"HMI-07\""), "input is kept");
    let mut good = base.to_vec();
    good.retain(|(k, _)| *k != "ip_addresses");
    good.push(("ip_addresses", "10.0.0.9"));
    good.push(("owner", "J. Doe"));
    good.push(("_reason", "new panel"));
    let (s, _, headers) = app.form("/assets", &good).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let location = headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/assets/"));
    let (s, detail) = app.get(&location).await;
    assert_eq!(s, StatusCode::OK);
    assert!(detail.contains("HMI-07") && detail.contains("Asset saved."));

    // Editing with a stale version is refused and the user's input is kept.
    let id = location
        .trim_start_matches("/assets/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let mut edit = good.clone();
    edit.retain(|(k, _)| *k != "name");
    edit.push(("name", "HMI-07b"));
    edit.push(("_version", "1"));
    let (s, _, _) = app.form(&format!("/assets/{id}"), &edit).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, page, _) = app.form(&format!("/assets/{id}"), &edit).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(page.contains("changed by someone else"));

    // Deleting needs the version the page showed: without it nothing happens, a stale one is
    // refused, the current one deletes.
    let (s, _, _) = app.form(&format!("/assets/{id}/delete"), &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, page, _) = app
        .form(&format!("/assets/{id}/delete"), &[("_version", "1")])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(page.contains("changed by someone else"));
    let (s, _, h) = app
        .form(
            &format!("/assets/{id}/delete"),
            &[("_version", "2"), ("_reason", "scrapped")],
        )
        .await;
    assert_eq!(
        (s, h[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/assets")
    );
    let (s, _) = app.get(&format!("/assets/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Zone form: SL-T from seven selects; conduit form: channels from the row editor.
    let (s, _, h) = app
        .form(
            "/zones",
            &[
                ("site_id", &site_s),
                ("name", "Safety"),
                ("owner", "x"),
                ("sl_t.fr1", "3"),
                ("sl_t.fr2", "3"),
                ("sl_t.fr3", "4"),
                ("sl_t.fr4", "1"),
                ("sl_t.fr5", "3"),
                ("sl_t.fr6", "2"),
                ("sl_t.fr7", "3"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, zone_page) = app.get(h[header::LOCATION].to_str().unwrap()).await;
    assert!(
        zone_page.contains("sl sl-4 sl-big"),
        "SL-T shown on the zone page"
    );
    let (s, page, _) = app
        .form(
            "/conduits",
            &[
                ("site_id", &site_s),
                ("name", "c1"),
                ("zone_a_id", &zone_s),
                ("zone_b_id", &zone_s),
                ("owner", "x"),
                ("channels.protocol", "Modbus/TCP"),
                ("channels.port", "502"),
                ("channels.transport", "tcp"),
                ("channels.direction", "a_to_b"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("a conduit joins two different zones"));
    assert!(
        page.contains("value=\"Modbus/TCP\""),
        "channel rows are kept"
    );
}

async fn read_only_operators_cannot_write_anywhere(store: Arc<Store>) {
    let admin = App::admin(store.clone(), "alice").await;
    let (site, control, _) = seed(&admin).await;
    let (_, a) = admin
        .json(
            "POST",
            "/api/v1/assets",
            asset_json(site, control, "PLC-01"),
        )
        .await;
    let id = a["id"].as_i64().unwrap();
    let auditor = App::user(store, "auditor", &[grant(Role::Auditor, None)]).await;
    let site_s = site.to_string();
    let writes: Vec<(StatusCode, String)> = vec![
        {
            let (s, b) = auditor
                .json("POST", "/api/v1/assets", asset_json(site, control, "X"))
                .await;
            (s, b.to_string())
        },
        {
            let (s, b) = auditor
                .json("PUT", &format!("/api/v1/assets/{id}"), a.clone())
                .await;
            (s, b.to_string())
        },
        {
            let (s, b) = auditor
                .json(
                    "DELETE",
                    &format!("/api/v1/assets/{id}?version=1"),
                    Value::Null,
                )
                .await;
            (s, b.to_string())
        },
        {
            let (s, b, _) = auditor
                .form(
                    "/sites",
                    &[("code", "X"), ("name", "X"), ("time_zone", "UTC")],
                )
                .await;
            (s, b)
        },
        {
            let (s, b, _) = auditor
                .form(
                    &format!("/assets/{id}"),
                    &[("site_id", &site_s), ("_version", "1")],
                )
                .await;
            (s, b)
        },
        {
            let (s, b, _) = auditor
                .form(&format!("/assets/{id}/delete"), &[("_version", "1")])
                .await;
            (s, b)
        },
        auditor.get("/assets/new").await,
        auditor.get(&format!("/assets/{id}/edit")).await,
    ];
    for (i, (s, body)) in writes.iter().enumerate() {
        assert_eq!(
            *s,
            StatusCode::FORBIDDEN,
            "write #{i} must be refused: {body}"
        );
        assert!(
            body.contains("auditor"),
            "write #{i} says who may not: {body}"
        );
    }
    // Reads still work, and nothing changed.
    let (s, got) = auditor
        .json("GET", &format!("/api/v1/assets/{id}"), Value::Null)
        .await;
    assert_eq!((s, got["version"].as_i64()), (StatusCode::OK, Some(1)));
    let (s, list) = auditor.get("/assets").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !list.contains("New asset"),
        "no create button for read-only users"
    );
}

async fn pages_and_history_render(store: Arc<Store>) {
    let app = App::admin(store, "alice").await;
    let (site, control, _) = seed(&app).await;
    let (_, a) = app
        .json(
            "POST",
            "/api/v1/assets",
            asset_json(site, control, "PLC-01"),
        )
        .await;
    let id = a["id"].as_i64().unwrap();
    let mut b = a.clone();
    b["criticality"] = json!("critical");
    app.json("PUT", &format!("/api/v1/assets/{id}"), b).await;
    let (s, h) = app.get(&format!("/assets/{id}/history")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h.contains("Europe/Berlin"),
        "times shown in the site's time zone"
    );
    assert!(h.contains("Criticality") && h.contains("high") && h.contains("critical"));
    for uri in [
        "/",
        "/audit",
        "/sites",
        "/zones",
        "/assets",
        "/healthz",
        "/readyz",
        "/static/style.css",
    ] {
        let (s, _) = app.get(uri).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
    }
    let (_, dash) = app.get("/").await;
    assert!(dash.contains("FRA1") && dash.contains("Recent changes"));
    let (_, zone) = app.get(&format!("/zones/{control}")).await;
    assert!(zone.contains("PLC-01"), "zone page lists its assets");
    let (s, _) = app.get("/nothing-here").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/assets/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
