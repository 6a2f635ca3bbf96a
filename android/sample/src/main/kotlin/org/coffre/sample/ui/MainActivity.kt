package org.coffre.sample.ui

import android.content.Intent
import android.os.Bundle
import android.view.View
import android.widget.ArrayAdapter
import android.widget.EditText
import android.widget.FrameLayout
import android.widget.ImageView
import android.widget.ListView
import android.widget.ProgressBar
import android.widget.Toast
import androidx.activity.ComponentActivity
import androidx.core.widget.doAfterTextChanged
import org.coffre.sample.BuildConfig
import org.coffre.sample.model.DocumentsModel
import org.coffre.sample.model.SyncModel
import org.coffre.sample.model.SyncState
import org.coffre.sample.model.UnlockModel
import org.coffre.sample.model.UnlockState
import uniffi.coffre_ffi.DeskPage

/** Entry screen: create or unlock the vault, desk mode, then the document list and the actions. */
class MainActivity : ComponentActivity() {
    private lateinit var unlock: UnlockModel
    private lateinit var documents: DocumentsModel
    private lateinit var sync: SyncModel
    private lateinit var root: FrameLayout
    private var observer: AutoCloseable? = null

    /** Observers of the screen on display, closed when another one replaces it. */
    private val screen = mutableListOf<AutoCloseable>()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        secureWindow()
        unlock = UnlockModel(app.coffre, app.background, app.main)
        documents = DocumentsModel(app.coffre, app.background, app.main)
        sync = SyncModel(app.coffre, app.background, app.main, allowPlainHttp = BuildConfig.DEBUG)
        root = FrameLayout(this)
        setContentView(root)
        observer = unlock.state.observe(::render)
        unlock.start()
    }

    override fun onResume() {
        super.onResume()
        if (unlock.state.value == UnlockState.Unlocked) documents.refresh() // back from a capture
        unlock.recheck() // back from the background: the vault may have been auto-locked meanwhile
    }

    override fun onDestroy() {
        observer?.close()
        screen.forEach { it.close() }
        super.onDestroy()
    }

    private fun render(state: UnlockState) {
        screen.forEach { it.close() }
        screen.clear()
        root.removeAllViews()
        root.addView(
            when (state) {
                UnlockState.Checking, UnlockState.Working -> ProgressBar(this)
                is UnlockState.NoVault -> pinScreen("Choose a PIN or passphrase", state.error, "Create" to unlock::create)
                is UnlockState.Locked ->
                    pinScreen("Coffre is locked", state.error, "Unlock" to unlock::unlock, "Desk mode" to unlock::deskMode)
                is UnlockState.Desk -> deskScreen(state.page)
                UnlockState.Unlocked -> listScreen()
            },
        )
    }

    private fun pinScreen(title: String, error: String?, vararg actions: Pair<String, (String) -> Unit>): View {
        val pin = pinField()
        val buttons = actions.map { (label, action) ->
            button(label) {
                val text = pin.text.toString()
                pin.text.clear()
                action(text)
            }
        }
        return column(label(title, 22f), pin, label(error.orEmpty()), row(*buttons.toTypedArray()))
    }

    /** Desk mode: the pinned page full screen, to show at a counter without browsing the vault. */
    private fun deskScreen(page: DeskPage): View {
        val image = ImageView(this).apply { setImageBitmap(bitmapOf(page.bytes)) }.fillHeight()
        return column(label(page.document.title.ifEmpty { page.document.categoryLabel }), image, button("Done") { unlock.leaveDesk() })
    }

    private fun listScreen(): View {
        val search = EditText(this).apply {
            hint = "Search"
            doAfterTextChanged { documents.search(it.toString()) }
        }
        val status = label(size = 14f)
        // One adapter, refilled: a new adapter would clear the ticks.
        val titles = ArrayAdapter<String>(this, android.R.layout.simple_list_item_multiple_choice, mutableListOf())
        val list = ListView(this).apply {
            choiceMode = ListView.CHOICE_MODE_MULTIPLE
            adapter = titles
        }.fillHeight()
        screen += documents.state.observe { s ->
            titles.clear()
            titles.addAll(s.documents.map { (if (it.pinned) "★ " else "") + it.title.ifEmpty { it.categoryLabel } })
            status.text = s.error ?: if (s.loading) "…" else "${s.documents.size} documents · long press to pin"
        }
        list.setOnItemLongClickListener { _, _, i, _ ->
            documents.state.value.documents.getOrNull(i)?.let { documents.setPinned(it.id, !it.pinned) }
            true
        }
        val syncStatus = label(size = 14f)
        screen += sync.state.observe { s ->
            syncStatus.text = when (s) {
                SyncState.Idle -> ""
                is SyncState.Syncing -> "Syncing… ${s.progress?.done ?: 0}/${s.progress?.total ?: 0}"
                is SyncState.Done -> "Synced"
                is SyncState.Failed -> s.message
            }
            if (s is SyncState.Done) documents.refresh()
        }
        documents.refresh()
        val share = button("Share") {
            val ids = documents.state.value.documents.filterIndexed { i, _ -> list.isItemChecked(i) }.map { it.id }
            if (ids.isEmpty()) {
                Toast.makeText(this, "Tick the documents to share.", Toast.LENGTH_SHORT).show()
            } else {
                startActivity(Intent(this, ShareActivity::class.java).putExtra(ShareActivity.EXTRA_IDS, ids.toTypedArray()))
            }
        }
        return column(
            search,
            status,
            list,
            syncStatus,
            row(button("Capture") { startActivity(Intent(this, CaptureActivity::class.java)) }, share),
            row(
                button("Agent access") { startActivity(Intent(this, ScanAgentActivity::class.java)) },
                button("Sync") { sync.syncNow(BuildConfig.COFFRE_SERVER_URL) },
                button("Lock") { unlock.lock() },
            ),
        )
    }
}
