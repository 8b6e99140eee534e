//! Is what this process writes going to survive a deploy? A container's own disk is thrown away
//! at every deploy; a beta that runs on it loses its users without anyone noticing. At start the
//! data folder (uploads, the generated signing key, the event overflow files) and any SQLite file
//! are checked: they must be writable, and in a container (or with `PERSISTENT_DATA=required`)
//! they should sit on a mounted volume. What is wrong is said loudly in the log and in `/readyz`'s
//! body; with `required` the process refuses to start instead.

use std::path::{Path, PathBuf};

use crate::config::{Service, Settings};
use crate::db::{Backend, backend_of};
use crate::error::Error;

/// `PERSISTENT_DATA`: when to insist that files outlive the container.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PersistenceRule {
    /// Check when running in a container (Docker, Railway, Render, Fly, Kubernetes): warn.
    #[default]
    Auto,
    /// Refuse to start unless the data folder and SQLite files are on a mounted volume.
    Required,
    /// Never check (a throw-away demo).
    Off,
}

/// What the check found, for the start-up log and `/readyz`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorageReport {
    /// Each a sentence saying what will be lost and what to do.
    pub warnings: Vec<String>,
}

/// The mount points of this process's view of the file system, and whether it runs in a
/// container: read from `/proc` (Linux), passed in so tests can describe any machine.
#[derive(Clone, Debug, Default)]
pub struct Host {
    pub in_container: bool,
    /// Mount points other than `/`, with their file system type.
    pub mounts: Vec<(PathBuf, String)>,
}

impl Host {
    pub fn detect() -> Host {
        let platform_vars = [
            "RAILWAY_ENVIRONMENT",
            "RENDER",
            "FLY_APP_NAME",
            "KUBERNETES_SERVICE_HOST",
        ];
        let in_container = Path::new("/.dockerenv").exists()
            || Path::new("/run/.containerenv").exists()
            || platform_vars.iter().any(|v| std::env::var_os(v).is_some());
        let mounts = std::fs::read_to_string("/proc/self/mountinfo")
            .map(|text| parse_mountinfo(&text))
            .unwrap_or_default();
        Host {
            in_container,
            mounts,
        }
    }

    /// Whether `path` lives on a mounted file system other than the container's root (and not
    /// in memory).
    fn is_on_volume(&self, path: &Path) -> bool {
        self.mounts
            .iter()
            .filter(|(point, kind)| point != Path::new("/") && kind != "tmpfs" && kind != "overlay")
            .any(|(point, _)| path.starts_with(point))
    }
}

/// Mount points and types from `/proc/self/mountinfo` (fields: id, parent, dev, root, mount
/// point, options, optional fields, `-`, type, …; spaces in paths are written `\040`).
fn parse_mountinfo(text: &str) -> Vec<(PathBuf, String)> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let point = fields.get(4)?;
            let dash = fields.iter().position(|f| *f == "-")?;
            let kind = fields.get(dash + 1)?;
            Some((
                PathBuf::from(point.replace("\\040", " ")),
                (*kind).to_owned(),
            ))
        })
        .collect()
}

/// Checks the data folder and the SQLite files of `services`. An unwritable data folder is an
/// error in any case: nothing would work.
pub fn check(
    settings: &Settings,
    services: &[Service],
    host: &Host,
) -> Result<StorageReport, Error> {
    let data_dir = absolute(&settings.data_dir);
    check_writable(&data_dir)?;
    let rule = settings.persistent_data;
    if rule == PersistenceRule::Off || (rule == PersistenceRule::Auto && !host.in_container) {
        return Ok(StorageReport::default());
    }
    let mut warnings = Vec::new();
    let mut sqlite_files: Vec<PathBuf> = services
        .iter()
        .filter_map(|&service| {
            let target = settings.database_for(service);
            (backend_of(&target.url) == Some(Backend::Sqlite))
                .then(|| sqlite_path(&target.url))
                .flatten()
        })
        .map(|path| absolute(&path))
        .collect();
    sqlite_files.sort();
    sqlite_files.dedup();
    for file in &sqlite_files {
        if !host.is_on_volume(file) {
            warnings.push(format!(
                "THE DATABASE IS NOT PERSISTENT: {} is on the container's own disk, so every \
                 deploy or restart starts empty. Set DATABASE_URL to a PostgreSQL database, or \
                 mount a volume at {} (README, \"Deploy\").",
                file.display(),
                file.parent().unwrap_or(&data_dir).display()
            ));
        }
    }
    if !host.is_on_volume(&data_dir) {
        let key = if settings
            .jwt_private_key
            .as_deref()
            .is_some_and(|k| !k.is_empty())
        {
            ""
        } else {
            ", the generated token signing key (every deploy signs everyone out; set \
             JWT_PRIVATE_KEY)"
        };
        warnings.push(format!(
            "The data folder {} is on the container's own disk: uploaded logos and images{key} \
             and undelivered event overflow files are lost at every deploy. Mount a volume there \
             (README, \"Deploy\").",
            data_dir.display()
        ));
    }
    if rule == PersistenceRule::Required && !warnings.is_empty() {
        return Err(Error::Config(format!(
            "PERSISTENT_DATA=required: {}",
            warnings.join(" ")
        )));
    }
    Ok(StorageReport { warnings })
}

/// The data folder must exist (it is made if missing) and take new files.
fn check_writable(dir: &Path) -> Result<(), Error> {
    let fail = |why: String| {
        Error::Config(format!(
            "SCANPAGE_DATA: {} {why}; make it writable by this process's user (uid {})",
            dir.display(),
            current_uid()
        ))
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot be created: {e}")))?;
    let probe = dir.join(format!(".write-check-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail(format!("is not writable: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn current_uid() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(str::to_owned))
        })
        .unwrap_or_else(|| "?".into())
}

fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn settings(dir: &Path, extra: &[&str]) -> Settings {
        let mut argv = vec!["scanpage", "--data-dir", dir.to_str().unwrap()];
        argv.extend_from_slice(extra);
        Cli::parse_from(argv).settings
    }

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "scanpage-storage-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn container(mounts: &[(&Path, &str)]) -> Host {
        Host {
            in_container: true,
            mounts: mounts
                .iter()
                .map(|(p, k)| (p.to_path_buf(), (*k).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn a_container_without_a_volume_is_warned_loudly() {
        let dir = temp_dir();
        let report = check(&settings(&dir, &[]), &Service::ALL, &container(&[])).unwrap();
        assert_eq!(report.warnings.len(), 2, "{report:?}");
        assert!(
            report.warnings[0].contains("NOT PERSISTENT")
                && report.warnings[0].contains("scanpage.db")
        );
        assert!(report.warnings[1].contains("JWT_PRIVATE_KEY"), "{report:?}");
        // PostgreSQL and a key given: only the files remain at risk.
        let s = settings(
            &dir,
            &[
                "--database-url",
                "postgres://u@h/db",
                "--jwt-private-key",
                "x",
            ],
        );
        let report = check(&s, &Service::ALL, &container(&[])).unwrap();
        assert_eq!(report.warnings.len(), 1, "{report:?}");
        assert!(
            report.warnings[0].contains("uploaded logos") && !report.warnings[0].contains("JWT")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_volume_at_or_above_the_data_folder_is_enough() {
        let dir = temp_dir();
        let s = settings(&dir, &[]);
        let host = container(&[(dir.parent().unwrap(), "ext4")]);
        assert!(check(&s, &Service::ALL, &host).unwrap().warnings.is_empty());
        // tmpfs is memory: not persistent.
        let host = container(&[(&dir, "tmpfs")]);
        assert_eq!(check(&s, &Service::ALL, &host).unwrap().warnings.len(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn outside_a_container_nothing_is_said_unless_required() {
        let dir = temp_dir();
        let laptop = Host::default();
        assert!(
            check(&settings(&dir, &[]), &Service::ALL, &laptop)
                .unwrap()
                .warnings
                .is_empty()
        );
        let err = check(
            &settings(&dir, &["--persistent-data", "required"]),
            &Service::ALL,
            &laptop,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("PERSISTENT_DATA=required") && err.contains("NOT PERSISTENT"),
            "{err}"
        );
        assert!(!err.contains('\n'));
        let off = settings(&dir, &["--persistent-data", "off"]);
        assert!(
            check(&off, &Service::ALL, &container(&[]))
                .unwrap()
                .warnings
                .is_empty()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_unwritable_data_folder_is_one_clear_error() {
        let dir = temp_dir();
        let file = dir.join("not-a-folder");
        std::fs::write(&file, b"").unwrap();
        let err = check(&settings(&file, &[]), &Service::ALL, &Host::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("SCANPAGE_DATA:") && err.contains("uid"),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn mountinfo_lines_are_read() {
        let text = "22 27 0:21 / /proc rw,relatime - proc proc rw\n\
                    301 290 8:1 /vol /data rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
                    302 290 0:5 / /my\\040dir rw - tmpfs tmpfs rw\n";
        let mounts = parse_mountinfo(text);
        assert_eq!(mounts[1], (PathBuf::from("/data"), "ext4".to_owned()));
        assert_eq!(mounts[2], (PathBuf::from("/my dir"), "tmpfs".to_owned()));
    }
}
