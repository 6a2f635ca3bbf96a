// Boundary tests of the generated Swift bindings; one for one with bindings/tests/kotlin/BoundaryTest.kt.
// macOS only: ./build-xcframework.sh && swift test (see ../../README.md). Not run in CI (no Swift
// toolchain on the project's Linux machines); CI only checks that the Swift sources generate.
import Foundation
import XCTest

@testable import Coffre

let PASS = "1234 cheval correct"

final class FixedSecret: PlatformSecretProvider {
    let byte: UInt8
    private(set) var calls = 0
    init(_ byte: UInt8) { self.byte = byte }
    func platformSecret() throws -> Data {
        calls += 1
        return Data(repeating: byte, count: 32)
    }
}

struct KeystoreDown: Error {}

final class BrokenKeystore: PlatformSecretProvider {
    func platformSecret() throws -> Data { throw KeystoreDown() }
}

final class ShortSecret: PlatformSecretProvider {
    func platformSecret() throws -> Data { Data(count: 5) }
}

final class Recorder: ProgressListener {
    private let lock = NSLock()
    private(set) var events: [Progress] = []
    func onProgress(progress: Progress) {
        lock.lock()
        events.append(progress)
        lock.unlock()
    }
}

func newDir() -> String {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-swift-\(UUID().uuidString)")
    return base.appendingPathComponent("vault").path
}

func photo() throws -> Data {
    let url = try XCTUnwrap(Bundle.module.url(forResource: "photo", withExtension: "jpg", subdirectory: "Fixtures"))
    return try Data(contentsOf: url)
}

final class BoundaryTests: XCTestCase {
    var secret: FixedSecret!
    var dir: String!
    var coffre: Coffre!

    override func setUpWithError() throws {
        secret = FixedSecret(7)
        dir = newDir()
        coffre = Coffre(dir: dir, platformSecret: secret)
        try coffre.create(passphrase: PASS)
    }

    override func tearDown() {
        coffre.lock()
    }

    func testCreateCallbackFiresAndRecordsCross() throws {
        XCTAssertEqual(secret.calls, 1)
        XCTAssertTrue(coffre.isUnlocked())
        XCTAssertTrue(categories().contains { $0.isIdentity && $0.collection == "identity" })
        XCTAssertFalse(libraryVersion().isEmpty)
    }

    func testErrorsCrossAsTypedErrorsWithSafeMessages() throws {
        XCTAssertThrowsError(try coffre.create(passphrase: PASS)) { e in
            guard case CoffreError.Conflict(let detail) = e else { return XCTFail("\(e)") }
            XCTAssertFalse(detail.contains(self.dir))
        }
        coffre.lock()
        XCTAssertThrowsError(try coffre.unlock(passphrase: "0000")) { e in
            guard case CoffreError.WrongPassphrase(let detail) = e else { return XCTFail("\(e)") }
            XCTAssertFalse(detail.contains("0000"))
        }
        XCTAssertThrowsError(try coffre.vault().list(query: ListQuery())) { e in
            guard case CoffreError.Busy = e else { return XCTFail("\(e)") }
        }
        try coffre.unlock(passphrase: PASS)
        XCTAssertThrowsError(try coffre.vault().get(id: String(repeating: "00", count: 16))) { e in
            guard case CoffreError.NotFound = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try coffre.vault().get(id: "nope")) { e in
            guard case CoffreError.InvalidInput = e else { return XCTFail("\(e)") }
        }
    }

    func testFailingPlatformCallbackBecomesInternal() throws {
        let broken = Coffre(dir: newDir(), platformSecret: BrokenKeystore())
        XCTAssertThrowsError(try broken.create(passphrase: PASS)) { e in
            guard case CoffreError.Internal = e else { return XCTFail("\(e)") }
        }
        XCTAssertFalse(broken.vaultExists())
        XCTAssertThrowsError(try Coffre(dir: newDir(), platformSecret: ShortSecret()).create(passphrase: PASS)) { e in
            guard case CoffreError.InvalidInput = e else { return XCTFail("\(e)") }
        }
    }

    func testCaptureAutoCaptureAndSave() throws {
        let cap = coffre.capture()
        let bytes = try photo()
        let det = try cap.detect(photo: bytes)
        XCTAssert((0...1).contains(det.confidence))
        let auto = cap.autoCapture(width: 1600, height: 1200)
        var advice = CaptureAdvice.noDocument
        for t in 0..<20 { advice = auto.push(detection: det, timestampMs: UInt64(t * 100)) }
        if det.quad != nil { XCTAssertEqual(advice, .captureNow) }
        let doc = try cap.capture(photos: [bytes], options: CaptureOptions(corners: det.quad, wholeFrameIfNotFound: true))
        XCTAssertEqual(doc.pages().count, 1)
        XCTAssertThrowsError(try doc.pageImage(index: 5))
        let id = try doc.save(meta: NewDocument(category: "carte_identite", title: "Carte", expiresOn: "2030-01-01"))
        XCTAssertEqual(try coffre.vault().list(query: ListQuery()).map(\.id), [id])
    }

    func testPreviewFrames() throws {
        let cap = coffre.capture()
        let det = try cap.detectPreview(frame: LumaFrame(width: 64, height: 48, rowStride: 64, data: Data(count: 64 * 48)))
        XCTAssertNil(det.quad)
        XCTAssertThrowsError(try cap.detectPreview(frame: LumaFrame(width: 64, height: 48, rowStride: 64, data: Data(count: 3))))
    }

    func testQrModulesDrawnIntoAPaddedFrameAreReadBack() throws {
        let text = "https://coffre.example/s/abc#Zm9v"
        let qr = try qrEncode(text: text)
        let n = Int(qr.size), scale = 4, side = (n + 8) * scale, stride = side + 16
        XCTAssertEqual(qr.modules.count, n * n)
        var frame = Data(repeating: 0xFF, count: stride * side)
        for y in 0..<side {
            for x in 0..<side {
                let mx = x / scale - 4, my = y / scale - 4
                if mx >= 0, mx < n, my >= 0, my < n, qr.modules[my * n + mx] == 1 { frame[y * stride + x] = 0 }
            }
        }
        XCTAssertEqual(try qrDecodeFrame(frame: LumaFrame(width: UInt32(side), height: UInt32(side), rowStride: UInt32(stride), data: frame)), text)
        XCTAssertEqual(try qrDecodePhoto(photo: qr.png), text)
        XCTAssertThrowsError(try qrDecodeFrame(frame: LumaFrame(width: 64, height: 64, rowStride: 64, data: Data(repeating: 0xFF, count: 64 * 64))))
    }

    func testMandatesAndRecoveryErrorsAreTyped() throws {
        XCTAssertThrowsError(try coffre.mandates().scanOffer(qrText: "COFFRE-AGENT:AAAA"))
        XCTAssertThrowsError(try coffre.recovery().makeKit(language: .french, date: "23/11/2026"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        let elsewhere = Coffre(dir: dir, platformSecret: FixedSecret(5))
        XCTAssertThrowsError(try elsewhere.recoverWithCode(code: String(repeating: "abaisser ", count: 11) + "zzzz", serverUrl: "http://127.0.0.1:9", passphrase: "1234 nouveau")) { error in
            guard case CoffreError.InvalidInput(let detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("12"))
        }
        XCTAssertFalse(elsewhere.vaultExists())
    }

    func testPinsAndDeskMode() throws {
        let doc = try coffre.capture().capture(photos: [try photo()], options: CaptureOptions(wholeFrameIfNotFound: true))
        let id = try doc.save(meta: NewDocument(category: "carte_identite"))
        try coffre.vault().setPinned(id: id, pinned: true)
        coffre.lock()
        let desk = try XCTUnwrap(try coffre.deskMode(passphrase: PASS))
        XCTAssertEqual(desk.document.id, id)
        XCTAssertTrue(desk.mime.hasPrefix("image/"))
        XCTAssertGreaterThan(desk.bytes.count, 1000)
    }

    func testProgressFiresAndCancelledExportFails() throws {
        let doc = try coffre.capture().capture(photos: [try photo()], options: CaptureOptions(wholeFrameIfNotFound: true))
        _ = try doc.save(meta: NewDocument(category: "autre"))
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("coffre-export-\(UUID().uuidString)").path
        let rec = Recorder()
        let summary = try coffre.vault().export(dest: out, format: .folder, listener: rec, cancel: CancelHandle())
        XCTAssertEqual(summary.documents, 1)
        XCTAssertEqual(rec.events.last?.done, 1)
        let cancel = CancelHandle()
        cancel.cancel()
        XCTAssertThrowsError(try coffre.vault().export(dest: out + "-2", format: .zip, listener: nil, cancel: cancel)) { e in
            guard case CoffreError.Cancelled = e else { return XCTFail("\(e)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "-2"))
    }

    func testSyncErrors() throws {
        let s = coffre.sync()
        XCTAssertThrowsError(try s.sync(options: SyncOptions(), listener: nil, cancel: CancelHandle())) { e in
            guard case CoffreError.NotFound = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try s.enroll(serverUrl: "http://127.0.0.1:9")) { e in
            guard case CoffreError.Network = e else { return XCTFail("\(e)") }
        }
    }

    // Swift frees objects on release; there is no close() to test (the Kotlin test checks it).

    func testPanicBecomesAnError() throws {
        // Declared throwing on purpose: Swift's bindings turn a panic into a thrown error only for
        // throwing functions (uniffi's `rustPanic`); a non-throwing one would trap.
        XCTAssertThrowsError(try debugPanic())
        XCTAssertThrowsError(try coffre.debugPanic())
        XCTAssertTrue(coffre.isUnlocked())
        XCTAssertNoThrow(try coffre.vault().pinned())
    }
}
