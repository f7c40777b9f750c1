//! The middleware every route is wrapped in, as one stack.
//!
//! axum wraps each route in each `Router::layer` separately, and every request then clones the
//! boxed route under every layer; one layer made of the whole stack costs one. Outermost first:
//! the security headers over every answer (refusals included), the request deadline, the metrics
//! (which read token bodies, and see the refusals of everything inside), the body limits, the
//! rate limits, and the error pages restyled for a signed-in visitor.

use axum::body::Body;
use axum::http::Request;
use axum::middleware::from_fn_with_state;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::body::Limited;

use crate::state::AppState;

/// `routes`, each wrapped in the whole stack.
pub(crate) fn wrap(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    let limits = &state.limits;
    routes.layer(
        ServiceBuilder::new()
            .layer(crate::headers::layer(&state.public_url))
            .layer(crate::limits::deadline(limits))
            .layer(from_fn_with_state(state.clone(), crate::metrics::track))
            .layer(crate::limits::body_limit(limits))
            // The middleware below reads axum's own body type.
            .map_request(|request: Request<Limited<Body>>| request.map(Body::new))
            .layer(crate::limits::extractor_body_limit(limits))
            .layer(from_fn_with_state(
                state.clone(),
                crate::rate_limit::enforce,
            ))
            .layer(from_fn_with_state(
                state.clone(),
                crate::error::with_visitors_header,
            )),
    )
}
