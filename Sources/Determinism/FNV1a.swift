/// 64-bit FNV-1a: fingerprints and digests that are the same on every machine and run. It detects changes
/// and damage; it is not a cryptographic hash.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    public init() {}
    public mutating func mix(_ word: UInt64) { value = (value ^ word) &* 0x100_0000_01b3 }
    /// The string's UTF-8 bytes, then 0xFF, so that ("ab", "c") and ("a", "bc") differ.
    public mutating func mix(_ text: String) {
        for b in text.utf8 { mix(UInt64(b)) }
        mix(UInt64(0xFF))
    }
    /// The value in hexadecimal.
    public var hex: String { String(value, radix: 16) }
}
