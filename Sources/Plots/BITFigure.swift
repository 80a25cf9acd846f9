//===--- BITFigure.swift --------------------------------------------------===//
// The training figure of a Boosted Information Tree: the loss per tree and, beside it, the
// distribution of the learned statistic at the SM and at a point θ.
//===----------------------------------------------------------------------===//

import Foundation

/// What the BIT training figure shows.
public struct BITTrainingFigure: Sendable {
  /// L/L0 after each tree (tree 0: 1).
  public var lossRatios: [Double]
  /// The statistic's distribution (normalised to the SM yield), if events were given.
  public var histogram: Histogram?
  public var style = PlotStyle()

  public struct Histogram: Sendable {
    public var edges: [Double]
    public var sm: [Double]
    public var atTheta: [Double]
    public var xTitle: String
    /// The legend text of the θ curve.
    public var label: String
    public init(edges: [Double], sm: [Double], atTheta: [Double], xTitle: String, label: String) {
      self.edges = edges; self.sm = sm; self.atTheta = atTheta; self.xTitle = xTitle; self.label = label
    }
  }

  public init(lossRatios: [Double]) { self.lossRatios = lossRatios }
}

/// Draws the figure (two panels with a histogram, one without) to a .png, .pdf or .svg.
public func plotBITTraining(_ figure: BITTrainingFigure, to path: String) throws {
  let wide = figure.histogram != nil
  let W = wide ? 1100.0 : 600.0, H = 500.0
  let style = figure.style
  let ratios = figure.lossRatios
  let logs = ratios.map { log10(max($0, 1e-300)) }
  try Canvas.render(to: path, width: W, height: H) { c in
    // Loss panel.
    let xr = (0.0, Double(max(1, ratios.count - 1)))
    let ylo = floor(min(logs.min() ?? -1, -1) * 2) / 2
    let ax = Axes(canvasWidth: W, canvasHeight: H, x: xr, y: (ylo, 0.1),
                  margins: (82, 42, wide ? W / 2 + 20 : 28, 68))
    ax.clip(c)
    c.save(); c.setColor(Color.cmsPalette[0]); c.setLineWidth(2)
    c.addPolyline(logs.enumerated().map { (ax.px(Double($0.offset)), ax.py($0.element)) }); c.stroke(); c.restore()
    c.restore()
    ax.draw(on: c, xTitle: "tree", yTitle: "log10(L / L0)", style: style)
    drawLegend([LegendEntry(.line(Color.cmsPalette[0], width: 2, dash: []), "training loss",
                            detail: String(format: "%.3g after %d trees", ratios.last ?? 1, ratios.count - 1))],
               on: c, axes: ax)
    guard let h = figure.histogram else { return }
    let ymax = max(h.sm.max() ?? 0, h.atTheta.max() ?? 0) * 1.3
    let bx = Axes(canvasWidth: W, canvasHeight: H, x: (h.edges.first!, h.edges.last!), y: (0, ymax > 0 ? ymax : 1),
                  margins: (W / 2 + 82, 42, 28, 68))
    func steps(_ v: [Double]) -> [(Double, Double)] {
      var p: [(Double, Double)] = [(bx.px(h.edges[0]), bx.py(0))]
      for (k, y) in v.enumerated() { p.append((bx.px(h.edges[k]), bx.py(y))); p.append((bx.px(h.edges[k + 1]), bx.py(y))) }
      p.append((bx.px(h.edges.last!), bx.py(0)))
      return p
    }
    bx.clip(c)
    c.save(); c.setColor(Color.cmsPalette[0].withAlpha(0.35)); c.addPolyline(steps(h.sm), closed: true); c.fill(); c.restore()
    c.save(); c.setColor(Color.cmsPalette[2]); c.setLineWidth(2); c.addPolyline(steps(h.atTheta)); c.stroke(); c.restore()
    c.restore()
    var st = style; st.logo = nil; st.logoSub = nil
    bx.draw(on: c, xTitle: h.xTitle, yTitle: "yield / SM yield", style: st)
    drawLegend([LegendEntry(.fill(Color.cmsPalette[0].withAlpha(0.35), border: nil), "SM"),
                LegendEntry(.line(Color.cmsPalette[2], width: 2, dash: []), h.label)], on: c, axes: bx)
  }
}
