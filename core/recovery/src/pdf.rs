//! The printable kit: one A4 page in plain French (FALC: short sentences, one idea a line, large
//! type, no pictograms, black on white so it photocopies and prints in black and white).
//!
//! Text uses the standard Helvetica fonts with WinAnsi encoding (every French letter is in it), so
//! the PDF embeds no font and stays a few kilobytes. The QR is drawn as vector squares: it prints
//! sharp at any resolution.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

const A4: (f32, f32) = (595.28, 841.89);
const MARGIN: f32 = 56.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// What goes on the kit.
pub struct KitPage<'a> {
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

struct Writer {
    content: Content,
    y: f32,
}

impl Writer {
    fn text(&mut self, font: Name<'_>, size: f32, x: f32, text: &str) {
        self.content.begin_text();
        self.content.set_font(font, size);
        self.content.next_line(x, self.y);
        self.content.show(Str(&win_ansi(text)));
        self.content.end_text();
    }

    fn line(&mut self, font: Name<'_>, size: f32, text: &str) {
        self.y -= size * 1.45;
        self.text(font, size, MARGIN, text);
    }

    fn gap(&mut self, points: f32) {
        self.y -= points;
    }
}

/// The French paragraphs, one idea a line.
const WHAT: &[&str] = &[
    "Ce papier est la clé de secours de votre coffre-fort numérique.",
    "Avec ce papier, vous retrouvez tous vos documents.",
    "Même si vous perdez votre téléphone.",
    "Même si vous oubliez votre code.",
];
const WHERE: &[&str] = &[
    "Gardez ce papier dans un endroit sûr.",
    "Ne le montrez à personne.",
    "Ne le prenez pas en photo.",
    "Vous pouvez en confier une copie sous enveloppe fermée",
    "à l'organisme qui reçoit votre courrier (CCAS, association).",
];
const HOW: &[&str] = &[
    "Sur un nouveau téléphone, installez Coffre.",
    "Choisissez « J'ai un kit de secours ».",
    "Scannez le QR code, ou tapez les 12 mots dans l'ordre.",
];
const LOST: &[&str] = &[
    "Pas de panique : vos documents ne sont pas perdus.",
    "Ouvrez Coffre sur votre téléphone et faites un nouveau kit.",
    "L'ancien papier ne marchera plus.",
    "Faites de même si quelqu'un d'autre a vu ce papier.",
];

const ASSISTED: &[&str] = &[
    "Si vous perdez ce papier, ce code aide à retrouver le coffre",
    "avec l'organisme choisi. Seul, il ne suffit pas.",
];

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

/// The kit as a one-page PDF.
pub fn kit_pdf(page: &KitPage<'_>) -> Vec<u8> {
    let mut w = Writer { content: Content::new(), y: A4.1 - MARGIN };
    w.line(BOLD, 22.0, "Mon kit de secours Coffre");
    w.gap(6.0);
    for l in WHAT {
        w.line(REGULAR, 12.0, l);
    }

    w.gap(10.0);
    w.line(BOLD, 14.0, "Mes 12 mots de secours :");
    w.gap(4.0);
    let top = w.y;
    let col = (A4.0 - 2.0 * MARGIN) / 2.0;
    for (i, word) in page.words.iter().enumerate() {
        let (column, row) = (i / 6, i % 6);
        let x = MARGIN + column as f32 * col * 0.55;
        w.y = top - 24.0 * (row as f32 + 1.0);
        w.text(REGULAR, 12.0, x, &format!("{:>2}.", i + 1));
        w.text(BOLD, 16.0, x + 24.0, word);
    }
    w.y = top - 24.0 * 6.0;

    if let Some(qr) = page.qr {
        // QR at the right of the words, 4 modules of quiet zone, about 4.5 cm wide.
        let side = 128.0;
        draw_qr(&mut w.content, qr, A4.0 - MARGIN - side, top + 4.0, side);
    }

    for (title, lines) in
        [("Où garder ce papier ?", WHERE), ("Comment retrouver mes documents ?", HOW), ("J'ai perdu ce papier :", LOST)]
    {
        w.gap(14.0);
        w.line(BOLD, 14.0, title);
        for l in lines {
            w.line(REGULAR, 12.0, l);
        }
    }
    if let Some(a) = &page.assisted {
        // The second QR, clearly apart: the kit share of assisted recovery, with its digits.
        w.gap(14.0);
        w.line(BOLD, 14.0, "Part du kit pour le secours avec l'organisme :");
        let top = w.y;
        for l in ASSISTED {
            w.line(REGULAR, 11.0, l);
        }
        for line in a.groups.chunks(7) {
            w.line(BOLD, 12.0, &line.join(" "));
        }
        let side = 96.0;
        draw_qr(&mut w.content, a.qr, A4.0 - MARGIN - side, top, side);
        w.y = w.y.min(top - side);
    }
    w.gap(18.0);
    w.line(REGULAR, 9.0, &format!("Serveur : {}", page.server_url));
    w.line(REGULAR, 9.0, &format!("Kit fait le {}. Un nouveau kit remplace celui-ci.", page.date));

    let mut pdf = Pdf::new();
    let (catalog, tree, page_id, content_id, f1, f2) =
        (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5), Ref::new(6));
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    let mut p = pdf.page(page_id);
    p.media_box(Rect::new(0.0, 0.0, A4.0, A4.1));
    p.parent(tree);
    p.contents(content_id);
    {
        let mut res = p.resources();
        let mut fonts = res.fonts();
        fonts.pair(REGULAR, f1);
        fonts.pair(BOLD, f2);
    }
    p.finish();
    pdf.type1_font(f1).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(f2).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.stream(content_id, &w.content.finish());
    pdf.finish()
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

    #[test]
    fn pdf_is_one_small_page() {
        let words: Vec<String> = (0..12).map(|i| format!("mot{i}")).collect();
        let qr = vec![vec![true, false, true]; 3];
        let groups = vec!["0102a".to_string(); 14];
        let assisted = Some(AssistedPrint { qr: &qr, groups: &groups });
        let pdf =
            kit_pdf(&KitPage { words: &words, qr: Some(&qr), server_url: "https://x", date: "01/01/2026", assisted });
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() < 20_000, "{}", pdf.len());
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 1"));
        assert!(text.contains("mot11"));
        assert!(text.contains("0102a 0102a"));
    }
}
