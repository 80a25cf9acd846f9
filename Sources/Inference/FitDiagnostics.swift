//===--- FitDiagnostics.swift ---------------------------------------------===//
// Combine's FitDiagnostics: background-only and signal+background fits, nuisance pulls
// (diffNuisances.py) and pre-/post-fit yields with uncertainties (--saveShapes
// --saveWithUncertainties, mlfitNormsToText.py).
//===----------------------------------------------------------------------===//

import Fit
import Foundation
import Likelihood

/// Options of `FitDiagnostics.run`.
public struct FitDiagnosticsOptions: Sendable {
  /// How yield uncertainties are computed: Combine's resampling (`--saveWithUncertainties`, 200
  /// parameter vectors; the default, as Combine), or linear propagation.
  public var errors: YieldErrorMethod = .sampling(toys: 200, seed: 123456)
  /// With `.sampling` (and no ranges of its own): clip the post-fit draws into the fit's parameter
  /// ranges, as Combine does (default); false leaves them unclipped.
  public var clipToRanges = true
  /// Skip the background-only fit (`--skipBOnlyFit`).
  public var skipBOnlyFit = false
  /// The first POI's value for the pre-fit yields and the start of the s+b fit (`--preFitValue`).
  public var preFitValue: Double = 1
  public init() {}
}

/// One constrained nuisance's pull: its value and HESSE error in both fits, and its correlation
/// with the first POI in the s+b fit.
public struct NuisancePull: Sendable {
  public var index: Int
  public var name: String
  public var sbValue: Double
  public var sbError: Double
  public var bValue: Double?
  public var bError: Double?
  public var correlationWithPOI: Double
}

/// The result of `FitDiagnostics.run`.
public struct FitDiagnosticsResult {
  /// The first POI.
  public let poi: Int
  public let poiName: String
  /// The s+b fit (HESSE), and the first POI's 68% profile-likelihood interval.
  public let signalPlusBackground: HesseFit
  public let interval: ProfileInterval
  /// The b-only fit (the first POI held at 0), unless skipped.
  public let backgroundOnly: HesseFit?
  public let pulls: [NuisancePull]
  /// Yields per channel, process and bin: pre-fit, after the s+b fit, after the b-only fit.
  public let prefit: [ChannelYields]
  public let fitS: [ChannelYields]
  public let fitB: [ChannelYields]?
  /// The first POI's value for the pre-fit yields (`--preFitValue`).
  public var prefitPOIValue: Double = 1
}

public enum FitDiagnostics {
  /// The s+b fit floats the POIs (starting from `preFitValue`); the b-only fit holds the first POI
  /// at 0. The first POI's 68% interval is the profile-likelihood crossing (Combine's Minos).
  /// Pulls: each floating constrained nuisance. Yields pre-fit (parameters at their initial
  /// values and the first POI at `preFitValue`, uncertainties from the constraint pdfs) and after
  /// each fit (uncertainties from the fit's HESSE covariance).
  public static func run(_ problem: FitProblem, options: FitDiagnosticsOptions) throws -> FitDiagnosticsResult {
    var problem = problem
    let m = problem.model
    guard let poi = problem.targets.first else { throw LikelihoodError("the model has no POI") }
    let poiName = m.parameters[poi].name
    guard options.preFitValue >= problem.specs[poi].lower && options.preFitValue <= problem.specs[poi].upper else {
      throw LikelihoodError("--preFitValue \(options.preFitValue) is outside the range of \(poiName) [\(problem.specs[poi].lower), \(problem.specs[poi].upper)]")
    }
    problem.specs[poi].value = options.preFitValue

    // s+b fit, its first POI's interval, HESSE.
    try HesseFit.checkSize(problem.specs)
    let sb = try problem.bestFit()
    let iv = profileInterval(problem.nll, parameters: problem.specs, best: sb, index: poi, delta: m.singlesDelta, minimizer: Minimizer())
    let sbFit = HesseFit(problem, specs: problem.specs, best: sb)
    // b-only fit: first POI at 0.
    var bFit: HesseFit? = nil
    if !options.skipBOnlyFit {
      var specs = problem.specs
      specs[poi].value = 0
      specs[poi].fixed = true
      let b = Minimizer().minimize(problem.nll, parameters: specs)
      guard b.status.isConverged else { throw LikelihoodError("the b-only fit did not converge: \(b.status)") }
      bFit = HesseFit(problem, specs: specs, best: b)
    }

    let constrained = m.parameters.indices.filter { m.parameters[$0].isConstrained && !problem.specs[$0].fixed }
    let pulls = constrained.map { i in
      NuisancePull(index: i, name: m.parameters[i].name, sbValue: sb.x[i], sbError: sbFit.errors[i],
                   bValue: bFit?.best.x[i], bError: bFit?.errors[i], correlationWithPOI: sbFit.correlation(i, poi))
    }

    var initial = problem.specs.map(\.value)
    initial[poi] = options.preFitValue
    let fixedPrefit = Set(problem.specs.indices.filter { problem.specs[$0].fixed })
    func yields(_ what: String, _ body: () throws -> [ChannelYields]) throws -> [ChannelYields] {
      do { return try body() } catch let e as LikelihoodError { throw LikelihoodError("\(what) yields: \(e.message)") }
    }
    var method = options.errors
    if case .sampling(let toys, let seed, nil) = method, options.clipToRanges {
      method = .sampling(toys: toys, seed: seed, ranges: problem.specs.map { min($0.lower, $0.upper)...max($0.lower, $0.upper) })
    }
    let prefit = try yields("pre-fit") { try yieldTable(nll: problem.nll, at: initial, distribution: .prefit(fixed: fixedPrefit), method: method) }
    let fitB = try bFit.map { b in try yields("b-only fit") { try yieldTable(nll: problem.nll, at: b.best.x, distribution: b.distribution, method: method) } }
    let fitS = try yields("s+b fit") { try yieldTable(nll: problem.nll, at: sb.x, distribution: sbFit.distribution, method: method) }
    return FitDiagnosticsResult(poi: poi, poiName: poiName, signalPlusBackground: sbFit, interval: iv, backgroundOnly: bFit,
                                pulls: pulls, prefit: prefit, fitS: fitS, fitB: fitB, prefitPOIValue: options.preFitValue)
  }
}

extension FitDiagnosticsResult {
  /// The document of `fit-diagnostics --json`: `poi`, `fit_s` (with the first POI's interval),
  /// `fit_b`, and `shapes_prefit`, `shapes_fit_s`, `shapes_fit_b` (`ChannelYields` per channel).
  public func json(_ model: CompiledModel) throws -> [String: Any] {
    func object<T: Encodable>(_ v: T) throws -> Any { try JSONSerialization.jsonObject(with: try JSONEncoder().encode(v)) }
    var doc: [String: Any] = [
      "poi": poiName,
      "fit_s": signalPlusBackground.json(model, intervals: [poi: interval]),
      "shapes_prefit": try object(prefit), "shapes_fit_s": try object(fitS),
    ]
    if let backgroundOnly, let fitB {
      doc["fit_b"] = backgroundOnly.json(model, intervals: [:])
      doc["shapes_fit_b"] = try object(fitB)
    }
    return doc
  }
}
