#![doc = include_str!("../README.md")]

mod capture_cmd;
mod commands;
mod i18n;
mod mandate_cmd;
mod recovery_cmd;
mod secret;
mod share_cmd;
mod sync_cmd;
mod version_cmd;

use clap::{Parser, Subcommand};
use i18n::{Lang, exit};
use std::path::PathBuf;

/// Coffre — coffre-fort numérique / personal document safe.
#[derive(Debug, Parser)]
#[command(name = "coffre", version, about, long_about = None)]
pub struct Cli {
    /// Vault directory (or COFFRE_VAULT).
    #[arg(long, env = "COFFRE_VAULT", global = true, value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// Read the passphrase from this file (first line) instead of COFFRE_PASSPHRASE or a prompt.
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Machine-readable output for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault.
    Init,
    /// Photo -> document: find the page or card, deskew, enhance, compress, store in the vault.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Capture {
        #[command(subcommand)]
        action: Option<CaptureAction>,
        /// Photos (JPEG or PNG), one page each, in order.
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
    /// Add files (photos, PDFs, any file) to the vault.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Category code (see `coffre categories`).
        #[arg(long, short, default_value = "autre")]
        category: String,
        #[arg(long, short)]
        title: Option<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Issue date, YYYY-MM-DD.
        #[arg(long)]
        issued: Option<String>,
        /// Expiry date, YYYY-MM-DD.
        #[arg(long)]
        expires: Option<String>,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// List documents.
    List {
        #[arg(long, short)]
        category: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        pinned: bool,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Search titles, tags, notes and categories.
    Search {
        query: String,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Show a document; with --out, write one of its pages to a file.
    Show {
        id: String,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Change a document's details.
    Edit {
        id: String,
        #[arg(long, short)]
        category: Option<String>,
        #[arg(long, short)]
        title: Option<String>,
        /// Replace the tags (repeat the option).
        #[arg(long = "tag")]
        tags: Option<Vec<String>>,
        #[arg(long)]
        issued: Option<String>,
        #[arg(long)]
        expires: Option<String>,
        #[arg(long)]
        notes: Option<String>,
    },
    /// Delete a document.
    Delete { id: String },
    /// Pin a document for the desk mode (or unpin it with --off).
    Pin {
        id: String,
        #[arg(long)]
        off: bool,
    },
    /// Desk mode: write the first page of the first pinned document to a file.
    Desk {
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Documents that expire within N days (already expired ones included).
    Expiring {
        #[arg(long, default_value_t = 60)]
        days: u32,
    },
    /// Export every document, decrypted, with a manifest.json (a folder, or a zip with --zip).
    Export {
        dest: PathBuf,
        #[arg(long)]
        zip: bool,
    },
    /// Check every file of the vault and name damaged documents.
    Verify,
    /// Change the passphrase (documents are not re-encrypted).
    Passwd {
        /// Read the new passphrase from this file (or COFFRE_NEW_PASSPHRASE, or a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Print the raw SQLCipher key of the database (asks for the passphrase). Last resort for operators.
    DbKey,
    /// The catalogue of document categories.
    Categories,
    /// Synchronise with the server (the first time, give --server to connect this vault).
    Sync {
        /// Server address, e.g. http://127.0.0.1:8787 (only the first time).
        #[arg(long)]
        server: Option<String>,
        /// Download every page now (otherwise only pinned documents; others when opened).
        #[arg(long)]
        all: bool,
    },
    /// This vault's devices: list, link a new phone, remove a lost one.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Make a new recovery kit (12 words + QR; the previous kit stops working).
    Kit {
        /// Also write the printable kit (one A4 page, plain French) to this PDF file.
        #[arg(long, value_name = "FILE")]
        pdf: Option<PathBuf>,
        /// Word list: fr (default) or en.
        #[arg(long, default_value = "fr")]
        words_lang: String,
    },
    /// On a NEW device: rebuild the vault (--vault) from the recovery kit alone (or `recover assisted`).
    #[command(args_conflicts_with_subcommands = true)]
    Recover {
        #[command(subcommand)]
        action: Option<RecoverAction>,
        /// The 12 words (or COFFRE_RECOVERY_CODE, or a prompt).
        #[arg(long)]
        code: Option<String>,
        /// A photo or scan of the kit's QR code instead of the words.
        #[arg(long, value_name = "FILE")]
        qr_image: Option<PathBuf>,
        /// Server address (not needed with --qr-image: the QR holds it).
        #[arg(long)]
        server: Option<String>,
    },
    /// Close the vault for good: everything is deleted on the server, then on this device.
    Close {
        /// Final export first, as a zip file (recommended).
        #[arg(long, value_name = "FILE", conflicts_with = "no_export")]
        export: Option<PathBuf>,
        /// Close without a final export.
        #[arg(long)]
        no_export: bool,
        /// Confirm: this cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Versions of a document: list them, add one from files, write a page of an older one.
    #[command(subcommand)]
    Version(VersionCommand),
    /// Organisation admin: create the organisation key, register it, certify and revoke agents.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Agent device: key file, certificate, the QR for the desk, deposits.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Holder: mandates given to agents (scan, grant, list, revoke).
    #[command(subcommand)]
    Mandate(MandateCommand),
    /// Import the certified deposits agents left for this vault.
    Deposits,
    /// Every event of this vault (devices, mandates, deposits, agents' consultations), verified.
    Audit,
    /// Check an exported audit.json (audit chain and certified deposits) offline.
    VerifyDeposit {
        /// The audit.json written by `coffre export`.
        file: PathBuf,
        /// The operator's server key (base64url) to check against, instead of the one in the file.
        #[arg(long, allow_hyphen_values = true)]
        server_key: Option<String>,
    },
    /// Share documents by a link and QR code (expiry, openings, revocation).
    #[command(subcommand)]
    Share(ShareCommand),
    /// Procedures (RSA, CSS, logement social...) and the pieces they ask for.
    #[command(subcommand)]
    Dossier(DossierCommand),
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Make the organisation key and its admin file (passphrase-protected).
    Create {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// Register the organisation's public key with a server.
    Register {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        server: String,
    },
    /// Certify an agent device from its enrolment request (COFFRE-AGENT-REQ:...); prints the certificate.
    EnrolAgent {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        request: String,
        /// The agent's name as holders will see it ("Mme Martin").
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
    /// Revoke an agent device (its public key, base64url); published to the server.
    RevokeAgent {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        server: String,
        /// base64url: may start with '-'.
        #[arg(long, allow_hyphen_values = true)]
        device: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Make this agent device's key file; prints the enrolment request for the organisation admin.
    Init {
        #[arg(long)]
        file: PathBuf,
    },
    /// Install the certificate the admin printed (COFFRE-AGENT-CERT:...).
    InstallCert {
        #[arg(long)]
        file: PathBuf,
        cert: String,
    },
    /// Show the QR text and code for the desk, then wait for the holder's mandate and save it.
    Offer {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        server: String,
        #[arg(long, default_value_t = 300)]
        wait: u64,
        /// Where to save the mandate received.
        #[arg(long)]
        out: PathBuf,
        /// Also write the QR code as a PNG image.
        #[arg(long)]
        png: Option<PathBuf>,
    },
    /// Deposit a document under a mandate (deposit scope): sealed to the holder, signed, countersigned.
    Deposit {
        #[arg(long)]
        file: PathBuf,
        /// The mandate file saved by `agent offer`.
        #[arg(long)]
        mandate: PathBuf,
        #[arg(long)]
        server: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "autre")]
        category: String,
        path: PathBuf,
    },
    /// List the documents a mandate lets this agent see; with --out, save their pages there.
    Consult {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        mandate: PathBuf,
        #[arg(long)]
        server: String,
        #[arg(long)]
        out: Option<PathBuf>,
        /// A download to keep (needs the extract scope; recorded as such in the holder's audit).
        #[arg(long)]
        extract: bool,
    },
    /// Approve a holder's assisted recovery, after checking the person at the desk: opens this
    /// agent's piece of the request (COFFRE-ASSIST-REQ:...) and seals it to the holder's new phone.
    RecoveryApprove {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        request: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MandateCommand {
    /// Read an agent's QR (its text, or a photo of it): the code to compare and the agent's identity.
    Scan {
        /// COFFRE-AGENT:... or an image file of the QR code.
        code: String,
    },
    /// Sign a mandate for the agent of this QR (after comparing the digits).
    Grant {
        /// COFFRE-AGENT:... or an image file of the QR code.
        code: String,
        /// The 6 digits shown by the agent (checked before anything is signed).
        #[arg(long)]
        digits: String,
        /// deposit, consult, extract, transmit (repeat).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Collections the agent may see (identity, income, housing, health, family, work, other).
        #[arg(long = "collection")]
        collections: Vec<String>,
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
    /// This vault's mandates.
    List,
    /// Publish the documents of the mandated collections to agents with consult or extract (new ones
    /// since last time are encrypted for each mandate and uploaded).
    Publish,
    /// Revoke a mandate (the server refuses the agent at once).
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum RecoverAction {
    /// Assisted recovery, 2 of 3: the provider (PIN), the organisation (two agents), the kit share.
    #[command(subcommand)]
    Assisted(AssistedCommand),
}

#[derive(Debug, Subcommand)]
pub enum AssistedCommand {
    /// On an ENROLLED device: enable it with an organisation (PIN: COFFRE_RECOVERY_PIN or a prompt).
    /// Prints the kit share, to keep with the printed kit.
    Setup {
        /// The chosen organisation's public key (base64url), as it publishes it; checked against the
        /// certificates.
        #[arg(long, allow_hyphen_values = true)]
        org: Option<String>,
        /// An agent's certificate (COFFRE-AGENT-CERT:..., from `coffre org enrol-agent`); at least
        /// two. Checked against the organisation key and its revocations on the server.
        #[arg(long = "agent-cert", required = true)]
        agent_certs: Vec<String>,
    },
    /// On the NEW device: start a request; nothing is released before the waiting delay.
    Start {
        #[arg(long)]
        server: String,
        /// The vault id (64 hex digits; the agent reads it from the holder's mandate).
        #[arg(long)]
        vault_id: String,
        /// Where to keep the request until the delay ends (secret, mode 0600).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
    },
    /// On an ENROLLED device: cancel a request the holder did not make.
    Cancel,
    /// On the NEW device, after the delay: the provider share (PIN) and the request to show two of
    /// the organisation's agents (`coffre agent recovery-approve`).
    Release {
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
    },
    /// On the NEW device: rebuild the vault (--vault) from two shares (the organisation's from two
    /// agents' approvals).
    Complete {
        #[arg(long)]
        server: String,
        /// A share (base64url): the provider's, or the kit's.
        #[arg(long = "share", allow_hyphen_values = true)]
        shares: Vec<String>,
        /// The kit share as printed on the kit: its QR text or its hex digits (spaces ignored).
        #[arg(long)]
        kit_share: Option<String>,
        /// An agent's approval (COFFRE-ASSIST-OK:...); two make the organisation share.
        #[arg(long = "approval", requires = "request")]
        approvals: Vec<String>,
        /// The request file of `start` (it holds the key the approvals are sealed to).
        #[arg(long, value_name = "FILE")]
        request: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum VersionCommand {
    /// Every version, oldest first; the current one and concurrent ones (a conflict) are marked.
    List { id: String },
    /// Add a new version from files (one page each, in order); it becomes the current one.
    Add {
        id: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write one page of a version (its number in `version list`) to a file.
    Show {
        id: String,
        number: u32,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, short)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Share documents (or a whole dossier) by a link; prints the link and its QR code.
    Create {
        /// Document ids (or their first 6+ characters).
        #[arg(long = "doc", required_unless_present = "dossier", conflicts_with = "dossier")]
        docs: Vec<String>,
        /// Share every piece of a dossier found in the vault (see `coffre dossier list`).
        #[arg(long)]
        dossier: Option<String>,
        /// 1h, 1d, 1w or 1m (31 days at most).
        #[arg(long, default_value = "1d")]
        duration: String,
        /// Openings allowed before the link stops working.
        #[arg(long)]
        max_opens: Option<u32>,
        /// Purpose or recipient, shown to the recipient and written on identity copies.
        #[arg(long)]
        purpose: Option<String>,
        /// Write the QR code as a PNG image.
        #[arg(long, value_name = "FILE")]
        qr_png: Option<PathBuf>,
    },
    /// Shares made on this device, with how many times each was opened.
    List {
        /// Also expired and revoked shares.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a share: the link stops working and the copies are deleted from the server.
    Revoke { id: String },
    /// Open a share link as a recipient would (decrypts; --out writes the pages).
    Open {
        link: String,
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DossierCommand {
    /// The catalogue of dossiers.
    List,
    /// Which pieces of a dossier the vault has, and which are missing or expired.
    Check { name: String },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Devices known to the verified log.
    List,
    /// On the NEW device: show a linking code, wait for the other device, create the vault (--vault).
    Link {
        #[arg(long)]
        server: String,
        /// Seconds to wait for the approval.
        #[arg(long, default_value_t = 300)]
        wait: u64,
    },
    /// On an ENROLLED device: approve a linking code shown by the new device.
    Approve {
        /// The text of the new device's QR code (COFFRE-LINK:...).
        code: String,
        /// The 6 digits shown by the new device (checked before anything is sent).
        #[arg(long)]
        digits: String,
    },
    /// Remove a lost device (by its public key, from `device list`).
    Remove { public_key: String },
}

#[derive(Debug, Subcommand)]
pub enum CaptureAction {
    /// Only detect the document: prints {"found": true, "corners": [[x,y],...], "confidence": c}
    /// (corners clockwise from top-left, pixels of the EXIF-upright photo) or {"found": false}.
    Detect { photo: PathBuf },
}

fn main() {
    let lang = Lang::from_env();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let code = match commands::run(&cli, lang) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("coffre: {}", e.message);
            e.code
        }
    };
    std::process::exit(code);
}

#[cfg(test)]
mod arg_tests {
    use super::Cli;
    use clap::Parser;

    /// base64url keys start with '-' one time in 64: they must not be read as flags.
    #[test]
    fn base64url_values_may_start_with_a_hyphen() {
        let key = "-x3Fq9_abcdefghijklmnopqrstuvwxyz0123456789AB";
        let cases: [&[&str]; 4] = [
            &["coffre", "org", "revoke-agent", "--file", "org.json", "--server", "http://s", "--device", key],
            &["coffre", "verify-deposit", "audit.json", "--server-key", key],
            &["coffre", "recover", "assisted", "setup", "--org", key, "--agent-cert", "a", "--agent-cert", "b"],
            &["coffre", "recover", "assisted", "complete", "--server", "http://s", "--share", key],
        ];
        for args in cases {
            let parsed = Cli::try_parse_from(args.iter().copied());
            assert!(parsed.is_ok(), "{args:?}: {:?}", parsed.err().map(|e| e.to_string()));
            assert!(format!("{:?}", parsed.ok()).contains(key), "{args:?}");
        }
    }
}
