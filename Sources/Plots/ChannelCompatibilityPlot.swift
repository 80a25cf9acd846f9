//===--- ChannelCompatibilityPlot.swift -----------------------------------===//
// The channel-compatibility figure: each channel's best-fit signal strength with its 68% interval
// (one row per channel), over the combined fit's value (line) and interval (band).
//===----------------------------------------------------------------------===//

import Foundation
import Support

public struct CompatibilityRow: Sendable {
  public var label: String
  public var best: Double, lower: Double, upper: Double
  public init(label: String, best: Double, lower: Double, upper: Double) {
    self.label = label; self.best = best; self.lower = lower; self.upper = upper
  }
}

public struct CompatibilityPlotOptions: Sendable {
  public var style = PlotStyle()
  public var xTitle = "Best fit #sigma/#sigma_{SM}"
  /// A line of text under the legend, e.g. "2ΔNLL = 3.1, p = 0.21".
  public var note: String? = nil
  public init() {}
}

/// Draws the per-channel rows over the combined band to `path`.
public func plotChannelCompatibility(_ rows: [CompatibilityRow], combined: CompatibilityRow,
                                     options o: CompatibilityPlotOptions = CompatibilityPlotOptions(), to path: String) throws {
  guard !rows.isEmpty else { throw PlotError("no channels to draw") }
  let all = rows.flatMap { [$0.lower, $0.upper, $0.best] } + [combined.lower, combined.upper]
  let finite = all.filter(\.isFinite)
  guard var lo = finite.min(), var hi = finite.max() else { throw PlotError("no finite values to draw") }
  if hi <= lo { lo -= 1; hi += 1 }
  let pad = 0.1 * (hi - lo)
  let n = rows.count
  let s = o.style.fontScale
  let labelFont = FontStyle(size: 14 * s)
  let width = o.style.width, rowH = 36.0 * s
  let height = max(o.style.height, 150 * s + rowH * Double(n + 2))
  let labelW = try withMeasuringCanvas { c in rows.map { c.textWidth($0.label, font: labelFont, markup: false) }.max() ?? 0 }
  try Canvas.render(to: path, width: width, height: height) { c in
    let left = max(82, labelW + 24 * s)
    var ax = Axes(canvasWidth: width, canvasHeight: height, x: (lo - pad, hi + pad), y: (0, Double(n + 2)),
                  margins: (left, 42, 28, 68))
    ax.yTicks.major = []; ax.yTicks.minor = []
    ax.clip(c)
    let green = Color(hex: 0x00cc00).withAlpha(0.5)
    c.save(); c.setColor(green)
    c.rectangle(ax.px(combined.lower), ax.top, ax.px(combined.upper) - ax.px(combined.lower), ax.height); c.fill(); c.restore()
    c.line(ax.px(combined.best), ax.top, ax.px(combined.best), ax.bottom, color: .black, width: 2)
    for (k, r) in rows.enumerated() {
      let y = ax.py(Double(n - k))
      c.line(ax.px(r.lower), y, ax.px(r.upper), y, color: Color(hex: 0xe42536), width: 2.5 * s)
      c.marker(.circle, at: ax.px(r.best), y, size: 8 * s, color: .black)
    }
    c.restore()
    for (k, r) in rows.enumerated() {
      c.text(r.label, x: ax.left - 8 * s, y: ax.py(Double(n - k)), font: labelFont, align: .right, valign: .middle, markup: false)
    }
    var entries = [
      LegendEntry(.fill(green, border: nil), "Combined: \(String(format: "%.2f", combined.best)) −\(String(format: "%.2f", combined.best - combined.lower))/+\(String(format: "%.2f", combined.upper - combined.best))"),
      LegendEntry(.line(Color(hex: 0xe42536), width: 2.5, dash: []), "Per channel (68% CL)"),
    ]
    if let note = o.note { entries.append(LegendEntry(.line(.white, width: 0, dash: []), note)) }
    drawLegend(entries, on: c, axes: ax, corner: .topRight, fontSize: 14 * s, background: true)
    ax.draw(on: c, xTitle: o.xTitle, yTitle: "", style: o.style)
  }
}
