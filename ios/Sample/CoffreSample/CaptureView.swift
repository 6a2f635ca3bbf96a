import Coffre
import SwiftUI

/// Photograph a document: the outline follows it, held still the photo is taken by itself (or with
/// the button), the deskewed page is checked, given a category and a title, and saved.
struct CaptureView: View {
    let done: () -> Void
    @StateObject private var session: CaptureSession
    @State private var feed = CameraFeed()
    @State private var title = ""
    @State private var category = "autre"
    @Environment(\.dismiss) private var dismiss
    private let kinds = categories() // a constant list

    init(coffre: Coffre, done: @escaping () -> Void) {
        self.done = done
        _session = StateObject(wrappedValue: CaptureSession(coffre: coffre))
    }

    var body: some View {
        VStack {
            switch session.phase {
            case let .review(pages, thumbnail):
                if let image = UIImage(data: thumbnail) { Image(uiImage: image).resizable().scaledToFit() }
                Text("\(pages) page(s): check, then save")
                TextField("Title", text: $title).textFieldStyle(.roundedBorder)
                Picker("Category", selection: $category) {
                    ForEach(kinds, id: \.code) { Text($0.labelEn).tag($0.code) }
                }
                HStack {
                    Button("Save") { session.save(category: category, title: title) }.buttonStyle(.borderedProminent)
                    Button("Retake", action: session.retake)
                }
            default:
                CameraPreview(feed: feed, quad: session.quad, frameSize: session.frameSize, color: outlineColor)
                Text(guidance)
                Button("Take photo", action: session.shootNow).disabled(session.phase != .framing)
            }
        }
        .padding()
        .onAppear {
            feed.onFrame = { [weak session] frame, ms in _ = session?.analyze(frame: frame, timestampMs: ms) }
            feed.start()
        }
        .onDisappear(perform: feed.stop)
        .onChange(of: session.phase) { phase in
            switch phase {
            case .shooting:
                feed.takePhoto { jpeg in
                    DispatchQueue.main.async { if let jpeg { session.onPhoto(jpeg) } else { session.retake() } }
                }
            case .saved:
                done()
                dismiss()
            default: break
            }
        }
    }

    private var outlineColor: UIColor {
        switch session.advice {
        case .captureNow: return .green
        case .holdStill: return .yellow
        case .noDocument: return .white
        }
    }

    private var guidance: String {
        switch session.phase {
        case .framing:
            switch session.advice {
            case .noDocument: return "Point the camera at the document"
            case let .holdStill(progress): return "Hold still… \(Int(progress * 100)) %"
            case .captureNow: return "Capturing"
            }
        case let .failed(message): return message
        default: return "Hold on…"
        }
    }
}
