import Foundation

/// Paths used by tests: the package root and the shared reference folder beside it.
enum TestPaths {
  static let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let shared: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
  static let reference: URL = shared.appendingPathComponent("reference")
}
