import Datacard
import EFT
import Foundation
import Likelihood
import Testing
import TestSupport

@testable import InformationTrees

/// From scores to categories: edges, filling, the datacard and EFT file, Fisher bookkeeping.
@Suite struct CategoryTests {
  /// A small quadratic toy: x ~ U(0,1), w(θ) = (1 + θ_0 x + θ_1 (1 − x))², so w_0 = 1,
  /// w_a = 2 f_a, w_ab = 2 f_a f_b with f = (x, 1 − x).
  static func quadraticToy(_ n: Int, seed: UInt64) -> Events {
    var rng = Xoshiro256(seed: seed)
    var X: [Double] = [], W: [Double] = []
    for _ in 0..<n {
      let x = rng.uniform()
      let f = [x, 1 - x]
      X.append(x)
      W += [1, 2 * f[0], 2 * f[1], 2 * f[0] * f[0], 2 * f[0] * f[1], 2 * f[1] * f[1]]
    }
    return Events(featureNames: ["x"], coefficients: ["a", "b"], derivatives: canonicalDerivatives(coefficientCount: 2, quadratic: true),
                  features: X, weights: W)
  }

  @Test func yieldsAreTheExactQuadraticPolynomials() throws {
    let ev = Self.quadraticToy(5000, seed: 3)
    let s = ev.featureColumn(0)
    let bg = BackgroundSample(name: "bkg", statistic: (0..<1000).map { Double($0) / 1000 }, weights: [Double](repeating: 2, count: 1000))
    let cat = try categorise(signal: ev, statistic: s, backgrounds: [bg], options: CategoryOptions(categories: 5))
    #expect(cat.count == 5)
    #expect(cat.signalCounts.reduce(0, +) == 5000)
    #expect(abs(cat.backgroundYields[0].reduce(0, +) - 2000) < 1e-9)
    // Equal total SM yield: 7000 / 5 each, up to one event's weight.
    for b in 0..<5 { #expect(abs(cat.totalYield(b) - 1400) <= 2.0001) }
    let eft = try cat.eftParametrisation(options: CardOptions()).compile()
    for theta in [[0.3, -0.2], [1.0, 0.0], [-0.5, 2.0]] {
      for b in 0..<5 {
        var direct = 0.0
        for i in 0..<ev.count where binIndex(s[i], edges: cat.edges) == b {
          let x = ev.feature(i, 0)
          direct += pow(1 + theta[0] * x + theta[1] * (1 - x), 2)
        }
        #expect(relClose(cat.signalYield(b, theta: theta), direct, 1e-10))
        let mu = eft.scaling(channel: "cat\(b)", process: "sig")!.value(at: theta)
        #expect(relClose(mu * cat.signalYield(b), direct, 1e-10))
      }
    }
  }

  @Test func datacardRoundTripsAndCarriesSystematics() throws {
    let ev = Self.quadraticToy(2000, seed: 4)
    let bg = BackgroundSample(name: "bkg", statistic: (0..<500).map { Double($0) / 500 }, weights: [Double](repeating: 1, count: 500))
    let cat = try categorise(signal: ev, statistic: ev.featureColumn(0), backgrounds: [bg], options: CategoryOptions(categories: 4))
    let opts = CardOptions(systematics: [try CategorySystematic(parsing: "lumi=1.025"), try CategorySystematic(parsing: "bkg_norm=0.9/1.2:bkg")],
                           mcStatistics: true)
    let card = try cat.datacard(options: opts)
    let back = try Datacard.parse(text: DatacardWriter.write(card))
    #expect(back.firstDifference(from: card) == nil)
    #expect(back.bins == ["cat0", "cat1", "cat2", "cat3"])
    #expect(back.systematics.count == 2 + 8)
    #expect(back.systematics[1].effects.filter { !$0.isNone }.count == 4)
    for (b, o) in back.observations!.enumerated() { #expect(relClose(o, cat.totalYield(b), 1e-12)) }
    #expect(throws: BITError.self) { try CategorySystematic(parsing: "x=abc") }
    // The EFT file round-trips through the native format.
    let eft = cat.eftParametrisation(options: opts, ranges: ["a": -2...3])
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("bit-eft-\(getpid()).json").path
    defer { try? FileManager.default.removeItem(atPath: tmp) }
    try NativeFormat.write(eft, to: tmp)
    let read = try EFTParametrisation.read(path: tmp)
    #expect(read == eft)
    #expect(read.coefficients[0].minimum == -2 && read.coefficients[0].maximum == 3)
  }

  /// The Fisher method keeps at least as much information as equal-yield bins, and on a closure
  /// toy with the analytic score 20 equal-yield bins keep ≥ 98 %.
  @Test func fisherMethodBeatsEqualYield() throws {
    let ev = ClosureToy.exponential.generate(count: 50_000, seed: 11)
    let s = ev.featureColumn(0).map { ClosureToy.exponential.score($0) }
    let eq = try categorise(signal: ev, statistic: s, options: CategoryOptions(categories: 20))
    let f0 = fisherSummary(eq, signal: ev)[0]
    #expect(f0.fraction >= 0.98)
    for n in [3, 6] {
      let a = fisherSummary(try categorise(signal: ev, statistic: s, options: CategoryOptions(categories: n)), signal: ev)[0]
      let b = fisherSummary(try categorise(signal: ev, statistic: s, options: CategoryOptions(categories: n, method: .fisher)), signal: ev)[0]
      let c = fisherSummary(try categorise(signal: ev, statistic: s, options: CategoryOptions(categories: n, method: .equalInformation)), signal: ev)[0]
      #expect(b.binned >= a.binned * (1 - 1e-12))
      #expect(b.binned >= c.binned * (1 - 1e-12))
      #expect(b.fraction <= 1 + 1e-12)
    }
    // Minimum events per category are respected.
    let few = try categorise(signal: ev, statistic: s, options: CategoryOptions(categories: 8, method: .fisher, minEvents: 2000))
    #expect(few.signalCounts.allSatisfy { $0 >= 2000 })
    #expect(throws: BITError.self) { try categorise(signal: ev, statistic: s, options: CategoryOptions(categories: 8, method: .fisher, minEvents: 10_000)) }
  }

  /// The Asimov q of data at θ against the SM (bit.md §8 ii, §10.3), from the filled categories.
  static func asimovQ(_ c: Categorisation, theta: [Double]) -> Double {
    (0..<c.count).reduce(0.0) { acc, b in
      let l0 = c.totalYield(b), lt = c.signalYield(b, theta: theta) + c.backgroundYield(b)
      return acc + 2 * (lt * log(lt / l0) - (lt - l0))
    }
  }

  /// The other direction (SM data against θ), which the objective must not use.
  static func reversedAsimovQ(_ c: Categorisation, theta: [Double]) -> Double {
    (0..<c.count).reduce(0.0) { acc, b in
      let l0 = c.totalYield(b), lt = c.signalYield(b, theta: theta) + c.backgroundYield(b)
      return acc + 2 * (lt - l0 - l0 * log(lt / l0))
    }
  }

  /// The Asimov objective (finite θ): the optimal partition beats equal-yield bins.
  @Test func asimovObjective() throws {
    let ev = Self.quadraticToy(20_000, seed: 5)
    let s = ev.featureColumn(0)
    let theta = [0.4, -0.1]
    func q(_ c: Categorisation) -> Double { Self.asimovQ(c, theta: theta) }
    let eq = try categorise(signal: ev, statistic: s, options: CategoryOptions(categories: 4))
    let opt = try categorise(signal: ev, statistic: s, options: CategoryOptions(categories: 4, method: .fisher, objective: .asimov(theta: theta)))
    #expect(q(opt) >= q(eq) * (1 - 1e-12))
    #expect(opt.count == 4)
  }

  /// With a statistic of six distinct values every partition into 4 categories can be enumerated:
  /// the `fisher` method with the Asimov objective finds the partition with the largest q of data at θ
  /// against the SM, which here is not the one that maximises the reversed q.
  @Test func asimovObjectiveIsDataAtThetaAgainstSM() throws {
    let ev = Self.quadraticToy(6000, seed: 8)
    let levels = 6.0
    let s = ev.featureColumn(0).map { floor($0 * levels) / levels }
    let nb = 600
    let bg = BackgroundSample(name: "bkg", statistic: (0..<nb).map { floor(Double($0) / Double(nb) * levels) / levels },
                              weights: (0..<nb).map { 20 * (1 - Double($0) / Double(nb)) })
    let theta = [2.5, -1.5]
    let values = (0..<Int(levels)).map { Double($0) / levels }
    var best: (q: Double, edges: [Double]) = (-.infinity, []), bestReversed = best
    for a in 0..<5 {
      for b in (a + 1)..<5 {
        for c in (b + 1)..<5 {
          let edges = [values[a], values[b], values[c]]
          let cat = fill(signal: ev, statistic: s, backgrounds: [bg], edges: edges)
          let q = Self.asimovQ(cat, theta: theta), r = Self.reversedAsimovQ(cat, theta: theta)
          if q > best.q { best = (q, edges) }
          if r > bestReversed.q { bestReversed = (r, edges) }
        }
      }
    }
    #expect(best.edges != bestReversed.edges, "the premise: the two directions prefer different partitions")
    let opt = try categorise(signal: ev, statistic: s, backgrounds: [bg],
                             options: CategoryOptions(categories: 4, method: .fisher, objective: .asimov(theta: theta)))
    #expect(relClose(Self.asimovQ(opt, theta: theta), best.q, 1e-12), "\(opt.edges) vs \(best.edges)")
  }

  @Test func statisticParsing() throws {
    let ev = Self.quadraticToy(2000, seed: 6)
    let m = try trainBIT(ev, config: BITConfig(trees: 3, maxDepth: 3, minSize: 10))
    #expect(try m.statistic(score: "t_a", theta: nil) == .output(0))
    #expect(try m.statistic(score: "b", theta: nil) == .output(1))
    #expect(try m.statistic(score: nil, theta: "b=2") == .ratio(theta: [0, 2]))
    #expect(throws: BITError.self) { try m.statistic(score: nil, theta: nil) }
    #expect(throws: BITError.self) { try m.statistic(score: "t_c", theta: nil) }
    #expect(throws: BITError.self) { try m.statistic(score: nil, theta: "c=1") }
    // r(x;θ) = 1 + θ·t + ½θ² t_bb for θ = (0, 2).
    let p = m.predict(features: ev.features)
    let r = m.evaluate(.ratio(theta: [0, 2]), features: ev.features)
    let D = m.learnedCount
    for i in [0, 17, 999] {
      #expect(relClose(r[i], 1 + 2 * p[i * D + 1] + 0.5 * 4 * p[i * D + 4], 1e-12))
    }
  }

  /// End to end: ZH toy → multi-BIT → 8 categories → datacard + EFT file (written and read back)
  /// → likelihood on the Asimov SM dataset → 68 % interval of c_HW (other coefficients fixed at 0,
  /// as `recombine scan -P cHW` does). It is narrower than with 8 equal-yield bins in p_T(Z).
  @Test(.needsReference) func zhCategoriesBeatPTBins() throws {
    let zh = try ZHToy(pdfDirectory: BITReference.path("zh-pdf-tables"))
    let train = zh.generate(count: 20_000, seed: 101)
    let test = zh.generate(count: 40_000, seed: 202)
    let model = try trainBIT(train, config: BITConfig(trees: 30, maxDepth: 4, minSize: 15))
    #expect(model.coefficients == ["cHQ3", "cHW", "cHWtil"])
    var sig = test
    let total = sig.weightColumn(0).reduce(0, +)
    for k in sig.weights.indices { sig.weights[k] *= 2000 / total }  // 2000 expected SM events
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bit-e2e-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }

    func interval(_ statistic: [Double], method: CategoryMethod, name: String) throws -> (Double, Double, Double) {
      let a = sig.coefficients.firstIndex(of: "cHW")!
      let cat = try categorise(signal: sig, statistic: statistic,
                               options: CategoryOptions(categories: 8, method: method, objective: .fisher(coefficient: a)))
      #expect(cat.count == 8)
      let opts = CardOptions()
      let cardPath = dir.appendingPathComponent("\(name).txt").path, eftPath = dir.appendingPathComponent("\(name)_eft.json").path
      try DatacardWriter.write(try cat.datacard(options: opts, path: cardPath)).write(toFile: cardPath, atomically: true, encoding: .utf8)
      try NativeFormat.write(cat.eftParametrisation(options: opts, ranges: cat.defaultRanges()), to: eftPath)
      let card = try Datacard.parse(contentsOf: cardPath)
      let compiled = try CompiledModel.compile(card, physics: EFTPhysicsModel(model: try EFTParametrisation.read(path: eftPath).compile()))
      var setup = FitSetup(model: compiled)
      let k = compiled.index(of: "cHW")!
      setup.fixPOIs(except: [k])
      let data = setup.makeAsimov(model: compiled, expectSignal: 1)
      let nll = try NLL(model: compiled, data: data)
      var x = compiled.initialValues
      let n0 = nll.value(at: x)
      func q(_ c: Double) -> Double { x[k] = c; return 2 * (nll.value(at: x) - n0) }
      // The minimum is at the SM on its own Asimov data.
      #expect(q(0.001) > 0 && q(-0.001) > 0)
      func crossing(_ sign: Double) -> Double {
        var lo = 0.0, hi = sign * 1e-3
        while q(hi) < 1 { lo = hi; hi *= 2 }
        for _ in 0..<60 { let m = 0.5 * (lo + hi); if q(m) < 1 { lo = m } else { hi = m } }
        return 0.5 * (lo + hi)
      }
      let fi = fisherSummary(cat, signal: sig)[a]
      return (crossing(-1), crossing(1), fi.fraction)
    }
    let tHW = model.evaluate(try model.statistic(score: "t_cHW", theta: nil), features: sig.features)
    let pT = sig.featureColumn(ZHToy.featureNames.firstIndex(of: "pT")!)
    let bit = try interval(tHW, method: .fisher, name: "bit")
    let bitEq = try interval(tHW, method: .equalYield, name: "biteq")
    let pt = try interval(pT, method: .equalYield, name: "pt")
    let w = { (r: (Double, Double, Double)) in r.1 - r.0 }
    print("c_HW 68% interval, 8 categories: BIT fisher [\(bit.0), \(bit.1)] width \(w(bit)) (Fisher kept \(bit.2)); "
          + "BIT equal-yield width \(w(bitEq)) (\(bitEq.2)); pT equal-yield [\(pt.0), \(pt.1)] width \(w(pt)) (\(pt.2))")
    #expect(w(bit) < w(pt))
    #expect(bit.2 > pt.2)
    #expect(bitEq.2 > pt.2)
  }
}
