//===--- ChannelCompatibilityCommand.swift --------------------------------===//
// `recombine channel-compat`: Combine's -M ChannelCompatibilityCheck.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference
import Plots
import Support

struct ChannelCompatibilityCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "channel-compat",
    abstract: "Channel compatibility (Combine's -M ChannelCompatibilityCheck): one r for all channels against one r per channel; 2ΔNLL, per-channel r̂ and the standard figure.")

  @OptionGroup var model: ModelOptions

  @Flag(name: .customLong("runMinos"), help: "Per-channel 68% intervals by profile-likelihood crossings (default: HESSE errors).")
  var runMinos = false

  @Option(name: .customLong("plot"), help: "Draw the per-channel r̂ over the combined band (.png, .pdf, .svg).")
  var plot: String?

  @Option(name: .customLong("json"), help: "Write the fits and the statistic here.")
  var json: String?

  @Option(name: .customLong("csv"), help: "Write the limit-tree row (limit = 2ΔNLL).")
  var csv: String?

  @Option(name: .customLong("root"), help: "Write Combine's output file (limit tree) here.")
  var root: String?

  @OptionGroup var labels: FigureLabelOptions

  func run() throws {
    try runReportingErrors {
      guard model.physicsModel == nil, model.eft == nil else { throw UsageError("channel-compat uses the default model (one r)") }
      let lo = model.rMin ?? 0, hi = model.rMax ?? 20
      guard lo < hi else { throw UsageError("--rMin must be below --rMax") }
      let r = try ChannelCompatibility.run(card: model.card, options: try model.fitOptions, rRange: lo...hi, minos: runMinos)
      func fmt(_ e: ChannelCompatibilityResult.Entry) -> String {
        "\(signed(e.best, 8))  \(signed(e.lower - e.best, 6))/\(signed(e.upper - e.best, 6))"
      }
      print("\n --- ChannelCompatibilityCheck --- ")
      print("Nominal fit  : r = \(fmt(r.nominal))")
      let w = r.channels.map(\.name.count).max() ?? 4
      for c in r.channels { print("Alternate fit: r_\(c.name.padding(toLength: w, withPad: " ", startingAt: 0)) = \(fmt(c))") }
      print("Chi2-like compatibility variable: \(String(format: "%.6g", r.twoDeltaNLL))  (p = \(String(format: "%.4g", r.pValue)), \(r.channels.count - 1) dof)")
      try writeLimitTree(LimitTreeTable(header: LimitTreeTable.limitHeader, values: [[r.twoDeltaNLL, 0, model.mass, 0, -1]]),
                         csv: csv, root: root, model: model)
      if let json {
        func obj(_ e: ChannelCompatibilityResult.Entry) -> [String: Any] { ["name": e.name, "best": e.best, "lower": e.lower, "upper": e.upper] }
        try writeJSON(["nominal": obj(r.nominal), "channels": r.channels.map(obj), "twoDeltaNLL": r.twoDeltaNLL, "pValue": r.pValue,
                       "intervals": runMinos ? "profile" : "hesse"], to: json)
      }
      if let plot {
        var o = CompatibilityPlotOptions()
        o.style = labels.style()
        o.note = "2ΔNLL = \(String(format: "%.2f", r.twoDeltaNLL)), p = \(String(format: "%.3f", r.pValue))"
        try plotChannelCompatibility(r.channels.map { CompatibilityRow(label: $0.name, best: $0.best, lower: $0.lower, upper: $0.upper) },
                                     combined: CompatibilityRow(label: "combined", best: r.nominal.best, lower: r.nominal.lower, upper: r.nominal.upper),
                                     options: o, to: plot)
        print("wrote \(plot)")
      }
    }
  }
}
