//===--- FitToys.swift ----------------------------------------------------===//
// `recombine fit -t N`: fits of pseudo-datasets (Combine's MultiDimFit with toys).
//===----------------------------------------------------------------------===//

import Fit
import Foundation
import Inference
import Likelihood

extension FitCommand {
  /// Generates toys firstToy … firstToy + count − 1 of the study seeded by `-s` at the generating
  /// values, fits each, writes Combine's limit-tree rows (iToy = toy index + 1) and prints the
  /// distribution of the fitted POIs and, with --algo singles, the coverage of the 68% intervals.
  func runToys(_ prep: PreparedFit, count: Int) throws {
    if json != nil || plot != nil { throw LikelihoodError("--json and --plot describe one fit; with -t N use --csv") }
    guard firstToy >= 0 else { throw LikelihoodError("--firstToy must be ≥ 0") }
    let m = prep.model
    let nuisances: ToyNuisances = model.toysFrequentist ? .frequentist : model.toysNoSystematics ? .none : .prior
    var generating = prep.specs.map(\.value)
    if nuisances == .frequentist {
      // Fit the data with the POIs held at their generating values.
      var specs = prep.specs
      for k in m.pois { specs[k].fixed = true }
      let r = Minimizer().minimize(prep.nll, parameters: specs)
      guard r.status.isConverged else { throw LikelihoodError("the fit to the data for --toysFrequentist did not converge: \(r.status)") }
      generating = r.x
    }
    let generator = ToyGenerator(model: m, observed: prep.nll.data, seed: model.seed, signal: prep.toySignal)
    let fixed = Set(prep.specs.indices.filter { prep.specs[$0].fixed })
    let fits = try Toys.fit(
      generator: generator, generating: generating, nuisances: nuisances, fixed: fixed, specs: prep.specs,
      targets: prep.targets, intervals: algo == "singles", delta: m.singlesDelta, first: firstToy, count: count)

    let converged = fits.filter { $0.best.status.isConverged }
    print("\n --- MultiDimFit, \(count) toys (seed \(model.seed), toys \(firstToy)…\(firstToy + count - 1), \(nuisancesLabel(nuisances))) ---")
    print("converged: \(converged.count) of \(count)")
    for k in prep.targets {
      let name = m.parameters[k].name
      let v = converged.map { $0.best.x[k] }
      guard !v.isEmpty else { continue }
      let mean = v.reduce(0, +) / Double(v.count)
      let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, v.count - 1))).squareRoot()
      let sorted = v.sorted()
      let median = sorted[sorted.count / 2]
      var line = "   \(name): generated \(signed(generating[k])), fitted mean \(signed(mean)) ± \(String(format: "%.3f", sd / Double(v.count).squareRoot())), sd \(String(format: "%.3f", sd)), median \(signed(median))"
      if algo == "singles" {
        let withIV = converged.compactMap { $0.intervals[k] }
        let inside = withIV.filter { $0.lower <= generating[k] && generating[k] <= $0.upper }.count
        if !withIV.isEmpty {
          let f = Double(inside) / Double(withIV.count)
          // Binomial spread of the fraction for exact 68.27% coverage (defined also at f = 0 or 1).
          let p = 0.682689492137086
          line += String(format: "; 68%% interval covers the generated value in %.1f%% of %d toys (exact coverage: 68.3%% ± %.1f%%)",
                         100 * f, withIV.count, 100 * (p * (1 - p) / Double(withIV.count)).squareRoot())
        }
      }
      print(line)
    }
    if let csv {
      let header = ["mh", "iToy", "quantileExpected"] + prep.targets.map { m.parameters[$0].name } + ["deltaNLL"]
      var rows: [[Double]] = []
      for f in fits where f.best.status.isConverged {
        rows += limitTreeRows(mass: model.mass, iToy: Double(f.index + 1), targets: prep.targets, best: f.best.x, intervals: f.intervals)
      }
      try writeCSV(header, rows, to: csv)
    }
  }

  private func nuisancesLabel(_ n: ToyNuisances) -> String {
    switch n {
    case .prior: return "nuisances drawn from their constraints"
    case .none: return "no systematics drawn"
    case .frequentist: return "frequentist: post-fit nuisances, global observables drawn"
    }
  }
}
