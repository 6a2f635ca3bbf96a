//! The languages Coffre ships, and how a person's language is found (`LC_ALL`, `LC_MESSAGES`,
//! `LANG`, as POSIX orders them; a browser's `navigator.languages` goes through [`Lang::from_tag`]).

/// A shipped language. French is the reference: every other language is checked against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Fr,
    En,
    Ar,
}

/// Writing direction, for surfaces that lay out text (`dir="rtl"` in HTML, right-aligned PDF lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    LeftToRight,
    RightToLeft,
}

impl Lang {
    /// Every shipped language, the reference first.
    pub const ALL: [Lang; 3] = [Lang::Fr, Lang::En, Lang::Ar];

    /// The BCP 47 code, also the catalogue folder's name (`core/l10n/<code>/`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
            Lang::Ar => "ar",
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            Lang::Ar => Direction::RightToLeft,
            Lang::Fr | Lang::En => Direction::LeftToRight,
        }
    }

    /// The language of a locale name or tag: `fr_FR.UTF-8`, `ar-MA`, `en`, `ar_DZ@latin`... `None`
    /// for a language Coffre does not ship (and for `C`/`POSIX`).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary: String =
            tag.trim().chars().take_while(|c| c.is_ascii_alphabetic()).collect::<String>().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The language of the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set (as POSIX orders
    /// them); a language Coffre does not ship gives English, the most widely read of the others.
    pub fn from_env() -> Lang {
        Lang::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Lang::from_env`] over any variable source (tests pass a map instead of the process
    /// environment).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Lang {
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Some(v) = get(var).filter(|v| !v.is_empty()) {
                return Lang::from_tag(&v).unwrap_or(Lang::En);
            }
        }
        Lang::En
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_names_give_their_language() {
        assert_eq!(Lang::from_tag("fr_FR.UTF-8"), Some(Lang::Fr));
        assert_eq!(Lang::from_tag("ar_MA.UTF-8"), Some(Lang::Ar));
        assert_eq!(Lang::from_tag("ar-EG"), Some(Lang::Ar));
        assert_eq!(Lang::from_tag("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::from_tag("C"), None);
        assert_eq!(Lang::from_tag("frr"), None, "North Frisian is not French");
        assert_eq!(Lang::from_tag("de_DE"), None);
    }

    #[test]
    fn lc_all_wins_then_lc_messages_then_lang() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(Lang::from_vars(env(&[("LANG", "ar_TN.UTF-8")])), Lang::Ar);
        assert_eq!(Lang::from_vars(env(&[("LANG", "ar_TN.UTF-8"), ("LC_MESSAGES", "fr_FR")])), Lang::Fr);
        assert_eq!(Lang::from_vars(env(&[("LC_ALL", "en_US"), ("LC_MESSAGES", "fr_FR")])), Lang::En);
        assert_eq!(Lang::from_vars(env(&[("LC_ALL", ""), ("LANG", "fr_BE")])), Lang::Fr, "empty means unset");
        assert_eq!(Lang::from_vars(env(&[("LANG", "de_DE.UTF-8")])), Lang::En);
        assert_eq!(Lang::from_vars(env(&[])), Lang::En);
        assert_eq!(Lang::Ar.direction(), Direction::RightToLeft);
    }
}
