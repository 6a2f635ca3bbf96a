// The sample app's platform-independent layer (src/shared) on the JVM, against the real cdylib: a
// real vault in a temp dir, the fixture photo (COFFRE_TEST_PHOTO) as camera frames, a real
// coffre-server on 127.0.0.1 and the `coffre` CLI as the organisation's admin. Compiled with
// bindings/tests/kotlin (whose runner and helpers it reuses) by scripts/test-bindings.sh.
package org.coffre.sample.tests

import coffre.tests.AGENT_PASS
import coffre.tests.FixedSecret
import coffre.tests.PASS
import coffre.tests.admin
import coffre.tests.check
import coffre.tests.failed
import coffre.tests.newDir
import coffre.tests.passed
import coffre.tests.startServer
import coffre.tests.test
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.File
import java.nio.ByteBuffer
import java.nio.file.Files
import java.util.concurrent.Executor
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import javax.imageio.ImageIO
import org.coffre.sample.model.*
import uniffi.coffre_ffi.*

/** Waits (up to 60 s) until [state] satisfies [done]; the models change it on their executor. */
fun <S> awaitState(state: Observable<S>, what: String, done: (S) -> Boolean): S {
    val deadline = System.currentTimeMillis() + 60_000
    while (true) {
        val v = state.value
        if (done(v)) return v
        if (System.currentTimeMillis() > deadline) throw AssertionError("timed out waiting for $what; state: $v")
        Thread.sleep(5)
    }
}

/** An image (JPEG, PNG) as the Y plane a camera would deliver: grey, [maxSide] at most, padded rows. */
fun cameraFrame(image: ByteArray, maxSide: Int = 640): LumaFrame {
    val src = ImageIO.read(ByteArrayInputStream(image)) ?: error("not an image")
    val scale = minOf(1.0, maxSide.toDouble() / maxOf(src.width, src.height))
    val w = (src.width * scale).toInt()
    val h = (src.height * scale).toInt()
    val grey = BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY)
    grey.createGraphics().apply { drawImage(src, 0, 0, w, h, null); dispose() }
    val stride = w + 32 // row padding, as camera planes have
    val plane = ByteBuffer.allocate(stride * (h - 1) + w) // and no padding after the last row
    val row = ByteArray(w)
    for (y in 0 until h) {
        grey.raster.getDataElements(0, y, w, 1, row)
        plane.position(y * stride)
        plane.put(row)
    }
    plane.rewind()
    return lumaFrame(plane, w, h, stride)
}

fun main() {
    val photo = File(System.getenv("COFFRE_TEST_PHOTO") ?: error("COFFRE_TEST_PHOTO")).readBytes()
    // The UI thread's executor: here the state is delivered on the thread that changed it.
    val main = Executor { it.run() }
    val background = Executors.newSingleThreadExecutor()
    val coffre = Coffre(newDir(), FixedSecret(9))

    test("unlock model: no vault, create, lock, a wrong PIN shown, unlock") {
        val model = UnlockModel(coffre, background, main)
        val seen = java.util.Collections.synchronizedList(mutableListOf<UnlockState>())
        model.state.observe { seen.add(it) }
        model.start()
        awaitState(model.state, "no vault") { it is UnlockState.NoVault }
        model.create(PASS)
        awaitState(model.state, "created") { it == UnlockState.Unlocked }
        check(coffre.isUnlocked(), "the core is unlocked")
        model.lock()
        awaitState(model.state, "locked") { it == UnlockState.Locked() }
        model.unlock("0000")
        val wrong = awaitState(model.state, "wrong PIN") { it is UnlockState.Locked && it.error != null }
        check((wrong as UnlockState.Locked).error == "Wrong PIN or passphrase.", "message: $wrong")
        model.unlock("0001")
        val again = awaitState(model.state, "second wrong PIN") {
            it is UnlockState.Locked && it.error != null && it != wrong
        } as UnlockState.Locked
        check(again.error!!.contains("2 wrong PINs in a row") && again.error!!.contains("recovery kit"), "message: $again")
        check(coffre.unlockAttempts().failed == 2u, "counted in the vault header")
        model.unlock(PASS)
        awaitState(model.state, "unlocked") { it == UnlockState.Unlocked }
        val expected = listOf(
            UnlockState.Checking, UnlockState.Working, UnlockState.NoVault(), UnlockState.Working, UnlockState.Unlocked,
            UnlockState.Working, UnlockState.Locked(), UnlockState.Working, wrong, UnlockState.Working, again,
            UnlockState.Working, UnlockState.Unlocked,
        )
        check(seen == expected, "every change observed, in order: $seen")
    }

    test("auto-lock: hidden past the grace time locks; coming back in time or moving between screens does not") {
        val scheduler = Executors.newSingleThreadScheduledExecutor()
        val locked = java.util.concurrent.CountDownLatch(1)
        val auto = AutoLock(coffre, scheduler, graceMs = 300, onLocked = { locked.countDown() })
        val entry = UnlockModel(coffre, background, main)
        entry.start()
        awaitState(entry.state, "unlocked") { it == UnlockState.Unlocked }
        auto.screenShown() // the list
        auto.screenShown() // the capture screen opens over it ...
        auto.screenHidden() // ... and the list is hidden: one screen is still visible
        auto.screenHidden() // the app goes to the background
        auto.screenShown() // back within the grace time
        Thread.sleep(600)
        check(coffre.isUnlocked() && locked.count == 1L, "no lock while a screen was visible again in time")
        auto.screenHidden()
        check(locked.await(5, TimeUnit.SECONDS), "locked after the grace time")
        check(!coffre.isUnlocked(), "the core is locked")
        entry.recheck()
        awaitState(entry.state, "the PIN screen again on return") { it == UnlockState.Locked() }
        scheduler.shutdown()
        coffre.unlock(PASS)
    }

    var cardId = ""
    test("capture session: preview frames give a quad and CaptureNow; the photo is reviewed, then saved") {
        val frame = cameraFrame(photo)
        CaptureSession(coffre, background, main).use { session ->
            var advice: CaptureAdvice = CaptureAdvice.NoDocument
            var t = 0L
            while (advice !is CaptureAdvice.CaptureNow && t < 10_000) {
                advice = session.analyze(frame, t)
                t += 100
            }
            val framed = session.state.value
            check(advice is CaptureAdvice.CaptureNow && framed.phase == CapturePhase.Shooting, "held still: $framed")
            check(framed.quad != null && framed.frameWidth == frame.width.toInt(), "quad in frame pixels: $framed")
            check(session.analyze(frame, t) == CaptureAdvice.NoDocument, "no analysis while shooting")
            session.onPhoto(photo)
            val review = awaitState(session.state, "review") { it.phase !is CapturePhase.Processing }.phase
            check(review is CapturePhase.Review && review.pages.size == 1, "one page: $review")
            val thumb = (review as CapturePhase.Review).thumbnail
            check(thumb.size > 100 && thumb[0] == 0xFF.toByte() && thumb[1] == 0xD8.toByte(), "JPEG thumbnail")
            session.save(NewDocument(category = "carte_identite", title = "Carte"))
            val saved = awaitState(session.state, "saved") { it.phase !is CapturePhase.Processing }.phase
            cardId = (saved as? CapturePhase.Saved)?.documentId ?: throw AssertionError("not saved: $saved")
            session.retake()
            check(session.state.value == CaptureState(), "framing again")
            session.shootNow()
            check(session.state.value.phase == CapturePhase.Shooting, "the shutter button")
        }
    }

    test("capture session: a bad frame and a photo that is not one fail typed") {
        CaptureSession(coffre, background, main).use { session ->
            val blank = LumaFrame(64u, 48u, 64u, ByteArray(64 * 48))
            check(session.analyze(blank, 0) == CaptureAdvice.NoDocument && session.state.value.quad == null, "no quad")
            try {
                session.analyze(LumaFrame(64u, 48u, 64u, ByteArray(3)), 100)
                throw AssertionError("a short frame was accepted")
            } catch (e: CoffreException.InvalidInput) {
                check(userMessage(e).isNotEmpty(), "a message")
            }
            session.onPhoto("not a jpeg".toByteArray())
            val failed = awaitState(session.state, "failed") { it.phase !is CapturePhase.Processing }.phase
            check(failed is CapturePhase.Failed, "typed failure: $failed")
        }
    }

    test("overlay geometry: frame pixels to view pixels, rotated and filling the view") {
        val quad = Quad(Point(100f, 100f), Point(540f, 100f), Point(540f, 380f), Point(100f, 380f))
        val flat = quadOnView(quad, 640, 480, 0, 1280f, 1080f) // scale 2.25, cropped 80 px each side
        check(flat[0] == 145f && flat[1] == 225f && flat[4] == 1135f && flat[5] == 855f, flat.toList().toString())
        val portrait = quadOnView(quad, 640, 480, 90, 480f, 640f) // sensor's top row → the right edge
        check(portrait[0] == 380f && portrait[1] == 100f && portrait[6] == 100f && portrait[7] == 100f, portrait.toList().toString())
    }

    test("documents model: list, search, pin; desk mode shows the pinned card") {
        val docs = DocumentsModel(coffre, background, main)
        docs.refresh()
        val listed = awaitState(docs.state, "list") { !it.loading }
        check(listed.documents.map { it.id } == listOf(cardId), "listed: $listed")
        docs.search("zzz introuvable")
        check(awaitState(docs.state, "search") { !it.loading }.documents.isEmpty(), "no match")
        docs.search("Carte")
        check(awaitState(docs.state, "search") { !it.loading }.documents.single().id == cardId, "found")
        docs.setPinned(cardId, true)
        awaitState(docs.state, "pinned") { s -> !s.loading && s.documents.any { it.pinned } }
        val unlock = UnlockModel(coffre, background, main)
        unlock.lock()
        awaitState(unlock.state, "locked") { it is UnlockState.Locked }
        unlock.deskMode(PASS)
        val desk = awaitState(unlock.state, "desk") { it is UnlockState.Desk || it == UnlockState.Unlocked }
        check(desk is UnlockState.Desk && desk.page.document.id == cardId && desk.page.mime.startsWith("image/"), "$desk")
        unlock.leaveDesk()
        check(unlock.state.value == UnlockState.Unlocked, "back to the list")
    }

    val work = Files.createTempDirectory("coffre-kt-sample").toFile()
    val server = startServer(File(work, "server"))
    try {
        test("sync model: an unreachable server fails typed; enrols, then syncs with progress; a cancel is Cancelled") {
            val model = SyncModel(coffre, background, main)
            model.syncNow("http://127.0.0.1:9")
            val down = awaitState(model.state, "failed") { it !is SyncState.Syncing }
            check(down is SyncState.Failed && down.message.startsWith("No connection"), "$down")
            check(coffre.sync().use { it.serverUrl() } == null, "not enrolled")
            // The background thread is held while the sync is queued and cancelled: it starts cancelled.
            val gate = java.util.concurrent.CountDownLatch(1)
            background.execute { gate.await() }
            model.syncNow(server.url)
            model.cancel()
            gate.countDown()
            val cancelled = awaitState(model.state, "cancelled") { it !is SyncState.Syncing }
            check(cancelled == SyncState.Failed("Cancelled."), "$cancelled")
            val progressed = java.util.Collections.synchronizedList(mutableListOf<Progress>())
            model.state.observe { if (it is SyncState.Syncing) it.progress?.let(progressed::add) }
            model.syncNow(server.url)
            val done = awaitState(model.state, "synced") { it !is SyncState.Syncing }
            check(done is SyncState.Done && (done as SyncState.Done).report.pushed > 0uL, "$done")
            check(progressed.isNotEmpty() && progressed.last().done == progressed.last().total, "progress: $progressed")
            check(coffre.sync().use { it.serverUrl() } == server.url, "enrolled")
        }

        test("share model: link and QR; the QR read back from a camera frame; revoke") {
            val model = ShareModel(coffre, background, main)
            model.share(listOf(cardId), ShareLifetime.DAY, 3u, "pour la CAF")
            val shown = awaitState(model.state, "shown") { it !is SharingState.Working && it != SharingState.Idle }
            val link = (shown as? SharingState.Shown)?.link ?: throw AssertionError("not shared: $shown")
            check(qrDecodeFrame(cameraFrame(link.qr.png, 2000)) == link.url, "the QR carries the link")
            model.revokeShown()
            val revoked = awaitState(model.state, "revoked") { it !is SharingState.Working }
            check(revoked == SharingState.Revoked(link.id), "$revoked")
            val info = coffre.share().use { s -> s.list(true).single { it.id == link.id } }
            check(info.state == ShareState.REVOKED, "$info")
        }

        test("agent scan model: no code keeps scanning, a foreign code fails, the agent's code is granted") {
            val org = File(work, "org.json").path
            admin(work, "org", "create", "--file", org, "--name", "CCAS de Test")
            admin(work, "org", "register", "--file", org, "--server", server.url)
            val agent = Agent.create(File(work, "agent.json").path, AGENT_PASS)
            agent.installCertificate(
                admin(work, "org", "enrol-agent", "--file", org, "--request", agent.enrolmentRequest(),
                    "--name", "Mme Martin", "--role", "Assistante sociale", "--days", "30"),
            )
            val model = AgentScanModel(coffre, background, main)
            check(!model.analyze(LumaFrame(64u, 64u, 64u, ByteArray(64 * 64) { -1 })), "nothing read")
            check(model.state.value == GrantState.Scanning, "still scanning")
            check(model.analyze(cameraFrame(qrEncode("https://example.org/").png, 2000)), "a code was read")
            check(model.state.value is GrantState.Failed, "not an agent's: ${model.state.value}")
            model.rescan()
            agent.offer(server.url).use { offer ->
                check(model.analyze(cameraFrame(offer.qr().png, 2000)), "the agent's code was read")
                check(model.state.value is GrantState.Waiting, "waiting for the agent's digits: ${model.state.value}")
                // The agent's phone reads the holder's contribution and reveals (its app polls).
                var agentCode: String? = null
                while (agentCode == null) agentCode = offer.shortCode().also { if (it == null) Thread.sleep(200) }
                val confirm = awaitState(model.state, "digits") { it !is GrantState.Waiting } as? GrantState.Confirm
                    ?: throw AssertionError("${model.state.value}")
                check(confirm.code == agentCode && confirm.offer.identityFr.contains("Mme Martin"), "$confirm")
                val received = Executors.newSingleThreadExecutor().let { ex ->
                    ex.submit<AgentMandate> { offer.receive(60u, CancelHandle()) }.also { ex.shutdown() }
                }
                model.grant(listOf(MandateScope.DEPOSIT), listOf("identity"), 7u)
                val granted = awaitState(model.state, "granted") { it !is GrantState.Confirm && it != GrantState.Granting }
                val mandate = (granted as? GrantState.Granted)?.mandate ?: throw AssertionError("$granted")
                val arrived = received.get(60, TimeUnit.SECONDS)
                check(arrived.id == mandate.id && arrived.scopes == listOf("deposit"), "$arrived")
            }
            agent.close()
        }
    } finally {
        server.process.destroy()
        server.process.waitFor(10, TimeUnit.SECONDS)
    }

    background.shutdown()
    coffre.lock()
    coffre.close()
    println("sample models: $passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
