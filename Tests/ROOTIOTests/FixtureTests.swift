import Foundation
import Testing
@testable import ROOTIO

/// uproot-written fixtures in every compression (Fixtures/make_fixtures.py), compared bit for bit with
/// what uproot reads back (Fixtures/expected.json: doubles as 16-hex-digit bit patterns).
@Suite struct FixtureTests {
  struct Expected {
    var files: [String]
    var histograms: [String: [String: Any]]
  }

  static func expected() throws -> Expected {
    let json = try #require(try TestPaths.json("expected.json") as? [String: Any])
    return Expected(files: try #require(json["files"] as? [String]),
                    histograms: try #require(json["histograms"] as? [String: [String: Any]]))
  }

  static func doubles(_ value: Any?) -> [Double] {
    ((value as? [String]) ?? []).map { Double(bitPattern: UInt64($0, radix: 16)!) }
  }

  static func sameBits(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
  }

  @Test(arguments: ["hists_none.root", "hists_zlib.root", "hists_lzma.root", "hists_lz4.root",
                    "hists_zstd.root", "hists_big.root"])
  func readsBitExactly(_ name: String) throws {
    let expected = try Self.expected()
    #expect(expected.files.contains(name))
    let file = try ROOTFile(path: TestPaths.fixtures.appendingPathComponent(name).path)
    let paths = try file.allHistogramPaths()
    #expect(Set(paths) == Set(expected.histograms.keys.filter { !$0.contains(";") }))
    for (path, e) in expected.histograms {
      let h = try file.histogram(path)
      #expect(h.className == e["class"] as? String, "\(path)")
      #expect(h.title == e["title"] as? String, "\(path)")
      #expect(h.dimension == (h.className.hasPrefix("TH2") ? 2 : 1))
      #expect(h.nbinsX == e["nbinsX"] as? Int && h.nbinsY == e["nbinsY"] as? Int, "\(path)")
      #expect(Self.sameBits(h.xEdges, Self.doubles(e["xEdges"])), "\(path) x edges")
      #expect(Self.sameBits(h.yEdges, Self.doubles(e["yEdges"])), "\(path) y edges")
      #expect(Self.sameBits(h.contents, Self.doubles(e["contents"])), "\(path) contents")
      #expect(Self.sameBits(h.sumw2, Self.doubles(e["sumw2"])), "\(path) sumw2")
    }
  }

  @Test func cyclesSubdirectoriesAndKeys() throws {
    let file = try ROOTFile(path: TestPaths.fixtures.appendingPathComponent("hists_zlib.root").path)
    let top = try file.keys()
    #expect(top.map(\.name) == ["h1d", "h1f", "h1i", "h2d", "h2f", "h1d_1000", "sub", "cycles"])
    #expect(top.first { $0.name == "cycles" }?.cycle == 2)
    #expect(try file.histogram("cycles").title == "second cycle")
    #expect(try file.histogram("cycles;1").title == "first cycle")
    #expect(try file.histogram("cycles;2").binContent(1) == 2)
    #expect(try file.keys(inDirectory: "sub").map(\.name) == ["h1d", "deeper"])
    #expect(try file.keys(inDirectory: "/sub/deeper/").map(\.className) == ["TH1F"])
    #expect(try file.className(of: "sub/deeper/h1f") == "TH1F")
    #expect(try file.className(of: "sub") == "TDirectory")
    #expect(try file.className(of: "sub/nothing") == nil)
    #expect(try file.className(of: "nothing/h1f") == nil)
    #expect(try file.allHistogramPaths().contains("sub/deeper/h1f"))
  }

  @Test func accessors() throws {
    let file = try ROOTFile(path: TestPaths.fixtures.appendingPathComponent("hists_none.root").path)
    let h1 = try file.histogram("h1d")
    #expect(h1.values == Array(h1.contents[1...h1.nbinsX]))
    #expect(h1.sumw2.isEmpty)
    #expect(h1.binError(4) == abs(h1.binContent(4)).squareRoot())  // content -1.25: error √1.25
    #expect(h1.errors.count == h1.nbinsX)
    #expect(h1.integral() == h1.values.reduce(0, +))
    let f = try file.histogram("h1f")
    #expect(f.binError(1) == f.sumw2[1].squareRoot())
    #expect(f.binError(2).isNaN)
    let h2 = try file.histogram("h2d")
    #expect(h2.contents.count == (h2.nbinsX + 2) * (h2.nbinsY + 2))
    #expect(h2.values.count == h2.nbinsX * h2.nbinsY)
    #expect(h2.binContent(1, 1) == h2.contents[h2.nbinsX + 3])
    let inRange = (1...h2.nbinsY).flatMap { iy in (1...h2.nbinsX).map { ix in h2.binContent(ix, iy) } }
    #expect(h2.integral() == inRange.reduce(0, +))
    #expect(h2.errors[0] == h2.sumw2[h2.globalBin(1, 1)].squareRoot())
  }
}
