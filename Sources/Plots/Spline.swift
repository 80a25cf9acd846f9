//===--- Spline.swift -----------------------------------------------------===//
// Piecewise-cubic interpolation through (x, y) points, in Hermite form (value and slope at each
// knot). Four kinds: not-a-knot (ROOT's TSpline3 without end conditions; reproduces any cubic, so a
// parabola exactly), natural, monotone (Fritsch–Carlson, as scipy's PCHIP: no overshoot) and linear.
//===----------------------------------------------------------------------===//

import Foundation

public enum SplineKind: String, Sendable, CaseIterable {
  case notAKnot = "spline", natural, monotone, linear
}

public struct CubicSpline: Sendable {
  public let x: [Double]
  public let y: [Double]
  /// dy/dx at each knot.
  public let slope: [Double]
  public let kind: SplineKind

  /// `x` strictly increasing, at least two points.
  public init(x: [Double], y: [Double], kind: SplineKind = .notAKnot) {
    precondition(x.count == y.count && x.count >= 2, "CubicSpline: need ≥ 2 points")
    for i in 1..<x.count { precondition(x[i] > x[i - 1], "CubicSpline: x must increase strictly") }
    self.x = x; self.y = y; self.kind = kind
    let n = x.count
    let h = (0..<(n - 1)).map { x[$0 + 1] - x[$0] }
    let m = (0..<(n - 1)).map { (y[$0 + 1] - y[$0]) / h[$0] }
    var s = [Double](repeating: 0, count: n)
    switch kind {
    case .linear:
      s = (0..<n).map { i in i == n - 1 ? m[n - 2] : m[i] }
    case .monotone:
      if n == 2 { s = [m[0], m[0]]; break }
      for i in 1..<(n - 1) {
        if m[i - 1] * m[i] <= 0 { s[i] = 0; continue }
        let w1 = 2 * h[i] + h[i - 1], w2 = h[i] + 2 * h[i - 1]
        s[i] = (w1 + w2) / (w1 / m[i - 1] + w2 / m[i])
      }
      func end(_ h0: Double, _ h1: Double, _ m0: Double, _ m1: Double) -> Double {
        var d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
        if d * m0 <= 0 { d = 0 } else if m0 * m1 <= 0 && abs(d) > abs(3 * m0) { d = 3 * m0 }
        return d
      }
      s[0] = end(h[0], h[1], m[0], m[1])
      s[n - 1] = end(h[n - 2], h[n - 3], m[n - 2], m[n - 3])
    case .natural, .notAKnot:
      if n == 2 { s = [m[0], m[0]]; break }
      if n == 3 && kind == .notAKnot {
        // The parabola through the three points.
        let c = (m[1] - m[0]) / (x[2] - x[0])
        s = [m[0] - c * h[0], m[0] + c * h[0], m[1] + c * h[1]]
        break
      }
      // Tridiagonal system a[i] s[i-1] + b[i] s[i] + c[i] s[i+1] = r[i].
      var a = [Double](repeating: 0, count: n), b = a, c = a, r = a
      for i in 1..<(n - 1) {
        a[i] = h[i]; b[i] = 2 * (h[i - 1] + h[i]); c[i] = h[i - 1]
        r[i] = 3 * (h[i] * m[i - 1] + h[i - 1] * m[i])
      }
      if kind == .natural {
        b[0] = 2; c[0] = 1; r[0] = 3 * m[0]
        a[n - 1] = 1; b[n - 1] = 2; r[n - 1] = 3 * m[n - 2]
      } else {
        let d0 = x[2] - x[0], d1 = x[n - 1] - x[n - 3]
        b[0] = h[1]; c[0] = d0
        r[0] = ((h[0] + 2 * d0) * h[1] * m[0] + h[0] * h[0] * m[1]) / d0
        a[n - 1] = d1; b[n - 1] = h[n - 3]
        r[n - 1] = (h[n - 2] * h[n - 2] * m[n - 3] + (2 * d1 + h[n - 2]) * h[n - 3] * m[n - 2]) / d1
      }
      // Thomas algorithm.
      for i in 1..<n {
        let w = a[i] / b[i - 1]
        b[i] -= w * c[i - 1]; r[i] -= w * r[i - 1]
      }
      s[n - 1] = r[n - 1] / b[n - 1]
      for i in stride(from: n - 2, through: 0, by: -1) { s[i] = (r[i] - c[i] * s[i + 1]) / b[i] }
    }
    self.slope = s
  }

  /// Polynomial coefficients (in t = (x − x_i)/h_i ∈ [0, 1]) of segment i: c0 + c1 t + c2 t² + c3 t³.
  public func coefficients(segment i: Int) -> (Double, Double, Double, Double) {
    let h = x[i + 1] - x[i]
    let y0 = y[i], y1 = y[i + 1], s0 = slope[i] * h, s1 = slope[i + 1] * h
    return (y0, s0, 3 * (y1 - y0) - 2 * s0 - s1, 2 * (y0 - y1) + s0 + s1)
  }

  func segment(containing v: Double) -> Int {
    if v <= x[0] { return 0 }
    if v >= x[x.count - 1] { return x.count - 2 }
    var lo = 0, hi = x.count - 1
    while hi - lo > 1 { let mid = (lo + hi) / 2; if x[mid] <= v { lo = mid } else { hi = mid } }
    return lo
  }

  /// The spline at `v` (extrapolated with the end segments' cubics outside the knots).
  public func callAsFunction(_ v: Double) -> Double {
    let i = segment(containing: v)
    let t = (v - x[i]) / (x[i + 1] - x[i])
    let (c0, c1, c2, c3) = coefficients(segment: i)
    return c0 + t * (c1 + t * (c2 + t * c3))
  }

  /// Points of segment i (in t) where the cubic has a zero derivative, inside (0, 1), sorted.
  func stationaryPoints(segment i: Int) -> [Double] {
    let (_, c1, c2, c3) = coefficients(segment: i)
    // c1 + 2 c2 t + 3 c3 t² = 0
    var roots: [Double] = []
    let A = 3 * c3, B = 2 * c2, C = c1
    if abs(A) < 1e-14 * (abs(B) + abs(C) + 1e-300) {
      if B != 0 { roots = [-C / B] }
    } else {
      let disc = B * B - 4 * A * C
      if disc >= 0 {
        let q = -0.5 * (B + (B >= 0 ? 1 : -1) * disc.squareRoot())
        roots = [q / A]
        if q != 0 { roots.append(C / q) }
      }
    }
    return roots.filter { $0 > 0 && $0 < 1 }.sorted()
  }

  /// All x in [x₀, x_last] where the spline equals `level`, sorted. Each segment is split at its
  /// stationary points into monotone pieces, each holding at most one root (found by bisection).
  public func crossings(of level: Double) -> [Double] {
    var out: [Double] = []
    for i in 0..<(x.count - 1) {
      let (c0, c1, c2, c3) = coefficients(segment: i)
      func f(_ t: Double) -> Double { c0 + t * (c1 + t * (c2 + t * c3)) - level }
      let cuts = [0.0] + stationaryPoints(segment: i) + [1.0]
      for k in 0..<(cuts.count - 1) {
        var a = cuts[k], b = cuts[k + 1]
        var fa = f(a)
        let fb = f(b)
        if fa == 0 { out.append(x[i] + a * (x[i + 1] - x[i])) }
        if fb == 0 { out.append(x[i] + b * (x[i + 1] - x[i])) }
        guard fa * fb < 0 else { continue }
        for _ in 0..<200 {
          let mid = 0.5 * (a + b)
          if mid <= a || mid >= b { break }
          let fm = f(mid)
          if fm == 0 { a = mid; b = mid; break }
          if (fm < 0) == (fa < 0) { a = mid; fa = fm } else { b = mid }
        }
        out.append(x[i] + 0.5 * (a + b) * (x[i + 1] - x[i]))
      }
    }
    // Dedupe roots that land on a shared knot.
    var uniq: [Double] = []
    for v in out.sorted() where uniq.last.map({ abs(v - $0) > 1e-12 * max(1, abs(v)) }) ?? true { uniq.append(v) }
    return uniq
  }

  /// The global minimum over [x₀, x_last]: (x, value).
  public func minimum() -> (x: Double, value: Double) {
    var best = (x: x[0], value: y[0])
    for i in 0..<(x.count - 1) {
      for t in stationaryPoints(segment: i) + [1.0] {
        let v = x[i] + t * (x[i + 1] - x[i])
        let fv = self(v)
        if fv < best.value { best = (v, fv) }
      }
    }
    return best
  }
}
