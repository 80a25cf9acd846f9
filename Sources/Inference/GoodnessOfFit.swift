//===--- GoodnessOfFit.swift ----------------------------------------------===//
// Combine's GoodnessOfFit (src/GoodnessOfFit.cc): the saturated-model statistic, and the
// Kolmogorov–Smirnov and Anderson–Darling distances per channel, on the data and on toys.
//
// saturated: q = 2·(NLL(θ̂) − NLL_sat), the saturated model having one free normalisation per bin
//   (ν_i = n_i) and the same constraint terms, minimised at their global observables. With
//   Recombine's NLL (per bin ν − n − n·ln(ν/n), zero at ν = n; Gaussian and Barlow–Beeston-lite
//   terms zero at their minimum) NLL_sat = Σ_gmN (N − N·ln N) over the gmN parameters with N > 0.
// KS, AD: per channel, the bins in order, with the post-fit expected yields ν_i (Barlow–Beeston
//   shifts included) and the counts n_i, s = Σ n_i, F_k = Σ_{i≤k} ν_i / Σ ν, E_k = Σ_{i≤k} n_i / s:
//   KS = max_k |E_k − F_k|;  AD = Σ_k s·(E_k − F_k)² / (F_k(1 − F_k))·(F_k − F_{k−1}), a term
//   being 0 where F_k ≥ 1 (L. Demortier's binned form, as Combine); a channel without events
//   gives −1. The statistic is the sum over the channels (as Combine's).
// Toys: generated as Combine generates them (`ToyGenerator`: prior nuisances by default,
// `--toysFrequentist` from the post-fit model with drawn global observables), each fitted and its
// statistic computed the same way; p = (toys with q ≥ q_obs) / toys.
//===----------------------------------------------------------------------===//

import Fit
import Foundation
import Likelihood
import Support

public enum GoodnessOfFitAlgorithm: String, Sendable, CaseIterable {
  case saturated, KS, AD
}

public struct GoodnessOfFitResult: Sendable {
  public var algorithm: GoodnessOfFitAlgorithm
  /// The statistic on the data, and per channel (KS, AD; empty for saturated).
  public var observed: Double
  public var perChannel: [(channel: String, value: Double)]
  /// The toys' statistics (converged fits only), in toy order, and their indices.
  public var toys: [Double]
  public var toyIndices: [Int]
  /// Toys whose fit did not converge (left out).
  public var failedToys: Int
  /// Fraction of toys with a statistic at least the observed one (nil without toys).
  public var pValue: Double? {
    toys.isEmpty ? nil : Double(toys.filter { $0 >= observed }.count) / Double(toys.count)
  }
}

public enum GoodnessOfFit {
  /// The statistic of `data` (already in `nll`) at the fit `best`.
  public static func statistic(_ algorithm: GoodnessOfFitAlgorithm, nll: NLL, model: CompiledModel, best: MinimizationResult)
    -> (total: Double, perChannel: [(channel: String, value: Double)])
  {
    switch algorithm {
    case .saturated:
      var saturated = 0.0
      for (k, i) in model.globalObservableParameters.enumerated() {
        if case .poisson = model.parameters[i].constraint {
          let n = nll.globalObservables[k]
          if n > 0 { saturated += n - n * Foundation.log(n) }
        }
        // (shapesys' scaled Poisson terms are written zero at their minimum already.)
      }
      return (2 * (best.fval - saturated), [])
    case .KS, .AD:
      let nu = nll.expectedYields(at: best.x)
      let data = nll.data
      var per: [(String, Double)] = []
      for (c, ch) in model.channels.enumerated() where !model.maskedChannels.contains(c) {
        let range = ch.firstBin..<(ch.firstBin + ch.binCount)
        per.append((ch.name, distance(expected: Array(nu[range]), observed: Array(data[range]), kolmogorov: algorithm == .KS)))
      }
      return (per.reduce(0) { $0 + $1.1 }, per)
    }
  }

  /// KS (`kolmogorov`) or AD distance of one channel (see the file comment).
  public static func distance(expected nu: [Double], observed n: [Double], kolmogorov: Bool) -> Double {
    let total = nu.reduce(0, +), s = n.reduce(0, +)
    guard s > 0 else { return -1 }
    var stat = 0.0, cdf = 0.0, last = 0.0, edf = 0.0, acc = 0.0
    for i in nu.indices {
      acc += nu[i]
      cdf = total > 0 ? acc / total : 0
      edf += n[i] / s
      if kolmogorov {
        stat = max(stat, abs(edf - cdf))
      } else if cdf < 1 {
        stat += s * (edf - cdf) * (edf - cdf) / (cdf * (1 - cdf)) * (cdf - last)
      }
      last = cdf
    }
    return stat
  }

  /// The statistic on the data and on `toys` toys (seeded by `seed`, toys `first…`), with the
  /// first POI fixed at `fixedSignalStrength` when given.
  public static func run(
    _ problem: FitProblem, algorithm: GoodnessOfFitAlgorithm, fixedSignalStrength: Double? = nil,
    toys: Int = 0, seed: UInt64 = 123456, first: Int = 0, nuisances: ToyNuisances = .prior,
    threads: Int = ProcessInfo.processInfo.activeProcessorCount
  ) throws -> GoodnessOfFitResult {
    var specs = problem.specs
    if let mu = fixedSignalStrength {
      guard let k = problem.model.pois.first else { throw LikelihoodError("--fixedSignalStrength: the model has no POI") }
      guard mu >= specs[k].lower && mu <= specs[k].upper else {
        throw LikelihoodError("--fixedSignalStrength \(mu) is outside the range of \(specs[k].name) [\(specs[k].lower), \(specs[k].upper)]")
      }
      specs[k].value = mu
      specs[k].fixed = true
    }
    let best = Minimizer().minimize(problem.nll, parameters: specs)
    guard best.status.isConverged else { throw LikelihoodError("the fit to the data did not converge: \(best.status)") }
    let observed = statistic(algorithm, nll: problem.nll, model: problem.model, best: best)
    guard toys > 0 else {
      return GoodnessOfFitResult(algorithm: algorithm, observed: observed.total, perChannel: observed.perChannel, toys: [],
                                 toyIndices: [], failedToys: 0)
    }
    let model = problem.model
    let fitSpecs = specs
    let results = try Toys.map(problem, specs: specs, nuisances: nuisances, seed: seed, first: first, count: toys, threads: threads) { nll in
      let fit = Minimizer().minimize(nll, parameters: fitSpecs)
      return fit.status.isConverged ? statistic(algorithm, nll: nll, model: model, best: fit).total : nil
    }
    let ok = results.filter { $0.value != nil }
    return GoodnessOfFitResult(algorithm: algorithm, observed: observed.total, perChannel: observed.perChannel,
                               toys: ok.map { $0.value! }, toyIndices: ok.map(\.index), failedToys: results.count - ok.count)
  }

  /// Combine's limit tree rows: limit = the statistic, quantileExpected −1; iToy 0 for the data,
  /// the toy index + 1 for toys.
  public static func limitTree(_ r: GoodnessOfFitResult, mass: Double, dataRow: Bool = true) -> LimitTreeTable {
    var rows: [[Double]] = dataRow ? [[r.observed, 0, mass, 0, -1]] : []
    for (q, i) in zip(r.toys, r.toyIndices) { rows.append([q, 0, mass, Double(i + 1), -1]) }
    return LimitTreeTable(header: LimitTreeTable.limitHeader, values: rows)
  }
}
