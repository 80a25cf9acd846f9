//===--- Validation.swift -------------------------------------------------===//
// Consistency checks in the spirit of Combine's ValidateDatacards.py.
//===----------------------------------------------------------------------===//

import Foundation

/// One finding of the validator.
public struct ValidationIssue: Sendable, Equatable, Codable, CustomStringConvertible {
  /// A short check name (ValidateDatacards' names where one exists: `largeNormEff`,
  /// `uncertVarySameDirect`, `uncertTemplSame`, `smallShapeEff`, `emptyProcessShape`, `emptyBkgBin`, ...).
  public var check: String
  public var message: String
  public var line: Int?

  public var description: String { (line.map { "line \($0): " } ?? "") + "[\(check)] " + message }
}

/// What `recombine validate` reports.
public struct ValidationReport: Sendable, Codable {
  public var card: String
  /// Number of channels (Combine's bins).
  public var nbins: Int
  /// Number of distinct processes.
  public var nproc: Int
  /// Number of distinct signal processes.
  public var nsig: Int
  /// Systematics lines by type.
  public var syst_types: [String: Int]
  public var channels: [String]
  public var processes: [String]
  public var signals: [String]
  public var rateParams: Int
  public var shapesRead: Bool
  public var histogramsRead: Int
  public var warnings: [ValidationIssue]
  public var errors: [ValidationIssue]
}

/// Thresholds of the checks (ValidateDatacards' defaults).
public struct ValidationOptions: Sendable {
  /// Report normalisation effects larger than this (|κ − 1|; `--checkUncertOver`, 0.1).
  public var largeNormEffect = 0.1
  /// Report shape effects smaller than this (max over bins of |Δf|/f_nominal of the unit-normalised templates, 0.001).
  public var smallShapeEffect = 0.001
  /// `$MASS` value.
  public var mass: Double = 120
  /// Skip reading ROOT files.
  public var parseOnly = false
  public init() {}
}

public enum Validator {
  /// Validates a parsed card; with shapes, reads every histogram it names.
  public static func validate(_ card: Datacard, options: ValidationOptions = ValidationOptions()) -> ValidationReport {
    var warnings: [ValidationIssue] = card.warnings.map { ValidationIssue(check: "parser", message: $0.message, line: $0.location?.line) }
    var errors: [ValidationIssue] = []
    func warn(_ c: String, _ m: String, _ l: Int? = nil) { warnings.append(ValidationIssue(check: c, message: m, line: l)) }
    func err(_ c: String, _ m: String, _ l: Int? = nil) { errors.append(ValidationIssue(check: c, message: m, line: l)) }

    // Normalisation effects of lnN-type lines.
    for s in card.systematics where s.type == .lnN || s.type == .lnU || s.type.isShapeOrLogNormal {
      for (ci, e) in s.effects.enumerated() {
        let col = card.columns[ci]
        switch e {
        case .value(let k) where s.type == .lnN || s.type == .lnU:
          if abs(k - 1) > options.largeNormEffect {
            warn("largeNormEff", "'\(s.name)' changes \(col.bin)/\(col.process) by \(pct(k - 1)) (κ = \(formatNumber(k)))", s.line)
          }
        case .asymmetric(let d, let u):
          if (d > 1 && u > 1) || (d < 1 && u < 1) {
            warn("uncertVarySameDirect", "'\(s.name)' moves \(col.bin)/\(col.process) in the same direction up and down (\(formatNumber(d))/\(formatNumber(u)))", s.line)
          }
          if max(abs(d - 1), abs(u - 1)) > options.largeNormEffect {
            warn("largeNormEff", "'\(s.name)' changes \(col.bin)/\(col.process) by up to \(pct(max(abs(d - 1), abs(u - 1))))", s.line)
          }
        default: break
        }
      }
    }
    // Formula rateParams must reference only their arguments.
    for r in card.rateParams {
      if case .formula(let f, let args) = r.value {
        var i = f.startIndex
        while let at = f[i...].firstIndex(of: "@") {
          let digits = f[f.index(after: at)...].prefix { $0.isNumber }
          if let k = Int(digits), k >= args.count {
            err("rateParamFormula", "rateParam '\(r.name)' uses @\(k) but has only \(args.count) argument(s)", r.line)
          }
          i = f.index(after: at)
        }
      }
    }

    var histogramsRead = 0
    if card.hasShapes && !options.parseOnly {
      do {
        let loader = ShapeLoader(card: card, mass: options.mass)
        let inputs = try loader.load(checkingNormalisations: false)
        histogramsRead = inputs.templates.values.reduce(0) { $0 + 1 + 2 * $1.variations.count } + inputs.data.count
        for (check, e) in loader.normalisationErrors(inputs) { err(check, e.message, e.location?.line) }
        for w in inputs.warnings { warn("emptyProcessShape", w.message, w.line) }
        checkShapes(card, inputs, options, warn: warn, err: err)
      } catch let e as DatacardError {
        err("shapes", e.message + (e.text.isEmpty ? "" : " (\(e.text))"), e.location?.line)
      } catch {
        err("shapes", "\(error)")
      }
    }
    return ValidationReport(
      card: card.path, nbins: card.bins.count, nproc: card.processes.count, nsig: card.signals.count,
      syst_types: card.systematicTypeCounts, channels: card.bins, processes: card.processes, signals: card.signals,
      rateParams: Set(card.rateParams.map(\.name)).count, shapesRead: card.hasShapes && !options.parseOnly,
      histogramsRead: histogramsRead, warnings: warnings, errors: errors)
  }

  static func pct(_ x: Double) -> String { String(format: "%+.1f%%", 100 * x) }

  static func checkShapes(_ card: Datacard, _ inputs: ShapeInputs, _ options: ValidationOptions,
                          warn: (String, String, Int?) -> Void, err: (String, String, Int?) -> Void) {
    // Rates and observations against the integrals are ShapeLoader.normalisationErrors.
    for (ci, col) in card.columns.enumerated() {
      guard let t = inputs.templates[ci] else { continue }
      let norm = t.nominal.integral()
      let line = t.source.line
      if t.nominal.values.contains(where: { $0 < 0 }) {
        warn("negativeBins", "template of \(col.bin)/\(col.process) has negative bins", line)
      }
      for (si, v) in t.variations.sorted(by: { $0.key < $1.key }) {
        let s = card.systematics[si]
        let nu = v.up.integral(), nd = v.down.integral()
        // With autoMCStats hist-mode 2 the variations are used as given: no normalisation effect is
        // derived from the integrals (the fit and Combine's CMSHistFunc need no positive integral).
        let asGiven = card.autoMCStatsSettings(forBin: col.bin)?.histMode == .variationsAsGiven
        if nu <= 0 || nd <= 0 || norm <= 0 {
          if norm > 0 && !asGiven { err("shapeNorm", "'\(s.name)' for \(col.bin)/\(col.process): Up/Down integral \(nu)/\(nd) must be positive", s.line) }
          continue
        }
        let ku = nu / norm, kd = nd / norm
        if max(abs(ku - 1), abs(kd - 1)) > options.largeNormEffect {
          warn("largeNormEff", "'\(s.name)' changes the normalisation of \(col.bin)/\(col.process) by \(pct(kd - 1))/\(pct(ku - 1)) (down/up)", s.line)
        }
        if (ku - 1) * (kd - 1) > 0, abs(ku - 1) > 1e-3, abs(kd - 1) > 1e-3 {
          warn("uncertVarySameDirect", "'\(s.name)' Up and Down both move the normalisation of \(col.bin)/\(col.process) \(ku > 1 ? "up" : "down")", s.line)
        }
        if v.up.values == v.down.values {
          warn("uncertTemplSame", "'\(s.name)' Up and Down templates of \(col.bin)/\(col.process) are identical", s.line)
        }
        let fn = t.nominal.values.map { $0 / norm }
        let fu = v.up.values.map { $0 / nu }, fd = v.down.values.map { $0 / nd }
        var maxRel = 0.0
        for i in fn.indices where fn[i] > 0 {
          maxRel = max(maxRel, abs(fu[i] - fn[i]) / fn[i], abs(fd[i] - fn[i]) / fn[i])
        }
        if maxRel < options.smallShapeEffect {
          warn("smallShapeEff", "'\(s.name)' has a shape effect below \(options.smallShapeEffect) for \(col.bin)/\(col.process) (could be lnN)", s.line)
        }
      }
    }
    for bin in card.bins {
      guard let h = inputs.data[bin] else { continue }
      // Bins with data but no background.
      let bkg = card.columns.indices.filter { card.columns[$0].bin == bin && !card.columns[$0].isSignal }.compactMap { inputs.templates[$0]?.nominal.values }
      if let n = bkg.first?.count {
        for i in 0..<n {
          let total = bkg.reduce(0) { $0 + $1[i] }
          if total <= 0 {
            warn("emptyBkgBin", "bin \(i + 1) of channel \(bin) has no background" + (h.values[i] > 0 ? " but \(formatNumber(h.values[i])) observed events" : ""), nil)
          }
        }
      }
    }
  }
}
