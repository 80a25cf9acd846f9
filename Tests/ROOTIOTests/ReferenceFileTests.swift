import Foundation
import Testing
import TestSupport
@testable import ROOTIO

/// The C++-ROOT-written files under reference/, checked against numbers computed independently by uproot
/// (Fixtures/reference_summary.json, made by Fixtures/make_fixtures.py).
@Suite struct ReferenceFileTests {
  /// Relative agreement to 1e-12 of the scale of the summed terms (NaN-aware; `nil` = not stored).
  func close(_ a: Double?, _ b: Any, scale: Double) -> Bool {
    guard let a else { return b is NSNull }
    if let s = b as? String { return s == "nan" ? a.isNaN : a == Double(s) }
    guard let b = (b as? NSNumber)?.doubleValue else { return false }
    return sameValue(a, b) || abs(a - b) <= 1e-12 * max(scale, abs(b)) + 1e-300
  }

  @Test(.needsReference) func everyReferenceHistogramMatchesUproot() throws {
    let summary = try #require(try TestPaths.json("reference_summary.json") as? [[String: Any]])
    let files = TestPaths.referenceROOTFiles()
    #expect(files.count == 9)
    #expect(Set(summary.compactMap { $0["file"] as? String })
      == Set(files.map { String($0.path.dropFirst(TestPaths.reference.path.count + 1)) }))
    var checked = 0
    for entry in summary {
      let relative = try #require(entry["file"] as? String)
      let rows = try #require(entry["histograms"] as? [[Any]])
      let file = try ROOTFile(path: TestPaths.reference.appendingPathComponent(relative).path)
      let paths = try file.allHistogramPaths()
      #expect(Set(paths) == Set(rows.compactMap { $0[0] as? String }), "\(relative)")
      for row in rows {
        let path = try #require(row[0] as? String)
        let h = try file.histogram(path)
        #expect(h.className == row[1] as? String)
        #expect(h.nbinsX == (row[2] as? NSNumber)?.intValue)
        #expect(h.contents.count == h.nbinsX + 2)
        let weighted = h.contents.enumerated().map { Double($0.offset) * $0.element }
        let edgeSum = h.xEdges.reduce(0, +)
        #expect(close(h.integral(), row[3], scale: h.values.map(abs).reduce(0, +)), "\(relative) \(path)")
        #expect(close(weighted.reduce(0, +), row[4], scale: weighted.map(abs).reduce(0, +)), "\(relative) \(path)")
        #expect(close(h.sumw2.isEmpty ? nil : h.sumw2.reduce(0, +), row[5], scale: h.sumw2.map(abs).reduce(0, +)),
                "\(relative) \(path)")
        #expect(close(edgeSum, row[6], scale: h.xEdges.map(abs).reduce(0, +)), "\(relative) \(path)")
        checked += 1
      }
    }
    // Every histogram of the 9 files (Fixtures/reference_summary.json lists 2929).
    #expect(checked == 2929)
  }

  /// reference/combine/shapes_simple_TH1/card/simple-shapes-TH1.txt says `observation 85` and
  /// `rate 10 100` for signal and background, with shapes from simple-shapes-TH1_input.root.
  @Test(.needsReference) func integralsMatchTheDatacardRates() throws {
    let file = try ROOTFile(path: TestPaths.reference
      .appendingPathComponent("combine/shapes_simple_TH1/card/simple-shapes-TH1_input.root").path)
    for (name, rate) in [("signal", 10.0), ("background", 100.0), ("data_obs", 85.0)] {
      let h = try file.histogram(name)
      #expect(h.className == "TH1F")
      #expect(abs(h.integral() - rate) <= 1e-5 * rate, "\(name): \(h.integral()) vs \(rate)")
    }
    #expect(try file.className(of: "signal") == "TH1F")
    #expect(try file.className(of: "nothing") == nil)
  }

  @Test(.needsReference) func subdirectoriesOfAReferenceFile() throws {
    let file = try ROOTFile(path: TestPaths.reference
      .appendingPathComponent("corpus/data/ci/htt_multiple_regions.input.root").path)
    let top = try file.keys()
    #expect(top.count == 3 && top.allSatisfy { $0.className.hasPrefix("TDirectory") })
    let inner = try file.keys(inDirectory: top[0].name)
    #expect(!inner.isEmpty && inner.allSatisfy { $0.className == "TH1F" })
    let h = try file.histogram(top[0].name + "/" + inner[0].name)
    #expect(h.name == inner[0].name && h.title == inner[0].title)
  }
}
