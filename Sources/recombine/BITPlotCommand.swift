//===--- BITPlotCommand.swift ---------------------------------------------===//
// `recombine bit plot` (also `recombine plot bit`): the training loss
// per tree and the distribution of a learned statistic at the SM and at a point θ.
//===----------------------------------------------------------------------===//

import ArgumentParser
import Foundation
import InformationTrees
import Plots

struct BITPlotOptions: ParsableArguments {
  @Argument(help: "Model (JSON) from 'bit train'.")
  var model: String

  @Argument(help: "Events (.csv, .csv.gz, .npz) with the model's features and weights (optional: without it only the loss is drawn).")
  var events: String?

  @Option(name: .short, help: "Output figure: .png, .pdf or .svg.")
  var output: String

  @Option(help: "Statistic to histogram: a learned function t_<c> (default: the first).")
  var score: String?

  @Option(help: "Histogram the learned likelihood ratio at this θ instead (c=v,...).")
  var theta: String?

  @Option(name: .customLong("at"), help: "The θ of the second distribution (c=v,...; default: the score's coefficient = 1, or --theta).")
  var at: String?

  @Option(help: "Histogram bins.")
  var bins: Int = 40

  @Option(help: "Name of the SM-weight column (default w_0).")
  var weight: String?

  @OptionGroup var labels: FigureLabelOptions

  func run() throws {
    try runBIT {
      let m = try BITModel.load(model)
      var figure = BITTrainingFigure(lossRatios: [1.0] + m.history.map { $0.loss / m.initialLoss })
      figure.style = labels.style(figure.style)
      if let path = events {
        let stat: BITStatistic = (score == nil && theta == nil) ? .output(0) : try m.statistic(score: score, theta: theta)
        let ev = try Events.read(path, columns: EventColumns(coefficients: m.coefficients, features: m.featureNames, weight: weight))
        let at: [Double]? = try (at ?? theta).map { a in
          guard case .ratio(let t) = try m.statistic(score: nil, theta: a) else { throw BITError("--at: expected c=v,...") }
          return t
        }
        let d = m.distribution(of: stat, events: ev, at: at, bins: bins)
        figure.histogram = .init(edges: d.edges, sm: d.sm, atTheta: d.atTheta, xTitle: m.describe(stat), label: d.label)
      }
      try plotBITTraining(figure, to: output)
      printError("wrote \(output)")
    }
  }
}

/// `recombine bit plot MODEL [EVENTS] -o FILE`.
struct BITPlot: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plot", abstract: "Training loss per tree and the learned statistic at the SM and at θ.")
  @OptionGroup var options: BITPlotOptions
  func run() throws { try options.run() }
}

/// The same figure as `recombine bit plot`, registered as `recombine plot bit` (a subcommand of
/// `PlotCommand`).
struct PlotBITCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bit", abstract: "Training loss per tree and the learned statistic at the SM and at θ (BIT).")
  @OptionGroup var options: BITPlotOptions
  func run() throws { try options.run() }
}
