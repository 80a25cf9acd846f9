//===--- NPZ.swift --------------------------------------------------------===//
// NumPy .npz archives (zip of .npy arrays): read 1D/2D numeric arrays, write 1D float64 columns.
//===----------------------------------------------------------------------===//

import CCompression
import Foundation
import Support

/// Little-endian reads with bounds checks: reading past the end (or before the start) of `bytes`
/// throws a `BITError` naming `context` and the offset.
private struct LittleEndianReader {
  let bytes: [UInt8]
  let context: String

  func check(_ o: Int, _ size: Int, _ what: String) throws {
    guard o >= 0, o <= bytes.count - size else {
      throw BITError("\(context): truncated or corrupt (\(what) at byte \(o) of \(bytes.count))")
    }
  }
  func u16(_ o: Int, _ what: String) throws -> Int {
    try check(o, 2, what)
    return Int(bytes[o]) | Int(bytes[o + 1]) << 8
  }
  func u32(_ o: Int, _ what: String) throws -> Int {
    try check(o, 4, what)
    return Int(bytes[o]) | Int(bytes[o + 1]) << 8 | Int(bytes[o + 2]) << 16 | Int(bytes[o + 3]) << 24
  }
  /// A 64-bit size or offset; values above Int.max are rejected.
  func u64(_ o: Int, _ what: String) throws -> Int {
    try check(o, 8, what)
    var v: UInt64 = 0
    for k in 0..<8 { v |= UInt64(bytes[o + k]) << (8 * UInt64(k)) }
    guard v <= UInt64(Int.max) else { throw BITError("\(context): \(what) \(v) is too large") }
    return Int(v)
  }
  func slice(_ o: Int, _ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
    guard count >= 0 else { throw BITError("\(context): negative length of \(what)") }
    try check(o, count, what)
    return bytes[o..<(o + count)]
  }
}

/// Reads a `.npz` archive into a table. 1D arrays become columns named by the array; a 2D
/// `[N, K]` array `a` becomes columns `a_0 … a_{K−1}`. Little-endian float64/float32 and
/// integer arrays are supported; stored and deflated members both; values must be finite. Every
/// offset and length is checked against the file and every member's CRC-32 and size against the
/// directory, so a truncated or corrupt archive is a `BITError` naming the file (and the member),
/// never a crash.
public func readNPZ(_ path: String) throws -> Table {
  guard let data = FileManager.default.contents(atPath: path) else { throw BITError("cannot read \(path)") }
  let b = [UInt8](data)
  let r = LittleEndianReader(bytes: b, context: path)
  // end of central directory
  var eocd = -1
  var p = b.count - 22
  while p >= max(0, b.count - 22 - 65536) {
    if try r.u32(p, "end of central directory") == 0x0605_4b50 { eocd = p; break }
    p -= 1
  }
  guard eocd >= 0 else { throw BITError("\(path): not a zip (.npz) archive") }
  let entries = try r.u16(eocd + 10, "entry count")
  var cd = try r.u32(eocd + 16, "central directory offset")
  var names: [String] = []
  var columns: [[Double]] = []
  for _ in 0..<entries {
    guard try r.u32(cd, "central directory entry") == 0x0201_4b50 else { throw BITError("\(path): corrupt zip directory") }
    let method = try r.u16(cd + 10, "compression method")
    let crc = try r.u32(cd + 16, "CRC-32")
    var csize = try r.u32(cd + 20, "compressed size"), usize = try r.u32(cd + 24, "size")
    let nlen = try r.u16(cd + 28, "name length"), xlen = try r.u16(cd + 30, "extra length")
    let clen = try r.u16(cd + 32, "comment length")
    var off = try r.u32(cd + 42, "member offset")
    let name = String(decoding: try r.slice(cd + 46, nlen, "member name"), as: UTF8.self)
    let member = LittleEndianReader(bytes: b, context: "\(path): member \(name)")
    // zip64 extra field
    var x = cd + 46 + nlen
    let xend = x + xlen
    _ = try member.slice(x, xlen, "extra field")
    while x + 4 <= xend {
      let id = try member.u16(x, "extra field id"), sz = try member.u16(x + 2, "extra field size")
      guard x + 4 + sz <= xend else { throw BITError("\(path): member \(name): corrupt extra field") }
      if id == 1 {
        var q = x + 4
        func next(_ what: String) throws -> Int {
          guard q + 8 <= x + 4 + sz else { throw BITError("\(path): member \(name): zip64 field lacks the \(what)") }
          defer { q += 8 }
          return try member.u64(q, what)
        }
        if usize == 0xFFFF_FFFF { usize = try next("size") }
        if csize == 0xFFFF_FFFF { csize = try next("compressed size") }
        if off == 0xFFFF_FFFF { off = try next("offset") }
      }
      x += 4 + sz
    }
    cd = xend + clen
    guard try member.u32(off, "local header") == 0x0403_4b50 else { throw BITError("\(path): corrupt zip member \(name)") }
    let localName = try member.u16(off + 26, "local name length")
    let localExtra = try member.u16(off + 28, "local extra length")
    let start = off + 30 + localName + localExtra
    let raw = Array(try member.slice(start, csize, "data"))
    var npy: [UInt8]
    switch method {
    case 0: npy = raw
    case 8:
      // Inflate no further than the size the zip directory declares.
      do { npy = try Gzip.decompress(raw, windowBits: -15, limit: usize) } catch let e as GzipError {
        throw BITError("\(path): member \(name): cannot inflate: \(e.description)")
      }
    default: throw BITError("\(path): member \(name) uses unsupported compression \(method)")
    }
    guard npy.count == usize else {
      throw BITError("\(path): member \(name): \(npy.count) bytes, the directory says \(usize)")
    }
    let actual = npy.withUnsafeBufferPointer { Int(crc32(0, $0.baseAddress, UInt32($0.count))) }
    guard actual == crc else {
      throw BITError("\(path): member \(name): CRC-32 \(String(actual, radix: 16)), the directory says \(String(crc, radix: 16)) (corrupt data)")
    }
    let arrName = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
    let shape: [Int], values: [Double], fortran: Bool
    do { (shape, values, fortran) = try parseNPY(npy) } catch let e as BITError {
      throw BITError("\(path): member \(name): \(e.description)")
    }
    if let i = values.firstIndex(where: { !$0.isFinite }) {
      throw BITError("\(path): member \(name): element \(i) is \(values[i]), expected finite numbers")
    }
    if shape.count == 1 {
      names.append(arrName); columns.append(values)
    } else if shape.count == 2 {
      let (r, c) = (shape[0], shape[1])
      // Columns become features or weights: a header declaring millions (with no rows, so no data
      // to check the size against) is not an event table, and would loop over them.
      guard c <= 100_000 else {
        throw BITError("\(path): array \(arrName) declares shape (\(r), \(c)): more than 100000 columns is not an event table")
      }
      for j in 0..<c {
        names.append("\(arrName)_\(j)")
        columns.append((0..<r).map { i in fortran ? values[j * r + i] : values[i * c + j] })
      }
    } else {
      throw BITError("\(path): array \(arrName) has \(shape.count) dimensions (1 or 2 supported)")
    }
  }
  guard let n = columns.first?.count else { throw BITError("\(path): no arrays") }
  if let k = columns.firstIndex(where: { $0.count != n }) {
    throw BITError("\(path): arrays of different lengths (\(names[0]) has \(n) rows, \(names[k]) \(columns[k].count))")
  }
  var values = [Double](repeating: 0, count: n * columns.count)
  for (j, col) in columns.enumerated() { for i in 0..<n { values[i * columns.count + j] = col[i] } }
  return Table(names: names, values: values)
}

/// Parses one `.npy` array: (shape, values in storage order, fortran_order). Errors say what is
/// wrong, without the array's name (the caller adds it).
func parseNPY(_ b: [UInt8]) throws -> ([Int], [Double], Bool) {
  guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else {
    throw BITError("not a .npy array")
  }
  let r = LittleEndianReader(bytes: b, context: ".npy header")
  let major = b[6]
  guard (1...3).contains(major) else { throw BITError("unsupported .npy version \(major)") }
  let hlen = try major == 1 ? r.u16(8, "header length") : r.u32(8, "header length")
  let hstart = major == 1 ? 10 : 12
  let header = String(decoding: try r.slice(hstart, hlen, "header"), as: UTF8.self)
  func field(_ key: String) -> String? {
    guard let r = header.range(of: "'\(key)':") else { return nil }
    return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
  }
  guard let d = field("descr"), d.first == "'", let close = d.dropFirst().firstIndex(of: "'") else {
    throw BITError("no 'descr' in the .npy header")
  }
  let descr = String(d[d.index(after: d.startIndex)..<close])
  let fortran = field("fortran_order")?.hasPrefix("True") ?? false
  guard let s = field("shape"), s.first == "(", let c = s.firstIndex(of: ")") else {
    throw BITError("no 'shape' in the .npy header")
  }
  var shape: [Int] = []
  for part in s[s.index(after: s.startIndex)..<c].split(separator: ",") {
    let t = part.trimmingCharacters(in: .whitespaces)
    if t.isEmpty { continue }
    guard let k = Int(t), k >= 0 else { throw BITError("bad shape \(s[...c]): expected non-negative integers") }
    shape.append(k)
  }
  var count = 1
  for k in shape {
    let (m, overflow) = count.multipliedReportingOverflow(by: k)
    guard !overflow else { throw BITError("shape \(shape) is too large") }
    count = m
  }
  let data = hstart + hlen
  var v = [Double](repeating: 0, count: 0)
  func need(_ size: Int) throws {
    guard count <= (b.count - data) / size else {
      throw BITError("truncated array: shape \(shape) of \(descr) needs \(count) × \(size) bytes, \(b.count - data) present")
    }
    v = [Double](repeating: 0, count: count)
  }
  switch descr {
  case "<f8":
    try need(8)
    b.withUnsafeBytes { raw in for i in 0..<count { v[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: data + 8 * i, as: UInt64.self))) } }
  case "<f4":
    try need(4)
    b.withUnsafeBytes { raw in for i in 0..<count { v[i] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: data + 4 * i, as: UInt32.self)))) } }
  case "<i8":
    try need(8)
    b.withUnsafeBytes { raw in for i in 0..<count { v[i] = Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: data + 8 * i, as: Int64.self))) } }
  case "<i4":
    try need(4)
    b.withUnsafeBytes { raw in for i in 0..<count { v[i] = Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: data + 4 * i, as: Int32.self))) } }
  case "|b1", "|u1":
    try need(1)
    for i in 0..<count { v[i] = Double(b[data + i]) }
  default:
    throw BITError("unsupported dtype \(descr) (<f8, <f4, <i8, <i4, |b1, |u1)")
  }
  return (shape, v, fortran)
}

/// Writes a table as a `.npz` archive (stored members) with one 1D float64 array per column.
public func writeNPZ(_ table: Table, to path: String) throws {
  var out: [UInt8] = []
  var central: [UInt8] = []
  func put16(_ a: inout [UInt8], _ v: Int) { a.append(UInt8(v & 0xff)); a.append(UInt8((v >> 8) & 0xff)) }
  func put32(_ a: inout [UInt8], _ v: Int) { put16(&a, v & 0xffff); put16(&a, (v >> 16) & 0xffff) }
  let n = table.rowCount, W = table.names.count
  for (j, name) in table.names.enumerated() {
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(n),), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
    put16(&npy, header.utf8.count)
    npy += Array(header.utf8)
    npy.reserveCapacity(npy.count + 8 * n)
    for i in 0..<n {
      var bits = table.values[i * W + j].bitPattern.littleEndian
      withUnsafeBytes(of: &bits) { npy += $0 }
    }
    let crc = npy.withUnsafeBufferPointer { Int(crc32(0, $0.baseAddress, UInt32($0.count))) }
    guard npy.count < 0xFFFF_FFFF && out.count < 0xFFFF_FFFF else { throw BITError("\(path): too large for .npz output") }
    let fname = Array((name + ".npy").utf8)
    let offset = out.count
    put32(&out, 0x0403_4b50); put16(&out, 20); put16(&out, 0); put16(&out, 0); put16(&out, 0); put16(&out, 0x21)
    put32(&out, crc); put32(&out, npy.count); put32(&out, npy.count); put16(&out, fname.count); put16(&out, 0)
    out += fname
    out += npy
    put32(&central, 0x0201_4b50); put16(&central, 20); put16(&central, 20); put16(&central, 0); put16(&central, 0)
    put16(&central, 0); put16(&central, 0x21); put32(&central, crc); put32(&central, npy.count); put32(&central, npy.count)
    put16(&central, fname.count); put16(&central, 0); put16(&central, 0); put16(&central, 0); put16(&central, 0)
    put32(&central, 0); put32(&central, offset)
    central += fname
  }
  let cdOffset = out.count
  out += central
  put32(&out, 0x0605_4b50); put16(&out, 0); put16(&out, 0); put16(&out, W); put16(&out, W)
  put32(&out, central.count); put32(&out, cdOffset); put16(&out, 0)
  try writeFileAtomicallyMaybeGzipped(out, to: path)
}
