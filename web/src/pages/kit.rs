//! What every page shares: the page chrome and a form's errors.

use axum::http::StatusCode;
use shared::ApiError;
use shared::client::ClientError;
use shared::ui::Chrome;

/// A form's error: on one field, or about the whole form.
#[derive(Debug, Default)]
pub struct Errors {
    field: Option<String>,
    message: Option<String>,
}

impl Errors {
    /// The same message, shown on `field`.
    pub fn at(self, field: &str) -> Errors {
        Errors {
            field: Some(field.to_owned()),
            ..self
        }
    }

    /// Whether the error names a field (else it is about the whole form).
    pub fn has_field(&self) -> bool {
        self.field.is_some()
    }

    /// The message for `field`, if the error is about it.
    pub fn on(&self, field: &str) -> Option<&str> {
        match &self.field {
            Some(f) if f == field => self.message.as_deref(),
            _ => None,
        }
    }

    /// A message not tied to a field shown here.
    pub fn general(&self, shown: &[&str]) -> Option<&str> {
        match &self.field {
            Some(f) if shown.contains(&f.as_str()) => None,
            _ => self.message.as_deref(),
        }
    }

    /// A 4xx (a validation error, a rate limit) becomes a form error; anything else is a real
    /// failure.
    pub fn from_api(err: ApiError) -> Result<Errors, ApiError> {
        if err.status().is_client_error() {
            Ok(Errors {
                field: err.field().map(str::to_owned),
                message: Some(err.message().to_owned()),
            })
        } else {
            Err(err)
        }
    }

    /// A 4xx from auth becomes a form error; anything else is a real failure.
    pub fn from_client(err: ClientError) -> Result<(Errors, StatusCode), ApiError> {
        match err.api_error() {
            Some(api) if api.status().is_client_error() => Ok((
                Errors {
                    field: api.field().map(str::to_owned),
                    message: Some(api.message().to_owned()),
                },
                api.status(),
            )),
            _ => Err(err.into()),
        }
    }
}

pub fn chrome(signed_in: bool, csrf: &str) -> Chrome {
    Chrome {
        signed_in,
        csrf_token: csrf.to_owned(),
        founder: signed_in && super::session::visitor_is_founder(),
    }
}

/// A form's text fields from a multipart body, read as axum's `Form` reads the same fields sent
/// urlencoded, so one struct (and its `Option`s, defaults and flattening) serves both encodings.
/// Of a repeated name the first counts.
pub fn text_form<T: serde::de::DeserializeOwned>(
    pairs: impl IntoIterator<Item = (String, String)>,
) -> Result<T, ApiError> {
    let mut seen = std::collections::HashSet::new();
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        if seen.insert(name.clone()) {
            encoded.append_pair(&name, &value);
        }
    }
    serde_urlencoded::from_str(&encoded.finish())
        .map_err(|_| ApiError::invalid("form", "the form was not one of ours; reload the page"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_land_on_their_field() {
        let e = Errors {
            message: Some("bad".into()),
            ..Errors::default()
        }
        .at("email");
        assert_eq!(e.on("email"), Some("bad"));
        assert_eq!(e.on("password"), None);
        assert_eq!(e.general(&["email"]), None);
        assert_eq!(e.general(&["password"]), Some("bad"));
    }
}
