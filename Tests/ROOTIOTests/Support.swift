import Foundation
@_exported import TestSupport


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

