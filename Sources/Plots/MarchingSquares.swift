//===--- MarchingSquares.swift --------------------------------------------===//
// Iso-contours of a function sampled on a regular (rectilinear) grid.
//
// Each cell is walked counter-clockwise (corners (i,j), (i+1,j), (i+1,j+1), (i,j+1)); a corner is
// "inside" when its value is below the level. Where the walk leaves the inside region an edge
// crossing is an exit, where it re-enters an enter; every contour segment goes exit → enter, so the
// inside always lies on the left and closed contours around a minimum run counter-clockwise.
// Saddle cells (two diagonal corners inside) are resolved by the average of the four corners
// (the cell centre): inside centre → one connected region, else two separate corners.
//===----------------------------------------------------------------------===//

/// A point in data coordinates.
public struct Point2D: Sendable, Hashable, Codable {
  public var x: Double
  public var y: Double
  public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// Values z[i][j] = f(x[i], y[j]) on a rectilinear grid; NaN marks a missing point (cells touching
/// one are skipped).
public struct Grid2D: Sendable {
  public var x: [Double]
  public var y: [Double]
  /// z[i][j], i along x, j along y.
  public var z: [[Double]]

  public init(x: [Double], y: [Double], z: [[Double]]) {
    precondition(z.count == x.count && z.allSatisfy { $0.count == y.count }, "Grid2D: z must be x.count × y.count")
    self.x = x; self.y = y; self.z = z
  }

  /// Samples `f` on the grid x × y.
  public init(x: [Double], y: [Double], _ f: (Double, Double) -> Double) {
    self.init(x: x, y: y, z: x.map { xi in y.map { yj in f(xi, yj) } })
  }

  /// The smallest finite value and where it is.
  public var minimum: (value: Double, at: Point2D)? {
    var best: (Double, Point2D)?
    for i in x.indices { for j in y.indices where z[i][j].isFinite {
      if best == nil || z[i][j] < best!.0 { best = (z[i][j], Point2D(x[i], y[j])) }
    } }
    return best.map { (value: $0.0, at: $0.1) }
  }
}

/// One connected piece of an iso-contour. Closed polylines repeat no point (the last connects to
/// the first); open ones end on the grid boundary or at a missing point.
public struct ContourLine: Sendable, Codable {
  public var points: [Point2D]
  public var isClosed: Bool
  /// For an open line, where each of its two ends lies (set by `Grid2D.contours(levels:)`): on the
  /// scanned region's boundary (the region continues outside the scan) or on the edge of points
  /// the scan could not evaluate (the region is cut there, not closed).
  public var openEnds: [ContourEnd] = []
  /// Signed shoelace area (positive when counter-clockwise, i.e. around a region below the level).
  /// Meaningful for closed lines.
  public var signedArea: Double { shoelaceArea(points) }
}

/// Where an open contour line ends.
public enum ContourEnd: String, Sendable, Codable {
  case scanBoundary, excludedRegion
}

/// Signed area of a polygon (shoelace formula); positive for counter-clockwise vertices.
public func shoelaceArea(_ p: [Point2D]) -> Double {
  guard p.count >= 3 else { return 0 }
  var s = 0.0
  for k in p.indices {
    let a = p[k], b = p[(k + 1) % p.count]
    s += a.x * b.y - b.x * a.y
  }
  return s / 2
}

extension Grid2D {
  /// Identifies a grid edge: horizontal (i,j)–(i+1,j) or vertical (i,j)–(i,j+1).
  private struct Edge: Hashable { var i: Int, j: Int, vertical: Bool }

  /// Walks one cell: returns the inside polygons (for filling) and the contour segments (exit →
  /// enter, as edge ids and points). Nil when the cell has a missing corner.
  private func cell(_ i: Int, _ j: Int, _ level: Double)
    -> (polygons: [[Point2D]], segments: [(Edge, Point2D, Edge, Point2D)])?
  {
    let ci = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
    let v = ci.map { z[$0.0][$0.1] }
    guard v.allSatisfy({ !$0.isNaN }) else { return nil }
    let inside = v.map { $0 < level }
    let corner = ci.map { Point2D(x[$0.0], y[$0.1]) }
    let edges = [Edge(i: i, j: j, vertical: false), Edge(i: i + 1, j: j, vertical: true),
                 Edge(i: i, j: j + 1, vertical: false), Edge(i: i, j: j, vertical: true)]
    if inside.allSatisfy({ $0 }) { return ([corner], []) }
    if !inside.contains(true) { return ([], []) }
    // Crossings in walk order: edge k joins corner k and corner k+1.
    var cross: [(k: Int, exit: Bool, p: Point2D)] = []
    for k in 0..<4 where inside[k] != inside[(k + 1) % 4] {
      let a = v[k], b = v[(k + 1) % 4]
      var t = (level - a) / (b - a)
      if !t.isFinite { t = 0.5 }
      t = min(max(t, 0), 1)
      let pa = corner[k], pb = corner[(k + 1) % 4]
      cross.append((k, inside[k], Point2D(pa.x + t * (pb.x - pa.x), pa.y + t * (pb.y - pa.y))))
    }
    // Pair each exit with an enter: the next one along the walk, except in a saddle whose centre
    // is outside, where the region around each inside corner closes on the previous one.
    let saddle = cross.count == 4
    let connected = !saddle || (v.reduce(0, +) / 4) < level
    let n = cross.count
    var partner = [Int](repeating: -1, count: n)
    for a in 0..<n where cross[a].exit {
      partner[a] = connected ? (a + 1) % n : (a + n - 1) % n
    }
    let segments = (0..<n).filter { cross[$0].exit }.map { a in
      (edges[cross[a].k], cross[a].p, edges[cross[partner[a]].k], cross[partner[a]].p)
    }
    // Inside polygons: walk corners and crossings; at an exit jump to its partner enter.
    var polygons: [[Point2D]] = []
    var usedEnter = Set<Int>()
    for start in 0..<n where !cross[start].exit && !usedEnter.contains(start) {
      var poly: [Point2D] = []
      var c = start
      while !usedEnter.contains(c) {
        usedEnter.insert(c)
        poly.append(cross[c].p)
        // Corners after edge k until the next exit.
        var k = (cross[c].k + 1) % 4
        while inside[k] { poly.append(corner[k]); if let e = cross.firstIndex(where: { $0.k == k }), cross[e].exit { break }; k = (k + 1) % 4 }
        let e = cross.firstIndex { $0.k == k && $0.exit }!
        poly.append(cross[e].p)
        c = partner[e]
      }
      polygons.append(poly)
    }
    return (polygons, segments)
  }

  /// The iso-contour `f = level` as polylines, joined across cells and oriented with the region
  /// below the level on the left.
  public func contourLines(level: Double) -> [ContourLine] {
    guard x.count >= 2, y.count >= 2 else { return [] }
    var next: [Edge: (Edge, Point2D)] = [:]  // start edge → (end edge, end point)
    var startPoint: [Edge: Point2D] = [:]
    var hasPredecessor = Set<Edge>()
    var order: [Edge] = []  // start edges in grid order: the lines come out the same on every run
    for i in 0..<(x.count - 1) { for j in 0..<(y.count - 1) {
      guard let c = cell(i, j, level) else { continue }
      for (e0, p0, e1, p1) in c.segments {
        if next[e0] == nil { order.append(e0) }
        next[e0] = (e1, p1); startPoint[e0] = p0; hasPredecessor.insert(e1)
      }
    } }
    var lines: [ContourLine] = []
    var visited = Set<Edge>()
    // Open lines first (their start has no predecessor), then the remaining closed loops.
    let starts = order.filter { !hasPredecessor.contains($0) } + order.filter { hasPredecessor.contains($0) }
    for s in starts where !visited.contains(s) {
      var pts = [startPoint[s]!]
      var e = s
      var closed = false
      while case let (e1, p1)? = next[e], !visited.contains(e) {
        visited.insert(e)
        if e1 == s { closed = true; break }
        pts.append(p1)
        e = e1
      }
      lines.append(ContourLine(points: pts, isClosed: closed))
    }
    return lines
  }

  /// Polygons whose union (nonzero winding, all counter-clockwise) is the region below `level`:
  /// one small polygon per cell. Fill them as one path to get a seamless region.
  public func regionBelow(level: Double) -> [[Point2D]] {
    guard x.count >= 2, y.count >= 2 else { return [] }
    var out: [[Point2D]] = []
    for i in 0..<(x.count - 1) { for j in 0..<(y.count - 1) {
      if let c = cell(i, j, level) { out += c.polygons }
    } }
    return out
  }
}
