//===--- NPZ.swift --------------------------------------------------------===//
// NumPy .npz archives (zip of .npy arrays): read 1D/2D numeric arrays, write 1D float64 columns.
//===----------------------------------------------------------------------===//

import CCompression
import Foundation

private func le16(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
private func le32(_ b: [UInt8], _ o: Int) -> Int { le16(b, o) | le16(b, o + 2) << 16 }
private func le64(_ b: [UInt8], _ o: Int) -> Int { le32(b, o) | le32(b, o + 4) << 32 }

/// Reads a `.npz` archive into a table. 1D arrays become columns named by the array; a 2D
/// `[N, K]` array `a` becomes columns `a_0 … a_{K−1}`. Little-endian float64/float32 and
/// integer arrays are supported; stored and deflated members both.
public func readNPZ(_ path: String) throws -> Table {
  guard let data = FileManager.default.contents(atPath: path) else { throw BITError("cannot read \(path)") }
  let b = [UInt8](data)
  // end of central directory
  var eocd = -1
  var p = b.count - 22
  while p >= max(0, b.count - 22 - 65536) {
    if le32(b, p) == 0x0605_4b50 { eocd = p; break }
    p -= 1
  }
  guard eocd >= 0 else { throw BITError("\(path): not a zip (.npz) archive") }
  let entries = le16(b, eocd + 10)
  var cd = le32(b, eocd + 16)
  var names: [String] = []
  var columns: [[Double]] = []
  for _ in 0..<entries {
    guard cd + 46 <= b.count, le32(b, cd) == 0x0201_4b50 else { throw BITError("\(path): corrupt zip directory") }
    let method = le16(b, cd + 10)
    var csize = le32(b, cd + 20), usize = le32(b, cd + 24)
    let nlen = le16(b, cd + 28), xlen = le16(b, cd + 30), clen = le16(b, cd + 32)
    var off = le32(b, cd + 42)
    let name = String(decoding: b[(cd + 46)..<(cd + 46 + nlen)], as: UTF8.self)
    // zip64 extra field
    var x = cd + 46 + nlen
    let xend = x + xlen
    while x + 4 <= xend {
      let id = le16(b, x), sz = le16(b, x + 2)
      if id == 1 {
        var q = x + 4
        if usize == 0xFFFF_FFFF { usize = le64(b, q); q += 8 }
        if csize == 0xFFFF_FFFF { csize = le64(b, q); q += 8 }
        if off == 0xFFFF_FFFF { off = le64(b, q); q += 8 }
      }
      x += 4 + sz
    }
    cd = xend + clen
    guard le32(b, off) == 0x0403_4b50 else { throw BITError("\(path): corrupt zip member \(name)") }
    let start = off + 30 + le16(b, off + 26) + le16(b, off + 28)
    guard start + csize <= b.count else { throw BITError("\(path): truncated member \(name)") }
    let raw = Array(b[start..<(start + csize)])
    let npy: [UInt8]
    switch method {
    case 0: npy = raw
    case 8: npy = try inflateData(raw, windowBits: -15)
    default: throw BITError("\(path): member \(name) uses unsupported compression \(method)")
    }
    _ = usize
    let arrName = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
    let (shape, values, fortran) = try parseNPY(npy, name: arrName)
    if shape.count == 1 {
      names.append(arrName); columns.append(values)
    } else if shape.count == 2 {
      let (r, c) = (shape[0], shape[1])
      for j in 0..<c {
        names.append("\(arrName)_\(j)")
        columns.append((0..<r).map { i in fortran ? values[j * r + i] : values[i * c + j] })
      }
    } else {
      throw BITError("\(path): array \(arrName) has \(shape.count) dimensions (1 or 2 supported)")
    }
  }
  guard let n = columns.first?.count else { throw BITError("\(path): no arrays") }
  guard columns.allSatisfy({ $0.count == n }) else { throw BITError("\(path): arrays of different lengths") }
  var values = [Double](repeating: 0, count: n * columns.count)
  for (j, col) in columns.enumerated() { for i in 0..<n { values[i * columns.count + j] = col[i] } }
  return Table(names: names, values: values)
}

/// Parses one `.npy` array: (shape, values in storage order, fortran_order).
func parseNPY(_ b: [UInt8], name: String) throws -> ([Int], [Double], Bool) {
  guard b.count >= 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else {
    throw BITError("\(name): not a .npy array")
  }
  let major = b[6]
  let hlen = major == 1 ? le16(b, 8) : le32(b, 8)
  let hstart = major == 1 ? 10 : 12
  let header = String(decoding: b[hstart..<(hstart + hlen)], as: UTF8.self)
  func field(_ key: String) -> String? {
    guard let r = header.range(of: "'\(key)':") else { return nil }
    return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
  }
  guard let d = field("descr"), let q1 = d.firstIndex(of: "'") else { throw BITError("\(name): no descr") }
  let rest = d[d.index(after: q1)...]
  let descr = String(rest[..<rest.firstIndex(of: "'")!])
  let fortran = field("fortran_order")?.hasPrefix("True") ?? false
  guard let s = field("shape"), let o = s.firstIndex(of: "("), let c = s.firstIndex(of: ")") else {
    throw BITError("\(name): no shape")
  }
  let shape = s[s.index(after: o)..<c].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
  let count = shape.reduce(1, *)
  let data = hstart + hlen
  var v = [Double](repeating: 0, count: count)
  func need(_ size: Int) throws { if data + count * size > b.count { throw BITError("\(name): truncated array") } }
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
    throw BITError("\(name): unsupported dtype \(descr)")
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
  try writeAtomically(out, to: path)
}
