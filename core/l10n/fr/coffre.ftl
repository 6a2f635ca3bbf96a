# Catalogue de Coffre : français, la langue de référence.
# Écrire en FALC (facile à lire et à comprendre) : phrases courtes, mots de tous les jours,
# une idée par phrase, l'action d'abord. Guide : docs/translating.md.

## Nombres, tailles et dates
decimal-separator = ,
size-bytes =
    { $count ->
        [one] { $count } octet
       *[other] { $count } octets
    }
size-kilobytes = { $value } ko
size-megabytes = { $value } Mo
size-gigabytes = { $value } Go
date-in-words =
    { $day ->
        [1] 1er
       *[other] { $day }
    } { $month ->
            [1] janvier
            [2] février
            [3] mars
            [4] avril
            [5] mai
            [6] juin
            [7] juillet
            [8] août
            [9] septembre
            [10] octobre
            [11] novembre
           *[12] décembre
        } { $year }
date-time-in-words = { $date } à { $hour } h { $minutes }

## Catégories de documents (codes de core/vault/src/category.rs)
category-carte_identite = Carte d'identité
category-passeport = Passeport
category-titre_sejour = Titre de séjour
category-recepisse = Récépissé (demande d'asile ou de titre de séjour)
category-acte_naissance = Acte de naissance
category-permis_conduire = Permis de conduire
category-carte_vitale = Carte Vitale
category-attestation_secu = Attestation de droits (Sécurité sociale, CSS, AME)
category-sante = Santé (ordonnance, certificat médical…)
category-attestation_caf = Attestation CAF ou MSA
category-avis_imposition = Avis d'impôt (ou de non-impôt)
category-bulletin_salaire = Fiche de paie
category-attestation_france_travail = Attestation France Travail
category-contrat_travail = Contrat de travail
category-rib = RIB (coordonnées de la banque)
category-justificatif_domicile = Justificatif de domicile ou attestation d'hébergement
category-attestation_domiciliation = Attestation de domiciliation
category-quittance_loyer = Quittance de loyer ou bail
category-livret_famille = Livret de famille
category-jugement = Jugement ou décision de justice
category-diplome = Diplôme ou certificat de formation
category-autre = Autre

## Groupes de documents (collections)
collection-identity = Identité
collection-income = Revenus
collection-housing = Logement
collection-health = Santé
collection-family = Famille
collection-work = Travail
collection-other = Autres

## Ce qu'un mandat permet (scopes)
scope-deposit = déposer des documents
scope-consult = voir les documents
scope-extract = télécharger une copie
scope-transmit = transmettre à un organisme

## Journal d'audit (codes de core/sync/protocol/src/audit_kind.rs)
audit-device_added = appareil ajouté
audit-device_removed = appareil retiré
audit-mandate_granted = mandat accordé
audit-mandate_revoked = mandat retiré
audit-deposit_received = dépôt certifié
audit-agent_consulted = un agent a regardé
audit-agent_downloaded = un agent a téléchargé
audit-agent_transmitted = un agent a transmis
audit-share_opened = lien de partage ouvert
audit-recovery_kit_made = kit de secours créé
audit-recovery_kit_used = kit de secours utilisé
audit-assisted_recovery_enabled = secours avec l'organisme activé
audit-assisted_recovery_started = secours avec l'organisme demandé
audit-assisted_recovery_cancelled = secours avec l'organisme annulé
audit-assisted_recovery_wrong_pin = code PIN faux (secours)
audit-assisted_recovery_locked = secours bloqué
audit-assisted_recovery_share_released = part de secours donnée
audit-assisted_recovery_slot_fetched = part de secours retirée
audit-collection_keys_rotated = clés changées après un appareil perdu
audit-key_generation_started = nouvelle clé du coffre après un appareil perdu
audit-unknown = autre événement

## Dossiers (codes de core/src/share/dossiers.toml)
dossier-domiciliation = Domiciliation (adresse au CCAS ou dans une association)
dossier-rsa = Revenu de solidarité active (RSA)
dossier-prime_activite = Prime d'activité
dossier-logement_social = Demande de logement social
dossier-css = Complémentaire santé solidaire (CSS)
dossier-titre_sejour = Renouvellement du titre de séjour
dossier-france_travail = Inscription à France Travail

## Erreurs du cœur (coffre_core::error::ErrorKind)
error-network = Pas de réseau, ou serveur injoignable. Réessayez plus tard. Rien n'est perdu.
error-server-busy = Le serveur est occupé : réessayez dans { $seconds } s. Ce qui a déjà été envoyé est gardé, rien n'est perdu.
error-server-refused = Le serveur a refusé. Vos documents sur ce téléphone sont intacts.
error-server-abnormal = Le serveur a répondu de façon anormale. La synchronisation est arrêtée. Vos documents sur ce téléphone sont intacts.
error-quota-exceeded = Le coffre est plein sur le serveur. Supprimez des documents, ou demandez plus de place à votre structure.
error-link-code-mismatch = Les chiffres ne correspondent pas. Rien n'a été envoyé. Recommencez depuis le nouvel appareil.
error-history-diverged = Le serveur montre un historique différent de celui que cet appareil a vu. Vos documents restent sur cet appareil. Gardez-en une copie avec « coffre export », puis reliez un nouveau dossier depuis un autre appareil ou avec votre kit de secours.
error-server-full = Le serveur est plein. Il n'accepte plus de nouveaux envois pour l'instant. Rien n'est perdu. Réessayez plus tard ou prévenez votre structure.
error-untrusted-server = Le certificat HTTPS du serveur n'est pas reconnu. Rien n'a été envoyé. Vérifiez l'adresse du serveur.
error-device-revoked = Cet appareil a été retiré du coffre. Il ne peut plus se synchroniser.
error-cancelled = Arrêté. Ce qui a été envoyé ou reçu est gardé. Relancez pour finir.
error-not-enrolled = Ce coffre n'est relié à aucun serveur. Reliez-le d'abord.
error-already-enrolled = Ce coffre est déjà relié à un serveur.
error-link-pending = L'autre téléphone n'a pas encore confirmé.
error-insecure-server = Cette adresse n'est pas sécurisée (http://). Rien n'a été envoyé. Utilisez l'adresse en https:// donnée par votre structure.
error-bad-server-address = Ce n'est pas une adresse de serveur. Elle commence par https://.
error-recovery-word-count = Il faut les 12 mots du kit, dans l'ordre. Vous en avez tapé { $typed }.
error-recovery-unknown-word = Le mot n° { $position } n'est pas dans la liste. Vérifiez comment il est écrit sur le kit.
error-recovery-mixed-lists = Le mot n° { $position } est d'une autre langue que les premiers mots.
error-recovery-checksum = Un des mots n'est pas celui du kit. Relisez les mots un par un.
error-not-a-kit = Ce QR code n'est pas un kit de secours Coffre.
error-wrong-recovery-secret = Ce kit ne marche plus. Un kit plus récent l'a remplacé, ou le coffre a été fermé.
error-unsupported-recovery-slot = Ce secours a été fait par une version plus récente de Coffre. Mettez Coffre à jour.
error-assisted-malformed = Ce texte de secours est illisible. Scannez-le à nouveau.
error-assisted-not-enough = Il faut deux parts différentes (fournisseur, organisme ou kit).
error-assisted-mixed-versions = Ces parts viennent de deux versions différentes. Utilisez les parts du même kit.
error-not-for-this-agent = Cette validation n'est pas pour cet agent, ou pas pour cette demande.
error-too-few-agents = Il faut au moins deux agents de l'organisme.
error-agent-certificate = Le certificat de l'agent est refusé. { error-mandate-problem }
error-other-organisation = Les agents ne sont pas tous de l'organisme choisi.
error-duplicate-agent = Le même agent est donné deux fois.
error-agent-revoked = L'organisme a retiré un de ces agents.
error-unknown-organisation = Cet organisme n'est pas inscrit sur ce serveur.
error-not-a-request = Ce texte n'est pas une demande de secours, ni une validation.
error-mandate = Ce code ou ce fichier est refusé. { error-mandate-problem }
error-mandate-problem =
    { $problem ->
        [expired] Il a expiré.
        [not-yet-valid] Il n'est pas encore valable.
        [bad-signature] La signature est fausse : ce n'est pas un vrai.
        [too-new] Il vient d'une version plus récente de Coffre. Mettez Coffre à jour.
        [key-file] Le code secret est faux, ou le fichier de clé est abîmé.
        [mismatch] Il ne correspond pas à ce coffre ou à cet agent.
       *[other] Il est illisible ou abîmé.
    }
error-other-server = Cet agent utilise un autre serveur que ce coffre.
error-mandate-pending = La personne n'a pas encore répondu.
error-bad-share-link = Ce lien de partage est incomplet. Scannez à nouveau le QR code.
error-share-too-new = Ce partage a été fait par une version plus récente de Coffre. Mettez Coffre à jour.
error-share-truncated = Ce partage est incomplet. Demandez un nouveau lien.
error-share-decrypt = Le lien est faux, ou les documents ont été modifiés. Ils ne peuvent pas être ouverts.
error-bad-share-manifest = Ce partage est abîmé. Demandez un nouveau lien.
error-share-refused =
    { $reason ->
        [expired] Ce lien a expiré. Demandez un nouveau lien.
        [revoked] Ce lien a été retiré par la personne qui l'a donné.
        [exhausted] Ce lien a été ouvert trop de fois. Demandez un nouveau lien.
       *[other] Ce lien est introuvable. Vérifiez qu'il est complet.
    }
error-bad-share-duration = La durée doit être entre 1 heure et 31 jours.
error-bad-share-max-opens = Le nombre d'ouvertures doit être au moins 1.
error-nothing-to-share = Il n'y a aucun document à partager.
error-too-many-share-pages = Trop de pages. Un partage contient au plus { $max } pages.
error-cannot-watermark = Cette pièce d'identité ne peut pas être marquée « COPIE ». Elle n'est pas partagée.
error-unknown-dossier = Ce dossier n'existe pas. Regardez la liste des dossiers.
error-bad-dossier-catalogue = La liste des dossiers est abîmée. Mettez Coffre à jour.
error-unknown-share = Ce partage n'existe pas sur cet appareil.
error-qr = Le lien est trop long pour un QR code.

## Erreurs du coffre (coffre_vault::VaultError)
vault-error-wrong-passphrase = Code secret incorrect. Vos documents sont intacts. Réessayez.
vault-error-busy = Le coffre est déjà ouvert par un autre programme. Fermez-le, puis réessayez.
vault-error-no-vault = Il n'y a pas de coffre ici. Créez un coffre, ou choisissez son dossier.
vault-error-already-exists = Il y a déjà un coffre (ou un fichier) à cet endroit. Rien n'a été changé.
vault-error-not-found =
    { $what ->
        [document] Ce document est introuvable. Vérifiez son numéro avec la liste des documents.
        [page] Cette page est introuvable.
        [mandate] Ce mandat est introuvable.
       *[other] Une partie du coffre est introuvable. Synchronisez, puis réessayez.
    }
vault-error-corrupt = Des données sont abîmées. Rien n'a été effacé. Gardez une copie du dossier du coffre et demandez de l'aide.
vault-error-too-new = Ce coffre vient d'une version plus récente de Coffre. Mettez Coffre à jour.
vault-error-too-large = Le fichier est trop gros ({ $size }). Le maximum est { $limit }.
vault-error-type-mismatch = Ce fichier n'est pas un vrai { $claimed } (il contient : { $detected }). Il n'a pas été ajouté.
vault-error-invalid-input = Ce qui a été tapé n'est pas valable. Vérifiez et réessayez.
vault-error-storage-full = L'appareil est plein. Rien de ce qui était enregistré n'est perdu. Libérez de la place.
vault-error-io = Le fichier n'a pas pu être lu ou écrit. Vérifiez qu'il existe et que vous y avez accès.
vault-error-other = Une erreur s'est produite. Vos documents sont intacts. Réessayez.

## Kit de secours (PDF, FALC : une idée par ligne, corps 14 pt)
kit-title = Mon kit de secours Coffre
kit-what-1 = Ce papier est la clé de secours de votre coffre.
kit-what-2 = Avec ce papier, vous retrouvez tous vos documents.
kit-what-3 = Même si vous perdez votre téléphone.
kit-what-4 = Même si vous oubliez votre code.
kit-words-title = Mes 12 mots de secours :
kit-keep-title = Gardez ce papier
kit-keep-1 = Gardez ce papier dans un endroit sûr.
kit-keep-2 = Vous pouvez donner une copie dans une enveloppe fermée
kit-keep-3 = à l'organisme qui reçoit votre courrier.
kit-hide-title = Ne montrez pas ce papier
kit-hide-1 = Ne le montrez à personne.
kit-hide-2 = Ne le prenez pas en photo.
kit-scan-title = Retrouver mes documents
kit-scan-1 = Installez Coffre sur un nouveau téléphone.
kit-scan-2 = Choisissez « J'ai un kit de secours ».
kit-scan-3 = Scannez le QR code, ou tapez les 12 mots dans l'ordre.
kit-lost-title = J'ai perdu ce papier
kit-lost-1 = Pas de panique : vos documents ne sont pas perdus.
kit-lost-2 = Ouvrez Coffre et faites un nouveau kit.
kit-lost-3 = L'ancien papier ne marchera plus.
kit-lost-4 = Faites pareil si quelqu'un a vu ce papier.
kit-assisted-title = Part du kit pour le secours avec l'organisme :
kit-assisted-1 = Ce code sert au secours avec l'organisme.
kit-assisted-2 = Seul, il ne suffit pas.
kit-server = Serveur : { $url }
kit-made-on = Kit fait le { $date }. Un nouveau kit remplace celui-ci.

## Filigrane des copies partagées
watermark-copy = COPIE — { $date }
watermark-copy-for = COPIE — { $purpose } — { $date }

## Page de partage (sync-server/viewer), compilée en JSON par build.sh
viewer-title = Documents partagés
viewer-opening = Ouverture des documents…
viewer-needs-js = Cette page a besoin de JavaScript pour ouvrir les documents sur votre appareil.
viewer-print = Imprimer
viewer-note = Les documents sont ouverts sur votre appareil. Le serveur ne peut pas les lire. La clé est à la fin du lien (après #). Elle n'est jamais envoyée au serveur.
viewer-language = Langue
viewer-dossier = Dossier : { $dossier }.
viewer-purpose = Motif : { $purpose }.
viewer-expires = Ce lien expire le { $date }.
viewer-decrypting = Ouverture de la page { $n } sur { $total }…
viewer-done = Pages ouvertes sur cet appareil : { $total }.
viewer-page-of = Page { $n } sur { $total }
viewer-page-label = { $title } — page { $n }
viewer-download = Télécharger { $label }
viewer-open = Ouvrir { $label }
viewer-valid-until = valable jusqu'au { $date }
viewer-watermarked = Copie marquée « COPIE » : elle ne vaut que pour cet usage.
viewer-share_expired = Ce lien a expiré. Demandez à la personne de partager ses documents à nouveau.
viewer-share_revoked = La personne a retiré ce lien. Les documents ne sont plus disponibles.
viewer-share_exhausted = Ce lien a été ouvert trop de fois. Demandez un nouveau lien.
viewer-share_not_found = Ce lien est introuvable. Vérifiez qu'il est complet, ou demandez un nouveau lien.
viewer-bad_link = Ce lien est incomplet : la clé manque ou est abîmée. Scannez à nouveau le QR code.
viewer-decrypt = Le lien est incomplet, ou les documents ont été modifiés. Ils ne peuvent pas être ouverts.
viewer-version = Ce lien vient d'une version plus récente de Coffre. Mettez votre navigateur à jour, ou demandez un nouveau lien.
viewer-rate_limited = Trop d'essais. Attendez une minute, puis rechargez la page.
viewer-network = Le serveur ne répond pas. Vérifiez votre connexion, puis rechargez la page.
viewer-refused-page = Cette page n'est pas une image (JPEG, PNG) ni un PDF. Par sécurité, elle n'est pas affichée. Demandez à la personne de partager ce document à nouveau.

## Ligne de commande (cli/src)
cli-not-enrolled = Ce coffre n'est relié à aucun serveur. Lancez « coffre sync --server ADRESSE ».
cli-allow-http-hint = Pour un serveur d'essai sur votre réseau : --allow-http.
cli-sync-interrupted = Synchronisation interrompue. Ce qui a été envoyé ou reçu est gardé ; relancez « coffre sync » pour finir.
cli-wrong-pin = Code PIN faux.
cli-assisted-locked = Trop d'essais : le secours est bloqué. Refaites-le depuis un appareil relié au coffre.
cli-assisted-too-early = Le temps d'attente n'est pas fini. Réessayez plus tard.
cli-assisted-cancelled = Cette demande a été annulée depuis un appareil du coffre.
cli-server-refused-or-silent = Le serveur a refusé, ou n'a pas répondu. Réessayez plus tard.
cli-file-not-found = Le fichier { $path } n'existe pas.
cli-file-permission = Vous n'avez pas le droit d'ouvrir le fichier { $path }.
cli-file-io = Le fichier { $path } n'a pas pu être lu ou écrit.
cli-give-vault-dir = Indiquez le dossier du coffre avec --vault DOSSIER ou COFFRE_VAULT.
cli-no-documents = (aucun document)
cli-document-deleted = Document supprimé.
cli-unpinned = Désépinglé.
cli-pinned = Épinglé.
cli-vault-created = Coffre créé : { $path }
cli-documents-added =
    { $count ->
        [one] 1 document ajouté :
       *[other] { $count } documents ajoutés :
    }
cli-field-category = catégorie
cli-field-tags = étiquettes
cli-field-issued = délivré le
cli-field-expires = expire le
cli-field-notes = notes
cli-pages-start-at-1 = Les pages commencent à 1.
cli-delete-needs-terminal = Rien n'a été supprimé : sans terminal, personne ne peut confirmer. Ajoutez --yes pour supprimer sans question.
cli-delete-confirm = Supprimer définitivement « { $title } » ? [oui/non]
cli-delete-cancelled = Suppression annulée : rien n'a changé.
cli-wrong-extension = Rien n'a été écrit : cette page est un fichier { $kind }, et le nom finit par .{ $ext }. Choisissez un nom en .{ $right }.
cli-no-pinned = Aucun document épinglé. Épinglez votre pièce d'identité avec « coffre pin ID ».
cli-nothing-expires = Rien n'expire bientôt.
cli-expired-days-ago =
    { $days ->
        [one] expiré depuis 1 jour
       *[other] expiré depuis { $days } jours
    }
cli-expires-in-days =
    { $days ->
        [0] expire aujourd'hui
        [one] expire dans 1 jour
       *[other] expire dans { $days } jours
    }
cli-verify-summary = { $documents } documents · { $files } fichiers vérifiés · base de données : { $database }
cli-database-ok = bonne
cli-database-damaged = ABÎMÉE
cli-page-missing = page { $page } manquante
cli-page-altered = page { $page } modifiée
cli-all-intact = Tout est intact.
cli-passphrase-changed = Code secret changé.
cli-db-key-warning = Clé brute SQLCipher 4 (secrète !). Usage : PRAGMA key = "x'<clé>'"; voir core/vault/README.md
cli-audit-written = Journal d'audit → { $path }
cli-documents-exported =
    { $count ->
        [one] 1 document exporté → { $path }
       *[other] { $count } documents exportés → { $path }
    }
cli-version-current = actuelle
cli-version-concurrent = faite en même temps sur un autre appareil
cli-version-not-downloaded = pas encore téléchargée
cli-version-line =
    { $number }. { $date } · { $pages ->
        [one] 1 page
       *[other] { $pages } pages
    }
cli-versions-concurrent-hint = Deux versions ont été faites en même temps. Gardez la bonne avec « coffre version add ».
cli-busy-retrying = Le serveur est occupé, nouvel essai dans { $seconds } s.
cli-passphrase-file-unreadable = Le fichier du code secret ne peut pas être lu.
cli-prompt-passphrase = Code secret du coffre :
cli-prompt-new-passphrase = Nouveau code secret :
cli-prompt-again = Retapez-le :
cli-passphrases-differ = Les deux codes sont différents. Recommencez.
cli-passphrase-too-short = Le code secret doit avoir au moins 4 caractères.
cli-no-terminal-for-passphrase = Pas de terminal pour demander le code secret. Utilisez --passphrase-file ou COFFRE_PASSPHRASE.
cli-version-added = Nouvelle version ajoutée :
cli-no-such-version = Pas de version avec ce numéro. Regardez la liste avec « coffre version list ».
cli-version-page-saved = Version { $number }, page { $page } → { $path } ({ $size })
