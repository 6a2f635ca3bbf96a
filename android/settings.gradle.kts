// The `coffre` library module over the generated Kotlin bindings, and the `sample` app. See
// README.md (not built in CI here: the Android SDK/NDK cannot be downloaded on this project's
// machines; the sample's platform-independent layer is compiled and tested on the JVM).
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
include(":coffre", ":sample")
