package org.coffre.sample.model

import java.util.concurrent.Executor
import uniffi.coffre_ffi.Coffre
import uniffi.coffre_ffi.DeskPage

/** Where the entry screen stands. */
sealed interface UnlockState {
    data object Checking : UnlockState
    data class NoVault(val error: String? = null) : UnlockState
    data class Locked(val error: String? = null) : UnlockState
    data object Working : UnlockState
    data object Unlocked : UnlockState

    /** Desk mode: unlocked straight onto the first pinned page (identity first), to show at a desk. */
    data class Desk(val page: DeskPage) : UnlockState
}

/**
 * Create / unlock / desk mode / lock. Every core call blocks (Argon2id takes a second on a cheap
 * phone), so it runs on [background]; the state changes on `main`.
 */
class UnlockModel(private val coffre: Coffre, private val background: Executor, main: Executor) {
    val state = Observable<UnlockState>(UnlockState.Checking, main)

    fun start() = run({ UnlockState.Locked(it) }) {
        when {
            coffre.isUnlocked() -> UnlockState.Unlocked
            coffre.vaultExists() -> UnlockState.Locked()
            else -> UnlockState.NoVault()
        }
    }

    fun create(pin: String) = run({ UnlockState.NoVault(it) }) {
        coffre.create(pin)
        UnlockState.Unlocked
    }

    fun unlock(pin: String) = run({ UnlockState.Locked(it + attemptsAdvice()) }) {
        coffre.unlock(pin)
        UnlockState.Unlocked
    }

    /**
     * After a wrong PIN: how many in a row, how long the next try waits (the core counts them in the
     * vault header and refuses early tries), and from the second the way out of a forgotten PIN.
     */
    private fun attemptsAdvice(): String {
        val a = try {
            coffre.unlockAttempts()
        } catch (e: Exception) {
            return ""
        }
        if (a.failed < 2u) return ""
        val wait = if (a.waitSecs > 0uL) " Next try in ${a.waitSecs} s." else ""
        return " ${a.failed} wrong PINs in a row.$wait Forgot your PIN? Your recovery kit reopens the vault."
    }

    /** Unlocks and shows the pinned page; without a pinned document it is a plain unlock. */
    fun deskMode(pin: String) = run({ UnlockState.Locked(it) }) {
        coffre.deskMode(pin)?.let { UnlockState.Desk(it) } ?: UnlockState.Unlocked
    }

    /** Leaves desk mode for the document list; the vault stays unlocked. */
    fun leaveDesk() = state.update { if (it is UnlockState.Desk) UnlockState.Unlocked else it }

    /** Back on screen: if the vault was locked meanwhile ([AutoLock]), the PIN screen shows again. */
    fun recheck() = background.execute {
        val open = state.value.let { it == UnlockState.Unlocked || it is UnlockState.Desk }
        if (open && !coffre.isUnlocked()) state.set(UnlockState.Locked())
    }

    fun lock() = run({ UnlockState.Locked(it) }) {
        coffre.lock()
        UnlockState.Locked()
    }

    private fun run(onError: (String) -> UnlockState, call: () -> UnlockState) {
        state.set(UnlockState.Working)
        background.execute { state.set(attempt(call, onError)) }
    }
}

/** [call]'s result, or [onError] of the user's message when it throws. */
internal inline fun <T> attempt(call: () -> T, onError: (String) -> T): T =
    try {
        call()
    } catch (e: Exception) {
        onError(userMessage(e))
    }
