//===--- Toys.swift -------------------------------------------------------===//
// Pseudo-datasets (Combine's -t N): generation as Combine does it, and fits of each toy.
//===----------------------------------------------------------------------===//

import Maths
import Fit
import Foundation
import Likelihood

/// How the nuisance parameters enter the generation of toys (Combine's three modes).
public enum ToyNuisances: Sendable, Equatable {
  /// Combine's default (`-t N`): for each toy every constrained nuisance is drawn from its
  /// constraint pdf around its nominal global observable (`RandomStream.draw`), Barlow–Beeston-lite
  /// parameters from N(0, 1) (a shift e_j·z_j of bin j), then the counts; the fits use the
  /// nominal global observables ("hybrid" toys).
  case prior
  /// `--toysNoSystematics`: counts from the expected yields at the generating values; nothing drawn.
  case none
  /// `--toysFrequentist`: the counts are drawn at the generating values (normally the post-fit
  /// nuisances of a fit to the data with the POIs at their generating values, and the data's
  /// BB-lite x̂_j) and each global observable is drawn from its constraint pdf centred on the
  /// parameter's generating value (Gaussian N(θ̂, σ²); bifurcated; gmN: Poisson(θ̂); BB-lite
  /// N(x̂_j, 1)); the fits use those global observables.
  case frequentist
}

/// One pseudo-dataset: counts per flat bin and the global observables its fits use.
public struct ToyDataset: Sendable, Equatable {
  public var data: [Double]
  public var globalObservables: [Double]
  /// Per flat bin (0 where there is no BB-lite parameter, and in the other modes).
  public var barlowBeestonGlobalObservables: [Double]
}

/// Generates toys of one model. Each toy i is generated from its own stream, seeded from (seed, i)
/// (`RandomStream(seed:index:)`), so a toy is the same whatever the order, the threads, or the job
/// it runs in, and studies with different seeds (`-s 1`, `-s 2`, … as combineTool uses) share no toys.
public struct ToyGenerator: Sendable {
  public let model: CompiledModel
  /// The observed counts (used by `.frequentist` for the BB-lite conditional values).
  public let observed: [Double]
  public let seed: UInt64
  /// Whether the signal+background model generates (else the background-only one, every signal
  /// process dropped: Combine without --expectSignal/--setParameters).
  public let signal: Bool
  /// The parameters with a global observable, and their nominal values (NLL order).
  let constrained: [Int]
  let nominalGlobals: [Double]

  public init(model: CompiledModel, observed: [Double], seed: UInt64, signal: Bool = true) {
    self.model = model
    self.observed = observed
    self.seed = seed
    self.signal = signal
    constrained = model.globalObservableParameters
    nominalGlobals = model.nominalGlobalObservables
  }

  /// Toy `index` (0-based) generated at `x` (POIs at their generating values). `fixed`: parameters
  /// not drawn in `.prior` mode (frozen nuisances).
  public func toy(_ index: Int, at x: [Double], nuisances: ToyNuisances, fixed: Set<Int> = [], nll: NLL) -> ToyDataset {
    let rng = RandomStream(seed: seed, index: UInt64(index))
    var p = x
    var globals = nominalGlobals
    var bbGlobals = [Double](repeating: 0, count: model.binCount)
    var nu: [Double]
    nll.setData(observed)
    nll.setBarlowBeestonGlobalObservables(bbGlobals)
    switch nuisances {
    case .none:
      nu = nll.expectedYields(at: p, barlowBeeston: false, signal: signal)
    case .prior:
      rng.drawConstrained(model, into: &p, fixed: fixed)
      nu = nll.expectedYields(at: p, barlowBeeston: false, signal: signal)
      let e = nll.barlowBeestonErrors
      for j in nu.indices where e[j] > 0 { nu[j] += e[j] * rng.normal() }
    case .frequentist:
      nu = nll.expectedYields(at: p, barlowBeeston: true, signal: signal)
      let xhat = nll.barlowBeestonValues, e = nll.barlowBeestonErrors
      for j in bbGlobals.indices where e[j] > 0 { bbGlobals[j] = xhat[j] + rng.normal() }
      for (k, i) in constrained.enumerated() {
        switch model.parameters[i].constraint {
        case .gaussian(_, let s): globals[k] = p[i] + s * rng.normal()
        case .bifurcatedGaussian(_, let lo, let hi):
          globals[k] = rng.draw(.bifurcatedGaussian(mean: p[i], sigmaLow: lo, sigmaHigh: hi))!
        case .poisson: globals[k] = rng.poisson(p[i])
        case .scaledPoisson(_, let scale): globals[k] = rng.poisson(scale * p[i])
        case .none, .flat: break
        }
      }
    }
    let data = nu.map { rng.poisson(max($0, 0)) }
    return ToyDataset(data: data, globalObservables: globals, barlowBeestonGlobalObservables: bbGlobals)
  }
}

/// The fit of one toy: its best fit and, if asked, the profile intervals of the targets.
public struct ToyFit: Sendable {
  public var index: Int
  public var best: MinimizationResult
  public var intervals: [Int: ProfileInterval]
}

public enum Toys {
  /// Generates toys `first..<first+count` at `generating` and fits each (from `specs`, the POIs
  /// free as in `specs`), in parallel on `threads` threads; with `intervals`, also the profile
  /// intervals of `targets` at 2ΔNLL = 2·`delta`. Results in toy order.
  public static func fit(
    generator: ToyGenerator, generating: [Double], nuisances: ToyNuisances, fixed: Set<Int>,
    specs: [ParameterSpec], targets: [Int], intervals: Bool, delta: Double,
    first: Int = 0, count: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount
  ) throws -> [ToyFit] {
    let queue = WorkQueue<ToyFit>(count: count)
    try forEachWorker(threads: min(threads, max(1, count)), model: generator.model, data: generator.observed,
                      globalObservables: nil) { _, nll in
      // One workspace per thread: the toys' fits reuse its buffers.
      var minimizer = Minimizer()
      minimizer.workspace = MinimizerWorkspace()
      while let k = queue.next() {
        let toy = generator.toy(first + k, at: generating, nuisances: nuisances, fixed: fixed, nll: nll)
        nll.setData(toy.data)
        nll.setGlobalObservables(toy.globalObservables)
        nll.setBarlowBeestonGlobalObservables(toy.barlowBeestonGlobalObservables)
        let best = minimizer.minimize(nll, parameters: specs)
        var ivs: [Int: ProfileInterval] = [:]
        if intervals && best.status.isConverged {
          for t in targets {
            ivs[t] = profileInterval(nll, parameters: specs, best: best, index: t, delta: delta, minimizer: minimizer)
          }
        }
        queue.set(k, ToyFit(index: first + k, best: best, intervals: ivs))
      }
    }
    return queue.results.compactMap { $0 }
  }

  /// Runs `body` on toys `first..<first+count` of `problem` (generated at the problem's parameter
  /// values — `--expectSignal` applied — or, with `.frequentist`, at the conditional fit to the
  /// data with the POIs at those values), in parallel; `body` gets an NLL holding the toy's data
  /// and global observables. Results in toy order, nil where `body` gave nil.
  public static func map<T: Sendable>(
    _ problem: FitProblem, specs: [ParameterSpec]? = nil, nuisances: ToyNuisances, seed: UInt64, first: Int = 0, count: Int,
    threads: Int = ProcessInfo.processInfo.activeProcessorCount, _ body: @escaping @Sendable (NLL) -> T?
  ) throws -> [(index: Int, value: T?)] {
    let specs = specs ?? problem.specs
    var generating = specs.map(\.value)
    if nuisances == .frequentist {
      var s = specs
      for k in problem.model.pois { s[k].fixed = true }
      let r = Minimizer().minimize(problem.nll, parameters: s)
      guard r.status.isConverged else { throw LikelihoodError("the fit to the data for --toysFrequentist did not converge: \(r.status)") }
      generating = r.x
    }
    let model = problem.model
    let generator = ToyGenerator(model: model, observed: problem.nll.data, seed: seed, signal: problem.toySignal)
    let at = generating
    let fixed = Set(specs.indices.filter { specs[$0].fixed })
    let queue = WorkQueue<(Int, T?)>(count: count)
    try forEachWorker(threads: min(threads, max(1, count)), model: model, data: problem.nll.data, globalObservables: nil) { _, nll in
      while let k = queue.next() {
        let toy = generator.toy(first + k, at: at, nuisances: nuisances, fixed: fixed, nll: nll)
        nll.setData(toy.data)
        nll.setGlobalObservables(toy.globalObservables)
        nll.setBarlowBeestonGlobalObservables(toy.barlowBeestonGlobalObservables)
        queue.set(k, (first + k, body(nll)))
      }
    }
    return queue.results.compactMap { $0 }.map { (index: $0.0, value: $0.1) }
  }
}
