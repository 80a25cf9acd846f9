//===--- HybridNewCommand.swift -------------------------------------------===//
// `recombine hybrid`: Combine's -M HybridNew --LHCmode LHC-limits (toy-based CLs).
//===----------------------------------------------------------------------===//

import ArgumentParser
import Batch
import Foundation
import Inference
import Support

struct HybridNewCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hybrid",
    abstract: "Toy-based CLs (Combine's -M HybridNew --LHCmode LHC-limits): CLs at one point (--singlePoint) or the observed limit; --LHCmode LHC-significance: the toy-based significance; --LHCmode LHC-feldman-cousins: Feldman–Cousins regions from a grid.",
    discussion: """
      Test statistic: LHC (q̃_μ, r̂ constrained to [0, μ]) by default, or Profile (two-sided). Toys of s+b \
      at μ and of b at 0, each generated at the nuisances' conditional fit to the data with drawn global \
      observables and fitted with their own, in Combine's batches: -T s+b toys and T/4 b toys (CLs+b: \
      T/100 + 1; --fullBToys: T), more batches until the CL's error is below --clsAcc (0: one batch). \
      The limit search starts at the asymptotic limit, brackets the crossing of 1 − CL and refines it \
      (--rAbsAcc, --rRelAcc, --clsAcc); each point uses fresh toys. LHC-feldman-cousins: p_μ per point, \
      the region from a grid (--singlePoint --saveGrid, --grid, or --grid-points as a job array).
      """)

  @OptionGroup var model: ModelOptions

  @Option(name: .customLong("LHCmode"), help: "LHC-limits (default), LHC-significance or LHC-feldman-cousins (with --singlePoint or --grid).")
  var lhcMode: String?

  @Option(name: .customLong("testStat"), help: "LHC (q̃_μ with LHC-style toys, default), Profile (alias PL: two-sided, LHC-style toys), or without --LHCmode TEV or LEP (Combine's hybrid toys).")
  var testStat: String?

  @Option(name: .customLong("rule"), help: "CLs (default), or CLsplusb (alias Pmu: p_μ = CL_s+b).")
  var rule: String = "CLs"

  @Option(name: .customShort("T"), help: "s+b toys per batch (b-only: a quarter, see --fullBToys; LHC-significance: the background-only toys).")
  var toysPerPoint: Int = 500

  @Option(name: .customLong("singlePoint"), parsing: .unconditional, help: "Only CLs at this value of the POI.")
  var singlePoint: Double?

  @Option(name: .customLong("saveGrid"), help: "With --singlePoint: save the point's toys here (JSON) for a grid computed in separate jobs.")
  var saveGrid: String?

  @Option(name: .customLong("grid"), help: "Compute the limit (or region) from these saved grid points (repeatable; JSON files of --saveGrid, or a job directory of --grid-points), no toys run.")
  var grid: [String] = []

  @Option(name: .customLong("grid-points"), help: "Plan a grid as a job array, one job per point (--singlePoint μ --saveGrid): lo:hi:n (n points) or a,b,c; with --job-mode (interactive runs them and reads the grid).")
  var gridPoints: String?

  @OptionGroup(title: "Job splitting (grid)") var jobs: JobOptions

  @Option(name: .customLong("expectedFromGrid"), parsing: .unconditional, help: "With --grid: the expected limit at this quantile (0.5 median, 0.16/0.84 the 68% band, 0.025/0.975).")
  var expectedFromGrid: Double?

  @Option(name: .customLong("cl"), help: "Confidence level of the limit.")
  var cl: Double = 0.95

  @Option(name: .customLong("rAbsAcc"), help: "Absolute accuracy of the limit search.")
  var rAbsAcc: Double = 0.1

  @Option(name: .customLong("rRelAcc"), help: "Relative accuracy of the limit search.")
  var rRelAcc: Double = 0.05

  @Option(name: .customLong("clsAcc"), help: "Accuracy of CLs (CLs+b with --rule Pmu): a point gets further batches of -T toys until its error is below this (a limit-search point also stops once 3 errors from 1 − CL); 0: one batch. The search stops when CLs is this close to 1 − CL.")
  var clsAcc: Double = 0.005

  @Flag(name: .customLong("fullBToys"), help: "As many b-only toys as s+b toys (Combine's default: a quarter for CLs, 1% + 1 for CLs+b).")
  var fullBToys = false

  @Option(name: [.customLong("threads"), .customLong("fork")], help: "Worker threads (default: all cores; --fork N as Combine's).")
  var threads: Int?

  @Option(name: .customLong("csv"), help: "Write the limit-tree row here (limit = CLs with --singlePoint, else the limit).")
  var csv: String?

  @Option(name: .customLong("json"), help: "Also write the limit-tree rows here as JSON (one object per row).")
  var json: String?

  @Option(name: .customLong("root"), help: "Write Combine's output file (limit tree) here.")
  var root: String?

  func run() throws {
    try runReportingErrors {
      let mode = lhcMode ?? "LHC-limits"
      guard ["LHC-limits", "LHC-significance", "LHC-feldman-cousins"].contains(mode) else {
        throw UsageError("--LHCmode \(mode) is not supported (LHC-limits, LHC-significance and LHC-feldman-cousins are)")
      }
      let fc = mode == "LHC-feldman-cousins"
      let statName = testStat.map { $0 == "PL" ? "Profile" : $0 } ?? (fc ? "Profile" : "LHC")
      guard let statistic = HybridTestStatistic(rawValue: statName) else { throw UsageError("--testStat must be LHC, Profile (PL), TEV or LEP") }
      if fc {
        guard statistic == .profile else { throw UsageError("--LHCmode LHC-feldman-cousins uses the Profile test statistic; give --testStat \(statName) without --LHCmode") }
        guard singlePoint != nil || !grid.isEmpty || gridPoints != nil else {
          throw UsageError("--LHCmode LHC-feldman-cousins needs --singlePoint X (one grid point, with --saveGrid), --grid FILES (the region from saved points) or --grid-points (both, as a job array), as Combine's")
        }
        guard expectedFromGrid == nil else { throw UsageError("--expectedFromGrid does not apply to LHC-feldman-cousins") }
      } else if lhcMode != nil {
        guard statistic == .lhc || statistic == .profile else {
          throw UsageError("--LHCmode \(mode) uses LHC-style toys; give --testStat \(statName) without --LHCmode")
        }
      }
      var o = HybridNewOptions()
      switch rule {
      case "CLs": o.rule = fc ? .pmu : .cls
      case "CLsplusb", "Pmu": o.rule = .pmu
      default: throw UsageError("--rule must be CLs or CLsplusb (Pmu)")
      }
      guard toysPerPoint >= 10 else { throw UsageError("-T must be at least 10") }
      guard cl > 0 && cl < 1 else { throw UsageError("--cl must be in (0, 1)") }
      o.toys = toysPerPoint; o.cl = cl; o.seed = model.seed
      o.testStatistic = statistic
      o.fullBToys = fullBToys
      guard clsAcc >= 0 else { throw UsageError("--clsAcc must be ≥ 0") }
      o.rAbsAcc = rAbsAcc; o.rRelAcc = rRelAcc; o.clsAcc = clsAcc
      if let threads { o.threads = max(1, threads) }
      if let spec = gridPoints {
        guard singlePoint == nil, grid.isEmpty, saveGrid == nil else { throw UsageError("--grid-points plans the points itself: give it without --singlePoint, --saveGrid or --grid") }
        let values = try Self.gridValues(spec)
        let named = try model.boundedProblem()
        let taskName = jobs.taskName ?? "recombine_hybrid"
        guard !taskName.isEmpty, !taskName.contains("/") else { throw UsageError("--task-name must be a plain file name") }
        let arguments = JobSplitting.removingOptions(
          commandLineArguments(after: "hybrid"),
          withValue: JobOptions.optionsWithValue.union(["--grid-points", "--csv", "--root", "--saveGrid"]), flags: JobOptions.flags)
        let cwd = FileManager.default.currentDirectoryPath
        let manifest = try ScanJobManifest(
          taskName: taskName, jobMode: try jobs.mode, jobDirectory: absolutePath(jobs.jobDir ?? cwd), workingDirectory: cwd,
          executable: absolutePath(jobs.jobBinary ?? currentExecutable()), hybridArguments: arguments,
          poi: named.model.parameters[named.targets[0]].name, values: values, mergedOutput: csv.map(absolutePath))
        var fileOptions = ScanJobFiles.Options(subOptions: jobs.subOpts)
        fileOptions.cpus = threads
        let written = try ScanJobFiles.write(manifest, options: fileOptions)
        printError("hybrid: \(values.count) grid points in \(values.count) jobs; wrote \(written.joined(separator: ", "))")
        try JobRunner.run(manifest, dryRun: jobs.dryRun, mergeJob: jobs.mergeJob, reporter: .cli) { _ in
          try evaluateGrid([manifest.jobDirectory], options: o, fc: fc)
        }
        return
      }
      guard jobs.isDefault else { throw UsageError("--job-mode, --dry-run, --job-dir, --task-name, --sub-opts, --job-binary and --merge-job need --grid-points") }
      if !grid.isEmpty {
        try evaluateGrid(grid, options: o, fc: fc)
        return
      }
      try runPoints(options: o, fc: fc, statistic: statistic, mode: mode)
    }
  }

  /// `--grid-points`: lo:hi:n (n evenly spaced points, ends included) or a comma list.
  static func gridValues(_ spec: String) throws -> [Double] {
    if spec.contains(":") {
      let p = spec.split(separator: ":").map(String.init)
      guard p.count == 3, let lo = Double(p[0]), let hi = Double(p[1]), let n = Int(p[2]), n >= 2, lo < hi else {
        throw UsageError("--grid-points \(spec): expected lo:hi:n with lo < hi and n ≥ 2, or a,b,c")
      }
      // Rounded to 12 significant digits: the job script shows 0.6, not 0.6000000000000001.
      return (0..<n).map { Double(String(format: "%.12g", lo + (hi - lo) * Double($0) / Double(n - 1)))! }
    }
    let v = spec.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard !v.isEmpty, v.allSatisfy({ $0 != nil }) else { throw UsageError("--grid-points \(spec): expected lo:hi:n or a,b,c") }
    return v.map { $0! }.sorted()
  }

  /// The limit, expected limit or Feldman–Cousins region from saved grid points (files, or job
  /// directories: every *.json there but the manifest).
  func evaluateGrid(_ sources: [String], options o: HybridNewOptions, fc: Bool) throws {
    var files: [String] = []
    for src in sources {
      var isDir: ObjCBool = false
      if FileManager.default.fileExists(atPath: src, isDirectory: &isDir), isDir.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: src)) ?? []
        let found = names.filter { $0.hasSuffix(".json") && !$0.hasSuffix(".manifest.json") }.sorted()
        guard !found.isEmpty else { throw UsageError("--grid \(src): the directory holds no grid files (*.json)") }
        files += found.map { (src as NSString).appendingPathComponent($0) }
      } else {
        files.append(src)
      }
    }
    // Points saved by separate jobs: merged by μ (a μ saved twice pools its toys).
    var byMu: [Double: HybridGridPoint] = [:]
    for file in files {
      let data = try Data(contentsOf: URL(fileURLWithPath: file))
      let pts: [HybridGridPoint]
      do { pts = try JSONDecoder().decode([HybridGridPoint].self, from: data) } catch {
        throw UsageError("\(file): not a HybridNew grid file (--saveGrid): \(error)")
      }
      for p in pts {
        if var q = byMu[p.mu] {
          q.signalPlusBackground += p.signalPlusBackground
          q.background += p.background
          byMu[p.mu] = q
        } else { byMu[p.mu] = p }
      }
    }
    if fc {
      let region = try HybridNew.feldmanCousins(grid: Array(byMu.values), options: o)
      print(String(format: "\n -- HybridNew, Feldman–Cousins (grid of %d points) --", byMu.count))
      print(String(format: "%.0f%% confidence region (p_mu > %.4g):", 100 * cl, 1 - cl))
      var rows: [[Double]] = []
      let named = try model.boundedProblem()
      let poi = named.model.parameters[named.targets[0]].name
      for iv in region.intervals {
        switch (iv.lower, iv.upper) {
        case let (lo?, hi?):
          print(String(format: "  %.4f (+/- %.4f) < %@ < %.4f (+/- %.4f)", lo, iv.lowerError, poi, hi, iv.upperError))
          rows += [[lo, iv.lowerError, model.mass, 0, 1 - cl], [hi, iv.upperError, model.mass, 0, 1 - cl]]
        case let (nil, hi?):
          print(String(format: "  %@ < %.4f (+/- %.4f)   (p_mu > %.4g down to the grid's first point %g)", poi, hi, iv.upperError, 1 - cl, iv.edgeLower))
          rows.append([hi, iv.upperError, model.mass, 0, 1 - cl])
        case let (lo?, nil):
          print(String(format: "  %@ > %.4f (+/- %.4f)   (p_mu > %.4g up to the grid's last point %g)", poi, lo, iv.lowerError, 1 - cl, iv.edgeUpper))
          rows.append([lo, iv.lowerError, model.mass, 0, 1 - cl])
        case (nil, nil):
          print("  every grid point (\(iv.edgeLower) to \(iv.edgeUpper)) is accepted")
        }
      }
      if region.intervals.isEmpty { print("  no grid point is accepted (p_mu <= \(1 - cl) everywhere)") }
      try writeLimitTree(LimitTreeTable(header: LimitTreeTable.limitHeader, values: rows), csv: csv, root: root, json: json, model: model)
      return
    }
    if let q = expectedFromGrid { guard q > 0 && q < 1 else { throw UsageError("--expectedFromGrid must be in (0, 1)") } }
    let r = try HybridNew.limit(grid: Array(byMu.values), quantile: expectedFromGrid, options: o)
    let what = expectedFromGrid.map { String(format: "Expected %.1f%%", 100 * $0) } ?? "Limit"
    print(String(format: "\n -- HybridNew (grid of %d points) --\n%@: r < %.4f +/- %.4f @ %.0f%% CL", byMu.count, what, r.limit, r.error, 100 * cl))
    try writeLimitTree(LimitTreeTable(header: LimitTreeTable.limitHeader, values: [[r.limit, r.error, model.mass, 0, expectedFromGrid ?? -1]]),
                       csv: csv, root: root, json: json, model: model)
  }

  /// Toys run here: one point (--singlePoint), the limit search, or the significance.
  func runPoints(options o: HybridNewOptions, fc: Bool, statistic: HybridTestStatistic, mode: String) throws {
    let problem = try model.boundedProblem()
    let name = problem.model.parameters[problem.targets[0]].name
    if mode == "LHC-significance" {
      let z = try HybridNew.significance(problem, options: o)
      print("\n -- HybridNew, frequentist significance (LHC) --")
      print(String(format: "q0_obs = %.4g; %d of %d background-only toys with q0 >= q0_obs", z.q0, z.passing, z.toys))
      print(String(format: "p-value = %.4g +/- %.2g%@", z.pValue, z.pError, z.passing == 0 ? " (no toy reached it: p < 1/N, Z > the value below)" : ""))
      print(String(format: "Significance: %.4f", z.significance))
      try writeLimitTree(LimitTreeTable(header: LimitTreeTable.limitHeader, values: [[z.significance, 0, model.mass, 0, -1]]),
                         csv: csv, root: root, json: json, model: model)
      return
    }
    func show(_ p: CLsPoint) {
      print(String(format: "%@ = %.4g: CLs = %.4f ± %.4f, CLs+b = %.4f ± %.4f, CLb = %.4f ± %.4f (q_obs = %.4g; %d + %d toys)",
                   name, p.mu, p.cls, p.clsError, p.clsb, p.clsbError, p.clb, p.clbError, p.qObserved, p.toysSB, p.toysB))
    }
    let heading = fc ? "Feldman–Cousins point (Profile statistic, p_mu)" :
      statistic == .lhc ? "frequentist statistic (LHC)" : statistic == .profile ? "frequentist toys, Profile statistic" : "hybrid toys, \(statistic.rawValue) statistic"
    print("\n -- HybridNew, \(heading) --")
    if let mu = singlePoint {
      let g = try HybridNew.gridPoint(problem, mu: mu, options: o)
      let p = g.cls(observed: nil)
      show(p)
      if let saveGrid {
        let e = JSONEncoder()
        try writeFileAtomically(String(decoding: try e.encode([g]), as: UTF8.self) + "\n", to: saveGrid)
        print("wrote \(saveGrid)")
      }
      try writeLimitTree(LimitTreeTable(header: LimitTreeTable.limitHeader, values: [[p.value(o.rule), p.error(o.rule), model.mass, 0, -1]]),
                         csv: csv, root: root, json: json, model: model)
      return
    }
    var ao = AsymptoticLimitsOptions()
    ao.run = .observed
    ao.cl = cl
    let hint = try AsymptoticLimits.run(model: problem.model, data: problem.nll.data, specs: problem.specs, poi: problem.targets[0], options: ao).observed ?? 1
    print(String(format: "starting from the asymptotic limit %@ < %.4g", name, hint))
    let r = try HybridNew.limit(problem, hint: hint, options: o, progress: show)
    print(String(format: "\n -- HybridNew --\nLimit: %@ < %.4f +/- %.4f @ %.0f%% CL", name, r.limit, r.error, 100 * cl))
    try writeLimitTree(LimitTreeTable(header: LimitTreeTable.limitHeader, values: [[r.limit, r.error, model.mass, 0, -1]]),
                       csv: csv, root: root, json: json, model: model)
  }
}
