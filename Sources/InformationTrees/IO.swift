//===--- IO.swift ---------------------------------------------------------===//
// Event files: CSV with a header (optionally gzip-compressed).
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Foundation
import Support

// MARK: - CSV tables

/// A numeric table with a header.
public struct Table: Sendable {
  public var names: [String]
  /// Row-major values, `rows × names.count`.
  public var values: [Double]
  public var rowCount: Int { names.isEmpty ? 0 : values.count / names.count }

  public init(names: [String], values: [Double]) {
    self.names = names
    self.values = values
  }

  public func column(_ name: String) -> [Double]? {
    guard let c = names.firstIndex(of: name) else { return nil }
    let W = names.count
    return (0..<rowCount).map { values[$0 * W + c] }
  }

  /// Parses comma-separated text with one header line. Blank lines are skipped. Every field must
  /// be a finite number (nan and inf are rejected); errors start with `source` (a file name) when
  /// given and name the line and column.
  public static func parseCSV(_ bytes: [UInt8], source: String? = nil) throws -> Table {
    let prefix = source.map { "\($0): " } ?? ""
    var names: [String] = []
    var values: [Double] = []
    values.reserveCapacity(bytes.count / 12)
    try bytes.withUnsafeBufferPointer { buf in
      let n = buf.count
      var p = 0
      // header
      while p < n && buf[p] != 10 { p += 1 }
      let headerLine = String(decoding: buf[0..<p], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      names = headerLine.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"#"))
      }
      let W = names.count
      guard !headerLine.isEmpty else { throw BITError("\(prefix)line 1: empty CSV header, expected column names") }
      p += 1
      // The current field, NUL-terminated for strtod; grown for long fields.
      var field = [CChar](repeating: 0, count: 128)
      var line = 2
      while p < n {
        // skip blank lines
        if buf[p] == 10 || buf[p] == 13 { if buf[p] == 10 { line += 1 }; p += 1; continue }
        var col = 0
        while true {
          var len = 0
          while p < n && buf[p] != 44 && buf[p] != 10 && buf[p] != 13 {
            if len + 1 == field.count { field += [CChar](repeating: 0, count: field.count) }
            field[len] = CChar(bitPattern: buf[p]); len += 1
            p += 1
          }
          field[len] = 0
          var v = 0.0
          let ok: Bool = field.withUnsafeMutableBufferPointer { f -> Bool in
            var end: UnsafeMutablePointer<CChar>? = nil
            v = strtod(f.baseAddress!, &end)
            // The whole field must be the number (a NUL inside it would end strtod's string early),
            // and no hexadecimal (strtod reads 0x10 as 16; Python's float() refuses it).
            let stop = f.baseAddress! + len
            var e = end!
            while e < stop && (e.pointee == 32 || e.pointee == 9) { e += 1 }
            return len > 0 && e == stop && !f[0..<len].contains { $0 == 120 || $0 == 88 }
          }
          if !ok || !v.isFinite {
            var text = String(decoding: field[0..<len].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.count > 40 { text = String(text.prefix(40)) + "…" }
            let column = col < W ? " (\(names[col]))" : ""
            throw BITError("\(prefix)line \(line), column \(col + 1)\(column): '\(text)' is not \(ok ? "a finite number" : "a number")")
          }
          values.append(v)
          col += 1
          if p < n && buf[p] == 44 { p += 1; continue }
          break
        }
        if col != W { throw BITError("\(prefix)line \(line): \(col) fields, the header has \(W)") }
        if p < n && buf[p] == 13 { p += 1 }
        if p < n && buf[p] == 10 { p += 1; line += 1 }
      }
    }
    return Table(names: names, values: values)
  }

  /// Reads a CSV file (gzip-compressed if it starts with the gzip magic bytes); errors name `path`.
  public static func readCSV(_ path: String) throws -> Table {
    try parseCSV(try readFileMaybeGzipped(path), source: path)
  }

  /// Reads a NumPy `.npz` archive (by its extension) or else a CSV file (optionally gzip).
  public static func read(_ path: String) throws -> Table {
    path.hasSuffix(".npz") ? try readNPZ(path) : try readCSV(path)
  }

  /// Serialises as CSV, every Double in its shortest round-trip form.
  public func csvBytes() -> [UInt8] {
    var s = names.joined(separator: ",") + "\n"
    s.reserveCapacity(values.count * 20)
    let W = names.count
    for r in 0..<rowCount {
      for c in 0..<W {
        if c > 0 { s += "," }
        s += String(values[r * W + c])
      }
      s += "\n"
    }
    return Array(s.utf8)
  }

  /// Writes CSV atomically (`.gz` paths compressed).
  public func writeCSV(_ path: String) throws { try writeFileAtomicallyMaybeGzipped(csvBytes(), to: path) }
}

// MARK: - Events from tables

/// How the columns of an event file map onto features and weights.
public struct EventColumns: Sendable {
  /// Wilson coefficient names, in the order the derivative columns use. If empty they are
  /// inferred from the `w_<c>` columns (a `w_<a>_<b>` column whose parts are both linear names
  /// is quadratic).
  public var coefficients: [String] = []
  /// Read the quadratic `w_<c1>_<c2>` columns too (nil: if every one of them is present).
  public var quadratic: Bool? = nil
  /// Feature columns; nil means every column that is not a weight column.
  public var features: [String]? = nil
  /// Name of the SM-weight column (default `w_0`).
  public var weight: String? = nil
  /// Names of the linear derivative columns, one per coefficient (e.g. `d` in the 1D files).
  public var derivatives: [String]? = nil
  /// Columns that are neither features nor weights and are to be dropped.
  public var ignore: [String] = []

  public init(coefficients: [String] = [], quadratic: Bool? = nil, features: [String]? = nil,
              weight: String? = nil, derivatives: [String]? = nil, ignore: [String] = []) {
    self.coefficients = coefficients; self.quadratic = quadratic; self.features = features
    self.weight = weight; self.derivatives = derivatives; self.ignore = ignore
  }
}

extension Events {
  /// Builds events from a table with the column conventions of `EventColumns`:
  /// `w_0` is w_0, `w_<c>` the linear and `w_<c1>_<c2>` (either order) the quadratic
  /// derivative weights, every other column a feature unless `features` selects them.
  public init(table: Table, columns: EventColumns) throws {
    let names = table.names
    func index(_ n: String) -> Int? { names.firstIndex(of: n) }
    let wName = columns.weight ?? "w_0"
    guard let w0col = index(wName) else { throw BITError("no SM-weight column \(wName)") }
    var coeffs = columns.coefficients
    if let ds = columns.derivatives, coeffs.isEmpty {
      coeffs = ds.count == 1 ? ["theta"] : ds.map { $0 }
    }
    if coeffs.isEmpty {
      let suffixes = names.filter { $0.hasPrefix("w_") && $0 != wName }.map { String($0.dropFirst(2)) }
      let set = Set(suffixes)
      coeffs = suffixes.filter { s in
        // quadratic if it splits into two known names
        !s.indices.contains { i in
          s[i] == "_" && set.contains(String(s[..<i])) && set.contains(String(s[s.index(after: i)...]))
        }
      }
    }
    var weightCols = [w0col]
    var ders: [DerivativeIndices] = []
    if let ds = columns.derivatives {
      guard ds.count == coeffs.count else {
        throw BITError("\(ds.count) derivative columns for \(coeffs.count) coefficients")
      }
      for (a, n) in ds.enumerated() {
        guard let c = index(n) else { throw BITError("no derivative column \(n)") }
        weightCols.append(c); ders.append([a])
      }
    } else {
      for (a, c) in coeffs.enumerated() {
        guard let i = index("w_" + c) else { throw BITError("no derivative column w_\(c)") }
        weightCols.append(i); ders.append([a])
      }
    }
    func quadCol(_ a: Int, _ b: Int) -> Int? {
      index("w_\(coeffs[a])_\(coeffs[b])") ?? index("w_\(coeffs[b])_\(coeffs[a])")
    }
    let n = coeffs.count
    let allQuad = (0..<n).allSatisfy { a in (a..<n).allSatisfy { b in quadCol(a, b) != nil } }
    let wantQuad = columns.quadratic ?? (allQuad && columns.derivatives == nil && n > 0)
    if wantQuad {
      for a in 0..<n {
        for b in a..<n {
          guard let c = quadCol(a, b) else { throw BITError("no quadratic column w_\(coeffs[a])_\(coeffs[b])") }
          weightCols.append(c); ders.append([a, b])
        }
      }
    }
    let featNames: [String]
    if let f = columns.features {
      featNames = f
    } else {
      let used = Set(weightCols.map { names[$0] })
      let ignore = Set(columns.ignore)
      featNames = names.filter { !used.contains($0) && !$0.hasPrefix("w_") && !ignore.contains($0) }
    }
    let featCols = try featNames.map { f -> Int in
      guard let i = index(f) else { throw BITError("no feature column \(f)") }
      return i
    }
    let rows = table.rowCount, W = names.count
    var fv = [Double](repeating: 0, count: rows * featCols.count)
    var wv = [Double](repeating: 0, count: rows * weightCols.count)
    table.values.withUnsafeBufferPointer { t in
      for r in 0..<rows {
        for (j, c) in featCols.enumerated() { fv[r * featCols.count + j] = t[r * W + c] }
        for (j, c) in weightCols.enumerated() { wv[r * weightCols.count + j] = t[r * W + c] }
      }
    }
    self.init(featureNames: featNames, coefficients: coeffs, derivatives: ders, features: fv, weights: wv)
  }

  /// Reads events from a CSV (optionally gzip) file or a NumPy `.npz` archive; errors name `path`.
  public static func read(_ path: String, columns: EventColumns = EventColumns()) throws -> Events {
    let table = try Table.read(path)
    do { return try Events(table: table, columns: columns) } catch let e as BITError { throw BITError("\(path): \(e.description)") }
  }

  /// The events as a table: features, then `w_0`, `w_<c>`, `w_<c1>_<c2>`, then extra columns.
  public func table() -> Table {
    let F = featureCount, S = weightStride, X = extraNames.count
    let names = featureNames + (0..<S).map { c in
      derivativeName(c == 0 ? [] : derivatives[c - 1], coefficients: coefficients)
    } + extraNames
    let W = names.count
    var v = [Double](repeating: 0, count: count * W)
    for i in 0..<count {
      for f in 0..<F { v[i * W + f] = features[i * F + f] }
      for c in 0..<S { v[i * W + F + c] = weights[i * S + c] }
      for x in 0..<X { v[i * W + F + S + x] = extra[i * X + x] }
    }
    return Table(names: names, values: v)
  }

  /// Writes the events as CSV (`.gz` compressed) or `.npz`, atomically.
  public func write(_ path: String) throws {
    if path.hasSuffix(".npz") { try writeNPZ(table(), to: path) } else { try table().writeCSV(path) }
  }
}
