//! Content-type sniffing: what a file *is*, from its first bytes, never from its name.

/// A detected file type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Jpeg,
    Png,
    Pdf,
    Heic,
    Other,
}

impl FileKind {
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Pdf => "application/pdf",
            FileKind::Heic => "image/heic",
            FileKind::Other => "application/octet-stream",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FileKind::Jpeg => "JPEG image",
            FileKind::Png => "PNG image",
            FileKind::Pdf => "PDF document",
            FileKind::Heic => "HEIC image",
            FileKind::Other => "unknown file",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Pdf => "pdf",
            FileKind::Heic => "heic",
            FileKind::Other => "bin",
        }
    }

    pub fn from_mime(mime: &str) -> FileKind {
        match mime {
            "image/jpeg" => FileKind::Jpeg,
            "image/png" => FileKind::Png,
            "application/pdf" => FileKind::Pdf,
            "image/heic" => FileKind::Heic,
            _ => FileKind::Other,
        }
    }

    /// The kind a file name claims to be, if its extension names one.
    pub fn claimed_by_name(name: &str) -> Option<FileKind> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "jpg" | "jpeg" | "jpe" => Some(FileKind::Jpeg),
            "png" => Some(FileKind::Png),
            "pdf" => Some(FileKind::Pdf),
            "heic" | "heif" => Some(FileKind::Heic),
            _ => None,
        }
    }
}

/// How many leading bytes [`sniff`] needs.
pub const SNIFF_LEN: usize = 32;

/// Detects the kind from the first bytes of a file.
pub fn sniff(head: &[u8]) -> FileKind {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        FileKind::Jpeg
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") && head.get(12..16) == Some(b"IHDR") {
        FileKind::Png
    } else if head.starts_with(b"%PDF-") {
        FileKind::Pdf
    } else if head.get(4..8) == Some(b"ftyp")
        && matches!(head.get(8..12), Some(b"heic" | b"heix" | b"mif1" | b"msf1" | b"heim" | b"heis"))
    {
        FileKind::Heic
    } else {
        FileKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content_not_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), FileKind::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0"), FileKind::Png);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n"), FileKind::Other, "a PNG signature alone is not a PNG");
        assert_eq!(sniff(b"%PDF-1.7\n"), FileKind::Pdf);
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), FileKind::Heic);
        assert_eq!(sniff(b"hello, I am text"), FileKind::Other);
        assert_eq!(sniff(b""), FileKind::Other);
    }

    #[test]
    fn names_claim_kinds() {
        assert_eq!(FileKind::claimed_by_name("photo.JPG"), Some(FileKind::Jpeg));
        assert_eq!(FileKind::claimed_by_name("scan.pdf"), Some(FileKind::Pdf));
        assert_eq!(FileKind::claimed_by_name("notes.txt"), None);
        assert_eq!(FileKind::claimed_by_name("noext"), None);
    }
}
