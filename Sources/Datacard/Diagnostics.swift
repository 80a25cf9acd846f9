//===--- Diagnostics.swift ------------------------------------------------===//
// Errors and warnings that point at a place in a datacard.
//===----------------------------------------------------------------------===//

import Support

/// A place in a text file: 1-based line and column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int = 1) {
    self.file = file
    self.line = line
    self.column = column
  }

  /// `file:line:column`, or just `file` for problems with the file as a whole (line 0).
  public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// An error in a datacard: where it is, the offending text, and what was expected.
///
/// The description reads like a compiler diagnostic:
/// ```
/// card.txt:12:5: error: expected a number for 'rate', found 'abc'
///     rate 1.0 abc
/// ```
public struct DatacardError: RecombineError, Sendable, Equatable {
  public var location: SourceLocation?
  /// The offending text (a token or the whole line), quoted in the message.
  public var text: String
  /// What went wrong and what was expected.
  public var message: String

  public init(_ message: String, at location: SourceLocation?, text: String = "") {
    self.location = location
    self.text = text
    self.message = message
  }

  public var description: String {
    var s = location.map { "\($0): error: " } ?? "error: "
    s += message
    if !text.isEmpty { s += "\n    " + text }
    return s
  }

  /// `description` as it is: it carries its own `error:` after the location (no second prefix),
  /// then the offending text.
  public var summary: String { description }
}

/// A warning attached to a datacard (accepted, but a Combine user should look at it).
public struct DatacardWarning: Sendable, Equatable, CustomStringConvertible {
  public var location: SourceLocation?
  public var message: String

  public init(_ message: String, at location: SourceLocation?) {
    self.location = location
    self.message = message
  }

  public var description: String {
    (location.map { "\($0): warning: " } ?? "warning: ") + message
  }
}
