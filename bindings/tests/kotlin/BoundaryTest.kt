// Boundary tests of the generated Kotlin bindings, run on the JVM against the host cdylib by
// scripts/test-bindings.sh (no JUnit here: a tiny runner that prints "N passed, N failed").
// They check the boundary, not the logic (that is tested in core): records and errors cross,
// callbacks fire, cancel works, objects are closed, a panic becomes an exception.
// The XCTest cases in ios/Tests mirror these one for one.
package coffre.tests

import java.io.File
import java.nio.file.Files
import java.util.concurrent.atomic.AtomicInteger
import uniffi.coffre_ffi.*

const val PASS = "1234 cheval correct"

class FixedSecret(private val byte: Byte) : PlatformSecretProvider {
    val calls = AtomicInteger(0)
    override fun platformSecret(): ByteArray {
        calls.incrementAndGet()
        return ByteArray(32) { byte }
    }
}

class BrokenKeystore : PlatformSecretProvider {
    override fun platformSecret(): ByteArray = throw IllegalStateException("keystore unavailable: secret-42")
}

class ShortSecret : PlatformSecretProvider {
    override fun platformSecret(): ByteArray = ByteArray(5)
}

class Recorder : ProgressListener {
    val events = mutableListOf<Progress>()
    override fun onProgress(progress: Progress) {
        synchronized(events) { events.add(progress) }
    }
}

var passed = 0
var failed = 0

fun check(cond: Boolean, what: String) {
    if (!cond) throw AssertionError(what)
}

inline fun <reified T : Throwable> expectThrows(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing thrown")
}

fun test(name: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("ok   $name")
    } catch (e: Throwable) {
        failed++
        println("FAIL $name: $e")
        e.printStackTrace()
    }
}

fun newDir(): String = Files.createTempDirectory("coffre-kt-").resolve("vault").toString()

fun allDocs(c: Coffre): List<Document> = c.vault().use { it.list(ListQuery()) }

fun main() {
    val photo = File(System.getenv("COFFRE_TEST_PHOTO") ?: error("COFFRE_TEST_PHOTO")).readBytes()
    val secret = FixedSecret(7)
    val dir = newDir()
    val coffre = Coffre(dir, secret)

    test("create: the platform secret callback fires, records cross") {
        check(!coffre.vaultExists(), "no vault yet")
        coffre.create(PASS)
        check(secret.calls.get() == 1, "secret asked once")
        check(coffre.isUnlocked(), "unlocked after create")
        val cats = categories()
        check(cats.any { it.isIdentity && it.collection == "identity" }, "identity category")
        check(libraryVersion().isNotEmpty(), "version")
    }

    test("errors cross as typed exceptions with safe messages") {
        val e = expectThrows<CoffreException.Conflict> { coffre.create(PASS) }
        check(!e.message.orEmpty().contains(dir), "no path in the message: ${e.message}")
        coffre.lock()
        val w = expectThrows<CoffreException.WrongPassphrase> { coffre.unlock("0000") }
        check(!w.message.orEmpty().contains("0000"), "no PIN in the message")
        expectThrows<CoffreException.Busy> { coffre.vault().use { it.list(ListQuery()) } }
        expectThrows<CoffreException.InvalidInput> { coffre.unlock("") }
        coffre.unlock(PASS)
        expectThrows<CoffreException.NotFound> { coffre.vault().use { it.get("00".repeat(16)) } }
        expectThrows<CoffreException.InvalidInput> { coffre.vault().use { it.get("nope") } }
        expectThrows<CoffreException.InvalidInput> {
            coffre.vault().use { it.importBytes("hello".toByteArray(), "photo.jpg", NewDocument(category = "autre")) }
        }
    }

    test("a failing platform callback becomes CoffreException.Internal, without its text") {
        val broken = Coffre(newDir(), BrokenKeystore())
        val e = expectThrows<CoffreException.Internal> { broken.create(PASS) }
        check(!e.message.orEmpty().contains("secret-42"), "foreign text not forwarded")
        check(!broken.vaultExists(), "nothing created")
        expectThrows<CoffreException.InvalidInput> { Coffre(newDir(), ShortSecret()).create(PASS) }
    }

    var cardId = ""
    test("capture: detection, auto-capture advice (sealed class), captured object, save") {
        coffre.capture().use { cap ->
            val det = cap.detect(photo)
            check(det.confidence in 0f..1f, "confidence")
            cap.autoCapture(1600u, 1200u).use { auto ->
                var advice: CaptureAdvice = CaptureAdvice.NoDocument
                for (t in 0 until 20) advice = auto.push(det, (t * 100).toULong())
                if (det.quad != null) check(advice is CaptureAdvice.CaptureNow, "steady -> capture now: $advice")
                auto.reset()
                val first = auto.push(det, 0u)
                check(first !is CaptureAdvice.CaptureNow, "reset forgets")
            }
            cap.capture(listOf(photo), CaptureOptions(corners = det.quad, wholeFrameIfNotFound = true)).use { doc ->
                val pages = doc.pages()
                check(pages.size == 1 && pages[0].width > 0u, "one page")
                check(doc.pageImage(0u).size.toULong() == pages[0].size, "page bytes")
                expectThrows<CoffreException.NotFound> { doc.pageImage(5u) }
                cardId = doc.save(NewDocument(category = "carte_identite", title = "Carte", expiresOn = "2030-01-01"))
            }
        }
        check(allDocs(coffre).map { it.id } == listOf(cardId), "saved")
    }

    test("preview frames: a bad frame is InvalidInput") {
        coffre.capture().use { cap ->
            val det = cap.detectPreview(LumaFrame(64u, 48u, 64u, ByteArray(64 * 48)))
            check(det.quad == null, "blank frame")
            expectThrows<CoffreException.InvalidInput> { cap.detectPreview(LumaFrame(64u, 48u, 64u, ByteArray(3))) }
        }
    }

    test("QR: modules drawn into a padded camera frame are read back; no code is NotFound") {
        val text = "https://coffre.example/s/abc#Zm9v"
        val qr = qrEncode(text)
        check(qr.modules.size == (qr.size * qr.size.toUInt()).toInt(), "size*size modules")
        val scale = 4
        val side = (qr.size.toInt() + 8) * scale
        val stride = side + 16
        val frame = ByteArray(stride * side) { 0xFF.toByte() }
        for (y in 0 until side) for (x in 0 until side) {
            val mx = x / scale - 4
            val my = y / scale - 4
            val n = qr.size.toInt()
            if (mx in 0 until n && my in 0 until n && qr.modules[my * n + mx].toInt() == 1) frame[y * stride + x] = 0
        }
        check(qrDecodeFrame(LumaFrame(side.toUInt(), side.toUInt(), stride.toUInt(), frame)) == text, "frame")
        check(qrDecodePhoto(qr.png) == text, "png")
        expectThrows<CoffreException.NotFound> { qrDecodeFrame(LumaFrame(64u, 64u, 64u, ByteArray(64 * 64) { -1 })) }
    }

    test("mandates and recovery: forged offers, mistyped words and a vault without server are typed errors") {
        expectThrows<CoffreException.InvalidInput> { coffre.mandates().scanOffer("COFFRE-AGENT:AAAA") }
        expectThrows<CoffreException.NotFound> { coffre.recovery().makeKit(KitLanguage.FRENCH, "23/11/2026") }
        val elsewhere = Coffre(Files.createTempDirectory("coffre-kt-rec").toString(), FixedSecret(5))
        val typo = expectThrows<CoffreException.InvalidInput> {
            elsewhere.recoverWithCode("abaisser ".repeat(11) + "zzzz", "http://127.0.0.1:9", "1234 nouveau")
        }
        check(typo.message?.contains("12") == true, "names the word: ${typo.message}")
        expectThrows<CoffreException.InvalidInput> { elsewhere.recoverWithCode("abaisser abaisser", null, "1234 nouveau") }
        check(!elsewhere.vaultExists(), "nothing created")
    }

    test("pins and desk mode return the page record") {
        coffre.vault().use { it.setPinned(cardId, true) }
        coffre.lock()
        val desk = coffre.deskMode(PASS) ?: throw AssertionError("a pinned page")
        check(desk.document.id == cardId && desk.document.pinned, "pinned card")
        check(desk.bytes.size > 1000 && desk.mime.startsWith("image/"), "page bytes")
    }

    test("metadata patch round-trips (optional and cleared fields)") {
        coffre.vault().use { v ->
            val d = v.updateMetadata(cardId, MetadataPatch(title = "Carte d'identité", tags = listOf("moi")))
            check(d.title == "Carte d'identité" && d.tags == listOf("moi") && d.expiresOn == "2030-01-01", "patched")
            val cleared = v.updateMetadata(cardId, MetadataPatch(clearExpiresOn = true))
            check(cleared.expiresOn == null, "cleared")
            expectThrows<CoffreException.InvalidInput> {
                v.updateMetadata(cardId, MetadataPatch(expiresOn = "2031-01-01", clearExpiresOn = true))
            }
        }
    }

    test("progress callback fires during export; a cancelled export fails with Cancelled") {
        val out = Files.createTempDirectory("coffre-kt-export").resolve("out").toString()
        val rec = Recorder()
        val summary = coffre.vault().use { it.export(out, ExportFormat.FOLDER, rec, CancelHandle()) }
        check(summary.documents == 1uL && File(out, "manifest.json").exists(), "exported")
        check(rec.events.isNotEmpty() && rec.events.last().done == 1uL, "progress fired: ${rec.events}")
        val cancel = CancelHandle()
        cancel.cancel()
        check(cancel.isCancelled(), "sticky")
        expectThrows<CoffreException.Cancelled> {
            coffre.vault().use { it.export("$out-2", ExportFormat.ZIP, null, cancel) }
        }
        check(!File("$out-2").exists(), "nothing written")
    }

    test("sync errors: not enrolled is NotFound, an unreachable server is Network") {
        coffre.sync().use { s ->
            expectThrows<CoffreException.NotFound> { s.sync(SyncOptions(), null, CancelHandle()) }
            check(s.serverUrl() == null, "not enrolled")
            // Nothing listens on port 9 of the loopback: enrolling fails as a network error.
            expectThrows<CoffreException.Network> { s.enroll("http://127.0.0.1:9") }
        }
    }

    test("objects are closed: a call after close() throws, the entry object stays usable") {
        val v = coffre.vault()
        v.close()
        expectThrows<IllegalStateException> { v.pinned() }
        v.close() // idempotent
        CancelHandle().use { it.cancel() }
        check(allDocs(coffre).size == 1, "other sub-objects unaffected")
    }

    test("a panic inside the library becomes InternalException; the vault stays usable") {
        expectThrows<InternalException> { debugPanic() }
        expectThrows<InternalException> { coffre.debugPanic() }
        check(coffre.isUnlocked() && allDocs(coffre).size == 1, "usable after the panic")
    }

    test("threads: concurrent calls on one Coffre are serialised") {
        val errors = java.util.Collections.synchronizedList(mutableListOf<Throwable>())
        val threads = (1..4).map {
            Thread {
                try {
                    repeat(5) { coffre.vault().use { v -> v.search("carte", null) } }
                } catch (e: Throwable) {
                    errors.add(e)
                }
            }
        }
        threads.forEach { it.start() }
        threads.forEach { it.join() }
        check(errors.isEmpty(), "no error: $errors")
    }

    agentTests(coffre)

    coffre.lock()
    coffre.close()
    println("$passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
