// Gradle library module over the generated Kotlin bindings. See README.md (not built in CI here:
// the Android SDK/NDK cannot be downloaded on this project's machines).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "coffre-android"
include(":coffre")
