//===--- Axes.swift -------------------------------------------------------===//
// A CMS-paper-style frame: thin box, inward major and minor ticks on all four sides, tick labels on
// the left and bottom, axis titles flush with the top/right ends, the experiment label above the
// top-left corner, and a legend.
//===----------------------------------------------------------------------===//

import Foundation

/// "Nice" ticks for [lo, hi]: a step of 1, 2, 2.5 or 5 × 10ᵏ giving about `target` intervals.
public struct Ticks: Sendable {
  public var major: [Double]
  public var minor: [Double]
  public var step: Double
  /// Decimals needed to print the major ticks.
  public var digits: Int

  public init(lo: Double, hi: Double, target: Int = 6) {
    precondition(hi > lo, "Ticks: empty range")
    let raw = (hi - lo) / Double(max(1, target))
    let mag = pow(10, floor(log10(raw)))
    let f = raw / mag
    let mant: Double = f < 1.5 ? 1 : f < 2.2 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10
    step = mant * mag
    let nMinor = mant == 2 ? 4 : 5
    let eps = step * 1e-9
    var major: [Double] = []
    var minor: [Double] = []
    var k = (lo / step).rounded(.down) - 1
    while k * step <= hi + eps {
      let v = k * step
      if v >= lo - eps { major.append(abs(v) < eps ? 0 : v) }
      for m in 1..<nMinor {
        let w = v + Double(m) * step / Double(nMinor)
        if w >= lo - eps && w <= hi + eps { minor.append(w) }
      }
      k += 1
    }
    self.major = major
    self.minor = minor
    // A 2.5 mantissa needs one more decimal only below 10 (2.5, 0.25; not 25 or 250).
    digits = max(0, -Int(floor(log10(step) + 1e-9))) + (mant == 2.5 && step < 10 ? 1 : 0)
  }

  public func label(_ v: Double) -> String { formatNumber(v, digits: digits) }
}

/// Extends [lo, hi] outward to multiples of a nice step.
public func niceRange(_ lo: Double, _ hi: Double, target: Int = 6) -> (Double, Double) {
  let t = Ticks(lo: lo, hi: hi, target: target)
  return ((lo / t.step).rounded(.down) * t.step, (hi / t.step).rounded(.up) * t.step)
}

/// Figure-wide text and label options (plot1DScan.py's `--logo`, `--logo-sub`, and the
/// luminosity/energy label).
public struct PlotStyle: Sendable {
  /// Drawn bold above the frame's top-left corner ("CMS", "Recombine"); nil for none.
  public var logo: String? = "Recombine"
  /// Drawn in italics after the logo ("Preliminary", "Supplementary", "Internal"); nil for none.
  public var logoSub: String? = nil
  /// Text above the frame's top-right corner, e.g. "138 fb^{-1} (13 TeV)" (markup).
  public var rightLabel: String? = nil
  public var width: Double = 600
  public var height: Double = 520
  public var fontScale: Double = 1
  public init() {}

  /// The same style with no logo and no right label (for secondary panels).
  public var bare: PlotStyle { var b = self; b.logo = nil; b.logoSub = nil; b.rightLabel = nil; return b }

  /// The header's text boxes when its baseline is at `y`, starting at `left` and ending at
  /// `right`: the logo, the sub-label and the right label, as (text, font, x, width). Used by
  /// `draw` and by the layout checks.
  public func headerItems(on c: Canvas, left: Double, right: Double) -> [HeaderItem] {
    let s = fontScale
    let big = FontStyle(size: 21 * s, bold: true), sub = FontStyle(size: 17 * s, italic: true)
    var items: [HeaderItem] = []
    var x = left
    if let logo, !logo.isEmpty {
      let w = c.textWidth(logo, font: big)
      items.append(HeaderItem(text: logo, font: big, x: x, width: w))
      x += w + c.textWidth(" ", font: big)
    }
    if let logoSub, !logoSub.isEmpty {
      items.append(HeaderItem(text: logoSub, font: sub, x: x, width: c.textWidth(logoSub, font: sub)))
    }
    if let r = rightLabel, !r.isEmpty {
      let f = FontStyle(size: 16 * s)
      let w = c.textWidth(r, font: f)
      items.append(HeaderItem(text: r, font: f, x: right - w, width: w))
    }
    return items
  }

  /// Draws `headerItems` with their baseline at `y`.
  public func drawHeader(on c: Canvas, left: Double, right: Double, baseline y: Double) {
    for item in headerItems(on: c, left: left, right: right) {
      c.text(item.text, x: item.x, y: y, font: item.font)
    }
  }
}

/// One text of a figure's header.
public struct HeaderItem: Sendable {
  public var text: String
  public var font: FontStyle
  public var x: Double
  public var width: Double
  public var right: Double { x + width }
}

/// A plotting frame: device rectangle plus the data ranges it shows.
public struct Axes {
  public var left: Double, top: Double, right: Double, bottom: Double
  public var xRange: (Double, Double)
  public var yRange: (Double, Double)
  public var xTicks: Ticks
  public var yTicks: Ticks

  public init(canvasWidth w: Double, canvasHeight h: Double, x: (Double, Double), y: (Double, Double),
              margins: (left: Double, top: Double, right: Double, bottom: Double) = (82, 42, 28, 68)) {
    left = margins.left; top = margins.top; right = w - margins.right; bottom = h - margins.bottom
    xRange = x; yRange = y
    xTicks = Ticks(lo: x.0, hi: x.1, target: 6)
    yTicks = Ticks(lo: y.0, hi: y.1, target: 6)
  }

  public var width: Double { right - left }
  public var height: Double { bottom - top }
  public func px(_ x: Double) -> Double { left + (x - xRange.0) / (xRange.1 - xRange.0) * width }
  public func py(_ y: Double) -> Double { bottom - (y - yRange.0) / (yRange.1 - yRange.0) * height }
  public func device(_ p: Point2D) -> (Double, Double) { (px(p.x), py(p.y)) }

  /// Restricts drawing to the inside of the frame until `canvas.restore()`.
  public func clip(_ c: Canvas) {
    c.save(); c.clip(x: left, y: top, width: width, height: height)
  }

  /// Frame, ticks, tick labels, axis titles and the experiment label. Draw after the data.
  public func draw(on c: Canvas, xTitle: String, yTitle: String, style: PlotStyle = PlotStyle()) {
    let s = style.fontScale
    let tickFont = FontStyle(size: 15 * s)
    let titleFont = FontStyle(size: 18 * s)
    let majorLen = 0.025 * min(width, height) + 2, minorLen = majorLen * 0.5
    c.save()
    c.setColor(.black); c.setDash([]); c.setLineWidth(0.8)
    for v in xTicks.major + xTicks.minor {
      let len = xTicks.major.contains(v) ? majorLen : minorLen
      let X = px(v)
      c.moveTo(X, bottom); c.lineTo(X, bottom - len)
      c.moveTo(X, top); c.lineTo(X, top + len)
    }
    for v in yTicks.major + yTicks.minor {
      let len = yTicks.major.contains(v) ? majorLen : minorLen
      let Y = py(v)
      c.moveTo(left, Y); c.lineTo(left + len, Y)
      c.moveTo(right, Y); c.lineTo(right - len, Y)
    }
    c.stroke()
    c.setLineWidth(1.2)
    c.rectangle(left, top, width, height); c.stroke()
    c.restore()
    for v in xTicks.major {
      c.text(xTicks.label(v), x: px(v), y: bottom + 8 * s, font: tickFont, align: .center, valign: .top)
    }
    var maxW = 0.0
    for v in yTicks.major {
      let t = yTicks.label(v)
      maxW = max(maxW, c.textWidth(t, font: tickFont))
      c.text(t, x: left - 7 * s, y: py(v), font: tickFont, align: .right, valign: .middle)
    }
    c.text(xTitle, x: right, y: bottom + 8 * s + tickFont.size + 12 * s, font: titleFont, align: .right, valign: .top)
    c.text(yTitle, x: left - 7 * s - maxW - 10 * s, y: top, font: titleFont, align: .right, valign: .bottom, angle: 90)
    // Experiment label and the right-hand label, above the frame.
    style.drawHeader(on: c, left: left, right: right, baseline: top - 8 * s)
  }
}

/// What a legend entry shows beside its text.
public enum LegendSymbol: Sendable {
  case line(Color, width: Double, dash: [Double])
  case fill(Color, border: Color?)
  case marker(MarkerShape, Color, size: Double)
}

public struct LegendEntry: Sendable {
  public var symbol: LegendSymbol
  public var text: String
  /// Optional second column (e.g. the fit result), markup allowed.
  public var detail: String?
  public var textColor: Color
  public init(_ symbol: LegendSymbol, _ text: String, detail: String? = nil, textColor: Color = .black) {
    self.symbol = symbol; self.text = text; self.detail = detail; self.textColor = textColor
  }
}

public enum LegendCorner: Sendable { case topRight, topLeft }

/// Draws a legend inside the frame; `background` paints a white box behind it (for plots where
/// the data may run under the legend). Returns the legend's bottom edge.
@discardableResult
public func drawLegend(_ entries: [LegendEntry], on c: Canvas, axes: Axes, corner: LegendCorner = .topRight,
                       top: Double? = nil, fontSize: Double = 15, background: Bool = false) -> Double {
  guard !entries.isEmpty else { return top ?? axes.top }
  let font = FontStyle(size: fontSize)
  let rowH = fontSize * 1.55
  let symW = fontSize * 2.2, gap = fontSize * 0.5
  let textW = entries.map { c.textWidth($0.text, font: font, markup: true) }.max() ?? 0
  let detailW = entries.map { $0.detail.map { c.textWidth($0, font: font, markup: true) } ?? 0 }.max() ?? 0
  let colGap = detailW > 0 ? fontSize * 0.8 : 0
  let w = symW + gap + textW + colGap + detailW
  let h = rowH * Double(entries.count)
  let pad = fontSize * 0.6
  let x0 = corner == .topRight ? axes.right - pad * 1.5 - w : axes.left + pad * 1.5
  let y0 = top ?? (axes.top + pad * 1.5)
  if background {
    c.save(); c.setColor(Color.white.withAlpha(0.85))
    c.rectangle(x0 - pad, y0 - pad * 0.6, w + 2 * pad, h + pad * 1.2); c.fill(); c.restore()
  }
  for (k, e) in entries.enumerated() {
    let cy = y0 + rowH * (Double(k) + 0.5)
    switch e.symbol {
    case let .line(col, width, dash):
      c.line(x0, cy, x0 + symW, cy, color: col, width: width, dash: dash)
    case let .fill(col, border):
      c.save(); c.setColor(col); c.rectangle(x0, cy - rowH * 0.32, symW, rowH * 0.64); c.fill(preserve: border != nil)
      if let border { c.setColor(border); c.setLineWidth(1.2); c.stroke() }
      c.restore()
    case let .marker(shape, col, size):
      c.marker(shape, at: x0 + symW / 2, cy, size: size, color: col)
    }
    c.text(e.text, x: x0 + symW + gap, y: cy, font: font, color: e.textColor, valign: .middle, markup: true)
    if let d = e.detail {
      c.text(d, x: x0 + symW + gap + textW + colGap, y: cy, font: font, color: e.textColor, valign: .middle, markup: true)
    }
  }
  return y0 + h
}
