import ArgumentParser

@main
struct Recombine: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "recombine",
    abstract: "Statistical fits of CMS Combine datacards, natively.")
}
