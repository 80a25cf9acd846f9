import Foundation
import Support
import Testing
import TestSupport

/// Every workflow script in Examples/ runs to the end with the freshly built `recombine` and
/// writes what it promises.
@Suite struct ExampleScriptTests {
  static var binary: String? { Recombine.binary }

  static let scripts: [(name: String, outputs: [String])] = [
    ("longexercise.sh", ["part3_combined.txt", "fit.csv", "scan.csv", "scan.png", "fitdiagnostics.json", "toys.csv", "toys_split.csv",
                         "fitdiagnostics/signal_region_prefit.png", "fitdiagnostics/DY_cr_postfit_s.png"]),
    ("eft-scan-h4l-toy.sh", ["chg.csv", "chg.png", "chg_chbox.png", "chg_chbox_contours.json"]),
    ("bit-categories.sh", ["model.json", "bit.txt", "bit_eft.json", "ptz.txt", "scan_cHW.png"]),
    ("tth-multilepton.sh", ["fit.json", "scan.csv", "scan.png"]),
    ("combination.sh", ["combination.txt", "ctg_hzz4l.csv", "ctg_tth.csv", "ctg_combined.csv", "ctg.png"]),
    ("pyhf-combination.sh", ["atlas.json", "combined.json", "mu_atlas_alone.csv", "mu_atlas_combined.csv", "r_alone.csv",
                             "r_combined.csv", "mu_atlas.png", "r.png", "r_mu_atlas.csv", "r_mu_atlas.png"]),
  ]

  /// The scripts that read ../shared (the long exercise's cards, the CMS STXStoSMEFT files).
  static let needingShared: Set<String> = ["longexercise.sh", "eft-scan-h4l-toy.sh"]

  @Test(arguments: scripts.map(\.name).filter { !needingShared.contains($0) })
  func runs(_ name: String) throws { try check(name) }

  @Test(.needsReference, arguments: scripts.map(\.name).filter { needingShared.contains($0) })
  func runsWithReference(_ name: String) throws { try check(name) }

  func check(_ name: String) throws {
    let bin = try #require(Self.binary, "recombine executable not found next to the tests")
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("rc-example-\(getpid())-\(name)")
    defer { try? FileManager.default.removeItem(at: out) }
    try Self.run(name, bin: bin, out: out)
    // The property each script's comment promises, read from its output.
    switch name {
    case "eft-scan-h4l-toy.sh":
      // "its two minima give a two-piece interval": two pieces at 2ΔNLL = 1 (four crossings).
      let c = try Self.scan(out.appendingPathComponent("chg.csv"))
      #expect(Self.crossings(c, level: 1).count == 4, "\(Self.crossings(c, level: 1))")
    case "bit-categories.sh":
      // BIT categories constrain cHW better than pT(Z) bins: a narrower 68% interval.
      let bit = Self.crossings(try Self.scan(out.appendingPathComponent("scan_bit.csv")), level: 1)
      let ptz = Self.crossings(try Self.scan(out.appendingPathComponent("scan_ptz.csv")), level: 1)
      try #require(bit.count == 2 && ptz.count == 2)
      #expect(bit[1] - bit[0] < ptz[1] - ptz[0])
      // The fit command the card's header prints works as printed: on the SM Asimov dataset cHW
      // comes out at 0 (the SM it was generated at) with a two-sided interval, the one the scan
      // gives (2ΔNLL = 1 crossings).
      let card = try String(contentsOf: out.appendingPathComponent("bit.txt"), encoding: .utf8)
      let line = try #require(card.split(separator: "\n").first { $0.contains("EFT: recombine fit") })
      let words = line.split(separator: "EFT: ", maxSplits: 1)[1].split(separator: " ").map(String.init)
      #expect(words.contains("--expectSignal"))
      let r = try runProgram(bin, Array(words.dropFirst()), in: out.path)
      #expect(r.status == 0, "\(r.stderr)")
      let m = try #require(r.stdout.firstMatch(of: /cHW :\s+([-+.0-9]+)\s+([-+.0-9]+)\/([-+.0-9]+)/), "\(r.stdout)")
      let (best, lo, hi) = (Double(m.1)!, Double(m.2)!, Double(m.3)!)
      #expect(abs(best) < 1e-3, "\(r.stdout)")
      #expect(abs(best + lo - bit[0]) < 0.02 * (bit[1] - bit[0]) && abs(best + hi - bit[1]) < 0.02 * (bit[1] - bit[0]), "\(r.stdout) vs scan \(bit)")
    case "combination.sh":
      // The combined c_tG interval is no wider than either channel's.
      let w = try ["ctg_hzz4l.csv", "ctg_tth.csv", "ctg_combined.csv"].map { f -> Double in
        let x = Self.crossings(try Self.scan(out.appendingPathComponent(f)), level: 1)
        return x.count >= 2 ? x.last! - x.first! : .infinity
      }
      #expect(w[2] <= w[0] && w[2] <= w[1] && w[2].isFinite, "\(w)")
    case "pyhf-combination.sh":
      // Nothing is shared between the ATLAS workspace and the CMS card: each POI's combined profile
      // is its profile alone (2e-4), and the ATLAS one has pyhf's best fit (0.28485).
      for poi in ["mu_atlas", "r"] {
        let alone = try Self.scan(out.appendingPathComponent("\(poi)_alone.csv")), both = try Self.scan(out.appendingPathComponent("\(poi)_combined.csv"))
        #expect(alone.count == both.count && zip(alone, both).allSatisfy { abs($0.0 - $1.0) < 1e-9 && abs($0.1 - $1.1) < 2e-4 }, "\(poi)")
      }
      let best = try LimitTreeTable.read(out.appendingPathComponent("mu_atlas_alone.csv").path).column("mu_atlas")![0]
      #expect(abs(best - 0.28485) < 2e-3 * 0.36)
    case "tth-multilepton.sh":
      // μ_ttH on the SM pseudo-data with an interval of the published size (±0.2–0.3).
      let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("fit.json"))) as? [String: Any])
      let r = try #require((doc["parameters"] as? [[String: Any]])?.first { $0["name"] as? String == "r_ttH" })
      #expect(r["value"] as! Double > 0 && (r["error"] as! Double) > 0.2 && (r["error"] as! Double) < 0.3, "\(r)")
    default: break
    }
    if name == "longexercise.sh" {
      try Self.checkFitDiagnostics(out.appendingPathComponent("fitdiagnostics.json"))
      // A toy study split into jobs gives the toys of the single run, byte for byte.
      let single = try String(contentsOf: out.appendingPathComponent("toys.csv"), encoding: .utf8)
      let split = try String(contentsOf: out.appendingPathComponent("toys_split.csv"), encoding: .utf8)
      #expect(single == split)
      // Per converged toy one best-fit row (quantileExpected −1) and its two interval ends; toys
      // are numbered 1…100 and almost all converge.
      let rows = single.split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
      let bests = rows.filter { $0[2] == "-1" }.map { Int($0[1])! }
      #expect(bests.count >= 95 && Set(bests).count == bests.count && bests.allSatisfy { (1...100).contains($0) })
      #expect(rows.count == 3 * bests.count, "one best fit and two interval rows per converged toy")
    }
  }

  /// (POI value, 2ΔNLL) of a scan CSV's points (the best-fit row, quantileExpected −1, left out).
  static func scan(_ url: URL) throws -> [(Double, Double)] {
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
    let head = lines[0]
    let q = head.firstIndex(of: "quantileExpected")!, d = head.firstIndex(of: "deltaNLL")!
    return lines.dropFirst().filter { $0[q] != "-1" }.map { (Double($0[3])!, 2 * Double($0[d])!) }.sorted { $0.0 < $1.0 }
  }

  /// Where the piecewise-linear curve crosses `level`, in order.
  static func crossings(_ c: [(Double, Double)], level: Double) -> [Double] {
    (0..<max(0, c.count - 1)).compactMap { i in
      let a = c[i].1 - level, b = c[i + 1].1 - level
      return a * b < 0 ? c[i].0 + (c[i + 1].0 - c[i].0) * a / (a - b) : nil
    }
  }

  static func run(_ name: String, bin: String, out: URL) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = [TestPaths.packageRoot.appendingPathComponent("Examples/\(name)").path, bin, TestPaths.shared.path, out.path]
    p.standardOutput = FileHandle.nullDevice
    let err = Pipe()
    p.standardError = err
    try p.run()
    let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, Comment(rawValue: errText.suffix(2000).description))
    for f in Self.scripts.first(where: { $0.name == name })!.outputs {
      #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "\(name): \(f) missing")
    }
  }

  /// `fit-diagnostics` on the long exercise: the s+b fit's r and interval are Combine's
  /// (expected/summary.txt: "r : +0.540 -0.440/+0.466"; 2e-3), the post-fit totals equal the sum of
  /// their processes plus the Barlow–Beeston shifts, and the b-only fit has no signal.
  static func checkFitDiagnostics(_ url: URL) throws {
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let summary = try String(contentsOf: TestPaths.shared.appendingPathComponent(
      "reference/combine/longexercise_part3_combined/expected/summary.txt"), encoding: .utf8)
    let m = try #require(summary.firstMatch(of: /r : ([-+.0-9]+) ([-+.0-9]+)\/([-+.0-9]+)/))
    let (best, lo, hi) = (Double(m.1)!, Double(m.2)!, Double(m.3)!)
    let fitS = try #require(doc["fit_s"] as? [String: Any])
    let params = try #require(fitS["parameters"] as? [[String: Any]])
    let r = try #require(params.first { $0["name"] as? String == "r" })
    #expect(abs((r["value"] as! Double) - best) < 2e-3)
    #expect(abs((r["errorLo"] as! Double) - lo) < 2e-3 && abs((r["errorHi"] as! Double) - hi) < 2e-3, "\(r)")
    for key in ["shapes_prefit", "shapes_fit_s", "shapes_fit_b"] {
      let channels = try #require(doc[key] as? [[String: Any]])
      #expect(channels.map { $0["channel"] as? String } == ["signal_region", "ttbar_cr", "DY_cr"])
      for ch in channels {
        let procs = ch["process"] as! [[String: Any]]
        let total = ch["total"] as! [String: Any]
        let sum = procs.reduce(0.0) { $0 + ($1["total"] as! Double) }
        let bb = (total["total"] as! Double) - sum
        // BB-lite shifts are 0 pre-fit and small post-fit (a few per mille of the total).
        if key == "shapes_prefit" { #expect(abs(bb) < 1e-6 * sum) } else { #expect(abs(bb) < 0.01 * sum, "\(key) \(bb)") }
        if key == "shapes_fit_b" { #expect((ch["totalSignal"] as! [String: Any])["total"] as! Double == 0) }
      }
    }
  }
}
