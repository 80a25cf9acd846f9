//===--- Statistic.swift --------------------------------------------------===//
// What a trained model's output is binned in: one learned coefficient function, or the learned
// likelihood ratio at a point θ.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// What a trained model's output is binned in.
public enum BITStatistic: Sendable, Equatable {
  /// One learned coefficient function (index into `BITModel.outputNames`), e.g. t_cHW.
  case output(Int)
  /// The learned likelihood ratio r̂(x, θ) (θ in the model's coefficient order).
  case ratio(theta: [Double])
}

extension BITModel {
  /// Parses `--score t_<c>` (or `<c>`) or `--theta c=v,c=v` (unnamed coefficients 0). With
  /// neither, a single-coefficient model uses its only output.
  public func statistic(score: String?, theta: String?) throws -> BITStatistic {
    if score != nil && theta != nil { throw BITError("give either --score or --theta, not both") }
    if let t = theta {
      var th = [Double](repeating: 0, count: coefficients.count)
      for part in t.split(separator: ",") {
        let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard kv.count == 2, let v = Double(kv[1]) else { throw BITError("--theta: expected c=value, got '\(part)'") }
        guard let a = coefficients.firstIndex(of: kv[0]) else {
          throw BITError("--theta: the model has no coefficient \(kv[0]) (\(coefficients.joined(separator: ",")))")
        }
        th[a] = v
      }
      return .ratio(theta: th)
    }
    if let s = score {
      let name = s.hasPrefix("t_") ? s : "t_" + s
      guard let j = outputNames.firstIndex(of: name) else {
        throw BITError("--score: the model has no output \(name) (\(outputNames.joined(separator: ",")))")
      }
      return .output(j)
    }
    guard learnedCount == 1 || coefficients.count == 1 else {
      throw BITError("the model learns several coefficient functions; choose one with --score or a point with --theta")
    }
    return .output(0)
  }

  /// The statistic of row-major features `[n × featureCount]`.
  public func evaluate(_ s: BITStatistic, features: [Double], treeLimit: Int? = nil) -> [Double] {
    let p = predict(features: features, treeLimit: treeLimit)
    let D = learnedCount, n = D == 0 ? 0 : p.count / D
    switch s {
    case .output(let j): return (0..<n).map { p[$0 * D + j] }
    case .ratio(let th): return (0..<n).map { ratio(p[($0 * D)..<($0 * D + D)], theta: th) }
    }
  }

  public func describe(_ s: BITStatistic) -> String {
    switch s {
    case .output(let j): return outputNames[j]
    case .ratio(let th):
      return "r(x; " + zip(coefficients, th).filter { $0.1 != 0 }.map { "\($0.0)=\(formatShort($0.1))" }.joined(separator: ",") + ")"
    }
  }
}
