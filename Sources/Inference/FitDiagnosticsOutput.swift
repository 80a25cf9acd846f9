//===--- FitDiagnosticsOutput.swift ---------------------------------------===//
// Combine's `fitDiagnostics<NAME>.root`, written natively (FitDiagnostics.cc):
//  - `tree_fit_sb`, `tree_fit_b` (one entry each): fit_status/I, <POI>/D, <POI>Err/D,
//    <POI>LoErr/D, <POI>HiErr/D, numbadnll/I, nll_min/D, (tree_fit_sb) nll_nll0/D, then every
//    constrained nuisance's global observable `<name>_In`/D, every nuisance parameter /D, and the
//    process normalisations `n_exp_final_bin<channel>_proc_<process>`/D (`n_exp_bin…` for counting
//    channels); `tree_prefit` the last three groups at the pre-fit values.
//  - `shapes_prefit`, `shapes_fit_s`, `shapes_fit_b`: per channel `<process>`, `total`,
//    `total_signal`, `total_background` and `data` as TH1D, contents and errors divided by the bin
//    width as Combine stores them (a counting channel is one bin [0, 1]).
// Differences from Combine's file, each deliberate: `data` is a TH1D (content n/width, error
// √n/width) where Combine writes a TGraphAsymmErrors; the RooFitResults (`fit_s`, `fit_b`), the
// `nuisances_prefit` RooArgSet and the covariance histograms (`total_covar`) are not written (the
// JSON of `fit-diagnostics --json` holds the fit results and correlations).
//===----------------------------------------------------------------------===//

import Foundation
import Fit
import Likelihood
import ROOTIO

extension FitDiagnosticsResult {
  /// Writes Combine's fitDiagnostics ROOT file (see the file comment) atomically to `path`.
  public func writeROOT(_ problem: FitProblem, to path: String) throws {
    let m = problem.model
    let w = ROOTFileWriter(compression: .zlib(level: 1))
    let nuisances = m.parameters.indices.filter { m.parameters[$0].role != .poi }
    let constrained = m.parameters.indices.filter { m.parameters[$0].isConstrained }
    let globals = problem.nll.globalObservables
    func normBranches(_ table: [ChannelYields]) -> [(name: String, values: TreeColumn)] {
      table.flatMap { ch in
        zip(ch.processes, ch.process).map { p, y in
          ("n_exp\(ch.edges == nil ? "" : "_final")_bin\(ch.channel)_proc_\(p)", TreeColumn.double([y.total]))
        }
      }
    }
    func parameterBranches(_ x: [Double]) -> [(name: String, values: TreeColumn)] {
      constrained.enumerated().map { k, i in ("\(m.parameters[i].name)_In", TreeColumn.double([k < globals.count ? globals[k] : 0])) }
        + nuisances.map { (m.parameters[$0].name, TreeColumn.double([x[$0]])) }
    }
    func fitTree(_ name: String, fit: HesseFit, interval: ProfileInterval?, nll0: Double?, yields: [ChannelYields]) -> FlatTree {
      let x = fit.best.x
      var b: [(name: String, values: TreeColumn)] = [
        ("fit_status", .int([fit.best.status.isConverged ? 0 : -1])),
        (poiName, .double([x[poi]])),
        ("\(poiName)Err", .double([fit.errors[poi]])),
        ("\(poiName)LoErr", .double([interval.map { x[poi] - $0.lower } ?? 0])),
        ("\(poiName)HiErr", .double([interval.map { $0.upper - x[poi] } ?? 0])),
        ("numbadnll", .int([0])),
        ("nll_min", .double([fit.best.fval])),
      ]
      if let nll0 { b.append(("nll_nll0", .double([fit.best.fval - nll0]))) }
      return FlatTree(name: name, title: name, branches: b + parameterBranches(x) + normBranches(yields))
    }
    try w.add(fitTree("tree_fit_sb", fit: signalPlusBackground, interval: interval, nll0: backgroundOnly?.best.fval, yields: fitS),
              at: "tree_fit_sb")
    if let backgroundOnly, let fitB {
      try w.add(fitTree("tree_fit_b", fit: backgroundOnly, interval: nil, nll0: nil, yields: fitB), at: "tree_fit_b")
    }
    var initial = problem.specs.map(\.value)
    initial[poi] = prefitPOIValue
    try w.add(FlatTree(name: "tree_prefit", title: "tree_prefit", branches: parameterBranches(initial) + normBranches(prefit)),
              at: "tree_prefit")
    for (dir, table) in [("shapes_prefit", prefit), ("shapes_fit_s", fitS)] + (fitB.map { [("shapes_fit_b", $0)] } ?? []) {
      for ch in table {
        let edges = ch.edges ?? (0...ch.data.count).map { Double($0) / Double(max(ch.data.count, 1)) }
        let widths = (0..<(edges.count - 1)).map { edges[$0 + 1] - edges[$0] }
        func histogram(_ name: String, _ v: [Double], _ e: [Double], title: String) -> Histogram {
          let c = zip(v, widths).map { $0 / $1 }, err = zip(e, widths).map { $0 / $1 }
          return Histogram(name: name, title: title, className: "TH1D", dimension: 1, nbinsX: c.count, nbinsY: 1,
                           xEdges: edges, yEdges: [], contents: [0] + c + [0], sumw2: [0] + err.map { $0 * $0 } + [0])
        }
        for (p, y) in zip(ch.processes, ch.process) {
          try w.add(histogram(p, y.values, y.errors, title: "\(p) in \(ch.channel)"), at: "\(dir)/\(ch.channel)/\(p)")
        }
        try w.add(histogram("total", ch.total.values, ch.total.errors, title: "Total signal+background in \(ch.channel)"),
                  at: "\(dir)/\(ch.channel)/total")
        try w.add(histogram("total_signal", ch.totalSignal.values, ch.totalSignal.errors, title: "Total signal in \(ch.channel)"),
                  at: "\(dir)/\(ch.channel)/total_signal")
        try w.add(histogram("total_background", ch.totalBackground.values, ch.totalBackground.errors,
                            title: "Total background in \(ch.channel)"), at: "\(dir)/\(ch.channel)/total_background")
        try w.add(histogram("data", ch.data, ch.data.map { $0.squareRoot() }, title: "data in \(ch.channel)"),
                  at: "\(dir)/\(ch.channel)/data")
      }
    }
    try w.write(to: path)
  }
}
