//===--- ScanCommand.swift ------------------------------------------------===//
// `recombine scan`: MultiDimFit --algo grid.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Fit
import Foundation
import Likelihood

struct ScanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan",
    abstract: "Profile-likelihood grid scan of the POIs (Combine's MultiDimFit --algo grid).")

  @OptionGroup var model: ModelOptions

  @Option(name: .customLong("algo"), help: "grid.")
  var algo: String = "grid"

  @Option(name: .customLong("points"), help: "Total number of grid points (per axis: ⌈points^(1/n)⌉).")
  var points: Int = 50

  @Option(name: .customLong("alignEdges"), help: "1: include the range ends.")
  var alignEdges: Int = 0

  @Option(name: .customLong("csv"), help: "Write Combine's limit-tree rows here.")
  var csv: String?

  func run() throws {
    try runReportingErrors {
      guard algo == "grid" else { throw LikelihoodError("--algo \(algo) is not supported by 'scan' (grid)") }
      guard points >= 1 else { throw LikelihoodError("--points must be ≥ 1") }
      let prep = try PreparedFit(model)
      let m = prep.model
      let best = try prep.bestFit()
      let axes = prep.targets
      for k in axes where !(prep.specs[k].lower.isFinite && prep.specs[k].upper.isFinite) {
        throw LikelihoodError("cannot scan '\(m.parameters[k].name)': its range is not finite (use --setParameterRanges)")
      }
      let perAxis = axes.count == 1 ? points : Int(ceil(pow(Double(points), 1 / Double(axes.count)) - 1e-9))
      let grids: [[Double]] = axes.map { k in
        let lo = prep.specs[k].lower, hi = prep.specs[k].upper
        if perAxis == 1 { return [lo] }
        return (0..<perAxis).map { i in
          alignEdges == 1 ? lo + Double(i) * (hi - lo) / Double(perAxis - 1)
            : lo + (Double(i) + 0.5) * (hi - lo) / Double(perAxis)
        }
      }
      let iToy = prep.asimov ? -1.0 : 0.0
      var rows: [[Double]] = [[model.mass, iToy, -1] + axes.map { best.x[$0] } + [0]]
      let total = grids.reduce(1) { $0 * $1.count }
      let minimizer = Minimizer()
      for flat in 0..<total {
        var rem = flat
        var point = [Double](repeating: 0, count: axes.count)
        for a in stride(from: axes.count - 1, through: 0, by: -1) {
          point[a] = grids[a][rem % grids[a].count]
          rem /= grids[a].count
        }
        var fixing: [Int: Double] = [:]
        for (a, k) in axes.enumerated() { fixing[k] = point[a] }
        let r = minimizer.minimize(prep.nll, parameters: prep.specs, fixing: fixing, best: best)
        guard r.status.isConverged else { continue }  // Combine does not write failed points
        let dnll = r.fval - best.fval
        let q = chiSquaredSurvival(2 * dnll, degreesOfFreedom: axes.count)
        rows.append([model.mass, iToy, q] + point + [dnll])
      }
      let header = ["mh", "iToy", "quantileExpected"] + axes.map { m.parameters[$0].name } + ["deltaNLL"]
      if let csv {
        try writeCSV(header, rows, to: csv)
      } else {
        print(header.joined(separator: ","))
        for r in rows { print(r.map { String(format: "%.9g", $0) }.joined(separator: ",")) }
      }
    }
  }
}
