import Foundation
import Testing
import TestSupport

@testable import ROOTIO

/// Flat TTrees (Combine's `limit` tree layout) written and read back, compressed or not, beside
/// histograms; bad trees are refused.
@Suite struct TreeTests {
  static func limitTree(_ n: Int) -> FlatTree {
    FlatTree(name: "limit", title: "limit", branches: [
      ("limit", .double((0..<n).map { 0.1 * Double($0) })),
      ("limitErr", .double([Double](repeating: 0, count: n))),
      ("mh", .double([Double](repeating: 125, count: n))),
      ("syst", .int([Int32](repeating: 1, count: n))),
      ("iToy", .int((0..<n).map { Int32($0 % 3) })),
      ("quantileExpected", .float((0..<n).map { $0 == 0 ? -1 : Float($0) / Float(n) })),
      ("r", .float((0..<n).map { Float($0) * 0.01 - 0.5 })),
      ("deltaNLL", .float((0..<n).map { Float(($0 - n / 2) * ($0 - n / 2)) / 1000 })),
      ("nll", .double((0..<n).map { 1e5 + Double($0) })),
      ("count", .long((0..<n).map { Int64($0) << 33 })),
    ])
  }

  @Test(arguments: [ROOTCompression.none, .zlib(level: 1), .zlib(level: 9)], [0, 1, 7, 5000])
  func writeAndReadBack(_ compression: ROOTCompression, _ n: Int) throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rc-tree-\(getpid())-\(n).root").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let w = ROOTFileWriter(compression: compression)
    let h = Histogram(name: "h", title: "t", className: "TH1D", dimension: 1, nbinsX: 2, nbinsY: 1,
                      xEdges: [0, 1, 2], yEdges: [], contents: [0, 3, 4, 0], sumw2: [0, 3, 4, 0])
    try w.add(h, at: "shapes/h")
    try w.add(Self.limitTree(n), at: "limit")
    try w.add(Self.limitTree(3), at: "shapes/small")
    try w.write(to: path)
    let f = try ROOTFile(path: path)
    #expect(try f.tree("limit") == Self.limitTree(n))
    var small = Self.limitTree(3)
    small.name = "small"
    #expect(try f.tree("shapes/small") == small)
    #expect(try f.histogram("shapes/h").contents == [0, 3, 4, 0])
    #expect(try f.keys().map(\.className) == ["TDirectory", "TTree"])
  }

  @Test func badTreesAndObjectsAreRefused() throws {
    let w = ROOTFileWriter()
    #expect(throws: ROOTIOError.self) { try w.add(FlatTree(name: "t", title: "", branches: []), at: "t") }
    #expect(throws: ROOTIOError.self) {
      try w.add(FlatTree(name: "t", title: "", branches: [("a", .double([1, 2])), ("b", .int([1]))]), at: "t")
    }
    #expect(throws: ROOTIOError.self) {
      try w.add(FlatTree(name: "t", title: "", branches: [("a", .double([1])), ("a", .int([1]))]), at: "t")
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rc-tree-bad-\(getpid()).root").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let h = Histogram(name: "h", title: "", className: "TH1D", dimension: 1, nbinsX: 1, nbinsY: 1,
                      xEdges: [0, 1], yEdges: [], contents: [0, 1, 0], sumw2: [0, 1, 0])
    try writeROOTFile(path: path, histograms: [("h", h)])
    do {
      _ = try ROOTFile(path: path).tree("h")
      Issue.record("a histogram read as a tree")
    } catch let e as ROOTIOError {
      #expect(e.description.contains("expected a TTree"), "\(e)")
    }
  }

  /// A tree uproot wrote (Fixtures/make_fixtures.py: Combine's 12 limit-tree branches, zlib): our
  /// reader gives uproot's values, types and names.
  @Test func readsUprootsTree() throws {
    let t = try ROOTFile(path: TestPaths.fixtures.appendingPathComponent("uproot_limit_tree.root").path).tree("limit")
    #expect(t.title == "limit" && t.entries == 6)
    #expect(t.branches.map(\.name) == ["limit", "limitErr", "mh", "syst", "iToy", "iSeed", "iChannel", "t_cpu", "t_real",
                                        "quantileExpected", "r", "deltaNLL"])
    let r = (0..<6).map { Float(Double($0) * 0.4) }
    #expect(t.column("r") == .float(r))
    #expect(t.column("deltaNLL") == .float(r.map { ($0 - 1) * ($0 - 1) / 2 }))
    #expect(t.column("iSeed") == .int([Int32](repeating: 123456, count: 6)))
    #expect(t.column("limit") == .double([0.5, 0, 0, 0, 0, 0]))
    #expect(t.column("quantileExpected") == .float([-1, 1, 1, 1, 1, 1]))
  }
}
