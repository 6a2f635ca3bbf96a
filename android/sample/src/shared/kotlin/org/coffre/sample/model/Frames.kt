package org.coffre.sample.model

import java.nio.ByteBuffer
import uniffi.coffre_ffi.LumaFrame
import uniffi.coffre_ffi.Quad

/**
 * Copies a camera's Y plane (CameraX `ImageProxy.planes[0]`, pixel stride 1) into a [LumaFrame].
 * The buffer may stop right after the last row's pixels (no padding): the core accepts that.
 */
fun lumaFrame(plane: ByteBuffer, width: Int, height: Int, rowStride: Int): LumaFrame {
    val bytes = ByteArray(plane.remaining())
    plane.duplicate().get(bytes)
    return LumaFrame(width.toUInt(), height.toUInt(), rowStride.toUInt(), bytes)
}

/**
 * The quad's corners (x0, y0, … x3, y3, clockwise from top-left) on a view showing the frame
 * rotated by [rotationDegrees] (CameraX's `imageInfo.rotationDegrees`) and scaled to fill the view,
 * centred and cropped (`PreviewView`'s default FILL_CENTER).
 */
fun quadOnView(quad: Quad, frameWidth: Int, frameHeight: Int, rotationDegrees: Int, viewWidth: Float, viewHeight: Float): FloatArray {
    val turned = rotationDegrees % 180 != 0
    val uprightW = if (turned) frameHeight else frameWidth
    val uprightH = if (turned) frameWidth else frameHeight
    val scale = maxOf(viewWidth / uprightW, viewHeight / uprightH)
    val dx = (viewWidth - uprightW * scale) / 2
    val dy = (viewHeight - uprightH * scale) / 2
    val corners = listOf(quad.topLeft, quad.topRight, quad.bottomRight, quad.bottomLeft)
    val out = FloatArray(8)
    corners.forEachIndexed { i, p ->
        val (x, y) = when (rotationDegrees) {
            90 -> frameHeight - p.y to p.x
            180 -> frameWidth - p.x to frameHeight - p.y
            270 -> p.y to frameWidth - p.x
            else -> p.x to p.y
        }
        out[2 * i] = x * scale + dx
        out[2 * i + 1] = y * scale + dy
    }
    return out
}
