//===--- Contours.swift ---------------------------------------------------===//
// Contour sets at the usual levels, smoothing of coarse grids, and export as CSV/JSON polygons.
//===----------------------------------------------------------------------===//

import Foundation


/// The contour lines of one level.
public struct Contour: Sendable, Codable {
  public var level: Double
  public var lines: [ContourLine]
  /// Grid points the scan did not evaluate (missing or failed): the region there is unknown.
  public var excludedPoints: Int = 0
}

extension Grid2D {
  /// Contours at each level (2ΔNLL), e.g. `[Level2D.cl68, Level2D.cl95]`, with each open line's
  /// ends classified (`ContourLine.openEnds`) and the count of points not evaluated.
  public func contours(levels: [Double]) -> [Contour] {
    let missing = z.reduce(0) { $0 + $1.filter(\.isNaN).count }
    return levels.map { level in
      var lines = contourLines(level: level)
      for k in lines.indices where !lines[k].isClosed {
        lines[k].openEnds = [lines[k].points.first, lines[k].points.last].compactMap { $0 }.map(endKind)
      }
      return Contour(level: level, lines: lines, excludedPoints: missing)
    }
  }

  /// An open line's end on the grid's outer edge is at the scan boundary; anywhere else it stops
  /// at a cell with a missing corner.
  func endKind(_ p: Point2D) -> ContourEnd {
    let tx = (x[x.count - 1] - x[0]) * 1e-9, ty = (y[y.count - 1] - y[0]) * 1e-9
    let onEdge = abs(p.x - x[0]) <= tx || abs(p.x - x[x.count - 1]) <= tx || abs(p.y - y[0]) <= ty || abs(p.y - y[y.count - 1]) <= ty
    return onEdge ? .scanBoundary : .excludedRegion
  }

  /// The points of the grid that are missing (NaN).
  public var missingPoints: [Point2D] {
    var out: [Point2D] = []
    for i in x.indices { for j in y.indices where z[i][j].isNaN { out.append(Point2D(x[i], y[j])) } }
    return out
  }

  /// A finer grid (`factor` − 1 extra points between neighbours on each axis) by Catmull–Rom
  /// bicubic interpolation in index space; where the 4 × 4 neighbourhood holds a missing value,
  /// bilinear from the 2 × 2 cell (missing if a corner is). Values above `clampAbove` are clamped
  /// first, so huge error markers do not ring into the interesting region.
  public func upsampled(by factor: Int, clampAbove: Double = .infinity) -> Grid2D {
    guard factor > 1, x.count >= 2, y.count >= 2 else { return self }
    let zc = z.map { $0.map { $0.isNaN ? $0 : min($0, clampAbove) } }
    let nx = x.count, ny = y.count
    func fine(_ a: [Double]) -> [Double] {
      var out: [Double] = []
      for i in 0..<(a.count - 1) { for k in 0..<factor { out.append(a[i] + (a[i + 1] - a[i]) * Double(k) / Double(factor)) } }
      out.append(a[a.count - 1]); return out
    }
    func cr(_ p0: Double, _ p1: Double, _ p2: Double, _ p3: Double, _ t: Double) -> Double {
      0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t * t + (-p0 + 3 * p1 - 3 * p2 + p3) * t * t * t)
    }
    func value(_ u: Double, _ v: Double) -> Double {
      let i = min(Int(u), nx - 2), j = min(Int(v), ny - 2)
      let tu = u - Double(i), tv = v - Double(j)
      func at(_ a: Int, _ b: Int) -> Double {
        // Linear extrapolation past the edges keeps the end cells' slopes.
        if b < 0 { return 2 * at(a, 0) - at(a, 1) }
        if b > ny - 1 { return 2 * at(a, ny - 1) - at(a, ny - 2) }
        if a < 0 { return 2 * zc[0][b] - zc[1][b] }
        if a > nx - 1 { return 2 * zc[nx - 1][b] - zc[nx - 2][b] }
        return zc[a][b]
      }
      var cols: [Double] = []
      var ok = true
      for a in (i - 1)...(i + 2) {
        let q = (j - 1...j + 2).map { at(a, $0) }
        if q.contains(where: { $0.isNaN }) { ok = false; break }
        cols.append(cr(q[0], q[1], q[2], q[3], tv))
      }
      if ok { return cr(cols[0], cols[1], cols[2], cols[3], tu) }
      let c = [zc[i][j], zc[i + 1][j], zc[i][j + 1], zc[i + 1][j + 1]]
      if c.contains(where: { $0.isNaN }) { return .nan }
      return (1 - tu) * (1 - tv) * c[0] + tu * (1 - tv) * c[1] + (1 - tu) * tv * c[2] + tu * tv * c[3]
    }
    let fx = fine(x), fy = fine(y)
    var out = [[Double]](repeating: [Double](repeating: 0, count: fy.count), count: fx.count)
    for a in fx.indices { for b in fy.indices {
      out[a][b] = value(Double(a) / Double(factor), Double(b) / Double(factor))
    } }
    return Grid2D(x: fx, y: fy, z: out)
  }
}

/// CSV of contour polygons: `level,line,closed,ends,x,y`, one row per vertex; `ends` is empty for
/// a closed line, else the kinds of its two ends joined by "+" (scanBoundary, excludedRegion).
public func contoursCSV(_ contours: [Contour]) -> String {
  var s = "level,line,closed,ends,x,y\n"
  for c in contours {
    for (k, l) in c.lines.enumerated() {
      let ends = l.openEnds.map(\.rawValue).joined(separator: "+")
      for p in l.points {
        s += "\(String(format: "%.6g", c.level)),\(k),\(l.isClosed ? 1 : 0),\(ends),\(String(format: "%.9g", p.x)),\(String(format: "%.9g", p.y))\n"
      }
    }
  }
  return s
}

/// JSON of contour polygons: `[{"level": …, "excludedPoints": …, "lines": [{"points": [{"x","y"}…],
/// "isClosed": …, "openEnds": [scanBoundary|excludedRegion, …]}]}]`.
public func contoursJSON(_ contours: [Contour]) throws -> String {
  let e = JSONEncoder()
  e.outputFormatting = [.prettyPrinted, .sortedKeys]
  return String(decoding: try e.encode(contours), as: UTF8.self)
}
