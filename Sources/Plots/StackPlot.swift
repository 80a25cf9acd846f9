//===--- StackPlot.swift --------------------------------------------------===//
// The pre-fit / post-fit distribution of one channel, as in CMS papers: backgrounds stacked as
// filled histograms (bottom first), the signal on top (filled, or as a line), a grey band of ±1σ
// around the total prediction, data as black markers with vertical error bars, a legend, and an
// optional lower panel with Data / prediction. The layout arithmetic (stack boundaries, axis
// ranges, ratios) is exposed as pure functions so it can be tested without drawing.
//===----------------------------------------------------------------------===//

import Foundation

/// One process of the stack.
public struct StackComponent: Sendable {
  public var label: String
  /// Expected yield per bin.
  public var values: [Double]
  /// nil: the next colour of `StackComponent.palette` (counting only the components without one).
  public var color: Color?
  public var isSignal: Bool
  public init(label: String, values: [Double], color: Color? = nil, isSignal: Bool = false) {
    self.label = label; self.values = values; self.color = color; self.isSignal = isSignal
  }

  /// CMS's colour-blind-safe sequences: the 6-colour one, then the 10-colour one; cycled beyond 16.
  public static let palette: [Color] = Color.cmsPalette
    + [0x3f90da, 0xffa90e, 0xbd1f01, 0x94a4a2, 0x832db6, 0xa96b59, 0xe76300, 0xb9ac70, 0x717581, 0x92dadd].map { Color(hex: $0) }
}

/// Everything the distribution figure shows (plain numbers: the caller converts from its fit).
public struct StackPlotInput: Sendable {
  /// bins + 1 bin edges, strictly increasing.
  public var edges: [Double]
  /// Stacking order, bottom first (backgrounds, then signals).
  public var components: [StackComponent]
  /// Total prediction per bin; may differ from the sum of the components (e.g. by a Barlow-Beeston
  /// term). The band is drawn around it and the ratio divides by it.
  public var total: [Double]
  /// Symmetric 1σ half-width of the band per bin.
  public var totalError: [Double]
  /// Observed counts per bin; nil: no data drawn and no ratio panel.
  public var data: [Double]?
  /// Downward and upward 1σ errors of the data; nil: √n.
  public var dataErrorLow: [Double]?
  public var dataErrorHigh: [Double]?
  /// Axis titles (markup allowed, e.g. "m_{4ℓ} (GeV)").
  public var xTitle: String = "Observable"
  public var yTitle: String = "Events"
  /// Drawn inside the frame, top left, e.g. "hzz4l_Untagged_4mu, post-fit (s+b)"; split at ", "
  /// onto several lines when it does not fit beside the legend.
  public var text: String? = nil
  /// Lower panel with Data / prediction (only when there is data).
  public var ratio: Bool = true
  public var logY: Bool = false
  /// Signals as unfilled step lines at their place on top of the backgrounds, instead of filled.
  public var signalAsLine: Bool = false
  /// The yields are per unit of the x axis (divided by the bin widths): the ratio panel's
  /// "negligible bin" cut then applies to the counts, total·width.
  public var dividedByBinWidth: Bool = false
  /// Category labels, one per bin, drawn under the bins' centres instead of numeric ticks (a
  /// one-bin channel is one labelled bin).
  public var binLabels: [String]? = nil
  /// Labels and size; with a ratio panel the figure is 30% taller than `style.height`.
  public var style = PlotStyle()

  public init(edges: [Double], components: [StackComponent], total: [Double], totalError: [Double], data: [Double]? = nil) {
    self.edges = edges; self.components = components; self.total = total; self.totalError = totalError; self.data = data
  }

  public var bins: Int { max(0, edges.count - 1) }

  /// Whether every bin has the width of the first (to 1e-6 relative).
  public var hasUniformBins: Bool {
    let widths = (0..<bins).map { edges[$0 + 1] - edges[$0] }
    return widths.allSatisfy { abs($0 - widths[0]) <= 1e-6 * abs(widths[0]) }
  }

  /// Every yield, error and count multiplied by 1/width of its bin, `dividedByBinWidth` set.
  public mutating func divideByBinWidth() {
    let scale = (0..<bins).map { 1 / (edges[$0 + 1] - edges[$0]) }
    func scaled(_ v: [Double]) -> [Double] { zip(v, scale).map { $0 * $1 } }
    for k in components.indices { components[k].values = scaled(components[k].values) }
    total = scaled(total)
    totalError = scaled(totalError)
    data = data.map(scaled)
    dataErrorLow = dataErrorLow.map(scaled)
    dataErrorHigh = dataErrorHigh.map(scaled)
    dividedByBinWidth = true
  }

  /// Whether the ratio panel is drawn: requested and there is data.
  public var showsRatio: Bool { ratio && data != nil }

  /// Throws a `PlotError` naming the first problem: fewer than two edges, edges not finite or not
  /// strictly increasing, a per-bin array of the wrong length, a value that is not finite, or a
  /// negative uncertainty or count.
  public func validate() throws {
    guard edges.count >= 2 else { throw PlotError("stack plot: need at least two bin edges, got \(edges.count)") }
    for (i, e) in edges.enumerated() where !e.isFinite {
      throw PlotError("stack plot: bin edge \(i) is \(e)")
    }
    for i in 1..<edges.count where !(edges[i] > edges[i - 1]) {
      throw PlotError("stack plot: bin edges must increase strictly, but edge \(i) (\(edges[i])) follows \(edges[i - 1])")
    }
    let n = bins
    func check(_ v: [Double], _ what: String, nonNegative: Bool = false) throws {
      guard v.count == n else {
        throw PlotError("stack plot: \(what) has \(v.count) values but there are \(n) bins (\(edges.count) edges)")
      }
      if let i = v.firstIndex(where: { !$0.isFinite }) { throw PlotError("stack plot: \(what) is \(v[i]) in bin \(i)") }
      if nonNegative, let i = v.firstIndex(where: { $0 < 0 }) {
        throw PlotError("stack plot: \(what) is negative (\(v[i])) in bin \(i)")
      }
    }
    for c in components { try check(c.values, "component '\(c.label)'") }
    try check(total, "the total")
    try check(totalError, "the total's uncertainty", nonNegative: true)
    if let data {
      try check(data, "the data", nonNegative: true)
      if let l = dataErrorLow { try check(l, "the data's lower error", nonNegative: true) }
      if let h = dataErrorHigh { try check(h, "the data's upper error", nonNegative: true) }
    }
  }
}

// MARK: Layout arithmetic

/// Cumulative stack boundaries: `b[0][i] = 0` and `b[k + 1][i] = b[k][i] + values[k][i]`, so
/// component k fills the band from `b[k]` to `b[k + 1]` and `b.last` is the top of the stack.
/// Returns `values.count + 1` rows of `bins` numbers.
public func stackBoundaries(_ values: [[Double]], bins: Int) -> [[Double]] {
  var b = [[Double](repeating: 0, count: bins)]
  for v in values {
    let below = b[b.count - 1]
    b.append((0..<bins).map { below[$0] + ($0 < v.count ? v[$0] : 0) })
  }
  return b
}

/// The components in the order they are stacked: as given, except that with `signalAsLine` the
/// signals go after all backgrounds (a line cannot hold up a filled band).
public func stackOrder(_ input: StackPlotInput) -> [Int] {
  let all = Array(input.components.indices)
  guard input.signalAsLine else { return all }
  return all.filter { !input.components[$0].isSignal } + all.filter { input.components[$0].isSignal }
}

/// Each component's colour: its own, or else the next of `StackComponent.palette` that no
/// component has been given explicitly (so an automatic colour never repeats a chosen one while
/// the palette lasts; beyond it the remaining colours are cycled).
public func stackColors(_ components: [StackComponent]) -> [Color] {
  let taken = components.compactMap(\.color)
  var free = StackComponent.palette.filter { !taken.contains($0) }
  if free.isEmpty { free = StackComponent.palette }
  var k = 0
  return components.map { c in
    if let col = c.color { return col }
    defer { k += 1 }
    return free[k % free.count]
  }
}

/// The data's (lower, upper) errors: as given, or √n where not given; nil without data.
public func stackDataErrors(_ input: StackPlotInput) -> (low: [Double], high: [Double])? {
  guard let d = input.data else { return nil }
  let root = d.map { $0.squareRoot() }
  return (input.dataErrorLow ?? root, input.dataErrorHigh ?? root)
}

/// What the main panel's y axis must show: `maxContent` = the largest of total + error, data +
/// upper error and the top of the stack over all bins; `minPositive` = the smallest positive total
/// or data count (nil if there is none).
public func stackContentExtent(_ input: StackPlotInput) -> (maxContent: Double, minPositive: Double?) {
  let n = input.bins
  let top = stackBoundaries(input.components.map(\.values), bins: n).last!
  var m = 0.0
  var pos = Double.infinity
  for i in 0..<n {
    m = max(m, input.total[i] + input.totalError[i], top[i])
    if input.total[i] > 0 { pos = min(pos, input.total[i]) }
  }
  if let d = input.data, let (_, hi) = stackDataErrors(input) {
    for i in 0..<n {
      m = max(m, d[i] + hi[i])
      if d[i] > 0 { pos = min(pos, d[i]) }
    }
  }
  return (m, pos.isFinite ? pos : nil)
}

/// The main panel's y range, leaving the top fraction `headroom` (0 ≤ h < 1) of the frame free for
/// the legend and the text. With `m` = maxContent:
/// - linear: [0, m / (1 − h)] (so m sits at 1 − h of the height); [0, 1] when m ≤ 0;
/// - log: lo = 10^⌊log₁₀(minPositive / 2)⌋ (a whole decade at least a factor 2 below the smallest
///   positive value), and log₁₀ hi = log₁₀ lo + (log₁₀ m − log₁₀ lo) / (1 − h); with nothing positive,
///   [0.1, 10].
public func stackYRange(maxContent m: Double, minPositive: Double?, logY: Bool, headroom h: Double) -> (Double, Double) {
  let h = min(max(h, 0), 0.9)
  if !logY {
    return m > 0 ? (0, m / (1 - h)) : (0, 1)
  }
  guard let p = minPositive, p > 0, m > 0 else { return (0.1, 10) }
  let lo = pow(10, floor(log10(p / 2)))
  let top = max(m, lo * 10)  // at least one decade
  return (lo, pow(10, log10(lo) + (log10(top) - log10(lo)) / (1 - h)))
}

/// One bin of the ratio panel.
public struct StackRatioBin: Sendable, Equatable {
  public var bin: Int
  /// data / total.
  public var value: Double
  /// Data errors divided by the total.
  public var errorLow: Double
  public var errorHigh: Double
  /// Relative half-width of the band: totalError / total.
  public var band: Double
  public init(bin: Int, value: Double, errorLow: Double, errorHigh: Double, band: Double) {
    self.bin = bin; self.value = value; self.errorLow = errorLow; self.errorHigh = errorHigh; self.band = band
  }
}

/// Data / prediction per bin: value = dataᵢ/totalᵢ, errors = (data errors)ᵢ/totalᵢ, band =
/// totalErrorᵢ/totalᵢ; bins with totalᵢ ≤ 0 or with fewer than 10⁻³ of the largest bin's predicted
/// events are left out. Empty without data.
public func stackRatio(_ input: StackPlotInput) -> [StackRatioBin] {
  guard let d = input.data, let (lo, hi) = stackDataErrors(input) else { return [] }
  // Bins whose prediction is below 10⁻³ of the largest one carry no visible information and
  // would only stretch the panel (an empty tail bin: ratio 0 with a huge error bar). Compared in
  // counts: with yields per unit width, total·width.
  let counts = (0..<input.bins).map { input.total[$0] * (input.dividedByBinWidth ? input.edges[$0 + 1] - input.edges[$0] : 1) }
  let floor = 1e-3 * (counts.max() ?? 0)
  return (0..<input.bins).compactMap { i in
    let t = input.total[i]
    guard t > 0, counts[i] >= floor else { return nil }
    return StackRatioBin(bin: i, value: d[i] / t, errorLow: lo[i] / t, errorHigh: hi[i] / t, band: input.totalError[i] / t)
  }
}

/// The ratio panel's y range, [1 − w, 1 + w] with the lower end clipped at 0, for the first w of
/// 0.5, 1, 2 with w ≥ 1.1 · max(|valueᵢ − 1|, bandᵢ) (10% margin); ratios above the range are marked by
/// arrows at the top edge. Error bars do not widen the range.
public func stackRatioRange(_ bins: [StackRatioBin]) -> (Double, Double) {
  let need = 1.1 * bins.map { max(abs($0.value - 1), $0.band) }.filter(\.isFinite).reduce(0, max)
  let w = [0.5, 1, 2].first { $0 >= need } ?? 2
  return (max(0, 1 - w), 1 + w)
}

// MARK: Drawing

/// Draws the distribution figure of `input` to `path` (.png, .pdf or .svg), after `validate()`.
/// How one bin's data is drawn: a marker with its error bar, or — for a zero count — its upper
/// limit (the upper error, Garwood 68%: 1.84) as a short bar ending in a downward arrow.
public enum StackDataMark: Sendable, Equatable {
  case point(value: Double, low: Double, high: Double)
  case upperLimit(Double)
}

/// The data marks of every bin (nil without data).
public func stackDataMarks(_ input: StackPlotInput) -> [StackDataMark]? {
  guard let d = input.data, let (el, eh) = stackDataErrors(input) else { return nil }
  return d.indices.map { i in d[i] == 0 ? .upperLimit(eh[i]) : .point(value: d[i], low: d[i] - el[i], high: d[i] + eh[i]) }
}

public func plotStack(_ input: StackPlotInput, to path: String) throws {
  try input.validate()
  let st = input.style
  let s = st.fontScale
  let n = input.bins
  let edges = input.edges
  let withRatio = input.showsRatio
  let height = st.height + (withRatio ? (st.height * 0.3).rounded() : 0)
  let order = stackOrder(input)
  let colors = stackColors(input.components)
  let comps = order.map { input.components[$0] }
  let compColors = order.map { colors[$0] }
  let bounds = stackBoundaries(comps.map(\.values), bins: n)
  let isLine = comps.map { input.signalAsLine && $0.isSignal }
  let extent = stackContentExtent(input)
  let ratioBins = withRatio ? stackRatio(input) : []

  let bandColor = Color(0.35, 0.35, 0.35, 0.45)
  let ratioBandColor = Color(0.35, 0.35, 0.35, 0.35)
  let tickFont = FontStyle(size: 15 * s), titleFont = FontStyle(size: 18 * s)
  let fs = 14 * s
  let textFont = FontStyle(size: fs)

  // Legend: data, then the processes from the top of the stack down, then the band.
  var entries: [LegendEntry] = []
  if input.data != nil { entries.append(LegendEntry(.marker(.circle, .black, size: 7 * s), "Data")) }
  for k in comps.indices.reversed() {
    let sym: LegendSymbol = isLine[k] ? .line(compColors[k], width: 2.4 * s, dash: []) : .fill(compColors[k], border: .black)
    entries.append(LegendEntry(sym, comps[k].label))
  }
  entries.append(LegendEntry(.fill(bandColor, border: nil), "Uncertainty"))

  try Canvas.render(to: path, width: st.width, height: height) { c in
    // Left margin wide enough for the widest y label and the title.
    func yLabelWidth(_ labels: [String]) -> Double { labels.map { c.textWidth($0, font: tickFont, markup: true) }.max() ?? 0 }
    let topMargin = 42.0 * s, bottomMargin = 68.0 * s, rightMargin = 28.0 * s
    let inner = height - topMargin - bottomMargin
    let ratioH = withRatio ? (inner * 0.28).rounded() : 0
    let mainBottomMargin = withRatio ? bottomMargin + ratioH : bottomMargin
    let x = (edges[0], edges[n])

    // 1. Frame geometry (y range still a placeholder) and the top block: text left, legend right.
    let pad = fs * 0.6, rowH = fs * 1.55
    let nCols = entries.count > 4 ? 2 : 1
    let nRows = (entries.count + nCols - 1) / nCols
    let columns = (0..<nCols).map { Array(entries[($0 * nRows)..<min(entries.count, ($0 + 1) * nRows)]) }
    let colW = columns.map { col in fs * 2.2 + fs * 0.5 + (col.map { c.textWidth($0.text, font: textFont, markup: true) }.max() ?? 0) }
    let colGap = fs * 1.2
    let legendW = colW.reduce(0, +) + colGap * Double(nCols - 1)
    let legendH = rowH * Double(nRows)
    let lineH = fs * 1.3
    let logY = input.logY

    struct Layout {
      var ax: Axes, rax: Axes?
      var yMajor: [(Double, String)] = [], ratioMajor: [(Double, String)] = []
      var ylo = 0.0, yhi = 1.0, rRange = (0.5, 1.5)
      var textX = 0.0, textTop = 0.0, textLines: [String] = [], legendTop = 0.0
      var labelW = 0.0
    }
    func layout(left: Double) -> Layout {
      var L = Layout(ax: Axes(canvasWidth: c.width, canvasHeight: height, x: x, y: (0, 1),
                              margins: (left, topMargin, rightMargin, mainBottomMargin)), rax: nil)
      L.textX = L.ax.left + 1.2 * fs
      if let t = input.text, !t.isEmpty {
        let room = L.ax.right - pad * 1.5 - legendW - fs - L.textX
        L.textLines = c.textWidth(t, font: textFont, markup: true) <= room ? [t] : t.components(separatedBy: ", ")
      }
      let textW = L.textLines.map { c.textWidth($0, font: textFont, markup: true) }.max() ?? 0
      let sideBySide = L.textX + textW + fs <= L.ax.right - pad * 1.5 - legendW
      L.textTop = L.ax.top + pad * 1.5
      let textBottom = L.textLines.isEmpty ? L.ax.top : L.textTop + lineH * Double(L.textLines.count)
      L.legendTop = sideBySide || L.textLines.isEmpty ? L.ax.top + pad * 1.5 : textBottom + pad
      let blockBottom = max(textBottom, L.legendTop + legendH) + pad * 1.5
      let headroom = min(0.6, (blockBottom - L.ax.top) / L.ax.height)

      // 2. y range and its ticks (log: decades, labelled 1, 10, 10^{k}).
      (L.ylo, L.yhi) = stackYRange(maxContent: extent.maxContent, minPositive: extent.minPositive, logY: logY, headroom: headroom)
      L.ax.yRange = logY ? (log10(L.ylo), log10(L.yhi)) : (L.ylo, L.yhi)
      if logY {
        let k0 = Int(ceil(log10(L.ylo) - 1e-9)), k1 = Int(floor(log10(L.yhi) + 1e-9))
        let every = max(1, (k1 - k0 + 7) / 8)  // at most ~8 labelled decades
        var minor: [Double] = []
        for k in (k0 - 1)...k1 {
          if k >= k0 && (k - k0) % every == 0 {
            L.yMajor.append((Double(k), k == 0 ? "1" : k == 1 ? "10" : "10^{\(formatNumber(Double(k), digits: 0))}"))
          } else if k >= k0 { minor.append(Double(k)) }
          if every == 1 && k1 - k0 <= 6 {
            for m in 2...9 {
              let v = Double(k) + log10(Double(m))
              if v >= L.ax.yRange.0 && v <= L.ax.yRange.1 { minor.append(v) }
            }
          }
        }
        L.ax.yTicks.major = []; L.ax.yTicks.minor = minor
      } else {
        L.ax.yTicks = Ticks(lo: L.ylo, hi: L.yhi, target: 6)
        L.yMajor = L.ax.yTicks.major.map { ($0, L.ax.yTicks.label($0)) }
        L.ax.yTicks.major = []
      }
      if withRatio {
        L.rRange = stackRatioRange(ratioBins)
        var r = Axes(canvasWidth: c.width, canvasHeight: height, x: x, y: L.rRange,
                     margins: (L.ax.left, L.ax.bottom, rightMargin, bottomMargin))
        let step = L.rRange.1 - L.rRange.0 <= 1 + 1e-9 ? 0.5 : 1
        r.yTicks = Ticks(lo: L.rRange.0, hi: L.rRange.1, target: Int(((L.rRange.1 - L.rRange.0) / step).rounded()))
        // The ratio panel's top label would sit on the main panel's 0 (which reads as the main
        // axis): it is left out.
        L.ratioMajor = r.yTicks.major.filter { r.py($0) > r.top + 8 * s }.map { ($0, r.yTicks.label($0)) }
        r.yTicks.major = []
        L.rax = r
      }
      L.labelW = max(yLabelWidth(L.yMajor.map(\.1)), yLabelWidth(L.ratioMajor.map(\.1)))
      return L
    }
    // Widen the left margin if the y labels and title need it.
    var L = layout(left: 82 * s)
    let needLeft = (7 * s + L.labelW + 10 * s + titleFont.size * 1.05 + 6 * s).rounded(.up)
    if needLeft > L.ax.left { L = layout(left: needLeft) }
    var ax = L.ax, rax = L.rax
    if input.binLabels != nil {
      ax.xTicks.major = []; ax.xTicks.minor = []
      rax?.xTicks.major = []; rax?.xTicks.minor = []
    }
    let ylo = L.ylo, rRange = L.rRange, labelW = L.labelW
    let yMajor = L.yMajor, ratioMajor = L.ratioMajor
    let textLines = L.textLines, textX = L.textX, textTop = L.textTop, legendTop = L.legendTop
    func ty(_ v: Double) -> Double { logY ? log10(max(v, ylo * 1e-6)) : v }

    // 3. Main panel contents.
    let xs = edges.map { ax.px($0) }
    let minBinW = (0..<n).map { xs[$0 + 1] - xs[$0] }.min() ?? 10
    let markerSize = min(6.5 * s, max(2.5, 0.55 * minBinW))
    ax.clip(c)
    for k in comps.indices where !isLine[k] {
      let lo = bounds[k], hi = bounds[k + 1]
      var pts: [(Double, Double)] = []
      for i in 0..<n { let y = ax.py(ty(hi[i])); pts.append((xs[i], y)); pts.append((xs[i + 1], y)) }
      for i in (0..<n).reversed() { let y = ax.py(ty(lo[i])); pts.append((xs[i + 1], y)); pts.append((xs[i], y)) }
      c.save(); c.setColor(compColors[k]); c.addPolyline(pts, closed: true); c.fill(preserve: true)
      c.setColor(Color.black.withAlpha(0.85)); c.setLineWidth(0.7 * s); c.stroke(); c.restore()
    }
    // Band around the total.
    c.save(); c.setColor(bandColor)
    for i in 0..<n where input.totalError[i] > 0 {
      let y0 = ax.py(ty(input.total[i] - input.totalError[i])), y1 = ax.py(ty(input.total[i] + input.totalError[i]))
      c.rectangle(xs[i], y1, xs[i + 1] - xs[i], y0 - y1)
    }
    c.fill(); c.restore()
    // Signals drawn as lines: the step line of their upper boundary.
    for k in comps.indices where isLine[k] {
      var pts: [(Double, Double)] = [(xs[0], ax.py(ty(bounds[k][0])))]
      for i in 0..<n { let y = ax.py(ty(bounds[k + 1][i])); pts.append((xs[i], y)); pts.append((xs[i + 1], y)) }
      pts.append((xs[n], ax.py(ty(bounds[k][n - 1]))))
      c.save(); c.setColor(compColors[k]); c.setLineWidth(2.4 * s); c.addPolyline(pts); c.stroke(); c.restore()
    }
    // Data: vertical error bars and markers. A zero count is drawn as its Garwood upper limit: a
    // short bar ending in a downward arrow, not a bar from the axis (which on a log axis would
    // run the frame's full height).
    if let marks = stackDataMarks(input) {
      for (i, mark) in marks.enumerated() {
        let xc = (xs[i] + xs[i + 1]) / 2
        switch mark {
        case .upperLimit(let u):
          let yUp = ax.py(ty(u))
          let yTip = yUp + 12 * s
          c.line(xc, yUp, xc, yTip - 4 * s, color: .black, width: 1.4 * s)
          c.line(xc - 3.5 * s, yUp, xc + 3.5 * s, yUp, color: .black, width: 1.4 * s)
          c.save(); c.setColor(.black)
          c.addPolyline([(xc, yTip), (xc - 3.5 * s, yTip - 6 * s), (xc + 3.5 * s, yTip - 6 * s)], closed: true); c.fill(); c.restore()
        case .point(let v, let lo, let hi):
          if hi > lo { c.line(xc, ax.py(ty(lo)), xc, ax.py(ty(hi)), color: .black, width: 1.4 * s) }
          c.marker(.circle, at: xc, ax.py(ty(v)), size: markerSize, color: .black)
        }
      }
    }
    c.restore()

    // 4. Top block, frame, labels.
    var colRight = ax.right
    for (j, col) in columns.enumerated().reversed() {
      var a = ax
      a.right = colRight
      drawLegend(col, on: c, axes: a, corner: .topRight, top: legendTop, fontSize: fs)
      colRight -= colW[j] + colGap
    }
    for (k, t) in textLines.enumerated() {
      c.text(t, x: textX, y: textTop + lineH * Double(k), font: textFont, valign: .top, markup: true)
    }
    let majorLen = { (a: Axes) in 0.025 * min(a.width, a.height) + 2 }
    func yAxis(_ a: Axes, _ major: [(Double, String)]) {
      let len = majorLen(a)
      c.save(); c.setColor(.black); c.setLineWidth(0.8)
      for (v, _) in major {
        c.moveTo(a.left, a.py(v)); c.lineTo(a.left + len, a.py(v))
        c.moveTo(a.right, a.py(v)); c.lineTo(a.right - len, a.py(v))
      }
      c.stroke(); c.restore()
      for (v, t) in major {
        c.text(t, x: a.left - 7 * s, y: a.py(v), font: tickFont, align: .right, valign: .middle, markup: true)
      }
    }
    let yTitleX = ax.left - 7 * s - labelW - 10 * s
    if let r = rax {
      // The main panel's x labels and title are those of the ratio panel: clip them away.
      c.save(); c.clip(x: 0, y: 0, width: c.width, height: ax.bottom + 1)
      ax.draw(on: c, xTitle: "", yTitle: "", style: st)
      c.restore()
      r.clip(c)
      c.save(); c.setColor(ratioBandColor)
      for b in ratioBins where b.band > 0 {
        let y0 = r.py(1 - b.band), y1 = r.py(1 + b.band)
        c.rectangle(xs[b.bin], y1, xs[b.bin + 1] - xs[b.bin], y0 - y1)
      }
      c.fill(); c.restore()
      c.line(r.left, r.py(1), r.right, r.py(1), color: .black, width: 1 * s, dash: [6 * s, 4 * s])
      for b in ratioBins {
        let xc = (xs[b.bin] + xs[b.bin + 1]) / 2
        if b.value > rRange.1 {
          // Off the top: an arrow pointing up.
          let yTop = r.top + 3 * s, yBase = r.top + 16 * s
          c.line(xc, yBase, xc, yTop + 4 * s, color: .black, width: 1.4 * s)
          c.save(); c.setColor(.black)
          c.addPolyline([(xc, yTop), (xc - 3.5 * s, yTop + 6 * s), (xc + 3.5 * s, yTop + 6 * s)], closed: true); c.fill(); c.restore()
          continue
        }
        if b.errorLow + b.errorHigh > 0 {
          c.line(xc, r.py(b.value - b.errorLow), xc, r.py(b.value + b.errorHigh), color: .black, width: 1.4 * s)
        }
        c.marker(.circle, at: xc, r.py(b.value), size: markerSize, color: .black)
      }
      c.restore()
      r.draw(on: c, xTitle: input.xTitle, yTitle: "", style: st.bare)
      yAxis(r, ratioMajor)
      c.text("Data / Pred.", x: yTitleX, y: (r.top + r.bottom) / 2, font: FontStyle(size: 16 * s), align: .center,
             valign: .bottom, angle: 90)
    } else {
      ax.draw(on: c, xTitle: input.xTitle, yTitle: "", style: st)
    }
    yAxis(ax, yMajor)
    if let labels = input.binLabels {
      let xAxis = rax ?? ax
      for (i, t) in labels.enumerated() where i < n {
        c.text(t, x: (xs[i] + xs[i + 1]) / 2, y: xAxis.bottom + 8 * s, font: tickFont, align: .center, valign: .top)
      }
    }
    c.text(input.yTitle, x: yTitleX, y: ax.top, font: titleFont, align: .right, valign: .bottom, angle: 90, markup: true)
  }
}
