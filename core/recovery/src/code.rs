//! The recovery code: 128 random bits shown as 12 BIP39 words (2048-word lists, 11 bits a word, the
//! last 4 bits a SHA-256 checksum that catches almost every typing mistake).
//!
//! French is the default list; English is selectable. Typed words are matched without accents and
//! case, and a word may be shortened to its first four letters when that is unambiguous (both lists
//! are built so that four letters tell the words apart).

use bip39::{Language, Mnemonic};
use coffre_crypto::random_bytes;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Number of words of a code.
pub const WORD_COUNT: usize = 12;
/// Prefix of the code's text form inside a QR (`coffre-kit:1:<32 hex digits>:<server url>`).
const QR_PREFIX: &str = "coffre-kit:1:";

/// A word list the code can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordList {
    /// The default: the people we serve read French first.
    French,
    English,
}

impl WordList {
    fn language(self) -> Language {
        match self {
            WordList::French => Language::French,
            WordList::English => Language::English,
        }
    }

    /// `fr` or `en`.
    pub fn parse(code: &str) -> Option<WordList> {
        match code.to_ascii_lowercase().as_str() {
            "fr" | "french" | "français" | "francais" => Some(WordList::French),
            "en" | "english" | "anglais" => Some(WordList::English),
            _ => None,
        }
    }
}

/// Why typed words are not a recovery code. Never holds the words themselves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Not 12 words.
    #[error("a recovery code has 12 words; {0} were typed")]
    WordCount(usize),
    /// The word at this position (1-based) is in no list.
    #[error("word {position} is not in the list; check its spelling on the kit")]
    UnknownWord { position: usize },
    /// Words from more than one list.
    #[error("word {position} is from another word list than the first word")]
    MixedLists { position: usize },
    /// All words exist but the checksum fails: one of them is not the printed one.
    #[error("the words do not go together: one of them is not the one printed on the kit")]
    Checksum,
    /// A QR that is not a recovery kit.
    #[error("this QR code is not a recovery kit")]
    NotAKit,
}

/// 128-bit recovery code. Zeroized on drop, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct RecoveryCode([u8; 16]);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode([redacted])")
    }
}

/// ASCII-lowercase form of a word without accents (handles both composed and decomposed accents).
fn fold(word: &str) -> String {
    word.chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' | 'Á' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'î' | 'ï' | 'í' | 'Î' | 'Ï' | 'Í' => 'i',
            'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' | 'Ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => 'u',
            'ç' | 'Ç' => 'c',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// The composed form of a word of the lists (they are stored decomposed, NFKD, as BIP39 says).
fn compose(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        let base = out.pop();
        let composed = match (base, c) {
            (Some('e'), '\u{301}') => Some('é'),
            (Some('e'), '\u{300}') => Some('è'),
            (Some('e'), '\u{302}') => Some('ê'),
            (Some('e'), '\u{308}') => Some('ë'),
            (Some('a'), '\u{300}') => Some('à'),
            (Some('a'), '\u{302}') => Some('â'),
            (Some('i'), '\u{302}') => Some('î'),
            (Some('i'), '\u{308}') => Some('ï'),
            (Some('o'), '\u{302}') => Some('ô'),
            (Some('u'), '\u{300}') => Some('ù'),
            (Some('u'), '\u{302}') => Some('û'),
            (Some('u'), '\u{308}') => Some('ü'),
            (Some('c'), '\u{327}') => Some('ç'),
            _ => None,
        };
        match (base, composed) {
            (_, Some(k)) => out.push(k),
            (Some(b), None) => {
                out.push(b);
                out.push(c);
            }
            (None, None) => out.push(c),
        }
    }
    out
}

/// Index of a typed word in `list`: an exact (folded) match, or a unique prefix of 4+ letters.
fn find(list: WordList, typed: &str) -> Option<usize> {
    let typed = fold(typed);
    let words = list.language().word_list();
    if let Some(i) = words.iter().position(|w| fold(w) == typed) {
        return Some(i);
    }
    if typed.chars().count() < 4 {
        return None;
    }
    let mut hits = words.iter().enumerate().filter(|(_, w)| fold(w).starts_with(&typed));
    match (hits.next(), hits.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

impl RecoveryCode {
    /// A fresh random code.
    pub fn generate() -> RecoveryCode {
        RecoveryCode(random_bytes())
    }

    /// From raw bytes (tests, or a code decoded elsewhere).
    pub fn from_bytes(bytes: [u8; 16]) -> RecoveryCode {
        RecoveryCode(bytes)
    }

    /// The 16 secret bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The 12 words, with their accents (composed, as people write them), in `list`.
    pub fn words(&self, list: WordList) -> Vec<String> {
        // 16 bytes is always a valid BIP39 entropy length.
        match Mnemonic::from_entropy_in(list.language(), &self.0) {
            Ok(m) => m.words().map(compose).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Parses typed words (any case, with or without accents, separated by spaces, commas or dashes),
    /// in whichever list the first word belongs to.
    pub fn from_words(text: &str) -> Result<RecoveryCode, CodeError> {
        let typed: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ',' || c == '-' || c == '.')
            .filter(|w| !w.is_empty())
            .collect();
        if typed.len() != WORD_COUNT {
            return Err(CodeError::WordCount(typed.len()));
        }
        // Some words are in both lists: the list is the one that knows every word (French first).
        let resolve = |list: WordList| typed.iter().map(|w| find(list, w)).collect::<Vec<_>>();
        let lists = [WordList::French, WordList::English];
        let resolved: Vec<(WordList, Vec<Option<usize>>)> = lists.iter().map(|l| (*l, resolve(*l))).collect();
        let mut checksum_failed = false;
        for (list, indices) in &resolved {
            let Some(indices) = indices.iter().copied().collect::<Option<Vec<usize>>>() else { continue };
            let mut canonical = Zeroizing::new(String::new());
            for (i, idx) in indices.iter().enumerate() {
                if i > 0 {
                    canonical.push(' ');
                }
                canonical.push_str(list.language().word_list()[*idx]);
            }
            match Mnemonic::parse_in_normalized(list.language(), &canonical) {
                Ok(mnemonic) => {
                    let (entropy, len) = mnemonic.to_entropy_array();
                    let entropy = Zeroizing::new(entropy);
                    let bytes: [u8; 16] =
                        entropy.get(..len).and_then(|e| e.try_into().ok()).ok_or(CodeError::Checksum)?;
                    return Ok(RecoveryCode(bytes));
                }
                Err(_) => checksum_failed = true,
            }
        }
        if checksum_failed {
            return Err(CodeError::Checksum);
        }
        // Name the first word the most likely list does not know.
        let known = |v: &Vec<Option<usize>>| v.iter().filter(|i| i.is_some()).count();
        let (best, best_idx) = resolved
            .iter()
            .fold(None::<&(WordList, Vec<Option<usize>>)>, |acc, r| match acc {
                Some(a) if known(&a.1) >= known(&r.1) => Some(a),
                _ => Some(r),
            })
            .map(|(l, v)| (*l, v.clone()))
            .ok_or(CodeError::UnknownWord { position: 1 })?;
        let position = best_idx.iter().position(Option::is_none).unwrap_or(0);
        let other = if best == WordList::French { WordList::English } else { WordList::French };
        Err(if find(other, typed[position]).is_some() {
            CodeError::MixedLists { position: position + 1 }
        } else {
            CodeError::UnknownWord { position: position + 1 }
        })
    }

    /// The text a kit's QR holds: `coffre-kit:1:<32 hex digits>:<server url>`.
    pub fn qr_text(&self, server_url: &str) -> Zeroizing<String> {
        Zeroizing::new(format!("{QR_PREFIX}{}:{}", hex::encode(self.0), server_url.trim_end_matches('/')))
    }

    /// Parses [`Self::qr_text`]: the code and the server address.
    pub fn from_qr_text(text: &str) -> Result<(RecoveryCode, String), CodeError> {
        let rest = text.trim().strip_prefix(QR_PREFIX).ok_or(CodeError::NotAKit)?;
        let (code, url) = rest.split_once(':').ok_or(CodeError::NotAKit)?;
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(code, &mut bytes).map_err(|_| CodeError::NotAKit)?;
        if url.is_empty() {
            return Err(CodeError::NotAKit);
        }
        Ok((RecoveryCode(bytes), url.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_in_both_lists() {
        for _ in 0..50 {
            let code = RecoveryCode::generate();
            for list in [WordList::French, WordList::English] {
                let words = code.words(list);
                assert_eq!(words.len(), WORD_COUNT);
                assert_eq!(RecoveryCode::from_words(&words.join(" ")).expect("parse"), code);
            }
        }
    }

    /// BIP39's published vector: 16 zero bytes are "abandon ... about" in English.
    #[test]
    fn known_answer() {
        let code = RecoveryCode::from_bytes([0; 16]);
        let en = code.words(WordList::English);
        assert_eq!(en[0], "abandon");
        assert_eq!(en[11], "about");
        let fr = code.words(WordList::French);
        assert_eq!(fr[0], "abaisser");
        // Accents are composed for display.
        assert_eq!(compose("e\u{301}galiser"), "égaliser");
        assert!(RecoveryCode::generate().words(WordList::French).iter().all(|w| !w.contains('\u{301}')));
        let code = RecoveryCode::from_bytes([0x7f; 16]);
        assert_eq!(
            code.words(WordList::English).join(" "),
            "legal winner thank year wave sausage worth useful legal winner thank yellow"
        );
    }

    #[test]
    fn typing_is_forgiving() {
        let code = RecoveryCode::generate();
        let words = code.words(WordList::French);
        // Upper case, no accents, commas, four-letter prefixes.
        let typed: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| if i % 2 == 0 { fold(w).to_uppercase() } else { fold(w).chars().take(4).collect() })
            .collect();
        // A 4-letter prefix may be the whole of another word; only assert when all prefixes are unique.
        if typed.iter().all(|t| find(WordList::French, t).is_some()) {
            assert_eq!(RecoveryCode::from_words(&typed.join(", ")).expect("parse"), code);
        }
        let decomposed = words.join(" ").replace('é', "e\u{301}");
        assert_eq!(RecoveryCode::from_words(&decomposed).expect("parse"), code);
    }

    #[test]
    fn mistakes_are_named() {
        let code = RecoveryCode::from_bytes([0x42; 16]);
        let mut words = code.words(WordList::French);
        assert_eq!(RecoveryCode::from_words(&words[..11].join(" ")), Err(CodeError::WordCount(11)));
        let saved = words[4].clone();
        words[4] = "zzzzz".into();
        assert_eq!(RecoveryCode::from_words(&words.join(" ")), Err(CodeError::UnknownWord { position: 5 }));
        words[4] = "thank".into();
        assert_eq!(RecoveryCode::from_words(&words.join(" ")), Err(CodeError::MixedLists { position: 5 }));
        // Another real word at one position: the checksum catches it (15 times in 16).
        words[4] = saved;
        let mut caught = 0;
        for other in bip39::Language::French.word_list().iter().take(64) {
            let mut w = words.clone();
            if w[7] == compose(other) {
                continue;
            }
            w[7] = other.to_string();
            if RecoveryCode::from_words(&w.join(" ")) == Err(CodeError::Checksum) {
                caught += 1;
            }
        }
        assert!(caught >= 48, "checksum caught only {caught} of 64 substitutions");
    }

    #[test]
    fn qr_text_round_trip() {
        let code = RecoveryCode::generate();
        let text = code.qr_text("http://127.0.0.1:8080/");
        let (back, url) = RecoveryCode::from_qr_text(&text).expect("parse");
        assert_eq!(back, code);
        assert_eq!(url, "http://127.0.0.1:8080");
        assert_eq!(RecoveryCode::from_qr_text("https://example.org"), Err(CodeError::NotAKit));
        assert_eq!(RecoveryCode::from_qr_text("coffre-kit:1:zz:http://x"), Err(CodeError::NotAKit));
    }

    #[test]
    fn debug_and_errors_hide_the_code() {
        let code = RecoveryCode::from_bytes([0x61; 16]);
        assert_eq!(format!("{code:?}"), "RecoveryCode([redacted])");
        let words = code.words(WordList::French).join(" ");
        let err = RecoveryCode::from_words(&format!("{words} extra")).expect_err("13 words");
        assert!(!err.to_string().contains(&code.words(WordList::French)[0]));
    }
}
