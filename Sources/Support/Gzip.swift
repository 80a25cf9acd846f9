//===--- Gzip.swift -------------------------------------------------------===//
// zlib compression for every module that reads or writes `.gz` (and raw deflate) data.
//===----------------------------------------------------------------------===//

import CCompression
import Foundation

/// A zlib failure.
public struct GzipError: RecombineError, Sendable {
  public var description: String
}

/// gzip (RFC 1952), zlib and raw-deflate compression with zlib.
public enum Gzip {
  /// True when the bytes start with the gzip magic number.
  public static func isCompressed(_ bytes: [UInt8]) -> Bool { bytes.count > 2 && bytes[0] == 0x1f && bytes[1] == 0x8b }

  /// Decompresses. `windowBits` 15 + 32 (default) accepts gzip or zlib headers and concatenated gzip
  /// members; −15 reads a raw deflate stream (zip archives).
  /// The most a decompression may produce unless the caller says otherwise (1 GiB): a few kB of
  /// compressed blanks can inflate to gigabytes.
  public static let defaultLimit = 1 << 30

  public static func decompress(_ input: [UInt8], windowBits: Int32 = 15 + 32, limit: Int = defaultLimit) throws -> [UInt8] {
    var stream = z_stream()
    guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw GzipError(description: "zlib initialisation failed")
    }
    defer { inflateEnd(&stream) }
    return try pump(input, &stream, reserve: min(input.count * 4, limit), limit: limit) { stream in
      let status = inflate(&stream, Z_NO_FLUSH)
      if status == Z_STREAM_END {
        if stream.avail_in == 0 || windowBits < 0 { return .done }
        guard inflateReset(&stream) == Z_OK else { throw GzipError(description: "corrupt gzip member") }
        return .more
      }
      guard status == Z_OK else {
        throw GzipError(description: "corrupt or truncated compressed data (zlib status \(status))")
      }
      return .more
    } stalled: { stream, produced in
      if stream.avail_in == 0 && produced == 0 { throw GzipError(description: "truncated compressed data") }
    }
  }

  /// Compresses. `windowBits` 31 (default) writes gzip framing, −15 raw deflate.
  public static func compress(_ input: [UInt8], windowBits: Int32 = 31, level: Int32 = 6) throws -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                        Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else { throw GzipError(description: "zlib initialisation failed") }
    defer { deflateEnd(&stream) }
    return try pump(input, &stream, reserve: 0, limit: .max) { stream in
      let status = deflate(&stream, Z_FINISH)
      if status == Z_STREAM_END { return .done }
      guard status == Z_OK || status == Z_BUF_ERROR else { throw GzipError(description: "compression failed (zlib status \(status))") }
      return .more
    } stalled: { _, _ in }
  }

  private enum Step { case more, done }

  /// Feeds `input` to an initialised zlib stream through a 256 KiB output window: `step` runs the
  /// (de)compressor once and says whether the stream is finished (checked after the window's output
  /// is kept); `stalled` checks a step that made no progress.
  private static func pump(
    _ input: [UInt8], _ stream: inout z_stream, reserve: Int, limit: Int,
    step: (inout z_stream) throws -> Step, stalled: (z_stream, Int) throws -> Void
  ) throws -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(reserve)
    var chunk = [UInt8](repeating: 0, count: 1 << 18)
    try input.withUnsafeBufferPointer { inBuf in
      stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
      stream.avail_in = UInt32(inBuf.count)
      while true {
        let result: Result<Step, Error> = chunk.withUnsafeMutableBufferPointer { out in
          stream.next_out = out.baseAddress
          stream.avail_out = UInt32(out.count)
          return Result { try step(&stream) }
        }
        let produced = chunk.count - Int(stream.avail_out)
        output.append(contentsOf: chunk[0..<produced])
        guard output.count <= limit else {
          throw GzipError(description: "the data inflate to more than \(limit) bytes (a decompression bomb, or a file too large for this use)")
        }
        if try result.get() == .done { return }
        try stalled(stream, produced)
      }
    }
    return output
  }
}

/// The bytes of a file, gunzipped when they start with the gzip magic number (so `.gz` or not,
/// whatever the name says). Errors (`FileReadError`) name `path`.
public func readFileMaybeGzipped(_ path: String) throws -> [UInt8] {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw FileReadError("\(path): cannot read the file")
  }
  let bytes = [UInt8](data)
  guard bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b else { return bytes }
  do { return try Gzip.decompress(bytes) } catch let e as GzipError {
    throw FileReadError("\(path): corrupt gzip data (\(e.description))")
  }
}

/// Writes `bytes` atomically (`writeFileAtomically`), gzip-compressed when `path` ends in `.gz`.
public func writeFileAtomicallyMaybeGzipped(_ bytes: [UInt8], to path: String) throws {
  try writeFileAtomically(path.hasSuffix(".gz") ? try Gzip.compress(bytes) : bytes, to: path)
}
