/// Working state of one minimisation: all buffers are allocated once here, so the iteration loop
/// does not allocate (apart from the rare active-set changes, and the eigen fallback of HESSE).
///
/// Layout: "full" vectors have `n` entries (the objective's dimension); "compact" vectors have
/// `m` entries, one per free parameter not held on a bound, `idx[p]` being the full index of
/// compact entry p. The metric V (≈ inverse Hessian over the compact set) is m×m, row-major,
/// stride m.

import Maths
final class Engine {
  let f: ObjectiveFunction
  let n: Int
  let options: MinimizerOptions
  let maxCalls: Int
  let maxIterations: Int

  let lower: UnsafeMutableBufferPointer<Double>
  let upper: UnsafeMutableBufferPointer<Double>
  let scale: UnsafeMutableBufferPointer<Double>
  let fixed: UnsafeMutableBufferPointer<Bool>

  // Full vectors.
  let x: UnsafeMutableBufferPointer<Double>
  let g: UnsafeMutableBufferPointer<Double>
  let xt: UnsafeMutableBufferPointer<Double>
  let gt: UnsafeMutableBufferPointer<Double>
  let xb: UnsafeMutableBufferPointer<Double>
  let gb: UnsafeMutableBufferPointer<Double>
  var fx: Double = .nan
  var fb: Double = .nan

  // Compact set.
  let idx: UnsafeMutableBufferPointer<Int>
  var m: Int = 0
  /// Full indices held on a bound (the active set).
  var active: [Int] = []

  // Compact vectors and matrices (capacity n, n²).
  let V: UnsafeMutableBufferPointer<Double>
  /// HESSE's Hessian and its inverse, allocated on first use (most scan-point fits never run HESSE).
  var H: UnsafeMutableBufferPointer<Double> { storage.hesseBuffers(n).0 }
  var W: UnsafeMutableBufferPointer<Double> { storage.hesseBuffers(n).1 }
  /// Owner of every buffer above (a workspace's, reused fit after fit, or this engine's own).
  private let storage: EngineStorage
  let d: UnsafeMutableBufferPointer<Double>
  let s: UnsafeMutableBufferPointer<Double>
  let y: UnsafeMutableBufferPointer<Double>
  let vy: UnsafeMutableBufferPointer<Double>
  let col: UnsafeMutableBufferPointer<Double>
  let gc: UnsafeMutableBufferPointer<Double>

  var calls = 0
  var iterations = 0
  /// Zoom steps of the last line search.
  var zoomSteps = 0
  /// Zoom steps after which a line search takes its lowest point if it lowers f (see `zoom`).
  static let zoomPatience = 8
  /// Coordinate probes made so far (see `probeDominantCoordinates`).
  var probes = 0

  init(_ f: ObjectiveFunction, parameters: [ParameterSpec], options: MinimizerOptions, workspace: MinimizerWorkspace? = nil) {
    self.f = f
    let n = f.dimension
    precondition(parameters.count == n, "parameters.count must equal the objective's dimension")
    self.n = n
    self.options = options
    self.maxCalls = options.maxCalls ?? (200 + 100 * n + 5 * n * n)
    self.maxIterations = options.maxIterations ?? (1000 + 20 * n)
    storage = workspace?.storage(for: n) ?? EngineStorage(dimension: n)
    let arena = storage.arena
    func vector(_ k: Int, _ v: Double) -> UnsafeMutableBufferPointer<Double> {
      let b = UnsafeMutableBufferPointer(rebasing: arena[(k * n)..<((k + 1) * n)])
      b.update(repeating: v)
      return b
    }
    lower = vector(0, -.infinity)
    upper = vector(1, .infinity)
    scale = vector(2, 1.0)
    x = vector(3, 0.0)
    g = vector(4, 0.0)
    xt = vector(5, 0.0)
    gt = vector(6, 0.0)
    xb = vector(7, 0.0)
    gb = vector(8, 0.0)
    d = vector(9, 0.0)
    s = vector(10, 0.0)
    y = vector(11, 0.0)
    vy = vector(12, 0.0)
    col = vector(13, 0.0)
    gc = vector(14, 0.0)
    V = UnsafeMutableBufferPointer(rebasing: arena[(15 * n)..<(15 * n + n * n)])
    V.update(repeating: 0)
    fixed = UnsafeMutableBufferPointer(rebasing: storage.flags[0..<n])
    fixed.update(repeating: false)
    idx = UnsafeMutableBufferPointer(rebasing: storage.indices[0..<n])
    idx.update(repeating: 0)
    for (i, p) in parameters.enumerated() {
      lower[i] = p.lower
      upper[i] = p.upper
      precondition(!(p.lower > p.upper), "parameter \(p.name): lower > upper")
      scale[i] = (p.step > 0 && p.step.isFinite) ? p.step : 1
      fixed[i] = p.fixed || p.lower == p.upper
      x[i] = fixed[i] ? p.value : min(max(p.value, p.lower), p.upper)
    }
    m = 0
    for i in 0..<n where !fixed[i] {
      idx[m] = i
      m += 1
    }
  }

  /// One objective call: f and ∇f at `xs` into `gs`.
  @inline(__always)
  func evaluate(
    _ xs: UnsafeMutableBufferPointer<Double>, _ gs: UnsafeMutableBufferPointer<Double>
  ) -> Double {
    calls += 1
    return f.valueAndGradient(UnsafeBufferPointer(xs), gs)
  }

  /// f and ∇f at the current x.
  func evaluateCurrent() {
    fx = evaluate(x, g)
  }

  // MARK: Metric

  /// Gathers the compact gradient into `gc`.
  @inline(__always)
  func gatherGradient() {
    for p in 0..<m { gc[p] = g[idx[p]] }
  }

  /// (V g)_p over the compact set (the gathered gradient `gc`).
  @inline(__always)
  func metricTimesGradient(_ p: Int) -> Double {
    var acc = 0.0
    let row = V.baseAddress! + p * m, v = gc.baseAddress!
    for q in 0..<m { acc += row[q] * v[q] }
    return acc
  }

  /// d = −V g (compact); returns gᵀd = −gᵀVg.
  func computeDirection() -> Double {
    gatherGradient()
    var gd = 0.0
    for p in 0..<m {
      let acc = metricTimesGradient(p)
      d[p] = -acc
      gd -= acc * gc[p]
    }
    return gd
  }

  /// EDM = ½ gᵀVg over the compact set.
  func edm() -> Double {
    gatherGradient()
    var e = 0.0
    for p in 0..<m { e += metricTimesGradient(p) * gc[p] }
    return 0.5 * e
  }

  /// Seeds V with the diagonal inverse curvatures 1/H_ii, H_ii from a forward difference of the
  /// gradient with step h_i = 1e-3·scale_i (m calls); 1/scale_i² where the curvature is not positive.
  func seedDiagonalMetric() {
    for k in 0..<(m * m) { V[k] = 0 }
    _ = xt.update(from: x)
    for p in 0..<m {
      let i = idx[p]
      var h = 1e-3 * scale[i]
      if x[i] + h > upper[i] { h = -h }
      if x[i] + h < lower[i] {
        let up = upper[i] - x[i], down = x[i] - lower[i]
        h = up >= down ? 0.5 * up : -0.5 * down
      }
      var v = scale[i] * scale[i]
      if h != 0 && calls < maxCalls {
        xt[i] = x[i] + h
        _ = evaluate(xt, gt)
        xt[i] = x[i]
        let c = (gt[i] - g[i]) / h
        if c > 0 && c.isFinite && (1 / c).isFinite { v = 1 / c }
      }
      V[p * m + p] = v
    }
  }

  /// Loads V from a full-layout n×n inverse Hessian (restricted to the compact set).
  func loadMetric(full v: [Double]) {
    for p in 0..<m {
      for q in 0..<m { V[p * m + q] = v[idx[p] * n + idx[q]] }
    }
  }

  /// V (compact) expanded to the full layout.
  func fullMetric(_ src: UnsafeMutableBufferPointer<Double>) -> [Double] {
    var out = [Double](repeating: 0, count: n * n)
    for p in 0..<m {
      for q in 0..<m { out[idx[p] * n + idx[q]] = src[p * m + q] }
    }
    return out
  }

  /// BFGS update of the inverse Hessian with s = Δx, y = Δg (compact):
  ///   V ← V + (sᵀy + yᵀVy) ssᵀ/(sᵀy)² − (Vy sᵀ + s yᵀV)/(sᵀy).
  /// Skipped unless the curvature condition sᵀy > 0 holds (clearly).
  func bfgsUpdate() {
    var sy = 0.0, ss = 0.0, yy = 0.0
    for p in 0..<m {
      sy += s[p] * y[p]
      ss += s[p] * s[p]
      yy += y[p] * y[p]
    }
    guard sy > 1e-14 * (ss * yy).squareRoot(), sy.isFinite else { return }
    var yvy = 0.0
    let yBase = y.baseAddress!
    for p in 0..<m {
      var acc = 0.0
      let row = V.baseAddress! + p * m
      for q in 0..<m { acc += row[q] * yBase[q] }
      vy[p] = acc
      yvy += acc * y[p]
    }
    let a = (sy + yvy) / (sy * sy)
    let b = 1 / sy
    // Row p: V_p· += (a s_p − b (Vy)_p) s − b s_p (Vy), on raw pointers so that it vectorises.
    let vBase = V.baseAddress!, sBase = s.baseAddress!, vyBase = vy.baseAddress!
    for p in 0..<m {
      let row = vBase + p * m
      let cs = a * s[p] - b * vy[p], cv = b * s[p]
      for q in 0..<m { row[q] += cs * sBase[q] - cv * vyBase[q] }
    }
  }

  // MARK: Active set

  /// Removes compact entry p (full index idx[p]) from the free set, holding it on its bound:
  /// V ← Schur complement V − V_·p V_p· / V_pp, then row and column p deleted (stride m → m−1).
  func makeActive(_ p: Int) {
    let k = idx[p]
    let vpp = V[p * m + p]
    for q in 0..<m { col[q] = V[q * m + p] }
    if vpp > 0 && vpp.isFinite {
      for a in 0..<m where col[a] != 0 {
        let fa = col[a] / vpp
        let row = a * m
        for b in 0..<m { V[row + b] -= fa * col[b] }
      }
    }
    // Compact in place: new linear index ≤ old linear index, so a forward sweep is safe.
    var w = 0
    for a in 0..<m where a != p {
      let row = a * m
      for b in 0..<m where b != p {
        V[w] = V[row + b]
        w += 1
      }
    }
    for q in p..<(m - 1) { idx[q] = idx[q + 1] }
    m -= 1
    // Pin exactly on the nearer bound.
    if abs(x[k] - lower[k]) <= abs(upper[k] - x[k]) { x[k] = lower[k] } else { x[k] = upper[k] }
    active.append(k)
  }

  /// Returns the full index k from the active set to the free set, with V_kk = v and no correlations.
  func release(_ k: Int, variance v: Double) {
    let newM = m + 1
    // Expand stride m → m+1 in place: backward sweep (new index ≥ old index).
    if m > 0 {
      for a in stride(from: m - 1, through: 0, by: -1) {
        for b in stride(from: m - 1, through: 0, by: -1) {
          V[a * newM + b] = V[a * m + b]
        }
      }
    }
    for q in 0..<newM {
      V[m * newM + q] = 0
      V[q * newM + m] = 0
    }
    V[m * newM + m] = v
    idx[m] = k
    m = newM
    active.removeAll { $0 == k }
  }

  /// Makes active every compact entry sitting on a bound with d pointing outwards; recomputes d.
  /// Returns gᵀd.
  func enforceBounds(_ gd0: Double) -> Double {
    var gd = gd0
    var changed = true
    while changed && m > 0 {
      changed = false
      for p in 0..<m {
        let i = idx[p]
        if (x[i] <= lower[i] && d[p] < 0) || (x[i] >= upper[i] && d[p] > 0) {
          makeActive(p)
          changed = true
          break
        }
      }
      if changed { gd = computeDirection() }
    }
    return gd
  }

  /// Largest α with x + αd inside the box, and the compact entry that blocks it (−1 if none).
  func maxStep() -> (Double, Int) {
    var amax = Double.infinity
    var blocking = -1
    for p in 0..<m {
      let i = idx[p]
      var a = Double.infinity
      if d[p] < 0 && lower[i] > -.infinity {
        a = (lower[i] - x[i]) / d[p]
      } else if d[p] > 0 && upper[i] < .infinity {
        a = (upper[i] - x[i]) / d[p]
      }
      if a < amax {
        amax = max(a, 0)
        blocking = p
      }
    }
    return (amax, blocking)
  }

  /// Checks the active set at the current point: a parameter on its lower (upper) bound whose
  /// derivative is negative (positive) would decrease f by about g_k²/(2H_kk) if released
  /// (H_kk from one inward forward difference). Releases those where that exceeds the tolerance.
  /// Returns whether any was released.
  func releaseActive() -> Bool {
    var released = false
    for k in active {
      let inward: Double = x[k] <= lower[k] ? 1 : -1
      guard g[k] * inward < 0 else { continue }
      var h = inward * 1e-3 * scale[k]
      let room = inward > 0 ? upper[k] - x[k] : x[k] - lower[k]
      if abs(h) > 0.5 * room { h = inward * 0.5 * room }
      var v = scale[k] * scale[k]
      if h != 0 {
        _ = xt.update(from: x)
        xt[k] = x[k] + h
        _ = evaluate(xt, gt)
        let c = (gt[k] - g[k]) / h
        if c > 0 && c.isFinite { v = 1 / c }
      }
      if 0.5 * g[k] * g[k] * v > 0.1 * options.tolerance {
        release(k, variance: v)
        released = true
      }
    }
    return released
  }

  // MARK: Line search

  /// f and φ'(α) = ∇f·d at x + αd (clamped into the box; the blocking entry placed exactly on its
  /// bound at α = αmax). Keeps the lowest point seen in (xb, gb, fb).
  func trial(_ alpha: Double, _ amax: Double, _ blocking: Int) -> (Double, Double) {
    _ = xt.update(from: x)
    for p in 0..<m {
      let i = idx[p]
      xt[i] = min(max(x[i] + alpha * d[p], lower[i]), upper[i])
    }
    if alpha >= amax && blocking >= 0 {
      let i = idx[blocking]
      xt[i] = d[blocking] < 0 ? lower[i] : upper[i]
    }
    let fa = evaluate(xt, gt)
    var da = 0.0
    for p in 0..<m { da += gt[idx[p]] * d[p] }
    if fa < fb {
      fb = fa
      _ = xb.update(from: xt)
      _ = gb.update(from: gt)
    }
    return (fa, da)
  }

  /// Strong-Wolfe line search on φ(α) = f(x + αd), α ∈ (0, αmax] (Nocedal & Wright, Alg. 3.5/3.6,
  /// with safeguarded cubic interpolation), c₁ = 1e-4, c₂ = 0.9. Starts at α = 1 (the quasi-Newton
  /// step). If φ decreases all the way to αmax, the step stops on the bound. Returns whether a
  /// point with f < f(x) was found; it is left in (xb, gb, fb).
  func lineSearch(_ dphi0: Double, _ amax: Double, _ blocking: Int) -> Bool {
    let c1 = 1e-4, c2 = 0.9
    let f0 = fx
    zoomSteps = 0
    fb = f0
    var aPrev = 0.0, fPrev = f0, dPrev = dphi0
    var a = min(1.0, amax)
    for i in 0..<30 {
      if calls >= maxCalls { return fb < f0 }
      let (fa, da) = trial(a, amax, blocking)
      if !fa.isFinite || fa > f0 + c1 * a * dphi0 || (i > 0 && fa >= fPrev) {
        return zoom(aPrev, fPrev, dPrev, a, fa, da, f0, dphi0, amax, blocking)
      }
      if abs(da) <= -c2 * dphi0 { return true }
      if da >= 0 { return zoom(a, fa, da, aPrev, fPrev, dPrev, f0, dphi0, amax, blocking) }
      if a >= amax { return true }
      aPrev = a
      fPrev = fa
      dPrev = da
      a = min(4 * a, amax)
    }
    return fb < f0
  }

  private func zoom(
    _ lo0: Double, _ flo0: Double, _ dlo0: Double, _ hi0: Double, _ fhi0: Double, _ dhi0: Double,
    _ f0: Double, _ dphi0: Double, _ amax: Double, _ blocking: Int
  ) -> Bool {
    let c1 = 1e-4, c2 = 0.9
    var lo = lo0, flo = flo0, dlo = dlo0, hi = hi0, fhi = fhi0, dhi = dhi0
    for _ in 0..<40 {
      if calls >= maxCalls { break }
      let left = min(lo, hi), right = max(lo, hi), w = right - left
      if w <= 1e-15 * max(1, right) { break }
      var a = 0.5 * (lo + hi)
      if fhi.isFinite && dhi.isFinite {
        // Minimiser of the cubic through (lo, flo, dlo), (hi, fhi, dhi).
        let d1 = dlo + dhi - 3 * (flo - fhi) / (lo - hi)
        let disc = d1 * d1 - dlo * dhi
        if disc >= 0 {
          let d2 = (hi > lo ? 1.0 : -1.0) * disc.squareRoot()
          let c = hi - (hi - lo) * (dhi + d2 - d1) / (dhi - dlo + 2 * d2)
          if c.isFinite { a = min(max(c, left + 0.1 * w), right - 0.1 * w) }
        }
      }
      let (fa, da) = trial(a, amax, blocking)
      zoomSteps += 1
      // A bracket that keeps shrinking without meeting the curvature condition straddles a kink
      // of f (a template bin on its floor): take the lowest point once it lowers f.
      if zoomSteps >= Self.zoomPatience && fb < f0 { return true }
      if !fa.isFinite || fa > f0 + c1 * a * dphi0 || fa >= flo {
        hi = a
        fhi = fa
        dhi = da
      } else {
        if abs(da) <= -c2 * dphi0 { return true }
        if da * (hi - lo) >= 0 {
          hi = lo
          fhi = flo
          dhi = dlo
        }
        lo = a
        flo = fa
        dlo = da
      }
    }
    return fb < f0
  }

  // MARK: Variable-metric iteration

  enum CoreExit { case converged, noProgress, callLimit, iterationLimit }

  /// Variable-metric iterations until EDM = ½gᵀVg < tolerance. With `forceStep`, at least one step
  /// is taken even if EDM is already small (used after HESSE).
  ///
  /// A line search that fails, or that has to zoom `zoomPatience` times, is first answered with
  /// `probeDominantCoordinates` (a few gradient calls): it finds a kink of f (a bin on its floor)
  /// or a metric that is wrong in a few directions. Only a second failure without progress in
  /// between re-seeds the diagonal metric (m calls).
  func runCore(forceStep: Bool) -> CoreExit {
    var failures = 0
    var stalls = 0
    var force = forceStep
    var probedSinceProgress = false
    var checks = 0
    while true {
      if m == 0 { return .converged }
      if calls >= maxCalls { return .callLimit }
      if iterations >= maxIterations { return .iterationLimit }
      var gd = computeDirection()
      if !(gd < 0) {
        var gg = 0.0
        for p in 0..<m { gg += g[idx[p]] * g[idx[p]] }
        if gg == 0 { return .converged }
        seedDiagonalMetric()
        gd = computeDirection()
        if !(gd < 0) { return .noProgress }
      }
      gd = enforceBounds(gd)
      if m == 0 { return .converged }
      if -0.5 * gd < options.tolerance && !force {
        if checks < 3 && checkDownhillCurvature() > 0 {
          checks += 1
          continue
        }
        return .converged
      }
      force = false
      let (amax, blocking) = maxStep()
      let f0 = fx
      let okLS = amax > 0 && lineSearch(gd, amax, blocking)
      guard okLS else {
        if !probedSinceProgress && probeDominantCoordinates() > 0 {
          probedSinceProgress = true
          continue
        }
        failures += 1
        if failures >= 2 || calls >= maxCalls { return calls >= maxCalls ? .callLimit : .noProgress }
        seedDiagonalMetric()
        continue
      }
      failures = 0
      for p in 0..<m {
        let i = idx[p]
        s[p] = xb[i] - x[i]
        y[p] = gb[i] - g[i]
      }
      _ = x.update(from: xb)
      _ = g.update(from: gb)
      fx = fb
      bfgsUpdate()
      iterations += 1
      let stalled = f0 - fx <= 1e-15 * (1 + abs(fx))
      if stalled {
        stalls += 1
        if stalls >= 3 { return .noProgress }
      } else {
        stalls = 0
      }
      if zoomSteps >= Self.zoomPatience || stalled {
        if !probedSinceProgress { probedSinceProgress = probeDominantCoordinates() > 0 }
      } else {
        probedSinceProgress = false
      }
    }
  }

  /// The convergence check for kinks: EDM = ½gᵀVg trusts the metric's curvature, which may have
  /// been learnt on the far side of a kink of f (a template bin reaching its floor): there V_pp is
  /// tiny while f still falls linearly towards the kink, and EDM misses that slope. For the (at most
  /// 3) compact entries p with the largest ½g_p²s_p² > tolerance (s_p the parameter's scale), one
  /// gradient call at x − sign(g_p)·h e_p (h = hesseStep·s_p, downhill) measures the curvature on
  /// this side, c = Δg_p/Δx_p. If c·V_pp < 0.1 (the metric claims ten times the curvature), V gets
  /// the BFGS update with that pair (or, for c ≤ 0, row and column p reset to V_pp = s_p²), and the
  /// iteration goes on. Returns the number of entries changed.
  func checkDownhillCurvature() -> Int {
    guard m > 0, probes < 4 * m else { return 0 }
    gatherGradient()
    var chosen = (-1, -1, -1)
    func taken(_ p: Int) -> Bool { p == chosen.0 || p == chosen.1 || p == chosen.2 }
    for slot in 0..<3 {
      var bestP = -1, bestC = options.tolerance
      for p in 0..<m where !taken(p) {
        let sc = scale[idx[p]]
        let c = 0.5 * gc[p] * gc[p] * sc * sc
        if c > bestC { bestC = c; bestP = p }
      }
      guard bestP >= 0 else { break }
      switch slot { case 0: chosen.0 = bestP; case 1: chosen.1 = bestP; default: chosen.2 = bestP }
    }
    var changed = 0
    for p in [chosen.0, chosen.1, chosen.2] where p >= 0 {
      guard calls < maxCalls else { break }
      let i = idx[p]
      let dir: Double = gc[p] > 0 ? -1 : 1
      var h = options.hesseStep * scale[i]
      let room = dir > 0 ? upper[i] - x[i] : x[i] - lower[i]
      if h > 0.5 * room { h = 0.5 * room }
      guard h > 1e-12 * (1 + abs(x[i])) else { continue }
      _ = xt.update(from: x)
      xt[i] = x[i] + dir * h
      _ = evaluate(xt, gt)
      probes += 1
      let c = (gt[i] - g[i]) / (dir * h)
      let vpp = V[p * m + p]
      guard !(c * vpp >= 0.1) else { continue }
      if c > 0 && c.isFinite {
        for q in 0..<m { s[q] = 0; y[q] = gt[idx[q]] - g[idx[q]] }
        s[p] = dir * h
        bfgsUpdate()
      } else {
        for q in 0..<m { V[p * m + q] = 0; V[q * m + p] = 0 }
        V[p * m + p] = scale[i] * scale[i]
      }
      changed += 1
    }
    return changed
  }

  /// Secant probes along the coordinates that carry most of the EDM (a partial HESSE): for each of
  /// the (at most 3) compact entries p with the largest share c_p = (Vg)_p g_p ≥ 0.1·gᵀVg, the
  /// gradient at x ± h e_p (h = hesseStep·√V_pp, one-sided next to a bound; 2 calls) gives the
  /// column y = ∇f(x + h e_p) − ∇f(x − h e_p) of the Hessian times 2h, and V gets the BFGS update
  /// with (s = 2h e_p, y). Where f has a kink at x (a template bin reaching its floor), y jumps
  /// and V_pp collapses to the kink's scale, so EDM no longer counts the one-sided slope there.
  /// At most 4m probes per minimisation. Returns the number of probes made.
  func probeDominantCoordinates() -> Int {
    guard m > 0, probes < 4 * m else { return 0 }
    let total = -computeDirection()  // d = −Vg, gᵀVg
    guard total > 0 else { return 0 }
    var chosen = (-1, -1, -1)
    func taken(_ p: Int) -> Bool { p == chosen.0 || p == chosen.1 || p == chosen.2 }
    for slot in 0..<3 {
      var bestP = -1, bestC = 0.1 * total
      for p in 0..<m where !taken(p) {
        let c = -d[p] * gc[p]
        if c >= bestC { bestC = c; bestP = p }
      }
      guard bestP >= 0 else { break }
      switch slot { case 0: chosen.0 = bestP; case 1: chosen.1 = bestP; default: chosen.2 = bestP }
    }
    var made = 0
    for p in [chosen.0, chosen.1, chosen.2] where p >= 0 {
      guard calls + 2 <= maxCalls else { break }
      let i = idx[p]
      let v = V[p * m + p]
      let sigma = v > 0 && v.isFinite ? v.squareRoot() : scale[i]
      let h = max(options.hesseStep * sigma, 1e-10 * (1 + abs(x[i])))
      let hp = upper[i] - x[i] >= h ? h : 0.0, hm = x[i] - lower[i] >= h ? h : 0.0
      guard hp + hm > 0 else { continue }
      _ = xt.update(from: x)
      gradientDifference(i, plus: hp, minus: hm)
      for q in 0..<m { s[q] = 0 }
      s[p] = hp + hm
      bfgsUpdate()
      probes += 1
      made += 1
    }
    return made
  }

  /// y = ∇f(x + h₊e_i) − ∇f(x − h₋e_i) over the compact set, ∇f(x) itself on a side whose step
  /// is 0 (1 or 2 calls; `col` is scratch). Needs xt = x and leaves it so.
  func gradientDifference(_ i: Int, plus hp: Double, minus hm: Double) {
    if hp > 0 {
      xt[i] = x[i] + hp
      _ = evaluate(xt, gt)
      for q in 0..<m { col[q] = gt[idx[q]] }
    } else {
      for q in 0..<m { col[q] = g[idx[q]] }
    }
    if hm > 0 {
      xt[i] = x[i] - hm
      _ = evaluate(xt, gt)
      for q in 0..<m { y[q] = col[q] - gt[idx[q]] }
    } else {
      for q in 0..<m { y[q] = col[q] - g[idx[q]] }
    }
    xt[i] = x[i]
  }

  // MARK: HESSE

  /// The Hessian over the compact set into H (m×m, symmetrised), by central differences of the
  /// analytic gradient, H_·j = [∇f(x + h_j e_j) − ∇f(x − h_j e_j)] / (2h_j) (2m calls), one-sided
  /// next to a bound. h_j = hesseStep·σ_j, σ_j = √V_jj when `useMetricScale` and V_jj > 0, else the
  /// parameter's step. Requires g = ∇f(x). Then W = H⁻¹ (Cholesky, eigen fallback).
  func hesse(useMetricScale: Bool) -> InversionOutcome {
    let H = self.H
    _ = xt.update(from: x)
    for p in 0..<m {
      let i = idx[p]
      var sigma = scale[i]
      if useMetricScale {
        let v = V[p * m + p]
        if v > 0 && v.isFinite { sigma = v.squareRoot() }
      }
      var h = max(options.hesseStep * sigma, 1e-10 * (1 + abs(x[i])))
      let up = upper[i] - x[i], down = x[i] - lower[i]
      var hp = 0.0, hm = 0.0
      if up >= h && down >= h {
        hp = h
        hm = h
      } else if up >= h {
        hp = h
      } else if down >= h {
        hm = h
      } else {
        h = max(up, down)
        if up >= down { hp = h } else { hm = h }
      }
      if hp + hm > 0 {
        gradientDifference(i, plus: hp, minus: hm)
        for q in 0..<m { H[q * m + p] = y[q] / (hp + hm) }
      } else {
        for q in 0..<m { H[q * m + p] = q == p ? 1 / (scale[i] * scale[i]) : 0 }
      }
    }
    for p in 0..<m {
      for q in (p + 1)..<max(m, p + 1) {
        let a = 0.5 * (H[p * m + q] + H[q * m + p])
        H[p * m + q] = a
        H[q * m + p] = a
      }
    }
    return invertSymmetric(H.baseAddress!, W.baseAddress!, m)
  }
}

/// The buffers of one minimisation of dimension ≤ `capacity`: 15 vectors and the metric in one
/// arena of 15n + n² doubles, the flags and indices, and (on first use) HESSE's two n×n matrices.
final class EngineStorage {
  let capacity: Int
  let arena: UnsafeMutableBufferPointer<Double>
  let flags: UnsafeMutableBufferPointer<Bool>
  let indices: UnsafeMutableBufferPointer<Int>
  private var hesse: (UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>)?

  init(dimension n: Int) {
    capacity = n
    arena = .allocate(capacity: max(15 * n + n * n, 1))
    arena.initialize(repeating: 0)
    flags = .allocate(capacity: max(n, 1))
    flags.initialize(repeating: false)
    indices = .allocate(capacity: max(n, 1))
    indices.initialize(repeating: 0)
  }

  /// H and W (n×n each, n ≤ capacity), allocated once at the capacity.
  func hesseBuffers(_ n: Int) -> (UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) {
    if hesse == nil {
      let k = max(capacity * capacity, 1)
      let h = UnsafeMutableBufferPointer<Double>.allocate(capacity: k), w = UnsafeMutableBufferPointer<Double>.allocate(capacity: k)
      h.initialize(repeating: 0)
      w.initialize(repeating: 0)
      hesse = (h, w)
    }
    return (UnsafeMutableBufferPointer(rebasing: hesse!.0[0..<max(n * n, 1)]),
            UnsafeMutableBufferPointer(rebasing: hesse!.1[0..<max(n * n, 1)]))
  }

  deinit {
    arena.deallocate()
    flags.deallocate()
    indices.deallocate()
    if let (h, w) = hesse {
      h.deallocate()
      w.deallocate()
    }
  }
}

/// Scratch memory reused by the fits of one thread (a scan's points, a study's toys): with a
/// workspace, `Minimizer` allocates no buffers per fit once the first fit of the largest
/// dimension has sized it. Not for concurrent use: give each thread its own.
public final class MinimizerWorkspace: @unchecked Sendable {
  private var current: EngineStorage?
  public init() {}

  func storage(for n: Int) -> EngineStorage {
    if let s = current, s.capacity == n { return s }
    let s = EngineStorage(dimension: n)
    current = s
    return s
  }
}
