//! `scanpage backup`: a consistent copy of the SQLite database(s) while the server keeps running.
//! `VACUUM INTO` reads inside one transaction, so the copy is a single point in time even with
//! writers active (WAL mode lets them carry on), and the copy is compacted and self-contained (no
//! `-wal` file beside it). PostgreSQL is backed up with `pg_dump` instead (docs/operations.md, "Backups").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use shared::Error;
use shared::config::{Service, Settings};
use shared::db::{Backend, Db, backend_of};

/// One database copied: the services it holds and where the copy went.
#[derive(Debug)]
pub struct Copied {
    pub services: Vec<Service>,
    pub to: PathBuf,
}

/// Copies every SQLite database the settings name. One database (the usual all-in-one case) is
/// copied to `dest`; several go into the folder `dest`, one `<first service>.db` each. An existing
/// file is never overwritten, and a PostgreSQL database is refused with the `pg_dump` hint before
/// anything is copied.
pub async fn backup(settings: &Settings, dest: &Path) -> Result<Vec<Copied>, Error> {
    let mut by_url: BTreeMap<String, (String, Vec<Service>)> = BTreeMap::new();
    for service in Service::ALL {
        let target = settings.database_for(service);
        by_url
            .entry(target.url)
            .or_insert_with(|| (target.source, Vec::new()))
            .1
            .push(service);
    }
    for (url, (source, _)) in &by_url {
        if backend_of(url) != Some(Backend::Sqlite) {
            return Err(Error::Config(format!(
                "{source}: `scanpage backup` copies SQLite databases; back up PostgreSQL with \
                 pg_dump (see docs/operations.md, \"Backups\")"
            )));
        }
    }
    let several = by_url.len() > 1;
    if several {
        std::fs::create_dir_all(dest)
            .map_err(|e| Error::Config(format!("{}: {e}", dest.display())))?;
    }
    let mut copied = Vec::new();
    for (url, (source, services)) in by_url {
        let to = if several {
            dest.join(format!("{}.db", services[0]))
        } else {
            dest.to_path_buf()
        };
        if to.exists() {
            return Err(Error::Config(format!(
                "{}: already exists; a backup never overwrites a file",
                to.display()
            )));
        }
        let file = url
            .trim_start_matches("sqlite://")
            .split('?')
            .next()
            .unwrap_or_default();
        if !Path::new(file).exists() {
            return Err(Error::Config(format!(
                "{source}: there is no database at {file} to back up"
            )));
        }
        let target = shared::config::DatabaseTarget {
            url: url.clone(),
            source: source.clone(),
        };
        let db = Db::connect(&target).await?;
        let to_text = to
            .to_str()
            .ok_or_else(|| Error::Config(format!("{}: not a UTF-8 path", to.display())))?;
        sqlx::query("VACUUM INTO $1")
            .bind(to_text)
            .execute(db.pool())
            .await
            .map_err(|e| Error::Config(format!("{}: the copy failed: {e}", to.display())))?;
        db.close().await;
        copied.push(Copied { services, to });
    }
    Ok(copied)
}
