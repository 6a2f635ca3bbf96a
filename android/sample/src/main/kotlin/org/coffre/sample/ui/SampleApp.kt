package org.coffre.sample.ui

import android.app.Activity
import android.app.Application
import android.content.Context
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.os.Bundle
import android.text.InputType
import android.view.View
import android.view.WindowManager
import android.widget.Button
import android.widget.EditText
import android.widget.LinearLayout
import android.widget.TextView
import androidx.core.content.ContextCompat
import java.util.concurrent.Executor
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import org.coffre.platform.KeystoreSecretProvider
import org.coffre.sample.model.AutoLock
import org.coffre.sample.BuildConfig
import uniffi.coffre_ffi.Coffre
import uniffi.coffre_ffi.trustOperatorCa

/** The process's one [Coffre] (its sub-objects share the unlocked vault) and the threads around it. */
class SampleApp : Application() {
    val coffre: Coffre by lazy { Coffre(filesDir.resolve("vault").path, KeystoreSecretProvider()) }

    /** Every core call blocks; calls on one Coffre are serialised anyway, so one thread is enough. */
    val background: ExecutorService = Executors.newSingleThreadExecutor()

    /** Where the models deliver their state: the UI thread. */
    val main: Executor by lazy { ContextCompat.getMainExecutor(this) }

    /** Locks the vault 10 s after the last screen of the app was hidden (see [AutoLock]). */
    private val autoLock by lazy { AutoLock(coffre, Executors.newSingleThreadScheduledExecutor()) }

    override fun onCreate() {
        super.onCreate()
        // HTTPS: the library trusts the public roots compiled into it plus this CA, on every phone;
        // no platform verifier to initialise through JNI (docs/adr/0013-client-tls-trust.md).
        if (BuildConfig.COFFRE_CA_PEM.isNotEmpty()) trustOperatorCa(BuildConfig.COFFRE_CA_PEM)
        registerActivityLifecycleCallbacks(object : Application.ActivityLifecycleCallbacks {
            override fun onActivityStarted(activity: Activity) = autoLock.screenShown()
            override fun onActivityStopped(activity: Activity) = autoLock.screenHidden()
            override fun onActivityCreated(activity: Activity, savedInstanceState: Bundle?) {}
            override fun onActivityResumed(activity: Activity) {}
            override fun onActivityPaused(activity: Activity) {}
            override fun onActivitySaveInstanceState(activity: Activity, outState: Bundle) {}
            override fun onActivityDestroyed(activity: Activity) {}
        })
    }
}

val Activity.app: SampleApp get() = application as SampleApp

/** Screens that show documents or codes: no screenshots, blank in the recent-apps list. */
fun Activity.secureWindow() =
    window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)

// Views built in code: the sample stays a handful of files, with no layouts or resources to read.

fun Context.column(vararg views: View): LinearLayout = LinearLayout(this).apply {
    orientation = LinearLayout.VERTICAL
    setPadding(32, 32, 32, 32)
    views.forEach { addView(it) }
}

fun Context.row(vararg views: View): LinearLayout = LinearLayout(this).apply {
    orientation = LinearLayout.HORIZONTAL
    views.forEach { addView(it) }
}

/** A view that takes the height left in a [column]. */
fun <V : View> V.fillHeight(): V = apply {
    layoutParams = LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f)
}

fun Context.button(label: String, onClick: () -> Unit): Button = Button(this).apply {
    text = label
    setOnClickListener { onClick() }
}

fun Context.label(text: String = "", size: Float = 18f): TextView = TextView(this).apply {
    this.text = text
    textSize = size
}

fun Context.pinField(): EditText = EditText(this).apply {
    hint = "PIN or passphrase"
    inputType = InputType.TYPE_CLASS_TEXT or InputType.TYPE_TEXT_VARIATION_PASSWORD
}

/** A JPEG or PNG from the core (page, thumbnail, QR code) as a bitmap. */
fun bitmapOf(bytes: ByteArray): Bitmap? = BitmapFactory.decodeByteArray(bytes, 0, bytes.size)
