//===--- LimitsCollectCommand.swift ---------------------------------------===//
// `recombine collect-limits` (combineTool.py's CollectLimits) and `recombine plot limits` (the
// Brazil figure).
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Plots
import ROOTIO
import Support

struct CollectLimitsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "collect-limits",
    abstract: "Collect AsymptoticLimits outputs (higgsCombine*.root or limit CSVs) into combineTool's limits JSON: mass → obs, exp-2 … exp+2.")

  @Argument(help: "The limit files: higgsCombine*.AsymptoticLimits.*.root or CSVs of 'recombine limit --csv'.")
  var inputs: [String]

  @Option(name: .shortAndLong, help: "The JSON to write.")
  var output: String = "limits.json"

  func run() throws {
    try runReportingErrors {
      let points = try CollectedLimits.points(try inputs.map(CombineOutput.readTable))
      try writeFileAtomically(String(decoding: try CollectedLimits.json(points), as: UTF8.self) + "\n", to: output)
      print("collect-limits: \(points.count) masses written to \(output)")
    }
  }
}

struct PlotLimitsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "limits",
    abstract: "The Brazil figure: observed and expected limits (±1σ, ±2σ bands) against the mass, from a limits JSON (collect-limits).")

  @Argument(help: "limits.json (collect-limits, or combineTool's CollectLimits).")
  var input: String

  @Option(name: [.customShort("o"), .customLong("output")], help: "Output file: .png, .pdf or .svg.")
  var output: String

  @Option(name: .customLong("x-title"), help: "x-axis title (TLatex or Unicode).")
  var xTitle: String = "m_{H} (GeV)"

  @Option(name: .customLong("y-title"), help: "y-axis title (TLatex or Unicode).")
  var yTitle: String = "95% CL limit on #sigma/#sigma_{SM}"

  @OptionGroup var labels: FigureLabelOptions

  func run() throws {
    try runReportingErrors {
      var o = LimitPlotOptions()
      o.style = labels.style()
      o.xTitle = xTitle; o.yTitle = yTitle
      let points = try CollectedLimits.read(input)
      try plotLimits(points, options: o, to: output)
      print("wrote \(output) (\(points.count) masses)")
    }
  }
}
