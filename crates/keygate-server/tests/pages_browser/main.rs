//! Every page a person sees, in headless Chromium at phone, 200%-zoom and desktop widths: no
//! horizontal page scrolling and no control outside the viewport (320 to 1280 px), no axe-core
//! WCAG 2.1 A/AA violation (390 and 1280 px), form errors tied to their fields with a focused
//! summary, input borders and focus rings at 3:1 or better.
//!
//! Adding a page is one entry in `PAGES` (one line for a page reached by its URL). The browser
//! and axe-core are installed by the repo's scripts (`scripts/ensure-chromium.sh`,
//! `scripts/ensure-axe.sh`); without them the test skips with a note, except under `CI=true`,
//! where it fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

mod checks;
// The sample web app's browser test drives Chromium the same way: one driver, shared.
#[path = "../../../../examples/webapp/tests/chromium/mod.rs"]
mod chromium;
mod interactions;
mod world;

use std::time::{Duration, Instant};

use chromium::{screenshot_dir, Browser};
use world::{World, CONSENT, EMAIL, PASSWORD};

/// Who is looking at the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visitor {
    Anonymous,
    /// The seeded user, who owns the organization and the apps.
    Owner,
}

/// How the page is reached.
#[derive(Debug, Clone, Copy)]
enum Reach {
    /// Open the URL.
    Get(&'static str),
    /// Open the URL, type into fields (`css`, text), press the button `press`.
    Submit {
        from: &'static str,
        fill: &'static [(&'static str, &'static str)],
        press: &'static str,
    },
}

/// One page to check; `errors` when it should be showing form errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    name: &'static str,
    visitor: Visitor,
    reach: Reach,
    errors: bool,
    /// Saved as `docs/screenshots/<name>` (with `UPDATE_SCREENSHOTS=1`) at this width.
    screenshot: Option<(&'static str, u32)>,
}

const fn get(name: &'static str, visitor: Visitor, path: &'static str) -> Page {
    Page {
        name,
        visitor,
        reach: Reach::Get(path),
        errors: false,
        screenshot: None,
    }
}

pub(crate) const fn submit(
    name: &'static str,
    from: &'static str,
    fill: &'static [(&'static str, &'static str)],
    press: &'static str,
) -> Page {
    Page {
        name,
        visitor: Visitor::Owner,
        reach: Reach::Submit { from, fill, press },
        errors: false,
        screenshot: None,
    }
}

impl Page {
    const fn with_errors(self) -> Self {
        Page {
            errors: true,
            ..self
        }
    }

    const fn anonymous(self) -> Self {
        Page {
            visitor: Visitor::Anonymous,
            ..self
        }
    }

    const fn screenshot(self, file: &'static str, width: u32) -> Self {
        Page {
            screenshot: Some((file, width)),
            ..self
        }
    }
}

use Visitor::{Anonymous, Owner};

pub(crate) const SIGN_IN: &str = "form[action='/_signin'] button[type=submit]";
pub(crate) const CREATE_APP: &str = "form[action='/app/register'] button[type=submit]";
pub(crate) const ADD_CERTIFICATE: &str = "form[action$='/certificates'] button[type=submit]";
pub(crate) const ENTER_CODE: &str = "form[action='/device'] button[type=submit]";

/// Every page a person can reach.
const PAGES: &[Page] = &[
    get("home, signed out", Anonymous, "/"),
    get("home", Owner, "/"),
    get("sign-in", Anonymous, "/_signin"),
    submit(
        "sign-in failed",
        "/_signin",
        &[("#email", EMAIL), ("#password", "wrong")],
        SIGN_IN,
    )
    .anonymous()
    .with_errors(),
    get("consent", Owner, CONSENT),
    get("register", Owner, "/app/register"),
    submit(
        "register with errors",
        "/app/register",
        &[
            ("#company_name", "Fabrikam, Inc."),
            ("#name", "Fiber CLI"),
            ("#website", "https://fabrikam.example"),
            ("#logo_url", "http://fabrikam.example/logo.png"),
            ("#callback_url", "http://fabrikam.example/callback"),
        ],
        CREATE_APP,
    )
    .with_errors()
    .screenshot("register-errors-phone.png", 390),
    get("app", Owner, "/app/{app}").screenshot("app.png", 1100),
    submit(
        "app certificate with errors",
        "/app/{app}",
        &[("#certificate", "not a certificate")],
        ADD_CERTIFICATE,
    )
    .with_errors(),
    submit(
        "app after regenerate",
        "/app/{app}/regenerate?slot=alternative",
        &[],
        "button.danger",
    ),
    get(
        "regenerate confirm",
        Owner,
        "/app/{app}/regenerate?slot=primary",
    ),
    get("delete confirm", Owner, "/app/{app}/delete"),
    get("my apps", Owner, "/profile/view"),
    get("authorizations", Owner, "/profile/authorizations")
        .screenshot("authorizations-phone.png", 390),
    get("org policy", Owner, "/{org}/_settings/organizationPolicy"),
    get("device code entry", Owner, "/device"),
    submit(
        "device code wrong",
        "/device",
        &[("#user_code", "not a code")],
        ENTER_CODE,
    )
    .with_errors(),
    submit(
        "device consent",
        "/device?user_code={user_code}",
        &[],
        ENTER_CODE,
    )
    .screenshot("device-consent-phone.png", 390),
    get(
        "400 page",
        Owner,
        "/oauth2/authorize?client_id=not-an-app-id",
    ),
    get(
        "404 page",
        Owner,
        "/app/00000000-0000-4000-8000-000000000000",
    ),
];

/// Widths checked for overflow: small phone, phone, 1280 px at 200% zoom, desktop.
const WIDTHS: [u32; 4] = [320, 390, 640, 1280];
/// Widths axe-core runs at.
const AXE_WIDTHS: [u32; 2] = [390, 1280];
const HEIGHT: u32 = 844;

/// Puts the browser in `visitor`'s shoes.
pub(crate) async fn become_visitor(
    b: &Browser,
    world: &World,
    visitor: Visitor,
    now: &mut Option<Visitor>,
) {
    if *now == Some(visitor) {
        return;
    }
    b.client.goto(&world.url("/")).await.unwrap();
    b.client.delete_all_cookies().await.unwrap();
    if visitor == Owner {
        b.client.goto(&world.url("/_signin")).await.unwrap();
        b.wait_for("#email").await.send_keys(EMAIL).await.unwrap();
        b.wait_for("#password")
            .await
            .send_keys(PASSWORD)
            .await
            .unwrap();
        b.wait_for(SIGN_IN).await.click().await.unwrap();
        b.wait_for("form[action='/_signout']").await;
    }
    *now = Some(visitor);
}

pub(crate) async fn open(b: &Browser, world: &World, page: &Page) {
    match page.reach {
        Reach::Get(path) => b.client.goto(&world.url(path)).await.unwrap(),
        Reach::Submit { from, fill, press } => {
            b.client.goto(&world.url(from)).await.unwrap();
            for (css, text) in fill {
                let field = b.wait_for(css).await;
                field.clear().await.unwrap();
                field.send_keys(text).await.unwrap();
            }
            b.client
                .execute("window.__kgOldDocument = true;", vec![])
                .await
                .unwrap();
            b.wait_for(press).await.click().await.unwrap();
            wait_for_new_document(b).await;
        }
    }
    b.wait_for("footer").await;
}

/// Waits until the form's answer has replaced the page it was posted from.
async fn wait_for_new_document(b: &Browser) {
    let deadline = Instant::now() + chromium::PAGE_TIMEOUT;
    loop {
        let replaced = b
            .client
            .execute(
                "return !window.__kgOldDocument && document.readyState === 'complete';",
                vec![],
            )
            .await
            .is_ok_and(|v| v == serde_json::Value::Bool(true));
        if replaced {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the form's answer never came; {}",
            b.describe().await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_phone_to_desktop_and_passes_axe_in_a_real_browser() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let Some(axe) = checks::axe_source() else {
        b.close().await;
        return;
    };
    let world = World::start().await;
    let mut visitor = None;
    let mut failures: Vec<String> = Vec::new();
    let mut table =
        String::from("page | width | overflow px | controls outside | axe violations\n");
    for page in PAGES {
        become_visitor(&b, &world, page.visitor, &mut visitor).await;
        b.client.set_window_size(1280, HEIGHT).await.unwrap();
        open(&b, &world, page).await;
        let fail = |what: String| format!("{}: {what}", page.name);
        let title = b.client.title().await.unwrap();
        if !title.ends_with(" · Keygate") || title.len() < " · Keygate".len() + 3 {
            failures.push(fail(format!("title {title:?}")));
        }
        if b.text_of("main h1").await.trim().is_empty() {
            failures.push(fail("the page has no heading".into()));
        }
        failures.extend(
            checks::error_wiring(&b, page.errors)
                .await
                .into_iter()
                .map(fail),
        );
        for width in WIDTHS {
            let layout = checks::layout_at(&b, width, HEIGHT).await;
            let overflow = layout.scroll_width - layout.page_width;
            let violations = if AXE_WIDTHS.contains(&width) {
                let v = checks::axe(&b, &axe).await;
                for violation in &v {
                    failures.push(fail(format!(
                        "{width} px: axe {} ({}): {:?}",
                        violation.id,
                        violation.impact.as_deref().unwrap_or("?"),
                        violation.nodes
                    )));
                }
                v.len().to_string()
            } else {
                "-".into()
            };
            table.push_str(&format!(
                "{} | {width} | {overflow} | {} | {violations}\n",
                page.name,
                layout.outside.len()
            ));
            if overflow > 0 {
                failures.push(fail(format!(
                    "{width} px: the page is {} px wide: {:?}",
                    layout.scroll_width, layout.too_wide
                )));
            }
            for control in &layout.outside {
                failures.push(fail(format!(
                    "{width} px: {control} is outside the viewport"
                )));
            }
            for input in &layout.faint_borders {
                failures.push(fail(format!("{width} px: faint input border {input}")));
            }
        }
        if let Some((file, width)) = page.screenshot {
            checks::layout_at(&b, width, HEIGHT).await;
            b.screenshot(&screenshot_dir(), file).await;
        }
        checks::layout_at(&b, 1280, HEIGHT).await;
        failures.extend(checks::focus_rings(&b).await.into_iter().map(fail));
    }
    b.close().await;
    eprintln!("{table}");
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
