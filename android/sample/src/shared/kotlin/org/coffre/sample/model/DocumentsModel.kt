package org.coffre.sample.model

import java.util.concurrent.Executor
import uniffi.coffre_ffi.Coffre
import uniffi.coffre_ffi.Document
import uniffi.coffre_ffi.ListQuery

data class DocumentsState(
    val documents: List<Document> = emptyList(),
    val query: String = "",
    val loading: Boolean = false,
    val error: String? = null,
)

/** The vault's list: all documents, or a search; pin and unpin for desk mode. */
class DocumentsModel(private val coffre: Coffre, private val background: Executor, main: Executor) {
    val state = Observable(DocumentsState(), main)

    /** Reloads the list for the current query (after a capture, a sync, a pin). */
    fun refresh() = search(state.value.query)

    fun search(text: String) {
        state.update { it.copy(query = text, loading = true, error = null) }
        background.execute {
            try {
                val docs = coffre.vault().use { v ->
                    if (text.isBlank()) v.list(ListQuery()) else v.search(text, null)
                }
                // A newer search may have started meanwhile: only its own results may land.
                state.update { if (it.query == text) it.copy(documents = docs, loading = false) else it }
            } catch (e: Exception) {
                state.update { it.copy(loading = false, error = userMessage(e)) }
            }
        }
    }

    fun setPinned(id: String, pinned: Boolean) {
        background.execute {
            try {
                coffre.vault().use { it.setPinned(id, pinned) }
                refresh()
            } catch (e: Exception) {
                state.update { it.copy(error = userMessage(e)) }
            }
        }
    }
}
