"""A holder's story through the generated Python bindings, against a real local coffre-server.

Run by scripts/test-bindings.sh with PYTHONPATH pointing at the generated `coffre_ffi.py` (next to
libcoffre_ffi.so), COFFRE_TEST_PHOTO (a fixture photo) and COFFRE_TEST_SERVER_BIN (coffre-server).
Prints "N passed, N failed" at the end.
"""

import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zipfile

import coffre_ffi as c

PASS = "1234 cheval correct"
AGENT_PASS = "cle agent 5678"
RECOVERY_PIN = "2468"
RECOVERY_DELAY = 4
RESULTS = {"passed": 0, "failed": 0}


class Secret(c.PlatformSecretProvider):
    """Stands for the Android Keystore / iOS Keychain."""

    def __init__(self, byte=7):
        self.calls = 0
        self.byte = byte

    def platform_secret(self):
        self.calls += 1
        return bytes([self.byte] * 32)


class Listener(c.ProgressListener):
    def __init__(self):
        self.events = []

    def on_progress(self, progress):
        self.events.append(progress)


def step(name):
    def wrap(fn):
        try:
            fn()
            RESULTS["passed"] += 1
            print(f"ok   {name}")
        except Exception:  # noqa: BLE001 - report and go on
            RESULTS["failed"] += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        return fn

    return wrap


def all_docs(coffre):
    """Every document of an unlocked vault, unfiltered."""
    return coffre.vault().list(c.ListQuery(category=None, collection=None, tag=None, pinned_only=False,
                                           limit=None, offset=None))


def doc_ids(coffre):
    return {d.id for d in all_docs(coffre)}


def start_server(data_dir):
    # Assisted recovery's waiting delay (72 h in production) shortened for the story.
    env = dict(os.environ, COFFRE_SERVER_LISTEN="127.0.0.1:0", COFFRE_SERVER_DATA_DIR=data_dir,
               COFFRE_SERVER_RECOVERY_DELAY_SECS=str(RECOVERY_DELAY),
               # The test's organisation key is made at run time: let any organisation register.
               COFFRE_SERVER_ORG_ALLOWLIST="*",
               # Every client of the test is 127.0.0.1: lift the per-address registration limit.
               COFFRE_SERVER_REGISTRATIONS_PER_ADDRESS="1000")
    proc = subprocess.Popen([os.environ["COFFRE_TEST_SERVER_BIN"]], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        line = proc.stdout.readline()
        m = re.search(r"listening on (\S+)", line or "")
        if m:
            return proc, "http://" + m.group(1)
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("coffre-server did not start")


work = tempfile.mkdtemp(prefix="coffre-py-")
photo = open(os.environ["COFFRE_TEST_PHOTO"], "rb").read()
secret = Secret()
phone = c.Coffre(os.path.join(work, "vault"), secret)
state = {}
server, url = start_server(os.path.join(work, "server"))

try:

    @step("create a vault with a PIN and the platform secret")
    def _():
        assert not phone.vault_exists()
        phone.create(PASS)
        assert phone.vault_exists() and phone.is_unlocked()
        assert secret.calls == 1
        try:
            phone.create(PASS)
            raise AssertionError("second create must fail")
        except c.CoffreError.Conflict:
            pass

    @step("categories come as records")
    def _():
        cats = c.categories()
        assert len(cats) > 5
        ident = [x for x in cats if x.is_identity]
        assert ident, "an identity category"
        state["id_cat"] = ident[0].code
        state["other_cat"] = next(x.code for x in cats if x.collection == "other")

    @step("capture a photo: detect, auto-capture hint, deskew, save")
    def _():
        cap = phone.capture()
        det = cap.detect(photo)
        assert 0.0 <= det.confidence <= 1.0
        auto = cap.auto_capture(1600, 1200)
        advice = [auto.push(det, t) for t in range(0, 2000, 100)]
        if det.quad is not None:
            assert isinstance(advice[-1], c.CaptureAdvice.CAPTURE_NOW), advice[-1]
        opts = c.CaptureOptions(corners=det.quad, mode=None, whole_frame_if_not_found=True)
        doc = cap.capture([photo], opts)
        pages = doc.pages()
        assert len(pages) == 1 and pages[0].width > 0 and pages[0].size > 0
        assert doc.to_pdf()[:4] == b"%PDF"
        state["pdf"] = doc.to_pdf()
        expires = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
        meta = c.NewDocument(category=state["id_cat"], title="Carte d'identité", tags=["moi"],
                             issued_on=None, expires_on=expires, notes="")
        state["card"] = doc.save(meta)
        assert len(state["card"]) == 32

    @step("capture errors: garbage is InvalidInput, bad corners are InvalidInput")
    def _():
        cap = phone.capture()
        try:
            cap.capture([b"not a photo"], c.CaptureOptions(corners=None, mode=None, whole_frame_if_not_found=False))
            raise AssertionError("garbage accepted")
        except c.CoffreError.InvalidInput as e:
            assert "photo" in str(e)
        nan = c.Point(x=float("nan"), y=0.0)
        q = c.Quad(top_left=nan, top_right=nan, bottom_right=nan, bottom_left=nan)
        try:
            cap.capture([photo], c.CaptureOptions(corners=q, mode=None, whole_frame_if_not_found=False))
            raise AssertionError("NaN corners accepted")
        except c.CoffreError.InvalidInput:
            pass

    @step("preview frame detection")
    def _():
        frame = c.LumaFrame(width=64, height=48, row_stride=64, data=bytes(64 * 48))
        det = phone.capture().detect_preview(frame)
        assert det.quad is None
        try:
            phone.capture().detect_preview(c.LumaFrame(width=64, height=48, row_stride=64, data=b"\0"))
            raise AssertionError("short frame accepted")
        except c.CoffreError.InvalidInput:
            pass

    @step("import a file")
    def _():
        path = os.path.join(work, "attestation-caf.pdf")
        with open(path, "wb") as f:
            f.write(state["pdf"])
        meta = c.NewDocument(category=state["other_cat"], title="", tags=[], issued_on=None, expires_on=None,
                             notes="attestation")
        state["letter"] = phone.vault().import_file(path, meta)
        doc = phone.vault().get(state["letter"])
        assert doc.title == "attestation-caf" and doc.origin == "import", doc

    @step("list, search, expiring")
    def _():
        v = phone.vault()
        docs = all_docs(phone)
        assert {d.id for d in docs} == {state["card"], state["letter"]}
        hits = v.search("carte ident", None)
        assert [d.id for d in hits] == [state["card"]]
        exp = v.expiring(30)
        assert [e.document.id for e in exp] == [state["card"]] and exp[0].days_left == 10
        try:
            v.get("00" * 16)
            raise AssertionError("missing doc found")
        except c.CoffreError.NotFound:
            pass
        try:
            v.get("not-an-id")
            raise AssertionError("bad id accepted")
        except c.CoffreError.InvalidInput:
            pass

    @step("pin, lock, desk mode; wrong passphrase")
    def _():
        phone.vault().set_pinned(state["card"], True)
        phone.lock()
        assert not phone.is_unlocked()
        try:
            all_docs(phone)
            raise AssertionError("locked vault listed")
        except c.CoffreError.Busy:
            pass
        try:
            phone.unlock("0000")
            raise AssertionError("wrong PIN accepted")
        except c.CoffreError.WrongPassphrase as e:
            assert "0000" not in str(e)
        t0 = time.time()
        desk = phone.desk_mode(PASS)
        print(f"     desk mode (unlock + pinned page): {time.time() - t0:.2f} s")
        assert desk is not None and desk.document.id == state["card"]
        assert desk.mime.startswith("image/") and len(desk.bytes) > 1000

    @step("another platform secret does not open the vault")
    def _():
        other = c.Coffre(os.path.join(work, "vault"), Secret(byte=8))
        phone.lock()
        try:
            other.unlock(PASS)
            raise AssertionError("wrong platform secret accepted")
        except c.CoffreError.WrongPassphrase:
            pass
        phone.unlock(PASS)

    @step("export to zip, with progress; a cancelled export writes nothing")
    def _():
        dest = os.path.join(work, "export.zip")
        listener = Listener()
        summary = phone.vault().export(dest, c.ExportFormat.ZIP, listener, c.CancelHandle())
        assert summary.documents == 2 and summary.files == 2
        assert listener.events and listener.events[-1].done == 2
        names = zipfile.ZipFile(dest).namelist()
        assert "manifest.json" in names and len(names) == 3, names
        cancel = c.CancelHandle()
        cancel.cancel()
        try:
            phone.vault().export(os.path.join(work, "export2"), c.ExportFormat.FOLDER, None, cancel)
            raise AssertionError("cancelled export ran")
        except c.CoffreError.Cancelled:
            assert not os.path.exists(os.path.join(work, "export2"))

    @step("sync with a local server: enrol, push pages with progress")
    def _():
        s = phone.sync()
        assert s.server_url() is None
        try:
            s.sync(c.SyncOptions(download_all=False), None, c.CancelHandle())
            raise AssertionError("sync before enrol")
        except c.CoffreError.NotFound:
            pass
        s.enroll(url)
        listener = Listener()
        report = s.sync(c.SyncOptions(download_all=False), listener, c.CancelHandle())
        assert report.pushed >= 3 and report.blobs_uploaded >= 3, report
        assert listener.events, "progress fired"
        devices = s.devices()
        assert len(devices) == 1 and devices[0].this_device

    @step("sync cancelled before and during a transfer fails with Cancelled; the next one resumes")
    def _():
        meta = c.NewDocument(category=state["other_cat"], title="Quittance", tags=[], issued_on=None,
                             expires_on=None, notes="")
        phone.vault().import_bytes(state["pdf"], "quittance.pdf", meta)
        cancel = c.CancelHandle()
        cancel.cancel()
        try:
            phone.sync().sync(c.SyncOptions(download_all=False), None, cancel)
            raise AssertionError("cancelled sync ran")
        except c.CoffreError.Cancelled:
            pass

        class CancelOnFirstProgress(c.ProgressListener):
            """Cancels mid-transfer, from the callback (called on the engine's thread)."""

            def __init__(self, handle):
                self.handle, self.threads = handle, set()

            def on_progress(self, progress):
                self.threads.add(threading.get_ident())
                self.handle.cancel()

        cancel = c.CancelHandle()
        listener = CancelOnFirstProgress(cancel)
        try:
            phone.sync().sync(c.SyncOptions(download_all=False), listener, cancel)
            raise AssertionError("sync cancelled mid-transfer ran to the end")
        except c.CoffreError.Cancelled:
            assert listener.threads, "progress fired before the cancel"
        report = phone.sync().sync(c.SyncOptions(download_all=False), None, c.CancelHandle())
        assert report.pushed == 1, report

    @step("device linking: a second phone by QR and short code")
    def _():
        second = c.Coffre(os.path.join(work, "second"), Secret(byte=9))
        state["second"] = second
        link = second.start_device_link(url)
        # the new phone draws the QR, the enrolled phone's camera reads it
        drawn = c.qr_encode(link.qr_text())
        qr = c.qr_decode_photo(drawn.png)
        assert qr == link.qr_text() and len(drawn.modules) == drawn.size * drawn.size
        assert link.short_code() is None, "no digits before the enrolled phone answered"
        approval = phone.sync().start_link_approval(qr)
        assert approval.short_code() is None, "no digits before the new phone revealed"
        code = link.short_code()
        assert code is not None and len(code) == 6
        assert approval.short_code() == code
        try:
            approval.approve("000000" if code != "000000" else "111111")
            raise AssertionError("mismatched code approved")
        except c.CoffreError.Forbidden:
            pass
        assert link.try_complete("autre code") == c.LinkStatus.PENDING
        done = threading.Event()
        errors = []

        def approve():
            try:
                approval.approve_named(code, "Téléphone de Léa")
            except Exception as e:  # noqa: BLE001
                errors.append(e)
            done.set()

        threading.Thread(target=approve).start()
        done.wait(60)
        assert not errors, errors
        status = c.LinkStatus.PENDING
        for _ in range(40):
            status = link.try_complete("autre code")
            if status == c.LinkStatus.LINKED:
                break
            time.sleep(0.25)
        assert status == c.LinkStatus.LINKED
        assert second.is_unlocked()
        docs = all_docs(second)
        assert len(docs) == 3, docs
        # The pinned card's pages came with the first sync (desk mode works offline on the new phone).
        assert len(second.vault().page(state["card"], 0)) > 1000
        devices = phone.sync().devices()
        assert len(devices) == 2
        # Both views: certified in the log, enrolled on the server, who added whom, last seen.
        assert all(d.in_log and not d.removed and d.role == c.DeviceRole.DEVICE for d in devices), devices
        me = next(d for d in devices if d.this_device)
        other = next(d for d in devices if not d.this_device)
        assert me.added_by is None and me.last_seen_at
        assert other.name == "Téléphone de Léa" and other.added_by == me.public_key, other

    @step("a renewed card: a new version on each phone offline; after sync both are kept, one marked concurrent")
    def _():
        second = state["second"]
        card = state["card"]
        for who in (phone, second):
            shot = who.capture().capture([photo], c.CaptureOptions(corners=None, mode=None,
                                                                   whole_frame_if_not_found=True))
            shot.save_as_version(card)
        for who in (phone, second, phone):
            who.sync().sync(c.SyncOptions(download_all=True), None, c.CancelHandle())
        versions = phone.vault().versions(card)
        assert len(versions) == 3, versions
        assert sum(v.current for v in versions) == 1 and any(v.concurrent for v in versions), versions
        first = versions[0]
        assert len(phone.vault().version_page(card, first.version, 0)) > 1000

    @step("share by QR: the ID card for a week, watermarked; the recipient opens it; revoked, it no longer opens")
    def _():
        link = phone.share().create([state["card"]], c.ShareLifetime.WEEK, 3, "pour la CAF")
        assert link.url.startswith(url + "/s/") and "#" in link.url and link.watermarked_pages == 1
        scanned = c.qr_decode_photo(link.qr.png)  # the recipient's camera
        assert scanned == link.url
        received = c.open_share_link(scanned)
        assert received.purpose == "pour la CAF" and received.documents[0].watermarked
        copy = received.documents[0].pages[0].bytes
        assert len(copy) > 1000 and copy != phone.vault().page(state["card"], 0), "a watermarked copy"
        mine = [s for s in phone.share().list(False) if s.id == link.id]
        assert len(mine) == 1 and mine[0].state == c.ShareState.ACTIVE and len(mine[0].opened_at or []) == 1
        assert any(e.kind == "share_opened" for e in phone.mandates().audit())
        phone.share().revoke(link.id)
        try:
            c.open_share_link(scanned)
            raise AssertionError("a revoked link opened")
        except c.CoffreError.Expired:
            pass
        try:
            c.open_share_link(scanned.split("#")[0] + "#v1.AAAA")
            raise AssertionError("a forged link opened")
        except (c.CoffreError.InvalidInput, c.CoffreError.Expired, c.CoffreError.Corrupt):
            pass
        dossiers = {d.code: d for d in phone.share().dossiers()}
        assert "rsa" in dossiers and dossiers["rsa"].pieces, dossiers.keys()
        report = phone.share().check_dossier("rsa")
        assert any(p.status == c.PieceStatus.MISSING for p in report.pieces) and not report.complete

    def cli(*args):
        """The organisation's admin, played by the `coffre` CLI (a desktop role)."""
        env = dict(os.environ, COFFRE_KEYFILE_PASSPHRASE="cle admin 8765", LANG="C",
                   COFFRE_VAULT=os.path.join(work, "unused"))
        out = subprocess.run([os.environ["COFFRE_TEST_CLI_BIN"], *args], env=env, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    ORG = os.path.join(work, "org.json")

    def new_agent(name):
        """An agent's phone (the bindings' agent mode): a key file, certified by the admin, installed."""
        agent = c.Agent.create(os.path.join(work, f"agent-{len(state.get('agents', []))}.json"), AGENT_PASS)
        request = agent.enrolment_request()
        assert agent.identity() is None
        try:
            agent.offer(url)
            raise AssertionError("an uncertified agent made an offer")
        except c.CoffreError.NotFound:
            pass
        cert = cli("org", "enrol-agent", "--file", ORG, "--request", request, "--name", name,
                   "--role", "Assistante sociale", "--days", "30")
        ident = agent.install_certificate(cert)
        assert ident.agent_name == name and ident.organisation == "CCAS de Test", ident
        assert ident.certificate == cert.strip() and agent.identity().device_key == ident.device_key
        state.setdefault("agents", []).append((agent, ident))
        return agent, ident

    @step("an agent's phone at the desk: QR and short code, the holder grants, the mandate arrives by QR")
    def _():
        cli("org", "create", "--file", ORG, "--name", "CCAS de Test")
        cli("org", "register", "--file", ORG, "--server", url)
        agent, ident = new_agent("Mme Martin")
        path = os.path.join(work, "agent-0.json")
        try:
            c.Agent.open(path, "pas le bon")
            raise AssertionError("a wrong key-file passphrase opened it")
        except c.CoffreError.WrongPassphrase:
            pass
        assert c.Agent.open(path, AGENT_PASS).identity().device_key == ident.device_key, "certificate kept on disk"
        offer = agent.offer(url)
        qr = c.qr_decode_photo(offer.qr().png)  # the holder's camera reads the agent's screen
        assert qr == offer.qr_text()
        seen = phone.mandates().scan_offer(qr)
        assert offer.short_code() is None, "no digits before the holder's phone answered"
        assert seen.identity_fr == ident.identity_fr and "Mme Martin" in seen.identity_fr
        try:
            phone.mandates().scan_offer(qr[:-12])
            raise AssertionError("a truncated offer was accepted")
        except (c.CoffreError.InvalidInput, c.CoffreError.Forbidden):
            pass
        try:
            offer.receive(0, c.CancelHandle())
            raise AssertionError("a mandate before the grant")
        except c.CoffreError.Busy:
            pass
        cancel = c.CancelHandle()
        threading.Timer(0.3, cancel.cancel).start()
        t0 = time.time()
        try:
            offer.receive(60, cancel)
            raise AssertionError("a cancelled wait returned")
        except c.CoffreError.Cancelled:
            assert time.time() - t0 < 5, "cancel stops the wait"
        received = {}

        def wait_for_mandate():  # the agent's phone waits on its own thread while the holder decides
            try:
                received["mandate"] = offer.receive(60, c.CancelHandle())
            except Exception as e:  # noqa: BLE001
                received["error"] = e

        waiter = threading.Thread(target=wait_for_mandate)
        waiter.start()
        desk = phone.mandates().start_grant(qr)
        agent_code = offer.short_code()
        assert agent_code is not None and desk.short_code() == agent_code, (agent_code, desk.short_code())
        try:
            desk.grant("000000" if agent_code != "000000" else "111111", [c.MandateScope.DEPOSIT], [], 7)
            raise AssertionError("mismatched digits signed a mandate")
        except c.CoffreError.Forbidden:
            pass
        granted = desk.grant(agent_code, [c.MandateScope.DEPOSIT, c.MandateScope.CONSULT], ["identity"], 7)
        assert granted.active and granted.scopes == ["deposit", "consult"], granted
        waiter.join(60)
        assert "error" not in received, received
        m = received["mandate"]
        assert m.id == granted.id and m.scopes == ["deposit", "consult"] and m.collections == ["identity"], m
        assert m.text.startswith("COFFRE-MANDATE:") and m.server_url == url and len(m.vault_id) == 64
        state["mandate"] = m

    @step("the agent deposits a certified document; it arrives with the holder's sync; the agent consults")
    def _():
        agent, ident = state["agents"][0]
        m = state["mandate"]
        receipt = agent.deposit_bytes(url, m.text, b"%PDF-1.4 attestation de domiciliation", "attestation.pdf",
                                      "Attestation de domiciliation", state["other_cat"])
        assert receipt.received_at > 0 and receipt.server_key, receipt
        receipt_path = os.path.join(work, "quittance.pdf")
        with open(receipt_path, "wb") as f:
            f.write(b"%PDF-1.4 quittance de loyer, octobre")
        from_file = agent.deposit_file(url, m.text, receipt_path, "Quittance de loyer", state["other_cat"])
        assert from_file.received_at >= receipt.received_at and from_file.server_key == receipt.server_key
        try:
            agent.deposit_file(url, m.text, os.path.join(work, "absent.pdf"), "X", state["other_cat"])
            raise AssertionError("a missing file was deposited")
        except c.CoffreError.NotFound as e:
            assert work not in str(e), "no path in the message"
        phone.sync().sync(c.SyncOptions(download_all=False), None, c.CancelHandle())
        deposits = phone.mandates().after_sync()  # imports the deposits, publishes the consult package
        assert [d.agent for d in deposits] == ["Mme Martin"] * 2, deposits
        by_title = {phone.vault().get(d.document_id).title: d.document_id for d in deposits}
        assert set(by_title) == {"Attestation de domiciliation", "Quittance de loyer"}, by_title
        assert phone.vault().page(by_title["Quittance de loyer"], 0) == b"%PDF-1.4 quittance de loyer, octobre"
        package = agent.consult(url, m.text)
        docs = {d.id: d for d in package.documents()}
        assert state["card"] in docs and not set(by_title.values()) & set(docs), docs.keys()
        card = docs[state["card"]]
        assert card.collection == "identity" and card.pages and card.pages[0].mime.startswith("image/")
        assert package.page(card.id, 0, False) == phone.vault().page(state["card"], 0)
        try:
            package.page(card.id, 99, False)
            raise AssertionError("a page that is not in the package")
        except c.CoffreError.NotFound:
            pass
        kinds = [e.kind for e in phone.mandates().audit()]
        assert "mandate_granted" in kinds and "deposit_received" in kinds and "agent_consulted" in kinds, kinds
        agent.lock()
        try:
            agent.consult(url, m.text)
            raise AssertionError("a locked agent consulted")
        except c.CoffreError.Busy:
            pass
        state["agents"][0] = (c.Agent.open(os.path.join(work, "agent-0.json"), AGENT_PASS), ident)

    @step("revoking the mandate: the agent can no longer consult or deposit")
    def _():
        agent, _ = state["agents"][0]
        m = state["mandate"]
        phone.mandates().revoke(m.id)
        assert not phone.mandates().list()[0].active
        for attempt in (lambda: agent.consult(url, m.text),
                        lambda: agent.deposit_bytes(url, m.text, b"x", "x.pdf", "X", state["other_cat"])):
            try:
                attempt()
                raise AssertionError("a revoked mandate still works")
            except (c.CoffreError.Forbidden, c.CoffreError.NotFound, c.CoffreError.Expired):
                pass

    @step("recovery kit: 12 words, QR, PDF; a new phone recovers the vault from the words alone")
    def _():
        kit = phone.recovery().make_kit(c.KitLanguage.FRENCH, "23/11/2026")
        assert len(kit.words) == 12 and kit.pdf.startswith(b"%PDF")
        assert c.qr_decode_photo(kit.qr.png)
        typo = list(kit.words)
        typo[4] = typo[4] + "x"
        fresh = c.Coffre(os.path.join(work, "after-loss"), Secret(byte=3))
        try:
            fresh.recover_with_code(" ".join(typo), url, "nouveau code 9876")
            raise AssertionError("a mistyped word was accepted")
        except c.CoffreError.InvalidInput as e:
            assert "5" in str(e), e
        fresh.recover_with_code(" ".join(kit.words), url, "nouveau code 9876")
        mine = doc_ids(phone)
        theirs = doc_ids(fresh)
        assert mine == theirs and len(mine) >= 3, (mine, theirs)
        assert fresh.vault().page(state["card"], 0) == phone.vault().page(state["card"], 0)
        fresh.lock()

    @step("assisted recovery: the PIN after the delay and two agents (or the kit share) restore a new phone")
    def _():
        first, first_ident = state["agents"][0]
        second, second_ident = new_agent("M. Durand")
        try:
            phone.recovery().setup_assisted(RECOVERY_PIN, [first_ident.certificate])
            raise AssertionError("one agent accepted")
        except c.CoffreError.InvalidInput:
            pass
        setup = phone.recovery().setup_assisted(RECOVERY_PIN, [first_ident.certificate, second_ident.certificate])
        assert setup.kit_share.startswith("coffre-kit-share:1:") and len(setup.kit_share_groups) == 14
        assert c.qr_decode_photo(setup.kit_share_qr.png) == setup.kit_share
        # Everything lost, kit too: the vault id comes from the agent's copy of the person's mandate.
        vault_id = state["mandate"].vault_id
        new_phone = c.Coffre(os.path.join(work, "assisted"), Secret(byte=4))
        rec = new_phone.start_assisted_recovery(url, vault_id)
        assert rec.vault_id() == vault_id and rec.ready_at() >= time.time() + RECOVERY_DELAY - 2
        try:
            rec.release(RECOVERY_PIN)
            raise AssertionError("released before the delay")
        except c.CoffreError.Busy:
            pass
        # The holder's phone is told at its next sync; the person did not ask for it: any phone of the
        # vault cancels, nothing is released, and the alert goes.
        alerts = phone.sync().sync(c.SyncOptions(download_all=False), None, c.CancelHandle()).recovery_requests
        assert len(alerts) == 1 and alerts[0].ready_at == rec.ready_at(), alerts
        assert phone.recovery().cancel_assisted().cancelled
        report = phone.sync().sync(c.SyncOptions(download_all=False), None, c.CancelHandle())
        assert report.recovery_requests == [] and report.strays_removed == [], report
        try:
            rec.release(RECOVERY_PIN)
            raise AssertionError("a cancelled request released")
        except c.CoffreError.Expired:
            pass
        saved = new_phone.start_assisted_recovery(url, vault_id).saved_text()
        rec = new_phone.resume_assisted_recovery(saved)  # after an app restart
        while time.time() < rec.ready_at() + 0.5:
            time.sleep(0.2)
        try:
            rec.release("9999")
            raise AssertionError("a wrong PIN released")
        except c.CoffreError.WrongPassphrase as e:
            assert "9999" not in str(e)
        request = rec.release(RECOVERY_PIN)
        assert request.text.startswith("COFFRE-ASSIST-REQ:")
        try:
            rec.finish("nouveau code 1357")
            raise AssertionError("the provider share alone restored the vault")
        except c.CoffreError.Forbidden:
            assert not new_phone.vault_exists()
        scanned = c.qr_decode_photo(request.qr.png)  # each agent's phone reads the new phone's screen
        approvals = [first.approve_recovery(scanned), second.approve_recovery(request.text)]
        assert all(a.vault_id == vault_id and a.text.startswith("COFFRE-ASSIST-OK:") for a in approvals)
        try:
            first.approve_recovery("COFFRE-ASSIST-REQ:AAAA")
            raise AssertionError("a garbled request approved")
        except c.CoffreError.InvalidInput:
            pass
        assert rec.add_approval(c.qr_decode_photo(approvals[0].qr.png)) == 1
        assert rec.add_approval(approvals[1].text) == 2
        rec.finish("nouveau code 1357")
        assert new_phone.is_unlocked()
        mine = doc_ids(phone)
        theirs = doc_ids(new_phone)
        assert mine == theirs and len(mine) >= 4, (mine, theirs)
        assert new_phone.vault().page(state["card"], 0) == phone.vault().page(state["card"], 0)
        new_phone.lock()
        # Or the provider (PIN) and the kit share typed from the paper, without the agents.
        other = c.Coffre(os.path.join(work, "assisted-kit"), Secret(byte=6))
        rec = other.start_assisted_recovery(url, vault_id)
        try:
            rec.add_kit_share("12345 67890")
            raise AssertionError("a short kit share was accepted")
        except c.CoffreError.InvalidInput:
            pass
        while time.time() < rec.ready_at() + 0.5:
            time.sleep(0.2)
        rec.release(RECOVERY_PIN)
        rec.add_kit_share(" ".join(setup.kit_share_groups))
        rec.finish("autre code 2468")
        assert doc_ids(other) == mine
        other.lock()

    @step("a panic inside the library becomes an exception, and the vault stays usable")
    def _():
        try:
            c.debug_panic()
            raise AssertionError("no exception")
        except c.InternalError:
            pass
        try:
            phone.debug_panic()
            raise AssertionError("no exception")
        except c.InternalError:
            pass
        assert len(phone.vault().pinned()) == 1

    @step("closing the vault: the server confirms, this phone's copy is shredded")
    def _():
        info = phone.recovery().close_vault()
        assert info.server_confirmed and info.closed_at > 0
        assert not phone.is_unlocked() and not phone.vault_exists()
        try:
            state["second"].sync().sync(c.SyncOptions(download_all=False), None, c.CancelHandle())
            raise AssertionError("the closed vault still syncs")
        except (c.CoffreError.NotFound, c.CoffreError.Forbidden):
            pass

finally:
    server.kill()
    server.wait()
    shutil.rmtree(work, ignore_errors=True)

print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
sys.exit(1 if RESULTS["failed"] else 0)
