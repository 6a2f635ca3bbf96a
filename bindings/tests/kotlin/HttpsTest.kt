// The Kotlin bindings on the JVM over HTTPS (issue 14), run by scripts/test-bindings.sh: a real
// coffre-server serving TLS with a certificate from a CA made for this run (COFFRE_TEST_TLS_DIR:
// ca.pem, cert.pem, key.pem). Without the CA the library refuses the server; trustOperatorCa
// refuses what is not a CA file; with the CA trusted, a vault enrols and syncs. The same code path
// as on Android: the library trusts its bundled roots plus the operator's CA (docs/adr/0013).
package coffre.tests.https

import java.io.File
import java.nio.file.Files
import uniffi.coffre_ffi.*

class HttpsSecret : PlatformSecretProvider {
    override fun platformSecret(): ByteArray = ByteArray(32) { 5 }
}

fun startTlsServer(dataDir: File, tlsDir: File): Pair<Process, String> {
    val pb = ProcessBuilder(System.getenv("COFFRE_TEST_SERVER_BIN") ?: error("COFFRE_TEST_SERVER_BIN"))
    pb.environment().putAll(
        mapOf(
            "COFFRE_SERVER_LISTEN" to "127.0.0.1:0",
            "COFFRE_SERVER_DATA_DIR" to dataDir.path,
            "COFFRE_SERVER_TLS_CERT_FILE" to File(tlsDir, "cert.pem").path,
            "COFFRE_SERVER_TLS_KEY_FILE" to File(tlsDir, "key.pem").path,
        ),
    )
    pb.redirectError(ProcessBuilder.Redirect.DISCARD)
    val process = pb.start()
    val line = process.inputStream.bufferedReader().readLine() ?: error("coffre-server did not start")
    val addr = Regex("listening on (\\S+)").find(line)?.groupValues?.get(1) ?: error("unexpected: $line")
    return process to "https://$addr"
}

fun main() {
    val tlsDir = File(System.getenv("COFFRE_TEST_TLS_DIR") ?: error("COFFRE_TEST_TLS_DIR"))
    val work = Files.createTempDirectory("coffre-kt-https-").toFile()
    val (server, url) = startTlsServer(File(work, "server"), tlsDir)
    var failed = 0
    try {
        val phone = Coffre(File(work, "vault").path, HttpsSecret())
        phone.create("https 1357")
        val sync = phone.sync()
        try {
            sync.enroll(url)
            throw AssertionError("enrolled with a server whose CA is not trusted")
        } catch (e: CoffreException.InvalidInput) {
            if (!e.detail.contains("certificate is not trusted")) throw AssertionError(e.detail)
        }
        try {
            trustOperatorCa("bonjour")
            throw AssertionError("accepted a file that is not a CA")
        } catch (e: CoffreException.InvalidInput) {
        }
        if (trustOperatorCa(File(tlsDir, "ca.pem").readText()) != 1u) throw AssertionError("one CA certificate")
        sync.enroll(url)
        sync.sync(SyncOptions(false), null, CancelHandle())
        if (sync.devices().size != 1) throw AssertionError("one device")
        println("ok   enrol and sync over HTTPS once the operator's CA is trusted, refused before")
    } catch (e: Throwable) {
        failed = 1
        println("FAIL https: $e")
        e.printStackTrace()
    } finally {
        server.destroy()
        work.deleteRecursively()
    }
    println("${1 - failed} passed, $failed failed")
    if (failed != 0) kotlin.system.exitProcess(1)
}
