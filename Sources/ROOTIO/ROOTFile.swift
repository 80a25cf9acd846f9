//===--- ROOTFile.swift ---------------------------------------------------===//
// The file header, keys and directories of a ROOT file, and histogram look-up.
//===----------------------------------------------------------------------===//

import Foundation

/// A key of a ROOT directory (the highest cycle of each name).
public struct ROOTKeyInfo: Sendable, Equatable {
  public var name: String
  public var className: String
  public var title: String
  public var cycle: Int
}

/// A TKey header.
struct Key {
  var nbytes: Int
  var objLen: Int
  var keyLen: Int
  var cycle: Int
  var seekKey: Int
  var className: String
  var name: String
  var title: String

  var isDirectory: Bool { className == "TDirectory" || className == "TDirectoryFile" }

  /// Reads a TKey header at the cursor. Version > 1000 means 64-bit seek fields.
  static func read(_ c: inout Cursor) throws -> Key {
    let nbytes = Int(try c.i32())
    let version = Int(try c.i16())
    let objLen = Int(try c.i32())
    _ = try c.u32()  // datime
    let keyLen = Int(try c.i16())
    let cycle = Int(try c.i16())
    let seekKey = version > 1000 ? Int(try c.i64()) : Int(try c.i32())
    _ = version > 1000 ? Int(try c.i64()) : Int(try c.i32())  // seekPdir
    let className = try c.string()
    let name = try c.string()
    let title = try c.string()
    guard nbytes >= 0, objLen >= 0, keyLen >= 0 else { throw FormatError("corrupt key '\(name)' (negative sizes)") }
    return Key(nbytes: nbytes, objLen: objLen, keyLen: keyLen, cycle: cycle, seekKey: seekKey,
               className: className, name: name, title: title)
  }
}

/// A ROOT file opened for reading histograms, without ROOT.
///
/// The whole file is read into memory once. Supports the small (32-bit) and large (64-bit)
/// layouts, sub-directories, and every compression ROOT writes (see ``decompress(_:expectedSize:)``).
/// Any malformed content is reported as a ``ROOTIOError``; the reader never traps on bad input.
public final class ROOTFile: @unchecked Sendable {
  public let path: String
  let bytes: [UInt8]
  /// Keys of the top directory.
  let rootKeys: [Key]
  private var directoryCache: [String: [Key]] = [:]
  private let lock = NSLock()

  public init(path: String) throws {
    self.path = path
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ROOTIOError(file: path, "cannot read the file (missing or unreadable)")
    }
    bytes = [UInt8](data)
    do {
      var c = Cursor(bytes)
      try c.need(4)
      guard bytes[0..<4].elementsEqual("root".utf8) else { throw FormatError("not a ROOT file (no 'root' magic at the start)") }
      try c.skip(4)
      let fVersion = Int(try c.i32())
      let big = fVersion >= 1_000_000
      let fBegin = Int(try c.i32())
      if big {
        _ = try c.i64(); _ = try c.i64()  // fEND, fSeekFree
      } else {
        _ = try c.i32(); _ = try c.i32()
      }
      _ = try c.i32(); _ = try c.i32()  // fNbytesFree, nfree
      let fNbytesName = Int(try c.i32())
      guard fBegin > 0, fNbytesName > 0 else { throw FormatError("corrupt file header") }
      rootKeys = try ROOTFile.readDirectory(bytes, recordAt: fBegin + fNbytesName)
    } catch let e as FormatError {
      throw ROOTIOError(file: path, e.message)
    }
  }

  /// Reads a TDirectory record and its key list.
  static func readDirectory(_ bytes: [UInt8], recordAt offset: Int) throws -> [Key] {
    var c = Cursor(bytes)
    try c.seek(offset)
    let version = Int(try c.i16())
    _ = try c.u32(); _ = try c.u32()  // ctime, mtime
    _ = try c.i32(); _ = try c.i32()  // nbytesKeys, nbytesName
    let seekKeys: Int
    if version > 1000 {
      _ = try c.i64(); _ = try c.i64()
      seekKeys = Int(try c.i64())
    } else {
      _ = try c.i32(); _ = try c.i32()
      seekKeys = Int(try c.i32())
    }
    guard seekKeys > 0 else { return [] }
    try c.seek(seekKeys)
    let header = try Key.read(&c)
    try c.seek(seekKeys + header.keyLen)
    let n = try c.count(limit: bytes.count / 20, what: "number of keys")
    var keys: [Key] = []
    keys.reserveCapacity(n)
    for _ in 0..<n { keys.append(try Key.read(&c)) }
    return keys
  }

  /// Keys of a directory path ("" = top), highest cycle per name.
  func keyList(_ dir: String) throws -> [Key] {
    lock.lock()
    defer { lock.unlock() }
    if let k = directoryCache[dir] { return k }
    var keys = rootKeys
    var depth = 0
    for part in dir.split(separator: "/") where !part.isEmpty {
      depth += 1
      guard depth < 64 else { throw ROOTIOError(file: path, key: dir, "directory nesting too deep") }
      guard let k = Self.highestCycle(keys).first(where: { $0.name == part }) else {
        throw ROOTIOError(file: path, key: dir, "directory '\(part)' not found")
      }
      guard k.isDirectory else { throw ROOTIOError(file: path, key: dir, "'\(part)' is a \(k.className), not a directory") }
      do {
        keys = try Self.readDirectory(bytes, recordAt: k.seekKey + k.keyLen)
      } catch let e as FormatError {
        throw ROOTIOError(file: path, key: dir, e.message)
      }
    }
    let result = Self.highestCycle(keys)
    directoryCache[dir] = result
    return result
  }

  static func highestCycle(_ keys: [Key]) -> [Key] {
    var best: [String: Key] = [:]
    var order: [String] = []
    for k in keys {
      if let b = best[k.name] {
        if k.cycle > b.cycle { best[k.name] = k }
      } else {
        best[k.name] = k
        order.append(k.name)
      }
    }
    return order.map { best[$0]! }
  }

  static func split(_ objectPath: String) -> (dir: String, name: String) {
    let trimmed = objectPath.hasPrefix("/") ? String(objectPath.dropFirst()) : objectPath
    guard let slash = trimmed.lastIndex(of: "/") else { return ("", trimmed) }
    return (String(trimmed[..<slash]), String(trimmed[trimmed.index(after: slash)...]))
  }

  /// The keys of a directory ("" = top), highest cycle per name.
  public func keys(inDirectory dir: String = "") throws -> [ROOTKeyInfo] {
    try keyList(dir).map { ROOTKeyInfo(name: $0.name, className: $0.className, title: $0.title, cycle: $0.cycle) }
  }

  /// The class of the object at `objectPath` (`dir/sub/name`), or nil when there is none.
  public func className(of objectPath: String) throws -> String? {
    let (dir, name) = Self.split(objectPath)
    guard let keys = try? keyList(dir) else { return nil }
    return keys.first { $0.name == name }?.className
  }

  /// Paths of every histogram in the file, recursively.
  public func allHistogramPaths() throws -> [String] {
    var out: [String] = []
    var stack = [""]
    var visited = 0
    while let dir = stack.popLast() {
      visited += 1
      guard visited < 100_000 else { throw ROOTIOError(file: path, "too many directories (corrupt file?)") }
      for k in try keyList(dir) {
        let p = dir.isEmpty ? k.name : dir + "/" + k.name
        if k.isDirectory { stack.append(p) } else if HistogramReader.supports(k.className) { out.append(p) }
      }
    }
    return out.sorted()
  }

  /// Reads the histogram at `objectPath` (highest cycle).
  public func histogram(_ objectPath: String) throws -> Histogram {
    let (dir, name) = Self.split(objectPath)
    let keys = try keyList(dir)
    guard let key = keys.first(where: { $0.name == name }) else {
      let nearby = keys.prefix(8).map(\.name).joined(separator: ", ")
      throw ROOTIOError(file: path, key: objectPath, "not found" + (keys.isEmpty ? "" : " (the directory has: \(nearby)\(keys.count > 8 ? ", ..." : ""))"))
    }
    guard HistogramReader.supports(key.className) else {
      throw ROOTIOError(file: path, key: objectPath, "is a \(key.className); expected a histogram (TH1D, TH1F, TH1I, TH1S, TH1C, TH2D, TH2F, TH2I)")
    }
    do {
      let data = try objectBytes(key)
      var h = try HistogramReader.read(data, className: key.className)
      h.name = key.name
      return h
    } catch let e as FormatError {
      throw ROOTIOError(file: path, key: objectPath, "\(key.className): " + e.message)
    }
  }

  /// The (decompressed) streamed bytes of an object.
  func objectBytes(_ key: Key) throws -> [UInt8] {
    let start = key.seekKey + key.keyLen
    let stored = key.nbytes - key.keyLen
    guard key.seekKey >= 0, stored >= 0, start >= 0, start <= bytes.count, stored <= bytes.count - start else {
      throw FormatError("record of '\(key.name)' lies outside the file (truncated?)")
    }
    if stored == key.objLen { return Array(bytes[start..<(start + stored)]) }
    guard key.objLen <= 1 << 30 else { throw FormatError("implausible object size \(key.objLen)") }
    return try decompress(bytes[start..<(start + stored)], expectedSize: key.objLen)
  }
}
