//! Export to an open format (CPCE L.103, décret 2018-853): every live document's decrypted
//! originals plus `manifest.json`, as a folder or a zip. The export is assembled under a temporary
//! name and renamed at the end, so a failed export leaves nothing that looks complete.

use crate::fsutil::{create_private_dir_all, create_private_file, private_file_options, sync_dir, temp_sibling};
use crate::model::{DocId, Document, PageRole};
use crate::sniff::FileKind;
use crate::vault::{ListQuery, Vault};
use crate::{Result, VaultError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

pub const MANIFEST_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Folder,
    Zip,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    pub documents: u64,
    pub files: u64,
    pub bytes: u64,
}

#[derive(Serialize)]
struct Manifest<'a> {
    format: &'static str,
    version: u32,
    vault_id: &'a str,
    exported_at: String,
    documents: Vec<ManifestDoc>,
}

#[derive(Serialize)]
struct ManifestDoc {
    #[serde(flatten)]
    document: Document,
    files: Vec<ManifestFile>,
}

#[derive(Serialize)]
struct ManifestFile {
    path: String,
    mime: String,
    size: u64,
    sha256: String,
}

/// Where exported files go: a directory or a zip archive.
trait Sink {
    fn file(&mut self, path: &str, write: &mut dyn FnMut(&mut dyn Write) -> Result<()>) -> Result<()>;
}

struct FolderSink<'a> {
    root: &'a Path,
}

impl Sink for FolderSink<'_> {
    fn file(&mut self, path: &str, write: &mut dyn FnMut(&mut dyn Write) -> Result<()>) -> Result<()> {
        let full = self.root.join(path);
        if let Some(parent) = full.parent() {
            create_private_dir_all(parent)?;
        }
        let mut f = BufWriter::new(create_private_file(&full)?);
        write(&mut f)?;
        let f = f.into_inner().map_err(|e| VaultError::from(e.into_error()))?;
        f.sync_all()?;
        Ok(())
    }
}

struct ZipSink<W: Write + std::io::Seek> {
    zip: zip::ZipWriter<W>,
}

impl<W: Write + std::io::Seek> Sink for ZipSink<W> {
    fn file(&mut self, path: &str, write: &mut dyn FnMut(&mut dyn Write) -> Result<()>) -> Result<()> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        self.zip.start_file(path, options).map_err(zip_error)?;
        write(&mut self.zip)
    }
}

fn zip_error(e: zip::result::ZipError) -> VaultError {
    match e {
        zip::result::ZipError::Io(io) => io.into(),
        _ => VaultError::InvalidInput("zip archive could not be written".into()),
    }
}

impl Vault {
    /// Exports every live document to `dest` (which must not exist yet).
    pub fn export(&self, dest: &Path, format: ExportFormat) -> Result<ExportSummary> {
        if dest.exists() {
            return Err(VaultError::AlreadyExists);
        }
        let tmp = temp_sibling(dest);
        let result = match format {
            ExportFormat::Folder => {
                create_private_dir_all(&tmp)?;
                self.export_into(&mut FolderSink { root: &tmp })
            }
            ExportFormat::Zip => (|| {
                let file = private_file_options().create_new(true).open(&tmp)?;
                let mut sink = ZipSink { zip: zip::ZipWriter::new(BufWriter::new(file)) };
                let summary = self.export_into(&mut sink)?;
                let buf = sink.zip.finish().map_err(zip_error)?;
                let file = buf.into_inner().map_err(|e| VaultError::from(e.into_error()))?;
                file.sync_all()?;
                Ok(summary)
            })(),
        };
        match result {
            Ok(summary) => {
                fs::rename(&tmp, dest)?;
                sync_dir(dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))?;
                Ok(summary)
            }
            Err(e) => {
                let _ = if tmp.is_dir() { fs::remove_dir_all(&tmp) } else { fs::remove_file(&tmp) };
                Err(e)
            }
        }
    }

    fn export_into(&self, sink: &mut dyn Sink) -> Result<ExportSummary> {
        let docs = self.list(&ListQuery::default())?;
        let mut summary = ExportSummary { documents: 0, files: 0, bytes: 0 };
        let mut manifest_docs = Vec::with_capacity(docs.len());
        for (n, doc) in docs.into_iter().enumerate() {
            let folder = format!("{:04}-{}-{}", n + 1, slug(&doc.title), &doc.id.to_hex()[..8]);
            let mut files = Vec::new();
            for page in doc.pages.iter().filter(|p| p.role == PageRole::Page) {
                let ext = FileKind::from_mime(&page.mime).extension();
                let path = format!("{folder}/page-{}.{ext}", page.index + 1);
                let (size, sha) = self.export_page(sink, &path, &doc.id, page.index)?;
                summary.files += 1;
                summary.bytes += size;
                files.push(ManifestFile { path, mime: page.mime.clone(), size, sha256: sha });
            }
            summary.documents += 1;
            manifest_docs.push(ManifestDoc { document: doc, files });
        }
        let manifest = Manifest {
            format: "coffre-export",
            version: MANIFEST_VERSION,
            vault_id: self.vault_id(),
            exported_at: crate::date::format(crate::date::today()),
            documents: manifest_docs,
        };
        let json = serde_json::to_vec_pretty(&manifest).map_err(|_| VaultError::InvalidInput("manifest".into()))?;
        sink.file("manifest.json", &mut |w| Ok(w.write_all(&json)?))?;
        Ok(summary)
    }

    fn export_page(&self, sink: &mut dyn Sink, path: &str, id: &DocId, index: u32) -> Result<(u64, String)> {
        let mut size = 0;
        let mut sha = String::new();
        sink.file(path, &mut |w| {
            let mut hashing = crate::blobstore::HashingWriter { inner: w, hasher: Sha256::new() };
            size = self.write_page_to(id, index, &mut hashing)?;
            sha = hex::encode(hashing.hasher.finalize_reset());
            Ok(())
        })?;
        Ok((size, sha))
    }
}

/// A file-name-safe, accent-free, lowercase version of a title.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "document".into() } else { out }
}

fn fold_accent(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'â' | 'ä' | 'á' | 'ã' => "a",
        'À' | 'Â' | 'Ä' | 'Á' => "a",
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => "e",
        'î' | 'ï' | 'í' | 'Î' | 'Ï' => "i",
        'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' => "o",
        'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' => "u",
        'ç' | 'Ç' => "c",
        'œ' | 'Œ' => "oe",
        'æ' | 'Æ' => "ae",
        'ñ' => "n",
        _ => "",
    };
    let single = folded.is_empty().then_some(c);
    folded.chars().chain(single)
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs_are_safe() {
        assert_eq!(slug("Carte d'identité — recto/verso"), "carte-d-identite-recto-verso");
        assert_eq!(slug("Œuvre à ../../etc"), "oeuvre-a-etc");
        assert_eq!(slug("///"), "document");
    }
}
