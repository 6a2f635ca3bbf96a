// AGP 8.11 is the first line that builds against API 36 (compileSdk/targetSdk 36); it needs Gradle
// 8.13 or later (gradle/wrapper/gradle-wrapper.properties).
plugins {
    id("com.android.library") version "8.11.1" apply false
    id("com.android.application") version "8.11.1" apply false
    id("org.jetbrains.kotlin.android") version "2.1.0" apply false
}
