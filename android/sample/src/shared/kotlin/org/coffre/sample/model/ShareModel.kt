package org.coffre.sample.model

import java.util.concurrent.Executor
import uniffi.coffre_ffi.Coffre
import uniffi.coffre_ffi.ShareLifetime
import uniffi.coffre_ffi.ShareLink

/** Where the share screen stands. */
sealed interface SharingState {
    data object Idle : SharingState
    data object Working : SharingState

    /** The link to show as a QR code (`link.qr`: modules and a PNG) with its URL. */
    data class Shown(val link: ShareLink) : SharingState
    data class Revoked(val shareId: String) : SharingState
    data class Failed(val message: String) : SharingState
}

/**
 * Share documents by QR: the recipient scans it and opens the link in a browser (the key is in the
 * URL's fragment, never sent to the server). Needs the vault enrolled on a server (sync).
 */
class ShareModel(private val coffre: Coffre, private val background: Executor, main: Executor) {
    val state = Observable<SharingState>(SharingState.Idle, main)

    /** `purpose` ("pour la CAF") is shown to the recipient and burned into identity pages' watermark. */
    fun share(documentIds: List<String>, lifetime: ShareLifetime, maxOpens: UInt?, purpose: String?) = run {
        SharingState.Shown(coffre.share().use { it.create(documentIds, lifetime, maxOpens, purpose) })
    }

    /** Ends the shown link now: the next opening fails, even with the QR photographed. */
    fun revokeShown() {
        val shown = state.value as? SharingState.Shown ?: return
        run {
            coffre.share().use { it.revoke(shown.link.id) }
            SharingState.Revoked(shown.link.id)
        }
    }

    private fun run(call: () -> SharingState) {
        state.set(SharingState.Working)
        background.execute { state.set(attempt(call) { SharingState.Failed(it) }) }
    }
}
