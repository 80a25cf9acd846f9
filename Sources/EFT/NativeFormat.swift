//===--- NativeFormat.swift -----------------------------------------------===//
// Recombine's own EFT parametrisation file (see FORMAT.md beside this file).
//===----------------------------------------------------------------------===//

import Foundation
import Likelihood
import Support

/// The native EFT file, `"format": "recombine-eft"`, version 1. Every importer converts to it and
/// every parametrisation can be written in it; reading it back gives identical forms.
///
///     {
///       "format": "recombine-eft", "version": 1,
///       "coefficients": [{"name": "chg", "value": 0, "min": -5, "max": 5, "exponent": 3}, ...],
///       "forms": {
///         "prod:GG2H": {"constant": 1, "linear": {"chg": 39.5, ...},
///                       "quadratic": {"chg*chg": 245.1, "chg*ctgre": -18.4, ...}},
///         ...
///       },
///       "targets": [
///         {"channel": "*", "process": "ggH_hzz",
///          "numerators": ["prod:GG2H", "decay:ZZ"], "denominators": ["decay:tot"]},
///         {"channel": "ch1", "process": "ttH",
///          "bins": [{"numerators": ["ch1/ttH/0"]}, {"numerators": ["ch1/ttH/1"]}]}
///       ]
///     }
///
/// - `coefficients`: the physical Wilson coefficients in order; `value`/`min`/`max` are the POI's
///   initial value and range, `exponent` the rescaling c = 10^(−exponent)·θ (optional, default 0;
///   `value` default 0, `min`/`max` default ∓10).
/// - `forms`: named polynomials a₀ + Σ A_i c_i + Σ_{i≤j} B_ij c_i c_j in the physical coefficients.
///   `constant` is a₀ (default 0), `linear` maps a coefficient to A_i, `quadratic` maps `"x*y"` to
///   the coefficient of c_x c_y (`"x*x"` multiplies c_x², no factor 2). Keys must name declared
///   coefficients; the writer orders each pair as in `coefficients` and omits zero terms.
/// - `targets`: a datacard (channel, process) — `channel` `"*"` for every channel — scaled by
///   μ = Π numerators / Π denominators (process-level), or per shape bin via `bins`.
///
/// Numbers are written with the shortest representation that reads back to the same double.
public enum NativeFormat {
  public static let formatName = "recombine-eft"
  public static let version = 1

  struct File: Codable {
    var format: String
    var version: Int
    var coefficients: [Coefficient]
    var forms: [String: Form]
    var targets: [Target]

    init(format: String, version: Int, coefficients: [Coefficient], forms: [String: Form], targets: [Target]) {
      self.format = format
      self.version = version
      self.coefficients = coefficients
      self.forms = forms
      self.targets = targets
    }

    /// Reads the top-level `format` key before anything else, so that a JSON object of another kind
    /// is recognised as such (`NotNative`) instead of failing on a missing field.
    init(from decoder: Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      guard let format = try? c.decodeIfPresent(String.self, forKey: .format), format == NativeFormat.formatName else {
        throw NotNative()
      }
      self.format = format
      version = try c.decode(Int.self, forKey: .version)
      guard version == NativeFormat.version else { throw UnsupportedVersion(version: version) }
      coefficients = try c.decode([Coefficient].self, forKey: .coefficients)
      forms = try c.decode([String: Form].self, forKey: .forms)
      targets = try c.decode([Target].self, forKey: .targets)
    }
  }

  /// The JSON's top-level `format` is missing or is not `formatName`.
  struct NotNative: Error {}

  /// A native file of another `version`.
  struct UnsupportedVersion: Error {
    var version: Int
  }

  struct Coefficient: Codable {
    var name: String
    var value: Double?
    var min: Double?
    var max: Double?
    var exponent: Int?
  }

  struct Form: Codable {
    var constant: Double?
    var linear: [String: Double]?
    var quadratic: [String: Double]?
  }

  struct Factors: Codable {
    var numerators: [String]
    var denominators: [String]?
  }

  struct Target: Codable {
    var channel: String?
    var process: String
    var numerators: [String]?
    var denominators: [String]?
    var bins: [Factors]?
  }

  /// Reads a native file (plain or gzipped). Errors name `path`.
  public static func read(path: String) throws -> EFTParametrisation {
    try decode(Data(readFileMaybeGzipped(path)), source: path)
  }

  /// Decodes native JSON; errors start with `source` (a file name) when given.
  public static func decode(_ data: Data, source: String? = nil) throws -> EFTParametrisation {
    guard let p = try decodeIfNative(data, source: source) else {
      throw EFTError(
        "\(source.map { "\($0): " } ?? "")not a recombine-eft file (no top-level \"format\": \"\(formatName)\")")
    }
    return p
  }

  /// Decodes native JSON in one parse, or returns nil when `data` is JSON whose top-level `format`
  /// is missing or is not `formatName`. Every other problem is an `EFTError` that starts with
  /// `source` (when given) and names what was expected.
  static func decodeIfNative(_ data: Data, source: String?) throws -> EFTParametrisation? {
    let prefix = source.map { "\($0): " } ?? ""
    let file: File
    do {
      file = try JSONDecoder().decode(File.self, from: data)
    } catch is NotNative {
      return nil
    } catch let e as UnsupportedVersion {
      throw EFTError("\(prefix)unsupported recombine-eft version \(e.version) (expected \(version))")
    } catch let e as DecodingError {
      throw EFTError("\(prefix)invalid recombine-eft file: \(describe(e))")
    }
    do { return try parametrisation(file) } catch let e as EFTError { throw EFTError(prefix + e.description) }
  }

  /// A decoding error as "at coefficients[2].min: expected a number" (JSON path, then the problem).
  static func describe(_ e: DecodingError) -> String {
    func path(_ keys: [CodingKey]) -> String {
      var s = ""
      for k in keys {
        if let i = k.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + k.stringValue }
      }
      return s.isEmpty ? "top level" : s
    }
    func typeName(_ t: Any.Type) -> String {
      switch t {
      case is Double.Type, is Int.Type: return "a number"
      case is String.Type: return "a string"
      case is [String].Type: return "a list of strings"
      default: return "\(t)"
      }
    }
    switch e {
    case .typeMismatch(let t, let c):
      return "at \(path(c.codingPath)): expected \(typeName(t))"
    case .valueNotFound(let t, let c):
      return "at \(path(c.codingPath)): expected \(typeName(t)), found null"
    case .keyNotFound(let k, let c):
      return "at \(path(c.codingPath)): missing key '\(k.stringValue)'"
    case .dataCorrupted(let c):
      let detail = c.underlyingError.map { " (\($0))" } ?? ""
      return c.codingPath.isEmpty
        ? "not valid JSON: \(c.debugDescription)\(detail)"
        : "at \(path(c.codingPath)): \(c.debugDescription)\(detail)"
    @unknown default:
      return "\(e)"
    }
  }

  /// The parametrisation of a decoded file (coefficient names resolved, then validated).
  static func parametrisation(_ file: File) throws -> EFTParametrisation {
    let coefficients = file.coefficients.map {
      WilsonCoefficient(
        name: $0.name, value: $0.value ?? 0, minimum: $0.min ?? -10, maximum: $0.max ?? 10,
        exponent: $0.exponent ?? 0)
    }
    let index = Dictionary(
      coefficients.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    func idx(_ n: String, _ form: String) throws -> Int {
      guard let i = index[n] else { throw EFTError("form '\(form)': unknown coefficient '\(n)'") }
      return i
    }
    var forms: [String: QuadraticForm] = [:]
    for (name, f) in file.forms {
      var linear: [Int: Double] = [:]
      var quadratic: [IndexPair: Double] = [:]
      for (k, v) in f.linear ?? [:] { linear[try idx(k, name), default: 0] += v }
      for (k, v) in f.quadratic ?? [:] {
        let parts = k.split(separator: "*", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
          throw EFTError("form '\(name)': quadratic key '\(k)' is not 'x*y'")
        }
        quadratic[
          IndexPair(try idx(String(parts[0]), name), try idx(String(parts[1]), name)), default: 0] +=
          v
      }
      forms[name] = QuadraticForm(constant: f.constant ?? 0, linear: linear, quadratic: quadratic)
    }
    let targets = try file.targets.map { t -> EFTTarget in
      if let bins = t.bins {
        guard t.numerators == nil else {
          throw EFTError("target \(t.process): both bins and numerators")
        }
        return EFTTarget(
          channel: t.channel ?? "*", process: t.process,
          scaling: .perBin(
            bins.map {
              ScalingFactors(numerators: $0.numerators, denominators: $0.denominators ?? [])
            }))
      }
      guard let n = t.numerators else {
        throw EFTError("target \(t.process): needs numerators or bins")
      }
      return EFTTarget(
        channel: t.channel ?? "*", process: t.process,
        scaling: .process(ScalingFactors(numerators: n, denominators: t.denominators ?? [])))
    }
    let p = EFTParametrisation(coefficients: coefficients, forms: forms, targets: targets)
    try p.validate()
    return p
  }

  /// Encodes a parametrisation as native JSON (keys sorted; pretty-printed by default).
  public static func encode(_ p: EFTParametrisation, pretty: Bool = true) throws -> Data {
    try p.validate()
    for c in p.coefficients where c.name.contains("*") || c.name.isEmpty {
      throw EFTError("coefficient name '\(c.name)' cannot be written (empty or contains '*')")
    }
    let names = p.coefficients.map(\.name)
    var forms: [String: Form] = [:]
    for (name, f) in p.forms {
      var lin: [String: Double] = [:]
      for t in f.linearTerms { lin[names[t.index]] = t.value }
      var quad: [String: Double] = [:]
      for t in f.quadraticTerms { quad["\(names[t.first])*\(names[t.second])"] = t.value }
      forms[name] = Form(
        constant: f.constant, linear: lin.isEmpty ? nil : lin, quadratic: quad.isEmpty ? nil : quad)
    }
    let targets = p.targets.map { t -> Target in
      switch t.scaling {
      case .process(let f):
        return Target(
          channel: t.channel, process: t.process, numerators: f.numerators,
          denominators: f.denominators.isEmpty ? nil : f.denominators, bins: nil)
      case .perBin(let b):
        return Target(
          channel: t.channel, process: t.process, numerators: nil, denominators: nil,
          bins: b.map {
            Factors(
              numerators: $0.numerators,
              denominators: $0.denominators.isEmpty ? nil : $0.denominators)
          })
      }
    }
    let file = File(
      format: formatName, version: version,
      coefficients: p.coefficients.map {
        Coefficient(
          name: $0.name, value: $0.value, min: $0.minimum, max: $0.maximum, exponent: $0.exponent)
      }, forms: forms, targets: targets)
    let enc = JSONEncoder()
    enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
    return try enc.encode(file)
  }

  /// Writes a native file atomically (a reader sees the old file or the new one, never a part).
  public static func write(_ p: EFTParametrisation, to path: String) throws {
    try writeFileAtomically([UInt8](try encode(p)), to: path)
  }
}

// MARK: - Polynomial text

/// Polynomials written as text, as in EFT2Obs's text output (`label:1 + 0.073*chb + 0.021*chb*chb`)
/// and Lilith's SMEFT tables (`1 + 35.8*cHG + 326.23*cHG**2 - 0.015*cHG*cuH`).
///
/// Grammar: a sum of terms separated by `+`/`-`; a term is an optional number followed by
/// `*`-separated factors, each a coefficient name optionally raised to `**2` (or `^2`); total degree
/// ≤ 2. Whitespace and line breaks are ignored; an optional `label:` prefix is skipped.
public enum PolynomialText {
  /// Parses one polynomial; unknown coefficient names are added to `coefficients`.
  public static func parse(_ text: String, coefficients: inout [WilsonCoefficient]) throws
    -> QuadraticForm
  {
    var reg = CoefficientRegistry(coefficients)
    var s = text.filter { !$0.isWhitespace }
    if let colon = s.firstIndex(of: ":") { s = String(s[s.index(after: colon)...]) }
    s = s.replacingOccurrences(of: "**", with: "^")
    // Split into signed terms at + and - that are not part of an exponent (1e-3).
    var terms: [(Double, String)] = []
    var current = ""
    var sign = 1.0
    var prev: Character = " "
    for ch in s {
      if ch == "+" || ch == "-" {
        let lastFactor = current.split(separator: "*", omittingEmptySubsequences: false).last ?? ""
        let numeric =
          lastFactor.first.map { $0.isNumber || $0 == "." } == true
          && lastFactor.allSatisfy { $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" }
        if !((prev == "e" || prev == "E") && numeric) {
          if !current.isEmpty {
            terms.append((sign, current))
            current = ""
            sign = ch == "-" ? -1 : 1
          } else if ch == "-" {
            sign = -sign
          }
          prev = ch
          continue
        }
      }
      current.append(ch)
      prev = ch
    }
    if !current.isEmpty { terms.append((sign, current)) }
    var constant = 0.0
    var linear: [Int: Double] = [:]
    var quadratic: [IndexPair: Double] = [:]
    for (sg, term) in terms {
      let product: (coefficient: Double, names: [String])
      do { product = try PolynomialGrammar.product(term, allowNumbers: true) } catch let error as PolynomialGrammar.SyntaxError {
        throw EFTError("\(error.description) in '\(text)'")
      }
      let value = sg * product.coefficient
      let vars = product.names.map { reg.add($0) }
      switch vars.count {
      case 0: constant += value
      case 1: linear[vars[0], default: 0] += value
      case 2: quadratic[IndexPair(vars[0], vars[1]), default: 0] += value
      default: throw EFTError("term '\(term)' has degree > 2")
      }
    }
    coefficients = reg.coefficients
    return QuadraticForm(constant: constant, linear: linear, quadratic: quadratic)
  }

  /// Parses `(numerator)/(denominator)` (as in Lilith's branching-ratio lines) into two forms; a
  /// text without `)/(` is a single polynomial over 1.
  public static func parseRatio(_ text: String, coefficients: inout [WilsonCoefficient]) throws -> (
    numerator: QuadraticForm, denominator: QuadraticForm
  ) {
    let s = text.filter { !$0.isWhitespace }
    guard let r = s.range(of: ")/(") else {
      return (try parse(s, coefficients: &coefficients), QuadraticForm(constant: 1))
    }
    var num = String(s[..<r.lowerBound])
    var den = String(s[r.upperBound...])
    guard num.hasPrefix("("), den.hasSuffix(")") else { throw EFTError("ratio must be (…)/(…)") }
    num.removeFirst()
    den.removeLast()
    return (
      try parse(num, coefficients: &coefficients), try parse(den, coefficients: &coefficients)
    )
  }
}
