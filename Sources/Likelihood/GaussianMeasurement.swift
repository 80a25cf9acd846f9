//===--- GaussianMeasurement.swift ----------------------------------------===//
// Reinterpretation channels from published measurements: the input format (JSON) and its
// validated, compiled form. The likelihood is `GaussianMeasurementNLL`.
//
// Format "recombine-gaussian-measurements/1" (full description: Datacards/atlas-h4l-smeft/README.md):
//
//   {
//     "format": "recombine-gaussian-measurements/1",
//     "name": "...", "source": "...", "units": "fb",             (free text, optional)
//     "observable": "absolute" | "ratio",                        (default "ratio")
//     "asymmetric": "variable-gaussian" | "symmetrised",         (default "variable-gaussian")
//     "parameters": ["cHG", ...],                                (optional; default: every name used)
//     "polynomials": { "NAME": {"constant": 1, "terms": {"cHG": 35.8, "cHG^2": 326.23, "cHW*cHB": 0.005}} },
//     "measurements": [ {"name": "...", "value": y, "minus": σ−, "plus": σ+, "sm": s,
//                        "numerator": ["NAME", ...], "denominator": ["NAME", ...]} ],
//     "correlation": [[...], ...],                               (n×n; optional, default identity)
//     "theory": {"minus": [...], "plus": [...], "correlation": [[...]]}   (optional)
//   }
//
// Prediction of measurement i:  μ_i(c) = Π_{p ∈ numerator_i} P_p(c) / Π_{q ∈ denominator_i} P_q(c),
// times `sm_i` when "observable" is "absolute" (then "value", "minus", "plus" and "theory" are in
// the measurement's units), or as is when it is "ratio" (σ·B / σ·B_SM).
//===----------------------------------------------------------------------===//

import Foundation
import Maths

/// The JSON document of a Gaussian-measurement channel, as written (see the file header).
public struct GaussianMeasurementFile: Codable, Sendable, Equatable {
  public struct PolynomialSpec: Codable, Sendable, Equatable {
    public var constant: Double?
    /// Monomial → coefficient; a monomial is `name`, `name^k` or a `*`-product of those.
    public var terms: [String: Double]
    public init(constant: Double? = 1, terms: [String: Double]) {
      self.constant = constant
      self.terms = terms
    }
  }
  public struct Measurement: Codable, Sendable, Equatable {
    public var name: String
    public var value: Double
    /// The downward (σ−) and upward (σ+) 68% uncertainties, both positive.
    public var minus: Double
    public var plus: Double
    /// The SM prediction (needed when `observable` is "absolute").
    public var sm: Double?
    public var numerator: [String]
    public var denominator: [String]?
    public init(name: String, value: Double, minus: Double, plus: Double, sm: Double? = nil,
                numerator: [String], denominator: [String]? = nil) {
      self.name = name
      self.value = value
      self.minus = minus
      self.plus = plus
      self.sm = sm
      self.numerator = numerator
      self.denominator = denominator
    }
  }
  public struct Theory: Codable, Sendable, Equatable {
    public var minus: [Double]
    public var plus: [Double]
    public var correlation: [[Double]]?
  }
  public var format: String
  public var name: String?
  public var source: String?
  public var units: String?
  public var observable: String?
  public var asymmetric: String?
  public var parameters: [String]?
  public var polynomials: [String: PolynomialSpec]
  public var measurements: [Measurement]
  public var correlation: [[Double]]?
  public var theory: Theory?

  public static let formatTag = "recombine-gaussian-measurements/1"

  public init(polynomials: [String: PolynomialSpec], measurements: [Measurement],
              correlation: [[Double]]? = nil, observable: String = "ratio",
              asymmetric: String = "variable-gaussian", parameters: [String]? = nil) {
    self.format = Self.formatTag
    self.polynomials = polynomials
    self.measurements = measurements
    self.correlation = correlation
    self.observable = observable
    self.asymmetric = asymmetric
    self.parameters = parameters
  }
}

/// How asymmetric uncertainties σ−/σ+ enter the covariance.
public enum AsymmetricConvention: String, Sendable {
  /// Barlow's "variable Gaussian 2" (arXiv:physics/0406120, eq. 18), as Lilith uses for these
  /// inputs: σ_i² = σ+σ− + (σ+ − σ−)(μ_i − y_i), i.e. the width grows towards the side of the
  /// larger error and equals σ± where the prediction is one σ± away. Continuous with a continuous
  /// derivative. The variance is floored at (min(σ+, σ−)/10)² far on the short side.
  case variableGaussian = "variable-gaussian"
  /// σ_i = (σ+ + σ−)/2, a constant covariance.
  case symmetrised = "symmetrised"
}

/// A validated Gaussian-measurement channel: everything resolved to indices.
public struct GaussianMeasurementChannel: Sendable {
  public var name: String
  /// The parameter vector of the channel's likelihood (`GaussianMeasurementNLL.dimension`).
  public var parameterNames: [String]
  public var polynomialNames: [String]
  public var polynomials: [SparsePolynomial]
  public var measurementNames: [String]
  /// Measured values y_i.
  public var values: [Double]
  public var minus: [Double]
  public var plus: [Double]
  /// Multiplier of μ_i(c): the SM prediction ("absolute") or 1 ("ratio").
  public var scale: [Double]
  /// Polynomial indices of each measurement's numerator and denominator.
  public var numerators: [[Int]]
  public var denominators: [[Int]]
  /// Row-major n×n correlation of the measurements.
  public var correlation: [Double]
  /// Row-major n×n covariance added for the prediction's (theory) uncertainty, or nil.
  public var theoryCovariance: [Double]?
  public var convention: AsymmetricConvention

  public var count: Int { values.count }

  /// Reads and validates a channel file.
  public static func load(contentsOf path: String) throws -> GaussianMeasurementChannel {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw LikelihoodError("cannot read '\(path)': \(error.localizedDescription)")
    }
    let file: GaussianMeasurementFile
    do { file = try JSONDecoder().decode(GaussianMeasurementFile.self, from: data) } catch {
      throw LikelihoodError("'\(path)' is not a Gaussian-measurement file: \(error)")
    }
    do { return try GaussianMeasurementChannel(file) } catch let e as LikelihoodError {
      throw LikelihoodError("\(path): \(e.message)")
    }
  }

  public init(_ f: GaussianMeasurementFile) throws {
    guard f.format == GaussianMeasurementFile.formatTag else {
      throw LikelihoodError("unknown format '\(f.format)' (expected '\(GaussianMeasurementFile.formatTag)')")
    }
    name = f.name ?? "gaussian-measurements"
    let absolute: Bool
    switch f.observable ?? "ratio" {
    case "absolute": absolute = true
    case "ratio": absolute = false
    case let o: throw LikelihoodError("observable must be 'absolute' or 'ratio', not '\(o)'")
    }
    guard let conv = AsymmetricConvention(rawValue: f.asymmetric ?? "variable-gaussian") else {
      throw LikelihoodError("asymmetric must be 'variable-gaussian' or 'symmetrised', not '\(f.asymmetric ?? "")'")
    }
    convention = conv

    // Parameters: as listed, or every name the polynomials use (sorted).
    polynomialNames = f.polynomials.keys.sorted()
    var monomials: [String: [(Double, [String])]] = [:]
    var used = Set<String>()
    for p in polynomialNames {
      var ts: [(Double, [String])] = []
      for (key, c) in f.polynomials[p]!.terms.sorted(by: { $0.key < $1.key }) {
        let vs = try SparsePolynomial.parseMonomial(key)
        used.formUnion(vs)
        ts.append((c, vs))
      }
      monomials[p] = ts
    }
    if let listed = f.parameters {
      guard Set(listed).count == listed.count else { throw LikelihoodError("'parameters' lists a name twice") }
      for u in used where !listed.contains(u) {
        throw LikelihoodError("polynomial variable '\(u)' is not in 'parameters'")
      }
      parameterNames = listed
    } else {
      parameterNames = used.sorted()
    }
    let index = Dictionary(uniqueKeysWithValues: parameterNames.enumerated().map { ($1, $0) })
    polynomials = polynomialNames.map { p in
      SparsePolynomial(constant: f.polynomials[p]!.constant ?? 1,
                       terms: monomials[p]!.map { ($0.0, $0.1.map { index[$0]! }) })
    }

    let n = f.measurements.count
    guard n > 0 else { throw LikelihoodError("no measurements") }
    let pindex = Dictionary(uniqueKeysWithValues: polynomialNames.enumerated().map { ($1, $0) })
    measurementNames = []; values = []; minus = []; plus = []; scale = []; numerators = []; denominators = []
    for m in f.measurements {
      guard m.minus > 0, m.plus > 0, m.minus.isFinite, m.plus.isFinite, m.value.isFinite else {
        throw LikelihoodError("measurement '\(m.name)': uncertainties must be positive and finite")
      }
      measurementNames.append(m.name)
      values.append(m.value)
      minus.append(m.minus)
      plus.append(m.plus)
      if absolute {
        guard let s = m.sm, s.isFinite else {
          throw LikelihoodError("measurement '\(m.name)': 'sm' is required for observable 'absolute'")
        }
        scale.append(s)
      } else {
        scale.append(1)
      }
      func resolve(_ names: [String]) throws -> [Int] {
        try names.map {
          guard let k = pindex[$0] else { throw LikelihoodError("measurement '\(m.name)': unknown polynomial '\($0)'") }
          return k
        }
      }
      numerators.append(try resolve(m.numerator))
      denominators.append(try resolve(m.denominator ?? []))
    }

    func matrix(_ rows: [[Double]]?, _ what: String) throws -> [Double] {
      guard let rows else {
        return (0..<(n * n)).map { $0 / n == $0 % n ? 1 : 0 }
      }
      guard rows.count == n, rows.allSatisfy({ $0.count == n }) else {
        throw LikelihoodError("\(what) must be \(n)×\(n)")
      }
      for i in 0..<n {
        guard abs(rows[i][i] - 1) < 1e-9 else { throw LikelihoodError("\(what): diagonal must be 1") }
        for j in 0..<n {
          guard abs(rows[i][j] - rows[j][i]) < 1e-12, abs(rows[i][j]) <= 1 else {
            throw LikelihoodError("\(what): must be symmetric with entries in [−1, 1]")
          }
        }
      }
      return rows.flatMap { $0 }
    }
    correlation = try matrix(f.correlation, "correlation")
    if let t = f.theory {
      guard t.minus.count == n, t.plus.count == n else { throw LikelihoodError("theory: need \(n) uncertainties") }
      let r = try matrix(t.correlation, "theory correlation")
      let s = (0..<n).map { (t.minus[$0] + t.plus[$0]) / 2 }
      theoryCovariance = (0..<(n * n)).map { s[$0 / n] * r[$0] * s[$0 % n] }
    } else {
      theoryCovariance = nil
    }
    // The measurements' correlation must be a correlation matrix (positive definite), and so must
    // the total covariance at the symmetrised widths (a singular theory correlation, e.g. fully
    // correlated bins, is fine as long as the sum is definite).
    guard choleskyFactor(correlation, n) != nil else {
      throw LikelihoodError("correlation is not positive definite: not a valid correlation matrix")
    }
    let d = (0..<n).map { (minus[$0] + plus[$0]) / 2 }
    let total = (0..<(n * n)).map { d[$0 / n] * correlation[$0] * d[$0 % n] + (theoryCovariance?[$0] ?? 0) }
    guard choleskyFactor(total, n) != nil else {
      throw LikelihoodError("the covariance (correlation and theory) is not positive definite")
    }
  }

  /// The index of a parameter by name.
  public func parameterIndex(_ name: String) -> Int? { parameterNames.firstIndex(of: name) }
}
