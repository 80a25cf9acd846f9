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
}
