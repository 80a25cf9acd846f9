//===--- ScanTable.swift --------------------------------------------------===//
// Combine's `limit`-tree rows as CSV (what `recombine scan --csv` writes): a header naming the
// columns, e.g. `mh,iToy,quantileExpected,r,deltaNLL`. Columns are looked up by name; the POI
// columns are the ones that are not standard limit-tree branches. The first row with
// quantileExpected = −1 is the best fit.
//===----------------------------------------------------------------------===//

import Foundation

public struct ScanTable: Sendable {
  public var columns: [String]
  public var rows: [[Double]]

  /// Standard branches of the limit tree that are never POIs.
  static let standard: Set<String> = [
    "limit", "limitErr", "mh", "syst", "iToy", "iSeed", "iChannel", "t_cpu", "t_real", "quantileExpected", "deltaNLL", "r_best",
  ]

  public init(columns: [String], rows: [[Double]]) { self.columns = columns; self.rows = rows }

  public init(csv text: String, source: String = "CSV") throws {
    var lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
    lines.removeAll { $0.isEmpty || $0.hasPrefix("#") }
    guard let head = lines.first else { throw PlotError("\(source): empty file") }
    columns = head.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    rows = []
    for (k, l) in lines.dropFirst().enumerated() {
      let f = l.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
      guard f.count == columns.count else {
        throw PlotError("\(source): line \(k + 2) has \(f.count) fields, the header has \(columns.count)")
      }
      rows.append(try f.map { s in
        if let v = Double(s) { return v }
        switch s.lowercased() {
        case "nan", "-nan": return .nan
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        default: throw PlotError("\(source): line \(k + 2): '\(s)' is not a number")
        }
      })
    }
  }

  public static func read(_ path: String) throws -> ScanTable {
    guard let data = FileManager.default.contents(atPath: path), let s = String(data: data, encoding: .utf8) else {
      throw PlotError("cannot read '\(path)'")
    }
    return try ScanTable(csv: s, source: path)
  }

  public func column(_ name: String) -> [Double]? {
    columns.firstIndex(of: name).map { i in rows.map { $0[i] } }
  }

  /// POI columns in file order.
  public var poiNames: [String] {
    columns.filter { !Self.standard.contains($0) && !$0.hasPrefix("trackedParam_") && !$0.hasPrefix("trackedError_") }
  }

  /// Index of the best-fit row (first with quantileExpected = −1).
  public var bestFitRow: Int? {
    guard let q = column("quantileExpected") else { return nil }
    return q.firstIndex { $0 == -1 }
  }

  func requireColumn(_ name: String) throws -> [Double] {
    guard let c = column(name) else {
      throw PlotError("no column '\(name)' (columns: \(columns.joined(separator: ", ")))")
    }
    return c
  }

  /// Picks the POIs to plot: the requested ones (checked), else the first `count` POI columns.
  public func pois(_ requested: [String], count: Int) throws -> [String] {
    if !requested.isEmpty {
      guard requested.count == count else { throw PlotError("expected \(count) POI(s), got \(requested.count)") }
      for p in requested where !columns.contains(p) {
        throw PlotError("no column '\(p)' (POI columns: \(poiNames.joined(separator: ", ")))")
      }
      return requested
    }
    let names = poiNames
    guard names.count >= count else {
      throw PlotError("need \(count) POI column(s), found \(names.count) (columns: \(columns.joined(separator: ", ")))")
    }
    return Array(names.prefix(count))
  }

  /// The 1D scan of `poi`: all rows (the best-fit row included, at 2ΔNLL = 0) with 2·deltaNLL.
  /// Combine's error markers (deltaNLL ≥ 9990) are dropped.
  public func scan1D(poi: String, kind: SplineKind = .notAKnot, yCut: Double? = nil) throws -> Scan1D {
    let x = try requireColumn(poi), d = try requireColumn("deltaNLL")
    var xs: [Double] = [], ys: [Double] = []
    for (a, b) in zip(x, d) where b < 9990 { xs.append(a); ys.append(2 * b) }
    return try Scan1D(x: xs, y: ys, kind: kind, yCut: yCut)
  }

  /// The best-fit point of the given POIs (from the quantileExpected = −1 row).
  public func bestFit(_ pois: [String]) -> [Double]? {
    guard let r = bestFitRow else { return nil }
    return pois.map { p in columns.firstIndex(of: p).map { rows[r][$0] } ?? .nan }
  }

  /// The 2D grid of 2·deltaNLL over (x, y), from the grid rows (the best-fit row excluded).
  /// Points the scan did not write are NaN.
  public func grid2D(x px: String, y py: String) throws -> Grid2D {
    let xc = try requireColumn(px), yc = try requireColumn(py), d = try requireColumn("deltaNLL")
    let skip = bestFitRow
    var pts: [(Double, Double, Double)] = []
    for k in rows.indices where k != skip && xc[k].isFinite && yc[k].isFinite { pts.append((xc[k], yc[k], 2 * d[k])) }
    func axis(_ v: [Double]) -> [Double] {
      let s = v.sorted()
      guard let lo = s.first, let hi = s.last else { return [] }
      let tol = max(hi - lo, 1e-300) * 1e-6
      var out: [Double] = []
      for a in s where out.last.map({ a - $0 > tol }) ?? true { out.append(a) }
      return out
    }
    let xs = axis(pts.map { $0.0 }), ys = axis(pts.map { $0.1 })
    guard xs.count >= 2, ys.count >= 2 else {
      throw PlotError("'\(px)' × '\(py)' is not a 2D grid (\(xs.count) × \(ys.count) distinct values)")
    }
    guard pts.count >= xs.count * ys.count / 2 else {
      throw PlotError("the points of '\(px)' × '\(py)' do not form a regular grid (\(pts.count) points for \(xs.count) × \(ys.count) values)")
    }
    func index(_ a: [Double], _ v: Double) -> Int {
      var lo = 0, hi = a.count - 1
      while hi - lo > 1 { let m = (lo + hi) / 2; if a[m] <= v { lo = m } else { hi = m } }
      return abs(a[lo] - v) <= abs(a[hi] - v) ? lo : hi
    }
    var z = [[Double]](repeating: [Double](repeating: .nan, count: ys.count), count: xs.count)
    for (a, b, v) in pts {
      let i = index(xs, a), j = index(ys, b)
      let w = v >= 2 * 9990 ? 1e6 : v
      if z[i][j].isNaN || w < z[i][j] { z[i][j] = w }
    }
    return Grid2D(x: xs, y: ys, z: z)
  }
}
