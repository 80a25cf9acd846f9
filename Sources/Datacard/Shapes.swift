//===--- Shapes.swift -----------------------------------------------------===//
// `shapes` look-up, name substitution and loading the TH1 templates of a card.
//===----------------------------------------------------------------------===//

import Foundation
import ROOTIO

extension Datacard {
  /// The `shapes` line that applies to (channel, process), with Combine's precedence
  /// (c,p) > (c,\*) > (\*,p) > (\*,\*): a channel with any line of its own uses its own block
  /// (falling back to the `*` channel only when neither `p` nor `*` is listed there).
  /// Data uses the process name `data_obs`.
  public func shapeDirective(channel: String, process: String) -> ShapeDirective? {
    let own = shapes.filter { $0.channel == channel }
    let any = shapes.filter { $0.channel == "*" }
    if !own.isEmpty {
      if let d = own.first(where: { $0.process == process }) ?? own.first(where: { $0.process == "*" }) { return d }
    }
    return any.first(where: { $0.process == process }) ?? any.first(where: { $0.process == "*" })
  }

  /// `$MASS` as Combine prints it: `%d` for an integral mass, Python's `str(float)` otherwise.
  public static func massString(_ mass: Double) -> String {
    if mass == mass.rounded() && abs(mass) < 1e15 { return String(Int64(mass)) }
    return mass.description
  }

  /// Applies Combine's substitutions, in its order: `$PROCESS`, `$CHANNEL`, `$SYSTEMATIC`, `$MASS`.
  public static func substitute(_ s: String, process: String, channel: String, systematic: String? = nil, mass: Double) -> String {
    var r = s.replacingOccurrences(of: "$PROCESS", with: process)
    r = r.replacingOccurrences(of: "$CHANNEL", with: channel)
    if let systematic { r = r.replacingOccurrences(of: "$SYSTEMATIC", with: systematic) }
    return r.replacingOccurrences(of: "$MASS", with: massString(mass))
  }

  /// The directory of the card (relative shape files fall back to it).
  public var directory: String { (path as NSString).deletingLastPathComponent }

  /// Resolves a shape file path: relative to the working directory first, then to the card's directory.
  public func resolveFile(_ file: String) -> String {
    if file.hasPrefix("/") || FileManager.default.fileExists(atPath: file) { return file }
    let d = directory
    return d.isEmpty ? file : (d as NSString).appendingPathComponent(file)
  }
}

/// Where one template comes from.
public struct ShapeSource: Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var object: String
  public var line: Int
  public var description: String { "\(file):\(object)" }
}

/// The templates of one process column: the nominal histogram and, per shape systematic (by
/// index into `Datacard.systematics`), its Up and Down histograms.
public struct ColumnTemplates: Sendable {
  public var nominal: Histogram
  public var source: ShapeSource
  public var variations: [Int: (up: Histogram, down: Histogram)] = [:]
}

/// Every histogram a shape card needs, read from its ROOT files.
public struct ShapeInputs: Sendable {
  /// Per column index of `Datacard.columns` (absent for FAKE channels and zero-rate columns).
  public var templates: [Int: ColumnTemplates] = [:]
  /// Observed data per bin name (absent for FAKE channels or cards without data).
  public var data: [String: Histogram] = [:]
  /// Where each entry of ``data`` was read from.
  public var dataSources: [String: ShapeSource] = [:]
  /// Channels declared FAKE (counting through shapes).
  public var fakeChannels: Set<String> = []
  /// For `shape?` systematics: the (systematic, column) pairs that fell back to lnN (no Up template).
  public var lnNFallbacks: Set<[Int]> = []
  /// What a user should know about the inputs (e.g. an empty nominal template), with the card line.
  public var warnings: [(message: String, line: Int)] = []

  public init() {}
}

/// Reads the templates of a card, caching open ROOT files.
public final class ShapeLoader {
  public let card: Datacard
  public let mass: Double
  private var files: [String: ROOTFile] = [:]

  /// - Parameter mass: the value substituted for `$MASS` (Combine's `-m`, default 120).
  public init(card: Datacard, mass: Double = 120) {
    self.card = card
    self.mass = mass
  }

  func error(_ message: String, line: Int, text: String = "") -> DatacardError {
    DatacardError(message, at: SourceLocation(file: card.path, line: line), text: text)
  }

  func file(_ path: String, line: Int) throws -> ROOTFile {
    if let f = files[path] { return f }
    guard FileManager.default.fileExists(atPath: path) else {
      throw error("shape file '\(path)' does not exist (looked relative to the working directory and to the card)", line: line)
    }
    do {
      let f = try ROOTFile(path: path)
      files[path] = f
      return f
    } catch let e as ROOTIOError {
      throw error(e.description, line: line)
    }
  }

  /// The source of a (channel, process) template, or of a systematic variation (`Up`/`Down` name).
  public func source(channel: String, process: String, systematic: String? = nil) throws -> ShapeSource? {
    guard let d = card.shapeDirective(channel: channel, process: process) else {
      throw error("no 'shapes' line applies to channel '\(channel)', process '\(process)'", line: card.shapes.first?.line ?? 1)
    }
    if d.isFake { return nil }
    let pattern: String?
    if systematic != nil {
      pattern = d.systematicObject
    } else {
      pattern = d.object
    }
    guard let pattern else {
      if systematic != nil { return nil }
      throw error("the shapes line for channel '\(channel)', process '\(process)' names no object", line: d.line)
    }
    if pattern.contains(":") {
      throw error("'\(pattern)' is a RooWorkspace object; Recombine reads TH1 templates only (parametric/workspace inputs are not supported)", line: d.line)
    }
    let file = card.resolveFile(Datacard.substitute(d.file, process: process, channel: channel, systematic: systematic, mass: mass))
    let object = Datacard.substitute(pattern, process: process, channel: channel, systematic: systematic, mass: mass)
    return ShapeSource(file: file, object: object, line: d.line)
  }

  /// Runs `body` on the file of `s`, turning reader errors into datacard errors at the shapes line.
  func reading<T>(_ s: ShapeSource, _ what: String, _ body: (ROOTFile) throws -> T) throws -> T {
    let f = try file(s.file, line: s.line)
    do {
      return try body(f)
    } catch let e as ROOTIOError {
      throw error("cannot read \(what) from '\(s.file)': \(e.message)\(massHint(s))", line: s.line, text: s.object)
    }
  }

  /// Reads a histogram, turning reader errors into datacard errors at the shapes line. A bin
  /// content that is NaN or infinite is an error naming the file, the histogram and the bin.
  public func histogram(_ s: ShapeSource, what: String) throws -> Histogram {
    let h = try reading(s, what) { try $0.histogram(s.object) }
    if let k = h.values.firstIndex(where: { !$0.isFinite }) {
      throw error("\(what): bin \(k + 1) of '\(s.object)' in '\(s.file)' is \(h.values[k]): expected a finite number", line: s.line, text: s.object)
    }
    return h
  }

  /// Whether an object exists (for `shape?`). Only a missing object counts as absent: a file or
  /// directory that cannot be read is an error at the shapes line.
  public func exists(_ s: ShapeSource, what: String) throws -> Bool {
    try reading(s, what) { try $0.className(of: s.object) } != nil
  }

  /// Loads every template, variation and data histogram of the card.
  ///
  /// - Parameter checkingNormalisations: throw the first of ``normalisationErrors(_:)`` (as
  ///   text2workspace does); the validator passes `false` to report all of them.
  public func load(checkingNormalisations: Bool = true) throws -> ShapeInputs {
    var inputs = ShapeInputs()
    guard card.hasShapes else { return inputs }
    for bin in card.bins {
      if let d = card.shapeDirective(channel: bin, process: "data_obs"), d.isFake { inputs.fakeChannels.insert(bin) }
    }
    for (ci, col) in card.columns.enumerated() where col.rate != 0 && !inputs.fakeChannels.contains(col.bin) {
      guard let src = try source(channel: col.bin, process: col.process) else { continue }
      let nominal = try histogram(src, what: "the template of \(col.bin)/\(col.process)")
      if nominal.values.allSatisfy({ $0 == 0 }) {
        inputs.warnings.append(("the nominal template of \(col.process) in channel \(col.bin) ('\(src.object)' in '\(src.file)') is empty: "
                                + "the process contributes nothing (its yield is 0, as in Combine)", src.line))
      }
      var t = ColumnTemplates(nominal: nominal, source: src)
      for (si, s) in card.systematics.enumerated() where s.type.isShape {
        guard case let e = s.effects[ci], !e.isNone else { continue }
        let upName = s.templateName + "Up", downName = s.templateName + "Down"
        guard let up = try source(channel: col.bin, process: col.process, systematic: upName),
          let down = try source(channel: col.bin, process: col.process, systematic: downName)
        else {
          if s.type.isShapeOrLogNormal { inputs.lnNFallbacks.insert([si, ci]); continue }
          throw error("shape systematic '\(s.name)' affects \(col.bin)/\(col.process) but its shapes line has no systematic pattern", line: s.line)
        }
        if s.type.isShapeOrLogNormal, !(try exists(up, what: "the Up template of '\(s.name)' for \(col.bin)/\(col.process)")) {
          inputs.lnNFallbacks.insert([si, ci])
          continue
        }
        let hu = try histogram(up, what: "the Up template of '\(s.name)' for \(col.bin)/\(col.process)")
        let hd = try histogram(down, what: "the Down template of '\(s.name)' for \(col.bin)/\(col.process)")
        guard hu.values.count == nominal.values.count, hd.values.count == nominal.values.count else {
          throw error("templates of '\(s.name)' for \(col.bin)/\(col.process) have \(hu.values.count)/\(hd.values.count) bins, the nominal has \(nominal.values.count)", line: s.line)
        }
        t.variations[si] = (hu, hd)
      }
      inputs.templates[ci] = t
    }
    for bin in card.bins where !inputs.fakeChannels.contains(bin) && card.observations != nil {
      guard let src = try source(channel: bin, process: "data_obs") else { continue }
      inputs.data[bin] = try histogram(src, what: "data_obs of \(bin)")
      inputs.dataSources[bin] = src
    }
    // Channel binning must agree between data and processes: the first histogram of the channel
    // (data_obs, then the processes in card order) sets it.
    for bin in card.bins where !inputs.fakeChannels.contains(bin) {
      var entries: [(what: String, source: ShapeSource, bins: Int)] = []
      if let h = inputs.data[bin], let s = inputs.dataSources[bin] { entries.append(("data_obs", s, h.values.count)) }
      for ci in card.columns.indices where card.columns[ci].bin == bin {
        if let t = inputs.templates[ci] { entries.append((card.columns[ci].process, t.source, t.nominal.values.count)) }
      }
      guard let first = entries.first, let odd = entries.first(where: { $0.bins != first.bins }) else { continue }
      throw error("channel '\(bin)': \(odd.what) ('\(odd.source.object)' in '\(odd.source.file)') has \(odd.bins) bins, "
                  + "but \(first.what) ('\(first.source.object)' in '\(first.source.file)') has \(first.bins); "
                  + "every template and data_obs of a channel must have the same number of bins", line: odd.source.line)
    }
    if checkingNormalisations, let first = normalisationErrors(inputs).first { throw first.error }
    return inputs
  }

  /// text2workspace's normalisation checks (`ShapeBuilder.prepareAllShapes`), on histograms whose
  /// integral is not 0, each an error at the shapes line the histogram was read through, with the
  /// validator's check name (`rateMismatch`, `observationMismatch`):
  /// - a process with rate r > 0 needs |integral − r| ≤ 0.01·max(1, r) (rate −1 takes the integral);
  /// - data with observation 0 needs integral ≤ 0.01; with observation n > 0, |integral/n − 1| ≤ 0.005
  ///   (observation −1 takes the integral).
  /// A hint for a mismatch read through a shapes line with `$MASS`: the histogram depends on `-m`.
  func massHint(_ s: ShapeSource) -> String {
    guard let d = card.shapes.first(where: { $0.line == s.line }), (d.object ?? "").contains("$MASS") || d.file.contains("$MASS") else { return "" }
    return "; the shapes line uses $MASS, here \(formatNumber(mass)): is -m right?"
  }

  public func normalisationErrors(_ inputs: ShapeInputs) -> [(check: String, error: DatacardError)] {
    var errors: [(check: String, error: DatacardError)] = []
    for (ci, col) in card.columns.enumerated() {
      guard let t = inputs.templates[ci] else { continue }
      let norm = t.nominal.integral()
      if norm != 0, col.rate > 0, abs(norm - col.rate) > 0.01 * max(1, col.rate) {
        errors.append(("rateMismatch", error("rate \(formatNumber(col.rate)) of \(col.bin)/\(col.process) disagrees with the integral \(formatNumber(norm)) "
                            + "of its template '\(t.source.object)' in '\(t.source.file)' (text2workspace allows |integral − rate| ≤ 0.01·max(1, rate))"
                            + massHint(t.source), line: t.source.line)))
      }
    }
    for (bi, bin) in card.bins.enumerated() {
      guard let h = inputs.data[bin], let s = inputs.dataSources[bin], let obs = card.observations?[bi] else { continue }
      let norm = h.integral()
      guard norm != 0 else { continue }
      if (obs == 0 && norm > 0.01) || (obs > 0 && abs(norm / obs - 1) > 0.005) {
        errors.append(("observationMismatch", error("observation \(formatNumber(obs)) of channel '\(bin)' disagrees with the integral \(formatNumber(norm)) "
                            + "of data_obs '\(s.object)' in '\(s.file)' (text2workspace allows "
                            + (obs == 0 ? "an integral ≤ 0.01 for observation 0)" : "|integral/observation − 1| ≤ 0.005)") + massHint(s),
                            line: s.line)))
      }
    }
    return errors
  }
}
