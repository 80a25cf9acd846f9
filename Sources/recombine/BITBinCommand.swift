//===--- BITBinCommand.swift ----------------------------------------------===//
// `recombine bit bin`: cut a learned BIT statistic into categories and write a counting
// datacard, its EFT parametrisation (recombine-eft) and a JSON report (edges, yields, the
// Fisher information kept by the binning).
//===----------------------------------------------------------------------===//

import ArgumentParser
import Datacard
import EFT
import Foundation
import InformationTrees
import Support

struct BITBin: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bin",
    abstract: "Cut a learned score into categories; write a datacard, its EFT parametrisation and a Fisher report.",
    discussion: """
      The statistic is one learned coefficient function (--score t_cHW) or the learned likelihood ratio \
      r(x;θ) at a point (--theta cHW=1,cHQ3=0.02). Categories have equal SM yield (--method equal-yield), \
      equal information (equal-information), or maximise the binned Fisher information of --objective \
      (fisher; with --theta: the Asimov significance of θ) by merging fine quantile bins. Every category is \
      filled from the events' exact weights: yield(θ) = Σw0 + Σ_a θ_a Σw_a + ½Σ_a θ_a² Σw_aa + Σ_{a<b} θ_aθ_b Σw_ab. \
      The EFT file scales the signal of each category by yield(θ)/yield(0). Fit with \
      'recombine fit CARD --physics-model eft --eft EFT -P cHW -t -1 --expectSignal 1 --algo singles' \
      (the SM Asimov dataset: without --expectSignal 1 the Asimov is background-only, as in Combine).
      """)

  @Argument(help: "Model (JSON) from 'bit train'.")
  var model: String

  @Argument(help: "Signal events (.csv, .csv.gz, .npz) with the model's features, w_0, w_<c> and w_<c1>_<c2>.")
  var events: String

  @Option(name: .short, help: "Output datacard (text).")
  var output: String

  @Option(name: .customLong("eft-output"), help: "Output EFT parametrisation (default: <card stem>_eft.json).")
  var eftOutput: String?

  @Option(name: .customLong("report"), help: "Output JSON report (default: <card stem>_report.json).")
  var report: String?

  @Option(help: "Statistic: a learned function t_<c> or t_<c1>_<c2>.")
  var score: String?

  @Option(help: "Statistic: the learned likelihood ratio at θ, e.g. cHW=1,cHQ3=0.02.")
  var theta: String?

  @Option(help: "Statistic: a feature column instead of the model's output (e.g. pT, for comparison).")
  var feature: String?

  @Option(name: [.customShort("n"), .customLong("categories")], help: "Number of categories.")
  var categories: Int = 8

  @Option(help: "equal-yield, equal-information or fisher.")
  var method: String = "equal-yield"

  @Option(help: "For fisher/equal-information: the coefficient whose Fisher information to keep (default: the score's; with --theta the Asimov significance of θ).")
  var objective: String?

  @Option(name: .customLong("fine-bins"), help: "fisher: number of fine quantile bins to merge.")
  var fineBins: Int = 600

  @Option(name: .customLong("min-events"), help: "fisher: minimum signal MC events per category.")
  var minEvents: Int = 20

  @Option(name: .customLong("min-yield"), help: "fisher: minimum SM yield (signal + backgrounds) per category.")
  var minYield: Double = 0

  @Option(help: "EFT coefficients of the signal (default: the model's), comma-separated.")
  var coefficients: String?

  @Option(help: "Name of the SM-weight column (signal and backgrounds; default w_0).")
  var weight: String?

  @Option(name: .customLong("background"), help: "A background: NAME=FILE with the model's features and the SM-weight column (repeatable).")
  var backgrounds: [String] = []

  @Option(help: "Luminosity: every event weight is multiplied by it.")
  var lumi: Double = 1

  @Option(name: .customLong("signal-yield"), help: "Normalise the signal so that its total SM yield is this (instead of Σw0·lumi).")
  var signalYield: Double?

  @Option(name: .customLong("edge-events"), help: "Independent signal sample to place the edges on (default: the events themselves).")
  var edgeEvents: String?

  @Option(name: .customLong("lnN"), help: "A log-normal systematic NAME=κ or NAME=κdown/κup, optionally :proc,proc (repeatable).")
  var lnN: [String] = []

  @Option(name: .customLong("systematics"), help: "JSON config: {\"lnN\": [{\"name\": \"lumi\", \"value\": 1.025, \"processes\": [\"sig\"]}], \"mcStatistics\": true}.")
  var systematicsConfig: String?

  @Flag(name: .customLong("mc-stat"), help: "Add an lnN per category and process for the MC statistics (1 + √Σw²/Σw).")
  var mcStat = false

  @Option(name: .customLong("signal-name"), help: "Signal process name.")
  var signalName: String = "sig"

  @Option(name: .customLong("channel-prefix"), help: "Category channels are <prefix>0, <prefix>1, ...")
  var channelPrefix: String = "cat"

  @Option(help: "channels (one counting channel per category); bins (one channel with N bins, which would need a ROOT shape file) is not implemented.")
  var layout: String = "channels"

  @Option(name: .customLong("range"), help: "POI range of a coefficient in the EFT file: c=lo,hi (repeatable; default ±10/√I from the binned Fisher information).")
  var ranges: [String] = []

  @Option(help: "Use only the first N trees.")
  var trees: Int?

  func run() throws {
    try runBIT {
      guard layout == "channels" else {
        if layout == "bins" {
          throw BITError("--layout bins (one channel with a ROOT shape file) is not implemented by bit bin; use --layout channels")
        }
        throw BITError("--layout must be channels or bins")
      }
      guard let meth = CategoryMethod(rawValue: method) else {
        throw BITError("--method must be one of \(CategoryMethod.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      let m = try BITModel.load(model)
      var o = CategoryDesignOptions()
      o.score = score; o.theta = theta; o.feature = feature
      o.categories = categories; o.method = meth; o.objective = objective
      o.fineBins = fineBins; o.minEvents = minEvents; o.minYield = minYield
      o.coefficients = splitList(coefficients); o.weight = weight
      o.backgrounds = try backgrounds.map { spec in
        guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else { throw BITError("--background \(spec): expected NAME=FILE") }
        return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
      }
      o.lumi = lumi; o.signalYield = signalYield; o.edgeEvents = edgeEvents; o.trees = trees
      var systs = try lnN.map { try CategorySystematic(parsing: $0) }
      var mcStatistics = mcStat
      if let cfg = systematicsConfig {
        let (s, mc) = try readSystematicsConfig(cfg)
        systs += s
        mcStatistics = mcStatistics || mc
      }
      o.card = CardOptions(signalName: signalName, channelPrefix: channelPrefix, systematics: systs, mcStatistics: mcStatistics)
      o.cardPath = output
      for r in ranges {
        let kv = r.split(separator: "=", maxSplits: 1).map(String.init)
        let lh = kv.count == 2 ? kv[1].split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) } : []
        guard kv.count == 2, lh.count == 2, let lo = lh[0], let hi = lh[1], lo.isFinite, hi.isFinite, lo < hi else {
          throw BITError("--range \(r): expected c=lo,hi (exactly two numbers, lo < hi)")
        }
        o.ranges[kv[0]] = lo...hi
      }
      let design = try CategoryDesign.make(model: m, events: events, options: o)
      let cat = design.categorisation

      let stem = (output as NSString).deletingPathExtension
      let eftPath = eftOutput ?? stem + "_eft.json"
      let reportPath = report ?? stem + "_report.json"
      let eftRef = relativePath(eftPath, from: output)
      let header = """
        Categories of the BIT statistic \(design.statisticName) (\(meth.rawValue), \(cat.count) categories) from \((model as NSString).lastPathComponent)
        EFT: recombine fit \((output as NSString).lastPathComponent) --physics-model eft --eft \(eftRef) -P \(design.poi) -t -1 --expectSignal 1 --algo singles
        """
      try writeFileAtomicallyMaybeGzipped(Array(DatacardWriter.write(design.card, header: header).utf8), to: output)
      try NativeFormat.write(design.eft, to: eftPath)
      var rep = design.report(options: o.card)
      rep["model"] = model; rep["events"] = events; rep["method"] = meth.rawValue
      rep["datacard"] = output; rep["eft"] = eftPath; rep["lumi"] = lumi
      let data = try JSONSerialization.data(withJSONObject: rep, options: [.prettyPrinted, .sortedKeys])
      try writeFileAtomicallyMaybeGzipped([UInt8](data), to: reportPath)

      // Summary.
      print("statistic \(design.statisticName), \(meth.rawValue), \(cat.count) categories (\(design.signalEventCount) signal events)")
      func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
      print(["channel", "low", "high", "events", "signal", "background"].enumerated().map { pad($0.element, [8, 14, 14, 8, 12, 12][$0.offset]) }.joined(separator: " "))
      for b in 0..<cat.count {
        let lo = b == 0 ? "-inf" : String(format: "%.6g", cat.edges[b - 1])
        let hi = b == cat.count - 1 ? "inf" : String(format: "%.6g", cat.edges[b])
        print([pad(cat.channelName(b, options: o.card), 8), pad(lo, 14), pad(hi, 14), pad(String(cat.signalCounts[b]), 8),
               pad(String(format: "%.6g", cat.signalYield(b)), 12), pad(String(format: "%.6g", cat.backgroundYield(b)), 12)].joined(separator: " "))
      }
      print("Fisher information kept by the binning (signal only; with backgrounds):")
      for f in design.fisher {
        print("  " + f.coefficient.padding(toLength: max(10, f.coefficient.count), withPad: " ", startingAt: 0)
              + String(format: " unbinned %.6g  binned %.6g  kept %.4f   (with backgrounds %.6g)", f.unbinned, f.binned, f.fraction, f.binnedWithBackgrounds))
      }
      printError("wrote \(output), \(eftPath), \(reportPath)")
    }
  }

  func readSystematicsConfig(_ path: String) throws -> ([CategorySystematic], Bool) {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw BITError("\(path): expected a JSON object")
    }
    var out: [CategorySystematic] = []
    for item in obj["lnN"] as? [[String: Any]] ?? [] {
      guard let name = item["name"] as? String else { throw BITError("\(path): lnN entry without a name") }
      let value: String
      if let v = item["value"] as? NSNumber { value = v.stringValue } else if let v = item["value"] as? String { value = v } else {
        throw BITError("\(path): lnN \(name) without a value")
      }
      let procs = item["processes"] as? [String] ?? []
      out.append(try CategorySystematic(parsing: "\(name)=\(value)" + (procs.isEmpty ? "" : ":" + procs.joined(separator: ","))))
    }
    for k in obj.keys where k != "lnN" && k != "mcStatistics" { throw BITError("\(path): unknown key \(k) (lnN, mcStatistics)") }
    return (out, obj["mcStatistics"] as? Bool ?? false)
  }
}

/// `path` relative to the directory of `base` when it lies inside it, else `path`.
func relativePath(_ path: String, from base: String) -> String {
  let dir = (base as NSString).deletingLastPathComponent
  if dir.isEmpty { return path }
  let prefix = dir.hasSuffix("/") ? dir : dir + "/"
  return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
}
