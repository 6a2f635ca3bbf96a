//! `coffre capture`: photo(s) -> processed page(s) -> vault document (and optionally a PDF).

use crate::ctx::{Ctx, Out};
use crate::errors::CliError;
use crate::i18n::{Lang, exit};
use crate::interrupt::Interrupt;
use crate::progress::Bar;
use crate::versions::print_versions;
use clap::Subcommand;
use coffre_core::RotateError;
use coffre_core::capture::{CaptureError, CaptureOptions, CapturedDocument, Mode, Quad, Rotation, detect_json};
use coffre_core::vault::NewDocument;
use std::path::{Path, PathBuf};

// Its top-level subcommands, flattened into `coffre`'s (a plain comment: a doc comment would be
// a help text).
// Parsed once per run: boxing `Capture`'s arguments to shrink `Rotate` would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Photo -> document: find the page or card, deskew, enhance, compress, store in the vault.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Capture {
        #[command(subcommand)]
        action: Option<CaptureAction>,
        /// Photos (JPEG, PNG or WebP), one page each, in order.
        #[arg(required = true)]
        photos: Vec<PathBuf>,
        /// Corners "x1,y1,x2,y2,x3,y3,x4,y4" in pixels of the upright photo (skips detection).
        #[arg(long, allow_hyphen_values = true)]
        corners: Option<String>,
        /// text | colour | grey (chosen automatically when absent).
        #[arg(long)]
        mode: Option<String>,
        /// Also write the pages as a PDF (for printing at a desk).
        #[arg(long)]
        pdf: Option<PathBuf>,
        /// Also write the first processed page as an image.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Do not store in the vault (only write --pdf / --out).
        #[arg(long)]
        no_save: bool,
        #[arg(long, short, default_value = "autre")]
        category: String,
        #[arg(long, short)]
        title: Option<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[arg(long)]
        expires: Option<String>,
        /// Store the pages as a new version of this document (renewed card, better photo).
        #[arg(long, value_name = "ID", conflicts_with_all = ["no_save", "category", "title", "tags", "expires"])]
        replace: Option<String>,
    },
    /// Turn a page that was stored sideways or upside down (makes a new version; the old one stays).
    Rotate {
        /// The document (id or the start of its id).
        id: String,
        /// The page to turn, counted from 1 (all pages when absent).
        #[arg(long)]
        page: Option<u32>,
        /// Degrees clockwise: 90, 180 or 270.
        degrees: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum CaptureAction {
    /// Only detect the document: prints {"found": true, "corners": [[x,y],...], "confidence": c}
    /// (corners clockwise from top-left, pixels of the EXIF-upright photo) or {"found": false}.
    Detect { photo: PathBuf },
}

pub fn run(ctx: &Ctx<'_>, cmd: &Commands) -> Out {
    match cmd {
        Commands::Rotate { id, page, degrees } => rotate(ctx, id, *page, *degrees),
        Commands::Capture { action: Some(CaptureAction::Detect { photo }), .. } => detect(ctx, photo),
        Commands::Capture {
            action: None,
            photos,
            corners,
            mode,
            pdf,
            out,
            no_save,
            category,
            title,
            tags,
            expires,
            replace,
        } => {
            let meta = NewDocument {
                category: category.clone(),
                title: title.clone().unwrap_or_default(),
                tags: tags.clone(),
                expires_on: expires.clone(),
                ..Default::default()
            };
            let args = Args {
                photos,
                corners: corners.as_deref(),
                mode: mode.as_deref(),
                pdf: pdf.as_deref(),
                out: out.as_deref(),
                save: !no_save,
                replace: replace.as_deref(),
            };
            capture(ctx, args, meta)
        }
    }
}

pub struct Args<'a> {
    pub photos: &'a [PathBuf],
    pub corners: Option<&'a str>,
    pub mode: Option<&'a str>,
    pub pdf: Option<&'a Path>,
    pub out: Option<&'a Path>,
    pub save: bool,
    /// Store as a new version of this document instead of a new document.
    pub replace: Option<&'a str>,
}

fn capture_error(lang: Lang, file: &Path, e: &CaptureError) -> CliError {
    if let (CaptureError::Heic, Some(fr), Some(en)) = (e, e.advice_fr(), e.advice_en()) {
        // Not the photo's quality: its file format (the person can share it again as JPEG).
        return CliError { message: format!("{}: {}", file.display(), lang.t(fr, en)), code: exit::USAGE };
    }
    if let (Some(fr), Some(en)) = (e.advice_fr(), e.advice_en()) {
        // Blurred or empty: the photo itself is the problem; nothing was stored.
        return CliError { message: format!("{}: {}", file.display(), lang.t(fr, en)), code: exit::POOR_PHOTO };
    }
    let (fr, en, code) = match e {
        CaptureError::NoDocument { .. } => (
            "aucun document trouvé sur la photo. Reprenez-la sur un fond uni, ou indiquez les coins avec --corners.",
            "no document found in the photo. Retake it on a plain surface, or give the corners with --corners.",
            exit::NOT_FOUND,
        ),
        CaptureError::Unsupported | CaptureError::Corrupt(_) => (
            "ce n'est pas une photo lisible (JPEG, PNG ou WebP), ou elle est abîmée.",
            "this is not a readable photo (JPEG, PNG or WebP), or it is damaged.",
            exit::USAGE,
        ),
        CaptureError::TooLarge { .. } => ("photo trop grande.", "photo too large.", exit::USAGE),
        CaptureError::TooSmall { .. } => ("photo trop petite.", "photo too small.", exit::USAGE),
        CaptureError::InvalidCorners(_) => (
            "coins invalides : donnez 4 points x,y dans la photo, formant un quadrilatère.",
            "invalid corners: give 4 x,y points inside the photo forming a quadrilateral.",
            exit::USAGE,
        ),
        _ => ("la photo n'a pas pu être traitée.", "the photo could not be processed.", exit::FAILURE),
    };
    CliError { message: format!("{}: {}", file.display(), lang.t(fr, en)), code }
}

fn read(ctx: &Ctx<'_>, path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| {
        let mut err = ctx.err(e.into());
        err.message = format!("{}: {}", path.display(), err.message);
        err
    })
}

fn parse_corners(s: &str, lang: Lang) -> Result<Quad, CliError> {
    let v: Vec<f32> =
        s.split([',', ' ', ';']).filter(|p| !p.is_empty()).filter_map(|p| p.trim().parse().ok()).collect();
    match v.as_slice() {
        [a, b, c, d, e, f, g, h] => Ok(Quad::from_array([[*a, *b], [*c, *d], [*e, *f], [*g, *h]])),
        _ => Err(CliError::new(
            lang.t("--corners attend 8 nombres : x1,y1,…,x4,y4", "--corners takes 8 numbers: x1,y1,…,x4,y4"),
            exit::USAGE,
        )),
    }
}

pub fn detect(ctx: &Ctx<'_>, photo: &Path) -> Out {
    let bytes = read(ctx, photo)?;
    let json = detect_json(&bytes).map_err(|e| capture_error(ctx.lang, photo, &e))?;
    println!("{json}");
    Ok(exit::OK)
}

pub fn capture(ctx: &Ctx<'_>, args: Args<'_>, meta: NewDocument) -> Out {
    let lang = ctx.lang;
    let mut opts = CaptureOptions::default();
    if let Some(c) = args.corners {
        opts.corners = Some(parse_corners(c, lang)?);
    }
    if let Some(m) = args.mode {
        opts.mode = Some(m.parse::<Mode>().map_err(|_| {
            CliError::new(lang.t("--mode : text, colour ou grey", "--mode: text, colour or grey"), exit::USAGE)
        })?);
    }
    // Open the vault first so a wrong passphrase does not waste the processing.
    let mut vault = if args.save { Some(ctx.open()?) } else { None };
    let mut doc: Option<CapturedDocument> = None;
    // Several photos take seconds each: show where we are; Ctrl-C between two photos stores nothing.
    let interrupt = Interrupt::install();
    let bar = (args.photos.len() > 1).then(|| Bar::new(lang, lang.t("Photos traitées", "Photos processed")));
    for (done, photo) in args.photos.iter().enumerate() {
        if let Some(bar) = &bar {
            bar.set(done as u64, args.photos.len() as u64, 0, 0);
        }
        if interrupt.was_pressed() {
            if let Some(bar) = &bar {
                bar.finish();
            }
            return Err(CliError::new(
                lang.t("Interrompu : rien n'a été enregistré.", "Interrupted: nothing was stored."),
                exit::INTERRUPTED,
            ));
        }
        let bytes = read(ctx, photo)?;
        let one = coffre_core::capture::capture(&bytes, &opts).map_err(|e| capture_error(lang, photo, &e))?;
        for w in one.pages.iter().flat_map(|p| &p.warnings) {
            eprintln!("{}: {}", photo.display(), lang.t(w.advice_fr(), w.advice_en()));
        }
        match &mut doc {
            None => doc = Some(one),
            Some(d) => d.pages.extend(one.pages),
        }
    }
    if let Some(bar) = &bar {
        bar.set(args.photos.len() as u64, args.photos.len() as u64, 0, 0);
        bar.finish();
    }
    drop(interrupt);
    let doc = doc.ok_or_else(|| CliError::new("no photo", exit::USAGE))?;
    if let Some(pdf) = args.pdf {
        let bytes = doc.to_pdf().map_err(|e| capture_error(lang, pdf, &e))?;
        std::fs::write(pdf, bytes).map_err(|e| ctx.err(e.into()))?;
    }
    if let (Some(out), Some(first)) = (args.out, doc.pages.first()) {
        std::fs::write(out, &first.image.bytes).map_err(|e| ctx.err(e.into()))?;
    }
    let summary: Vec<serde_json::Value> = doc
        .pages
        .iter()
        .map(|p| {
            serde_json::json!({
                "mode": p.mode, "format": p.format, "bytes": p.image.bytes.len(),
                "width": p.image.width, "height": p.image.height, "confidence": p.confidence,
                "corners": p.quad.map(|q| q.to_array()),
                "blur_mm": p.quality.map(|q| q.blur_mm), "warnings": p.warnings,
            })
        })
        .collect();
    let Some(vault) = vault.as_mut() else {
        return ctx.print_json(&summary);
    };
    if let Some(replace) = args.replace {
        let id = ctx.resolve(vault, replace)?;
        coffre_core::save_capture_version(vault, &id, &doc).map_err(|e| ctx.err(e))?;
        if !ctx.cli.json {
            println!("{}", lang.t("Nouvelle version ajoutée :", "New version added:"));
        }
        return print_versions(ctx, vault, &id);
    }
    let id = coffre_core::save_capture(vault, &doc, meta).map_err(|e| ctx.err(e))?;
    if ctx.cli.json {
        return ctx.print_json(&serde_json::json!({ "id": id, "pages": summary }));
    }
    let stored = vault.get(&id).map_err(|e| ctx.err(e))?;
    for p in &summary {
        println!("  page: {} x {} px, {} o, {}", p["width"], p["height"], p["bytes"], p["mode"]);
    }
    ctx.print_docs(&[stored])
}

/// `coffre rotate ID [--page N] 90|180|270`: a new version with the page(s) turned.
fn rotate(ctx: &Ctx<'_>, id: &str, page: Option<u32>, degrees: u32) -> Out {
    let lang = ctx.lang;
    let rotation = Rotation::from_degrees(degrees).filter(|r| *r != Rotation::None).ok_or_else(|| {
        CliError::new(
            lang.t(
                "l'angle doit être 90, 180 ou 270 (degrés, sens des aiguilles d'une montre).",
                "the angle must be 90, 180 or 270 (degrees, clockwise).",
            ),
            exit::USAGE,
        )
    })?;
    let index = match page {
        Some(0) => {
            return Err(CliError::new(
                lang.t("les pages sont comptées à partir de 1.", "pages are counted from 1."),
                exit::USAGE,
            ));
        }
        Some(n) => Some(n - 1),
        None => None,
    };
    let mut vault = ctx.open()?;
    let doc = ctx.resolve(&vault, id)?;
    match coffre_core::rotate_pages(&mut vault, &doc, index, rotation) {
        Ok(_) => {}
        Err(RotateError::Vault(e)) => return Err(ctx.err(e)),
        Err(RotateError::NoSuchPage { count, .. }) => {
            return Err(CliError::new(
                &format!(
                    "{} {count}.",
                    lang.t(
                        "ce document n'a pas cette page ; nombre de pages :",
                        "this document has no such page; pages:"
                    )
                ),
                exit::USAGE,
            ));
        }
        Err(_) => {
            return Err(CliError::new(
                lang.t(
                    "cette page n'est pas une image : elle ne peut pas être tournée.",
                    "this page is not an image: it cannot be turned.",
                ),
                exit::USAGE,
            ));
        }
    }
    if !ctx.cli.json {
        println!("{}", lang.t("Page tournée, nouvelle version ajoutée :", "Page turned, new version added:"));
    }
    print_versions(ctx, &vault, &doc)
}
