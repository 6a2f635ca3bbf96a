package org.coffre.sample.model

import java.util.concurrent.Executor
import uniffi.coffre_ffi.AutoCapture
import uniffi.coffre_ffi.CaptureAdvice
import uniffi.coffre_ffi.CaptureOptions
import uniffi.coffre_ffi.CapturedDocument
import uniffi.coffre_ffi.CapturedPageInfo
import uniffi.coffre_ffi.Coffre
import uniffi.coffre_ffi.LumaFrame
import uniffi.coffre_ffi.NewDocument
import uniffi.coffre_ffi.Quad

/** Where a capture stands. */
sealed interface CapturePhase {
    /** Preview frames are analysed; the overlay follows the document. */
    data object Framing : CapturePhase

    /** The document held still: the UI takes the full-resolution photo and passes it to [CaptureSession.onPhoto]. */
    data object Shooting : CapturePhase
    data object Processing : CapturePhase

    /** Deskewed pages to check before saving (the thumbnail is a JPEG). */
    data class Review(val pages: List<CapturedPageInfo>, val thumbnail: ByteArray) : CapturePhase
    data class Saved(val documentId: String) : CapturePhase
    data class Failed(val message: String) : CapturePhase
}

/**
 * [quad] is in pixels of the last analysed frame ([frameWidth] × [frameHeight], sensor
 * orientation): the overlay maps it with [quadOnView].
 */
data class CaptureState(
    val phase: CapturePhase = CapturePhase.Framing,
    val quad: Quad? = null,
    val frameWidth: Int = 0,
    val frameHeight: Int = 0,
    val advice: CaptureAdvice = CaptureAdvice.NoDocument,
)

/**
 * One capture screen: preview frames → quad + auto-capture advice → photo → deskewed pages → save.
 * [analyze] runs on the camera's analysis thread (it blocks for a few ms per frame); the photo's
 * processing and the save run on [background]. Close it when the screen goes: it holds the page
 * images of an unsaved capture.
 */
class CaptureSession(coffre: Coffre, private val background: Executor, main: Executor) : AutoCloseable {
    private val capture = coffre.capture()
    private var tracker: AutoCapture? = null
    private var trackerSize = 0u to 0u
    private var document: CapturedDocument? = null
    val state = Observable(CaptureState(), main)

    /** Feeds one preview frame; returns the advice so the analyzer can fire the shutter on `CaptureNow`. */
    fun analyze(frame: LumaFrame, timestampMs: Long): CaptureAdvice {
        if (state.value.phase != CapturePhase.Framing) return CaptureAdvice.NoDocument
        val detection = capture.detectPreview(frame)
        val advice = trackerFor(frame).push(detection, timestampMs.toULong())
        state.update {
            if (it.phase != CapturePhase.Framing) return@update it
            val phase = if (advice is CaptureAdvice.CaptureNow) CapturePhase.Shooting else it.phase
            it.copy(
                phase = phase,
                quad = detection.quad,
                frameWidth = frame.width.toInt(),
                frameHeight = frame.height.toInt(),
                advice = advice,
            )
        }
        return advice
    }

    /** The shutter button: for a document the detector misses (a crumpled letter, a dark table). */
    fun shootNow() = state.update { if (it.phase == CapturePhase.Framing) it.copy(phase = CapturePhase.Shooting) else it }

    /**
     * Processes the full-resolution photo (JPEG, kept in memory: never written unencrypted). The
     * core detects the document again at full resolution; without one, the whole frame is kept.
     */
    fun onPhoto(jpeg: ByteArray) {
        state.update { it.copy(phase = CapturePhase.Processing) }
        background.execute {
            val phase = attempt({
                val doc = capture.capture(listOf(jpeg), CaptureOptions(wholeFrameIfNotFound = true))
                replaceDocument(doc)
                CapturePhase.Review(doc.pages(), doc.thumbnail())
            }) { CapturePhase.Failed(it) }
            state.update { it.copy(phase = phase) }
        }
    }

    fun save(meta: NewDocument) {
        val doc = synchronized(this) { document } ?: return
        state.update { it.copy(phase = CapturePhase.Processing) }
        background.execute {
            val phase = attempt({
                val id = doc.save(meta)
                replaceDocument(null)
                CapturePhase.Saved(id)
            }) { CapturePhase.Failed(it) }
            state.update { it.copy(phase = phase) }
        }
    }

    /** Back to framing: drops an unsaved capture and the steadiness window. */
    fun retake() {
        replaceDocument(null)
        synchronized(this) { tracker?.reset() }
        state.set(CaptureState())
    }

    override fun close() {
        replaceDocument(null)
        synchronized(this) {
            tracker?.close()
            tracker = null
        }
        capture.close()
    }

    /** The auto-capture tracker for this frame size (made again if the camera's resolution changes). */
    @Synchronized
    private fun trackerFor(frame: LumaFrame): AutoCapture {
        val size = frame.width to frame.height
        tracker?.let { if (trackerSize == size) return it }
        tracker?.close()
        trackerSize = size
        return capture.autoCapture(frame.width, frame.height).also { tracker = it }
    }

    private fun replaceDocument(next: CapturedDocument?) {
        val previous = synchronized(this) { document.also { document = next } }
        if (previous !== next) previous?.close()
    }
}
