//===--- ImpactsCommand.swift ---------------------------------------------===//
// `recombine impacts`: combineTool.py -M Impacts (initial fit, one fit set per parameter, the
// impacts.json) and plotImpacts.py.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference
import Plots
import Support

struct ImpactsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "impacts",
    abstract: "Nuisance-parameter pulls and impacts on the POIs (combineTool.py -M Impacts, plotImpacts.py).")

  @OptionGroup var model: ModelOptions

  @Option(name: .shortAndLong, help: "The impacts.json to write.")
  var output: String = "impacts.json"

  @Option(name: .customLong("plot"), help: "Draw the impact plot of the first POI to this .png or .pdf.")
  var plot: String?

  @Option(name: .customLong("max"), help: "Parameters drawn in the plot (largest impacts).")
  var maxParameters: Int = 30

  @Option(name: .customLong("threads"), help: "Worker threads (default: all cores).")
  var threads: Int?

  @OptionGroup var labels: FigureLabelOptions

  @Option(name: .customLong("parameter"), help: "Only these parameters (repeatable; default: every floating nuisance).")
  var parameters: [String] = []

  @Option(name: .customLong("exclude"), help: "Parameters left out, comma-separated: names or rgx{RE} (combineTool's --exclude, e.g. 'rgx{prop_bin.*}').")
  var exclude: String?

  @Flag(name: .customLong("autoMCStats-impacts"), inversion: .prefixedNo,
        help: "Impacts of the autoMCStats Barlow–Beeston-lite parameters prop_bin<channel>_bin<i> too, as combineTool gives them.")
  var barlowBeestonImpacts = true

  @Option(name: .customLong("root"), help: "Also write the limit tree of Combine's -M MultiDimFit --algo impact (what combineTool's Impacts reads) here.")
  var root: String?

  func run() throws {
    try runReportingErrors {
      let problem = try model.problem()
      var o = ImpactsOptions()
      if let threads { o.threads = max(1, threads) }
      o.barlowBeeston = barlowBeestonImpacts
      o.exclude = (exclude ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      if !parameters.isEmpty {
        o.parameters = try parameters.map { name in
          guard let k = problem.model.index(of: name) else {
            throw UsageError("--parameter: unknown parameter '\(name)'\(didYouMean(name, in: problem.model.parameters.map(\.name)))")
          }
          return k
        }
      }
      let start = Date()
      o.progress = { done, total in
        if done % 10 == 0 || done == total { printError("impacts: \(done)/\(total) parameters") }
      }
      let result = try Impacts.compute(problem, options: o)
      try writeFileAtomically(String(decoding: try result.jsonData(), as: UTF8.self), to: output)
      if root != nil { try writeLimitTree(Impacts.limitTree(result, problem: problem, mass: model.mass), csv: nil, root: root, model: model) }
      for p in result.params where !p.warnings.isEmpty {
        printError("warning: \(p.name): \(p.warnings.joined(separator: "; "))")
      }

      let poi = result.pois[0].name
      let f = result.pois[0].fit
      print("\n --- Impacts (\(result.params.count) parameters, \(String(format: "%.1f", Date().timeIntervalSince(start))) s) ---")
      print("\(poi) = \(signed(f[1], 0)) \(signed(f[0] - f[1], 0))/\(signed(f[2] - f[1], 0)) (68%)")
      let shown = result.params.prefix(maxParameters)
      let width = max(9, shown.map(\.name.count).max() ?? 9)
      func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
      print("\(pad("parameter"))   θ̂ (θ_lo, θ_hi)              Δ\(poi)(θ_hi)  Δ\(poi)(θ_lo)   impact")
      for p in shown {
        let up = p.signedImpacts(poi)
        print("\(pad(p.name))  \(signed(p.fit[1], 7)) (\(signed(p.fit[0], 7)), \(signed(p.fit[2], 7)))  "
              + "\(signed(up?.up ?? .nan, 9, 4))  \(signed(up?.down ?? .nan, 9, 4))  \(String(format: "%8.4f", p.impacts[poi] ?? .nan))")
      }
      print("wrote \(output)")

      if let plot {
        let entries = result.params.compactMap { p -> ImpactPlotEntry? in
          guard let s = p.signedImpacts(poi) else { return nil }
          return ImpactPlotEntry(name: p.name, fit: p.fit, prefit: p.prefit, unconstrained: p.type == "Unconstrained",
                                 impactUp: s.up, impactDown: s.down, failed: !p.warnings.isEmpty)
        }
        var po = ImpactPlotOptions()
        po.poi = try labels.labeler()(poi)
        po.poiFit = f
        po.maxParameters = maxParameters
        po.style = labels.style()
        try plotImpacts(entries, options: po, to: plot)
        print("wrote \(plot)")
      }
    }
  }
}
