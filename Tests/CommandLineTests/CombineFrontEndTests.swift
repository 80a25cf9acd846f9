import Foundation
import ROOTIO
import Support
import Testing
import TestSupport

/// `recombine combine …` and the `combine` link: Combine's command line, its output files.
@Suite struct CombineFrontEndTests {
  static func directory(_ tag: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-combine-\(tag)-\(getpid())").path
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try TestCards.countingOneBin.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    return dir
  }

  /// MultiDimFit --algo grid with -n, -m and --saveNLL writes higgsCombine.x.MultiDimFit.mH125.root
  /// with Combine's branches, holding what `recombine scan` computes for the same scan.
  @Test func multiDimFitGridWritesCombinesFile() throws {
    let bin = try #require(Recombine.binary)
    let dir = try Self.directory("grid")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try Recombine.run(bin, ["combine", "-M", "MultiDimFit", "card.txt", "--algo", "grid", "--points", "50", "-n", ".x", "-m", "125",
                                    "--saveNLL", "--cminDefaultMinimizerStrategy", "0", "--X-rtd", "MINIMIZER_analytic"], in: dir)
    #expect(r.status == 0, Comment(rawValue: r.stderr))
    #expect(r.stderr.contains("--cminDefaultMinimizerStrategy 0 accepted without effect"))
    let tree = try ROOTFile(path: dir + "/higgsCombine.x.MultiDimFit.mH125.root").tree("limit")
    #expect(tree.branches.map(\.name) == ["limit", "limitErr", "mh", "syst", "iToy", "iSeed", "iChannel", "t_cpu", "t_real",
                                          "quantileExpected", "r", "deltaNLL", "nll", "nll0"])
    #expect(tree.entries == 51)
    let native = try Recombine.run(bin, ["scan", "card.txt", "--points", "50", "-m", "125", "--csv", "n.csv"], in: dir)
    #expect(native.status == 0)
    let table = try LimitTreeTable.read(dir + "/n.csv")
    #expect(tree.column("r")?.doubles == table.column("r")!.map { Double(Float($0)) })
    #expect(tree.column("deltaNLL")?.doubles == table.column("deltaNLL")!.map { Double(Float($0)) })
    let nll = tree.column("nll")!.doubles, nll0 = tree.column("nll0")!.doubles, d = table.column("deltaNLL")!
    for k in d.indices { #expect(abs(nll[k] - nll0[k] - d[k]) < 1e-6 * max(1, abs(d[k]))) }
  }

  /// AsymptoticLimits over -m lo:hi:step: one file per mass (seed in the name with -s), six rows
  /// each; a comma list works too; $MASS in the card path is replaced.
  @Test func limitsOverMasses() throws {
    let bin = try #require(Recombine.binary)
    let dir = try Self.directory("masses")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for m in ["120", "125", "130"] { try FileManager.default.copyItem(atPath: dir + "/card.txt", toPath: dir + "/card_\(m).txt") }
    let r = try Recombine.run(bin, ["combine", "-M", "AsymptoticLimits", "-d", "card_$MASS.txt", "-m", "120:130:5", "-s", "7"], in: dir)
    #expect(r.status == 0, Comment(rawValue: r.stderr))
    let native = try LimitTreeTable.read(try { () throws -> String in
      _ = try Recombine.run(bin, ["limit", "card.txt", "--csv", "n.csv"], in: dir); return dir + "/n.csv" }())
    for m in [120.0, 125, 130] {
      let tree = try ROOTFile(path: dir + "/higgsCombineTest.AsymptoticLimits.mH\(Int(m)).7.root").tree("limit")
      #expect(tree.entries == 6 && tree.column("mh")?.doubles == [Double](repeating: m, count: 6))
      #expect(tree.column("iSeed") == .int([Int32](repeating: 7, count: 6)))
      #expect(tree.column("limit")?.doubles == native.column("limit"))
      #expect(tree.column("quantileExpected")?.doubles == native.column("quantileExpected")!.map { Double(Float($0)) })
    }
    // The limits JSON (combineTool's CollectLimits layout) and the Brazil figure.
    let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/limitsTest.json"))) as? [String: [String: Double]])
    #expect(json.keys.sorted() == ["120.0", "125.0", "130.0"])
    let median = native.column("limit")![native.column("quantileExpected")!.firstIndex { abs($0 - 0.5) < 1e-6 }!]
    #expect(json["125.0"]?["exp0"] == median && json["125.0"]?.count == 6)
    let collected = try Recombine.run(bin, ["collect-limits", "higgsCombineTest.AsymptoticLimits.mH120.7.root", "n.csv", "-o", "c.json"], in: dir)
    #expect(collected.status == 0 && collected.stdout.contains("1 masses"), Comment(rawValue: collected.stdout + collected.stderr))
    let brazil = try Recombine.run(bin, ["plot", "limits", "limitsTest.json", "-o", "brazil.png", "--logo", "CMS"], in: dir)
    #expect(brazil.status == 0 && FileManager.default.fileExists(atPath: dir + "/brazil.png"), Comment(rawValue: brazil.stderr))
    let list = try Recombine.run(bin, ["combine", "-M", "Significance", "card.txt", "-m", "120,125"], in: dir)
    #expect(list.status == 0, Comment(rawValue: list.stderr))
    #expect(FileManager.default.fileExists(atPath: dir + "/higgsCombineTest.Significance.mH120.root"))
    #expect(FileManager.default.fileExists(atPath: dir + "/higgsCombineTest.Significance.mH125.root"))
  }

  /// Unsupported options and methods are errors naming them; -S 0 freezes the constrained
  /// nuisances; rgx{} patterns pass through; run under the name `combine` (the install link).
  @Test func optionsAndTheCombineLink() throws {
    let bin = try #require(Recombine.binary)
    let dir = try Self.directory("opts")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let bogus = try Recombine.run(bin, ["combine", "-M", "MultiDimFit", "card.txt", "--bogusOption", "1"], in: dir)
    #expect(bogus.status != 0 && bogus.stderr.contains("'--bogusOption' is not supported"), Comment(rawValue: bogus.stderr))
    let method = try Recombine.run(bin, ["combine", "-M", "MarkovChainMC", "card.txt"], in: dir)
    #expect(method.status != 0 && method.stderr.contains("MarkovChainMC"), Comment(rawValue: method.stderr))
    // -S 0 equals freezing every constrained nuisance; rgx{} reaches the fit.
    let stat = try Recombine.run(bin, ["combine", "-M", "MultiDimFit", "card.txt", "--algo", "singles", "-S", "0"], in: dir)
    let frozen = try Recombine.run(bin, ["fit", "card.txt", "--algo", "singles", "--freezeParameters", "allConstrainedNuisances"], in: dir)
    let rgx = try Recombine.run(bin, ["combine", "-M", "MultiDimFit", "card.txt", "--algo", "singles", "--freezeParameters", "rgx{bkg.*}"], in: dir)
    #expect(stat.status == 0 && frozen.status == 0 && rgx.status == 0, Comment(rawValue: stat.stderr + rgx.stderr))
    func line(_ s: String) -> String? { s.split(separator: "\n").first { $0.contains("(68%)") }.map(String.init) }
    #expect(line(stat.stdout) != nil && line(stat.stdout) == line(frozen.stdout) && line(rgx.stdout) == line(frozen.stdout),
            Comment(rawValue: stat.stdout + frozen.stdout))
    // The install link: the binary run as `combine`.
    let link = dir + "/combine"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: bin)
    let viaLink = try runProgram(link, ["-M", "Significance", "card.txt", "-n", "Link"], in: dir)
    #expect(viaLink.status == 0, Comment(rawValue: viaLink.stderr))
    #expect(FileManager.default.fileExists(atPath: dir + "/higgsCombineLink.Significance.mH120.root"))
  }

  /// -M FitDiagnostics writes fitDiagnostics<NAME>.root: the fit trees hold the numbers of the
  /// JSON, the shapes are Combine's densities (yield / bin width) whose integral is the yield.
  @Test func fitDiagnosticsFile() throws {
    let bin = try #require(Recombine.binary)
    let dir = try Self.directory("fd")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try Recombine.run(bin, ["combine", "-M", "FitDiagnostics", "card.txt", "-n", ".t"], in: dir)
    #expect(r.status == 0, Comment(rawValue: r.stderr))
    let native = try Recombine.run(bin, ["fit-diagnostics", "card.txt", "--json", "fd.json"], in: dir)
    #expect(native.status == 0)
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/fd.json"))) as? [String: Any])
    let fitS = try #require((doc["fit_s"] as? [String: Any])?["parameters"] as? [[String: Any]])
    let rJSON = try #require(fitS.first { $0["name"] as? String == "r" })
    let f = try ROOTFile(path: dir + "/fitDiagnostics.t.root")
    let sb = try f.tree("tree_fit_sb")
    #expect(sb.entries == 1)
    #expect(sb.column("fit_status") == .int([0]))
    // (JSONSerialization's reading of a double may differ in the last bit.)
    #expect(abs(sb.column("r")!.doubles[0] - (rJSON["value"] as! Double)) < 1e-12)
    #expect(abs(sb.column("rLoErr")!.doubles[0] + (rJSON["errorLo"] as! Double)) < 1e-12)
    #expect(abs(sb.column("rHiErr")!.doubles[0] - (rJSON["errorHi"] as! Double)) < 1e-12)
    #expect(sb.column("bkgUnc") != nil && sb.column("bkgUnc_In") == .double([0]))
    #expect(try f.tree("tree_fit_b").column("r") == .double([0]))
    let shapes = try #require(doc["shapes_fit_s"] as? [[String: Any]])
    let total = try #require((shapes[0]["total"] as? [String: Any])?["values"] as? [Double])
    let h = try f.histogram("shapes_fit_s/b1/total")
    // A counting channel is one bin [0, 1]: the density equals the yield.
    #expect(h.xEdges == [0, 1] && h.contents[1] == total[0])
    #expect(try f.histogram("shapes_prefit/b1/data").contents[1] == 15)
  }

  /// combineTool.py's Impacts call: -M MultiDimFit --algo impact -P θ writes the three rows it
  /// reads (best fit, θ_lo, θ_hi) with the POI's values: those of `recombine impacts`.
  @Test func algoImpactAsCombineToolCallsIt() throws {
    let bin = try #require(Recombine.binary)
    let dir = try Self.directory("impact")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try Recombine.run(bin, ["combine", "-M", "MultiDimFit", "-n", "_paramFit_Test_bkgUnc", "--algo", "impact", "--redefineSignalPOIs", "r",
                                    "-P", "bkgUnc", "--floatOtherPOIs", "1", "--saveInactivePOI", "1", "-m", "120", "card.txt"], in: dir)
    #expect(r.status == 0, Comment(rawValue: r.stderr))
    let tree = try ROOTFile(path: dir + "/higgsCombine_paramFit_Test_bkgUnc.MultiDimFit.mH120.root").tree("limit")
    #expect(tree.column("quantileExpected") == .float([-1, 0.32, 0.32]))
    let native = try Recombine.run(bin, ["impacts", "card.txt", "-o", "i.json"], in: dir)
    #expect(native.status == 0)
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/i.json"))) as? [String: Any])
    let p = try #require((doc["params"] as? [[String: Any]])?.first { $0["name"] as? String == "bkgUnc" })
    let fit = p["fit"] as! [Double], rv = p["r"] as! [Double]
    #expect(tree.column("bkgUnc")!.doubles == [fit[1], fit[0], fit[2]].map { Double(Float($0)) })
    #expect(tree.column("r")!.doubles == [rv[1], rv[0], rv[2]].map { Double(Float($0)) })
  }

  /// --algo fixed --fixedPointPOIs r=2: the profiled ΔNLL at the point, the scan's value there.
  @Test func algoFixed() throws {
    let bin = try #require(Recombine.binary)
    let dir = try Self.directory("fixed")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try Recombine.run(bin, ["combine", "-M", "MultiDimFit", "card.txt", "--algo", "fixed", "--fixedPointPOIs", "r=2"], in: dir)
    #expect(r.status == 0, Comment(rawValue: r.stderr))
    let tree = try ROOTFile(path: dir + "/higgsCombineTest.MultiDimFit.mH120.root").tree("limit")
    #expect(tree.entries == 2 && tree.column("r")?.doubles.last == 2)
    _ = try Recombine.run(bin, ["scan", "card.txt", "--points", "21", "--setParameterRanges", "r=0,4", "--alignEdges", "1", "--csv", "s.csv"], in: dir)
    let scan = try LimitTreeTable.read(dir + "/s.csv")
    let k = try #require(scan.column("r")!.indices.first { scan.column("r")![$0] == 2 && scan.column("quantileExpected")![$0] != -1 })
    #expect(abs(tree.column("deltaNLL")!.doubles[1] - scan.column("deltaNLL")![k]) < 1e-6)
    let bad = try Recombine.run(bin, ["combine", "-M", "MultiDimFit", "card.txt", "--algo", "fixed", "--fixedPointPOIs", "bkgUnc=1"], in: dir)
    #expect(bad.status == 1 && bad.stderr.contains("gives no value for 'r'"), Comment(rawValue: bad.stderr))
  }

  /// -M ChannelCompatibilityCheck: limit = 2ΔNLL, the value channel-compat prints.
  @Test func channelCompatibility() throws {
    let bin = try #require(Recombine.binary)
    let dir = try Self.directory("ccc")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try BreakdownTests.card.write(toFile: dir + "/two.txt", atomically: true, encoding: .utf8)
    let r = try Recombine.run(bin, ["combine", "-M", "ChannelCompatibilityCheck", "two.txt", "--rMin", "-5", "--rMax", "10", "--runMinos", "1"], in: dir)
    #expect(r.status == 0, Comment(rawValue: r.stderr))
    let m = try #require(r.stdout.firstMatch(of: /Chi2-like compatibility variable: ([0-9.e+-]+)/))
    let tree = try ROOTFile(path: dir + "/higgsCombineTest.ChannelCompatibilityCheck.mH120.root").tree("limit")
    #expect(abs(tree.column("limit")!.doubles[0] - Double(m.1)!) < 1e-5 * max(1, Double(m.1)!))
    let native = try Recombine.run(bin, ["channel-compat", "two.txt", "--rMin", "-5", "--rMax", "10", "--runMinos", "--plot", "c.png"], in: dir)
    #expect(native.status == 0 && native.stdout.contains("r_a") && native.stdout.contains("r_b"), Comment(rawValue: native.stdout + native.stderr))
    #expect(FileManager.default.fileExists(atPath: dir + "/c.png"))
  }
}
