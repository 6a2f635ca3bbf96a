package org.coffre.sample.model

import java.util.concurrent.Executor
import uniffi.coffre_ffi.Coffre
import uniffi.coffre_ffi.CoffreException
import uniffi.coffre_ffi.LumaFrame
import uniffi.coffre_ffi.MandateGrant
import uniffi.coffre_ffi.MandateInfo
import uniffi.coffre_ffi.MandateScope
import uniffi.coffre_ffi.ScannedOffer
import uniffi.coffre_ffi.qrDecodeFrame

/** Where the "give an agent access" screen stands. */
sealed interface GrantState {
    data object Scanning : GrantState

    /** Show who the agent is while the two phones exchange their random contributions (a second). */
    data class Waiting(val offer: ScannedOffer) : GrantState

    /**
     * Show who the agent is and [code]: the person compares it with the agent's screen. The digits
     * exist only once both phones contributed, so a look-alike QR cannot have chosen them.
     */
    data class Confirm(val offer: ScannedOffer, val code: String, val desk: MandateGrant) : GrantState
    data object Granting : GrantState
    data class Granted(val mandate: MandateInfo) : GrantState
    data class Failed(val message: String) : GrantState
}

/**
 * Scan an agent's QR code (a social worker's phone showing its offer), check who it is, then grant
 * a mandate. [analyze] runs on the camera's analysis thread; the grant (a server round trip) on
 * [background].
 */
class AgentScanModel(private val coffre: Coffre, private val background: Executor, main: Executor) {
    val state = Observable<GrantState>(GrantState.Scanning, main)

    /** Looks for a QR code in one preview frame; returns true once one was read (stop the camera). */
    fun analyze(frame: LumaFrame): Boolean {
        if (state.value != GrantState.Scanning) return false
        val text = try {
            qrDecodeFrame(frame)
        } catch (e: CoffreException.NotFound) {
            return false // no code in this frame: keep scanning
        }
        val next = attempt({
            GrantState.Waiting(coffre.mandates().use { it.scanOffer(text) })
        }) { GrantState.Failed("Not a Coffre agent's code: $it") }
        state.update { if (it == GrantState.Scanning) next else it }
        if (next is GrantState.Waiting) background.execute { exchange(next.offer, text) }
        return true
    }

    /** Sends this phone's contribution and waits (up to a minute) for the agent's digits. */
    private fun exchange(offer: ScannedOffer, text: String) {
        state.set(
            attempt({
                val desk = coffre.mandates().use { it.startGrant(text) }
                var code: String? = null
                val deadline = System.nanoTime() + 60_000_000_000L
                while (code == null && System.nanoTime() < deadline) {
                    code = desk.shortCode()
                    if (code == null) Thread.sleep(500)
                }
                if (code == null) GrantState.Failed("The agent's phone did not answer") else GrantState.Confirm(offer, code, desk)
            }) { GrantState.Failed(it) },
        )
    }

    /**
     * Signs the mandate once the codes matched. Consult hands the agent the keys of [collections]:
     * what was read cannot be unread after a revocation (the screen must say so).
     */
    fun grant(scopes: List<MandateScope>, collections: List<String>, days: UInt) {
        val confirm = state.value as? GrantState.Confirm ?: return
        state.set(GrantState.Granting)
        background.execute {
            state.set(
                attempt({
                    GrantState.Granted(confirm.desk.use { it.grant(confirm.code, scopes, collections, days) })
                }) { GrantState.Failed(it) },
            )
        }
    }

    fun rescan() = state.set(GrantState.Scanning)
}
