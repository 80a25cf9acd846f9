//===--- STXStoSMEFT.swift ------------------------------------------------===//
// Combine's STXStoSMEFT inputs: prod.json, decay.json, pois.yaml.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// Combine's `STXStoSMEFTModel` parametrisation directory (`data/eft/STXStoSMEFT/<name>/`).
///
/// - `prod.json`: `{STXS bin: {"A_<wc>": A, "B_<wc>_2": B_ii, "B_<wc1>_<wc2>": B_ij, "u_…": MC-stat
///   uncertainty}}`, each bin σ/σ_SM = 1 + Σ A_i c_i + Σ_{i≤j} B_ij c_i c_j.
/// - `decay.json`: the same for partial widths Γ_f/Γ_f,SM (`ZZ`, `gamgam`, …) and `tot`.
/// - `pois.yaml`: `<wc>: {exponent, val, min, max}` (optionally `eigenvalue`), in file order. An
///   absent field defaults to exponent 0, val 0, min −10, max 10; a value that is not a finite
///   number (an integer for `exponent`) or a repeated entry is an error naming the line.
///
/// Keys are split using the coefficient names of `pois.yaml` (so names may contain `_`); `u_`
/// entries are ignored; terms in coefficients absent from `pois.yaml` are dropped (as Combine's model
/// does when a WC is not a POI) and counted in `Result.droppedTerms`.
///
/// Forms are named `prod:<bin>` and `decay:<key>`. A datacard process mapped to (production P,
/// decay D) gets μ = prod:P · decay:D / decay:tot (the `.ratio` default; `.expanded` at compile time
/// gives `expand_equations`). A process with no decay maps to prod:P alone.
public enum STXStoSMEFT {
  /// Production and decay keys for one datacard process.
  public struct ProcessMapping: Sendable, Hashable {
    public var production: String
    public var decay: String?
    public init(production: String, decay: String?) {
      self.production = production
      self.decay = decay
    }
  }

  public struct Result: Sendable {
    public var parametrisation: EFTParametrisation
    /// Terms skipped because they involve a coefficient not in pois.yaml.
    public var droppedTerms: Int
    /// `eigenvalue` entries of pois.yaml, when present.
    public var eigenvalues: [String: Double]
  }

  /// Combine's `MAP_HIGGS_PROD_SMEFT` (datacard production prefix → STXS name), longest prefix wins.
  public static let productionMap: [String: String] = [
    "ggH": "GG2H", "qqH": "QQ2HQQ", "WH_had": "QQ2HQQ", "ZH_had": "QQ2HQQ", "ggZH_had": "GG2H",
    "ggZH_qq": "GG2H",
    "WH_lep": "QQ2HLNU", "ZH_lep": "QQ2HLL", "ggZH_lep": "GG2HLL", "ggZH_ll": "GG2HLL",
    "ggZH_nunu": "GG2HLL",
    "ttH": "TTH", "tHq": "THQ", "tHW": "THW", "bbH": "BBH",
  ]
  /// Combine's `MAP_HIGGS_DECAY_SMEFT` (datacard decay suffix → decay.json key), plus cc and gluglu.
  public static let decayMap: [String: String] = [
    "hgg": "gamgam", "hzz": "ZZ", "hbb": "bb", "hww": "WW", "htt": "tautau", "hmm": "mumu",
    "hzg": "Zgam",
    "hcc": "cc", "hgluglu": "gluglu",
  ]

  /// Maps a datacard process name such as `ggH_0J_PTH_0_10_hzz` or `ZH_lep_PTV_75_150_hbb` to
  /// (production `GG2H_0J_PTH_0_10`, decay `ZZ`): the `_<decay>` suffix is looked up in `decays`, the
  /// longest matching production prefix (followed by `_` or the end) in `productions` is replaced by
  /// its STXS name and the rest of the name is kept. Returns nil when no prefix matches.
  public static func defaultMapping(
    process: String, productions: [String: String] = productionMap,
    decays: [String: String] = decayMap
  ) -> ProcessMapping? {
    var rest = process
    var decay: String?
    for (suffix, key) in decays.sorted(by: { $0.key.count > $1.key.count })
    where rest.hasSuffix("_" + suffix) {
      decay = key
      rest = String(rest.dropLast(suffix.count + 1))
      break
    }
    for (prefix, stxs) in productions.sorted(by: { $0.key.count > $1.key.count })
    where rest.hasPrefix(prefix) {
      let tail = rest.dropFirst(prefix.count)
      if tail.isEmpty || tail.hasPrefix("_") {
        return ProcessMapping(production: stxs + tail, decay: decay)
      }
    }
    return nil
  }

  /// Reads `prod.json`, `decay.json`, `pois.yaml` from `directory`.
  /// - Parameters:
  ///   - processes: datacard process → (production, decay) targets to create (channel "*").
  ///   - eigenvalueThreshold: keep only coefficients whose `eigenvalue` in pois.yaml exceeds this
  ///     (Combine's `eigenvalueThreshold=`); coefficients without an eigenvalue are kept.
  public static func read(
    directory: String, processes: [String: ProcessMapping] = [:], eigenvalueThreshold: Double? = nil
  ) throws -> Result {
    let dir = URL(fileURLWithPath: directory)
    return try read(
      prod: dir.appendingPathComponent("prod.json").path,
      decay: dir.appendingPathComponent("decay.json").path,
      pois: dir.appendingPathComponent("pois.yaml").path, processes: processes,
      eigenvalueThreshold: eigenvalueThreshold)
  }

  public static func read(
    prod: String, decay: String, pois: String, processes: [String: ProcessMapping] = [:],
    eigenvalueThreshold: Double? = nil
  ) throws -> Result {
    guard let text = String(data: Data(try readFileMaybeGzipped(pois)), encoding: .utf8) else {
      throw EFTError("\(pois): not UTF-8")
    }
    var coefficients: [WilsonCoefficient] = []
    var eigen: [String: Double] = [:]
    for entry in try parseSimpleYAML(text, source: pois) {
      // A field's number, or `fallback` when the field is absent.
      func number(_ key: String, _ fallback: Double) throws -> Double {
        guard let (v, line) = entry.fields[key] else { return fallback }
        guard let x = Double(v), x.isFinite else {
          throw EFTError("\(pois) line \(line): \(key) of '\(entry.name)' is '\(v)', expected a finite number")
        }
        return x
      }
      if entry.fields["eigenvalue"] != nil {
        let e = try number("eigenvalue", 0)
        eigen[entry.name] = e
        if let th = eigenvalueThreshold, e <= th { continue }
      }
      var exponent = 0
      if let (v, line) = entry.fields["exponent"] {
        guard let e = Int(v) else {
          throw EFTError("\(pois) line \(line): exponent of '\(entry.name)' is '\(v)', expected an integer")
        }
        exponent = e
      }
      coefficients.append(
        WilsonCoefficient(
          name: entry.name, value: try number("val", 0), minimum: try number("min", -10),
          maximum: try number("max", 10), exponent: exponent))
    }
    guard let prodObj = try readJSONObject(prod) as? [String: Any],
      let decayObj = try readJSONObject(decay) as? [String: Any]
    else { throw EFTError("prod.json / decay.json must be JSON objects") }
    let index = Dictionary(uniqueKeysWithValues: coefficients.enumerated().map { ($1.name, $0) })
    var dropped = 0
    var forms: [String: QuadraticForm] = [:]
    for (prefix, obj) in [("prod:", prodObj), ("decay:", decayObj)] {
      for (key, any) in obj {
        guard let entries = any as? [String: Any] else {
          throw EFTError("\(prefix)\(key): not an object")
        }
        let (form, d) = try form(entries, index: index)
        dropped += d
        forms[prefix + key] = form
      }
    }
    var targets: [EFTTarget] = []
    for (process, m) in processes.sorted(by: { $0.key < $1.key }) {
      guard forms["prod:" + m.production] != nil else {
        throw EFTError("process \(process): no production bin '\(m.production)' in prod.json")
      }
      var f = ScalingFactors(numerators: ["prod:" + m.production])
      if let d = m.decay {
        guard forms["decay:" + d] != nil, forms["decay:tot"] != nil else {
          throw EFTError("process \(process): decay '\(d)' or 'tot' missing from decay.json")
        }
        f.numerators.append("decay:" + d)
        f.denominators = ["decay:tot"]
      }
      targets.append(EFTTarget(process: process, scaling: .process(f)))
    }
    return Result(
      parametrisation: EFTParametrisation(
        coefficients: coefficients, forms: forms, targets: targets),
      droppedTerms: dropped, eigenvalues: eigen)
  }

  /// One `{A_x, B_x_2, B_x_y, u_…}` dictionary → 1 + Σ A c + Σ B c c.
  static func form(_ entries: [String: Any], index: [String: Int]) throws -> (QuadraticForm, Int) {
    var linear: [Int: Double] = [:]
    var quadratic: [IndexPair: Double] = [:]
    var dropped = 0
    for (key, any) in entries {
      if key.hasPrefix("u_") { continue }
      guard let v = jsonNumber(any) else { throw EFTError("entry '\(key)' is not a number") }
      if key.hasPrefix("A_") {
        let name = String(key.dropFirst(2))
        if let i = index[name] { linear[i, default: 0] += v } else { dropped += 1 }
      } else if key.hasPrefix("B_") {
        let rest = String(key.dropFirst(2))
        if rest.hasSuffix("_2"), let i = index[String(rest.dropLast(2))] {
          quadratic[IndexPair(i, i), default: 0] += v
          continue
        }
        // Split "x_y" at the underscore that leaves two known names.
        var found = false
        for u in rest.indices where rest[u] == "_" {
          if let i = index[String(rest[..<u])], let j = index[String(rest[rest.index(after: u)...])]
          {
            quadratic[IndexPair(i, j), default: 0] += v
            found = true
            break
          }
        }
        if !found { dropped += 1 }
      } else {
        throw EFTError("unexpected key '\(key)' (expected A_…, B_… or u_…)")
      }
    }
    return (QuadraticForm(constant: 1, linear: linear, quadratic: quadratic), dropped)
  }

  /// Writes the `prod:`/`decay:` forms back as (prod.json, decay.json, pois.yaml) contents, in
  /// the key convention above (`u_` entries are not written). Every form must have constant 1.
  /// A cross term B_ij is written under `B_<first>_<second>` in coefficient order.
  public static func write(_ p: EFTParametrisation) throws -> (
    prod: Data, decay: Data, pois: String
  ) {
    var prod: [String: Any] = [:]
    var decay: [String: Any] = [:]
    for (name, f) in p.forms {
      let isProd = name.hasPrefix("prod:")
      guard isProd || name.hasPrefix("decay:") else { continue }
      guard f.constant == 1 else { throw EFTError("form \(name) does not have constant 1") }
      var d: [String: Double] = [:]
      for t in f.linearTerms { d["A_" + p.coefficients[t.index].name] = t.value }
      for t in f.quadraticTerms {
        let a = p.coefficients[t.first].name
        let b = p.coefficients[t.second].name
        d[t.first == t.second ? "B_\(a)_2" : "B_\(a)_\(b)"] = t.value
      }
      if isProd {
        prod[String(name.dropFirst(5))] = d
      } else {
        decay[String(name.dropFirst(6))] = d
      }
    }
    var yaml = "---\n"
    for c in p.coefficients {
      yaml +=
        "\(c.name):\n    exponent: \(c.exponent)\n    val: \(c.value)\n    max: \(c.maximum)\n    min: \(c.minimum)\n"
    }
    return (try writeJSONObject(prod, pretty: true), try writeJSONObject(decay, pretty: true), yaml)
  }
}
