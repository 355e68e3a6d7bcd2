//! Archive: write a day's digests under `digests/<YYYY-MM-DD>/`, atomically.
//!
//! Every file is written to a temporary file in the same folder and renamed into place, so a
//! reader (a browser, a mail job) never sees half a file and a crash leaves the old one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::NaiveDate;

/// The folder of one edition: `<output_dir>/<YYYY-MM-DD>`.
pub fn edition_dir(output_dir: &Path, date: NaiveDate) -> PathBuf {
    output_dir.join(date.format("%Y-%m-%d").to_string())
}

/// The file in a day's folder that names the ledger its messages were recorded in.
pub const LEDGER_MARK: &str = ".newsdigest-ledger";

/// Records in the folder of `date` that its messages are recorded in the ledger `ledger_id`,
/// in the file `mark` ([`LEDGER_MARK`], or a shard's own name).
///
/// # Errors
/// When the file cannot be written; the error names it.
pub fn write_ledger_mark(
    output_dir: &Path,
    date: NaiveDate,
    mark: &str,
    ledger_id: &str,
) -> anyhow::Result<()> {
    let path = edition_dir(output_dir, date).join(mark);
    if fs::read_to_string(&path).is_ok_and(|text| text.trim() == ledger_id) {
        return Ok(());
    }
    write_atomic(&path, format!("{ledger_id}\n").as_bytes())
}

/// The ledger marks (files named `mark`) of the days from `first` to `last`, oldest first:
/// each day whose folder
/// has one, with the ledger id it names.
pub fn ledger_marks(
    output_dir: &Path,
    mark: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> Vec<(NaiveDate, String)> {
    first
        .iter_days()
        .take_while(|date| *date <= last)
        .filter_map(|date| {
            let text = fs::read_to_string(edition_dir(output_dir, date).join(mark)).ok()?;
            let id = text.trim();
            (!id.is_empty()).then(|| (date, id.to_owned()))
        })
        .collect()
}

/// Writes `contents` to `path` atomically, creating the parent folders.
///
/// # Errors
/// When the folder cannot be created or the file cannot be written or renamed; the error
/// names the path.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder `{}`", dir.display()))?;
    let file_name =
        path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(err) = result {
        // Best effort: the temporary file is ours and useless now.
        let _ = fs::remove_file(&tmp);
        return Err(err).with_context(|| format!("cannot write `{}`", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/index.html");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn error_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, "x").unwrap();
        let err = write_atomic(&blocker.join("sub/index.html"), b"x").unwrap_err();
        assert!(format!("{err:#}").starts_with("cannot create the folder `"), "{err:#}");
    }
}
