// ROOTIO module of Recombine: reads TH1/TH2 histograms from ROOT files without ROOT, and writes TH1D
// histograms (`ROOTFileWriter`, with the StreamerInfo that ROOT needs; see Tests/ROOTIOTests/Fixtures/check_writer.py).
//
// Format subset: /work/shared/spec/engineering.md, section 4. Everything in a ROOT file is big-endian.
// Files are read into memory once; every offset, length and count taken from the file is checked,
// so a truncated or corrupted file gives a `ROOTIOError`, never a trap, a hang or a huge allocation.

import Support

/// An error reading a ROOT file: which file, which object in it (if any), and what was wrong.
public struct ROOTIOError: RecombineError, Equatable, Sendable {
  /// Path of the ROOT file.
  public var file: String
  /// Path of the object inside the file (`"dir/name"`), if the error concerns one.
  public var key: String?
  /// What went wrong and what was expected.
  public var message: String

  public init(file: String, key: String? = nil, message: String) {
    self.file = file
    self.key = key
    self.message = message
  }

  /// `"<file>: <key>: <message>"`, or `"<file>: <message>"` without a key.
  public var description: String {
    if let key { return "\(file): \(key): \(message)" }
    return "\(file): \(message)"
  }
}

/// One entry of a ROOT directory (a `TKey`), highest cycle per name.
public struct ROOTKeyInfo: Sendable, Equatable {
  /// Object name (`TKey::fName`).
  public var name: String
  /// Class of the stored object, e.g. `"TH1D"` or `"TDirectoryFile"`.
  public var className: String
  /// Object title.
  public var title: String
  /// Cycle number; ROOT keeps several cycles of one name, the highest is the current one.
  public var cycle: Int

  public init(name: String, className: String, title: String, cycle: Int) {
    self.name = name
    self.className = className
    self.title = title
    self.cycle = cycle
  }
}

/// A malformed-input failure found while parsing; `ROOTFile` adds the file and key to make a `ROOTIOError`.
struct FormatError: Error, Equatable {
  var message: String
  init(_ message: String) { self.message = message }
}
