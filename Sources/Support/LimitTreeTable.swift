//===--- LimitTreeTable.swift ---------------------------------------------===//
// Combine's `limit` tree as CSV: the one table type that every method writes (`fit`, `scan`,
// toys, `limit`, `significance`), `merge-scans` merges and the plots read.
//===----------------------------------------------------------------------===//

import Foundation

/// Rows of Combine's `limit` tree as CSV: a header naming the branches (e.g.
/// `mh,iToy,quantileExpected,r,deltaNLL`) and one row per entry.
///
/// Fields are kept verbatim (a merged scan reproduces its inputs byte for byte); every field is
/// checked to be a number when the table is read (`nan`, `inf`, `-inf` included). Columns are
/// looked up by name. The first row with `quantileExpected = −1` is the best fit; the POI columns
/// are those that are not standard limit-tree branches.
public struct LimitTreeTable: Sendable, Equatable {
  public var header: [String]
  public var rows: [[String]]

  /// Standard branches of the limit tree that are never POIs.
  public static let standardBranches: Set<String> = [
    "limit", "limitErr", "mh", "syst", "iToy", "iSeed", "iChannel", "t_cpu", "t_real", "quantileExpected", "deltaNLL", "r_best",
    "nll", "nll0",
  ]

  /// The header of the limit methods' rows (AsymptoticLimits, Significance).
  public static let limitHeader = ["limit", "limitErr", "mh", "iToy", "quantileExpected"]

  public init(header: [String], rows: [[String]]) {
    self.header = header
    self.rows = rows
  }

  /// Rows of numbers, written as `%.9g` (the precision of every CSV Recombine writes).
  public init(header: [String], values: [[Double]]) {
    self.header = header
    rows = values.map { $0.map { String(format: "%.9g", $0) } }
  }

  /// Parses CSV text: the first non-blank line that is not a `#` comment is the header; every row
  /// must have as many fields as the header, each a number. Errors name `source` and the line.
  public init(csv text: String, source: String = "<csv>") throws {
    var lines: [(Int, String)] = []
    for (n, l) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let t = l.trimmingCharacters(in: .whitespacesAndNewlines)
      if !t.isEmpty && !t.hasPrefix("#") { lines.append((n + 1, t)) }
    }
    guard let head = lines.first else { throw TableError("\(source) is empty") }
    header = head.1.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    rows = []
    rows.reserveCapacity(lines.count - 1)
    for (n, line) in lines.dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
      guard f.count == header.count else {
        throw TableError("\(source), line \(n): \(f.count) fields, the header has \(header.count)")
      }
      for s in f where Self.number(s) == nil {
        throw TableError("\(source), line \(n): '\(s)' is not a number")
      }
      rows.append(f)
    }
  }

  /// Reads a CSV file (see `init(csv:source:)`).
  public static func read(_ path: String) throws -> LimitTreeTable {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw TableError("cannot read \(path) (missing or unreadable)")
    }
    return try LimitTreeTable(csv: String(decoding: data, as: UTF8.self), source: path)
  }

  /// The CSV text (header first, one line per row).
  public var csv: String {
    ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
  }

  /// Writes the CSV atomically.
  public func write(to path: String) throws { try writeFileAtomically(csv, to: path) }

  /// The rows as JSON: an array of objects, one per row, each branch by name with its number
  /// (`nan` and `±inf`, which JSON lacks, as the strings "nan", "inf", "-inf").
  public var json: String {
    let objects = rows.map { row in
      "{" + zip(header, row).map { name, field -> String in
        let v = Self.number(field) ?? .nan
        let value = v.isFinite ? field : "\"\(v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf"))\""
        return "\"\(name)\": \(value)"
      }.joined(separator: ", ") + "}"
    }
    return "[\n" + objects.map { "  " + $0 }.joined(separator: ",\n") + "\n]\n"
  }

  /// The values of column `name`, if there is one.
  public func column(_ name: String) -> [Double]? {
    header.firstIndex(of: name).map { i in rows.map { Self.number($0[i]) ?? .nan } }
  }

  /// The POI columns, in file order.
  public var poiNames: [String] {
    header.filter { !Self.standardBranches.contains($0) && !$0.hasPrefix("trackedParam_") && !$0.hasPrefix("trackedError_") }
  }

  /// Index of the best-fit row (the first with quantileExpected = −1).
  public var bestFitRow: Int? {
    guard let q = column("quantileExpected") else { return nil }
    return q.firstIndex { $0 == -1 }
  }

  /// A field as a number: Swift's `Double(_:)`, or `nan`/`inf` as C's printf writes them.
  public static func number(_ s: String) -> Double? {
    if let v = Double(s) { return v }
    switch s.lowercased() {
    case "nan", "-nan": return .nan
    case "inf", "+inf": return .infinity
    case "-inf": return -.infinity
    default: return nil
    }
  }
}

/// A malformed limit-tree CSV.
public struct TableError: RecombineError, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
