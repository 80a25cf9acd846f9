import Foundation

/// Paths used by tests: the package root and the shared reference folder beside it.
enum TestPaths {
  static let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let shared: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
  static let reference: URL = shared.appendingPathComponent("reference")
}

extension TestPaths {
  /// Fixtures made by Fixtures/make_fixtures.py (uproot).
  static let fixtures: URL = packageRoot.appendingPathComponent("Tests/ROOTIOTests/Fixtures")

  /// Every `.root` file under reference/combine and reference/corpus, sorted.
  static func referenceROOTFiles() -> [URL] {
    ["combine", "corpus"].flatMap { sub -> [URL] in
      let base = reference.appendingPathComponent(sub)
      let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)?
        .compactMap { $0 as? URL } ?? []
      return files.filter { $0.pathExtension == "root" }
    }.sorted { $0.path < $1.path }
  }

  static func json(_ name: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent(name)))
  }
}

/// Equal, or both NaN.
func sameValue(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

/// Deterministic SplitMix64 generator for the corruption tests.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
