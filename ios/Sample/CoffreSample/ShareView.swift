import Coffre
import SwiftUI

/// Share the chosen documents for a day: a QR code the other person scans; stop it after.
struct ShareView: View {
    let ids: [String]
    @StateObject private var model: ShareModel
    @State private var purpose = ""

    init(coffre: Coffre, ids: [String]) {
        self.ids = ids
        _model = StateObject(wrappedValue: ShareModel(coffre: coffre))
    }

    var body: some View {
        VStack(spacing: 16) {
            TextField("What for? (shown to them, e.g. pour la CAF)", text: $purpose).textFieldStyle(.roundedBorder)
            Button("Show a QR code valid for a day") { model.share(ids: ids, purpose: purpose.isEmpty ? nil : purpose) }
            switch model.state {
            case .idle: Text("\(ids.count) document(s)")
            case .working: ProgressView()
            case let .shown(link):
                QrView(code: link.qr).frame(maxWidth: 320, maxHeight: 320)
                Text("Valid until \(Date(timeIntervalSince1970: TimeInterval(link.expiresAt)).formatted())")
                Button("Stop sharing now", action: model.revokeShown)
            case .revoked: Text("Stopped: the link no longer opens.")
            case let .failed(message): Text(message).foregroundColor(.red)
            }
        }
        .padding()
    }
}

/// A QR code drawn from the core's module matrix (no CoreImage: the same modules as the PNG).
struct QrView: View {
    let code: QrCode

    var body: some View {
        Canvas { context, size in
            let n = Int(code.size)
            let quiet = 4 // modules of white margin, as scanners expect
            let side = min(size.width, size.height) / CGFloat(n + 2 * quiet)
            context.fill(Path(CGRect(origin: .zero, size: size)), with: .color(.white))
            for y in 0..<n {
                for x in 0..<n where code.modules[code.modules.startIndex + y * n + x] == 1 {
                    let rect = CGRect(x: CGFloat(x + quiet) * side, y: CGFloat(y + quiet) * side, width: side, height: side)
                    context.fill(Path(rect), with: .color(.black))
                }
            }
        }
        .aspectRatio(1, contentMode: .fit)
    }
}
