// The agent mode and assisted recovery across the Swift boundary; one for one with
// bindings/tests/kotlin/AgentBoundaryTest.kt. macOS only, like BoundaryTests.swift, and it also needs
// the host's `coffre-server` and `coffre` binaries (`cargo build -p coffre-sync-server -p coffre-cli`):
// set COFFRE_TEST_SERVER_BIN and COFFRE_TEST_CLI_BIN, or the tests are skipped (XCTSkip, reported as such).
import Foundation
import XCTest

@testable import Coffre

let AGENT_PASS = "cle agent 5678"
let RECOVERY_PIN = "2468"
let RECOVERY_DELAY_SECS = 3

struct LocalServer {
    let process: Process
    let url: String
}

func binary(_ variable: String) throws -> String {
    guard let path = ProcessInfo.processInfo.environment[variable] else {
        throw XCTSkip("\(variable) is not set: build the host binaries with cargo first")
    }
    return path
}

func startServer(dataDir: URL) throws -> LocalServer {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try binary("COFFRE_TEST_SERVER_BIN"))
    var env = ProcessInfo.processInfo.environment
    env["COFFRE_SERVER_LISTEN"] = "127.0.0.1:0"
    env["COFFRE_SERVER_DATA_DIR"] = dataDir.path
    env["COFFRE_SERVER_RECOVERY_DELAY_SECS"] = String(RECOVERY_DELAY_SECS)
    // The test's organisation key is made at run time: let any organisation register.
    env["COFFRE_SERVER_ORG_ALLOWLIST"] = "*"
    // Every client of the test is 127.0.0.1: lift the per-address registration limit.
    env["COFFRE_SERVER_REGISTRATIONS_PER_ADDRESS"] = "1000"
    p.environment = env
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    var seen = ""
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
        let chunk = out.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        seen += String(decoding: chunk, as: UTF8.self)
        if let r = seen.range(of: #"listening on (\S+)"#, options: .regularExpression) {
            let addr = seen[r].replacingOccurrences(of: "listening on ", with: "")
            return LocalServer(process: p, url: "http://" + addr)
        }
    }
    p.terminate()
    throw XCTSkip("coffre-server did not start")
}

/// The organisation's admin on a desktop: the `coffre` CLI.
func admin(_ work: URL, _ args: String...) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try binary("COFFRE_TEST_CLI_BIN"))
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    env["COFFRE_KEYFILE_PASSPHRASE"] = "cle admin 8765"
    env["LANG"] = "C"
    env["COFFRE_VAULT"] = work.appendingPathComponent("unused").path
    p.environment = env
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    XCTAssertEqual(p.terminationStatus, 0, "coffre \(args.first ?? "")")
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

final class AgentBoundaryTests: XCTestCase {
    var work: URL!
    var server: LocalServer!
    var holder: Coffre!
    var org: String!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-swift-agent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        server = try startServer(dataDir: work.appendingPathComponent("server"))
        org = work.appendingPathComponent("org.json").path
        _ = try admin(work, "org", "create", "--file", org, "--name", "CCAS de Test")
        _ = try admin(work, "org", "register", "--file", org, "--server", server.url)
        holder = Coffre(dir: work.appendingPathComponent("holder").path, platformSecret: FixedSecret(7))
        try holder.create(passphrase: PASS)
        let card = try holder.capture().capture(photos: [try photo()], options: CaptureOptions(wholeFrameIfNotFound: true))
        _ = try card.save(meta: NewDocument(category: "carte_identite", title: "Carte"))
        try holder.sync().enroll(serverUrl: server.url)
        _ = try holder.sync().sync(options: SyncOptions(), listener: nil, cancel: CancelHandle())
    }

    override func tearDown() {
        holder?.lock()
        server?.process.terminate()
    }

    func certified(_ name: String, _ file: String) throws -> (Agent, AgentIdentity) {
        let agent = try Agent.create(keyFile: work.appendingPathComponent(file).path, passphrase: AGENT_PASS)
        let cert = try admin(work, "org", "enrol-agent", "--file", org, "--request", try agent.enrolmentRequest(),
                             "--name", name, "--role", "Assistante sociale", "--days", "30")
        return (agent, try agent.installCertificate(certificate: cert))
    }

    /// The desk: the agent shows its QR, the holder grants, the mandate arrives on the agent's phone.
    func mandate(for agent: Agent) throws -> AgentMandate {
        let offer = try agent.offer(serverUrl: server.url)
        let scanned = try qrDecodePhoto(photo: try offer.qr().png)
        XCTAssertFalse(try holder.mandates().scanOffer(qrText: scanned).identityFr.isEmpty)
        XCTAssertNil(try offer.shortCode(), "no digits before the holder's phone answered")
        let desk = try holder.mandates().startGrant(qrText: scanned)
        let agentCode = try XCTUnwrap(try offer.shortCode())
        XCTAssertEqual(try desk.shortCode(), agentCode)
        var received: Result<AgentMandate, Error>?
        let done = expectation(description: "mandate received")
        Thread {
            received = Result { try offer.receive(timeoutSecs: 60, cancel: CancelHandle()) }
            done.fulfill()
        }.start()
        let granted = try desk.grant(confirmedCode: agentCode, scopes: [.deposit, .consult], collections: ["identity"], days: 7)
        wait(for: [done], timeout: 60)
        let m = try XCTUnwrap(received).get()
        XCTAssertEqual(m.id, granted.id)
        return m
    }

    func testAgentKeyFileCertificateAndIdentity() throws {
        let path = work.appendingPathComponent("agent-1.json").path
        let agent = try Agent.create(keyFile: path, passphrase: AGENT_PASS)
        XCTAssertNil(try agent.identity())
        XCTAssertTrue(try agent.enrolmentRequest().hasPrefix("COFFRE-AGENT-REQ:"))
        XCTAssertThrowsError(try agent.offer(serverUrl: server.url)) { e in
            guard case CoffreError.NotFound = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try Agent.create(keyFile: path, passphrase: AGENT_PASS)) { e in
            guard case CoffreError.Conflict = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try Agent.open(keyFile: path, passphrase: "pas le bon")) { e in
            guard case CoffreError.WrongPassphrase = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try agent.installCertificate(certificate: "COFFRE-AGENT-CERT:AAAA")) { e in
            guard case CoffreError.InvalidInput = e else { return XCTFail("\(e)") }
        }
        let cert = try admin(work, "org", "enrol-agent", "--file", org, "--request", try agent.enrolmentRequest(),
                             "--name", "Mme Martin", "--role", "Assistante sociale", "--days", "30")
        let id = try agent.installCertificate(certificate: cert)
        XCTAssertEqual(id.agentName, "Mme Martin")
        XCTAssertEqual(id.organisation, "CCAS de Test")
        XCTAssertEqual(id.certificate, cert)
        XCTAssertGreaterThan(id.validUntil, id.validFrom)
        XCTAssertEqual(try Agent.open(keyFile: path, passphrase: AGENT_PASS).identity()?.deviceKey, id.deviceKey)
    }

    func testDeskOfferReceiveAndCancelledWait() throws {
        let (agent, _) = try certified("Mme Martin", "agent-1.json")
        let offer = try agent.offer(serverUrl: server.url)
        let qr = try offer.qr()
        XCTAssertEqual(qr.modules.count, Int(qr.size) * Int(qr.size))
        XCTAssertThrowsError(try offer.receive(timeoutSecs: 0, cancel: CancelHandle())) { e in
            guard case CoffreError.Busy = e else { return XCTFail("\(e)") }
        }
        let cancel = CancelHandle()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { cancel.cancel() }
        let t0 = Date()
        XCTAssertThrowsError(try offer.receive(timeoutSecs: 60, cancel: cancel)) { e in
            guard case CoffreError.Cancelled = e else { return XCTFail("\(e)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 5)
        let m = try mandate(for: agent)
        XCTAssertEqual(m.scopes, ["deposit", "consult"])
        XCTAssertEqual(m.collections, ["identity"])
        XCTAssertEqual(m.serverUrl, server.url)
        XCTAssertEqual(m.vaultId.count, 64)
    }

    func testDepositAndConsult() throws {
        let (agent, _) = try certified("Mme Martin", "agent-1.json")
        let m = try mandate(for: agent)
        let receipt = try agent.depositBytes(serverUrl: server.url, mandate: m.text, bytes: Data("%PDF-1.4 attestation".utf8),
                                             fileName: "attestation.pdf", title: "Attestation", category: "autre")
        XCTAssertGreaterThan(receipt.receivedAt, 0)
        _ = try holder.sync().sync(options: SyncOptions(), listener: nil, cancel: CancelHandle())
        let deposits = try holder.mandates().afterSync()
        XCTAssertEqual(deposits.map(\.agent), ["Mme Martin"])
        let card = try XCTUnwrap(try holder.vault().list(query: ListQuery()).first { $0.category == "carte_identite" })
        let pkg = try agent.consult(serverUrl: server.url, mandate: m.text)
        XCTAssertEqual(pkg.documents().map(\.id), [card.id])
        XCTAssertEqual(try pkg.page(documentId: card.id, index: 0, extract: false), try holder.vault().page(id: card.id, index: 0))
        XCTAssertThrowsError(try pkg.page(documentId: card.id, index: 99, extract: false)) { e in
            guard case CoffreError.NotFound = e else { return XCTFail("\(e)") }
        }
        agent.lock()
        XCTAssertThrowsError(try agent.consult(serverUrl: server.url, mandate: m.text)) { e in
            guard case CoffreError.Busy = e else { return XCTFail("\(e)") }
        }
    }

    func testAssistedRecoveryWithTwoAgents() throws {
        let (first, firstId) = try certified("Mme Martin", "agent-1.json")
        let (second, secondId) = try certified("M. Durand", "agent-2.json")
        let vaultId = try mandate(for: first).vaultId
        let setup = try holder.recovery().setupAssisted(pin: RECOVERY_PIN, agentCertificates: [firstId.certificate, secondId.certificate])
        XCTAssertTrue(setup.kitShare.hasPrefix("coffre-kit-share:1:"))
        XCTAssertEqual(setup.kitShareGroups.count, 14)
        XCTAssertEqual(try qrDecodePhoto(photo: setup.kitShareQr.png), setup.kitShare)
        let newPhone = Coffre(dir: newDir(), platformSecret: FixedSecret(4))
        let cancelled = try newPhone.startAssistedRecovery(serverUrl: server.url, vaultId: vaultId)
        XCTAssertEqual(cancelled.vaultId(), vaultId)
        XCTAssertThrowsError(try cancelled.release(pin: RECOVERY_PIN)) { e in
            guard case CoffreError.Busy = e else { return XCTFail("\(e)") }
        }
        let status = try holder.recovery().cancelAssisted()
        XCTAssertTrue(status.cancelled)
        XCTAssertThrowsError(try cancelled.release(pin: RECOVERY_PIN)) { e in
            guard case CoffreError.Expired = e else { return XCTFail("\(e)") }
        }
        let saved = try newPhone.startAssistedRecovery(serverUrl: server.url, vaultId: vaultId).savedText()
        let rec = try newPhone.resumeAssistedRecovery(savedText: saved)
        while UInt64(Date().timeIntervalSince1970) < rec.readyAt() + 1 { Thread.sleep(forTimeInterval: 0.2) }
        XCTAssertThrowsError(try rec.release(pin: "9999")) { e in
            guard case CoffreError.WrongPassphrase = e else { return XCTFail("\(e)") }
        }
        let request = try rec.release(pin: RECOVERY_PIN)
        let approvals = [try first.approveRecovery(request: try qrDecodePhoto(photo: request.qr.png)),
                         try second.approveRecovery(request: request.text)]
        XCTAssertEqual(approvals.map(\.vaultId), [vaultId, vaultId])
        XCTAssertEqual(try rec.addApproval(approval: approvals[0].text), 1)
        XCTAssertEqual(try rec.addApproval(approval: approvals[1].text), 2)
        try rec.finish(passphrase: "nouveau code 1357")
        XCTAssertTrue(newPhone.isUnlocked())
        XCTAssertEqual(Set(try newPhone.vault().list(query: ListQuery()).map(\.id)),
                       Set(try holder.vault().list(query: ListQuery()).map(\.id)))
    }
}
