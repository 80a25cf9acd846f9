//===--- Writer.swift -----------------------------------------------------===//
// Writes a datacard back to text, so that it re-parses to the same tree.
//===----------------------------------------------------------------------===//

/// Writes a ``Datacard`` as Combine datacard text.
///
/// The output re-parses to an equal card (``Datacard/==``): systematics are written after the
/// `nuisance edit` commands were applied (so the edits themselves are not repeated, except
/// `freeze`, and a global `rename` of shape systematics whose templates keep their old name),
/// and `imax`/`jmax`/`kmax` are the actual counts.
public enum DatacardWriter {
  public static func write(_ card: Datacard, header: String? = nil) -> String {
    var out: [String] = []
    let rule = String(repeating: "-", count: 80)
    if let header { out += header.split(separator: "\n", omittingEmptySubsequences: false).map { "# " + $0 } }
    out.append("imax \(card.bins.count) number of bins")
    out.append("jmax \(max(card.processes.count - 1, 0)) number of processes minus 1")
    out.append("kmax \(card.systematics.count) number of nuisance parameters")
    out.append(rule)
    if !card.shapes.isEmpty {
      let w1 = card.shapes.map(\.process.count).max()!, w2 = card.shapes.map(\.channel.count).max()!
      for s in card.shapes {
        var line = "shapes " + pad(s.process, w1) + " " + pad(s.channel, w2) + " " + s.file
        if let o = s.object { line += " " + o }
        if let o = s.systematicObject { line += " " + o }
        out.append(line)
      }
      out.append(rule)
    }
    if let obs = card.observations {
      let cells = zip(card.bins, obs).map { ($0, formatNumber($1)) }
      let w = cells.map { max($0.0.count, $0.1.count) }.max() ?? 1
      out.append("bin          " + cells.map { pad($0.0, w) }.joined(separator: " "))
      out.append("observation  " + cells.map { pad($0.1, w) }.joined(separator: " "))
      out.append(rule)
    }

    // Renamed shape systematics whose templates keep the old name are written under the old name
    // and renamed by an edit line, when that is unambiguous.
    let names = Set(card.systematics.map(\.name))
    var renames: [(String, String)] = []
    var lineName: [String] = card.systematics.map(\.name)
    for (i, s) in card.systematics.enumerated() where s.templateName != s.name && !names.contains(s.templateName) {
      lineName[i] = s.templateName
      if !renames.contains(where: { $0 == (s.templateName, s.name) }) { renames.append((s.templateName, s.name)) }
    }

    // Process block and systematics share one column grid.
    var labels: [String] = ["bin", "process", "process", "rate"]
    var rows: [[String]] = [
      card.columns.map(\.bin), card.columns.map(\.process), card.columns.map { String($0.id) },
      card.columns.map { formatNumber($0.rate) },
    ]
    // Systematics keep their order; `param`/`constr` lines have no columns (row nil).
    for (i, s) in card.systematics.enumerated() {
      labels.append(([lineName[i] + (s.noFloat ? "[nofloat]" : ""), s.type.rawValue] + s.arguments).joined(separator: " "))
      rows.append(s.type.hasColumns ? s.effects.map(\.description) : [])
    }
    let lw = zip(labels, rows).filter { !$0.1.isEmpty }.map(\.0.count).max() ?? 4
    let cw = rows.flatMap { $0 }.map(\.count).max() ?? 1
    for (k, (label, row)) in zip(labels, rows).enumerated() {
      out.append(row.isEmpty && k > 3 ? label : pad(label, lw) + "  " + row.map { pad($0, cw) }.joined(separator: " "))
      if k == 3 { out.append(rule) }
    }
    for r in card.rateParams {
      var line = "\(r.name) rateParam \(r.binPattern) \(r.processPattern) "
      switch r.value {
      case .free(let v, let range):
        line += formatNumber(v)
        if let range { line += " [\(formatNumber(range.lowerBound)),\(formatNumber(range.upperBound))]" }
      case .formula(let f, let args): line += f + " " + args.joined(separator: ",")
      case .external(let e): line += e
      }
      out.append(line)
    }
    for e in card.extArgs { out.append(([e.name, "extArg"] + e.arguments).joined(separator: " ")) }
    for f in card.flatParams { out.append(([f.name, "flatParam"] + f.arguments).joined(separator: " ")) }
    for d in card.discretes { out.append("\(d) discrete") }
    for g in card.groups { out.append(([g.name, "group", "="] + g.members).joined(separator: " ")) }
    for a in card.autoMCStats {
      out.append("\(a.channelPattern) autoMCStats \(formatNumber(a.settings.threshold)) \(a.settings.includeSignal ? 1 : 0) \(a.settings.histMode.rawValue)")
    }
    for (old, new) in renames { out.append("nuisance edit rename \(old) \(new)") }
    for f in card.frozen { out.append("nuisance edit freeze \(escapeRegex(f))") }
    return out.joined(separator: "\n") + "\n"
  }

  static func pad(_ s: String, _ w: Int) -> String {
    s.count >= w ? s : s + String(repeating: " ", count: w - s.count)
  }

  static func escapeRegex(_ s: String) -> String {
    var r = ""
    for c in s {
      if "\\.^$|?*+()[]{}".contains(c) { r.append("\\") }
      r.append(c)
    }
    return r
  }
}
