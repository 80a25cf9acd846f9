import Foundation
import Support
import Testing
import TestSupport

/// Saved fits as starting points and the uncertainty breakdown: the stat-only interval is that of
/// a scan with every constrained nuisance (autoMCStats included) frozen at its post-fit value, and
/// the best fit does not move.
@Suite struct BreakdownTests {
  static let card = """
    imax 2 jmax 1 kmax *
    bin a b
    observation 40 25
    bin a a b b
    process sig bkg sig bkg
    process 0 1 0 1
    rate 10 25 6 18
    lumi lnN 1.025 1.025 1.025 1.025
    bkg_norm lnN - 1.15 - 1.15
    sig_theory lnN 1.08 - 1.08 -
    theory group = sig_theory
    experiment group = lumi bkg_norm
    """

  static func check(_ bin: String, card: String, extra: [String], groups: String, in dir: String) throws {
    let b = try Recombine.run(bin, ["breakdown", card, "--json", "b.json", "--groups", groups] + extra, in: dir)
    #expect(b.status == 0, Comment(rawValue: b.stderr))
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/b.json"))) as? [String: Any])
    let comps = try #require(doc["components"] as? [[String: Any]])
    let stat = try #require(comps.first { $0["name"] as? String == "stat" })
    let total = try #require(comps.first { $0["name"] as? String == "total" })
    let syst = try #require(comps.first { $0["name"] as? String == "syst" })
    #expect((doc["bestFitShift"] as! Double) < 1e-3)
    // syst ⊕ stat = total, per side.
    for side in ["down", "up"] {
      let t = total[side] as! Double, s = stat[side] as! Double, y = syst[side] as! Double
      #expect(abs(s * s + y * y - t * t) < 1e-9 * max(1, t * t), "\(side)")
      #expect(s > 0 && s < t)
    }
    // The same by hand: save the fit, freeze every constrained nuisance at its values, scan.
    #expect(try Recombine.run(bin, ["fit", card, "--json", "fit.json"] + extra, in: dir).status == 0)
    let scan = try Recombine.run(bin, ["scan", card, "--fromFit", "fit.json", "--freezeParameters", "allConstrainedNuisances",
                                       "--points", "400", "--csv", "stat.csv"] + extra, in: dir)
    #expect(scan.status == 0, Comment(rawValue: scan.stderr))
    let t = try LimitTreeTable.read(dir + "/stat.csv")
    let poi = t.poiNames[0]
    let x = t.column(poi)!, d = t.column("deltaNLL")!
    let best = doc["best"] as! Double
    let pts = zip(x, d).dropFirst().sorted { $0.0 < $1.0 }
    func crossing(_ above: Bool) -> Double? {
      for k in 0..<(pts.count - 1) where (pts[k].0 < best) != above || (pts[k + 1].0 < best) != above {
        let (a, fa) = pts[k], (b, fb) = pts[k + 1]
        if (2 * fa - 1) * (2 * fb - 1) <= 0 { return a + (b - a) * (1 - 2 * fa) / (2 * fb - 2 * fa) }
      }
      return nil
    }
    let lo = try #require(crossing(false)), hi = try #require(crossing(true))
    let step = (x.max()! - x.min()!) / 400
    #expect(abs((best - lo) - (stat["down"] as! Double)) < step && abs((hi - best) - (stat["up"] as! Double)) < step,
            "scan \(lo) \(hi), breakdown \(stat)")
  }

  @Test func countingCardWithGroups() throws {
    let bin = try #require(Recombine.binary)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-breakdown-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Self.card.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    try Self.check(bin, card: "card.txt", extra: ["--setParameterRanges", "r=0,3"], groups: "theory,experiment", in: dir)
    let out = try Recombine.run(bin, ["breakdown", "card.txt", "--groups", "theory,experiment", "--setParameterRanges", "r=0,3"], in: dir)
    #expect(out.stdout.contains("theory") && out.stdout.contains("experiment") && out.stdout.contains("(total)"), Comment(rawValue: out.stdout))
  }

  /// The long exercise (autoMCStats): the stat-only interval freezes the Barlow–Beeston-lite
  /// parameters too, at their post-fit values, in the breakdown and in the scan alike.
  @Test(.needsReference) func longExercise() throws {
    let bin = try #require(Recombine.binary)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-breakdown-le-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let card = TestPaths.reference.appendingPathComponent("combine/longexercise_part3_combined/card/part3_combined.txt").path
    try Self.check(bin, card: card, extra: ["-m", "200", "--setParameterRanges", "r=-1,2"], groups: "autoMCStats", in: dir)
  }
}
