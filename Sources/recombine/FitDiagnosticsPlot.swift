//===--- FitDiagnosticsPlot.swift -----------------------------------------===//
// The pre-/post-fit distribution figure of `fit-diagnostics --plots`.
//===----------------------------------------------------------------------===//

import Maths
import Inference
import Plots

extension FitDiagnosticsCommand {
  /// The pre-/post-fit distribution of one channel: backgrounds stacked, signal on top, total
  /// uncertainty band, data with Garwood 68% intervals, ratio panel; with unequal bins (or
  /// --per-bin-width yes) every yield, error and count is divided by its bin's width.
  func plotChannel(_ ch: ChannelYields, fit: String, to path: String) throws {
    let n = ch.total.values.count
    let edges = ch.edges ?? (0...n).map(Double.init)
    let widths = (0..<n).map { edges[$0 + 1] - edges[$0] }
    let uniform = widths.allSatisfy { abs($0 - widths[0]) <= 1e-6 * abs(widths[0]) }
    let divide = perBinWidth == "yes" || (perBinWidth == "auto" && !uniform)
    let scale: [Double] = widths.map { divide ? 1 / $0 : 1 }
    func scaled(_ v: [Double]) -> [Double] { zip(v, scale).map { $0 * $1 } }
    let order = ch.processes.indices.filter { !ch.signal[$0] } + ch.processes.indices.filter { ch.signal[$0] }
    let components = order.map { StackComponent(label: ch.processes[$0], values: scaled(ch.process[$0].values), isSignal: ch.signal[$0]) }
    var input = StackPlotInput(edges: edges, components: components, total: scaled(ch.total.values),
                               totalError: scaled(ch.total.errors), data: scaled(ch.data))
    let errors = ch.data.map(garwoodInterval)
    input.dataErrorLow = scaled(errors.map(\.low))
    input.dataErrorHigh = scaled(errors.map(\.high))
    input.yTitle = yTitle ?? (divide ? "Events / bin width" : "Events")
    input.logY = logY
    input.dividedByBinWidth = divide
    input.xTitle = ch.edges == nil ? "Bin" : xTitle
    input.text = "\(ch.channel), \(fit)"
    input.style.rightLabel = rightLabel
    try plotStack(input, to: path)
  }
}
