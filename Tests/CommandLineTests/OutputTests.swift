import Datacard
import EFT
import Foundation
import Inference
import Support
import ROOTIO
import Testing
import TestSupport

/// What the command line writes is what the library computes: the same problem, set up by the
/// options, solved once through `recombine` and once through the library, gives the same numbers.
@Suite struct OutputTests {
  static let card = TestPaths.reference.appendingPathComponent("combine/longexercise_part3_combined/card/part3_combined.txt")

  @Test(.needsReference) func fitWritesTheLibrarysLimitTreeAndFitResult() throws {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cli-out-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try Recombine.run(bin, ["fit", Self.card.path, "-m", "200", "--algo", "singles", "--rMin", "-1", "--rMax", "2",
                                    "--csv", "fit.csv", "--json", "fit.json"], in: dir)
    #expect(r.status == 0, Comment(rawValue: r.stderr))
    #expect(r.stdout.contains("--- MultiDimFit ---"))

    var o = FitOptions()
    o.mass = 200
    o.rMin = -1
    o.rMax = 2
    let problem = try FitProblem.load(card: Self.card.path, physics: PhysicsModelChoice(), options: o)
    let lib = try MultiDimFit.run(problem, algorithm: .singles, hesse: true)
    let k = problem.targets[0]

    let table = try LimitTreeTable.read(dir + "/fit.csv")
    #expect(table.header == ["mh", "iToy", "quantileExpected", "r", "deltaNLL"])
    #expect(table.column("mh") == [200, 200, 200])
    let q = try #require(table.column("quantileExpected")), rs = try #require(table.column("r"))
    #expect(q == [-1, -0.32, 0.32])
    // %.9g in the file: agreement to its precision.
    #expect(abs(rs[0] - lib.best.x[k]) <= 1e-8 * max(1, abs(rs[0])))
    #expect(abs(rs[1] - lib.intervals[k]!.lower) <= 1e-8 * max(1, abs(rs[1])))
    #expect(abs(rs[2] - lib.intervals[k]!.upper) <= 1e-8 * max(1, abs(rs[2])))
    // And the numbers are Combine's (long exercise, MultiDimFit --algo singles: 0.540 −0.440/+0.466).
    #expect(abs(rs[0] - 0.540) < 2e-3 && abs(rs[1] - (0.540 - 0.440)) < 2e-3 && abs(rs[2] - (0.540 + 0.466)) < 2e-3, "\(rs)")

    let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/fit.json"))) as? [String: Any])
    let params = try #require(json["parameters"] as? [[String: Any]])
    let rEntry = try #require(params.first { $0["name"] as? String == "r" })
    #expect(abs((rEntry["error"] as! Double) - lib.hesse!.errors[k]) < 1e-12)
    #expect(abs((rEntry["errorHi"] as! Double) - (lib.intervals[k]!.upper - lib.best.x[k])) < 1e-12)
  }

  /// Usage errors exit with ArgumentParser's status 64 (EX_USAGE); errors of the input with 1.
  @Test func exitStatuses() throws {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let here = FileManager.default.currentDirectoryPath
    #expect(try Recombine.run(bin, ["fitt"], in: here).status == 64)
    #expect(try Recombine.run(bin, ["fit"], in: here).status == 64)
    let missing = try Recombine.run(bin, ["fit", "/nonexistent/card.txt"], in: here)
    #expect(missing.status == 1 && missing.stderr.contains("/nonexistent/card.txt"))
    let algo = try Recombine.run(bin, ["fit", Self.card.path, "--algo", "grid"], in: here)
    #expect(algo.status == 1 && algo.stderr.hasPrefix("error: --algo grid is not supported by 'fit'"))
  }

  /// The same 2D scan gives the same figure and polygons on every run (the contour lines used to
  /// start at edges in hash order, which changes from process to process).
  @Test func contourOutputIsReproducible() throws {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cli-contour-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Two separated minima: several closed lines per level.
    var csv = "mh,iToy,quantileExpected,a,b,deltaNLL\n125,0,-1,-1.5,0,0\n"
    for i in 0..<31 { for j in 0..<25 {
      let a = -3 + 6 * Double(i) / 30, b = -2 + 4 * Double(j) / 24
      let d = 0.5 * min((a + 1.5) * (a + 1.5) + b * b, (a - 1.5) * (a - 1.5) + 2 * b * b + 0.2) * 4
      csv += "125,0,0.5,\(a),\(b),\(d)\n"
    } }
    try csv.write(toFile: dir + "/scan.csv", atomically: true, encoding: .utf8)
    var outputs: [Data] = []
    for k in 0..<3 {
      let r = try Recombine.run(bin, ["plot", "contour", "scan.csv", "-o", "c\(k).svg", "--contours", "c\(k).json"], in: dir)
      #expect(r.status == 0, Comment(rawValue: r.stderr))
      outputs.append(try Data(contentsOf: URL(fileURLWithPath: dir + "/c\(k).svg")) + Data(contentsOf: URL(fileURLWithPath: dir + "/c\(k).json")))
    }
    #expect(outputs[0] == outputs[1] && outputs[0] == outputs[2])
    // Two minima: at 2ΔNLL = 2.30 two closed lines.
    let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/c0.json"))) as? [[String: Any]])
    let lines68 = try #require(json.first?["lines"] as? [[String: Any]])
    #expect(lines68.count == 2 && lines68.allSatisfy { $0["isClosed"] as? Bool == true })
  }

  /// An interval end that is the parameter's range limit is marked as such in the printed result
  /// (it is not a crossing): a deficit puts r̂ on r = 0.
  @Test func intervalEndsAtTheRangeAreMarked() throws {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cli-bound-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try TestCards.countingOneBin.replacingOccurrences(of: "observation 15", with: "observation 6")
      .write(toFile: dir + "/deficit.txt", atomically: true, encoding: .utf8)
    let low = try Recombine.run(bin, ["fit", "deficit.txt", "--algo", "singles"], in: dir)
    #expect(low.status == 0 && low.stdout.contains("[lower end at the range limit, not a 2ΔNLL crossing]"), Comment(rawValue: low.stdout))
    try TestCards.countingOneBin.write(toFile: dir + "/excess.txt", atomically: true, encoding: .utf8)
    let inside = try Recombine.run(bin, ["fit", "excess.txt", "--algo", "singles"], in: dir)
    #expect(inside.status == 0 && inside.stdout.contains("(68%)") && !inside.stdout.contains("range limit"), Comment(rawValue: inside.stdout))
  }

  /// Without -P every coefficient that changes a yield is fitted and those that change none are
  /// named once in a warning (held at their values); asked for with -P, such a coefficient is an
  /// error; an unknown name is answered with the closest valid ones.
  @Test func coefficientsWithoutEffectAndNameHints() throws {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cli-idle-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try TestCards.countingOneBin.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    // μ_sig = (1, a, z)ᵀ M (1, a, z) with every z entry 0: z changes nothing.
    try #"[{"channel":"b1","process":"sig","parameters":["cSM[1]","a[0,-5,5]","zeta[0,-5,5]"],"scaling":[[1,0.3,0.2,0,0,0]]}]"#
      .write(toFile: dir + "/scaling.json", atomically: true, encoding: .utf8)
    let eft = ["--physics-model", "eft", "--eft", "scaling.json"]
    let all = try Recombine.run(bin, ["fit", "card.txt"] + eft, in: dir)
    #expect(all.status == 0, Comment(rawValue: all.stderr))
    #expect(all.stderr.components(separatedBy: "change no expected yield").count == 2 && all.stderr.contains(": zeta"), Comment(rawValue: all.stderr))
    #expect(all.stdout.contains(" a :") && !all.stdout.contains("zeta :"), Comment(rawValue: all.stdout))
    let asked = try Recombine.run(bin, ["fit", "card.txt", "-P", "zeta"] + eft, in: dir)
    #expect(asked.status == 1 && asked.stderr.contains("'zeta' changes no expected yield"), Comment(rawValue: asked.stderr))
    let typo = try Recombine.run(bin, ["fit", "card.txt", "-P", "zet"] + eft, in: dir)
    #expect(typo.status == 1 && typo.stderr.contains("unknown parameter 'zet' (did you mean zeta?)"), Comment(rawValue: typo.stderr))
    // `recombine model` says the same: a scales b1/sig, zeta nothing, bkg is touched by no POI.
    let model = try Recombine.run(bin, ["model", "card.txt"] + eft, in: dir)
    #expect(model.status == 0, Comment(rawValue: model.stderr))
    #expect(model.stdout.contains("  a = 0 in [-5, 5]: scales 1: b1/sig"), Comment(rawValue: model.stdout))
    #expect(model.stdout.contains("  zeta = 0 in [-5, 5]: changes no expected yield"), Comment(rawValue: model.stdout))
    #expect(model.stdout.contains("processes no POI scales: 1 (0 of them signals)"), Comment(rawValue: model.stdout))
  }

  /// plot1DScan.py's options: --others FILE:LABEL:COLOR with a ROOT colour number, --logo,
  /// --logo-sub, --lumi and --translate; labels are printed as plain text; a coefficient's POI is
  /// named as the physicist names it in `summary` and `model`; bad colours and translation files
  /// are errors naming what was expected.
  @Test func figureLabelOptions() throws {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cli-labels-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Two parabolas in chgXE3: minima 1 and 2, 68% half-widths 1 and 2.
    for (name, c, w) in [("main", 1.0, 1.0), ("other", 2.0, 2.0)] {
      var csv = "mh,iToy,quantileExpected,chgXE3,deltaNLL\n125,0,-1,\(c),0\n"
      for k in 0...40 { let x = -5 + 0.25 * Double(k); csv += "125,0,0.5,\(x),\(0.5 * (x - c) * (x - c) / (w * w))\n" }
      try csv.write(toFile: "\(dir)/\(name).csv", atomically: true, encoding: .utf8)
    }
    try #"{"chgXE3": "C_{HG}"}"#.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
    let ok = try Recombine.run(bin, ["plot", "scan", "main.csv", "--others", "other.csv:H#rightarrow4#ell:633", "--logo", "CMS",
                                     "--logo-sub", "Preliminary", "--lumi", "138 fb^{-1} (13 TeV)", "--translate", "t.json", "-o", "s.svg"], in: dir)
    #expect(ok.status == 0, Comment(rawValue: ok.stderr))
    #expect(ok.stdout.contains("Observed: chgXE3 = 1.00 -1.00/+1.00"), Comment(rawValue: ok.stdout))
    #expect(ok.stdout.contains("H→4ℓ: chgXE3 = 2.00 -2.00/+2.00"), Comment(rawValue: ok.stdout))
    #expect(FileManager.default.fileExists(atPath: dir + "/s.svg"))
    let colour = try Recombine.run(bin, ["plot", "scan", "main.csv", "--others", "other.csv:x:chartreuse", "-o", "s.png"], in: dir)
    #expect(colour.status == 1 && colour.stderr.contains("unknown colour 'chartreuse' (a ROOT colour number"), Comment(rawValue: colour.stderr))
    try "[1, 2]".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
    let translate = try Recombine.run(bin, ["plot", "scan", "main.csv", "--translate", "bad.json", "-o", "s.png"], in: dir)
    #expect(translate.status == 1 && translate.stderr.contains("bad.json': expected a JSON object mapping parameter names to labels"),
            Comment(rawValue: translate.stderr))
    let summary = try Recombine.run(bin, ["summary", "main.csv:main"], in: dir)
    #expect(summary.stdout.contains("| main | chgXE3 | c_HG × 10³ | 1.00 |"), Comment(rawValue: summary.stdout))
  }

  /// fit-diagnostics --plots draws pre-fit, s+b and b-only figures; a one-bin counting channel
  /// works (one labelled bin).
  @Test func fitDiagnosticsPlotsIncludeBackgroundOnly() throws {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cli-fd-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try TestCards.countingOneBin.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    let r = try Recombine.run(bin, ["fit-diagnostics", "card.txt", "--plots", "figs", "--lumi", "19.7 fb^{-1} (8 TeV)"], in: dir)
    #expect(r.status == 0, Comment(rawValue: r.stderr))
    for f in ["b1_prefit.png", "b1_postfit_s.png", "b1_postfit_b.png"] {
      #expect(FileManager.default.fileExists(atPath: dir + "/figs/" + f), "\(f)")
    }
  }

  /// --root writes Combine's output file: the limit tree with Combine's branches, in its order and
  /// types, holding the numbers of the CSV (as float where Combine stores floats).
  @Test func rootOutputHoldsTheCSVNumbers() throws {
    let bin = try #require(Recombine.binary, "recombine not built beside the tests")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cli-root-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try TestCards.countingOneBin.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    let standard = ["limit", "limitErr", "mh", "syst", "iToy", "iSeed", "iChannel", "t_cpu", "t_real", "quantileExpected"]
    for (args, extra) in [(["scan", "card.txt", "--points", "7"], ["r", "deltaNLL"]), (["fit", "card.txt", "--algo", "singles"], ["r", "deltaNLL"]),
                          (["limit", "card.txt"], []), (["significance", "card.txt"], [])] {
      let r = try Recombine.run(bin, args + ["--csv", "t.csv", "--root", "t.root", "-m", "125"], in: dir)
      #expect(r.status == 0, Comment(rawValue: r.stderr))
      let table = try LimitTreeTable.read(dir + "/t.csv")
      let tree = try ROOTFile(path: dir + "/t.root").tree("limit")
      #expect(tree.branches.map(\.name) == standard + extra, "\(args[0])")
      #expect(tree.entries == table.rows.count)
      #expect(tree.column("mh")?.doubles.allSatisfy { $0 == 125 } == true)
      #expect(tree.column("iSeed") == .int([Int32](repeating: 123456, count: table.rows.count)))
      for name in table.header {
        let csv = try #require(table.column(name)), root = try #require(tree.column(name))
        switch root {
        case .double(let v): #expect(v.map { Float($0) } == csv.map { Float($0) }, "\(args[0]) \(name)")
        case .float(let v): #expect(v == csv.map { Float($0) }, "\(args[0]) \(name)")
        case .int(let v): #expect(v.map(Double.init) == csv, "\(args[0]) \(name)")
        case .long: Issue.record("no 64-bit branch in the limit tree")
        }
      }
    }
  }

  /// --do95 1 adds the 95% ends at quantileExpected ∓0.05 (Combine's rows), the interval that
  /// --cl 0.95 gives; the 68% rows are unchanged.
  @Test func do95Rows() throws {
    let bin = try #require(Recombine.binary)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-cli-do95-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try TestCards.countingOneBin.replacingOccurrences(of: "observation 15", with: "observation 30")
      .write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    #expect(try Recombine.run(bin, ["fit", "card.txt", "--algo", "singles", "--do95", "1", "--csv", "a.csv"], in: dir).status == 0)
    #expect(try Recombine.run(bin, ["fit", "card.txt", "--algo", "singles", "--cl", "0.95", "--csv", "b.csv"], in: dir).status == 0)
    #expect(try Recombine.run(bin, ["fit", "card.txt", "--algo", "singles", "--csv", "c.csv"], in: dir).status == 0)
    let a = try LimitTreeTable.read(dir + "/a.csv"), b = try LimitTreeTable.read(dir + "/b.csv"), c = try LimitTreeTable.read(dir + "/c.csv")
    #expect(a.column("quantileExpected") == [-1, -0.32, 0.32, -0.05, 0.05])
    #expect(Array(a.column("r")![3...4]) == Array(b.column("r")![1...2]))
    #expect(Array(a.column("r")![0...2]) == c.column("r")!)
  }
}
