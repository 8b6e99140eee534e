//! Sign-up, log-in, log-out, password reset and account settings.
//! Every form works without JavaScript, keeps what was typed (never a password), shows errors
//! next to their field, and carries the session's CSRF token. No state changes on GET.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde::Deserialize;

use super::WebState;
use super::session::back_to;

mod login;
mod reset;
mod settings;
mod signup;
mod verify;

/// Credentials forms are tiny; a bigger body is refused before anything else happens.
const FORM_LIMIT: usize = 4 * 1024;

fn small() -> DefaultBodyLimit {
    DefaultBodyLimit::max(FORM_LIMIT)
}

/// The pages before signing in (they read no session: signing in and out sets its cookies).
pub fn public_router() -> Router<WebState> {
    Router::new()
        .route(
            "/signup",
            get(signup::page).post(signup::submit).layer(small()),
        )
        .route(
            "/login",
            get(login::page).post(login::submit).layer(small()),
        )
        .route("/login/mfa", post(login::mfa_submit).layer(small()))
        .route("/logout", post(login::logout))
        .route(
            "/forgot",
            get(reset::forgot_page)
                .post(reset::forgot_submit)
                .layer(small()),
        )
        .route(
            "/reset/{token}",
            get(reset::page).post(reset::submit).layer(small()),
        )
        .route(
            "/verify/{token}",
            get(verify::account_page).post(verify::account_submit),
        )
        .route(
            "/confirm-email/{token}",
            get(verify::email_page).post(verify::email_submit),
        )
}

/// The account settings (signed in). Every form here goes back to the settings page after
/// logging in.
pub fn settings_router() -> Router<WebState> {
    Router::new()
        .route("/app/settings", get(settings::page))
        .route(
            "/app/settings/password",
            post(settings::password).layer(small()),
        )
        .route(
            "/app/settings/api-keys",
            post(settings::create_key).layer(small()),
        )
        // POST because HTML forms cannot send DELETE.
        .route(
            "/app/settings/api-keys/{id}/delete",
            post(settings::delete_key),
        )
        .route("/app/settings/export", get(settings::export))
        .route("/app/settings/2fa/setup", post(settings::totp_setup))
        .route(
            "/app/settings/2fa/enable",
            post(settings::totp_enable).layer(small()),
        )
        .route(
            "/app/settings/2fa/disable",
            post(settings::totp_disable).layer(small()),
        )
        .route(
            "/app/settings/delete",
            post(settings::delete).layer(small()),
        )
        .route("/app/settings/email", post(settings::email).layer(small()))
        // POST because HTML forms cannot send DELETE.
        .route(
            "/app/settings/sessions/{id}/revoke",
            post(settings::revoke_session),
        )
        .route(
            "/app/settings/sessions/revoke-others",
            post(settings::revoke_others),
        )
        .route_layer(back_to("/app/settings"))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    invite: Option<String>,
    notice: Option<String>,
    utm_source: Option<String>,
}
