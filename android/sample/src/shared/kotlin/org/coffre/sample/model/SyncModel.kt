package org.coffre.sample.model

import java.util.concurrent.Executor
import uniffi.coffre_ffi.CancelHandle
import uniffi.coffre_ffi.Coffre
import uniffi.coffre_ffi.Progress
import uniffi.coffre_ffi.ProgressListener
import uniffi.coffre_ffi.SyncOptions
import uniffi.coffre_ffi.SyncReport

/** Where the sync button stands. */
sealed interface SyncState {
    data object Idle : SyncState
    data class Syncing(val progress: Progress? = null) : SyncState
    data class Done(val report: SyncReport) : SyncState
    data class Failed(val message: String) : SyncState
}

/**
 * Sync with the server (enrolling on [serverUrl] the first time): the long call of the app, so it
 * reports progress and can be cancelled from the UI thread. Sharing and mandates need it once.
 * [allowPlainHttp] accepts an `http://` server on another machine (the emulator's host, 10.0.2.2, in a
 * debug build); release builds leave it false, and the core then refuses any `http://` address that is
 * not this device.
 */
class SyncModel(
    private val coffre: Coffre,
    private val background: Executor,
    main: Executor,
    private val allowPlainHttp: Boolean = false,
) {
    val state = Observable<SyncState>(SyncState.Idle, main)

    /** The running sync's handle; guarded by `this` so [cancel] never reaches a closed one. */
    private var cancel: CancelHandle? = null

    fun syncNow(serverUrl: String) {
        if (state.value is SyncState.Syncing) return
        state.set(SyncState.Syncing())
        val handle = CancelHandle()
        synchronized(this) { cancel = handle }
        val listener = object : ProgressListener {
            override fun onProgress(progress: Progress) = state.set(SyncState.Syncing(progress))
        }
        background.execute {
            val next = attempt({
                coffre.sync().use { s ->
                    if (s.serverUrl() == null) s.enrollAllowingHttp(serverUrl, allowPlainHttp)
                    SyncState.Done(s.sync(SyncOptions(), listener, handle))
                }
            }) { SyncState.Failed(it) }
            synchronized(this) {
                cancel = null
                handle.close()
            }
            state.set(next)
        }
    }

    /** Stops a running sync: it ends as `Failed("Cancelled.")`, nothing half-applied. */
    @Synchronized
    fun cancel() {
        cancel?.cancel()
    }
}
