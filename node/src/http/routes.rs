//! A service's routes as one table, and its OpenAPI description.
//!
//! Each API lists its routes once ([`Route`]); its router is built from
//! that list ([`router`]), and its OpenAPI 3 description, a static JSON
//! file under `node/openapi/`, is served as it is at `GET
//! /v1/openapi.json` ([`OPENAPI_PATH`]). A test holds the two to each
//! other: every route the router registers is described, and nothing
//! else is ([`operations`]). Every write route is behind the service's
//! [`WriteGuard`].

use std::collections::BTreeSet;

use axum::handler::Handler;
use axum::http::{header, Method};
use axum::response::IntoResponse;
use axum::routing::{self, MethodRouter};
use axum::Router;
use serde_json::Value;

use super::guard::WriteGuard;

/// Where each service serves its OpenAPI description.
pub const OPENAPI_PATH: &str = "/v1/openapi.json";

/// One route: a method on a path (axum's `{param}` syntax, which is
/// OpenAPI's too) and what answers it.
pub struct Route<S> {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: &'static str,
    handler: MethodRouter<S>,
    /// A write guard of its own (a larger body, say), instead of the
    /// router's.
    guard: Option<WriteGuard>,
}

impl<S: Clone + Send + Sync + 'static> Route<S> {
    /// `GET path`.
    pub fn get<H: Handler<T, S>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self {
            method: Method::GET,
            path,
            handler: routing::get(handler),
            guard: None,
        }
    }

    /// `POST path`.
    pub fn post<H: Handler<T, S>, T: 'static>(path: &'static str, handler: H) -> Self {
        Self {
            method: Method::POST,
            path,
            handler: routing::post(handler),
            guard: None,
        }
    }

    /// `POST path` behind `guard` rather than the router's.
    pub fn post_guarded<H: Handler<T, S>, T: 'static>(
        path: &'static str,
        handler: H,
        guard: WriteGuard,
    ) -> Self {
        Self {
            guard: Some(guard),
            ..Self::post(path, handler)
        }
    }

    /// `GET /v1/openapi.json`, answering `description` (a JSON text).
    pub fn openapi(description: &'static str) -> Self {
        Self::get(OPENAPI_PATH, move || async move {
            ([(header::CONTENT_TYPE, "application/json")], description).into_response()
        })
    }
}

/// The router of `routes` (two methods on one path share it), each write
/// (`POST`) behind its own guard or else `guard`.
pub fn router<S: Clone + Send + Sync + 'static>(
    routes: Vec<Route<S>>,
    guard: &WriteGuard,
) -> Router<S> {
    routes.into_iter().fold(Router::new(), |router, route| {
        let handler = if route.method == Method::POST {
            route.guard.as_ref().unwrap_or(guard).apply(route.handler)
        } else {
            route.handler
        };
        router.route(route.path, handler)
    })
}

/// The `(METHOD, path)` pairs of `routes`.
pub fn route_list<S>(routes: &[Route<S>]) -> BTreeSet<(String, String)> {
    routes
        .iter()
        .map(|r| (r.method.as_str().to_owned(), r.path.to_owned()))
        .collect()
}

/// The `(METHOD, path)` pairs an OpenAPI description describes.
pub fn operations(description: &Value) -> BTreeSet<(String, String)> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let Some(paths) = description["paths"].as_object() else {
        return BTreeSet::new();
    };
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (m.to_ascii_uppercase(), path.clone()))
        })
        .collect()
}
