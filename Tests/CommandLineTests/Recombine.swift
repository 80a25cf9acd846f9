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
    let p = Process()
    p.executableURL = URL(fileURLWithPath: bin)
    p.arguments = arguments
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    // Standard error goes to a file, so that the two streams cannot block each other.
    let errPath = dir + "/.stderr-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errPath) }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    try p.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let errData = FileManager.default.contents(atPath: errPath) ?? Data()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
  }
}
