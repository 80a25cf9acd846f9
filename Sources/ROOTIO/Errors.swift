//===--- Errors.swift -----------------------------------------------------===//
// Errors of the ROOT file reader.
//===----------------------------------------------------------------------===//

/// An error reading a ROOT file: which file, which object, what was expected.
public struct ROOTIOError: Error, CustomStringConvertible, Equatable, Sendable {
  /// Path of the ROOT file.
  public var file: String
  /// Object path inside the file, if the error concerns one.
  public var key: String?
  /// What went wrong and what was expected.
  public var message: String

  public init(file: String, key: String? = nil, _ message: String) {
    self.file = file
    self.key = key
    self.message = message
  }

  public var description: String { file + (key.map { ": " + $0 } ?? "") + ": " + message }
}

/// A failure inside the byte cursor, turned into a ``ROOTIOError`` by the caller.
struct FormatError: Error {
  var message: String
  init(_ message: String) { self.message = message }
}
