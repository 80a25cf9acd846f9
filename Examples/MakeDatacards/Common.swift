//===--- Common.swift -----------------------------------------------------===//
// Deterministic random numbers, template shapes, and the card/ROOT-file builder shared by the
// H→4ℓ and ttH-multilepton generators.
//===----------------------------------------------------------------------===//

import Datacard
import Foundation
import ROOTIO

// MARK: - Random numbers

/// SplitMix64 (Steele, Lea, Flood 2014): 64-bit state, one addition and two multiply-xorshifts per
/// draw. Integer arithmetic only, so every platform gives the same sequence.
struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in (0, 1): the top 53 bits, shifted by half a unit so 0 and 1 never occur.
  mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }

  /// A Poisson draw by inversion (sequential search of the CDF from k = 0). Means above 200 are
  /// split into pieces of at most 200 (a sum of independent Poisson variables is Poisson), so
  /// e^(−λ) never underflows. One uniform per piece.
  mutating func poisson(_ mean: Double) -> Int {
    precondition(mean >= 0 && mean.isFinite)
    var remaining = mean
    var total = 0
    while remaining > 0 {
      let lambda = min(remaining, 200)
      remaining -= lambda
      let u = uniform()
      var k = 0
      var p = exp(-lambda)
      var cdf = p
      while u > cdf && k < 10_000 {
        k += 1
        p *= lambda / Double(k)
        cdf += p
      }
      total += k
    }
    return total
  }
}

// MARK: - Shapes

/// Bin edges of `n` equal bins in [lo, hi] (exactly as a reader rebuilds uniform edges).
func uniformEdges(_ n: Int, _ lo: Double, _ hi: Double) -> [Double] {
  let w = (hi - lo) / Double(n)
  return (0...n).map { $0 == n ? hi : lo + Double($0) * w }
}

/// ∫ of a normal density N(μ, σ) over [a, b].
func gaussianMass(_ a: Double, _ b: Double, mean: Double, sigma: Double) -> Double {
  let s = sigma * 2.0.squareRoot()
  return 0.5 * (erf((b - mean) / s) - erf((a - mean) / s))
}

/// Integrates `density` over each bin with Simpson's rule (8 sub-intervals) and normalises the
/// result to `total`.
func binned(_ edges: [Double], total: Double, _ density: (Double) -> Double) -> [Double] {
  var v: [Double] = []
  for i in 0..<(edges.count - 1) {
    let a = edges[i], b = edges[i + 1], m = 8
    let h = (b - a) / Double(m)
    var s = density(a) + density(b)
    for k in 1..<m { s += density(a + Double(k) * h) * (k % 2 == 1 ? 4 : 2) }
    v.append(s * h / 3)
  }
  let sum = v.reduce(0, +)
  return v.map { $0 * total / sum }
}

/// Rounds to `digits` decimals (rates in the cards; templates are normalised to the rounded rate).
func rounded(_ x: Double, _ digits: Int = 4) -> Double {
  let f = pow(10, Double(digits))
  return (x * f).rounded() / f
}

/// A TH1D with contents `values` (in range) and fSumw2 `sumw2`.
func histogram(_ name: String, edges: [Double], values: [Double], sumw2: [Double]? = nil) -> Histogram {
  Histogram(
    name: name, title: name, className: "TH1D", dimension: 1, nbinsX: values.count, nbinsY: 1,
    xEdges: edges, yEdges: [], contents: [0] + values + [0],
    sumw2: sumw2.map { [0] + $0 + [0] } ?? [])
}

// MARK: - Channels and cards

/// One process in one channel: its template (normalised to `rate`), the sum of squared MC weights
/// per bin (from the per-event weight w: Σw² = w·content), and any shape variations.
struct ProcessTemplate {
  var name: String
  var isSignal: Bool
  var values: [Double]
  var eventWeight: Double
  /// Shape systematic name → (up, down) templates.
  var variations: [(name: String, up: [Double], down: [Double])] = []
  /// The yield written on the card's rate line (the templates are normalised to it up to rounding).
  var rate: Double
  var sumw2: [Double] { values.map { $0 * eventWeight } }
}

struct ChannelTemplates {
  var name: String
  var edges: [Double]
  var processes: [ProcessTemplate]
  /// The expected yields summed over processes (the truth of the SM pseudo-data).
  var expected: [Double] {
    var t = [Double](repeating: 0, count: edges.count - 1)
    for p in processes { for i in t.indices { t[i] += p.values[i] } }
    return t
  }
}

/// A systematics line: its name, type and effect per (channel, process).
struct SystematicSpec {
  var name: String
  var type: SystematicType
  var effect: (_ channel: String, _ process: String) -> Effect
}

/// Builds the card: one column per (channel, process) in channel order, signals first with ids
/// 0, −1, … by first appearance, backgrounds 1, 2, …; systematics with no effect are dropped.
/// (autoMCStats is added to the text by ``cardText(_:header:autoMCStatsThreshold:)``.)
func makeCard(
  path: String, channels: [ChannelTemplates], observations: [Double], shapes: [ShapeDirective],
  systematics: [SystematicSpec]
) -> Datacard {
  var card = Datacard(path: path)
  card.shapes = shapes
  card.bins = channels.map(\.name)
  card.observations = observations
  var signalOrder: [String] = []
  var backgroundOrder: [String] = []
  for c in channels {
    for p in c.processes {
      if p.isSignal { if !signalOrder.contains(p.name) { signalOrder.append(p.name) } } else if !backgroundOrder.contains(p.name) {
        backgroundOrder.append(p.name)
      }
    }
  }
  func id(_ p: ProcessTemplate) -> Int {
    p.isSignal ? -signalOrder.firstIndex(of: p.name)! : backgroundOrder.firstIndex(of: p.name)! + 1
  }
  // Signals (0, −1, −2, …) first, then backgrounds (1, 2, …).
  func order(_ p: ProcessTemplate) -> Int { p.isSignal ? -id(p) : 1000 + id(p) }
  for c in channels {
    for p in c.processes.sorted(by: { order($0) < order($1) }) {
      card.columns.append(ProcessColumn(bin: c.name, process: p.name, id: id(p), rate: p.rate))
    }
  }
  card.processes = signalOrder + backgroundOrder
  for s in systematics {
    let effects = card.columns.map { s.effect($0.bin, $0.process) }
    if effects.allSatisfy(\.isNone) { continue }
    card.systematics.append(Systematic(name: s.name, type: s.type, effects: effects))
  }
  return card
}

/// The card text: the writer's output plus `* autoMCStats <threshold>` (MC-statistics
/// uncertainties of every template, Barlow–Beeston-lite, from the fSumw2 of the histograms).
func cardText(_ card: Datacard, header: String, autoMCStatsThreshold: Double) -> String {
  DatacardWriter.write(card, header: header) + "* autoMCStats \(formatNumber(autoMCStatsThreshold))\n"
}

/// Adds every template of `channels` to a ROOT writer: `<channel>/<process>`,
/// `<channel>/<process>_<syst>Up|Down`, and the data sets `<channel>/<name>` of `data`.
func addTemplates(
  _ writer: ROOTFileWriter, channels: [ChannelTemplates], data: [(name: String, values: [[Double]])]
) throws {
  for (k, c) in channels.enumerated() {
    for (name, values) in data {
      try writer.add(histogram(name, edges: c.edges, values: values[k]), at: "\(c.name)/\(name)")
    }
    for p in c.processes {
      try writer.add(
        histogram(p.name, edges: c.edges, values: p.values, sumw2: p.sumw2), at: "\(c.name)/\(p.name)")
      for v in p.variations {
        for (suffix, vals) in [("Up", v.up), ("Down", v.down)] {
          let name = "\(p.name)_\(v.name)\(suffix)"
          try writer.add(
            histogram(name, edges: c.edges, values: vals, sumw2: vals.map { $0 * p.eventWeight }),
            at: "\(c.name)/\(name)")
        }
      }
    }
  }
}

/// Poisson pseudo-data of expected yields `expected` per channel and bin, drawn in channel then
/// bin order from one generator.
func poissonData(_ expected: [[Double]], seed: UInt64) -> [[Double]] {
  var rng = SplitMix64(seed: seed)
  return expected.map { $0.map { Double(rng.poisson($0)) } }
}

/// Writes `text` to `path` (UTF-8), creating the directory.
func writeText(_ text: String, to path: String) throws {
  try FileManager.default.createDirectory(
    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
  try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// lnN helpers.
/// The CMS Run-2 legacy luminosity uncertainty of a card that merges 2016–2018 (138 fb⁻¹), as
/// five lnN nuisances on the processes `applies` selects: the uncorrelated part of each year and
/// the parts correlated over 2016–2018 and over 2017–2018, each as its effect on the summed
/// luminosity (CMS LumiRecommendationsRun2, "Run-2" column: 0.26%, 0.60%, 0.65%, 1.30%, 0.27%;
/// 1.6% in quadrature). The names are those of CMS combinations, so the channels correlate by
/// name per year and per correlated component.
func run2LumiSystematics(appliesTo applies: @escaping (_ channel: String, _ process: String) -> Bool) -> [SystematicSpec] {
  let parts: [(String, Double)] = [
    ("lumi_13TeV_2016", 1.0026), ("lumi_13TeV_2017", 1.0060), ("lumi_13TeV_2018", 1.0065),
    ("lumi_13TeV_correlated", 1.0130), ("lumi_13TeV_1718", 1.0027),
  ]
  return parts.map { name, k in SystematicSpec(name: name, type: .lnN) { c, p in applies(c, p) ? lnN(k) : .none } }
}

func lnN(_ k: Double) -> Effect { .value(k) }
func lnN(down: Double, up: Double) -> Effect { .asymmetric(down: down, up: up) }
