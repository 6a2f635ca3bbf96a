//! The printable kit: an A4 page (two when assisted recovery adds its part) in the person's
//! language, easy to read (FALC: short sentences, one idea a line, body at 14 pt, a pictogram for
//! "keep", "do not show" and "scan"), black on white so it photocopies and prints in black and white.
//! Every sentence comes from the catalogue (`kit-*` ids of `coffre-l10n`).
//!
//! French and English use the standard Helvetica fonts with WinAnsi encoding (every French letter is
//! in it): the PDF embeds no font and stays a few kilobytes. Arabic is shaped (joined letters, right
//! to left, `coffre_l10n::shaping`) and drawn with DejaVu Sans Bold, embedded as a subset of the
//! glyphs used, with a ToUnicode map so that copying or `pdftotext` gives the words back in reading
//! order. The QR is drawn as vector squares: it prints sharp at any resolution.

use coffre_l10n::shaping::{ShapedLine, shape_line};
use coffre_l10n::{Args, Direction, Lang, t};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};

const A4: (f32, f32) = (595.28, 841.89);
const MARGIN: f32 = 40.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// The embedded font (Arabic text).
const SHAPED: Name<'static> = Name(b"F3");
/// Body text size: 14 pt or more, for people who read with difficulty.
const BODY: f32 = 14.0;
/// Line height, in text sizes.
const LEADING: f32 = 1.25;
/// Helvetica is narrower than DejaVu Sans Bold, which measures every line: about this much.
const HELVETICA_WIDTH: f32 = 0.82;

/// What goes on the kit.
pub struct KitPage<'a> {
    /// The language of the sentences (the words stay in their own list's language).
    pub lang: Lang,
    /// The 12 words, in order.
    pub words: &'a [String],
    /// QR modules, row by row (`true` = dark), square; none to leave the QR out.
    pub qr: Option<&'a [Vec<bool>]>,
    /// The server address, printed so a helper knows where the vault lives.
    pub server_url: &'a str,
    /// The date printed on the kit (e.g. `23/11/2026`).
    pub date: &'a str,
    /// The assisted-recovery kit share, when the holder enabled assisted recovery.
    pub assisted: Option<AssistedPrint<'a>>,
}

/// The kit share of assisted recovery, as printed: its QR and its hex digits in groups.
pub struct AssistedPrint<'a> {
    pub qr: &'a [Vec<bool>],
    pub groups: &'a [String],
}

/// WinAnsi bytes of `text` (Latin-1 plus a few typographic signs); anything else becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{2019}' => 0x92,
            '\u{2018}' => 0x91,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{2026}' => 0x85,
            '\u{20ac}' => 0x80,
            '\u{153}' => 0x9c,
            '\u{152}' => 0x8c,
            c if (c as u32) < 0x80 || (0xa0..=0xff).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// The font a shaped line is drawn with; also measures every language's lines for wrapping (its
/// letters are wider than Helvetica's, so a line that fits in it fits in Helvetica too).
fn shaping_font() -> &'static [u8] {
    dejavu::sans::bold()
}

/// Glyphs of the embedded font used so far: their new ids in the subset and the text of each.
#[derive(Default)]
struct Embedded {
    remapper: subsetter::GlyphRemapper,
    /// (new id, its text in visual order, width in 1/1000 em)
    used: Vec<(u16, String, f32)>,
}

struct Writer {
    lang: Lang,
    pages: Vec<Content>,
    content: Content,
    y: f32,
    embedded: Embedded,
}

impl Writer {
    fn new(lang: Lang) -> Writer {
        Writer { lang, pages: Vec::new(), content: Content::new(), y: A4.1 - MARGIN, embedded: Embedded::default() }
    }

    fn rtl(&self) -> bool {
        self.lang.direction() == Direction::RightToLeft
    }

    /// Text in Helvetica (Latin: the words, the digits, the server address) at `x`.
    fn latin(&mut self, font: Name<'_>, size: f32, x: f32, text: &str) {
        self.content.begin_text();
        self.content.set_font(font, size);
        self.content.next_line(x, self.y);
        self.content.show(Str(&win_ansi(text)));
        self.content.end_text();
    }

    /// A shaped line in the embedded font, its right edge at `right`.
    fn shaped(&mut self, size: f32, right: f32, line: &ShapedLine) {
        let per_unit = 1000.0 / f32::from(line.units_per_em.max(1));
        let width = line.advance() as f32 * per_unit * size / 1000.0;
        let mut codes = Vec::new();
        for g in &line.glyphs {
            let new = self.embedded.remapper.remap(g.id);
            if !self.embedded.used.iter().any(|(id, _, _)| *id == new) {
                self.embedded.used.push((new, g.visual_text(), g.x_advance as f32 * per_unit));
            }
            codes.extend(new.to_be_bytes());
        }
        self.content.begin_text();
        self.content.set_font(SHAPED, size);
        self.content.next_line(right - width, self.y);
        self.content.show(Str(&codes));
        self.content.end_text();
    }

    /// One line of a sentence: left-aligned at the margin, or right-aligned for Arabic.
    fn sentence_line(&mut self, font: Name<'_>, size: f32, text: &str) {
        self.room(size * LEADING);
        self.y -= size * LEADING;
        if self.rtl() {
            if let Some(line) = shape_line(shaping_font(), text, Direction::RightToLeft) {
                self.shaped(size, A4.0 - MARGIN, &line);
            }
        } else {
            self.latin(font, size, MARGIN, text);
        }
    }

    /// A sentence from the catalogue, wrapped to the page width.
    fn sentence(&mut self, font: Name<'_>, size: f32, id: &str, args: &Args) {
        let text = t(self.lang, id, args);
        let factor = if self.rtl() { 1.0 } else { HELVETICA_WIDTH };
        for line in wrap(&text, size * factor, A4.0 - 2.0 * MARGIN) {
            self.sentence_line(font, size, &line);
        }
    }

    fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// Starts a new page when fewer than `needed` points are left.
    fn room(&mut self, needed: f32) {
        if self.y - needed < MARGIN {
            let done = std::mem::replace(&mut self.content, Content::new());
            self.pages.push(done);
            self.y = A4.1 - MARGIN;
        }
    }

    /// A section title with its pictogram at the start of the line (the left, or the right in Arabic).
    fn title(&mut self, id: &str, pictogram: Option<Pictogram>) {
        self.gap(6.0);
        self.room(40.0);
        let size = 16.0;
        let text = t(self.lang, id, &Args::new());
        self.y -= size * 1.3;
        let icon = 22.0;
        if let Some(p) = pictogram {
            let x = if self.rtl() { A4.0 - MARGIN - icon } else { MARGIN };
            draw_pictogram(&mut self.content, p, x, self.y - 4.0, icon);
        }
        let offset = if pictogram.is_some() { icon + 10.0 } else { 0.0 };
        if self.rtl() {
            if let Some(line) = shape_line(shaping_font(), &text, Direction::RightToLeft) {
                self.shaped(size, A4.0 - MARGIN - offset, &line);
            }
        } else {
            self.latin(BOLD, size, MARGIN + offset, &text);
        }
    }

    fn finish_pages(mut self) -> (Vec<Content>, Embedded) {
        let last = std::mem::replace(&mut self.content, Content::new());
        self.pages.push(last);
        (self.pages, self.embedded)
    }
}

/// Splits `text` into lines no wider than `width` points at `size` (measured with the shaping font).
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let measure = |s: &str| {
        shape_line(shaping_font(), s, Direction::LeftToRight)
            .map(|l| l.advance() as f32 * size / f32::from(l.units_per_em.max(1)))
            .unwrap_or(0.0)
    };
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() { word.to_string() } else { format!("{current} {word}") };
        if measure(&candidate) > width && !current.is_empty() {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The three pictograms of the kit: simple line drawings that print in black and white.
#[derive(Debug, Clone, Copy)]
enum Pictogram {
    /// A padlock: keep it safe.
    Keep,
    /// An eye crossed out: show it to no one.
    DoNotShow,
    /// A phone over a QR code: scan it.
    Scan,
}

/// Draws `p` in a square of `side` points whose bottom-left corner is (`x`, `y`).
fn draw_pictogram(c: &mut Content, p: Pictogram, x: f32, y: f32, side: f32) {
    let s = side;
    c.save_state();
    c.set_stroke_gray(0.0);
    c.set_fill_gray(0.0);
    c.set_line_width(s / 11.0);
    match p {
        Pictogram::Keep => {
            // Body of the lock, filled; shackle as an arch above it.
            c.rect(x + 0.15 * s, y, 0.7 * s, 0.5 * s);
            c.fill_nonzero();
            c.move_to(x + 0.3 * s, y + 0.5 * s);
            c.line_to(x + 0.3 * s, y + 0.72 * s);
            c.cubic_to(x + 0.3 * s, y + 1.02 * s, x + 0.7 * s, y + 1.02 * s, x + 0.7 * s, y + 0.72 * s);
            c.line_to(x + 0.7 * s, y + 0.5 * s);
            c.stroke();
        }
        Pictogram::DoNotShow => {
            // An eye (two arcs and a pupil), struck through.
            c.move_to(x, y + 0.5 * s);
            c.cubic_to(x + 0.3 * s, y + 0.95 * s, x + 0.7 * s, y + 0.95 * s, x + s, y + 0.5 * s);
            c.cubic_to(x + 0.7 * s, y + 0.05 * s, x + 0.3 * s, y + 0.05 * s, x, y + 0.5 * s);
            c.stroke();
            c.rect(x + 0.4 * s, y + 0.4 * s, 0.2 * s, 0.2 * s);
            c.fill_nonzero();
            c.move_to(x + 0.05 * s, y + 0.02 * s);
            c.line_to(x + 0.95 * s, y + 0.98 * s);
            c.stroke();
        }
        Pictogram::Scan => {
            // The four corners of a viewfinder around a small QR-like square.
            let k = 0.28 * s;
            for (cx, cy, dx, dy) in
                [(x, y, 1.0, 1.0), (x + s, y, -1.0, 1.0), (x, y + s, 1.0, -1.0), (x + s, y + s, -1.0, -1.0)]
            {
                c.move_to(cx + dx * k, cy);
                c.line_to(cx, cy);
                c.line_to(cx, cy + dy * k);
                c.stroke();
            }
            c.rect(x + 0.32 * s, y + 0.32 * s, 0.14 * s, 0.14 * s);
            c.rect(x + 0.54 * s, y + 0.54 * s, 0.14 * s, 0.14 * s);
            c.rect(x + 0.32 * s, y + 0.54 * s, 0.14 * s, 0.14 * s);
            c.fill_nonzero();
        }
    }
    c.restore_state();
}

/// Draws `qr` (modules, 4 of quiet zone) as a square of `side` points with its top-left corner at
/// (`x0`, `top`).
fn draw_qr(content: &mut Content, qr: &[Vec<bool>], x0: f32, top: f32, side: f32) {
    let n = qr.len() as f32;
    let module = side / (n + 8.0);
    let y0 = top - side;
    content.set_fill_gray(0.0);
    for (r, row) in qr.iter().enumerate() {
        for (c, &dark) in row.iter().enumerate() {
            if dark {
                let x = x0 + (c as f32 + 4.0) * module;
                let y = y0 + side - (r as f32 + 5.0) * module;
                content.rect(x, y, module, module);
            }
        }
    }
    content.fill_nonzero();
}

/// The kit as a PDF.
pub fn kit_pdf(page: &KitPage<'_>) -> Vec<u8> {
    let mut w = Writer::new(page.lang);
    let no = Args::new();
    w.sentence(BOLD, 24.0, "kit-title", &no);
    w.gap(4.0);
    for id in ["kit-what-1", "kit-what-2", "kit-what-3", "kit-what-4"] {
        w.sentence(REGULAR, BODY, id, &no);
    }

    w.gap(8.0);
    w.sentence(BOLD, 16.0, "kit-words-title", &no);
    w.gap(4.0);
    w.room(24.0 * 4.0 + 10.0);
    let top = w.y;
    // Three columns of four words, read left to right whatever the page's language (they are French
    // or English words); the QR sits on the other side.
    let qr_side = 128.0;
    let col = (A4.0 - 2.0 * MARGIN - qr_side - 10.0) / 3.0;
    let (words_x, qr_x) = if w.rtl() { (MARGIN + qr_side + 10.0, MARGIN) } else { (MARGIN, A4.0 - MARGIN - qr_side) };
    for (i, word) in page.words.iter().enumerate() {
        let (column, row) = (i / 4, i % 4);
        let x = words_x + column as f32 * col;
        w.y = top - 26.0 * (row as f32 + 1.0);
        w.latin(REGULAR, BODY, x, &format!("{:>2}.", i + 1));
        w.latin(BOLD, 17.0, x + 24.0, word);
    }
    w.y = top - 26.0 * 4.0 - 8.0;
    if let Some(qr) = page.qr {
        // About 4.5 cm wide, 4 modules of quiet zone.
        draw_qr(&mut w.content, qr, qr_x, top + 4.0, qr_side);
    }

    let sections: [(&str, Option<Pictogram>, &[&str]); 4] = [
        ("kit-keep-title", Some(Pictogram::Keep), &["kit-keep-1", "kit-keep-2", "kit-keep-3"]),
        ("kit-hide-title", Some(Pictogram::DoNotShow), &["kit-hide-1", "kit-hide-2"]),
        ("kit-scan-title", Some(Pictogram::Scan), &["kit-scan-1", "kit-scan-2", "kit-scan-3"]),
        ("kit-lost-title", None, &["kit-lost-1", "kit-lost-2", "kit-lost-3", "kit-lost-4"]),
    ];
    for (title, pictogram, lines) in sections {
        w.title(title, pictogram);
        for id in lines {
            w.sentence(REGULAR, BODY, id, &no);
        }
    }
    if let Some(a) = &page.assisted {
        // The second QR, clearly apart: the kit share of assisted recovery, with its digits.
        w.room(30.0 + 2.0 * BODY * LEADING + 96.0);
        w.title("kit-assisted-title", None);
        for id in ["kit-assisted-1", "kit-assisted-2"] {
            w.sentence(REGULAR, BODY, id, &no);
        }
        let top = w.y;
        for line in a.groups.chunks(5) {
            w.y -= BODY * LEADING;
            let x = if w.rtl() { A4.0 - MARGIN - 300.0 } else { MARGIN };
            w.latin(BOLD, BODY, x, &line.join(" "));
        }
        let side = 96.0;
        let x = if w.rtl() { MARGIN } else { A4.0 - MARGIN - side };
        draw_qr(&mut w.content, a.qr, x, top, side);
        w.y = w.y.min(top - side);
    }
    w.gap(8.0);
    w.sentence(REGULAR, 11.0, "kit-server", &Args::new().text("url", page.server_url));
    w.sentence(REGULAR, 11.0, "kit-made-on", &Args::new().text("date", page.date));

    let (pages, embedded) = w.finish_pages();
    write_pdf(pages, embedded)
}

/// Assembles the PDF: pages, the Helvetica fonts, and the embedded subset when Arabic was drawn.
fn write_pdf(pages: Vec<Content>, embedded: Embedded) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, f1, f2, f3) = (alloc(), alloc(), alloc(), alloc(), alloc());
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (alloc(), alloc())).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().map(|(p, _)| *p)).count(page_ids.len() as i32);
    for ((page_id, content_id), content) in page_ids.iter().zip(pages) {
        let mut p = pdf.page(*page_id);
        p.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
        p.parent(tree);
        p.contents(*content_id);
        {
            let mut res = p.resources();
            let mut fonts = res.fonts();
            fonts.pair(REGULAR, f1);
            fonts.pair(BOLD, f2);
            if !embedded.used.is_empty() {
                fonts.pair(SHAPED, f3);
            }
        }
        p.finish();
        pdf.stream(*content_id, &content.finish());
    }
    pdf.type1_font(f1).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(f2).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    if !embedded.used.is_empty() {
        let (cid, descriptor, file, to_unicode) = (alloc(), alloc(), alloc(), alloc());
        embed_subset(&mut pdf, f3, [cid, descriptor, file, to_unicode], &embedded);
    }
    pdf.finish()
}

/// Writes the embedded font: a Type 0 font over a CID font whose CIDs are the subset's glyph ids,
/// with the glyphs' widths and a ToUnicode map (the text layer, in reading order per glyph).
fn embed_subset(pdf: &mut Pdf, type0: Ref, [cid, descriptor, file, to_unicode]: [Ref; 4], e: &Embedded) {
    const BASE: Name<'static> = Name(b"COFFRE+DejaVuSans-Bold");
    let info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    let font = subsetter::subset(shaping_font(), 0, &e.remapper).unwrap_or_default();
    pdf.type0_font(type0)
        .base_font(BASE)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(to_unicode);
    let mut cid_font = pdf.cid_font(cid);
    cid_font.subtype(CidFontType::Type2).base_font(BASE).system_info(info).font_descriptor(descriptor);
    cid_font.cid_to_gid_map_predefined(Name(b"Identity"));
    {
        let mut widths = cid_font.widths();
        for (id, _, width) in &e.used {
            widths.consecutive(*id, [*width]);
        }
    }
    cid_font.finish();
    pdf.font_descriptor(descriptor)
        .name(BASE)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(-1069.0, -415.0, 1975.0, 1174.0))
        .italic_angle(0.0)
        .ascent(928.0)
        .descent(-236.0)
        .cap_height(729.0)
        .stem_v(120.0)
        .font_file2(file);
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&font, 6);
    pdf.stream(file, &compressed).filter(Filter::FlateDecode).pair(Name(b"Length1"), font.len() as i32);
    let mut cmap = UnicodeCmap::new(Name(b"Coffre-UTF16"), info);
    for (id, text, _) in &e.used {
        if !text.is_empty() {
            cmap.pair_with_multiple(*id, text.chars());
        }
    }
    pdf.cmap(to_unicode, &cmap.finish());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_keeps_french() {
        assert_eq!(
            win_ansi("é à ç ô « » ’ œ"),
            vec![0xe9, 32, 0xe0, 32, 0xe7, 32, 0xf4, 32, 0xab, 32, 0xbb, 32, 0x92, 32, 0x9c]
        );
        assert_eq!(win_ansi("日"), b"?");
    }

    fn kit(lang: Lang, assisted: bool) -> Vec<u8> {
        let words: Vec<String> = (0..12).map(|i| format!("mot{i}")).collect();
        let qr = vec![vec![true, false, true]; 3];
        let groups = vec!["0102a".to_string(); 14];
        let assisted = assisted.then_some(AssistedPrint { qr: &qr, groups: &groups });
        kit_pdf(&KitPage { lang, words: &words, qr: Some(&qr), server_url: "https://x", date: "01/01/2026", assisted })
    }

    #[test]
    fn french_kit_is_one_small_page_without_embedded_font() {
        let pdf = kit(Lang::Fr, false);
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() < 20_000, "{}", pdf.len());
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 1"));
        assert!(text.contains("mot11"));
        assert!(!text.contains("FontFile2"));
        // With the assisted-recovery share too, it stays one page: printers and the e2e test read
        // both QR codes on it.
        let with_share = String::from_utf8_lossy(&kit(Lang::Fr, true)).to_string();
        assert!(with_share.contains("0102a 0102a"));
        assert!(with_share.contains("/Count 1"), "the French kit with its share overflowed to a second page");
        assert!(String::from_utf8_lossy(&kit(Lang::En, true)).contains("/Count 1"));
    }

    #[test]
    fn arabic_kit_embeds_a_small_subset() {
        let pdf = kit(Lang::Ar, true);
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("FontFile2") && text.contains("Identity-H") && text.contains("ToUnicode"));
        assert!(pdf.len() < 120_000, "the subset keeps the kit small: {} bytes", pdf.len());
    }

    #[test]
    fn long_sentences_wrap_to_the_page() {
        let lines = wrap(&"mot ".repeat(60), BODY, 400.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| !l.is_empty()));
        assert_eq!(lines.join(" ").split(' ').count(), 60);
    }
}
