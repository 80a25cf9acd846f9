//===--- Reinterpretation.swift -------------------------------------------===//
// `recombine reinterpret`: 1D χ² curves of the parameters of a published Gaussian measurement.
//===----------------------------------------------------------------------===//

import Fit
import Foundation
import Likelihood

/// One parameter's curve: its scan, the range scanned and the 68%/95% sets.
public struct ReinterpretationCurve: Sendable {
  public var parameter: String
  public var range: (Double, Double)
  public var scan: IntervalScanResult
  /// The 68% (2ΔNLL = 1) and 95% (2ΔNLL = χ²₁(0.95) = 3.8415) sets, unions of pieces.
  public var cl68: [IntervalPiece]
  public var cl95: [IntervalPiece]
}

public enum Reinterpretation {
  /// χ² = 2·NLL of the channel at the SM (every parameter 0).
  public static func chiSquaredAtSM(_ channel: GaussianMeasurementChannel) -> Double {
    GaussianMeasurementNLL(channel: channel).chiSquared([Double](repeating: 0, count: channel.parameterNames.count))
  }

  /// The 1D curves 2ΔNLL(θ_k) of `parameters` (default: all) of a Gaussian measurement, with the
  /// other parameters fixed at 0 or profiled. The range is `range`, or where 2ΔNLL reaches 3.84
  /// around the 1D best fit (`IntervalScan.automaticRange`, scale its HESSE error).
  public static func scan(
    _ channel: GaussianMeasurementChannel, parameters: [String], range fixedRange: (Double, Double)?, points: Int, profile: Bool
  ) throws -> [ReinterpretationCurve] {
    guard points >= 3 else { throw LikelihoodError("--scan must be ≥ 3") }
    let nll = GaussianMeasurementNLL(channel: channel)
    let names = parameters.isEmpty ? channel.parameterNames : parameters
    let specs = channel.parameterNames.map { ParameterSpec(name: $0, value: 0, step: 0.1) }
    let minimizer = Minimizer()
    var curves: [ReinterpretationCurve] = []
    for name in names {
      guard let k = channel.parameterIndex(name) else {
        throw LikelihoodError("unknown parameter '\(name)' (have: \(channel.parameterNames.joined(separator: ", ")))")
      }
      // 1D best fit (others fixed or profiled) for the default range's centre and scale.
      var s = specs
      if !profile { for j in s.indices where j != k { s[j].fixed = true } }
      let fit = minimizer.minimize(nll, parameters: s)
      let sigma = fit.error(k) ?? 1
      let r = fixedRange ?? IntervalScan.automaticRange(
        nll, parameters: s, index: k, center: fit.x[k], scale: max(sigma, 1e-6), level: 3.84, profile: profile,
        minimizer: minimizer)
      let scan = IntervalScan.run(nll, parameters: s, index: k, range: r, points: points, profile: profile, minimizer: minimizer)
      curves.append(ReinterpretationCurve(parameter: name, range: r, scan: scan, cl68: scan.pieces(level: 1),
                                          cl95: scan.pieces(level: 3.841458820694124)))
    }
    return curves
  }
}
