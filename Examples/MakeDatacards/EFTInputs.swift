//===--- EFTInputs.swift --------------------------------------------------===//
// The one SMEFT parametrisation both channels use: Combine's STXStoSMEFT inputs
// (CMS-prelim-SMEFT-topU3l_22_05_05_AccCorr_0p01), restricted to the Wilson coefficients these
// channels are sensitive to, and the acceptance-weighted production forms of the categories.
//===----------------------------------------------------------------------===//

import EFT
import Foundation

enum EFTInputs {
  /// The Wilson coefficients kept (SMEFTsim topU3l names, Combine's spelling). The others of
  /// pois.yaml are fixed at 0 (``EFTParametrisation/restricted(to:)`` drops their terms).
  static let coefficients = [
    "chg", "chw", "chb", "chwb", "chbox", "chdd", "chl3", "cll1", "chj3", "ctgre", "cthre", "ctwre",
  ]
  /// POI ranges (in the rescaled POI θ = c·10^exponent, CMS exponents kept), widened from pois.yaml's
  /// ±5 where the 95% intervals of these cards are wider.
  static let ranges: [String: ClosedRange<Double>] = [
    "chg": -100...100, "chw": -300...300, "chb": -300...300, "chwb": -300...300, "chbox": -20...20,
    "chdd": -20...20, "chl3": -20...20, "cll1": -20...20, "chj3": -20...20, "ctgre": -50...50,
    "cthre": -20...20, "ctwre": -20...20,
  ]
  /// Decay keys used (decay.json), besides `tot`.
  static let decays = ["ZZ", "WW", "tautau"]

  /// The STXS-bin forms, from the full STXStoSMEFT directory when it exists, else from the
  /// committed subset file (the same forms, written by an earlier run).
  static func load(stxsDirectory: String?, subsetFile: String) throws -> (EFTParametrisation, String) {
    if let dir = stxsDirectory, FileManager.default.fileExists(atPath: dir + "/prod.json") {
      var p = try STXStoSMEFT.read(directory: dir).parametrisation.restricted(to: coefficients)
      p.coefficients = p.coefficients.map { c in
        var c = c
        let r = ranges[c.name]!
        c.minimum = r.lowerBound
        c.maximum = r.upperBound
        return c
      }
      return (p, dir)
    }
    return (try NativeFormat.read(path: subsetFile), subsetFile)
  }

  /// Σ_k w_k · form_k (the acceptance-weighted production form of one category and process). With
  /// Σ w_k = 1 and every form 1 + …, the result is again 1 + ….
  static func weightedSum(_ terms: [(form: QuadraticForm, weight: Double)]) -> QuadraticForm {
    var constant = 0.0
    var linear: [Int: Double] = [:]
    var quadratic: [IndexPair: Double] = [:]
    for (f, w) in terms {
      constant += w * f.constant
      for t in f.linearTerms { linear[t.index, default: 0] += w * t.value }
      for t in f.quadraticTerms { quadratic[IndexPair(t.first, t.second), default: 0] += w * t.value }
    }
    return QuadraticForm(constant: constant, linear: linear, quadratic: quadratic)
  }

  /// The subset of `stxs` that the written files refer to: the STXS bins in `bins` and the decays.
  static func subset(_ stxs: EFTParametrisation, bins: Set<String>) -> EFTParametrisation {
    var forms: [String: QuadraticForm] = [:]
    for b in bins { forms["prod:" + b] = stxs.forms["prod:" + b] }
    for d in decays + ["tot"] { forms["decay:" + d] = stxs.forms["decay:" + d] }
    return EFTParametrisation(coefficients: stxs.coefficients, forms: forms, targets: [])
  }
}

/// An acceptance row: the fraction of a (category, process) signal that comes from each STXS bin.
typealias Acceptance = [(bin: String, fraction: Double)]

/// Builds the production form of every (channel, process) from an acceptance table and checks that
/// each row sums to 1.
func productionForm(_ acceptance: Acceptance, stxs: EFTParametrisation, what: String) throws -> QuadraticForm {
  let sum = acceptance.reduce(0) { $0 + $1.fraction }
  guard abs(sum - 1) < 1e-9 else { throw EFTError("acceptance of \(what) sums to \(sum), not 1") }
  return try EFTInputs.weightedSum(
    acceptance.map { a in
      guard let f = stxs.forms["prod:" + a.bin] else { throw EFTError("no STXS bin \(a.bin)") }
      return (f, a.fraction)
    })
}
