package org.coffre.sample.model

import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.Executor

/**
 * A screen's state without AndroidX: changed from any thread (the camera's analysis thread, the
 * background executor), observed on the `main` executor (the UI thread on Android, the main queue
 * on iOS). [value] is always the latest state, so a test can read it from its own thread.
 */
class Observable<S>(initial: S, private val main: Executor) {
    private val lock = Any()
    private val listeners = CopyOnWriteArrayList<(S) -> Unit>()

    @Volatile
    var value: S = initial
        private set

    /** Calls [listener] now (on the caller's thread) and on `main` after every change; close to stop. */
    fun observe(listener: (S) -> Unit): AutoCloseable {
        listeners.add(listener)
        listener(value)
        return AutoCloseable { listeners.remove(listener) }
    }

    /** Replaces the state atomically with [change] of the current one, then notifies. */
    fun update(change: (S) -> S) {
        val next = synchronized(lock) { change(value).also { value = it } }
        main.execute { listeners.forEach { it(next) } }
    }

    fun set(next: S) = update { next }
}
