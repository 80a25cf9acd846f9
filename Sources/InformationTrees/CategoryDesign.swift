//===--- CategoryDesign.swift ---------------------------------------------===//
// `bit bin` as one call: read the signal (and backgrounds), evaluate the statistic, choose the
// objective, cut the categories, and build their datacard, EFT parametrisation and Fisher report.
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Foundation

/// What `CategoryDesign.make` is asked for (the options of `bit bin`, parsed).
public struct CategoryDesignOptions: Sendable {
  /// The statistic: a learned function `t_c` (`score`), the learned ratio at θ (`theta`), or a
  /// feature column (`feature`); at most one (none: a single-coefficient model's output).
  public var score: String?
  public var theta: String?
  public var feature: String?
  public var categories = 8
  public var method: CategoryMethod = .equalYield
  /// The coefficient whose Fisher information `fisher`/`equal-information` keep (default: implied).
  public var objective: String?
  public var fineBins = 600
  public var minEvents = 20
  public var minYield = 0.0
  /// The signal's EFT coefficients (default: the model's).
  public var coefficients: [String]?
  /// The SM-weight column (default `w_0`).
  public var weight: String?
  /// Backgrounds: name and event file (features and the SM-weight column).
  public var backgrounds: [(name: String, file: String)] = []
  /// Every weight is multiplied by it (signal: unless `signalYield`).
  public var lumi = 1.0
  /// The signal's total SM yield after normalisation (instead of Σw0·lumi).
  public var signalYield: Double?
  /// An independent signal sample to place the edges on.
  public var edgeEvents: String?
  public var card = CardOptions()
  /// The path the datacard will have (its errors and `Datacard.path`).
  public var cardPath = "<bit>"
  /// POI ranges of coefficients in the EFT file (default: ±10/√I, `Categorisation.defaultRanges`).
  public var ranges: [String: ClosedRange<Double>] = [:]
  /// Use only the first N trees.
  public var trees: Int?
  public init() {}
}

/// The categories, their datacard, EFT parametrisation and Fisher information.
public struct CategoryDesign {
  public var categorisation: Categorisation
  public var card: Datacard
  public var eft: EFTParametrisation
  public var fisher: [FisherSummary]
  /// The statistic's name (`t_cHW`, `r(x; cHW=1)`, or the feature).
  public var statisticName: String
  public var objective: BinningObjective
  /// The coefficient a fit of the categories should report (the objective's).
  public var poi: String
  /// The factor applied to the signal weights (lumi, or signalYield/Σw0).
  public var signalScale: Double
  public var signalEventCount: Int
  public var coefficients: [String]

  /// Cuts `events` (the signal) into categories of the statistic chosen in `options`.
  public static func make(model m: BITModel, events: String, options o: CategoryDesignOptions) throws -> CategoryDesign {
    if o.feature != nil && (o.score != nil || o.theta != nil) { throw BITError("give only one of --feature, --score, --theta") }
    let stat = o.feature != nil ? .output(0) : try m.statistic(score: o.score, theta: o.theta)
    let featureIndex = try o.feature.map { f -> Int in
      guard let i = m.featureNames.firstIndex(of: f) else { throw BITError("--feature: the model has no feature \(f)") }
      return i
    }
    let statName = o.feature ?? m.describe(stat)
    func statistic(_ x: [Double]) -> [Double] {
      if let f = featureIndex {
        let F = m.featureNames.count
        return (0..<(x.count / F)).map { x[$0 * F + f] }
      }
      return m.evaluate(stat, features: x, treeLimit: o.trees)
    }
    let coeffs = o.coefficients ?? m.coefficients

    // Signal events with the EFT coefficients' derivative columns.
    func readSignal(_ path: String) throws -> (Events, [Double]) {
      let ev = try Events.read(path, columns: EventColumns(coefficients: coeffs, features: m.featureNames, weight: o.weight))
      return (ev, statistic(ev.features))
    }
    var (sig, sigStat) = try readSignal(events)
    let rawYield = sig.weightColumn(0).reduce(0, +)
    guard rawYield > 0 else { throw BITError("\(events): the signal's total SM weight is not positive") }
    let sigScale = o.signalYield.map { $0 / rawYield } ?? o.lumi
    for k in sig.weights.indices { sig.weights[k] *= sigScale }
    let edgeSample: (Events, [Double])? = try o.edgeEvents.map { try readSignal($0) }

    var bgs: [BackgroundSample] = []
    for (name, file) in o.backgrounds {
      let table = try Table.read(file)
      let wName = o.weight ?? "w_0"
      guard let w = table.column(wName) else { throw BITError("\(file): no weight column \(wName)") }
      let cols = try m.featureNames.map { f -> [Double] in
        guard let c = table.column(f) else { throw BITError("\(file): no feature column \(f)") }
        return c
      }
      let n = table.rowCount, F = cols.count
      var x = [Double](repeating: 0, count: n * F)
      for i in 0..<n { for f in 0..<F { x[i * F + f] = cols[f][i] } }
      bgs.append(BackgroundSample(name: name, statistic: statistic(x), weights: w.map { $0 * o.lumi }))
    }

    let obj = try BinningObjective.implied(
      by: featureIndex == nil ? stat : nil, model: m, coefficients: coeffs,
      signalIsQuadratic: sig.derivatives.contains { $0.count == 2 }, named: o.objective)
    let opts = CategoryOptions(categories: o.categories, method: o.method, objective: obj, fineBins: o.fineBins,
                               minEvents: o.minEvents, minYield: o.minYield)
    let cat = try categorise(signal: sig, statistic: sigStat, backgrounds: bgs, options: opts, edgeSample: edgeSample)
    var card = try cat.datacard(options: o.card, path: o.cardPath)
    card.path = o.cardPath
    var ranges = cat.defaultRanges()
    for (c, r) in o.ranges {
      guard coeffs.contains(c) else {
        throw BITError("--range \(c)=…: \(c) is not one of the signal coefficients \(coeffs.joined(separator: ","))")
      }
      ranges[c] = r
    }
    return CategoryDesign(
      categorisation: cat, card: card, eft: cat.eftParametrisation(options: o.card, ranges: ranges),
      fisher: fisherSummary(cat, signal: sig), statisticName: statName, objective: obj, poi: obj.coefficient(in: coeffs),
      signalScale: sigScale, signalEventCount: sig.count, coefficients: coeffs)
  }

  /// The report of the binning: per category its channel, edges, signal events and yields, the
  /// signal's linear coefficients and the backgrounds; the edges; the Fisher information kept.
  public func report(options o: CardOptions) -> [String: Any] {
    let cat = categorisation
    var rows: [[String: Any]] = []
    for b in 0..<cat.count {
      var row: [String: Any] = [
        "channel": cat.channelName(b, options: o),
        "low": b == 0 ? "-inf" : cat.edges[b - 1] as Any, "high": b == cat.count - 1 ? "inf" : cat.edges[b] as Any,
        "signalEvents": cat.signalCounts[b], "signal": cat.signalYield(b), "background": cat.backgroundYield(b),
      ]
      var lin: [String: Double] = [:]
      for (a, c) in coefficients.enumerated() { if let v = cat.signalSum(b, [a]) { lin[c] = v / cat.signalYield(b) } }
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
    return ["statistic": statisticName, "categories": rows, "edges": cat.edges, "fisher": fi, "signalScale": signalScale]
  }
}
