# Coffre's catalogue: English. The reference is fr/coffre.ftl (same ids). Guide: docs/translating.md.

## Nombres, tailles et dates
decimal-separator = .
size-bytes =
    { $count ->
        [one] { $count } byte
       *[other] { $count } bytes
    }
size-kilobytes = { $value } kB
size-megabytes = { $value } MB
size-gigabytes = { $value } GB
date-in-words =
    { $day } { $month ->
            [1] January
            [2] February
            [3] March
            [4] April
            [5] May
            [6] June
            [7] July
            [8] August
            [9] September
            [10] October
            [11] November
           *[12] December
        } { $year }
date-time-in-words = { $date } at { $hour }:{ $minutes }

## Catégories de documents (codes de core/vault/src/category.rs)
category-carte_identite = National identity card
category-passeport = Passport
category-titre_sejour = Residence permit
category-recepisse = Asylum or permit application receipt
category-acte_naissance = Birth certificate
category-permis_conduire = Driving licence
category-carte_vitale = Health insurance card (Carte Vitale)
category-attestation_secu = Health insurance entitlement
category-sante = Health (prescription, medical certificate…)
category-attestation_caf = Family allowance (CAF/MSA) certificate
category-avis_imposition = Tax notice
category-bulletin_salaire = Payslip
category-attestation_france_travail = France Travail (job centre) certificate
category-contrat_travail = Employment contract
category-rib = Bank details (RIB)
category-justificatif_domicile = Proof of address / hosting certificate
category-attestation_domiciliation = Postal domiciliation certificate
category-quittance_loyer = Rent receipt / lease
category-livret_famille = Family record book
category-jugement = Court decision
category-diplome = Diploma / training certificate
category-autre = Other

## Groupes de documents (collections)
collection-identity = Identity
collection-income = Income
collection-housing = Housing
collection-health = Health
collection-family = Family
collection-work = Work
collection-other = Other

## Ce qu'un mandat permet (scopes)
scope-deposit = deposit documents
scope-consult = see the documents
scope-extract = download a copy
scope-transmit = pass on to an organisation

## Journal d'audit (codes de core/sync/protocol/src/audit_kind.rs)
audit-device_added = device added
audit-device_removed = device removed
audit-mandate_granted = mandate granted
audit-mandate_revoked = mandate revoked
audit-deposit_received = certified deposit
audit-agent_consulted = consulted by an agent
audit-agent_downloaded = downloaded by an agent
audit-agent_transmitted = transmitted by an agent
audit-share_opened = share link opened
audit-recovery_kit_made = recovery kit made
audit-recovery_kit_used = recovery kit used
audit-assisted_recovery_enabled = assisted recovery enabled
audit-assisted_recovery_started = assisted recovery requested
audit-assisted_recovery_cancelled = assisted recovery cancelled
audit-assisted_recovery_wrong_pin = wrong PIN (recovery)
audit-assisted_recovery_locked = recovery locked
audit-assisted_recovery_share_released = recovery share released
audit-assisted_recovery_slot_fetched = recovery share fetched
audit-collection_keys_rotated = keys rotated after a lost device
audit-key_generation_started = new vault key after a lost device
audit-unknown = other event

## Dossiers (codes de core/src/share/dossiers.toml)
dossier-domiciliation = Postal domiciliation (address at a CCAS or a charity)
dossier-rsa = Earned income supplement (RSA)
dossier-prime_activite = Activity bonus (prime d'activité)
dossier-logement_social = Social housing application
dossier-css = Supplementary health cover (CSS)
dossier-titre_sejour = Residence permit renewal
dossier-france_travail = Registering with France Travail

## Erreurs du cœur (coffre_core::error::ErrorKind)
error-network = No network, or the server does not answer. Try again later. Nothing is lost.
error-server-busy = The server is busy: try again in { $seconds } s. What was already sent is kept, nothing is lost.
error-server-refused = The server refused. Your documents on this device are safe.
error-server-abnormal = The server answered abnormally. Sync was stopped. Your documents on this device are safe.
error-quota-exceeded = The vault is full on the server. Delete documents, or ask your organisation for more space.
error-link-code-mismatch = The digits do not match. Nothing was sent. Start again from the new device.
error-history-diverged = The server shows a history different from the one this device saw. Your documents stay on this device. Keep a copy with `coffre export`, then link a new folder from another device or with your recovery kit.
error-server-full = The server is full. It takes no new uploads for now. Nothing is lost. Try again later or tell your organisation.
error-untrusted-server = The server's HTTPS certificate is not recognised. Nothing was sent. Check the server's address.
error-device-revoked = This device was removed from the vault. It can no longer sync.
error-cancelled = Stopped. What was sent or received is kept. Start again to finish.
error-not-enrolled = This vault is not connected to a server. Connect it first.
error-already-enrolled = This vault is already connected to a server.
error-link-pending = The other phone has not confirmed yet.
error-insecure-server = This address is not secure (http://). Nothing was sent. Use the https:// address your organisation gave you.
error-bad-server-address = This is not a server address. It starts with https://.
error-recovery-word-count = The kit's 12 words are needed, in order. You typed { $typed }.
error-recovery-unknown-word = Word { $position } is not in the list. Check its spelling on the kit.
error-recovery-mixed-lists = Word { $position } is from another language than the first words.
error-recovery-checksum = One of the words is not the one on the kit. Check the words one by one.
error-not-a-kit = This QR code is not a Coffre recovery kit.
error-wrong-recovery-secret = This kit no longer works. A newer kit replaced it, or the vault was closed.
error-unsupported-recovery-slot = This recovery was made by a newer Coffre. Update Coffre.
error-assisted-malformed = This recovery text cannot be read. Scan it again.
error-assisted-not-enough = Two different shares are needed (provider, organisation or kit).
error-assisted-mixed-versions = These shares come from two different versions. Use shares of the same kit.
error-not-for-this-agent = This approval is not for this agent, or not for this request.
error-too-few-agents = At least two agents of the organisation are needed.
error-agent-certificate = The agent's certificate is refused. { error-mandate-problem }
error-other-organisation = The agents are not all of the chosen organisation.
error-duplicate-agent = The same agent is given twice.
error-agent-revoked = The organisation revoked one of these agents.
error-unknown-organisation = This organisation is not registered on this server.
error-not-a-request = This text is not a recovery request or approval.
error-mandate = This code or file is refused. { error-mandate-problem }
error-mandate-problem =
    { $problem ->
        [expired] It has expired.
        [not-yet-valid] It is not valid yet.
        [bad-signature] The signature is wrong: it is not genuine.
        [too-new] It comes from a newer Coffre. Update Coffre.
        [key-file] Wrong passphrase, or the key file is damaged.
        [mismatch] It does not match this vault or this agent.
       *[other] It cannot be read or is damaged.
    }
error-other-server = This agent uses another server than this vault.
error-mandate-pending = The holder has not answered yet.
error-bad-share-link = This share link is incomplete. Scan the QR code again.
error-share-too-new = This share was made by a newer Coffre. Update Coffre.
error-share-truncated = This share is incomplete. Ask for a new link.
error-share-decrypt = The link is wrong, or the documents were changed. They cannot be opened.
error-bad-share-manifest = This share is damaged. Ask for a new link.
error-share-refused =
    { $reason ->
        [expired] This link has expired. Ask for a new link.
        [revoked] This link was withdrawn by the person who gave it.
        [exhausted] This link was opened too many times. Ask for a new link.
       *[other] This link cannot be found. Check that it is complete.
    }
error-bad-share-duration = The duration must be between 1 hour and 31 days.
error-bad-share-max-opens = The number of openings must be at least 1.
error-nothing-to-share = There is no document to share.
error-too-many-share-pages = Too many pages. A share holds at most { $max } pages.
error-cannot-watermark = This identity document cannot be marked "COPY". It was not shared.
error-unknown-dossier = This dossier does not exist. See the list of dossiers.
error-bad-dossier-catalogue = The list of dossiers is damaged. Update Coffre.
error-unknown-share = This share does not exist on this device.
error-qr = The link is too long for a QR code.

## Erreurs du coffre (coffre_vault::VaultError)
vault-error-wrong-passphrase = Wrong passphrase. Your documents are safe. Try again.
vault-error-busy = The vault is open in another program. Close it, then try again.
vault-error-no-vault = There is no vault here. Create one, or choose its folder.
vault-error-already-exists = A vault (or a file) is already there. Nothing was changed.
vault-error-not-found =
    { $what ->
        [document] This document cannot be found. Check its number in the list of documents.
        [page] This page cannot be found.
        [mandate] This mandate cannot be found.
       *[other] A part of the vault cannot be found. Sync, then try again.
    }
vault-error-corrupt = Some data is damaged. Nothing was deleted. Keep a copy of the vault folder and ask for help.
vault-error-too-new = This vault was made by a newer Coffre. Update Coffre.
vault-error-too-large = The file is too large ({ $size }). The limit is { $limit }.
vault-error-type-mismatch = This file is not a real { $claimed } (it contains: { $detected }). It was not added.
vault-error-invalid-input = What was typed is not valid. Check it and try again.
vault-error-storage-full = The device is full. Nothing already saved was lost. Free some space.
vault-error-io = The file could not be read or written. Check that it exists and that you may open it.
vault-error-other = Something went wrong. Your documents are safe. Try again.

## Kit de secours (PDF, FALC : une idée par ligne, corps 14 pt)
kit-title = My Coffre recovery kit
kit-what-1 = This paper is the spare key of your safe.
kit-what-2 = With this paper, you get all your documents back.
kit-what-3 = Even if you lose your phone.
kit-what-4 = Even if you forget your code.
kit-words-title = My 12 recovery words:
kit-keep-title = Keep this paper
kit-keep-1 = Keep this paper in a safe place.
kit-keep-2 = You may give a copy in a sealed envelope
kit-keep-3 = to the organisation that receives your mail.
kit-hide-title = Do not show this paper
kit-hide-1 = Show it to no one.
kit-hide-2 = Do not take a photo of it.
kit-scan-title = Get my documents back
kit-scan-1 = Install Coffre on a new phone.
kit-scan-2 = Choose "I have a recovery kit".
kit-scan-3 = Scan the QR code, or type the 12 words in order.
kit-lost-title = I lost this paper
kit-lost-1 = Do not panic: your documents are not lost.
kit-lost-2 = Open Coffre and make a new kit.
kit-lost-3 = The old paper will stop working.
kit-lost-4 = Do the same if someone saw this paper.
kit-assisted-title = Kit share for recovery with the organisation:
kit-assisted-1 = This code is for recovery with the organisation.
kit-assisted-2 = On its own, it is not enough.
kit-server = Server: { $url }
kit-made-on = Kit made on { $date }. A new kit replaces this one.

## Filigrane des copies partagées
watermark-copy = COPY — { $date }
watermark-copy-for = COPY — { $purpose } — { $date }

## Page de partage (sync-server/viewer), compilée en JSON par build.sh
viewer-title = Shared documents
viewer-opening = Opening the documents…
viewer-needs-js = This page needs JavaScript to open the documents on your device.
viewer-print = Print
viewer-note = The documents are opened on your device. The server cannot read them. The key is at the end of the link (after #). It is never sent to the server.
viewer-language = Language
viewer-dossier = Dossier: { $dossier }.
viewer-purpose = Purpose: { $purpose }.
viewer-expires = This link expires on { $date }.
viewer-decrypting = Opening page { $n } of { $total }…
viewer-done = Pages opened on this device: { $total }.
viewer-page-of = Page { $n } of { $total }
viewer-page-label = { $title } — page { $n }
viewer-download = Download { $label }
viewer-open = Open { $label }
viewer-valid-until = valid until { $date }
viewer-watermarked = Copy marked "COPIE": it is valid for this use only.
viewer-share_expired = This link has expired. Ask the person to share their documents again.
viewer-share_revoked = The person withdrew this link. The documents are no longer available.
viewer-share_exhausted = This link was opened too many times. Ask for a new link.
viewer-share_not_found = This link cannot be found. Check that it is complete, or ask for a new link.
viewer-bad_link = This link is incomplete: the key is missing or damaged. Scan the QR code again.
viewer-decrypt = The link is incomplete, or the documents were changed. They cannot be opened.
viewer-version = This link comes from a newer Coffre. Update your browser, or ask for a new link.
viewer-rate_limited = Too many tries. Wait a minute, then reload the page.
viewer-network = The server does not answer. Check your connection, then reload the page.
viewer-refused-page = This page is not an image (JPEG, PNG) or a PDF. For safety, it is not shown. Ask the person to share this document again.

## Command line (cli/src)
cli-not-enrolled = This vault is not connected to a server. Run `coffre sync --server URL`.
cli-allow-http-hint = For a test server on your network: --allow-http.
cli-sync-interrupted = Sync interrupted. What was sent or received is kept; run `coffre sync` again to finish.
cli-wrong-pin = Wrong PIN.
cli-assisted-locked = Too many tries: recovery is locked. Set it up again from a device of the vault.
cli-assisted-too-early = The waiting time is not over. Try again later.
cli-assisted-cancelled = This request was cancelled from a device of the vault.
cli-server-refused-or-silent = The server refused, or did not answer. Try again later.
cli-file-not-found = The file { $path } does not exist.
cli-file-permission = You may not open the file { $path }.
cli-file-io = The file { $path } could not be read or written.
cli-give-vault-dir = Give the vault folder with --vault DIR or COFFRE_VAULT.
cli-no-documents = (no documents)
cli-document-deleted = Document deleted.
cli-unpinned = Unpinned.
cli-pinned = Pinned.
cli-vault-created = Vault created: { $path }
cli-documents-added =
    { $count ->
        [one] 1 document added:
       *[other] { $count } documents added:
    }
cli-field-category = category
cli-field-tags = tags
cli-field-issued = issued
cli-field-expires = expires
cli-field-notes = notes
cli-pages-start-at-1 = Pages start at 1.
cli-delete-needs-terminal = Nothing was deleted: without a terminal, nobody can confirm. Add --yes to delete without asking.
cli-delete-confirm = Delete "{ $title }" for good? [oui/non]
cli-delete-cancelled = Deletion cancelled: nothing changed.
cli-wrong-extension = Nothing written: this page is a { $kind } file, but the name ends in .{ $ext }. Choose a name ending in .{ $right }.
cli-no-pinned = No pinned document. Pin your ID with `coffre pin ID`.
cli-nothing-expires = Nothing expires soon.
cli-expired-days-ago =
    { $days ->
        [one] expired 1 day ago
       *[other] expired { $days } days ago
    }
cli-expires-in-days =
    { $days ->
        [0] expires today
        [one] expires in 1 day
       *[other] expires in { $days } days
    }
cli-verify-summary = { $documents } documents · { $files } files checked · database: { $database }
cli-database-ok = ok
cli-database-damaged = DAMAGED
cli-page-missing = page { $page } missing
cli-page-altered = page { $page } altered
cli-all-intact = Everything is intact.
cli-passphrase-changed = Passphrase changed.
cli-db-key-warning = Raw SQLCipher 4 key (secret!). Use: PRAGMA key = "x'<key>'"; see core/vault/README.md
cli-audit-written = Audit trail → { $path }
cli-documents-exported =
    { $count ->
        [one] 1 document exported → { $path }
       *[other] { $count } documents exported → { $path }
    }
cli-version-current = current
cli-version-concurrent = made at the same time on another device
cli-version-not-downloaded = not downloaded yet
cli-version-line =
    { $number }. { $date } · { $pages ->
        [one] 1 page
       *[other] { $pages } pages
    }
cli-versions-concurrent-hint = Two versions were made at the same time. Keep the right one with `coffre version add`.
cli-busy-retrying = The server is busy. Trying again in { $seconds } s.
cli-passphrase-file-unreadable = Cannot read the passphrase file.
cli-prompt-passphrase = Vault passphrase:
cli-prompt-new-passphrase = New passphrase:
cli-prompt-again = Type it again:
cli-passphrases-differ = The two passphrases differ. Start again.
cli-passphrase-too-short = The passphrase needs at least 4 characters.
cli-no-terminal-for-passphrase = No terminal to ask for the passphrase. Use --passphrase-file or COFFRE_PASSPHRASE.
cli-version-added = New version added:
cli-no-such-version = No version with this number. See the list with `coffre version list`.
cli-version-page-saved = Version { $number }, page { $page } → { $path } ({ $size })
