// Recombine benchmarks: `make bench` (release build).
//
// Each figure is the minimum wall time over repetitions, reported with a baseline measured in the
// same process (so machine load affects both): for parsing, the baseline is reading the same bytes
// and splitting them into lines and whitespace tokens; for ROOT files, reading the raw file bytes.

import Datacard
import Dispatch
import Foundation
import ROOTIO
import Likelihood
import Fit
import Inference
import EFT
import InformationTrees

/// Scale (issue 15): parsing and compiling grow linearly with the card (10⁵ against 10⁴ channels,
/// ratio ≈ 10), a card with 20,000 `process` lines fails at once, and a fit of 10⁴ nuisances runs
/// in O(n) memory (the limited-memory minimiser) against 10³ nuisances as the baseline.
func scaleBench() throws {
  func channels(_ n: Int) -> String {
    var t = "imax \(n) jmax 1 kmax 1\nbin " + (0..<n).map { "c\($0)" }.joined(separator: " ")
    t += "\nobservation " + [String](repeating: "10", count: n).joined(separator: " ")
    t += "\nbin " + (0..<n).map { "c\($0) c\($0)" }.joined(separator: " ")
    t += "\nprocess " + [String](repeating: "sig bkg", count: n).joined(separator: " ")
    t += "\nprocess " + [String](repeating: "0 1", count: n).joined(separator: " ")
    t += "\nrate " + [String](repeating: "1 9", count: n).joined(separator: " ")
    t += "\nlumi lnN " + [String](repeating: "1.02 1.02", count: n).joined(separator: " ") + "\n"
    return t
  }
  func nuisances(channels c: Int, perChannel k: Int) -> String {
    var t = "imax \(c) jmax 1 kmax *\nbin " + (0..<c).map { "c\($0)" }.joined(separator: " ")
    t += "\nobservation " + (0..<c).map { String(12 + $0 % 5) }.joined(separator: " ")
    t += "\nbin " + (0..<c).map { "c\($0) c\($0)" }.joined(separator: " ")
    t += "\nprocess " + [String](repeating: "sig bkg", count: c).joined(separator: " ")
    t += "\nprocess " + [String](repeating: "0 1", count: c).joined(separator: " ")
    t += "\nrate " + [String](repeating: "2 10", count: c).joined(separator: " ") + "\n"
    for ch in 0..<c {
      for j in 0..<k {
        var row = [String](repeating: "-", count: 2 * c)
        row[2 * ch + 1] = String(format: "%.3f", 1.005 + 0.001 * Double(j % 40))
        t += "u\(ch)_\(j) lnN " + row.joined(separator: " ") + "\n"
      }
    }
    return t
  }
  print("Scale (generated cards):")
  var times: [Double] = []
  for n in [10_000, 100_000] {
    let text = channels(n)
    let t = try timeMin(2) { _ = try CompiledModel.compile(try Datacard.parse(text: text)) }
    times.append(t)
    print(String(format: "  %6d channels: parse + compile %.3f s", n, t))
  }
  print(String(format: "  ratio 10⁵ / 10⁴ channels: %.1f (linear: 10)", times[1] / times[0]))
  let repeated = "imax 1 jmax 1 kmax 0\nbin b1\nobservation 10\nbin b1 b1\nprocess sig bkg\nprocess 0 1\n"
    + String(repeating: "process 0 1\n", count: 20_000) + "rate 1 9\n"
  let tRep = timeMin(2) { _ = try? Datacard.parse(text: repeated) }
  print(String(format: "  20,000 process lines: refused in %.3f s", tRep))
  // Both sizes with the limited-memory minimiser (the 10³ case forced onto it), and the 10³ case
  // with the variable-metric one for reference.
  var fits: [Double] = []
  for (k, limit) in [(10, 2000), (10, 500), (100, 2000)] {
    let model = try CompiledModel.compile(try Datacard.parse(text: nuisances(channels: 100, perChannel: k)))
    let nll = try NLL(model: model)
    let specs = FitSetup(model: model).parameterSpecs(model: model)
    var o = MinimizerOptions()
    o.denseLimit = limit
    var result: MinimizationResult? = nil
    let t = timeMin(2) { result = Minimizer(options: o).minimize(nll, parameters: specs) }
    if limit == 500 || k == 100 { fits.append(t) }
    let r = result!.x[model.pois[0]]
    print(String(format: "  fit of %5d nuisances (100 channels, %@): %.3f s, r = %.5f, %@, %d calls", model.parameters.count - 1,
                 model.parameters.count - 1 > limit ? "limited-memory" : "variable-metric", t, r, "\(result!.status)", result!.nCalls))
  }
  print(String(format: "  ratio 10⁴ / 10³ nuisances (limited-memory both): %.1f", fits[1] / fits[0]))
}
/// Combine's statistics (issue 13) on the reference cards, each against Combine v10.6.0's CPU time
/// for the same command on the same card (../shared/reference/combine/TIMINGS.md): CPU seconds of
/// this process (all threads) for the whole method, the card's parsing included.
func statisticsBench(shared: String) throws {
  let ref = shared + "/reference/combine/"
  func cpu() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
  }
  func measure(_ label: String, combine: Double, _ body: () throws -> String) rethrows {
    let c0 = cpu(), w0 = now()
    let what = try body()
    let c = cpu() - c0, w = now() - w0
    print(String(format: "  %@: %.2f s CPU (%.2f s wall); Combine %.2f s CPU: %.1f× less CPU  [%@]",
                 label, c, w, combine, combine / c, what))
  }
  var o = FitOptions()
  o.mass = 200
  let long = ref + "longexercise_part3_combined/card/datacard_part3.txt"
  print("Combine's statistics (CPU of the whole method, parse included; Combine's from TIMINGS.md):")
  try measure("GoodnessOfFit saturated, observed + 500 toys (long exercise)", combine: 0.57 + 5 * 1.8) {
    let p = try FitProblem.bounded(card: try Datacard.parse(contentsOf: long), physics: DefaultPhysicsModel(), options: o, allowToys: true)
    let r = try GoodnessOfFit.run(p, algorithm: .saturated, toys: 500, seed: 1)
    return String(format: "observed %.3f, p = %.3f; Combine's 100-toy time × 5", r.observed, r.pValue ?? .nan)
  }
  for (alg, name, t) in [(GoodnessOfFitAlgorithm.KS, "KS", 2.3), (.AD, "AD", 2.1)] {
    try measure("GoodnessOfFit \(name), 100 toys (long exercise)", combine: t) {
      let p = try FitProblem.bounded(card: try Datacard.parse(contentsOf: long), physics: DefaultPhysicsModel(), options: o, allowToys: true)
      let r = try GoodnessOfFit.run(p, algorithm: alg, toys: 100, seed: 1)
      return String(format: "observed %.4f, p = %.2f", r.observed, r.pValue ?? .nan)
    }
  }
  try measure("impacts, initial fit + 29 parameters (long exercise)", combine: 14) {
    let p = try FitProblem(card: try Datacard.parse(contentsOf: long), physics: DefaultPhysicsModel(), options: o)
    let r = try Impacts.compute(p)
    return "\(r.params.count) parameters, largest \(r.params.first?.name ?? "")"
  }
  try measure("FitDiagnostics with uncertainties, 200 resampled vectors (long exercise)", combine: 687) {
    let p = try FitProblem(card: try Datacard.parse(contentsOf: long), physics: DefaultPhysicsModel(), options: o)
    let r = try FitDiagnostics.run(p, options: FitDiagnosticsOptions())
    return String(format: "r = %.3f", r.signalPlusBackground.best.x[r.poi])
  }
  var oc = FitOptions()
  oc.mass = 120
  let counting = ref + "counting_realistic/card/realistic-counting-experiment.txt"
  try measure("HybridNew LHC-limits observed limit, 500 toys per point (counting_realistic)", combine: 76.5) {
    let p = try FitProblem.bounded(card: try Datacard.parse(contentsOf: counting), physics: DefaultPhysicsModel(), options: oc)
    var ao = AsymptoticLimitsOptions()
    ao.run = .observed
    let hint = try AsymptoticLimits.run(model: p.model, data: p.nll.data, specs: p.specs, poi: p.targets[0], options: ao).observed ?? 1
    let r = try HybridNew.limit(p, hint: hint, options: HybridNewOptions())
    return String(format: "r < %.3f ± %.3f, %d points", r.limit, r.error, r.points.count)
  }
  try measure("HybridNew LHC-significance, 2000 toys (counting_realistic)", combine: 2.4) {
    let p = try FitProblem.bounded(card: try Datacard.parse(contentsOf: counting), physics: DefaultPhysicsModel(), options: oc)
    var ho = HybridNewOptions()
    ho.toys = 2000
    let z = try HybridNew.significance(p, options: ho)
    return String(format: "p = %.3f", z.pValue)
  }
}
/// pyhf workspaces (issue 14): the ATLAS ERJR likelihood with its 350/0 patch, a 31-point profiled
/// scan of mu_SIG ∈ [0, 3], against pyhf 0.7.6's time for the same scan measured by hand on this
/// machine (numpy backend, scipy optimizer, tolerance 1e-10: `pyhf.infer.mle.fixed_poi_fit` at 31
/// points after one free fit, 179.6 CPU s).
func workspaceBench(shared: String) throws {
  let d = shared + "/reference/external/atlas_erjr_pyhf/"
  var u = rusage()
  func cpu() -> Double {
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
  }
  let c0 = cpu(), w0 = now()
  var o = FitOptions()
  o.patches = [d + "patch.ERJR_350p0_0p0.json"]
  var p = try FitProblem.load(card: d + "ERJR_BkgOnly.json", physics: PhysicsModelChoice(name: nil), options: o)
  let k = p.targets[0]
  p.specs[k].lower = 0
  p.specs[k].upper = 3
  var so = GridScanOptions()
  so.points = 31
  so.alignEdges = true
  so.threads = 1
  let r = try GridScan.run(p, options: so, saveNuisances: false, saveNLL: false, mass: 120)
  let c = cpu() - c0, w = now() - w0
  print("pyhf workspace (ATLAS ERJR 350/0, 69 parameters): parse, patch, compile, fit and a 31-point profiled scan of mu_SIG")
  print(String(format: "  %.3f s CPU (%.3f s wall, one thread), %d rows; pyhf 0.7.6 (numpy, scipy): 179.6 s CPU: %.0f× less CPU",
               c, w, r.table.rows.count, 179.6 / c))
}
/// A generated model the size of a large combination (issue 15): 200 channels × 100 bins (2·10⁴
/// bins), 5 processes per channel (TH1 templates, autoMCStats), 2 shape nuisances per channel and
/// k lnN nuisances per channel, k = 5, 15, 50 (≈ 10³, 3·10³, 10⁴ nuisances). Per size: parse +
/// compile, the best fit, the POI's error from its profile (the 68% crossings; the covariance is
/// not formed above 2000 parameters), and at the largest a 20-point profiled scan of r on 2 threads;
/// CPU seconds and the peak RSS, and the fitted exponent of the fit time against n.
func largeModelBench() throws {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recombine-large-\(getpid())")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  let nc = 200, nb = 100, procs = ["sig", "b1", "b2", "b3", "b4"]
  var hists: [(path: String, histogram: Histogram)] = []
  func th1(_ n: String, _ v: [Double], _ e2: [Double]) -> Histogram {
    Histogram(name: n, title: n, className: "TH1D", dimension: 1, nbinsX: v.count, nbinsY: 0,
              xEdges: (0...v.count).map(Double.init), yEdges: [], contents: [0] + v + [0], sumw2: [0] + e2 + [0])
  }
  for c in 0..<nc {
    var total = [Double](repeating: 0, count: nb)
    for (k, p) in procs.enumerated() {
      let scale = k == 0 ? 2.0 : 20.0 + Double((c * 7 + k * 3) % 11)
      let v = (0..<nb).map { b in scale * exp(-Double(b) / Double(30 + 10 * k)) + 0.5 }
      for b in 0..<nb { total[b] += v[b] }
      hists.append(("c\(c)/\(p)", th1(p, v, v.map { 0.0025 * $0 * $0 })))
      for j in 0..<2 {
        let tilt = (0..<nb).map { b in 1 + 0.05 * (Double(b) / Double(nb) - 0.5) * Double(j == 0 ? 1 : -1) }
        hists.append(("c\(c)/\(p)_s\(c)_\(j)Up", th1("\(p)_s\(c)_\(j)Up", zip(v, tilt).map { $0 * $1 }, v.map { _ in 0 })))
        hists.append(("c\(c)/\(p)_s\(c)_\(j)Down", th1("\(p)_s\(c)_\(j)Down", zip(v, tilt).map { $0 / $1 }, v.map { _ in 0 })))
      }
    }
    hists.append(("c\(c)/data_obs", th1("data_obs", total.map { $0.rounded() }, total.map { $0.rounded() })))
  }
  try writeROOTFile(path: dir.appendingPathComponent("large.root").path, histograms: hists)
  func card(_ k: Int) -> String {
    var t = "imax \(nc) jmax \(procs.count - 1) kmax *\nshapes * * large.root $CHANNEL/$PROCESS $CHANNEL/$PROCESS_$SYSTEMATIC\n"
    t += "bin " + (0..<nc).map { "c\($0)" }.joined(separator: " ") + "\nobservation " + [String](repeating: "-1", count: nc).joined(separator: " ")
    let cols = nc * procs.count
    t += "\nbin " + (0..<nc).flatMap { c in procs.map { _ in "c\(c)" } }.joined(separator: " ")
    t += "\nprocess " + (0..<nc).flatMap { _ in procs }.joined(separator: " ")
    t += "\nprocess " + (0..<nc).flatMap { _ in procs.indices.map(String.init) }.joined(separator: " ")
    t += "\nrate " + [String](repeating: "-1", count: cols).joined(separator: " ") + "\n"
    for c in 0..<nc {
      for j in 0..<k {
        var row = [String](repeating: "-", count: cols)
        row[c * procs.count + 1 + j % 4] = String(format: "%.3f", 1.01 + 0.001 * Double(j % 30))
        t += "u\(c)_\(j) lnN " + row.joined(separator: " ") + "\n"
      }
      for j in 0..<2 {
        var row = [String](repeating: "-", count: cols)
        for p in 0..<procs.count { row[c * procs.count + p] = "1" }
        t += "s\(c)_\(j) shape " + row.joined(separator: " ") + "\n"
      }
    }
    return t + "* autoMCStats 10\n"
  }
  func cpu() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
  }
  func rssGB() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024 / 1024  // ru_maxrss is in KiB on Linux
  }
  print("Large generated model (200 channels × 100 bins, 5 processes, autoMCStats, 2 shape + k lnN nuisances per channel):")
  var fitTimes: [(Double, Double)] = []
  for k in [5, 15, 50] {
    let path = dir.appendingPathComponent("large\(k).txt").path
    try card(k).write(toFile: path, atomically: true, encoding: .utf8)
    var c0 = cpu()
    let p = try FitProblem.load(card: path, physics: PhysicsModelChoice(name: nil), options: FitOptions())
    let tCompile = cpu() - c0
    let n = p.specs.filter { !$0.fixed }.count
    // Every size on the limited-memory minimiser (the growth law of one method); the smallest
    // also on the variable-metric one with HESSE (the default below 2000 free parameters).
    var lo = MinimizerOptions()
    lo.denseLimit = 500
    let minimizer = Minimizer(options: lo)
    c0 = cpu()
    let best = minimizer.minimize(p.nll, parameters: p.specs)
    let tFit = cpu() - c0
    c0 = cpu()
    let r = p.targets[0]
    let iv = profileInterval(p.nll, parameters: p.specs, best: best, index: r, delta: 0.5, minimizer: minimizer)
    let tErr = cpu() - c0
    c0 = cpu()
    let hesseR = MultiDimFit.profileCurvatureError(p, best: best, index: r, minimizer: minimizer)
    let tHesse = cpu() - c0
    print(String(format: "        r's HESSE error from its profile curvature: %.4f, %.2f s CPU", hesseR, tHesse))
    fitTimes.append((Double(n), tFit))
    print(String(format: "  %5d free parameters, %d bins: parse + compile %.2f s CPU; best fit (limited-memory) %.3f s CPU (%d calls, %@), r = %.4f; its 68%% interval [%.4f, %.4f] %.2f s CPU; peak RSS %.2f GB",
                 n, p.model.binCount, tCompile, tFit, best.nCalls, "\(best.status)", best.x[r], iv.lower, iv.upper, tErr, rssGB()))
    if k == 5 {
      c0 = cpu()
      let dense = try p.bestFit()
      print(String(format: "        the same fit, variable-metric with HESSE: %.2f s CPU (%d calls), r = %.4f, NLL %+.2e from the limited-memory one",
                   cpu() - c0, dense.nCalls, dense.x[r], dense.fval - best.fval))
    }
    if k == 50 {
      var so = GridScanOptions()
      so.points = 20
      so.threads = 2
      let c1 = cpu(), w1 = now()
      let scan = try GridScan.run(p, options: so, saveNuisances: false, saveNLL: false, mass: 120)
      print(String(format: "  20-point profiled scan of r (2 threads): %.1f s CPU, %.1f s wall, %d rows; peak RSS %.2f GB",
                   cpu() - c1, now() - w1, scan.table.rows.count, rssGB()))
    }
  }
  // Least-squares slope of ln t against ln n.
  let xs = fitTimes.map { log($0.0) }, ys = fitTimes.map { log(max($0.1, 1e-6)) }
  let mx = xs.reduce(0, +) / 3, my = ys.reduce(0, +) / 3
  let slope = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
  print(String(format: "  fit time ∝ n^%.2f over these sizes", slope))
}
/// A generated global EFT fit (issue 15): 100 channels × 10 bins from 20 "measurements" (5 channels
/// each), one signal per channel with 30 Wilson coefficients per bin (`EFTBenchmarkCard`), and 2000
/// lnN nuisances (100 per measurement, each on the backgrounds of its 5 channels) besides the
/// card's 10: a 30-point profiled scan of each coefficient with the other 29 floating, on 2 threads.
func eftGlobalBench() throws {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recombine-eft-global-\(getpid())").path
  defer { try? FileManager.default.removeItem(atPath: dir) }
  let files = try EFTBenchmarkCard.write(to: dir, channels: Int(ProcessInfo.processInfo.environment["EFTG_CHANNELS"] ?? "100")!, bins: 10, coefficients: 30)
  var text = try String(contentsOfFile: files.card, encoding: .utf8)
  text = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix("kmax") ? "kmax *" : String($0) }.joined(separator: "\n")
  let card0 = try Datacard.parse(contentsOf: files.card)
  let cols = card0.columns
  var extra = ""
  for m in 0..<(card0.bins.count / 5) {
    let mine = Set((0..<5).map { card0.bins[5 * m + $0] })
    for j in 0..<(2000 / (card0.bins.count / 5)) {
      let row = cols.map { c in mine.contains(c.bin) && !c.isSignal ? String(format: "%.3f", 1.01 + 0.0005 * Double(j % 40)) : "-" }
      extra += "m\(m)_u\(j) lnN " + row.joined(separator: " ") + "\n"
    }
  }
  // The lnN lines go before the card's autoMCStats line.
  if let r = text.range(of: "* autoMCStats") { text.insert(contentsOf: extra, at: r.lowerBound) } else { text += extra }
  try text.write(toFile: files.card, atomically: true, encoding: .utf8)
  var u = rusage()
  func cpu() -> Double {
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
  }
  let c0 = cpu(), w0 = now()
  var choice = PhysicsModelChoice(name: "eft")
  choice.eftFile = files.eft
  var o = FitOptions()
  o.toys = -1
  o.expectSignal = 1
  let base = try FitProblem.load(card: files.card, physics: choice, options: o)
  let free = base.specs.filter { !$0.fixed }.count
  print(String(format: "Global EFT fit (generated): %d channels, %d bins, %d Wilson coefficients, %d free parameters; model built in %.1f s CPU",
               base.model.channels.count, base.model.binCount, base.model.pois.count, free, cpu() - c0))
  // The 30 scans are independent: one per worker at a time (a 30-point scan is one block of
  // GridScan's, so one thread each), each worker with its own NLL.
  final class Counts: @unchecked Sendable {
    let lock = NSLock()
    var points = 0
    func add(_ n: Int) { lock.withLock { points += n } }
  }
  let counts = Counts()
  let model = base.model, data = base.nll.data, baseSpecs = base.specs, pois = base.model.pois
  DispatchQueue.concurrentPerform(iterations: 2) { w in
    guard let nll = try? NLL(model: model, data: data) else { return }
    for i in stride(from: w, to: pois.count, by: 2) {
      var specs = baseSpecs
      specs[pois[i]].lower = -0.5
      specs[pois[i]].upper = 0.5
      guard let p = try? FitProblem(model: model, nll: nll, specs: specs, targets: [pois[i]], asimov: true) else { continue }
      var so = GridScanOptions()
      so.points = 30
      so.threads = 1
      if let r = try? GridScan.run(p, options: so, saveNuisances: false, saveNLL: false, mass: 120) { counts.add(r.table.rows.count - 1) }
    }
  }
  let totalPoints = counts.points
  print(String(format: "  a 30-point profiled scan of each of the %d coefficients (the others floating), 2 threads: %.1f s wall, %.1f s CPU in all (%d points)",
               base.model.pois.count, now() - w0, cpu() - c0, totalPoints))
}
/// The CMS H→ττ CI card (`htt_multiple_regions`, -m 125, 67 parameters): a 2000-point profiled
/// scan of r ∈ [−0.75, 3.75] as `recombine scan` runs it (parse, compile, best fit and scan, on
/// the default threads), against Combine v10.6.0's 13.2 CPU-s for the same scan (TIMINGS.md,
/// workspace already built). The same-process baseline is one NLL + gradient evaluation: the
/// scan's cost per point in those units, beside the calls per point the scan counts.
@MainActor func httScanBench(shared: String) throws {
  func cpu() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
  }
  let card = shared + "/reference/corpus/data/ci/htt_multiple_regions.txt"
  var runs: [(cpu: Double, wall: Double, calls: Double, points: Int)] = []
  var problem: FitProblem? = nil
  for _ in 0..<3 {
    let c0 = cpu(), w0 = now()
    var o = FitOptions()
    o.mass = 125
    o.rMin = -0.75
    o.rMax = 3.75
    let p = try FitProblem.load(card: card, physics: PhysicsModelChoice(), options: o)
    var g = GridScanOptions()
    g.points = 2000
    let scan = try GridScan.run(p, options: g, saveNuisances: false, mass: 125)
    runs.append((cpu() - c0, now() - w0, scan.meanCallsPerPoint, scan.points.count))
    problem = p
  }
  let bestRun = runs.min { $0.cpu < $1.cpu }!
  // Baseline: one NLL + gradient evaluation at the best fit.
  let p = problem!
  let x = try p.bestFit().x
  var grad = [Double](repeating: 0, count: x.count)
  var t = Double.infinity
  for _ in 0..<3 {
    let w = now()
    for _ in 0..<2000 { _ = x.withUnsafeBufferPointer { xb in grad.withUnsafeMutableBufferPointer { p.nll.valueAndGradient(xb, $0) } } }
    t = min(t, (now() - w) / 2000)
  }
  print("CMS H→ττ CI card (htt_multiple_regions, -m 125, \(x.count) parameters): 2000-point profiled scan of r ∈ [−0.75, 3.75], parse included (minimum of 3 runs)")
  print(String(format: "  %.2f s CPU, %.2f s wall, %d points, %.1f NLL+gradient calls per point; one call %.1f µs, so %.0f calls' worth of CPU per point", bestRun.cpu, bestRun.wall, bestRun.points, bestRun.calls, t * 1e6, bestRun.cpu / Double(bestRun.points) / t))
  print(String(format: "  Combine v10.6.0: 13.2 s CPU (TIMINGS.md): ratio %.1f×", 13.2 / bestRun.cpu))
}
// RECOMBINE_BENCH_ONLY=NAME runs one section alone (eftglobal and large run only so).
if let only = ProcessInfo.processInfo.environment["RECOMBINE_BENCH_ONLY"] {
  let sharedFolder = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "../shared"
  let sections: [String: () throws -> Void] = [
    "htt": { try httScanBench(shared: sharedFolder) }, "eftglobal": { try eftGlobalBench() },
    "large": { try largeModelBench() }, "workspace": { try workspaceBench(shared: sharedFolder) },
    "statistics": { try statisticsBench(shared: sharedFolder) }, "scale": { try scaleBench() },
  ]
  guard let section = sections[only] else {
    FileHandle.standardError.write(Data("RECOMBINE_BENCH_ONLY=\(only): no such section (\(sections.keys.sorted().joined(separator: ", ")))\n".utf8))
    exit(2)
  }
  try section()
  exit(0)
}

func now() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Minimum wall time of `body` over `reps` runs (seconds).
func timeMin(_ reps: Int, _ body: () throws -> Void) rethrows -> Double {
  var best = Double.infinity
  for _ in 0..<reps {
    let t0 = now()
    try body()
    best = min(best, now() - t0)
  }
  return best
}

func fmt(_ s: Double) -> String { s < 1e-3 ? String(format: "%.1f µs", s * 1e6) : String(format: "%.2f ms", s * 1e3) }

let shared = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "../shared"
let corpus = shared + "/reference/corpus"
let fm = FileManager.default

// 1. Largest corpus card: parse, and parse + validate (parse-only: its inputs are workspaces).
let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: corpus + "/manifest.json"))) as! [[String: Any]]
let largest = manifest.max { ($0["bytes"] as! Int) < ($1["bytes"] as! Int) }!
let largestPath = corpus + "/" + (largest["path"] as! String)
let bytes = largest["bytes"] as! Int
var sink = 0
let baseline = try timeMin(5) {
  let text = try readTextFile(largestPath)
  for line in text.split(separator: "\n") { sink &+= line.split(whereSeparator: { $0 == " " || $0 == "\t" }).count }
}
let parse = try timeMin(5) { sink &+= try Datacard.parse(contentsOf: largestPath).columns.count }
var vopts = ValidationOptions()
vopts.parseOnly = true
let validate = try timeMin(5) {
  let card = try Datacard.parse(contentsOf: largestPath)
  sink &+= Validator.validate(card, options: vopts).warnings.count
}
print("Largest corpus card: \(largest["path"]!) (\(bytes) bytes)")
print("  read + split into tokens (baseline): \(fmt(baseline))")
print("  parse:             \(fmt(parse))   (\(String(format: "%.1f", parse / baseline))× baseline, \(String(format: "%.1f", Double(bytes) / parse / 1e6)) MB/s)")
print("  parse + validate:  \(fmt(validate))   (\(String(format: "%.1f", validate / baseline))× baseline)")

// 2. Every reference ROOT file: open and read every histogram.
var rootFiles: [String] = []
if let e = fm.enumerator(atPath: shared + "/reference") {
  for case let p as String in e where p.hasSuffix(".root") { rootFiles.append(shared + "/reference/" + p) }
}
rootFiles.sort()
var totalBytes = 0
for f in rootFiles { totalBytes += (try? fm.attributesOfItem(atPath: f)[.size] as? Int) ?? 0 }
var nHist = 0
let rawRead = try timeMin(5) { for f in rootFiles { sink &+= try Data(contentsOf: URL(fileURLWithPath: f)).count } }
let readAll = try timeMin(5) {
  nHist = 0
  for f in rootFiles {
    let file = try ROOTFile(path: f)
    for p in try file.allHistogramPaths() {
      sink &+= try file.histogram(p).values.count
      nHist += 1
    }
  }
}
print("Reference ROOT files: \(rootFiles.count) files, \(totalBytes) bytes, \(nHist) histograms")
print("  raw file read (baseline): \(fmt(rawRead))")
print("  open + decompress + read every histogram: \(fmt(readAll))   (\(String(format: "%.1f", readAll / rawRead))× baseline, \(String(format: "%.1f", readAll / Double(max(nHist, 1)) * 1e6)) µs per histogram)")


// 3. Likelihood: NLL + gradient evaluations per second on the reference cards.
func cpuTime() -> Double {
  var u = rusage()
  getrusage(RUSAGE_SELF.rawValue, &u)
  return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
}

let refCards: [(String, Double)] = [
  ("counting_part1/card/datacard_part1.txt", 120),
  ("shapes_simple_TH1/card/simple-shapes-TH1.txt", 120),
  ("template_CAT23001/card/datacard-2-template-analysis.txt", 120),
  ("longexercise_part3_combined/card/part3_combined.txt", 200),
  ("ci_template_shapeInterp/card/template-analysis_shapeInterp.txt", 200),
]
print("NLL + analytic gradient (release, one thread):")
for (rel, mass) in refCards {
  let card = try Datacard.parse(contentsOf: shared + "/reference/combine/" + rel)
  let model = try CompiledModel.compile(card, mass: mass)
  let nll = try NLL(model: model)
  var x = model.initialValues
  var g = [Double](repeating: 0, count: x.count)
  let reps = 2000
  var acc = 0.0
  let t = timeMin(3) {
    for k in 0..<reps {
      x[0] = 1 + 1e-6 * Double(k & 7)
      acc += x.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { nll.valueAndGradient(xb, $0) } }
    }
  }
  sink &+= Int(acc.isFinite ? 1 : 0)
  let name = rel.split(separator: "/").first.map(String.init) ?? rel
  print("  " + name.padding(toLength: 30, withPad: " ", startingAt: 0) + String(format: "%5d bins %4d params %10.0f evaluations/s (%.2f µs)", model.binCount, model.parameters.count, Double(reps) / t, t / Double(reps) * 1e6))
}

// 4. 1000-point profiled scans of r (Combine: --rMin -1 --rMax 2 --algo grid --points 1000).
@MainActor func scanBench(_ label: String, cards: [String], mass: Double) throws {
  let cpu0 = cpuTime(), wall0 = now()
  let card: Datacard
  if cards.count == 1 {
    card = try Datacard.parse(contentsOf: cards[0])
  } else {
    card = try combineCards(cards.enumerated().map { (["signal_region", "ttbar_cr", "DY_cr"][$0.offset], $0.element) })
  }
  var full = card
  if cards.count > 1 {
    // The tutorial's rateParams, as appended to part3_combined.txt.
    full = try Datacard.parse(text: DatacardWriter.write(card) + "rate_ttbar rateParam * ttbar 1.0 [0,5]\nrate_Zll rateParam * Ztautau 1.0 [0,5]\nrate_Zll rateParam * Zmumu 1.0 [0,5]\n",
                              path: cards[0])
  }
  let model = try CompiledModel.compile(full, mass: mass)
  var setup = FitSetup(model: model)
  try setup.setFirstPOIRange(min: -1, max: 2)
  let nll = try NLL(model: model)
  let specs = setup.parameterSpecs(model: model)
  let best = Minimizer().minimize(nll, parameters: specs)
  let wallFit = now() - wall0
  var o = GridScanOptions()
  o.points = 1000
  let w1 = now()
  let pts = try GridScan.run(model: model, data: nll.data, specs: specs, best: best, axes: [model.index(of: "r")!], options: o)
  let wallScan = now() - w1
  let wall = now() - wall0, cpu = cpuTime() - cpu0
  // Baseline in the same process: one NLL + gradient evaluation.
  var g = [Double](repeating: 0, count: best.x.count)
  let one = timeMin(3) { for _ in 0..<200 { sink &+= Int(best.x.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { nll.valueAndGradient(xb, $0) } }) } } / 200
  print(String(format: "  %@: %d points, %d parameters; parse+compile+fit %.3f s, scan %.3f s wall; total %.3f s wall, %.3f s CPU (%d threads); %.2f thread-ms per point (wall × threads / points) = %.0f× one NLL+gradient evaluation",
               label, pts.count, model.parameters.count, wallFit, wallScan, wall, cpu, o.threads, wallScan / Double(max(pts.count, 1)) * 1e3 * Double(o.threads), wallScan * Double(o.threads) / Double(max(pts.count, 1)) / one))
}
let le = shared + "/reference/combine/longexercise_part3_combined/card/"
print("1000-point scans of r ∈ [−1, 2] (Combine needs 1.4 s CPU for the single-card scan, start-up included):")
try scanBench("signal region alone (-m 200)", cards: [le + "datacard_part3.txt"], mass: 200)
try scanBench("long-exercise combination", cards: [le + "datacard_part3.txt", le + "datacard_part3_ttbar_cr.txt", le + "datacard_part3_DY_cr.txt"], mass: 200)
try httScanBench(shared: shared)

if sink == 42 { print("") }

// 6. Boosted Information Trees: training on the ZH toy (500k events, 15 features, 3 Wilson
// coefficients → 9 learned coefficient functions, 100 trees, depth 4, histogram splits, all
// cores). The reference (numpy, single thread) needs about 6.6 CPU-s per tree here, 11 CPU-min
// for 100 trees. Guard: 5 trees first; if 100 would take more than RECOMBINE_BENCH_BIT_BUDGET
// seconds (default 120), only as many trees as fit are trained and the rest is extrapolated.
// RECOMBINE_BENCH_BIT_EVENTS overrides the number of events.

@MainActor func bitBench() throws {
  let pdfs = shared + "/reference/bit/zh-pdf-tables"
  guard fm.fileExists(atPath: pdfs + "/pdf_u.txt") else { print("BIT training: skipped (no ZH PDF tables at \(pdfs))"); return }
  let env = ProcessInfo.processInfo.environment
  let n = env["RECOMBINE_BENCH_BIT_EVENTS"].flatMap { Int($0) } ?? 500_000
  let budget = env["RECOMBINE_BENCH_BIT_BUDGET"].flatMap { Double($0) } ?? 120
  let g0 = now()
  let events = try ZHToy(pdfDirectory: pdfs).generate(count: n, seed: 1)
  let tGen = now() - g0
  var config = BITConfig(trees: 5, learningRate: 0.2, maxDepth: 4, minSize: 15)
  let c0 = cpuTime(), w0 = now()
  let probe = try trainBIT(events, config: config)
  let probeWall = now() - w0, probeCPU = cpuTime() - c0
  let perTree = probeWall / 5
  config.trees = perTree * 100 <= budget ? 100 : max(5, Int(budget / perTree))
  let c1 = cpuTime(), w1 = now()
  let model = try trainBIT(events, config: config)
  let wall = now() - w1, cpu = cpuTime() - c1
  let scale = 100 / Double(config.trees)
  let threads = ProcessInfo.processInfo.activeProcessorCount
  print(String(format: "BIT training, ZH toy: %d events (generated in %.2f s), 15 features, 9 coefficient functions, depth 4, %d threads:", n, tGen, threads))
  print(String(format: "  5-tree probe %.2f s wall, %.2f s CPU; loss/L0 after 5 trees %.4g", probeWall, probeCPU, (probe.history.last?.loss ?? 0) / probe.initialLoss))
  print(String(format: "  %d trees: %.2f s wall, %.2f s CPU (%.3f s wall, %.3f s CPU per tree); loss/L0 %.4g%@",
               config.trees, wall, cpu, wall / Double(config.trees), cpu / Double(config.trees),
               (model.history.last?.loss ?? 0) / model.initialLoss,
               config.trees == 100 ? "" : String(format: "; 100 trees ≈ %.1f s wall, %.1f s CPU (extrapolated)", wall * scale, cpu * scale)))
  print(String(format: "  reference (numpy): ≈ 660 CPU-s for 100 trees → %.0f× less CPU, target < 20 s wall on 2 cores", 660 / (cpu * scale)))
}
try bitBench()

// EFT benchmark card: 4 channels × 50 bins, one signal with 26 WCs per bin, 2 backgrounds, 10 lnN,
// autoMCStats. Model build time, and a 50-point scan of c0 with the other 25 WCs profiled.
@MainActor func eftBench() throws {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("recombine-eft-bench").path
  let files = try EFTBenchmarkCard.write(to: dir)
  let t0 = now()
  let card = try Datacard.parse(contentsOf: files.card)
  let eft = try EFTParametrisation.read(path: files.eft).compile()
  let model = try CompiledModel.compile(card, physics: EFTPhysicsModel(model: eft))
  let build = now() - t0
  var setup = FitSetup(model: model)
  let data = setup.makeAsimov(model: model, expectSignal: 1)
  let nll = try NLL(model: model, data: data)
  let specs = setup.parameterSpecs(model: model)
  var g = [Double](repeating: 0, count: specs.count)
  let x = model.initialValues
  let eval = timeMin(3) { for _ in 0..<200 { sink &+= Int(x.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { nll.valueAndGradient(xb, $0) } }) } } / 200
  let t1 = now()
  let best = Minimizer().minimize(nll, parameters: specs)
  let fit = now() - t1
  var narrow = specs
  narrow[model.pois[0]].lower = -0.5
  narrow[model.pois[0]].upper = 0.5
  var o = GridScanOptions()
  o.points = 50
  let c0 = cpuTime(), t2 = now()
  let scan = try GridScan.run(model: model, data: data, specs: narrow, best: best, axes: [model.pois[0]], options: o)
  let wall = now() - t2, cpu = cpuTime() - c0
  print("EFT benchmark card (\(model.binCount) bins, \(model.pois.count) WCs, \(model.parameters.count) parameters):")
  print(String(format: "  model build (parse + read shapes + EFT file + compile): %.3f s", build))
  print(String(format: "  NLL + gradient: %.1f µs; best fit: %.3f s", eval * 1e6, fit))
  print(String(format: "  50-point scan of c0, 25 WCs profiled: %d points, %.2f s wall, %.2f s CPU (%d threads), %.1f ms per point",
               scan.count, wall, cpu, o.threads, wall / Double(max(scan.count, 1)) * 1e3))
}
try eftBench()
if sink == 42 { print("") }

// The demo's main steps on the example analyses (Datacards/): each timed in this process.
@MainActor func demoSteps() throws {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  let cards = root.appendingPathComponent("Datacards")
  let combination = cards.appendingPathComponent("combination.txt").path
  guard FileManager.default.fileExists(atPath: combination) else { print("demo steps: Datacards/ not found, skipped"); return }
  print("Demo steps (Datacards/combination.txt, EFT combination_eft.json):")
  var t = now()
  let card = try Datacard.parse(contentsOf: combination)
  print(String(format: "  parse the combined card: %.3f s", now() - t))
  t = now()
  let report = Validator.validate(card)
  print(String(format: "  validate (reads every template): %.3f s, %d histograms", now() - t, report.histogramsRead))
  t = now()
  _ = try combineCards([("hzz4l", cards.appendingPathComponent("hzz4l/hzz4l.txt").path),
                        ("tth", cards.appendingPathComponent("tth-multilepton/tth.txt").path)])
  print(String(format: "  combine-cards: %.3f s", now() - t))
  t = now()
  let eft = try EFTParametrisation.read(path: cards.appendingPathComponent("combination_eft.json").path).compile()
  let model = try CompiledModel.compile(card, physics: EFTPhysicsModel(model: eft))
  print(String(format: "  compile the EFT model (%d bins, %d parameters): %.3f s", model.binCount, model.parameters.count, now() - t))
  let setup = FitSetup(model: model)
  let nll = try NLL(model: model)
  var specs = setup.parameterSpecs(model: model)
  let g = model.index(of: "chgXE3")!, w = model.index(of: "chwXE2")!
  for k in model.pois where k != g && k != w { specs[k].fixed = true }
  specs[g].lower = -12; specs[g].upper = 22; specs[w].lower = -450; specs[w].upper = 200
  t = now()
  var fitSpecs = specs
  fitSpecs[w].fixed = true
  let best = Minimizer().minimize(nll, parameters: fitSpecs)
  print(String(format: "  best fit: %.3f s", now() - t))
  var o = GridScanOptions()
  o.points = 40
  t = now()
  _ = try GridScan.run(model: model, data: nll.data, specs: fitSpecs, best: best, axes: [g], options: o)
  print(String(format: "  1D scan, 40 points: %.3f s", now() - t))
  let best2 = Minimizer().minimize(nll, parameters: specs)
  o.points = 900
  t = now()
  _ = try GridScan.run(model: model, data: nll.data, specs: specs, best: best2, axes: [g, w], options: o)
  print(String(format: "  2D scan c_HG × c_HW, 900 points: %.3f s", now() - t))
}
try demoSteps()

/// Fit diagnostics and toys on H→4ℓ (18 channels, m4ℓ templates, autoMCStats), each against the
/// best fit of the same process as baseline.
func diagnosticsAndToys() throws {
  let cards = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Datacards")
  let model = try CompiledModel.compile(try Datacard.parse(contentsOf: cards.appendingPathComponent("hzz4l/hzz4l.txt").path))
  let nll = try NLL(model: model)
  let specs = model.parameters.map { ParameterSpec(name: $0.name, value: $0.initial, lower: $0.lower, upper: $0.upper, step: $0.step) }
  print("Fit diagnostics and toys (Datacards/hzz4l/hzz4l.txt, \(model.binCount) bins, \(model.parameters.count) parameters):")
  var t = now()
  let best = Minimizer().minimize(nll, parameters: specs)
  let tFit = now() - t
  print(String(format: "  best fit (baseline): %.3f s", tFit))
  t = now()
  let cov = Minimizer().hesse(nll, at: best.x, parameters: specs).covariance
  let floating = Array(specs.indices)
  _ = try yieldTable(nll: nll, at: model.initialValues, distribution: .prefit(fixed: []), method: .linear)
  _ = try yieldTable(nll: nll, at: best.x, distribution: .postfit(covariance: cov, floating: floating), method: .linear)
  let tLin = now() - t
  print(String(format: "  HESSE + pre-/post-fit yields, linear: %.3f s (%.1f× the fit)", tLin, tLin / tFit))
  t = now()
  _ = try yieldTable(nll: nll, at: best.x, distribution: .postfit(covariance: cov, floating: floating), method: .sampling(toys: 200, seed: 1))
  let tSmp = now() - t
  print(String(format: "  post-fit yields, 200 resampled parameter sets: %.3f s (%.1f× the fit)", tSmp, tSmp / tFit))
  var x = model.initialValues
  x[model.pois[0]] = 1
  t = now()
  let fits = try Toys.fit(generator: ToyGenerator(model: model, observed: nll.data, seed: 1), generating: x, nuisances: .prior,
                          fixed: [], specs: specs, targets: model.pois, intervals: false, delta: 0.5, count: 100)
  let tToys = now() - t
  print(String(format: "  100 toys generated and fitted (%d threads): %.3f s wall, %.1f ms wall per toy (%.1f× the fit), %d converged",
               ProcessInfo.processInfo.activeProcessorCount, tToys, 1000 * tToys / 100, tToys / 100 / tFit, fits.filter { $0.best.status.isConverged }.count))
}
try diagnosticsAndToys()
try statisticsBench(shared: shared)
try workspaceBench(shared: shared)
if sink == 42 { print("") }
try scaleBench()
