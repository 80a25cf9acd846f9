//===--- ModelCombination.swift -------------------------------------------===//
// Two compiled models joined into one likelihood: a datacard combination and a pyhf workspace,
// say. Channels are kept side by side; parameters of the same name (after renaming) are one
// parameter, so correlated nuisances and shared POIs are fitted together.
//===----------------------------------------------------------------------===//

import Foundation

/// Scalings of a combined model: the first model's functions, then the second's.
final class ConcatenatedScalings: YieldScalingFunctions, @unchecked Sendable {
  let first: YieldScalingFunctions?
  let second: YieldScalingFunctions
  /// The first part reads only x[0..<firstReads] (a physics model's POIs), nil if unknown.
  let firstReads: Int?
  var count: Int { (first?.count ?? 0) + second.count }
  init(_ a: YieldScalingFunctions?, _ b: YieldScalingFunctions, firstReads: Int? = nil) {
    first = a
    second = b
    self.firstReads = firstReads
  }
  func evaluate(_ x: UnsafeBufferPointer<Double>, into values: UnsafeMutableBufferPointer<Double>) {
    let n = first?.count ?? 0
    if let first { first.evaluate(x, into: UnsafeMutableBufferPointer(rebasing: values[0..<n])) }
    second.evaluate(x, into: UnsafeMutableBufferPointer(rebasing: values[n...]))
  }
  func accumulateGradient(_ x: UnsafeBufferPointer<Double>, weights: UnsafeBufferPointer<Double>,
                          into gradient: UnsafeMutableBufferPointer<Double>) {
    let n = first?.count ?? 0
    if let first { first.accumulateGradient(x, weights: UnsafeBufferPointer(rebasing: weights[0..<n]), into: gradient) }
    second.accumulateGradient(x, weights: UnsafeBufferPointer(rebasing: weights[n...]), into: gradient)
  }
}

extension CompiledModel {
  /// A model with nothing in it: the start of a combination.
  public static var empty: CompiledModel {
    CompiledModel(parameters: [], pois: [], channels: [], terms: [], observed: [], isPureCounting: false)
  }

  /// This model and `other` as one likelihood. `other`'s parameter named n is called
  /// `renaming[n] ?? n`; a name this model has already is the same parameter (the two must agree on
  /// the constraint: a Gaussian θ ~ N(0, 1) of an lnN and of a normsys correlate, a luminosity
  /// factor λ ~ N(1, σ) and an lnN θ do not, and that is an error naming both), else it is
  /// appended. `other`'s POIs that become one of this model's POIs are shared; the others stay POIs.
  /// Channel names must differ. `other`'s external scalings must be re-indexable (those of pyhf
  /// workspaces are); this model's are kept as they are.
  public func appending(_ other: CompiledModel, renaming: [String: String] = [:], label: String = "second model") throws -> CompiledModel {
    var out = self
    var map = [Int](repeating: -1, count: other.parameters.count)
    for (j, p) in other.parameters.enumerated() {
      var q = p
      q.name = renaming[p.name] ?? p.name
      if let k = out.index(of: q.name) {
        let mine = out.parameters[k]
        guard mine.constraint == q.constraint else {
          throw LikelihoodError("cannot correlate \(label):\(p.name) (\(Self.describe(q.constraint))) with '\(mine.name)' (\(Self.describe(mine.constraint))): different parametrisations; rename one of them")
        }
        map[j] = k
        if q.role == .poi && mine.role != .poi && mine.constraint == .none {
          out.parameters[k].role = .poi
          out.pois.append(k)
        }
        continue
      }
      out.parameters.append(q)
      map[j] = out.parameters.count - 1
      if other.pois.contains(j) { out.pois.append(map[j]) }
    }
    var seen = Set(out.channels.map(\.name))
    for c in other.channels where !seen.insert(c.name).inserted {
      throw LikelihoodError("channel '\(c.name)' of \(label) is also a channel of the other inputs: give the inputs labels that keep them apart")
    }
    let binOffset = binCount, termOffset = terms.count, channelOffset = channels.count
    let formulaOffset = formulas.count
    var scalingOffset = 0
    if let s = other.scalings {
      // Re-indexable: parameter products; a physics model's functions only if they read POIs that
      // keep their indices (the same POIs, first in both models).
      var opaque: YieldScalingFunctions? = nil
      var products: ParameterProducts
      if let p = s as? ParameterProducts {
        products = p
      } else if let c = s as? ConcatenatedScalings, let p = c.second as? ParameterProducts, let reads = c.firstReads,
                (0..<reads).allSatisfy({ map[$0] == $0 }) {
        opaque = c.first
        products = p
      } else {
        throw LikelihoodError("\(label) has physics-model scalings whose parameters are not the first parameters of the combination (the same POIs, first): they cannot be re-indexed")
      }
      scalingOffset = scalings?.count ?? 0
      products = ParameterProducts((0..<products.count).map { k in
        (products.offsets[k]..<products.offsets[k + 1]).map { map[products.members[$0]] }
      })
      let appended: YieldScalingFunctions = opaque.map { ConcatenatedScalings($0, products) } ?? products
      out.scalings = ConcatenatedScalings(scalings, appended)
    }
    for c in other.channels {
      out.channels.append(Channel(name: c.name, binCount: c.binCount, firstBin: c.firstBin + binOffset, edges: c.edges))
    }
    for t in other.terms {
      var u = t
      u.channel += channelOffset
      u.factors = t.factors.map { map[$0] }
      u.logNormals = t.logNormals.map { LogNormalEffect(parameter: map[$0.parameter], logKappa: $0.logKappa) }
      u.asymmetricLogNormals = t.asymmetricLogNormals.map { var e = $0; e.parameter = map[e.parameter]; return e }
      u.morphs = t.morphs.map { var m = $0; m.parameter = map[m.parameter]; return m }
      u.formulas = t.formulas.map { $0 + formulaOffset }
      u.scaling = t.scaling.map { $0 + scalingOffset }
      u.binScalingFirst = t.binScalingFirst.map { $0 + scalingOffset }
      if t.binScalingFirst != nil && t.perBinScaling == nil { u.perBinScaling = other.perBinScaling }
      out.terms.append(u)
    }
    out.formulas += other.formulas.map { var f = $0; f.arguments = f.arguments.map { map[$0] }; return f }
    out.perProcessStats += other.perProcessStats.map { var s = $0; s.parameter = map[s.parameter]; s.term += termOffset; return s }
    out.statBins += other.statBins.map { $0 + binOffset }
    out.barlowBeestonBins += other.barlowBeestonBins.map { $0 + binOffset }
    out.maskedChannels.formUnion(other.maskedChannels.map { $0 + channelOffset })
    for (g, members) in other.groups { out.groups[g, default: []] += members.map { map[$0] } }
    if let a = observed, let b = other.observed { out.observed = a + b } else { out.observed = nil }
    out.isPureCounting = isPureCounting && other.isPureCounting
    out.warnings += other.warnings
    return out
  }

  static func describe(_ c: Constraint) -> String {
    switch c {
    case .none: return "unconstrained"
    case .flat: return "flat"
    case let .gaussian(m, s): return "Gaussian, mean \(m), σ \(s)"
    case let .bifurcatedGaussian(m, lo, hi): return "bifurcated Gaussian, mean \(m), σ \(lo)/\(hi)"
    case let .poisson(n): return "Poisson, N = \(n)"
    case let .scaledPoisson(n, s): return "Poisson, N = \(n), scale \(s)"
    }
  }
}
