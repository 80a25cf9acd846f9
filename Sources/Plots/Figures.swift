//===--- Figures.swift ----------------------------------------------------===//
// The two figures physicists read: a 1D likelihood scan (2ΔNLL against a parameter, 68%/95%
// lines, best fit ± errors printed) and 2D confidence regions (filled 68%/95%, best fit, SM point),
// each with overlays.
//===----------------------------------------------------------------------===//

import Foundation

/// One curve of a 1D scan figure.
public struct ScanCurve: Sendable {
  public var scan: Scan1D
  public var label: String?
  public var color: Color
  public var dash: [Double]
  public var showPoints: Bool
  public init(_ scan: Scan1D, label: String? = nil, color: Color = .black, dash: [Double] = [], showPoints: Bool = true) {
    self.scan = scan; self.label = label; self.color = color; self.dash = dash; self.showPoints = showPoints
  }
}

/// Options of the 1D scan figure.
public struct ScanPlotOptions: Sendable {
  public var style = PlotStyle()
  /// x-axis title (the parameter's name or its label, in the figures' markup).
  public var parameter: String = "r"
  public var yMax: Double? = nil
  public var xRange: (Double, Double)? = nil
  /// Horizontal reference lines (2ΔNLL) and their labels.
  public var levels: [(Double, String)] = [(Level1D.sigma1, "68% CL"), (Level1D.cl95, "95% CL")]
  public init() {}
}

/// Formats a curve's result: "r = 1.22^{+0.64}_{−0.42}", or the pieces when the 68% interval is a
/// union of several.
public func resultMarkup(_ s: Scan1D, parameter: String, level: Double = Level1D.sigma1) -> String {
  let r = s.result(level)
  let d = r.suggestedDigits
  if r.pieces.count > 1 {
    return "\(parameter) ∈ \(r.piecesText(digits: d))"
  }
  // An end cut by the scan range: quote the one-sided limit (or nothing if both are cut).
  if let p = r.pieces.first, p.lowerIsRangeEdge || p.upperIsRangeEdge {
    let cl = level == Level1D.sigma1 ? "68" : String(format: "%.0f", 100 * erf((level.squareRoot()) / 2.0.squareRoot()))
    switch (p.lowerIsRangeEdge, p.upperIsRangeEdge) {
    case (true, false): return "\(parameter) < \(formatNumber(p.upper, digits: d)) (\(cl)% CL)"
    case (false, true): return "\(parameter) > \(formatNumber(p.lower, digits: d)) (\(cl)% CL)"
    default: return "\(parameter) = \(formatNumber(r.bestFit, digits: d)), no \(cl)% CL bound in range"
    }
  }
  return "\(parameter) = \(r.markup(digits: d))"
}

/// Draws the 1D scan figure and writes it to `path` (.png, .pdf or .svg).
public func plotScan1D(_ curves: [ScanCurve], options o: ScanPlotOptions = ScanPlotOptions(), to path: String) throws {
  guard let main = curves.first else { throw PlotError("no curve to plot") }
  let xr = o.xRange ?? (curves.map { $0.scan.x.first! }.min()!, curves.map { $0.scan.x.last! }.max()!)
  guard xr.1 > xr.0 else { throw PlotError("the scan covers a single parameter value") }
  let top = curves.flatMap { $0.scan.y }.max() ?? 1
  let yMax = o.yMax ?? (top >= 7 ? 10 : max(5, (top * 1.35).rounded(.up)))
  try Canvas.render(to: path, width: o.style.width, height: o.style.height) { c in
    let ax = Axes(canvasWidth: c.width, canvasHeight: c.height, x: xr, y: (0, yMax))
    let small = FontStyle(size: 13 * o.style.fontScale)
    ax.clip(c)
    // Reference levels.
    for (lv, text) in o.levels where lv < yMax {
      c.line(ax.left, ax.py(lv), ax.right, ax.py(lv), color: .gray, width: 1, dash: [6, 4])
      c.text(text, x: ax.right - 8, y: ax.py(lv) - 4, font: small, color: .gray, align: .right)
    }
    // Vertical lines at the main curve's 68% crossings, down to the axis.
    for p in main.scan.interval(Level1D.sigma1) {
      for (v, edge) in [(p.lower, p.lowerIsRangeEdge), (p.upper, p.upperIsRangeEdge)] where !edge {
        c.line(ax.px(v), ax.py(Level1D.sigma1), ax.px(v), ax.bottom, color: main.color.withAlpha(0.6), width: 1, dash: [2, 3])
      }
    }
    // Points the main scan could not evaluate: grey bands (half a step each side).
    if !main.scan.excluded.isEmpty {
      let all = (main.scan.x + main.scan.excluded).sorted()
      c.save(); c.setColor(Color.gray.withAlpha(0.3))
      for e in main.scan.excluded {
        let k = all.firstIndex(of: e)!
        let dl = k > 0 ? (e - all[k - 1]) / 2 : (k + 1 < all.count ? (all[k + 1] - e) / 2 : 0)
        let dr = k + 1 < all.count ? (all[k + 1] - e) / 2 : dl
        c.rectangle(ax.px(e - dl), ax.top, ax.px(e + dr) - ax.px(e - dl), ax.height)
      }
      c.fill(); c.restore()
    }
    // Curves, the last drawn first so the main one is on top; each only over the stretches of
    // evaluated points (never interpolated across points not evaluated).
    for cv in curves.reversed() {
      let s = cv.scan
      c.save(); c.setColor(cv.color); c.setLineWidth(2.4); c.setDash(cv.dash)
      for (a, b) in s.segments where b > a {
        let n = max(100, 8 * s.x.count)
        let lo = max(xr.0, a), hi = min(xr.1, b)
        guard hi > lo else { continue }
        var pts: [(Double, Double)] = []
        for k in 0...n {
          let v = lo + (hi - lo) * Double(k) / Double(n)
          pts.append((ax.px(v), ax.py(min(max(s.spline(v), -0.5 * yMax), 2 * yMax))))
        }
        c.addPolyline(pts)
      }
      c.stroke(); c.restore()
      if cv.showPoints {
        for (a, b) in zip(s.x, s.y) where b <= yMax * 1.05 {
          c.marker(.circle, at: ax.px(a), ax.py(b), size: 4.5, color: cv.color)
        }
      }
    }
    c.restore()
    // Results: a legend with one row per curve (label, then best fit and errors).
    let display = o.parameter
    var entries: [LegendEntry] = []
    for cv in curves {
      let res = resultMarkup(cv.scan, parameter: display)
      if curves.count == 1 && cv.label == nil {
        entries.append(LegendEntry(.line(cv.color, width: 2.4, dash: cv.dash), res))
      } else {
        entries.append(LegendEntry(.line(cv.color, width: 2.4, dash: cv.dash), cv.label ?? "", detail: res))
      }
    }
    if !main.scan.excluded.isEmpty {
      entries.append(LegendEntry(.fill(Color.gray.withAlpha(0.3), border: nil), "not evaluated (\(main.scan.excluded.count) points)"))
    }
    let fs = 15 * o.style.fontScale
    let bottom = drawLegend(entries, on: c, axes: ax, corner: .topRight, fontSize: fs, background: true)
    if curves.count == 1 {
      // The 95% CL interval below the result.
      let r95 = main.scan.result(Level1D.cl95)
      let t = "95% CL: \(r95.piecesText(digits: r95.suggestedDigits))"
      let w = c.textWidth(t, font: FontStyle(size: fs * 0.85))
      c.save(); c.setColor(Color.white.withAlpha(0.85))
      c.rectangle(ax.right - fs * 0.9 - w - 4, bottom + 2, w + 8, fs * 1.2); c.fill(); c.restore()
      c.text(t, x: ax.right - fs * 0.9, y: bottom + 2 + fs * 0.6, font: FontStyle(size: fs * 0.85), align: .right, valign: .middle)
    }
    ax.draw(on: c, xTitle: o.parameter, yTitle: "−2 Δln L", style: o.style)
  }
}

/// One set of 2D contours: a grid of 2ΔNLL.
public struct ContourSet: Sendable {
  public var grid: Grid2D
  public var bestFit: Point2D?
  public var label: String?
  public var color: Color
  public init(_ grid: Grid2D, bestFit: Point2D? = nil, label: String? = nil, color: Color = Color(hex: 0x1f3c88)) {
    self.grid = grid; self.bestFit = bestFit; self.label = label; self.color = color
  }
}

public struct ContourPlotOptions: Sendable {
  public var style = PlotStyle()
  public var xTitle = "x"
  public var yTitle = "y"
  /// The Standard Model point, drawn as a red diamond; nil for none.
  public var sm: Point2D? = Point2D(0, 0)
  public var smLabel = "SM"
  /// Subdivisions per grid cell for smoothing (1 = raw grid).
  public var smooth = 4
  public var levels: (Double, Double) = (Level2D.cl68, Level2D.cl95)
  public init() {}
}

/// Where the contour figure puts things: the frame spans the scanned region (the union of the
/// sets' grids, padded by 4% when a contour leaves a scanned region so that region's edge shows),
/// and the legend sits in a column to the right of the frame, never over the data.
public struct ContourLayout: Sendable {
  public var xRange: (Double, Double)
  public var yRange: (Double, Double)
  /// The frame in device points, and the legend's left edge (outside the frame).
  public var frame: (left: Double, top: Double, right: Double, bottom: Double)
  public var legendLeft: Double
  public var width: Double, height: Double
  /// Per set: its scanned rectangle is drawn (a contour leaves it, or it is smaller than the frame).
  public var drawScannedRegion: [Bool]
}

/// Lays out the contour figure of `sets` with `legendWidth` points of legend.
public func contourLayout(_ sets: [ContourSet], levels: [Double], smooth: Int, style: PlotStyle,
                          legendWidth: Double) -> ContourLayout {
  let ranges = sets.map { (x: ($0.grid.x.first!, $0.grid.x.last!), y: ($0.grid.y.first!, $0.grid.y.last!)) }
  var xr = (ranges.map(\.x.0).min()!, ranges.map(\.x.1).max()!)
  var yr = (ranges.map(\.y.0).min()!, ranges.map(\.y.1).max()!)
  let leaves = sets.map { set in
    set.grid.contours(levels: levels).contains { $0.lines.contains { $0.openEnds.contains(.scanBoundary) } }
  }
  let smaller = ranges.map { $0.x != xr || $0.y != yr }
  if leaves.contains(true) {
    let dx = (xr.1 - xr.0) * 0.04, dy = (yr.1 - yr.0) * 0.04
    xr = (xr.0 - dx, xr.1 + dx); yr = (yr.0 - dy, yr.1 + dy)
  }
  let s = style.fontScale
  let plotW = style.width
  let width = plotW + legendWidth + 24 * s
  let frame = (left: 82.0, top: 42.0, right: plotW - 28, bottom: style.height - 68)
  return ContourLayout(xRange: xr, yRange: yr, frame: frame, legendLeft: plotW - 28 + 18 * s, width: width,
                       height: style.height, drawScannedRegion: zip(leaves, smaller).map { $0 || $1 })
}

/// Draws 2D confidence regions: the first set filled (68% dark, 95% light) with black boundaries,
/// the others as coloured lines (68% solid, 95% dashed). The frame is the scanned region; the
/// legend is outside it, on the right. Points the scan did not evaluate are hatched grey and
/// counted in the legend; a scanned region a contour leaves is drawn dashed.
public func plotContours(_ sets: [ContourSet], options o: ContourPlotOptions = ContourPlotOptions(), to path: String) throws {
  guard let first = sets.first else { throw PlotError("no contour set to plot") }
  let prepared = sets.map { s -> (ContourSet, Grid2D) in
    var g = s.grid
    if let m = g.minimum, m.value.isFinite, s.bestFit == nil || m.value < 0 {
      // Re-zero so the levels are relative to the lowest point of the scan.
      g.z = g.z.map { $0.map { $0 - min(m.value, 0) } }
    }
    return (s, g.upsampled(by: o.smooth, clampAbove: 50))
  }
  let (l68, l95) = o.levels
  let dark = Color(hex: 0x3f72c9), light = Color(hex: 0xa9c8f5)
  let missing = first.grid.missingPoints
  var entries: [LegendEntry] = []
  let mainName = sets.count > 1 ? (first.label.map { $0 + ", " } ?? "") : ""
  entries.append(LegendEntry(.marker(.plus, .black, size: 13), "Best fit"))
  entries.append(LegendEntry(.fill(dark, border: .black), "\(mainName)68% CL"))
  entries.append(LegendEntry(.fill(light, border: .black), "\(mainName)95% CL"))
  func overlayColor(_ k: Int, _ s: ContourSet) -> Color {
    sets.count > 1 && s.color == first.color ? Color.cmsPalette[(k + 1) % Color.cmsPalette.count] : s.color
  }
  for (k, s) in sets.enumerated().dropFirst() {
    entries.append(LegendEntry(.line(overlayColor(k, s), width: 2.4, dash: []), (s.label ?? "set \(k + 1)") + " 68% CL"))
    entries.append(LegendEntry(.line(overlayColor(k, s), width: 2.4, dash: [7, 4]), (s.label ?? "set \(k + 1)") + " 95% CL"))
  }
  if o.sm != nil { entries.append(LegendEntry(.marker(.diamond, Color(hex: 0xe42536), size: 11), o.smLabel)) }
  if !missing.isEmpty { entries.append(LegendEntry(.fill(Color.gray.withAlpha(0.45), border: nil), "not evaluated (\(missing.count) points)")) }
  let fs = 15 * o.style.fontScale
  let legendW = try withMeasuringCanvas { c in
    entries.map { c.textWidth($0.text, font: FontStyle(size: fs)) }.max() ?? 0
  } + fs * 2.2 + fs * 0.5 + fs * 1.2
  var L = contourLayout(sets, levels: [l68, l95], smooth: o.smooth, style: o.style, legendWidth: legendW)
  if L.drawScannedRegion.contains(true) {
    entries.append(LegendEntry(.line(.gray, width: 1.2, dash: [5, 3]), "scanned region"))
    L = contourLayout(sets, levels: [l68, l95], smooth: o.smooth, style: o.style,
                      legendWidth: max(legendW, try withMeasuringCanvas { $0.textWidth("scanned region", font: FontStyle(size: fs)) } + fs * 3.9))
  }
  try Canvas.render(to: path, width: L.width, height: L.height) { c in
    let ax = Axes(canvasWidth: c.width, canvasHeight: c.height, x: L.xRange, y: L.yRange,
                  margins: (L.frame.left, L.frame.top, c.width - L.frame.right, c.height - L.frame.bottom))
    ax.clip(c)
    func fillRegion(_ g: Grid2D, _ level: Double, _ col: Color) {
      c.save(); c.setColor(col)
      for poly in g.regionBelow(level: level) { c.addPolyline(poly.map(ax.device), closed: true) }
      c.fill(); c.restore()  // one path, nonzero winding: no seams
    }
    func lines(_ g: Grid2D, _ level: Double, _ col: Color, _ width: Double, _ dash: [Double]) {
      c.save(); c.setColor(col); c.setLineWidth(width); c.setDash(dash)
      for l in g.contourLines(level: level) { c.addPolyline(l.points.map(ax.device), closed: l.isClosed) }
      c.stroke(); c.restore()
    }
    let g0 = prepared[0].1
    fillRegion(g0, l95, light)
    fillRegion(g0, l68, dark)
    lines(g0, l95, .black, 1.4, [])
    lines(g0, l68, .black, 1.4, [])
    // Points not evaluated: grey cells (half a grid step each side), hatched.
    if !missing.isEmpty {
      let gx = first.grid.x, gy = first.grid.y
      func half(_ a: [Double], _ v: Double) -> (Double, Double) {
        let k = a.firstIndex(of: v) ?? 0
        let lo = k > 0 ? (a[k] - a[k - 1]) / 2 : (a[1] - a[0]) / 2
        let hi = k < a.count - 1 ? (a[k + 1] - a[k]) / 2 : (a[k] - a[k - 1]) / 2
        return (v - lo, v + hi)
      }
      c.save(); c.setColor(Color.gray.withAlpha(0.45))
      for p in missing {
        let (x0, x1) = half(gx, p.x), (y0, y1) = half(gy, p.y)
        c.rectangle(ax.px(x0), ax.py(y1), ax.px(x1) - ax.px(x0), ax.py(y0) - ax.py(y1))
      }
      c.fill(); c.restore()
    }
    for (k, (s, g)) in prepared.enumerated().dropFirst() {
      let col = overlayColor(k, s)
      lines(g, l95, col, 2.4, [7, 4])
      lines(g, l68, col, 2.4, [])
      if let b = s.bestFit ?? g.minimum?.at { c.marker(.plus, at: ax.px(b.x), ax.py(b.y), size: 13, color: col) }
    }
    for (k, s) in sets.enumerated() where L.drawScannedRegion[k] {
      let x0 = ax.px(s.grid.x.first!), x1 = ax.px(s.grid.x.last!), y0 = ax.py(s.grid.y.first!), y1 = ax.py(s.grid.y.last!)
      c.save(); c.setColor(k == 0 ? .gray : overlayColor(k, s)); c.setLineWidth(1.2); c.setDash([5, 3])
      c.rectangle(x0, y1, x1 - x0, y0 - y1); c.stroke(); c.restore()
    }
    if let sm = o.sm {
      c.marker(.diamond, at: ax.px(sm.x), ax.py(sm.y), size: 11, color: Color(hex: 0xe42536), outline: .black, lineWidth: 0.8)
    }
    if let b = first.bestFit ?? g0.minimum?.at { c.marker(.plus, at: ax.px(b.x), ax.py(b.y), size: 13, color: .black) }
    c.restore()
    // The legend, outside the frame on the right.
    var legendAxes = ax
    legendAxes.left = L.legendLeft; legendAxes.right = c.width
    drawLegend(entries, on: c, axes: legendAxes, corner: .topLeft, top: ax.top + 4, fontSize: fs)
    ax.draw(on: c, xTitle: o.xTitle, yTitle: o.yTitle, style: o.style)
  }
}
