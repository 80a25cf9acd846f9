//===--- ToyDistributionPlot.swift ----------------------------------------===//
// The standard goodness-of-fit figure: the toys' statistic as a histogram, the observed value as
// a vertical arrow, and the p-value.
//===----------------------------------------------------------------------===//

import Foundation
import Support

public struct ToyDistributionOptions: Sendable {
  public var style = PlotStyle()
  public var xTitle = "q"
  /// Histogram bins (default: about √toys, 10…60).
  public var bins: Int? = nil
  public init() {}
}

/// The bins of the toy histogram: `count` equal bins over the toys and the observed value (5%
/// margins); returns the edges and the counts.
public func toyHistogram(_ values: [Double], observed: Double, bins count: Int) -> (edges: [Double], counts: [Int]) {
  let all = values + [observed]
  var lo = all.min()!, hi = all.max()!
  if hi <= lo { lo -= 0.5; hi += 0.5 }
  let pad = 0.05 * (hi - lo)
  lo -= pad; hi += pad
  let edges = (0...count).map { lo + (hi - lo) * Double($0) / Double(count) }
  var counts = [Int](repeating: 0, count: count)
  for v in values {
    let k = min(count - 1, max(0, Int((v - lo) / (hi - lo) * Double(count))))
    counts[k] += 1
  }
  return (edges, counts)
}

/// Draws the toys' distribution with the observed value and the p-value (the fraction of toys at
/// or above it) to `path`.
public func plotToyDistribution(_ values: [Double], observed: Double, options o: ToyDistributionOptions = ToyDistributionOptions(),
                                to path: String) throws {
  guard !values.isEmpty else { throw PlotError("no toys to draw") }
  let n = o.bins ?? max(10, min(60, Int(Double(values.count).squareRoot().rounded())))
  let (edges, counts) = toyHistogram(values, observed: observed, bins: n)
  let p = Double(values.filter { $0 >= observed }.count) / Double(values.count)
  let top = Double(counts.max() ?? 1)
  try Canvas.render(to: path, width: o.style.width, height: o.style.height) { c in
    let ax = Axes(canvasWidth: c.width, canvasHeight: c.height, x: (edges.first!, edges.last!), y: (0, top * 1.4))
    ax.clip(c)
    var pts: [(Double, Double)] = [(ax.px(edges[0]), ax.py(0))]
    for (k, v) in counts.enumerated() { pts.append((ax.px(edges[k]), ax.py(Double(v)))); pts.append((ax.px(edges[k + 1]), ax.py(Double(v)))) }
    pts.append((ax.px(edges.last!), ax.py(0)))
    c.save(); c.setColor(Color.cmsPalette[0].withAlpha(0.45)); c.addPolyline(pts, closed: true); c.fill(preserve: true)
    c.setColor(Color.cmsPalette[0]); c.setLineWidth(1.5); c.stroke(); c.restore()
    // The observed value: a vertical arrow down to the axis.
    let x = ax.px(observed), yTop = ax.py(top * 0.9), yBase = ax.py(0)
    c.line(x, yTop, x, yBase - 10, color: Color.cmsPalette[2], width: 3)
    c.save(); c.setColor(Color.cmsPalette[2])
    c.addPolyline([(x, yBase), (x - 6, yBase - 12), (x + 6, yBase - 12)], closed: true); c.fill(); c.restore()
    c.restore()
    drawLegend([
      LegendEntry(.fill(Color.cmsPalette[0].withAlpha(0.45), border: Color.cmsPalette[0]), "Toys (\(values.count))"),
      LegendEntry(.line(Color.cmsPalette[2], width: 3, dash: []), "Observed = \(String(format: "%.4g", observed))"),
      LegendEntry(.line(.white, width: 0, dash: []), "p-value = \(String(format: "%.3f", p))"),
    ], on: c, axes: ax, corner: .topRight, fontSize: 15 * o.style.fontScale, background: true)
    ax.draw(on: c, xTitle: o.xTitle, yTitle: "Toys", style: o.style)
  }
}
