package org.coffre.sample.ui

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.Path
import android.view.View
import org.coffre.sample.model.CaptureState
import org.coffre.sample.model.quadOnView
import uniffi.coffre_ffi.CaptureAdvice

/** Draws the detected document's outline over the camera preview: white when found, green when capturing. */
class QuadOverlayView(context: Context) : View(context) {
    private val paint = Paint(Paint.ANTI_ALIAS_FLAG).apply {
        style = Paint.Style.STROKE
        strokeWidth = 4 * resources.displayMetrics.density
    }
    private val path = Path()
    private var state: CaptureState? = null
    private var rotationDegrees = 0

    fun show(state: CaptureState, rotationDegrees: Int) {
        this.state = state
        this.rotationDegrees = rotationDegrees
        invalidate()
    }

    override fun onDraw(canvas: Canvas) {
        val s = state ?: return
        val quad = s.quad ?: return
        val p = quadOnView(quad, s.frameWidth, s.frameHeight, rotationDegrees, width.toFloat(), height.toFloat())
        paint.color = when (s.advice) {
            is CaptureAdvice.CaptureNow -> Color.GREEN
            is CaptureAdvice.HoldStill -> Color.YELLOW
            else -> Color.WHITE
        }
        path.reset()
        path.moveTo(p[0], p[1])
        for (i in 1..3) path.lineTo(p[2 * i], p[2 * i + 1])
        path.close()
        canvas.drawPath(path, paint)
    }
}
