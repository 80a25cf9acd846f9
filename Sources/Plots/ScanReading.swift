//===--- ScanTable.swift --------------------------------------------------===//
// Scans as the figures read them from a limit-tree table (`Support.LimitTreeTable`): the POIs to
// draw, the 1D curve of 2ΔNLL and the 2D grid.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// How the figures read a limit-tree table: the POIs to draw, 1D scans and 2D grids.
extension LimitTreeTable {
  func requireColumn(_ name: String) throws -> [Double] {
    guard let c = column(name) else {
      throw PlotError("no column '\(name)' (columns: \(header.joined(separator: ", ")))")
    }
    return c
  }

  /// Picks the POIs to plot: the requested ones (checked), else the first `count` POI columns.
  public func pois(_ requested: [String], count: Int) throws -> [String] {
    if !requested.isEmpty {
      guard requested.count == count else { throw PlotError("expected \(count) POI(s), got \(requested.count)") }
      for p in requested where !header.contains(p) {
        throw PlotError("no column '\(p)' (POI columns: \(poiNames.joined(separator: ", ")))")
      }
      return requested
    }
    let names = poiNames
    guard names.count >= count else {
      throw PlotError("need \(count) POI column(s), found \(names.count) (columns: \(header.joined(separator: ", ")))")
    }
    return Array(names.prefix(count))
  }

  /// The 1D scan of `poi`: all rows (the best-fit row included, at 2ΔNLL = 0) with 2·deltaNLL.
  /// Points not evaluated (a non-finite deltaNLL, or Combine's error markers, deltaNLL ≥ 9990)
  /// are kept as `Scan1D.excluded`.
  public func scan1D(poi: String, kind: SplineKind = .notAKnot, yCut: Double? = nil) throws -> Scan1D {
    let x = try requireColumn(poi), d = try requireColumn("deltaNLL")
    var xs: [Double] = [], ys: [Double] = []
    for (a, b) in zip(x, d) { xs.append(a); ys.append(b < 9990 ? 2 * b : .nan) }
    // A regular grid with holes (points whose fits failed are left out of the table, by Combine
    // and by Recombine): the missing grid values are points not evaluated.
    let grid = Set(x.indices.filter { $0 != bestFitRow }.map { x[$0] }.filter(\.isFinite)).sorted()
    if grid.count >= 3 {
      let diffs = zip(grid.dropFirst(), grid).map { $0 - $1 }
      let step = diffs.min()!
      let multiples = diffs.map { ($0 / step).rounded() }
      if step > 0, zip(diffs, multiples).allSatisfy({ abs($0 - $1 * step) <= 1e-6 * step }), multiples.contains(where: { $0 >= 2 }) {
        for (k, m) in multiples.enumerated() where m >= 2 {
          for j in 1..<Int(m) { xs.append(grid[k] + Double(j) * step); ys.append(.nan) }
        }
      }
    }
    return try Scan1D(x: xs, y: ys, kind: kind, yCut: yCut)
  }

  /// The best-fit point of the given POIs (from the quantileExpected = −1 row).
  public func bestFit(_ pois: [String]) -> [Double]? {
    guard let r = bestFitRow else { return nil }
    return pois.map { p in column(p).map { $0[r] } ?? .nan }
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
