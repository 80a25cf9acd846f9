import Foundation
import Batch

import Support
import Testing

/// Merging the chunk outputs of a split scan (`recombine merge-scans`).
@Suite struct ScanMergeTests {
  /// A synthetic 2D scan (3 × 4 points, index i·4 + j) as `scan --csv` writes it, with one saved
  /// nuisance column: the best-fit row, then one row per point.
  static let xs = [0.125, 0.375, 0.625], ys = [-1.5, -0.5, 0.5, 1.5]
  static let header = ["mh", "iToy", "quantileExpected", "a", "b", "theta", "deltaNLL"]
  static let bestFit = ["125", "0", "-1", "0.2", "0.1", "0.05", "0"]
  static func row(_ flat: Int) -> [String] {
    let i = flat / 4, j = flat % 4
    return ["125", "0", String(0.5 / Double(flat + 1)), String(xs[i]), String(ys[j]), String(0.01 * Double(flat)), String(Double(flat) * 0.25)]
  }
  static func chunk(_ range: ClosedRange<Int>, shuffled: Bool = false) -> LimitTreeTable {
    var rows = range.map(row)
    if shuffled { rows.reverse() }
    return LimitTreeTable(header: header, rows: [bestFit] + rows)
  }
  static func manifest() throws -> ScanJobManifest {
    try ScanJobManifest(taskName: "t", jobMode: .slurm, jobDirectory: "/jobs", workingDirectory: "/work", executable: "/bin/recombine",
                        scanArguments: [], splitPoints: 5, axes: [ScanAxis(name: "a", values: xs), ScanAxis(name: "b", values: ys)],
                        mergedOutput: nil)
  }
  static let full = LimitTreeTable(header: header, rows: [bestFit] + (0..<12).map(row))

  /// Chunks in any order, rows in any order, overlapping chunks and repeated best-fit rows merge
  /// to the full scan: one best-fit row, points by index, no duplicates.
  @Test func mergesTwoDimensionalChunks() throws {
    let m = try Self.manifest()
    #expect(m.chunks.map { [$0.first, $0.last] } == [[0, 4], [5, 9], [10, 11]])
    let inputs: [(path: String, table: LimitTreeTable)] = [
      ("/jobs/t.POINTS.10.11.csv", Self.chunk(10...11)),
      ("/jobs/t.POINTS.0.4.csv", Self.chunk(0...4, shuffled: true)),
      ("/jobs/t.POINTS.5.9.csv", Self.chunk(5...9)),
      ("/jobs/rerun.POINTS.3.6.csv", Self.chunk(3...6)),
    ]
    let r = try ScanMerge.merge(inputs, manifest: m)
    #expect(r.table == Self.full)
    #expect(r.pointIndices == (0..<12).map { $0 })
    #expect(r.duplicates == 4)
    #expect(r.isComplete && r.missing.isEmpty && r.tasksToRerun.isEmpty)
    #expect(r.notes.isEmpty)
    // Without the manifest the POI columns (a, b) are inferred and sorting by them is the same order.
    let n = try ScanMerge.merge(inputs)
    #expect(n.table == Self.full)
    #expect(n.duplicates == 4)
    #expect(n.isComplete)
    // Naming the POI columns does the same.
    #expect(try ScanMerge.merge(inputs, axisNames: ["a", "b"]).table == Self.full)
    // Of two rows for one point the lower deltaNLL is kept.
    var better = Self.chunk(7...7)
    better.rows[1][6] = "-0.5"
    let b = try ScanMerge.merge(inputs + [("/jobs/better.csv", better)], manifest: m)
    #expect(b.table.rows[1 + 7][6] == "-0.5")
    #expect(b.table.rows.count == 13)
  }

  /// A missing chunk, or a chunk with a missing point, is reported with the tasks to run again.
  @Test func reportsMissingChunks() throws {
    let m = try Self.manifest()
    var short = Self.chunk(5...9)
    short.rows.remove(at: 3)  // point 7
    let r = try ScanMerge.merge([("/jobs/t.POINTS.0.4.csv", Self.chunk(0...4)), ("/jobs/t.POINTS.5.9.csv", short)], manifest: m)
    #expect(!r.isComplete)
    #expect(r.missing == [7...7, 10...11])
    #expect(r.missingPointCount == 3)
    #expect(r.tasksToRerun == [1, 2])
    #expect(r.missingReport.contains("missing points (3): 7,10-11"))
    #expect(r.table.rows.count == 1 + 9)
    // Without the manifest: gaps between the POINTS ranges of the file names, and short files.
    let n = try ScanMerge.merge([("/x/t.POINTS.0.4.csv", Self.chunk(0...4)), ("/x/t.POINTS.10.11.csv", Self.chunk(10...11)),
                                 ("/x/t.POINTS.5.9.csv", short)])
    #expect(n.missing.isEmpty)
    #expect(n.incompleteFiles.map(\.path) == ["/x/t.POINTS.5.9.csv"])
    #expect(n.incompleteFiles.first?.found == 4)
    let g = try ScanMerge.merge([("/x/t.POINTS.0.4.csv", Self.chunk(0...4)), ("/x/t.POINTS.10.11.csv", Self.chunk(10...11))])
    #expect(g.missing == [5...9])
    #expect(!g.isComplete)
    // Nothing ran yet.
    let none = try ScanMerge.merge([], manifest: m)
    #expect(none.missing == [0...11] && none.tasksToRerun == [0, 1, 2])
  }

  @Test func rejectsForeignInputs() throws {
    let m = try Self.manifest()
    var other = Self.chunk(0...1)
    other.header[3] = "c"
    #expect(throws: JobSplittingError.self) { try ScanMerge.merge([("a.csv", Self.chunk(0...4)), ("b.csv", other)]) }
    var offGrid = Self.chunk(0...1)
    offGrid.rows[1][3] = "0.2"
    #expect(throws: JobSplittingError.self) { try ScanMerge.merge([("a.csv", offGrid)], manifest: m) }
    #expect(throws: TableError.self) { try LimitTreeTable(csv: "mh,deltaNLL\n1,2,3\n") }
    #expect(ScanMerge.ranges([1, 2, 3, 5, 7, 8]) == [1...3, 5...5, 7...8])
  }
}
