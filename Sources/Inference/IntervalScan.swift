//===--- IntervalScan.swift -----------------------------------------------===//
// One-parameter likelihood scans whose confidence sets may be unions of intervals: every
// crossing of the threshold along a fine grid, refined by root finding.
//===----------------------------------------------------------------------===//

import Fit
import Foundation
import Likelihood

/// One piece [lower, upper] of a confidence set. `lowerOpen`/`upperOpen`: the curve was still
/// below the threshold at that end of the scanned range (the end is the range limit, not a crossing).
public struct IntervalPiece: Sendable, Equatable, CustomStringConvertible {
  public var lower: Double
  public var upper: Double
  public var lowerOpen: Bool
  public var upperOpen: Bool
  public init(lower: Double, upper: Double, lowerOpen: Bool = false, upperOpen: Bool = false) {
    self.lower = lower
    self.upper = upper
    self.lowerOpen = lowerOpen
    self.upperOpen = upperOpen
  }
  public var width: Double { upper - lower }
  public var description: String {
    String(format: "%@%.6g, %.6g%@", lowerOpen ? "(≤" : "[", lower, upper, upperOpen ? "≥)" : "]")
  }
}

/// The result of `IntervalScan.run`.
public struct IntervalScanResult: Sendable {
  /// The scanned parameter's values and 2ΔNLL = 2(q(t) − q_min) there.
  public var grid: [Double]
  public var twoDeltaNLL: [Double]
  /// The refined global minimum of the curve: position and NLL value.
  public var best: Double
  public var minimum: Double
  /// Positions of all refined local minima of the curve (ascending).
  public var localMinima: [Double]
  /// For each requested level (in 2ΔNLL units, e.g. 1 and 3.84), the pieces of {t : 2ΔNLL(t) < level}.
  public var sets: [(level: Double, pieces: [IntervalPiece])]

  public func pieces(level: Double) -> [IntervalPiece] {
    sets.first { abs($0.level - level) < 1e-12 }?.pieces ?? []
  }
}

public enum IntervalScan {
  /// Scans parameter `index` of `f` over `range` on `points` equally spaced values (range ends
  /// included). Every other parameter is held at its spec value when fixed (or when `profile` is
  /// false), otherwise minimised at each point (started from the neighbouring point's solution).
  ///
  /// The minimum is refined by golden-section search around every grid-local minimum (the lowest
  /// wins); each sign change of 2ΔNLL − level between neighbouring grid points is refined by
  /// regula falsi (Illinois) to |Δt| ≤ 1e-9·(range width). A dip below the level narrower than
  /// the grid spacing can be missed: use a grid fine compared with the structures of the curve.
  public static func run(
    _ f: ObjectiveFunction, parameters: [ParameterSpec], index k: Int, range: (Double, Double),
    points: Int = 2001, levels: [Double] = [1, 3.841458820694124], profile: Bool = true,
    minimizer: Minimizer = Minimizer()
  ) -> IntervalScanResult {
    precondition(points >= 3 && range.1 > range.0 && k >= 0 && k < parameters.count)
    let curve = Curve(f, parameters: parameters, index: k, profile: profile, minimizer: minimizer)
    let (lo, hi) = range
    let grid = (0..<points).map { i in i == points - 1 ? hi : lo + Double(i) * (hi - lo) / Double(points - 1) }
    let q = grid.map { curve.value($0) }

    // Refine every grid-local minimum.
    var minima: [(t: Double, q: Double)] = []
    for i in 0..<points {
      let left = i == 0 ? Double.infinity : q[i - 1]
      let right = i == points - 1 ? Double.infinity : q[i + 1]
      guard q[i] <= left && q[i] < right else { continue }
      let a = grid[max(0, i - 1)], b = grid[min(points - 1, i + 1)]
      minima.append(golden(curve.value, a, b, q[i], grid[i]))
    }
    if minima.isEmpty, let i = q.indices.min(by: { q[$0] < q[$1] }) { minima = [(grid[i], q[i])] }
    let best = minima.min { $0.q < $1.q }!
    let tol = 1e-9 * (hi - lo)

    var sets: [(Double, [IntervalPiece])] = []
    for level in levels {
      let threshold = best.q + level / 2
      func h(_ t: Double) -> Double { curve.value(t) - threshold }
      var pieces: [IntervalPiece] = []
      var start: Double? = q[0] < threshold ? lo : nil
      var startOpen = start != nil
      for i in 1..<points {
        let a = q[i - 1] - threshold, b = q[i] - threshold
        if a >= 0 && b < 0 {
          start = illinois(h, grid[i - 1], grid[i], a, b, tol)
          startOpen = false
        } else if a < 0 && b >= 0 {
          let end = illinois(h, grid[i - 1], grid[i], a, b, tol)
          pieces.append(IntervalPiece(lower: start ?? lo, upper: end, lowerOpen: startOpen))
          start = nil
        }
      }
      if let s = start { pieces.append(IntervalPiece(lower: s, upper: hi, lowerOpen: startOpen, upperOpen: true)) }
      sets.append((level, pieces))
    }
    return IntervalScanResult(
      grid: grid, twoDeltaNLL: q.map { 2 * ($0 - best.q) }, best: best.t, minimum: best.q,
      localMinima: minima.map { $0.t }.sorted(), sets: sets)
  }

  /// A range around `center` wide enough for `level` (2ΔNLL units): starts at center ± scale and
  /// doubles each side until 2ΔNLL at the end exceeds level + 1 (or after 40 doublings), relative
  /// to the lowest value met. Respects the parameter's bounds.
  public static func automaticRange(
    _ f: ObjectiveFunction, parameters: [ParameterSpec], index k: Int, center: Double, scale: Double,
    level: Double = 3.841458820694124, profile: Bool = true, minimizer: Minimizer = Minimizer()
  ) -> (Double, Double) {
    let curve = Curve(f, parameters: parameters, index: k, profile: profile, minimizer: minimizer)
    let s0 = scale > 0 && scale.isFinite ? scale : 1
    var qmin = curve.value(center)
    func expand(_ sign: Double, _ bound: Double) -> Double {
      var d = s0
      var t = center
      for _ in 0..<40 {
        t = sign > 0 ? min(center + d, bound) : max(center - d, bound)
        let v = curve.value(t)
        qmin = min(qmin, v)
        if 2 * (v - qmin) > level + 1 || t == bound { break }
        d *= 2
      }
      return t
    }
    let hi = expand(1, parameters[k].upper)
    let lo = expand(-1, parameters[k].lower)
    // The lower side may have lowered qmin: make sure the upper end still clears the level.
    var hiOut = hi
    var d = hi - center
    for _ in 0..<40 where hiOut < parameters[k].upper && 2 * (curve.value(hiOut) - qmin) <= level + 1 {
      d *= 2
      hiOut = min(center + d, parameters[k].upper)
    }
    return (lo, hiOut)
  }

  /// q(t) = f with x_k = t, the others fixed or profiled.
  final class Curve {
    let f: ObjectiveFunction
    let specs: [ParameterSpec]
    let k: Int
    let profiled: Bool
    let minimizer: Minimizer
    var x: [Double]
    var last: [Double]

    init(_ f: ObjectiveFunction, parameters: [ParameterSpec], index k: Int, profile: Bool, minimizer: Minimizer) {
      self.f = f
      self.k = k
      self.minimizer = minimizer
      var s = parameters
      if !profile { for j in s.indices { s[j].fixed = true } }
      s[k].fixed = true
      specs = s
      profiled = s.contains { !$0.fixed }
      x = s.map { $0.value }
      last = x
    }

    func value(_ t: Double) -> Double {
      if !profiled {
        x[k] = t
        return x.withUnsafeBufferPointer { f.value($0) }
      }
      var s = specs
      for j in s.indices where !s[j].fixed { s[j].value = last[j] }
      s[k].value = t
      let r = minimizer.minimize(f, parameters: s)
      if r.fval.isFinite { last = r.x }
      return r.fval
    }
  }

  /// Golden-section minimisation of g on [a, b] (with a known point (t0, g0) inside).
  static func golden(_ g: (Double) -> Double, _ a0: Double, _ b0: Double, _ g0: Double, _ t0: Double) -> (t: Double, q: Double) {
    var a = a0, b = b0
    let r = (5.0.squareRoot() - 1) / 2
    var c = b - r * (b - a), d = a + r * (b - a)
    var gc = g(c), gd = g(d)
    var bestT = t0, bestQ = g0
    for _ in 0..<80 where b - a > 1e-12 * max(1, abs(a) + abs(b)) {
      if gc < gd {
        b = d; d = c; gd = gc
        c = b - r * (b - a); gc = g(c)
      } else {
        a = c; c = d; gc = gd
        d = a + r * (b - a); gd = g(d)
      }
    }
    for (t, v) in [(c, gc), (d, gd)] where v < bestQ { bestT = t; bestQ = v }
    return (bestT, bestQ)
  }

  /// Root of h in [a, b] with h(a)·h(b) ≤ 0 (values ha, hb): regula falsi, Illinois variant.
  static func illinois(_ h: (Double) -> Double, _ a0: Double, _ b0: Double, _ ha0: Double, _ hb0: Double, _ tol: Double) -> Double {
    var a = a0, b = b0, fa = ha0, fb = hb0
    if fa == 0 { return a }
    if fb == 0 { return b }
    var side = 0
    for _ in 0..<200 {
      let c = (a * fb - b * fa) / (fb - fa)
      let fc = h(c)
      if fc == 0 || abs(b - a) < tol { return c }
      if (fc < 0) == (fb < 0) {
        b = c; fb = fc
        if side == -1 { fa /= 2 }
        side = -1
      } else {
        a = c; fa = fc
        if side == 1 { fb /= 2 }
        side = 1
      }
      if abs(b - a) < tol { break }
    }
    return (a * fb - b * fa) / (fb - fa)
  }
}
