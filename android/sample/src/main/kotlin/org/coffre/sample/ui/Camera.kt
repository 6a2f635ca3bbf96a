package org.coffre.sample.ui

import android.Manifest
import android.content.pm.PackageManager
import android.util.Size
import android.widget.Toast
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageCapture
import androidx.camera.core.ImageProxy
import androidx.camera.core.Preview
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import java.util.concurrent.Executor
import org.coffre.sample.model.lumaFrame
import uniffi.coffre_ffi.LumaFrame

/** Runs [onGranted] once the camera is allowed (asking if needed); refused, the screen closes. Call in onCreate. */
fun ComponentActivity.withCamera(onGranted: () -> Unit) {
    val permission = Manifest.permission.CAMERA
    if (ContextCompat.checkSelfPermission(this, permission) == PackageManager.PERMISSION_GRANTED) return onGranted()
    registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) {
            onGranted()
        } else {
            Toast.makeText(this, "Coffre needs the camera to photograph documents and read codes.", Toast.LENGTH_LONG).show()
            finish()
        }
    }.launch(permission)
}

/**
 * Binds the back camera to [owner]'s lifecycle: the preview, a stream of small analysis frames
 * (about 640×480: enough to find a document or a QR code, cheap on an old phone; only the latest
 * frame is kept, so a slow phone skips frames instead of lagging), and [still] for the photo.
 */
fun bindCamera(
    owner: ComponentActivity,
    view: PreviewView,
    analysisThread: Executor,
    analyzer: ImageAnalysis.Analyzer,
    still: ImageCapture? = null,
) {
    val future = ProcessCameraProvider.getInstance(owner)
    future.addListener({
        val preview = Preview.Builder().build().also { it.setSurfaceProvider(view.surfaceProvider) }
        val small = ResolutionSelector.Builder()
            .setResolutionStrategy(
                ResolutionStrategy(Size(640, 480), ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER),
            )
            .build()
        val analysis = ImageAnalysis.Builder()
            .setResolutionSelector(small)
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .build()
            .also { it.setAnalyzer(analysisThread, analyzer) }
        val provider = future.get()
        provider.unbindAll()
        provider.bindToLifecycle(owner, CameraSelector.DEFAULT_BACK_CAMERA, *listOfNotNull(preview, analysis, still).toTypedArray())
    }, ContextCompat.getMainExecutor(owner))
}

/**
 * CameraX analysis frames (YUV_420_888, the default) as [LumaFrame]s of their Y plane, with the
 * rotation that makes them upright and their time in ms. Runs on the analysis thread.
 */
class LumaAnalyzer(
    private val onFrame: (frame: LumaFrame, rotationDegrees: Int, timestampMs: Long) -> Unit,
) : ImageAnalysis.Analyzer {
    override fun analyze(image: ImageProxy) {
        image.use {
            val y = it.planes[0]
            val frame = lumaFrame(y.buffer, it.width, it.height, y.rowStride)
            onFrame(frame, it.imageInfo.rotationDegrees, it.imageInfo.timestamp / 1_000_000)
        }
    }
}
