//===--- BreakdownCommand.swift -------------------------------------------===//
// `recombine breakdown`: total, stat-only, syst and per-group uncertainties of a POI, each by
// freezing at the post-fit values (Inference.Breakdown).
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import Inference

struct BreakdownCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "breakdown",
    abstract: "The uncertainty breakdown of the first POI: total, stat only, syst and per nuisance group (frozen at the best fit), as CMS papers quote it.",
    discussion: """
      The total 68% interval is the profile-likelihood one (fit --algo singles). Stat only: every \
      constrained nuisance frozen at its post-fit value (rateParams and other unconstrained \
      parameters float). Each --groups entry: that nuisance group frozen at its post-fit values. \
      Components are quadrature differences per side: syst = √(total² − stat²), \
      group = √(total² − (group frozen)²). Equivalent by hand: fit --json F, then \
      fit --fromFit F --freezeParameters allConstrainedNuisances --algo singles.
      """)

  @OptionGroup var model: ModelOptions

  @Option(name: .customLong("groups"), help: "Nuisance groups (the card's 'group' lines) to break out, comma-separated.")
  var groups: String?

  @Option(name: .customLong("json"), help: "Write the breakdown here.")
  var json: String?

  func run() throws {
    try runReportingErrors {
      let groupList = groups?.split(separator: ",").map(String.init) ?? []
      let b = try Breakdown.compute(card: model.card, physics: model.physicsChoice, options: try model.fitOptions, groups: groupList)
      print("\n --- Uncertainty breakdown (68%, parameters frozen at the best fit) ---")
      print("   \(b.poi) = \(signed(b.best.best, 0)) \(signed(-b.totalDown, 0))/\(signed(b.totalUp, 0)) (total)")
      let w = max(6, b.components.map(\.name.count).max() ?? 6)
      for c in b.components {
        let name = c.name + String(repeating: " ", count: w - c.name.count)
        let how = c.name == "syst" ? "total ⊖ stat" : c.name == "stat" ? "every constrained nuisance frozen" : "total ⊖ group '\(c.name)' frozen"
        print("   \(name)  \(signed(-c.down, 0))/\(signed(c.up, 0))   (\(how))")
      }
      if b.bestFitShift > 1e-3 {
        printError("warning: freezing moved the best fit of \(b.poi) by \(String(format: "%.2g", b.bestFitShift)) (it should stay put)")
      }
      if let json {
        var rows: [[String: Any]] = [["name": "total", "down": b.totalDown, "up": b.totalUp]]
        for c in b.components {
          var d: [String: Any] = ["name": c.name, "down": c.down, "up": c.up]
          if let iv = c.interval { d["frozenInterval"] = [iv.lower, iv.best, iv.upper] }
          rows.append(d)
        }
        try writeJSON(["poi": b.poi, "best": b.best.best, "interval": [b.best.lower, b.best.upper], "components": rows,
                       "bestFitShift": b.bestFitShift], to: json)
      }
    }
  }
}
