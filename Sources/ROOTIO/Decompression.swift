//===--- Decompression.swift ----------------------------------------------===//
// ROOT's compressed-record framing: ZL (zlib), XZ (LZMA), L4 (LZ4 + XXH64), ZS (ZSTD).
//===----------------------------------------------------------------------===//

import CCompression

/// Decompresses a ROOT record: a sequence of blocks, each with a 9-byte header
/// `[2-char algorithm][method][3-byte LE compressed size][3-byte LE uncompressed size]`,
/// concatenating the outputs until `expectedSize` bytes are produced.
///
/// Algorithms: `ZL` zlib stream; `XZ` .xz container; `L4` an 8-byte big-endian XXH64 (seed 0)
/// of the LZ4 block that follows, then a raw LZ4 block (the compressed size includes the 8
/// checksum bytes); `ZS` a zstd frame. ROOT's old `CS` algorithm is not supported.
func decompress(_ input: ArraySlice<UInt8>, expectedSize: Int) throws -> [UInt8] {
  guard expectedSize >= 0, expectedSize <= 1 << 31 else { throw FormatError("implausible uncompressed size \(expectedSize)") }
  var out = [UInt8](repeating: 0, count: expectedSize)
  var produced = 0
  var pos = input.startIndex
  while produced < expectedSize {
    guard input.endIndex - pos >= 9 else {
      throw FormatError("truncated compressed record (\(produced) of \(expectedSize) bytes produced)")
    }
    let tag = String(decoding: input[pos..<(pos + 2)], as: UTF8.self)
    let c = Int(input[pos + 3]) | Int(input[pos + 4]) << 8 | Int(input[pos + 5]) << 16
    let u = Int(input[pos + 6]) | Int(input[pos + 7]) << 8 | Int(input[pos + 8]) << 16
    let start = pos + 9
    guard c > 0, c <= input.endIndex - start else { throw FormatError("compressed block of \(c) bytes overruns the record") }
    guard u > 0, u <= expectedSize - produced else {
      throw FormatError("block claims \(u) uncompressed bytes, only \(expectedSize - produced) expected")
    }
    let block = input[start..<(start + c)]
    let n: Int = try out.withUnsafeMutableBufferPointer { outBuf in
      let dst = outBuf.baseAddress! + produced
      return try block.withUnsafeBufferPointer { src -> Int in
        switch tag {
        case "ZL":
          var destLen = uLongf(u)
          let st = uncompress(dst, &destLen, src.baseAddress, uLong(c))
          guard st == Z_OK else { throw FormatError("zlib block is corrupt (status \(st))") }
          return Int(destLen)
        case "XZ":
          var memlimit: UInt64 = 1 << 30
          var inPos = 0, outPos = 0
          let st = lzma_stream_buffer_decode(&memlimit, 0, nil, src.baseAddress, &inPos, c, dst, &outPos, u)
          guard st == LZMA_OK else { throw FormatError("LZMA block is corrupt (status \(st.rawValue))") }
          return outPos
        case "L4":
          guard c > 8 else { throw FormatError("LZ4 block too short for its checksum") }
          var expected: UInt64 = 0
          for i in 0..<8 { expected = expected << 8 | UInt64(src[i]) }
          let actual = XXH64(src.baseAddress! + 8, c - 8, 0)
          guard actual == expected else { throw FormatError("LZ4 block checksum mismatch (corrupted data)") }
          let r = src.baseAddress!.advanced(by: 8).withMemoryRebound(to: CChar.self, capacity: c - 8) { s in
            dst.withMemoryRebound(to: CChar.self, capacity: u) { d in LZ4_decompress_safe(s, d, Int32(c - 8), Int32(u)) }
          }
          guard r >= 0 else { throw FormatError("LZ4 block is corrupt") }
          return Int(r)
        case "ZS":
          let r = ZSTD_decompress(dst, u, src.baseAddress, c)
          guard ZSTD_isError(r) == 0 else { throw FormatError("ZSTD block is corrupt") }
          return r
        case "CS":
          throw FormatError("ROOT's old 'CS' compression is not supported (re-save the file with a newer ROOT)")
        default:
          throw FormatError("unknown compression algorithm '\(tag)'")
        }
      }
    }
    guard n == u else { throw FormatError("\(tag) block produced \(n) bytes, header says \(u)") }
    produced += n
    pos = start + c
  }
  return out
}
