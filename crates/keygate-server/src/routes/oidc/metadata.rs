//! The OpenID Provider metadata (OpenID Connect Discovery 1.0 §3) added to the one discovery
//! document served at both well-known paths, so the RFC 8414 view and the OpenID view agree.
//! Only what is implemented is listed.

use keygate_core::keys::ID_TOKEN_ALGORITHM;
use keygate_core::oidc::claims::CLAIMS_SUPPORTED;
use keygate_core::scopes::{catalogue, Availability};
use serde_json::{json, Value};

/// Adds the OpenID Provider fields to the metadata document `doc` of the server at `base`.
pub(crate) fn extend_metadata(doc: &mut Value, base: &str) {
    let Some(map) = doc.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(scopes)) = map.get_mut("scopes_supported") {
        let oidc = catalogue()
            .all()
            .iter()
            .filter(|s| s.availability == Availability::OpenId)
            .map(|s| Value::from(s.name));
        // OpenID scopes first: `openid` is what an OpenID client looks for.
        let api = std::mem::take(scopes);
        scopes.extend(oidc);
        scopes.extend(api);
    }
    let fields = json!({
        "userinfo_endpoint": format!("{base}{}", super::userinfo::USERINFO_PATH),
        "end_session_endpoint": format!("{base}{}", super::logout::LOGOUT_PATH),
        "response_modes_supported": ["query", "form_post"],
        "authorization_response_iss_parameter_supported": true,
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": [ID_TOKEN_ALGORITHM.as_str()],
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    if let Value::Object(fields) = fields {
        map.extend(fields);
    }
}
