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
