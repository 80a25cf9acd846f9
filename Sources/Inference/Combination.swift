//===--- Combination.swift ------------------------------------------------===//
// Datacards and pyhf workspaces combined in one likelihood: the combination file that
// `recombine combine-cards` writes when a workspace is among its inputs, and the model it builds.
//===----------------------------------------------------------------------===//

import Datacard
import EFT
import Foundation
import HistFactory
import Likelihood
import Support

/// A combination of datacards and pyhf workspaces (`recombine-combination/1`, a JSON file):
///
///     {"format": "recombine-combination/1",
///      "inputs": [{"label": "atlas", "path": "/abs/ERJR.json", "kind": "workspace",
///                  "patches": ["/abs/patch.json"], "measurement": null},
///                 {"label": "cms", "path": "/abs/card.txt", "kind": "datacard"}],
///      "rename": {"atlas": {"mu_SIG": "r", "lumi": "lumi_13TeV"}}}
///
/// The datacards are combined as `combine-cards` combines them (labels as combineCards.py's) and
/// compiled with the physics model; each workspace is then appended (`CompiledModel.appending`):
/// its parameters renamed by its `rename` map, same names correlated. A workspace's POI is mapped
/// onto the datacards' first POI unless the map names it (so `mu_SIG` and `r` are one `r`).
/// Paths are stored absolute, so the file works from any directory.
public struct Combination: Sendable, Equatable {
  public static let format = "recombine-combination/1"
  public struct Input: Sendable, Equatable {
    public var label: String
    public var path: String
    public var isWorkspace: Bool
    public var patches: [String] = []
    public var measurement: String? = nil
    public init(label: String, path: String, isWorkspace: Bool) {
      self.label = label
      self.path = path
      self.isWorkspace = isWorkspace
    }
  }
  public var inputs: [Input]
  /// Per label: parameter renames (old → new).
  public var rename: [String: [String: String]]

  public init(inputs: [Input], rename: [String: [String: String]] = [:]) {
    self.inputs = inputs
    self.rename = rename
  }

  /// Whether a file holds a pyhf workspace (by content).
  public static func isWorkspace(_ path: String) -> Bool {
    guard let b = try? readFileMaybeGzipped(path) else { return false }
    return Workspace.looksLikeWorkspace(String(decoding: b.prefix(4096), as: UTF8.self))
  }

  /// Whether a file holds a combination.
  public static func isCombination(_ path: String) -> Bool {
    guard let b = try? readFileMaybeGzipped(path) else { return false }
    let head = String(decoding: b.prefix(4096), as: UTF8.self)
    return head.hasPrefix("{") && head.contains("recombine-combination")
  }

  public func json() throws -> String {
    let doc: [String: Any] = [
      "format": Self.format,
      "inputs": inputs.map { i -> [String: Any] in
        var o: [String: Any] = ["label": i.label, "path": i.path, "kind": i.isWorkspace ? "workspace" : "datacard"]
        if i.isWorkspace {
          o["patches"] = i.patches
          o["measurement"] = i.measurement ?? NSNull()
        }
        return o
      },
      "rename": rename,
    ]
    return String(decoding: try writeJSONObject(doc, pretty: true), as: UTF8.self) + "\n"
  }

  public static func read(_ path: String) throws -> Combination {
    let doc = try readJSONObject(path)
    func fail(_ what: String) -> LikelihoodError { LikelihoodError("\(path): \(what)") }
    guard let o = doc as? [String: Any], o["format"] as? String == format else { throw fail("not a \(format) file") }
    guard let raw = o["inputs"] as? [Any], !raw.isEmpty else { throw fail("/inputs: expected a non-empty array") }
    var inputs: [Input] = []
    for (k, r) in raw.enumerated() {
      guard let i = r as? [String: Any], let label = i["label"] as? String, let p = i["path"] as? String, let kind = i["kind"] as? String,
            ["workspace", "datacard"].contains(kind) else {
        throw fail("/inputs/\(k): expected label, path and kind (workspace or datacard)")
      }
      var input = Input(label: label, path: p, isWorkspace: kind == "workspace")
      input.patches = (i["patches"] as? [Any])?.compactMap { $0 as? String } ?? []
      input.measurement = i["measurement"] as? String
      inputs.append(input)
    }
    var rename: [String: [String: String]] = [:]
    if let r = o["rename"] as? [String: Any] {
      for (label, m) in r {
        guard let map = m as? [String: Any] else { throw fail("/rename/\(label): expected an object of old: new names") }
        rename[label] = try map.mapValues { v in
          guard let s = v as? String else { throw fail("/rename/\(label): names must be strings") }
          return s
        }
      }
    }
    return Combination(inputs: inputs, rename: rename)
  }

  /// The physics model of a workspace: nil for the default (the measurement's POI), else the
  /// `--physics-model` (e.g. `eft --eft FILE`) built for the workspace's skeleton, whose channels
  /// are its channels and whose processes are its samples.
  public static func physics(_ choice: PhysicsModelChoice, for ws: Workspace, measurement: String?, mass: Double) throws
    -> (PhysicsModel?, [String])
  {
    guard choice.name != nil || choice.eftFile != nil else { return (nil, []) }
    let (m, notes) = try choice.make(for: try CompiledModel.skeleton(of: ws, measurement: measurement), mass: mass)
    let poi = try ws.measurement(measurement).poi
    return (m, notes + ["note: the workspace's POI '\(poi)' is held at 1: the physics model's POIs scale its samples"])
  }

  /// The combined model, and the notes a user should read (POI mappings).
  public func model(physics choice: PhysicsModelChoice, options o: FitOptions) throws -> (CompiledModel, [String]) {
    var notes: [String] = []
    let cards = inputs.filter { !$0.isWorkspace }
    var model: CompiledModel? = nil
    var cardPOI: String? = nil
    if !cards.isEmpty {
      let card = try combineCards(cards.map { ($0.label, $0.path) })
      let (physics, n) = try choice.make(for: card, mass: o.mass)
      notes += n
      var m = try CompiledModel.compile(card, physics: physics, mass: o.mass)
      m.perBinScaling = o.perBinScaling
      cardPOI = m.pois.first.map { m.parameters[$0].name }
      model = m
    }
    for w in inputs where w.isWorkspace {
      let ws = try Workspace.read(w.path, patches: w.patches)
      let (physics, n) = try Self.physics(choice, for: ws, measurement: w.measurement, mass: o.mass)
      notes += n.map { "\(w.label): " + $0 }
      let m = try CompiledModel.compile(workspace: ws, measurement: w.measurement, interpolation: o.interpolation, physics: physics)
      var names = rename[w.label] ?? [:]
      let poi = m.parameters[m.pois[0]].name
      if physics == nil, names[poi] == nil, let target = cardPOI {
        names[poi] = target
        notes.append("note: \(w.label): its POI '\(poi)' is the datacards' '\(target)' (give --rename \(w.label):\(poi)=NAME to keep them apart)")
      }
      if let existing = model {
        model = try existing.appending(m, renaming: names, label: w.label)
      } else {
        model = try CompiledModel.empty.appending(m, renaming: names, label: w.label)
      }
    }
    return (model!, notes)
  }
}
