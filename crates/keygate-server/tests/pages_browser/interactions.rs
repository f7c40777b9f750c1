//! What `keygate.js` adds, used as a person would: the sign-in page's focus and show-password
//! switch, the error summary's links, and the scope picker's filter box and counts.

use fantoccini::Locator;
use serde_json::{json, Value};

use crate::chromium::{screenshot_dir, Browser};
use crate::world::{World, EMAIL};
use crate::{become_visitor, checks, open, submit, Visitor, CREATE_APP, SIGN_IN};

async fn js(b: &Browser, script: &str) -> Value {
    b.client.execute(script, vec![]).await.unwrap()
}

async fn active_id(b: &Browser) -> Value {
    js(b, "return document.activeElement.id").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_focuses_the_email_shows_the_password_and_links_its_error_to_the_field() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let world = World::start().await;
    become_visitor(&b, &world, Visitor::Anonymous, &mut None).await;
    b.client.goto(&world.url("/_signin")).await.unwrap();
    b.wait_for("#password").await;
    assert_eq!(active_id(&b).await, json!("email"));

    let switch = b.wait_for("label[for=show-password]").await;
    assert!(
        switch.is_displayed().await.unwrap(),
        "the script shows the switch"
    );
    switch.click().await.unwrap();
    assert_eq!(
        js(&b, "return document.getElementById('password').type").await,
        json!("text")
    );
    switch.click().await.unwrap();
    assert_eq!(
        js(&b, "return document.getElementById('password').type").await,
        json!("password")
    );

    let failed = submit(
        "",
        "/_signin",
        &[("#email", EMAIL), ("#password", "wrong")],
        SIGN_IN,
    );
    open(&b, &world, &failed).await;
    assert_eq!(active_id(&b).await, json!("error-summary"));
    b.wait_for("#error-summary a").await.click().await.unwrap();
    assert_eq!(active_id(&b).await, json!("email"));
    b.close().await;
}

/// The visible scope options and groups, and the two counts, as the page shows them.
async fn picker(b: &Browser) -> Value {
    js(
        b,
        "const shown = (css) => [...document.querySelectorAll(css)].filter((e) => e.getClientRects().length);
         return { options: shown('#scopes .scope-option').length,
                  groups: shown('#scopes details').length,
                  open: shown('#scopes details[open]').length,
                  count: document.getElementById('scope-count').textContent,
                  status: document.getElementById('scope-filter-status').textContent };",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scope_picker_filters_counts_and_opens_the_group_an_error_links_to() {
    let Some(b) = Browser::start().await else {
        return;
    };
    let world = World::start().await;
    become_visitor(&b, &world, Visitor::Owner, &mut None).await;
    b.client.goto(&world.url("/app/register")).await.unwrap();
    let filter = b.wait_for("#scope-filter").await;
    assert!(
        filter.is_displayed().await.unwrap(),
        "the script shows the filter"
    );
    let all = picker(&b).await;
    assert_eq!(all["open"], json!(0), "{all}");
    assert_eq!(all["count"], json!("0 scopes chosen"));

    filter.send_keys("wiki").await.unwrap();
    let wiki = picker(&b).await;
    assert_eq!(wiki["options"], json!(2), "{wiki}");
    assert_eq!(
        (wiki["groups"].clone(), wiki["open"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(wiki["status"], json!("2 scopes match"));
    b.wait_for("input[value='vso.wiki']")
        .await
        .click()
        .await
        .unwrap();
    assert_eq!(picker(&b).await["count"], json!("1 scope chosen"));
    let group = b
        .client
        .find(Locator::XPath(
            "//details[.//input[@value='vso.wiki']]//*[@data-group-count]",
        ))
        .await
        .unwrap();
    assert_eq!(group.text().await.unwrap(), "2 scopes, 1 chosen");

    // Enter in the filter does not submit the form; clearing it shows every group again,
    // with only the one holding a choice left open.
    filter.send_keys("\u{e007}").await.unwrap();
    assert_eq!(
        js(&b, "return location.pathname").await,
        json!("/app/register")
    );
    filter.clear().await.unwrap();
    filter.send_keys(" ").await.unwrap();
    let cleared = picker(&b).await;
    assert_eq!(cleared["groups"], all["groups"], "{cleared}");
    assert_eq!(cleared["open"], json!(1), "{cleared}");

    filter.clear().await.unwrap();
    filter.send_keys("code").await.unwrap();
    b.client
        .execute(
            "document.getElementById('scopes-heading').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    checks::layout_at(&b, 1100, 844).await;
    b.screenshot(&screenshot_dir(), "scope-picker.png").await;

    // With no scope ticked, the summary's link opens the first group and focuses its first box.
    let no_scopes = submit(
        "",
        "/app/register",
        &[
            ("#company_name", "Fabrikam, Inc."),
            ("#name", "Fiber CLI"),
            ("#website", "https://fabrikam.example"),
            ("#callback_url", "https://fabrikam.example/callback"),
        ],
        CREATE_APP,
    );
    open(&b, &world, &no_scopes).await;
    b.wait_for("#error-summary a[href='#scopes']")
        .await
        .click()
        .await
        .unwrap();
    let focused = js(
        &b,
        "const f = document.activeElement; return [f.name, f.closest('details').open];",
    )
    .await;
    assert_eq!(focused, json!(["scopes", true]));
    b.close().await;
}
