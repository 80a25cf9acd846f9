//===--- AtomicWrite.swift ------------------------------------------------===//
// Atomic output files (temporary file + rename), shared by every module that writes.
//===----------------------------------------------------------------------===//

import Foundation

/// An output file that could not be written.
public struct FileWriteError: RecombineError, Sendable {
  public var path: String
  public var message: String
  public var description: String { "\(path): \(message)" }
}

/// Writes `bytes` to `path` atomically — every output of Recombine goes through here: a unique
/// temporary file next to `path` (mkstemp), written in full, given `mode`, fsync'ed, then rename(2)d
/// over `path`. A reader sees the old file or the new one, never a part; a failure leaves no
/// temporary file behind.
public func writeFileAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
  func fail(_ what: String) -> FileWriteError {
    FileWriteError(path: path, message: "\(what): \(String(cString: strerror(errno)))")
  }
  let url = URL(fileURLWithPath: path)
  let directory = url.deletingLastPathComponent().path
  var template = Array((directory + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
  let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
  guard fd >= 0 else { throw fail("cannot create a temporary file in \(directory)") }
  let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
  var ok = false
  defer { if !ok { unlink(temporary) } }
  do {
    defer { close(fd) }
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
      if n < 0 {
        if errno == EINTR { continue }
        throw fail("cannot write \(temporary)")
      }
      written += n
    }
    guard fchmod(fd, mode) == 0 else { throw fail("cannot set the mode of \(temporary)") }
    guard fsync(fd) == 0 else { throw fail("cannot flush \(temporary)") }
  }
  guard rename(temporary, path) == 0 else { throw fail("cannot rename \(temporary) to \(path)") }
  ok = true
}

/// Text (UTF-8), written atomically as the bytes version does.
public func writeFileAtomically(_ text: String, to path: String, mode: mode_t = 0o644) throws {
  try writeFileAtomically(Array(text.utf8), to: path, mode: mode)
}
