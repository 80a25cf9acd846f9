//===--- Scan1D.swift -----------------------------------------------------===//
// 1D likelihood-scan analysis, as Combine's plot1DScan.py: points (x, 2ΔNLL), sorted, duplicate x
// removed, a spline through them; the best fit is the spline's minimum and the interval at a level
// is where the spline lies below it — a union of pieces when the curve has several minima.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// 2ΔNLL levels of 1D intervals (Wilks, one parameter).
public enum Level1D {
  public static let sigma1 = 1.0
  public static let cl95 = 3.841458820694124
  public static let sigma2 = 4.0
}

/// 2ΔNLL levels of 2D regions (Wilks, two parameters).
public enum Level2D {
  public static let cl68 = 2.295748928898636
  public static let cl95 = 5.991464547107979
}

/// One connected piece of an interval. An end that is the scan's range edge (the curve never
/// rose to the level there) is marked open: the true interval may extend further.
public struct IntervalPiece: Sendable, Equatable {
  public var lower: Double
  public var upper: Double
  public var lowerIsRangeEdge: Bool
  public var upperIsRangeEdge: Bool
  public func contains(_ v: Double) -> Bool { v >= lower && v <= upper }
}

/// A 1D scan of 2ΔNLL against one parameter.
public struct Scan1D: Sendable {
  /// Sorted, unique x; y = 2ΔNLL relative to the spline's minimum (see `offset`).
  public let x: [Double]
  public let y: [Double]
  public let spline: CubicSpline
  /// The spline's minimum, subtracted from the input values (≈ 0 when the scan holds the best fit).
  public let offset: Double
  /// Position of the spline's minimum.
  public let bestFit: Double
  /// Parameter values the scan could not evaluate (a non-finite 2ΔNLL: a failed fit, a negative
  /// expected yield), sorted. The curve is not trusted across them: intervals are computed on the
  /// stretches between them, and a piece ending next to one is open there, as at the scan's range.
  public let excluded: [Double]

  /// - Parameters:
  ///   - x: parameter values; y: 2ΔNLL (not ΔNLL). Non-finite points, and points above `yCut` if
  ///     given, are dropped; for a repeated x the lowest y is kept.
  ///   - rezero: subtract the spline's minimum, so the best fit sits at 0 even when the scan found
  ///     a point below the initial fit.
  public init(x: [Double], y: [Double], kind: SplineKind = .notAKnot, yCut: Double? = nil, rezero: Bool = true) throws {
    guard x.count == y.count else { throw PlotError("Scan1D: x and y differ in length") }
    var pts = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite && (yCut == nil || $0.1 <= yCut!) }
    let evaluated = Set(pts.map(\.0))
    self.excluded = Array(Set(zip(x, y).filter { $0.0.isFinite && !$0.1.isFinite && !evaluated.contains($0.0) }.map(\.0))).sorted()
    pts.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
    var xs: [Double] = [], ys: [Double] = []
    for (a, b) in pts where xs.last != a { xs.append(a); ys.append(b) }
    guard xs.count >= 2 else { throw PlotError("a 1D scan needs at least two distinct points (got \(xs.count))") }
    let raw = CubicSpline(x: xs, y: ys, kind: kind)
    let mn = raw.minimum()
    let off = rezero ? mn.value : 0
    self.offset = off
    self.x = xs
    self.y = ys.map { $0 - off }
    self.spline = off == 0 ? raw : CubicSpline(x: xs, y: self.y, kind: kind)
    self.bestFit = mn.x
  }

  /// Convenience: from ΔNLL values (Combine's `deltaNLL` column).
  public init(x: [Double], deltaNLL: [Double], kind: SplineKind = .notAKnot, yCut: Double? = nil, rezero: Bool = true) throws {
    try self.init(x: x, y: deltaNLL.map { 2 * $0 }, kind: kind, yCut: yCut, rezero: rezero)
  }

  /// Where the spline crosses `level` (2ΔNLL), sorted.
  public func crossings(_ level: Double) -> [Double] { spline.crossings(of: level) }

  /// The stretches of evaluated points between the excluded ones: (first x, last x) each.
  public var segments: [(Double, Double)] {
    var out: [(Double, Double)] = []
    var start: Double? = nil, last = x[0]
    var e = excluded.makeIterator()
    var nextExcluded = e.next()
    for v in x {
      while let ne = nextExcluded, ne < v {
        if let s = start { out.append((s, last)); start = nil }
        nextExcluded = e.next()
      }
      if start == nil { start = v }
      last = v
    }
    if let s = start { out.append((s, last)) }
    return out
  }

  /// {x in the scanned range : 2ΔNLL(x) < level} as disjoint pieces, sorted. Computed on each
  /// stretch between excluded points; a piece's end at a stretch's end is marked open
  /// (`…IsRangeEdge`): the curve was not evaluated beyond it.
  public func interval(_ level: Double) -> [IntervalPiece] {
    var pieces: [IntervalPiece] = []
    for (lo, hi) in segments where hi > lo {
      let cuts = [lo] + crossings(level).filter { $0 > lo && $0 < hi } + [hi]
      var local: [IntervalPiece] = []
      for k in 0..<(cuts.count - 1) where cuts[k + 1] > cuts[k] {
        let mid = 0.5 * (cuts[k] + cuts[k + 1])
        guard spline(mid) < level else { continue }
        if var last = local.last, last.upper == cuts[k] {
          last.upper = cuts[k + 1]; last.upperIsRangeEdge = k + 1 == cuts.count - 1
          local[local.count - 1] = last
        } else {
          local.append(IntervalPiece(lower: cuts[k], upper: cuts[k + 1],
                                     lowerIsRangeEdge: k == 0, upperIsRangeEdge: k + 1 == cuts.count - 1))
        }
      }
      pieces += local
    }
    return pieces
  }

  /// Best fit and the errors of the piece (at `level`) that contains it: (best, −down, +up), as
  /// positive numbers.
  public func result(_ level: Double = Level1D.sigma1) -> ScanResult {
    let pieces = interval(level)
    let main = pieces.first { $0.contains(bestFit) }
    return ScanResult(bestFit: bestFit, level: level, pieces: pieces,
                      down: main.map { bestFit - $0.lower }, up: main.map { $0.upper - bestFit },
                      downIsRangeEdge: main?.lowerIsRangeEdge ?? false, upIsRangeEdge: main?.upperIsRangeEdge ?? false)
  }
}

/// The outcome of a 1D scan at one level.
public struct ScanResult: Sendable {
  public var bestFit: Double
  public var level: Double
  public var pieces: [IntervalPiece]
  /// Distance from the best fit to the ends of its own piece (nil if the best fit lies outside all
  /// pieces, which cannot happen for levels > 0).
  public var down: Double?
  public var up: Double?
  /// The curve never reached the level on that side within the scan: the error is a lower bound.
  public var downIsRangeEdge = false
  public var upIsRangeEdge = false

  /// "1.22^{+0.64}_{−0.42}" in the plot's markup (see `Canvas.text`), with `digits` decimals. An
  /// error cut by the scan range is written as a lower bound, e.g. "+>0.64".
  public func markup(digits: Int) -> String {
    let b = formatNumber(bestFit, digits: digits)
    guard let up, let down else { return b }
    let u = (upIsRangeEdge ? ">" : "") + formatNumber(up, digits: digits, minus: false)
    let d = (downIsRangeEdge ? ">" : "") + formatNumber(down, digits: digits, minus: false)
    return "\(b)^{+\(u)}_{−\(d)}"
  }

  /// "[a, b] ∪ [c, d]"; an end at the scan edge is written with "<" / ">" (e.g. "[< 0.00, 1.3]").
  public func piecesText(digits: Int) -> String {
    if pieces.isEmpty { return "∅" }
    return pieces.map { p in
      "[\(p.lowerIsRangeEdge ? "<" : "")\(formatNumber(p.lower, digits: digits)), \(p.upperIsRangeEdge ? ">" : "")\(formatNumber(p.upper, digits: digits))]"
    }.joined(separator: " ∪ ")
  }

  /// Sensible number of decimals: two significant digits of the smaller error.
  public var suggestedDigits: Int {
    let e = [up, down].compactMap { $0 }.filter { $0 > 0 }.min() ?? max(abs(bestFit), 1)
    return max(0, min(6, 1 - Int(floor(log10(e)))))
  }
}

/// Formats with fixed decimals, a true minus sign and no "−0".
public func formatNumber(_ v: Double, digits: Int, minus: Bool = true) -> String {
  var s = String(format: "%.\(max(0, digits))f", v)
  if s.hasPrefix("-") {
    if s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { s.removeFirst() } else if minus { s = "−" + s.dropFirst() }
  }
  return s
}

/// Errors of the Plots module.
public struct PlotError: RecombineError, Sendable {
  public var description: String
  public init(_ d: String) { description = d }
}
