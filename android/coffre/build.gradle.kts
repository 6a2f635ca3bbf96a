// The `coffre` Android library: generated Kotlin (uniffi) + JNA + the Rust cdylib per ABI.
// Run ../build-rust.sh first: it fills src/main/jniLibs/<abi>/libcoffre_ffi.so and
// src/main/kotlin/uniffi/coffre_ffi/coffre_ffi.kt.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.coffre"
    compileSdk = 35
    defaultConfig {
        minSdk = 26 // Android 8 (DESIGN.md §1)
        consumerProguardFiles("consumer-rules.pro")
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
}

dependencies {
    // JNA as an AAR: it ships libjnidispatch.so for every Android ABI.
    implementation("net.java.dev.jna:jna:5.13.0@aar")
}
