/// The program version written into configs and checkpoints.
public enum WBCVersion {
    public static let current = "0.1.0"
    /// Checkpoint format version; a checkpoint of another format is refused with a clear message.
    public static let checkpointFormat = "1"
}
