//===--- BITCommand.swift -------------------------------------------------===//
// `recombine bit`: Boosted Information Trees (generate toys, train, predict).
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import InformationTrees

struct BITCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bit",
    abstract: "Boosted Information Trees: learn the EFT dependence of weighted events.",
    subcommands: [BITGenerate.self, BITTrain.self, BITPredict.self, BITBin.self, BITPlot.self])
}

func splitList(_ s: String?) -> [String]? {
  guard let s = s, !s.isEmpty else { return nil }
  return s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
}

func runBIT(_ body: () throws -> Void) throws {
  do { try body() } catch let e as BITError {
    printError("error: \(e.description)")
    throw ExitCode(1)
  } catch let e as ExitCode {
    throw e
  } catch let e as ValidationError {
    throw e
  } catch {
    printError("error: \(error)")
    throw ExitCode(1)
  }
}

struct BITGenerate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Generate toy events: zh (15 features, cHQ3/cHW/cHWtil to second order), exponential, power-law.")

  @Argument(help: "zh, exponential or power-law.")
  var model: String

  @Option(name: .short, help: "Number of events.")
  var n: Int = 100_000

  @Option(help: "Random seed.")
  var seed: UInt64 = 1

  @Option(name: .customLong("pdf-dir"),
          help: "Directory of the ZH PDF tables pdf_<q>.txt (default: $RECOMBINE_BIT_PDF_DIR; without either, Recombine's built-in parton densities).")
  var pdfDir: String?

  @Option(name: .short, help: "Output file: .csv, .csv.gz or .npz.")
  var output: String

  func run() throws {
    try runBIT {
      guard n > 0 else { throw BITError("-n must be positive") }
      let events: Events
      switch model {
      case "zh":
        if let dir = pdfDir ?? ProcessInfo.processInfo.environment["RECOMBINE_BIT_PDF_DIR"] {
          guard FileManager.default.fileExists(atPath: dir + "/pdf_u.txt") else {
            throw BITError("\(dir): no ZH PDF tables (pdf_u.txt, pdf_ubar.txt, …) there")
          }
          events = try ZHToy(pdfDirectory: dir).generate(count: n, seed: seed)
        } else {
          printError("bit generate zh: Recombine's built-in parton densities (--pdf-dir DIR for tables)")
          events = ZHToy().generate(count: n, seed: seed)
        }
      default:
        guard let toy = ClosureToy(rawValue: model) else {
          throw BITError("unknown model '\(model)' (zh, exponential, power-law)")
        }
        events = toy.generate(count: n, seed: seed)
      }
      try events.write(output)
      printError("wrote \(events.count) events (\(events.featureCount) features, \(events.weightStride) weight columns) to \(output)")
    }
  }
}

struct BITTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a (multi-coefficient) Boosted Information Tree on weighted events.")

  @Argument(help: "Events (.csv, .csv.gz or .npz) with w_0, w_<c> and (for --quadratic) w_<c1>_<c2> columns.")
  var events: String

  @Option(help: "Wilson coefficients, comma-separated (their order fixes the base points and output order).")
  var coefficients: String?

  @Flag(help: "Learn the quadratic coefficient functions too.")
  var quadratic = false

  @Option(help: "Feature columns, comma-separated (default: every non-weight column).")
  var features: String?

  @Option(help: "Name of the SM-weight column (default w_0).")
  var weight: String?

  @Option(help: "Names of the linear derivative columns, comma-separated, one per coefficient (e.g. d).")
  var derivative: String?

  @Option(help: "Number of trees.")
  var trees: Int = 100

  @Option(help: "Reference depth convention: max_depth D gives D−1 split levels.")
  var depth: Int = 4

  @Option(name: .customLong("learning-rate"), help: "Learning rate η.")
  var learningRate: Double = 0.2

  @Option(name: .customLong("min-size"), help: "Minimum number of events per child.")
  var minSize: Int = 15

  @Flag(help: "Exact (sort-based, reference) split search instead of histograms.")
  var exact = false

  @Option(help: "Quantile bins per feature in histogram mode (≤ 256).")
  var bins: Int = 256

  @Option(name: .customLong("base-point-scales"), help: "Scale of each coefficient in the base points, comma-separated.")
  var basePointScales: String?

  @Flag(help: "Positivity rule: only cuts with non-negative base-point yields in both children.")
  var positive = false

  @Option(help: "Threads (0: all cores; results do not depend on it).")
  var threads: Int = 0

  @Flag(help: "Print the loss after every tree.")
  var verbose = false

  @Option(name: .short, help: "Output model (JSON).")
  var output: String

  func run() throws {
    try runBIT {
      let coeffs = splitList(coefficients) ?? []
      let ders = splitList(derivative)
      var cols = EventColumns(coefficients: coeffs, quadratic: quadratic, features: splitList(features), weight: weight,
                              derivatives: ders)
      if ders != nil && quadratic { throw BITError("--derivative names only linear columns; drop --quadratic") }
      if ders != nil && coeffs.isEmpty { cols.coefficients = ders!.count == 1 ? ["theta"] : ders! }
      let t0 = Date()
      let ev = try Events.read(events, columns: cols)
      let tRead = Date().timeIntervalSince(t0)
      let config = BITConfig(trees: trees, learningRate: learningRate, maxDepth: depth, minSize: minSize,
                             mode: exact ? .exact : .histogram, maxBins: bins, positive: positive, threads: threads)
      var scales: [Double]? = nil
      if let s = splitList(basePointScales) {
        scales = try s.map { v in
          guard let d = Double(v) else { throw BITError("--base-point-scales: not a number: \(v)") }
          return d
        }
        guard scales!.count == ev.coefficients.count else {
          throw BITError("--base-point-scales needs \(ev.coefficients.count) values")
        }
      }
      let bp = BITModel.defaultBasePoints(coefficientCount: ev.coefficients.count, quadratic: quadratic, scales: scales)
      printError("\(ev.count) events, \(ev.featureCount) features, \(ev.derivatives.count) coefficient functions "
                 + "(\(ev.coefficients.joined(separator: ","))); read in \(String(format: "%.2f", tRead)) s")
      let t1 = Date()
      let verbose = self.verbose
      let model = try trainBIT(ev, config: config, basePoints: bp) { b, r in
        if verbose { printError("tree \(b + 1): loss \(r.loss), \(r.leaves) leaves, \(String(format: "%.3f", r.seconds)) s") }
      }
      let tTrain = Date().timeIntervalSince(t1)
      try model.save(output)
      let last = model.history.last?.loss ?? model.initialLoss
      printError(String(format: "trained %d trees in %.2f s (%.3f s/tree); loss/L0 = %.6g; wrote %@",
                        model.trees.count, tTrain, tTrain / Double(max(1, model.trees.count)),
                        last / model.initialLoss, output))
    }
  }
}

struct BITPredict: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "predict",
    abstract: "Score events with a trained model: columns t_<c>, t_<c1>_<c2> in event order.")

  @Argument(help: "Model (JSON) from 'bit train'.")
  var model: String

  @Argument(help: "Events (.csv, .csv.gz or .npz) with the model's feature columns.")
  var events: String

  @Option(help: "Use only the first N trees.")
  var trees: Int?

  @Option(name: .short, help: "Output CSV (.gz compressed).")
  var output: String

  func run() throws {
    try runBIT {
      let m = try BITModel.load(model)
      let table = try Table.read(events)
      let cols = try m.featureNames.map { f -> Int in
        guard let c = table.names.firstIndex(of: f) else { throw BITError("\(events): no feature column \(f)") }
        return c
      }
      let n = table.rowCount, F = cols.count, W = table.names.count
      var x = [Double](repeating: 0, count: n * F)
      for i in 0..<n { for (j, c) in cols.enumerated() { x[i * F + j] = table.values[i * W + c] } }
      let p = m.predict(features: x, treeLimit: trees)
      try Table(names: m.outputNames, values: p).writeCSV(output)
      printError("wrote \(n) predictions (\(m.outputNames.joined(separator: ","))) to \(output)")
    }
  }
}
