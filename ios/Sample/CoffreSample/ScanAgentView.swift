import Coffre
import SwiftUI

/// Give a social worker access: scan the QR on their phone, compare the short code, grant 30 days.
struct ScanAgentView: View {
    @StateObject private var model: AgentScanModel
    @State private var feed = CameraFeed()
    @State private var consult = false

    init(coffre: Coffre) {
        _model = StateObject(wrappedValue: AgentScanModel(coffre: coffre))
    }

    var body: some View {
        VStack(spacing: 16) {
            switch model.state {
            case .scanning:
                CameraPreview(feed: feed)
                Text("Scan the QR code on the agent's phone")
            case let .waiting(offer):
                Text(Locale.current.languageCode == "fr" ? offer.identityFr : offer.identityEn)
                ProgressView()
            case let .confirm(offer, code, _):
                Text(Locale.current.languageCode == "fr" ? offer.identityFr : offer.identityEn)
                Text(code).font(.system(size: 40, weight: .bold, design: .monospaced))
                Toggle("They may also see my identity documents (what they have seen stays seen after I revoke)", isOn: $consult)
                Button("The codes match: give access for 30 days") {
                    model.grant(scopes: consult ? [.deposit, .consult] : [.deposit], collections: ["identity"], days: 30)
                }
                .buttonStyle(.borderedProminent)
                Button("The codes differ: scan again", action: model.rescan)
            case .granting: ProgressView()
            case let .granted(mandate): Text("Access given to \(mandate.agent) (\(mandate.organisation))")
            case let .failed(message):
                Text(message)
                Button("Scan again", action: model.rescan)
            }
        }
        .padding()
        .onAppear {
            feed.onFrame = { [weak model] frame, _ in _ = model?.analyze(frame: frame) }
            feed.start()
        }
        .onDisappear(perform: feed.stop)
    }
}
