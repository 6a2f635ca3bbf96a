package org.coffre.sample.ui

import android.os.Bundle
import android.view.View
import android.widget.ArrayAdapter
import android.widget.EditText
import android.widget.FrameLayout
import android.widget.ImageView
import android.widget.Spinner
import androidx.activity.ComponentActivity
import androidx.camera.core.ImageCapture
import androidx.camera.core.ImageCaptureException
import androidx.camera.core.ImageProxy
import androidx.camera.view.PreviewView
import java.util.concurrent.Executors
import org.coffre.sample.model.CapturePhase
import org.coffre.sample.model.CaptureSession
import uniffi.coffre_ffi.CaptureAdvice
import uniffi.coffre_ffi.NewDocument
import uniffi.coffre_ffi.categories

/**
 * Photograph a document: the live outline follows it; held still, the photo is taken by itself
 * (or with the button); the deskewed page is checked, given a category and a title, and saved.
 */
class CaptureActivity : ComponentActivity() {
    private lateinit var session: CaptureSession
    private val analysisThread = Executors.newSingleThreadExecutor()
    private val still = ImageCapture.Builder().setCaptureMode(ImageCapture.CAPTURE_MODE_MAXIMIZE_QUALITY).build()
    private var observer: AutoCloseable? = null
    private var shooting = false

    @Volatile
    private var rotationDegrees = 0

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        secureWindow()
        session = CaptureSession(app.coffre, app.background, app.main)
        val preview = PreviewView(this)
        val overlay = QuadOverlayView(this)
        val camera = FrameLayout(this).apply {
            addView(preview)
            addView(overlay)
        }.fillHeight()
        val guidance = label()
        val shutter = button("Take photo") { session.shootNow() }
        val thumbnail = ImageView(this)
        val title = EditText(this).apply { hint = "Title" }
        val kinds = categories() // a constant list: no need to leave the UI thread
        val category = Spinner(this).apply {
            adapter = ArrayAdapter(context, android.R.layout.simple_spinner_dropdown_item, kinds.map { it.labelEn })
        }
        val save = button("Save") {
            session.save(NewDocument(category = kinds[category.selectedItemPosition].code, title = title.text.toString()))
        }
        val review = column(thumbnail, title, category, row(save, button("Retake") { session.retake() }))
        setContentView(column(camera, guidance, shutter, review))

        observer = session.state.observe { s ->
            overlay.show(s, rotationDegrees)
            val phase = s.phase
            guidance.text = when (phase) {
                CapturePhase.Framing -> adviceText(s.advice)
                CapturePhase.Shooting, CapturePhase.Processing -> "Hold on…"
                is CapturePhase.Review -> "${phase.pages.size} page(s): check, then save"
                is CapturePhase.Saved -> "Saved"
                is CapturePhase.Failed -> phase.message
            }
            shutter.isEnabled = phase == CapturePhase.Framing
            review.visibility = if (phase is CapturePhase.Review) View.VISIBLE else View.GONE
            when (phase) {
                CapturePhase.Framing -> shooting = false
                CapturePhase.Shooting -> if (!shooting) takePhoto()
                is CapturePhase.Review -> thumbnail.setImageBitmap(bitmapOf(phase.thumbnail))
                is CapturePhase.Saved -> finish()
                else -> Unit
            }
        }
        val analyzer = LumaAnalyzer { frame, rotation, timestampMs ->
            rotationDegrees = rotation
            try {
                session.analyze(frame, timestampMs)
            } catch (e: Exception) {
                // A frame the core rejects (CoffreException), or the session closed as the screen
                // goes (IllegalStateException): skip this frame.
            }
        }
        withCamera { bindCamera(this, preview, analysisThread, analyzer, still) }
    }

    override fun onDestroy() {
        observer?.close()
        analysisThread.shutdown()
        session.close()
        super.onDestroy()
    }

    /** The full-resolution photo, in memory only: a document is never written to disk unencrypted. */
    private fun takePhoto() {
        shooting = true
        still.takePicture(analysisThread, object : ImageCapture.OnImageCapturedCallback() {
            override fun onCaptureSuccess(image: ImageProxy) {
                val jpeg = image.use {
                    val buffer = it.planes[0].buffer
                    ByteArray(buffer.remaining()).also { bytes -> buffer.get(bytes) }
                }
                session.onPhoto(jpeg)
            }

            override fun onError(exception: ImageCaptureException) = session.retake()
        })
    }

    private fun adviceText(advice: CaptureAdvice) = when (advice) {
        CaptureAdvice.NoDocument -> "Point the camera at the document"
        is CaptureAdvice.HoldStill -> "Hold still… ${(advice.progress * 100).toInt()} %"
        CaptureAdvice.CaptureNow -> "Capturing"
    }
}
