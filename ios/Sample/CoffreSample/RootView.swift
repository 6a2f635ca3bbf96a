import Coffre
import SwiftUI

/// Entry screen: create or unlock the vault, desk mode, then the document list and the actions.
struct RootView: View {
    let coffre: Coffre
    @StateObject private var unlock: UnlockModel
    @State private var pin = ""
    @Environment(\.scenePhase) private var scenePhase

    init(coffre: Coffre) {
        self.coffre = coffre
        _unlock = StateObject(wrappedValue: UnlockModel(coffre: coffre))
    }

    var body: some View {
        Group {
            switch unlock.state {
            case .checking, .working: ProgressView()
            case let .noVault(error): pinForm("Choose a PIN or passphrase", error, ("Create", unlock.create))
            case let .locked(error): pinForm("Coffre is locked", error, ("Unlock", unlock.unlock), ("Desk mode", unlock.deskMode))
            case let .desk(page): DeskView(page: page, done: unlock.leaveDesk)
            case .unlocked: DocumentListView(coffre: coffre, lock: unlock.lock)
            }
        }
        .onAppear(perform: unlock.start)
        .onChange(of: scenePhase) { phase in
            switch phase {
            case .background: unlock.lockForBackground()
            case .active: unlock.recheck()
            default: break
            }
        }
    }

    private func pinForm(_ title: String, _ error: String?, _ actions: (String, (String) -> Void)...) -> some View {
        VStack(spacing: 16) {
            Text(title).font(.title2)
            SecureField("PIN or passphrase", text: $pin).textFieldStyle(.roundedBorder)
            if let error { Text(error).foregroundColor(.red) }
            HStack {
                ForEach(actions, id: \.0) { item in
                    Button(item.0) { item.1(pin); pin = "" }.buttonStyle(.borderedProminent)
                }
            }
        }
        .padding()
    }
}

/// Desk mode: the pinned page full screen, to show at a counter without browsing the vault.
struct DeskView: View {
    let page: DeskPage
    let done: () -> Void

    var body: some View {
        VStack {
            Text(page.document.title.isEmpty ? page.document.categoryLabel : page.document.title).font(.headline)
            if let image = UIImage(data: page.bytes) {
                Image(uiImage: image).resizable().scaledToFit()
            }
            Button("Done", action: done)
        }
        .padding()
    }
}

struct DocumentListView: View {
    let coffre: Coffre
    let lock: () -> Void
    @StateObject private var documents: DocumentsModel
    @StateObject private var sync: SyncModel
    @State private var selected = Set<String>()

    init(coffre: Coffre, lock: @escaping () -> Void) {
        self.coffre = coffre
        self.lock = lock
        _documents = StateObject(wrappedValue: DocumentsModel(coffre: coffre))
        _sync = StateObject(wrappedValue: SyncModel(coffre: coffre))
    }

    var body: some View {
        NavigationView {
            List(documents.documents, id: \.id, selection: $selected) { doc in
                Text((doc.pinned ? "★ " : "") + (doc.title.isEmpty ? doc.categoryLabel : doc.title))
                    .swipeActions { Button(doc.pinned ? "Unpin" : "Pin") { documents.setPinned(doc, !doc.pinned) } }
            }
            .environment(\.editMode, .constant(.active))
            .searchable(text: $documents.query)
            .onChange(of: documents.query) { _ in documents.refresh() }
            .onAppear(perform: documents.refresh)
            .navigationTitle("Coffre")
            .safeAreaInset(edge: .bottom) {
                VStack {
                    Text(syncText).font(.footnote)
                    HStack {
                        NavigationLink("Capture") { CaptureView(coffre: coffre, done: documents.refresh) }
                        NavigationLink("Share") { ShareView(coffre: coffre, ids: Array(selected)) }.disabled(selected.isEmpty)
                        NavigationLink("Agent access") { ScanAgentView(coffre: coffre) }
                        Button("Sync", action: sync.syncNow)
                        Button("Lock", action: lock)
                    }
                }
                .padding()
            }
        }
    }

    private var syncText: String {
        switch sync.state {
        case .idle: return documents.error ?? "\(documents.documents.count) documents"
        case let .syncing(p): return "Syncing… \(p?.done ?? 0)/\(p?.total ?? 0)"
        case .done: return "Synced"
        case let .failed(message): return message
        }
    }
}
