//===--- NLL.swift --------------------------------------------------------===//
// The binned negative log-likelihood of a compiled model, with its analytic gradient.
//===----------------------------------------------------------------------===//

import Foundation

/// The floor Combine applies to template bins and autoMCStats yields (`CropUnderflows`, 1e-9).
public let templateFloor = 1e-9

/// The negative log-likelihood of a `CompiledModel` given data, up to a constant:
///
///     NLL(θ) = Σ_i [ ν_i − n_i − n_i·ln(ν_i/n_i) ]  +  Σ_k −ln C_k(θ_k)  +  Σ_j ½ (x̂_j − g_j)²
///
/// with ν_i = Σ_p N_p(θ)·T_pi(θ) (+ autoMCStats terms). The Poisson part is −ln Pois(n_i; ν_i)
/// minus its value at ν_i = n_i (the saturated-offset form, §3.8: ≈ 0 near a good fit, no
/// cancellation in large-count bins; n_i = 0 contributes ν_i). It differs from Combine's NLL only by
/// a constant (Combine has no ln n! in template channels and offsets every channel to 0 at the
/// start), so all NLL differences agree. Constraint terms (§3.6): Gaussian ½((θ−m)/σ)², bifurcated
/// Gaussian with σ_L below / σ_R above the mean, gmN Poisson θ − N·ln θ, flat 0.
///
/// Templates (§3.3): `.normalised` terms evaluate g = f⁰ + Σ_s Δ_s (or exp(ln f⁰ + ΣΔ) for shapeN),
/// floor each bin at 1e-9 and renormalise to 1; `.absolute` (autoMCStats) terms evaluate
/// T = T⁰ + ΣΔ (shapeN: exp(ln T⁰ + ΣΔ) rescaled to ΣT⁰) floored at 1e-9.
///
/// autoMCStats (§3.5): in every Barlow–Beeston-lite bin, ν_j = v_j + e_j·x̂_j with v_j = Σ_p N_p T_pj,
/// e_j = √Σ_p (N_p e_pj)², and x̂_j the closed-form minimum of ν − n ln ν + ½(x − g)² with g_j the
/// BB-lite global observable (0 unless set; quadratic x² + b x + c = 0, b = e + v/e − g,
/// c = v − n − g·v/e; the larger root), so x_j is profiled exactly at every evaluation, as Combine's
/// analytic minimisation does; then ν_j ← max(ν_j, 1e-9).
///
/// Gradient (analytic, envelope theorem for x̂): ∂NLL/∂ν_i = 1 − n_i/ν_i; ∂N_p/∂θ_j = N_p·ln κ_j
/// (lnN), N_p·d(θL)/dθ (asymmetric lnN and shape normalisation), Π_{f≠j} x_f (factors);
/// ∂T_i/∂θ_s through the morph, the floor and the renormalisation; ∂e_j/∂N_p = N_p e_pj²/e_j.
///
/// Evaluations do not allocate: all scratch space is preallocated. Not thread-safe (one instance
/// per thread). If some ν_i ≤ 0 in a bin with n_i > 0, or ν_i < 0 in an empty bin, the value is +∞
/// (the minimiser backs off; a negative expectation is not a Poisson mean, as RooPoisson's NaN).
///
/// It has exactly the `value` / `valueAndGradient` of Fit's `ObjectiveFunction`; conformance is
/// declared where both modules are visible (`extension NLL: ObjectiveFunction {}`).
public final class NLL {
  public let model: CompiledModel
  public var dimension: Int { model.parameters.count }

  // Flat description of the terms.
  private let nTerms: Int
  private let nBins: Int
  private let termFirstBin: UnsafeMutableBufferPointer<Int>
  private let termBins: UnsafeMutableBufferPointer<Int>
  private let termTemplateOffset: UnsafeMutableBufferPointer<Int>
  private let templates: UnsafeMutableBufferPointer<Double>  // T⁰ (counting: 1; normalised: f⁰; absolute: T⁰)
  private let logTemplates: UnsafeMutableBufferPointer<Double>  // ln T⁰ (−999 where T⁰ ≤ 0), for shapeN terms
  private let binErrors2: UnsafeMutableBufferPointer<Double>  // e_i² (absolute mode), aligned with templates
  private let termMode: UnsafeMutableBufferPointer<UInt8>  // 0 counting, 1 normalised, 2 absolute
  private let termLog: UnsafeMutableBufferPointer<Bool>
  private let termQ: UnsafeMutableBufferPointer<Double>
  private let termHasErrors: UnsafeMutableBufferPointer<Bool>
  private let termNominal: UnsafeMutableBufferPointer<Double>
  private let termNominalSum: UnsafeMutableBufferPointer<Double>  // ΣT⁰ (absolute shapeN rescaling)
  private let symOffset: UnsafeMutableBufferPointer<Int>
  private let symParam: UnsafeMutableBufferPointer<Int>
  private let symLogK: UnsafeMutableBufferPointer<Double>
  private let asymOffset: UnsafeMutableBufferPointer<Int>
  private let asymParam: UnsafeMutableBufferPointer<Int>
  private let asymLd: UnsafeMutableBufferPointer<Double>
  private let asymLu: UnsafeMutableBufferPointer<Double>
  private let asymCode: [NormalisationInterpolation]  // per asym effect: Combine's, or a HistFactory code
  private let asymLo: UnsafeMutableBufferPointer<Double>
  private let asymHi: UnsafeMutableBufferPointer<Double>
  private let asymCoef: UnsafeMutableBufferPointer<Double>  // 6 per asym effect (code 4)
  private let factorOffset: UnsafeMutableBufferPointer<Int>
  private let factorParam: UnsafeMutableBufferPointer<Int>
  private let formulaObjects: [Formula]  // owned (each has its own scratch stack)
  private let formulaArgs: [[Int]]
  private let formulaGradOffset: UnsafeMutableBufferPointer<Int>
  private let termFormulaOffset: UnsafeMutableBufferPointer<Int>
  private let termFormula: UnsafeMutableBufferPointer<Int>
  private let fVal: UnsafeMutableBufferPointer<Double>
  private let fGrad: UnsafeMutableBufferPointer<Double>
  private let morphOffset: UnsafeMutableBufferPointer<Int>
  private let morphParam: UnsafeMutableBufferPointer<Int>
  private let morphScale: UnsafeMutableBufferPointer<Double>
  private let morphDataOffset: UnsafeMutableBufferPointer<Int>  // into morphDiff/morphSum
  /// The bins a morph touches: template bins morphFirst[k] ..< morphFirst[k] + morphCount[k] of its
  /// term (the span of its non-zero differences; a bin-by-bin nuisance costs one bin).
  private let morphFirst: UnsafeMutableBufferPointer<Int>
  private let morphCount: UnsafeMutableBufferPointer<Int>
  private let morphDiff: UnsafeMutableBufferPointer<Double>
  private let morphSum: UnsafeMutableBufferPointer<Double>
  private let isStatBin: UnsafeMutableBufferPointer<Bool>
  private let isMasked: UnsafeMutableBufferPointer<Bool>
  private let bbBins: UnsafeMutableBufferPointer<Int>
  private let binMult: UnsafeMutableBufferPointer<Double>  // per template bin: β/n for Poisson autoMCStats, else 1
  private let scaleMult: UnsafeMutableBufferPointer<Double>  // per template bin: per-bin external scaling μ, else 1
  private let scalingFunctions: YieldScalingFunctions?
  private let termScale: UnsafeMutableBufferPointer<Int>  // external scaling index of N, or −1
  private let termBinScale: UnsafeMutableBufferPointer<Int>  // first per-bin external scaling index, or −1
  private let termNominalScaled: UnsafeMutableBufferPointer<Bool>  // per-bin scaling of the nominal only (PerBinScaling.nominal)
  private let muVal: UnsafeMutableBufferPointer<Double>
  private let muW: UnsafeMutableBufferPointer<Double>  // ∂NLL/∂μ_k
  private let wTerm: UnsafeMutableBufferPointer<Double>  // scratch: ∂NLL/∂ν·mult for one term
  private let ppPoissonN: UnsafeMutableBufferPointer<Double>  // n for Poisson parameters, 0 for Gaussian
  private let ppTemplateIndex: UnsafeMutableBufferPointer<Int>
  private let ppParam: UnsafeMutableBufferPointer<Int>
  private let ppTerm: UnsafeMutableBufferPointer<Int>
  /// The Gaussian per-process parameters of term t: ppGaussOfTerm[ppGaussOffset[t]..<ppGaussOffset[t+1]].
  private let ppGaussOffset: UnsafeMutableBufferPointer<Int>
  private let ppGaussOfTerm: UnsafeMutableBufferPointer<Int>
  private let ppFlatBin: UnsafeMutableBufferPointer<Int>
  private let ppError: UnsafeMutableBufferPointer<Double>
  // Constraints: kind 0 Gaussian, 1 bifurcated, 2 Poisson.
  private let cParam: UnsafeMutableBufferPointer<Int>
  private let cKind: UnsafeMutableBufferPointer<Int>
  private let cSigmaLow: UnsafeMutableBufferPointer<Double>
  private let cSigmaHigh: UnsafeMutableBufferPointer<Double>
  /// Global observables θ_In (Gaussian/bifurcated means, gmN counts), aligned with the constraints.
  public private(set) var globalObservables: [Double]

  /// Global observables g_j of the Barlow–Beeston-lite parameters, per flat bin (0 unless set):
  /// their constraint is ½(x_j − g_j)². Combine moves them for a-posteriori Asimov datasets and
  /// frequentist toys.
  public private(set) var barlowBeestonGlobalObservables: [Double]

  /// Observed counts n_i per flat bin.
  public private(set) var data: [Double]

  // Scratch.
  private let nu: UnsafeMutableBufferPointer<Double>
  private let err2: UnsafeMutableBufferPointer<Double>
  private let xhat: UnsafeMutableBufferPointer<Double>  // per flat bin (BB-lite), 0 elsewhere
  /// Barlow–Beeston-lite values held fixed instead of profiled (Combine's autoMCStats parameters
  /// frozen), per flat bin, NaN where the bin stays profiled; nil: all profiled analytically.
  public private(set) var frozenBarlowBeeston: [Double]? = nil
  private let eTot: UnsafeMutableBufferPointer<Double>  // per flat bin √err2 for BB-lite bins
  private let floored: UnsafeMutableBufferPointer<Bool>  // ν floored (autoMCStats)
  private let cur: UnsafeMutableBufferPointer<Double>  // current template T_i(θ), aligned with templates
  private let raw: UnsafeMutableBufferPointer<Double>  // pre-floor h_i (normalised/log) aligned with templates
  private let termNorm: UnsafeMutableBufferPointer<Double>  // H (normalised) or S⁰/Hh (absolute log)
  /// Terms without morphs whose `cur`, `raw` and `termNorm` are already evaluated.
  private let staticTemplateReady: UnsafeMutableBufferPointer<Bool>
  private let termE: UnsafeMutableBufferPointer<Double>  // N⁰·e^S
  private let termN: UnsafeMutableBufferPointer<Double>  // N
  private let dLog: UnsafeMutableBufferPointer<Double>  // per asym effect d(θL)/dθ
  private let coef: UnsafeMutableBufferPointer<Double>  // per-bin gradient coefficients of one term
  private let wBin: UnsafeMutableBufferPointer<Double>  // ∂NLL/∂v per flat bin (v = Σ_p N_p T_p)
  private let wErr: UnsafeMutableBufferPointer<Double>  // ∂NLL/∂e per flat bin (BB-lite)

  /// - Parameter data: observed counts per flat bin (default: the card's observation).
  public init(model: CompiledModel, data: [Double]? = nil) throws {
    self.model = model
    guard let d = data ?? model.observed else {
      throw LikelihoodError("the card has no observation line; use an Asimov dataset (-t -1)")
    }
    guard d.count == model.binCount else {
      throw LikelihoodError("data has \(d.count) bins, the model \(model.binCount)")
    }
    self.data = d
    nTerms = model.terms.count
    nBins = model.binCount
    var fb: [Int] = [], nb: [Int] = [], to: [Int] = [], tp: [Double] = [], lt: [Double] = [], be: [Double] = []
    var md: [UInt8] = [], lg: [Bool] = [], qq: [Double] = [], he: [Bool] = [], nom: [Double] = [], nsum: [Double] = []
    var so = [0], sp: [Int] = [], sk: [Double] = []
    var ao = [0], ap: [Int] = [], ald: [Double] = [], alu: [Double] = []
    var acode: [NormalisationInterpolation] = [], alo: [Double] = [], ahi: [Double] = [], acoef: [Double] = []
    var fo = [0], fp: [Int] = []
    var tfo = [0], tf: [Int] = []
    var mo = [0], mp: [Int] = [], ms: [Double] = [], mdo: [Int] = [], mdiff: [Double] = [], msum: [Double] = []
    var mfirst: [Int] = [], mcount: [Int] = []
    for t in model.terms {
      let ch = model.channels[t.channel]
      guard t.template.count == ch.binCount else {
        throw LikelihoodError("term \(ch.name)/\(t.process) has \(t.template.count) template bins, the channel \(ch.binCount)")
      }
      fb.append(ch.firstBin)
      nb.append(ch.binCount)
      to.append(tp.count)
      tp += t.template
      lt += t.template.map { $0 > 0 ? log($0) : -999 }
      be += t.binErrors.isEmpty ? [Double](repeating: 0, count: t.template.count) : t.binErrors.map { $0 * $0 }
      he.append(!t.binErrors.isEmpty)
      md.append(t.mode == .counting ? 0 : t.mode == .normalised ? 1 : 2)
      lg.append(t.logMorph)
      qq.append(t.smoothRegion)
      nom.append(t.nominal)
      nsum.append(t.template.reduce(0, +))
      for e in t.logNormals {
        sp.append(e.parameter)
        sk.append(e.logKappa)
      }
      so.append(sp.count)
      for e in t.asymmetricLogNormals {
        ap.append(e.parameter)
        ald.append(e.logKappaDown)
        alu.append(e.logKappaUp)
        acode.append(e.code)
        alo.append(Foundation.exp(e.logKappaDown))
        ahi.append(Foundation.exp(e.logKappaUp))
        acoef += e.coefficients.count == 6 ? e.coefficients : [Double](repeating: 0, count: 6)
      }
      ao.append(ap.count)
      fp += t.factors
      fo.append(fp.count)
      tf += t.formulas
      tfo.append(tf.count)
      for m in t.morphs {
        guard m.diff.count == t.template.count, m.sum.count == t.template.count else {
          throw LikelihoodError("morph of \(ch.name)/\(t.process) has the wrong number of bins")
        }
        mp.append(m.parameter)
        ms.append(m.scale)
        mdo.append(mdiff.count)
        // Only the span of bins where the morph moves the template is stored and visited.
        let touched = m.diff.indices.filter { m.diff[$0] != 0 || m.sum[$0] != 0 }
        let lo = touched.first ?? 0, hi = touched.last.map { $0 + 1 } ?? 0
        mfirst.append(lo)
        mcount.append(hi - lo)
        mdiff += m.diff[lo..<hi]
        msum += m.sum[lo..<hi]
      }
      mo.append(mp.count)
    }
    termFirstBin = flatCopy(fb)
    termBins = flatCopy(nb)
    termTemplateOffset = flatCopy(to)
    templates = flatCopy(tp)
    logTemplates = flatCopy(lt)
    binErrors2 = flatCopy(be)
    termMode = flatCopy(md)
    termLog = flatCopy(lg)
    termQ = flatCopy(qq)
    termHasErrors = flatCopy(he)
    termNominal = flatCopy(nom)
    termNominalSum = flatCopy(nsum)
    symOffset = flatCopy(so)
    symParam = flatCopy(sp)
    symLogK = flatCopy(sk)
    asymOffset = flatCopy(ao)
    asymParam = flatCopy(ap)
    asymLd = flatCopy(ald)
    asymLu = flatCopy(alu)
    asymCode = acode
    asymLo = flatCopy(alo)
    asymHi = flatCopy(ahi)
    asymCoef = flatCopy(acoef)
    factorOffset = flatCopy(fo)
    factorParam = flatCopy(fp)
    termFormulaOffset = flatCopy(tfo)
    termFormula = flatCopy(tf)
    formulaObjects = try model.formulas.map { try Formula($0.source, argumentCount: $0.arguments.count) }
    formulaArgs = model.formulas.map(\.arguments)
    var go = [0]
    for a in formulaArgs { go.append(go.last! + a.count) }
    formulaGradOffset = flatCopy(go)
    fVal = .allocate(capacity: max(1, model.formulas.count))
    fGrad = .allocate(capacity: max(1, go.last!))
    morphOffset = flatCopy(mo)
    morphParam = flatCopy(mp)
    morphScale = flatCopy(ms)
    morphDataOffset = flatCopy(mdo)
    morphFirst = flatCopy(mfirst)
    morphCount = flatCopy(mcount)
    morphDiff = flatCopy(mdiff)
    morphSum = flatCopy(msum)
    // Bins floored at 1e-9: autoMCStats channels, and channels with externally scaled (EFT) terms.
    var sb = [Bool](repeating: false, count: nBins)
    for b in model.statBins { sb[b] = true }
    for t in model.terms where t.scaling != nil || t.binScalingFirst != nil {
      let ch = model.channels[t.channel]
      for i in 0..<ch.binCount { sb[ch.firstBin + i] = true }
    }
    isStatBin = flatCopy(sb)
    var mk = [Bool](repeating: false, count: nBins)
    for c in model.maskedChannels { for i in 0..<model.channels[c].binCount { mk[model.channels[c].firstBin + i] = true } }
    isMasked = flatCopy(mk)
    bbBins = flatCopy(model.barlowBeestonBins)
    ppParam = flatCopy(model.perProcessStats.map(\.parameter))
    ppTerm = flatCopy(model.perProcessStats.map(\.term))
    // Group the Gaussian per-process parameters by term (one pass), for the gradient's term loop.
    var byTerm = [[Int]](repeating: [], count: model.terms.count)
    for (k, p) in model.perProcessStats.enumerated() where (p.poissonCount ?? 0) == 0 { byTerm[p.term].append(k) }
    ppGaussOffset = flatCopy([0] + byTerm.reduce(into: [Int]()) { acc, g in acc.append((acc.last ?? 0) + g.count) })
    ppGaussOfTerm = flatCopy(byTerm.flatMap { $0 })
    ppFlatBin = flatCopy(model.perProcessStats.map { model.channels[model.terms[$0.term].channel].firstBin + $0.bin })
    ppError = flatCopy(model.perProcessStats.map { model.terms[$0.term].binErrors[$0.bin] })
    ppPoissonN = flatCopy(model.perProcessStats.map { $0.poissonCount ?? 0 })
    ppTemplateIndex = flatCopy(model.perProcessStats.map { to[$0.term] + $0.bin })
    var cp: [Int] = [], ck: [Int] = [], cm: [Double] = [], cl: [Double] = [], ch: [Double] = []
    for (i, p) in model.parameters.enumerated() {
      switch p.constraint {
      case .none, .flat: continue
      case .gaussian(let m, let s):
        cp.append(i); ck.append(0); cm.append(m); cl.append(s); ch.append(s)
      case .bifurcatedGaussian(let m, let sl, let sh):
        cp.append(i); ck.append(1); cm.append(m); cl.append(sl); ch.append(sh)
      case .poisson(let n):
        cp.append(i); ck.append(2); cm.append(n); cl.append(1); ch.append(1)
      case .scaledPoisson(let n, let scale):
        cp.append(i); ck.append(3); cm.append(n); cl.append(scale); ch.append(scale)
      }
    }
    cParam = flatCopy(cp)
    cKind = flatCopy(ck)
    globalObservables = cm
    barlowBeestonGlobalObservables = [Double](repeating: 0, count: nBins)
    cSigmaLow = flatCopy(cl)
    cSigmaHigh = flatCopy(ch)
    nu = .allocate(capacity: max(1, nBins))
    err2 = .allocate(capacity: max(1, nBins))
    xhat = .allocate(capacity: max(1, nBins))
    eTot = .allocate(capacity: max(1, nBins))
    floored = .allocate(capacity: max(1, nBins))
    wBin = .allocate(capacity: max(1, nBins))
    wErr = .allocate(capacity: max(1, nBins))
    cur = .allocate(capacity: max(1, tp.count))
    binMult = .allocate(capacity: max(1, tp.count))
    binMult.initialize(repeating: 1)
    scaleMult = .allocate(capacity: max(1, tp.count))
    scaleMult.initialize(repeating: 1)
    scalingFunctions = model.scalings
    termScale = flatCopy(model.terms.map { $0.scaling ?? -1 })
    termBinScale = flatCopy(model.terms.map { $0.binScalingFirst ?? -1 })
    termNominalScaled = flatCopy(model.terms.map {
      $0.binScalingFirst != nil && ($0.perBinScaling ?? model.perBinScaling) == .nominal && $0.mode == .absolute && !$0.logMorph && !$0.morphs.isEmpty
    })
    muVal = .allocate(capacity: max(1, model.scalings?.count ?? 0))
    muW = .allocate(capacity: max(1, model.scalings?.count ?? 0))
    wTerm = .allocate(capacity: max(1, nb.max() ?? 1))
    raw = .allocate(capacity: max(1, tp.count))
    coef = .allocate(capacity: max(1, nb.max() ?? 1))
    termNorm = .allocate(capacity: max(1, nTerms))
    staticTemplateReady = .allocate(capacity: max(1, nTerms))
    staticTemplateReady.initialize(repeating: false)
    termE = .allocate(capacity: max(1, nTerms))
    termN = .allocate(capacity: max(1, nTerms))
    dLog = .allocate(capacity: max(1, ap.count))
    xhat.initialize(repeating: 0)
    eTot.initialize(repeating: 0)
    floored.initialize(repeating: false)
  }

  deinit {
    for b in [nu, err2, xhat, eTot, wBin, wErr, fVal, fGrad, binMult, scaleMult, muVal, muW, wTerm, cur, raw, coef, termNorm, termE, termN, dLog] { b.deallocate() }
    staticTemplateReady.deallocate()
    floored.deallocate()
    termFirstBin.deallocate()
    termBins.deallocate()
    termTemplateOffset.deallocate()
    templates.deallocate()
    logTemplates.deallocate()
    binErrors2.deallocate()
    termMode.deallocate()
    termLog.deallocate()
    termQ.deallocate()
    termHasErrors.deallocate()
    termNominal.deallocate()
    termNominalSum.deallocate()
    symOffset.deallocate()
    symParam.deallocate()
    symLogK.deallocate()
    asymOffset.deallocate()
    asymParam.deallocate()
    asymLd.deallocate()
    asymLu.deallocate()
    asymLo.deallocate()
    asymHi.deallocate()
    asymCoef.deallocate()
    factorOffset.deallocate()
    factorParam.deallocate()
    formulaGradOffset.deallocate()
    termFormulaOffset.deallocate()
    termFormula.deallocate()
    morphOffset.deallocate()
    morphParam.deallocate()
    morphScale.deallocate()
    morphDataOffset.deallocate()
    morphFirst.deallocate()
    morphCount.deallocate()
    morphDiff.deallocate()
    morphSum.deallocate()
    isStatBin.deallocate()
    isMasked.deallocate()
    bbBins.deallocate()
    termScale.deallocate()
    termBinScale.deallocate()
    termNominalScaled.deallocate()
    ppPoissonN.deallocate()
    ppTemplateIndex.deallocate()
    ppParam.deallocate()
    ppTerm.deallocate()
    ppGaussOffset.deallocate()
    ppGaussOfTerm.deallocate()
    ppFlatBin.deallocate()
    ppError.deallocate()
    cParam.deallocate()
    cKind.deallocate()
    cSigmaLow.deallocate()
    cSigmaHigh.deallocate()
  }

  /// Replaces the observed counts (e.g. with an Asimov dataset).
  public func setData(_ d: [Double]) {
    precondition(d.count == nBins)
    data = d
  }

  /// Replaces the Barlow–Beeston-lite global observables (one per flat bin; bins without a BB-lite
  /// parameter ignore theirs).
  /// Holds the Barlow–Beeston-lite parameters at `x` (per flat bin) instead of profiling them;
  /// nil profiles them again. With x_j fixed the bin term is ν − n ln ν + ½(x_j − g_j)², ν = v + e·x_j.
  /// An entry NaN keeps that bin profiled.
  public func freezeBarlowBeeston(_ x: [Double]?) {
    precondition(x == nil || x!.count == nBins)
    frozenBarlowBeeston = x
  }

  /// Holds the Barlow–Beeston-lite parameter of flat bin `j` at `value` (nil: profiled again),
  /// leaving the other bins as they are: how one `prop_bin` parameter is fixed for its impact.
  /// Does not allocate once a bin is held (the minimiser calls it per evaluation).
  public func holdBarlowBeeston(bin j: Int, at value: Double?) {
    if frozenBarlowBeeston == nil {
      guard value != nil else { return }
      frozenBarlowBeeston = [Double](repeating: .nan, count: nBins)
    }
    frozenBarlowBeeston![j] = value ?? .nan
  }

  /// ∂NLL/∂x_j of a held Barlow–Beeston-lite bin j at the last `valueAndGradient`:
  /// w_j·e_j + (x_j − g_j), with w_j = ∂(ν − n ln ν)/∂ν (0 where ν is floored) and ∂ν_j/∂x_j = e_j.
  public func heldBarlowBeestonDerivative(bin j: Int) -> Double {
    guard eTot[j] > 0, !isMasked[j] else { return xhat[j] - barlowBeestonGlobalObservables[j] }
    return wBin[j] * eTot[j] + (xhat[j] - barlowBeestonGlobalObservables[j])
  }

  public func setBarlowBeestonGlobalObservables(_ g: [Double]) {
    precondition(g.count == nBins)
    barlowBeestonGlobalObservables = g
  }

  /// Replaces the global observables (constraint means θ_In), aligned with the constrained
  /// parameters in parameter order.
  public func setGlobalObservables(_ g: [Double]) {
    precondition(g.count == globalObservables.count)
    globalObservables = g
  }

  /// Evaluates the morphed template of term t into `cur` (and `raw`, `termNorm`).
  @inline(__always)
  private func morphTemplate(_ t: Int, _ x: UnsafeBufferPointer<Double>) {
    let off = termTemplateOffset[t], n = termBins[t]
    let mode = termMode[t]
    // A template no morph moves is the same at every x: evaluated once.
    if morphOffset[t] == morphOffset[t + 1] {
      if staticTemplateReady[t] { return }
      staticTemplateReady[t] = true
    }
    if mode == 0 {
      for i in 0..<n { cur[off + i] = templates[off + i] }
      return
    }
    let log = termLog[t]
    // g = base + Σ Δ
    for i in 0..<n { raw[off + i] = log ? logTemplates[off + i] : templates[off + i] }
    let q = termQ[t]
    for k in morphOffset[t]..<morphOffset[t + 1] {
      let xs = morphScale[k] * x[morphParam[k]]
      let s = smoothStep(xs, q).value
      // raw += ½x(diff + S·sum), on local base pointers (so that the loop vectorises).
      let a = 0.5 * xs, b = 0.5 * xs * s
      let dst = raw.baseAddress! + off + morphFirst[k]
      let dif = morphDiff.baseAddress! + morphDataOffset[k], sum = morphSum.baseAddress! + morphDataOffset[k]
      for i in 0..<morphCount[k] { dst[i] += a * dif[i] + b * sum[i] }
    }
    if mode == 1 {
      var h = 0.0
      for i in 0..<n {
        let v = log ? Foundation.exp(raw[off + i]) : Swift.max(raw[off + i], templateFloor)
        cur[off + i] = v
        h += v
      }
      termNorm[t] = h
      let inv = 1 / h
      for i in 0..<n { cur[off + i] *= inv }
    } else if log {
      var h = 0.0
      for i in 0..<n {
        let v = Foundation.exp(raw[off + i])
        cur[off + i] = v
        h += v
      }
      let scale = termNominalSum[t] / h
      termNorm[t] = scale
      for i in 0..<n { cur[off + i] = Swift.max(cur[off + i] * scale, templateFloor) }
    } else {
      for i in 0..<n { cur[off + i] = Swift.max(raw[off + i], templateFloor) }
    }
  }

  /// Fills termE, termN, templates, nu (with autoMCStats terms); returns the Σ ½(x̂ − g)² penalty.
  /// Without `barlowBeeston` the BB-lite x̂_j are set to 0 (so `barlowBeestonValues` says so).
  @inline(__always)
  private func computeYields(_ x: UnsafeBufferPointer<Double>, derivatives: Bool, barlowBeeston: Bool = true) -> Double {
    for i in 0..<nBins {
      nu[i] = 0
      err2[i] = 0
    }
    for k in 0..<ppParam.count where ppPoissonN[k] > 0 {
      binMult[ppTemplateIndex[k]] = x[ppParam[k]] / ppPoissonN[k]
    }
    if let f = scalingFunctions { f.evaluate(x, into: muVal) }
    for f in 0..<formulaObjects.count {
      let args = formulaArgs[f]
      let g = UnsafeMutableBufferPointer(rebasing: fGrad[formulaGradOffset[f]..<formulaGradOffset[f + 1]])
      fVal[f] = formulaObjects[f].evaluate({ x[args[$0]] }, gradient: derivatives ? g : nil)
    }
    for t in 0..<nTerms {
      var s = 0.0
      for k in symOffset[t]..<symOffset[t + 1] { s += x[symParam[k]] * symLogK[k] }
      for k in asymOffset[t]..<asymOffset[t + 1] {
        let r = asymCode[k] == .combine
          ? asymmetricLogFactor(x[asymParam[k]], logKappaDown: asymLd[k], logKappaUp: asymLu[k])
          : histFactoryLogFactor(x[asymParam[k]], code: asymCode[k], lo: asymLo[k], hi: asymHi[k], c: asymCoef.baseAddress! + 6 * k)
        s += r.value
        if derivatives { dLog[k] = r.derivative }
      }
      let e = termNominal[t] * Foundation.exp(s)
      var n = e
      for k in factorOffset[t]..<factorOffset[t + 1] { n *= x[factorParam[k]] }
      for k in termFormulaOffset[t]..<termFormulaOffset[t + 1] { n *= fVal[termFormula[k]] }
      if termScale[t] >= 0 { n *= muVal[termScale[t]] }
      termE[t] = e
      termN[t] = n
      morphTemplate(t, x)
      let first = termFirstBin[t], off = termTemplateOffset[t]
      if termNominalScaled[t] {
        // ν_i = N·max(μ_i T⁰_i + ΣΔ_i, floor), held as the factor on the morphed template cur_i.
        let f0 = termBinScale[t]
        for i in 0..<termBins[t] {
          let eff = Swift.max(raw[off + i] + (muVal[f0 + i] - 1) * templates[off + i], templateFloor)
          scaleMult[off + i] = eff / cur[off + i]
        }
      } else if termBinScale[t] >= 0 {
        for i in 0..<termBins[t] { scaleMult[off + i] = muVal[termBinScale[t] + i] }
      }
      do {
        let dst = nu.baseAddress! + first, c = cur.baseAddress! + off
        let bm = binMult.baseAddress! + off, sm = scaleMult.baseAddress! + off
        for i in 0..<termBins[t] { dst[i] += n * c[i] * bm[i] * sm[i] }
      }
      if termHasErrors[t] {
        for i in 0..<termBins[t] { err2[first + i] += n * n * binErrors2[off + i] }
      }
    }
    for k in 0..<ppParam.count where ppPoissonN[k] == 0 {
      nu[ppFlatBin[k]] += x[ppParam[k]] * ppError[k] * termN[ppTerm[k]]
    }
    var penalty = 0.0
    if !barlowBeeston {
      for j in bbBins { xhat[j] = 0 }
    }
    if barlowBeeston {
      for j in bbBins where !isMasked[j] {
        let v = nu[j], e = err2[j].squareRoot()
        eTot[j] = e
        guard e > 0 else {
          xhat[j] = 0
          continue
        }
        let gj = barlowBeestonGlobalObservables[j]
        let held = frozenBarlowBeeston?[j] ?? .nan
        let xh = held.isNaN ? barlowBeestonMinimum(v: v, e: e, n: data[j], g: gj) : held
        xhat[j] = xh
        nu[j] = v + e * xh
        penalty += 0.5 * (xh - gj) * (xh - gj)
      }
    }
    for i in 0..<nBins where isStatBin[i] {
      floored[i] = nu[i] < templateFloor
      if floored[i] { nu[i] = templateFloor }
    }
    return penalty
  }

  @inline(__always)
  private func poissonPart() -> Double {
    var sum = 0.0
    for i in 0..<nBins where !isMasked[i] {
      let v = nu[i], n = data[i]
      if n > 0 {
        if !(v > 0) { return .infinity }
        sum += v - n - n * Foundation.log(v / n)
      } else {
        if v < 0 { return .infinity }
        sum += v
      }
    }
    return sum
  }

  @inline(__always)
  private func constraintPart(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>?) -> Double {
    var sum = 0.0
    for k in 0..<cParam.count {
      let j = cParam[k]
      let th = x[j], m = globalObservables[k]
      switch cKind[k] {
      case 2:
        // −ln Pois(N; θ) + const = θ − N ln θ.
        if m > 0 {
          if !(th > 0) { return .infinity }
          sum += th - m * Foundation.log(th)
          g?[j] += 1 - m / th
        } else {
          sum += th
          g?[j] += 1
        }
      case 3:
        // −ln Pois(N; sθ) + const (shapesys, N = s = τ), written zero at its minimum θ = N/s:
        // N·(u − 1 − ln u), u = sθ/N, as N·(d − log1p(d)), d = u − 1 (τ reaches 10¹¹: stable).
        let sc = cSigmaLow[k]
        if m > 0 {
          if !(th > 0) { return .infinity }
          let d = sc * th / m - 1
          sum += m * (d - Foundation.log1p(d))
          g?[j] += sc - m / th
        } else {
          sum += sc * th
          g?[j] += sc
        }
      default:
        let s = (th < m) ? cSigmaLow[k] : cSigmaHigh[k]
        let z = (th - m) / s
        sum += 0.5 * z * z
        g?[j] += z / s
      }
    }
    return sum
  }

  /// NLL(x). Does not allocate.
  public func value(_ x: UnsafeBufferPointer<Double>) -> Double {
    let bb = computeYields(x, derivatives: false)
    let p = poissonPart()
    if !p.isFinite { return .infinity }
    return p + bb + constraintPart(x, nil)
  }

  /// NLL(x), with ∇NLL(x) written into g. Does not allocate.
  public func valueAndGradient(_ x: UnsafeBufferPointer<Double>, _ g: UnsafeMutableBufferPointer<Double>) -> Double {
    for j in 0..<g.count { g[j] = 0 }
    let bb = computeYields(x, derivatives: true)
    let p = poissonPart()
    if !p.isFinite { return .infinity }
    for i in 0..<nBins {
      let n = data[i]
      wBin[i] = (isMasked[i] || (isStatBin[i] && floored[i])) ? 0 : (n > 0 ? 1 - n / nu[i] : 1)
      wErr[i] = 0
    }
    // Barlow–Beeston-lite bins: the envelope derivatives of the profiled bin term.
    for j in bbBins where eTot[j] > 0 && !isMasked[j] {
      // Held x_j: ν = v + e·x_j directly (a floored bin has wBin 0 already).
      let held = !(frozenBarlowBeeston?[j] ?? .nan).isNaN
      (wBin[j], wErr[j]) = held ? (wBin[j], wBin[j] * xhat[j]) : barlowBeestonGradient(
        w: wBin[j], xhat: xhat[j], g: barlowBeestonGlobalObservables[j], e: eTot[j], floored: floored[j])
    }
    if let f = scalingFunctions { for k in 0..<f.count { muW[k] = 0 } }
    // Per-process autoMCStats parameters: Gaussian ν_j += x·e·N; Poisson ν_j += (β/n − 1)·N·T_j.
    for k in 0..<ppParam.count {
      if ppPoissonN[k] > 0 {
        let idx = ppTemplateIndex[k]
        g[ppParam[k]] += wBin[ppFlatBin[k]] * termN[ppTerm[k]] * cur[idx] * scaleMult[idx] / ppPoissonN[k]
      } else {
        g[ppParam[k]] += wBin[ppFlatBin[k]] * ppError[k] * termN[ppTerm[k]]
      }
    }
    for t in 0..<nTerms {
      let first = termFirstBin[t], off = termTemplateOffset[t], nb = termBins[t]
      // wTerm_i = ∂NLL/∂(N_t·T_ti) = ∂NLL/∂ν_i · mult_i; w = ∂NLL/∂N_t.
      let nominalScaled = termNominalScaled[t]
      var w = 0.0
      if nominalScaled {
        // ∂ν_i/∂T_i = N (the shifts are not scaled); ∂ν/∂N uses the effective template.
        for i in 0..<nb { wTerm[i] = wBin[first + i] * binMult[off + i] }
        for i in 0..<nb { w += wTerm[i] * cur[off + i] * scaleMult[off + i] }
      } else {
        let wt = wTerm.baseAddress!, wb = wBin.baseAddress! + first, c = cur.baseAddress! + off
        let bm = binMult.baseAddress! + off, sm = scaleMult.baseAddress! + off
        for i in 0..<nb { wt[i] = wb[i] * bm[i] * sm[i] }
        for i in 0..<nb { w += wt[i] * c[i] }
      }
      if nominalScaled {
        // ∂NLL/∂μ_i = ∂NLL/∂ν_i · N·T⁰_i (0 where the floor holds).
        let nt = termN[t], f0 = termBinScale[t]
        for i in 0..<nb where raw[off + i] + (muVal[f0 + i] - 1) * templates[off + i] > templateFloor {
          muW[f0 + i] += wBin[first + i] * nt * templates[off + i] * binMult[off + i]
        }
      } else if termBinScale[t] >= 0 {
        // ∂NLL/∂μ_i = ∂NLL/∂ν_i · N·T_i·(Poisson factor).
        let nt = termN[t], f0 = termBinScale[t]
        for i in 0..<nb { muW[f0 + i] += wBin[first + i] * nt * cur[off + i] * binMult[off + i] }
      }
      if termHasErrors[t] {
        let nt = termN[t]
        for i in 0..<nb where wErr[first + i] != 0 {
          w += wErr[first + i] * nt * binErrors2[off + i] / eTot[first + i]
        }
      }
      for j in ppGaussOffset[t]..<ppGaussOffset[t + 1] {
        let k = ppGaussOfTerm[j]
        w += wBin[ppFlatBin[k]] * x[ppParam[k]] * ppError[k]
      }
      let wn = w * termN[t]
      for k in symOffset[t]..<symOffset[t + 1] { g[symParam[k]] += wn * symLogK[k] }
      for k in asymOffset[t]..<asymOffset[t + 1] { g[asymParam[k]] += wn * dLog[k] }
      let f0 = factorOffset[t], f1 = factorOffset[t + 1]
      let h0 = termFormulaOffset[t], h1 = termFormulaOffset[t + 1]
      var formulaProduct = 1.0
      for k in h0..<h1 { formulaProduct *= fVal[termFormula[k]] }
      let mu = termScale[t] >= 0 ? muVal[termScale[t]] : 1
      if termScale[t] >= 0 {
        var prod = termE[t] * formulaProduct
        for l in f0..<f1 { prod *= x[factorParam[l]] }
        muW[termScale[t]] += w * prod
      }
      for k in f0..<f1 {
        var prod = termE[t] * formulaProduct * mu
        for l in f0..<f1 where l != k { prod *= x[factorParam[l]] }
        g[factorParam[k]] += w * prod
      }
      for k in h0..<h1 {
        // ∂N/∂x_a = (N without this formula)·∂f/∂x_a.
        var prod = termE[t] * mu
        for l in f0..<f1 { prod *= x[factorParam[l]] }
        for l in h0..<h1 where l != k { prod *= fVal[termFormula[l]] }
        let f = termFormula[k], go = formulaGradOffset[f]
        for (a, p) in formulaArgs[f].enumerated() { g[p] += w * prod * fGrad[go + a] }
      }
      // Shape morphs: Σ_i w_i ∂T_i/∂θ_s = Σ_k coef_k · ∂g_k/∂θ_s.
      let m0 = morphOffset[t], m1 = morphOffset[t + 1]
      guard m1 > m0 else { continue }
      let log = termLog[t]
      switch termMode[t] {
      case 1:
        // T = h/H, h = max(g, floor) or exp(g): coef_k = ∂h_k/∂g_k · (w_k − W)/H, W = Σ w_i T_i.
        var W = 0.0
        for i in 0..<nb { W += wTerm[i] * cur[off + i] }
        let H = termNorm[t]
        for i in 0..<nb {
          let dh = log ? cur[off + i] * H : (raw[off + i] > templateFloor ? 1 : 0)
          coef[i] = dh * (wTerm[i] - W) / H
        }
      default:
        if log {
          // T = max(h·S⁰/Σh, floor), h = exp(g).
          let scale = termNorm[t]
          var hs = 0.0, W = 0.0
          for i in 0..<nb {
            let h = Foundation.exp(raw[off + i])
            hs += h
            if cur[off + i] > templateFloor { W += wTerm[i] * h }
          }
          for i in 0..<nb {
            let h = Foundation.exp(raw[off + i])
            let active = cur[off + i] > templateFloor ? wTerm[i] : 0
            coef[i] = scale * h * (active - W / hs)
          }
        } else if nominalScaled {
          let f0 = termBinScale[t]
          for i in 0..<nb { coef[i] = raw[off + i] + (muVal[f0 + i] - 1) * templates[off + i] > templateFloor ? wTerm[i] : 0 }
        } else {
          for i in 0..<nb { coef[i] = raw[off + i] > templateFloor ? wTerm[i] : 0 }
        }
      }
      let q = termQ[t], nt = termN[t]
      for k in m0..<m1 {
        let sc = morphScale[k]
        let xs = sc * x[morphParam[k]]
        let (s, sp) = smoothStep(xs, q)
        // dΔ/dx = ½(diff + S·sum) + ½x·S′·sum = ½ diff + (½S + ½x·S′) sum.
        let bs = 0.5 * s + 0.5 * xs * sp
        let c = coef.baseAddress! + morphFirst[k]
        let dif = morphDiff.baseAddress! + morphDataOffset[k], sum = morphSum.baseAddress! + morphDataOffset[k]
        var acc = 0.0
        for i in 0..<morphCount[k] { acc += c[i] * (0.5 * dif[i] + bs * sum[i]) }
        g[morphParam[k]] += nt * sc * acc
      }
    }
    if let f = scalingFunctions { f.accumulateGradient(x, weights: UnsafeBufferPointer(muW), into: g) }
    return p + bb + constraintPart(x, g)
  }

  /// Convenience: NLL at an array of values.
  public func value(at x: [Double]) -> Double { x.withUnsafeBufferPointer { value($0) } }

  /// Convenience: (NLL, ∇NLL) at an array of values.
  public func valueAndGradient(at x: [Double]) -> (Double, [Double]) {
    var g = [Double](repeating: 0, count: x.count)
    let v = x.withUnsafeBufferPointer { xb in g.withUnsafeMutableBufferPointer { valueAndGradient(xb, $0) } }
    return (v, g)
  }

  /// Expected yields ν_i at x; with `barlowBeeston` the analytic Barlow–Beeston-lite parameters are
  /// at their conditional minimum for the current data, without it at 0 (an Asimov dataset's
  /// choice). Per-process autoMCStats parameters take their values from x.
  public func expectedYields(at x: [Double], barlowBeeston: Bool = true) -> [Double] {
    _ = x.withUnsafeBufferPointer { computeYields($0, derivatives: false, barlowBeeston: barlowBeeston) }
    return Array(UnsafeBufferPointer(start: nu.baseAddress, count: nBins))
  }

  /// As ``expectedYields(at:barlowBeeston:)``; with `signal: false` the background-only model's
  /// yields: the sum over the background terms (`termYields`) plus the BB-lite shifts.
  public func expectedYields(at x: [Double], barlowBeeston: Bool, signal: Bool) -> [Double] {
    if signal { return expectedYields(at: x, barlowBeeston: barlowBeeston) }
    let (rows, bb) = termYields(at: x, barlowBeeston: barlowBeeston)
    var out = bb
    for (t, row) in rows.enumerated() where !model.terms[t].isSignal {
      let first = termFirstBin[t]
      for i in row.indices { out[first + i] += row[i] }
    }
    return out
  }

  /// Yields per yield term (one (channel, process) pair, in `model.terms` order) and bin at x:
  ///   ν_{t,i} = N_t(θ) · T_{t,i}(θ) · m_{t,i}  (+ δ_{t,i}, its per-process autoMCStats Gaussian shift
  ///   x_{t,i}·e_{t,i}·N_t),
  /// where m is the Poisson autoMCStats multiplier β/n and any per-bin external scaling. The
  /// Barlow–Beeston-lite shift e_j·x̂_j of each flat bin belongs to the bin's total, not to a process:
  /// it is returned separately per flat bin (`bbShift`, 0 without `barlowBeeston` or where there is
  /// no BB-lite parameter), so that Σ_t ν_{t,i} + bbShift_j = ν_j of ``expectedYields(at:barlowBeeston:)``
  /// (up to the 1e-9 floor of statistical bins).
  public func termYields(at x: [Double], barlowBeeston: Bool = true) -> (terms: [[Double]], bbShift: [Double]) {
    _ = x.withUnsafeBufferPointer { computeYields($0, derivatives: false, barlowBeeston: barlowBeeston) }
    var rows: [[Double]] = (0..<nTerms).map { t in
      let off = termTemplateOffset[t], n = termN[t]
      return (0..<termBins[t]).map { i in n * cur[off + i] * binMult[off + i] * scaleMult[off + i] }
    }
    for k in 0..<ppParam.count where ppPoissonN[k] == 0 {
      let t = ppTerm[k]
      rows[t][ppFlatBin[k] - termFirstBin[t]] += x[ppParam[k]] * ppError[k] * termN[t]
    }
    var bb = [Double](repeating: 0, count: nBins)
    if barlowBeeston {
      for j in bbBins where !isMasked[j] { bb[j] = err2[j].squareRoot() * xhat[j] }
    }
    return (rows, bb)
  }

  /// N_cp of every yield term (in `model.terms` order) at x: the normalisation, with every factor,
  /// formula and scaling, that multiplies the term's template.
  public func normalisations(at x: [Double]) -> [Double] {
    _ = x.withUnsafeBufferPointer { computeYields($0, derivatives: false, barlowBeeston: false) }
    return Array(UnsafeBufferPointer(start: termN.baseAddress, count: nTerms))
  }

  /// Per flat bin, the total MC-statistical uncertainty e_j = √(Σ_t N_t² e_{t,j}²) of a BB-lite bin at
  /// the last evaluation (0 elsewhere).
  public var barlowBeestonErrors: [Double] {
    var e = [Double](repeating: 0, count: nBins)
    for j in bbBins { e[j] = err2[j].squareRoot() }
    return e
  }

  /// The Barlow–Beeston-lite values x̂_j at the last evaluation, per flat bin (0 where none).
  public var barlowBeestonValues: [Double] { Array(UnsafeBufferPointer(start: xhat.baseAddress, count: nBins)) }
}

/// A flat model array held as a buffer (read in the hot loops without Array's bounds checks and
/// retains); owned by its `NLL`, freed in its `deinit`.
private func flatCopy<T>(_ a: [T]) -> UnsafeMutableBufferPointer<T> {
  let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(a.count, 1))
  _ = b.initialize(from: a)
  return UnsafeMutableBufferPointer(rebasing: b[0..<a.count])
}
