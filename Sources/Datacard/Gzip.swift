//===--- Gzip.swift -------------------------------------------------------===//
// gzip decompression of `.gz` datacards (zlib's inflate with gzip framing).
//===----------------------------------------------------------------------===//

import CCompression

public struct GzipError: Error, CustomStringConvertible {
  public
  var description: String
}

/// gzip (RFC 1952) compression and decompression with zlib, shared by every module that reads or
/// writes `.gz` files.
public enum Gzip {
  /// True when the bytes start with the gzip magic number.
  public static func isCompressed(_ bytes: [UInt8]) -> Bool { bytes.count > 2 && bytes[0] == 0x1f && bytes[1] == 0x8b }

  /// Decompresses a gzip (or zlib) stream, including concatenated gzip members.
  public static func decompress(_ input: [UInt8]) throws -> [UInt8] { try gunzip(input) }

  /// Compresses to a gzip stream.
  public static func compress(_ input: [UInt8]) throws -> [UInt8] {
    var stream = z_stream()
    guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                        Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else { throw GzipError(description: "zlib initialisation failed") }
    defer { deflateEnd(&stream) }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    try input.withUnsafeBufferPointer { inBuf in
      stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
      stream.avail_in = UInt32(inBuf.count)
      while true {
        let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
          stream.next_out = out.baseAddress
          stream.avail_out = UInt32(out.count)
          return deflate(&stream, Z_FINISH)
        }
        output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
        if status == Z_STREAM_END { return }
        guard status == Z_OK || status == Z_BUF_ERROR else { throw GzipError(description: "gzip compression failed") }
      }
    }
    return output
  }
}

/// Decompresses a gzip (RFC 1952) stream, including concatenated members.
func gunzip(_ input: [UInt8]) throws -> [UInt8] {
  var output: [UInt8] = []
  var stream = z_stream()
  // 15 + 32: accept zlib or gzip headers automatically.
  guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
    throw GzipError(description: "zlib initialisation failed")
  }
  defer { inflateEnd(&stream) }
  var chunk = [UInt8](repeating: 0, count: 1 << 16)
  try input.withUnsafeBufferPointer { inBuf in
    stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
    stream.avail_in = UInt32(inBuf.count)
    while true {
      let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
        stream.next_out = out.baseAddress
        stream.avail_out = UInt32(out.count)
        return inflate(&stream, Z_NO_FLUSH)
      }
      let produced = chunk.count - Int(stream.avail_out)
      output.append(contentsOf: chunk[0..<produced])
      if status == Z_STREAM_END {
        if stream.avail_in == 0 { return }
        // Another gzip member follows.
        guard inflateReset(&stream) == Z_OK else { throw GzipError(description: "corrupt gzip member") }
        continue
      }
      guard status == Z_OK else {
        throw GzipError(description: "corrupt or truncated gzip data (zlib status \(status))")
      }
      if stream.avail_in == 0 && produced == 0 { throw GzipError(description: "truncated gzip data") }
    }
  }
  return output
}
