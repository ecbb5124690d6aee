//! The `otkeep` command as a user runs it: demo, export, import (good and bad), verify-audit.

use std::path::Path;
use std::process::{Command, Output};

fn otkeep(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_otkeep"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("OTKEEP_DATABASE_URL")
        .output()
        .expect("run otkeep")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn demo_export_import_and_verify_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let o = otkeep(&dir, &["demo", "--sites", "2", "--assets-per-site", "25"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("2 sites created"), "{}", text(&o));
    // Running it again skips the existing sites instead of failing.
    let o = otkeep(&dir, &["demo", "--sites", "2", "--assets-per-site", "25"]);
    assert!(
        text(&o).contains("0 sites created (2 already present)"),
        "{}",
        text(&o)
    );

    let csv = dir.join("fra1.csv");
    let o = otkeep(
        &dir,
        &[
            "export",
            "assets",
            "--site",
            "fra1",
            "-o",
            csv.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let exported = std::fs::read_to_string(&csv).unwrap();
    assert!(exported.starts_with('\u{feff}'));
    assert_eq!(exported.trim_end().lines().count(), 1 + 25);

    // A file with bad rows imports nothing and names each line and field.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "Name;Type;Criticality;Owner;Lifecycle state;Zone;IP addresses\n\
         NEW-PLC-01;plc;high;J. Doe;operational;;10.0.0.1\n\
         NEW-PLC-02;plc;high;;operational;;10.0.0.2\n\
         NEW-PLC-03;plc;high;J. Doe;operational;No such zone;10.0.0.3\n\
         NEW-PLC-04;plc;high;J. Doe;operational;;10.0.0.300\n",
    )
    .unwrap();
    let o = otkeep(
        &dir,
        &["import", "assets", bad.to_str().unwrap(), "--site", "FRA1"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("nothing imported; 3 problem(s)"), "{out}");
    assert!(out.contains("line 3, owner"), "{out}");
    assert!(out.contains("line 4, zone_id"), "{out}");
    assert!(out.contains("line 5, ip_addresses"), "{out}");

    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "name,asset_type,criticality,owner,lifecycle\nNEW-HMI-01,hmi,medium,J. Doe,operational\n",
    )
    .unwrap();
    let o = otkeep(
        &dir,
        &["import", "assets", good.to_str().unwrap(), "--site", "FRA1"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("imported 1 assets"), "{}", text(&o));

    let o = otkeep(&dir, &["verify-audit"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("audit trail intact"), "{}", text(&o));

    let o = otkeep(&dir, &["--database-url", "mysql://x", "migrate"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("unsupported database URL"),
        "{}",
        text(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The one-time password printed on the last line of `o`.
fn printed_password(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn users_are_managed_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-users-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = otkeep(&dir, &["demo", "--sites", "1", "--assets-per-site", "5"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = otkeep(
        &dir,
        &[
            "user",
            "add",
            "jane",
            "--name",
            "Jane Roe",
            "--role",
            "site_engineer",
            "--site",
            "fra1",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let first = printed_password(&o);
    assert_eq!(first.len(), 24, "{}", text(&o));
    let o = otkeep(&dir, &["user", "add", "jane"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("taken"), "{}", text(&o));
    let o = otkeep(&dir, &["user", "grant", "jane", "auditor"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = otkeep(&dir, &["user", "grant", "jane", "superuser"]);
    assert!(
        text(&o).contains("unknown role 'superuser'"),
        "{}",
        text(&o)
    );
    let o = otkeep(&dir, &["user", "grant", "jane", "admin", "--site", "FRA1"]);
    assert!(text(&o).contains("covers every site"), "{}", text(&o));
    let o = otkeep(&dir, &["user", "list"]);
    let listing = text(&o);
    assert!(
        listing.contains(
            "jane\tJane Roe\tmust change password\tsite_engineer (site #1), auditor (all sites)"
        ),
        "{listing}"
    );
    let o = otkeep(&dir, &["user", "reset-password", "jane"]);
    let second = printed_password(&o);
    assert!(
        o.status.success() && second.len() == 24 && second != first,
        "{}",
        text(&o)
    );
    let o = otkeep(&dir, &["user", "disable", "jane"]);
    assert!(o.status.success());
    assert!(text(&otkeep(&dir, &["user", "list"])).contains("jane\tJane Roe\tdisabled"));
    let o = otkeep(&dir, &["user", "enable", "nobody"]);
    assert!(text(&o).contains("there is no account 'nobody'"));
    // Every account change is in the audit trail, and the chain holds.
    let o = otkeep(&dir, &["verify-audit"]);
    assert!(o.status.success(), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn first_start_prints_a_one_time_administrator_password_once() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("otkeep-cli-first-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_otkeep"))
            .arg("--data-dir")
            .arg(&dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("OTKEEP_DATABASE_URL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start otkeep serve");
        let mut lines = Vec::new();
        let reader = BufReader::new(child.stdout.take().expect("stdout"));
        for line in reader.lines() {
            let line = line.expect("line");
            let running = line.contains("otkeep is running");
            lines.push(line);
            if running {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        lines.join("\n")
    };
    let first = start();
    assert!(
        first.contains("created administrator 'admin' with one-time password"),
        "{first}"
    );
    let second = start();
    assert!(
        !second.contains("one-time password"),
        "only on first start: {second}"
    );
    let o = otkeep(&dir, &["user", "list"]);
    assert!(text(&o).contains("admin\tAdministrator\tmust change password\tadmin (all sites)"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn catalog_text_is_imported_from_a_licensed_copy() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-catalog-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let o = otkeep(&dir, &["catalog", "list"]);
    let list = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(list.lines().count(), 101, "header and 100 requirements");
    assert!(list.contains("SR 3.4\tFR3\t2\tzone\t"), "{list}");
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "id,text,level\nSR 1.1,Some text,\nSR 77.1,x,\nSR 1.2,y,9\n",
    )
    .unwrap();
    let o = otkeep(&dir, &["catalog", "import", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(
        t.contains("line 3, id") && t.contains("line 4, level"),
        "{t}"
    );
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        "id;text;level\nSR 1.1;\"Licensed text; quoted\";\nSR 3.4;;1\n",
    )
    .unwrap();
    let o = otkeep(&dir, &["catalog", "import", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("2 catalog entries"), "{}", text(&o));
    let list = text(&otkeep(&dir, &["catalog", "list"]));
    assert!(
        list.contains("SR 3.4\tFR3\t1\tzone\t"),
        "level corrected: {list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("SR 1.1\t") && l.ends_with("imported"))
    );
    assert!(otkeep(&dir, &["verify-audit"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_reports_the_model_rules() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = otkeep(&dir, &["demo", "--sites", "1", "--assets-per-site", "40"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = otkeep(&dir, &["check"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    for title in [
        "Assets in no zone",
        "Zones with no conduit",
        "Assets outside their zone's subnets",
    ] {
        assert!(out.contains(title), "{out}");
    }
    // The demo draws each zone's addresses from its declared subnets.
    assert!(
        out.contains("Assets outside their zone's subnets: 0"),
        "{out}"
    );
    let findings = out.lines().last().unwrap_or_default().to_string();
    assert_eq!(
        o.status.code(),
        Some(if findings.starts_with("0 ") { 0 } else { 1 }),
        "{out}"
    );
    let o = otkeep(&dir, &["check", "--site", "NOPE"]);
    assert!(!o.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_assessment_sheet_round_trips() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-sheet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = otkeep(&dir, &["demo", "--sites", "1", "--assets-per-site", "10"]);
    assert!(o.status.success(), "{}", text(&o));
    let sheet = dir.join("sheet.csv");
    let o = otkeep(
        &dir,
        &[
            "gap",
            "export",
            "--site",
            "FRA1",
            "-o",
            sheet.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let exported = std::fs::read_to_string(&sheet).unwrap();
    let mut lines: Vec<String> = exported.lines().map(str::to_string).collect();
    assert!(lines[0].starts_with("\u{feff}Kind,Zone or conduit,Requirement,FR,Level,Title,Status"));
    assert!(
        lines.len() > 100,
        "every requirement in force of every zone"
    );
    // Fill in two rows as a user would in a spreadsheet: one implemented, one planned.
    let first = lines
        .iter()
        .position(|l| l.contains(",SR 1.1,FR1,"))
        .expect("an SR 1.1 row");
    lines[first] = lines[first].replacen(",not_assessed,open,", ",implemented,open,", 1);
    let second = lines
        .iter()
        .position(|l| l.contains(",SR 1.3,FR1,"))
        .expect("an SR 1.3 row");
    lines[second] = lines[second].replacen(",not_assessed,open,,", ",planned,open,2027-06-30,", 1);
    std::fs::write(&sheet, lines.join("\r\n")).unwrap();
    let o = otkeep(
        &dir,
        &["gap", "import", sheet.to_str().unwrap(), "--site", "FRA1"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("2 assessments created"), "{}", text(&o));
    // Importing the same sheet again changes nothing.
    let o = otkeep(
        &dir,
        &["gap", "import", sheet.to_str().unwrap(), "--site", "FRA1"],
    );
    assert!(
        text(&o).contains("0 assessments created, 0 updated"),
        "{}",
        text(&o)
    );
    // A bad row names its line and column, and nothing is written.
    lines[second] = lines[second].replacen(",planned,open,2027-06-30,", ",planned,open,,", 1);
    lines[first] = lines[first].replacen(",implemented,", ",done-ish,", 1);
    std::fs::write(&sheet, lines.join("\r\n")).unwrap();
    let o = otkeep(
        &dir,
        &["gap", "import", sheet.to_str().unwrap(), "--site", "FRA1"],
    );
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(t.contains(&format!("line {}, Status", first + 1)), "{t}");
    assert!(
        t.contains(&format!("line {}, Target date", second + 1)),
        "{t}"
    );
    let o = otkeep(&dir, &["gap", "export", "--site", "FRA1"]);
    let now = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(now.contains(",implemented,met,"), "the good import stands");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_assessment_sheet_round_trips_through_xlsx() {
    use rust_xlsxwriter::Workbook;
    let dir = std::env::temp_dir().join(format!("otkeep-cli-xlsx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = otkeep(&dir, &["demo", "--sites", "1", "--assets-per-site", "10"]);
    assert!(o.status.success(), "{}", text(&o));
    let exported = dir.join("sheet.xlsx");
    let o = otkeep(
        &dir,
        &[
            "gap",
            "export",
            "--site",
            "FRA1",
            "-o",
            exported.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let bytes = std::fs::read(&exported).unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file");
    // A user's workbook: the header, one row with a real Excel date cell.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Requirements").unwrap();
    for (c, h) in [
        "Kind",
        "Zone or conduit",
        "Requirement",
        "Status",
        "Target date",
        "Owner",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2027, 6, 30).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    ws.write_string(1, 0, "Zone").unwrap();
    ws.write_string(1, 1, "Supervisory SCADA").unwrap();
    ws.write_string(1, 2, "SR 1.1").unwrap();
    ws.write_string(1, 3, "planned").unwrap();
    ws.write_datetime_with_format(1, 4, &date, &fmt).unwrap();
    ws.write_string(1, 5, "OT lead").unwrap();
    let filled = dir.join("filled.xlsx");
    std::fs::write(&filled, wb.save_to_buffer().unwrap()).unwrap();
    let o = otkeep(
        &dir,
        &["gap", "import", filled.to_str().unwrap(), "--site", "FRA1"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 assessments created"), "{}", text(&o));
    let o = otkeep(&dir, &["gap", "export", "--site", "FRA1"]);
    let csv = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        csv.contains("Zone,Supervisory SCADA,SR 1.1,FR1,1,")
            && csv.contains(",planned,open,2027-06-30,OT lead,"),
        "{}",
        csv.lines()
            .find(|l| l.contains("Supervisory SCADA,SR 1.1,"))
            .unwrap_or("")
    );
    let not_xlsx = dir.join("broken.xlsx");
    std::fs::write(&not_xlsx, b"this is not a workbook").unwrap();
    let o = otkeep(
        &dir,
        &[
            "gap",
            "import",
            not_xlsx.to_str().unwrap(),
            "--site",
            "FRA1",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("not an XLSX workbook"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn due_and_the_risk_method_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-due-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = otkeep(&dir, &["demo", "--sites", "1", "--assets-per-site", "10"]);
    assert!(o.status.success(), "{}", text(&o));
    // The demo's treatment plan has one action overdue.
    let o = otkeep(&dir, &["due", "--site", "FRA1"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("Overdue\tcomplete the treatment action\tMFA and session recording"));
    let o = otkeep(&dir, &["due", "--site", "NOPE"]);
    assert!(
        text(&o).contains("there is no site with code 'NOPE'"),
        "{}",
        text(&o)
    );

    let actions = dir.join("actions.csv");
    std::fs::write(
        &actions,
        "Name,Owner,Due,Status\n\
         Patch the historian,OT lead,2020-01-31,planned\n\
         Already done,OT lead,2020-01-01,done\n",
    )
    .unwrap();
    let o = otkeep(
        &dir,
        &[
            "import",
            "treatments",
            actions.to_str().unwrap(),
            "--site",
            "FRA1",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = otkeep(&dir, &["due", "--site", "fra1"]);
    assert_eq!(o.status.code(), Some(1), "overdue: exit code 1");
    let out = text(&o);
    assert!(
        out.contains("2020-01-31\tOverdue\tcomplete the treatment action\tPatch the historian"),
        "{out}"
    );
    assert!(!out.contains("Already done"));
    let o = otkeep(&dir, &["due", "--json", "--within", "0"]);
    let json: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("due --json prints JSON");
    assert_eq!(json["obligations"][0]["title"], "Patch the historian");
    assert_eq!(json["obligations"][0]["bucket"], "overdue");

    // The risk method: export, edit, import as a new version; a broken one names the place.
    let file = dir.join("method.json");
    let o = otkeep(&dir, &["risk", "export", "-o", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let edited = std::fs::read_to_string(&file)
        .unwrap()
        .replace("otkeep default 5×5", "Plant method 2027");
    std::fs::write(&file, edited).unwrap();
    let o = otkeep(&dir, &["risk", "import", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("as version 2"), "{}", text(&o));
    let o = otkeep(&dir, &["risk", "show"]);
    assert!(
        text(&o).contains("Plant method 2027 (version 2)"),
        "{}",
        text(&o)
    );
    std::fs::write(&file, "{\"name\": \"x\"").unwrap();
    let o = otkeep(&dir, &["risk", "import", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("method.json: line 1"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn csaf_advisories_import_from_a_folder() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-csaf-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = otkeep(&dir, &["demo", "--sites", "2", "--assets-per-site", "200"]);
    assert!(o.status.success(), "{}", text(&o));
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csaf/2023");
    let o = otkeep(&dir, &["import", "csaf", corpus.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("380 files: 380 new advisories, 0 updated, 0 ignored, 0 failed;"),
        "{out}"
    );
    // The demo's assets carry real vendors and models: some are affected.
    let matches: usize = out
        .split("; ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(matches > 0, "{out}");
    let o = otkeep(
        &dir,
        &[
            "import",
            "csaf",
            corpus.join("icsa-23-005-01.json").to_str().unwrap(),
        ],
    );
    assert!(
        text(&o).contains("1 files: 0 new advisories, 0 updated, 1 ignored"),
        "{}",
        text(&o)
    );
    let o = otkeep(&dir, &["import", "nonsense", "x.csv"]);
    assert!(text(&o).contains("or csaf"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sboms_import_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-sbom-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sbom");
    let file = data.join("spdx/spdx-examples-example11-rust-hello-server.spdx.json");
    let o = otkeep(
        &dir,
        &[
            "import",
            "sbom",
            file.to_str().unwrap(),
            "--model",
            "Example|Hello server|1.0",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("SBOM #1 (SPDX json SPDX-2.3), 3 components"),
        "{}",
        text(&o)
    );
    let o = otkeep(&dir, &["import", "sbom", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--asset ID or --model"), "{}", text(&o));
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"spdxVersion\": 2}").unwrap();
    let o = otkeep(
        &dir,
        &["import", "sbom", bad.to_str().unwrap(), "--model", "a|b|c"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("bad.json: spdxVersion"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn certificates_import_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-cert-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = otkeep(&dir, &["demo", "--sites", "1", "--assets-per-site", "10"]);
    assert!(o.status.success(), "{}", text(&o));
    let pem =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/tests/fixtures/old-hmi-rsa1024.pem");
    let o = otkeep(
        &dir,
        &[
            "import",
            "certificate",
            pem.to_str().unwrap(),
            "--site",
            "FRA1",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("'hmi-7.example.local' valid until 2027-11-28"),
        "{out}"
    );
    assert!(out.contains("weak: RSA key of 1024 bits"), "{out}");
    let o = otkeep(&dir, &["import", "certificate", pem.to_str().unwrap()]);
    assert!(text(&o).contains("--site CODE"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn operations_history_imports_from_xlsx_and_kpis_print() {
    use rust_xlsxwriter::Workbook;
    let dir = std::env::temp_dir().join(format!("otkeep-cli-ops-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = otkeep(&dir, &["demo", "--sites", "1", "--assets-per-site", "10"]);
    assert!(o.status.success(), "{}", text(&o));
    let workbook = |severity_of_second: &str| {
        let mut wb = Workbook::new();
        // A first sheet of notes: the sheet named after the kind is the one read.
        wb.add_worksheet().set_name("Notes").unwrap();
        let ws = wb.add_worksheet();
        ws.set_name("Patches").unwrap();
        let header = [
            "Name",
            "Vendor",
            "Products",
            "Type",
            "Severity",
            "Vendor qualification",
            "Released on",
        ];
        for (c, h) in header.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        for (r, (name, severity, month)) in [
            ("Imported FW 9.1", "critical", 3),
            ("Imported FW 9.2", severity_of_second, 9),
        ]
        .into_iter()
        .enumerate()
        {
            let r = r as u32 + 1;
            for (c, v) in [name, "Acme", "CPU 9000", "firmware", severity, "qualified"]
                .iter()
                .enumerate()
            {
                ws.write_string(r, c as u16, *v).unwrap();
            }
            let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2025, month, 15).unwrap();
            ws.write_datetime_with_format(r, 6, &date, &fmt).unwrap();
        }
        wb.save_to_buffer().unwrap()
    };
    // A bad cell rejects the whole workbook, naming the sheet row and the field.
    let bad = dir.join("bad-patches.xlsx");
    std::fs::write(&bad, workbook("urgent")).unwrap();
    let o = otkeep(
        &dir,
        &["import", "patches", bad.to_str().unwrap(), "--site", "FRA1"],
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("line 3") && text(&o).contains("severity"),
        "{}",
        text(&o)
    );
    let good = dir.join("patches.xlsx");
    std::fs::write(&good, workbook("high")).unwrap();
    let o = otkeep(
        &dir,
        &[
            "import",
            "patches",
            good.to_str().unwrap(),
            "--site",
            "FRA1",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("imported 2"), "{}", text(&o));
    let o = otkeep(&dir, &["export", "patches", "--site", "FRA1"]);
    let csv = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        csv.contains("Imported FW 9.2") && csv.contains("2025-09-15"),
        "{csv}"
    );

    let o = otkeep(&dir, &["kpi", "--site", "FRA1"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("Critical patches deployed within 30 days"),
        "{}",
        text(&o)
    );
    let o = otkeep(&dir, &["kpi", "--site", "FRA1", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["patches"]["percent_in_window"].is_u64(), "{v}");
    assert!(v["access"]["not_reviewed"].is_u64(), "{v}");
    let o = otkeep(&dir, &["kpi", "--site", "NOPE"]);
    assert!(!o.status.success());
    let o = otkeep(&dir, &["kpi", "--snapshot"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "{} values",
            2 * (otkeep_core::kpi::KPIS.len() + 2)
        )),
        "{}",
        text(&o)
    );

    // The demo's document set maps requirements; the coverage command shows it and the gaps.
    let o = otkeep(&dir, &["coverage", "--site", "FRA1"]);
    assert!(o.status.success(), "{}", text(&o));
    let table = String::from_utf8_lossy(&o.stdout).to_string();
    let sr13 = table
        .lines()
        .find(|l| l.starts_with("SR 1.3\t"))
        .expect("SR 1.3 row");
    assert!(
        sr13.contains("OT-PRO-001") && sr13.ends_with("yes"),
        "{sr13}"
    );
    let o = otkeep(&dir, &["coverage", "--site", "FRA1", "--gaps", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["evidenced"] == false), "{v}");

    // OSCAL: a zone's assessment results and the treatment plan, to a file and to stdout.
    let file = dir.join("ar.json");
    let o = otkeep(
        &dir,
        &[
            "oscal",
            "assessment",
            "--site",
            "FRA1",
            "--zone",
            "Enterprise network",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        v["assessment-results"]["metadata"]["oscal-version"],
        "1.0.6"
    );
    let o = otkeep(&dir, &["oscal", "poam", "--site", "FRA1"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        !v["plan-of-action-and-milestones"]["poam-items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let o = otkeep(
        &dir,
        &["oscal", "assessment", "--site", "FRA1", "--zone", "Nope"],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("no zone named 'Nope'"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn backup_and_restore_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (data, restored) = (dir.join("data"), dir.join("restored"));
    let o = otkeep(&data, &["demo", "--sites", "1", "--assets-per-site", "20"]);
    assert!(o.status.success(), "{}", text(&o));
    let before = text(&otkeep(&data, &["verify-audit"]));
    let head = before.split("head hash ").nth(1).expect("head hash").trim();

    let file = dir.join("otkeep-backup.db");
    let file_arg = file.display().to_string();
    let o = otkeep(&data, &["backup", &file_arg]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("audit trail intact"), "{}", text(&o));
    assert!(text(&o).contains(head), "{}", text(&o));
    // Never over an existing file.
    let o = otkeep(&data, &["backup", &file_arg]);
    assert!(!o.status.success());
    assert!(text(&o).contains("already exists"), "{}", text(&o));

    let o = otkeep(&restored, &["restore", &file_arg]);
    assert!(o.status.success(), "{}", text(&o));
    let after = text(&otkeep(&restored, &["verify-audit"]));
    assert!(after.contains(head), "{after}");
    let export = |d: &Path| text(&otkeep(d, &["export", "assets"]));
    assert_eq!(export(&data), export(&restored));
    // A database with records is never restored over.
    let o = otkeep(&restored, &["restore", &file_arg]);
    assert!(!o.status.success());
    assert!(text(&o).contains("not empty"), "{}", text(&o));
    // Not a backup: a clear error naming the file.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, "this is not a database").unwrap();
    let o = otkeep(
        &dir.join("fresh"),
        &["restore", &junk.display().to_string()],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("junk.db"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn api_token_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-token-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = otkeep(&dir, &["user", "add", "robot", "--role", "operator"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = otkeep(
        &dir,
        &[
            "user",
            "token",
            "robot",
            "--name",
            "nightly export",
            "--read-only",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(token.len() > 40 && !token.contains(' '), "{token}");
    assert!(text(&o).contains("nightly export"), "{}", text(&o));
    let o = otkeep(&dir, &["user", "token", "robot", "--days", "400"]);
    assert!(!o.status.success());
    let o = otkeep(&dir, &["user", "token", "nobody"]);
    assert!(!o.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_refuses_timeouts_of_zero() {
    let dir = std::env::temp_dir().join(format!("otkeep-cli-serve-{}", std::process::id()));
    let o = otkeep(
        &dir,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--header-timeout-secs",
            "0",
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("timeouts must be at least 1"),
        "{}",
        text(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
