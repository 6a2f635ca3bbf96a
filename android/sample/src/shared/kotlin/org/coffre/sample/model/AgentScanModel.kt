package org.coffre.sample.model

import java.util.concurrent.Executor
import uniffi.coffre_ffi.Coffre
import uniffi.coffre_ffi.CoffreException
import uniffi.coffre_ffi.LumaFrame
import uniffi.coffre_ffi.MandateInfo
import uniffi.coffre_ffi.MandateScope
import uniffi.coffre_ffi.ScannedOffer
import uniffi.coffre_ffi.qrDecodeFrame

/** Where the "give an agent access" screen stands. */
sealed interface GrantState {
    data object Scanning : GrantState

    /** Show who the agent is and [ScannedOffer.shortCode]: the person compares it with the agent's screen. */
    data class Confirm(val offer: ScannedOffer, val qrText: String) : GrantState
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
            GrantState.Confirm(coffre.mandates().use { it.scanOffer(text) }, text)
        }) { GrantState.Failed("Not a Coffre agent's code: $it") }
        state.update { if (it == GrantState.Scanning) next else it }
        return true
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
                    GrantState.Granted(coffre.mandates().use { it.grant(confirm.qrText, scopes, collections, days) })
                }) { GrantState.Failed(it) },
            )
        }
    }

    fun rescan() = state.set(GrantState.Scanning)
}
