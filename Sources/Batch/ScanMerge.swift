//===--- ScanMerge.swift --------------------------------------------------===//
// Merging the chunk outputs of a split scan (`recombine merge-scans`): one header, one best-fit
// row (quantileExpected = −1), the points in global index order without duplicates, and a list
// of what is missing — against the job manifest when there is one, else from the
// `…POINTS.A.B…` file names.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// The result of merging chunk outputs.
public struct ScanMergeResult: Sendable {
  /// Header, best-fit row, then the points in global index order.
  public var table: LimitTreeTable
  /// The global index of each point row of `table` (after the best-fit row), when known (manifest).
  public var pointIndices: [Int?]
  public var inputFiles: [String]
  /// Rows dropped because another input already had that point (the lower deltaNLL is kept).
  public var duplicates = 0
  /// Global point ranges with no row: every unscanned point with a manifest; without one, the gaps
  /// between the `POINTS.A.B` ranges of the file names.
  public var missing: [ClosedRange<Int>] = []
  /// Planned outputs (manifest) that do not exist.
  public var missingFiles: [String] = []
  /// Files with fewer points than their `POINTS.A.B` range (no manifest: the indices are unknown).
  public var incompleteFiles: [(path: String, found: Int, expected: Int)] = []
  /// Tasks (0-based chunk indices) to run again: those with a missing output or missing points.
  public var tasksToRerun: [Int] = []
  /// Warnings (differing best fits, no manifest, …).
  public var notes: [String] = []

  public var missingPointCount: Int { missing.reduce(0) { $0 + $1.count } }
  public var isComplete: Bool { missing.isEmpty && missingFiles.isEmpty && incompleteFiles.isEmpty }

  /// A human-readable account of what is missing (empty when complete).
  public var missingReport: String {
    var lines: [String] = []
    for f in missingFiles { lines.append("missing output: \(f)") }
    for f in incompleteFiles { lines.append("incomplete: \(f.path) has \(f.found) of \(f.expected) points") }
    if !missing.isEmpty {
      let shown = missing.prefix(20).map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
      lines.append("missing points (\(missingPointCount)): \(shown.joined(separator: ","))\(missing.count > 20 ? ",…" : "")")
    }
    if !tasksToRerun.isEmpty { lines.append("tasks to run again: \(tasksToRerun.map(String.init).joined(separator: ","))") }
    return lines.joined(separator: "\n")
  }
}

public enum ScanMerge {
  /// Merges the chunk outputs planned in `manifest` (those that exist) and lists what is missing.
  public static func merge(manifest: ScanJobManifest) throws -> ScanMergeResult {
    guard manifest.toys == nil else { return try mergeToys(manifest: manifest) }
    var inputs: [(String, LimitTreeTable)] = []
    var absent: [String] = []
    for c in manifest.chunks {
      let p = manifest.outputPath(c)
      if FileManager.default.fileExists(atPath: p) { inputs.append((p, try LimitTreeTable.read(p))) } else { absent.append(p) }
    }
    var r = try merge(inputs, manifest: manifest)
    r.missingFiles = absent
    return r
  }

  /// Merges files (read from disk) with an optional manifest.
  public static func merge(files: [String], manifest: ScanJobManifest? = nil, axisNames: [String]? = nil) throws -> ScanMergeResult {
    try merge(files.map { ($0, try LimitTreeTable.read($0)) }, manifest: manifest, axisNames: axisNames)
  }

  /// Merges scan tables. Points are keyed by their global index (with a manifest: from the POI
  /// values on the planned grid) or else by their POI values (`axisNames`, or inferred as the
  /// fewest leading columns after quantileExpected that tell a file's rows apart); sorting by the
  /// values, first POI outermost, is the index order of an ascending grid.
  public static func merge(_ inputs: [(path: String, table: LimitTreeTable)], manifest: ScanJobManifest? = nil,
                           axisNames: [String]? = nil) throws -> ScanMergeResult {
    guard let header = inputs.first?.table.header else {
      guard let manifest else { throw JobSplittingError("no scan files to merge") }
      // Nothing ran yet: everything is missing.
      var r = ScanMergeResult(table: LimitTreeTable(header: [], rows: []), pointIndices: [], inputFiles: [])
      r.missing = [0...(manifest.totalPoints - 1)]
      r.tasksToRerun = manifest.chunks.map(\.index)
      return r
    }
    for (path, t) in inputs.dropFirst() where t.header != header {
      throw JobSplittingError("\(path) has another header than \(inputs[0].path):\n  \(t.header.joined(separator: ","))\n  \(header.joined(separator: ","))")
    }
    guard let qcol = header.firstIndex(of: "quantileExpected"), let dcol = header.firstIndex(of: "deltaNLL") else {
      throw JobSplittingError("\(inputs[0].path): not a scan CSV (no quantileExpected or deltaNLL column)")
    }
    func number(_ s: String, _ path: String) throws -> Double {
      guard let v = Double(s) else { throw JobSplittingError("\(path): '\(s)' is not a number") }
      return v
    }

    // The POI columns.
    let names = manifest?.axes.map(\.name) ?? axisNames
    var axisColumns: [Int]
    var notes: [String] = []
    if let names {
      axisColumns = try names.map { n in
        guard let k = header.firstIndex(of: n) else { throw JobSplittingError("the scan files have no column '\(n)'") }
        return k
      }
    } else {
      let candidates = Array((qcol + 1)..<dcol)
      guard !candidates.isEmpty else { throw JobSplittingError("\(inputs[0].path): no POI column") }
      axisColumns = candidates
      for k in 1...candidates.count {
        let cols = Array(candidates.prefix(k))
        let unique = inputs.allSatisfy { _, t in
          let keys = t.rows.filter { Double($0[qcol]) != -1 }.map { r in cols.map { r[$0] } }
          return Set(keys).count == keys.count
        }
        if unique { axisColumns = cols; break }
      }
    }

    // Best fit: the first row with quantileExpected = −1; the others should be the same fit.
    var bestFit: [String]? = nil
    var bestFitSpread = 0.0
    var points: [(key: [Double], index: Int?, dnll: Double, row: [String], order: Int)] = []
    var order = 0
    for (path, t) in inputs {
      for row in t.rows {
        if try number(row[qcol], path) == -1 {
          if let b = bestFit {
            for (x, y) in zip(b, row) {
              if let u = Double(x), let v = Double(y) { bestFitSpread = max(bestFitSpread, abs(u - v) / max(1, abs(u))) }
            }
          } else {
            bestFit = row
          }
          continue
        }
        let key = try axisColumns.map { try number(row[$0], path) }
        var index: Int? = nil
        if let manifest {
          guard let i = manifest.pointIndex(values: key) else {
            throw JobSplittingError("\(path): the point \(key) is not on the planned grid of \(manifest.manifestName) (another scan?)")
          }
          index = i
        }
        points.append((key, index, try number(row[dcol], path), row, order))
        order += 1
      }
    }
    if bestFitSpread > 1e-6 {
      notes.append(String(format: "the inputs' best-fit rows differ (up to %.3g relative); the first one is kept and each file's deltaNLL is relative to its own best fit", bestFitSpread))
    }
    if bestFit == nil { notes.append("no best-fit row (quantileExpected = -1) in the inputs") }

    // Sort (by index, or by the values with the first POI outermost), then drop duplicates.
    points.sort { a, b in
      if let i = a.index, let j = b.index, i != j { return i < j }
      if a.index == nil || b.index == nil, a.key != b.key { return a.key.lexicographicallyPrecedes(b.key) }
      if a.dnll != b.dnll { return a.dnll < b.dnll }  // of duplicates, the lower minimum first
      return a.order < b.order
    }
    var kept: [(key: [Double], index: Int?, dnll: Double, row: [String], order: Int)] = []
    var duplicates = 0
    for p in points {
      if let last = kept.last, manifest != nil ? last.index == p.index : last.key == p.key {
        duplicates += 1
        continue
      }
      kept.append(p)
    }

    var result = ScanMergeResult(
      table: LimitTreeTable(header: header, rows: (bestFit.map { [$0] } ?? []) + kept.map(\.row)),
      pointIndices: kept.map(\.index), inputFiles: inputs.map(\.path))
    result.duplicates = duplicates

    if let manifest {
      let present = Set(kept.compactMap(\.index))
      let absent = (0..<manifest.totalPoints).filter { !present.contains($0) }
      result.missing = ranges(absent)
      result.tasksToRerun = manifest.chunks.filter { c in absent.contains { c.contains($0) } }.map(\.index)
    } else {
      // Only the file names tell the plan: gaps between their ranges, and short files.
      var covered: [(first: Int, last: Int)] = []
      var unnamed = 0
      for (path, t) in inputs {
        guard let r = JobSplitting.pointRange(inFileName: (path as NSString).lastPathComponent) else { unnamed += 1; continue }
        covered.append(r)
        let found = t.rows.filter { Double($0[qcol]) != -1 }.count
        if found < r.last - r.first + 1 { result.incompleteFiles.append((path, found, r.last - r.first + 1)) }
      }
      covered.sort { $0.first < $1.first }
      var next = 0
      for r in covered {
        if r.first > next { result.missing.append(next...(r.first - 1)) }
        next = max(next, r.last + 1)
      }
      if unnamed == 0 {
        notes.append("no manifest: missing points are found from the POINTS.A.B file names only (the end of the grid and the points inside short files are not known)")
      } else {
        notes.append("no manifest and \(unnamed) file(s) without POINTS.A.B in the name: completeness not checked")
        result.missing = []
        result.incompleteFiles = []
      }
    }
    result.notes = notes
    return result
  }

  /// Sorted integers compressed to ranges.
  public static func ranges(_ sorted: [Int]) -> [ClosedRange<Int>] {
    var out: [ClosedRange<Int>] = []
    for i in sorted {
      if let last = out.last, last.upperBound + 1 == i { out[out.count - 1] = last.lowerBound...i } else { out.append(i...i) }
    }
    return out
  }
}

extension ScanMerge {
  /// A toy study (`manifest.toys` set): the chunk outputs `NAME.TOYS.A.B.csv` concatenated in toy
  /// order under one header. A job writes its CSV only when all its toys are done, so a chunk is
  /// either complete or missing; missing chunks are listed with their tasks. (Toys whose fit did not
  /// converge have no rows in any file.)
  public static func mergeToys(manifest m: ScanJobManifest) throws -> ScanMergeResult {
    guard m.toys != nil else { throw JobSplittingError("\(m.manifestName) plans a scan, not toys") }
    var result = ScanMergeResult(table: LimitTreeTable(header: [], rows: []), pointIndices: [], inputFiles: [])
    for c in m.chunks {
      let path = m.outputPath(c)
      guard FileManager.default.fileExists(atPath: path) else {
        result.missingFiles.append(path)
        result.tasksToRerun.append(c.index)
        continue
      }
      let t = try LimitTreeTable.read(path)
      if result.table.header.isEmpty {
        result.table.header = t.header
      } else if t.header != result.table.header {
        throw JobSplittingError("\(path): columns \(t.header) differ from the other chunks' \(result.table.header)")
      }
      result.table.rows += t.rows
      result.pointIndices += Array(repeating: nil, count: t.rows.count)
      result.inputFiles.append(path)
    }
    return result
  }
}
