// The screens' state and actions, one for one with android/sample/src/shared (where they are
// tested on the JVM against the real library). Changed on the main queue; core calls on Core.queue,
// camera frames on the camera's queue.
import Coffre
import Foundation

final class UnlockModel: ObservableObject {
    enum State {
        case checking, working, unlocked
        case noVault(error: String?)
        case locked(error: String?)
        /// Desk mode: unlocked straight onto the first pinned page (identity first).
        case desk(DeskPage)
    }

    @Published private(set) var state = State.checking
    private let coffre: Coffre

    init(coffre: Coffre) { self.coffre = coffre }

    func start() {
        run(onError: { .locked(error: $0) }) { [coffre] in
            coffre.isUnlocked() ? .unlocked : coffre.vaultExists() ? .locked(error: nil) : .noVault(error: nil)
        }
    }

    func create(pin: String) { run(onError: { .noVault(error: $0) }) { [coffre] in try coffre.create(passphrase: pin); return .unlocked } }
    func unlock(pin: String) {
        run(onError: { [coffre] in .locked(error: $0 + Self.attemptsAdvice(coffre)) }) { [coffre] in
            try coffre.unlock(passphrase: pin); return .unlocked
        }
    }

    /// After a wrong PIN: how many in a row, the wait before the next try (the core counts them in the
    /// vault header and refuses early tries), and from the second the way out of a forgotten PIN.
    static func attemptsAdvice(_ coffre: Coffre) -> String {
        guard let a = try? coffre.unlockAttempts(), a.failed >= 2 else { return "" }
        let wait = a.waitSecs > 0 ? " Next try in \(a.waitSecs) s." : ""
        return " \(a.failed) wrong PINs in a row.\(wait) Forgot your PIN? Your recovery kit reopens the vault."
    }
    func deskMode(pin: String) {
        run(onError: { .locked(error: $0) }) { [coffre] in try coffre.deskMode(passphrase: pin).map(State.desk) ?? .unlocked }
    }
    func leaveDesk() { if case .desk = state { state = .unlocked } }
    func lock() { run(onError: { .locked(error: $0) }) { [coffre] in coffre.lock(); return .locked(error: nil) } }

    /// The app left the screen: lock at once (like Android's AutoLock, but without a grace time: iOS
    /// suspends the app soon after, so a timer would only fire on return). A permission dialog or
    /// the control centre only make the scene inactive, not background.
    func lockForBackground() { Core.run({ [coffre] in coffre.lock() }) { _ in } }

    /// Back on screen: if the vault was locked while away, the PIN screen shows again.
    func recheck() {
        switch state {
        case .unlocked, .desk:
            Core.run({ [coffre] in coffre.isUnlocked() }) { result in
                if case .success(false) = result { self.state = .locked(error: nil) }
            }
        default: break
        }
    }

    private func run(onError: @escaping (String) -> State, _ work: @escaping () throws -> State) {
        state = .working
        Core.run(work) { result in
            switch result {
            case let .success(next): self.state = next
            case let .failure(error): self.state = onError(userMessage(error))
            }
        }
    }
}

final class DocumentsModel: ObservableObject {
    @Published private(set) var documents: [Document] = []
    @Published private(set) var error: String?
    @Published var query = ""
    private let coffre: Coffre

    init(coffre: Coffre) { self.coffre = coffre }

    func refresh() {
        let text = query
        Core.run({ [coffre] in
            let vault = coffre.vault()
            return text.isEmpty ? try vault.list(query: ListQuery()) : try vault.search(text: text, limit: nil)
        }) { result in
            guard text == self.query else { return } // a newer search is on its way
            switch result {
            case let .success(docs): self.documents = docs; self.error = nil
            case let .failure(error): self.error = userMessage(error)
            }
        }
    }

    func setPinned(_ document: Document, _ pinned: Bool) {
        Core.run({ [coffre] in try coffre.vault().setPinned(id: document.id, pinned: pinned) }) { result in
            if case let .failure(error) = result { self.error = userMessage(error) }
            self.refresh()
        }
    }
}

/// One capture screen: preview frames → outline + auto-capture advice → photo → deskewed pages → save.
final class CaptureSession: ObservableObject {
    enum Phase: Equatable {
        case framing, shooting, processing
        case review(pages: Int, thumbnail: Data)
        case saved(id: String)
        case failed(String)
    }

    @Published private(set) var phase = Phase.framing
    /// In pixels of the last analysed frame (sensor orientation, `frameSize`).
    @Published private(set) var quad: Quad?
    @Published private(set) var frameSize = CGSize.zero
    @Published private(set) var advice = CaptureAdvice.noDocument

    private let capture: CaptureApi
    private let lock = NSLock()
    private var tracker: AutoCapture?
    private var trackerSize = CGSize.zero
    private var framing = true // read on the camera's queue
    private var document: CapturedDocument?

    init(coffre: Coffre) { capture = coffre.capture() }

    /// On the camera's queue, for every preview frame; returns true when the photo should be taken.
    func analyze(frame: LumaFrame, timestampMs: UInt64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard framing, let detection = try? capture.detectPreview(frame: frame) else { return false }
        let size = CGSize(width: Int(frame.width), height: Int(frame.height))
        if tracker == nil || trackerSize != size {
            tracker = capture.autoCapture(width: frame.width, height: frame.height)
            trackerSize = size
        }
        let advice = tracker!.push(detection: detection, timestampMs: timestampMs)
        if advice == .captureNow { framing = false }
        DispatchQueue.main.async {
            self.quad = detection.quad
            self.frameSize = size
            self.advice = advice
            if advice == .captureNow { self.phase = .shooting }
        }
        return advice == .captureNow
    }

    /// The shutter button, for a document the detector misses.
    func shootNow() {
        lock.lock()
        framing = false
        lock.unlock()
        phase = .shooting
    }

    /// The full-resolution JPEG, in memory only (its EXIF orientation is applied by the core).
    func onPhoto(_ jpeg: Data) {
        phase = .processing
        Core.run({ [capture] in try capture.capture(photos: [jpeg], options: CaptureOptions(wholeFrameIfNotFound: true)) }) { result in
            switch result {
            case let .success(doc):
                self.document = doc
                self.phase = .review(pages: doc.pages().count, thumbnail: doc.thumbnail())
            case let .failure(error): self.phase = .failed(userMessage(error))
            }
        }
    }

    func save(category: String, title: String) {
        guard let doc = document else { return }
        phase = .processing
        Core.run({ try doc.save(meta: NewDocument(category: category, title: title)) }) { result in
            switch result {
            case let .success(id): self.document = nil; self.phase = .saved(id: id)
            case let .failure(error): self.phase = .failed(userMessage(error))
            }
        }
    }

    func retake() {
        document = nil
        lock.lock()
        tracker?.reset()
        framing = true
        lock.unlock()
        quad = nil
        advice = .noDocument
        phase = .framing
    }
}

final class SyncModel: ObservableObject {
    enum State { case idle, syncing(Progress?), done(SyncReport), failed(String) }

    @Published private(set) var state = State.idle
    private let coffre: Coffre
    private var cancelHandle: CancelHandle?

    init(coffre: Coffre) { self.coffre = coffre }

    /// Enrols on `serverURL` the first time, then syncs, reporting progress; `cancel()` stops it.
    func syncNow() {
        if case .syncing = state { return }
        state = .syncing(nil)
        let handle = CancelHandle()
        cancelHandle = handle
        let listener = Listener { progress in DispatchQueue.main.async { self.state = .syncing(progress) } }
        Core.run({ [coffre] () -> SyncReport in
            let sync = coffre.sync()
            if try sync.serverUrl() == nil { try sync.enroll(serverUrl: serverURL) }
            return try sync.sync(options: SyncOptions(), listener: listener, cancel: handle)
        }) { result in
            self.cancelHandle = nil
            switch result {
            case let .success(report): self.state = .done(report)
            case let .failure(error): self.state = .failed(userMessage(error))
            }
        }
    }

    func cancel() { cancelHandle?.cancel() }

    private final class Listener: ProgressListener, @unchecked Sendable {
        let onChange: (Progress) -> Void
        init(_ onChange: @escaping (Progress) -> Void) { self.onChange = onChange }
        func onProgress(progress: Progress) { onChange(progress) }
    }
}

final class ShareModel: ObservableObject {
    enum State { case idle, working, shown(ShareLink), revoked, failed(String) }

    @Published private(set) var state = State.idle
    private let coffre: Coffre

    init(coffre: Coffre) { self.coffre = coffre }

    /// `purpose` ("pour la CAF") is shown to the recipient and burned into identity pages' watermark.
    func share(ids: [String], purpose: String?) {
        run { [coffre] in .shown(try coffre.share().create(documentIds: ids, lifetime: .day, maxOpens: nil, purpose: purpose)) }
    }

    func revokeShown() {
        guard case let .shown(link) = state else { return }
        run { [coffre] in try coffre.share().revoke(shareId: link.id); return .revoked }
    }

    private func run(_ work: @escaping () throws -> State) {
        state = .working
        Core.run(work) { result in
            switch result {
            case let .success(next): self.state = next
            case let .failure(error): self.state = .failed(userMessage(error))
            }
        }
    }
}

/// Scan an agent's QR code, compare the short code, grant a mandate.
final class AgentScanModel: ObservableObject {
    enum State {
        case scanning, granting
        /// Who the agent is, while the two phones exchange their random contributions (a second).
        case waiting(ScannedOffer)
        /// The digits exist only once both phones contributed: a look-alike QR cannot have chosen them.
        case confirm(ScannedOffer, code: String, desk: MandateGrant)
        case granted(MandateInfo)
        case failed(String)
    }

    @Published private(set) var state = State.scanning
    private let coffre: Coffre
    private let lock = NSLock()
    private var scanning = true // read on the camera's queue

    init(coffre: Coffre) { self.coffre = coffre }

    /// On the camera's queue: looks for a QR code in one frame; true once one was read.
    func analyze(frame: LumaFrame) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard scanning, let text = try? qrDecodeFrame(frame: frame) else { return false }
        scanning = false
        let next: State
        do {
            next = .waiting(try coffre.mandates().scanOffer(qrText: text))
        } catch {
            next = .failed("Not a Coffre agent's code: \(userMessage(error))")
        }
        DispatchQueue.main.async { self.state = next }
        if case let .waiting(offer) = next { exchange(offer: offer, qrText: text) }
        return true
    }

    /// Sends this phone's contribution, then waits (up to a minute) for the agent's digits.
    private func exchange(offer: ScannedOffer, qrText: String) {
        Core.run({ [coffre] () throws -> (String, MandateGrant)? in
            let desk = try coffre.mandates().startGrant(qrText: qrText)
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if let code = try desk.shortCode() { return (code, desk) }
                Thread.sleep(forTimeInterval: 0.5)
            }
            return nil
        }) { result in
            switch result {
            case let .success(.some((code, desk))): self.state = .confirm(offer, code: code, desk: desk)
            case .success(.none): self.state = .failed("The agent's phone did not answer")
            case let .failure(error): self.state = .failed(userMessage(error))
            }
        }
    }

    /// Once the codes matched. Consult hands over the keys of `collections`: what was read stays read.
    func grant(scopes: [MandateScope], collections: [String], days: UInt32) {
        guard case let .confirm(_, code, desk) = state else { return }
        state = .granting
        Core.run({
            try desk.grant(confirmedCode: code, scopes: scopes, collections: collections, days: days)
        }) { result in
            switch result {
            case let .success(mandate): self.state = .granted(mandate)
            case let .failure(error): self.state = .failed(userMessage(error))
            }
        }
    }

    func rescan() {
        lock.lock()
        scanning = true
        lock.unlock()
        state = .scanning
    }
}
