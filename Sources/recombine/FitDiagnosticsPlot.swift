//===--- FitDiagnosticsPlot.swift -----------------------------------------===//
// The pre-/post-fit distribution figure of `fit-diagnostics --plots`.
//===----------------------------------------------------------------------===//

import Maths
import Inference
import Plots

extension FitDiagnosticsCommand {
  /// The pre-/post-fit distribution of one channel: backgrounds stacked, signal on top, total
  /// uncertainty band, data with Garwood 68% intervals, ratio panel; with unequal bins (or
  /// --per-bin-width yes) every yield, error and count is divided by its bin's width. A one-bin
  /// channel is drawn as one bin labelled with the channel's name.
  func plotChannel(_ ch: ChannelYields, fit: String, to path: String) throws {
    let n = ch.total.values.count
    let order = ch.processes.indices.filter { !ch.signal[$0] } + ch.processes.indices.filter { ch.signal[$0] }
    let components = order.map { StackComponent(label: ch.processes[$0], values: ch.process[$0].values, isSignal: ch.signal[$0]) }
    var input = StackPlotInput(edges: ch.edges ?? (0...n).map(Double.init), components: components, total: ch.total.values,
                               totalError: ch.total.errors, data: ch.data)
    let errors = ch.data.map(garwoodInterval)
    input.dataErrorLow = errors.map(\.low)
    input.dataErrorHigh = errors.map(\.high)
    if perBinWidth == "yes" || (perBinWidth == "auto" && !input.hasUniformBins) { input.divideByBinWidth() }
    input.yTitle = yTitle ?? (input.dividedByBinWidth ? "Events / bin width" : "Events")
    input.logY = logY
    if n == 1 {
      // A one-bin channel (a counting experiment) is one labelled bin, not a stretch of an axis.
      input.binLabels = [ch.channel]
      input.xTitle = ""
    } else {
      input.xTitle = ch.edges == nil ? "Bin" : xTitle
    }
    input.text = "\(ch.channel), \(fit)"
    input.style = labels.style(input.style)
    try plotStack(input, to: path)
  }
}
