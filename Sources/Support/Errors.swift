//===--- Errors.swift -----------------------------------------------------===//
// The one error protocol of Recombine: every module's error type conforms, so errors travel
// unchanged from the module that found them to the command line, which prints them.
//===----------------------------------------------------------------------===//

/// An error whose `description` is a complete message for the user (it names the file, the line
/// and what was expected where there is one).
///
/// Every module defines its own error type (`DatacardError`, `LikelihoodError`, `EFTError`, …)
/// and conforms it here; plumbing errors (`FileWriteError`, `FileReadError`, `GzipError`) conform
/// too, so no module re-wraps another's error only to change its type.
public protocol RecombineError: Error, CustomStringConvertible {
  /// What the command line prints (default: `error: ` + `description`, unless it starts so).
  var summary: String { get }
}

extension RecombineError {
  public var summary: String { description.hasPrefix("error: ") ? description : "error: " + description }
}

/// A file that could not be read (or decoded); the message names the file.
public struct FileReadError: RecombineError, Sendable, Equatable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// The names of `candidates` closest to `name`, for "did you mean" hints: those that begin with it
/// or that it begins with (`chg` → `chgXE3`), else those within an edit distance of 2 (case
/// ignored), at most `limit`, closest first.
public func closestNames(to name: String, in candidates: [String], limit: Int = 3) -> [String] {
  let lower = name.lowercased()
  let prefixed = candidates.filter { $0.lowercased().hasPrefix(lower) || lower.hasPrefix($0.lowercased()) }
  if !prefixed.isEmpty { return Array(prefixed.sorted { $0.count < $1.count }.prefix(limit)) }
  func distance(_ a: [Character], _ b: [Character]) -> Int {
    var row = Array(0...b.count)
    for i in 1...max(1, a.count) where !a.isEmpty {
      var previous = row[0]
      row[0] = i
      for j in 1...max(1, b.count) where !b.isEmpty {
        let old = row[j]
        row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
        previous = old
      }
    }
    return a.isEmpty ? b.count : (b.isEmpty ? a.count : row[b.count])
  }
  let scored = candidates.map { ($0, distance(Array(lower), Array($0.lowercased()))) }.filter { $0.1 <= 2 }
  return Array(scored.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(limit).map(\.0))
}

/// `" (did you mean a, b?)"` for the closest names, or "".
public func didYouMean(_ name: String, in candidates: [String]) -> String {
  let c = closestNames(to: name, in: candidates)
  return c.isEmpty ? "" : " (did you mean \(c.joined(separator: ", "))?)"
}

/// A number for messages and names: integers without a decimal point (`3`, `-10`), other values in
/// Swift's shortest round-trip form.
public func formatShort(_ v: Double) -> String {
  v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
}
