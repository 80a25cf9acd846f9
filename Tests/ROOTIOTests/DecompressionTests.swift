import CCompression
import Support
import Testing
@testable import ROOTIO

/// Builds ROOT compressed records in memory with the C libraries and feeds them to `decompress`.
@Suite struct DecompressionTests {
  /// A ROOT block header: tag, method byte, 3-byte little-endian compressed and uncompressed sizes.
  static func header(_ tag: String, _ packed: Int, _ unpacked: Int) -> [UInt8] {
    Array(tag.utf8) + [0] + [packed, unpacked].flatMap { n in (0..<3).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } }
  }

  static func block(_ tag: String, _ input: [UInt8]) -> [UInt8] {
    var body: [UInt8]
    switch tag {
    case "ZL":
      var length = compressBound(uLong(input.count))
      body = [UInt8](repeating: 0, count: Int(length))
      #expect(compress2(&body, &length, input, uLong(input.count), 6) == Z_OK)
      body.removeLast(body.count - Int(length))
    case "XZ":
      body = [UInt8](repeating: 0, count: input.count + 1024)
      var used = 0
      #expect(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nil, input, input.count, &body, &used, body.count) == LZMA_OK)
      body.removeLast(body.count - used)
    case "L4":
      var raw = [UInt8](repeating: 0, count: Int(LZ4_compressBound(Int32(input.count))))
      let n = raw.withUnsafeMutableBytes { out in
        input.withUnsafeBytes { src in
          LZ4_compress_default(src.baseAddress!.assumingMemoryBound(to: CChar.self),
                               out.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(input.count), Int32(out.count))
        }
      }
      raw.removeLast(raw.count - Int(n))
      let checksum = XXH64(raw, raw.count, 0)
      body = (0..<8).map { UInt8(truncatingIfNeeded: checksum >> (56 - 8 * $0)) } + raw
    default:  // "ZS"
      body = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
      let n = ZSTD_compress(&body, body.count, input, input.count, 3)
      #expect(ZSTD_isError(n) == 0)
      body.removeLast(body.count - n)
    }
    return header(tag, body.count, input.count) + body
  }

  static func payload(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(state: seed)
    return (0..<count).map { i in i % 7 == 0 ? UInt8.random(in: 0...255, using: &rng) : UInt8(i % 61) }
  }

  @Test(arguments: ["ZL", "XZ", "L4", "ZS"])
  func multipleBlocks(_ tag: String) throws {
    let parts = [Self.payload(1000, seed: 1), Self.payload(70_000, seed: 2), Self.payload(5, seed: 3)]
    let record = parts.flatMap { Self.block(tag, $0) }
    #expect(try decompress(record, expectedSize: 71_005) == parts.flatMap { $0 })
    // Wrong expected size, truncated record, trailing garbage.
    #expect(throws: FormatError.self) { _ = try decompress(record, expectedSize: 71_004) }
    #expect(throws: FormatError.self) { _ = try decompress(record, expectedSize: 71_006) }
    #expect(throws: FormatError.self) { _ = try decompress(Array(record.dropLast()), expectedSize: 71_005) }
    #expect(throws: FormatError.self) { _ = try decompress(record + [0, 1], expectedSize: 71_005) }
  }

  @Test func mixedAlgorithmsInOneRecord() throws {
    let parts = (0..<4).map { Self.payload(3000 + $0, seed: UInt64($0)) }
    let record = zip(["ZL", "XZ", "L4", "ZS"], parts).flatMap { Self.block($0, $1) }
    #expect(try decompress(record, expectedSize: parts.map(\.count).reduce(0, +)) == parts.flatMap { $0 })
  }

  /// ROOT splits objects into blocks of at most 16 777 215 bytes: a 17 MB object needs two.
  @Test func blockSizeLimit() throws {
    let total = 17_000_000
    var input = [UInt8](repeating: 7, count: total)
    for i in stride(from: 0, to: total, by: 4099) { input[i] = UInt8(i % 251) }
    let first = 16_777_215
    let record = Self.block("ZS", Array(input[..<first])) + Self.block("ZS", Array(input[first...]))
    #expect(try decompress(record, expectedSize: total) == input)
  }

  @Test func corruptBlocksAreRejected() throws {
    let input = Self.payload(5000, seed: 9)
    var lz4 = Self.block("L4", input)
    lz4[lz4.count - 10] ^= 0x20
    #expect(throws: FormatError.self) { _ = try decompress(lz4, expectedSize: input.count) }
    do {
      _ = try decompress(lz4, expectedSize: input.count)
    } catch let error as FormatError {
      #expect(error.message.contains("checksum"))
    }
    var cs = Self.block("ZL", input)
    cs[0] = UInt8(ascii: "C")
    cs[1] = UInt8(ascii: "S")
    #expect(throws: FormatError("compression algorithm 'CS' (old ROOT) is not supported")) {
      _ = try decompress(cs, expectedSize: input.count)
    }
    cs[0] = UInt8(ascii: "Q")
    #expect(throws: FormatError("unknown compression algorithm tag 'QS'; expected ZL, XZ, L4 or ZS")) {
      _ = try decompress(cs, expectedSize: input.count)
    }
    for tag in ["ZL", "XZ", "ZS"] {
      var block = Self.block(tag, input)
      block[block.count / 2] ^= 0xFF
      block[block.count / 2 + 1] ^= 0xFF
      do {
        #expect(try decompress(block, expectedSize: input.count) != input, "\(tag) corruption unnoticed")
      } catch is FormatError {}
    }
    // A header that claims more output than the object has: rejected before decompressing.
    let lying = Self.header("ZS", 10, 16_777_215) + [UInt8](repeating: 0, count: 10)
    #expect(throws: FormatError.self) { _ = try decompress(lying, expectedSize: 100) }
    #expect(throws: FormatError.self) { _ = try decompress([UInt8](repeating: 0, count: 5), expectedSize: 1) }
  }

  /// Decompression stops at a cap (gzip bombs): 16 MiB of blanks inflate under the default cap,
  /// and fail, naming the cap, under a 1 MiB one.
  @Test func gzipInflationIsCapped() throws {
    let blanks = [UInt8](repeating: 0x20, count: 16 << 20)
    let gz = try Gzip.compress(blanks)
    #expect(gz.count < 100_000)
    #expect(try Gzip.decompress(gz) == blanks)
    #expect(throws: GzipError.self) { try Gzip.decompress(gz, limit: 1 << 20) }
    do { _ = try Gzip.decompress(gz, limit: 1 << 20) } catch let e as GzipError {
      #expect(e.description.contains("more than 1048576 bytes"))
    }
  }
}

