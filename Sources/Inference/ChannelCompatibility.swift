//===--- ChannelCompatibility.swift ---------------------------------------===//
// Combine's ChannelCompatibilityCheck (src/ChannelCompatibilityCheck.cc): the nominal fit, one
// signal strength r for every channel, against the alternate fit, one r_<channel> per channel
// (every signal process of the channel scaled by it, through multiSignalModel maps). The
// statistic is 2ΔNLL = 2(NLL_nominal − NLL_alternate) ≥ 0; asymptotically χ² with (channels with
// signal − 1) degrees of freedom.
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Fit
import Foundation
import Likelihood
import Maths

public struct ChannelCompatibilityResult: Sendable {
  public struct Entry: Sendable {
    public var name: String
    public var best: Double
    /// The 68% interval (profile-likelihood crossings with `minos`, else best ∓ the HESSE error).
    public var lower: Double
    public var upper: Double
  }
  public var nominal: Entry
  public var channels: [Entry]
  public var twoDeltaNLL: Double
  /// P(χ²_{channels − 1} > 2ΔNLL).
  public var pValue: Double
}

public enum ChannelCompatibility {
  /// Runs both fits on `card` (the default physics model, `r`), with `options` (ranges, frozen
  /// parameters, data); `rRange` is the range of r and of every r_<channel>.
  public static func run(card path: String, options: FitOptions, rRange: ClosedRange<Double>, minos: Bool) throws
    -> ChannelCompatibilityResult
  {
    let card = try Datacard.parse(contentsOf: path)
    var o = options
    o.rMin = rRange.lowerBound
    o.rMax = rRange.upperBound
    o.pois = []
    let nominal = try FitProblem(card: card, physics: try PhysicsModelChoice(name: nil).make(for: card, mass: o.mass).0, options: o)
    guard let r = nominal.model.index(of: "r") else { throw LikelihoodError("channel compatibility needs the default model's r") }
    func escape(_ s: String) -> String { NSRegularExpression.escapedPattern(for: s) }
    var maps: [String] = []
    var channels: [String] = []
    for bin in card.bins {
      let signals = Set(card.columns.filter { $0.bin == bin && $0.isSignal }.map(\.process)).sorted()
      guard !signals.isEmpty else { continue }
      channels.append(bin)
      let patterns = signals.map { "^\(escape(bin))/\(escape($0))$" }.joined(separator: ",")
      maps.append("map=\(patterns):r_\(bin)[1,\(rRange.lowerBound),\(rRange.upperBound)]")
    }
    guard channels.count >= 2 else { throw LikelihoodError("channel compatibility needs at least two channels with signal (found \(channels.count))") }
    var alt = o
    alt.rMin = nil
    alt.rMax = nil
    let altModel = try PhysicsModelChoice(name: "multiSignalModel", options: maps).make(for: card, mass: o.mass).0
    let alternate = try FitProblem(card: card, physics: altModel, options: alt)
    func entries(_ p: FitProblem, names: [String]) throws -> (MinimizationResult, [ChannelCompatibilityResult.Entry]) {
      let fit = try MultiDimFit.run(p, algorithm: minos ? .singles : .none, hesse: !minos)
      return (fit.best, try names.map { name in
        guard let k = p.model.index(of: name) else { throw LikelihoodError("no parameter \(name)") }
        let b = fit.best.x[k]
        if let iv = fit.intervals[k] { return .init(name: name, best: b, lower: iv.lower, upper: iv.upper) }
        let e = fit.hesse?.errors[k] ?? .nan
        return .init(name: name, best: b, lower: max(b - e, p.specs[k].lower), upper: min(b + e, p.specs[k].upper))
      })
    }
    let (nb, ne) = try entries(nominal, names: ["r"])
    let (ab, ae) = try entries(alternate, names: channels.map { "r_\($0)" })
    _ = r
    let q = 2 * (nb.fval - ab.fval)
    var perChannel = ae
    for k in perChannel.indices { perChannel[k].name = channels[k] }
    return ChannelCompatibilityResult(nominal: ne[0], channels: perChannel, twoDeltaNLL: q,
                                      pValue: chiSquaredSurvival(max(q, 0), degreesOfFreedom: channels.count - 1))
  }
}
