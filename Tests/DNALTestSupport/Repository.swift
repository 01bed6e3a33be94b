import Foundation

/// Paths inside the checked-out repository, found from this source file's location so tests run
/// from any working directory.
public enum Repository {
    /// The package root (the folder holding Package.swift).
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// `architectures/NAME`.
    public static func architecture(_ name: String) -> URL {
        root.appendingPathComponent("architectures").appendingPathComponent(name)
    }

    /// Every `architectures/*.yaml`, sorted by name.
    public static func allArchitectures() -> [URL] {
        let dir = root.appendingPathComponent("architectures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { dir.appendingPathComponent($0) }
    }
}
