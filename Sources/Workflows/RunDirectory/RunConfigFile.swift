import Foundation

/// `RUN/config.json`: every setting of the run and the program version that wrote them.
public struct RunConfigFile: Sendable {
    public let url: URL

    private struct Contents: Codable {
        var settings: RunSettings
        var version: String
        var format: Int
    }

    /// Saves the settings with the program version (atomically).
    public func save(_ settings: RunSettings) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try enc.encode(Contents(settings: settings, version: WBCVersion.current, format: 1))
        try AtomicText.write(String(decoding: data, as: UTF8.self) + "\n", to: url)
    }

    /// The settings saved by an earlier command, if any.
    public func load() throws -> RunSettings? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        do {
            guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any], let s = obj["settings"] else {
                throw WorkflowError("no settings object")
            }
            return try RunSettings.decodeLenient(JSONSerialization.data(withJSONObject: s))
        } catch {
            throw WorkflowError("\(url.path) is not a wbc run configuration (\(error)); use another \(setting: .run) directory")
        }
    }
}
