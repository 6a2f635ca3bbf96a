//! The catalogue: the `.ftl` files compiled into the binary, one Fluent bundle per language, and
//! [`Catalogue::get`], which never fails: a message missing in a language comes in French (the
//! reference), and a message missing everywhere comes back as its id (a test keeps that from
//! shipping).

use std::borrow::Cow;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::Lang;

/// The catalogue files, by language, as shipped (the reference first).
pub const FTL_SOURCES: [(Lang, &str); 3] = [
    (Lang::Fr, include_str!("../fr/coffre.ftl")),
    (Lang::En, include_str!("../en/coffre.ftl")),
    (Lang::Ar, include_str!("../ar/coffre.ftl")),
];

/// One value given to a message: text (a name, a path, a date already in words) or a number (which
/// also chooses the plural form: `{ $count -> [one] ... *[other] ... }`).
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Number(f64),
}

/// The named values of one message, built in a chain: `Args::new().num("count", 3).text("name", n)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Args(Vec<(Cow<'static, str>, Arg)>);

impl Args {
    pub fn new() -> Args {
        Args(Vec::new())
    }

    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Args {
        self.0.push((Cow::Borrowed(name), Arg::Text(value.into())));
        self
    }

    pub fn num(mut self, name: &'static str, value: impl Into<f64>) -> Args {
        self.0.push((Cow::Borrowed(name), Arg::Number(value.into())));
        self
    }

    /// A count (`usize`, `u64`): a number for the plural rules.
    pub fn count(self, name: &'static str, value: u64) -> Args {
        self.num(name, value as f64)
    }

    fn to_fluent(&self) -> FluentArgs<'_> {
        let mut out = FluentArgs::with_capacity(self.0.len());
        for (name, value) in &self.0 {
            match value {
                Arg::Text(s) => out.set(name.as_ref(), FluentValue::String(Cow::Borrowed(s.as_str()))),
                Arg::Number(n) => out.set(name.as_ref(), FluentValue::from(*n)),
            }
        }
        out
    }
}

/// Every shipped language's messages.
pub struct Catalogue {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
    /// Syntax errors and duplicate ids met while loading, as "lang: message" (the tests require none).
    problems: Vec<String>,
}

/// The shipped catalogue, parsed on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| Catalogue::from_sources(&FTL_SOURCES))
}

impl Catalogue {
    /// A catalogue from `.ftl` texts (the shipped ones are [`FTL_SOURCES`]).
    pub fn from_sources(sources: &[(Lang, &str)]) -> Catalogue {
        let mut problems = Vec::new();
        let mut bundles = Vec::new();
        for (lang, text) in sources {
            let resource = FluentResource::try_new(text.to_string()).unwrap_or_else(|(partial, errors)| {
                problems.extend(errors.iter().map(|e| format!("{}: syntax: {e:?}", lang.code())));
                partial
            });
            let tag: unic_langid::LanguageIdentifier =
                lang.code().parse().unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
            let mut bundle = FluentBundle::new_concurrent(vec![tag]);
            // Unicode isolation marks around arguments show as boxes in many terminals and PDF
            // viewers; the bidirectional algorithm places our arguments (numbers, names) correctly.
            bundle.set_use_isolating(false);
            if let Err(errors) = bundle.add_resource(resource) {
                problems.extend(errors.iter().map(|e| format!("{}: {e:?}", lang.code())));
            }
            bundles.push((*lang, bundle));
        }
        Catalogue { bundles, problems }
    }

    fn bundle(&self, lang: Lang) -> Option<&FluentBundle<FluentResource>> {
        self.bundles.iter().find(|(l, _)| *l == lang).map(|(_, b)| b)
    }

    /// The message `id` in `lang` with `args`; in French when `lang` lacks it; the id itself when no
    /// language has it.
    pub fn get(&self, lang: Lang, id: &str, args: &Args) -> String {
        self.try_get(lang, id, args).or_else(|| self.try_get(Lang::Fr, id, args)).unwrap_or_else(|| id.to_string())
    }

    /// The message `id` in `lang` only, if that language has it.
    pub fn try_get(&self, lang: Lang, id: &str, args: &Args) -> Option<String> {
        let bundle = self.bundle(lang)?;
        let pattern = bundle.get_message(id)?.value()?;
        let fluent_args = args.to_fluent();
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
        Some(text.into_owned())
    }

    /// The ids of `lang`'s messages, in file order.
    pub fn ids(&self, lang: Lang) -> Vec<String> {
        let Some((_, text)) = FTL_SOURCES.iter().find(|(l, _)| *l == lang) else { return Vec::new() };
        ids_of(text)
    }

    /// Syntax errors and duplicate ids met while loading.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }

    /// The share viewer's sentences (`viewer-*`) of every shipped language, as the JSON object
    /// `{"fr": {...}, "en": {...}, "ar": {...}}` bundled into the page (`sync-server/viewer/src/messages.json`).
    pub fn viewer_json(&self) -> String {
        let parts: Vec<String> = Lang::ALL
            .iter()
            .map(|l| format!("{}: {}", json_string(l.code()), self.to_json(*l, "viewer-").trim_end()))
            .collect();
        format!("{{\n{}\n}}\n", parts.join(",\n"))
    }

    /// The messages whose id starts with `prefix`, as JSON `{"id": "text", ...}` with each `$arg`
    /// left as `{arg}` for the page to fill (the share viewer's strings, compiled at build time).
    pub fn to_json(&self, lang: Lang, prefix: &str) -> String {
        let mut out = String::from("{");
        for (i, id) in self.ids(lang).iter().filter(|id| id.starts_with(prefix)).enumerate() {
            let text = self.get(lang, id, &placeholder_args(&FTL_SOURCES, id));
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!("\n  {}: {}", json_string(id), json_string(&text)));
        }
        out.push_str("\n}\n");
        out
    }
}

/// Each `$name` used in the reference text of `id`, set to the text `{name}`.
fn placeholder_args(sources: &[(Lang, &str)], id: &str) -> Args {
    let mut args = Args::new();
    let Some((_, fr)) = sources.first() else { return args };
    let Some(body) = message_body(fr, id) else { return args };
    let mut rest = body.as_str();
    while let Some(at) = rest.find('$') {
        let name: String = rest[at + 1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        rest = &rest[at + 1..];
        if !name.is_empty() && !args.0.iter().any(|(n, _)| *n == name) {
            let text = Arg::Text(format!("{{{name}}}"));
            args.0.push((Cow::Owned(name), text));
        }
    }
    args
}

/// The lines of message `id` in an `.ftl` text (its first line and the indented ones after it).
fn message_body(ftl: &str, id: &str) -> Option<String> {
    let mut lines = ftl.lines().skip_while(|l| l.split('=').next().map(str::trim) != Some(id) || l.starts_with(' '));
    let first = lines.next()?;
    let mut body = first.to_string();
    for l in lines.take_while(|l| l.starts_with(' ')) {
        body.push('\n');
        body.push_str(l);
    }
    Some(body)
}

/// The message ids of an `.ftl` text: lines `id = ...` at the start of a line (terms `-x` and
/// comments are not messages).
pub(crate) fn ids_of(ftl: &str) -> Vec<String> {
    ftl.lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_string()))
        .collect()
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
