import Foundation
import Testing

/// Every workflow script in Examples/ runs to the end with the freshly built `recombine` and
/// writes what it promises.
@Suite struct ExampleScriptTests {
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

  static let scripts: [(name: String, outputs: [String])] = [
    ("longexercise.sh", ["part3_combined.txt", "fit.csv", "scan.csv", "scan.png"]),
    ("eft-scan-h4l-toy.sh", ["chg.csv", "chg.png", "chg_chbox.png", "chg_chbox_contours.json"]),
    ("bit-categories.sh", ["model.json", "bit.txt", "bit_eft.json", "ptz.txt", "scan_cHW.png"]),
    ("tth-multilepton.sh", ["fit.json", "scan.csv", "scan.png"]),
    ("combination.sh", ["combination.txt", "ctg_hzz4l.csv", "ctg_tth.csv", "ctg_combined.csv", "ctg.png"]),
  ]

  @Test(arguments: scripts.map(\.name))
  func runs(_ name: String) throws {
    let bin = try #require(Self.binary, "recombine executable not found next to the tests")
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("rc-example-\(getpid())-\(name)")
    defer { try? FileManager.default.removeItem(at: out) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = [TestPaths.packageRoot.appendingPathComponent("Examples/\(name)").path, bin, TestPaths.shared.path, out.path]
    p.standardOutput = FileHandle.nullDevice
    let err = Pipe()
    p.standardError = err
    try p.run()
    let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, Comment(rawValue: errText.suffix(2000).description))
    for f in Self.scripts.first(where: { $0.name == name })!.outputs {
      #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "\(name): \(f) missing")
    }
  }
}
