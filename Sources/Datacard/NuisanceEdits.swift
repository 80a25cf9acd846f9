//===--- NuisanceEdits.swift ----------------------------------------------===//
// `nuisance edit` commands (Combine's NuisanceModifier), applied in file order.
//===----------------------------------------------------------------------===//

import Foundation

extension DatacardParser {
  /// Applies one `nuisance edit` line to the systematics parsed so far.
  ///
  /// Patterns are regular expressions with full-match semantics (`*` alone = everything); in
  /// channel patterns `+` is taken literally, as in Combine.
  mutating func applyEdit(_ edit: NuisanceEditDirective, lineText: String) throws {
    var editor = NuisanceEditor(card: card, location: loc(), lineText: lineText)
    try editor.apply(edit)
    card = editor.card
  }
}

struct NuisanceEditor {
  var card: Datacard
  let location: SourceLocation
  let lineText: String

  func fail(_ message: String) -> DatacardError { DatacardError(message, at: location, text: lineText) }

  func warn(_ message: String) -> DatacardWarning { DatacardWarning(message, at: location) }

  func channelMatches(_ pattern: String, _ bin: String) -> Bool {
    pattern == "*" || regexMatchesWhole(pattern.replacingOccurrences(of: "+", with: "\\+"), bin)
  }

  func processMatches(_ pattern: String, _ process: String) -> Bool {
    pattern == "*" || regexMatchesWhole(pattern, process)
  }

  func checkPatterns(_ patterns: [String]) throws {
    for p in patterns where p != "*" {
      if (try? Regex(p)) == nil { throw fail("'\(p)' is not a valid regular expression") }
    }
  }

  /// Column indices whose bin and process match the patterns.
  func matchingColumns(process: String, channel: String) -> [Int] {
    card.columns.indices.filter { channelMatches(channel, card.columns[$0].bin) && processMatches(process, card.columns[$0].process) }
  }

  static func isNullValue(_ e: Effect) -> Bool {
    switch e {
    case .none: return true
    case .value(let v): return v == 0 || v == 1
    case .asymmetric: return false
    }
  }

  /// A value of an `add` or `split` edit for a `type` line, checked as a card value is (``parseEffect(_:type:)``).
  func parseValue(_ s: String, type: SystematicType) throws -> Effect {
    do {
      return try parseEffect(s, type: type)
    } catch {
      throw fail(error.message)
    }
  }

  /// Quadrature sum of two log-normal effects: exp(hypot(|ln v1|, |ln v2|)), inverted when v1 < 1.
  func quadratureAdd(_ type: SystematicType, _ a: Effect, _ b: Effect) throws -> Effect {
    func scalar(_ v1: Double, _ v2: Double) throws -> Double {
      guard type == .lnN || type == .lnU else { throw fail("quadrature addition is implemented only for lnN and lnU, not \(type.rawValue)") }
      if log(v1) * log(v2) < 0 {
        throw fail("cannot add in quadrature values \(formatNumber(v1)) and \(formatNumber(v2)) that go in different directions")
      }
      let r = exp(hypot(abs(log(v1)), abs(log(v2))))
      return v1 > 1 ? r : 1 / r
    }
    switch (a, b) {
    case (.asymmetric(let d1, let u1), .asymmetric(let d2, let u2)):
      return .asymmetric(down: try scalar(d1, d2), up: try scalar(u1, u2))
    case (.asymmetric(let d1, let u1), .value(let v)):
      return .asymmetric(down: try scalar(d1, 1 / v), up: try scalar(u1, v))
    case (.value(let v), .asymmetric(let d2, let u2)):
      return .asymmetric(down: try scalar(1 / v, d2), up: try scalar(v, u2))
    case (.value(let v1), .value(let v2)):
      return .value(try scalar(v1, v2))
    default:
      return a.isNone ? b : a
    }
  }

  mutating func apply(_ edit: NuisanceEditDirective) throws {
    let a = edit.arguments
    switch edit.command {
    case "add": try add(a)
    case "drop": try drop(a)
    case "rename": try rename(a)
    case "changepdf": try changePdf(a)
    case "split": try split(a)
    case "merge": try merge(a)
    case "freeze": try freeze(a)
    case "flip": try flip(a)
    default:
      throw fail("unknown nuisance edit command '\(edit.command)'; expected add, drop, rename, changepdf, split, merge, freeze or flip")
    }
  }

  /// `add PROCESS CHANNEL NAME PDF VALUE [addq|overwrite]`
  mutating func add(_ args: [String]) throws {
    guard args.count >= 5 else { throw fail("syntax: nuisance edit add PROCESS CHANNEL NAME PDF VALUE [addq|overwrite]") }
    let (process, channel, name, pdfName, valueText) = (args[0], args[1], args[2], args[3], args[4])
    try checkPatterns([process, channel])
    guard let type = SystematicType(rawValue: pdfName), type.hasColumns else { throw fail("unknown pdf '\(pdfName)' in nuisance edit add") }
    try addEffect(process: process, channel: channel, name: name, type: type, value: try parseValue(valueText, type: type), options: Array(args.dropFirst(5)))
  }

  mutating func addEffect(process: String, channel: String, name: String, type: SystematicType, value: Effect, options: [String]) throws {
    var index = card.systematics.lastIndex { $0.name == name }
    if let i = index, card.systematics[i].type != type {
      throw fail("cannot add nuisance '\(name)' with pdf \(type.rawValue): it already exists as \(card.systematics[i].type.rawValue)")
    }
    if index == nil {
      card.systematics.append(Systematic(name: name, type: type, effects: Array(repeating: .none, count: card.columns.count), line: location.line))
      index = card.systematics.count - 1
    }
    let si = index!
    let cols = matchingColumns(process: process, channel: channel)
    if cols.isEmpty { card.warnings.append(warn("nuisance edit add '\(name)': no (channel, process) matches '\(channel)', '\(process)'")) }
    if Self.isNullValue(value) { return }
    for c in cols {
      let old = card.systematics[si].effects[c]
      if !Self.isNullValue(old) {
        if options.contains("addq") {
          card.systematics[si].effects[c] = try quadratureAdd(type, old, value)
        } else if options.contains("overwrite") {
          card.systematics[si].effects[c] = value
        } else {
          throw fail("cannot add '\(name)' for \(card.columns[c].bin)/\(card.columns[c].process): it already has the value \(old), and neither 'addq' nor 'overwrite' was given")
        }
      } else {
        card.systematics[si].effects[c] = value
      }
    }
  }

  /// `drop PROCESS CHANNEL NAME [ifexists]`
  mutating func drop(_ args: [String]) throws {
    guard args.count >= 3 else { throw fail("syntax: nuisance edit drop PROCESS CHANNEL NAME [ifexists]") }
    let (process, channel, name) = (args[0], args[1], args[2])
    try checkPatterns([process, channel, name])
    var found = false
    let cols = matchingColumns(process: process, channel: channel)
    for si in card.systematics.indices where regexMatchesWhole(name, card.systematics[si].name) && card.systematics[si].type.hasColumns {
      for c in cols {
        found = true
        card.systematics[si].effects[c] = .none
      }
    }
    if !found, channel != "*" {
      if args.dropFirst(3).contains("ifexists") {
        card.warnings.append(warn("nuisance edit drop \(args.joined(separator: " ")) found nothing"))
      } else {
        throw fail("nuisance edit drop found nothing matching '\(name)' in channel '\(channel)', process '\(process)' (add 'ifexists' to allow this)")
      }
    }
  }

  /// `rename OLD NEW` (global) or `rename PROCESS CHANNEL OLD NEW [ifexists]`.
  mutating func rename(_ args: [String]) throws {
    let vetoed: Set<SystematicType> = [.constr, .trG, .gmN]
    if args.count == 2 {
      let (old, new) = (args[0], args[1])
      let ids = card.systematics.indices.filter { card.systematics[$0].name == old }
      let flat = card.flatParams.contains { $0.name == old }
      guard !ids.isEmpty else {
        if flat { throw fail("nuisance edit rename can only rename param, shape or lnN nuisances; rename '\(old)' in the input workspace or datacard") }
        throw fail("no nuisance parameter named '\(old)' in the datacard")
      }
      for i in ids {
        if vetoed.contains(card.systematics[i].type) {
          throw fail("nuisance edit rename can only rename param, shape or lnN nuisances ('\(old)' is \(card.systematics[i].type.rawValue))")
        }
        if let other = card.systematics.first(where: { $0.name == new }), other.type != card.systematics[i].type,
          other.type == .param || card.systematics[i].type == .param
        {
          let p = other.type == .param ? other : card.systematics[i]
          if let c = p.paramConstraint, abs(c.mean) > 1e-6 || abs(c.sigmaLow - 1) > 1e-6 {
            throw fail("cannot rename '\(old)' to '\(new)', which exists and is incompatible")
          }
        }
        card.systematics[i].name = new
        // Shape templates keep being read under the old name (Combine's systematicsShapeMap).
        if !card.systematics[i].type.isShape { card.systematics[i].templateName = new }
      }
      return
    }
    guard args.count >= 4 else { throw fail("syntax: nuisance edit rename OLD NEW, or rename PROCESS CHANNEL OLD NEW [ifexists]") }
    let (process, channel, old, new) = (args[0], args[1], args[2], args[3])
    try checkPatterns([process, channel])
    let ifexists = args.dropFirst(4).contains("ifexists")
    let ids = card.systematics.indices.filter { card.systematics[$0].name == old }
    guard !ids.isEmpty else { throw fail("no nuisance parameter named '\(old)' in the datacard") }
    for i in ids {
      let src = card.systematics[i]
      if vetoed.contains(src.type) {
        throw fail("nuisance edit rename can only rename param, shape or lnN nuisances ('\(old)' is \(src.type.rawValue))")
      }
      if src.type == .param { continue }
      var target = card.systematics.firstIndex { $0.name == new && $0.type == src.type }
      if target == nil {
        var s = Systematic(name: new, noFloat: src.noFloat, type: src.type, arguments: src.arguments,
                           effects: Array(repeating: .none, count: card.columns.count), line: location.line)
        s.templateName = src.type.isShape ? src.templateName : new
        card.systematics.append(s)
        target = card.systematics.count - 1
      }
      let cols = matchingColumns(process: process, channel: channel)
      if cols.isEmpty, !ifexists {
        throw fail("nuisance edit rename found no (channel, process) matching '\(channel)', '\(process)' (add 'ifexists' to allow this)")
      }
      let into = card.systematics[target!]
      if src.type.isShape, into.templateName != src.templateName, cols.contains(where: { !src.effects[$0].isNone }) {
        // Combine would read the moved columns' templates under the old name (systematicsShapeMap)
        // and the target's other columns under its own; a line here has one template name.
        throw fail("nuisance edit rename moves entries of shape nuisance '\(old)' (templates '\(src.templateName)Up/Down') into the existing line '\(new)' (line \(into.line)), whose templates are '\(into.templateName)Up/Down'; Recombine keeps one template name per line, so rename the histograms or the card's line instead")
      }
      for c in cols {
        card.systematics[target!].effects[c] = card.systematics[i].effects[c]
        card.systematics[i].effects[c] = .none
      }
    }
  }

  /// `changepdf NAME NEWPDF`: lnN↔lnU; lnN/lnU → trG/unif/dFD/dFD2 (values → ln v) and back (exp);
  /// shape variants among themselves.
  mutating func changePdf(_ args: [String]) throws {
    guard args.count >= 2 else { throw fail("syntax: nuisance edit changepdf NAME NEWPDF") }
    let (name, newName) = (args[0], args[1])
    try checkPatterns([name])
    guard let newType = SystematicType(rawValue: newName), newType.hasColumns else { throw fail("unknown pdf '\(newName)'") }
    let logNormal: Set<SystematicType> = [.lnN, .lnU]
    let additive: Set<SystematicType> = [.trG, .unif, .dFD, .dFD2]
    var found = false
    for i in card.systematics.indices where regexMatchesWhole(name, card.systematics[i].name) {
      found = true
      let old = card.systematics[i].type
      if old == newType { continue }
      func mapValues(_ f: (Double) -> Double) {
        card.systematics[i].effects = card.systematics[i].effects.map {
          if case .value(let v) = $0, v != 0, v != 1 { return .value(f(v)) }
          return .none
        }
      }
      if logNormal.contains(old) && logNormal.contains(newType) {
      } else if logNormal.contains(old) && additive.contains(newType) {
        if let c = card.systematics[i].effects.firstIndex(where: { if case .asymmetric = $0 { true } else { false } }) {
          throw fail("cannot convert '\(card.systematics[i].name)' to \(newType.rawValue): its value \(card.systematics[i].effects[c]) for \(card.columns[c].bin)/\(card.columns[c].process) is asymmetric, and \(newType.rawValue) takes one value")
        }
        mapValues { log($0) }
      } else if additive.contains(old) && additive.contains(newType) {
      } else if additive.contains(old) && logNormal.contains(newType) {
        mapValues { exp($0) }
      } else if old.isShape && newType.isShape {
      } else {
        throw fail("cannot convert '\(card.systematics[i].name)' from pdf \(old.rawValue) to \(newType.rawValue)")
      }
      if newType.headerArgumentCount != card.systematics[i].arguments.count {
        throw fail("pdf \(newType.rawValue) needs \(newType.headerArgumentCount) header argument(s); changepdf cannot supply them")
      }
      card.systematics[i].type = newType
    }
    if !found { card.warnings.append(warn("nuisance edit changepdf: no nuisance matches '\(name)'")) }
  }

  /// `split PROCESS CHANNEL OLD NEW1 NEW2 V1 V2 [ifexists]`
  mutating func split(_ args: [String]) throws {
    guard args.count >= 7 else { throw fail("syntax: nuisance edit split PROCESS CHANNEL OLD NEW1 NEW2 VALUE1 VALUE2 [ifexists]") }
    let (process, channel, old) = (args[0], args[1], args[2])
    try checkPatterns([process, channel, old])
    var found = false
    for si in card.systematics.indices where regexMatchesWhole(old, card.systematics[si].name) && card.systematics[si].type.hasColumns {
      let type = card.systematics[si].type
      let v1 = try parseValue(args[5], type: type), v2 = try parseValue(args[6], type: type)
      for c in matchingColumns(process: process, channel: channel) {
        found = true
        if !Self.isNullValue(card.systematics[si].effects[c]) {
          let col = card.columns[c]
          try addEffect(process: NSRegularExpression.escapedPattern(for: col.process), channel: NSRegularExpression.escapedPattern(for: col.bin),
                        name: args[3], type: type, value: v1, options: ["overwrite"])
          try addEffect(process: NSRegularExpression.escapedPattern(for: col.process), channel: NSRegularExpression.escapedPattern(for: col.bin),
                        name: args[4], type: type, value: v2, options: ["overwrite"])
        }
        card.systematics[si].effects[c] = .none
      }
    }
    try notFound(found, channel: channel, args: args, command: "split", optionsFrom: 7)
  }

  /// `merge PROCESS CHANNEL NAME1 NAME2 [ifexists]`: NAME2 is added to NAME1 in quadrature.
  mutating func merge(_ args: [String]) throws {
    guard args.count >= 4 else { throw fail("syntax: nuisance edit merge PROCESS CHANNEL NAME1 NAME2 [ifexists]") }
    let (process, channel, name1, name2) = (args[0], args[1], args[2], args[3])
    try checkPatterns([process, channel, name2])
    var found = false
    for si in card.systematics.indices where regexMatchesWhole(name2, card.systematics[si].name) && card.systematics[si].type.hasColumns {
      let type = card.systematics[si].type
      for c in matchingColumns(process: process, channel: channel) {
        found = true
        let col = card.columns[c]
        try addEffect(process: NSRegularExpression.escapedPattern(for: col.process), channel: NSRegularExpression.escapedPattern(for: col.bin),
                      name: name1, type: type, value: card.systematics[si].effects[c], options: ["addq"])
        card.systematics[si].effects[c] = .none
      }
    }
    try notFound(found, channel: channel, args: args, command: "merge", optionsFrom: 4)
  }

  /// `freeze PATTERN [ifexists]`: flatParams, rateParams, discretes and extArgs first, else systematics.
  mutating func freeze(_ args: [String]) throws {
    guard args.count == 1 || args.count == 2 else { throw fail("syntax: nuisance edit freeze NAME [ifexists] (NAME can be a pattern)") }
    try checkPatterns([args[0]])
    var found: [String] = []
    let firstNames = card.flatParams.map(\.name) + card.rateParams.map(\.name) + card.discretes + card.extArgs.map(\.name)
    for n in firstNames where regexMatchesWhole(args[0], n) && !found.contains(n) { found.append(n) }
    if found.isEmpty {
      for n in card.systematics.map(\.name) where regexMatchesWhole(args[0], n) && !found.contains(n) { found.append(n) }
    }
    if found.isEmpty {
      if args.count == 2 && args[1] == "ifexists" {
        card.warnings.append(warn("nuisance edit freeze \(args[0]) found nothing"))
      } else {
        throw fail("nuisance edit freeze '\(args[0])' found nothing (add 'ifexists' to allow this)")
      }
    }
    for n in found where !card.frozen.contains(n) { card.frozen.append(n) }
  }

  /// `flip PROCESS CHANNEL NAME p2n|n2p [ifexists]`, as Combine's `doFlipNuisance`: lnN only, at
  /// least one of `p2n`, `n2p`. A symmetric κ > 1 is inverted with `p2n`, κ < 1 with `n2p`; an
  /// asymmetric `κd/κu` is decided by κd: κd < 1 (the yield rises with θ) inverts both with `p2n`,
  /// κd > 1 with `n2p`, κd = 1 is left alone.
  mutating func flip(_ args: [String]) throws {
    guard args.count >= 3 else { throw fail("syntax: nuisance edit flip PROCESS CHANNEL NAME p2n|n2p [ifexists]") }
    let (process, channel, name) = (args[0], args[1], args[2])
    let opts = Set(args.dropFirst(3))
    let p2n = opts.contains("p2n"), n2p = opts.contains("n2p")
    guard p2n || n2p else {
      throw fail("nuisance edit flip needs the option p2n (invert κ > 1) and/or n2p (invert κ < 1), as in Combine")
    }
    try checkPatterns([process, channel, name])
    var found = false
    for si in card.systematics.indices where regexMatchesWhole(name, card.systematics[si].name) {
      guard card.systematics[si].type == .lnN else {
        throw fail("nuisance edit flip works only on lnN nuisances ('\(card.systematics[si].name)' is \(card.systematics[si].type.rawValue))")
      }
      for c in matchingColumns(process: process, channel: channel) {
        found = true
        switch card.systematics[si].effects[c] {
        case .value(let v) where (v > 1 && p2n) || (v < 1 && n2p): card.systematics[si].effects[c] = .value(1 / v)
        case .asymmetric(let d, let u) where (d < 1 && p2n) || (d > 1 && n2p):
          card.systematics[si].effects[c] = .asymmetric(down: 1 / d, up: 1 / u)
        default: break
        }
      }
    }
    try notFound(found, channel: channel, args: args, command: "flip", optionsFrom: 3)
  }

  mutating func notFound(_ found: Bool, channel: String, args: [String], command: String, optionsFrom: Int) throws {
    guard !found, channel != "*" else { return }
    if args.dropFirst(optionsFrom).contains("ifexists") {
      card.warnings.append(warn("nuisance edit \(command) \(args.joined(separator: " ")) found nothing"))
    } else {
      throw fail("nuisance edit \(command) found nothing for \(args.joined(separator: " ")) (add 'ifexists' to allow this)")
    }
  }
}
