import Foundation

/// The committed inputs of a fuzz target (Tests/FuzzCorpus/TARGET): the seeds, and every crash,
/// hang or difference `make fuzz` found. The normal test suite replays them, so CI guards what
/// the fuzzers found without running a fuzzer.
public enum FuzzCorpus {
    public struct Input: Sendable, CustomStringConvertible {
        public let name: String
        public let bytes: [UInt8]
        public var description: String { name }
    }

    /// Every input of `target`, sorted by name; at least its seed.
    public static func inputs(_ target: String) -> [Input] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("FuzzCorpus").appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { return nil }
            return Input(name: name, bytes: Array(data))
        }
    }
}
