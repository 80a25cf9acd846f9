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

/// A number for messages and names: integers without a decimal point (`3`, `-10`), other values in
/// Swift's shortest round-trip form.
public func formatShort(_ v: Double) -> String {
  v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
}
