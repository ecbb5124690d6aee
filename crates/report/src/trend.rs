//! Small SVG line charts of a KPI over time (one value per day, gaps where nothing was
//! measured), with the target as a dashed line: shown on the KPI trend page and usable in
//! reports. Text is escaped; the chart scales to the values and the target.

use std::fmt::Write;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG chart of `points` (day `YYYY-MM-DD`, value) in day order, with `target` as a dashed
/// line, `unit` after the axis labels and `title` as the accessible name.
pub fn trend_svg(
    points: &[(String, Option<i64>)],
    target: Option<i64>,
    unit: &str,
    title: &str,
) -> String {
    const W: f64 = 320.0;
    const H: f64 = 110.0;
    const LEFT: f64 = 40.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 10.0;
    const BOTTOM: f64 = 22.0;
    let values: Vec<i64> = points
        .iter()
        .filter_map(|(_, v)| *v)
        .chain(target)
        .collect();
    let (mut lo, mut hi) = (
        values.iter().copied().min().unwrap_or(0).min(0),
        values.iter().copied().max().unwrap_or(1),
    );
    if hi == lo {
        hi = lo + 1;
    }
    if unit == "%" {
        lo = 0;
        hi = hi.max(100);
    }
    let n = points.len().max(2) - 1;
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * i as f64 / n as f64;
    let y = |v: i64| TOP + (H - TOP - BOTTOM) * (hi - v) as f64 / (hi - lo) as f64;
    let suffix = match unit {
        "%" => " %",
        "hours" => " h",
        "days" => " d",
        _ => "",
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{}"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b}" stroke="#999" stroke-width="1"/><line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}" stroke="#999" stroke-width="1"/>"##,
        b = H - BOTTOM,
        r = W - RIGHT
    );
    for v in [lo, hi] {
        let _ = write!(
            svg,
            r##"<text x="{}" y="{:.1}" font-size="9" text-anchor="end" fill="#555">{v}{suffix}</text>"##,
            LEFT - 4.0,
            y(v) + 3.0
        );
    }
    if let Some(t) = target {
        let _ = write!(
            svg,
            r##"<line class="target" x1="{LEFT}" y1="{yt:.1}" x2="{r}" y2="{yt:.1}" stroke="#2a7" stroke-width="1" stroke-dasharray="4 3"><title>target {t}{suffix}</title></line>"##,
            yt = y(t),
            r = W - RIGHT
        );
    }
    // One polyline per run of measured days.
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, svg: &mut String| {
        if run.len() > 1 {
            let _ = write!(
                svg,
                r##"<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="{}"/>"##,
                run.join(" ")
            );
        } else if let Some(p) = run.first() {
            let (cx, cy) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                svg,
                r##"<circle cx="{cx}" cy="{cy}" r="2.5" fill="#1f5fa8"/>"##
            );
        }
        run.clear();
    };
    for (i, (_, v)) in points.iter().enumerate() {
        match v {
            Some(v) => run.push(format!("{:.1},{:.1}", x(i), y(*v))),
            None => flush(&mut run, &mut svg),
        }
    }
    flush(&mut run, &mut svg);
    if let (Some((first, _)), Some((last, _))) = (points.first(), points.last()) {
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="{}" font-size="9" fill="#555">{}</text><text x="{}" y="{}" font-size="9" text-anchor="end" fill="#555">{}</text>"##,
            H - 6.0,
            escape(first),
            W - RIGHT,
            H - 6.0,
            escape(last)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::trend_svg;

    fn day(i: usize) -> String {
        format!("2026-11-{:02}", i + 1)
    }

    #[test]
    fn draws_runs_gaps_and_the_target() {
        let points: Vec<(String, Option<i64>)> = vec![
            (day(0), Some(40)),
            (day(1), Some(60)),
            (day(2), None),
            (day(3), Some(80)),
        ];
        let svg = trend_svg(&points, Some(90), "%", "Assets <with> baseline");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 1, "{svg}");
        assert!(svg.contains("class=\"target\""));
        assert!(svg.contains("Assets &lt;with&gt; baseline"));
        assert!(svg.contains("2026-11-01") && svg.contains("2026-11-04"));
    }

    #[test]
    fn empty_and_flat_series_do_not_divide_by_zero() {
        assert!(!trend_svg(&[], None, "count", "x").contains("NaN"));
        let flat = vec![(day(0), Some(3)), (day(1), Some(3))];
        assert!(!trend_svg(&flat, Some(3), "count", "x").contains("NaN"));
    }
}
