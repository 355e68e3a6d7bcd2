//! Single-byte code pages that encoding_rs (the WHATWG encodings) lacks, found by label: the
//! DOS code pages of oem_cp, and the tables of [`super::codepage_tables`] (EBCDIC, more Mac
//! and DOS code pages, KOI8-T, PTCP154, KZ-1048). Also tells an EBCDIC document by its first
//! bytes, as XML 1.0 Appendix F does. No I/O.

use super::codepage_tables::{TABLES, Table};

/// A code page encoding_rs does not know.
#[derive(Clone, Copy)]
pub enum CodePage {
    /// A DOS code page, by number (oem_cp's tables).
    Oem(u16),
    /// One of ours.
    Table(&'static Table),
}

/// The code page a label names (`cp037`, `IBM500`, `ebcdic-cp-be`, `macgreek`, `cp437`,
/// `csIBM865`, `cp-is`), when it is one of these.
pub fn for_label(label: &str) -> Option<CodePage> {
    let key: String = label
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if let Some(table) = TABLES.iter().find(|table| table.labels.contains(&key.as_str())) {
        return Some(CodePage::Table(table));
    }
    oem_code_page(label).map(CodePage::Oem)
}

/// `bytes` decoded, and whether some had no character (U+FFFD stands in).
pub fn decode(bytes: &[u8], code_page: CodePage) -> (String, bool) {
    match code_page {
        CodePage::Oem(number) => match oem_cp::code_table::DECODING_TABLE_CP_MAP.get(&number) {
            Some(table) => (table.decode_string_lossy(bytes), false),
            None => (String::from_utf8_lossy(bytes).into_owned(), true),
        },
        CodePage::Table(table) => {
            let mut lossy = false;
            let text = bytes
                .iter()
                .map(|byte| {
                    let ch = char::from_u32(u32::from(table.chars[usize::from(*byte)]))
                        .unwrap_or(char::REPLACEMENT_CHARACTER);
                    lossy |= ch == char::REPLACEMENT_CHARACTER;
                    ch
                })
                .collect();
            (text, lossy)
        }
    }
}

/// For a document that opens with `<?xm` in EBCDIC (`4C 6F A7 94`), the EBCDIC code page
/// its declaration names, or IBM 037 when it names none we know (the declaration itself is
/// written in characters every EBCDIC code page shares).
pub fn ebcdic(bytes: &[u8]) -> Option<CodePage> {
    if !bytes.starts_with(&[0x4C, 0x6F, 0xA7, 0x94]) {
        return None;
    }
    let cp037 = TABLES.iter().find(|table| table.labels.contains(&"cp037"))?;
    let (head, _) = decode(&bytes[..bytes.len().min(200)], CodePage::Table(cp037));
    let declaration = &head[..head.find("?>").unwrap_or(head.len())];
    let named = declaration.split_once("encoding").and_then(|(_, rest)| {
        let rest = rest.trim_start().strip_prefix('=')?.trim_start();
        let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''))?;
        let rest = &rest[1..];
        Some(rest[..rest.find(quote)?].to_owned())
    });
    match named.as_deref().and_then(for_label) {
        Some(CodePage::Table(table)) if table.ebcdic => Some(CodePage::Table(table)),
        _ => Some(CodePage::Table(cp037)),
    }
}

/// The DOS (OEM) code page a label names (`cp437`, `IBM850`, `csIBM865`, `cp-is`) that
/// oem_cp knows.
fn oem_code_page(label: &str) -> Option<u16> {
    let label = label.trim().to_ascii_lowercase();
    let named = match label.as_str() {
        "cp-is" | "cp_is" => Some(861),
        "cp-gr" | "cp_gr" => Some(869),
        "cspc775baltic" => Some(775),
        "cspc850multilingual" => Some(850),
        "cspcp852" => Some(852),
        "cspc862latinhebrew" => Some(862),
        "cspc8codepage437" => Some(437),
        _ => None,
    };
    let number = named.or_else(|| {
        let digits = ["csibm", "ibm", "cp", "oem", "dos-"]
            .iter()
            .find_map(|prefix| label.strip_prefix(prefix))
            .or_else(|| label.chars().all(|c| c.is_ascii_digit()).then_some(label.as_str()))?;
        digits.trim_start_matches(['-', '_']).parse::<u16>().ok()
    })?;
    oem_cp::code_table::DECODING_TABLE_CP_MAP.get(&number).map(|_| number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8], label: &str) -> String {
        decode(bytes, for_label(label).unwrap()).0
    }

    /// See issue 9: EBCDIC feeds and the Mac, KOI8-T and DOS code pages outside oem_cp were
    /// read as Windows-1252 or not at all.
    #[test]
    fn r9_code_pages_outside_encoding_rs_decode() {
        // "Ø" is 0x80 in IBM 037 and 500; "A" is 0xC1 in every EBCDIC code page.
        assert_eq!(decoded(&[0x80, 0xC1], "cp037"), "ØA");
        assert_eq!(decoded(&[0x80], "EBCDIC-CP-BE"), "Ø");
        assert_eq!(decoded(&[0x80], "ibm1140"), "Ø");
        assert_eq!(decoded(&[0x80], "cp875"), "΅");
        assert_eq!(decoded(&[0x80], "koi8-t"), "қ");
        assert_eq!(decoded(&[0x80], "maccentraleurope"), "Ä");
        assert_eq!(decoded(&[0x80], "cp1125"), "А");
        assert_eq!(decoded(&[0x80], "cp856"), "א");
        assert_eq!(decoded(&[0x80, b'a'], "cp437"), "Ça");
        assert!(for_label("utf-8").is_none());
        assert!(for_label("cp99999").is_none());
    }

    #[test]
    fn r9_an_ebcdic_document_is_told_by_its_declaration() {
        // `<?xml version="1.0" encoding="cp500"?>` in EBCDIC, then "Ø".
        let cp500 = "<?xml version=\"1.0\" encoding=\"cp500\"?>";
        let CodePage::Table(table) = for_label("cp500").unwrap() else { panic!() };
        let mut bytes: Vec<u8> = cp500
            .chars()
            .map(|c| table.chars.iter().position(|&u| u == c as u16).unwrap() as u8)
            .collect();
        bytes.push(0x80);
        let code_page = ebcdic(&bytes).unwrap();
        assert!(matches!(code_page, CodePage::Table(t) if t.labels.contains(&"cp500")));
        assert_eq!(decode(&bytes, code_page).0, format!("{cp500}Ø"));
        assert!(ebcdic(b"<?xml version=\"1.0\"?>").is_none());
    }
}
