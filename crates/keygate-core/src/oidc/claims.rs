//! The claims a user's record gives, by scope (OpenID Connect Core §5.4); what the record does
//! not hold (address, phone) is omitted, never sent as null.

use serde_json::{Map, Value};

use crate::model::{App, User};
use crate::scopes::ScopeSet;

/// The subject identifier of `user` for `app`: the user's id, which never changes, or for an
/// app with a pairwise subject (Core §8.1) a value of that app's own: base64url of
/// SHA-256(`keygate-pairwise-sub:{app}:{user}`), stable and different for every app. It keeps
/// the ID token and UserInfo from naming the user alike across apps; the Azure-shaped access
/// token's `nameid` (protocol §5) still carries the user's id.
pub fn subject(app: &App, user: &User) -> String {
    if !app.pairwise_subject {
        return user.id.to_string();
    }
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("keygate-pairwise-sub:{}:{}", app.id, user.id));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Every claim name [`user_claims`] may return, for the discovery document.
pub const CLAIMS_SUPPORTED: [&str; 5] = [
    "sub",
    "name",
    "preferred_username",
    "email",
    "email_verified",
];

/// The scopes that release the claims an OpenID Connect `claims` request parameter names, in
/// its `userinfo` or `id_token` member (Core §5.5); unknown claims are ignored, as §5.5 allows.
/// The error is the `error_description` of an `invalid_request`.
pub fn scopes_for_claims_parameter(raw: Option<&str>) -> Result<Vec<&'static str>, &'static str> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let invalid = "claims must be a JSON object with userinfo and id_token members";
    let Ok(Value::Object(request)) = serde_json::from_str::<Value>(raw) else {
        return Err(invalid);
    };
    let mut scopes = Vec::new();
    for member in ["userinfo", "id_token"] {
        let names = match request.get(member) {
            None | Some(Value::Null) => continue,
            Some(Value::Object(names)) => names,
            Some(_) => return Err(invalid),
        };
        for name in names.keys() {
            let scope = match name.as_str() {
                "name" | "preferred_username" => "profile",
                "email" | "email_verified" => "email",
                _ => continue,
            };
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
    }
    Ok(scopes)
}

/// The claims of `user` that `scopes` release (`sub` always), plus the `essential` claim names
/// the request's `claims` parameter asked for by name.
pub fn user_claims(
    app: &App,
    user: &User,
    scopes: &ScopeSet,
    requested: &[String],
) -> Map<String, Value> {
    let wants =
        |scope: &str, claim: &str| scopes.contains(scope) || requested.iter().any(|r| r == claim);
    let mut claims = Map::new();
    claims.insert("sub".into(), Value::String(subject(app, user)));
    if wants("profile", "name") {
        claims.insert("name".into(), Value::String(user.display_name.clone()));
    }
    if wants("profile", "preferred_username") {
        claims.insert(
            "preferred_username".into(),
            Value::String(user.email.clone()),
        );
    }
    if wants("email", "email") {
        claims.insert("email".into(), Value::String(user.email.clone()));
        // Keygate does not prove that a person reads the address they registered with.
        claims.insert("email_verified".into(), Value::Bool(false));
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;

    fn ana() -> User {
        User {
            id: UserId::new_random(),
            email: "ana@example.com".into(),
            display_name: "Ana".into(),
            public_alias: "alias".into(),
            created_at: 0,
        }
    }

    #[test]
    fn the_claims_parameter_names_the_scopes_that_release_its_claims() {
        let asked =
            r#"{"userinfo":{"name":{"essential":true},"picture":null},"id_token":{"email":null}}"#;
        assert_eq!(
            scopes_for_claims_parameter(Some(asked)),
            Ok(vec!["profile", "email"])
        );
        assert_eq!(scopes_for_claims_parameter(None), Ok(vec![]));
        assert!(scopes_for_claims_parameter(Some("[1]")).is_err());
        assert!(scopes_for_claims_parameter(Some(r#"{"userinfo":3}"#)).is_err());
    }

    #[test]
    fn claims_follow_the_scopes_and_absent_data_is_omitted() {
        let user = ana();
        let app = crate::model::App {
            id: crate::ids::AppId::new_random(),
            owner_id: user.id,
            name: String::new(),
            company_name: String::new(),
            description: String::new(),
            website: String::new(),
            company_website: String::new(),
            terms_url: String::new(),
            privacy_url: String::new(),
            logo_url: String::new(),
            callback_url: String::new(),
            scopes: ScopeSet::default(),
            kind: crate::model::ClientKind::Confidential,
            created_at: 0,
            post_logout_redirect_uris: Vec::new(),
            may_introspect: false,
            pairwise_subject: false,
        };
        let pairwise = crate::model::App {
            pairwise_subject: true,
            ..app.clone()
        };
        assert_eq!(subject(&app, &user), user.id.to_string());
        assert_ne!(subject(&pairwise, &user), subject(&app, &user));
        assert_eq!(subject(&pairwise, &user), subject(&pairwise.clone(), &user));
        let only_openid = user_claims(&app, &user, &ScopeSet::parse("openid").unwrap(), &[]);
        assert_eq!(only_openid.len(), 1);
        let all = user_claims(
            &app,
            &user,
            &ScopeSet::parse("openid profile email address phone").unwrap(),
            &[],
        );
        assert_eq!(all["name"], "Ana");
        assert_eq!(all["email"], "ana@example.com");
        assert!(!all.contains_key("address"));
        assert!(!all.contains_key("phone_number"));
        let essential = user_claims(
            &app,
            &user,
            &ScopeSet::parse("openid").unwrap(),
            &["name".into()],
        );
        assert_eq!(essential["name"], "Ana");
    }
}
