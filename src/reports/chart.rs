//! Accessible SVG charts of climate reports and trends, drawn with `plotters`' SVG backend.
//!
//! Two pictures, each returned as a complete SVG document:
//!
//! - [`bar_chart`]: one horizontal bar per school or grade (long school names read better
//!   down the left side; the height grows with the number of bars), each estimate with its
//!   95% interval as a whisker. Beside every bar its numbers are written out ("72.4%
//!   (65.1–79.0)", "n = 120"), so no value is read off the picture by color or length alone.
//! - [`line_chart`]: one line per indicator across survey windows, with markers, the 95%
//!   interval as a shaded band, and gaps where a value is withheld.
//!
//! Withheld values are never drawn as zero:
//!
//! - a *coarsened* share ("<=8.4", ">=95.0") is drawn as the range it is known to lie in: a
//!   hatched, outlined box from the axis end up to (or from) its bound, with a heavy tick at
//!   the bound and the coarse label written beside it; on a trend, a hollow marker at the
//!   bound with a short arrow towards the admitted values and the label beside it, and the
//!   line broken there;
//! - a *suppressed* value leaves its slot empty, with the text "suppressed (small cell)" (the
//!   reason as given) in the slot and "not shown" beside it; on a trend, the line and band are
//!   broken there, and a "not shown" strip under the window labels (outside the plot, so it
//!   cannot read as a value) has a row per such series with a hollow marker of the series'
//!   shape and "suppressed" at that window.
//!
//! A band needs two neighbouring intervals; a lone interval is drawn as a whisker.
//!
//! Accessibility: the root `<svg>` has `role="img"` and `aria-labelledby` naming a `<title>`
//! (the chart title) and a `<desc>` (every bar or point in words: its value and interval, or
//! why it is not shown, then the footnote), inserted as its first children. Series differ in
//! marker shape as well as color; every color that carries information has at least 4.5:1
//! contrast on white (the bar fill 4.6:1 against white and against its black whisker); grid
//! lines and bands are light decoration under them.
//!
//! Escaping: all text from users (school names, titles) is first cleaned of characters XML
//! cannot carry (controls, bidirectional overrides, U+FFFE/U+FFFF); plotters-svg 0.3.7 then
//! escapes `& < > " '` in every text node and attribute it writes, and `escape` does the
//! same for the `<title>` and `<desc>` added here. Output is deterministic: the same input
//! gives the same bytes (no clock, no randomness, no hash-map order; the element ids are a
//! hash of the content, so two charts inlined in one page do not share ids).
//!
//! Fonts: none is read at build or run time. Without plotters' `ttf`/`ab_glyph` features the
//! text layout uses plotters' built-in estimate (0.7 em per byte of text), and this module
//! wraps and truncates text with its own estimate (`CHAR_EM` em per character); the viewer
//! draws the `<text>` elements with its own sans-serif font.

use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What a chart shows for one value.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// An estimate with its 95% interval where one is known (both bounds, else none is drawn).
    Value {
        value: f64,
        low: Option<f64>,
        high: Option<f64>,
    },
    /// A withheld share shown only as its coarse category, e.g. "<=8.4" or ">=95.0" (also
    /// accepted: "<", ">", "≤", "≥", a trailing "%"). Anything else is written as given.
    Coarse(String),
    /// A value not shown at all, with its reason, e.g. "small_cell" or "complementary"
    /// (underscores are written as spaces).
    Suppressed(String),
}

/// One bar: a school or a grade.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// "Lincoln Elementary" or "Grade 6"; wrapped to two lines, the full text is in `<desc>`.
    pub label: String,
    pub shown: Shown,
    /// Respondents, where it may be shown.
    pub n: Option<u64>,
    /// A caveat written under the label, e.g. "low response (41%)".
    pub flag: Option<String>,
}

/// A bar chart of one indicator across schools or grades.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    pub title: String,
    /// The window's title and dates.
    pub subtitle: String,
    /// The value axis (drawn horizontally), e.g. "Percent favorable".
    pub y_label: String,
    /// The end of the value axis (starts at 0), e.g. 100; 100 when not finite and positive.
    pub y_max: f64,
    /// Written after every number, e.g. "%" for shares, "" for a 1–5 index.
    pub unit: String,
    /// Drawn top to bottom in this order.
    pub bars: Vec<Bar>,
    /// n and the suppression rule, e.g. "Cells with fewer than 10 respondents are not shown.
    /// Bars: 95% intervals."
    pub footnote: String,
}

/// One window of a trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The window's title (the x-axis label).
    pub label: String,
    pub shown: Shown,
}

/// One indicator across windows.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// One point per window, oldest first. Series are aligned by position: point `i` of every
    /// series is window `i` (window titles may repeat across years, so they are not matched
    /// by text); a window an indicator lacks is a `Suppressed` point (e.g. "not asked").
    pub points: Vec<TrendPoint>,
}

/// A trend chart: indicators across survey windows.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub subtitle: String,
    pub y_label: String,
    /// The value axis; 0–100 when not finite or not increasing.
    pub y_min: f64,
    pub y_max: f64,
    /// Written after every number, e.g. "%" for shares, "" for a 1–5 index.
    pub unit: String,
    pub series: Vec<Series>,
    pub footnote: String,
}

// ---------------------------------------------------------------------------------------------
// Look

/// Width of every chart, in pixels.
const WIDTH: u32 = 800;
/// Outer margin.
const MARGIN: i32 = 16;
/// Characters are estimated at this many em wide (a little wider than an average sans-serif
/// glyph, so wrapped text fits).
const CHAR_EM: f64 = 0.6;
/// plotters-svg writes `font-size` as the requested size / 1.24 (and plotters' own layout
/// estimate divides once more): sizes are asked for ×1.24 so the SVG says what we mean.
const PLOTTERS_FONT_SCALE: f64 = 1.24;

/// Text: 17.4:1 on white.
const INK: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
/// Secondary text (subtitle, footnote, "suppressed"): 7.0:1 on white.
const MUTED: RGBColor = RGBColor(0x59, 0x59, 0x59);
/// Grid lines (decoration, not information).
const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// Estimate bars: 4.6:1 against white and against the black whisker drawn over them.
const BAR_FILL: RGBColor = RGBColor(0x4A, 0x77, 0xB4);
/// The 95% interval whisker.
const WHISKER: RGBColor = RGBColor(0x00, 0x00, 0x00);
/// Outline and bound tick of a coarsened range: 12.6:1.
const COARSE_EDGE: RGBColor = RGBColor(0x33, 0x33, 0x33);
/// Hatching of a coarsened range: 7.0:1.
const COARSE_HATCH: RGBColor = RGBColor(0x59, 0x59, 0x59);
/// Series colors (Okabe–Ito hues darkened to at least 5:1 on white); shapes differ too.
const SERIES: [RGBColor; 6] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xB8, 0x4A, 0x00),
    RGBColor(0x00, 0x79, 0x5C),
    RGBColor(0x7B, 0x3F, 0x8C),
    RGBColor(0x8A, 0x61, 0x00),
    RGBColor(0x5F, 0x5F, 0x5F),
];
/// Opacity of a series' interval band.
const BAND_OPACITY: f64 = 0.15;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    Cross,
}

const MARKERS: [Marker; 5] = [
    Marker::Circle,
    Marker::Square,
    Marker::Triangle,
    Marker::Diamond,
    Marker::Cross,
];

fn series_look(i: usize) -> (RGBColor, Marker) {
    // 6 colors × 5 shapes: the pair repeats only after 30 series.
    (SERIES[i % SERIES.len()], MARKERS[i % MARKERS.len()])
}

type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;
type Root<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn text_style(px: f64, style: FontStyle, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    FontDesc::new(FontFamily::SansSerif, px * PLOTTERS_FONT_SCALE, style)
        .color(&color)
        .pos(Pos::new(h, v))
}

fn bold(style: FontStyle) -> f64 {
    if matches!(style, FontStyle::Bold) {
        1.1
    } else {
        1.0
    }
}

/// Estimated width of `text` at `px`, in pixels.
fn text_width(text: &str, px: f64, style: FontStyle) -> f64 {
    text.chars().count() as f64 * px * CHAR_EM * bold(style)
}

/// How many characters fit in `width` pixels at `px`.
fn chars_in(width: f64, px: f64, style: FontStyle) -> usize {
    ((width / (px * CHAR_EM * bold(style))).floor() as usize).max(4)
}

// ---------------------------------------------------------------------------------------------
// Text

/// `s` with every character XML 1.0 cannot carry, every other control character and every
/// bidirectional override replaced by a space, runs of white space collapsed, and trimmed.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let bad = c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            || matches!(c, '\u{FFFE}' | '\u{FFFF}');
        if bad || c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// `s` escaped for XML text and attribute values (`s` is [`clean`]ed already).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` cut to `max` characters, ending in "…" when cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// `s` wrapped at word boundaries into lines of at most `width` characters (longer words are
/// broken), at most `max_lines` of them, the last ending in "…" when text is left over.
fn wrap(s: &str, width: usize, max_lines: usize) -> Vec<String> {
    let width = width.max(4);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let sep = usize::from(used > 0);
            if used + sep + word.len() <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than a line: break it.
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            let cut = truncate(last, width.saturating_sub(1));
            *last = if cut.ends_with('…') {
                cut
            } else {
                format!("{cut}…")
            };
        }
    }
    lines
}

/// A number as written in labels and in `<desc>`: rounded to 2 decimals, trailing zeros
/// dropped but one decimal kept ("72.4", "3.45", "80.0").
fn num(v: f64) -> String {
    let mut s = format!("{:.2}", v);
    if s.ends_with('0') {
        s.pop();
    }
    if s == "-0.0" {
        s = "0.0".to_owned();
    }
    s
}

/// The axis' tick label: no decimals on a wide axis, one on a narrow one (a 1–5 index).
fn tick(v: f64, span: f64) -> String {
    if span <= 10.0 {
        format!("{:.1}", v)
    } else {
        format!("{:.0}", v)
    }
}

fn reason_words(reason: &str) -> String {
    let r = clean(&reason.replace('_', " "));
    if r.is_empty() {
        "withheld".to_owned()
    } else {
        r
    }
}

/// A coarse category's bound.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    AtMost(f64),
    AtLeast(f64),
}

fn parse_coarse(s: &str) -> Option<Bound> {
    let t = s.trim();
    let (at_most, rest) = if let Some(r) = t.strip_prefix("<=").or_else(|| t.strip_prefix('≤')) {
        (true, r)
    } else if let Some(r) = t.strip_prefix(">=").or_else(|| t.strip_prefix('≥')) {
        (false, r)
    } else if let Some(r) = t.strip_prefix('<') {
        (true, r)
    } else if let Some(r) = t.strip_prefix('>') {
        (false, r)
    } else {
        return None;
    };
    let v: f64 = rest.trim().trim_end_matches('%').trim().parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    Some(if at_most {
        Bound::AtMost(v)
    } else {
        Bound::AtLeast(v)
    })
}

/// An estimate and its interval, when finite (the interval only when both bounds are).
fn value_of(shown: &Shown) -> Option<(f64, Option<(f64, f64)>)> {
    match shown {
        Shown::Value { value, low, high } if value.is_finite() => {
            let ci = match (low, high) {
                (Some(l), Some(h)) if l.is_finite() && h.is_finite() => {
                    Some((l.min(*h), l.max(*h)))
                }
                _ => None,
            };
            Some((*value, ci))
        }
        _ => None,
    }
}

/// The value in words for `<desc>`.
fn words(shown: &Shown, unit: &str) -> String {
    match shown {
        Shown::Value { .. } => match value_of(shown) {
            Some((v, Some((l, h)))) => format!(
                "{}{unit} (95% interval {}{unit} to {}{unit})",
                num(v),
                num(l),
                num(h)
            ),
            Some((v, None)) => format!("{}{unit} (no interval)", num(v)),
            None => "not available".to_owned(),
        },
        Shown::Coarse(s) => match parse_coarse(s) {
            Some(Bound::AtMost(b)) => format!(
                "at most {}{unit} (coarsened: shown only as \"{}\", the exact value is withheld)",
                num(b),
                clean(s)
            ),
            Some(Bound::AtLeast(b)) => format!(
                "at least {}{unit} (coarsened: shown only as \"{}\", the exact value is withheld)",
                num(b),
                clean(s)
            ),
            None => format!("withheld, shown only as \"{}\" (coarsened)", clean(s)),
        },
        Shown::Suppressed(r) => format!("not shown (suppressed: {})", reason_words(r)),
    }
}

/// The bound of a coarsened value, when it has one.
fn coarse_bound(shown: &Shown) -> Option<Bound> {
    match shown {
        Shown::Coarse(s) => parse_coarse(s),
        _ => None,
    }
}

/// A trend point neither drawn as a value nor at a coarse bound: suppressed, not available,
/// or coarsened without a bound.
fn in_strip(shown: &Shown) -> bool {
    value_of(shown).is_none() && coarse_bound(shown).is_none()
}

/// The short label drawn for a withheld value.
fn suppressed_label(reason: &str) -> String {
    format!("suppressed ({})", reason_words(reason))
}

// ---------------------------------------------------------------------------------------------
// Document

/// 64-bit FNV-1a: a stable hash for element ids.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Draws with `draw` on an SVG canvas of `size`, then makes the document accessible.
fn render(
    size: (u32, u32),
    title: &str,
    desc: &str,
    draw: impl FnOnce(&Root) -> DrawResult,
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        // The in-memory SVG backend has no I/O and the text layout without a font file cannot
        // fail: an error here is a bug, logged, and the picture drawn so far is still closed
        // into a well-formed document.
        if let Err(e) = draw(&root).and_then(|()| root.present()) {
            tracing::error!(error = ?e, "drawing a chart failed");
        }
    }
    accessible(&svg, title, desc)
}

/// `svg` with `role="img"`, `aria-labelledby` and `<title>`/`<desc>` as the root's first
/// children.
fn accessible(svg: &str, title: &str, desc: &str) -> String {
    let id = format!(
        "chart-{:016x}",
        fnv1a(svg.as_bytes()) ^ fnv1a(desc.as_bytes())
    );
    // plotters-svg starts the document with the root's opening tag, whose attribute values it
    // escapes: the first '>' closes it.
    let (open, rest) = match svg.find('>') {
        Some(end) if svg.starts_with("<svg ") => (&svg[..end], &svg[end + 1..]),
        _ => ("<svg xmlns=\"http://www.w3.org/2000/svg\"", "\n</svg>\n"),
    };
    let mut out = String::with_capacity(svg.len() + desc.len() + title.len() + 256);
    out.push_str(open);
    let _ = write!(
        out,
        " role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\n<title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>",
        escape(&clean(title)),
        escape(&clean(desc)),
    );
    out.push_str(rest);
    out
}

/// Header lines (title, subtitle) drawn from the top; returns the y below them.
fn draw_header(
    root: &Root,
    title: &[String],
    subtitle: &[String],
) -> Result<i32, DrawingAreaErrorKind<std::io::Error>> {
    let mut y = MARGIN;
    for line in title {
        root.draw(&Text::new(
            line.clone(),
            (MARGIN, y),
            text_style(20.0, FontStyle::Bold, INK, HPos::Left, VPos::Top),
        ))?;
        y += 26;
    }
    y += 2;
    for line in subtitle {
        root.draw(&Text::new(
            line.clone(),
            (MARGIN, y),
            text_style(14.0, FontStyle::Normal, MUTED, HPos::Left, VPos::Top),
        ))?;
        y += 19;
    }
    Ok(y)
}

fn header_lines(title: &str, subtitle: &str) -> (Vec<String>, Vec<String>, i32) {
    let inner = f64::from(WIDTH) - 2.0 * f64::from(MARGIN);
    let t = wrap(&clean(title), chars_in(inner, 20.0, FontStyle::Bold), 2);
    let s = wrap(
        &clean(subtitle),
        chars_in(inner, 14.0, FontStyle::Normal),
        2,
    );
    let h = MARGIN + 26 * t.len() as i32 + 2 + 19 * s.len() as i32;
    (t, s, h)
}

fn footnote_lines(footnote: &str) -> Vec<String> {
    let inner = f64::from(WIDTH) - 2.0 * f64::from(MARGIN);
    wrap(
        &clean(footnote),
        chars_in(inner, 12.0, FontStyle::Normal),
        8,
    )
}

fn draw_footnote(root: &Root, lines: &[String], top: i32) -> DrawResult {
    for (i, line) in lines.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            (MARGIN, top + 16 * i as i32),
            text_style(12.0, FontStyle::Normal, MUTED, HPos::Left, VPos::Top),
        ))?;
    }
    Ok(())
}

/// Diagonal hatching inside the pixel box `(x0, y0)–(x1, y1)`.
fn hatch(root: &Root, (x0, y0): (i32, i32), (x1, y1): (i32, i32), color: RGBColor) -> DrawResult {
    let mut k = x0 + y0 + 4;
    while k < x1 + y1 {
        // The line x + y = k, clipped to the box.
        let xa = x0.max(k - y1);
        let xb = x1.min(k - y0);
        if xa < xb {
            root.draw(&PathElement::new(
                vec![(xa, k - xa), (xb, k - xb)],
                color.stroke_width(1),
            ))?;
        }
        k += 7;
    }
    Ok(())
}

/// A marker of `shape` at pixel `at`; hollow markers are a white shape inside a colored one
/// (polygons and circles, never polylines: polylines are the series' lines).
fn marker(root: &Root, at: (i32, i32), shape: Marker, color: RGBColor, hollow: bool) -> DrawResult {
    let (x, y) = at;
    let layers: &[(i32, RGBColor)] = if hollow {
        &[(6, color), (3, WHITE)]
    } else {
        &[(5, color)]
    };
    for &(r, c) in layers {
        match shape {
            Marker::Circle => root.draw(&Circle::new((x, y), r as u32, c.filled()))?,
            Marker::Square => root.draw(&Rectangle::new(
                [(x - r, y - r), (x + r, y + r)],
                c.filled(),
            ))?,
            Marker::Triangle => root.draw(&Polygon::new(
                vec![(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)],
                c.filled(),
            ))?,
            Marker::Diamond => root.draw(&Polygon::new(
                vec![
                    (x, y - r - 1),
                    (x + r + 1, y),
                    (x, y + r + 1),
                    (x - r - 1, y),
                ],
                c.filled(),
            ))?,
            Marker::Cross => {
                let w = (r / 2).max(1);
                root.draw(&Polygon::new(
                    vec![
                        (x - r, y - r + w),
                        (x - r + w, y - r),
                        (x, y - w),
                        (x + r - w, y - r),
                        (x + r, y - r + w),
                        (x + w, y),
                        (x + r, y + r - w),
                        (x + r - w, y + r),
                        (x, y + w),
                        (x - r + w, y + r),
                        (x - r, y + r - w),
                        (x - w, y),
                    ],
                    c.filled(),
                ))?
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Bar chart

/// The `<desc>` of a bar chart: every bar in words, then the footnote.
fn bar_desc(c: &BarChart, y_max: f64) -> String {
    let unit = clean(&c.unit);
    let mut d = format!(
        "Horizontal bar chart: {}. {}. {}, axis from 0 to {}{unit}; whiskers are 95% intervals. {} bars.",
        clean(&c.title),
        clean(&c.subtitle),
        clean(&c.y_label),
        num(y_max),
        c.bars.len()
    );
    for b in &c.bars {
        let _ = write!(d, " {}: {}", clean(&b.label), words(&b.shown, &unit));
        if let Some(n) = b.n {
            let _ = write!(d, ", n = {n}");
        }
        if let Some(f) = b.flag.as_deref().map(clean).filter(|f| !f.is_empty()) {
            let _ = write!(d, ", {f}");
        }
        d.push('.');
    }
    let foot = clean(&c.footnote);
    if !foot.is_empty() {
        let _ = write!(d, " {foot}");
    }
    d
}

/// Renders `c` as an SVG document (see the module documentation for how values are drawn).
pub fn bar_chart(c: &BarChart) -> String {
    let y_max = if c.y_max.is_finite() && c.y_max > 0.0 {
        c.y_max
    } else {
        100.0
    };
    let unit = clean(&c.unit);
    let n = c.bars.len();

    // Layout, top to bottom: header, key, plot (one row per bar), value axis, footnote.
    let (title, subtitle, header_h) = header_lines(&c.title, &c.subtitle);
    let key_top = header_h + 10;
    let plot_top_offset = key_top + 22;
    let labels: Vec<String> = c.bars.iter().map(|b| clean(&b.label)).collect();
    let widest = labels
        .iter()
        .map(|l| text_width(l, 12.0, FontStyle::Normal))
        .fold(0.0, f64::max);
    let label_w = (widest + 20.0).clamp(110.0, 250.0);
    let value_w: i32 = 170;
    let label_lines: Vec<(Vec<String>, Vec<String>)> = c
        .bars
        .iter()
        .zip(&labels)
        .map(|(b, l)| {
            let width = label_w - 16.0;
            let name = wrap(l, chars_in(width, 12.0, FontStyle::Normal), 2);
            let flag = b
                .flag
                .as_deref()
                .map(clean)
                .filter(|f| !f.is_empty())
                .map(|f| wrap(&f, chars_in(width, 11.0, FontStyle::Italic), 2))
                .unwrap_or_default();
            (name, flag)
        })
        .collect();
    let most_lines = label_lines
        .iter()
        .map(|(a, b)| a.len() + b.len())
        .max()
        .unwrap_or(1)
        .max(2);
    let row_h = (14 * most_lines as i32 + 12).max(38);
    let plot_h = row_h * n.max(1) as i32;
    let axis_h = 48;
    let foot = footnote_lines(&c.footnote);
    let height = plot_top_offset + plot_h + axis_h + 10 + 16 * foot.len() as i32 + MARGIN;
    let foot_top = plot_top_offset + plot_h + axis_h + 10;

    let has_coarse = c.bars.iter().any(|b| matches!(b.shown, Shown::Coarse(_)));
    let has_suppressed = c
        .bars
        .iter()
        .any(|b| value_of(&b.shown).is_none() && !matches!(b.shown, Shown::Coarse(_)));

    render(
        (WIDTH, height as u32),
        &c.title,
        &bar_desc(c, y_max),
        |root| {
            root.fill(&WHITE)?;
            draw_header(root, &title, &subtitle)?;
            draw_bar_key(root, key_top, has_coarse, has_suppressed)?;

            let (_, rest) = root.split_vertically(plot_top_offset - 6);
            let (body, _) = rest.split_vertically(plot_h + axis_h + 6);
            let axis_label = clean(&c.y_label);
            let span = y_max;
            let fmt = |v: &f64| tick(*v, span);
            let mut chart = ChartBuilder::on(&body)
                .margin_top(6)
                .margin_left(MARGIN)
                .margin_right(value_w + MARGIN)
                .set_label_area_size(LabelAreaPosition::Left, label_w as i32)
                .set_label_area_size(LabelAreaPosition::Bottom, axis_h)
                .build_cartesian_2d(0.0..y_max, 0.0..n.max(1) as f64)?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(0)
                .x_labels(11)
                .x_max_light_lines(0)
                .x_label_formatter(&fmt)
                .x_desc(axis_label)
                .bold_line_style(GRID.stroke_width(1))
                .axis_style(INK.stroke_width(1))
                .label_style(text_style(
                    12.0,
                    FontStyle::Normal,
                    INK,
                    HPos::Center,
                    VPos::Top,
                ))
                .axis_desc_style(text_style(
                    12.0,
                    FontStyle::Normal,
                    INK,
                    HPos::Center,
                    VPos::Top,
                ))
                .draw()?;

            let (px_range, _) = chart.plotting_area().get_pixel_range();
            let (plot_left, plot_right) = (px_range.start, px_range.end);
            let clamp = |v: f64| v.clamp(0.0, y_max);

            if n == 0 {
                let (_, yc) = chart.backend_coord(&(0.0, 0.5));
                root.draw(&Text::new(
                    "No data".to_owned(),
                    (plot_left + 8, yc),
                    text_style(12.0, FontStyle::Italic, MUTED, HPos::Left, VPos::Center),
                ))?;
            }

            for (i, (bar, (name, flag))) in c.bars.iter().zip(&label_lines).enumerate() {
                // Bar i (from the top) occupies the data band [n-i-1, n-i].
                let top = (n - i) as f64;
                let centre = top - 0.5;
                let (_, yc) = chart.backend_coord(&(0.0, centre));

                // The label column, right-aligned against the axis.
                let lines = name.len() + flag.len();
                let first = yc - (14 * lines as i32) / 2 + 7;
                for (j, line) in name.iter().enumerate() {
                    root.draw(&Text::new(
                        line.clone(),
                        (plot_left - 10, first + 14 * j as i32),
                        text_style(12.0, FontStyle::Normal, INK, HPos::Right, VPos::Center),
                    ))?;
                }
                for (j, line) in flag.iter().enumerate() {
                    root.draw(&Text::new(
                        line.clone(),
                        (plot_left - 10, first + 14 * (name.len() + j) as i32),
                        text_style(11.0, FontStyle::Italic, MUTED, HPos::Right, VPos::Center),
                    ))?;
                }

                // The value column, right of the plot.
                let mut value_text: Vec<String> = Vec::new();
                match &bar.shown {
                    Shown::Value { .. } => match value_of(&bar.shown) {
                        Some((v, ci)) => {
                            let ci = ci
                                .map(|(l, h)| format!(" ({}–{})", num(l), num(h)))
                                .unwrap_or_default();
                            value_text.push(format!("{}{unit}{ci}", num(v)));
                        }
                        None => value_text.push("not available".to_owned()),
                    },
                    Shown::Coarse(s) => value_text.push(format!("{}{unit} (coarsened)", clean(s))),
                    Shown::Suppressed(_) => value_text.push("not shown".to_owned()),
                }
                if let Some(n) = bar.n {
                    value_text.push(format!("n = {n}"));
                }
                let vfirst = yc - (14 * value_text.len() as i32) / 2 + 7;
                for (j, line) in value_text.iter().enumerate() {
                    root.draw(&Text::new(
                        truncate(
                            line,
                            chars_in(f64::from(value_w - 12), 12.0, FontStyle::Normal),
                        ),
                        (plot_right + 12, vfirst + 14 * j as i32),
                        text_style(12.0, FontStyle::Normal, INK, HPos::Left, VPos::Center),
                    ))?;
                }

                let (y0, y1) = (top - 0.8, top - 0.2);
                match &bar.shown {
                    Shown::Value { .. } => match value_of(&bar.shown) {
                        Some((v, ci)) => {
                            // One filled `rect` per estimate (the tests count them).
                            chart.draw_series(std::iter::once(Rectangle::new(
                                [(0.0, y0), (clamp(v), y1)],
                                BAR_FILL.filled(),
                            )))?;
                            if let Some((l, h)) = ci {
                                chart.draw_series(std::iter::once(ErrorBar::new_horizontal(
                                    centre,
                                    clamp(l),
                                    clamp(v),
                                    clamp(h),
                                    WHISKER.filled().stroke_width(2),
                                    10,
                                )))?;
                            }
                        }
                        None => slot_text(root, (plot_left + 8, yc), "not available")?,
                    },
                    Shown::Coarse(s) => match parse_coarse(s) {
                        Some(bound) => {
                            let (from, to, at) = match bound {
                                Bound::AtMost(b) => (0.0, clamp(b), clamp(b)),
                                Bound::AtLeast(b) => (clamp(b), y_max, clamp(b)),
                            };
                            let (mut x0, py0) = chart.backend_coord(&(from, y1));
                            let (mut x1, py1) = chart.backend_coord(&(to, y0));
                            // Never a zero-width range: at least 4 px, kept inside the plot.
                            if x1 - x0 < 4 {
                                if matches!(bound, Bound::AtMost(_)) {
                                    x1 = (x0 + 4).min(plot_right);
                                    x0 = x1 - 4;
                                } else {
                                    x0 = (x1 - 4).max(plot_left);
                                    x1 = x0 + 4;
                                }
                            }
                            let (px_at, _) = chart.backend_coord(&(at, centre));
                            let px_at = px_at.clamp(x0, x1);
                            hatch(root, (x0, py0), (x1, py1), COARSE_HATCH)?;
                            root.draw(&Rectangle::new(
                                [(x0, py0), (x1, py1)],
                                COARSE_EDGE.stroke_width(1),
                            ))?;
                            // The bound: a heavy tick across the box.
                            root.draw(&Rectangle::new(
                                [(px_at - 1, py0 - 4), (px_at + 2, py1 + 4)],
                                COARSE_EDGE.filled(),
                            ))?;
                            let label = format!("{}{unit}", clean(s));
                            let w = text_width(&label, 12.0, FontStyle::Bold) as i32;
                            let (pos, anchor) = if x1 + 8 + w <= plot_right {
                                (x1 + 8, HPos::Left)
                            } else {
                                (x0 - 8, HPos::Right)
                            };
                            root.draw(&Text::new(
                                label,
                                (pos, yc),
                                text_style(12.0, FontStyle::Bold, INK, anchor, VPos::Center),
                            ))?;
                        }
                        None => slot_text(
                            root,
                            (plot_left + 8, yc),
                            &format!("coarsened: {}", clean(s)),
                        )?,
                    },
                    Shown::Suppressed(r) => {
                        slot_text(root, (plot_left + 8, yc), &suppressed_label(r))?
                    }
                }
            }
            draw_footnote(root, &foot, foot_top)
        },
    )
}

/// The text of an empty slot.
fn slot_text(root: &Root, at: (i32, i32), text: &str) -> DrawResult {
    root.draw(&Text::new(
        text.to_owned(),
        at,
        text_style(12.0, FontStyle::Italic, MUTED, HPos::Left, VPos::Center),
    ))
}

/// The key under the subtitle: what a bar, a whisker, a hatched box and "suppressed" mean.
fn draw_bar_key(root: &Root, y: i32, coarse: bool, suppressed: bool) -> DrawResult {
    let style = || text_style(12.0, FontStyle::Normal, INK, HPos::Left, VPos::Center);
    let mut x = MARGIN;
    // Swatches are polygons, not `rect`s: one filled `rect` per estimate bar stays true.
    root.draw(&Polygon::new(
        vec![(x, y - 6), (x + 18, y - 6), (x + 18, y + 6), (x, y + 6)],
        BAR_FILL.filled(),
    ))?;
    root.draw(&Text::new("estimate".to_owned(), (x + 24, y), style()))?;
    x += 24 + text_width("estimate", 12.0, FontStyle::Normal) as i32 + 18;
    root.draw(&ErrorBar::new_horizontal(
        y,
        x,
        x + 12,
        x + 24,
        WHISKER.filled().stroke_width(2),
        10,
    ))?;
    root.draw(&Text::new("95% interval".to_owned(), (x + 30, y), style()))?;
    x += 30 + text_width("95% interval", 12.0, FontStyle::Normal) as i32 + 18;
    if coarse {
        hatch(root, (x, y - 6), (x + 18, y + 6), COARSE_HATCH)?;
        root.draw(&PathElement::new(
            vec![
                (x, y - 6),
                (x + 18, y - 6),
                (x + 18, y + 6),
                (x, y + 6),
                (x, y - 6),
            ],
            COARSE_EDGE.stroke_width(1),
        ))?;
        let t = "coarsened: the range the value lies in";
        root.draw(&Text::new(t.to_owned(), (x + 24, y), style()))?;
        x += 24 + text_width(t, 12.0, FontStyle::Normal) as i32 + 18;
    }
    if suppressed {
        root.draw(&Text::new(
            "suppressed: not shown".to_owned(),
            (x, y),
            text_style(12.0, FontStyle::Italic, MUTED, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Line chart

fn line_desc(c: &LineChart, y_min: f64, y_max: f64, windows: &[String]) -> String {
    let unit = clean(&c.unit);
    let mut d = format!(
        "Line chart: {}. {}. {}, axis from {}{unit} to {}{unit}; shaded bands are 95% intervals. {} series over {} windows: {}.",
        clean(&c.title),
        clean(&c.subtitle),
        clean(&c.y_label),
        num(y_min),
        num(y_max),
        c.series.len(),
        windows.len(),
        windows.join("; ")
    );
    for s in &c.series {
        let _ = write!(d, " {}:", clean(&s.name));
        if s.points.is_empty() {
            d.push_str(" no values");
        }
        for (i, p) in s.points.iter().enumerate() {
            let sep = if i == 0 { " " } else { "; " };
            let _ = write!(d, "{sep}{}: {}", clean(&p.label), words(&p.shown, &unit));
        }
        d.push('.');
    }
    let foot = clean(&c.footnote);
    if !foot.is_empty() {
        let _ = write!(d, " {foot}");
    }
    d
}

/// Renders `c` as an SVG document (see the module documentation for how values are drawn).
pub fn line_chart(c: &LineChart) -> String {
    let (y_min, y_max) = if c.y_min.is_finite() && c.y_max.is_finite() && c.y_max > c.y_min {
        (c.y_min, c.y_max)
    } else {
        (0.0, 100.0)
    };
    let unit = clean(&c.unit);
    // The x axis: position i is labelled by the first series that has a point i.
    let m = c.series.iter().map(|s| s.points.len()).max().unwrap_or(0);
    let windows: Vec<String> = (0..m)
        .map(|i| {
            c.series
                .iter()
                .find_map(|s| s.points.get(i))
                .map(|p| clean(&p.label))
                .unwrap_or_default()
        })
        .collect();

    let inner = f64::from(WIDTH) - 2.0 * f64::from(MARGIN);
    let (title, subtitle, header_h) = header_lines(&c.title, &c.subtitle);

    // Legend items: series (line, marker, name), then the band.
    let mut legend: Vec<(i32, i32, Option<usize>, String)> = Vec::new(); // (x, row, series, text)
    let (mut lx, mut row) = (0, 0);
    let items = c
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (Some(i), truncate(&clean(&s.name), 48)))
        .chain(std::iter::once((None, "95% interval".to_owned())));
    for (i, name) in items {
        let w = 30 + text_width(&name, 12.0, FontStyle::Normal) as i32 + 20;
        if lx > 0 && lx + w > inner as i32 {
            lx = 0;
            row += 1;
        }
        legend.push((MARGIN + lx, row, i, name));
        lx += w;
    }
    let legend_top = header_h + 14;
    let plot_top_offset = legend_top + 20 * (row + 1) + 12;

    // x labels: wrapped under their window when they fit in two lines, else turned upright.
    let left_area = 64;
    let right_margin = 24 + MARGIN;
    let plot_w = WIDTH as i32 - MARGIN - left_area - right_margin;
    let slot = f64::from(plot_w) / m.max(1) as f64;
    let per_line = ((slot - 6.0) / (11.0 * CHAR_EM)).floor().max(0.0) as usize;
    let wrapped: Option<Vec<Vec<String>>> = windows
        .iter()
        .map(|w| {
            let lines = wrap(w, per_line.max(1), 3);
            let fits = per_line >= 4 && lines.len() <= 2 && !lines.iter().any(|l| l.ends_with('…'));
            fits.then_some(lines)
        })
        .collect();
    let upright_max = 180.0;
    let axis_h = match &wrapped {
        Some(_) => 8 + 2 * 14 + 6,
        None => {
            let widest = windows
                .iter()
                .map(|w| text_width(w, 11.0, FontStyle::Normal))
                .fold(0.0, f64::max)
                .min(upright_max);
            widest as i32 + 16
        }
    };
    let plot_h = 320;
    let strip_rows: Vec<usize> = c
        .series
        .iter()
        .enumerate()
        .filter(|(_, s)| s.points.iter().any(|p| in_strip(&p.shown)))
        .map(|(i, _)| i)
        .collect();
    let strip_h = if strip_rows.is_empty() {
        0
    } else {
        8 + 18 * strip_rows.len() as i32
    };
    let foot = footnote_lines(&c.footnote);
    let foot_top = plot_top_offset + plot_h + axis_h + strip_h + 12;
    let height = foot_top + 16 * foot.len() as i32 + MARGIN;

    render(
        (WIDTH, height as u32),
        &c.title,
        &line_desc(c, y_min, y_max, &windows),
        |root| {
            root.fill(&WHITE)?;
            draw_header(root, &title, &subtitle)?;
            for (x, row, series, name) in &legend {
                let y = legend_top + 20 * row + 8;
                match series {
                    Some(i) => {
                        let (color, shape) = series_look(*i);
                        // A thin filled `rect`, not a polyline: polylines are the data lines.
                        root.draw(&Rectangle::new(
                            [(*x, y - 1), (x + 24, y + 1)],
                            color.filled(),
                        ))?;
                        marker(root, (x + 12, y), shape, color, false)?;
                    }
                    None => {
                        root.draw(&Polygon::new(
                            vec![(*x, y - 7), (x + 24, y - 7), (x + 24, y + 7), (*x, y + 7)],
                            MUTED.mix(0.3).filled(),
                        ))?;
                    }
                }
                root.draw(&Text::new(
                    name.clone(),
                    (x + 30, y),
                    text_style(12.0, FontStyle::Normal, INK, HPos::Left, VPos::Center),
                ))?;
            }

            let (_, rest) = root.split_vertically(plot_top_offset - 6);
            let (body, _) = rest.split_vertically(plot_h + axis_h + 6);
            let span = y_max - y_min;
            let fmt = |v: &f64| tick(*v, span);
            let mut chart = ChartBuilder::on(&body)
                .margin_top(6)
                .margin_left(MARGIN)
                .margin_right(right_margin)
                .set_label_area_size(LabelAreaPosition::Left, left_area)
                .set_label_area_size(LabelAreaPosition::Bottom, axis_h)
                .build_cartesian_2d(-0.5..m.max(1) as f64 - 0.5, y_min..y_max)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(0)
                .y_labels(11)
                .y_max_light_lines(0)
                .y_label_formatter(&fmt)
                .y_desc(clean(&c.y_label))
                .bold_line_style(GRID.stroke_width(1))
                .axis_style(INK.stroke_width(1))
                .label_style(text_style(
                    12.0,
                    FontStyle::Normal,
                    INK,
                    HPos::Right,
                    VPos::Center,
                ))
                .axis_desc_style(text_style(
                    12.0,
                    FontStyle::Normal,
                    INK,
                    HPos::Center,
                    VPos::Top,
                ))
                .draw()?;
            let (px_range, py_range) = chart.plotting_area().get_pixel_range();
            let (plot_left, plot_right, plot_bottom) = (px_range.start, px_range.end, py_range.end);
            let clamp = |v: f64| v.clamp(y_min, y_max);

            // x labels.
            for (i, w) in windows.iter().enumerate() {
                let (px, _) = chart.backend_coord(&(i as f64, y_min));
                root.draw(&PathElement::new(
                    vec![(px, plot_bottom), (px, plot_bottom + 5)],
                    INK.stroke_width(1),
                ))?;
                match &wrapped {
                    Some(all) => {
                        for (j, line) in all[i].iter().enumerate() {
                            root.draw(&Text::new(
                                line.clone(),
                                (px, plot_bottom + 8 + 14 * j as i32),
                                text_style(11.0, FontStyle::Normal, INK, HPos::Center, VPos::Top),
                            ))?;
                        }
                    }
                    None => {
                        let text = truncate(w, chars_in(upright_max, 11.0, FontStyle::Normal));
                        root.draw(&Text::new(
                            text,
                            (px, plot_bottom + 8),
                            text_style(11.0, FontStyle::Normal, INK, HPos::Right, VPos::Center)
                                .transform(FontTransform::Rotate270),
                        ))?;
                    }
                }
            }
            if m == 0 {
                root.draw(&Text::new(
                    "No data".to_owned(),
                    (plot_left + 8, (py_range.start + plot_bottom) / 2),
                    text_style(12.0, FontStyle::Italic, MUTED, HPos::Left, VPos::Center),
                ))?;
            }

            // Bands first, then lines, then markers and labels, so nothing hides a line.
            for (si, s) in c.series.iter().enumerate() {
                let (color, _) = series_look(si);
                let mut run: Vec<(f64, f64, f64, f64)> = Vec::new(); // (x, low, value, high)
                let flush = |run: &mut Vec<(f64, f64, f64, f64)>| -> DrawResult {
                    match run.len() {
                        0 => {}
                        1 => {
                            let (x, l, v, h) = run[0];
                            chart.plotting_area().draw(&ErrorBar::new_vertical(
                                x,
                                clamp(l),
                                clamp(v),
                                clamp(h),
                                color.mix(0.6).stroke_width(2),
                                12,
                            ))?;
                        }
                        _ => {
                            let mut points: Vec<(f64, f64)> =
                                run.iter().map(|p| (p.0, clamp(p.3))).collect();
                            points.extend(run.iter().rev().map(|p| (p.0, clamp(p.1))));
                            chart
                                .plotting_area()
                                .draw(&Polygon::new(points, color.mix(BAND_OPACITY).filled()))?;
                        }
                    }
                    run.clear();
                    Ok(())
                };
                for (i, p) in s.points.iter().enumerate() {
                    match value_of(&p.shown) {
                        Some((v, Some((l, h)))) => run.push((i as f64, l, v, h)),
                        _ => flush(&mut run)?,
                    }
                }
                flush(&mut run)?;
            }
            for (si, s) in c.series.iter().enumerate() {
                let (color, _) = series_look(si);
                let mut run: Vec<(f64, f64)> = Vec::new();
                for (i, p) in s.points.iter().enumerate() {
                    if let Some((v, _)) = value_of(&p.shown) {
                        run.push((i as f64, clamp(v)));
                    } else {
                        draw_line_run(&chart, &mut run, color)?;
                    }
                }
                draw_line_run(&chart, &mut run, color)?;
            }
            // Markers, and coarsened values at their bound.
            for (si, s) in c.series.iter().enumerate() {
                let (color, shape) = series_look(si);
                for (i, p) in s.points.iter().enumerate() {
                    if let Some((v, _)) = value_of(&p.shown) {
                        let at = chart.backend_coord(&(i as f64, clamp(v)));
                        marker(root, at, shape, color, false)?;
                        continue;
                    }
                    let Some(bound) = coarse_bound(&p.shown) else {
                        continue;
                    };
                    let (b, dir) = match bound {
                        Bound::AtMost(b) => (b, 1),
                        Bound::AtLeast(b) => (b, -1),
                    };
                    let (px, py) = chart.backend_coord(&(i as f64, clamp(b)));
                    // A short arrow from the bound towards the values it admits.
                    let tip = py + dir * 16;
                    root.draw(&Rectangle::new(
                        [(px - 1, py.min(tip)), (px + 1, py.max(tip))],
                        color.filled(),
                    ))?;
                    root.draw(&Polygon::new(
                        vec![
                            (px - 4, tip - dir * 5),
                            (px + 4, tip - dir * 5),
                            (px, tip + dir),
                        ],
                        color.filled(),
                    ))?;
                    marker(root, (px, py), shape, color, true)?;
                    let (tx, anchor) = if px > (plot_left + plot_right) / 2 {
                        (px - 10, HPos::Right)
                    } else {
                        (px + 10, HPos::Left)
                    };
                    let label = match &p.shown {
                        Shown::Coarse(text) => format!("{}{unit}", clean(text)),
                        _ => String::new(),
                    };
                    root.draw(&Text::new(
                        label,
                        (tx, py),
                        text_style(11.0, FontStyle::Bold, color, anchor, VPos::Center),
                    ))?;
                }
            }
            // The strip under the window labels: a row per series with values not drawn, a
            // hollow marker of the series' shape and why at each such window (outside the
            // plot, so nothing reads as a value).
            let strip_top = plot_bottom + axis_h + 6;
            for (row, &si) in strip_rows.iter().enumerate() {
                let y = strip_top + 18 * row as i32 + 9;
                let (color, shape) = series_look(si);
                if row == 0 {
                    root.draw(&Text::new(
                        "not shown:".to_owned(),
                        (plot_left - 8, y),
                        text_style(11.0, FontStyle::Italic, MUTED, HPos::Right, VPos::Center),
                    ))?;
                }
                for (i, p) in c.series[si].points.iter().enumerate() {
                    if !in_strip(&p.shown) {
                        continue;
                    }
                    let candidates = match &p.shown {
                        Shown::Suppressed(r) => [suppressed_label(r), "suppressed".to_owned()],
                        Shown::Coarse(t) => {
                            [format!("coarsened: {}", clean(t)), "coarsened".to_owned()]
                        }
                        Shown::Value { .. } => ["not available".to_owned(), "n/a".to_owned()],
                    };
                    let text = candidates
                        .into_iter()
                        .find(|t| 16.0 + text_width(t, 11.0, FontStyle::Normal) <= slot - 6.0)
                        .unwrap_or_default();
                    let unit_w = 12
                        + if text.is_empty() {
                            0
                        } else {
                            4 + text_width(&text, 11.0, FontStyle::Normal) as i32
                        };
                    let (px, _) = chart.backend_coord(&(i as f64, y_min));
                    let x0 = px - unit_w / 2;
                    marker(root, (x0 + 6, y), shape, color, true)?;
                    if !text.is_empty() {
                        root.draw(&Text::new(
                            text,
                            (x0 + 16, y),
                            text_style(11.0, FontStyle::Normal, color, HPos::Left, VPos::Center),
                        ))?;
                    }
                }
            }
            draw_footnote(root, &foot, foot_top)
        },
    )
}

/// One stretch of a series' line between gaps: one `polyline` (a lone point gets only its
/// marker).
fn draw_line_run(
    chart: &ChartContext<
        SVGBackend,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    run: &mut Vec<(f64, f64)>,
    color: RGBColor,
) -> DrawResult {
    if run.len() >= 2 {
        chart.plotting_area().draw(&PathElement::new(
            std::mem::take(run),
            color.stroke_width(2),
        ))?;
    }
    run.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use roxmltree::{Document, Node};

    const HOSTILE: &str = "<script>alert(1)</script> & Co \"quoted\" 'single'";

    fn value(v: f64, l: f64, h: f64) -> Shown {
        Shown::Value {
            value: v,
            low: Some(l),
            high: Some(h),
        }
    }

    fn sample_bars() -> BarChart {
        BarChart {
            title: "School climate: sense of belonging".to_owned(),
            subtitle: "Spring 2025 climate survey, 3 Mar – 28 Mar 2025".to_owned(),
            y_label: "Percent favorable".to_owned(),
            y_max: 100.0,
            unit: "%".to_owned(),
            bars: vec![
                Bar {
                    label: "Lincoln Elementary".to_owned(),
                    shown: value(72.4, 65.1, 79.0),
                    n: Some(120),
                    flag: None,
                },
                Bar {
                    label: "Roosevelt Middle School of the Arts and Sciences".to_owned(),
                    shown: value(55.0, 47.2, 62.6),
                    n: Some(98),
                    flag: Some("low response (41%)".to_owned()),
                },
                Bar {
                    label: "Grade 6".to_owned(),
                    shown: Shown::Coarse("<=8.4".to_owned()),
                    n: Some(24),
                    flag: None,
                },
                Bar {
                    label: "Grade 7".to_owned(),
                    shown: Shown::Coarse(">=95.0".to_owned()),
                    n: Some(40),
                    flag: None,
                },
                Bar {
                    label: "Washington High".to_owned(),
                    shown: Shown::Suppressed("small_cell".to_owned()),
                    n: None,
                    flag: None,
                },
                Bar {
                    label: HOSTILE.to_owned(),
                    shown: value(88.0, 80.5, 93.1),
                    n: Some(61),
                    flag: Some("<b>flag</b>".to_owned()),
                },
            ],
            footnote: "Cells with fewer than 10 respondents are not shown. Bars: 95% intervals. Coarsened shares are shown only as a range.".to_owned(),
        }
    }

    fn sample_trend() -> LineChart {
        let windows = [
            "Fall 2023",
            "Spring 2024",
            "Fall 2024",
            "Spring 2025",
            "Fall 2025",
        ];
        let pts = |vals: Vec<Shown>| -> Vec<TrendPoint> {
            windows
                .iter()
                .zip(vals)
                .map(|(w, s)| TrendPoint {
                    label: (*w).to_owned(),
                    shown: s,
                })
                .collect()
        };
        LineChart {
            title: "Climate trend: Lincoln Elementary".to_owned(),
            subtitle: "Fall 2023 – Fall 2025, five windows".to_owned(),
            y_label: "Percent favorable".to_owned(),
            y_min: 0.0,
            y_max: 100.0,
            unit: "%".to_owned(),
            series: vec![
                Series {
                    name: "Belonging".to_owned(),
                    points: pts(vec![
                        value(61.0, 55.0, 67.0),
                        value(64.2, 58.3, 70.1),
                        value(66.0, 60.2, 71.8),
                        value(70.5, 65.0, 76.0),
                        value(72.4, 65.1, 79.0),
                    ]),
                },
                Series {
                    name: "Safety".to_owned(),
                    points: pts(vec![
                        value(80.0, 74.0, 86.0),
                        value(78.1, 72.0, 84.2),
                        Shown::Suppressed("small_cell".to_owned()),
                        value(82.0, 76.3, 87.7),
                        value(83.5, 78.0, 89.0),
                    ]),
                },
                Series {
                    name: format!("Bullying victimization {HOSTILE}"),
                    points: pts(vec![
                        value(12.0, 8.0, 16.0),
                        Shown::Coarse("<=8.4".to_owned()),
                        value(10.2, 6.9, 13.5),
                        value(9.0, 5.8, 12.2),
                        Shown::Suppressed("complementary".to_owned()),
                    ]),
                },
            ],
            footnote: "Cells with fewer than 10 respondents are not shown. Bands: 95% intervals."
                .to_owned(),
        }
    }

    fn hex(c: RGBColor) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    fn elements<'a, 'i>(doc: &'a Document<'i>, tag: &str) -> Vec<Node<'a, 'i>> {
        doc.descendants().filter(|n| n.has_tag_name(tag)).collect()
    }

    fn num_attr(n: &Node, a: &str) -> f64 {
        n.attribute(a)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    fn texts(doc: &Document) -> Vec<String> {
        elements(doc, "text")
            .iter()
            .map(|t| t.text().unwrap_or("").trim().to_owned())
            .collect()
    }

    /// Well-formed, `role="img"`, and `<title>` then `<desc>` as the first children, named by
    /// `aria-labelledby`. Returns the desc.
    fn check_accessible(doc: &Document, title: &str) -> String {
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert_eq!(root.attribute("role"), Some("img"));
        let children: Vec<Node> = root.children().filter(|n| n.is_element()).collect();
        assert!(children.len() > 2);
        assert_eq!(children[0].tag_name().name(), "title");
        assert_eq!(children[1].tag_name().name(), "desc");
        assert_eq!(children[0].text(), Some(title));
        let ids: Vec<&str> = root
            .attribute("aria-labelledby")
            .unwrap()
            .split(' ')
            .collect();
        assert_eq!(
            ids,
            [
                children[0].attribute("id").unwrap(),
                children[1].attribute("id").unwrap()
            ]
        );
        assert_eq!(elements(doc, "title").len(), 1);
        assert_eq!(elements(doc, "desc").len(), 1);
        children[1].text().unwrap().to_owned()
    }

    /// Nothing a user typed turned into markup: the only element names are plotters' and ours,
    /// no attribute carries script, and the hostile text survives as text.
    fn check_no_injection(svg: &str, doc: &Document) {
        let allowed = [
            "svg", "title", "desc", "rect", "line", "polyline", "polygon", "circle", "text",
        ];
        for n in doc.descendants().filter(|n| n.is_element()) {
            assert!(
                allowed.contains(&n.tag_name().name()),
                "unexpected element {:?}",
                n.tag_name()
            );
            for a in n.attributes() {
                assert!(!a.name().starts_with("on"), "event attribute {}", a.name());
            }
        }
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("<b>"));
        assert!(svg.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co &quot;quoted&quot; &apos;single&apos;"
        ));
    }

    #[test]
    fn bar_chart_structure() {
        let c = sample_bars();
        let svg = bar_chart(&c);
        let doc = Document::parse(&svg).expect("well-formed SVG");
        let desc = check_accessible(&doc, &c.title);
        check_no_injection(&svg, &doc);

        // One filled bar per estimate, none for the coarsened or suppressed ones.
        let bars: Vec<Node> = elements(&doc, "rect")
            .into_iter()
            .filter(|r| r.attribute("fill") == Some(hex(BAR_FILL).as_str()))
            .collect();
        assert_eq!(bars.len(), 3);
        for b in &bars {
            assert!(num_attr(b, "width") > 0.0 && num_attr(b, "height") > 0.0);
        }
        // Bar lengths follow the values: 72.4 : 55.0 : 88.0.
        let w: Vec<f64> = bars.iter().map(|b| num_attr(b, "width")).collect();
        assert!((w[0] / w[2] - 72.4 / 88.0).abs() < 0.02, "{w:?}");
        assert!((w[1] / w[2] - 55.0 / 88.0).abs() < 0.02, "{w:?}");

        // Coarsened: an outlined box over the admitted range, never zero, with its label.
        let coarse: Vec<Node> = elements(&doc, "rect")
            .into_iter()
            .filter(|r| {
                r.attribute("stroke") == Some(hex(COARSE_EDGE).as_str())
                    && r.attribute("fill") == Some("none")
            })
            .collect();
        assert_eq!(coarse.len(), 2);
        let unit_px = w[2] / 88.0;
        let lo = &coarse[0];
        assert!(num_attr(lo, "height") > 0.0);
        assert!(
            (num_attr(lo, "width") - 8.4 * unit_px).abs() < 2.0,
            "<=8.4 spans 0–8.4"
        );
        let hi = &coarse[1];
        assert!(
            (num_attr(hi, "width") - 5.0 * unit_px).abs() < 2.0,
            ">=95 spans 95–100"
        );
        assert!((num_attr(hi, "x") - (num_attr(lo, "x") + 95.0 * unit_px)).abs() < 2.0);
        let hatching = elements(&doc, "polyline")
            .into_iter()
            .filter(|p| p.attribute("stroke") == Some(hex(COARSE_HATCH).as_str()))
            .count();
        assert!(hatching >= 4, "hatched: {hatching}");
        let t = texts(&doc);
        assert!(t.iter().any(|t| t == "<=8.4%"), "{t:?}");
        assert!(t.iter().any(|t| t == ">=95.0%"));

        // Suppressed: the text in the slot and in the value column, no bar.
        assert!(t.iter().any(|t| t == "suppressed (small cell)"));
        assert!(t.iter().any(|t| t == "not shown"));

        // Whiskers for the three intervals; the flag and the footnote are in the picture.
        let whiskers = elements(&doc, "line")
            .into_iter()
            .filter(|l| {
                l.attribute("stroke") == Some(hex(WHISKER).as_str())
                    && l.attribute("stroke-width") == Some("2")
            })
            .count();
        assert_eq!(whiskers, 3 * 3 + 3, "three per interval, three in the key");
        assert!(t.iter().any(|t| t == "low response (41%)"));
        assert!(t.iter().any(|t| t.starts_with("Cells with fewer than 10")));
        assert!(t.iter().any(|t| t == "72.4% (65.1–79.0)"));
        assert!(t.iter().any(|t| t == "n = 120"));
        assert!(t.iter().any(|t| t == "Percent favorable"));
        assert!(t.iter().any(|t| t == "Lincoln Elementary"));

        // The desc says every bar in words.
        for b in &c.bars {
            assert!(
                desc.contains(&clean(&b.label)),
                "{} missing from {desc}",
                b.label
            );
        }
        assert!(desc.contains("Lincoln Elementary: 72.4% (95% interval 65.1% to 79.0%), n = 120."));
        assert!(desc.contains("Grade 6: at most 8.4% (coarsened"));
        assert!(desc.contains("Grade 7: at least 95.0% (coarsened"));
        assert!(desc.contains("Washington High: not shown (suppressed: small cell)."));
        assert!(desc.contains("low response (41%)"));
        assert!(desc.contains("Cells with fewer than 10 respondents are not shown."));

        // Deterministic.
        assert_eq!(svg, bar_chart(&c));
        write_sample("bar-chart.svg", &svg);
    }

    #[test]
    fn bar_chart_grows_with_bars_and_handles_none() {
        let mut c = sample_bars();
        let h6 = num_attr(
            &Document::parse(&bar_chart(&c)).unwrap().root_element(),
            "height",
        );
        c.bars.extend(c.bars.clone());
        let h12 = num_attr(
            &Document::parse(&bar_chart(&c)).unwrap().root_element(),
            "height",
        );
        assert!(h12 > h6 + 100.0, "{h6} → {h12}");
        c.bars.clear();
        let svg = bar_chart(&c);
        let doc = Document::parse(&svg).unwrap();
        check_accessible(&doc, &c.title);
        assert!(texts(&doc).iter().any(|t| t == "No data"));
    }

    #[test]
    fn tiny_coarse_range_is_never_zero() {
        let mut c = sample_bars();
        c.bars = vec![Bar {
            label: "Grade 8".to_owned(),
            shown: Shown::Coarse("<=0.1".to_owned()),
            n: None,
            flag: None,
        }];
        let svg = bar_chart(&c);
        let doc = Document::parse(&svg).unwrap();
        let coarse: Vec<Node> = elements(&doc, "rect")
            .into_iter()
            .filter(|r| r.attribute("stroke") == Some(hex(COARSE_EDGE).as_str()))
            .collect();
        assert_eq!(coarse.len(), 1);
        assert!(num_attr(&coarse[0], "width") >= 4.0);
    }

    #[test]
    fn line_chart_structure() {
        let c = sample_trend();
        let svg = line_chart(&c);
        let doc = Document::parse(&svg).expect("well-formed SVG");
        let desc = check_accessible(&doc, &c.title);
        check_no_injection(&svg, &doc);

        let polylines = |color: RGBColor| -> Vec<Node> {
            elements(&doc, "polyline")
                .into_iter()
                .filter(|p| p.attribute("stroke") == Some(hex(color).as_str()))
                .collect()
        };
        let bands = |color: RGBColor| -> usize {
            elements(&doc, "polygon")
                .into_iter()
                .filter(|p| {
                    p.attribute("fill") == Some(hex(color).as_str())
                        && p.attribute("opacity") == Some("0.15")
                })
                .count()
        };
        // Belonging: no gap, one line through five points and one band.
        let belonging = polylines(SERIES[0]);
        assert_eq!(belonging.len(), 1);
        assert_eq!(
            belonging[0]
                .attribute("points")
                .unwrap()
                .split_whitespace()
                .count(),
            5
        );
        assert_eq!(bands(SERIES[0]), 1);
        // Safety: suppressed in window 3, so two lines (2 + 2 points) and two bands.
        let safety = polylines(SERIES[1]);
        assert_eq!(safety.len(), 2);
        for p in &safety {
            assert_eq!(p.attribute("points").unwrap().split_whitespace().count(), 2);
        }
        assert_eq!(bands(SERIES[1]), 2);
        // Bullying: coarsened in window 2, suppressed in 5: one line (windows 3–4), one band,
        // window 1 alone has its interval as a whisker.
        let bullying = polylines(SERIES[2]);
        assert_eq!(bullying.len(), 1);
        assert_eq!(bands(SERIES[2]), 1);

        let t = texts(&doc);
        assert!(t.iter().any(|t| t == "<=8.4%"), "{t:?}");
        assert_eq!(t.iter().filter(|t| t.starts_with("suppressed")).count(), 2);
        for w in [
            "Fall 2023",
            "Spring 2024",
            "Fall 2024",
            "Spring 2025",
            "Fall 2025",
        ] {
            assert!(t.iter().any(|t| t == w), "{w}");
            assert!(desc.contains(w));
        }
        assert!(t.iter().any(|t| t == "Belonging"));
        assert!(t.iter().any(|t| t == "Percent favorable"));
        assert!(t.iter().any(|t| t.starts_with("Cells with fewer than 10")));

        for s in &c.series {
            assert!(desc.contains(&clean(&s.name)));
        }
        assert!(desc.contains("Belonging: Fall 2023: 61.0% (95% interval 55.0% to 67.0%);"));
        assert!(desc.contains("Fall 2024: not shown (suppressed: small cell)"));
        assert!(desc.contains("Spring 2024: at most 8.4% (coarsened"));
        assert!(desc.contains("Fall 2025: not shown (suppressed: complementary)."));

        assert_eq!(svg, line_chart(&c));
        write_sample("line-chart.svg", &svg);
    }

    #[test]
    fn many_windows_turn_labels_upright_and_odd_axes_fall_back() {
        let mut c = sample_trend();
        c.y_min = f64::NAN;
        for s in &mut c.series {
            let more: Vec<TrendPoint> = (0..10)
                .map(|i| TrendPoint {
                    label: format!("Window {i} with a long title"),
                    shown: value(50.0 + i as f64, 45.0, 60.0),
                })
                .collect();
            s.points.extend(more);
        }
        let svg = line_chart(&c);
        let doc = Document::parse(&svg).unwrap();
        check_accessible(&doc, &c.title);
        assert!(svg.contains("rotate(270,"));
        write_sample("line-chart-many-windows.svg", &svg);
        assert!(
            texts(&doc).iter().any(|t| t == "100"),
            "the axis fell back to 0–100"
        );
    }

    #[test]
    fn text_is_cleaned_and_escaped() {
        assert_eq!(
            clean(" a\u{0}b\u{1b}[31m\n\tc\u{202E}d\u{FFFF} "),
            "a b [31m c d"
        );
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(
            wrap("Roosevelt Middle School of the Arts", 12, 2),
            ["Roosevelt", "Middle…"]
        );
        assert_eq!(wrap("abcdefghij", 4, 5), ["abcd", "efgh", "ij"]);
        assert_eq!(num(72.4), "72.4");
        assert_eq!(num(3.456), "3.46");
        assert_eq!(num(-0.0001), "0.0");
        assert_eq!(parse_coarse("<=8.4"), Some(Bound::AtMost(8.4)));
        assert_eq!(parse_coarse("≥ 95.0%"), Some(Bound::AtLeast(95.0)));
        assert_eq!(parse_coarse("coarsened"), None);

        // Control characters in a name still give well-formed XML.
        let mut c = sample_bars();
        c.title = "Title\u{0}\u{8}".to_owned();
        c.bars[0].label = "Name\u{1}\u{FFFE}".to_owned();
        let svg = bar_chart(&c);
        Document::parse(&svg).expect("well-formed");
    }

    /// With `CHART_SAMPLES_DIR` set, the samples are written there for
    /// `tests/ci/render-charts.sh`.
    fn write_sample(name: &str, svg: &str) {
        if let Some(dir) = std::env::var_os("CHART_SAMPLES_DIR") {
            let dir = std::path::PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), svg).unwrap();
        }
    }
}
