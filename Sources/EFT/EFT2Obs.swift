//===--- EFT2Obs.swift ----------------------------------------------------===//
// EFT2Obs scaling JSON (ajgilbert/EFT2Obs `EFTScaling.writeToJSON`), new and legacy layouts.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// EFT2Obs per-bin scalings μ_b = 1 + Σ_j A_jb c_j + Σ_{j≤k} B_jkb c_j c_k.
///
/// - **New layout**: `{"terms": [[["chw"], [A per bin], [err per bin]], [["chw","chw"], [B…], […]],
///   [["chb","chw"], [B…], […]], …], "nbins", "sm_vals", "bin_edges", "bin_labels", "parameters"}`.
///   A term's parameter list has one name (linear), the same name twice (square) or two names (cross).
/// - **Legacy layout** (`--legacy`): `{"bins": [[[val, err, "chw"], [val, err, "chw", "chw"], …] per
///   bin], "nbins", "areas" (the SM values), "edges", "bin_labels"}`; AAC's
///   `AnaliticAnomalousCouplingEFTNegativeExtended` additionally reads a `parameters` key.
///
/// The uncertainties are ignored. The layout is detected from the keys (`terms` or `bins`).
public enum EFT2ObsFormat {
  /// How the bins map onto datacard targets.
  public enum Targets: Sendable, Hashable {
    /// Each bin label names a datacard process in every channel (AAC's EFTNegativeExtended
    /// convention); bins without labels are called `bin<i>`. Forms are named `"<prefix><label>"`.
    case processesFromBinLabels
    /// The bins are the shape bins of one (channel, process). Forms are named `"<prefix><i>"`.
    case shapeBins(channel: String, process: String)
  }

  /// The contents of an EFT2Obs file apart from the forms.
  public struct Metadata: Sendable, Equatable {
    public var binLabels: [String]
    public var smValues: [Double]
  }

  /// Reads one file (plain or gzipped) into a parametrisation; optionally appends to `base` (for
  /// several files, as with AAC's `EFTJsonMap=a.json,b.json`).
  public static func read(
    path: String, targets: Targets = .processesFromBinLabels, formPrefix: String = "eft2obs:",
    into base: EFTParametrisation = EFTParametrisation()
  ) throws -> EFTParametrisation {
    guard let obj = try readJSONObject(path) as? [String: Any] else {
      throw EFTError("\(path): not a JSON object")
    }
    return try parse(obj, targets: targets, formPrefix: formPrefix, into: base).0
  }

  /// Parses EFT2Obs JSON data (plain or gzipped).
  public static func parse(
    data: Data, targets: Targets = .processesFromBinLabels, formPrefix: String = "eft2obs:",
    into base: EFTParametrisation = EFTParametrisation()
  ) throws -> (EFTParametrisation, Metadata) {
    var d = data
    if d.count >= 2 && d[d.startIndex] == 0x1f && d[d.startIndex + 1] == 0x8b {
      d = Data(try Gzip.decompress([UInt8](d)))
    }
    guard let obj = try ExactJSONParser.parse(d) as? [String: Any] else {
      throw EFTError("EFT2Obs: not a JSON object")
    }
    return try parse(obj, targets: targets, formPrefix: formPrefix, into: base)
  }

  /// Parses a decoded EFT2Obs object.
  public static func parse(
    _ obj: [String: Any], targets: Targets = .processesFromBinLabels,
    formPrefix: String = "eft2obs:",
    into base: EFTParametrisation = EFTParametrisation()
  ) throws -> (EFTParametrisation, Metadata) {
    var reg = CoefficientRegistry(base.coefficients)
    // Per bin: list of (params, value).
    var perBin: [[([String], Double)]]
    var smValues: [Double] = []
    if let terms = obj["terms"] as? [Any] {
      guard let nb = jsonNumber(obj["nbins"]) else { throw EFTError("EFT2Obs: missing nbins") }
      perBin = Array(repeating: [], count: Int(nb))
      for (t, any) in terms.enumerated() {
        guard let term = any as? [Any], term.count >= 2, let names = term[0] as? [String],
          let vals = term[1] as? [Any], vals.count == perBin.count
        else {
          throw EFTError("EFT2Obs term \(t): expected [[params], [value per bin], [error per bin]]")
        }
        for b in 0..<perBin.count {
          guard let v = jsonNumber(vals[b]) else {
            throw EFTError("EFT2Obs term \(t): non-numeric value")
          }
          perBin[b].append((names, v))
        }
      }
      smValues = (obj["sm_vals"] as? [Any])?.compactMap(jsonNumber) ?? []
    } else if let bins = obj["bins"] as? [Any] {
      perBin = []
      for (b, any) in bins.enumerated() {
        guard let entries = any as? [Any] else {
          throw EFTError("EFT2Obs legacy bin \(b): not a list")
        }
        var list: [([String], Double)] = []
        for e in entries {
          guard let arr = e as? [Any], arr.count >= 3, arr.count <= 4, let v = jsonNumber(arr[0])
          else {
            throw EFTError("EFT2Obs legacy bin \(b): entries are [val, err, p1(, p2)]")
          }
          let names = try arr[2...].map { x -> String in
            guard let s = x as? String else {
              throw EFTError("EFT2Obs legacy bin \(b): parameter names must be strings")
            }
            return s
          }
          list.append((names, v))
        }
        perBin.append(list)
      }
      if let nb = jsonNumber(obj["nbins"]), Int(nb) != perBin.count {
        throw EFTError("EFT2Obs legacy: nbins = \(Int(nb)) but \(perBin.count) bins")
      }
      smValues = (obj["areas"] as? [Any])?.compactMap(jsonNumber) ?? []
    } else {
      throw EFTError("EFT2Obs: neither 'terms' (new layout) nor 'bins' (legacy layout) present")
    }
    // Declared parameters first (keeps their order), then any others in order of appearance.
    for p in (obj["parameters"] as? [String]) ?? [] { _ = reg.add(p) }
    var labels = (obj["bin_labels"] as? [String]) ?? []
    if labels.count != perBin.count { labels = (0..<perBin.count).map { "bin\($0)" } }

    var out = base
    var factors: [ScalingFactors] = []
    for (b, terms) in perBin.enumerated() {
      var linear: [Int: Double] = [:]
      var quadratic: [IndexPair: Double] = [:]
      for (names, v) in terms {
        let idx = names.map { reg.add($0) }
        switch idx.count {
        case 1: linear[idx[0], default: 0] += v
        case 2: quadratic[IndexPair(idx[0], idx[1]), default: 0] += v
        default: throw EFTError("EFT2Obs: terms have one or two parameters")
        }
      }
      let name: String
      switch targets {
      case .processesFromBinLabels: name = formPrefix + labels[b]
      case .shapeBins: name = formPrefix + String(b)
      }
      out.forms[name] = QuadraticForm(constant: 1, linear: linear, quadratic: quadratic)
      factors.append(ScalingFactors(numerators: [name]))
    }
    switch targets {
    case .processesFromBinLabels:
      for (b, f) in factors.enumerated() {
        out.targets.append(EFTTarget(process: labels[b], scaling: .process(f)))
      }
    case .shapeBins(let channel, let process):
      out.targets.append(EFTTarget(channel: channel, process: process, scaling: .perBin(factors)))
    }
    out.coefficients = reg.coefficients
    return (out, Metadata(binLabels: labels, smValues: smValues))
  }

  /// Writes forms (one per bin, each with constant 1) in the new or legacy layout. Terms are
  /// ordered as EFT2Obs does: linear, then squares and crosses, parameter names sorted within a term.
  /// Errors are written as 0.
  public static func write(
    bins: [QuadraticForm], coefficientNames: [String], binLabels: [String] = [],
    smValues: [Double]? = nil,
    binEdges: [[Double]]? = nil, legacy: Bool = false
  ) throws -> Data {
    for (b, f) in bins.enumerated() where f.constant != 1 {
      throw EFTError("EFT2Obs bins are 1 + …; bin \(b) has constant \(f.constant)")
    }
    // Collect every term present in any bin.
    var keys = Set<[String]>()
    for f in bins {
      for t in f.linearTerms { keys.insert([coefficientNames[t.index]]) }
      for t in f.quadraticTerms {
        keys.insert([coefficientNames[t.first], coefficientNames[t.second]].sorted())
      }
    }
    let ordered = keys.sorted { a, b in
      a.count != b.count ? a.count < b.count : a.lexicographicallyPrecedes(b)
    }
    let index = Dictionary(uniqueKeysWithValues: coefficientNames.enumerated().map { ($1, $0) })
    func value(_ f: QuadraticForm, _ k: [String]) -> Double {
      k.count == 1
        ? f.linearCoefficient(index[k[0]]!) : f.quadraticCoefficient(index[k[0]]!, index[k[1]]!)
    }
    let n = bins.count
    let sm = smValues ?? Array(repeating: 1, count: n)
    let edges: [[Double]] = binEdges ?? (0..<n).map { [Double($0), Double($0 + 1)] }
    var obj: [String: Any]
    if legacy {
      obj = [
        "bins": bins.map { f in ordered.map { k in [value(f, k), 0.0] + k.map { $0 as Any } } },
        "nbins": n, "areas": sm, "edges": edges, "bin_labels": binLabels,
        "parameters": Array(Set(ordered.joined())).sorted(),
      ]
    } else {
      obj = [
        "terms": ordered.map { k in
          [k, bins.map { value($0, k) }, Array(repeating: 0.0, count: n)] as [Any]
        },
        "nbins": n, "sm_vals": sm, "bin_edges": edges, "bin_labels": binLabels,
        "parameters": Array(Set(ordered.joined())).sorted(),
      ]
    }
    return try writeJSONObject(obj)
  }
}
