// The `coffre` Android library: generated Kotlin (uniffi) + JNA + the Rust cdylib per ABI.
// Run ../build-rust.sh first: it fills src/main/jniLibs/<abi>/libcoffre_ffi.so and
// src/main/kotlin/uniffi/coffre_ffi/coffre_ffi.kt.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
    `maven-publish`
}

android {
    namespace = "org.coffre"
    compileSdk = 36 // Android 16: what Google Play requires apps to target from August 2026
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
    // One AAR for apps to depend on (`./gradlew :coffre:publishReleasePublicationToMavenLocal`, or a
    // repository added below), with its sources.
    publishing {
        singleVariant("release") {
            withSourcesJar()
        }
    }
}

publishing {
    publications {
        register<MavenPublication>("release") {
            groupId = "org.coffre"
            artifactId = "coffre"
            version = "0.1.0"
            afterEvaluate { from(components["release"]) }
            pom {
                name.set("Coffre")
                description.set("Coffre-fort numérique: the Rust core (uniffi) for Android apps")
                licenses {
                    license {
                        name.set("AGPL-3.0-or-later")
                    }
                }
            }
        }
    }
}

dependencies {
    // JNA as an AAR: it ships libjnidispatch.so for every Android ABI. Phones with 16 KB pages
    // (Android 15+) refuse 4 KB-aligned libraries and Google Play requires 16 KB alignment: JNA 5.16
    // links libjnidispatch for 16 KB pages (jna#1618) and the tracker reports crashes on such phones
    // fixed after it (jna#1642, jna#1647), so take 5.17. scripts/check-packaging.py keeps >= 5.16.
    implementation("net.java.dev.jna:jna:5.17.0@aar")
}
