extension HTMLReport {
    static func metricsSection(_ content: ReportContent) -> Section? {
        typealias Metrics = ReportContent.SplitMetrics
        let columns: [(heading: String, hint: String, value: (Metrics) -> Double?, format: (Double) -> String)] = [
            ("ACC", "Cluster accuracy under the best cluster-to-type mapping", \.accuracy, { NumberText.percent($0) }),
            ("NMI", "Normalised mutual information", \.nmi, { NumberText.fixed($0, decimals: 3) }),
            ("ARI", "Adjusted Rand index", \.ari, { NumberText.fixed($0, decimals: 3) }),
            (
                "Mononuclear acc.", "Accuracy on lymphocytes and monocytes of the mono/poly split",
                \.mononuclearAccuracy, { NumberText.percent($0) }
            ),
            (
                "Polymorphonuclear acc.", "Accuracy on neutrophils, eosinophils and basophils of the mono/poly split",
                \.polymorphonuclearAccuracy, { NumberText.percent($0) }
            ),
        ]
        let shown = columns.filter { column in content.metrics.contains { column.value($0) != nil } }
        guard !shown.isEmpty else { return nil }
        let showImages = content.metrics.contains { $0.images != nil }
        var html = "<table class=\"metrics\"><thead><tr><th>Split</th>"
        if showImages { html += "<th class=\"num\">Images</th>" }
        for column in shown {
            html +=
                "<th class=\"num\" title=\"" + XMLText.escape(column.hint) + "\">" + XMLText.escape(column.heading)
                + "</th>"
        }
        html += "</tr></thead><tbody>"
        for row in content.metrics {
            html += "<tr><th scope=\"row\">" + XMLText.escape(row.split) + "</th>"
            if showImages {
                var cell = row.images.map(NumberText.grouped) ?? "–"
                if let images = row.images, let scored = row.scored, scored < images {
                    cell += " (" + NumberText.grouped(scored) + " scored)"
                }
                html += "<td class=\"num\">" + cell + "</td>"
            }
            for column in shown {
                html += "<td class=\"num\">" + XMLText.escape(column.value(row).map(column.format) ?? "–") + "</td>"
            }
            html += "</tr>"
        }
        html += "</tbody></table>"
        return Section(id: "metrics", heading: "Metrics", body: html)
    }

    static func settingsSection(_ content: ReportContent) -> Section? {
        guard !content.settings.isEmpty else { return nil }
        var html = "<table class=\"settings\"><tbody>"
        for setting in content.settings {
            html +=
                "<tr><th scope=\"row\">" + XMLText.escape(setting.key) + "</th><td>"
                + XMLText.escape(setting.value) + "</td></tr>"
        }
        html += "</tbody></table>"
        return Section(id: "settings", heading: "Settings", body: html)
    }

    static func timingSection(_ content: ReportContent) -> Section? {
        guard !content.stageTimes.isEmpty else { return nil }
        let finite = content.stageTimes.map(\.seconds).filter { $0.isFinite && $0 >= 0 }
        let total = finite.reduce(0, +)
        var html =
            "<table class=\"timing\"><thead><tr><th>Stage</th><th class=\"num\">Time</th>"
            + "<th class=\"share\">Share</th></tr></thead><tbody>"
        for stage in content.stageTimes {
            let share = (total > 0 && stage.seconds.isFinite && stage.seconds >= 0) ? stage.seconds / total : 0
            html +=
                "<tr><th scope=\"row\">" + XMLText.escape(stage.stage) + "</th><td class=\"num\">"
                + XMLText.escape(NumberText.duration(seconds: stage.seconds)) + "</td><td class=\"share\">"
                + "<span class=\"bar\" style=\"width: " + NumberText.fixed(share * 100, decimals: 1) + "%\"></span>"
                + "</td></tr>"
        }
        html +=
            "</tbody><tfoot><tr><th scope=\"row\">Total</th><td class=\"num\">"
            + XMLText.escape(NumberText.duration(seconds: total)) + "</td><td></td></tr></tfoot></table>"
        return Section(id: "timing", heading: "Time per stage", body: html)
    }

    static func networkSection(_ content: ReportContent) -> Section? {
        guard !content.network.isEmpty else { return nil }
        var html =
            "<table class=\"network\"><thead><tr><th>Layer</th><th>Output shape</th>"
            + "<th class=\"num\">Parameters</th></tr></thead><tbody>"
        var total = 0
        for layer in content.network {
            total += max(0, layer.parameters)
            let shape = "[" + layer.outputShape.map(String.init).joined(separator: ", ") + "]"
            html +=
                "<tr><td class=\"mono\">" + XMLText.escape(layer.name) + "</td><td class=\"mono\">"
                + shape + "</td><td class=\"num\">" + NumberText.grouped(layer.parameters) + "</td></tr>"
        }
        html +=
            "</tbody><tfoot><tr><th scope=\"row\" colspan=\"2\">Total (\(content.network.count) layers)</th>"
            + "<td class=\"num\">" + NumberText.grouped(total) + "</td></tr></tfoot></table>"
        return Section(id: "network", heading: "Network", body: html)
    }
}
