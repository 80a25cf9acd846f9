//===--- YieldsDocument.swift ---------------------------------------------===//
// Datacards/yields.md: the generated tables (yields per channel and process, pseudo-data totals,
// EFT scalings at the truth point, the H→4ℓ acceptance matrix).
//===----------------------------------------------------------------------===//

import Foundation

struct YieldsDocument {
  var text = """
    # Generated tables of the example datacards

    Written by `make-datacards` together with the cards; see README.md for where the numbers come from.
    Yields are expected events at 138 fb⁻¹ (SM). "data" is the SM pseudo-data (`data_obs`), "data (EFT)"
    the pseudo-data at c_HG = −0.004, c_tG = −0.3 (`data_obs_eft`); μ(c*) is the EFT scaling of each
    process at that point (ratio of quadratic forms, as the fit evaluates it).

    """

  static func fmt(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

  mutating func add(
    title: String, channels: [ChannelTemplates], dataSM: [[Double]], dataEFT: [[Double]],
    mu: (String, String) -> Double
  ) {
    text += "\n## \(title)\n\n"
    let procs = channels.flatMap { $0.processes.map(\.name) }.reduce(into: [String]()) {
      if !$0.contains($1) { $0.append($1) }
    }
    text += "| channel | " + procs.joined(separator: " | ") + " | total | data | data (EFT) |\n"
    text += "|---|" + String(repeating: "---:|", count: procs.count + 3) + "\n"
    var totals = [Double](repeating: 0, count: procs.count)
    var sumD = 0.0, sumE = 0.0, sumT = 0.0
    for (k, c) in channels.enumerated() {
      var row = "| \(c.name) |"
      for (j, p) in procs.enumerated() {
        if let t = c.processes.first(where: { $0.name == p }) {
          row += " \(Self.fmt(t.rate, 2)) |"
          totals[j] += t.rate
        } else {
          row += " – |"
        }
      }
      let tot = c.processes.reduce(0) { $0 + $1.rate }
      let d = dataSM[k].reduce(0, +), e = dataEFT[k].reduce(0, +)
      sumT += tot
      sumD += d
      sumE += e
      row += " \(Self.fmt(tot, 2)) | \(Int(d)) | \(Int(e)) |\n"
      text += row
    }
    text += "| **total** |" + totals.map { " \(Self.fmt($0, 2)) |" }.joined() + " \(Self.fmt(sumT, 1)) | \(Int(sumD)) | \(Int(sumE)) |\n"

    // EFT scalings at the truth point.
    let scaled = procs.filter { p in channels.contains { c in c.processes.contains { $0.name == p && $0.isSignal } } }
    text += "\nμ(c*) at c_HG = −0.004, c_tG = −0.3:\n\n"
    text += "| channel | " + scaled.joined(separator: " | ") + " |\n"
    text += "|---|" + String(repeating: "---:|", count: scaled.count) + "\n"
    for c in channels {
      text += "| \(c.name) |" + scaled.map { p in
        c.processes.contains { $0.name == p } ? " \(Self.fmt(mu(c.name, p)))  |" : " – |"
      }.joined() + "\n"
    }
  }

  mutating func addAcceptance() {
    text += "\n## H→4ℓ acceptance matrix (fraction of each category's signal from each STXS stage-1.2 bin)\n\n"
    for cat in HZZ4l.categories {
      text += "- **\(cat)**\n"
      for p in HZZ4l.signals {
        let row = HZZ4l.acceptance[cat]![p]!.map { "\($0.bin) \(Self.fmt($0.fraction, 2))" }.joined(separator: ", ")
        text += "  - \(p): \(row)\n"
      }
    }
    text += "\nttH multilepton: ttH_* from the stage-0 bin TTH, tHq from THQ (100%); tHq's decay is the ttH\n"
    text += "decay mix of its signature, Σ_d f_d Γ_d/Γ_d,SM (d = WW, ττ, ZZ), over Γ_tot/Γ_tot,SM.\n"
  }
}
