//! End-to-end in headless Chromium: open the demo, go to the asset list, create an asset through
//! the form, find it in the list; move a zone's gap and download the site's gap report PDF.
//!
//! Needs `chromium` and `chromedriver` on PATH (Debian packages `chromium`, `chromium-driver`).
//! Without them the test is skipped with a printed reason, except under CI (`CI=true`).

use otkeep_web::AppState;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn tool_available(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn create_an_asset_through_the_form_in_chromium() -> WebDriverResult<()> {
    if !tool_available("chromedriver") || !tool_available("chromium") {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("chromium and chromedriver are required under CI");
        }
        eprintln!("skipping browser test: install chromium and chromium-driver to run it");
        return Ok(());
    }

    // The demo organization, served on a free port.
    let db = otkeep_store::testing::TestDb::sqlite();
    let store = db.open().await.expect("open store");
    store
        .load_demo(1, 40, "demo", &mut |_| {})
        .await
        .expect("demo loads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (admin, one_time) = store
        .ensure_first_admin()
        .await
        .expect("first admin")
        .expect("a fresh database gets an administrator");
    // The session cookie is `Secure`; Chromium accepts that on loopback addresses.
    let state = AppState::new(Arc::new(store));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(otkeep_web::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let port = free_port();
    let _driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let mut caps = DesiredCapabilities::chrome();
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
    ] {
        caps.add_arg(arg)?;
    }
    let mut driver = None;
    for _ in 0..50 {
        match WebDriver::new(format!("http://127.0.0.1:{port}"), caps.clone()).await {
            Ok(d) => {
                driver = Some(d);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let driver = driver.expect("chromedriver answers");
    let result = run(&driver, &base, &admin, &one_time).await;
    driver.quit().await?;
    let _ = stop.send(());
    let _ = server.await;
    result
}

/// The first element matching `by`, waiting for it to appear (pages load after each click).
async fn el(driver: &WebDriver, by: By) -> WebDriverResult<WebElement> {
    driver.query(by).first().await
}

/// Clicks `by`, which navigates, and waits until the next page has replaced this one, so the
/// next lookup cannot find an element of the page being left. Clicked again if the page was
/// replaced between finding and clicking.
async fn click(driver: &WebDriver, by: By) -> WebDriverResult<()> {
    let mut tries = 0;
    loop {
        let page = driver.find(By::Tag("html")).await?;
        match el(driver, by.clone()).await?.click().await {
            Ok(()) => return page.wait_until().stale().await,
            Err(e)
                if tries < 10
                    && matches!(
                        e.as_inner(),
                        thirtyfour::error::WebDriverErrorInner::StaleElementReference(_)
                    ) =>
            {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn run(driver: &WebDriver, base: &str, user: &str, one_time: &str) -> WebDriverResult<()> {
    // Signed out, the dashboard sends to the sign-in page.
    driver.goto(base).await?;
    el(driver, By::Id("username"))
        .await?
        .send_keys(user)
        .await?;
    // A wrong password is refused on the page.
    driver
        .find(By::Id("password"))
        .await?
        .send_keys("wrong-password")
        .await?;
    driver
        .find(By::Css(".login-box button[type=submit]"))
        .await?
        .click()
        .await?;
    let refusal = el(driver, By::Css(".alert-error")).await?.text().await?;
    assert!(refusal.contains("not right"), "{refusal}");
    // The one-time password signs in, and the password must be changed before anything else.
    driver
        .find(By::Id("password"))
        .await?
        .send_keys(one_time)
        .await?;
    driver
        .find(By::Css(".login-box button[type=submit]"))
        .await?
        .click()
        .await?;
    el(driver, By::Id("current"))
        .await?
        .send_keys(one_time)
        .await?;
    let fresh = "a brand new passphrase for e2e";
    driver
        .find(By::Id("new-password"))
        .await?
        .send_keys(fresh)
        .await?;
    driver
        .find(By::Id("confirm"))
        .await?
        .send_keys(fresh)
        .await?;
    driver
        .find(By::Css("form.stack button[type=submit]"))
        .await?
        .click()
        .await?;
    let notice = el(driver, By::Css(".alert-ok")).await?.text().await?;
    assert_eq!(notice, "Password changed.");
    driver.goto(base).await?;
    el(driver, By::Css(".stats")).await?;
    assert!(driver.title().await?.contains("Dashboard"));

    // Dashboard → asset list through the navigation.
    click(driver, By::LinkText("Assets")).await?;
    el(driver, By::Id("f-q")).await?; // only list pages have the filter bar
    let heading = el(driver, By::Tag("h1")).await?.text().await?;
    assert!(heading.starts_with("Assets"), "{heading}");
    let rows = driver
        .find_all(By::Css("table.table-list tbody tr"))
        .await?;
    assert!(!rows.is_empty(), "the demo's assets are listed");

    // New asset through the form.
    driver
        .find(By::LinkText("New asset"))
        .await?
        .click()
        .await?;
    let site = SelectElement::new(&el(driver, By::Id("in-site_id")).await?).await?;
    site.select_by_index(1).await?;
    let zone = SelectElement::new(&el(driver, By::Id("in-zone_id")).await?).await?;
    zone.select_by_index(1).await?;
    driver
        .find(By::Id("in-name"))
        .await?
        .send_keys("E2E-PLC-42")
        .await?;
    SelectElement::new(&el(driver, By::Id("in-asset_type")).await?)
        .await?
        .select_by_value("plc")
        .await?;
    driver
        .find(By::Id("in-vendor"))
        .await?
        .send_keys("Siemens")
        .await?;
    driver
        .find(By::Id("in-ip_addresses"))
        .await?
        .send_keys("10.9.8.7")
        .await?;
    SelectElement::new(&el(driver, By::Id("in-criticality")).await?)
        .await?
        .select_by_value("high")
        .await?;
    SelectElement::new(&el(driver, By::Id("in-lifecycle")).await?)
        .await?
        .select_by_value("operational")
        .await?;

    // Saving without an owner shows the error next to the field.
    driver
        .find(By::Css("form.record-form button[type=submit]"))
        .await?
        .click()
        .await?;
    let error = el(driver, By::Id("err-owner")).await?.text().await?;
    assert_eq!(error, "Owner is required");
    driver
        .find(By::Id("in-owner"))
        .await?
        .send_keys("E2E Tester")
        .await?;
    driver
        .find(By::Css("form.record-form button[type=submit]"))
        .await?
        .click()
        .await?;
    let notice = el(driver, By::Css(".alert-ok")).await?.text().await?;
    assert_eq!(notice, "Asset saved.");

    // The new asset is found in the list.
    click(driver, By::LinkText("Assets")).await?;
    let search = el(driver, By::Id("f-q")).await?;
    search.send_keys("E2E-PLC").await?;
    search.send_keys(Key::Enter).await?;
    let links = driver
        .find_all(By::Css("table.table-list a.rowlink"))
        .await?;
    let mut names = Vec::new();
    for l in &links {
        names.push(l.text().await?);
    }
    assert_eq!(names, ["E2E-PLC-42"]);

    // A countermeasure for two zones: the zones are a list of checkboxes.
    driver.goto(format!("{base}/countermeasures/new")).await?;
    SelectElement::new(&el(driver, By::Id("in-site_id")).await?)
        .await?
        .select_by_index(1)
        .await?;
    let boxes = driver
        .find_all(By::Css("#in-zones input[type=checkbox]"))
        .await?;
    assert!(boxes.len() >= 2, "the demo's zones are offered");
    let mut ticked = Vec::new();
    for b in &boxes[..2] {
        b.click().await?;
        ticked.push(b.parent().await?.text().await?);
    }
    for (id, text) in [
        ("in-name", "E2E jump host"),
        ("in-requirements", "SR 1.2"),
        (
            "in-reasoning",
            "All remote work goes through the jump host.",
        ),
        ("in-owner", "E2E Tester"),
    ] {
        driver.find(By::Id(id)).await?.send_keys(text).await?;
    }
    SelectElement::new(&el(driver, By::Id("in-residual_risk")).await?)
        .await?
        .select_by_value("low")
        .await?;
    // Date inputs take typed text in the browser's locale format; set the value directly.
    let date = driver.find(By::Id("in-review_date")).await?;
    driver
        .execute("arguments[0].value = '2030-06-30';", vec![date.to_json()?])
        .await?;
    driver
        .find(By::Css("form.record-form button[type=submit]"))
        .await?
        .click()
        .await?;
    let notice = el(driver, By::Css(".alert-ok")).await?.text().await?;
    assert_eq!(notice, "Compensating countermeasure saved.");
    let page = driver.source().await?;
    for label in &ticked {
        let zone = label.rsplit('·').next().unwrap_or(label).trim();
        assert!(page.contains(zone), "zone {zone} is named on the record");
    }

    // What is due, through the navigation: the demo's overdue treatment action.
    click(driver, By::LinkText("What is due")).await?;
    let overdue = el(driver, By::Id("due-overdue")).await?.text().await?;
    assert!(
        overdue.contains("MFA and session recording on the remote access gateway"),
        "{overdue}"
    );
    // The risk register draws its heat map.
    click(driver, By::LinkText("Risk register")).await?;
    let map = el(driver, By::Css("img.diagram")).await?;
    let width = driver
        .execute("return arguments[0].naturalWidth;", vec![map.to_json()?])
        .await?;
    assert!(
        width.json().as_i64().unwrap_or(0) > 100,
        "the heat map image loads: {:?}",
        width.json()
    );
    assert!(
        driver
            .source()
            .await?
            .contains("Ransomware through vendor remote access")
    );

    // The operations KPIs, through the navigation.
    click(driver, By::LinkText("Operations KPIs")).await?;
    let kpis = el(driver, By::Css("main")).await?.text().await?;
    for text in [
        "Critical patches deployed within 30 days",
        "Time to revoke access",
        "Sessions flagged",
    ] {
        assert!(kpis.contains(text), "{text} in {kpis}");
    }
    // A remote access request through the self-service form: assets from a multi-select,
    // the window in datetime-local inputs.
    click(driver, By::LinkText("My remote access requests")).await?;
    SelectElement::new(&el(driver, By::Id("in-assets")).await?)
        .await?
        .select_by_index(0)
        .await?;
    driver
        .find(By::Id("in-name"))
        .await?
        .send_keys("E2E drive diagnostics")
        .await?;
    driver
        .find(By::Id("in-purpose"))
        .await?
        .send_keys("Read the fault log")
        .await?;
    for (id, value) in [
        ("in-window_start", "2030-06-30T08:00"),
        ("in-window_end", "2030-06-30T10:00"),
    ] {
        let input = driver.find(By::Id(id)).await?;
        driver
            .execute(
                &format!("arguments[0].value = '{value}';"),
                vec![input.to_json()?],
            )
            .await?;
    }
    driver
        .find(By::Css("#new-request button[type=submit]"))
        .await?
        .click()
        .await?;
    let notice = el(driver, By::Css(".alert-ok")).await?.text().await?;
    assert!(notice.contains("Your request was sent"), "{notice}");
    let requests = el(driver, By::Id("requests")).await?.text().await?;
    assert!(
        requests.contains("E2E drive diagnostics") && requests.contains("2030-06-30 08:00"),
        "{requests}"
    );

    // The gap moves: open a site, then a zone's FR1; set its requirements to "not
    // implemented" (SL-A FR1 drops to 0), then to "implemented" (SL-A reaches SL-T).
    driver.goto(format!("{base}/gap")).await?;
    click(driver, By::Css("table.gap-table tbody a")).await?;
    click(driver, By::Css("table.gap-table tbody a")).await?;
    click(driver, By::Css("a.fr-tab")).await?;
    let fr1 = |driver: &WebDriver| {
        let driver = driver.clone();
        async move {
            let text = el(&driver, By::Css("a.fr-tab.active .fr-sl"))
                .await?
                .text()
                .await?;
            let (a, t) = text.split_once('/').unwrap_or(("?", "?"));
            Ok::<(String, String), WebDriverError>((a.to_string(), t.to_string()))
        }
    };
    for (status, expect_met) in [("not_implemented", false), ("implemented", true)] {
        for select in driver.find_all(By::Css("select[name^='status.']")).await? {
            SelectElement::new(&select)
                .await?
                .select_by_value(status)
                .await?;
        }
        click(driver, By::Css("form .form-actions button[type=submit]")).await?;
        el(driver, By::Css(".alert-ok")).await?;
        let (a, t) = fr1(driver).await?;
        assert_ne!(t, "0", "the demo zone has a target on FR1");
        if expect_met {
            assert_eq!(a, t, "SL-A reaches SL-T once FR1 is implemented");
        } else {
            assert_eq!(a, "0", "SL-A drops when FR1 is not implemented");
        }
    }

    // The gap report: from the menu, choose the first site, open the gap analysis, then fetch
    // its PDF as the browser would download it (same session) and read it back.
    click(driver, By::LinkText("Reports")).await?;
    let sites = SelectElement::new(&el(driver, By::Id("r-site")).await?).await?;
    sites.select_by_index(1).await?;
    let site_label = el(driver, By::Css("#r-site option:checked"))
        .await?
        .text()
        .await?;
    click(driver, By::Css("#report-choice button[type=submit]")).await?;
    click(driver, By::Css("#report-gap td a")).await?;
    let report = el(driver, By::Id("report")).await?.text().await?;
    assert!(
        report.contains("Open requirements") && report.contains(&site_label),
        "{report}"
    );
    let href = el(driver, By::Id("report-pdf"))
        .await?
        .attr("href")
        .await?
        .expect("the PDF link has an address");
    let fetched = driver
        .execute(
            "return (async () => { const r = await fetch(arguments[0]); \
             const b = new Uint8Array(await r.arrayBuffer()); \
             return [r.status, r.headers.get('content-type'), Array.from(b)]; })();",
            vec![serde_json::Value::String(href)],
        )
        .await?;
    let (status, content_type, bytes): (u16, String, Vec<u8>) = fetched.convert()?;
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/pdf");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let text = pdf_extract::extract_text_from_mem(&bytes).expect("a PDF the extractor reads");
    for expected in [
        "Gap analysis",
        site_label.as_str(),
        "Open requirements",
        "Page 1 of",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the PDF:\n{text}"
        );
    }

    // Governance: the coverage view names the demo's corporate procedure; the policy's
    // effective version shows its Markdown text rendered; the incident report has its timeline.
    click(driver, By::LinkText("Requirement coverage")).await?;
    let coverage = el(driver, By::Id("coverage")).await?.text().await?;
    assert!(
        coverage.contains("OT-PRO-001 Accounts and access management"),
        "{coverage}"
    );
    el(
        driver,
        By::PartialLinkText("OT-POL-001 OT cybersecurity policy"),
    )
    .await?
    .click()
    .await?;
    let status = el(driver, By::Id("record-status")).await?.text().await?;
    assert!(status.contains("Effective: version 1.0"), "{status}");
    click(driver, By::LinkText("1.0")).await?;
    let heading = el(driver, By::Css("#document-body h1"))
        .await?
        .text()
        .await?;
    assert_eq!(heading, "Purpose");
    driver.goto(format!("{base}/incidents")).await?;
    click(driver, By::LinkText("Malware found on an HMI")).await?;
    click(driver, By::LinkText("Report")).await?;
    let timeline = el(driver, By::Id("timeline")).await?.text().await?;
    assert!(
        timeline.contains("HMI disconnected from the network"),
        "{timeline}"
    );
    Ok(())
}
