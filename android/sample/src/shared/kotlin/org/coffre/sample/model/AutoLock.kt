package org.coffre.sample.model

import java.util.concurrent.ScheduledExecutorService
import java.util.concurrent.ScheduledFuture
import java.util.concurrent.TimeUnit
import uniffi.coffre_ffi.Coffre

/**
 * Locks the vault once no screen of the app has been visible for [graceMs]: a phone put down on a
 * desk or lent for a call must not keep the documents open (the keys leave memory with `lock()`).
 * The grace covers moving from one screen to another and short trips out (a permission dialog).
 * The platform reports screens becoming visible and hidden; [onLocked] runs on [scheduler]'s thread
 * after a lock.
 */
class AutoLock(
    private val coffre: Coffre,
    private val scheduler: ScheduledExecutorService,
    private val graceMs: Long = 10_000,
    private val onLocked: () -> Unit = {},
) {
    private var visible = 0
    private var pending: ScheduledFuture<*>? = null

    /** A screen of the app became visible: a pending lock is called off. */
    @Synchronized
    fun screenShown() {
        visible++
        pending?.cancel(false)
        pending = null
    }

    /** A screen of the app was hidden; when none is left, the vault locks after the grace time. */
    @Synchronized
    fun screenHidden() {
        visible = maxOf(0, visible - 1)
        if (visible == 0 && pending == null) {
            pending = scheduler.schedule(::lockIfStillHidden, graceMs, TimeUnit.MILLISECONDS)
        }
    }

    private fun lockIfStillHidden() {
        synchronized(this) {
            if (visible > 0) return
            pending = null
        }
        if (!coffre.isUnlocked()) return
        coffre.lock()
        onLocked()
    }
}
