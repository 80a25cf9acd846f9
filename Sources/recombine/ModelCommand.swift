//===--- ModelCommand.swift -----------------------------------------------===//
// `recombine model`: the POIs a physics model gives a card and what each of them scales.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference
import Support

struct ModelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "model",
    abstract: "Print the model: POIs with their ranges, the (channel, process) pairs each scales, and the processes none touches.",
    discussion: """
      Works for any physics model (default, multiSignalModel, floatingXSHiggs, eft with --eft FILE); \
      the POI names printed are the ones -P, --setParameters and --setParameterRanges take; a Wilson \
      coefficient's physicist's name follows in parentheses (chgXE3 (c_HG × 10³): the POI is c_HG × 10³).
      """)

  @OptionGroup var model: ModelOptions

  func run() throws {
    try runReportingErrors {
      var o = try model.fitOptions
      o.pois = []
      let problem = try FitProblem.load(card: model.card, physics: model.physicsChoice, options: o)
      let d = ModelDescription(problem)
      print("POIs (\(d.pois.count)):")
      for p in d.pois {
        let scales = p.scales.isEmpty ? "changes no expected yield"
          : "scales \(p.scales.count): " + p.scales.prefix(6).map { "\($0.channel)/\($0.process)" }.joined(separator: ", ")
            + (p.scales.count > 6 ? ", …" : "")
        let label = ParameterLabels.automatic(p.name).map { " (\(TextMarkup.plain($0)))" } ?? ""
        print("  \(p.name)\(label) = \(String(format: "%g", p.initial)) in [\(String(format: "%g", p.lower)), \(String(format: "%g", p.upper))]: \(scales)")
      }
      let signals = d.untouched.filter(\.isSignal)
      print("processes no POI scales: \(d.untouched.count) (\(signals.count) of them signals)")
      for u in signals.prefix(10) { print("  signal \(u.channel)/\(u.process)") }
    }
  }
}
