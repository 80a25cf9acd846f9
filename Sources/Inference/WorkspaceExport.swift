//===--- WorkspaceExport.swift --------------------------------------------===//
// A pyhf workspace written as a Combine datacard + ROOT file, where the formats can express the
// same model; what they cannot is named in a warning, never dropped silently.
//===----------------------------------------------------------------------===//

import Foundation
import HistFactory
import ROOTIO
import Support

/// The datacard of a workspace (`recombine export-card`):
///
/// - channels are bins, samples processes (signal: the samples the measurement's POI scales; the
///   POI becomes the card's `r`), every channel a shape channel with `$CHANNEL/$PROCESS` histograms
///   in the ROOT file and `rate -1`;
/// - normfactor → `rateParam` [bounds]; lumi → `rateParam` with a `param` Gaussian (aux, σ): exact;
/// - normsys → `lnN` κ_d/κ_u: exact for symmetric factors (κ_d = 1/κ_u, Combine's κ^θ = pyhf's
///   code1); otherwise Combine's AsymPow differs from code1/code4 inside |α| < 1 (warned);
/// - histosys → `shape` with `autoMCStats … 2` on every channel (hist-mode 2: additive morph of
///   absolute templates, no separate normalisation): pyhf's code4p exactly; code0 is not
///   expressible (warned);
/// - staterror → the histograms' errors and `autoMCStats 0 0 2`, when it covers every sample of
///   the channel: Combine's Barlow–Beeston-lite is the same Gaussian γ at the nominal yields (its
///   MC error then follows each process's normalisation, pyhf's the fitted yield: warned); channels
///   without staterror get `autoMCStats -1 0 2` (absolute templates, no statistical parameters);
/// - shapesys, shapefactor and partial staterrors have no datacard form: warned and left out;
/// - measurement `fixed` parameters → `nuisance edit freeze`; templates are stored as float32 (ROOT's TH1F
///   precision is not used: TH1D).
public enum WorkspaceExport {
  public struct Result {
    public var card: String
    public var histograms: [(path: String, histogram: Histogram)]
    public var warnings: [String]
  }

  public static func datacard(_ ws: Workspace, measurement name: String? = nil, rootFile: String,
                              normsysCode: NormsysCodeForExport = .code4) throws -> Result {
    let meas = try ws.measurement(name)
    var warnings: [String] = []
    var hists: [(String, Histogram)] = []
    func th1(_ n: String, _ v: [Double], _ e2: [Double]) -> Histogram {
      Histogram(name: n, title: n, className: "TH1D", dimension: 1, nbinsX: v.count, nbinsY: 0,
                xEdges: (0...v.count).map(Double.init), yEdges: [], contents: [0] + v + [0], sumw2: [0] + e2 + [0])
    }
    struct Column { var channel: String; var sample: Sample; var signal: Bool }
    var columns: [Column] = []
    var lines: [String] = []
    var lnN: [String: [Int: String]] = [:], shape: [String: Set<Int>] = [:]
    var order: [String] = []
    var rateParams: [String] = []
    var params: [String] = []
    var autoMC: [String] = []
    var settings: [String: ParameterSetting] = [:]
    for s in meas.parameters { settings[s.name] = s }
    for ch in ws.channels {
      // staterror coverage: every sample must carry the same staterror.
      let names = ch.samples.map { s -> String? in
        for case let .staterror(n, _) in s.modifiers { return n }
        return nil
      }
      let covered = names.allSatisfy { $0 != nil && $0 == names[0] }
      if names.contains(where: { $0 != nil }) && !covered {
        warnings.append("\(ch.name): a staterror covers only some samples; Combine's autoMCStats covers every process of a bin: left out")
      }
      if covered { warnings.append("\(ch.name): staterror → autoMCStats 0 0 2 (the same Gaussian γ at the nominal yields; the MC error then follows each process's normalisation)") }
      autoMC.append("\(ch.name) autoMCStats \(covered ? "0" : "-1") 0 2")
      hists.append(("\(ch.name)/data_obs", th1("data_obs", ws.observations[ch.name]!, ws.observations[ch.name]!)))
      for s in ch.samples {
        let k = columns.count
        let signal = s.modifiers.contains(.normfactor(name: meas.poi))
        columns.append(Column(channel: ch.name, sample: s, signal: signal))
        var err2 = [Double](repeating: 0, count: s.data.count)
        for m in s.modifiers {
          switch m {
          case .normfactor(let n):
            if n == meas.poi { continue }
            let b = settings[n]?.bounds?.first ?? [0, 10]
            rateParams.append("\(n) rateParam \(ch.name) \(s.name) \(settings[n]?.inits?.first ?? 1) [\(b[0]),\(b[1])]")
          case .lumi(let n):
            let b = settings[n]?.bounds?.first ?? [0, 10]
            rateParams.append("\(n) rateParam \(ch.name) \(s.name) \(settings[n]?.inits?.first ?? 1) [\(b[0]),\(b[1])]")
            let line = "\(n) param \(settings[n]?.auxdata?.first ?? 1) \(settings[n]?.sigmas?.first ?? 0)"
            if !params.contains(line) { params.append(line) }
          case .normsys(let n, let hi, let lo):
            if !order.contains(n) { order.append(n) }
            lnN[n, default: [:]][k] = abs(hi * lo - 1) < 1e-12 ? "\(hi)" : "\(lo)/\(hi)"
            if abs(hi * lo - 1) >= 1e-12 || normsysCode == .code4 {
              let w = "normsys '\(n)' → lnN: Combine's interpolation differs from pyhf's \(normsysCode == .code4 ? "code4" : "code1") inside |α| < 1\(abs(hi * lo - 1) < 1e-12 ? " (exact for code1: symmetric factors)" : "")"
              if !warnings.contains(w) { warnings.append(w) }
            }
          case .histosys(let n, let hi, let lo):
            if !order.contains(n) { order.append(n) }
            shape[n, default: []].insert(k)
            hists.append(("\(ch.name)/\(s.name)_\(n)Up", th1("\(s.name)_\(n)Up", hi, [Double](repeating: 0, count: hi.count))))
            hists.append(("\(ch.name)/\(s.name)_\(n)Down", th1("\(s.name)_\(n)Down", lo, [Double](repeating: 0, count: lo.count))))
          case .staterror(_, let d):
            if covered { err2 = d.map { $0 * $0 } }
          case .shapesys(let n, _):
            let w = "shapesys '\(n)' (\(ch.name)/\(s.name)): per-sample Poisson-constrained bin factors have no datacard form: left out"
            warnings.append(w)
          case .shapefactor(let n):
            let w = "shapefactor '\(n)' (\(ch.name)/\(s.name)): free per-bin factors have no datacard form: left out"
            if !warnings.contains(w) { warnings.append(w) }
          }
        }
        hists.append(("\(ch.name)/\(s.name)", th1(s.name, s.data, err2)))
      }
    }
    let fixed = meas.parameters.filter { $0.fixed == true }.map(\.name)
    // The card.
    var sig = 0, bkg = 0
    let ids = columns.map { c -> Int in
      if c.signal { defer { sig -= 1 }; return sig }
      bkg += 1
      return bkg
    }
    // Process ids must be one per process name: reuse the first id of each name.
    var idOf: [String: Int] = [:]
    let processIds = zip(columns, ids).map { c, i -> Int in
      if let j = idOf[c.sample.name] { return j }
      idOf[c.sample.name] = i
      return i
    }
    func row(_ label: String, _ v: [String]) -> String { ([label.padding(toLength: 24, withPad: " ", startingAt: 0)] + v).joined(separator: " ") }
    lines.append("# \(ws.path), measurement '\(meas.name)' (POI \(meas.poi) → r), written by recombine export-card")
    lines.append("imax \(ws.channels.count) number of channels")
    lines.append("jmax * number of processes minus 1")
    lines.append("kmax * number of nuisance parameters")
    lines.append("---")
    lines.append("shapes * * \((rootFile as NSString).lastPathComponent) $CHANNEL/$PROCESS $CHANNEL/$PROCESS_$SYSTEMATIC")
    lines.append("---")
    lines.append(row("bin", ws.channels.map(\.name)))
    lines.append(row("observation", ws.channels.map { "\(ws.observations[$0.name]!.reduce(0, +))" }))
    lines.append("---")
    lines.append(row("bin", columns.map(\.channel)))
    lines.append(row("process", columns.map(\.sample.name)))
    lines.append(row("process", processIds.map(String.init)))
    lines.append(row("rate", columns.map { _ in "-1" }))
    lines.append("---")
    for n in order {
      if let l = lnN[n] { lines.append(row("\(n) lnN", columns.indices.map { l[$0] ?? "-" })) }
      if let s = shape[n] { lines.append(row("\(n) shape", columns.indices.map { s.contains($0) ? "1" : "-" })) }
    }
    lines += rateParams + params + autoMC
    for f in fixed where ws.channels.contains(where: { $0.samples.contains { $0.modifiers.contains { $0.name == f } } }) {
      lines.append("nuisance edit freeze \(f)")
    }
    if meas.poi != "r" { warnings.append("the POI '\(meas.poi)' is the card's r (Combine's default model scales the signals)") }
    return Result(card: lines.joined(separator: "\n") + "\n", histograms: hists, warnings: warnings)
  }

  /// The normsys code the exported lnN lines are compared with in the warnings.
  public enum NormsysCodeForExport: Sendable { case code1, code4 }
}
