//! What the page test measures in the browser: horizontal overflow and controls outside the
//! viewport, axe-core's WCAG 2.1 A/AA rules, the error summary and field wiring, input border
//! contrast, and the focus indicator of every Tab stop.

use std::path::PathBuf;
use std::process::Command;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::chromium::Browser;

/// The axe-core tags the test enforces: WCAG 2.0 and 2.1, levels A and AA.
const AXE_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// Where the pinned axe-core is, installed by `scripts/ensure-axe.sh`. `None` (with a note)
/// when it cannot be installed outside CI; under CI (`CI=true`) that fails the test.
pub(crate) fn axe_source() -> Option<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ensure-axe.sh");
    let outcome = Command::new("bash").arg(&script).output();
    let problem = match &outcome {
        Ok(o) if o.status.success() => {
            let stdout = String::from_utf8_lossy(&o.stdout);
            let path = stdout.lines().last().unwrap_or_default().trim().to_owned();
            match std::fs::read_to_string(&path) {
                Ok(source) => return Some(source),
                Err(e) => format!("{path}: {e}"),
            }
        }
        Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
        Err(e) => e.to_string(),
    };
    let message = format!(
        "the page test needs axe-core from {}: {problem}",
        script.display()
    );
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!in_ci, "{message}");
    eprintln!("SKIPPED (not in CI): {message}");
    None
}

/// Layout facts at one width.
#[derive(Debug, Deserialize)]
pub(crate) struct Layout {
    /// `window.innerWidth`: the window's width in CSS pixels.
    pub viewport: i64,
    /// `document.documentElement.clientWidth`: what the page may use (less a scroll bar).
    pub page_width: i64,
    /// `document.documentElement.scrollWidth`: what the page does use.
    pub scroll_width: i64,
    /// Visible controls (or scroll containers) reaching outside the viewport.
    pub outside: Vec<String>,
    /// When the page is too wide: the innermost elements that stick out, to say why.
    pub too_wide: Vec<String>,
    /// Text inputs whose border has less than 3:1 contrast with what is around them.
    pub faint_borders: Vec<String>,
}

const LAYOUT_JS: &str = r#"
const vw = document.documentElement.clientWidth;
const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
  + (el.getAttribute('name') ? '[name=' + el.getAttribute('name') + ']' : '')
  + ' "' + (el.innerText || el.value || '').trim().slice(0, 30) + '"';
const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
const outside = [];
const candidates = document.querySelectorAll(
  'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex], body *');
for (const el of candidates) {
  const interactive = el.matches('a[href], button, input, select, textarea, summary, [tabindex]');
  if (!interactive && !scrolls(el)) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  // A control inside a scroll container scrolls into view there; the container is checked.
  let p = el.parentElement, inScroller = false;
  while (p && p !== document.body) { if (scrolls(p)) { inScroller = true; break; } p = p.parentElement; }
  if (inScroller) continue;
  if (r.left < -1 || r.right > vw + 1) outside.push(describe(el) + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right));
}
const faint = [];
for (const el of document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea, select')) {
  if (el.getBoundingClientRect().width === 0) continue;
  const ratio = window.__kgContrast(getComputedStyle(el).borderTopColor, window.__kgBackground(el.parentElement));
  if (ratio < 3) faint.push(describe(el) + ' ' + ratio.toFixed(2) + ':1');
}
const tooWide = [];
if (document.documentElement.scrollWidth > vw) {
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > vw + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > vw + 1))
      tooWide.push(describe(el) + ' ends at ' + Math.round(r.right));
    if (tooWide.length >= 5) break;
  }
}
return { too_wide: tooWide, viewport: window.innerWidth, page_width: vw, scroll_width: document.documentElement.scrollWidth, outside, faint_borders: faint };
"#;

/// Colour helpers the other scripts use: each script that needs them starts with these.
const COLOUR_JS: &str = r#"
const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
const lum = ({ r, g, b }) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
window.__kgBackground = (el) => { for (let e = el; e; e = e.parentElement) {
  const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return getComputedStyle(e).backgroundColor; }
  return 'rgb(255, 255, 255)'; };
window.__kgContrast = (fg, bg) => { const a = parse(fg), b = parse(bg); if (!a || !b || a.a === 0) return 1;
  const l1 = lum(a), l2 = lum(b); return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05); };
"#;

/// Resizes the viewport to `width` x `height` CSS pixels (the window is larger by whatever
/// the browser keeps for itself) and measures the page.
pub(crate) async fn layout_at(b: &Browser, width: u32, height: u32) -> Layout {
    b.client.set_window_size(width, height).await.unwrap();
    let inner = b
        .client
        .execute("return [window.innerWidth, window.innerHeight]", vec![])
        .await
        .unwrap();
    let extra = |i: usize, wanted: u32| {
        let got = inner[i].as_u64().unwrap() as u32;
        wanted + wanted.saturating_sub(got)
    };
    if inner != json!([width, height]) {
        b.client
            .set_window_size(extra(0, width), extra(1, height))
            .await
            .unwrap();
    }
    let v = b
        .client
        .execute(&format!("{COLOUR_JS}{LAYOUT_JS}"), vec![])
        .await
        .unwrap();
    let layout: Layout = serde_json::from_value(v).unwrap();
    assert_eq!(
        layout.viewport, width as i64,
        "the browser would not make the viewport {width} px wide"
    );
    layout
}

/// One axe-core violation: the rule and the elements it found.
#[derive(Debug, Deserialize)]
pub(crate) struct Violation {
    pub id: String,
    pub impact: Option<String>,
    pub nodes: Vec<String>,
}

/// Runs axe-core's WCAG 2.1 A/AA rules on the current page.
pub(crate) async fn axe(b: &Browser, source: &str) -> Vec<Violation> {
    let loaded = b
        .client
        .execute(&format!("{source}\nreturn typeof window.axe;"), vec![])
        .await
        .unwrap();
    assert_eq!(loaded, json!("object"), "axe-core did not load");
    let result = b
        .client
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] })
  .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact,
     nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + (n.failureSummary || '').split('\n').slice(1, 2).join('').trim()) }))))
  .catch((e) => done({ error: String(e) }));"#,
            vec![json!(AXE_TAGS)],
        )
        .await
        .unwrap();
    if let Some(error) = result.get("error") {
        panic!("axe-core failed: {error}");
    }
    serde_json::from_value(result).unwrap()
}

/// Problems with the page's error state: its title, the summary, and how fields are tied to
/// their errors. `expect_errors` says whether the page should be showing form errors.
pub(crate) async fn error_wiring(b: &Browser, expect_errors: bool) -> Vec<String> {
    let v: Value = b
        .client
        .execute(
            r##"const summary = document.querySelector('.error-summary');
const problems = [];
const invalid = [...document.querySelectorAll('[aria-invalid=true]')];
for (const f of invalid) {
  const ids = (f.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  if (!ids.length || ids.some((id) => !document.getElementById(id)))
    problems.push('#' + f.id + ' is invalid but not described by an existing error');
}
if (summary) {
  if (!document.title.startsWith('Error:')) problems.push('title "' + document.title + '" does not start with Error:');
  if (document.activeElement !== summary) problems.push('the error summary does not have focus (' + document.activeElement.tagName + ')');
  const links = [...summary.querySelectorAll('a[href^="#"]')];
  if (!links.length) problems.push('the error summary links to no field');
  for (const a of links) {
    const target = document.getElementById(a.getAttribute('href').slice(1));
    if (!target) problems.push(a.getAttribute('href') + ' in the summary points nowhere');
  }
  if (!invalid.length) problems.push('an error summary, but no field has aria-invalid');
}
return { summary: !!summary, problems };"##,
            vec![],
        )
        .await
        .unwrap();
    let mut problems: Vec<String> = serde_json::from_value(v["problems"].clone()).unwrap();
    let has_summary = v["summary"].as_bool().unwrap_or(false);
    if expect_errors && !has_summary {
        problems.push("the page shows form errors without an error summary".into());
    }
    problems
}

/// A Tab stop and how its focus indicator looks.
#[derive(Debug, Deserialize)]
struct Stop {
    what: String,
    ring: String,
    contrast: f64,
    width: f64,
}

/// Tabs through the page from the top and returns the problems: a stop with no visible
/// indicator (thinner than 2 px or under 3:1 against the background around it), or stops that
/// look different from one another.
pub(crate) async fn focus_rings(b: &Browser) -> Vec<String> {
    b.client
        .execute(
            "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);",
            vec![],
        )
        .await
        .unwrap();
    let mut stops: Vec<Stop> = Vec::new();
    let mut problems = Vec::new();
    for _ in 0..150 {
        let tab = KeyActions::new("keyboard".into())
            .then(KeyAction::Down {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Tab.into(),
            });
        b.client.perform_actions(tab).await.unwrap();
        let v = b
            .client
            .execute(
                &format!("{COLOUR_JS}{}", r#"const el = document.activeElement;
if (!el || el === document.body) return null;
const s = getComputedStyle(el);
const what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + (el.innerText || el.value || '').trim().slice(0, 30) + '"';
const visible = s.outlineStyle !== 'none' && s.outlineStyle !== 'auto';
return { what, ring: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor,
  width: visible ? parseFloat(s.outlineWidth) : 0,
  contrast: visible ? window.__kgContrast(s.outlineColor, window.__kgBackground(el.parentElement)) : 0 };"#),
                vec![],
            )
            .await
            .unwrap();
        if v.is_null() {
            break;
        }
        let stop: Stop = serde_json::from_value(v).unwrap();
        if stops.first().is_some_and(|first| first.what == stop.what) {
            break;
        }
        if stop.width < 2.0 || stop.contrast < 3.0 {
            problems.push(format!(
                "{}: focus ring {} ({:.2}:1)",
                stop.what, stop.ring, stop.contrast
            ));
        }
        stops.push(stop);
    }
    let mut rings: Vec<&str> = stops.iter().map(|s| s.ring.as_str()).collect();
    rings.sort_unstable();
    rings.dedup();
    if rings.len() > 1 {
        problems.push(format!("{} different focus rings: {rings:?}", rings.len()));
    }
    problems
}
