//===--- JSON.swift -------------------------------------------------------===//
// Reading JSON exactly (numbers correctly rounded) from plain or gzipped files, and writing it
// with stable key order; a reader for the small YAML subset of STXStoSMEFT's pois.yaml.
//===----------------------------------------------------------------------===//

import Foundation

/// Parses JSON from a (possibly gzipped) file into Foundation objects.
public func readJSONObject(_ path: String) throws -> Any {
  let data = Data(try readFileMaybeGzipped(path))
  do { return try ExactJSONParser.parse(data) } catch { throw FileReadError("'\(path)': \(error)") }
}

/// A JSON number as Double (JSONSerialization gives NSNumber, Int or Double).
public func jsonNumber(_ v: Any?) -> Double? {
  switch v {
  case let d as Double: return d
  case let i as Int: return Double(i)
  case let n as NSNumber: return n.doubleValue
  default: return nil
  }
}

/// Serialises Foundation objects to JSON (sorted keys for stable output).
public func writeJSONObject(_ object: Any, pretty: Bool = false) throws -> Data {
  var opts: JSONSerialization.WritingOptions = [.sortedKeys]
  if pretty { opts.insert(.prettyPrinted) }
  return try JSONSerialization.data(withJSONObject: object, options: opts)
}


/// One top-level entry of a simple YAML file: its name, its line, and its `key: value` fields
/// (each with its line; values with surrounding quotes removed).
public struct YAMLEntry {
  public var name: String
  public var line: Int
  public var fields: [String: (value: String, line: Int)]
}

/// The subset of YAML that STXStoSMEFT's `pois.yaml` uses: a top-level mapping of names to
/// mappings of scalars (`name:` then indented `key: value`), `---` and `#` comments.
/// Returns the entries in file order. A repeated entry or field is an error; errors start with
/// `source` and the line number.
public func parseSimpleYAML(_ text: String, source: String) throws -> [YAMLEntry] {
  func unquoted(_ s: String) -> String {
    s.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
  }
  var out: [YAMLEntry] = []
  var entryLine: [String: Int] = [:]
  for (n, raw) in text.components(separatedBy: .newlines).enumerated() {
    let lineNumber = n + 1
    var line = raw
    if let h = line.firstIndex(of: "#") { line = String(line[..<h]) }
    if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("---") { continue }
    let indented = line.first == " " || line.first == "\t"
    let t = line.trimmingCharacters(in: .whitespaces)
    guard let colon = t.firstIndex(of: ":") else {
      throw FileReadError("\(source) line \(lineNumber): expected 'key: value'")
    }
    let key = unquoted(String(t[..<colon]))
    let value = unquoted(String(t[t.index(after: colon)...]))
    if !indented {
      if let first = entryLine[key] {
        throw FileReadError("\(source) line \(lineNumber): duplicate entry '\(key)' (first at line \(first))")
      }
      entryLine[key] = lineNumber
      out.append(YAMLEntry(name: key, line: lineNumber, fields: [:]))
    } else {
      guard !out.isEmpty else { throw FileReadError("\(source) line \(lineNumber): field outside an entry") }
      if let first = out[out.count - 1].fields[key] {
        throw FileReadError(
          "\(source) line \(lineNumber): duplicate field '\(key)' in '\(out[out.count - 1].name)' (first at line \(first.line))")
      }
      out[out.count - 1].fields[key] = (value, lineNumber)
    }
  }
  return out
}

/// A small exact JSON parser producing Foundation-style values ([String: Any], [Any], String,
/// Double, Bool, NSNull). Numbers are converted with Swift's `Double(_:)` (correctly rounded);
/// swift-corelibs-foundation's JSONSerialization can be off by a few ulps, which would break
/// bit-identical round trips.
public struct ExactJSONParser {
  let bytes: [UInt8]
  var pos = 0
  /// The current nesting of objects and arrays, at most `maximumDepth`.
  var depth = 0
  static let maximumDepth = 512

  public static func parse(_ data: Data) throws -> Any {
    var p = ExactJSONParser(bytes: [UInt8](data))
    p.skipWhitespace()
    let v = try p.value()
    p.skipWhitespace()
    guard p.pos == p.bytes.count else { throw p.error("trailing characters") }
    return v
  }

  init(bytes: [UInt8]) {
    self.bytes = bytes
    // Skip a UTF-8 byte-order mark.
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
  }

  func error(_ msg: String) -> JSONSyntaxError { JSONSyntaxError("invalid JSON at byte \(pos): \(msg)") }

  mutating func skipWhitespace() {
    while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
  }

  mutating func expect(_ literal: String, _ value: Any) throws -> Any {
    let l = Array(literal.utf8)
    guard pos + l.count <= bytes.count, Array(bytes[pos..<pos + l.count]) == l else {
      throw error("bad literal")
    }
    pos += l.count
    return value
  }

  mutating func value() throws -> Any {
    guard pos < bytes.count else { throw error("unexpected end") }
    switch bytes[pos] {
    case UInt8(ascii: "{"):
      var obj: [String: Any] = [:]
      try elements(close: UInt8(ascii: "}"), in: "object") { p in
        guard p.pos < p.bytes.count, p.bytes[p.pos] == UInt8(ascii: "\"") else { throw p.error("expected a key") }
        let k = try p.string()
        p.skipWhitespace()
        guard p.pos < p.bytes.count, p.bytes[p.pos] == UInt8(ascii: ":") else { throw p.error("expected ':'") }
        p.pos += 1
        p.skipWhitespace()
        obj[k] = try p.value()
      }
      return obj
    case UInt8(ascii: "["):
      var arr: [Any] = []
      try elements(close: UInt8(ascii: "]"), in: "array") { p in arr.append(try p.value()) }
      return arr
    case UInt8(ascii: "\""): return try string()
    case UInt8(ascii: "t"): return try expect("true", true)
    case UInt8(ascii: "f"): return try expect("false", false)
    case UInt8(ascii: "n"): return try expect("null", NSNull())
    case UInt8(ascii: "N"): return try expect("NaN", Double.nan)  // Python's json writes NaN
    case UInt8(ascii: "I"): return try expect("Infinity", Double.infinity)
    default:
      let start = pos
      if bytes[pos] == UInt8(ascii: "-") && pos + 1 < bytes.count
        && bytes[pos + 1] == UInt8(ascii: "I")
      {
        pos += 1
        _ = try expect("Infinity", 0)
        return -Double.infinity
      }
      while pos < bytes.count, let c = Optional(bytes[pos]),
        (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
          || c == UInt8(ascii: ".")
          || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
      {
        pos += 1
      }
      guard pos > start, let s = String(bytes: bytes[start..<pos], encoding: .ascii),
        let d = Double(s)
      else {
        throw error("bad number")
      }
      return d
    }
  }

  /// The elements of an object or array after its opening bracket (at `pos`): `element` reads one
  /// (whitespace before it skipped), separated by `,` and ended by `close`.
  mutating func elements(close: UInt8, in what: String, _ element: (inout ExactJSONParser) throws -> Void) throws {
    // The parser recurses once per level: a bound keeps a hostile file from overflowing the stack.
    guard depth < Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
    depth += 1
    defer { depth -= 1 }
    pos += 1
    skipWhitespace()
    if pos < bytes.count && bytes[pos] == close {
      pos += 1
      return
    }
    while true {
      skipWhitespace()
      try element(&self)
      skipWhitespace()
      guard pos < bytes.count else { throw error("unexpected end in \(what)") }
      if bytes[pos] == UInt8(ascii: ",") {
        pos += 1
        continue
      }
      guard bytes[pos] == close else { throw error("expected ',' or '\(Character(Unicode.Scalar(close)))'") }
      pos += 1
      return
    }
  }

  mutating func string() throws -> String {
    pos += 1  // opening quote
    var out: [UInt8] = []
    while pos < bytes.count {
      let c = bytes[pos]
      pos += 1
      if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
      if c != UInt8(ascii: "\\") {
        out.append(c)
        continue
      }
      guard pos < bytes.count else { break }
      let e = bytes[pos]
      pos += 1
      switch e {
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "u"):
        guard pos + 4 <= bytes.count, let h = String(bytes: bytes[pos..<pos + 4], encoding: .ascii),
          var code = UInt32(h, radix: 16)
        else { throw error("bad \\u escape") }
        pos += 4
        if (0xD800..<0xDC00).contains(code), pos + 6 <= bytes.count,
          bytes[pos] == UInt8(ascii: "\\"),
          bytes[pos + 1] == UInt8(ascii: "u"),
          let h2 = String(bytes: bytes[pos + 2..<pos + 6], encoding: .ascii),
          let low = UInt32(h2, radix: 16), (0xDC00..<0xE000).contains(low)
        {
          pos += 6
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        out.append(contentsOf: Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8))
      default: out.append(e)  // \" \\ \/
      }
    }
    throw error("unterminated string")
  }
}

/// A JSON syntax error: where and what (`invalid JSON at byte N: …`).
public struct JSONSyntaxError: RecombineError, Sendable {
  public var description: String
  init(_ description: String) { self.description = description }
}
