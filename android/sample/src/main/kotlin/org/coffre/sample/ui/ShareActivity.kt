package org.coffre.sample.ui

import android.graphics.drawable.BitmapDrawable
import android.os.Bundle
import android.widget.EditText
import android.widget.ImageView
import androidx.activity.ComponentActivity
import java.text.DateFormat
import java.util.Date
import org.coffre.sample.model.ShareModel
import org.coffre.sample.model.SharingState
import uniffi.coffre_ffi.ShareLifetime

/** Share the ticked documents for a day: a QR code the other person scans, and revoke it after. */
class ShareActivity : ComponentActivity() {
    companion object {
        const val EXTRA_IDS = "org.coffre.sample.document_ids"
    }

    private var observer: AutoCloseable? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        secureWindow()
        val ids = intent.getStringArrayExtra(EXTRA_IDS)?.toList().orEmpty()
        val model = ShareModel(app.coffre, app.background, app.main)
        val purpose = EditText(this).apply { hint = "What for? (shown to them, e.g. pour la CAF)" }
        val create = button("Show a QR code valid for a day") {
            model.share(ids, ShareLifetime.DAY, null, purpose.text.toString().ifBlank { null })
        }
        val qr = ImageView(this).apply { adjustViewBounds = true }.fillHeight()
        val status = label()
        val revoke = button("Stop sharing now") { model.revokeShown() }
        setContentView(column(purpose, create, qr, status, revoke))

        observer = model.state.observe { s ->
            create.isEnabled = s !is SharingState.Working
            revoke.isEnabled = s is SharingState.Shown
            when (s) {
                SharingState.Idle -> status.text = "${ids.size} document(s)"
                SharingState.Working -> status.text = "…"
                is SharingState.Shown -> {
                    // The PNG is 8 px per module: scale it without smoothing so it stays sharp.
                    qr.setImageDrawable(BitmapDrawable(resources, bitmapOf(s.link.qr.png)).apply { setFilterBitmap(false) })
                    val until = DateFormat.getDateTimeInstance().format(Date(s.link.expiresAt.toLong() * 1000))
                    status.text = "Valid until $until · ${s.link.pages} page(s), ${s.link.watermarkedPages} marked COPIE"
                }
                is SharingState.Revoked -> {
                    qr.setImageDrawable(null)
                    status.text = "Stopped: the link no longer opens."
                }
                is SharingState.Failed -> status.text = s.message
            }
        }
    }

    override fun onDestroy() {
        observer?.close()
        super.onDestroy()
    }
}
