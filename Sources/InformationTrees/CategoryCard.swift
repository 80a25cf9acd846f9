//===--- CategoryCard.swift -----------------------------------------------===//
// Categories as a counting datacard (one channel per category, lnN systematics, MC statistics) and
// its EFT parametrisation μ_b(θ) = λ_b(θ)/λ_b(0) (Categories.swift).
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Foundation

/// A log-normal systematic for the card: `name lnN κ` (or `κ_down/κ_up`) on the listed processes
/// (empty: every process) in every category.
public struct CategorySystematic: Sendable, Equatable {
  public var name: String
  public var effect: Effect
  public var processes: [String]
  public init(name: String, effect: Effect, processes: [String] = []) {
    self.name = name; self.effect = effect; self.processes = processes
  }

  /// Parses `name=value[:proc,proc]` with value `κ` or `κdown/κup`.
  public init(parsing spec: String) throws {
    guard let eq = spec.firstIndex(of: "=") else { throw BITError("--lnN \(spec): expected name=value[:process,...]") }
    name = String(spec[..<eq])
    var rest = String(spec[spec.index(after: eq)...])
    processes = []
    if let colon = rest.firstIndex(of: ":") {
      processes = rest[rest.index(after: colon)...].split(separator: ",").map { String($0) }
      rest = String(rest[..<colon])
    }
    let parts = rest.split(separator: "/").map { Double($0) }
    if parts.count == 1, let v = parts[0] { effect = .value(v) } else if parts.count == 2, let d = parts[0], let u = parts[1] {
      effect = .asymmetric(down: d, up: u)
    } else {
      throw BITError("--lnN \(spec): bad value '\(rest)'")
    }
    if name.isEmpty { throw BITError("--lnN \(spec): empty name") }
  }
}

/// Options of the written card.
public struct CardOptions: Sendable {
  public var signalName: String = "sig"
  public var channelPrefix: String = "cat"
  public var systematics: [CategorySystematic] = []
  /// Add a per-(category, process) lnN `mcstat_<cat>_<proc>` of κ = 1 + √Σw²/Σw.
  public var mcStatistics: Bool = false
  public init(signalName: String = "sig", channelPrefix: String = "cat", systematics: [CategorySystematic] = [],
              mcStatistics: Bool = false) {
    self.signalName = signalName; self.channelPrefix = channelPrefix; self.systematics = systematics
    self.mcStatistics = mcStatistics
  }
}

extension Categorisation {
  public func channelName(_ b: Int, options: CardOptions) -> String { "\(options.channelPrefix)\(b)" }

  /// A counting datacard with one channel per category: the signal (process id 0) and every
  /// background with a positive yield; observation = the Asimov SM yield (not rounded).
  public func datacard(options: CardOptions, path: String = "<bit>") throws -> Datacard {
    let procs = [options.signalName] + backgroundNames
    if Set(procs).count != procs.count { throw BITError("duplicate process names: \(procs.joined(separator: ","))") }
    for s in options.systematics {
      for p in s.processes where !procs.contains(p) { throw BITError("systematic \(s.name): unknown process \(p)") }
    }
    var card = Datacard(path: path)
    var obs: [Double] = []
    var mc: [(String, Int)] = []  // (name, column)
    for b in 0..<count {
      let ch = channelName(b, options: options)
      card.bins.append(ch)
      guard signalYield(b) > 0 else { throw BITError("category \(b) has no positive signal SM yield") }
      card.columns.append(ProcessColumn(bin: ch, process: options.signalName, id: 0, rate: signalYield(b)))
      if options.mcStatistics { mc.append(("mcstat_\(ch)_\(options.signalName)", card.columns.count - 1)) }
      for (k, name) in backgroundNames.enumerated() where backgroundYields[k][b] > 0 {
        card.columns.append(ProcessColumn(bin: ch, process: name, id: k + 1, rate: backgroundYields[k][b]))
        if options.mcStatistics { mc.append(("mcstat_\(ch)_\(name)", card.columns.count - 1)) }
      }
      obs.append(totalYield(b))
    }
    card.observations = obs
    var seen = Set<String>()
    card.processes = card.columns.map(\.process).filter { seen.insert($0).inserted }
    for s in options.systematics {
      let effects = card.columns.map { c -> Effect in s.processes.isEmpty || s.processes.contains(c.process) ? s.effect : .none }
      card.systematics.append(Systematic(name: s.name, type: .lnN, effects: effects))
    }
    for (name, col) in mc {
      let c = card.columns[col]
      let b = card.bins.firstIndex(of: c.bin)!
      let (y, q): (Double, Double)
      if c.process == options.signalName { (y, q) = (signalYield(b), signalSumW2[b]) } else {
        let k = backgroundNames.firstIndex(of: c.process)!
        (y, q) = (backgroundYields[k][b], backgroundSumW2[k][b])
      }
      var effects = [Effect](repeating: .none, count: card.columns.count)
      effects[col] = .value(1 + q.squareRoot() / y)
      card.systematics.append(Systematic(name: name, type: .lnN, effects: effects))
    }
    return card
  }

  /// The EFT parametrisation: one process-level target per (category, signal) whose form is the
  /// category's signal yield normalised to its SM yield, μ_b(θ) = λ_b(θ)/λ_b(0).
  /// `ranges` gives each coefficient's POI range (default ±10).
  public func eftParametrisation(options: CardOptions, ranges: [String: ClosedRange<Double>] = [:]) -> EFTParametrisation {
    let coeffs = coefficients.map { c -> WilsonCoefficient in
      let r = ranges[c] ?? -10...10
      return WilsonCoefficient(name: c, value: 0, minimum: r.lowerBound, maximum: r.upperBound)
    }
    var forms: [String: QuadraticForm] = [:]
    var targets: [EFTTarget] = []
    for b in 0..<count {
      let ch = channelName(b, options: options)
      let w0 = signalYield(b)
      var lin: [Int: Double] = [:], quad: [IndexPair: Double] = [:]
      for (j, d) in derivatives.enumerated() {
        let v = signalSums[b * stride + 1 + j] / w0
        if d.count == 1 { lin[d[0]] = v } else { quad[IndexPair(d[0], d[1])] = d[0] == d[1] ? 0.5 * v : v }
      }
      let name = "\(ch)/\(options.signalName)"
      forms[name] = QuadraticForm(constant: 1, linear: lin, quadratic: quad)
      targets.append(EFTTarget(channel: ch, process: options.signalName, scaling: .process(ScalingFactors(numerators: [name]))))
    }
    return EFTParametrisation(coefficients: coeffs, forms: forms, targets: targets)
  }

  /// Default POI ranges: ±10/√I_aa from the binned Fisher information (signal + backgrounds),
  /// rounded up to one significant digit; ±10 where I_aa = 0.
  public func defaultRanges(sigmas: Double = 10) -> [String: ClosedRange<Double>] {
    let I = fisherMatrix(backgrounds: true)
    var out: [String: ClosedRange<Double>] = [:]
    for (a, c) in coefficients.enumerated() {
      var r = 10.0
      if I[a][a] > 0 {
        let x = sigmas / I[a][a].squareRoot()
        let p = pow(10, floor(log10(x)))
        r = min(ceil(x / p) * p, 1e6)
      }
      out[c] = -r...r
    }
    return out
  }
}

