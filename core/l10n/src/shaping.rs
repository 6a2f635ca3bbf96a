//! Text shaping for the surfaces that draw letters themselves (the kit PDF, the watermark): the
//! bidirectional algorithm splits a line into runs in visual order, and `rustybuzz` (HarfBuzz's
//! algorithm) turns each run into the font's glyphs, so Arabic letters are joined and read right to
//! left, while numbers and Latin words inside stay left to right.

use unicode_bidi::{BidiInfo, Level};

use crate::Direction;

/// One glyph of a shaped line, positioned in font units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapedGlyph {
    /// The glyph id in the font (a joined form for Arabic, not the letter's own glyph).
    pub id: u16,
    pub x_advance: i32,
    pub x_offset: i32,
    pub y_offset: i32,
    /// The characters this glyph stands for, in logical order (several for a ligature such as
    /// lam-alef; empty for the second glyph of a cluster): what a PDF's text layer maps it back to.
    pub text: String,
    /// Part of a right-to-left run.
    pub rtl: bool,
}

impl ShapedGlyph {
    /// The glyph's characters in visual order (left to right), as PDF text layers expect them: a
    /// reader reverses right-to-left lines as a whole, which would otherwise reverse a ligature's
    /// letters ("لإ" read back as "إل").
    pub fn visual_text(&self) -> String {
        if self.rtl { self.text.chars().rev().collect() } else { self.text.clone() }
    }
}

/// A line of text as glyphs, left to right on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapedLine {
    pub glyphs: Vec<ShapedGlyph>,
    pub units_per_em: u16,
}

impl ShapedLine {
    /// Width in font units.
    pub fn advance(&self) -> i32 {
        self.glyphs.iter().map(|g| g.x_advance).sum()
    }
}

/// Shapes one line of `text` with the font `font` (TrueType/OpenType bytes). `base` is the
/// paragraph's direction (the language's); `None` when the font cannot be read.
pub fn shape_line(font: &[u8], text: &str, base: Direction) -> Option<ShapedLine> {
    let face = rustybuzz::Face::from_slice(font, 0)?;
    let level = match base {
        Direction::LeftToRight => Level::ltr(),
        Direction::RightToLeft => Level::rtl(),
    };
    let bidi = BidiInfo::new(text, Some(level));
    let mut glyphs = Vec::new();
    for para in &bidi.paragraphs {
        let (levels, runs) = bidi.visual_runs(para, para.range.clone());
        for run in runs {
            let Some(run_level) = levels.get(run.start) else { continue };
            let run_text = &text[run.clone()];
            let mut buffer = rustybuzz::UnicodeBuffer::new();
            buffer.push_str(run_text);
            buffer.guess_segment_properties();
            buffer.set_direction(if run_level.is_rtl() {
                rustybuzz::Direction::RightToLeft
            } else {
                rustybuzz::Direction::LeftToRight
            });
            let shaped = rustybuzz::shape(&face, &[], buffer);
            let infos = shaped.glyph_infos();
            let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
            starts.sort_unstable();
            starts.dedup();
            let rtl = run_level.is_rtl();
            for (k, (info, pos)) in infos.iter().zip(shaped.glyph_positions()).enumerate() {
                let start = info.cluster as usize;
                let end = starts.iter().copied().find(|&s| s > start).unwrap_or(run_text.len());
                let chars: Vec<char> = run_text.get(start..end).unwrap_or_default().chars().collect();
                // The glyphs of this cluster, and this one's rank among them in reading order.
                let members: Vec<usize> = (0..infos.len()).filter(|&j| infos[j].cluster == info.cluster).collect();
                let rank = members.iter().position(|&j| j == k).unwrap_or(0);
                let rank = if rtl { members.len() - 1 - rank } else { rank };
                // One glyph per character (a letter and its vowel mark): one character each; else
                // (a ligature) the first glyph in reading order carries them all.
                let text = if members.len() == chars.len() {
                    chars.get(rank).map(|c| c.to_string()).unwrap_or_default()
                } else if rank == 0 {
                    chars.iter().collect()
                } else {
                    String::new()
                };
                glyphs.push(ShapedGlyph {
                    id: u16::try_from(info.glyph_id).unwrap_or(0),
                    x_advance: pos.x_advance,
                    x_offset: pos.x_offset,
                    y_offset: pos.y_offset,
                    text,
                    rtl,
                });
            }
        }
    }
    Some(ShapedLine { glyphs, units_per_em: u16::try_from(face.units_per_em()).unwrap_or(1000) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> &'static [u8] {
        dejavu::sans::bold()
    }

    #[test]
    fn arabic_letters_are_joined_and_laid_right_to_left() {
        let face = rustybuzz::Face::from_slice(font(), 0).expect("font");
        let word = "سلام";
        let line = shape_line(font(), word, Direction::RightToLeft).expect("shaped");
        // The glyphs are not the letters' own (isolated) glyphs: they are their joined forms.
        let isolated: Vec<u16> = word.chars().map(|c| face.glyph_index(c).map(|g| g.0).unwrap_or(0)).collect();
        let ids: Vec<u16> = line.glyphs.iter().map(|g| g.id).collect();
        assert_ne!(ids, isolated);
        // Left to right on the page, the last letter (meem) comes first.
        assert_eq!(line.glyphs.first().map(|g| g.text.as_str()), Some("م"));
        let logical: String = line.glyphs.iter().rev().map(|g| g.text.as_str()).collect();
        assert_eq!(logical, word, "the text layer gives the word back in reading order");
    }

    #[test]
    fn numbers_inside_arabic_stay_left_to_right() {
        let line = shape_line(font(), "في 2026", Direction::RightToLeft).expect("shaped");
        let visual: String = line.glyphs.iter().map(|g| g.text.as_str()).collect();
        assert!(visual.starts_with("2026"), "{visual}");
    }
}
