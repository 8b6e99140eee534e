//! The OpenAPI description of the JSON API under `/api/v1`. It is generated from the handlers:
//! every service builds its API routes with [`OpenApiRouter`] and `utoipa_axum::routes!`, which
//! registers a route and its `#[utoipa::path]` entry together, so a route cannot exist without
//! being in the spec. Web merges the services' parts with [`document`] and serves the result at
//! `GET /api/v1/openapi.json` (and as the readable page `/docs/api`).

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, Ref, RefOr, Tag};
use utoipa::{PartialSchema, ToSchema};

pub use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};

use crate::error::{ErrorBody, ErrorDetail};

/// The name of the bearer security scheme (access token or API key).
pub const BEARER: &str = "bearer";

/// Every operation of `api`, mutably.
pub fn operations_mut(api: &mut OpenApi) -> impl Iterator<Item = &mut Operation> {
    api.paths
        .paths
        .values_mut()
        .flat_map(|item: &mut PathItem| {
            [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ]
        })
        .filter_map(Option::as_mut)
}

/// Files every operation of `api` under `tag` (the page groups by it), unless it names its own.
pub fn tagged(mut api: OpenApi, tag: &str) -> OpenApi {
    for op in operations_mut(&mut api) {
        if op.tags.as_ref().is_none_or(Vec::is_empty) {
            op.tags = Some(vec![tag.to_owned()]);
        }
    }
    api
}

/// The whole API from the services' parts: title and version, the bearer scheme required by
/// default (public operations say `security(())`), and on every operation the common error
/// answer `{"error":{"code","message"}}` for 4XX and 5XX statuses.
pub fn document(parts: impl IntoIterator<Item = OpenApi>) -> OpenApi {
    let mut api = OpenApi::new(
        InfoBuilder::new()
            .title("Scanpage API")
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some(
                "Dynamic QR codes, microsites and scan analytics. JSON under `/api/v1`; errors \
                 are `{\"error\":{\"code\",\"message\"}}`. Authenticate with \
                 `Authorization: Bearer <access token or API key>`.",
            ))
            .build(),
        utoipa::openapi::Paths::new(),
    );
    for part in parts {
        api.merge(part);
    }
    let components = api.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        BEARER.to_owned(),
        RefOr::T(SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token from /api/v1/auth/login (or signup, refresh), or an API key.",
                ))
                .build(),
        )),
    );
    components
        .schemas
        .insert(ErrorBody::name().into_owned(), ErrorBody::schema());
    components
        .schemas
        .insert(ErrorDetail::name().into_owned(), ErrorDetail::schema());
    api.security = Some(vec![SecurityRequirement::new::<_, _, &str>(BEARER, [])]);
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                        .build(),
                )
                .build(),
        )
    };
    let mut tags = std::collections::BTreeSet::new();
    for op in operations_mut(&mut api) {
        let responses = &mut op.responses.responses;
        for (status, description) in [
            ("4XX", "The request was refused (the code says why)."),
            ("5XX", "The server or a service it needs failed."),
        ] {
            responses
                .entry(status.to_owned())
                .or_insert_with(|| error(description));
        }
        tags.extend(op.tags.iter().flatten().cloned());
    }
    api.tags = Some(tags.into_iter().map(Tag::new).collect());
    api
}
