//! What Microsoft's SDKs do before their first real call (rest-api.md §1): the location list
//! answered to `OPTIONS`, `ResourceAreas`, organization-level `connectionData`, case-insensitive
//! paths and the `api-version` rules.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::api::{ApiWorld, ORG, PROJECT};

/// The location ids both SDKs look up before their calls.
const SDK_LOCATION_IDS: &[&str] = &[
    "e81700f7-3be2-46de-8624-2eb35882fcaa",
    "00d9565f-ed9c-4a06-9a50-00e7896ccab4",
    "603fe2ac-9723-48b9-88ad-09305aa6c6e1",
    "225f7195-f9c7-4d14-ab28-a83f7ff77e1f",
    "0cd358e1-9217-4d94-8269-1c1ee6f93dcf",
    "72c7ddf8-2cdc-4f60-90cd-ab71c14a399b",
    "62d3d110-0047-428c-ad3c-4fe872c91c74",
    "1a9c53f7-f243-4447-b110-35ef023636e4",
    "f83735dc-483f-4238-a291-d45f6080a9af",
    "229a6a53-b428-4ffb-a835-e8f36b5b4b1e",
];

async fn options(w: &ApiWorld, path: &str) -> Value {
    let r = w.call(Method::OPTIONS, path, Some(w.access())).await;
    assert_eq!(r.status(), StatusCode::OK, "OPTIONS {path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn options_on_apis_lists_every_location_at_the_base_url_and_under_an_organization() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    for path in ["/_apis", &format!("/{ORG}/_apis"), "/fabrikam/_apis/"] {
        let body = options(&w, path.trim_end_matches('/')).await;
        let ids: Vec<&str> = body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect();
        assert_eq!(body["count"], ids.len());
        for id in SDK_LOCATION_IDS {
            assert!(ids.contains(id), "{path} lacks {id}");
        }
        for location in body["value"].as_array().unwrap() {
            assert_eq!(location["minVersion"], "1.0");
            assert_eq!(location["maxVersion"], "7.2");
            assert_eq!(location["releasedVersion"], "7.1");
            assert!(location["resourceVersion"].is_u64());
            assert!(location["routeTemplate"]
                .as_str()
                .unwrap()
                .contains("_apis"));
        }
    }
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("options_apis", options(&w, "/_apis").await);
}

#[tokio::test]
async fn options_on_an_area_lists_that_areas_locations_in_any_case() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    for (path, area) in [
        (format!("/{ORG}/_apis/wit"), "wit"),
        (format!("/{ORG}/_apis/core"), "core"),
        ("/_apis/Profile".to_owned(), "Profile"),
        ("/_apis/Location".to_owned(), "Location"),
        (format!("/{ORG}/_APIS/Build"), "build"),
    ] {
        let body = options(&w, &path).await;
        let value = body["value"].as_array().unwrap();
        assert!(!value.is_empty(), "{path}");
        assert!(value.iter().all(|l| l["area"] == area), "{path}: {body}");
    }
    let none = options(&w, "/_apis/nosucharea").await;
    assert_eq!(none["count"], 0);
}

#[tokio::test]
async fn resource_areas_name_the_organization_url_for_its_areas_and_the_base_for_profiles() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let base = w.app.url("");
    let base = base.trim_end_matches('/');
    let body: Value = w
        .get(&format!("/{ORG}/_apis/ResourceAreas"))
        .await
        .json()
        .await
        .unwrap();
    let find = |id: &str| {
        body["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("no area {id}"))["locationUrl"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for core_area in [
        "79134c72-4a58-4b42-976c-04e7115f32bf",
        "4e080c62-fa21-4fbc-8fef-2a10a2b38049",
        "965220d5-5bb9-42cf-8d67-9b146df2a5a4",
        "5264459e-e5e0-4bd8-b118-0985e68a4ec5",
    ] {
        assert_eq!(find(core_area), format!("{base}/{ORG}/"));
    }
    assert_eq!(
        find("8ccfef3d-2b87-4e99-8ccb-66e343d2daa8"),
        format!("{base}/")
    );

    let at_base: Value = w.get("/_apis/resourceAreas").await.json().await.unwrap();
    assert_eq!(at_base["count"], body["count"]);
}

#[tokio::test]
async fn a_resource_area_by_id_with_a_host_id_gives_the_organizations_url() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let base = w.app.url("");
    let base = base.trim_end_matches('/');
    let accounts: Value = w.get("/_apis/accounts").await.json().await.unwrap();
    let org_id = accounts["value"][0]["accountId"]
        .as_str()
        .unwrap()
        .to_owned();
    let core = "79134c72-4a58-4b42-976c-04e7115f32bf";
    let r = w
        .call(
            Method::GET,
            &format!("/_apis/resourceareas/{core}?hostId={org_id}"),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["id"], core);
    assert_eq!(body["locationUrl"], format!("{base}/{ORG}/"));
    let unknown = w
        .get(&format!(
            "/_apis/resourceareas/{core}?hostId=00000000-0000-0000-0000-000000000009"
        ))
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn connection_data_answers_under_the_organization_too() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let r = w.get(&format!("/{ORG}/_apis/connectionData")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["authenticatedUser"]["providerDisplayName"],
        "Test User"
    );
}

#[tokio::test]
async fn api_paths_match_in_any_case() {
    let w = ApiWorld::with_scopes("vso.profile vso.project vso.code").await;
    for path in [
        "/_apis/Profile/Profiles/me".to_owned(),
        "/_APIS/ConnectionData".to_owned(),
        format!("/{ORG}/_apis/Projects"),
        format!("/{ORG}/{PROJECT}/_apis/Git/Repositories"),
    ] {
        assert_eq!(w.get(&path).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn the_api_version_is_read_from_the_accept_header_and_echoed() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let r = w
        .app
        .client
        .get(w.app.url("/_apis/profile/profiles/me"))
        .bearer_auth(w.access())
        .header("accept", "application/json;api-version=7.1-preview.3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("api-version=7.1-preview.3"));
}

#[tokio::test]
async fn a_malformed_or_too_new_api_version_gets_the_hosted_services_400() {
    let w = ApiWorld::with_scopes("vso.profile").await;
    let _snapshots = super::helpers::shared_snapshots();
    for (version, type_key, name) in [
        (
            "banana",
            "VssInvalidApiVersionException",
            "api_version_invalid",
        ),
        (
            "9.0",
            "VssVersionOutOfRangeException",
            "api_version_out_of_range",
        ),
    ] {
        let query = w
            .get(&format!("/_apis/profile/profiles/me?api-version={version}"))
            .await;
        assert_eq!(query.status(), StatusCode::BAD_REQUEST);
        let body: Value = query.json().await.unwrap();
        assert_eq!(body["typeKey"], type_key);
        insta::assert_json_snapshot!(name, body);
        let header = w
            .app
            .client
            .get(w.app.url(&format!("/{ORG}/_apis/projects")))
            .bearer_auth(w.access())
            .header("accept", format!("application/json;api-version={version}"))
            .send()
            .await
            .unwrap();
        assert_eq!(header.status(), StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn an_api_keygate_does_not_emulate_answers_404_and_lists_no_locations() {
    let w = ApiWorld::with_scopes("vso.code vso.work").await;
    for path in [
        format!("/{ORG}/{PROJECT}/_apis/git/pullrequests"),
        format!("/{ORG}/_apis/test/runs"),
        format!("/{ORG}/_apis/release/releases"),
    ] {
        assert_eq!(w.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let release = options(&w, &format!("/{ORG}/_apis/release")).await;
    assert_eq!(release["count"], 0);
}
