import Foundation
import GRDB
import Workflows

/// One classified image in the case history: what was sent, which model answered, what it said, and the
/// reviewer's verdict.
public struct CaseRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "prediction"
    public var id: Int64?
    /// When the prediction was made (ISO 8601, UTC).
    public var createdAt: String
    public var fileName: String
    /// SHA-256 of the image's bytes, hex.
    public var sha256: String
    /// SHA-256 of the clustering checkpoint that answered.
    public var modelDigest: String
    public var cellType: String
    public var cluster: Int
    public var confidence: Double
    /// Every cluster's probability, as a JSON array.
    public var probabilities: String
    public var reviewedType: String?
    public var reviewedAt: String?
    /// The most similar training cells' indices (into the run's training set), as a JSON array, most similar first.
    public var nearest: String?
    /// Where `--keep-images` stored the image's bytes.
    public var imagePath: String?

    enum CodingKeys: String, CodingKey {
        case id, cluster, confidence, probabilities, sha256
        case createdAt = "created_at"
        case fileName = "file_name"
        case modelDigest = "model_digest"
        case cellType = "cell_type"
        case reviewedType = "reviewed_type"
        case reviewedAt = "reviewed_at"
        case nearest
        case imagePath = "image_path"
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The case history in SQLite (WAL mode): every prediction, committed before its response is sent.
public final class CaseStore: Sendable {
    let pool: DatabasePool
    /// Below this confidence a prediction "needs review".
    public let reviewThreshold: Double

    public init(path: String, reviewThreshold: Double = 0.6) throws {
        try FileManager.default.createDirectory(
            at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        pool = try DatabasePool(path: path)
        self.reviewThreshold = reviewThreshold
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: predictions") { db in
            try db.create(table: "prediction") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("created_at", .text).notNull()
                t.column("file_name", .text).notNull()
                t.column("sha256", .text).notNull()
                t.column("model_digest", .text).notNull()
                t.column("cell_type", .text).notNull()
                t.column("cluster", .integer).notNull()
                t.column("confidence", .double).notNull()
                t.column("probabilities", .text).notNull()
                t.column("reviewed_type", .text)
                t.column("reviewed_at", .text)
            }
            try db.create(index: "prediction_cell_type", on: "prediction", columns: ["cell_type"])
        }
        m.registerMigration("v2: nearest training cells, kept images") { db in
            try db.alter(table: "prediction") { t in
                t.add(column: "nearest", .text)
                t.add(column: "image_path", .text)
            }
        }
        return m
    }

    /// Inserts the records in one transaction; returns them with their ids once committed.
    public func insert(_ records: [CaseRecord]) throws -> [CaseRecord] {
        try pool.write { db in
            try records.map { record in
                var r = record
                try r.insert(db)
                return r
            }
        }
    }

    public func record(id: Int64) throws -> CaseRecord? { try pool.read { db in try CaseRecord.fetchOne(db, key: id) } }

    /// Newest first; `type` filters on the predicted or reviewed type; `needsReview` keeps the predictions a reviewer
    /// should look at: confidence below `reviewThreshold`, or a verdict that differs from the prediction.
    public func list(limit: Int, offset: Int, type: String? = nil, needsReview: Bool = false) throws -> (records: [CaseRecord], total: Int) {
        try pool.read { db in
            var request = CaseRecord.all()
            if let type {
                request = request.filter(
                    Column("cell_type").collating(.nocase) == type || Column("reviewed_type").collating(.nocase) == type)
            }
            if needsReview {
                request = request.filter(
                    Column("confidence") < reviewThreshold
                        || (Column("reviewed_type") != nil && Column("reviewed_type").collating(.nocase) != Column("cell_type")))
            }
            let total = try request.fetchCount(db)
            let records = try request.order(Column("id").desc).limit(limit, offset: offset).fetchAll(db)
            return (records, total)
        }
    }

    /// Records a reviewer's verdict; nil when there is no such prediction.
    public func review(id: Int64, type: String, at time: Date = Date()) throws -> CaseRecord? {
        try pool.write { db in
            guard var record = try CaseRecord.fetchOne(db, key: id) else { return nil }
            record.reviewedType = type
            record.reviewedAt = Self.timestamp(time)
            try record.update(db)
            return record
        }
    }

    public func count() throws -> Int { try pool.read { db in try CaseRecord.fetchCount(db) } }

    /// Every record as CSV (oldest first), for `wbc cases export`.
    public func csv() throws -> String {
        let records = try pool.read { db in try CaseRecord.order(Column("id")).fetchAll(db) }
        var lines = ["id,created_at,file_name,sha256,model_digest,cell_type,cluster,confidence,reviewed_type,reviewed_at,image_path"]
        for r in records {
            let fields: [String] = [
                String(r.id ?? 0), r.createdAt, r.fileName, r.sha256, r.modelDigest, r.cellType, String(r.cluster),
                String(r.confidence), r.reviewedType ?? "", r.reviewedAt ?? "", r.imagePath ?? "",
            ]
            lines.append(CSV.row(fields))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// ISO 8601 in UTC with milliseconds, `2026-12-03T11:05:28.123Z`.
    public static func timestamp(_ date: Date) -> String { timestampStyle.format(date) }
    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
