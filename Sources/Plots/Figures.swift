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
  /// x-axis title (the parameter's name), shown verbatim unless `titleMarkup`.
  public var parameter: String = "r"
  public var titleMarkup = false
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
    // Curves, the last drawn first so the main one is on top.
    for cv in curves.reversed() {
      let s = cv.scan
      let n = max(400, 8 * s.x.count)
      let lo = max(xr.0, s.x.first!), hi = min(xr.1, s.x.last!)
      var pts: [(Double, Double)] = []
      for k in 0...n {
        let v = lo + (hi - lo) * Double(k) / Double(n)
        pts.append((ax.px(v), ax.py(min(max(s.spline(v), -0.5 * yMax), 2 * yMax))))
      }
      c.save(); c.setColor(cv.color); c.setLineWidth(2.4); c.setDash(cv.dash)
      c.addPolyline(pts); c.stroke(); c.restore()
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
    ax.draw(on: c, xTitle: o.parameter, yTitle: "−2 Δln L", style: o.style, titleMarkup: o.titleMarkup)
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
  public var titleMarkup = false
  /// The Standard Model point, drawn as a red diamond; nil for none.
  public var sm: Point2D? = Point2D(0, 0)
  public var smLabel = "SM"
  /// Subdivisions per grid cell for smoothing (1 = raw grid).
  public var smooth = 4
  public var levels: (Double, Double) = (Level2D.cl68, Level2D.cl95)
  public init() {}
}

/// Draws 2D confidence regions: the first set filled (68% dark, 95% light) with black boundaries,
/// the others as coloured lines (68% solid, 95% dashed).
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
  let xr = (sets.map { $0.grid.x.first! }.min()!, sets.map { $0.grid.x.last! }.max()!)
  let yr = (sets.map { $0.grid.y.first! }.min()!, sets.map { $0.grid.y.last! }.max()!)
  let (l68, l95) = o.levels
  let dark = Color(hex: 0x3f72c9), light = Color(hex: 0xa9c8f5)
  var entries: [LegendEntry] = []
  let mainName = sets.count > 1 ? (first.label.map { $0 + ", " } ?? "") : ""
  entries.append(LegendEntry(.marker(.plus, .black, size: 13), "Best fit"))
  entries.append(LegendEntry(.fill(dark, border: .black), "\(mainName)68% CL"))
  entries.append(LegendEntry(.fill(light, border: .black), "\(mainName)95% CL"))
  for (k, s) in sets.enumerated().dropFirst() {
    let col = sets.count > 1 && s.color == first.color ? Color.cmsPalette[(k + 1) % Color.cmsPalette.count] : s.color
    entries.append(LegendEntry(.line(col, width: 2.4, dash: []), (s.label ?? "set \(k + 1)") + " 68% CL"))
    entries.append(LegendEntry(.line(col, width: 2.4, dash: [7, 4]), (s.label ?? "set \(k + 1)") + " 95% CL"))
  }
  if o.sm != nil { entries.append(LegendEntry(.marker(.diamond, Color(hex: 0xe42536), size: 11), o.smLabel)) }
  let fs = 15 * o.style.fontScale
  try Canvas.render(to: path, width: o.style.width, height: o.style.height) { c in
    // Headroom above the data for the legend.
    var probe = Axes(canvasWidth: c.width, canvasHeight: c.height, x: xr, y: yr)
    let legendH = fs * 1.55 * Double(entries.count) + fs * 1.5
    let frac = min(0.5, legendH / probe.height)
    let yTop = yr.1 + (yr.1 - yr.0) * frac / (1 - frac)
    probe = Axes(canvasWidth: c.width, canvasHeight: c.height, x: xr, y: (yr.0, yTop))
    let ax = probe
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
    for (k, (s, g)) in prepared.enumerated().dropFirst() {
      let col = s.color == first.color ? Color.cmsPalette[(k + 1) % Color.cmsPalette.count] : s.color
      lines(g, l95, col, 2.4, [7, 4])
      lines(g, l68, col, 2.4, [])
      if let b = s.bestFit ?? g.minimum?.at { c.marker(.plus, at: ax.px(b.x), ax.py(b.y), size: 13, color: col) }
    }
    if let sm = o.sm {
      c.marker(.diamond, at: ax.px(sm.x), ax.py(sm.y), size: 11, color: Color(hex: 0xe42536), outline: .black, lineWidth: 0.8)
    }
    if let b = first.bestFit ?? g0.minimum?.at { c.marker(.plus, at: ax.px(b.x), ax.py(b.y), size: 13, color: .black) }
    c.restore()
    drawLegend(entries, on: c, axes: ax, corner: .topRight, fontSize: fs, background: true)
    ax.draw(on: c, xTitle: o.xTitle, yTitle: o.yTitle, style: o.style, titleMarkup: o.titleMarkup)
  }
}
