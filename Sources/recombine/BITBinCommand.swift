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
      'recombine fit CARD --physics-model eft --eft EFT -P cHW -t -1'.
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
      if feature != nil && (score != nil || theta != nil) { throw BITError("give only one of --feature, --score, --theta") }
      let stat = feature != nil ? .output(0) : try m.statistic(score: score, theta: theta)
      let featureIndex = try feature.map { f -> Int in
        guard let i = m.featureNames.firstIndex(of: f) else { throw BITError("--feature: the model has no feature \(f)") }
        return i
      }
      let statName = feature ?? m.describe(stat)
      func statistic(_ x: [Double]) -> [Double] {
        if let f = featureIndex {
          let F = m.featureNames.count
          return (0..<(x.count / F)).map { x[$0 * F + f] }
        }
        return m.evaluate(stat, features: x, treeLimit: trees)
      }
      let coeffs = splitList(coefficients) ?? m.coefficients

      // Signal events with the EFT coefficients' derivative columns.
      func readSignal(_ path: String) throws -> (Events, [Double]) {
        let ev = try Events.read(path, columns: EventColumns(coefficients: coeffs, features: m.featureNames, weight: weight))
        return (ev, statistic(ev.features))
      }
      var (sig, sigStat) = try readSignal(events)
      let rawYield = sig.weightColumn(0).reduce(0, +)
      guard rawYield > 0 else { throw BITError("\(events): the signal's total SM weight is not positive") }
      let sigScale = signalYield.map { $0 / rawYield } ?? lumi
      for k in sig.weights.indices { sig.weights[k] *= sigScale }
      let edgeSample: (Events, [Double])? = try edgeEvents.map { try readSignal($0) }

      var bgs: [BackgroundSample] = []
      for spec in backgrounds {
        guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else { throw BITError("--background \(spec): expected NAME=FILE") }
        let name = String(spec[..<eq]), file = String(spec[spec.index(after: eq)...])
        let table = try Table.read(file)
        let wName = weight ?? "w_0"
        guard let w = table.column(wName) else { throw BITError("\(file): no weight column \(wName)") }
        let cols = try m.featureNames.map { f -> [Double] in
          guard let c = table.column(f) else { throw BITError("\(file): no feature column \(f)") }
          return c
        }
        let n = table.rowCount, F = cols.count
        var x = [Double](repeating: 0, count: n * F)
        for i in 0..<n { for f in 0..<F { x[i * F + f] = cols[f][i] } }
        bgs.append(BackgroundSample(name: name, statistic: statistic(x),
                                    weights: w.map { $0 * lumi }))
      }

      // The objective of the fisher / equal-information methods.
      let obj = try BinningObjective.implied(
        by: featureIndex == nil ? stat : nil, model: m, coefficients: coeffs,
        signalIsQuadratic: sig.derivatives.contains { $0.count == 2 }, named: objective)
      let opts = CategoryOptions(categories: categories, method: meth, objective: obj, fineBins: fineBins,
                                 minEvents: minEvents, minYield: minYield)
      let cat = try categorise(signal: sig, statistic: sigStat, backgrounds: bgs, options: opts, edgeSample: edgeSample)

      // Systematics.
      var systs = try lnN.map { try CategorySystematic(parsing: $0) }
      var mcStatistics = mcStat
      if let cfg = systematicsConfig {
        let (s, mc) = try readSystematicsConfig(cfg)
        systs += s
        mcStatistics = mcStatistics || mc
      }
      let cardOpts = CardOptions(signalName: signalName, channelPrefix: channelPrefix, systematics: systs, mcStatistics: mcStatistics)
      var card = try cat.datacard(options: cardOpts, path: output)
      card.path = output
      var rng = cat.defaultRanges()
      for r in ranges {
        let kv = r.split(separator: "=", maxSplits: 1).map(String.init)
        guard kv.count == 2, coeffs.contains(kv[0]) else {
          throw BITError("--range \(r): expected c=lo,hi with c one of the signal coefficients \(coeffs.joined(separator: ","))")
        }
        let parts = kv[1].split(separator: ",", omittingEmptySubsequences: false)
        let lh = parts.map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard lh.count == 2, let lo = lh[0], let hi = lh[1], lo.isFinite, hi.isFinite, lo < hi else {
          throw BITError("--range \(r): expected exactly two numbers lo,hi with lo < hi after '\(kv[0])='")
        }
        rng[kv[0]] = lo...hi
      }
      let eft = cat.eftParametrisation(options: cardOpts, ranges: rng)
      let stem = (output as NSString).deletingPathExtension
      let eftPath = eftOutput ?? stem + "_eft.json"
      let reportPath = report ?? stem + "_report.json"
      let eftRef = relativePath(eftPath, from: output)
      let poi = obj.coefficient(in: coeffs)
      let header = """
        Categories of the BIT statistic \(statName) (\(meth.rawValue), \(cat.count) categories) from \((model as NSString).lastPathComponent)
        EFT: recombine fit \((output as NSString).lastPathComponent) --physics-model eft --eft \(eftRef) -P \(poi) -t -1
        """
      try writeFileAtomicallyMaybeGzipped(Array(DatacardWriter.write(card, header: header).utf8), to: output)
      try NativeFormat.write(eft, to: eftPath)

      // Report.
      let fisher = fisherSummary(cat, signal: sig)
      var rows: [[String: Any]] = []
      for b in 0..<cat.count {
        var row: [String: Any] = [
          "channel": cat.channelName(b, options: cardOpts),
          "low": b == 0 ? "-inf" : cat.edges[b - 1] as Any, "high": b == cat.count - 1 ? "inf" : cat.edges[b] as Any,
          "signalEvents": cat.signalCounts[b], "signal": cat.signalYield(b), "background": cat.backgroundYield(b),
        ]
        var lin: [String: Double] = [:]
        for (a, c) in coeffs.enumerated() { if let v = cat.signalSum(b, [a]) { lin[c] = v / cat.signalYield(b) } }
        row["linear"] = lin
        var bg: [String: Double] = [:]
        for (k, n) in cat.backgroundNames.enumerated() { bg[n] = cat.backgroundYields[k][b] }
        if !bg.isEmpty { row["backgrounds"] = bg }
        rows.append(row)
      }
      var fi: [String: Any] = [:]
      for f in fisher {
        fi[f.coefficient] = ["unbinned": f.unbinned, "binned": f.binned, "fraction": f.fraction,
                             "binnedWithBackgrounds": f.binnedWithBackgrounds]
      }
      let rep: [String: Any] = [
        "model": model, "events": events, "statistic": statName, "method": meth.rawValue,
        "categories": rows, "edges": cat.edges, "fisher": fi, "datacard": output, "eft": eftPath,
        "signalScale": sigScale, "lumi": lumi,
      ]
      let data = try JSONSerialization.data(withJSONObject: rep, options: [.prettyPrinted, .sortedKeys])
      try writeFileAtomicallyMaybeGzipped([UInt8](data), to: reportPath)

      // Summary.
      print("statistic \(statName), \(meth.rawValue), \(cat.count) categories (\(sig.count) signal events)")
      func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
      print(["channel", "low", "high", "events", "signal", "background"].enumerated().map { pad($0.element, [8, 14, 14, 8, 12, 12][$0.offset]) }.joined(separator: " "))
      for b in 0..<cat.count {
        let lo = b == 0 ? "-inf" : String(format: "%.6g", cat.edges[b - 1])
        let hi = b == cat.count - 1 ? "inf" : String(format: "%.6g", cat.edges[b])
        print([pad(cat.channelName(b, options: cardOpts), 8), pad(lo, 14), pad(hi, 14), pad(String(cat.signalCounts[b]), 8),
               pad(String(format: "%.6g", cat.signalYield(b)), 12), pad(String(format: "%.6g", cat.backgroundYield(b)), 12)].joined(separator: " "))
      }
      print("Fisher information kept by the binning (signal only; with backgrounds):")
      for f in fisher {
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
