//===--- BITPlotCommand.swift ---------------------------------------------===//
// `recombine bit plot` (also `recombine plot bit`): the training loss
// per tree and the distribution of a learned statistic at the SM and at a point θ.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import InformationTrees
import Plots

struct BITPlotOptions: ParsableArguments {
  @Argument(help: "Model (JSON) from 'bit train'.")
  var model: String

  @Argument(help: "Events (.csv, .csv.gz, .npz) with the model's features and weights (optional: without it only the loss is drawn).")
  var events: String?

  @Option(name: .short, help: "Output figure: .png, .pdf or .svg.")
  var output: String

  @Option(help: "Statistic to histogram: a learned function t_<c> (default: the first).")
  var score: String?

  @Option(help: "Histogram the learned likelihood ratio at this θ instead (c=v,...).")
  var theta: String?

  @Option(name: .customLong("at"), help: "The θ of the second distribution (c=v,...; default: the score's coefficient = 1, or --theta).")
  var at: String?

  @Option(help: "Histogram bins.")
  var bins: Int = 40

  @Option(help: "Name of the SM-weight column (default w_0).")
  var weight: String?

  @Option(name: .customLong("label"), help: "Experiment label above the frame.")
  var label: String = "Recombine"

  func run() throws {
    try runBIT {
      let m = try BITModel.load(model)
      let wide = events != nil
      let W = wide ? 1100.0 : 600.0, H = 500.0
      var style = PlotStyle()
      style.label = label
      // Loss curve data: L/L0 after each tree (tree 0: 1).
      let L0 = m.initialLoss
      let ratios = [1.0] + m.history.map { $0.loss / L0 }
      let logs = ratios.map { log10(max($0, 1e-300)) }
      var hist: (edges: [Double], sm: [Double], bsm: [Double], statName: String, atText: String)?
      if let path = events {
        let stat: BITStatistic = (score == nil && theta == nil) ? .output(0) : try m.statistic(score: score, theta: theta)
        let ev = try Events.read(path, columns: EventColumns(coefficients: m.coefficients, features: m.featureNames, weight: weight))
        let s = m.evaluate(stat, features: ev.features)
        var th = [Double](repeating: 0, count: m.coefficients.count)
        if let a = at ?? theta {
          guard case .ratio(let t) = try m.statistic(score: nil, theta: a) else { fatalError() }
          th = t
        } else if case .output(let j) = stat {
          th[m.derivatives[j][0]] = 1
        }
        let S = ev.weightStride
        let w0 = ev.weightColumn(0)
        let wt: [Double] = ev.weights.withUnsafeBufferPointer { w in
          (0..<ev.count).map { eventYield(w, row: $0, stride: S, derivatives: ev.derivatives, theta: th) }
        }
        // Range: the 0.5%–99.5% SM-weighted quantiles.
        let q = equalYieldEdges(statistic: s, weights: w0, bins: 200)
        var lo = q.first ?? (s.min() ?? 0), hi = q.last ?? (s.max() ?? 1)
        if !(hi > lo) { lo -= 0.5; hi += 0.5 }
        let nb = max(bins, 2)
        let edges = (0...nb).map { lo + (hi - lo) * Double($0) / Double(nb) }
        var h0 = [Double](repeating: 0, count: nb), h1 = h0
        for i in 0..<ev.count {
          let b = min(nb - 1, max(0, Int(((s[i] - lo) / (hi - lo) * Double(nb)).rounded(.down))))
          h0[b] += w0[i]; h1[b] += wt[i]
        }
        let n0 = h0.reduce(0, +)
        if n0 > 0 { h0 = h0.map { $0 / n0 } }
        if n0 > 0 { h1 = h1.map { $0 / n0 } }  // both relative to the SM yield: rate changes stay visible
        let atText = zip(m.coefficients, th).filter { $0.1 != 0 }.map { "\($0.0) = \($0.1)" }.joined(separator: ", ")
        hist = (edges, h0, h1, m.describe(stat), atText.isEmpty ? "SM" : atText)
      }
      try Canvas.render(to: output, width: W, height: H) { c in
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
                                detail: String(format: "%.3g after %d trees", ratios.last ?? 1, m.history.count))],
                   on: c, axes: ax)
        guard let h = hist else { return }
        let ymax = max(h.sm.max() ?? 0, h.bsm.max() ?? 0) * 1.3
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
        c.save(); c.setColor(Color.cmsPalette[2]); c.setLineWidth(2); c.addPolyline(steps(h.bsm)); c.stroke(); c.restore()
        c.restore()
        var st = style; st.label = ""
        bx.draw(on: c, xTitle: h.statName, yTitle: "yield / SM yield", style: st)
        drawLegend([LegendEntry(.fill(Color.cmsPalette[0].withAlpha(0.35), border: nil), "SM"),
                    LegendEntry(.line(Color.cmsPalette[2], width: 2, dash: []), h.atText)], on: c, axes: bx)
      }
      printError("wrote \(output)")
    }
  }
}

/// `recombine bit plot MODEL [EVENTS] -o FILE`.
struct BITPlot: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plot", abstract: "Training loss per tree and the learned statistic at the SM and at θ.")
  @OptionGroup var options: BITPlotOptions
  func run() throws { try options.run() }
}

/// The same figure as `recombine bit plot`, registered as `recombine plot bit` (a subcommand of
/// `PlotCommand`).
struct PlotBITCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bit", abstract: "Training loss per tree and the learned statistic at the SM and at θ (BIT).")
  @OptionGroup var options: BITPlotOptions
  func run() throws { try options.run() }
}
