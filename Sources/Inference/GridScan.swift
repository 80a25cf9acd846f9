//===--- GridScan.swift ---------------------------------------------------===//
// Profile-likelihood grid scans (Combine's MultiDimFit --algo grid), in parallel and resumable.
//===----------------------------------------------------------------------===//

import Maths
import Dispatch
import Fit
import Foundation
import Likelihood
import Support

/// Options of a grid scan.
public struct GridScanOptions: Sendable {
  /// Total number of points; each of n axes gets ⌈points^(1/n)⌉ (Combine's rule) unless
  /// `pointsPerAxis` is given.
  public var points: Int = 50
  public var pointsPerAxis: [Int]? = nil
  /// Include the range ends (`--alignEdges 1`) instead of bin centres.
  public var alignEdges = false
  /// Worker threads (each with its own NLL instance).
  public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
  /// Only points with index in this range (job splitting: `--firstPoint/--lastPoint`).
  public var firstPoint: Int? = nil
  public var lastPoint: Int? = nil
  /// A checkpoint file: completed points are appended (and flushed) as they finish, and a scan
  /// started again with the same file skips them, so a killed scan loses no point.
  public var checkpoint: String? = nil
  /// Also start every point from the previous point's solution (each thread walks a contiguous
  /// run of points) and keep the lower minimum: profiled EFT scans can have several minima.
  public var neighbourStarts = true
  /// Extra starts per point with these parameters (typically the floating other POIs) drawn
  /// uniformly in their ranges (Combine's `--pointsRandProf`); the lowest minimum is kept.
  public var randomStarts = 0
  public var randomizedParameters: [Int] = []
  public var randomSeed: UInt64 = 123456
  /// Counts the objective calls (NLL, or NLL and gradient) of the points computed, if given.
  public var callCounter: ScanCallCounter? = nil
  public init() {}
}

/// One profiled grid point.
public struct ScanPoint: Sendable, Equatable {
  /// Flat point index: for axes (a₀, a₁, …) the last axis runs fastest (Combine: i·n_y + j).
  public var index: Int
  /// The scanned parameters' values.
  public var values: [Double]
  /// NLL(point, profiled) − NLL(best fit).
  public var deltaNLL: Double
  /// All parameter values at the profiled minimum.
  public var parameters: [Double]
}

public enum GridScan {
  /// Points per block of neighbour starts (see `run`).
  static let blockSize = 32

  /// The grid of one axis, where Combine puts it (§5.3): bin centres
  /// x_i = lo + (i + ½)(hi − lo)/n, or with `alignEdges` x_i = lo + i(hi − lo)/(n − 1);
  /// a single point sits at lo.
  public static func axisValues(lower lo: Double, upper hi: Double, count n: Int, alignEdges: Bool) -> [Double] {
    guard n > 1 else { return [lo] }
    let width = hi - lo
    var out: [Double] = []
    for i in 0..<n {
      if alignEdges {
        out.append(i == n - 1 ? hi : lo + Double(i) * width / Double(n - 1))
      } else {
        out.append(lo + (Double(i) + 0.5) * width / Double(n))
      }
    }
    return out
  }

  /// Points per axis for `points` total over `dimensions` axes: ⌈points^(1/n)⌉ (n = 1: points).
  public static func pointsPerAxis(_ points: Int, dimensions: Int) -> Int {
    dimensions == 1 ? points : Int((pow(Double(points), 1 / Double(dimensions)) - 1e-9).rounded(.up))
  }

  /// The scanned values of every grid point, by flat index (last axis fastest).
  public static func gridPoints(axes: [[Double]]) -> [[Double]] {
    let total = axes.reduce(1) { $0 * $1.count }
    return (0..<total).map { flat in
      var rem = flat
      var p = [Double](repeating: 0, count: axes.count)
      for a in stride(from: axes.count - 1, through: 0, by: -1) {
        p[a] = axes[a][rem % axes[a].count]
        rem /= axes[a].count
      }
      return p
    }
  }

  /// Profiles the NLL at every grid point of the parameters `axes` (indices into `specs`).
  ///
  /// Every point starts from the best fit with the best fit's covariance conditioned on the fixed
  /// parameters (a warm start: a few gradient calls per point), and — with `neighbourStarts` — also
  /// from the previous point's solution (linearly extrapolated along a straight run of points,
  /// `predictedStart`) with the previous point's final metric, plus `randomStarts` random starts;
  /// the lowest minimum is kept. Each thread's fits reuse one `MinimizerWorkspace`. Points run in parallel on `options.threads` threads, a block of 32 consecutive points at
  /// a time (each thread with its own NLL); the neighbour start of a point is its predecessor's
  /// solution within the block, so the numbers depend neither on the thread count nor on where an
  /// interrupted scan was resumed. Points whose minimisation fails are left out, as Combine does.
  /// Results are sorted by index.
  public static func run(model: CompiledModel, data: [Double], globalObservables: [Double]? = nil,
                         frozenBarlowBeeston: [Double]? = nil,
                         specs: [ParameterSpec], best: MinimizationResult, axes: [Int],
                         options: GridScanOptions = GridScanOptions()) throws -> [ScanPoint] {
    let perAxis = options.pointsPerAxis ?? Array(repeating: pointsPerAxis(options.points, dimensions: axes.count), count: axes.count)
    guard perAxis.count == axes.count, perAxis.allSatisfy({ $0 >= 1 }) else {
      throw LikelihoodError("need a positive number of points for each of the \(axes.count) scanned parameters")
    }
    for k in axes where !(specs[k].lower.isFinite && specs[k].upper.isFinite) {
      throw LikelihoodError("cannot scan '\(specs[k].name)': its range is not finite (use --setParameterRanges)")
    }
    // --points N over d POIs is ⌈N^(1/d)⌉ per axis: with many POIs (an EFT model scanned without
    // -P) that is 2^d points, a grid no one means to run.
    let total = perAxis.reduce(1.0) { $0 * Double($1) }
    guard total <= 1e7 else {
      throw LikelihoodError("the grid over \(axes.count) parameters (\(axes.prefix(4).map { specs[$0].name }.joined(separator: ", "))\(axes.count > 4 ? ", …" : "")) would have \(String(format: "%.3g", total)) points (\(perAxis[0]) per axis): choose the one or two to scan with -P (the others float with --floatOtherPOIs 1)")
    }
    let grids = zip(axes, perAxis).map { k, n in axisValues(lower: specs[k].lower, upper: specs[k].upper, count: n, alignEdges: options.alignEdges) }
    let all = gridPoints(axes: grids)
    let first = max(0, options.firstPoint ?? 0), last = min(all.count - 1, options.lastPoint ?? all.count - 1)
    guard first <= last else {
      throw LikelihoodError("--firstPoint \(options.firstPoint ?? 0) --lastPoint \(options.lastPoint ?? all.count - 1) select no point of the \(all.count)-point grid (0…\(all.count - 1))")
    }

    // A checkpoint is resumed only by the same scan: same grid, data, global observables, held
    // Barlow–Beeston-lite values, parameter settings and best fit (FNV-1a of their bit patterns).
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ v: Double) { h = (h ^ v.bitPattern) &* 0x100_0000_01b3 }
    for v in data { mix(v) }
    for v in globalObservables ?? [] { mix(v) }
    for v in frozenBarlowBeeston ?? [] { mix(v) }
    for p in specs { for v in [p.value, p.lower, p.upper, p.fixed ? 1 : 0] { mix(v) } }
    for v in best.x { mix(v) }
    mix(best.fval)
    let fingerprint = "axes=\(axes.map { specs[$0].name }) grid=\(grids) n=\(model.parameters.count) inputs=\(String(h, radix: 16))"
    var done: [Int: ScanPoint] = [:]
    var log: FileHandle? = nil
    var lock: Int32 = -1
    defer { if lock >= 0 { close(lock) } }
    if let cp = options.checkpoint {
      // One scan per checkpoint: a second process on the same --csv would interleave its points.
      lock = open(cp + ".lock", O_CREAT | O_RDWR, 0o644)
      guard lock >= 0 else {
        throw LikelihoodError("cannot create the lock \(cp).lock: \(String(cString: strerror(errno)))")
      }
      guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
        throw LikelihoodError("another scan is writing \(cp) (it holds \(cp).lock): wait for it, or give another --csv")
      }
      done = readCheckpoint(cp, fingerprint: fingerprint, grid: all, dimension: model.parameters.count)
      if done.isEmpty {
        try writeFileAtomically("# recombine scan checkpoint " + fingerprint + "\n", to: cp)
      }
      log = FileHandle(forWritingAtPath: cp)
      _ = try? log?.seekToEnd()
    }
    let todo = (first...last).filter { done[$0] == nil }
    let state = ScanState(results: done.filter { $0.key >= first && $0.key <= last }, log: log)
    // Fixed blocks of the grid, independent of the thread count and of where an earlier run stopped:
    // within a block the points run in order, each also started from its predecessor's solution
    // with its predecessor's metric. A block an earlier run left unfinished is walked again from
    // its start (its finished points are recomputed, not recorded: the checkpoint keeps them), so
    // a resumed scan makes the same starts, and gets the same numbers, as an uninterrupted one.
    let finished = Set(done.keys)
    // One pass over the (sorted) points to do: each pending block runs from its start (or
    // --firstPoint) to its last point to do.
    let blocks: [ClosedRange<Int>] = todo.reduce(into: []) { blocks, i in
      let start = max(first, i / Self.blockSize * Self.blockSize)
      if let last = blocks.last, last.lowerBound == start { blocks[blocks.count - 1] = start...i } else { blocks.append(start...i) }
    }
    // The best fit's covariance conditional on the scanned parameters: the same for every point.
    let n = specs.count
    let conditionalSeed = best.inverseHessian.flatMap { v in
      v.count == n * n ? conditionalCovariance(v, dimension: n, removing: axes.sorted()) : nil
    }
    let queue = WorkQueue<Void>(count: blocks.count)
    let threads = max(1, min(options.threads, blocks.count))
    try forEachWorker(threads: threads, model: model, data: data, globalObservables: globalObservables,
                      frozenBarlowBeeston: frozenBarlowBeeston) { _, nll in
      var minimizer = Minimizer()
      minimizer.workspace = MinimizerWorkspace()
      while let b = queue.next() {
        // The chain of this block: the last two solutions, with their indices.
        var previous: (index: Int, result: MinimizationResult)? = nil
        var beforePrevious: (index: Int, x: [Double])? = nil
        for idx in blocks[b] {
          var fixing: [Int: Double] = [:]
          for (a, k) in axes.enumerated() { fixing[k] = all[idx][a] }
          var best1: MinimizationResult? = nil
          var calls = 0
          func consider(_ r: MinimizationResult) {
            calls += r.nCalls
            guard r.status.isConverged else { return }
            if best1 == nil || r.fval < best1!.fval { best1 = r }
          }
          consider(minimizer.minimize(nll, parameters: specs, fixing: fixing, best: best, metric: conditionalSeed))
          if options.neighbourStarts, let p = previous, p.index == idx - 1 {
            consider(minimizer.minimize(nll, parameters: specs, fixing: fixing, best: best,
                                        start: Self.predictedStart(previous: p.result.x, beforePrevious: beforePrevious, at: idx, grid: all, specs: specs),
                                        metric: p.result.inverseHessian))
          }
          if options.randomStarts > 0 {
            // One stream per point: the starts do not depend on which thread runs the point.
            let rng = RandomStream(seed: options.randomSeed, index: UInt64(idx))
            for _ in 0..<options.randomStarts {
              var start = best.x
              for k in options.randomizedParameters where fixing[k] == nil && specs[k].lower.isFinite && specs[k].upper.isFinite {
                start[k] = specs[k].lower + rng.uniform() * (specs[k].upper - specs[k].lower)
              }
              consider(minimizer.minimize(nll, parameters: specs, fixing: fixing, best: best, start: start, metric: conditionalSeed))
            }
          }
          beforePrevious = previous.map { ($0.index, $0.result.x) }
          previous = best1.map { (idx, $0) }
          guard !finished.contains(idx) else { continue }  // recomputed for the chain only
          options.callCounter?.add(calls: calls)
          guard let r = best1 else { continue }
          state.record(ScanPoint(index: idx, values: all[idx], deltaNLL: r.fval - best.fval, parameters: r.x))
        }
      }
    }
    try? log?.close()
    if let cp = options.checkpoint, state.writeError == nil { unlink(cp + ".lock") }
    if let e = state.writeError, let cp = options.checkpoint {
      // Foundation wraps the POSIX error (ENOSPC, EFBIG, …): name that.
      let posix = ((e as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? $0.code : nil }
      let why = posix.map { String(cString: strerror(Int32($0))) } ?? e.localizedDescription
      throw LikelihoodError("cannot append to the scan checkpoint \(cp): \(why) (the points written so far are kept)")
    }
    return state.results.values.sorted { $0.index < $1.index }
  }

  /// The start of point `idx` from its predecessor's solution: on a straight run of equally spaced
  /// grid points (idx − 2, idx − 1, idx), the linear extrapolation x₋₁ + (x₋₁ − x₋₂) of the
  /// profiled parameters; otherwise x₋₁.
  static func predictedStart(previous x1: [Double], beforePrevious: (index: Int, x: [Double])?, at idx: Int,
                             grid all: [[Double]], specs: [ParameterSpec]) -> [Double] {
    guard let (i2, x2) = beforePrevious, i2 == idx - 2 else { return x1 }
    let v0 = all[idx], v1 = all[idx - 1], v2 = all[idx - 2]
    for a in v0.indices {
      let s1 = v0[a] - v1[a], s2 = v1[a] - v2[a]
      guard abs(s1 - s2) <= 1e-9 * max(abs(s1), abs(s2), 1e-300) else { return x1 }
    }
    var out = x1
    for j in out.indices where !specs[j].fixed {
      out[j] = min(max(x1[j] + (x1[j] - x2[j]), specs[j].lower), specs[j].upper)
    }
    return out
  }

  /// Completed points of an earlier run (empty if the file is absent or belongs to another scan).
  /// The points of a checkpoint written by the same scan (its first line is the scan's fingerprint).
  /// Only complete lines count: a last line without its newline (the scan was killed while writing
  /// it) is discarded, even if its fields parse (`1.06` of a torn `1.0697`); a line whose index is
  /// not a point of `grid`, or whose POI values are not that point's, is discarded too.
  static func readCheckpoint(_ path: String, fingerprint: String, grid: [[Double]], dimension: Int) -> [Int: ScanPoint] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if text.hasSuffix("\n") { lines.removeLast() } else if !lines.isEmpty { lines.removeLast() }
    guard let head = lines.first, head == "# recombine scan checkpoint " + fingerprint else { return [:] }
    let axes = grid.first?.count ?? 0
    var out: [Int: ScanPoint] = [:]
    for line in lines.dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
      guard f.count == 2 + axes + dimension, !f.contains(where: { $0 == nil }), let i = f[0], i >= 0, i == i.rounded(),
            Int(i) < grid.count else { continue }
      let v = f.compactMap { $0 }
      let values = Array(v[2..<(2 + axes)])
      guard values == grid[Int(i)] else { continue }
      out[Int(i)] = ScanPoint(index: Int(i), values: values, deltaNLL: v[1], parameters: Array(v[(2 + axes)...]))
    }
    return out
  }
}

/// The shared state of a parallel scan, guarded by a lock.
/// The objective calls of a scan's points (all starts of a point together).
public final class ScanCallCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var total = 0, points = 0
  public init() {}
  func add(calls: Int) { lock.withLock { total += calls; points += 1 } }
  /// Points computed (not read from a checkpoint) and their mean number of calls.
  public var computedPoints: Int { lock.withLock { points } }
  public var meanCalls: Double { lock.withLock { points > 0 ? Double(total) / Double(points) : 0 } }
}

final class ScanState: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var results: [Int: ScanPoint]
  private let log: FileHandle?

  init(results: [Int: ScanPoint], log: FileHandle?) {
    self.results = results
    self.log = log
  }

  /// A finished point (this run's or the checkpoint's).
  func point(_ index: Int) -> ScanPoint? { lock.withLock { results[index] } }

  /// The first failure to append to the checkpoint (a full disk, …): the scan goes on, and fails
  /// at its end with this error.
  private(set) var writeError: Error?

  func record(_ p: ScanPoint) {
    lock.withLock {
      results[p.index] = p
      if let log, writeError == nil {
        let fields = [String(p.index), String(p.deltaNLL)] + p.values.map { String($0) } + p.parameters.map { String($0) }
        do { try log.write(contentsOf: Data((fields.joined(separator: ",") + "\n").utf8)) } catch { writeError = error }
      }
    }
  }

}


/// The result of `GridScan.run(_:options:saveNuisances:mass:)`.
public struct GridScanResult {
  /// The scanned POIs.
  public let axes: [Int]
  public let best: MinimizationResult
  public let points: [ScanPoint]
  /// Combine's limit tree: the best fit (quantileExpected −1), then one row per point with
  /// quantileExpected = P(χ²_dof > 2ΔNLL), dof = the scanned POIs + the floating other POIs.
  public let table: LimitTreeTable
  /// Messages for the user (e.g. points where an EFT yield scaling is not positive).
  public let warnings: [String]
  /// Points computed in this run and their mean number of objective calls (all starts).
  public var computedPoints = 0
  public var meanCallsPerPoint = 0.0
}

extension GridScan {
  /// Combine's MultiDimFit `--algo grid` on a problem: the best fit, then the grid of its targets
  /// (`run(model:…)`), as a limit tree. With `saveNuisances` every other floating parameter's
  /// profiled value is a column (Combine's `--saveSpecifiedNuis all`). With `saveNLL` (Combine's
  /// `--saveNLL`) two more columns: `nll`, the NLL at the point, and `nll0`, the NLL at the best
  /// fit (`nll` − `nll0` = `deltaNLL`; Recombine's NLL, whose constant terms differ from Combine's,
  /// README "Conventions"; the best-fit row has nll = nll0).
  public static func run(_ problem: FitProblem, options: GridScanOptions, saveNuisances: Bool, saveNLL: Bool = false,
                         mass: Double) throws -> GridScanResult {
    let m = problem.model
    let best = try problem.bestFit()
    let axes = problem.targets
    var options = options
    let counter = ScanCallCounter()
    options.callCounter = counter
    let scan = try run(model: m, data: problem.nll.data, globalObservables: problem.nll.globalObservables,
                       frozenBarlowBeeston: problem.nll.frozenBarlowBeeston,
                       specs: problem.specs, best: best, axes: axes, options: options)
    var warnings: [String] = []
    if let sc = m.scalings {
      // Negative yield scalings (a truncated or expanded polynomial) are floored at 1e-9.
      var values = [Double](repeating: 0, count: sc.count)
      let bad = scan.filter { p in
        p.parameters.withUnsafeBufferPointer { x in values.withUnsafeMutableBufferPointer { sc.evaluate(x, into: $0) } }
        return values.contains { $0 <= 0 }
      }
      if !bad.isEmpty {
        warnings.append("warning: at \(bad.count) of \(scan.count) scan points some EFT yield scaling is ≤ 0 (the bin yields are floored at 1e-9 there), e.g. at \(axes.map { m.parameters[$0].name }) = \(bad[0].values)")
      }
    }
    // Points whose fits all failed are left out of the table (as Combine does), never silently.
    let perAxis = options.pointsPerAxis ?? Array(repeating: pointsPerAxis(options.points, dimensions: axes.count), count: axes.count)
    let grid = gridPoints(axes: zip(axes, perAxis).map { k, n in
      axisValues(lower: problem.specs[k].lower, upper: problem.specs[k].upper, count: n, alignEdges: options.alignEdges)
    })
    let first = max(0, options.firstPoint ?? 0), last = min(grid.count - 1, options.lastPoint ?? grid.count - 1)
    let present = Set(scan.map(\.index))
    let missing = (first...last).filter { !present.contains($0) }
    if !missing.isEmpty {
      let names = axes.map { m.parameters[$0].name }.joined(separator: ", ")
      let shown = missing.prefix(5).map { "(\(grid[$0].map { String(format: "%g", $0) }.joined(separator: ", ")))" }.joined(separator: " ")
      warnings.append("warning: \(missing.count) of \(last - first + 1) scan points had no converged fit and are left out of the table: "
                      + "\(names) = \(shown)\(missing.count > 5 ? " …" : "")")
    }
    let others = saveNuisances ? m.parameters.indices.filter { !axes.contains($0) && !problem.specs[$0].fixed } : []
    let dof = axes.count + problem.floatingOtherPOIs
    let nll0 = best.fval
    var rows: [[Double]] = [[mass, problem.iToy, -1] + axes.map { best.x[$0] } + others.map { best.x[$0] } + [0] + (saveNLL ? [nll0, nll0] : [])]
    for p in scan {
      let q = chiSquaredSurvival(2 * max(p.deltaNLL, 0), degreesOfFreedom: dof)
      rows.append([mass, problem.iToy, q] + p.values + others.map { p.parameters[$0] } + [p.deltaNLL]
                  + (saveNLL ? [nll0 + p.deltaNLL, nll0] : []))
    }
    let header = ["mh", "iToy", "quantileExpected"] + axes.map { m.parameters[$0].name } + others.map { m.parameters[$0].name } + ["deltaNLL"]
      + (saveNLL ? ["nll", "nll0"] : [])
    var result = GridScanResult(axes: axes, best: best, points: scan, table: LimitTreeTable(header: header, values: rows), warnings: warnings)
    result.computedPoints = counter.computedPoints
    result.meanCallsPerPoint = counter.meanCalls
    return result
  }
}
