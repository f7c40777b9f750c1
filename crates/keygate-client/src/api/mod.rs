//! Typed calls to the bearer-protected REST APIs (protocol §7): profile, accounts, projects,
//! builds, repositories and work items.

mod models;

use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderValue, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use url::Url;

pub use models::{
    Account, Build, DefinitionRef, IdentityRef, PatchOperation, Profile, Project, QueueBuild,
    Repository, WorkItem,
};

use crate::config::Endpoints;
use crate::error::{ApiError, Error};
use crate::http::{send, Answer};
use crate::token::excerpt;
use models::List;

/// The `api-version` every call sends; Keygate echoes it, the hosted service requires it.
pub const API_VERSION: &str = "7.1";

/// Calls the REST APIs with one access token. Cheap to clone.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    endpoints: Arc<Endpoints>,
    access_token: String,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("endpoints", &self.endpoints)
            .field("access_token", &"[redacted]")
            .finish()
    }
}

impl ApiClient {
    pub(crate) fn new(
        http: reqwest::Client,
        endpoints: Arc<Endpoints>,
        access_token: &str,
    ) -> Self {
        Self {
            http,
            endpoints,
            access_token: access_token.to_owned(),
        }
    }

    /// `GET /_apis/profile/profiles/me` (vso.profile): who the token belongs to.
    pub async fn profile(&self) -> Result<Profile, Error> {
        let url = with_path(
            &self.endpoints.identity_api,
            &["_apis", "profile", "profiles", "me"],
        )?;
        self.get(url).await
    }

    /// `GET /_apis/accounts?memberId=` (vso.profile): the organizations of `member_id`
    /// (the [`Profile::id`] of the token's user).
    pub async fn accounts(&self, member_id: &str) -> Result<Vec<Account>, Error> {
        let mut url = with_path(&self.endpoints.identity_api, &["_apis", "accounts"])?;
        url.query_pairs_mut().append_pair("memberId", member_id);
        Ok(self.get::<List<Account>>(url).await?.value)
    }

    /// `GET /{org}/_apis/projects` (vso.project).
    pub async fn projects(&self, org: &str) -> Result<Vec<Project>, Error> {
        let url = with_path(&self.endpoints.api, &[org, "_apis", "projects"])?;
        Ok(self.get::<List<Project>>(url).await?.value)
    }

    /// `GET /{org}/{project}/_apis/build/builds` (vso.build).
    pub async fn builds(&self, org: &str, project: &str) -> Result<Vec<Build>, Error> {
        let url = with_path(
            &self.endpoints.api,
            &[org, project, "_apis", "build", "builds"],
        )?;
        Ok(self.get::<List<Build>>(url).await?.value)
    }

    /// `POST /{org}/{project}/_apis/build/builds` (vso.build_execute): queues a build.
    pub async fn queue_build(
        &self,
        org: &str,
        project: &str,
        build: &QueueBuild,
    ) -> Result<Build, Error> {
        let url = with_path(
            &self.endpoints.api,
            &[org, project, "_apis", "build", "builds"],
        )?;
        let mut body = json!({"definition": {"id": build.definition_id}});
        if let Some(branch) = &build.source_branch {
            body["sourceBranch"] = json!(branch);
        }
        let request = self
            .request(reqwest::Method::POST, url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body.to_string());
        read(send(request).await?)
    }

    /// `GET /{org}/{project}/_apis/git/repositories` (vso.code).
    pub async fn repositories(&self, org: &str, project: &str) -> Result<Vec<Repository>, Error> {
        let url = with_path(
            &self.endpoints.api,
            &[org, project, "_apis", "git", "repositories"],
        )?;
        Ok(self.get::<List<Repository>>(url).await?.value)
    }

    /// `GET /{org}/{project}/_apis/wit/workitems/{id}` (vso.work).
    pub async fn work_item(&self, org: &str, project: &str, id: i64) -> Result<WorkItem, Error> {
        let id = id.to_string();
        let url = with_path(
            &self.endpoints.api,
            &[org, project, "_apis", "wit", "workitems", &id],
        )?;
        self.get(url).await
    }

    /// `POST /{org}/{project}/_apis/wit/workitems/${type}` with `application/json-patch+json`
    /// (vso.work_write): creates a work item of `work_item_type` (`Task`, `Bug`, ...).
    pub async fn create_work_item(
        &self,
        org: &str,
        project: &str,
        work_item_type: &str,
        operations: &[PatchOperation],
    ) -> Result<WorkItem, Error> {
        let segment = format!("${work_item_type}");
        let url = with_path(
            &self.endpoints.api,
            &[org, project, "_apis", "wit", "workitems", &segment],
        )?;
        let body = serde_json::to_string(operations)
            .map_err(|e| Error::Config(format!("unserializable patch: {e}")))?;
        let request = self
            .request(reqwest::Method::POST, url)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json-patch+json"),
            )
            .body(body);
        read(send(request).await?)
    }

    fn request(&self, method: reqwest::Method, mut url: Url) -> reqwest::RequestBuilder {
        url.query_pairs_mut()
            .append_pair("api-version", API_VERSION);
        self.http
            .request(method, url)
            .bearer_auth(&self.access_token)
            .header("Accept", "application/json")
            // Ask for 401 + JSON instead of the 203 sign-in page when the token is not accepted.
            .header("X-TFS-FedAuthRedirect", "Suppress")
    }

    async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T, Error> {
        read(send(self.request(reqwest::Method::GET, url)).await?)
    }
}

/// `base` with `segments` appended, each percent-encoded as one path segment.
fn with_path(base: &Url, segments: &[&str]) -> Result<Url, Error> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| Error::Config(format!("{base} cannot be a base URL")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Reads a REST API answer: the resource on 2xx (but 203 is the sign-in page), the error
/// envelope otherwise.
pub(crate) fn read<T: DeserializeOwned>(answer: Answer) -> Result<T, Error> {
    let Answer { status, body } = answer;
    match status {
        203 => Err(Error::SignInRequired { status }),
        200..=299 => serde_json::from_slice(&body).map_err(|e| Error::UnexpectedResponse {
            status,
            detail: format!("the answer is not the expected JSON: {e}"),
        }),
        _ => Err(envelope(status, &body).map_or_else(
            || {
                if status == 401 {
                    Error::SignInRequired { status }
                } else {
                    Error::UnexpectedResponse {
                        status,
                        detail: excerpt(&body),
                    }
                }
            },
            Error::Api,
        )),
    }
}

fn envelope(status: u16, body: &[u8]) -> Option<ApiError> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let message = value.get("message")?.as_str()?.to_owned();
    Some(ApiError {
        status,
        message,
        type_key: value
            .get("typeKey")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn paths_are_appended_segment_by_segment_and_encoded() {
        let base = Url::parse("https://example.com/keygate/").unwrap();
        let url = with_path(&base, &["my org", "a/b", "_apis", "$Task"]).unwrap();
        assert_eq!(
            url.as_str(),
            "https://example.com/keygate/my%20org/a%2Fb/_apis/$Task"
        );
        let root = Url::parse("https://dev.azure.com/").unwrap();
        assert_eq!(
            with_path(&root, &["fabrikam", "_apis", "projects"])
                .unwrap()
                .as_str(),
            "https://dev.azure.com/fabrikam/_apis/projects"
        );
    }

    #[test]
    fn a_list_answer_reads_its_values_and_tolerates_missing_optional_fields() {
        let list: List<Build> = read(answer(200, r#"{"count":1,"value":[{"id":7}]}"#)).unwrap();
        assert_eq!(list.value[0].id, 7);
        assert_eq!(list.value[0].definition, None);
    }

    #[test]
    fn the_203_sign_in_page_is_sign_in_required() {
        let r: Result<Profile, _> = read(answer(203, "<html>Sign in</html>"));
        assert!(matches!(r, Err(Error::SignInRequired { status: 203 })));
    }

    #[test]
    fn tf400813_is_an_api_error_that_needs_authorization() {
        let r: Result<Profile, _> = read(answer(
            401,
            r#"{"$id":"1","message":"TF400813: The user 'x' is not authorized to access this resource.","typeKey":"UnauthorizedRequestException"}"#,
        ));
        match r {
            Err(e @ Error::Api(_)) => {
                assert!(e.needs_authorization());
                let Error::Api(api) = e else { unreachable!() };
                assert!(api.is_tf400813());
                assert_eq!(
                    api.type_key.as_deref(),
                    Some("UnauthorizedRequestException")
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_bare_401_is_sign_in_required_and_other_failures_are_unexpected() {
        let r: Result<Profile, _> = read(answer(401, ""));
        assert!(matches!(r, Err(Error::SignInRequired { status: 401 })));
        let r: Result<Profile, _> = read(answer(502, "<html>bad gateway</html>"));
        assert!(matches!(
            r,
            Err(Error::UnexpectedResponse { status: 502, .. })
        ));
        let r: Result<Profile, _> = read(answer(200, r#"{"displayName":"no id"}"#));
        assert!(matches!(
            r,
            Err(Error::UnexpectedResponse { status: 200, .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn no_api_answer_makes_the_reader_panic(status in 100u16..600, body in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _: Result<Vec<Build>, _> = read::<List<Build>>(Answer { status, body: body.clone() }).map(|l| l.value);
            let _: Result<WorkItem, _> = read(Answer { status, body: body.clone() });
            let _: Result<Profile, _> = read(Answer { status, body });
        }

        #[test]
        fn no_json_api_answer_makes_the_reader_panic(status in 100u16..600, text in ".*", n in proptest::prelude::any::<i64>()) {
            for body in [
                json!({"count": n, "value": [{"id": n, "buildNumber": text, "definition": text}]}),
                json!({"id": n, "fields": {"System.Title": n}}),
                json!({"message": n, "typeKey": text}),
                json!({"message": text}),
            ] {
                let _ = read::<List<Build>>(Answer { status, body: body.to_string().into_bytes() });
                let _ = read::<WorkItem>(Answer { status, body: body.to_string().into_bytes() });
            }
        }
    }
}
