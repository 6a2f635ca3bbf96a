package org.coffre.platform

import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.KeyStore
import javax.crypto.KeyGenerator
import javax.crypto.Mac
import javax.crypto.SecretKey
import uniffi.coffre_ffi.PlatformSecretProvider

/**
 * The platform secret mixed with the PIN (DESIGN.md §3): HMAC-SHA256 of a fixed label under a
 * non-exportable key that lives in the Android Keystore (TEE/StrongBox when the phone has one).
 * Always the same 32 bytes on this install; useless off the phone; gone if the app is uninstalled
 * (the recovery kit covers that). Pass one to `Coffre(dir, KeystoreSecretProvider())`.
 *
 * PIN guessing: the core counts wrong PINs in the vault header and makes each try past the third
 * wait longer (`Coffre.unlockAttempts`). The header sits in app-private storage; a copy of the vault
 * files taken off the phone is useless without this Keystore key, so nobody guesses offline, and on
 * the phone only root can reset the count. A key made on a new install (Android 9+) also needs the
 * phone itself to be unlocked (`setUnlockedDeviceRequired`): a thief with a locked phone cannot try
 * Coffre PINs at all. An existing key is kept as it is (changing it would lock the vault out).
 */
class KeystoreSecretProvider(private val alias: String = "coffre.platform-secret.v1") : PlatformSecretProvider {
    override fun platformSecret(): ByteArray {
        val mac = Mac.getInstance(KeyProperties.KEY_ALGORITHM_HMAC_SHA256)
        mac.init(key())
        return mac.doFinal("coffre platform secret v1".toByteArray(Charsets.UTF_8))
    }

    private fun key(): SecretKey {
        val ks = KeyStore.getInstance("AndroidKeyStore").apply { load(null) }
        (ks.getKey(alias, null) as? SecretKey)?.let { return it }
        val gen = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_HMAC_SHA256, "AndroidKeyStore")
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) spec.setUnlockedDeviceRequired(true)
        gen.init(spec.build())
        return gen.generateKey()
    }
}
