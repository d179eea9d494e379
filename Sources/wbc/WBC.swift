import ArgumentParser

@main
struct WBC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wbc",
        abstract: "Unsupervised clustering of white-blood-cell images: self-supervised encoders, then a cluster head (SCAN, k-means, DEC, …).",
        subcommands: [
            Run.self, Embed.self, ReportCmd.self, Pretrain.self, Cluster.self, Evaluate.self, Predict.self, Bench.self, SynthCommand.self, StatsCommand.self,
            DecodeBenchCommand.self, WeightsCommand.self, ServeCommand.self, CasesCommand.self,
        ]
    )
}
