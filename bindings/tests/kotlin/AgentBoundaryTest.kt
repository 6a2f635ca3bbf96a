// Boundary tests of the agent mode and of assisted recovery, against a real coffre-server on 127.0.0.1
// (COFFRE_TEST_SERVER_BIN, waiting delay shortened) with the organisation's admin played by the
// `coffre` CLI (COFFRE_TEST_CLI_BIN: a desktop role). Success paths: the new records and objects
// cross, the long wait is cancelled from another thread, objects close. Mirrored in
// ios/Tests/CoffreTests/AgentBoundaryTests.swift.
package coffre.tests

import java.io.File
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import uniffi.coffre_ffi.*

const val AGENT_PASS = "cle agent 5678"
const val RECOVERY_PIN = "2468"
const val RECOVERY_DELAY_SECS = 3

class LocalServer(val process: Process, val url: String)

fun startServer(dataDir: File): LocalServer {
    val pb = ProcessBuilder(System.getenv("COFFRE_TEST_SERVER_BIN") ?: error("COFFRE_TEST_SERVER_BIN"))
    pb.environment().putAll(
        mapOf(
            "COFFRE_SERVER_LISTEN" to "127.0.0.1:0",
            "COFFRE_SERVER_DATA_DIR" to dataDir.path,
            "COFFRE_SERVER_RECOVERY_DELAY_SECS" to RECOVERY_DELAY_SECS.toString(),
            // The test's organisation key is made at run time: let any organisation register.
            "COFFRE_SERVER_ORG_ALLOWLIST" to "*",
            // Every client of the test is 127.0.0.1: lift the per-address registration limit.
            "COFFRE_SERVER_REGISTRATIONS_PER_ADDRESS" to "1000",
        ),
    )
    pb.redirectError(ProcessBuilder.Redirect.DISCARD)
    val process = pb.start()
    val reader = process.inputStream.bufferedReader()
    val deadline = System.currentTimeMillis() + 30_000
    while (System.currentTimeMillis() < deadline) {
        val line = reader.readLine() ?: break
        val m = Regex("listening on (\\S+)").find(line)
        if (m != null) {
            // Keep draining the server's output so it never blocks on a full pipe.
            Thread { reader.forEachLine { } }.apply { isDaemon = true }.start()
            return LocalServer(process, "http://" + m.groupValues[1])
        }
    }
    process.destroy()
    error("coffre-server did not start")
}

/** The organisation's admin on a desktop: the `coffre` CLI. */
fun admin(work: File, vararg args: String): String {
    val pb = ProcessBuilder(listOf(System.getenv("COFFRE_TEST_CLI_BIN") ?: error("COFFRE_TEST_CLI_BIN")) + args)
    pb.environment().putAll(
        mapOf("COFFRE_KEYFILE_PASSPHRASE" to "cle admin 8765", "LANG" to "C", "COFFRE_VAULT" to File(work, "unused").path),
    )
    pb.redirectError(ProcessBuilder.Redirect.DISCARD)
    val p = pb.start()
    val out = p.inputStream.bufferedReader().readText()
    check(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "coffre ${args.first()} failed")
    return out.trim()
}

fun agentTests(holder: Coffre) {
    val work = Files.createTempDirectory("coffre-kt-agent").toFile()
    val server = startServer(File(work, "server"))
    val url = server.url
    val org = File(work, "org.json").path
    try {
        admin(work, "org", "create", "--file", org, "--name", "CCAS de Test")
        admin(work, "org", "register", "--file", org, "--server", url)
        holder.sync().use { s ->
            s.enroll(url)
            s.sync(SyncOptions(), null, CancelHandle())
        }

        fun certified(name: String, path: String): Pair<Agent, AgentIdentity> {
            val agent = Agent.create(path, AGENT_PASS)
            val cert = admin(work, "org", "enrol-agent", "--file", org, "--request", agent.enrolmentRequest(),
                "--name", name, "--role", "Assistante sociale", "--days", "30")
            return agent to agent.installCertificate(cert)
        }

        val firstPath = File(work, "agent-1.json").path
        var first: Agent? = null
        var firstIdentity: AgentIdentity? = null
        test("agent key file: created, reopened, certified; the identity record crosses") {
            val agent = Agent.create(firstPath, AGENT_PASS)
            check(agent.identity() == null && agent.isUnlocked(), "not certified yet")
            check(agent.enrolmentRequest().startsWith("COFFRE-AGENT-REQ:"), "request text")
            expectThrows<CoffreException.NotFound> { agent.offer(url) }
            expectThrows<CoffreException.Conflict> { Agent.create(firstPath, AGENT_PASS) }
            expectThrows<CoffreException.WrongPassphrase> { Agent.open(firstPath, "pas le bon") }
            expectThrows<CoffreException.InvalidInput> { agent.installCertificate("COFFRE-AGENT-CERT:AAAA") }
            val cert = admin(work, "org", "enrol-agent", "--file", org, "--request", agent.enrolmentRequest(),
                "--name", "Mme Martin", "--role", "Assistante sociale", "--days", "30")
            val id = agent.installCertificate(cert)
            check(id.agentName == "Mme Martin" && id.organisation == "CCAS de Test" && id.certificate == cert, "$id")
            check(id.validUntil > id.validFrom && id.identityFr.contains("Mme Martin"), "window and line")
            agent.close()
            val reopened = Agent.open(firstPath, AGENT_PASS)
            check(reopened.identity()?.deviceKey == id.deviceKey, "certificate kept in the key file")
            first = reopened
            firstIdentity = id
        }

        var mandate: AgentMandate? = null
        test("desk: offer QR record and short code; a wait cancelled from another thread; the mandate arrives") {
            val agent = first ?: error("no agent")
            agent.offer(url).use { offer ->
                val qr = offer.qr()
                check(qr.modules.size == (qr.size * qr.size).toInt(), "size*size modules")
                val scanned = qrDecodePhoto(qr.png)
                val seen = holder.mandates().use { it.scanOffer(scanned) }
                check(seen.identityFr.isNotEmpty() && scanned == offer.qrText(), "identity shown before anything is sent")
                check(offer.shortCode() == null, "no digits before the holder's phone answered")
                val desk = holder.mandates().use { it.startGrant(scanned) }
                val agentCode = offer.shortCode() ?: error("no digits after the contribution")
                check(desk.shortCode() == agentCode, "same code on both screens")
                expectThrows<CoffreException.Busy> { offer.receive(0u, CancelHandle()) }
                val cancel = CancelHandle()
                Thread { Thread.sleep(300); cancel.cancel() }.start()
                val t0 = System.nanoTime()
                expectThrows<CoffreException.Cancelled> { offer.receive(60u, cancel) }
                check(System.nanoTime() - t0 < 5_000_000_000L, "the cancel stopped the wait")
                var received: AgentMandate? = null
                var failure: Throwable? = null
                val waiter = Thread {
                    try {
                        received = offer.receive(60u, CancelHandle())
                    } catch (e: Throwable) {
                        failure = e
                    }
                }
                waiter.start()
                expectThrows<CoffreException.Forbidden> {
                    desk.grant(if (agentCode == "000000") "111111" else "000000", listOf(MandateScope.DEPOSIT), listOf(), 7u)
                }
                val granted = desk.use {
                    it.grant(agentCode, listOf(MandateScope.DEPOSIT, MandateScope.CONSULT), listOf("identity"), 7u)
                }
                waiter.join(60_000)
                check(failure == null, "receive failed: $failure")
                val m = received ?: error("no mandate")
                check(m.id == granted.id && m.scopes == listOf("deposit", "consult"), "$m")
                check(m.collections == listOf("identity") && m.serverUrl == url && m.vaultId.length == 64, "$m")
                mandate = m
            }
        }

        test("deposit and consult: receipt, deposit, document and page records") {
            val agent = first ?: error("no agent")
            val m = mandate ?: error("no mandate")
            val receipt = agent.depositBytes(url, m.text, "%PDF-1.4 attestation".toByteArray(), "attestation.pdf",
                "Attestation", "autre")
            check(receipt.receivedAt > 0uL && receipt.serverKey.isNotEmpty(), "$receipt")
            holder.sync().use { it.sync(SyncOptions(), null, CancelHandle()) }
            val deposits = holder.mandates().use { it.afterSync() }
            check(deposits.size == 1 && deposits[0].agent == "Mme Martin", "$deposits")
            val card = allDocs(holder).first { it.category == "carte_identite" }
            agent.consult(url, m.text).use { pkg ->
                val docs = pkg.documents()
                check(docs.map { it.id } == listOf(card.id) && docs[0].pages.isNotEmpty(), "$docs")
                val page = pkg.page(card.id, 0u, false)
                check(page.contentEquals(holder.vault().use { it.page(card.id, 0u) }), "the same page")
                expectThrows<CoffreException.NotFound> { pkg.page(card.id, 99u, false) }
            }
            agent.lock()
            expectThrows<CoffreException.Busy> { agent.consult(url, m.text) }
            first = Agent.open(firstPath, AGENT_PASS)
        }

        test("assisted recovery: setup, status, saved text, cancel; after the delay two approvals restore") {
            val agent = first ?: error("no agent")
            val (second, secondIdentity) = certified("M. Durand", File(work, "agent-2.json").path)
            val setup = holder.recovery().use {
                it.setupAssisted(RECOVERY_PIN, listOf(firstIdentity!!.certificate, secondIdentity.certificate))
            }
            check(setup.kitShare.startsWith("coffre-kit-share:1:") && setup.kitShareGroups.size == 14, "kit share")
            check(qrDecodePhoto(setup.kitShareQr.png) == setup.kitShare, "kit share QR")
            val vaultId = mandate!!.vaultId
            val newPhone = Coffre(Files.createTempDirectory("coffre-kt-assisted").resolve("v").toString(), FixedSecret(4))
            newPhone.startAssistedRecovery(url, vaultId).use { rec ->
                check(rec.vaultId() == vaultId && rec.readyAt() > 0uL, "request")
                expectThrows<CoffreException.Busy> { rec.release(RECOVERY_PIN) }
                val status = holder.recovery().use { it.cancelAssisted() }
                check(status.cancelled && !status.locked && status.readyAt >= status.startedAt, "$status")
                expectThrows<CoffreException.Expired> { rec.release(RECOVERY_PIN) }
            }
            val saved = newPhone.startAssistedRecovery(url, vaultId).use { it.savedText() }
            newPhone.resumeAssistedRecovery(saved).use { rec ->
                while (System.currentTimeMillis() / 1000 < rec.readyAt().toLong() + 1) Thread.sleep(200)
                expectThrows<CoffreException.WrongPassphrase> { rec.release("9999") }
                val request = rec.release(RECOVERY_PIN)
                val approvals = listOf(agent.approveRecovery(qrDecodePhoto(request.qr.png)), second.approveRecovery(request.text))
                check(approvals.all { it.vaultId == vaultId && it.text.startsWith("COFFRE-ASSIST-OK:") }, "approvals")
                expectThrows<CoffreException.InvalidInput> { rec.addApproval("") }
                check(rec.addApproval(approvals[0].text) == 1u && rec.addApproval(approvals[1].text) == 2u, "count")
                rec.finish("nouveau code 1357")
            }
            check(newPhone.isUnlocked(), "restored and unlocked")
            check(allDocs(newPhone).map { it.id }.toSet() == allDocs(holder).map { it.id }.toSet(), "same documents")
            newPhone.lock()
            second.close()
        }
        first?.close()
    } finally {
        server.process.destroy()
        server.process.waitFor(10, TimeUnit.SECONDS)
    }
}
