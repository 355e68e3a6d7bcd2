//! `kind = "files"`: article files under a folder, searched recursively.
//!
//! Files are read in sorted path order so runs are deterministic. Only article formats are
//! read (`.txt`, `.md`, `.markdown`, `.html`, `.htm`); hidden files and others are passed over.
//! Only regular files are read, never FIFOs, sockets or devices, and none over the source's
//! `max_bytes` (10 MiB by default).

use std::fs;
use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};

use super::{Ingested, SourceFailure};
use crate::model::RawArticle;

/// File extensions read as articles (lower-case).
pub const ARTICLE_EXTENSIONS: &[&str] = &["txt", "md", "markdown", "html", "htm"];

/// The default cap on a local file's size, as on a fetched body: 10 MiB.
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Reads every article file under `root` into `out`; files over `max_bytes` are skipped.
pub fn collect(
    source_id: &str,
    source_name: Option<&str>,
    root: &Path,
    max_bytes: usize,
    out: &mut Ingested,
) {
    let mut paths = Vec::new();
    if let Err(reason) = walk(root, 0, &mut paths, &mut |path, reason| {
        out.failures.push(SourceFailure {
            source_id: source_id.to_owned(),
            path: path.to_path_buf(),
            reason,
        });
    }) {
        out.failures.push(SourceFailure {
            source_id: source_id.to_owned(),
            path: root.to_path_buf(),
            reason,
        });
        return;
    }
    paths.sort();
    for path in paths {
        match read_article(source_id, &path, max_bytes) {
            Ok(mut raw) => {
                raw.source_name = source_name.map(str::to_owned);
                out.items.push(raw);
            }
            Err(reason) => {
                out.failures.push(SourceFailure { source_id: source_id.to_owned(), path, reason })
            }
        }
    }
}

/// Reads one article file (also used by `newsdigest article FILE`).
///
/// # Errors
/// Why the file could not be read, in words.
pub fn read_article(source_id: &str, path: &Path, max_bytes: usize) -> Result<RawArticle, String> {
    let (bytes, modified) = read_capped(path, max_bytes)?;
    let is_html = has_extension(path, &["html", "htm"]);
    // Plain UTF-8, the usual case, keeps its buffer; anything else goes through `decode`.
    let (text, lossy) = match String::from_utf8(bytes) {
        Ok(text) if !text.starts_with('\u{FEFF}') => (text, false),
        Ok(text) => decode(text.as_bytes(), is_html),
        Err(err) => decode(err.as_bytes(), is_html),
    };
    Ok(RawArticle {
        path: path.to_path_buf(),
        source_id: source_id.to_owned(),
        text,
        lossy,
        modified,
        source_name: None,
        feed: None,
    })
}

/// Reads a regular file of at most `max_bytes`, with its modification time.
///
/// The file is opened without blocking and checked on the open handle, so a FIFO (whose
/// open would wait for a writer forever), a socket or a device is refused, even one swapped
/// in after the folder was listed; a link to `/dev/zero` is a device too. The size is checked
/// before reading and again while reading, for a file that grows.
///
/// # Errors
/// Why the file is not read, in words.
pub fn read_capped(
    path: &Path,
    max_bytes: usize,
) -> Result<(Vec<u8>, Option<DateTime<FixedOffset>>), String> {
    use std::io::Read as _;
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|err| format!("cannot read the file: {err}"))?;
    let meta = file.metadata().map_err(|err| format!("cannot read the file: {err}"))?;
    if !meta.is_file() {
        return Err(format!("{}, not a regular file", file_kind(&meta.file_type())));
    }
    let too_large = |size: String| {
        format!("the file is {size}, over the limit of {max_bytes} bytes (max_bytes)")
    };
    if meta.len() > max_bytes as u64 {
        return Err(too_large(format!("{} bytes", meta.len())));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot read the file: {err}"))?;
    if bytes.len() > max_bytes {
        return Err(too_large("larger".to_owned()));
    }
    let modified = meta.modified().ok().map(|time| DateTime::<Utc>::from(time).fixed_offset());
    Ok((bytes, modified))
}

/// What a file that is not a regular file is, in words.
fn file_kind(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    if kind.is_dir() { "a folder" } else { "a special file" }
}

/// Decodes file bytes: UTF-8 (with or without BOM); for HTML, a `<meta charset>` or a UTF-16
/// BOM names the encoding; anything else is decoded lossily (`lossy` is then true).
pub fn decode(bytes: &[u8], is_html: bool) -> (String, bool) {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), had_errors);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_owned(), false);
    }
    if let Some(encoding) = sniff_meta_charset(bytes).filter(|_| is_html) {
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        return (text.into_owned(), had_errors);
    }
    (String::from_utf8_lossy(bytes).into_owned(), true)
}

/// The encoding named by a `<meta charset=…>` or `content="…; charset=…"` in the first 4 KiB.
fn sniff_meta_charset(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let label: String = head[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    encoding_rs::Encoding::for_label(label.as_bytes())
        .filter(|encoding| *encoding != encoding_rs::UTF_8)
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| extensions.iter().any(|want| ext.eq_ignore_ascii_case(want)))
}

/// How deep folders are searched; deeper ones (or a loop of links) are reported and skipped.
const MAX_DEPTH: usize = 16;

/// Collects article files below `dir`; unreadable sub-folders are reported through `report`.
fn walk(
    dir: &Path,
    depth: usize,
    out: &mut Vec<std::path::PathBuf>,
    report: &mut dyn FnMut(&Path, String),
) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|err| match err.kind() {
        std::io::ErrorKind::NotFound => "folder not found".to_owned(),
        _ => format!("cannot read the folder: {err}"),
    })?;
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                report(dir, format!("cannot read the folder: {err}"));
                continue;
            }
        };
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // `metadata` follows symbolic links, so a linked folder or file is read like any other.
        let Ok(meta) = fs::metadata(&path) else {
            report(&path, "broken link or unreadable entry".to_owned());
            continue;
        };
        if meta.is_dir() {
            if depth >= MAX_DEPTH {
                report(
                    &path,
                    format!("folder nested deeper than {MAX_DEPTH} levels (a link loop?)"),
                );
            } else if let Err(reason) = walk(&path, depth + 1, out, report) {
                report(&path, reason);
            }
        } else if !has_extension(&path, ARTICLE_EXTENSIONS) {
            continue;
        } else if meta.is_file() {
            out.push(path);
        } else {
            report(&path, format!("{}, not a regular file", file_kind(&meta.file_type())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_windows_1252_html_by_meta() {
        let bytes = b"<meta charset=\"windows-1252\"><p>caf\xe9</p>";
        let (text, lossy) = decode(bytes, true);
        assert_eq!(text, "<meta charset=\"windows-1252\"><p>caf\u{e9}</p>");
        assert!(!lossy);
    }

    #[test]
    fn read_article_decodes_as_decode_does() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes, want, want_lossy) in [
            ("plain.txt", &b"caf\xc3\xa9"[..], "caf\u{e9}", false),
            ("bom.txt", b"\xef\xbb\xbfcaf\xc3\xa9", "caf\u{e9}", false),
            ("utf16.html", b"\xff\xfec\0a\0f\0\xe9\0", "caf\u{e9}", false),
            (
                "latin1.html",
                b"<meta charset=latin1>caf\xe9",
                "<meta charset=latin1>caf\u{e9}",
                false,
            ),
            ("latin1.txt", b"caf\xe9", "caf\u{FFFD}", true),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let raw = read_article("local", &path, 1000).unwrap();
            assert_eq!((raw.text.as_str(), raw.lossy), (want, want_lossy), "{name}");
            assert_eq!(decode(bytes, name.ends_with(".html")), (want.to_owned(), want_lossy));
        }
    }

    #[test]
    fn invalid_utf8_text_is_lossy() {
        let (text, lossy) = decode(b"caf\xe9 au lait", false);
        assert_eq!(text, "caf\u{FFFD} au lait");
        assert!(lossy);
    }
}
