#!/usr/bin/env python3
"""Store packaging checks that need no Android SDK or Xcode (neither runs on this project's machines):
what a store review would refuse, caught in CI instead. The 16 KB page alignment of the native
library is checked on the built library by scripts/check-size.sh (readelf)."""
import plistlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def version(text):
    return tuple(int(x) for x in text.split("."))


lib = (ROOT / "android/coffre/build.gradle.kts").read_text()
sample = (ROOT / "android/sample/build.gradle.kts").read_text()
jna = re.search(r'"net\.java\.dev\.jna:jna:([0-9.]+)@aar"', lib)
check(jna is not None and version(jna.group(1)) >= (5, 16), "JNA 5.16 or later (16 KB-aligned libjnidispatch.so)")
check(re.search(r"targetSdk\s*=\s*36\b", sample) is not None, "the sample targets API 36 (Google Play, August 2026)")
for name, text in [("library", lib), ("sample", sample)]:
    sdk = re.search(r"compileSdk\s*=\s*(\d+)", text)
    check(sdk is not None and int(sdk.group(1)) >= 36, f"the {name} compiles against API 36 or later")
check("`maven-publish`" in lib and 'singleVariant("release")' in lib, "the library publishes an AAR (maven-publish)")
wrapper = (ROOT / "android/gradle/wrapper/gradle-wrapper.properties").read_text()
gradle = re.search(r"gradle-([0-9.]+)-bin\.zip", wrapper)
check(gradle is not None and version(gradle.group(1)) >= (8, 13), "the Gradle wrapper pins Gradle 8.13 or later (AGP 8.11)")
check("max-page-size=16384" in (ROOT / "android/build-rust.sh").read_text(), "Android libraries linked for 16 KB pages")

manifest_path = ROOT / "ios/Sources/Coffre/PrivacyInfo.xcprivacy"
manifest = plistlib.loads(manifest_path.read_bytes())
check(manifest.get("NSPrivacyTracking") is False, "privacy manifest: no tracking")
check(manifest.get("NSPrivacyCollectedDataTypes") == [], "privacy manifest: no data collected")
reasons = {a.get("NSPrivacyAccessedAPIType"): a.get("NSPrivacyAccessedAPITypeReasons", [])
           for a in manifest.get("NSPrivacyAccessedAPITypes", [])}
check("C617.1" in reasons.get("NSPrivacyAccessedAPICategoryFileTimestamp", []),
      "privacy manifest: file timestamps (SQLite's stat/fstat) with reason C617.1")
check('.copy("PrivacyInfo.xcprivacy")' in (ROOT / "ios/Package.swift").read_text(),
      "the Swift package ships the privacy manifest")
keychain = (ROOT / "ios/Sources/Coffre/KeychainSecretProvider.swift").read_text()
check(keychain.count("kSecAttrService as String: service") >= 2, "Keychain items carry a service attribute")

if failures:
    sys.exit(f"{len(failures)} packaging check(s) failed")
