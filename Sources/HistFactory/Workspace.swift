//===--- Workspace.swift --------------------------------------------------===//
// A pyhf / HistFactory JSON workspace (pyhf's `workspace.json` schema, version 1.0.0): channels of
// samples with their modifiers, observations, measurements. Read from a file (plain or gzipped),
// with JSON Patch files applied in order; every error names the file and the JSON path.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// An error reading a workspace or a patch: the file, the JSON path and what was expected.
public struct WorkspaceError: RecombineError, Sendable, Equatable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// One modifier of a sample (pyhf's modifier types, HistFactory's semantics).
public enum Modifier: Sendable, Equatable {
  /// A free factor μ on the sample (a POI or a normalisation).
  case normfactor(name: String)
  /// The luminosity λ, Gaussian-constrained by the measurement's auxdata and sigmas.
  case lumi(name: String)
  /// A normalisation factor with ratios `hi`, `lo` at α = ±1 (interpolated by pyhf's code for
  /// normsys, code 4 by default).
  case normsys(name: String, hi: Double, lo: Double)
  /// A per-bin additive variation with the templates `hi`, `lo` at α = ±1 (code 4p by default).
  case histosys(name: String, hi: [Double], lo: [Double])
  /// Per-bin absolute MC uncertainties δ: one γ_b per bin shared by every sample with this name in
  /// the channel, Gaussian N(1, σ_b) with σ_b = √(Σ δ²)/Σ ν over those samples.
  case staterror(name: String, uncertainties: [Double])
  /// Per-bin absolute uncertainties δ of this sample: γ_b Poisson-constrained with τ_b = (ν_b/δ_b)².
  case shapesys(name: String, uncertainties: [Double])
  /// Free per-bin factors γ_b.
  case shapefactor(name: String)

  public var name: String {
    switch self {
    case .normfactor(let n), .lumi(let n), .normsys(let n, _, _), .histosys(let n, _, _), .staterror(let n, _),
      .shapesys(let n, _), .shapefactor(let n):
      return n
    }
  }
  public var type: String {
    switch self {
    case .normfactor: return "normfactor"
    case .lumi: return "lumi"
    case .normsys: return "normsys"
    case .histosys: return "histosys"
    case .staterror: return "staterror"
    case .shapesys: return "shapesys"
    case .shapefactor: return "shapefactor"
    }
  }
}

public struct Sample: Sendable, Equatable {
  public var name: String
  public var data: [Double]
  public var modifiers: [Modifier]
}

public struct WorkspaceChannel: Sendable, Equatable {
  public var name: String
  public var samples: [Sample]
  public var binCount: Int { samples.first?.data.count ?? 0 }
}

/// A measurement's setting of one parameter (pyhf `config.parameters`); each field optional.
public struct ParameterSetting: Sendable, Equatable {
  public var name: String
  public var inits: [Double]? = nil
  public var bounds: [[Double]]? = nil
  public var fixed: Bool? = nil
  public var auxdata: [Double]? = nil
  public var sigmas: [Double]? = nil
}

public struct Measurement: Sendable, Equatable {
  public var name: String
  public var poi: String
  public var parameters: [ParameterSetting]
}

/// A HistFactory workspace.
public struct Workspace: Sendable, Equatable {
  public var channels: [WorkspaceChannel]
  /// Observed counts per channel name.
  public var observations: [String: [Double]]
  public var measurements: [Measurement]
  public var version: String?
  /// The file it was read from (for messages).
  public var path: String

  /// Whether a file starting with `prefix` is read as a workspace: a JSON object (a datacard never
  /// starts with `{`; the key order of a JSON object is free, so nothing else is looked for: a JSON
  /// object that is not a workspace is then named by the reader's errors, e.g. "/channels: …").
  public static func looksLikeWorkspace(_ prefix: String) -> Bool {
    prefix.drop { $0.isWhitespace || $0 == "\u{FEFF}" }.hasPrefix("{")
  }

  /// Reads `path` (plain or gzipped JSON) and applies `patches` (files of RFC 6902 operations) in order.
  public static func read(_ path: String, patches: [String] = []) throws -> Workspace {
    var doc: Any
    do { doc = try readJSONObject(path) } catch { throw WorkspaceError("\(error)") }
    for p in patches {
      let patch: Any
      do { patch = try readJSONObject(p) } catch { throw WorkspaceError("\(error)") }
      doc = try JSONPatch.apply(patch, to: doc, source: p)
    }
    return try Workspace(json: doc, path: path + (patches.isEmpty ? "" : " (patched by \(patches.joined(separator: ", ")))"))
  }

  /// A workspace from parsed JSON; `path` names it in errors (with the JSON path, e.g.
  /// "ws.json: /channels/2/samples/1/modifiers/0: normsys data needs 'hi' and 'lo'").
  public init(json: Any, path: String) throws {
    self.path = path
    func fail(_ at: String, _ what: String) -> WorkspaceError { WorkspaceError("\(path): \(at): \(what)") }
    guard let root = json as? [String: Any] else { throw fail("/", "a workspace is a JSON object with channels, observations, measurements") }
    func numbers(_ v: Any?, _ at: String) throws -> [Double] {
      guard let a = v as? [Any] else { throw fail(at, "expected an array of numbers") }
      return try a.enumerated().map { k, x in
        guard let d = jsonNumber(x), !(x is Bool) else { throw fail("\(at)/\(k)", "expected a number") }
        return d
      }
    }
    guard let chans = root["channels"] as? [Any], !chans.isEmpty else { throw fail("/channels", "expected a non-empty array of channels") }
    channels = []
    for (c, raw) in chans.enumerated() {
      let at = "/channels/\(c)"
      guard let ch = raw as? [String: Any], let name = ch["name"] as? String else { throw fail(at, "expected an object with a \"name\"") }
      guard let ss = ch["samples"] as? [Any], !ss.isEmpty else { throw fail("\(at)/samples", "expected a non-empty array of samples") }
      var samples: [Sample] = []
      for (s, rs) in ss.enumerated() {
        let sat = "\(at)/samples/\(s)"
        guard let so = rs as? [String: Any], let sname = so["name"] as? String else { throw fail(sat, "expected an object with a \"name\"") }
        let data = try numbers(so["data"], "\(sat)/data")
        if let first = samples.first, first.data.count != data.count {
          throw fail("\(sat)/data", "\(data.count) bins, sample '\(first.name)' has \(first.data.count)")
        }
        var mods: [Modifier] = []
        for (m, rm) in ((so["modifiers"] as? [Any]) ?? []).enumerated() {
          let mat = "\(sat)/modifiers/\(m)"
          guard let mo = rm as? [String: Any], let mname = mo["name"] as? String, let type = mo["type"] as? String else {
            throw fail(mat, "expected an object with \"name\" and \"type\"")
          }
          func perBin(_ v: Any?, _ what: String) throws -> [Double] {
            let a = try numbers(v, "\(mat)/data\(what)")
            guard a.count == data.count else { throw fail("\(mat)/data\(what)", "\(a.count) values for \(data.count) bins") }
            return a
          }
          switch type {
          case "normfactor": mods.append(.normfactor(name: mname))
          case "lumi": mods.append(.lumi(name: mname))
          case "shapefactor": mods.append(.shapefactor(name: mname))
          case "normsys":
            guard let d = mo["data"] as? [String: Any], let hi = jsonNumber(d["hi"]), let lo = jsonNumber(d["lo"]) else {
              throw fail("\(mat)/data", "normsys data needs numbers 'hi' and 'lo'")
            }
            mods.append(.normsys(name: mname, hi: hi, lo: lo))
          case "histosys":
            guard let d = mo["data"] as? [String: Any] else { throw fail("\(mat)/data", "histosys data needs 'hi_data' and 'lo_data'") }
            mods.append(.histosys(name: mname, hi: try perBin(d["hi_data"], "/hi_data"), lo: try perBin(d["lo_data"], "/lo_data")))
          case "staterror": mods.append(.staterror(name: mname, uncertainties: try perBin(mo["data"], "")))
          case "shapesys": mods.append(.shapesys(name: mname, uncertainties: try perBin(mo["data"], "")))
          default:
            throw fail("\(mat)/type", "unknown modifier type '\(type)' (normfactor, lumi, normsys, histosys, staterror, shapesys, shapefactor)")
          }
        }
        samples.append(Sample(name: sname, data: data, modifiers: mods))
      }
      guard !channels.contains(where: { $0.name == name }) else { throw fail("\(at)/name", "channel '\(name)' appears twice") }
      channels.append(WorkspaceChannel(name: name, samples: samples))
    }
    observations = [:]
    for (k, raw) in ((root["observations"] as? [Any]) ?? []).enumerated() {
      guard let o = raw as? [String: Any], let name = o["name"] as? String else { throw fail("/observations/\(k)", "expected an object with \"name\" and \"data\"") }
      observations[name] = try numbers(o["data"], "/observations/\(k)/data")
    }
    for ch in channels {
      guard let obs = observations[ch.name] else { throw fail("/observations", "no observation for channel '\(ch.name)'") }
      guard obs.count == ch.binCount else { throw fail("/observations", "channel '\(ch.name)': \(obs.count) observed bins, its samples have \(ch.binCount)") }
    }
    measurements = []
    for (k, raw) in ((root["measurements"] as? [Any]) ?? []).enumerated() {
      let at = "/measurements/\(k)"
      guard let mo = raw as? [String: Any], let name = mo["name"] as? String, let config = mo["config"] as? [String: Any],
            let poi = config["poi"] as? String else {
        throw fail(at, "expected an object with \"name\" and \"config\" (with \"poi\")")
      }
      var settings: [ParameterSetting] = []
      for (j, rp) in ((config["parameters"] as? [Any]) ?? []).enumerated() {
        let pat = "\(at)/config/parameters/\(j)"
        guard let po = rp as? [String: Any], let pname = po["name"] as? String else { throw fail(pat, "expected an object with a \"name\"") }
        var s = ParameterSetting(name: pname)
        if po["inits"] != nil { s.inits = try numbers(po["inits"], "\(pat)/inits") }
        if po["auxdata"] != nil { s.auxdata = try numbers(po["auxdata"], "\(pat)/auxdata") }
        if po["sigmas"] != nil { s.sigmas = try numbers(po["sigmas"], "\(pat)/sigmas") }
        if let b = po["bounds"] {
          guard let pairs = b as? [Any] else { throw fail("\(pat)/bounds", "expected [[lo, hi], …]") }
          s.bounds = try pairs.enumerated().map { i, x in
            let v = try numbers(x, "\(pat)/bounds/\(i)")
            guard v.count == 2, v[0] < v[1] else { throw fail("\(pat)/bounds/\(i)", "expected [lo, hi] with lo < hi") }
            return v
          }
        }
        if let f = po["fixed"] {
          guard let b = f as? Bool else { throw fail("\(pat)/fixed", "expected true or false") }
          s.fixed = b
        }
        settings.append(s)
      }
      measurements.append(Measurement(name: name, poi: poi, parameters: settings))
    }
    version = root["version"] as? String
  }

  /// The measurement called `name`, or the first one.
  public func measurement(_ name: String?) throws -> Measurement {
    guard let name else {
      guard let m = measurements.first else { throw WorkspaceError("\(path): the workspace has no measurement (give the POI with a measurement)") }
      return m
    }
    guard let m = measurements.first(where: { $0.name == name }) else {
      throw WorkspaceError("\(path): no measurement '\(name)' (there are: \(measurements.map(\.name).joined(separator: ", ")))")
    }
    return m
  }
}
