package org.coffre.sample.ui

import android.os.Bundle
import android.view.View
import android.widget.CheckBox
import androidx.activity.ComponentActivity
import androidx.camera.view.PreviewView
import java.util.Locale
import java.util.concurrent.Executors
import org.coffre.sample.model.AgentScanModel
import org.coffre.sample.model.GrantState
import uniffi.coffre_ffi.MandateScope

/**
 * Give a social worker access: scan the QR code on their phone, compare the short code with the
 * one on their screen, tick what they may do, grant for 30 days.
 */
class ScanAgentActivity : ComponentActivity() {
    private val analysisThread = Executors.newSingleThreadExecutor()
    private var observer: AutoCloseable? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        secureWindow()
        val model = AgentScanModel(app.coffre, app.background, app.main)
        val preview = PreviewView(this).fillHeight()
        val who = label()
        val code = label(size = 40f)
        val consult = CheckBox(this).apply {
            text = "They may also see my identity documents (what they have seen stays seen after I revoke)"
        }
        val grant = button("The codes match: give access for 30 days") {
            val scopes = listOf(MandateScope.DEPOSIT) + if (consult.isChecked) listOf(MandateScope.CONSULT) else emptyList()
            model.grant(scopes, listOf("identity"), 30u)
        }
        val again = button("The codes differ: scan again") { model.rescan() }
        val confirm = column(code, consult, grant)
        setContentView(column(preview, who, confirm, again))

        val french = Locale.getDefault().language == "fr"
        observer = model.state.observe { s ->
            confirm.visibility = if (s is GrantState.Confirm) View.VISIBLE else View.GONE
            again.visibility = if (s is GrantState.Confirm || s is GrantState.Failed) View.VISIBLE else View.GONE
            preview.visibility = if (s == GrantState.Scanning) View.VISIBLE else View.GONE
            who.text = when (s) {
                GrantState.Scanning -> "Scan the QR code on the agent's phone"
                is GrantState.Waiting -> if (french) s.offer.identityFr else s.offer.identityEn
                is GrantState.Confirm -> if (french) s.offer.identityFr else s.offer.identityEn
                GrantState.Granting -> "…"
                is GrantState.Granted -> "Access given to ${s.mandate.agent} (${s.mandate.organisation})"
                is GrantState.Failed -> s.message
            }
            if (s is GrantState.Confirm) code.text = s.code
        }
        val analyzer = LumaAnalyzer { frame, _, _ ->
            try {
                model.analyze(frame)
            } catch (e: Exception) {
                // A frame the core rejects: skip it.
            }
        }
        withCamera { bindCamera(this, preview, analysisThread, analyzer) }
    }

    override fun onDestroy() {
        observer?.close()
        analysisThread.shutdown()
        super.onDestroy()
    }
}
