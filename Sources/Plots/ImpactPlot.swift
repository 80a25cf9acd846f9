//===--- ImpactPlot.swift -------------------------------------------------===//
// The impacts figure of Combine's plotImpacts.py: parameter names on the left, the pulls
// (θ̂ − θ₀)/Δθ with their post-fit ±1σ bars over the ±1σ band in the middle, the ±1σ impacts on
// the POI on the right, ranked by impact.
//===----------------------------------------------------------------------===//

import CCairo
import Foundation

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

  public init(name: String, fit: [Double], prefit: [Double], unconstrained: Bool, impactUp: Double, impactDown: Double) {
    self.name = name; self.fit = fit; self.prefit = prefit; self.unconstrained = unconstrained
    self.impactUp = impactUp; self.impactDown = impactDown
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
  /// "Recombine" at the top left by default, as every other figure; `cms = true` draws "CMS <label>".
  public var style = PlotStyle()
  /// The POI's name as drawn (markup allowed, e.g. "#mu" is not translated: pass "μ").
  public var poi: String = "r"
  /// The POI's [lo, best, hi], drawn in the top-right corner.
  public var poiFit: [Double]? = nil
  /// Rows drawn (the largest impacts).
  public var maxParameters: Int = 30
  public var colorUp = Color(hex: 0xe42536)
  public var colorDown = Color(hex: 0x5790fc)
  public init() {}
}

/// Draws the impact plot of `entries` (ranked here by impact) to `path` (.png, .pdf or .svg).
public func plotImpacts(_ entries: [ImpactPlotEntry], options o: ImpactPlotOptions = ImpactPlotOptions(), to path: String) throws {
  guard !entries.isEmpty else { throw PlotError("no parameters to draw") }
  let rows = Array(entries.sorted { $0.impact > $1.impact }.prefix(max(1, o.maxParameters)))
  let n = rows.count
  let s = o.style.fontScale
  let rowH = 20.0 * s
  let nameFont = FontStyle(size: 12 * s)
  let rankFont = FontStyle(size: 10 * s)
  let tickFont = FontStyle(size: 13 * s)
  let titleFont = FontStyle(size: 15 * s)
  let width = max(o.style.width, 900)
  let top = 70.0 * s, bottom = 62.0 * s
  let height = top + bottom + rowH * Double(n)
  // Name column (measured), pull panel, impact panel.
  let nameW = try measureNames(rows.map(\.name), font: nameFont) + 44 * s
  let left = min(max(nameW, 160 * s), width * 0.45)
  let gap = 12.0 * s, rightMargin = 24.0 * s
  let panelW = (width - left - gap - rightMargin)
  let pullW = panelW * 0.5

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

  let band1 = Color(hex: 0xb5dcf5), band2 = Color(hex: 0xfff2b8)
  try Canvas.render(to: path, width: width, height: height) { c in
    var pullAxes = Axes(canvasWidth: width, canvasHeight: height, x: (-pullMax, pullMax), y: (0, Double(n)),
                        margins: (left, top, width - left - pullW, bottom))
    var impAxes = Axes(canvasWidth: width, canvasHeight: height, x: (-impHalf, impHalf), y: (0, Double(n)),
                       margins: (left + pullW + gap, top, rightMargin, bottom))
    pullAxes.xTicks = Ticks(lo: -pullMax, hi: pullMax, target: 5)
    impAxes.xTicks = Ticks(lo: -impHalf, hi: impHalf, target: 4)
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
        c.rectangle(8 * s, y - rowH / 2, left - 8 * s, rowH); c.fill(); c.restore()
      }
      c.text("\(i + 1)", x: 12 * s, y: y, font: rankFont, color: .gray, valign: .middle)
      c.text(e.name, x: left - 8 * s, y: y, font: nameFont, align: .right, valign: .middle)
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
      let col: Color = e.unconstrained ? Color(hex: 0x964a8b) : .black
      let x0 = pullAxes.px(p.value - p.down), x1 = pullAxes.px(p.value + p.up)
      c.line(x0, y, x1, y, color: col, width: 1.6 * s)
      for x in [x0, x1] { c.line(x, y - 3 * s, x, y + 3 * s, color: col, width: 1.2 * s) }
      c.marker(e.unconstrained ? .square : .circle, at: pullAxes.px(p.value), y, size: 7 * s, color: col)
    }
    c.restore()
    var noY = pullAxes
    noY.yTicks.major = []; noY.yTicks.minor = []
    var bare = o.style
    bare.cms = false; bare.label = ""; bare.rightLabel = nil
    noY.draw(on: c, xTitle: "", yTitle: "", style: bare)
    c.text("(θ̂ − θ_{0})/Δθ", x: pullAxes.left + pullAxes.width / 2, y: height - bottom + 30 * s, font: titleFont, align: .center, valign: .top, markup: true)

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
    var noY2 = impAxes
    noY2.yTicks.major = []; noY2.yTicks.minor = []
    noY2.draw(on: c, xTitle: "", yTitle: "", style: bare)
    c.text("Δ\(o.poi)", x: impAxes.left + impAxes.width / 2, y: height - bottom + 30 * s, font: titleFont, align: .center, valign: .top, markup: true)
    _ = tickFont

    // Header: CMS label, legend, the POI result.
    let big = FontStyle(size: 21 * s, bold: true)
    let yHead = top - 34 * s
    var x = 10 * s
    if o.style.cms {
      c.text("CMS", x: x, y: yHead, font: big)
      x += c.textWidth("CMS ", font: big)
      c.text(o.style.label, x: x, y: yHead, font: FontStyle(size: 17 * s, italic: true))
    } else {
      c.text(o.style.label, x: x, y: yHead, font: big)
    }
    if let r = o.style.rightLabel {
      c.text(r, x: width - rightMargin, y: yHead, font: FontStyle(size: 15 * s), align: .right, markup: true)
    }
    if let f = o.poiFit, f.count == 3 {
      let errs = [f[2] - f[1], f[1] - f[0]].filter { $0 > 0 && $0.isFinite }
      let digits = errs.min().map { max(1, min(4, 1 - Int(floor(log10($0))))) } ?? 2
      let t = "\(o.poi) = \(formatNumber(f[1], digits: digits))^{+\(formatNumber(f[2] - f[1], digits: digits, minus: false))}_{−\(formatNumber(f[1] - f[0], digits: digits, minus: false))}"
      c.text(t, x: impAxes.right, y: top - 10 * s, font: FontStyle(size: 15 * s), align: .right, markup: true)
    }
    // Legend above the panels.
    let ly = top - 14 * s
    var lx = pullAxes.left
    let lf = FontStyle(size: 12 * s)
    func key(_ col: Color, _ text: String, marker: Bool = false) {
      if marker {
        c.line(lx, ly, lx + 16 * s, ly, color: col, width: 1.6 * s)
        c.marker(.circle, at: lx + 8 * s, ly, size: 6 * s, color: col)
      } else {
        c.save(); c.setColor(col.withAlpha(col.a == 1 ? 0.8 : col.a)); c.rectangle(lx, ly - 5 * s, 16 * s, 10 * s); c.fill(); c.restore()
      }
      c.text(text, x: lx + 20 * s, y: ly, font: lf, valign: .middle, markup: true)
      lx += 20 * s + c.textWidth(text, font: lf, markup: true) + 12 * s
    }
    key(.black, "Pull", marker: true)
    key(band1, "±1σ")
    key(band2, "±2σ")
    if rows.contains(where: \.unconstrained) { key(Color(hex: 0x964a8b), "Unconstr. (θ̂ − θ_{0})", marker: true) }
    lx = max(lx, impAxes.left)
    key(o.colorUp, "+1σ impact")
    key(o.colorDown, "−1σ impact")
  }
}

/// The widest of `names` in `font`, measured on a scratch surface.
private func measureNames(_ names: [String], font: FontStyle) throws -> Double {
  guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1) else { throw PlotError("cairo surface") }
  defer { cairo_surface_destroy(surface) }
  guard let cr = cairo_create(surface) else { throw PlotError("cairo_create failed") }
  defer { cairo_destroy(cr) }
  let c = Canvas(cr: cr, width: 1, height: 1)
  return names.map { c.textWidth($0, font: font) }.max() ?? 0
}
