//===--- IO.swift ---------------------------------------------------------===//
// File reading (plain or gzipped), JSON value helpers, and a tiny YAML reader for pois.yaml.
//===----------------------------------------------------------------------===//

import CCompression
import Foundation

/// Reads a file, transparently gunzipping it when it starts with the gzip magic bytes.
func readMaybeGzipped(_ path: String) throws -> Data {
  guard let data = FileManager.default.contents(atPath: path) else { throw EFTError("cannot read '\(path)'") }
  if data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b {
    return Data(try inflateGzip([UInt8](data)))
  }
  return data
}

/// gzip (RFC 1952) decompression with zlib, concatenated members included.
func inflateGzip(_ input: [UInt8]) throws -> [UInt8] {
  var output: [UInt8] = []
  var stream = z_stream()
  guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
    throw EFTError("zlib initialisation failed")
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
        guard inflateReset(&stream) == Z_OK else { throw EFTError("corrupt gzip member") }
        continue
      }
      guard status == Z_OK else { throw EFTError("corrupt or truncated gzip data (zlib status \(status))") }
      if stream.avail_in == 0 && produced == 0 { throw EFTError("truncated gzip data") }
    }
  }
  return output
}

/// gzip compression (for writing `.json.gz`).
func deflateGzip(_ input: [UInt8]) throws -> [UInt8] {
  var stream = z_stream()
  guard
    deflateInit2_(
      &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
      Int32(MemoryLayout<z_stream>.size)) == Z_OK
  else { throw EFTError("zlib initialisation failed") }
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
      guard status == Z_OK || status == Z_BUF_ERROR else { throw EFTError("gzip compression failed") }
    }
  }
  return output
}

/// Parses JSON from a (possibly gzipped) file into Foundation objects.
func readJSONObject(_ path: String) throws -> Any {
  let data = try readMaybeGzipped(path)
  do { return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
    throw EFTError("'\(path)': invalid JSON (\(error))")
  }
}

/// A JSON number as Double (JSONSerialization gives NSNumber, Int or Double).
func jsonNumber(_ v: Any?) -> Double? {
  switch v {
  case let d as Double: return d
  case let i as Int: return Double(i)
  case let n as NSNumber: return n.doubleValue
  default: return nil
  }
}

/// Serialises Foundation objects to JSON (sorted keys for stable output).
func writeJSONObject(_ object: Any, pretty: Bool = false) throws -> Data {
  var opts: JSONSerialization.WritingOptions = [.sortedKeys]
  if pretty { opts.insert(.prettyPrinted) }
  return try JSONSerialization.data(withJSONObject: object, options: opts)
}

/// The subset of YAML that STXStoSMEFT's `pois.yaml` uses: a top-level mapping of names to
/// mappings of scalars (`name:` then indented `key: value`), `---` and `#` comments.
/// Returns the entries in file order.
func parseSimpleYAML(_ text: String) throws -> [(name: String, fields: [String: String])] {
  var out: [(String, [String: String])] = []
  for (n, raw) in text.components(separatedBy: .newlines).enumerated() {
    var line = raw
    if let h = line.firstIndex(of: "#") { line = String(line[..<h]) }
    if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("---") { continue }
    let indented = line.first == " " || line.first == "\t"
    let t = line.trimmingCharacters(in: .whitespaces)
    guard let colon = t.firstIndex(of: ":") else { throw EFTError("pois.yaml line \(n + 1): expected 'key: value'") }
    let key = t[..<colon].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
    let value = t[t.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    if !indented {
      out.append((key, [:]))
    } else {
      guard !out.isEmpty else { throw EFTError("pois.yaml line \(n + 1): field outside an entry") }
      out[out.count - 1].1[key] = value
    }
  }
  return out
}
