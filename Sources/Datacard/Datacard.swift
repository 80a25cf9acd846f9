//===--- Datacard.swift ---------------------------------------------------===//
// The syntax tree of a Combine datacard, after parsing and nuisance edits.
//===----------------------------------------------------------------------===//

/// One `shapes PROCESS CHANNEL FILE [OBJECT [OBJECT_SYSTEMATIC]]` line, or `shapes * * FAKE`.
public struct ShapeDirective: Sendable, Equatable {
  public var process: String
  public var channel: String
  /// File path as written (may contain `$CHANNEL`, `$PROCESS`, `$MASS`), or `FAKE`.
  public var file: String
  /// Object path pattern of the nominal template.
  public var object: String?
  /// Object path pattern of the systematic variations (with `$SYSTEMATIC`).
  public var systematicObject: String?
  public var line: Int

  public var isFake: Bool { file == "FAKE" }

  public init(process: String, channel: String, file: String, object: String? = nil,
              systematicObject: String? = nil, line: Int = 0) {
    self.process = process
    self.channel = channel
    self.file = file
    self.object = object
    self.systematicObject = systematicObject
    self.line = line
  }

  public static func == (a: Self, b: Self) -> Bool {
    a.process == b.process && a.channel == b.channel && a.file == b.file && a.object == b.object
      && a.systematicObject == b.systematicObject
  }
}

/// One column of the process block: a (bin, process) pair with its rate.
public struct ProcessColumn: Sendable, Equatable {
  public var bin: String
  public var process: String
  /// The integer written on the second `process` line; only its sign matters (≤ 0 = signal).
  public var id: Int
  /// The `rate` value; `-1` in a shape card means "use the template integral"; `0` = absent.
  public var rate: Double

  public var isSignal: Bool { id <= 0 }

  public init(bin: String, process: String, id: Int, rate: Double) {
    self.bin = bin
    self.process = process
    self.id = id
    self.rate = rate
  }
}

/// The pdf of a systematics line, as spelled in the card.
public enum SystematicType: String, Sendable, CaseIterable, Hashable {
  case lnN, lnU, gmN, gmM, trG, unif, dFD, dFD2
  case shape, shapeN, shape2, shapeN2, shapeU
  case shapeQ = "shape?"
  case shapeNQ = "shapeN?"
  case shapeStar = "shape*"
  case param, constr

  /// Types that carry one value per process column.
  public var hasColumns: Bool { self != .param && self != .constr }
  /// The template-morphing types (`shape`, `shapeN`, `shape?`, ...).
  public var isShape: Bool { rawValue.hasPrefix("shape") }
  /// `shape?`-style: shape where an Up/Down template exists, lnN elsewhere.
  public var isShapeOrLogNormal: Bool { self == .shapeQ || self == .shapeNQ }
  /// Log-space (`shapeN`) vertical morphing.
  public var isLogMorph: Bool { self == .shapeN || self == .shapeN2 || self == .shapeNQ }
  /// Types whose columns may be asymmetric `down/up`.
  public var allowsAsymmetric: Bool { self == .lnN || self == .lnU || isShapeOrLogNormal }
  /// Number of header arguments between the type and the columns.
  public var headerArgumentCount: Int {
    switch self {
    case .gmN, .dFD, .dFD2: return 1
    case .unif: return 2
    default: return 0
    }
  }
}

/// The effect of a systematic on one column.
public enum Effect: Sendable, Equatable, CustomStringConvertible {
  /// `-` or 0: no effect.
  case none
  /// A single value: κ for lnN, a scale for shapes, α for gmN, v for trG/unif.
  case value(Double)
  /// `κ_down/κ_up`: the yield factors at θ = −1 and θ = +1.
  case asymmetric(down: Double, up: Double)

  public var isNone: Bool { if case .none = self { return true } else { return false } }

  public var description: String {
    switch self {
    case .none: return "-"
    case .value(let v): return formatNumber(v)
    case .asymmetric(let d, let u): return formatNumber(d) + "/" + formatNumber(u)
    }
  }
}

/// A `param` constraint: Gaussian (σ) or bifurcated Gaussian (−σL/+σR), optional explicit range.
public struct ParamConstraint: Sendable, Equatable {
  public var mean: Double
  public var sigmaLow: Double
  public var sigmaHigh: Double
  public var isAsymmetric: Bool
  /// Explicit `[lo,hi]`; otherwise [mean − 4σL, mean + 4σR].
  public var explicitRange: ClosedRange<Double>?

  public var range: ClosedRange<Double> {
    explicitRange ?? (mean - 4 * sigmaLow)...(mean + 4 * sigmaHigh)
  }
}

/// One systematics line (after `nuisance edit` commands).
public struct Systematic: Sendable, Equatable {
  public var name: String
  /// `[nofloat]` suffix (Combine's `globalConstrained` attribute).
  public var noFloat: Bool
  public var type: SystematicType
  /// Header arguments as written: `gmN N`, `unif a b`, `dFD K`, all of `param`/`constr`.
  public var arguments: [String]
  /// One effect per process column (empty for `param`/`constr`).
  public var effects: [Effect]
  /// The name used to look up `$SYSTEMATIC` templates: the original name when a
  /// `nuisance edit rename` changed ``name`` (Combine keeps reading the old histograms).
  public var templateName: String
  public var line: Int

  public init(name: String, noFloat: Bool = false, type: SystematicType, arguments: [String] = [],
              effects: [Effect], line: Int = 0) {
    self.name = name
    self.templateName = name
    self.noFloat = noFloat
    self.type = type
    self.arguments = arguments
    self.effects = effects
    self.line = line
  }

  /// The observed control-region count `N` of a `gmN N` line.
  public var gmNCount: Int? { type == .gmN ? arguments.first.flatMap { Int($0) } : nil }

  /// The parsed `param` constraint (nil for other types).
  public var paramConstraint: ParamConstraint? {
    type == .param ? (try? parseParamArguments(arguments, location: nil)) : nil
  }

  public static func == (a: Self, b: Self) -> Bool {
    a.name == b.name && a.noFloat == b.noFloat && a.type == b.type && a.arguments == b.arguments
      && a.effects == b.effects && (!a.type.isShape || a.templateName == b.templateName)
  }
}

/// The value part of a `rateParam` line.
public enum RateParamValue: Sendable, Equatable {
  /// A free factor starting at `initial`, unbounded unless a range is given.
  case free(initial: Double, range: ClosedRange<Double>?)
  /// `formula args`: a function of other parameters (`@0`, `@1`, ... are the comma-separated arguments).
  case formula(String, arguments: [String])
  /// `file.root:workspace`: imported from a RooWorkspace.
  case external(String)
}

/// A `name rateParam BIN PROCESS value` line; BIN and PROCESS may contain `*` wildcards (fnmatch).
public struct RateParamDirective: Sendable, Equatable {
  public var name: String
  public var binPattern: String
  public var processPattern: String
  public var value: RateParamValue
  /// The (bin, process) pairs of the card matched by the patterns (all pairs, as Combine does).
  public var targets: [BinProcess]
  public var line: Int

  public static func == (a: Self, b: Self) -> Bool {
    a.name == b.name && a.binPattern == b.binPattern && a.processPattern == b.processPattern
      && a.value == b.value && a.targets == b.targets
  }
}

/// A (bin, process) key.
public struct BinProcess: Sendable, Hashable, CustomStringConvertible {
  public var bin: String
  public var process: String
  public init(_ bin: String, _ process: String) {
    self.bin = bin
    self.process = process
  }
  public var description: String { "\(bin)/\(process)" }
}

/// `name extArg ...`: an external or free parameter.
public struct ExtArgDirective: Sendable, Equatable {
  public var name: String
  /// The tokens after `extArg` (`file.root:ws[:opt]`, or `init [lo,hi]`, `init [const]`, `init`).
  public var arguments: [String]
  public var line: Int

  public static func == (a: Self, b: Self) -> Bool { a.name == b.name && a.arguments == b.arguments }
}

/// `name flatParam [v [lo,hi]]`.
public struct FlatParamDirective: Sendable, Equatable {
  public var name: String
  public var arguments: [String]
  public var line: Int
  public static func == (a: Self, b: Self) -> Bool { a.name == b.name && a.arguments == b.arguments }
}

/// A nuisance group (`grp group = a b`, extended by `grp group += c`), members in first-seen order.
public struct NuisanceGroup: Sendable, Equatable {
  public var name: String
  public var members: [String]
  public var line: Int
  public static func == (a: Self, b: Self) -> Bool { a.name == b.name && Set(a.members) == Set(b.members) }
}

/// The options of an `autoMCStats` line: `CHANNEL autoMCStats threshold [include-signal] [hist-mode]`.
public struct AutoMCStatsSettings: Sendable, Equatable {
  /// Effective-event threshold: bins with n_eff ≤ threshold get per-process parameters. < 0: no parameters.
  public var threshold: Double
  /// Whether signal processes enter the n_eff sums.
  public var includeSignal: Bool
  /// How shape variations enter (the line's `hist-mode`).
  public var histMode: HistMode

  /// `hist-mode` of an `autoMCStats` line (CMSHistFunc's morphing of the Up/Down templates).
  public enum HistMode: Int, Sendable, Equatable {
    /// 1 (default): Up/Down rescaled to the nominal integral, the normalisation effect by AsymPow.
    case rescaledVariations = 1
    /// 2: Up/Down used as given, no AsymPow term.
    case variationsAsGiven = 2
  }

  public init(threshold: Double, includeSignal: Bool = false, histMode: HistMode = .rescaledVariations) {
    self.threshold = threshold
    self.includeSignal = includeSignal
    self.histMode = histMode
  }
}

/// One `autoMCStats` line as written (the channel may be a wildcard).
public struct AutoMCStatsDirective: Sendable, Equatable {
  public var channelPattern: String
  public var settings: AutoMCStatsSettings
  /// How many tokens the line had after `autoMCStats` (1–3), kept for writing it back.
  public var tokenCount: Int
  public var line: Int
  public static func == (a: Self, b: Self) -> Bool {
    a.channelPattern == b.channelPattern && a.settings == b.settings
  }
}

/// A `nuisance edit CMD ARGS...` line.
public struct NuisanceEditDirective: Sendable, Equatable {
  public var command: String
  public var arguments: [String]
  public var line: Int
  public static func == (a: Self, b: Self) -> Bool { a.command == b.command && a.arguments == b.arguments }
}

/// A parsed Combine datacard.
///
/// The tree keeps everything needed to write the card back (``DatacardWriter``) and to build the
/// likelihood. `nuisance edit` lines are applied at parse time, in file order, to the systematics
/// parsed so far (as Combine's `NuisanceModifier` does); the lines themselves are kept in ``edits``.
public struct Datacard: Sendable {
  /// The file the card was read from (for messages and relative shape paths).
  public var path: String
  /// Declared header counts (`nil` for `*` or absent).
  public var declaredBins: Int?
  public var declaredProcesses: Int?
  public var declaredNuisances: Int?
  public var shapes: [ShapeDirective] = []
  /// Bin (channel) names in card order.
  public var bins: [String] = []
  /// Observed counts aligned with ``bins``; nil when the card has no observation line.
  public var observations: [Double]?
  public var columns: [ProcessColumn] = []
  /// Distinct processes in first-appearance order.
  public var processes: [String] = []
  public var systematics: [Systematic] = []
  public var rateParams: [RateParamDirective] = []
  public var extArgs: [ExtArgDirective] = []
  public var flatParams: [FlatParamDirective] = []
  public var discretes: [String] = []
  public var groups: [NuisanceGroup] = []
  public var autoMCStats: [AutoMCStatsDirective] = []
  public var edits: [NuisanceEditDirective] = []
  /// Parameters frozen by `nuisance edit freeze`.
  public var frozen: [String] = []
  public var warnings: [DatacardWarning] = []

  public init(path: String) { self.path = path }

  // MARK: Derived views

  /// Signal processes (id ≤ 0) in first-appearance order.
  public var signals: [String] {
    var seen = Set<String>()
    return columns.filter { $0.isSignal }.map(\.process).filter { seen.insert($0).inserted }
  }

  public func isSignal(_ process: String) -> Bool {
    columns.first { $0.process == process }?.isSignal ?? false
  }

  /// True when the card has at least one `shapes` line (Combine's ShapeBuilder); else a counting card.
  public var hasShapes: Bool { !shapes.isEmpty }

  /// Columns of one bin, in card order.
  public func columns(inBin bin: String) -> [ProcessColumn] { columns.filter { $0.bin == bin } }

  /// The observed count of a bin, if the card has an observation line.
  public func observation(ofBin bin: String) -> Double? {
    guard let obs = observations, let i = bins.firstIndex(of: bin) else { return nil }
    return obs[i]
  }

  /// The autoMCStats settings of a bin (the last matching line wins, as in Combine).
  public func autoMCStatsSettings(forBin bin: String) -> AutoMCStatsSettings? {
    var result: AutoMCStatsSettings?
    for d in autoMCStats where d.channelPattern == bin || (d.channelPattern.contains("*") && fnmatch(d.channelPattern, bin)) {
      result = d.settings
    }
    return result
  }

  /// Names of all nuisance-like parameters the card declares (systematics, rateParams, extArgs,
  /// flatParams, discretes), deduplicated, in card order.
  public var parameterNames: [String] {
    var seen = Set<String>()
    var out: [String] = []
    for n in systematics.map(\.name) + rateParams.map(\.name) + extArgs.map(\.name)
      + flatParams.map(\.name) + discretes where seen.insert(n).inserted { out.append(n) }
    return out
  }

  /// Count of systematics by type (the shape of Combine's `systs` list).
  public var systematicTypeCounts: [String: Int] {
    var c: [String: Int] = [:]
    for s in systematics { c[s.type.rawValue, default: 0] += 1 }
    return c
  }
}

extension Datacard: Equatable {
  /// Two cards are equal when they describe the same model: the same bins, observations, columns,
  /// systematics (after edits), rateParams, extArgs, flatParams, discretes, groups, autoMCStats,
  /// frozen parameters and shapes lines. Header counts, line numbers and comments do not matter.
  public static func == (a: Datacard, b: Datacard) -> Bool {
    a.bins == b.bins && a.observations == b.observations && a.columns == b.columns
      && a.processes == b.processes && a.systematics == b.systematics && a.rateParams == b.rateParams
      && a.extArgs == b.extArgs && a.flatParams == b.flatParams && a.discretes == b.discretes
      && a.groups == b.groups && a.autoMCStats == b.autoMCStats && a.frozen == b.frozen
      && a.shapes == b.shapes
  }
}

extension Datacard {
  /// The first field in which two cards differ (nil if equal), for test diagnostics.
  public func firstDifference(from b: Datacard) -> String? {
    let a = self
    if a.bins != b.bins { return "bins \(a.bins) vs \(b.bins)" }
    if a.observations != b.observations { return "observations \(String(describing: a.observations)) vs \(String(describing: b.observations))" }
    if a.columns != b.columns { return "columns \(a.columns) vs \(b.columns)" }
    if a.processes != b.processes { return "processes" }
    if a.systematics != b.systematics {
      for (x, y) in zip(a.systematics, b.systematics) where x != y {
        if x.name != y.name || x.type != y.type || x.arguments != y.arguments || x.noFloat != y.noFloat {
          return "systematic \(x.name) \(x.type) \(x.arguments) vs \(y.name) \(y.type) \(y.arguments)"
        }
        if let i = x.effects.indices.first(where: { $0 < y.effects.count && x.effects[$0] != y.effects[$0] }) {
          return "systematic \(x.name) column \(i): \(x.effects[i]) vs \(y.effects[i])"
        }
        return "systematic \(x.name): templateName \(x.templateName) vs \(y.templateName), effects \(x.effects.count) vs \(y.effects.count)"
      }
      return "systematics count \(a.systematics.count) vs \(b.systematics.count)"
    }
    if a.rateParams != b.rateParams { return "rateParams \(a.rateParams) vs \(b.rateParams)" }
    if a.extArgs != b.extArgs { return "extArgs \(a.extArgs) vs \(b.extArgs)" }
    if a.flatParams != b.flatParams { return "flatParams" }
    if a.discretes != b.discretes { return "discretes" }
    if a.groups != b.groups { return "groups \(a.groups) vs \(b.groups)" }
    if a.autoMCStats != b.autoMCStats { return "autoMCStats" }
    if a.frozen != b.frozen { return "frozen \(a.frozen) vs \(b.frozen)" }
    if a.shapes != b.shapes { return "shapes \(a.shapes) vs \(b.shapes)" }
    return nil
  }
}
