//! Reading the code form as posted: urlencoded (the live preview, older pages) or multipart (the
//! page's own form, which can carry a logo file while creating). Both are read into name/value
//! pairs so that repeated fields — one `country` and `country_url` per country rule — become
//! rows, which a flat form extractor cannot do.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use shared::ApiError;

use super::form::{CodeForm, CountryRow};
use crate::pages::WebState;
use crate::pages::kit::text_form;
use crate::pages::session::csrf_form;

/// The code form and, when one was chosen, the logo file sent with it.
pub(super) struct CodeSubmission {
    pub csrf_token: String,
    pub form: CodeForm,
    /// Empty when no file was chosen (a browser sends an empty part then).
    pub logo: Bytes,
}

csrf_form!(CodeSubmission);

impl FromRequest<WebState> for CodeSubmission {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &WebState) -> Result<Self, ApiError> {
        let bad = || ApiError::invalid("form", "the form was cut short; send it again");
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let mut pairs = Vec::new();
        let mut logo = Bytes::new();
        if multipart {
            let mut parts = Multipart::from_request(request, state)
                .await
                .map_err(|_| bad())?;
            while let Some(field) = parts.next_field().await.map_err(|_| bad())? {
                let name = field.name().unwrap_or_default().to_owned();
                if name == "logo_file" {
                    logo = field.bytes().await.map_err(|_| bad())?;
                } else {
                    pairs.push((name, field.text().await.map_err(|_| bad())?));
                }
            }
        } else {
            let body = Bytes::from_request(request, state)
                .await
                .map_err(|_| bad())?;
            pairs = url::form_urlencoded::parse(&body).into_owned().collect();
        }
        let form = form_of(pairs)?;
        Ok(CodeSubmission {
            csrf_token: form.csrf_token.clone(),
            form,
            logo,
        })
    }
}

/// The form from its pairs: `country`/`country_url` in order become rows (a browser sends
/// every row's two fields, empty or not, so the n-th of each belong together); of any other
/// repeated name the first counts.
pub(super) fn form_of(pairs: Vec<(String, String)>) -> Result<CodeForm, ApiError> {
    let (mut countries, mut urls, mut fields) = (Vec::new(), Vec::new(), Vec::new());
    for (name, value) in pairs {
        match name.as_str() {
            "country" => countries.push(value),
            "country_url" => urls.push(value),
            _ => fields.push((name, value)),
        }
    }
    let mut form: CodeForm = text_form(fields)?;
    let rows = countries.len().max(urls.len());
    form.rules.countries = (0..rows)
        .map(|i| CountryRow {
            country: countries.get(i).cloned().unwrap_or_default(),
            url: urls.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn repeated_country_fields_become_rows_in_order() {
        let form = form_of(pairs(&[
            ("name", "Menu"),
            ("country", "DE"),
            ("country_url", "https://example.de/"),
            ("country", ""),
            ("country_url", ""),
            ("country", "FR"),
            ("country_url", "https://example.fr/"),
            ("time_zone", "Europe/Paris"),
        ]))
        .unwrap();
        assert_eq!(form.name, "Menu");
        assert_eq!(form.rules.time_zone, "Europe/Paris");
        let rows: Vec<_> = form
            .rules
            .countries
            .iter()
            .map(|r| (r.country.as_str(), r.url.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("DE", "https://example.de/"),
                ("", ""),
                ("FR", "https://example.fr/")
            ]
        );
        // The blank row is skipped: DE is route 0 and FR route 1, and the blank has none.
        assert_eq!(form.rules.country_route(0), Some(0));
        assert_eq!(form.rules.country_route(1), None);
        assert_eq!(form.rules.country_route(2), Some(1));
    }
}
