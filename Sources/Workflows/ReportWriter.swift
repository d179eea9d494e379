import Foundation

/// Writes `RUN/report.html` from a finished run (the HTML report issue fills this in).
public enum ReportWriter {
    public static func write(run: RunDirectory, progress: any ProgressSink) throws {
        let metrics = Evaluation.readMetrics(run)
        var rows = ""
        for (split, m) in metrics.sorted(by: { $0.key > $1.key }) {
            rows += "<tr><td>\(split)</td><td>\(m.images)</td><td>\(m.accuracy.map { String(format: "%.4f", $0) } ?? "–")</td><td>\(m.nmi.map { String(format: "%.4f", $0) } ?? "–")</td></tr>"
        }
        let html = "<!doctype html><html><head><meta charset=\"utf-8\"><title>wbc run</title></head><body><table><tr><th>split</th><th>images</th><th>ACC</th><th>NMI</th></tr>\(rows)</table></body></html>\n"
        try RunDirectory.writeAtomically(html, to: run.report)
    }
}
