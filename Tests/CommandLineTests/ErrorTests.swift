import Foundation
import Testing
import TestSupport

/// The command line: bad input → one-line error on stderr, exit status 1 (runs the built binary).
@Suite struct CommandLineTests {
  /// Runs the `recombine` built beside this test bundle: exit status and standard error.
  func run(_ args: [String]) throws -> (Int32, String) {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let r = try Recombine.run(bin, args, in: FileManager.default.currentDirectoryPath)
    return (r.status, r.stderr)
  }

  @Test(.needsReference) func errors() throws {
    let card = TestPaths.reference.appendingPathComponent("combine/counting_realistic/card/realistic-counting-experiment.txt").path
    let (status, err) = try run(["fit", card, "--setParameters", "r=25"])
    #expect(status == 1)
    #expect(err.contains("outside its range"))
    #expect(err.split(separator: "\n").count == 1)
    let (s2, e2) = try run(["fit", card, "--setParameterRanges", "r=3,1"])
    #expect(s2 == 1 && e2.contains("empty range"))
    let (s3, e3) = try run(["scan", card, "--setParameters", "nope=1"])
    #expect(s3 == 1 && e3.contains("unknown parameter"))
    // Review findings: a frozen or repeated -P, and bad toy options, are one-line errors.
    let (s4, e4) = try run(["fit", card, "--freezeParameters", "r"])
    #expect(s4 == 1 && e4.contains("frozen"))
    let (s5, e5) = try run(["fit", card, "-P", "r", "-P", "r"])
    #expect(s5 == 1 && e5.contains("given twice"))
    let (s6, e6) = try run(["scan", card, "--toysFrequentist"])
    #expect(s6 == 1 && e6.contains("apply to toys"))
    let (s7, e7) = try run(["fit", card, "-t", "-2"])
    #expect(s7 == 1 && e7.contains("use -1"))
  }

  /// A datacard error is printed as the compiler-style diagnostic it is, with one `error:` (after
  /// the location), for a syntax error and for a shape file that is not there.
  @Test func datacardErrorsHaveOnePrefix() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cli-err-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let bad = dir + "/bad.txt"
    try "imax 1 jmax 0 kmax 0\nbin a\nobservation 3\nbin a\nprocess s\nprocess 0\nrate abc\n".write(toFile: bad, atomically: true, encoding: .utf8)
    let (s1, e1) = try run(["fit", bad])
    #expect(s1 == 1)
    #expect(e1.hasPrefix("\(bad):7:"), "\(e1)")
    #expect(e1.components(separatedBy: "error:").count == 2, "\(e1)")
    let shapes = dir + "/shapes.txt"
    try "imax 1 jmax 0 kmax 0\nshapes * * missing.root $PROCESS\nbin a\nobservation 3\nbin a\nprocess s\nprocess 0\nrate -1\n"
      .write(toFile: shapes, atomically: true, encoding: .utf8)
    let (s2, e2) = try run(["fit", shapes])
    #expect(s2 == 1)
    #expect(e2.hasPrefix(shapes) && e2.contains("missing.root"), "\(e2)")
    #expect(e2.components(separatedBy: "error:").count == 2, "\(e2)")
  }

  /// A full disk on standard output is exit status 1 with a message, not 0 with a truncated table;
  /// a closed or full standard error does not crash the tool (it used to die with SIGILL, 132).
  @Test func unwritableOutputStreams() throws {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let card = TestPaths.packageRoot.appendingPathComponent("Datacards/hzz4l/hzz4l.txt").path
    func shell(_ command: String) throws -> (Int32, String) {
      let r = try runProgram("/bin/sh", ["-c", command])
      return (r.status, r.stderr)
    }
    let full = try shell("'\(bin)' validate '\(card)' > /dev/full")
    #expect(full.0 == 1 && full.1.contains("cannot write the standard output"), "\(full)")
    #expect(try shell("'\(bin)' validate '\(card)' > /dev/null 2>/dev/full").0 == 0)
    #expect(try shell("'\(bin)' validate '\(card)' > /dev/null 2>&-").0 == 0)
    #expect(try shell("'\(bin)' fit /nonexistent/card.txt 2>&-").0 == 1)
  }

  /// A scan whose checkpoint cannot grow (a file-size limit standing in for a full disk) stops with
  /// exit status 1 and a message naming the checkpoint and the reason, keeping what was written;
  /// it used to crash (SIGILL) on the first failed append.
  @Test func scanCheckpointOnAFullDisk() throws {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let card = TestPaths.packageRoot.appendingPathComponent("Datacards/hzz4l/hzz4l.txt").path
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cli-full-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // 16 blocks of 512 bytes; SIGXFSZ ignored, so that writes past the limit fail with EFBIG.
    let r = try runProgram("/bin/sh", ["-c", "trap '' XFSZ; ulimit -f 16; exec '\(bin)' scan '\(card)' --setParameterRanges r=0,3 --points 100 --threads 1 --csv out.csv"], in: dir)
    let text = r.stderr
    #expect(r.status == 1, Comment(rawValue: text))
    #expect(text.contains("cannot append to the scan checkpoint out.csv.partial: File too large"), Comment(rawValue: text))
    let kept = try String(contentsOfFile: dir + "/out.csv.partial", encoding: .utf8)
    #expect(kept.hasPrefix("# recombine scan checkpoint") && kept.split(separator: "\n").count > 10)
    #expect(!FileManager.default.fileExists(atPath: dir + "/out.csv"))
  }

  /// A mistyped command gets the closest ones; Combine's `-M METHOD` without `combine` gets the
  /// front end's spelling and the subcommand that does that job; both exit with the usage status 64.
  @Test func commandHints() throws {
    let (s1, e1) = try run(["fitt", "card.txt"])
    #expect(s1 == 64 && e1.hasPrefix("error: unknown command 'fitt' (did you mean fit"), "\(e1)")
    let (s2, e2) = try run(["-M", "AsymptoticLimits", "card.txt"])
    #expect(s2 == 64 && e2.contains("'recombine combine -M AsymptoticLimits …'") && e2.contains("is 'recombine limit CARD'"), "\(e2)")
    let (s3, e3) = try run(["-M", "MultiDimFit"])
    #expect(s3 == 64 && e3.contains("'recombine scan CARD' (--algo grid)"), "\(e3)")
  }
}

