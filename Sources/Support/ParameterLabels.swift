//===--- ParameterLabels.swift --------------------------------------------===//
// The physicist's names of parameters, in the figures' markup (TextMarkup): the POI `chgXE3`
// (STXStoSMEFT's exponent convention: the POI is c_HG × 10³) is drawn as c_{HG} × 10^{3}.
//===----------------------------------------------------------------------===//

import Foundation

public enum ParameterLabels {
  /// The Warsaw-basis name of a SMEFT coefficient as the community's tools spell it (SMEFTsim,
  /// STXStoSMEFT, EFT2Obs: lower case, `c` + fields, `til` for the CP-odd dual, a trailing 1 or 3
  /// for the (1)/(3) flavour structure), in markup: `chg` → `c_{HG}`, `chwb` → `c_{HWB}`, `chbox` →
  /// `c_{H#Box}`, `chdd` → `c_{HD}`, `chl3` → `c_{Hl}^{(3)}`, `cuh` → `c_{uH}`, `chgtil` →
  /// `c_{H#tilde{G}}`, `ctg` → `c_{tG}`. Nil when `name` is not of that form. Fields: H, G, W, B
  /// (bosons, upper case), D (the covariant derivative, `dd`), l, q, u, d, e, t, c, s (fermions,
  /// lower case); `b` is the B boson after H, W or G and the b quark otherwise.
  public static func warsaw(_ name: String) -> String? {
    var s = Substring(name)
    guard s.hasPrefix("c"), s.count >= 2, s.allSatisfy({ $0.isLowercase || $0.isNumber }) else { return nil }
    s = s.dropFirst()
    var cpOdd = false
    if s.hasSuffix("til") { cpOdd = true; s = s.dropLast(3) }
    var flavour: Character?
    if let last = s.last, last == "1" || last == "3" { flavour = last; s = s.dropLast() }
    guard !s.isEmpty, s.allSatisfy(\.isLetter) else { return nil }
    var fields: [String] = []
    var rest = s
    while let c = rest.first {
      if rest.hasPrefix("box") { fields.append("#Box"); rest = rest.dropFirst(3); continue }
      if rest.hasPrefix("dd") { fields.append("D"); rest = rest.dropFirst(2); continue }
      switch c {
      case "h", "g", "w": fields.append(c.uppercased())
      case "b": fields.append(["H", "W", "G"].contains(fields.last ?? "") ? "B" : "b")
      case "l", "q", "u", "d", "e", "t", "c", "s": fields.append(String(c))
      default: return nil
      }
      rest = rest.dropFirst()
    }
    // A SMEFT operator's coefficient names one to four fields.
    guard (1...4).contains(fields.count) else { return nil }
    if cpOdd {
      guard let k = fields.lastIndex(where: { ["G", "W", "B"].contains($0) }) else { return nil }
      fields[k] = "#tilde{\(fields[k])}"
    }
    return "c_{\(fields.joined())}" + (flavour.map { "^{(\($0))}" } ?? "")
  }

  /// The label of a POI named after a coefficient, with STXStoSMEFT's rescaling suffix: `XE<n>`
  /// means the POI is c × 10ⁿ, `XEm<n>` c × 10⁻ⁿ. `chgXE3` → `c_{HG} #times 10^{3}`. Nil for
  /// any other name (`r`, `r_ggH`, nuisance names).
  public static func automatic(_ poi: String) -> String? {
    var base = Substring(poi)
    var exponent = 0
    if let r = poi.range(of: #"XEm?[0-9]+$"#, options: .regularExpression) {
      let suffix = poi[r].dropFirst(2)
      exponent = suffix.hasPrefix("m") ? -(Int(suffix.dropFirst()) ?? 0) : (Int(suffix) ?? 0)
      base = poi[..<r.lowerBound]
    }
    guard let w = warsaw(String(base)) else { return nil }
    return exponent == 0 ? w : "\(w) #times 10^{\(exponent)}"
  }

  /// The label to draw for `poi`: the translation if one is given, else the automatic label, else
  /// the name itself.
  public static func label(_ poi: String, translations: [String: String] = [:]) -> String {
    translations[poi] ?? automatic(poi) ?? poi
  }

  /// Reads a translation file as plot1DScan.py's `--translate` takes it: a JSON object from
  /// parameter names to labels (TLatex or Unicode).
  public static func readTranslations(_ path: String) throws -> [String: String] {
    guard let obj = try readJSONObject(path) as? [String: Any] else {
      throw FileReadError("'\(path)': expected a JSON object mapping parameter names to labels")
    }
    var out: [String: String] = [:]
    for (k, v) in obj {
      guard let s = v as? String else {
        throw FileReadError("'\(path)': the label of '\(k)' is not a string (a translation file maps parameter names to labels)")
      }
      out[k] = s
    }
    return out
  }
}
