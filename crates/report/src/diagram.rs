//! The zone and conduit diagram of a site as SVG: zones as boxes in rows by Purdue level (the
//! DMZ between enterprise and operations, safety between control and process), each with its SL-T, SL-A and open requirements and
//! coloured by its gap; conduits as lines labelled with their protocols.
//!
//! The layout is deterministic and needs no layout engine: rows by level keep a plant's
//! 10–20 zones readable, and a zone's position in its row follows the order given.

use std::collections::HashMap;
use std::fmt::Write;

/// A zone as drawn.
#[derive(Debug, Clone)]
pub struct DiagramZone {
    pub id: i64,
    pub name: String,
    /// Purdue level key (`l0`…`l4`, `l3_5`, `safety`, `external`) or empty when unknown.
    pub level: String,
    pub sl_t: [u8; 7],
    pub sl_a: [u8; 7],
    pub in_force: usize,
    pub open: usize,
}

/// A conduit as drawn.
#[derive(Debug, Clone)]
pub struct DiagramConduit {
    pub a: i64,
    pub b: i64,
    pub name: String,
    pub protocols: String,
}

const BOX_W: i64 = 220;
const BOX_H: i64 = 74;
const GAP_X: i64 = 40;
const ROW_H: i64 = 150;
const MARGIN: i64 = 30;
const LABEL_W: i64 = 120;

/// Rows from the top: enterprise first, field devices last; unknown levels at the bottom.
/// Keys are the zone kind's Purdue level choices (`otkeep_core::kinds::PURDUE_LEVELS`).
const ROWS: &[(&str, &str)] = &[
    ("external", "External / vendor"),
    ("l4", "Level 4 Enterprise"),
    ("l3_5", "Level 3.5 Industrial DMZ"),
    ("l3", "Level 3 Operations"),
    ("l2", "Level 2 Supervisory"),
    ("l1", "Level 1 Control"),
    ("safety", "Safety (SIS)"),
    ("l0", "Level 0 Process"),
    ("", "Level not set"),
];

pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Fill colour by gap: green when every requirement in force is met, amber when some FR falls
/// short by one level at most, red otherwise; grey when nothing is in force.
fn colour(z: &DiagramZone) -> (&'static str, &'static str) {
    if z.in_force == 0 {
        return ("#eef0f3", "no target");
    }
    let worst = (0..7)
        .map(|i| z.sl_t[i].saturating_sub(z.sl_a[i]))
        .max()
        .unwrap_or(0);
    match (z.open, worst) {
        (0, _) => ("#dff3e4", "target met"),
        (_, 0 | 1) => ("#fff1d6", "short by one level"),
        _ => ("#fde2df", "short by two or more levels"),
    }
}

fn levels(v: [u8; 7]) -> String {
    v.iter().map(u8::to_string).collect::<Vec<_>>().join(" ")
}

/// The SVG document.
pub fn site_diagram(title: &str, zones: &[DiagramZone], conduits: &[DiagramConduit]) -> String {
    // Place zones: one row per level present, in row order; x by order within the row.
    let row_of = |level: &str| {
        ROWS.iter()
            .position(|(k, _)| *k == level)
            .unwrap_or(ROWS.len() - 1)
    };
    let mut rows: Vec<(usize, Vec<&DiagramZone>)> = Vec::new();
    for z in zones {
        let r = row_of(&z.level);
        match rows.iter_mut().find(|(k, _)| *k == r) {
            Some((_, list)) => list.push(z),
            None => rows.push((r, vec![z])),
        }
    }
    rows.sort_by_key(|(r, _)| *r);
    let widest = rows.iter().map(|(_, l)| l.len()).max().unwrap_or(1) as i64;
    let width = MARGIN * 2 + LABEL_W + widest * BOX_W + (widest - 1).max(0) * GAP_X;
    let height = MARGIN * 2 + 40 + rows.len().max(1) as i64 * ROW_H;
    let mut pos: HashMap<i64, (i64, i64)> = HashMap::new();
    for (i, (_, list)) in rows.iter().enumerate() {
        let n = list.len() as i64;
        let row_w = n * BOX_W + (n - 1) * GAP_X;
        let x0 = MARGIN + LABEL_W + (width - MARGIN * 2 - LABEL_W - row_w) / 2;
        let y = MARGIN + 40 + i as i64 * ROW_H + (ROW_H - BOX_H) / 2;
        for (j, z) in list.iter().enumerate() {
            pos.insert(z.id, (x0 + j as i64 * (BOX_W + GAP_X), y));
        }
    }

    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="Segoe UI, Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="Zones and conduits of {t}">"##,
        t = esc(title)
    );
    let _ = write!(
        svg,
        r##"<title>Zones and conduits of {t}</title><rect width="100%" height="100%" fill="#ffffff"/><text x="{MARGIN}" y="{y}" font-size="16" font-weight="600">{t}: zones and conduits</text>"##,
        t = esc(title),
        y = MARGIN + 14
    );
    // Row bands with level labels.
    for (i, (r, _)) in rows.iter().enumerate() {
        let y = MARGIN + 40 + i as i64 * ROW_H;
        let fill = if i % 2 == 0 { "#f7f8fa" } else { "#ffffff" };
        let _ = write!(
            svg,
            r##"<rect x="{MARGIN}" y="{y}" width="{w}" height="{ROW_H}" fill="{fill}"/><text x="{lx}" y="{ty}" fill="#555" font-size="11">{label}</text>"##,
            w = width - MARGIN * 2,
            lx = MARGIN + 6,
            ty = y + ROW_H / 2 + 4,
            label = esc(ROWS[*r].1)
        );
    }
    // Conduits below the boxes; parallel conduits between the same zones fan out.
    let mut seen: HashMap<(i64, i64), i64> = HashMap::new();
    let mut seen_from: HashMap<i64, usize> = HashMap::new();
    for c in conduits {
        let (Some(&(ax, ay)), Some(&(bx, by))) = (pos.get(&c.a), pos.get(&c.b)) else {
            continue;
        };
        let key = (c.a.min(c.b), c.a.max(c.b));
        let k = seen.entry(key).or_insert(0);
        let offset = *k * 14;
        *k += 1;
        let (x1, y1) = (ax + BOX_W / 2 + offset, ay + BOX_H / 2);
        let (x2, y2) = (bx + BOX_W / 2 + offset, by + BOX_H / 2);
        // Labels of conduits leaving the same zone sit at different points of their lines.
        let from = seen_from.entry(c.a).or_insert(0);
        let t = [50, 30, 70, 40, 60][*from % 5];
        *from += 1;
        let (mx, my) = (x1 + (x2 - x1) * t / 100, y1 + (y2 - y1) * t / 100);
        let label = if c.protocols.is_empty() {
            c.name.clone()
        } else {
            format!("{}: {}", c.name, c.protocols)
        };
        let short = clip(&label, 34);
        // Roughly 5.6 px per character at 10 px.
        let rw = (short.chars().count() as i64 * 56 / 10 + 12).max(40);
        let _ = write!(
            svg,
            r##"<g><title>{full}</title><line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#1f4e79" stroke-width="2"/><rect x="{rx}" y="{ry}" width="{rw}" height="16" rx="3" fill="#ffffff" stroke="#1f4e79" stroke-width="0.5"/><text x="{mx}" y="{ty}" text-anchor="middle" font-size="10" fill="#1f4e79">{short}</text></g>"##,
            full = esc(&label),
            short = esc(&short),
            rx = mx - rw / 2,
            ry = my - 9,
            ty = my + 3
        );
    }
    // Zones.
    for (_, list) in &rows {
        for z in list {
            let (x, y) = pos[&z.id];
            let (fill, meaning) = colour(z);
            let _ = write!(
                svg,
                r##"<g><title>{name}: {meaning}; {met} of {total} requirements met</title><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="#44546a"/><text x="{tx}" y="{y1}" font-weight="600">{short}</text><text x="{tx}" y="{y2}" font-size="11">SL-T {t}</text><text x="{tx}" y="{y3}" font-size="11">SL-A {a}</text><text x="{tx}" y="{y4}" font-size="10" fill="#555">{open} open of {total}</text></g>"##,
                name = esc(&z.name),
                short = esc(&clip(&z.name, 30)),
                met = z.in_force - z.open,
                total = z.in_force,
                open = z.open,
                t = levels(z.sl_t),
                a = levels(z.sl_a),
                tx = x + 10,
                y1 = y + 18,
                y2 = y + 35,
                y3 = y + 50,
                y4 = y + 65
            );
        }
    }
    // Legend.
    let ly = height - MARGIN + 8;
    let mut lx = MARGIN;
    for (fill, text) in [
        ("#dff3e4", "target met"),
        ("#fff1d6", "short by one level"),
        ("#fde2df", "short by two or more"),
        ("#eef0f3", "no target"),
    ] {
        let _ = write!(
            svg,
            r##"<rect x="{lx}" y="{y}" width="12" height="12" fill="{fill}" stroke="#44546a"/><text x="{tx}" y="{ty}" font-size="11">{text}</text>"##,
            y = ly - 10,
            tx = lx + 16,
            ty = ly
        );
        lx += 160;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(id: i64, name: &str, level: &str, open: usize) -> DiagramZone {
        DiagramZone {
            id,
            name: name.into(),
            level: level.into(),
            sl_t: [2; 7],
            sl_a: if open == 0 { [2; 7] } else { [0; 7] },
            in_force: 40,
            open,
        }
    }

    #[test]
    fn zones_sit_in_level_rows_and_text_is_escaped() {
        let zones = vec![
            zone(1, "Enterprise", "l4", 0),
            zone(2, "Control <A&B>", "l1", 12),
            zone(3, "DMZ", "l3_5", 3),
        ];
        let conduits = vec![DiagramConduit {
            a: 1,
            b: 3,
            name: "Ent-DMZ".into(),
            protocols: "HTTPS 443/tcp".into(),
        }];
        let svg = site_diagram("Site \"1\"", &zones, &conduits);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Control &lt;A&amp;B&gt;") && !svg.contains("<A&B>"));
        assert!(svg.contains("Site &quot;1&quot;"));
        assert!(svg.contains("Ent-DMZ: HTTPS 443/tcp"));
        // Row order: Business above the DMZ above Control.
        let y = |label: &str| svg.find(label).unwrap_or(usize::MAX);
        assert!(y("Level 4 Enterprise") < y("Level 3.5 Industrial DMZ"));
        assert!(y("Level 3.5 Industrial DMZ") < y("Level 1 Control"));
        assert!(svg.contains("#dff3e4") && svg.contains("#fde2df"));
    }

    #[test]
    fn twenty_zones_stay_within_a_readable_width() {
        let zones: Vec<DiagramZone> = (0..20)
            .map(|i| {
                zone(
                    i,
                    &format!("Zone {i}"),
                    ["l1", "l2", "l3", "dmz"][i as usize % 4],
                    0,
                )
            })
            .collect();
        let svg = site_diagram("Big", &zones, &[]);
        let width: i64 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        assert!(width <= 1600, "five zones per row at most here: {width}");
    }
}
