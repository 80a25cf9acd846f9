//===--- CombineInterference.swift ----------------------------------------===//
// Combine's `InterferenceModels:interferenceModel` scaling data (`--PO scalingData=scaling.json`).
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// Accumulates coefficients by name while an importer reads a file.
struct CoefficientRegistry {
  var coefficients: [WilsonCoefficient] = []
  var index: [String: Int] = [:]

  init(_ initial: [WilsonCoefficient] = []) {
    for c in initial { _ = add(c) }
  }

  /// The index of `name`, adding it (with `template`'s range) if new.
  mutating func add(_ c: WilsonCoefficient) -> Int {
    if let i = index[c.name] { return i }
    index[c.name] = coefficients.count
    coefficients.append(c)
    return coefficients.count - 1
  }

  mutating func add(_ name: String) -> Int { add(WilsonCoefficient(name: name)) }
}

/// Combine's interference-model scaling file: a JSON list of records
///
///     {"channel": "ch", "process": "proc",
///      "parameters": ["cSM[1]", "ctW[0,-1.5,1.5]", ...],
///      "scaling": [[M00, M10, M11, M20, M21, M22, ...], ...one row per bin...]}
///
/// For each bin i, y_i = y0_i · pᵀ M_i p, with p the parameter vector and the lower triangle of the
/// symmetric M_i listed row by row (for r, for c ≤ r). Also read gzipped (`.json.gz`).
///
/// Parameters are RooFit factory strings: `name[v]` is a constant (TopEFT's `cSM[1]`),
/// `name[v,lo,hi]` a POI with initial value and range, a bare `name` a POI, and a **linear**
/// `expr::name('formula', args…)` an affine combination of coefficients (TopEFT's rotated bases).
/// `prod::` and non-linear formulas are rejected.
///
/// Import: with p = A c̃ (each parameter an affine function of the coefficients c), the form is
/// Aᵀ M A over c̃ = (1, c). Each record becomes one per-bin target; the forms are
/// named `"<channel>/<process>/<bin>"`.
///
/// Export: each record lists `cSM[1]` then the coefficients its bins depend on (in the
/// parametrisation's order) as `name[value,min,max]`, and each row is the form's dense lower
/// triangle over them. Targets must be plain per-bin or process-level products of one form each
/// (ratios must be expanded first — see `EFTParametrisation.expandingRatios(truncation:)`).
public enum CombineInterferenceFormat {
  /// Reads a `scaling.json` or `scaling.json.gz` file.
  public static func read(path: String) throws -> EFTParametrisation {
    try parse(readJSONObject(path))
  }

  /// Parses JSON data (plain or gzipped bytes).
  public static func parse(data: Data) throws -> EFTParametrisation {
    var d = data
    if d.count >= 2 && d[d.startIndex] == 0x1f && d[d.startIndex + 1] == 0x8b {
      d = Data(try Gzip.decompress([UInt8](d)))
    }
    return try parse(ExactJSONParser.parse(d))
  }

  /// A parameter as an affine function of the coefficients: constant + Σ_j linear[j]·c_j.
  struct Affine {
    var constant: Double = 0
    var linear: [Int: Double] = [:]

    var isConstant: Bool { linear.values.allSatisfy { $0 == 0 } }
    static func + (a: Affine, b: Affine) -> Affine {
      Affine(
        constant: a.constant + b.constant, linear: a.linear.merging(b.linear, uniquingKeysWith: +))
    }
    func scaled(_ s: Double) -> Affine {
      Affine(constant: constant * s, linear: linear.mapValues { $0 * s })
    }
  }

  /// Parses one factory string: `name`, `name[v]` (constant), `name[lo,hi]`, `name[v,lo,hi]`, or a
  /// linear `expr::name('formula', arg0, arg1, …)` whose formula uses `@k`, numbers, `+ − * /` and
  /// parentheses (products and quotients need a constant side), e.g. TopEFT's
  /// `expr::ctBRe('@0 / 0.4724 - @1 * 0.88136/0.4724', ctZ[0,-2,2], ctW[0,-1.5,1.5])`.
  static func parameter(_ s: String, registry: inout CoefficientRegistry) throws -> Affine {
    let t = s.trimmingCharacters(in: .whitespaces)
    if t.hasPrefix("expr::") { return try expression(t, registry: &registry) }
    if t.contains("::") {
      throw EFTError(
        "unsupported factory expression '\(t)' (name, name[v], name[v,lo,hi], linear expr::)")
    }
    guard let open = t.firstIndex(of: "[") else {
      guard !t.isEmpty else { throw EFTError("empty parameter name") }
      return Affine(linear: [registry.add(t): 1])
    }
    guard t.hasSuffix("]") else { throw EFTError("malformed parameter '\(t)'") }
    let name = String(t[..<open])
    let inner = t[t.index(after: open)..<t.index(before: t.endIndex)]
    let nums = try inner.split(separator: ",").map { p -> Double in
      guard let v = Double(p.trimmingCharacters(in: .whitespaces)) else {
        throw EFTError("bad number in '\(t)'")
      }
      return v
    }
    switch nums.count {
    case 1: return Affine(constant: nums[0])
    case 2:  // RooFit: name[lo,hi] starts at the midpoint
      let i = registry.add(
        WilsonCoefficient(
          name: name, value: (nums[0] + nums[1]) / 2, minimum: nums[0], maximum: nums[1]))
      return Affine(linear: [i: 1])
    case 3:
      let i = registry.add(
        WilsonCoefficient(name: name, value: nums[0], minimum: nums[1], maximum: nums[2]))
      return Affine(linear: [i: 1])
    default: throw EFTError("malformed parameter '\(t)'")
    }
  }

  /// Splits at top-level commas (outside quotes, brackets and parentheses).
  static func splitArguments(_ s: Substring) -> [String] {
    var out: [String] = []
    var depth = 0
    var quote: Character?
    var cur = ""
    for ch in s {
      if let q = quote {
        if ch == q { quote = nil }
      } else if ch == "'" || ch == "\"" {
        quote = ch
      } else if ch == "(" || ch == "[" {
        depth += 1
      } else if ch == ")" || ch == "]" {
        depth -= 1
      } else if ch == "," && depth == 0 {
        out.append(cur.trimmingCharacters(in: .whitespaces))
        cur = ""
        continue
      }
      cur.append(ch)
    }
    if !cur.trimmingCharacters(in: .whitespaces).isEmpty {
      out.append(cur.trimmingCharacters(in: .whitespaces))
    }
    return out
  }

  static func expression(_ t: String, registry: inout CoefficientRegistry) throws -> Affine {
    guard let open = t.firstIndex(of: "("), t.hasSuffix(")") else {
      throw EFTError("malformed '\(t)'")
    }
    let args = splitArguments(t[t.index(after: open)..<t.index(before: t.endIndex)])
    guard let formula = args.first, formula.count >= 2,
      formula.first == "'" || formula.first == "\""
    else {
      throw EFTError("'\(t)': expected a quoted formula")
    }
    let values = try args.dropFirst().map { try parameter($0, registry: &registry) }
    var parser = LinearFormula(text: Array(formula.dropFirst().dropLast()), args: values)
    let v = try parser.sum()
    guard parser.pos == parser.text.count else {
      throw EFTError("'\(t)': cannot parse the formula")
    }
    return v
  }

  /// Recursive-descent evaluation of a formula over affine values (linear formulas only).
  struct LinearFormula {
    let text: [Character]
    let args: [Affine]
    var pos = 0

    mutating func skip() { while pos < text.count && text[pos].isWhitespace { pos += 1 } }

    /// A left-associative chain `operand (op operand)*` with `op` one of `ops`.
    mutating func chain(
      _ ops: Set<Character>, _ operand: (inout LinearFormula) throws -> Affine, _ combine: (Affine, Character, Affine) throws -> Affine
    ) throws -> Affine {
      var v = try operand(&self)
      while true {
        skip()
        guard pos < text.count, ops.contains(text[pos]) else { return v }
        let op = text[pos]
        pos += 1
        v = try combine(v, op, try operand(&self))
      }
    }

    mutating func sum() throws -> Affine {
      try chain(["+", "-"], { try $0.product() }) { v, op, r in v + (op == "-" ? r.scaled(-1) : r) }
    }

    mutating func product() throws -> Affine {
      try chain(["*", "/"], { try $0.factor() }) { v, op, r in
        if op == "/" {
          guard r.isConstant, r.constant != 0 else {
            throw EFTError("non-linear or zero division in expr formula")
          }
          return v.scaled(1 / r.constant)
        } else if r.isConstant {
          return v.scaled(r.constant)
        } else if v.isConstant {
          return r.scaled(v.constant)
        }
        throw EFTError("non-linear product in expr formula")
      }
    }

    mutating func factor() throws -> Affine {
      skip()
      guard pos < text.count else { throw EFTError("unexpected end of expr formula") }
      let c = text[pos]
      if c == "-" || c == "+" {
        pos += 1
        let f = try factor()
        return c == "-" ? f.scaled(-1) : f
      }
      if c == "(" {
        pos += 1
        let v = try sum()
        skip()
        guard pos < text.count, text[pos] == ")" else {
          throw EFTError("missing ')' in expr formula")
        }
        pos += 1
        return v
      }
      if c == "@" {
        pos += 1
        var digits = ""
        while pos < text.count, text[pos].isNumber {
          digits.append(text[pos])
          pos += 1
        }
        guard let k = Int(digits), k < args.count else {
          throw EFTError("bad argument reference @\(digits)")
        }
        return args[k]
      }
      var num = ""
      while pos < text.count,
        text[pos].isNumber || text[pos] == "." || text[pos] == "e" || text[pos] == "E"
          || ((text[pos] == "-" || text[pos] == "+") && (num.last == "e" || num.last == "E"))
      {
        num.append(text[pos])
        pos += 1
      }
      guard let v = Double(num) else { throw EFTError("cannot parse '\(num)' in expr formula") }
      return Affine(constant: v)
    }
  }

  static func parse(_ json: Any) throws -> EFTParametrisation {
    guard let records = json as? [Any] else {
      throw EFTError("scaling data must be a JSON list of records")
    }
    var reg = CoefficientRegistry()
    var forms: [String: QuadraticForm] = [:]
    var targets: [EFTTarget] = []
    for (r, any) in records.enumerated() {
      guard let rec = any as? [String: Any], let channel = rec["channel"] as? String,
        let process = rec["process"] as? String, let params = rec["parameters"] as? [Any],
        let rows = rec["scaling"] as? [Any]
      else { throw EFTError("record \(r): needs channel, process, parameters and scaling") }
      let ps = try params.map { p -> Affine in
        guard let s = p as? String else {
          throw EFTError("record \(r): parameters must be strings")
        }
        return try parameter(s, registry: &reg)
      }
      let k = ps.count
      var bins: [ScalingFactors] = []
      for (b, rowAny) in rows.enumerated() {
        guard let row = rowAny as? [Any], row.count == k * (k + 1) / 2 else {
          throw EFTError(
            "record \(r) (\(channel)/\(process)) bin \(b): expected \(k * (k + 1) / 2) numbers")
        }
        var constant = 0.0
        var linear: [Int: Double] = [:]
        var quadratic: [IndexPair: Double] = [:]
        var pos = 0
        for i in 0..<k {
          for j in 0...i {
            guard let m = jsonNumber(row[pos]) else {
              throw EFTError("record \(r) bin \(b): non-numeric entry")
            }
            pos += 1
            if m == 0 { continue }
            let v = i == j ? m : 2 * m
            // v · x_i x_j with x = a + L c.
            let (xi, xj) = (ps[i], ps[j])
            constant += v * xi.constant * xj.constant
            for (c, l) in xj.linear { linear[c, default: 0] += v * xi.constant * l }
            for (c, l) in xi.linear { linear[c, default: 0] += v * xj.constant * l }
            for (a, la) in xi.linear {
              for (c, lc) in xj.linear { quadratic[IndexPair(a, c), default: 0] += v * la * lc }
            }
          }
        }
        let name = "\(channel)/\(process)/\(b)"
        forms[name] = QuadraticForm(constant: constant, linear: linear, quadratic: quadratic)
        bins.append(ScalingFactors(numerators: [name]))
      }
      targets.append(EFTTarget(channel: channel, process: process, scaling: .perBin(bins)))
    }
    return EFTParametrisation(coefficients: reg.coefficients, forms: forms, targets: targets)
  }

  /// Writes the parametrisation as a scaling.json list (see the type's documentation).
  /// Process-level targets are written as one bin. Channel "*" is written as "*".
  public static func write(_ p: EFTParametrisation, gzip: Bool = false) throws -> Data {
    try p.validate()
    var out: [Any] = []
    for t in p.targets {
      let factors: [ScalingFactors]
      switch t.scaling {
      case .process(let f): factors = [f]
      case .perBin(let b): factors = b
      }
      let forms = try factors.map { f -> QuadraticForm in
        guard f.numerators.count == 1, f.denominators.isEmpty else {
          throw EFTError(
            "\(t.channel)/\(t.process): only single-form scalings can be written as scaling.json")
        }
        return p.forms[f.numerators[0]]!
      }
      let used = Set(forms.flatMap(\.indices)).sorted()
      let params =
        ["cSM[1]"]
        + used.map { i -> String in
          let c = p.coefficients[i]
          return "\(c.name)[\(formatShort(c.value)),\(formatShort(c.minimum)),\(formatShort(c.maximum))]"
        }
      // Map each form onto local coefficients 0..<used.count, then take the dense triangle.
      var local = [[Double]](
        repeating: [Double](repeating: 0, count: used.count), count: p.coefficients.count)
      for (a, i) in used.enumerated() { local[i][a] = 1 }
      let rows = forms.map {
        $0.substituted(local, newCount: used.count).denseLowerTriangle(coefficientCount: used.count)
      }
      out.append(
        ["channel": t.channel, "process": t.process, "parameters": params, "scaling": rows]
          as [String: Any])
    }
    let data = try writeJSONObject(out)
    return gzip ? Data(try Gzip.compress([UInt8](data))) : data
  }
}
