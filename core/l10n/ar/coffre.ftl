# فهرس رسائل Coffre: العربية (من اليمين إلى اليسار). المرجع هو fr/coffre.ftl (المعرّفات نفسها).
# Arabic catalogue; reference fr/coffre.ftl. Guide: docs/translating.md.

## Nombres, tailles et dates
decimal-separator = ,
size-bytes =
    { $count ->
        [zero] { $count } بايت
        [one] بايت واحد
        [two] بايتان
        [few] { $count } بايتات
       *[other] { $count } بايت
    }
size-kilobytes = { $value } كيلوبايت
size-megabytes = { $value } ميغابايت
size-gigabytes = { $value } غيغابايت
date-in-words =
    { $day } { $month ->
            [1] يناير
            [2] فبراير
            [3] مارس
            [4] أبريل
            [5] مايو
            [6] يونيو
            [7] يوليو
            [8] أغسطس
            [9] سبتمبر
            [10] أكتوبر
            [11] نوفمبر
           *[12] ديسمبر
        } { $year }
date-time-in-words = { $date } الساعة { $hour }:{ $minutes }

## Catégories de documents (codes de core/vault/src/category.rs)
category-carte_identite = بطاقة الهوية الوطنية
category-passeport = جواز السفر
category-titre_sejour = بطاقة الإقامة
category-recepisse = وصل طلب اللجوء أو الإقامة
category-acte_naissance = شهادة الميلاد
category-permis_conduire = رخصة القيادة
category-carte_vitale = بطاقة التأمين الصحي (Carte Vitale)
category-attestation_secu = شهادة الحقوق في التأمين الصحي
category-sante = الصحة (وصفة طبية، شهادة طبية…)
category-attestation_caf = شهادة صندوق الإعانات العائلية (CAF/MSA)
category-avis_imposition = إشعار الضريبة
category-bulletin_salaire = قسيمة الراتب
category-attestation_france_travail = شهادة France Travail (مكتب التشغيل)
category-contrat_travail = عقد العمل
category-rib = بيانات الحساب البنكي (RIB)
category-justificatif_domicile = إثبات السكن أو شهادة الإيواء
category-attestation_domiciliation = شهادة التوطين البريدي
category-quittance_loyer = وصل الإيجار أو عقد الإيجار
category-livret_famille = الدفتر العائلي
category-jugement = حكم أو قرار قضائي
category-diplome = شهادة دراسية أو شهادة تكوين
category-autre = أخرى

## Groupes de documents (collections)
collection-identity = الهوية
collection-income = المداخيل
collection-housing = السكن
collection-health = الصحة
collection-family = العائلة
collection-work = العمل
collection-other = أخرى

## Ce qu'un mandat permet (scopes)
scope-deposit = إيداع وثائق
scope-consult = الاطلاع على الوثائق
scope-extract = تنزيل نسخة
scope-transmit = الإرسال إلى جهة أخرى

## Journal d'audit (codes de core/sync/protocol/src/audit_kind.rs)
audit-device_added = أُضيف جهاز
audit-device_removed = أُزيل جهاز
audit-mandate_granted = مُنح توكيل
audit-mandate_revoked = أُلغي توكيل
audit-deposit_received = إيداع موثّق
audit-agent_consulted = اطّلع موظف
audit-agent_downloaded = نزّل موظف نسخة
audit-agent_transmitted = أرسل موظف
audit-share_opened = فُتح رابط مشاركة
audit-recovery_kit_made = أُنشئت ورقة الإنقاذ
audit-recovery_kit_used = استُعملت ورقة الإنقاذ
audit-assisted_recovery_enabled = فُعّل الاسترجاع بمساعدة الجهة
audit-assisted_recovery_started = طُلب الاسترجاع بمساعدة الجهة
audit-assisted_recovery_cancelled = أُلغي الاسترجاع بمساعدة الجهة
audit-assisted_recovery_wrong_pin = رمز PIN خاطئ (استرجاع)
audit-assisted_recovery_locked = الاسترجاع مقفل
audit-assisted_recovery_share_released = سُلّم جزء الاسترجاع
audit-assisted_recovery_slot_fetched = سُحب جزء الاسترجاع
audit-collection_keys_rotated = غُيّرت المفاتيح بعد فقدان جهاز
audit-key_generation_started = مفتاح جديد للخزنة بعد فقدان جهاز
audit-unknown = حدث آخر

## Dossiers (codes de core/src/share/dossiers.toml)
dossier-domiciliation = التوطين البريدي (عنوان لدى CCAS أو جمعية)
dossier-rsa = دخل التضامن النشط (RSA)
dossier-prime_activite = منحة النشاط (prime d'activité)
dossier-logement_social = طلب سكن اجتماعي
dossier-css = التغطية الصحية التكميلية التضامنية (CSS)
dossier-titre_sejour = تجديد بطاقة الإقامة
dossier-france_travail = التسجيل في France Travail

## Erreurs du cœur (coffre_core::error::ErrorKind)
error-network = لا توجد شبكة، أو الخادم لا يجيب. حاول لاحقًا. لم يضع شيء.
error-server-busy = الخادم مشغول: حاول بعد { $seconds } ث. ما أُرسل محفوظ، لم يضع شيء.
error-server-refused = رفض الخادم الطلب. وثائقك على هذا الجهاز سليمة.
error-server-abnormal = أجاب الخادم بشكل غير عادي. توقفت المزامنة. وثائقك على هذا الجهاز سليمة.
error-quota-exceeded = الخزنة ممتلئة على الخادم. احذف بعض الوثائق، أو اطلب مساحة أكبر من الجهة.
error-link-code-mismatch = الأرقام غير متطابقة. لم يُرسل أي شيء. ابدأ من جديد من الجهاز الجديد.
error-history-diverged = يعرض الخادم سجلاً مختلفاً عن السجل الذي رآه هذا الجهاز. تبقى وثائقك على هذا الجهاز. احتفظ بنسخة منها، ثم اربط مجلداً جديداً من جهاز آخر أو بواسطة عدة الإنقاذ.
error-server-full = الخادم ممتلئ. لا يقبل إرسالات جديدة الآن. لم يضع أي شيء. أعد المحاولة لاحقاً أو أخبر مؤسستك.
error-untrusted-server = شهادة HTTPS الخاصة بالخادم غير معروفة. لم يُرسل أي شيء. تحقق من عنوان الخادم.
error-device-revoked = أُزيل هذا الجهاز من الخزنة. لم يعد بإمكانه المزامنة.
error-cancelled = توقف. ما أُرسل أو استُقبل محفوظ. أعد التشغيل للإكمال.
error-not-enrolled = هذه الخزنة غير مرتبطة بأي خادم. اربطها أولًا.
error-already-enrolled = هذه الخزنة مرتبطة بخادم من قبل.
error-link-pending = الهاتف الآخر لم يؤكد بعد.
error-insecure-server = هذا العنوان غير آمن (http://). لم يُرسل شيء. استعمل عنوان https:// الذي أعطتك إياه الجهة.
error-bad-server-address = هذا ليس عنوان خادم. يبدأ العنوان بـ https://.
error-recovery-word-count = يجب إدخال الكلمات الـ12 من الورقة بالترتيب. كتبت { $typed }.
error-recovery-unknown-word = الكلمة رقم { $position } ليست في القائمة. تحقق من كتابتها على الورقة.
error-recovery-mixed-lists = الكلمة رقم { $position } من لغة غير لغة الكلمات الأولى.
error-recovery-checksum = إحدى الكلمات ليست المكتوبة على الورقة. راجع الكلمات واحدة واحدة.
error-not-a-kit = رمز QR هذا ليس ورقة إنقاذ Coffre.
error-wrong-recovery-secret = هذه الورقة لم تعد صالحة. عوّضتها ورقة أحدث، أو أُغلقت الخزنة.
error-unsupported-recovery-slot = أُنشئ هذا الاسترجاع بإصدار أحدث من Coffre. حدّث Coffre.
error-assisted-malformed = نص الاسترجاع هذا غير مقروء. امسحه مرة أخرى.
error-assisted-not-enough = يلزم جزآن مختلفان (المزوّد أو الجهة أو الورقة).
error-assisted-mixed-versions = هذه الأجزاء من إصدارين مختلفين. استعمل أجزاء الورقة نفسها.
error-not-for-this-agent = هذه الموافقة ليست لهذا الموظف، أو ليست لهذا الطلب.
error-too-few-agents = يلزم موظفان على الأقل من الجهة.
error-agent-certificate = رُفضت شهادة الموظف. { error-mandate-problem }
error-other-organisation = ليس كل الموظفين من الجهة المختارة.
error-duplicate-agent = الموظف نفسه مذكور مرتين.
error-agent-revoked = سحبت الجهة صلاحية أحد هؤلاء الموظفين.
error-unknown-organisation = هذه الجهة غير مسجلة في هذا الخادم.
error-not-a-request = هذا النص ليس طلب استرجاع ولا موافقة.
error-mandate = رُفض هذا الرمز أو هذا الملف. { error-mandate-problem }
error-mandate-problem =
    { $problem ->
        [expired] انتهت صلاحيته.
        [not-yet-valid] لم يصبح صالحًا بعد.
        [bad-signature] التوقيع خاطئ: ليس أصليًا.
        [too-new] مصدره إصدار أحدث من Coffre. حدّث Coffre.
        [key-file] الرمز السري خاطئ، أو ملف المفتاح تالف.
        [mismatch] لا يطابق هذه الخزنة أو هذا الموظف.
       *[other] غير مقروء أو تالف.
    }
error-other-server = هذا الموظف يستعمل خادمًا غير خادم هذه الخزنة.
error-mandate-pending = صاحب الخزنة لم يجب بعد.
error-bad-share-link = رابط المشاركة هذا ناقص. امسح رمز QR مرة أخرى.
error-share-too-new = أُنشئت هذه المشاركة بإصدار أحدث من Coffre. حدّث Coffre.
error-share-truncated = هذه المشاركة ناقصة. اطلب رابطًا جديدًا.
error-share-decrypt = الرابط خاطئ، أو عُدّلت الوثائق. لا يمكن فتحها.
error-bad-share-manifest = هذه المشاركة تالفة. اطلب رابطًا جديدًا.
error-share-refused =
    { $reason ->
        [expired] انتهت صلاحية هذا الرابط. اطلب رابطًا جديدًا.
        [revoked] سحب هذا الرابطَ الشخصُ الذي أعطاه.
        [exhausted] فُتح هذا الرابط مرات كثيرة. اطلب رابطًا جديدًا.
       *[other] هذا الرابط غير موجود. تحقق من أنه كامل.
    }
error-bad-share-duration = يجب أن تكون المدة بين ساعة واحدة و31 يومًا.
error-bad-share-max-opens = يجب أن يكون عدد مرات الفتح 1 على الأقل.
error-nothing-to-share = لا توجد أي وثيقة للمشاركة.
error-too-many-share-pages = صفحات كثيرة جدًا. تحتوي المشاركة على { $max } صفحة على الأكثر.
error-cannot-watermark = لا يمكن وسم وثيقة الهوية هذه بكلمة «نسخة». لم تتم مشاركتها.
error-unknown-dossier = هذا الملف غير موجود. انظر قائمة الملفات.
error-bad-dossier-catalogue = قائمة الملفات تالفة. حدّث Coffre.
error-unknown-share = هذه المشاركة غير موجودة على هذا الجهاز.
error-qr = الرابط أطول من أن يدخل في رمز QR.

## Erreurs du coffre (coffre_vault::VaultError)
vault-error-wrong-passphrase = الرمز السري خاطئ. وثائقك سليمة. حاول مرة أخرى.
vault-error-busy = الخزنة مفتوحة في برنامج آخر. أغلقه ثم حاول مرة أخرى.
vault-error-no-vault = لا توجد خزنة هنا. أنشئ خزنة، أو اختر مجلدها.
vault-error-already-exists = توجد خزنة (أو ملف) في هذا المكان. لم يتغير شيء.
vault-error-not-found =
    { $what ->
        [document] هذه الوثيقة غير موجودة. تحقق من رقمها في قائمة الوثائق.
        [page] هذه الصفحة غير موجودة.
        [mandate] هذا التوكيل غير موجود.
       *[other] جزء من الخزنة غير موجود. قم بالمزامنة ثم حاول مرة أخرى.
    }
vault-error-corrupt = بعض البيانات تالفة. لم يُحذف شيء. احتفظ بنسخة من مجلد الخزنة واطلب المساعدة.
vault-error-too-new = أُنشئت هذه الخزنة بإصدار أحدث من Coffre. حدّث Coffre.
vault-error-too-large = الملف كبير جدًا ({ $size }). الحد الأقصى { $limit }.
vault-error-type-mismatch = هذا الملف ليس { $claimed } حقيقيًا (محتواه: { $detected }). لم تتم إضافته.
vault-error-invalid-input = ما كتبته غير صالح. تحقق منه وحاول مرة أخرى.
vault-error-storage-full = الجهاز ممتلئ. لم يضع شيء مما حُفظ. أفرغ بعض المساحة.
vault-error-io = تعذرت قراءة الملف أو كتابته. تحقق من وجوده ومن أن لديك صلاحية فتحه.
vault-error-other = حدث خطأ. وثائقك سليمة. حاول مرة أخرى.

## Kit de secours (PDF, FALC : une idée par ligne, corps 14 pt)
kit-title = ورقة الإنقاذ الخاصة بي في Coffre
kit-what-1 = هذه الورقة هي المفتاح الاحتياطي لخزنتك.
kit-what-2 = بهذه الورقة تسترجع كل وثائقك.
kit-what-3 = حتى لو أضعت هاتفك.
kit-what-4 = حتى لو نسيت رمزك.
kit-words-title = كلماتي الاثنتا عشرة للإنقاذ:
kit-keep-title = احتفظ بهذه الورقة
kit-keep-1 = احتفظ بهذه الورقة في مكان آمن.
kit-keep-2 = يمكنك إعطاء نسخة في ظرف مغلق
kit-keep-3 = للجهة التي تستلم بريدك.
kit-hide-title = لا تُظهر هذه الورقة
kit-hide-1 = لا تُظهرها لأي أحد.
kit-hide-2 = لا تلتقط لها صورة.
kit-scan-title = استرجاع وثائقي
kit-scan-1 = ثبّت Coffre على هاتف جديد.
kit-scan-2 = اختر «لدي ورقة إنقاذ».
kit-scan-3 = امسح رمز QR، أو اكتب الكلمات الاثنتي عشرة بالترتيب.
kit-lost-title = أضعت هذه الورقة
kit-lost-1 = لا تقلق: وثائقك لم تضِع.
kit-lost-2 = افتح Coffre وأنشئ ورقة جديدة.
kit-lost-3 = الورقة القديمة لن تعمل بعد ذلك.
kit-lost-4 = افعل الشيء نفسه إذا رأى أحد هذه الورقة.
kit-assisted-title = جزء الورقة للاسترجاع بمساعدة الجهة:
kit-assisted-1 = هذا الرمز للاسترجاع بمساعدة الجهة.
kit-assisted-2 = وحده لا يكفي.
kit-server = الخادم: { $url }
kit-made-on = أُنشئت الورقة في { $date }. الورقة الجديدة تعوّض هذه.

## Filigrane des copies partagées
watermark-copy = نسخة — { $date }
watermark-copy-for = نسخة — { $purpose } — { $date }

## Page de partage (sync-server/viewer), compilée en JSON par build.sh
viewer-title = وثائق مُشاركة
viewer-opening = جارٍ فتح الوثائق…
viewer-needs-js = تحتاج هذه الصفحة إلى JavaScript لفتح الوثائق على جهازك.
viewer-print = طباعة
viewer-note = تُفتح الوثائق على جهازك. لا يستطيع الخادم قراءتها. المفتاح في آخر الرابط (بعد #). لا يُرسل أبدًا إلى الخادم.
viewer-language = اللغة
viewer-dossier = الملف: { $dossier }.
viewer-purpose = الغرض: { $purpose }.
viewer-expires = تنتهي صلاحية هذا الرابط في { $date }.
viewer-decrypting = جارٍ فتح الصفحة { $n } من { $total }…
viewer-done = الصفحات المفتوحة على هذا الجهاز: { $total }.
viewer-page-of = الصفحة { $n } من { $total }
viewer-page-label = { $title } — الصفحة { $n }
viewer-download = تنزيل { $label }
viewer-open = فتح { $label }
viewer-valid-until = صالحة حتى { $date }
viewer-watermarked = نسخة موسومة بـ «COPIE»: صالحة لهذا الاستعمال فقط.
viewer-share_expired = انتهت صلاحية هذا الرابط. اطلب من الشخص أن يشارك وثائقه مرة أخرى.
viewer-share_revoked = سحب الشخص هذا الرابط. لم تعد الوثائق متاحة.
viewer-share_exhausted = فُتح هذا الرابط مرات كثيرة. اطلب رابطًا جديدًا.
viewer-share_not_found = هذا الرابط غير موجود. تحقق من أنه كامل، أو اطلب رابطًا جديدًا.
viewer-bad_link = هذا الرابط ناقص: المفتاح مفقود أو تالف. امسح رمز QR مرة أخرى.
viewer-decrypt = الرابط ناقص، أو عُدّلت الوثائق. لا يمكن فتحها.
viewer-version = هذا الرابط من إصدار أحدث من Coffre. حدّث متصفحك، أو اطلب رابطًا جديدًا.
viewer-rate_limited = محاولات كثيرة جدًا. انتظر دقيقة ثم أعد تحميل الصفحة.
viewer-network = الخادم لا يجيب. تحقق من اتصالك ثم أعد تحميل الصفحة.
viewer-refused-page = هذه الصفحة ليست صورة (JPEG أو PNG) ولا ملف PDF. للأمان، لا تُعرض. اطلب من الشخص مشاركة هذه الوثيقة مرة أخرى.

## Command line (cli/src)
cli-not-enrolled = هذه الخزنة غير مرتبطة بأي خادم. شغّل «coffre sync --server العنوان».
cli-allow-http-hint = لخادم تجريبي على شبكتك: ‎--allow-http.
cli-sync-interrupted = توقفت المزامنة. ما أُرسل أو استُقبل محفوظ. شغّل «coffre sync» مرة أخرى للإكمال.
cli-wrong-pin = رمز PIN خاطئ.
cli-assisted-locked = محاولات كثيرة جدًا: الاسترجاع مقفل. أعد إعداده من جهاز مرتبط بالخزنة.
cli-assisted-too-early = لم تنتهِ مدة الانتظار. حاول لاحقًا.
cli-assisted-cancelled = أُلغي هذا الطلب من جهاز مرتبط بالخزنة.
cli-server-refused-or-silent = رفض الخادم، أو لم يُجب. حاول لاحقًا.
cli-file-not-found = الملف { $path } غير موجود.
cli-file-permission = ليست لديك صلاحية فتح الملف { $path }.
cli-file-io = تعذرت قراءة الملف { $path } أو كتابته.
cli-give-vault-dir = حدّد مجلد الخزنة بـ ‎--vault المجلد أو COFFRE_VAULT.
cli-no-documents = (لا توجد وثائق)
cli-document-deleted = حُذفت الوثيقة.
cli-unpinned = أُزيل التثبيت.
cli-pinned = ثُبّتت.
cli-vault-created = أُنشئت الخزنة: { $path }
cli-documents-added =
    { $count ->
        [zero] لم تُضف أي وثيقة:
        [one] أُضيفت وثيقة واحدة:
        [two] أُضيفت وثيقتان:
        [few] أُضيفت { $count } وثائق:
       *[other] أُضيفت { $count } وثيقة:
    }
cli-field-category = الفئة
cli-field-tags = الوسوم
cli-field-issued = تاريخ الإصدار
cli-field-expires = تاريخ انتهاء الصلاحية
cli-field-notes = ملاحظات
cli-pages-start-at-1 = ترقيم الصفحات يبدأ من 1.
cli-delete-needs-terminal = لم يُحذف شيء: بدون طرفية لا يمكن لأحد التأكيد. أضف ‎--yes للحذف دون سؤال.
cli-delete-confirm = حذف «{ $title }» نهائيًا؟ [oui/non]
cli-delete-cancelled = أُلغي الحذف: لم يتغير شيء.
cli-wrong-extension = لم يُكتب شيء: هذه الصفحة ملف { $kind }، واسم الملف ينتهي بـ ‎.{ $ext }. اختر اسمًا ينتهي بـ ‎.{ $right }.
cli-no-pinned = لا توجد وثيقة مثبّتة. ثبّت وثيقة هويتك بـ «coffre pin ID».
cli-nothing-expires = لا شيء تنتهي صلاحيته قريبًا.
cli-expired-days-ago =
    { $days ->
        [one] انتهت صلاحيته منذ يوم واحد
        [two] انتهت صلاحيته منذ يومين
        [few] انتهت صلاحيته منذ { $days } أيام
       *[other] انتهت صلاحيته منذ { $days } يومًا
    }
cli-expires-in-days =
    { $days ->
        [0] تنتهي صلاحيته اليوم
        [one] تنتهي صلاحيته بعد يوم واحد
        [two] تنتهي صلاحيته بعد يومين
        [few] تنتهي صلاحيته بعد { $days } أيام
       *[other] تنتهي صلاحيته بعد { $days } يومًا
    }
cli-verify-summary = { $documents } وثيقة · { $files } ملفًا تم فحصه · قاعدة البيانات: { $database }
cli-database-ok = سليمة
cli-database-damaged = تالفة
cli-page-missing = الصفحة { $page } مفقودة
cli-page-altered = الصفحة { $page } معدّلة
cli-all-intact = كل شيء سليم.
cli-passphrase-changed = تم تغيير الرمز السري.
cli-db-key-warning = مفتاح SQLCipher 4 الخام (سري!). الاستعمال: PRAGMA key = "x'<key>'"; انظر core/vault/README.md
cli-audit-written = سجل التدقيق ← { $path }
cli-documents-exported =
    { $count ->
        [zero] لم تُصدَّر أي وثيقة ← { $path }
        [one] صُدّرت وثيقة واحدة ← { $path }
        [two] صُدّرت وثيقتان ← { $path }
        [few] صُدّرت { $count } وثائق ← { $path }
       *[other] صُدّرت { $count } وثيقة ← { $path }
    }
cli-version-current = الحالية
cli-version-concurrent = أُنشئت في الوقت نفسه على جهاز آخر
cli-version-not-downloaded = لم تُنزّل بعد
cli-version-line =
    { $number }. { $date } · { $pages ->
        [zero] لا صفحات
        [one] صفحة واحدة
        [two] صفحتان
        [few] { $pages } صفحات
       *[other] { $pages } صفحة
    }
cli-versions-concurrent-hint = أُنشئت نسختان في الوقت نفسه. احتفظ بالصحيحة بـ «coffre version add».
cli-busy-retrying = الخادم مشغول. محاولة جديدة بعد { $seconds } ث.
cli-passphrase-file-unreadable = تعذرت قراءة ملف الرمز السري.
cli-prompt-passphrase = الرمز السري للخزنة:
cli-prompt-new-passphrase = الرمز السري الجديد:
cli-prompt-again = أعد كتابته:
cli-passphrases-differ = الرمزان مختلفان. أعد المحاولة.
cli-passphrase-too-short = يجب أن يتكون الرمز السري من 4 أحرف على الأقل.
cli-no-terminal-for-passphrase = لا توجد طرفية لطلب الرمز السري. استعمل ‎--passphrase-file أو COFFRE_PASSPHRASE.
cli-version-added = أُضيفت نسخة جديدة:
cli-no-such-version = لا توجد نسخة بهذا الرقم. انظر القائمة بـ «coffre version list».
cli-version-page-saved = النسخة { $number }، الصفحة { $page } ← { $path } ({ $size })
