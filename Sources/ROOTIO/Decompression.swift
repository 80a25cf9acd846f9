import CCompression

/// Decompresses a ROOT compressed record: a sequence of blocks, each with a 9-byte header —
/// a 2-character algorithm tag, a method byte, then 3-byte little-endian compressed and uncompressed
/// sizes — concatenating the output. The blocks must consume `compressed` exactly and produce exactly
/// `expectedSize` bytes. Supported tags: `ZL` (zlib), `XZ` (.xz container), `L4` (8-byte big-endian
/// XXH64 of the LZ4 block that follows, then a raw LZ4 block), `ZS` (zstd frame).
///
/// Memory grows only with output actually produced (at most one 16 MiB block ahead of it).
func decompress(_ compressed: ArraySlice<UInt8>, expectedSize: Int) throws -> [UInt8] {
  guard expectedSize >= 0 else { throw FormatError("negative uncompressed size \(expectedSize)") }
  var output: [UInt8] = []
  var position = compressed.startIndex
  var blockNumber = 0
  while position < compressed.endIndex {
    blockNumber += 1
    guard compressed.endIndex - position >= 9 else {
      throw FormatError("compressed block \(blockNumber) is truncated: \(compressed.endIndex - position) bytes, less than its 9-byte header")
    }
    let tag = String(decoding: compressed[position..<(position + 2)], as: UTF8.self)
    func size(_ at: Int) -> Int {
      Int(compressed[at]) | Int(compressed[at + 1]) << 8 | Int(compressed[at + 2]) << 16
    }
    let packedSize = size(position + 3)
    let unpackedSize = size(position + 6)
    let dataStart = position + 9
    guard packedSize <= compressed.endIndex - dataStart else {
      throw FormatError("compressed block \(blockNumber) (\(tag)) declares \(packedSize) bytes but only \(compressed.endIndex - dataStart) remain")
    }
    guard unpackedSize <= expectedSize - output.count else {
      throw FormatError("compressed block \(blockNumber) (\(tag)) would decompress past the object's size \(expectedSize)")
    }
    let block = compressed[dataStart..<(dataStart + packedSize)]
    let part = try decompressBlock(tag: tag, block, size: unpackedSize, number: blockNumber)
    if output.isEmpty { output = part } else { output.append(contentsOf: part) }
    position = dataStart + packedSize
  }
  guard output.count == expectedSize else {
    throw FormatError("compressed data gave \(output.count) bytes, expected \(expectedSize)")
  }
  return output
}

func decompress(_ compressed: [UInt8], expectedSize: Int) throws -> [UInt8] {
  try decompress(compressed[...], expectedSize: expectedSize)
}

/// Decompresses one block, which must give exactly `size` bytes.
private func decompressBlock(tag: String, _ block: ArraySlice<UInt8>, size: Int, number: Int) throws -> [UInt8] {
  try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
    initialized = 0
    let produced = try block.withUnsafeBytes { src in try decode(tag: tag, src, UnsafeMutableRawBufferPointer(buffer)) }
    guard produced == size else {
      throw FormatError("compressed block \(number) (\(tag)) gave \(produced) bytes, its header says \(size)")
    }
    initialized = size
  }
}

/// Decodes one block body `src` into `dst` (whose count is the declared uncompressed size).
private func decode(tag: String, _ src: UnsafeRawBufferPointer, _ dst: UnsafeMutableRawBufferPointer) throws -> Int {
  guard let srcBase = src.baseAddress, src.count > 0 else { throw FormatError("empty \(tag) block") }
  // A zero-length destination still needs a valid pointer for the C APIs.
  var scratch: UInt8 = 0
  return try withUnsafeMutablePointer(to: &scratch) { scratchPointer -> Int in
    let dstBase = dst.baseAddress ?? UnsafeMutableRawPointer(scratchPointer)
    switch tag {
    case "ZL":
      var length = uLongf(dst.count)
      let status = uncompress(dstBase.assumingMemoryBound(to: Bytef.self), &length,
                              srcBase.assumingMemoryBound(to: Bytef.self), uLong(src.count))
      guard status == Z_OK else { throw FormatError("zlib (ZL) block is corrupt: zlib status \(status)") }
      return Int(length)
    case "XZ":
      var memoryLimit: UInt64 = 1 << 30
      var inPosition = 0
      var outPosition = 0
      let status = lzma_stream_buffer_decode(&memoryLimit, 0, nil, srcBase.assumingMemoryBound(to: UInt8.self),
                                             &inPosition, src.count, dstBase.assumingMemoryBound(to: UInt8.self),
                                             &outPosition, dst.count)
      guard status == LZMA_OK else { throw FormatError("LZMA (XZ) block is corrupt: lzma status \(status.rawValue)") }
      return outPosition
    case "L4":
      guard src.count > 8 else { throw FormatError("LZ4 (L4) block of \(src.count) bytes is shorter than its checksum") }
      let stored = src.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
      let payload = srcBase + 8
      let computed = XXH64(payload, src.count - 8, 0)
      guard computed == stored else {
        throw FormatError("LZ4 (L4) block checksum mismatch: stored XXH64 \(hex(stored)), computed \(hex(computed))")
      }
      let n = LZ4_decompress_safe(payload.assumingMemoryBound(to: CChar.self), dstBase.assumingMemoryBound(to: CChar.self),
                                  Int32(src.count - 8), Int32(dst.count))
      guard n >= 0 else { throw FormatError("LZ4 (L4) block is corrupt: LZ4 status \(n)") }
      return Int(n)
    case "ZS":
      let n = ZSTD_decompress(dstBase, dst.count, srcBase, src.count)
      guard ZSTD_isError(n) == 0 else {
        throw FormatError("zstd (ZS) block is corrupt: \(String(cString: ZSTD_getErrorName(n)))")
      }
      return n
    case "CS":
      throw FormatError("compression algorithm 'CS' (old ROOT) is not supported")
    default:
      let printable = tag.unicodeScalars.allSatisfy { $0.value >= 32 && $0.value < 127 }
      throw FormatError("unknown compression algorithm tag \(printable ? "'\(tag)'" : "(unprintable)"); expected ZL, XZ, L4 or ZS")
    }
  }
}

private func hex(_ value: UInt64) -> String {
  let digits = String(value, radix: 16)
  return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
}
