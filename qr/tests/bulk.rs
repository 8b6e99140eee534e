//! Bulk creation from CSV (all or nothing) and the zip export, on SQLite and PostgreSQL.

mod common;

use std::io::Read;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::Qr;
use serde_json::json;
use shared::testing::{TestDb, backend_tests};
use std::fmt::Write as _;

async fn upload(qr: &Qr, user: &str, csv: String) -> common::Answer {
    qr.send(
        Request::post("/api/v1/qr/bulk")
            .header("authorization", format!("Bearer {}", qr.token(user)))
            .header("content-type", "text/csv")
            .body(Body::from(csv))
            .unwrap(),
    )
    .await
}

async fn count(qr: &Qr, user: &str) -> usize {
    let list = qr
        .call(
            Method::GET,
            "/api/v1/qr?limit=100",
            Some(&qr.token(user)),
            None,
        )
        .await;
    list.json()["items"].as_array().unwrap().len()
}

backend_tests!(a_csv_creates_every_row_or_none_with_a_report);
async fn a_csv_creates_every_row_or_none_with_a_report(db: TestDb) {
    let qr = Qr::start(&db).await;
    let bad = "name,destination,tags\n\
                   Menu,https://example.com/menu,food\n\
                   Evil,javascript:alert(1),\n\
                   ,https://example.com/nameless,\n\
                   Fine,https://example.com/fine,a|b\n";
    let answer = upload(&qr, "alice", bad.into()).await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.text()
    );
    let error = &answer.json()["error"];
    assert_eq!(error["code"], "invalid_rows");
    assert_eq!(
        error["rows"],
        json!([
            {"row": 3, "field": "destination", "message": error["rows"][0]["message"]},
            {"row": 4, "field": "name", "message": error["rows"][1]["message"]}
        ])
    );
    assert_eq!(count(&qr, "alice").await, 0, "nothing was created");

    let good = "name,destination,tags\n\
                    \"Menu, spring\",https://example.com/menu,food;spring\n\
                    =HYPERLINK(\"http://x\"),https://example.com/b,\n";
    let answer = upload(&qr, "alice", good.into()).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["created"], 2);
    assert_eq!(body["items"][0]["name"], "Menu, spring");
    assert_eq!(body["items"][0]["tags"], json!(["food", "spring"]));
    assert_eq!(
        body["items"][1]["name"], "=HYPERLINK(\"http://x\")",
        "stored as text"
    );
    assert!(
        body["items"][0]["short_url"]
            .as_str()
            .unwrap()
            .starts_with("http://scan.test/r/")
    );
    assert_eq!(count(&qr, "alice").await, 2);
    assert_eq!(count(&qr, "bob").await, 0);
    println!("bulk csv ok on {}", db.backend.name());
}

backend_tests!(more_than_a_thousand_rows_are_refused);
async fn more_than_a_thousand_rows_are_refused(db: TestDb) {
    let qr = Qr::start(&db).await;
    let mut csv = String::from("name,destination\n");
    for i in 0..1_001 {
        let _ = writeln!(csv, "Code {i},https://example.com/{i}");
    }
    let answer = upload(&qr, "alice", csv).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["error"]["code"], "too_many_rows");
    assert_eq!(count(&qr, "alice").await, 0);

    let no_header = upload(&qr, "alice", "https://example.com/,x\n".into()).await;
    assert_eq!(no_header.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_header.json()["error"]["field"], "csv");
    println!("bulk limits ok on {}", db.backend.name());
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().unwrap().into_owned(), data)
        })
        .collect()
}

backend_tests!(export_zips_the_callers_images_and_nobody_elses);
async fn export_zips_the_callers_images_and_nobody_elses(db: TestDb) {
    let qr = Qr::start(&db).await;
    let menu = qr
        .create(
            "alice",
            json!({"name": "Menu ../../etc", "destination": "https://example.com/m"}),
        )
        .await;
    let bar = qr
        .create(
            "alice",
            json!({"name": "Bar", "destination": "https://example.com/b"}),
        )
        .await;
    let bobs = qr
        .create(
            "bob",
            json!({"name": "Bob", "destination": "https://example.com/x"}),
        )
        .await;
    let (m, b) = (menu["id"].as_str().unwrap(), bar["id"].as_str().unwrap());
    let token = qr.token("alice");

    let answer = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr/export.zip?ids={m},{b}&size=256"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.header("content-type"), "application/zip");
    let files = unzip(&answer.body);
    assert_eq!(files.len(), 4);
    let menu_code = menu["code"].as_str().unwrap();
    let png_name = format!("scanpage-menu-etc-{menu_code}-256.png");
    let (_, png) = files
        .iter()
        .find(|(name, _)| *name == png_name)
        .unwrap_or_else(|| {
            panic!(
                "{png_name} in {:?}",
                files.iter().map(|f| &f.0).collect::<Vec<_>>()
            )
        });
    assert!(
        files
            .iter()
            .all(|(name, _)| !name.contains('/') && !name.contains(".."))
    );
    assert_eq!(
        common::decode_png(png),
        format!("http://scan.test/r/{menu_code}")
    );
    let svg = files
        .iter()
        .find(|(name, _)| {
            std::path::Path::new(name)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
        })
        .unwrap();
    assert!(String::from_utf8_lossy(&svg.1).contains("<svg"));

    let all = qr
        .call(Method::GET, "/api/v1/qr/export.zip", Some(&token), None)
        .await;
    assert_eq!(
        unzip(&all.body).len(),
        4,
        "all of alice's codes, none of bob's"
    );

    let theirs = qr
        .call(
            Method::GET,
            &format!(
                "/api/v1/qr/export.zip?ids={m},{}",
                bobs["id"].as_str().unwrap()
            ),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let huge = qr
        .call(
            Method::GET,
            &format!("/api/v1/qr/export.zip?ids={m}&size=100000"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(huge.status, StatusCode::UNPROCESSABLE_ENTITY);
    println!("export ok on {}", db.backend.name());
}
