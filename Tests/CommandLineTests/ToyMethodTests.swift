import Foundation
import Inference
import Support
import Testing
import TestSupport

/// Toys in limit and significance (-t N): one row per toy, reproducible by seed and split, and at
/// large counts their medians are the asymptotic (Asimov) expected values.
@Suite struct ToyMethodTests {
  static let card = """
    imax 1 jmax 1 kmax 1
    bin b1
    observation 1000
    bin b1 b1
    process sig bkg
    process 0 1
    rate 60 1000
    bkgUnc lnN - 1.01
    """

  static func run(_ bin: String, _ args: [String], in dir: String) throws -> LimitTreeTable {
    let r = try Recombine.run(bin, args + ["--csv", "t.csv"], in: dir)
    #expect(r.status == 0, Comment(rawValue: r.stderr))
    return try LimitTreeTable.read(dir + "/t.csv")
  }

  @Test func significanceAndLimitToys() throws {
    let bin = try #require(Recombine.binary)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-toymethods-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.card.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    // Significance: toys at r = 1 against the Asimov expected significance.
    let toys = try Self.run(bin, ["significance", "card.txt", "-t", "300", "-s", "5", "--expectSignal", "1"], in: dir)
    #expect(toys.rows.count == 300 && toys.column("iToy") == (1...300).map(Double.init))
    let asimov = try Self.run(bin, ["significance", "card.txt", "-t", "-1", "--expectSignal", "1"], in: dir).column("limit")![0]
    let median = toyQuantile(toys.column("limit")!, 0.5)
    #expect(abs(median - asimov) < 0.15, "median \(median) vs Asimov \(asimov)")
    // Split: toys 100… of the same seed are the same toys.
    let part = try Self.run(bin, ["significance", "card.txt", "-t", "50", "-s", "5", "--expectSignal", "1", "--firstToy", "100"], in: dir)
    #expect(part.column("limit")! == Array(toys.column("limit")![100..<150]))
    // Limits: the toys' median against the asymptotic expected median (background-only toys).
    let lt = try Self.run(bin, ["limit", "card.txt", "-t", "200", "-s", "9"], in: dir)
    let expected = try Self.run(bin, ["limit", "card.txt", "--run", "blind"], in: dir)
    let q = expected.column("quantileExpected")!, l = expected.column("limit")!
    let exp50 = l[q.firstIndex { abs($0 - 0.5) < 1e-6 }!]
    #expect(abs(toyQuantile(lt.column("limit")!, 0.5) - exp50) < 0.1 * exp50, "toys \(toyQuantile(lt.column("limit")!, 0.5)) vs \(exp50)")
  }

  /// gof, significance, limit and scan toy studies split into jobs (--split-toys, interactive) and
  /// merged give the single run's CSV byte for byte.
  @Test(arguments: ["gof", "significance", "limit", "scan"])
  func splitToyStudiesEqualOneRun(_ command: String) throws {
    let bin = try #require(Recombine.binary)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-split-\(command)-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try TestCards.countingOneBin.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    let common = [command, "card.txt", "-t", "12", "-s", "4", "--expectSignal", "1"] + (command == "scan" ? ["--points", "3"] : [])
    let single = try Recombine.run(bin, common + ["--csv", "single.csv"], in: dir)
    #expect(single.status == 0, Comment(rawValue: single.stderr))
    let split = try Recombine.run(bin, common + ["--csv", "merged.csv", "--split-toys", "5", "--job-mode", "interactive", "--job-dir", "jobs"], in: dir)
    #expect(split.status == 0, Comment(rawValue: split.stderr))
    let a = try String(contentsOfFile: dir + "/single.csv", encoding: .utf8), b = try String(contentsOfFile: dir + "/merged.csv", encoding: .utf8)
    #expect(a == b)
    #expect(a.split(separator: "\n").count == (command == "scan" ? 1 + 12 * 4 : 13), "\(a)")
  }

  /// scan -t N scans each toy: its best-fit rows are those of fit -t N (the same toys), every
  /// point's deltaNLL is ≥ 0, and --firstToy selects the same toys.
  @Test func scanToys() throws {
    let bin = try #require(Recombine.binary)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-scantoys-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try TestCards.countingOneBin.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    let common = ["card.txt", "-t", "4", "-s", "2", "--expectSignal", "1"]
    let scan = try Self.run(bin, ["scan"] + common + ["--points", "8"], in: dir)
    let fit = try Self.run(bin, ["fit"] + common, in: dir)
    let q = scan.column("quantileExpected")!, r = scan.column("r")!, d = scan.column("deltaNLL")!, toy = scan.column("iToy")!
    let scanBest = q.indices.filter { q[$0] == -1 }.map { (toy[$0], r[$0]) }
    let fq = fit.column("quantileExpected")!, fr = fit.column("r")!, ft = fit.column("iToy")!
    let fitBest = fq.indices.filter { fq[$0] == -1 }.map { (ft[$0], fr[$0]) }
    #expect(scanBest.map(\.0) == [1, 2, 3, 4] && fitBest.map(\.0) == [1, 2, 3, 4])
    for (a, b) in zip(scanBest, fitBest) { #expect(abs(a.1 - b.1) < 1e-4, "toy \(a.0): \(a.1) vs \(b.1)") }
    #expect(d.allSatisfy { $0 >= -1e-9 } && scan.rows.count == 4 * 9)
    let part = try Self.run(bin, ["scan"] + common + ["--points", "8", "--firstToy", "2"], in: dir)
    #expect(part.column("iToy")!.first == 3 && Array(part.column("deltaNLL")!.prefix(18)) == Array(d[18..<36]))
  }

  /// Feldman–Cousins from the command line: points computed by separate runs (--singlePoint
  /// --saveGrid), merged with --grid into the region; its rows (quantileExpected 1 − CL, the two
  /// ends) are the library's region of the same saved points, and the ends bracket r̂ = 0.4.
  @Test func feldmanCousinsGrid() throws {
    let bin = try #require(Recombine.binary)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-fc-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try TestCards.countingFiveOverThree.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    var files: [String] = []
    for mu in ["0", "0.4", "0.8", "1.2"] {
      let r = try Recombine.run(bin, ["hybrid", "card.txt", "--LHCmode", "LHC-feldman-cousins", "--singlePoint", mu, "-T", "300", "--clsAcc", "0",
                                      "--saveGrid", "g\(mu).json"], in: dir)
      #expect(r.status == 0, Comment(rawValue: r.stderr))
      files.append("g\(mu).json")
    }
    let rows = try Self.run(bin, ["hybrid", "card.txt", "--LHCmode", "LHC-feldman-cousins", "--cl", "0.68", "--json", "fc.json"]
                            + files.flatMap { ["--grid", $0] }, in: dir)
    #expect(rows.column("quantileExpected") == [0.32, 0.32])
    // --json: the same rows, one object each.
    let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/fc.json"))) as? [[String: Double]])
    #expect(json.map { $0["limit"]! } == rows.column("limit")! && json.map { $0["quantileExpected"]! } == [0.32, 0.32])
    let points = try files.flatMap { try JSONDecoder().decode([HybridGridPoint].self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0))) }
    var o = HybridNewOptions()
    o.cl = 0.68
    let region = try HybridNew.feldmanCousins(grid: points, options: o)
    let ends = rows.column("limit")!
    #expect(abs(ends[0] - region.intervals[0].lower!) < 1e-4 && abs(ends[1] - region.intervals[0].upper!) < 1e-4)
    #expect(ends[0] < 0.4 && ends[1] > 0.4)
    // The same grid as a job array (--grid-points; interactive: run here, then read): the same
    // toys (streams derive from μ and the seed), so the same rows; a Slurm plan's script holds
    // one μ per task.
    let jobs = try Self.run(bin, ["hybrid", "card.txt", "--LHCmode", "LHC-feldman-cousins", "--cl", "0.68", "-T", "300", "--clsAcc", "0",
                                  "--grid-points", "0,0.4,0.8,1.2", "--job-dir", "jd"], in: dir)
    #expect(jobs.column("limit") == ends)
    let plan = try Recombine.run(bin, ["hybrid", "card.txt", "--LHCmode", "LHC-feldman-cousins", "--grid-points", "0:1.2:4",
                                       "--job-dir", "jd2", "--job-mode", "slurm", "--dry-run"], in: dir)
    #expect(plan.status == 0 && plan.stdout.contains("sbatch --parsable"))
    let script = try String(contentsOfFile: dir + "/jd2/recombine_hybrid.sh", encoding: .utf8)
    #expect(script.contains("3) FIRST=3; LAST=3; MU=1.2 ;;") && script.contains("--singlePoint \"$MU\" --saveGrid"))
    // Without a point or a grid the mode is refused, as Combine refuses it.
    let refused = try Recombine.run(bin, ["hybrid", "card.txt", "--LHCmode", "LHC-feldman-cousins"], in: dir)
    #expect(refused.status != 0 && refused.stderr.contains("needs --singlePoint"))
  }
}
