import Foundation

/// A ROOT file opened for reading histograms. The whole file is read into memory once; directory
/// listings are parsed on first use and cached, so the object is safe to share between threads.
///
/// Object paths are `/`-separated through sub-directories (`"dir/sub/name"`); a final `;N` selects
/// cycle `N` (`"name;1"`), otherwise the highest cycle is used.
public final class ROOTFile: @unchecked Sendable {
  /// Path the file was opened from.
  public let path: String
  private let data: [UInt8]
  private let rootDirectory: DirectoryRecord
  private let lock = NSLock()
  private var keyCache: [Int: KeyListing] = [:]

  /// Opens and checks the file header and the top directory.
  /// - Throws: `ROOTIOError` if the file cannot be read, is not a ROOT file, or its header is truncated or invalid.
  public convenience init(path: String) throws {
    let bytes: [UInt8]
    do {
      bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw ROOTIOError(file: path, message: "cannot read file: \(error.localizedDescription)")
    }
    try self.init(bytes: bytes, path: path)
  }

  /// Opens a ROOT file already in memory; `path` is used in error messages.
  init(bytes: [UInt8], path: String) throws {
    self.path = path
    data = bytes
    rootDirectory = try Self.withContext(file: path, key: nil) {
      let header = try FileHeader(bytes)
      return try DirectoryRecord(bytes, at: header.begin + header.nbytesName)
    }
  }

  /// The keys of directory `dir` (`""` is the top directory), highest cycle per name, in file order.
  public func keys(inDirectory dir: String = "") throws -> [ROOTKeyInfo] {
    try context(dir.isEmpty ? nil : dir) {
      let directory = try resolveDirectory(components(of: dir), whole: dir)
      return try latestKeys(directory).map {
        ROOTKeyInfo(name: $0.name, className: $0.className, title: $0.title, cycle: $0.cycle)
      }
    }
  }

  /// The class name of the object at `objectPath`, or `nil` if there is no such object.
  public func className(of objectPath: String) throws -> String? {
    try context(objectPath) { try findKey(objectPath)?.className }
  }

  /// Reads the histogram at `objectPath` (highest cycle unless `;N` is given).
  /// - Throws: `ROOTIOError` naming the key if it is not found, is not a supported histogram class
  ///   (the message names its class), or its data is corrupt.
  public func histogram(_ objectPath: String) throws -> Histogram {
    try context(objectPath) {
      guard let key = try findKey(objectPath) else { throw FormatError("object not found") }
      guard HistogramReader.supportedClasses.contains(key.className) else {
        throw FormatError("object '\(key.name)' is a \(key.className), expected \(HistogramReader.supportedList)")
      }
      return try HistogramReader.read(try objectBytes(key), className: key.className)
    }
  }

  /// The class name and uncompressed streamed bytes of the object at `objectPath` (for tests).
  func objectData(_ objectPath: String) throws -> (className: String, bytes: [UInt8]) {
    let (c, b, _) = try objectDataAndKeyLength(objectPath)
    return (c, b)
  }

  /// The object's class, its (decompressed) bytes and its key's length (the base of in-record
  /// references).
  func objectDataAndKeyLength(_ objectPath: String) throws -> (className: String, bytes: [UInt8], keyLen: Int) {
    try context(objectPath) {
      guard let key = try findKey(objectPath) else { throw FormatError("object not found") }
      return (key.className, try objectBytes(key), key.keyLen)
    }
  }

  /// The (decompressed) data of the TBasket whose key starts at `seek`, its header skipped.
  func basketData(at seek: Int, branch: String) throws -> [UInt8] {
    guard seek > 0, seek < data.count else { throw FormatError("branch '\(branch)': basket offset \(seek) lies outside the file") }
    var c = try ByteCursor(data, at: seek)
    let key = try KeyHeader(&c)
    guard key.className == "TBasket" else { throw FormatError("branch '\(branch)': the key at \(seek) is a \(key.className), not a TBasket") }
    var withKey = key
    withKey.seekKey = seek
    return try objectBytes(withKey)
  }

  /// Paths of every supported histogram in the file, through all sub-directories, in file order.
  public func allHistogramPaths() throws -> [String] {
    try context(nil) {
      var paths: [String] = []
      var visited: Set<Int> = []
      func walk(_ directory: DirectoryRecord, prefix: String) throws {
        guard visited.insert(directory.seekKeys).inserted else {
          throw FormatError("directory '\(prefix)' repeats a directory already visited (cyclic structure)")
        }
        for key in try latestKeys(directory) {
          if key.isDirectory {
            try walk(try subdirectory(key), prefix: prefix + key.name + "/")
          } else if HistogramReader.supportedClasses.contains(key.className) {
            paths.append(prefix + key.name)
          }
        }
      }
      try walk(rootDirectory, prefix: "")
      return paths
    }
  }

  // MARK: - Internals

  private static func withContext<T>(file: String, key: String?, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as FormatError {
      throw ROOTIOError(file: file, key: key, message: error.message)
    }
  }

  private func context<T>(_ key: String?, _ body: () throws -> T) throws -> T {
    try Self.withContext(file: path, key: key, body)
  }

  private func components(of path: String) -> [String] {
    path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
  }

  /// A directory's keys (every cycle), parsed once and cached by the offset of its keys list.
  private func listing(_ directory: DirectoryRecord) throws -> KeyListing {
    lock.lock()
    let cached = keyCache[directory.seekKeys]
    lock.unlock()
    if let cached { return cached }
    let listing = KeyListing(try directory.readKeys(data))
    lock.lock()
    keyCache[directory.seekKeys] = listing
    lock.unlock()
    return listing
  }

  /// The highest cycle of each name, in order of first appearance.
  private func latestKeys(_ directory: DirectoryRecord) throws -> [KeyHeader] {
    try listing(directory).latest
  }

  /// The key called `name` (with an optional `;cycle` suffix) in `directory`, or nil.
  private func key(_ name: String, in directory: DirectoryRecord) throws -> KeyHeader? {
    let listing = try listing(directory)
    if let semicolon = name.lastIndex(of: ";"), let cycle = Int(name[name.index(after: semicolon)...]) {
      let base = name[..<semicolon]
      return listing.all.first { $0.name == base && $0.cycle == cycle }
    }
    return listing.latestByName[name].map { listing.latest[$0] }
  }

  private func subdirectory(_ key: KeyHeader) throws -> DirectoryRecord {
    try DirectoryRecord(data, at: key.seekKey + key.keyLen)
  }

  /// Follows directory components from the top; nil if one is missing.
  private func directory(_ parts: ArraySlice<String>) throws -> DirectoryRecord? {
    var current = rootDirectory
    for part in parts {
      guard let key = try key(part, in: current) else { return nil }
      guard key.isDirectory else { throw FormatError("'\(part)' is a \(key.className), not a directory") }
      current = try subdirectory(key)
    }
    return current
  }

  private func resolveDirectory(_ parts: [String], whole: String) throws -> DirectoryRecord {
    guard let directory = try directory(parts[...]) else { throw FormatError("directory '\(whole)' not found") }
    return directory
  }

  func findKey(_ objectPath: String) throws -> KeyHeader? {
    let parts = components(of: objectPath)
    guard let last = parts.last, let parent = try directory(parts.dropLast()) else { return nil }
    return try key(last, in: parent)
  }

  /// The object's bytes, decompressed if needed: it starts at `SeekKey + KeyLen` and is compressed
  /// exactly when `Nbytes − KeyLen ≠ ObjLen`.
  private func objectBytes(_ key: KeyHeader) throws -> [UInt8] {
    let start = key.seekKey + key.keyLen
    let stored = key.nbytes - key.keyLen
    guard key.seekKey >= 0, stored >= 0, start <= data.count, stored <= data.count - start else {
      throw FormatError("object record (offset \(key.seekKey), \(key.nbytes) bytes) lies outside the \(data.count)-byte file")
    }
    let slice = data[start..<(start + stored)]
    return stored == key.objLen ? Array(slice) : try decompress(slice, expectedSize: key.objLen)
  }
}

/// The file header: `"root"`, `fVersion` (≥ 1000000 means 64-bit offsets), `fBEGIN`, `fEND`, `fSeekFree`,
/// `fNbytesFree`, `nfree`, `fNbytesName`, ... Only what is needed to find the top directory is kept.
struct FileHeader {
  var version: Int
  var begin: Int
  var end: Int
  var nbytesName: Int

  init(_ bytes: [UInt8]) throws {
    var c = try ByteCursor(bytes)
    guard bytes.count >= 4, bytes[0..<4].elementsEqual("root".utf8) else {
      throw FormatError("not a ROOT file (does not start with \"root\")")
    }
    try c.skip(4)
    let rawVersion = try c.i32()
    let wide = rawVersion >= 1_000_000
    version = wide ? rawVersion - 1_000_000 : rawVersion
    begin = try c.i32()
    end = try c.offset(wide: wide)
    _ = try c.offset(wide: wide)  // fSeekFree
    _ = try c.i32()  // fNbytesFree
    _ = try c.i32()  // nfree
    nbytesName = try c.i32()
    guard version > 0, begin >= c.position, nbytesName > 0, begin <= bytes.count - nbytesName else {
      throw FormatError("invalid file header (fVersion \(rawVersion), fBEGIN \(begin), fNbytesName \(nbytesName))")
    }
    guard end <= bytes.count else {
      throw FormatError("file is truncated: header says it ends at byte \(end), but it has \(bytes.count) bytes")
    }
  }
}

/// A TKey header: `Nbytes` i32, `Version` i16 (> 1000: 64-bit seeks), `ObjLen` i32, `Datime` u32,
/// `KeyLen` i16, `Cycle` i16, `SeekKey`, `SeekPdir`, then `ClassName`, `Name`, `Title` TStrings.
struct KeyHeader {
  var nbytes: Int, version: Int, objLen: Int, keyLen: Int, cycle: Int, seekKey: Int
  var className: String, name: String, title: String

  /// Smallest possible header: 4+2+4+4+2+2+4+4 bytes and three 1-byte string lengths.
  static let minimumSize = 29

  var isDirectory: Bool { className == "TDirectory" || className == "TDirectoryFile" }

  init(_ c: inout ByteCursor) throws {
    let start = c.position
    nbytes = try c.i32()
    version = try c.i16()
    objLen = try c.i32()
    _ = try c.u32()  // Datime
    keyLen = try c.i16()
    cycle = try c.i16()
    seekKey = try c.offset(wide: version > 1000)
    _ = try c.offset(wide: version > 1000)  // SeekPdir
    className = try c.tString()
    name = try c.tString()
    title = try c.tString()
    guard nbytes >= keyLen, keyLen >= c.position - start, objLen >= 0, seekKey >= 0 else {
      throw FormatError("invalid key '\(name)' at offset \(start) (Nbytes \(nbytes), KeyLen \(keyLen), ObjLen \(objLen), SeekKey \(seekKey))")
    }
  }
}

/// The keys of one directory: all cycles, and the highest cycle of each name in order of first appearance.
struct KeyListing {
  var all: [KeyHeader]
  var latest: [KeyHeader] = []
  var latestByName: [String: Int] = [:]

  init(_ keys: [KeyHeader]) {
    all = keys
    for key in keys {
      if let index = latestByName[key.name] {
        if key.cycle > latest[index].cycle { latest[index] = key }
      } else {
        latestByName[key.name] = latest.count
        latest.append(key)
      }
    }
  }
}

/// A TDirectory record: `version` i16 (> 1000: 64-bit seeks), `ctime`, `mtime`, `nbytesKeys`, `nbytesName`,
/// `seekDir`, `seekParent`, `seekKeys`. At `seekKeys`: a TKey, an i32 count, then that many TKey headers.
struct DirectoryRecord {
  var seekKeys: Int

  init(_ bytes: [UInt8], at offset: Int) throws {
    var c = try ByteCursor(bytes, at: offset)
    let version = try c.i16()
    try c.skip(4 + 4 + 4 + 4)  // ctime, mtime, nbytesKeys, nbytesName
    _ = try c.offset(wide: version > 1000)  // seekDir
    _ = try c.offset(wide: version > 1000)  // seekParent
    seekKeys = try c.offset(wide: version > 1000)
    guard seekKeys >= 0, seekKeys < bytes.count else {
      throw FormatError("directory record at offset \(offset) has invalid seekKeys \(seekKeys)")
    }
  }

  func readKeys(_ bytes: [UInt8]) throws -> [KeyHeader] {
    guard seekKeys > 0 else { return [] }
    var c = try ByteCursor(bytes, at: seekKeys)
    let listKey = try KeyHeader(&c)
    guard listKey.nbytes <= bytes.count - seekKeys else {
      throw FormatError("keys list at offset \(seekKeys) runs past the end of the file")
    }
    c = try ByteCursor(bytes, at: seekKeys + listKey.keyLen, limit: seekKeys + listKey.nbytes)
    let count = try c.count(of: "keys list", elementSize: KeyHeader.minimumSize)
    return try (0..<count).map { _ in try KeyHeader(&c) }
  }
}
