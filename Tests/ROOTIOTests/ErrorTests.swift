import Foundation
import Testing
@testable import ROOTIO

@Suite struct ErrorTests {
  func fixture(_ name: String) -> String { TestPaths.fixtures.appendingPathComponent(name).path }

  func error(_ body: () throws -> Void) -> ROOTIOError? {
    do {
      try body()
      return nil
    } catch let error as ROOTIOError {
      return error
    } catch {
      Issue.record("expected a ROOTIOError, got \(error)")
      return nil
    }
  }

  @Test func notAHistogramNamesTheClass() throws {
    let file = try ROOTFile(path: fixture("tree.root"))
    #expect(try file.className(of: "events") == "TTree")
    let e = try #require(error { _ = try file.histogram("events") })
    #expect(e.file == fixture("tree.root") && e.key == "events")
    #expect(e.message.contains("TTree") && e.message.contains("TH1D"))
    #expect(e.description == "\(e.file): events: \(e.message)")
    #expect(try file.allHistogramPaths() == ["h"])
    #expect(try file.histogram("h").integral() == 10)
  }

  @Test func missingObjectsAndDirectories() throws {
    let file = try ROOTFile(path: fixture("hists_zstd.root"))
    let e = try #require(error { _ = try file.histogram("sub/nope") })
    #expect(e.key == "sub/nope" && e.message.contains("not found"))
    #expect(error { _ = try file.histogram("cycles;7") }?.message.contains("not found") == true)
    #expect(error { _ = try file.keys(inDirectory: "nope") }?.message.contains("not found") == true)
    #expect(error { _ = try file.keys(inDirectory: "h1d") }?.message.contains("not a directory") == true)
    #expect(error { _ = try file.histogram("sub") }?.message.contains("TDirectory") == true)
  }

  @Test func notROOTFiles() throws {
    let missing = try #require(error { _ = try ROOTFile(path: "/nonexistent/file.root") })
    #expect(missing.file == "/nonexistent/file.root" && missing.key == nil && missing.message.contains("cannot read"))
    #expect(missing.description.hasPrefix("/nonexistent/file.root: cannot read"))
    let script = try #require(error { _ = try ROOTFile(path: fixture("make_fixtures.py")) })
    #expect(script.message.contains("not a ROOT file"))
    #expect(error { _ = try ROOTFile(bytes: [], path: "empty") }?.message.contains("not a ROOT file") == true)
    let header = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture("hists_zlib.root"))))
    #expect(error { _ = try ROOTFile(bytes: Array(header.prefix(30)), path: "short") } != nil)
    #expect(error { _ = try ROOTFile(bytes: Array(header.prefix(5000)), path: "cut") }?.message.contains("truncated") == true)
  }

  @Test func unsupportedVersionIsNamed() throws {
    let file = try ROOTFile(path: fixture("hists_none.root"))
    var (className, bytes) = try file.objectData("h1d")
    #expect(className == "TH1D")
    // TH1D header: byte count (4) + version (2); then TH1: byte count (4) + version at offset 10.
    #expect(bytes[10] == 0 && bytes[11] == 8)
    bytes[11] = 5
    #expect(throws: FormatError("TH1 version 5 is not supported (expected 6–8)")) {
      _ = try HistogramReader.read(bytes, className: className)
    }
  }

  /// Every uncompressed histogram object, cut at many lengths or with flipped bits, throws FormatError
  /// or reads; the streamer itself never traps.
  @Test func corruptedObjectsThrow() throws {
    var rng = SplitMix64(state: 7)
    let file = try ROOTFile(path: fixture("hists_lz4.root"))
    for path in try file.allHistogramPaths() {
      let (className, bytes) = try file.objectData(path)
      let cuts = bytes.count <= 120 ? Array(0..<bytes.count) : (0..<120).map { _ in Int.random(in: 0..<bytes.count, using: &rng) }
      for cut in cuts {
        #expect(throws: FormatError.self) { _ = try HistogramReader.read(Array(bytes.prefix(cut)), className: className) }
      }
      for _ in 0..<40 {
        var flipped = bytes
        flipped[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
        do { _ = try HistogramReader.read(flipped, className: className) } catch is FormatError {}
      }
    }
  }

  /// Opens `bytes` and reads every histogram: each step either succeeds or throws ROOTIOError.
  func exercise(_ bytes: [UInt8], _ name: String) -> (opened: Bool, read: Int) {
    var read = 0
    do {
      let file = try ROOTFile(bytes: bytes, path: name)
      for path in try file.allHistogramPaths() {
        do {
          _ = try file.histogram(path)
          read += 1
        } catch is ROOTIOError {}
      }
      return (true, read)
    } catch is ROOTIOError {
    } catch {
      Issue.record("\(name): expected a ROOTIOError, got \(error)")
    }
    return (false, read)
  }

  /// Truncations (in the header, key lists and compressed records) and seeded bit flips of every
  /// fixture and reference file: no trap, no hang, only ROOTIOError.
  @Test func truncatedAndBitFlippedFilesThrow() throws {
    let files = ["hists_none.root", "hists_zlib.root", "hists_lzma.root", "hists_lz4.root", "hists_zstd.root",
                 "hists_big.root", "tree.root"].map(fixture) + TestPaths.referenceROOTFiles().map(\.path)
    var rng = SplitMix64(state: 2024)
    var failures = 0
    for path in files {
      let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
      let big = bytes.count > 100_000
      let original = exercise(bytes, path)
      #expect(original.opened && original.read > 0)
      // Truncations: every 8th byte of the header region, then random lengths.
      let cuts = Array(stride(from: 0, to: 120, by: 8)) + (0..<(big ? 6 : 12)).map { _ in Int.random(in: 0..<bytes.count, using: &rng) }
      for cut in cuts where !exercise(Array(bytes.prefix(cut)), path).opened { failures += 1 }
      // Bit flips: one, or a burst of several, at random positions.
      for round in 0..<(big ? 25 : 90) {
        var mutated = bytes
        for _ in 0..<(round % 3 == 0 ? 8 : 1) {
          mutated[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
        }
        if exercise(mutated, path).read < original.read { failures += 1 }
      }
    }
    #expect(failures > 100)  // the corruptions were noticed, not silently accepted everywhere
  }
}

@Suite struct DirectoryCycleTests {
  /// A sub-directory whose keys list is the top directory's: walking it must stop with an error.
  @Test func cyclicDirectoriesAreRejected() throws {
    let path = TestPaths.fixtures.appendingPathComponent("hists_none.root").path
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let header = try FileHeader(bytes)
    let sub = try #require(try ROOTFile(bytes: bytes, path: path).findKey("sub"))
    // Small-layout TDirectory record: i16 version, 4 × 4 bytes, seekDir, seekParent, then seekKeys at +26.
    let top = header.begin + header.nbytesName
    let subRecord = sub.seekKey + sub.keyLen
    #expect(bytes[top] == 0 && bytes[subRecord] == 0)  // versions < 256: not the 64-bit layout
    bytes.replaceSubrange((subRecord + 26)..<(subRecord + 30), with: bytes[(top + 26)..<(top + 30)])
    let file = try ROOTFile(bytes: bytes, path: path)
    #expect(try file.keys(inDirectory: "sub/sub/sub").contains { $0.name == "h1d" })  // bounded by the path
    #expect(throws: ROOTIOError.self) { _ = try file.allHistogramPaths() }
    do {
      _ = try file.allHistogramPaths()
    } catch let error as ROOTIOError {
      #expect(error.message.contains("cyclic"))
    }
  }
}
