package org.coffre.sample.model

import uniffi.coffre_ffi.CoffreException

/**
 * The sentence a screen shows for a failed call. The core's `detail` carries no personal data
 * (bindings/README.md, Errors), so invalid input can show it; anything else gets a fixed text.
 */
fun userMessage(error: Throwable): String = when (error) {
    is CoffreException.WrongPassphrase -> "Wrong PIN or passphrase."
    is CoffreException.Busy -> "Coffre is busy or locked. Try again."
    is CoffreException.NotFound -> "Not found."
    is CoffreException.Network -> "No connection to the server. Try again later."
    is CoffreException.Expired -> "This code or link has expired."
    is CoffreException.Forbidden -> "Not allowed."
    is CoffreException.InvalidInput -> error.detail
    is CoffreException.StorageFull -> "The phone's storage is full."
    is CoffreException.Cancelled -> "Cancelled."
    is CoffreException.Conflict -> "This already exists."
    is CoffreException.Corrupt -> "This data is damaged."
    else -> "Something went wrong."
}
