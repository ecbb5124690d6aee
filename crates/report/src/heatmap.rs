//! The risk heat map: two likelihood × impact grids side by side, inherent and residual, each
//! cell coloured by its risk level and showing how many risks fall in it. Likelihood grows
//! upwards, impact to the right, as risk matrices are usually drawn.

use crate::diagram::{clip, esc};
use std::fmt::Write;

/// What the heat map draws; `cells[l][i]` is for likelihood step `l + 1`, impact step `i + 1`.
#[derive(Debug, Clone)]
pub struct HeatMap {
    pub title: String,
    pub likelihood: Vec<String>,
    pub impact: Vec<String>,
    /// Fill colour of each cell (the colour of its risk level).
    pub colours: Vec<Vec<String>>,
    /// Number of risks per cell, before countermeasures.
    pub inherent: Vec<Vec<usize>>,
    /// Number of risks per cell, after countermeasures and treatment.
    pub residual: Vec<Vec<usize>>,
}

const CELL: usize = 46;
const LEFT: usize = 120;
const TOP: usize = 56;
const GAP: usize = 70;

/// The heat map as a standalone SVG document.
pub fn risk_heatmap(map: &HeatMap) -> String {
    let rows = map.likelihood.len();
    let cols = map.impact.len();
    let grid_w = cols * CELL;
    let width = LEFT + 2 * grid_w + GAP + 20;
    let height = TOP + rows * CELL + 110;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="{}">"#,
        esc(&map.title)
    );
    let _ = write!(
        svg,
        r##"<title>{}</title><text x="10" y="20" font-size="15" font-weight="600">{}</text>"##,
        esc(&map.title),
        esc(&map.title)
    );
    for (g, (label, counts)) in [("Inherent", &map.inherent), ("Residual", &map.residual)]
        .into_iter()
        .enumerate()
    {
        let x0 = LEFT + g * (grid_w + GAP);
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="middle" font-weight="600">{label} risk</text>"##,
            x0 + grid_w / 2,
            TOP - 10
        );
        for l in 0..rows {
            // Highest likelihood on top.
            let y = TOP + (rows - 1 - l) * CELL;
            for i in 0..cols {
                let x = x0 + i * CELL;
                let fill = map
                    .colours
                    .get(l)
                    .and_then(|r| r.get(i))
                    .map_or("#e0e0e0", String::as_str);
                let n = counts.get(l).and_then(|r| r.get(i)).copied().unwrap_or(0);
                let _ = write!(
                    svg,
                    r##"<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{}" fill-opacity="{}" stroke="#ffffff" stroke-width="2"><title>likelihood {}, impact {}: {n} risk{}</title></rect>"##,
                    esc(fill),
                    if n > 0 { "0.95" } else { "0.35" },
                    l + 1,
                    i + 1,
                    if n == 1 { "" } else { "s" }
                );
                if n > 0 {
                    let _ = write!(
                        svg,
                        r##"<text x="{}" y="{}" text-anchor="middle" font-size="15" font-weight="700" fill="#ffffff">{n}</text>"##,
                        x + CELL / 2,
                        y + CELL / 2 + 5
                    );
                }
            }
        }
        for (i, name) in map.impact.iter().enumerate() {
            let x = x0 + i * CELL + CELL / 2;
            let y = TOP + rows * CELL + 14;
            let _ = write!(
                svg,
                r##"<text x="{x}" y="{y}" text-anchor="end" transform="rotate(-40 {x} {y})" font-size="11">{}</text>"##,
                esc(&clip(name, 16))
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">Impact →</text>"##,
            x0 + grid_w / 2,
            TOP + rows * CELL + 95
        );
    }
    for (l, name) in map.likelihood.iter().enumerate() {
        let y = TOP + (rows - 1 - l) * CELL + CELL / 2 + 4;
        let _ = write!(
            svg,
            r##"<text x="{}" y="{y}" text-anchor="end" font-size="11">{}</text>"##,
            LEFT - 6,
            esc(&clip(name, 18))
        );
    }
    let _ = write!(
        svg,
        r##"<text x="14" y="{}" fill="#555" transform="rotate(-90 14 {})" text-anchor="middle">Likelihood →</text></svg>"##,
        TOP + rows * CELL / 2,
        TOP + rows * CELL / 2
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_cells_and_text_is_escaped() {
        let map = HeatMap {
            title: "Risk <FRA1>".into(),
            likelihood: vec!["Rare".into(), "Likely".into()],
            impact: vec!["Minor".into(), "Severe & lasting".into()],
            colours: vec![
                vec!["#2e7d32".into(), "#f9a825".into()],
                vec!["#f9a825".into(), "#c62828".into()],
            ],
            inherent: vec![vec![0, 0], vec![0, 3]],
            residual: vec![vec![2, 1], vec![0, 0]],
        };
        let svg = risk_heatmap(&map);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Risk &lt;FRA1&gt;"));
        assert!(svg.contains("Severe &amp; lasting"));
        assert!(svg.contains("likelihood 2, impact 2: 3 risks"));
        assert!(svg.contains("likelihood 1, impact 1: 2 risks"));
        assert!(svg.contains("likelihood 1, impact 2: 1 risk<"));
        // Likelihood 2 (higher) is drawn above likelihood 1.
        let rect_y = |title: &str| {
            let at = svg.find(title).unwrap();
            let start = svg[..at].rfind("<rect").unwrap();
            let y = &svg[start..at];
            let y = &y[y.find(" y=\"").unwrap() + 4..];
            y[..y.find('"').unwrap()].parse::<usize>().unwrap()
        };
        assert!(rect_y("likelihood 2, impact 1") < rect_y("likelihood 1, impact 1"));
    }
}
