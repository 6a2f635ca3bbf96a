// The sample app: camera capture with the live quad overlay, the vault's list, desk mode, share by
// QR, scan an agent's QR. Two source sets in one module:
//   src/shared/kotlin  plain Kotlin (no android.*): screens' state and actions; compiled and tested
//                      on the JVM by scripts/test-bindings.sh against the host library;
//   src/main/kotlin    Android only (activities, CameraX, views); needs the SDK, not built in CI.
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.coffre.sample"
    compileSdk = 36
    defaultConfig {
        applicationId = "org.coffre.sample"
        minSdk = 26 // Android 8, as the library: the cheap phones people in precarious situations have
        targetSdk = 36 // Google Play: new apps and updates target API 36 from August 2026
        versionCode = 1
        versionName = "0.1"
        // The coffre-server to sync and share through; the emulator reaches the host's 127.0.0.1 here.
        buildConfigField("String", "COFFRE_SERVER_URL", "\"http://10.0.2.2:8080\"")
        // The structure's own certificate authority (PEM, newlines as \n) when its server's HTTPS
        // certificate is not from a public one; empty: public roots only (docs/adr/0013).
        buildConfigField("String", "COFFRE_CA_PEM", "\"\"")
    }
    buildFeatures {
        buildConfig = true
    }
    sourceSets {
        getByName("main") {
            kotlin.srcDirs("src/main/kotlin", "src/shared/kotlin")
        }
    }
    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"))
        }
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
    implementation(project(":coffre"))
    implementation("androidx.core:core-ktx:1.13.1")
    implementation("androidx.activity:activity-ktx:1.9.3")
    val camerax = "1.4.1"
    implementation("androidx.camera:camera-camera2:$camerax")
    implementation("androidx.camera:camera-lifecycle:$camerax")
    implementation("androidx.camera:camera-view:$camerax")
}
