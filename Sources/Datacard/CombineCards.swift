//===--- CombineCards.swift -----------------------------------------------===//
// Merging datacards the way combineCards.py does.
//===----------------------------------------------------------------------===//

import Foundation

/// Options of ``combineCards(_:options:)`` (combineCards.py's switches).
public struct CombineCardsOptions: Sendable {
  /// `-S`: treat counting cards as shape cards (`shapes * <bin> FAKE`).
  public var forceShape = false
  /// `-s`: drop all systematics.
  public var statOnly = false
  /// `--xc`: exclude channels matching these regular expressions (prefix match).
  public var excludeChannels: [String] = []
  /// `--ic`: include only channels matching these.
  public var includeChannels: [String] = []
  /// `--xn-file` contents: nuisances to exclude (regular expressions).
  public var excludeNuisances: [String] = []
  public init() {}
}

/// Combines datacards as `combineCards.py label1=card1.txt label2=card2.txt ...` does.
///
/// - Channels: a card with one bin has it renamed to its label; a card with several bins has each
///   bin renamed `<label>_<bin>`; the label `.` keeps original names; the default label is
///   `ch<i>` (1-based argument position).
/// - Processes merge by name (signal in one card and background in another is an error); in each
///   bin signal columns come first. Process ids are renumbered: signals `i − nsig + 1`,
///   backgrounds 1, 2, ... in first-appearance order.
/// - Systematics merge by name (same name = 100% correlated). `lnN` with a `shape` type becomes
///   `shape?`; `X` with `X?` becomes `X?` (in either card order); a clash whose `?` type does not
///   exist (`shape2`, `shapeN2`, `shapeU`, `shape*` with lnN), other type clashes and gmN with
///   different N are errors;
///   `param` lines must agree in mean and sigma. Lines with no effect on any column are dropped.
/// - `shapes` lines are copied per bin, `$CHANNEL` replaced by the original bin name and the file
///   path prefixed by the card's directory; rateParams, autoMCStats and groups follow their bins;
///   `nuisance edit` lines are carried over with channel patterns prefixed by the label.
///
/// - Parameter inputs: `(label, path)` pairs; label nil means `ch<i>`.
public func combineCards(_ inputs: [(label: String?, path: String)], options: CombineCardsOptions = CombineCardsOptions()) throws -> Datacard {
  guard !inputs.isEmpty else { throw DatacardError("no input datacards given", at: nil) }
  var out = Datacard(path: "combined.txt")
  var obsAvailable = true
  var observations: [Double] = []
  var keyline: [(bin: String, process: String, signal: Bool, rate: Double)] = []
  var systOrder: [String] = []
  var systs: [String: (type: SystematicType, args: [String], noFloat: Bool, effects: [BinProcess: Effect], line: Int)] = [:]
  var params: [String: [String]] = [:]
  var paramOrder: [String] = []
  var groups: [String: [String]] = [:]
  var groupOrder: [String] = []
  var edits: [NuisanceEditDirective] = []

  for (index, input) in inputs.enumerated() {
    var popts = ParseOptions()
    popts.allowNoSignal = true
    popts.allowNoBackground = true
    popts.evaluateEdits = false
    popts.excludeNuisances = options.excludeNuisances
    let card = try Datacard.parse(contentsOf: input.path, options: popts)
    let singleBin = card.bins.count == 1
    var label = input.label ?? "ch\(index + 1)"
    if label == "." {
      label = singleBin ? card.bins[0] : ""
    } else if !singleBin {
      label += "_"
    }
    func outName(_ b: String) -> String { singleBin ? label : label + b }
    func included(_ b: String) -> Bool {
      let bIn = singleBin ? label : b
      if options.excludeChannels.contains(where: { regexMatchesPrefix($0, bIn) }) { return false }
      if !options.includeChannels.isEmpty && !options.includeChannels.contains(where: { regexMatchesPrefix($0, bIn) }) { return false }
      return true
    }
    let dirname = (input.path as NSString).deletingLastPathComponent
    let bins = card.bins.filter(included)

    for b in bins {
      let cols = card.columns(inBin: b)
      for c in cols.filter(\.isSignal) + cols.filter({ !$0.isSignal }) {
        keyline.append((outName(b), c.process, c.isSignal, c.rate))
      }
      if let o = card.observation(ofBin: b) { observations.append(o) }
    }
    if card.observations == nil { obsAvailable = false }

    if !options.statOnly {
      for s in card.systematics {
        if s.type == .param {
          if let prev = params[s.name] {
            let a = try parseParamArguments(prev, location: nil), c = try parseParamArguments(s.arguments, location: nil)
            if a.mean != c.mean || a.sigmaLow != c.sigmaLow || a.sigmaHigh != c.sigmaHigh {
              throw DatacardError("parameter uncertainty '\(s.name)' differs between cards (\(prev.joined(separator: " ")) vs \(s.arguments.joined(separator: " ")))",
                                  at: SourceLocation(file: input.path, line: s.line))
            }
          } else {
            params[s.name] = s.arguments
            paramOrder.append(s.name)
          }
          continue
        }
        if s.type == .constr {
          throw DatacardError("combine-cards cannot carry regularisation ('constr') lines; remove '\(s.name)' and add it to the combined card",
                              at: SourceLocation(file: input.path, line: s.line))
        }
        var effects: [BinProcess: Effect] = [:]
        for (ci, c) in card.columns.enumerated() where included(c.bin) {
          effects[BinProcess(outName(c.bin), c.process)] = s.effects[ci]
        }
        if var existing = systs[s.name] {
          if existing.type != s.type {
            let a = existing.type, b = s.type
            let merged: String
            if (b == .lnN && a.isShape) || (b.isShape && a == .lnN) {
              let shape = a.isShape ? a : b
              merged = shape.rawValue.hasSuffix("?") ? shape.rawValue : shape.rawValue + "?"
            } else if a.rawValue == b.rawValue + "?" || a.rawValue + "?" == b.rawValue {
              merged = b.rawValue.replacingOccurrences(of: "?", with: "") + "?"
            } else {
              throw DatacardError("'\(s.name)' is \(b.rawValue) here but \(a.rawValue) in a previous card",
                                  at: SourceLocation(file: input.path, line: s.line))
            }
            guard let type = SystematicType(rawValue: merged) else {
              throw DatacardError("'\(s.name)' is \(b.rawValue) here but \(a.rawValue) in a previous card; combineCards would make it '\(merged)', "
                                  + "which is not a systematic type (only shape? and shapeN? mix templates with lnN): use shape or shapeN in both cards",
                                  at: SourceLocation(file: input.path, line: s.line))
            }
            existing.type = type
          } else if s.type == .gmN, existing.args.first != s.arguments.first {
            throw DatacardError("'\(s.name)' is gmN \(s.arguments.first ?? "") here but gmN \(existing.args.first ?? "") in a previous card",
                                at: SourceLocation(file: input.path, line: s.line))
          }
          for (k, v) in effects { existing.effects[k] = v }
          systs[s.name] = existing
        } else {
          systs[s.name] = (s.type, s.arguments, s.noFloat, effects, s.line)
          systOrder.append(s.name)
        }
      }
    }
    for f in card.flatParams where !out.flatParams.contains(where: { $0.name == f.name }) { out.flatParams.append(f) }
    for e in card.extArgs {
      out.extArgs.removeAll { $0.name == e.name }
      out.extArgs.append(e)
    }
    for d in card.discretes {
      if out.discretes.contains(d) {
        throw DatacardError("cannot correlate discrete nuisances across cards; rename '\(d)' in one", at: SourceLocation(file: input.path, line: 1))
      }
      out.discretes.append(d)
    }
    for a in card.autoMCStats {
      for b in bins where a.channelPattern == b || (a.channelPattern.contains("*") && fnmatch(a.channelPattern, b)) {
        out.autoMCStats.removeAll { $0.channelPattern == outName(b) }
        out.autoMCStats.append(AutoMCStatsDirective(channelPattern: outName(b), settings: a.settings, tokenCount: 3, line: 0))
      }
    }
    for r in card.rateParams {
      for t in r.targets where included(t.bin) {
        out.rateParams.append(RateParamDirective(name: r.name, binPattern: outName(t.bin), processPattern: t.process,
                                                 value: r.value, targets: [], line: 0))
      }
    }
    if card.hasShapes {
      for b in bins {
        let own = card.shapes.filter { $0.channel == b }
        let star = card.shapes.filter { $0.channel == "*" && !own.map(\.process).contains($0.process) }
        for s in own + star {
          var d = s
          d.channel = outName(b)
          func rep(_ x: String?) -> String? { x?.replacingOccurrences(of: "$CHANNEL", with: b) }
          d.file = rep(s.file)!
          if !d.isFake && !dirname.isEmpty && !d.file.hasPrefix("/") { d.file = dirname + "/" + d.file }
          d.object = rep(s.object)
          d.systematicObject = rep(s.systematicObject)
          out.shapes.append(d)
        }
      }
    } else if options.forceShape {
      for b in bins { out.shapes.append(ShapeDirective(process: "*", channel: outName(b), file: "FAKE")) }
    }
    for g in card.groups {
      if groups[g.name] == nil { groupOrder.append(g.name) }
      for m in g.members where !(groups[g.name] ?? []).contains(m) { groups[g.name, default: []].append(m) }
    }
    for e in card.edits {
      var args = e.arguments
      if e.command == "changepdf" || e.command == "freeze" || (e.command == "rename" && args.count == 2) {
        edits.append(e)
        continue
      }
      guard args.count >= 2 else { edits.append(e); continue }
      var proc = args[0], chan = args[1]
      var extra = Array(args.dropFirst(2))
      if chan == "*" {
        chan = card.bins.count > 1 ? "\(label)(\(card.bins.joined(separator: "|")))" : label
        if !extra.contains("ifexists") { extra.append("ifexists") }
      } else {
        chan = label + chan
      }
      if proc == "*" {
        proc = "(\(card.processes.joined(separator: "|")))"
        if !extra.contains("ifexists") { extra.append("ifexists") }
      }
      args = [proc, chan] + extra
      edits.append(NuisanceEditDirective(command: e.command, arguments: args, line: 0))
    }
  }

  // Processes: signal/background consistency and first-appearance order.
  var role: [String: (Bool, String)] = [:]
  var problems: [String] = []
  for k in keyline {
    if let (s, b) = role[k.process], s != k.signal {
      problems.append("process \(k.process) is \(k.signal ? "" : "not ")a signal in \(k.bin) and is \(s ? "" : "not ")a signal in \(b)")
    } else if role[k.process] == nil {
      role[k.process] = (k.signal, k.bin)
    }
  }
  if !problems.isEmpty { throw DatacardError("mismatch between process signal labels:\n" + problems.joined(separator: "\n"), at: nil) }
  var signals: [String] = [], backgrounds: [String] = []
  for k in keyline {
    if k.signal { if !signals.contains(k.process) { signals.append(k.process) } } else if !backgrounds.contains(k.process) { backgrounds.append(k.process) }
  }
  for k in keyline {
    if !out.bins.contains(k.bin) { out.bins.append(k.bin) }
    if !out.processes.contains(k.process) { out.processes.append(k.process) }
    let id = k.signal ? signals.firstIndex(of: k.process)! - signals.count + 1 : backgrounds.firstIndex(of: k.process)! + 1
    out.columns.append(ProcessColumn(bin: k.bin, process: k.process, id: id, rate: k.rate))
  }
  if obsAvailable { out.observations = observations }
  out.shapes.sort { ($0.channel, $0.process) < ($1.channel, $1.process) }

  // Systematics, sorted by name, without lines that affect nothing.
  var kept = Set<String>()
  for name in systOrder.sorted() {
    let s = systs[name]!
    let effects = out.columns.map { s.effects[BinProcess($0.bin, $0.process)] ?? .none }
    let nonNull = zip(effects, out.columns).contains { e, c in
      guard c.rate != 0 else { return false }
      if case .value(let v) = e { return !(s.type == .lnN && v == 1) }
      return !e.isNone
    }
    guard nonNull else { continue }
    kept.insert(name)
    out.systematics.append(Systematic(name: name, noFloat: s.noFloat, type: s.type, arguments: s.args, effects: effects, line: s.line))
  }
  for name in paramOrder {
    kept.insert(name)
    out.systematics.append(Systematic(name: name, type: .param, arguments: params[name]!, effects: []))
  }
  for i in out.rateParams.indices { out.rateParams[i].targets = [BinProcess(out.rateParams[i].binPattern, out.rateParams[i].processPattern)] }
  let otherNames = Set(out.rateParams.map(\.name) + out.extArgs.map(\.name) + out.flatParams.map(\.name) + out.discretes)
  for g in groupOrder {
    let members = groups[g]!.filter { kept.contains($0) || otherNames.contains($0) }
    if !members.isEmpty { out.groups.append(NuisanceGroup(name: g, members: members, line: 0)) }
  }
  out.edits = edits
  return out
}

extension DatacardWriter {
  /// Writes a combined card, carrying the (unapplied) `nuisance edit` lines at the end, as
  /// combineCards.py does.
  public static func writeCombined(_ card: Datacard, header: String) -> String {
    var text = write(card, header: header)
    for e in card.edits { text += "nuisance edit \(e.command) \(e.arguments.joined(separator: " "))\n" }
    return text
  }
}
