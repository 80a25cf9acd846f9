//===--- ImpactPlot.swift -------------------------------------------------===//
// The impacts figure of Combine's plotImpacts.py: parameter names on the left, the pulls
// (θ̂ − θ₀)/Δθ with their post-fit ±1σ bars over the ±1σ band in the middle, the ±1σ impacts on
// the POI on the right, ranked by impact.
//===----------------------------------------------------------------------===//

import CCairo
import Foundation
import Support

/// One row of the impact plot (plain numbers: the caller converts from its fit results).
public struct ImpactPlotEntry: Sendable {
  public var name: String
  /// Post-fit [θ_lo, θ̂, θ_hi].
  public var fit: [Double]
  /// Pre-fit [−1σ, θ₀, +1σ]; ignored when `unconstrained`.
  public var prefit: [Double]
  /// Unconstrained parameters (rateParams, flat) are drawn as θ̂ − θ₀ with their post-fit bars.
  public var unconstrained: Bool
  /// p(θ_hi) − p̂ and p(θ_lo) − p̂.
  public var impactUp: Double
  public var impactDown: Double
  /// A fit of this parameter (its interval or an impact) failed: drawn in red with "†".
  public var failed: Bool

  public init(name: String, fit: [Double], prefit: [Double], unconstrained: Bool, impactUp: Double, impactDown: Double,
              failed: Bool = false) {
    self.name = name; self.fit = fit; self.prefit = prefit; self.unconstrained = unconstrained
    self.impactUp = impactUp; self.impactDown = impactDown; self.failed = failed
  }

  /// max(|up|, |down|), the ranking key.
  public var impact: Double { max(abs(impactUp), abs(impactDown)) }

  /// (pull, bar below, bar above) in units of the pre-fit σ on the side of the pull (plotImpacts'
  /// default), or of 1 for unconstrained parameters.
  public var pull: (value: Double, down: Double, up: Double) {
    guard fit.count == 3 else { return (.nan, 0, 0) }
    if unconstrained || prefit.count != 3 {
      let c = prefit.count == 3 ? prefit[1] : 0
      return (fit[1] - c, fit[1] - fit[0], fit[2] - fit[1])
    }
    let sLo = prefit[1] - prefit[0], sHi = prefit[2] - prefit[1]
    func scaled(_ d: Double) -> Double { d >= 0 ? (sHi > 0 ? d / sHi : d) : (sLo > 0 ? d / sLo : d) }
    let p = scaled(fit[1] - prefit[1])
    return (p, p - scaled(fit[0] - prefit[1]), scaled(fit[2] - prefit[1]) - p)
  }
}

public struct ImpactPlotOptions: Sendable {
  /// "Recombine" at the top left by default, as every other figure (`logo`, `logoSub`).
  public var style = PlotStyle()
  /// The POI's label as drawn (markup: "#mu", "c_{HG} #times 10^{3}").
  public var poi: String = "r"
  /// The POI's [lo, best, hi], drawn in the top-right corner.
  public var poiFit: [Double]? = nil
  /// Rows drawn (the largest impacts).
  public var maxParameters: Int = 30
  public var colorUp = Color(hex: 0xe42536)
  public var colorDown = Color(hex: 0x5790fc)
  public init() {}
}

/// A text's box in device points (y down): for layout checks.
public struct TextBox: Sendable, Equatable {
  public var text: String
  public var x0: Double, x1: Double, y0: Double, y1: Double
  public func overlaps(_ o: TextBox) -> Bool { x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1 }
}

/// Where everything of the impact figure goes, decided before drawing. Three header lines:
/// logo and luminosity label; the POI's result; the legend. Names that do not fit their column
/// are shortened in the middle ("…"); the gap between the panels holds both edge tick labels.
public struct ImpactPlotLayout {
  public var width: Double, height: Double
  public var top: Double, bottom: Double
  public var left: Double, gap: Double, rightMargin: Double, pullW: Double
  public var pullMax: Double, impHalf: Double
  public var rows: [ImpactPlotEntry]
  /// The names as drawn (shortened to fit, "†" after a parameter whose fits failed).
  public var names: [String]
  /// Every text box of the header and of the tick labels next to the panels' shared gap.
  public var boxes: [TextBox]
  public var headerItems: [HeaderItem]
  public var headerBaseline: Double, resultBaseline: Double, legendY: Double
  public var result: String?
  public var legend: [(color: Color, text: String, marker: Bool, x: Double)]
  public var pullAxes: Axes, impAxes: Axes
  public var anyFailed: Bool
}

/// Lays out the impact figure of `entries` (ranked here by impact) with the text measured on `c`.
public func impactPlotLayout(_ entries: [ImpactPlotEntry], options o: ImpactPlotOptions, on c: Canvas) -> ImpactPlotLayout {
  let rows = Array(entries.sorted { $0.impact > $1.impact }.prefix(max(1, o.maxParameters)))
  let n = rows.count
  let s = o.style.fontScale
  let rowH = 20.0 * s
  let nameFont = FontStyle(size: 12 * s), rankFont = FontStyle(size: 10 * s), tickFont = FontStyle(size: 15 * s)
  let anyFailed = rows.contains(where: \.failed)
  let width = max(o.style.width, 900)
  let top = 100.0 * s, bottom = (anyFailed ? 82.0 : 62.0) * s
  let height = top + bottom + rowH * Double(n)
  let rankW = c.textWidth("\(n)", font: rankFont) + 18 * s
  let widest = rows.map { c.textWidth($0.name + ($0.failed ? " †" : ""), font: nameFont) }.max() ?? 0
  let left = min(max(widest + rankW + 16 * s, 160 * s), width * 0.45)
  let room = left - 8 * s - rankW
  let names = rows.map { e -> String in
    let mark = e.failed ? " †" : ""
    if c.textWidth(e.name + mark, font: nameFont) <= room { return e.name + mark }
    var chars = Array(e.name)
    while chars.count > 4 {
      chars.remove(at: chars.count / 2)
      let half = chars.count / 2
      let t = String(chars[..<half]) + "…" + String(chars[half...]) + mark
      if c.textWidth(t, font: nameFont) <= room { return t }
    }
    return String(chars) + mark
  }
  // Pull range: at least ±2.5, widened to hold every bar.
  var pullMax = 2.5
  for e in rows where !e.unconstrained {
    let p = e.pull
    if p.value.isFinite && p.down.isFinite && p.up.isFinite { pullMax = max(pullMax, abs(p.value - p.down) * 1.1, abs(p.value + p.up) * 1.1) }
  }
  pullMax = min(pullMax, 10)
  var impMax0 = rows.map(\.impact).filter(\.isFinite).max() ?? 0
  if !(impMax0 > 0) { impMax0 = 1 }  // all impacts zero (e.g. the POI on its bound)
  let impHalf = niceRange(-impMax0 * 1.15, impMax0 * 1.15, target: 4).1
  let pullTicks = Ticks(lo: -pullMax, hi: pullMax, target: 5), impTicks = Ticks(lo: -impHalf, hi: impHalf, target: 4)
  // The gap holds half of each panel's outermost tick label, plus air.
  let edgeR = pullTicks.major.last.map { c.textWidth(pullTicks.label($0), font: tickFont) / 2 } ?? 0
  let edgeL = impTicks.major.first.map { c.textWidth(impTicks.label($0), font: tickFont) / 2 } ?? 0
  let gap = max(12 * s, edgeR + edgeL + 10 * s)
  let rightMargin = 24.0 * s
  let pullW = (width - left - gap - rightMargin) * 0.5
  var pullAxes = Axes(canvasWidth: width, canvasHeight: height, x: (-pullMax, pullMax), y: (0, Double(n)),
                      margins: (left, top, width - left - pullW, bottom))
  var impAxes = Axes(canvasWidth: width, canvasHeight: height, x: (-impHalf, impHalf), y: (0, Double(n)),
                     margins: (left + pullW + gap, top, rightMargin, bottom))
  pullAxes.xTicks = pullTicks; impAxes.xTicks = impTicks
  pullAxes.yTicks.major = []; pullAxes.yTicks.minor = []
  impAxes.yTicks.major = []; impAxes.yTicks.minor = []

  var boxes: [TextBox] = []
  func box(_ t: String, _ f: FontStyle, x: Double, baseline y: Double) -> TextBox {
    TextBox(text: t, x0: x, x1: x + c.textWidth(t, font: f), y0: y - f.size * 0.8, y1: y + f.size * 0.25)
  }
  // Line 1: logo and luminosity label.
  let headerBaseline = 30 * s
  let headerItems = o.style.headerItems(on: c, left: 10 * s, right: width - rightMargin)
  boxes += headerItems.map { box($0.text, $0.font, x: $0.x, baseline: headerBaseline) }
  // Line 2: the POI's result, right-aligned over the impact panel.
  let resultBaseline = 58 * s
  var result: String?
  if let f = o.poiFit, f.count == 3 {
    let errs = [f[2] - f[1], f[1] - f[0]].filter { $0 > 0 && $0.isFinite }
    let digits = errs.min().map { max(1, min(4, 1 - Int(floor(log10($0))))) } ?? 2
    let t = "\(o.poi) = \(formatNumber(f[1], digits: digits))^{+\(formatNumber(f[2] - f[1], digits: digits, minus: false))}_{−\(formatNumber(f[1] - f[0], digits: digits, minus: false))}"
    let rf = FontStyle(size: 15 * s)
    result = t
    boxes.append(box(t, rf, x: impAxes.right - c.textWidth(t, font: rf), baseline: resultBaseline))
  }
  // Line 3: the legend, from the pull panel's left edge; the impact keys start over the impact panel.
  let legendY = top - 16 * s
  let lf = FontStyle(size: 12 * s)
  var legend: [(color: Color, text: String, marker: Bool, x: Double)] = []
  let band1 = Color(hex: 0xb5dcf5), band2 = Color(hex: 0xfff2b8)
  var pullKeys: [(Color, String, Bool)] = [(.black, "Pull", true), (band1, "±1σ", false), (band2, "±2σ", false)]
  if rows.contains(where: \.unconstrained) { pullKeys.append((Color(hex: 0x964a8b), "Unconstr. (#hat{θ} − θ_{0})", true)) }
  let impactKeys: [(Color, String, Bool)] = [(o.colorUp, "+1σ impact", false), (o.colorDown, "−1σ impact", false)]
  func keyWidth(_ k: (Color, String, Bool)) -> Double { 20 * s + c.textWidth(k.1, font: lf) + 12 * s }
  let pullKeysW = pullKeys.map(keyWidth).reduce(0, +), impactKeysW = impactKeys.map(keyWidth).reduce(0, +)
  let legendRight = width - rightMargin
  // The pull keys over the pull panel and the impact keys over the impact panel when they fit;
  // else moved left, as far as the canvas's left margin.
  var lx = min(pullAxes.left, max(10 * s, legendRight - pullKeysW - impactKeysW))
  func key(_ k: (Color, String, Bool)) {
    legend.append((k.0, k.1, k.2, lx))
    let tw = c.textWidth(k.1, font: lf)
    boxes.append(TextBox(text: k.1, x0: lx, x1: lx + 20 * s + tw, y0: legendY - 6 * s, y1: legendY + 6 * s))
    lx += 20 * s + tw + 12 * s
  }
  pullKeys.forEach(key)
  lx = max(lx, min(impAxes.left, legendRight - impactKeysW))
  impactKeys.forEach(key)
  // The tick labels either side of the gap.
  let tickY = height - bottom + 8 * s
  if let v = pullTicks.major.last {
    let t = pullTicks.label(v), w = c.textWidth(t, font: tickFont)
    boxes.append(TextBox(text: t, x0: pullAxes.px(v) - w / 2, x1: pullAxes.px(v) + w / 2, y0: tickY, y1: tickY + tickFont.size))
  }
  if let v = impTicks.major.first {
    let t = impTicks.label(v), w = c.textWidth(t, font: tickFont)
    boxes.append(TextBox(text: t, x0: impAxes.px(v) - w / 2, x1: impAxes.px(v) + w / 2, y0: tickY, y1: tickY + tickFont.size))
  }
  return ImpactPlotLayout(
    width: width, height: height, top: top, bottom: bottom, left: left, gap: gap, rightMargin: rightMargin, pullW: pullW,
    pullMax: pullMax, impHalf: impHalf, rows: rows, names: names, boxes: boxes, headerItems: headerItems,
    headerBaseline: headerBaseline, resultBaseline: resultBaseline, legendY: legendY, result: result, legend: legend,
    pullAxes: pullAxes, impAxes: impAxes, anyFailed: anyFailed)
}

/// Measures text outside a figure (for layouts computed before the canvas exists).
public func withMeasuringCanvas<T>(_ body: (Canvas) throws -> T) throws -> T {
  try FigureFonts.check()
  guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1) else { throw PlotError("cairo surface") }
  defer { cairo_surface_destroy(surface) }
  guard let cr = cairo_create(surface) else { throw PlotError("cairo_create failed") }
  defer { cairo_destroy(cr) }
  return try body(Canvas(cr: cr, width: 1, height: 1))
}

/// Draws the impact plot of `entries` (ranked here by impact) to `path` (.png, .pdf or .svg). A
/// parameter whose fits failed (`failed`) is marked "†" and explained in a footnote.
public func plotImpacts(_ entries: [ImpactPlotEntry], options o: ImpactPlotOptions = ImpactPlotOptions(), to path: String) throws {
  guard !entries.isEmpty else { throw PlotError("no parameters to draw") }
  let L = try withMeasuringCanvas { impactPlotLayout(entries, options: o, on: $0) }
  let rows = L.rows, n = rows.count
  let s = o.style.fontScale
  let rowH = 20.0 * s
  let nameFont = FontStyle(size: 12 * s), rankFont = FontStyle(size: 10 * s), titleFont = FontStyle(size: 15 * s)
  let band1 = Color(hex: 0xb5dcf5), band2 = Color(hex: 0xfff2b8)
  let failColor = Color(hex: 0xc0392b)
  try Canvas.render(to: path, width: L.width, height: L.height) { c in
    let pullAxes = L.pullAxes, impAxes = L.impAxes
    for a in [pullAxes, impAxes] {
      // Alternate row shading across both panels and the names, as plotImpacts.
      for i in 0..<n where i % 2 == 0 {
        c.save(); c.setColor(Color(0.93, 0.93, 0.93))
        c.rectangle(a.left, a.py(Double(n - i)), a.width, rowH); c.fill(); c.restore()
      }
    }
    // Names and ranks.
    for (i, e) in rows.enumerated() {
      let y = pullAxes.py(Double(n - i) - 0.5)
      if i % 2 == 0 {
        c.save(); c.setColor(Color(0.93, 0.93, 0.93))
        c.rectangle(8 * s, y - rowH / 2, L.left - 8 * s, rowH); c.fill(); c.restore()
      }
      c.text("\(i + 1)", x: 12 * s, y: y, font: rankFont, color: .gray, valign: .middle)
      // Parameter names are drawn as written (an underscore is not a subscript here).
      c.text(L.names[i], x: L.left - 8 * s, y: y, font: nameFont, color: e.failed ? failColor : .black, align: .right,
             valign: .middle, markup: false)
    }

    // Pull panel: ±2σ and ±1σ bands, the pulls.
    pullAxes.clip(c)
    c.save()
    c.setColor(band2)
    c.rectangle(pullAxes.px(-2), pullAxes.top, pullAxes.px(2) - pullAxes.px(-2), pullAxes.height); c.fill()
    c.setColor(band1)
    c.rectangle(pullAxes.px(-1), pullAxes.top, pullAxes.px(1) - pullAxes.px(-1), pullAxes.height); c.fill()
    c.restore()
    c.line(pullAxes.px(0), pullAxes.top, pullAxes.px(0), pullAxes.bottom, color: .gray, width: 1, dash: [4, 3])
    for (i, e) in rows.enumerated() {
      let y = pullAxes.py(Double(n - i) - 0.5)
      let p = e.pull
      guard p.value.isFinite else { continue }
      let col: Color = e.failed ? failColor : e.unconstrained ? Color(hex: 0x964a8b) : .black
      let x0 = pullAxes.px(p.value - p.down), x1 = pullAxes.px(p.value + p.up)
      c.line(x0, y, x1, y, color: col, width: 1.6 * s)
      for x in [x0, x1] { c.line(x, y - 3 * s, x, y + 3 * s, color: col, width: 1.2 * s) }
      c.marker(e.unconstrained ? .square : .circle, at: pullAxes.px(p.value), y, size: 7 * s, color: col)
    }
    c.restore()
    pullAxes.draw(on: c, xTitle: "", yTitle: "", style: o.style.bare)
    c.text("(#hat{θ} − θ_{0})/Δθ", x: pullAxes.left + pullAxes.width / 2, y: L.height - L.bottom + 30 * s, font: titleFont,
           align: .center, valign: .top)

    // Impact panel.
    impAxes.clip(c)
    for (i, e) in rows.enumerated() {
      let yc = impAxes.py(Double(n - i) - 0.5)
      let h = rowH * 0.62
      for (v, col) in [(e.impactUp, o.colorUp), (e.impactDown, o.colorDown)] where v.isFinite && v != 0 {
        let x0 = impAxes.px(0), x1 = impAxes.px(v)
        c.save(); c.setColor(col.withAlpha(0.8))
        c.rectangle(min(x0, x1), yc - h / 2, abs(x1 - x0), h); c.fill(preserve: true)
        c.setColor(col); c.setLineWidth(0.8); c.stroke(); c.restore()
      }
    }
    c.restore()
    c.line(impAxes.px(0), impAxes.top, impAxes.px(0), impAxes.bottom, color: .black, width: 1)
    impAxes.draw(on: c, xTitle: "", yTitle: "", style: o.style.bare)
    c.text("Δ\(o.poi)", x: impAxes.left + impAxes.width / 2, y: L.height - L.bottom + 30 * s, font: titleFont, align: .center, valign: .top)

    // Header: logo and luminosity label; the POI's result; the legend.
    o.style.drawHeader(on: c, left: 10 * s, right: L.width - L.rightMargin, baseline: L.headerBaseline)
    if let t = L.result {
      c.text(t, x: impAxes.right, y: L.resultBaseline, font: FontStyle(size: 15 * s), align: .right)
    }
    let lf = FontStyle(size: 12 * s)
    for k in L.legend {
      let lx = k.x, ly = L.legendY
      if k.marker {
        c.line(lx, ly, lx + 16 * s, ly, color: k.color, width: 1.6 * s)
        c.marker(.circle, at: lx + 8 * s, ly, size: 6 * s, color: k.color)
      } else {
        c.save(); c.setColor(k.color.withAlpha(k.color.a == 1 ? 0.8 : k.color.a)); c.rectangle(lx, ly - 5 * s, 16 * s, 10 * s); c.fill(); c.restore()
      }
      c.text(k.text, x: lx + 20 * s, y: ly, font: lf, valign: .middle)
    }
    if L.anyFailed {
      c.text("† a fit of this parameter's interval or impact failed: its numbers are not trustworthy (see the JSON's \"warnings\")",
             x: 10 * s, y: L.height - 10 * s, font: FontStyle(size: 11 * s), color: failColor, markup: false)
    }
  }
}
