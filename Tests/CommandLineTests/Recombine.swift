//===--- Recombine.swift --------------------------------------------------===//
// The `recombine` executable of this build, and running it.
//===----------------------------------------------------------------------===//

import Foundation
import TestSupport

enum Recombine {
  /// The `recombine` executable next to the test bundle (same build folder).
  static var binary: String? {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for dir in [bundle, bundle.deletingLastPathComponent()] {
      let candidate = dir.appendingPathComponent("recombine").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    let fallback = TestPaths.packageRoot.appendingPathComponent(".build/debug/recombine").path
    return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
  }

  static func run(_ bin: String, _ arguments: [String], in dir: String) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProgram(bin, arguments, in: dir)
  }
}
