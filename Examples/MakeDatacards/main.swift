//===--- main.swift -------------------------------------------------------===//
// make-datacards: regenerates Datacards/ (cards, ROOT shape files, EFT parametrisations,
// pseudo-data, the combination) deterministically, byte for byte.
//
//   make-datacards [OUTPUT_DIR] [--stxs DIR] [--stxs-subset FILE] [--pdf-dir DIR]
//
// OUTPUT_DIR defaults to the package's Datacards/. The SMEFT inputs are read from the CMS
// STXStoSMEFT directory (--stxs, default ../shared/spec/eft-data/stxs-to-smeft/<name> beside the
// package) when it exists, else from the committed subset Datacards/cms-stxs-to-smeft-subset.json
// (--stxs-subset), which this program also writes: both give the same files.
//
// The ZH channel with BIT categories (zh-bit/, combination_zh*) needs the ZH toy's parton-density
// tables (--pdf-dir, default ../shared/reference/bit/zh-pdf-tables beside the package); without
// them it is skipped with a message and its committed files are left alone.
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Foundation
import InformationTrees
import ROOTIO

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
let stxsName = "CMS-prelim-SMEFT-topU3l_22_05_05_AccCorr_0p01"

var outputDir = packageRoot.appendingPathComponent("Datacards").path
var stxsDir: String? = packageRoot.deletingLastPathComponent()
  .appendingPathComponent("shared/spec/eft-data/stxs-to-smeft/\(stxsName)").path
var subsetFile = packageRoot.appendingPathComponent("Datacards/cms-stxs-to-smeft-subset.json").path
var pdfDir = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/bit/zh-pdf-tables").path

var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
  let a = args.removeFirst()
  switch a {
  case "--stxs": stxsDir = args.isEmpty ? nil : args.removeFirst()
  case "--stxs-subset", "--pdf-dir":
    guard !args.isEmpty else {
      FileHandle.standardError.write(Data("make-datacards: \(a) needs a value (usage: make-datacards [OUTPUT_DIR] [--stxs DIR] [--stxs-subset FILE] [--pdf-dir DIR])\n".utf8))
      exit(2)
    }
    if a == "--stxs-subset" { subsetFile = args.removeFirst() } else { pdfDir = args.removeFirst() }
  case "-h", "--help":
    print("usage: make-datacards [OUTPUT_DIR] [--stxs DIR] [--stxs-subset FILE] [--pdf-dir DIR]")
    exit(0)
  default: outputDir = a
  }
}
outputDir = URL(fileURLWithPath: outputDir).standardizedFileURL.path

/// The EFT point of the second pseudo-data set: c_HG = −0.004, c_tG = −0.3 (TeV⁻², Λ = 1 TeV).
/// Chosen so that ggH moves little (+14%: the c_HG and c_tG effects partly cancel) while ttH moves a
/// lot (+36%), a direction only the combination of H→4ℓ (ggH) and ttH multilepton resolves.
let eftTruth: [String: Double] = ["chg": -0.004, "ctgre": -0.3]
let seedSM: UInt64 = 20_250_101
let seedEFT: UInt64 = 20_250_102

do {
  let (stxs, source) = try EFTInputs.load(stxsDirectory: stxsDir, subsetFile: subsetFile)
  print("make-datacards: SMEFT inputs from \(source)")
  var truth = [Double](repeating: 0, count: stxs.coefficients.count)
  for (n, v) in eftTruth { truth[stxs.coefficientIndex(named: n)!] = v }

  try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
  var yieldsDoc = YieldsDocument()

  // One analysis: templates, pseudo-data, ROOT file, the two cards and the EFT file.
  func writeAnalysis(
    dir: String, card cardName: String, rootFile: String, eftFile: String, title: String,
    channels: [ChannelTemplates], systematics: [SystematicSpec], seedOffset: UInt64,
    eft: (forms: [String: QuadraticForm], targets: [EFTTarget])
  ) throws {
    let path = outputDir + "/" + dir
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    var p = EFTParametrisation(coefficients: stxs.coefficients, forms: [:], targets: eft.targets)
    for (n, f) in eft.forms { p.forms[n] = f }
    for d in EFTInputs.decays + ["tot"] { p.forms["decay:" + d] = stxs.forms["decay:" + d] }
    // Only the forms the targets use.
    let used = Set(p.targets.flatMap { t -> [String] in
      if case .process(let f) = t.scaling { return f.numerators + f.denominators }
      return []
    })
    p.forms = p.forms.filter { used.contains($0.key) }
    try p.validate()
    try writeText(String(decoding: try NativeFormat.encode(p), as: UTF8.self) + "\n", to: path + "/" + eftFile)

    // μ(c*) of every scaled (channel, process) at the EFT truth point.
    func mu(_ channel: String, _ process: String) -> Double {
      guard let f = p.factors(channel: channel, process: process) else { return 1 }
      let num = f.numerators.reduce(1.0) { $0 * p.forms[$1]!.value(at: truth) }
      return f.denominators.reduce(num) { $0 / p.forms[$1]!.value(at: truth) }
    }
    let expectedSM = channels.map(\.expected)
    let expectedEFT = channels.map { c -> [Double] in
      var t = [Double](repeating: 0, count: c.edges.count - 1)
      for pr in c.processes {
        let m = mu(c.name, pr.name)
        for i in t.indices { t[i] += pr.values[i] * m }
      }
      return t
    }
    let dataSM = poissonData(expectedSM, seed: seedSM + seedOffset)
    let dataEFT = poissonData(expectedEFT, seed: seedEFT + seedOffset)

    let writer = ROOTFileWriter(compression: .zlib(level: 1))
    try addTemplates(writer, channels: channels, data: [("data_obs", dataSM), ("data_obs_eft", dataEFT)])
    try writer.write(to: path + "/" + rootFile)

    let nominal = ShapeDirective(
      process: "*", channel: "*", file: rootFile, object: "$CHANNEL/$PROCESS",
      systematicObject: "$CHANNEL/$PROCESS_$SYSTEMATIC")
    let eftData = ShapeDirective(process: "data_obs", channel: "*", file: rootFile, object: "$CHANNEL/data_obs_eft")
    for (suffix, shapes, data, what) in [
      ("", [nominal], dataSM, "SM pseudo-data (data_obs: Poisson draws, seed \(seedSM + seedOffset), from the SM expectation)"),
      ("_eftdata", [nominal, eftData], dataEFT,
       "EFT pseudo-data (data_obs_eft: Poisson draws, seed \(seedEFT + seedOffset), at c_HG = -0.004, c_tG = -0.3)"),
    ] {
      let card = makeCard(
        path: path + "/" + cardName + suffix + ".txt", channels: channels,
        observations: data.map { $0.reduce(0, +) }, shapes: shapes, systematics: systematics)
      let header = """
        \(title)
        \(what).
        Generated by Examples/MakeDatacards (swift run make-datacards); do not edit by hand.
        Sources of every number: Datacards/README.md. EFT parametrisation: \(eftFile).
        """
      try writeText(cardText(card, header: header, autoMCStatsThreshold: 10), to: path + "/" + cardName + suffix + ".txt")
    }
    yieldsDoc.add(title: title, channels: channels, dataSM: dataSM, dataEFT: dataEFT, mu: mu)
  }

  let hzzEFT = try HZZ4l.eft(stxs)
  try writeAnalysis(
    dir: "hzz4l", card: "hzz4l", rootFile: "hzz4l_shapes.root", eftFile: "hzz4l_eft.json",
    title: "CMS-style H->ZZ*->4l, 138 fb-1, 105 < m4l < 140 GeV: 6 categories x 3 final states.",
    channels: HZZ4l.channels(), systematics: HZZ4l.systematics, seedOffset: 0, eft: hzzEFT)
  let tthEFT = try TTHMultilepton.eft(stxs)
  try writeAnalysis(
    dir: "tth-multilepton", card: "tth", rootFile: "tth_shapes.root", eftFile: "tth_eft.json",
    title: "CMS-style ttH multilepton (HIG-19-008 signatures), 138 fb-1: 10 categories x 10 discriminant bins.",
    channels: TTHMultilepton.channelTemplates(), systematics: TTHMultilepton.systematics, seedOffset: 100,
    eft: tthEFT)

  // The combination, exactly as `cd Datacards && recombine combine-cards hzz4l=hzz4l/hzz4l.txt
  // tth=tth-multilepton/tth.txt -o combination.txt` writes it.
  let cwd = FileManager.default.currentDirectoryPath
  FileManager.default.changeCurrentDirectoryPath(outputDir)
  for suffix in ["", "_eftdata"] {
    let cards = ["hzz4l=hzz4l/hzz4l\(suffix).txt", "tth=tth-multilepton/tth\(suffix).txt"]
    let combined = try combineCards(cards.map { a in
      let eq = a.firstIndex(of: "=")!
      return (String(a[..<eq]), String(a[a.index(after: eq)...]))
    })
    try writeText(
      DatacardWriter.writeCombined(combined, header: "Combination of " + cards.joined(separator: "  ")),
      to: outputDir + "/combination\(suffix).txt")
  }
  FileManager.default.changeCurrentDirectoryPath(cwd)

  // The combined EFT file: the targets of both, with the bins renamed as combine-cards does.
  let hzzC = try HZZ4l.eft(stxs, channelPrefix: "hzz4l_")
  let tthC = try TTHMultilepton.eft(stxs, channelPrefix: "tth_")
  var comb = EFTParametrisation(coefficients: stxs.coefficients, forms: [:], targets: hzzC.targets + tthC.targets)
  for (n, f) in hzzC.forms.merging(tthC.forms, uniquingKeysWith: { a, _ in a }) { comb.forms[n] = f }
  for d in EFTInputs.decays + ["tot"] { comb.forms["decay:" + d] = stxs.forms["decay:" + d] }
  try comb.validate()
  try writeText(
    String(decoding: try NativeFormat.encode(comb), as: UTF8.self) + "\n", to: outputDir + "/combination_eft.json")

  // The subset of the STXStoSMEFT inputs used (regeneration without the full directory).
  var subset = EFTInputs.subset(stxs, bins: HZZ4l.stxsBins.union(TTHMultilepton.stxsBins))
  subset.forms["decay:bb"] = stxs.forms["decay:bb"]  // zh-bit: ZH(→bb)
  try writeText(
    String(decoding: try NativeFormat.encode(subset), as: UTF8.self) + "\n",
    to: outputDir + "/cms-stxs-to-smeft-subset.json")

  yieldsDoc.addAcceptance()
  try writeText(yieldsDoc.text, to: outputDir + "/yields.md")

  // The ZH channel with BIT categories, and the three-channel combination.
  if FileManager.default.fileExists(atPath: pdfDir + "/pdf_u.txt") {
    try writeZHBIT(outputDir: outputDir, pdfDirectory: pdfDir, stxs: stxs)
  } else {
    print("make-datacards: skipping zh-bit and combination_zh (no ZH toy PDF tables at \(pdfDir); --pdf-dir DIR); their files are left as they are")
  }
  print("make-datacards: wrote \(outputDir)")
} catch {
  FileHandle.standardError.write("make-datacards: error: \(error)\n".data(using: .utf8)!)
  exit(1)
}
