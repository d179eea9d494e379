/// Work outside oneDNN (k-means, t-SNE, PCA) on oneDNN's own OpenMP threads, so the whole program uses one
/// thread pool.
public enum ThreadPool {
    /// Runs `body(task)` for every task in `0..<tasks` on up to `threads` threads (thread `t` of `T` takes tasks
    /// `t`, `t + T`, …), and returns when all are done. Tasks must write disjoint memory and must not run
    /// oneDNN primitives or nest `forEach` (both wait for the pool this call holds). Which thread runs a task
    /// never changes a result that is reduced in task order.
    public static func forEach(tasks: Int, threads: Int, _ body: (Int) -> Void) {
        guard tasks > 0 else { return }
        ParallelFor.region(threads: min(threads, tasks)) { thread, team in
            var task = thread
            while task < tasks {
                body(task)
                task += team
            }
        }
    }
}
