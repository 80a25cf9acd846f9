//===--- Parser.swift -----------------------------------------------------===//
// The datacard parser: Combine's `DatacardParser.parseCard`, with line- and
// column-numbered errors.
//===----------------------------------------------------------------------===//

import Foundation
import Support

/// Options of the parser (the `--X-...` switches of text2workspace that change parsing).
public struct ParseOptions: Sendable {
  /// Accept a card without signal processes (`--X-allow-no-signal`; combineCards sets it).
  public var allowNoSignal = false
  /// Accept a bin without background (`--X-allow-no-background`).
  public var allowNoBackground = false
  /// Skip the `jmax` check (`--X-no-jmax`).
  public var noJMax = false
  /// Apply `nuisance edit` lines while parsing and check that groups name parameters of the card
  /// (combineCards keeps edits unapplied and merges groups unchecked).
  public var evaluateEdits = true
  /// Regular expressions (prefix match) of nuisances to drop (`--X-exclude-nuisance`).
  public var excludeNuisances: [String] = []
  /// Combine rejects bin names starting with a digit; Recombine accepts them with a warning
  /// unless this is set.
  public var strictBinNames = false

  public init() {}
}

/// One whitespace-separated token with its 1-based column.
struct Token {
  var text: String
  var column: Int
}

/// Splits a line on whitespace, remembering columns (in characters).
func tokenize(_ line: Substring) -> [Token] {
  var tokens: [Token] = []
  var current = ""
  var start = 0
  var col = 0
  for ch in line {
    col += 1
    if ch == " " || ch == "\t" || ch == "\r" || ch == "\u{0B}" || ch == "\u{0C}" {
      if !current.isEmpty {
        tokens.append(Token(text: current, column: start))
        current = ""
      }
    } else {
      if current.isEmpty { start = col }
      current.append(ch)
    }
  }
  if !current.isEmpty { tokens.append(Token(text: current, column: start)) }
  return tokens
}

/// Reads a text file, transparently gunzipping names ending in `.gz`.
public func readTextFile(_ path: String) throws -> String {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw DatacardError("cannot read file (missing or unreadable)", at: SourceLocation(file: path, line: 0), text: "")
  }
  var bytes = [UInt8](data)
  if path.hasSuffix(".gz") || (bytes.count > 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) {
    // A datacard is text of at most a few MB; 256 MiB is a generous cap against decompression bombs.
    do { bytes = try Gzip.decompress(bytes, limit: 1 << 28) } catch {
      throw DatacardError("cannot decompress gzip file: \(error)", at: SourceLocation(file: path, line: 0))
    }
  }
  guard let text = String(bytes: bytes, encoding: .utf8) ?? String(bytes: bytes, encoding: .isoLatin1) else {
    throw DatacardError("file is not text", at: SourceLocation(file: path, line: 0))
  }
  return text
}

extension Datacard {
  /// Parses the datacard at `path` (gzip allowed).
  public static func parse(contentsOf path: String, options: ParseOptions = ParseOptions()) throws -> Datacard {
    try parse(text: try readTextFile(path), path: path, options: options)
  }

  /// Parses datacard text. `path` is used in messages and to resolve relative shape files.
  public static func parse(text: String, path: String = "<text>", options: ParseOptions = ParseOptions()) throws
    -> Datacard
  {
    // A JSON document is not a datacard: say what it is instead of a line-by-line parse error.
    if let first = text.first(where: { !$0.isWhitespace }), first == "{" {
      let isWorkspace = text.contains("\"channels\"") && (text.contains("\"measurements\"") || text.contains("\"observations\""))
      throw DatacardError(isWorkspace
        ? "this is a pyhf/HistFactory JSON workspace, not a datacard: fit, scan, limit, significance, impacts, fit-diagnostics, gof and hybrid read it as their card; export-card writes it as a datacard"
        : "this is a JSON document, not a datacard (a datacard is text with 'imax', 'bin', 'process' and 'rate' lines)",
        at: SourceLocation(file: path, line: 1))
    }
    var parser = DatacardParser(path: path, options: options)
    return try parser.parse(text)
  }
}

/// Why a value of a systematics column is refused (the message names the value, not the column).
struct InvalidEffect: Error {
  var message: String
}

/// One column value of a `type` systematic, with the checks of Combine's parser: `0` is no effect;
/// `κdown/κup` only for lnN, lnU and `shape?` types, both > 0; otherwise a finite number, negative
/// only for trG, dFD and dFD2; an lnN κ must lie in [1e-9, 1e9]. Numbers are read by
/// ``parseDouble(_:)``. Used for card lines and for the values of `nuisance edit` commands.
func parseEffect(_ r: String, type: SystematicType) throws(InvalidEffect) -> Effect {
  if r.contains("/") {
    guard type.allowsAsymmetric else {
      throw InvalidEffect(message: "asymmetric values 'down/up' are allowed only for lnN, lnU and shape? types, found '\(r)' for \(type.rawValue)")
    }
    let parts = r.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let d = parseDouble(parts[0]), let u = parseDouble(parts[1]) else {
      throw InvalidEffect(message: "expected 'κdown/κup' (two numbers), found '\(r)'")
    }
    guard d > 0, u > 0 else { throw InvalidEffect(message: "found '\(r)': kappas must be > 0 (this would lead to NaNs)") }
    return .asymmetric(down: d, up: u)
  }
  guard let v = parseDouble(Substring(r)) else { throw InvalidEffect(message: "expected a number, 'κdown/κup' or '-', found '\(r)'") }
  if v < 0, type != .trG, type != .dFD, type != .dFD2 {
    throw InvalidEffect(message: "found '\(r)': negative values are not allowed for \(type.rawValue) (only for trG, dFD and dFD2)")
  }
  guard v.isFinite else { throw InvalidEffect(message: "found '\(r)': values must be finite") }
  if type == .lnN, v > 0, v < 1e-9 || v > 1e9 {
    throw InvalidEffect(message: "lnN value '\(r)' is not a sensible kappa (expected 1e-9 to 1e9)")
  }
  return v == 0 ? .none : .value(v)
}

/// The state of one parse. Follows `DatacardParser.parseCard` step by step.
struct DatacardParser {
  let path: String
  let options: ParseOptions
  var card: Datacard
  var lineNumber = 0
  var kmaxLine: Int?
  /// The line that added each group member, keyed "group\u{1}member".
  var groupMemberLines: [String: Int] = [:]

  init(path: String, options: ParseOptions) {
    self.path = path
    self.options = options
    self.card = Datacard(path: path)
  }

  func loc(_ column: Int = 1) -> SourceLocation { SourceLocation(file: path, line: lineNumber, column: column) }

  func fail(_ message: String, _ token: Token? = nil, line: String = "") -> DatacardError {
    DatacardError(message, at: loc(token?.column ?? 1), text: token.map { "'\($0.text)' in: " + line } ?? line)
  }

  mutating func warn(_ message: String, column: Int = 1) {
    card.warnings.append(DatacardWarning(message, at: loc(column)))
  }

  // MARK: Header

  mutating func parse(_ text: String) throws -> Datacard {
    // Lines as Python reads a text file (universal newlines): "\r\n" and a lone "\r" end a line
    // too. (Swift holds "\r\n" as one Character, which splitting on "\n" would not split.)
    let normalised = text.unicodeScalars.contains("\r")
      ? text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n") : text
    let lines = normalised.split(separator: "\n", omittingEmptySubsequences: false)
    var nbins = -1, nprocesses = -1, nuisances = -1
    var binline: [Token] = []
    var processline: [Token] = []
    var sigline: [Token] = []
    var obsList: [Double]?
    var obsMapped = false
    var sawRate = false
    var headerEnd = lines.count
    var shapeKeys = Set<String>()
    var binSet = Set<String>()
    var processSet = Set<String>()
    var keyline: [(bin: String, process: String, id: Int, column: Int)] = []
    // Whether each process is a signal (and a bin where it was declared so), and whether any
    // column is a signal: kept across `process` lines so that each line costs its own length.
    var sign: [String: (Bool, String)] = [:]
    var anySignal = false

    for (index, rawLine) in lines.enumerated() {
      lineNumber = index + 1
      let f = tokenize(rawLine)
      guard let first = f.first else { continue }
      let lineText = String(rawLine).trimmingCharacters(in: .whitespacesAndNewlines)
      switch first.text {
      case "imax", "jmax", "kmax":
        guard f.count >= 2 else { throw fail("expected a number or '*' after '\(first.text)'", first, line: lineText) }
        var n = -1
        if f[1].text != "*" {
          guard let v = Int(f[1].text), v >= 0, v < 100_000_000 else {
            throw fail("expected a non-negative integer or '*' after '\(first.text)', found '\(f[1].text)'", f[1], line: lineText)
          }
          n = v
        }
        switch first.text {
        case "imax": nbins = n; card.declaredBins = n < 0 ? nil : n
        case "jmax": nprocesses = n < 0 ? -1 : n + 1; card.declaredProcesses = n < 0 ? nil : n
        default: nuisances = n; card.declaredNuisances = n < 0 ? nil : n; kmaxLine = lineNumber
        }
      case "shapes":
        guard f.count >= 4 else {
          throw fail("malformed shapes line: expected 'shapes PROCESS CHANNEL FILE [OBJECT [OBJECT_SYST]]'", first, line: lineText)
        }
        let key = f[2].text + "\u{1}" + f[1].text
        guard shapeKeys.insert(key).inserted else {
          throw fail("duplicate shapes definition for process '\(f[1].text)', channel '\(f[2].text)'", f[1], line: lineText)
        }
        card.shapes.append(ShapeDirective(process: f[1].text, channel: f[2].text, file: f[3].text,
                                          object: f.count > 4 ? f[4].text : nil,
                                          systematicObject: f.count > 5 ? f[5].text : nil, line: lineNumber))
        if f.count > 6 { warn("extra tokens after the shapes line are ignored", column: f[6].column) }
      case "observation", "Observation":
        var values: [Double] = []
        for t in f.dropFirst() {
          guard let v = parseDouble(Substring(t.text)), v.isFinite else {
            throw fail("expected a finite number in the observation line, found '\(t.text)'", t, line: lineText)
          }
          // −1: the data_obs histogram's integral (shape cards).
          guard v >= 0 || v == -1 else { throw fail("an observed count cannot be negative, found '\(t.text)'", t, line: lineText) }
          values.append(v)
        }
        if nbins == -1 { nbins = values.count }
        guard values.count == nbins else {
          throw fail("found \(values.count) observations but \(nbins) bins have been declared (imax)", first, line: lineText)
        }
        if !binline.isEmpty {
          guard binline.count == values.count else {
            throw fail("the 'bin' line before 'observation' has \(binline.count) entries but there are \(values.count) observations", first, line: lineText)
          }
          card.bins = binline.map(\.text)
          binSet = Set(card.bins)
          if binSet.count != card.bins.count {
            throw fail("a bin name appears twice in the 'bin' line before 'observation'", binline[0], line: lineText)
          }
          binline = []
          obsMapped = true
        }
        obsList = values
      case "bin":
        binline = []
        for t in f.dropFirst() {
          if let c = t.text.first, c.isASCII, c.isNumber {
            if options.strictBinNames {
              throw fail("bin '\(t.text)' starts with a digit (Combine rejects this)", t, line: lineText)
            }
            if !card.warnings.contains(where: { $0.message.contains("'\(t.text)' starts with a digit") }) {
              warn("bin '\(t.text)' starts with a digit: Combine rejects such names ('Bin \(t.text) starts with a digit!'); Recombine accepts it", column: t.column)
            }
          }
          binline.append(t)
        }
      case "process":
        if processline.isEmpty {
          processline = Array(f.dropFirst())
          guard binline.count == processline.count else {
            throw fail("the 'bin' line has \(binline.count) entries but the 'process' line has \(processline.count)", first, line: lineText)
          }
          continue
        }
        sigline = Array(f.dropFirst())
        if let p0 = processline.first, let s0 = sigline.first,
          regexMatchesPrefix("-?[0-9]+", p0.text), !regexMatchesPrefix("-?[0-9]+", s0.text)
        {
          swap(&processline, &sigline)
        }
        guard sigline.count == processline.count else {
          throw fail("the two 'process' lines have different lengths (\(processline.count) and \(sigline.count))", first, line: lineText)
        }
        let hadBins = !card.bins.isEmpty
        let newFrom = keyline.count
        for (i, b) in binline.enumerated() {
          let p = processline[i].text
          guard let id = Int(sigline[i].text) else {
            throw fail("expected an integer process index (≤ 0 signal, > 0 background), found '\(sigline[i].text)'", sigline[i], line: lineText)
          }
          keyline.append((b.text, p, id, sigline[i].column))
          if hadBins {
            guard binSet.contains(b.text) else {
              throw fail("bin '\(b.text)' is not among the bins declared before: \(card.bins.joined(separator: " "))", b, line: lineText)
            }
          } else if binSet.insert(b.text).inserted {
            card.bins.append(b.text)
          }
          if processSet.insert(p).inserted { card.processes.append(p) }
        }
        if nprocesses == -1 { nprocesses = card.processes.count }
        if nbins == -1 { nbins = card.bins.count }
        if !options.noJMax, nprocesses != card.processes.count {
          throw fail("found \(card.processes.count) processes (\(card.processes.joined(separator: " "))), but jmax declares \(nprocesses) (jmax = number of processes − 1)", first, line: lineText)
        }
        guard nbins == card.bins.count else {
          throw fail("found \(card.bins.count) bins (\(card.bins.joined(separator: " "))), but imax declares \(nbins)", first, line: lineText)
        }
        if let obs = obsList, !obsMapped {
          guard obs.count == card.bins.count else {
            throw fail("found \(obs.count) observations for \(card.bins.count) bins", first, line: lineText)
          }
          obsMapped = true
        }
        for k in keyline[newFrom...] {
          let s = k.id <= 0
          if let (prev, bin) = sign[k.process], prev != s {
            throw fail("process '\(k.process)' is declared as signal in some bin and as background in another (bins '\(bin)' and '\(k.bin)')", first, line: lineText)
          }
          sign[k.process] = (s, k.bin)
          if s { anySignal = true }
        }
        if !options.allowNoSignal, !anySignal,
          !card.warnings.contains(where: { $0.message.hasPrefix("the card has no signal") })
        {
          // Combine's parser raises here unless --X-allow-no-signal; a control-region card is
          // still useful (it is combined with a signal card), so Recombine warns instead.
          warn("the card has no signal process (process index ≤ 0); it can only be fitted combined with a card that has one")
        }
      case "rate":
        guard !processline.isEmpty else { throw fail("missing line with process names before the rate line", first, line: lineText) }
        guard !sigline.isEmpty else { throw fail("missing line with process indices before the rate line", first, line: lineText) }
        let values = Array(f.dropFirst())
        guard values.count == keyline.count else {
          throw fail("malformed rate line: \(values.count) values, while the bin and process lines have \(keyline.count)", first, line: lineText)
        }
        for (k, t) in zip(keyline, values) {
          guard let r = parseDouble(Substring(t.text)), r.isFinite else {
            throw fail("expected a finite number in the rate line, found '\(t.text)'", t, line: lineText)
          }
          if r < 0 && r != -1 {
            warn("negative rate \(t.text) for \(k.process) in bin \(k.bin): its expected yield is negative (bins are floored at 1e-9 in the fit)", column: t.column)
          }
          card.columns.append(ProcessColumn(bin: k.bin, process: k.process, id: k.id, rate: r))
        }
        sawRate = true
        headerEnd = index + 1
      default:
        continue
      }
      if sawRate { break }
    }
    guard sawRate else {
      lineNumber = lines.count
      throw DatacardError("no 'rate' line found: a datacard needs 'bin', 'process' (names and indices) and 'rate' lines",
                          at: loc(), text: "")
    }
    if let obs = obsList { card.observations = obs }

    // Duplicated (bin, process) columns would be merged by Combine's dictionaries.
    var seenColumns = Set<BinProcess>()
    for c in card.columns where !seenColumns.insert(BinProcess(c.bin, c.process)).inserted {
      card.warnings.append(DatacardWarning("process '\(c.process)' appears twice in bin '\(c.bin)'; Combine keeps the last column",
                                           at: SourceLocation(file: path, line: headerEnd)))
    }

    try parseSystematics(lines[headerEnd...], firstIndex: headerEnd, nuisances: &nuisances)
    try finish(nuisances: nuisances)
    return card
  }

  // MARK: Systematics section

  mutating func parseSystematics(_ lines: ArraySlice<Substring>, firstIndex: Int, nuisances: inout Int) throws {
    var groupIndex: [String: Int] = [:]
    for (offset, rawLine) in lines.enumerated() {
      lineNumber = firstIndex + offset + 1
      if rawLine.hasPrefix("--") { continue }
      var content = rawLine
      if let hash = content.firstIndex(of: "#") { content = content[..<hash] }
      var f = tokenize(content)
      if f.count == 1 {
        throw fail("systematics line '\(f[0].text)' has only a name: expected its type (lnN, shape, param, …) and values", f[0],
                   line: String(content).trimmingCharacters(in: .whitespaces))
      }
      guard f.count > 1 else { continue }
      // A token made only of dashes means 0 (no effect).
      for i in 1..<f.count where f[i].text.allSatisfy({ $0 == "-" }) { f[i].text = "0" }
      let lineText = String(content).trimmingCharacters(in: .whitespaces)
      var name = f[0].text
      var noFloat = false
      if name.hasSuffix("[nofloat]") {
        name = String(name.dropLast("[nofloat]".count))
        noFloat = true
      }
      if options.excludeNuisances.contains(where: { regexMatchesPrefix($0, name) }) {
        if nuisances != -1 { nuisances -= 1 }
        continue
      }
      if let c = name.first, c.isASCII, c.isNumber { name = "theta" + name }
      let pdf = f[1].text
      switch pdf {
      case "param":
        let args = f.dropFirst(2).map(\.text)
        _ = try parseParamArguments(args, location: loc(f[1].column))
        card.systematics.append(Systematic(name: name, noFloat: noFloat, type: .param, arguments: args, effects: [], line: lineNumber))
      case "constr":
        let args = f.dropFirst(2).map(\.text)
        guard args.count >= 2 else { throw fail("a 'constr' line needs a formula and a sigma", f[1], line: lineText) }
        card.systematics.append(Systematic(name: name, noFloat: noFloat, type: .constr, arguments: args, effects: [], line: lineNumber))
      case "flatParam":
        card.flatParams.append(FlatParamDirective(name: name, arguments: f.dropFirst(2).map(\.text), line: lineNumber))
      case "extArg":
        guard f.count >= 3 else { throw fail("an 'extArg' line needs 'file.root:workspace' or an initial value", f[1], line: lineText) }
        card.extArgs.removeAll { $0.name == name }
        card.extArgs.append(ExtArgDirective(name: name, arguments: f.dropFirst(2).map(\.text), line: lineNumber))
      case "rateParam":
        try parseRateParam(name: name, f, lineText: lineText)
      case "discrete":
        card.discretes.append(name)
      case "edit":
        guard f.count >= 3 else { throw fail("expected 'nuisance edit COMMAND ARGS...'", f[1], line: lineText) }
        if nuisances != -1 { nuisances = -1 }
        let edit = NuisanceEditDirective(command: f[2].text, arguments: f.dropFirst(3).map(\.text), line: lineNumber)
        card.edits.append(edit)
        if options.evaluateEdits {
          try applyEdit(edit, lineText: lineText)
        }
      case "group":
        let rest = Array(f.dropFirst(2))
        guard let op = rest.first else { throw fail("empty line after 'group': expected '= nuisance ...' or '+= nuisance ...'", f[1], line: lineText) }
        guard op.text == "=" || op.text == "+=" else {
          throw fail("the first thing after 'group' must be '=' or '+=', found '\(op.text)'", op, line: lineText)
        }
        let members = rest.dropFirst().map(\.text)
        for m in members where groupMemberLines[name + "\u{1}" + m] == nil { groupMemberLines[name + "\u{1}" + m] = lineNumber }
        if let gi = groupIndex[name] {
          guard op.text == "+=" else {
            throw fail("group '\(name)' is already defined; use '+=' to extend it", op, line: lineText)
          }
          for m in members where !card.groups[gi].members.contains(m) { card.groups[gi].members.append(m) }
        } else {
          guard op.text == "=" else { throw fail("cannot append to group '\(name)': it is not yet defined", op, line: lineText) }
          var uniq: [String] = []
          for m in members where !uniq.contains(m) { uniq.append(m) }
          groupIndex[name] = card.groups.count
          card.groups.append(NuisanceGroup(name: name, members: uniq, line: lineNumber))
        }
      case "autoMCStats":
        guard f.count <= 5 else { throw fail("syntax: 'channel autoMCStats threshold [include-signal = 0] [hist-mode = 1]'", f[5], line: lineText) }
        guard f.count >= 3, let thr = parseDouble(Substring(f[2].text)), thr.isFinite else {
          throw fail("expected a finite numeric threshold after autoMCStats", f.count >= 3 ? f[2] : f[1], line: lineText)
        }
        var settings = AutoMCStatsSettings(threshold: thr)
        if f.count >= 4 {
          guard let v = Int(f[3].text) else { throw fail("expected 0 or 1 for include-signal, found '\(f[3].text)'", f[3], line: lineText) }
          settings.includeSignal = v != 0
        }
        if f.count >= 5 {
          guard let v = Int(f[4].text), let mode = AutoMCStatsSettings.HistMode(rawValue: v) else {
            throw fail("expected hist-mode 1 or 2, found '\(f[4].text)'", f[4], line: lineText)
          }
          settings.histMode = mode
        }
        if name.contains("*") {
          if !card.bins.contains(where: { fnmatch(name, $0) }) {
            warn("autoMCStats pattern '\(name)' matches no channel", column: f[0].column)
          }
        } else if !card.bins.contains(name) {
          throw fail("no such channel '\(name)' for autoMCStats", f[0], line: lineText)
        }
        card.autoMCStats.append(AutoMCStatsDirective(channelPattern: name, settings: settings, tokenCount: f.count - 2, line: lineNumber))
      default:
        guard let type = SystematicType(rawValue: pdf) else {
          throw fail("unsupported systematic type '\(pdf)'; expected one of lnN, lnU, gmN, gmM, shape, shapeN, shape2, shapeN2, shapeU, shape?, shapeN?, shape*, trG, unif, dFD, dFD2, param, constr, rateParam, extArg, flatParam, discrete, group, autoMCStats", f[1], line: lineText)
        }
        try parseColumnSystematic(name: name, noFloat: noFloat, type: type, f, lineText: lineText)
      }
    }
  }

  mutating func parseColumnSystematic(name: String, noFloat: Bool, type: SystematicType, _ f: [Token], lineText: String) throws {
    let nargs = type.headerArgumentCount
    guard f.count >= 2 + nargs else { throw fail("'\(type.rawValue)' needs \(nargs) argument(s) before the values", f[1], line: lineText) }
    let args = f[2..<(2 + nargs)].map(\.text)
    switch type {
    case .gmN:
      guard let n = Int(args[0]), n >= 0 else {
        throw fail("expected a non-negative integer event count after gmN, found '\(args[0])'", f[2], line: lineText)
      }
    case .unif, .dFD, .dFD2:
      for (i, a) in args.enumerated() where parseDouble(Substring(a)) == nil {
        throw fail("expected a number as argument of \(type.rawValue), found '\(a)'", f[2 + i], line: lineText)
      }
    default: break
    }
    let numbers = Array(f.dropFirst(2 + nargs))
    guard numbers.count >= card.columns.count else {
      throw fail("malformed systematics line '\(name)': \(numbers.count) values, while the bin and process lines have \(card.columns.count)", f[0], line: lineText)
    }
    // Extra trailing tokens are ignored, as in Combine (cards often end lines with prose), with a warning.
    if numbers.count > card.columns.count {
      warn("systematic '\(name)': \(numbers.count - card.columns.count) value(s) past the last column are ignored",
           column: numbers[card.columns.count].column)
    }
    var effects: [Effect] = []
    effects.reserveCapacity(card.columns.count)
    for (ci, t) in numbers.prefix(card.columns.count).enumerated() {
      do {
        let e = try parseEffect(t.text, type: type)
        effects.append(e)
        if type == .gmN, card.columns[ci].rate == 0, !e.isNone { card.columns[ci].rate = 1e-6 }
      } catch {
        throw fail("\(error.message) (\(card.columns[ci].process) in bin \(card.columns[ci].bin))", t, line: lineText)
      }
    }
    if let existing = card.systematics.first(where: { $0.name == name }), existing.type != type {
      let a = existing.type, b = type
      let mixesShapeAndLnN = (a == .lnN && b.isShape) || (a.isShape && b == .lnN)
      if mixesShapeAndLnN {
        throw fail("systematic '\(name)' is used both as \(a.rawValue) and \(b.rawValue); use 'shape?' for a nuisance that is a shape in some columns and lnN in others", f[1], line: lineText)
      }
    }
    card.systematics.append(Systematic(name: name, noFloat: noFloat, type: type, arguments: args, effects: effects, line: lineNumber))
  }

  mutating func parseRateParam(name: String, _ f: [Token], lineText: String) throws {
    guard f.count == 5 || f.count == 6 else {
      throw fail("expected 'name rateParam CHANNEL PROCESS INITIAL [lo,hi]' or 'name rateParam CHANNEL PROCESS FORMULA ARGS' or 'name rateParam CHANNEL PROCESS file.root:ws'", f[1], line: lineText)
    }
    let binPat = f[2].text, procPat = f[3].text
    let value: RateParamValue
    if f.count == 5 {
      if f[4].text.contains(".root"), f[4].text.contains(":") {
        value = .external(f[4].text)
      } else {
        guard let v = parseDouble(Substring(f[4].text)), v.isFinite else {
          throw fail("expected a finite initial value for rateParam '\(name)', found '\(f[4].text)'", f[4], line: lineText)
        }
        value = .free(initial: v, range: nil)
      }
    } else if f[5].text.contains("["), f[5].text.contains("]") {
      guard let v = parseDouble(Substring(f[4].text)), v.isFinite else {
        throw fail("expected a finite initial value for rateParam '\(name)', found '\(f[4].text)'", f[4], line: lineText)
      }
      guard let r = parseRange(f[5].text) else {
        throw fail("expected a range '[lo,hi]' with lo ≤ hi, found '\(f[5].text)'", f[5], line: lineText)
      }
      guard r.contains(v) else {
        throw fail("the initial value \(f[4].text) of rateParam '\(name)' is outside its range \(f[5].text)", f[4], line: lineText)
      }
      value = .free(initial: v, range: r)
    } else {
      value = .formula(f[4].text, arguments: f[5].text.split(separator: ",").map(String.init))
    }
    var targets: [BinProcess] = []
    if binPat.contains("*") || procPat.contains("*") {
      for p in card.processes where fnmatch(procPat, p) {
        for b in card.bins where fnmatch(binPat, b) { targets.append(BinProcess(b, p)) }
      }
      guard !targets.isEmpty else {
        throw fail("rateParam '\(name)' with process '\(procPat)' and bin '\(binPat)' doesn't match anything", f[2], line: lineText)
      }
    } else {
      guard card.bins.contains(binPat) else { throw fail("no such channel '\(binPat)' for rateParam '\(name)'", f[2], line: lineText) }
      guard card.processes.contains(procPat) else { throw fail("no such process '\(procPat)' for rateParam '\(name)'", f[3], line: lineText) }
      targets = [BinProcess(binPat, procPat)]
    }
    card.rateParams.append(RateParamDirective(name: name, binPattern: binPat, processPattern: procPat, value: value, targets: targets, line: lineNumber))
  }

  // MARK: End-of-parse checks

  mutating func finish(nuisances: Int) throws {
    var nuisances = nuisances
    let endLoc = SourceLocation(file: path, line: lineNumber)
    // The non-zero columns of each bin, grouped in one pass (not one filter per bin).
    var columnsOfBin: [String: [ProcessColumn]] = [:]
    for c in card.columns where c.rate != 0 { columnsOfBin[c.bin, default: []].append(c) }
    for b in card.bins {
      let cols = columnsOfBin[b] ?? []
      if cols.isEmpty {
        throw DatacardError("bin '\(b)' has no processes contributing to it (all rates are 0)", at: endLoc)
      }
      if !cols.contains(where: { $0.isSignal }), !options.allowNoSignal {
        card.warnings.append(DatacardWarning("bin '\(b)' has no signal processes contributing to it", at: endLoc))
      }
      if !cols.contains(where: { !$0.isSignal }), !options.allowNoBackground {
        card.warnings.append(DatacardWarning("bin '\(b)' has no background processes contributing to it", at: endLoc))
      }
    }
    // Drop systematics with no effect on any column (Combine does this to avoid zero derivatives).
    var kept: [Systematic] = []
    for s in card.systematics {
      if !s.type.hasColumns { kept.append(s); continue }
      let nonNull = zip(s.effects, card.columns).contains { e, c in
        guard c.rate != 0 else { return false }
        switch e {
        case .none: return false
        case .value(let v): return !(s.type == .lnN && v == 1)
        case .asymmetric: return true
        }
      }
      if nonNull { kept.append(s) } else if nuisances != -1 { nuisances -= 1 }
    }
    card.systematics = kept
    if nuisances != -1, kept.count != nuisances {
      throw DatacardError("found \(kept.count) systematics, but kmax declares \(nuisances)", at: SourceLocation(file: path, line: kmaxLine ?? 1))
    }
    // Groups must name parameters of the card after the edits (text2workspace's doNuisancesGroups
    // refuses the card otherwise). combineCards (edits not applied) merges groups without this check.
    if options.evaluateEdits {
      let known = Set(card.parameterNames)
      for g in card.groups {
        if let m = g.members.first(where: { !known.contains($0) }) {
          throw DatacardError("group '\(g.name)' lists '\(m)', which is not a parameter of this card (expected the name of a systematic, rateParam, extArg, flatParam or discrete)",
                              at: SourceLocation(file: path, line: groupMemberLines[g.name + "\u{1}" + m] ?? g.line))
        }
      }
    }
  }
}
