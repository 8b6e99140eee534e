//! Many codes at once: `POST /api/v1/qr/bulk` creates up to 1,000 url codes from a CSV body
//! (all in one transaction, or none with a report of every bad row), and
//! `GET /api/v1/qr/export.zip` hands back the images of many codes in one zip.

use std::io::Write;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use shared::ApiError;
use shared::extract::{Json, Query};
use shared::identity::{Principal, Scope};

use crate::api_state::ApiState;
pub use crate::contract::{BulkCreated, RowError};
use crate::contract::{Changes, QrView};
use crate::error::QrError;
use crate::images::{Format, file_name};
use crate::render;

pub const MAX_ROWS: usize = 1_000;
/// A CSV of 1,000 rows of long URLs fits easily; the route's body limit.
pub const MAX_CSV_BYTES: usize = 4 * 1024 * 1024;
pub const MAX_EXPORT: usize = 200;
pub const MAX_EXPORT_SIZE: u32 = 2048;

#[derive(Debug)]
pub enum CsvError {
    /// The file as a whole: no header, unknown columns, too many rows.
    File {
        code: &'static str,
        message: String,
    },
    Rows(Vec<RowError>),
}

/// Reads `name,destination[,tags]` rows (header required, columns in any order, tags separated
/// by `;` or `|`). Values are taken as text: a name like `=HYPERLINK(..)` is stored as typed and
/// escaped wherever it is shown.
pub fn parse_csv(body: &[u8]) -> Result<Vec<(u64, Changes)>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let file = |code, message: &str| CsvError::File {
        code,
        message: message.to_owned(),
    };
    let headers = reader
        .headers()
        .map_err(|_| {
            file(
                "invalid_csv",
                "the first line must be a header: name,destination,tags",
            )
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect::<Vec<_>>();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(name_at), Some(destination_at)) = (column("name"), column("destination")) else {
        return Err(file(
            "invalid_csv",
            "the header must name the columns name and destination (and optionally tags)",
        ));
    };
    let tags_at = column("tags");
    if let Some(other) = headers
        .iter()
        .find(|h| !["name", "destination", "tags"].contains(&h.as_str()))
    {
        return Err(CsvError::File {
            code: "invalid_csv",
            message: format!(
                "unknown column '{}': use name, destination, tags",
                other.chars().take(40).collect::<String>()
            ),
        });
    }

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        if rows.len() + errors.len() >= MAX_ROWS {
            return Err(file(
                "too_many_rows",
                "at most 1,000 rows per upload: split the file",
            ));
        }
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let row = err.position().map_or(0, csv::Position::line);
                errors.push(RowError {
                    row,
                    field: "row".into(),
                    message: "this line is not readable CSV text (UTF-8)".into(),
                });
                continue;
            }
        };
        let row = record.position().map_or(0, csv::Position::line);
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default();
        let tags = get(tags_at)
            .split([';', '|'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        rows.push((
            row,
            Changes {
                name: Some(get(Some(name_at)).to_owned()),
                destination: Some(get(Some(destination_at)).to_owned()),
                tags: Some(tags),
                ..Changes::default()
            },
        ));
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(file("invalid_csv", "the file has no rows under its header"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(CsvError::Rows(errors))
    }
}

/// 422 with every row's problem, in the usual error shape plus `rows`.
fn rows_answer(rows: Vec<RowError>) -> Response {
    let body = serde_json::json!({"error": {
        "code": "invalid_rows",
        "message": format!("{} row(s) have problems; nothing was created.", rows.len()),
        "rows": rows,
    }});
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}

#[utoipa::path(post, path = "/api/v1/qr/bulk",
    request_body(content = String, content_type = "text/csv", description = "A header line and one code per row"),
    responses((status = 201, description = "Every row created", body = BulkCreated)))]
pub async fn create(
    State(state): State<ApiState>,
    principal: Principal,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require(Scope::QrWrite)?;
    let rows = match parse_csv(&body) {
        Ok(rows) => rows,
        Err(CsvError::File { code, message }) => {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).with_field("csv"),
            );
        }
        Err(CsvError::Rows(rows)) => return Ok(rows_answer(rows)),
    };
    let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
    let changes = rows.into_iter().map(|(_, c)| c).collect();
    // Validating 1,000 rows encodes 1,000 symbols: CPU work, off the async workers.
    let service = state.service.clone();
    let owner = principal.user_id.clone();
    let prepared = tokio::task::spawn_blocking(move || service.prepare_many(&owner, changes))
        .await
        .map_err(ApiError::internal)?;
    let codes = match prepared {
        Ok(codes) => codes,
        Err(problems) => {
            let rows = problems
                .into_iter()
                .map(|(i, err)| {
                    let err = ApiError::from(err);
                    RowError {
                        row: lines.get(i).copied().unwrap_or_default(),
                        field: err.field().unwrap_or("row").to_owned(),
                        message: err.message().to_owned(),
                    }
                })
                .collect();
            return Ok(rows_answer(rows));
        }
    };
    state.service.insert_many(&codes).await?;
    let base = state.service.public_base_url();
    let items: Vec<QrView> = codes.into_iter().map(|qr| QrView::of(qr, base)).collect();
    Ok((
        StatusCode::CREATED,
        Json(BulkCreated {
            created: items.len(),
            items,
        }),
    )
        .into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// Comma-separated ids of the caller's codes (default: the newest ones).
    ids: Option<String>,
    /// PNG width in pixels (default 1024).
    #[param(minimum = 64, maximum = 2048)]
    size: Option<u32>,
}

/// A zip of the PNG (at `size`, default 1,024 px) and SVG of each code: the `ids` given (all
/// must be the caller's, else 404), or the caller's newest codes up to [`MAX_EXPORT`].
#[utoipa::path(get, path = "/api/v1/qr/export.zip", params(ExportParams),
    responses((status = 200, description = "A zip of each code's PNG and SVG", content_type = "application/zip", body = Vec<u8>)))]
pub async fn export(
    State(state): State<ApiState>,
    principal: Principal,
    Query(params): Query<ExportParams>,
) -> Result<Response, ApiError> {
    principal.require(Scope::QrRead)?;
    let size = params.size.unwrap_or(1024);
    if !(render::MIN_SIZE..=MAX_EXPORT_SIZE).contains(&size) {
        return Err(ApiError::invalid(
            "size",
            format!(
                "the size must be {}–{MAX_EXPORT_SIZE} pixels",
                render::MIN_SIZE
            ),
        ));
    }
    let store = state.service.store();
    let codes = match params.ids.as_deref() {
        Some(ids) => {
            let mut ids: Vec<String> = ids
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect();
            ids.sort();
            ids.dedup();
            if ids.is_empty() || ids.len() > MAX_EXPORT {
                return Err(ApiError::invalid(
                    "ids",
                    format!("give 1–{MAX_EXPORT} comma-separated ids"),
                ));
            }
            let codes = store.get_many(&principal.user_id, &ids).await?;
            // One id that is not theirs (or does not exist) and nothing is exported.
            if codes.len() != ids.len() {
                return Err(QrError::NotFound.into());
            }
            codes
        }
        None => store.newest(&principal.user_id, MAX_EXPORT).await?,
    };

    let base = state.service.public_base_url();
    let mut files: Vec<(String, Bytes, bool)> = Vec::with_capacity(codes.len() * 2);
    for qr in &codes {
        let payload = qr.payload(base)?;
        for format in [Format::Png, Format::Svg] {
            // Each render runs on the blocking pool and lands in the render cache.
            let (bytes, _) = state
                .service
                .images()
                .render(payload.clone(), qr.style.clone(), format, size)
                .await?;
            files.push((
                file_name(&qr.name, &qr.code, format, size),
                bytes,
                format == Format::Svg,
            ));
        }
    }
    let zip = tokio::task::spawn_blocking(move || build_zip(&files))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;

    Ok(crate::download::file(
        zip,
        &[
            (header::CONTENT_TYPE, "application/zip"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"scanpage-codes.zip\"",
            ),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
    ))
}

/// A zip of `(name, bytes, deflate)` files: what is compressed already (PNGs) is stored as it
/// is, text is deflated. Also the account export's (web).
pub fn build_zip<B: AsRef<[u8]>>(
    files: &[(String, B, bool)],
) -> Result<Vec<u8>, zip::result::ZipError> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, deflate) in files {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        zip.start_file(
            name.as_str(),
            SimpleFileOptions::default().compression_method(method),
        )?;
        zip.write_all(bytes.as_ref())?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn rows_are_read_with_their_line_numbers_and_tags() {
        let csv = "Name,Destination,Tags\n\"Menu, spring\",https://example.com/a,food;spring\n=SUM(A1),https://example.com/b,x|y\n";
        let rows = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        assert_eq!(rows[0].1.name.as_deref(), Some("Menu, spring"));
        assert_eq!(
            rows[0].1.tags.as_deref(),
            Some(&["food".to_owned(), "spring".to_owned()][..])
        );
        assert_eq!(rows[1].0, 3);
        assert_eq!(
            rows[1].1.name.as_deref(),
            Some("=SUM(A1)"),
            "formulas are just text"
        );
        assert_eq!(rows[1].1.tags.as_ref().unwrap().len(), 2);
    }

    #[test]
    fn headers_and_row_counts_are_checked() {
        assert!(matches!(
            parse_csv(b"title,url\na,b\n"),
            Err(CsvError::File { .. })
        ));
        assert!(matches!(
            parse_csv(b"name,destination,colour\na,b,c\n"),
            Err(CsvError::File { .. })
        ));
        assert!(matches!(
            parse_csv(b"name,destination\n"),
            Err(CsvError::File { .. })
        ));
        let mut big = String::from("name,destination\n");
        for i in 0..MAX_ROWS {
            let _ = writeln!(big, "n{i},https://example.com/{i}");
        }
        assert_eq!(parse_csv(big.as_bytes()).unwrap().len(), MAX_ROWS);
        big.push_str("one,https://example.com/too-many\n");
        assert!(matches!(
            parse_csv(big.as_bytes()),
            Err(CsvError::File {
                code: "too_many_rows",
                ..
            })
        ));
    }
}
