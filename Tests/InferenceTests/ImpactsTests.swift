import Datacard
import Fit
import Foundation
import Inference
import Likelihood
import ROOTIO
import Testing
import TestSupport

@Suite struct ImpactsTests {
  static let countingCard = TestCards.countingOneBin

  static func writeCounting() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-impacts-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent("counting.txt")
    try Self.countingCard.write(to: url, atomically: true, encoding: .utf8)
    return url
  }

  static func specs(_ model: CompiledModel, _ setup: FitSetup) -> [ParameterSpec] {
    setup.parameterSpecs(model: model)
  }

  /// Counting card: the profile of θ is exactly θ²/2 (r absorbs the yield), so θ̂ = 0 and
  /// θ_lo/hi = ∓√(2δ); r(θ) = (n − b κ^θ)/s. The impact equals that analytic value, and a cold-start
  /// fit with θ fixed at each end gives the same r.
  @Test func countingMatchesAnalytic() throws {
    let url = try Self.writeCounting()
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let model = try CompiledModel.compile(try Datacard.parse(contentsOf: url.path), mass: 120)
    let setup = FitSetup(model: model)
    let specs = Self.specs(model, setup)
    let nll = try NLL(model: model)
    let r = model.index(of: "r")!, t = model.index(of: "bkgUnc")!
    let res = try Impacts.compute(model: model, data: nll.data, specs: specs, pois: [r])
    #expect(res.pois.count == 1 && res.pois[0].name == "r")
    #expect(res.params.count == 1)
    let p = res.params[0]
    let delta = model.singlesDelta
    let sigma = (2 * delta).squareRoot()
    #expect(abs(p.fit[1]) < 2e-3)
    #expect(abs(p.fit[0] + sigma) < 2e-3 && abs(p.fit[2] - sigma) < 2e-3)
    let rOf = { (th: Double) in (15 - 10 * pow(1.2, th)) / 5 }
    let v = p.poiValues["r"]!
    #expect(abs(v[1] - 1) < 2e-3)
    #expect(abs(v[0] - rOf(p.fit[0])) < 1e-3)
    #expect(abs(v[2] - rOf(p.fit[2])) < 1e-3)
    let analytic = max(abs(rOf(sigma) - 1), abs(rOf(-sigma) - 1))
    #expect(abs(p.impacts["r"]! - analytic) < 2e-3)
    #expect(p.prefit == [-1, 0, 1] && p.type == "Gaussian")
    // Independent: cold-start fits (from the pre-fit values) with θ fixed at the interval ends.
    for (end, value) in [(p.fit[0], v[0]), (p.fit[2], v[2])] {
      var s = specs
      s[t].value = end
      s[t].fixed = true
      let cold = Minimizer().minimize(nll, parameters: s)
      #expect(cold.status.isConverged)
      #expect(abs(cold.x[r] - value) < 1e-3)
    }
    // The POI interval: analytic too (θ profiled: 2ΔNLL in r of the Poisson term plus θ).
    #expect(res.pois[0].fit[0] < 1 && res.pois[0].fit[2] > 1)
  }

  /// Same names, types, groups and numbers to 1e-13 relative (Foundation's JSON number parsing
  /// is not always correctly rounded).
  static func close(_ a: ImpactsResult, _ b: ImpactsResult) -> Bool {
    func same(_ x: [Double], _ y: [Double]) -> Bool {
      x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= 1e-13 * max(1, abs($0)) }
    }
    guard a.pois.count == b.pois.count, a.params.count == b.params.count, a.method == b.method else { return false }
    for (p, q) in zip(a.pois, b.pois) where p.name != q.name || !same(p.fit, q.fit) { return false }
    for (p, q) in zip(a.params, b.params) {
      guard p.name == q.name, p.type == q.type, p.groups == q.groups, same(p.fit, q.fit), same(p.prefit, q.prefit),
            Set(p.poiValues.keys) == Set(q.poiValues.keys), Set(p.impacts.keys) == Set(q.impacts.keys) else { return false }
      for (k, v) in p.poiValues where !same(v, q.poiValues[k]!) { return false }
      for (k, v) in p.impacts where !same([v], [q.impacts[k]!]) { return false }
    }
    return true
  }

  /// Pre-fit ranges as `prefit_from_workspace` finds them (constraint alone, Minos at ½).
  @Test func prefitFromConstraints() {
    func param(_ c: Constraint) -> Constraint { c }
    #expect(Impacts.prefit(of: param(.gaussian(mean: 0.5, sigma: 2)), value: 0.5) == ("Gaussian", [-1.5, 0.5, 2.5]))
    #expect(Impacts.prefit(of: param(.bifurcatedGaussian(mean: 1, sigmaLow: 0.2, sigmaHigh: 0.3)), value: 1).prefit == [0.8, 1, 1.3])
    let (type, pre) = Impacts.prefit(of: param(.poisson(observed: 4)), value: 5)
    #expect(type == "Poisson" && pre[1] == 4)
    let f = { (t: Double) in t - 4 * log(t) - (4 - 4 * log(4.0)) }
    #expect(abs(f(pre[0]) - 0.5) < 1e-9 && abs(f(pre[2]) - 0.5) < 1e-9 && pre[0] < 4 && pre[2] > 4)
    let zero = Impacts.prefit(of: param(.poisson(observed: 0)), value: 1).prefit
    #expect(zero[0] == 0 && zero[1] == 0 && abs(zero[2] - 0.5) < 1e-9)
    #expect(Impacts.prefit(of: param(.none), value: 1.3) == ("Unconstrained", [1.3, 1.3, 1.3]))
    #expect(Impacts.prefit(of: param(.flat), value: 0).type == "Unconstrained")
  }

  /// impacts.json has Combine's layout and reads back to the same numbers.
  @Test func jsonRoundTrip() throws {
    let result = ImpactsResult(
      pois: [ImpactPOI(name: "r", fit: [0.1, 0.54, 1.0])],
      params: [
        ParameterImpact(name: "a", fit: [-0.9, 0.1, 1.1], prefit: [-1, 0, 1], type: "Gaussian", groups: ["theory"],
                        poiValues: ["r": [0.5, 0.54, 0.6]], impacts: ["r": 0.06]),
        ParameterImpact(name: "rate_x", fit: [0.8, 1.0, 1.2], prefit: [1, 1, 1], type: "Unconstrained", groups: [],
                        poiValues: ["r": [0.3, 0.54, 0.7]], impacts: ["r": 0.24], warnings: ["interval: no crossing"]),
      ])
    let sorted = result.sorted()
    #expect(sorted.params.map(\.name) == ["rate_x", "a"])
    let data = try sorted.jsonData()
    let doc = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let params = doc["params"] as! [[String: Any]]
    #expect((params[0]["impact_r"] as! NSNumber).doubleValue == 0.24)
    #expect((params[0]["r"] as! [Double]) == [0.3, 0.54, 0.7])
    // A parameter whose fits failed says so; the others carry no warnings key.
    #expect(params[0]["warnings"] as? [String] == ["interval: no crossing"] && params[1]["warnings"] == nil)
    #expect((doc["POIs"] as! [[String: Any]])[0]["name"] as! String == "r")
    #expect(doc["method"] as! String == "default")
    #expect(try ImpactsResult.read(data) == sorted)
  }

  /// The long-exercise combination (r ∈ [−1, 2], -m 200): every floating nuisance gets an
  /// impact, the impacts are finite, the largest positive, and their quadrature sum does not
  /// exceed the total uncertainty of r by much (impacts double count correlated effects, but not
  /// wildly); the result survives a JSON round trip.
  @Test(.needsReference) func longExercise() throws {
    let card = TestPaths.reference.appendingPathComponent("combine/longexercise_part3_combined/card/part3_combined.txt")
    let model = try CompiledModel.compile(try Datacard.parse(contentsOf: card.path), mass: 200)
    var setup = FitSetup(model: model)
    try setup.setFirstPOIRange(min: -1, max: 2)
    let specs = Self.specs(model, setup)
    let nll = try NLL(model: model)
    let r = model.index(of: "r")!
    var o = ImpactsOptions()
    o.threads = 2
    let start = Date()
    let res = try Impacts.compute(model: model, data: nll.data, specs: specs, pois: [r], options: o)
    print("longexercise impacts: \(res.params.count) parameters in \(Date().timeIntervalSince(start)) s")
    let floating = model.parameters.indices.filter { !specs[$0].fixed && !model.pois.contains($0) }
    // combineTool's set: the model's floating parameters and one prop_bin per BB-lite bin.
    #expect(res.params.count == floating.count + model.barlowBeestonBins.count)
    #expect(Set(res.params.map(\.name).filter { !$0.hasPrefix("prop_bin") }) == Set(floating.map { model.parameters[$0].name }))
    let f = res.pois[0].fit
    #expect(abs(f[1] - 0.540) < 5e-3 && abs(f[0] - (0.540 - 0.440)) < 5e-3 && abs(f[2] - (0.540 + 0.466)) < 5e-3)
    for p in res.params {
      #expect(p.impacts["r"]!.isFinite && p.fit.allSatisfy(\.isFinite), "\(p.name)")
      #expect(p.fit[0] <= p.fit[1] && p.fit[1] <= p.fit[2], "\(p.name)")
    }
    let quad = res.params.reduce(0) { $0 + pow($1.impacts["r"]!, 2) }.squareRoot()
    let total = 0.5 * (f[2] - f[0])
    print("longexercise: quadrature sum of impacts \(quad), total σ_r \(total); top: \(res.params.prefix(5).map { "\($0.name)=\($0.impacts["r"]!)" })")
    #expect(quad <= 1.5 * total)
    #expect(res.params.prefix(5).allSatisfy { $0.impacts["r"]! > 1e-3 })
    #expect(zip(res.params, res.params.dropFirst()).allSatisfy { $0.impacts["r"]! >= $1.impacts["r"]! })
    #expect(res.params.contains { $0.type == "Unconstrained" && $0.name == "rate_ttbar" })
    let back = try ImpactsResult.read(res.jsonData())
    #expect(Self.close(back, res))
  }

  /// One bin, signal s (no MC error) and background v with MC error e, autoMCStats: with r free the
  /// profile of the bin's Barlow–Beeston-lite parameter x is exactly x²/2 (r absorbs the yield:
  /// ν = r s + v + e x = n), so x̂ = 0, x_lo/hi = ∓√(2δ) and r(x) = (n − v − e x)/s: the impact
  /// of prop_binch_bin0 is e√(2δ)/s. Without the option (or excluded) it is absent.
  @Test func barlowBeestonLiteMatchesAnalytic() throws {
    let (dir, path) = try Self.writeBarlowBeestonCard(bins: [(s: 20, v: 100, e: 15, n: 130)], lnN: false)
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try CompiledModel.compile(try Datacard.parse(contentsOf: path), mass: 120)
    var setup = FitSetup(model: model)
    try setup.setFirstPOIRange(min: -5, max: 5)
    let nll = try NLL(model: model)
    var o = ImpactsOptions()
    o.threads = 1
    let res = try Impacts.compute(model: model, data: nll.data, specs: Self.specs(model, setup), pois: model.pois, options: o)
    let bb = try #require(res.params.first { $0.name == "prop_binch_bin0" })
    let d = (2 * model.singlesDelta).squareRoot()
    #expect(abs(bb.fit[0] + d) < 1e-3 && abs(bb.fit[1]) < 1e-4 && abs(bb.fit[2] - d) < 1e-3, "\(bb.fit)")
    let r = bb.poiValues["r"]!
    #expect(abs(r[1] - 1.5) < 1e-4)
    #expect(abs(r[0] - (30 + 15 * d) / 20) < 1e-3 && abs(r[2] - (30 - 15 * d) / 20) < 1e-3, "\(r)")
    #expect(bb.type == "Gaussian" && bb.prefit == [-1, 0, 1] && bb.groups == ["autoMCStats"])
    o.exclude = ["rgx{^prop_bin}"]
    let without = try Impacts.compute(model: model, data: nll.data, specs: Self.specs(model, setup), pois: model.pois, options: o)
    #expect(!without.params.contains { $0.name.hasPrefix("prop_bin") })
  }

  /// Three bins and an lnN nuisance (no closed form): the interval ends of each prop_bin and the POI
  /// at them agree with a second method, the whole-array freeze of the NLL minimised directly:
  /// min NLL with x_j held at x_lo equals the best fit + δ, and its r is the reported one.
  @Test func barlowBeestonLiteMatchesDirectFreeze() throws {
    let (dir, path) = try Self.writeBarlowBeestonCard(
      bins: [(s: 20, v: 100, e: 15, n: 130), (s: 5, v: 40, e: 8, n: 38), (s: 10, v: 60, e: 4, n: 75)], lnN: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let model = try CompiledModel.compile(try Datacard.parse(contentsOf: path), mass: 120)
    var setup = FitSetup(model: model)
    try setup.setFirstPOIRange(min: -5, max: 5)
    let specs = Self.specs(model, setup)
    let nll = try NLL(model: model)
    var o = ImpactsOptions()
    o.threads = 2
    let res = try Impacts.compute(model: model, data: nll.data, specs: specs, pois: model.pois, options: o)
    let best = Minimizer().minimize(nll, parameters: specs)
    #expect(res.params.filter { $0.name.hasPrefix("prop_bin") }.count == 3)
    for j in 0..<3 {
      let p = try #require(res.params.first { $0.name == "prop_binch_bin\(j)" })
      for side in [0, 2] {
        var held = [Double](repeating: .nan, count: 3)
        held[j] = p.fit[side]
        nll.freezeBarlowBeeston(held)
        let f = Minimizer().minimize(nll, parameters: specs)
        nll.freezeBarlowBeeston(nil)
        #expect(abs(f.fval - best.fval - model.singlesDelta) < 2e-4, "bin \(j) side \(side): \(f.fval - best.fval)")
        #expect(abs(f.x[model.pois[0]] - p.poiValues["r"]![side]) < 2e-3, "bin \(j) side \(side)")
      }
    }
  }

  /// A card of one channel "ch" with `bins` (signal s without MC error, background v ± e, data n),
  /// autoMCStats 0, and with `lnN` a 10% background lnN.
  static func writeBarlowBeestonCard(bins: [(s: Double, v: Double, e: Double, n: Double)], lnN: Bool) throws -> (URL, String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rc-impacts-bb-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    func th1(_ name: String, _ v: [Double], _ w2: [Double]) -> Histogram {
      Histogram(name: name, title: name, className: "TH1D", dimension: 1, nbinsX: v.count, nbinsY: 0,
                xEdges: (0...v.count).map(Double.init), yEdges: [], contents: [0] + v + [0], sumw2: [0] + w2 + [0])
    }
    try writeROOTFile(path: dir.appendingPathComponent("s.root").path, histograms: [
      ("bkg", th1("bkg", bins.map(\.v), bins.map { $0.e * $0.e })), ("sig", th1("sig", bins.map(\.s), bins.map { _ in 0 })),
      ("data_obs", th1("data_obs", bins.map(\.n), bins.map(\.n))),
    ])
    let path = dir.appendingPathComponent("card.txt").path
    try """
      imax 1
      jmax 1
      kmax *
      shapes * * s.root $PROCESS
      bin ch
      observation -1
      bin ch ch
      process sig bkg
      process 0 1
      rate -1 -1
      \(lnN ? "bnorm lnN - 1.1" : "")
      * autoMCStats 0
      """.write(toFile: path, atomically: true, encoding: .utf8)
    return (dir, path)
  }
}
