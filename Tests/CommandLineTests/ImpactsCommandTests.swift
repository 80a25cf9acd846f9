import Foundation
import Inference
import Testing
import TestSupport

@Suite struct ImpactsCommandTests {
  /// `recombine impacts` writes impacts.json and a PNG plot.
  @Test func commandWritesPlot() throws {
    let bin = try #require(Recombine.binary, "recombine executable not found next to the tests")
    let dir0 = FileManager.default.temporaryDirectory.appendingPathComponent("rc-impacts-cli-\(getpid())")
    try FileManager.default.createDirectory(at: dir0, withIntermediateDirectories: true)
    let url = dir0.appendingPathComponent("counting.txt")
    try TestCards.countingOneBin.write(to: url, atomically: true, encoding: .utf8)
    let dir = url.deletingLastPathComponent()
    defer { try? FileManager.default.removeItem(at: dir) }
    let json = dir.appendingPathComponent("impacts.json").path, png = dir.appendingPathComponent("impacts.png").path
    let p = Process()
    p.executableURL = URL(fileURLWithPath: bin)
    p.arguments = ["impacts", url.path, "-o", json, "--plot", png, "--threads", "1"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    let res = try ImpactsResult.read(Data(contentsOf: URL(fileURLWithPath: json)))
    #expect(res.params.map(\.name) == ["bkgUnc"])
    let head = try Data(contentsOf: URL(fileURLWithPath: png)).prefix(8)
    #expect(Array(head) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
  }
}
