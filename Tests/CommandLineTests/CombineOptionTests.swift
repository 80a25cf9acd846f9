import Foundation
import ROOTIO
import Testing
import TestSupport

/// Every Combine option the front end supports: it runs, and it reaches the subcommand as the
/// README's compatibility table says (checked on the echoed command line).
@Suite struct CombineOptionTests {
  static let cases: [(args: [String], echo: [String])] = [
    (["-M", "MultiDimFit", "--algo", "singles", "-t", "-1", "--expectSignal", "1"], ["-t -1", "--expectSignal 1", "--algo singles"]),
    (["-M", "MultiDimFit", "-P", "r", "--floatOtherPOIs", "1"], ["-P r", "--floatOtherPOIs 1"]),
    (["-M", "MultiDimFit", "--setParameters", "r=2", "--setParameterRanges", "r=0,4"], ["--setParameters r=2", "--setParameterRanges r=0,4"]),
    (["-M", "MultiDimFit", "--freezeParameters", "rgx{bkg.*}"], ["--freezeParameters 'rgx{bkg.*}'"]),
    (["-M", "MultiDimFit", "--freezeNuisanceGroups", "autoMCStats"], []),
    (["-M", "MultiDimFit", "--rMin", "0", "--rMax", "5"], ["--rMin 0", "--rMax 5"]),
    (["-M", "MultiDimFit", "--algo", "grid", "--points", "10", "--firstPoint", "2", "--lastPoint", "5", "--alignEdges", "1"],
     ["--points 10", "--firstPoint 2", "--lastPoint 5", "--alignEdges 1"]),
    (["-M", "MultiDimFit", "--algo", "grid", "--points", "5", "--saveSpecifiedNuis", "bkgUnc"], ["--save-nuisances"]),
    (["-M", "MultiDimFit", "--saveFitResult", "-n", "Saved"], ["--json multidimfitSaved.json"]),
    (["-M", "MultiDimFit", "-t", "5", "-s", "-1", "--toysFrequentist"], ["-t 5", "--toysFrequentist"]),
    (["-M", "AsymptoticLimits", "--cl", "0.9", "--run", "blind"], ["--cl 0.9", "--run blind"]),
    (["-M", "Significance", "-t", "-1", "--expectSignal", "1"], ["-t -1"]),
    (["-M", "FitDiagnostics", "--skipBOnlyFit", "--preFitValue", "0.5"], ["--skipBOnlyFit", "--preFitValue 0.5"]),
    (["-M", "MultiDimFit", "-S", "0"], ["--freezeParameters allConstrainedNuisances"]),
    (["-M", "GoodnessOfFit", "--algo", "saturated", "-t", "5", "--fixedSignalStrength", "1", "--toysFrequentist"],
     ["gof", "--algo saturated", "-t 5", "--fixedSignalStrength 1", "--toysFrequentist"]),
    (["-M", "GoodnessOfFit", "--algo", "AD"], ["--algo AD"]),
    (["-M", "HybridNew", "--LHCmode", "LHC-limits", "--singlePoint", "1", "-T", "200", "--rule", "CLs", "--testStat", "LHC", "--fork", "2"],
     ["hybrid", "--LHCmode LHC-limits", "--singlePoint 1", "-T 200", "--rule CLs", "--testStat LHC"]),
    (["-M", "HybridNew", "--LHCmode", "LHC-feldman-cousins", "--singlePoint", "0.5", "-T", "100"],
     ["hybrid", "--LHCmode LHC-feldman-cousins", "--singlePoint 0.5"]),
    (["-M", "HybridNew", "--testStat", "PL", "--singlePoint", "0.5", "-T", "100", "--rule", "Pmu"], ["--testStat PL", "--rule Pmu"]),
    (["-M", "MultiDimFit", "--algo", "singles", "--robustFit", "1"], ["--algo singles", "--robustFit 1"]),
    (["-M", "MultiDimFit", "--robustFit", "1", "--cminDefaultMinimizerStrategy", "0", "--X-rtd", "MINIMIZER_analytic", "--cminFallbackAlgo",
      "Minuit2,0:0.1", "--X-rt", "MINIMIZER_freezeDisassociatedParams", "-v", "1", "--cminPreScan"], []),
  ]

  @Test(arguments: cases.indices)
  func optionReachesTheSubcommand(_ k: Int) throws {
    let bin = try #require(Recombine.binary)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-combine-opt-\(k)-\(getpid())").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try TestCards.countingOneBin.write(toFile: dir + "/card.txt", atomically: true, encoding: .utf8)
    let (args, echo) = Self.cases[k]
    let r = try Recombine.run(bin, ["combine", "card.txt"] + args, in: dir)
    let line = r.stderr.split(separator: "\n").first { $0.hasPrefix(">>> recombine ") }.map(String.init) ?? ""
    if args.contains("--freezeNuisanceGroups") {
      // The card has no autoMCStats: the group is unknown, and the error names it.
      #expect(r.status == 1 && r.stderr.contains("unknown nuisance group 'autoMCStats'"), Comment(rawValue: r.stderr))
      return
    }
    #expect(r.status == 0, Comment(rawValue: r.stderr))
    for e in echo { #expect(line.contains(e), "\(e) not in: \(line)") }
    if args.contains("--saveFitResult") { #expect(FileManager.default.fileExists(atPath: dir + "/multidimfitSaved.json")) }
    if args.contains("--cminPreScan") { #expect(r.stderr.components(separatedBy: "accepted without effect").count - 1 == 7) }
    if args.contains("-s") { #expect(r.stderr.contains("note: -s -1: the seed drawn is")) }
    if args.contains("GoodnessOfFit") && args.contains("-t") {
      // A toy run's file holds the toys only, numbered 1…N (the data's statistic is another run).
      let tree = try ROOTFile(path: dir + "/higgsCombineTest.GoodnessOfFit.mH120.123456.root").tree("limit")
      #expect(tree.column("iToy") == .int([1, 2, 3, 4, 5]))
    }
  }
}
