//===--- AACTemplates.swift -----------------------------------------------===//
// AnalyticAnomalousCoupling (and TopEFT) template decomposition ↔ quadratic form.
//===----------------------------------------------------------------------===//

import Datacard
import Foundation

/// Template decomposition datacards (amassiro/AnalyticAnomalousCoupling, TopEFT's
/// `AnomalousCouplingEFTNegative`) converted to the quadratic form.
///
/// AAC processes (per channel, per bin): `sm` = Sm, `quad_X` = Q_X, `sm_lin_quad_X` =
/// Sm + L_X + Q_X, `sm_lin_quad_mixed_X_Y` = Sm + L_X + Q_X + L_Y + Q_Y + 2M_XY, and in the
/// linear-only variant `sm_lin_X` = Sm + L_X. The AAC yield
///
///     N = Sm·(1 − Σ_α c_α + Σ_{α<β} c_α c_β) + Σ_α (c_α − Σ_{β≠α} c_α c_β)·(Sm+L_α+Q_α)
///         + Σ_α (c_α² − c_α)·Q_α + Σ_{α<β} c_α c_β·(Sm+L_α+Q_α+L_β+Q_β+2M_αβ)
///
/// expands to N = Sm + Σ_α L_α c_α + Σ_α Q_α c_α² + Σ_{α<β} 2M_αβ c_α c_β, so
///
///     a₀ = Sm,  A_α = L_α,  B_αα = Q_α,
///     B_αβ = N(mixed_αβ) − (Sm + L_α + Q_α + L_β + Q_β).
///
/// TopEFT naming (`naming: .topEFT`): `<proc>_sm`, `<proc>_lin_X` (= SM + Lin + Quad),
/// `<proc>_quad_X`, `<proc>_quad_mixed_X_Y` (same meaning as `sm_lin_quad_mixed_X_Y`).
///
/// As a parametrisation the SM process (`sm` / `<proc>_sm`) is scaled by N(c)/Sm and every other
/// template process by 0, which reproduces N for the sum. A bin with Sm = 0 cannot be normalised
/// (an error).
public enum AACTemplates {
  public enum Naming: Sendable, Hashable {
    /// `sm`, `quad_X`, `sm_lin_quad_X`, `sm_lin_quad_mixed_X_Y`, `sm_lin_X`.
    case aac
    /// `<process>_sm`, `<process>_lin_X`, `<process>_quad_X`, `<process>_quad_mixed_X_Y`.
    case topEFT(process: String)
  }

  /// What a template process name means.
  public enum Role: Sendable, Hashable {
    case sm
    case quad(String)
    case smLinQuad(String)
    case smLin(String)
    case mixed(String, String)
  }

  /// Classifies a process name; `operators` resolves `X_Y` splits when names contain `_`.
  public static func role(of process: String, naming: Naming = .aac, operators: Set<String>? = nil)
    -> Role?
  {
    func split(_ s: String) -> (String, String)? {
      for u in s.indices where s[u] == "_" {
        let a = String(s[..<u])
        let b = String(s[s.index(after: u)...])
        if let ops = operators {
          if ops.contains(a) && ops.contains(b) { return (a, b) }
        } else if !a.isEmpty && !b.isEmpty
          && !b.contains("_")
        {
          return (a, b)
        }
      }
      return nil
    }
    switch naming {
    case .aac:
      if process == "sm" { return .sm }
      if process.hasPrefix("sm_lin_quad_mixed_") {
        return split(String(process.dropFirst(18))).map { .mixed($0.0, $0.1) }
      }
      if process.hasPrefix("sm_lin_quad_") { return .smLinQuad(String(process.dropFirst(12))) }
      if process.hasPrefix("sm_lin_") { return .smLin(String(process.dropFirst(7))) }
      if process.hasPrefix("quad_") { return .quad(String(process.dropFirst(5))) }
      return nil
    case .topEFT(let p):
      guard process.hasPrefix(p + "_") else { return nil }
      let r = String(process.dropFirst(p.count + 1))
      if r == "sm" { return .sm }
      if r.hasPrefix("quad_mixed_") {
        return split(String(r.dropFirst(11))).map { .mixed($0.0, $0.1) }
      }
      if r.hasPrefix("lin_") { return .smLinQuad(String(r.dropFirst(4))) }
      if r.hasPrefix("quad_") { return .quad(String(r.dropFirst(5))) }
      return nil
    }
  }

  /// The absolute-yield form N(c) of one bin from its template yields (process name → yield).
  /// Operators are registered in `registry` in order of appearance. Non-template processes are ignored.
  static func absoluteForm(
    _ yields: [String: Double], naming: Naming, registry: inout CoefficientRegistry
  ) throws -> QuadraticForm {
    var sm: Double?
    var quad: [String: Double] = [:]
    var sml: [String: Double] = [:]
    var smlq: [String: Double] = [:]
    var mixed: [(String, String, Double)] = []
    for (proc, y) in yields.sorted(by: { $0.key < $1.key }) {
      switch role(of: proc, naming: naming) {
      case .sm?: sm = y
      case .quad(let x)?: quad[x] = y
      case .smLin(let x)?: sml[x] = y
      case .smLinQuad(let x)?: smlq[x] = y
      case .mixed(let x, let z)?: mixed.append((x, z, y))
      case nil: continue
      }
    }
    guard let s = sm else { throw EFTError("no SM template among \(yields.keys.sorted())") }
    var ops: [String] = []
    for x
      in (Array(smlq.keys) + Array(sml.keys) + Array(quad.keys) + mixed.flatMap { [$0.0, $0.1] })
    where !ops.contains(x) {
      ops.append(x)
    }
    var lin: [String: Double] = [:]
    var q: [String: Double] = [:]
    for x in ops {
      q[x] = quad[x] ?? 0
      if let v = smlq[x] {
        lin[x] = v - s - q[x]!
      } else if let v = sml[x] {
        lin[x] = v - s
      } else {
        lin[x] = 0
      }
    }
    var linear: [Int: Double] = [:]
    var quadratic: [IndexPair: Double] = [:]
    for x in ops.sorted() {
      let i = registry.add(x)
      linear[i] = lin[x]!
      quadratic[IndexPair(i, i)] = q[x]!
    }
    for (x, z, y) in mixed {
      let b = y - (s + lin[x]! + q[x]! + lin[z]! + q[z]!)
      quadratic[IndexPair(registry.add(x), registry.add(z)), default: 0] += b
    }
    return QuadraticForm(constant: s, linear: linear, quadratic: quadratic)
  }

  /// Converts template yields of one channel — process → yield per bin (all arrays the same length;
  /// one entry for a counting channel) — into targets of `into`.
  /// The SM process gets μ_b = N_b(c)/Sm_b (per bin if more than one bin), the other templates 0.
  public static func convert(
    channel: String, yields: [String: [Double]], naming: Naming = .aac,
    into base: EFTParametrisation = EFTParametrisation()
  ) throws -> EFTParametrisation {
    var reg = CoefficientRegistry(base.coefficients)
    var out = base
    let nbins = yields.values.first?.count ?? 0
    guard nbins > 0, yields.values.allSatisfy({ $0.count == nbins }) else {
      throw EFTError("channel \(channel): template yields need the same (non-zero) number of bins")
    }
    let smName = yields.keys.first { role(of: $0, naming: naming) == .sm }
    guard let smProcess = smName else { throw EFTError("channel \(channel): no SM template") }
    var factors: [ScalingFactors] = []
    for b in 0..<nbins {
      let f = try absoluteForm(yields.mapValues { $0[b] }, naming: naming, registry: &reg)
      guard f.constant != 0 else {
        throw EFTError("channel \(channel) bin \(b): SM yield is 0, cannot normalise")
      }
      let name = nbins == 1 ? "\(channel)/\(smProcess)" : "\(channel)/\(smProcess)/\(b)"
      out.forms[name] = f.scaled(by: 1 / f.constant)
      factors.append(ScalingFactors(numerators: [name]))
    }
    out.targets.append(
      EFTTarget(
        channel: channel, process: smProcess,
        scaling: nbins == 1 ? .process(factors[0]) : .perBin(factors)))
    if out.forms["zero"] == nil { out.forms["zero"] = QuadraticForm() }
    for p in yields.keys.sorted() where p != smProcess && role(of: p, naming: naming) != nil {
      out.targets.append(
        EFTTarget(
          channel: channel, process: p, scaling: .process(ScalingFactors(numerators: ["zero"]))))
    }
    out.coefficients = reg.coefficients
    return out
  }

  /// Converts every channel of a counting datacard (rates from the `rate` line).
  public static func convert(datacard card: Datacard, naming: Naming = .aac) throws
    -> EFTParametrisation
  {
    var p = EFTParametrisation()
    for bin in card.bins {
      var yields: [String: [Double]] = [:]
      for col in card.columns(inBin: bin) where role(of: col.process, naming: naming) != nil {
        yields[col.process] = [col.rate]
      }
      if yields.isEmpty { continue }
      p = try convert(channel: bin, yields: yields, naming: naming, into: p)
    }
    return p
  }

  /// The template yields (AAC naming) that reproduce an absolute-yield form N(c):
  /// sm = a₀, quad_X = B_XX, sm_lin_quad_X = a₀ + A_X + B_XX,
  /// sm_lin_quad_mixed_X_Y = a₀ + A_X + B_XX + A_Y + B_YY + B_XY (for every pair with B_XY ≠ 0).
  public static func templateYields(_ form: QuadraticForm, coefficientNames: [String]) -> [String:
    Double]
  {
    var out: [String: Double] = ["sm": form.constant]
    let s = form.constant
    for i in form.indices {
      let x = coefficientNames[i]
      out["quad_" + x] = form.quadraticCoefficient(i, i)
      out["sm_lin_quad_" + x] = s + form.linearCoefficient(i) + form.quadraticCoefficient(i, i)
    }
    for t in form.quadraticTerms where t.first != t.second {
      let (i, j) = (t.first, t.second)
      out["sm_lin_quad_mixed_\(coefficientNames[i])_\(coefficientNames[j])"] =
        s + form.linearCoefficient(i) + form.quadraticCoefficient(i, i) + form.linearCoefficient(j)
        + form.quadraticCoefficient(j, j) + t.value
    }
    return out
  }
}
