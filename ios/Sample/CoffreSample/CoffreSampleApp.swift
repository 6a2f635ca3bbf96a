// The iOS sample app, mirroring android/sample: unlock / desk mode, the document list, capture
// with the live outline, share by QR, give an agent access by scanning their QR, sync.
// macOS + Xcode only (see ../../README.md); not compiled in CI.
import Coffre
import SwiftUI

@main
struct CoffreSampleApp: App {
    /// The process's one Coffre: its sub-objects share the unlocked vault.
    private let coffre: Coffre = {
        let support = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        return Coffre(dir: support.appendingPathComponent("vault").path, platformSecret: KeychainSecretProvider())
    }()

    var body: some Scene {
        WindowGroup {
            RootView(coffre: coffre)
        }
    }
}

/// The coffre-server to sync and share through (a real app reads it from its configuration).
let serverURL = "http://127.0.0.1:8080"

/// Every core call blocks: they run one after the other on this queue (calls on one Coffre are
/// serialised anyway), and their result comes back on the main queue for the views.
enum Core {
    static let queue = DispatchQueue(label: "org.coffre.sample.core", qos: .userInitiated)

    static func run<T>(_ work: @escaping () throws -> T, then done: @escaping (Result<T, Error>) -> Void) {
        queue.async {
            let result = Result { try work() }
            DispatchQueue.main.async { done(result) }
        }
    }
}

/// The sentence a screen shows for a failed call; the core's `detail` carries no personal data.
func userMessage(_ error: Error) -> String {
    switch error as? CoffreError {
    case .WrongPassphrase: return "Wrong PIN or passphrase."
    case .Busy: return "Coffre is busy or locked. Try again."
    case .NotFound: return "Not found."
    case .Network: return "No connection to the server. Try again later."
    case .Expired: return "This code or link has expired."
    case .Forbidden: return "Not allowed."
    case let .InvalidInput(detail): return detail
    case .StorageFull: return "The phone's storage is full."
    case .Cancelled: return "Cancelled."
    case .Conflict: return "This already exists."
    case .Corrupt: return "This data is damaged."
    default: return "Something went wrong."
    }
}
