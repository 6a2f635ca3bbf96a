import Foundation
import Security

/// The platform secret mixed with the PIN (DESIGN.md §3): 32 random bytes created once and kept in
/// the Keychain, this device only, available after first unlock (not in backups, not synced to
/// iCloud). Pass one to `Coffre(dir: ..., platformSecret: KeychainSecretProvider())`.
///
/// PIN guessing: the core counts wrong PINs in the vault header and makes each try past the third wait
/// longer (`Coffre.unlockAttempts()`). A copy of the app's files (a backup, another Mac) lacks this
/// Keychain item (`ThisDeviceOnly`), so nobody can guess offline against it; on the phone only a
/// jailbreak reaches the header to reset the count.
public final class KeychainSecretProvider: PlatformSecretProvider {
    private let service: String
    private let account: String

    /// `service` names the item's owner: without it, a generic-password item is matched by account
    /// alone and another library of the same app using that account name would read or clobber it.
    public init(service: String = "org.coffre.vault", account: String = "coffre.platform-secret.v1") {
        self.service = service
        self.account = account
    }

    public func platformSecret() throws -> Data {
        if let existing = try read() { return existing }
        var bytes = Data(count: 32)
        let rc = bytes.withUnsafeMutableBytes { SecRandomCopyBytes(kSecRandomDefault, 32, $0.baseAddress!) }
        guard rc == errSecSuccess else { throw CoffreError.Internal(detail: "no randomness") }
        let add: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            kSecValueData as String: bytes,
        ]
        let status = SecItemAdd(add as CFDictionary, nil)
        guard status == errSecSuccess else { throw CoffreError.Internal(detail: "keychain unavailable") }
        return bytes
    }

    private func read() throws -> Data? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecReturnData as String: true,
        ]
        var out: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &out)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = out as? Data else {
            throw CoffreError.Internal(detail: "keychain unavailable")
        }
        return data
    }
}
